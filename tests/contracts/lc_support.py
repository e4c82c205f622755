"""Builders for LetterOfCredit tests: terms, a credit advanced along the happy path, presentations, time.

The cast comes from `tests.contracts.helpers` (ACTORS): `trader` applies (applicant), `another_trader` is the
beneficiary, `sponsor_bank` issues, `bank` advises (and is the available-with bank), `another_bank` confirms.
"""

from __future__ import annotations

from typing import Any

from tests.contracts.helpers import USD, World

DAY = 86_400
LC = "LetterOfCredit"
CALENDAR = "BankingCalendar"

LC_STATES = (
    "NONE",
    "APPLIED",
    "ISSUED",
    "ADVISED",
    "CONFIRMED",
    "FULLY_DRAWN",
    "EXPIRED",
    "CANCELLED",
    "DECLINED",
    "WITHDRAWN",
    "CLOSED",
)
TERMINAL_LC_STATES = frozenset({"CANCELLED", "DECLINED", "WITHDRAWN", "CLOSED"})
AMENDMENT_STATES = ("NONE", "ISSUED", "ACCEPTED", "REJECTED")
PRESENTATION_STATES = ("NONE", "PRESENTED", "REFUSED", "WAIVED", "HONOURED", "RETURNED")
DISPOSITIONS = ("NONE", "HOLD_PENDING_INSTRUCTIONS", "HOLD_PENDING_WAIVER", "RETURNING", "PER_PREVIOUS_INSTRUCTIONS")
HOLD_PENDING_INSTRUCTIONS, HOLD_PENDING_WAIVER, RETURNING, PER_PREVIOUS_INSTRUCTIONS = 1, 2, 3, 4
CLAIM_STATES = ("NONE", "OPEN", "SETTLED")
PARTY = ("APPLICANT", "BENEFICIARY", "ISSUING_BANK", "ADVISING_BANK", "CONFIRMING_BANK", "AVAILABLE_WITH_BANK")
LC_HONOUR, LC_REIMBURSEMENT = 3, 4
SIGHT_PAYMENT, DEFERRED_PAYMENT, ACCEPTANCE, NEGOTIATION = 0, 1, 2, 3  # ILetterOfCredit.Availability
AFTER_PRESENTATION, AFTER_SHIPMENT = 0, 1  # ILetterOfCredit.TenorBasis
DEFERRED_STATES = ("NONE", "INCURRED", "PREPAID", "PAID", "DEFAULTED")
INTERBANK_STATES = ("NONE", "OPEN", "REIMBURSED", "REFUSED", "LAPSED")

AMEND_AMOUNT, AMEND_EXPIRY, AMEND_LATEST_SHIPMENT = 1, 2, 4
AMEND_TOLERANCE, AMEND_PRESENTATION_PERIOD, AMEND_PARTIAL_DRAWINGS = 8, 16, 32

APPLICANT, BENEFICIARY = "trader", "another_trader"
ISSUER, ADVISER, CONFIRMER = "sponsor_bank", "bank", "another_bank"
AMOUNT = 1_000_000  # 10,000.00 USD in minor units
PATH = ("APPLIED", "ISSUED", "ADVISED", "CONFIRMED")
_STEPS = {"ISSUED": (ISSUER, "issue"), "ADVISED": (ADVISER, "advise"), "CONFIRMED": (CONFIRMER, "confirm")}


