"""Role x function matrix rows (checklist A3) for LetterOfCredit, consumed by test_role_matrix.CASES.

Authorization is membership (active member of the right kind) plus the caller's role in the credit, so most
rows allow exactly one party of a credit built by the row's builder and deny everyone else with
`LetterOfCreditUnauthorizedParty`.
"""

from __future__ import annotations

from collections.abc import Callable

from tests.contracts.helpers import BANKS, TRADERS, USD, Case, World
from tests.contracts.lc_support import (
    ADVISER,
    AMEND_AMOUNT,
    AMOUNT,
    APPLICANT,
    BENEFICIARY,
    CALENDAR,
    CONFIRMER,
    DAY,
    DEFERRED_PAYMENT,
    HOLD_PENDING_WAIVER,
    ISSUER,
    LC,
    amendment,
    balance,
    open_credit,
    present,
    presentation,
    terms,
    transfer_terms,
    warp,
)
from tests.contracts.records_matrix_cases import BILL_OF_LADING, RECORDS

NOT_PARTY = "LetterOfCreditUnauthorizedParty"
NOT_MEMBER = "LetterOfCreditNotActiveMember"
CODES = [b"DISCREPANCY".ljust(32, b"\0")]


def _apply_args(world: World, actor: str) -> tuple[object, ...]:
    beneficiary = BENEFICIARY if actor != BENEFICIARY else APPLICANT
    return (terms(world, beneficiary=world.address(beneficiary)),)


def _lc(state: str) -> Callable[[World, str], tuple[int]]:
    return lambda world, actor: (open_credit(world, state),)


def _amended(world: World) -> int:
    lc_id = open_credit(world)
    world.tx(ISSUER, LC, "issueAmendment", lc_id, world.unique("am"), amendment(AMEND_AMOUNT, amount=2 * AMOUNT))
    return lc_id


def _with_record(world: World, actor: str) -> tuple[object, ...]:
    """A credit and a bill of lading the beneficiary holds, issued by `another_bank` as the carrier."""
    holder = world.address(BENEFICIARY)
    receipt = world.tx(CONFIRMER, RECORDS, "issue", BILL_OF_LADING, world.unique("ebl"), holder, False)
    record_id = receipt.event("RecordIssued")["recordId"]
    return (open_credit(world), [world.unique("doc")], 1_000, world.chain.timestamp() - DAY, record_id)


def _presented(world: World) -> tuple[int, int]:
    lc_id = open_credit(world)
    return lc_id, present(world, lc_id, 1_000)


def _refused(world: World) -> tuple[int, int]:
    lc_id, presentation_id = _presented(world)
    world.tx(ISSUER, LC, "refuse", lc_id, presentation_id, CODES, HOLD_PENDING_WAIVER)
    return lc_id, presentation_id


def _forwarded(world: World) -> tuple[int, int]:
    lc_id, presentation_id = _presented(world)
    world.tx(CONFIRMER, LC, "honour", lc_id, presentation_id)
    return lc_id, presentation_id


def _precluded(world: World) -> tuple[int, int]:
    lc_id, presentation_id = _presented(world)
    warp(world, presentation(world, lc_id, presentation_id)["deadline"] + 1)
    return lc_id, presentation_id


def _claim(world: World) -> tuple[int]:
    short = 2 * balance(world, APPLICANT)
    lc_id = open_credit(world, amount=short, tolerancePlusBps=0)
    receipt = world.tx(ISSUER, LC, "honour", lc_id, present(world, lc_id, short))
    claim_id: int = receipt.event("ReimbursementClaimOpened")["claimId"]
    world.tx(ISSUER, "Settlement", "issue", world.address(APPLICANT), USD, short, world.unique("fund"))
    return (claim_id,)


def _incurred(world: World, obligor: str) -> tuple[int, int]:
    """A deferred payment credit available with `obligor`, whose honour incurred the undertaking (Art 7a, 12b)."""
    lc_id = open_credit(world, availability=DEFERRED_PAYMENT, tenorDays=30, availableWithBank=world.address(obligor))
    presentation_id = present(world, lc_id, 1_000)
    world.tx(obligor, LC, "honour", lc_id, presentation_id)
    return lc_id, presentation_id


def _matured(world: World) -> tuple[int, int]:
    lc_id, presentation_id = _incurred(world, ISSUER)
    maturity = world.call(LC, "getDeferredPayment", lc_id, presentation_id)["maturityDay"]
    warp(world, maturity * DAY + 3600)
    return lc_id, presentation_id


def _defaulted(world: World) -> tuple[int, int]:
    """The nominated bank's undertaking, unpaid at the end of its maturity day (Art 7a iii)."""
    lc_id, presentation_id = _incurred(world, ADVISER)
    maturity = world.call(LC, "getDeferredPayment", lc_id, presentation_id)["maturityDay"]
    warp(world, (maturity + 1) * DAY + 3600)
    return lc_id, presentation_id


