"""Builders for PayablesFinance tests: a matched invoice, an approved payable, the registry document a financier
finances it against, and the expected advance.

The cast (as in tests/contracts/openaccount_support.py): `trader` buys from `another_trader` on open account;
`another_bank` is the financier, `bank` a second bank.
"""

from __future__ import annotations

from typing import Any

from tests.contracts.helpers import USD, World
from tests.contracts.lc_support import balance
from tests.contracts.openaccount_support import (
    BUYER,
    DAY,
    FINANCIER,
    INVOICE_KIND,
    INVOICES,
    ORDER_AMOUNT,
    SELLER,
    issue_invoice,
    open_account_order,
)
from tradeledger.undertakings.discount import DayCount, discount

PAYABLES = "PayablesFinance"
PAYABLE_STATES = ("NONE", "APPROVED", "FINANCED", "OVERDUE", "PAID")
ACT_360, ACT_365 = 0, 1
DAY_COUNTS = {ACT_360: DayCount.ACT_360, ACT_365: DayCount.ACT_365}
RATE_BPS = 450  # 4.50% a year
MATURITY_DAYS = 60


def matched_invoice(world: World, amount: int = ORDER_AMOUNT) -> int:
    """An invoice of SELLER to BUYER that MATCHED its open-account order."""
    invoice_id = issue_invoice(world, open_account_order(world, steps=3), amount=amount)
    world.tx(BUYER, INVOICES, "recordMatch", invoice_id, True, world.unique("report"))
    return invoice_id


def maturity_in(world: World, days: int = MATURITY_DAYS) -> int:
    """Midnight UTC `days` days after the latest block's day."""
    return (world.chain.timestamp() // DAY + days) * DAY


def approve(
    world: World, invoice_id: int | None = None, *, amount: int = ORDER_AMOUNT, days: int = MATURITY_DAYS
) -> int:
    """BUYER approves a payable of `amount` on a matched invoice, maturing `days` days ahead."""
    invoice_id = matched_invoice(world) if invoice_id is None else invoice_id
    receipt = world.tx(BUYER, PAYABLES, "approve", invoice_id, amount, maturity_in(world, days), world.unique("terms"))
    payable_id: int = receipt.event("PayableApproved")["payableId"]
    return payable_id


def invoice_document(
    world: World,
    *,
    registrar: str = FINANCIER,
    face: int = ORDER_AMOUNT,
    fingerprints: list[bytes] | None = None,
) -> int:
    """The invoice registered in DocumentRegistry for SELLER (REGISTERED, not financed)."""
    prints = fingerprints if fingerprints is not None else [world.unique("fp"), world.unique("fp")]
    receipt = world.tx(
        registrar, "DocumentRegistry", "registerDocument", world.address(SELLER), INVOICE_KIND, USD, face, prints
    )
    document_id: int = receipt.event("DocumentRegistered")["documentId"]
    return document_id


def get_payable(world: World, payable_id: int) -> dict[str, Any]:
    value: dict[str, Any] = world.call(PAYABLES, "getPayable", payable_id)
    return value


def payable_state(world: World, payable_id: int) -> str:
    return PAYABLE_STATES[get_payable(world, payable_id)["state"]]


def days_to_maturity(world: World, payable_id: int) -> int:
    """Days from the next block's UTC day (the tests mine each transaction in its own block, seconds apart) to the
    payable's maturity day."""
    return int(get_payable(world, payable_id)["maturity"]) // DAY - (world.chain.timestamp() + 1) // DAY


def expected_advance(world: World, payable_id: int, rate_bps: int = RATE_BPS, day_count: int = ACT_360) -> int:
    """The advance the service computes (tradeledger.undertakings.discount) for financing in the next block."""
    face = int(get_payable(world, payable_id)["amount"])
    return discount(face, rate_bps, days_to_maturity(world, payable_id), DAY_COUNTS[day_count]).advance


def finance(
    world: World,
    payable_id: int,
    document_id: int | None = None,
    *,
    financier: str = FINANCIER,
    rate_bps: int = RATE_BPS,
    day_count: int = ACT_360,
) -> int:
    """`financier` pays the supplier early against a freshly registered invoice document; returns the document."""
    document_id = invoice_document(world, registrar=financier) if document_id is None else document_id
    advance = expected_advance(world, payable_id, rate_bps, day_count)
    world.tx(financier, PAYABLES, "finance", payable_id, document_id, rate_bps, day_count, advance)
    return document_id


def empty_account(world: World, actor: str, keep: int = 0) -> None:
    """Move all but `keep` of `actor`'s USD to another trader (its funds are short at maturity)."""
    other = SELLER if actor == BUYER else BUYER
    excess = balance(world, actor) - keep
    if excess > 0:
        world.tx(actor, "Settlement", "transfer", world.address(other), USD, excess, world.unique("out"))


def payables_scenario(world: World) -> None:
    """Every event of PayablesFinance at least once: financed and paid, unfinanced and paid to the supplier,
    financed, overdue, then paid once funded."""
    financed = approve(world, days=30)
    finance(world, financed)
    unfinanced = approve(world, days=20)
    late = approve(world, days=10)
    finance(world, late, rate_bps=600, day_count=ACT_365)
    world.chain.increase_time(31 * DAY)
    fund = world.address(BUYER), USD, 2 * ORDER_AMOUNT  # whatever earlier scenarios left the buyer
    world.tx("sponsor_bank", "Settlement", "issue", *fund, world.unique("fund"))
    world.tx(FINANCIER, PAYABLES, "collect", financed)
    world.tx(SELLER, PAYABLES, "collect", unfinanced)
    empty_account(world, BUYER)
    world.tx(FINANCIER, PAYABLES, "collect", late)  # OVERDUE: nothing moves
    world.tx(BUYER, PAYABLES, "collect", late)  # still short: OVERDUE again
    world.tx("sponsor_bank", "Settlement", "issue", world.address(BUYER), USD, ORDER_AMOUNT, world.unique("fund"))
    world.tx(BUYER, PAYABLES, "collect", late)