def weekday(ts: int) -> int:
    """0 Monday ... 6 Sunday of the UTC day of `ts` (1970-01-01 was a Thursday)."""
    return (ts // DAY + 3) % 7


def warp(world: World, ts: int) -> None:
    """Mine a block at exactly `ts` (must be after the latest block); later blocks follow from there."""
    world.chain.rpc("evm_setNextBlockTimestamp", hex(ts))
    world.chain.rpc("evm_mine")


def start_on_monday(world: World, hour: int = 10, weeks_ahead: int = 2) -> int:
    """Warp to a Monday `hour`:00 UTC at least `weeks_ahead` weeks after the latest block; returns it."""
    now = world.chain.timestamp()
    day = now // DAY + 7 * weeks_ahead
    day += (7 - weekday(day * DAY)) % 7
    ts = day * DAY + hour * 3600
    warp(world, ts)
    return ts


def terms(world: World, **overrides: Any) -> dict[str, Any]:
    """The on-chain credit terms (CreditTerms) of a standard credit, relative to the chain's time."""
    now = world.chain.timestamp()
    value: dict[str, Any] = {
        "termsHash": world.unique("terms"),
        "beneficiary": world.address(BENEFICIARY),
        "issuingBank": world.address(ISSUER),
        "advisingBank": world.address(ADVISER),
        "confirmingBank": world.address(CONFIRMER),
        "availableWithBank": world.address(ADVISER),
        "currency": USD,
        "amount": AMOUNT,
        "tolerancePlusBps": 1_000,
        "toleranceMinusBps": 1_000,
        "presentationPeriodDays": 0,
        "partialDrawingsAllowed": True,
        "expiry": now + 60 * DAY,
        "latestShipment": now + 45 * DAY,
        "availability": SIGHT_PAYMENT,
        "tenorDays": 0,
        "tenorBasis": AFTER_PRESENTATION,
        "transferable": False,
    }
    value.update(overrides)
    return value


def transfer_terms(world: World, lc_id: int, second: str, **overrides: Any) -> dict[str, Any]:
    """TransferTerms (Art 38) of the whole credit's amount to `second`, with the credit's own dates."""
    c: dict[str, Any] = world.call(LC, "getCredit", lc_id)["terms"]
    value: dict[str, Any] = {
        "secondBeneficiary": world.address(second),
        "termsHash": world.unique("mt720"),
        "amount": c["amount"],
        "expiry": c["expiry"],
        "latestShipment": c["latestShipment"],
        "presentationPeriodDays": 0,
    }
    value.update(overrides)
    return value


def open_credit(world: World, state: str = "CONFIRMED", **overrides: Any) -> int:
    """Apply for a standard credit and advance it along APPLIED -> ISSUED -> ADVISED -> CONFIRMED to `state`."""
    receipt = world.tx(APPLICANT, LC, "applyForCredit", terms(world, **overrides))
    lc_id: int = receipt.event("LetterOfCreditApplied")["lcId"]
    for step in PATH[1 : PATH.index(state) + 1]:
        actor, function = _STEPS[step]
        world.tx(actor, LC, function, lc_id)
    return lc_id


def present(
    world: World,
    lc_id: int,
    amount: int = AMOUNT,
    *,
    shipment_date: int | None = None,
    documents: list[bytes] | None = None,
    record_id: int = 0,
) -> int:
    """Present documents as the beneficiary (with the transferable record `record_id`, if given); the shipment
    defaults to one day before now."""
    shipped = world.chain.timestamp() - DAY if shipment_date is None else shipment_date
    docs = documents if documents is not None else [world.unique("doc"), world.unique("doc")]
    drawing = (lc_id, docs, amount, shipped)
    if record_id:
        receipt = world.tx(BENEFICIARY, LC, "presentWithRecord", *drawing, record_id)
    else:
        receipt = world.tx(BENEFICIARY, LC, "present", *drawing)
    presentation_id: int = receipt.event("DocumentsPresented")["presentationId"]
    return presentation_id


def lc_error(world: World, actor: str, function: str, *args: object) -> str | None:
    """The name of the custom error the LetterOfCredit call would revert with now, or None if it would succeed."""
    error = world.error(actor, LC, function, *args)
    return None if error is None else error.name


def credit(world: World, lc_id: int) -> dict[str, Any]:
    value: dict[str, Any] = world.call(LC, "getCredit", lc_id)
    return value


def lc_state(world: World, lc_id: int) -> str:
    return LC_STATES[credit(world, lc_id)["state"]]


def presentation(world: World, lc_id: int, presentation_id: int) -> dict[str, Any]:
    value: dict[str, Any] = world.call(LC, "getPresentation", lc_id, presentation_id)
    return value


def presentation_state(world: World, lc_id: int, presentation_id: int) -> str:
    return PRESENTATION_STATES[presentation(world, lc_id, presentation_id)["state"]]


def balance(world: World, actor: str, currency: bytes = USD) -> int:
    value: int = world.call("Settlement", "balanceOf", world.address(actor), currency)
    return value


def amendment(fields: int = 0, **values: Any) -> dict[str, Any]:
    """An AmendmentTerms value: `fields` flags which of the values apply."""
    value: dict[str, Any] = {
        "fields": fields,
        "tolerancePlusBps": 0,
        "toleranceMinusBps": 0,
        "presentationPeriodDays": 0,
        "partialDrawingsAllowed": False,
        "expiry": 0,
        "latestShipment": 0,
        "amount": 0,
    }
    value.update(values)
    return value