def _expired(world: World) -> int:
    now = world.chain.timestamp()
    lc_id = open_credit(world, expiry=now + DAY, latestShipment=now)
    warp(world, now + 6 * DAY)
    return lc_id


def _closable(world: World) -> tuple[int]:
    lc_id = _expired(world)
    world.tx(APPLICANT, LC, "expire", lc_id)
    return (lc_id,)


def _transfer_args(world: World, actor: str) -> tuple[object, ...]:
    """A transferable credit and half of it for the applicant's trader as second beneficiary (the cast has two
    traders; UCP 600 Art 38 does not bar the applicant)."""
    lc_id = open_credit(world, transferable=True)
    return lc_id, transfer_terms(world, lc_id, APPLICANT, amount=AMOUNT // 2)


def _transfer_requested(world: World) -> tuple[int, int]:
    """The beneficiary asked `bank` (the available-with, hence transferring, bank) for that transfer."""
    receipt = world.tx(BENEFICIARY, LC, "requestTransfer", *_transfer_args(world, BENEFICIARY))
    event = receipt.event("TransferRequested")
    return event["lcId"], event["transferId"]


def _transferred(world: World) -> tuple[int, int]:
    lc_id, transfer_id = _transfer_requested(world)
    world.tx(ADVISER, LC, "decideTransfer", lc_id, transfer_id, True)
    return lc_id, transfer_id


_SECOND_DOCS = [b"SECOND-BENEFICIARY-DOC".ljust(32, b"\0")]


def _transferred_presentation(world: World) -> tuple[int, int]:
    lc_id, transfer_id = _transferred(world)
    shipped = world.chain.timestamp() - DAY
    receipt = world.tx(APPLICANT, LC, "presentTransferred", lc_id, transfer_id, _SECOND_DOCS, 1_000, shipped)
    return lc_id, receipt.event("TransferredDocumentsPresented")["transferredPresentationId"]


def _substitution_lapsed(world: World) -> tuple[int, int, list[bytes]]:
    lc_id, tp_id = _transferred_presentation(world)
    receipt = world.tx(ADVISER, LC, "demandSubstitution", lc_id, tp_id)
    warp(world, receipt.event("SubstitutionDemanded")["deadline"] + 1)
    return lc_id, tp_id, _SECOND_DOCS


PARTIES_OF_STANDARD_CREDIT = frozenset({APPLICANT, BENEFICIARY, ISSUER, ADVISER, CONFIRMER})

LETTER_OF_CREDIT = [
    Case(LC, "applyForCredit", frozenset(TRADERS), _apply_args, NOT_MEMBER),
    Case(LC, "issue", frozenset({ISSUER}), _lc("APPLIED"), NOT_PARTY),
    Case(LC, "declineApplication", frozenset({ISSUER}), _lc("APPLIED"), NOT_PARTY),
    Case(LC, "withdrawApplication", frozenset({APPLICANT}), _lc("APPLIED"), NOT_PARTY),
    Case(LC, "advise", frozenset({ADVISER}), _lc("ISSUED"), NOT_PARTY),
    Case(LC, "confirm", frozenset({CONFIRMER}), _lc("ADVISED"), NOT_PARTY),
    Case(
        LC,
        "issueAmendment",
        frozenset({ISSUER}),
        lambda w, a: (open_credit(w), w.unique("am"), amendment(AMEND_AMOUNT, amount=2 * AMOUNT)),
        NOT_PARTY,
    ),
    Case(LC, "acceptAmendment", frozenset({BENEFICIARY}), lambda w, a: (_amended(w), 1, AMEND_AMOUNT), NOT_PARTY),
    Case(LC, "rejectAmendment", frozenset({BENEFICIARY}), lambda w, a: (_amended(w), 1), NOT_PARTY),
    Case(
        LC,
        "present",
        frozenset({BENEFICIARY}),
        lambda w, a: (open_credit(w), [w.unique("doc")], 1_000, w.chain.timestamp() - DAY),
        NOT_PARTY,
    ),
    Case(LC, "presentWithRecord", frozenset({BENEFICIARY}), _with_record, NOT_PARTY),
    Case(
        LC,
        "refuse",
        frozenset({ISSUER}),
        lambda w, a: (*_presented(w), CODES, HOLD_PENDING_WAIVER),
        NOT_PARTY,
    ),
    Case(LC, "waiveDiscrepancies", frozenset({APPLICANT}), lambda w, a: _refused(w), NOT_PARTY),
    # the standard credit is confirmed by CONFIRMER and available with ADVISER: both are nominated banks (Art 12, 8)
    Case(LC, "honour", frozenset({ISSUER, ADVISER, CONFIRMER}), lambda w, a: _presented(w), NOT_PARTY),
    Case(
        LC,
        "presentUnderAmendment",
        frozenset({BENEFICIARY}),
        lambda w, a: (_amended(w), 1, [w.unique("doc")], 1_000, w.chain.timestamp() - DAY),
        NOT_PARTY,
    ),
    Case(
        LC,
        "presentUnderAmendmentWithRecord",
        frozenset({BENEFICIARY}),
        lambda w, a: (_amended(w), 1, *_with_record(w, a)[1:]),
        NOT_PARTY,
    ),
    Case(LC, "adviseAmendment", frozenset({ADVISER}), lambda w, a: (_amended(w), 1), NOT_PARTY),
    Case(LC, "decideAmendmentConfirmation", frozenset({CONFIRMER}), lambda w, a: (_amended(w), 1, True), NOT_PARTY),
    # the issuing bank reimburses; the nominated bank itself collects only once the issuer is precluded (Art 16f)
    Case(
        LC,
        "reimburseNominatedBank",
        frozenset({ISSUER}),
        lambda w, a: _forwarded(w),
        {"*": NOT_PARTY, CONFIRMER: "LetterOfCreditDeadlineNotPassed"},
    ),
    Case(LC, "refuseReimbursement", frozenset({ISSUER}), lambda w, a: (*_forwarded(w), CODES), NOT_PARTY),
    Case(LC, "enforcePreclusion", frozenset({BENEFICIARY}), lambda w, a: _precluded(w), NOT_PARTY),
    # the obligor pays a matured undertaking, or the beneficiary collects it (Art 7a); only the nominated obligor
    # prepays its own undertaking (Art 12b)
    Case(LC, "payAtMaturity", frozenset({ISSUER, BENEFICIARY}), lambda w, a: _matured(w), NOT_PARTY),
    Case(
        LC,
        "prepayDeferredPayment",
        frozenset({ADVISER}),
        lambda w, a: (*_incurred(w, ADVISER), 10),
        NOT_PARTY,
    ),
    # Art 7a iii: the issuing bank honours the nominated bank's unpaid undertaking, or the beneficiary claims it
    Case(LC, "honourDefaultedUndertaking", frozenset({ISSUER, BENEFICIARY}), lambda w, a: _defaulted(w), NOT_PARTY),
    Case(LC, "returnDocuments", frozenset({ISSUER}), lambda w, a: _refused(w), NOT_PARTY),
    Case(
        LC, "settleReimbursementClaim", frozenset({APPLICANT}), lambda w, a: _claim(w), "LetterOfCreditNotClaimDebtor"
    ),
    Case(
        LC,
        "consentToCancellation",
        frozenset({ISSUER, CONFIRMER, BENEFICIARY}),
        _lc("CONFIRMED"),
        "LetterOfCreditNotAParty",
    ),
    Case(LC, "expire", PARTIES_OF_STANDARD_CREDIT, lambda w, a: (_expired(w),), "LetterOfCreditNotAParty"),
    Case(LC, "close", frozenset({ISSUER}), lambda w, a: _closable(w), NOT_PARTY),
    # Art 38: the first beneficiary asks, the transferring (available-with) bank consents, demands substitution and
    # forwards; the second beneficiary (here the applicant's trader) presents to it. Art 39: the beneficiary assigns.
    Case(LC, "requestTransfer", frozenset({BENEFICIARY}), _transfer_args, NOT_PARTY),
    Case(LC, "decideTransfer", frozenset({ADVISER}), lambda w, a: (*_transfer_requested(w), True), NOT_PARTY),
    Case(
        LC,
        "presentTransferred",
        frozenset({APPLICANT}),
        lambda w, a: (*_transferred(w), [w.unique("doc")], 1_000, w.chain.timestamp() - DAY),
        NOT_PARTY,
    ),
    Case(LC, "demandSubstitution", frozenset({ADVISER}), lambda w, a: _transferred_presentation(w), NOT_PARTY),
    Case(
        LC,
        "substituteInvoice",
        frozenset({BENEFICIARY}),
        lambda w, a: (*_transferred_presentation(w), [w.unique("invoice")], 2_000),
        NOT_PARTY,
    ),
    Case(LC, "forwardAsPresented", frozenset({ADVISER}), lambda w, a: _substitution_lapsed(w), NOT_PARTY),
    Case(
        LC,
        "assignProceeds",
        frozenset({BENEFICIARY}),
        lambda w, a: (open_credit(w), w.address(CONFIRMER), 2_500),
        NOT_PARTY,
    ),
    Case(
        CALENDAR,
        "setHolidays",
        frozenset(BANKS),
        lambda w, a: ([w.chain.timestamp() + 3 * DAY], True),
        "BankingCalendarNotActiveBank",
    ),
]
