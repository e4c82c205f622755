"""Role x function matrix rows of Invoices and PaymentUndertakings (driven by tests/contracts/test_role_matrix.py)."""

from __future__ import annotations

from typing import Any

from tests.contracts.helpers import BANKS, TRADERS, Case, World
from tests.contracts.openaccount_support import (
    BUYER,
    DAY,
    FINANCIER,
    INVOICES,
    OBLIGOR,
    ORDER_AMOUNT,
    RECIPIENT,
    SELLER,
    UNDERTAKINGS,
    establish,
    financed_invoice_document,
    invoice_data,
    issue_invoice,
    matched_undertaking,
    mismatched_invoice,
    open_account_order,
)

TRADER_DENIAL = "InvoicesUnauthorized"
BANK_DENIAL = "PaymentUndertakingsUnauthorized"
BOTH_BANKS = frozenset({OBLIGOR, RECIPIENT})


def _establish_args(world: World, _: str) -> tuple[Any, ...]:
    now = world.chain.timestamp()
    order_id = open_account_order(world)
    return (order_id, world.address(RECIPIENT), ORDER_AMOUNT, now + 30 * DAY, now + 20 * DAY, world.unique("t"))


def _mismatched(world: World, _: str) -> tuple[Any, ...]:
    """An undertaking whose order's invoice MISMATCHED, and that invoice's report."""
    order_id = open_account_order(world)
    undertaking_id = establish(world, order_id)
    _invoice, report = mismatched_invoice(world, order_id)
    return (undertaking_id, report)


def _amendment_args(world: World, _: str) -> tuple[Any, ...]:
    now = world.chain.timestamp()
    return (establish(world), ORDER_AMOUNT - 1, now + 35 * DAY, now + 25 * DAY)


def _proposed(world: World, _: str) -> tuple[int]:
    undertaking_id = establish(world)
    now = world.chain.timestamp()
    world.tx(OBLIGOR, UNDERTAKINGS, "proposeAmendment", undertaking_id, ORDER_AMOUNT, now + 40 * DAY, now + 30 * DAY)
    return (undertaking_id,)


def _financed(world: World, _: str) -> tuple[int, int]:
    undertaking_id = establish(world)
    return (undertaking_id, financed_invoice_document(world))


def _due(world: World, _: str) -> tuple[int]:
    undertaking_id, _invoice = matched_undertaking(world)
    world.chain.increase_time(31 * DAY)
    return (undertaking_id,)


def _lapsed(world: World, _: str) -> tuple[int]:
    undertaking_id = establish(world)
    world.chain.increase_time(21 * DAY)
    return (undertaking_id,)


OPEN_ACCOUNT_CASES = [
    Case(
        INVOICES,
        "issueInvoice",
        frozenset({SELLER}),
        lambda w, a: (open_account_order(w), invoice_data(w)),
        {BUYER: "InvoicesNotParty", "*": TRADER_DENIAL},
    ),
    Case(
        INVOICES,
        "correctInvoice",
        frozenset({SELLER}),
        lambda w, a: (issue_invoice(w), invoice_data(w, amount=ORDER_AMOUNT - 10)),
        {BUYER: "InvoicesNotParty", "*": TRADER_DENIAL},
    ),
    Case(
        INVOICES,
        "recordMatch",
        frozenset(TRADERS),
        lambda w, a: (issue_invoice(w), True, w.unique("report")),
        TRADER_DENIAL,
    ),
    Case(
        INVOICES,
        "acceptMismatch",
        frozenset({BUYER}),
        lambda w, a: mismatched_invoice(w),
        {SELLER: "InvoicesNotParty", "*": TRADER_DENIAL},
    ),
    Case(UNDERTAKINGS, "establish", frozenset({OBLIGOR}), _establish_args, BANK_DENIAL),
    Case(UNDERTAKINGS, "proposeAmendment", BOTH_BANKS, _amendment_args, BANK_DENIAL),
    Case(
        UNDERTAKINGS,
        "consentToAmendment",
        frozenset({RECIPIENT}),
        _proposed,
        {OBLIGOR: "PaymentUndertakingsNoAmendmentToConsent", "*": BANK_DENIAL},
    ),
    Case(
        UNDERTAKINGS,
        "assignProceeds",
        frozenset({FINANCIER}),
        _financed,
        {**{bank: "PaymentUndertakingsInvalidFinancing" for bank in BANKS}, "*": BANK_DENIAL},
    ),
    Case(UNDERTAKINGS, "acceptMismatch", frozenset({OBLIGOR}), _mismatched, BANK_DENIAL),
    Case(UNDERTAKINGS, "settle", BOTH_BANKS, _due, BANK_DENIAL),
    Case(UNDERTAKINGS, "expire", BOTH_BANKS, _lapsed, BANK_DENIAL),
]
