"""Letters of credit under UCP 600: the calls of every step, and the views their parties may see.

The contract enforces the rules (roles, states, deadlines, tolerances); this module builds the calls, keeps the
MT700-like terms off chain under their hash, and fingerprints presented documents.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from tradeledger.chain.abi import checksum
from tradeledger.chain.txmanager import ContractCall
from tradeledger.codec import InvalidValueError
from tradeledger.documents.schemas import DocumentFieldsRequest
from tradeledger.documents.service import document_fingerprints
from tradeledger.errors import NotFoundError
from tradeledger.lcs import repository
from tradeledger.lcs.models import (
    AMEND_AVAILABILITY,
    AMEND_TENOR,
    ClaimState,
    Disposition,
    LcDeferredPayment,
    LcPresentation,
    LcProceedsLeg,
    LcTransfer,
    LetterOfCredit,
    TransferState,
)
from tradeledger.lcs.schemas import (
    TENORLESS,
    AcceptAmendmentRequest,
    AmendmentConfirmationRequest,
    AmendmentRequest,
    ApplyRequest,
    LcView,
    PrepaymentRequest,
    PresentationRequest,
    ProceedsAssignmentRequest,
    RefusalRequest,
    ReimbursementClaimView,
    ReimbursementRefusalRequest,
    SubstitutionRequest,
    TransferDecisionRequest,
    TransferredPresentationRequest,
    TransferRequest,
)
from tradeledger.lcs.terms import (
    AVAILABILITY,
    TENOR_BASIS,
    LetterOfCreditTerms,
    TenorBasis,
    canonical_bytes,
    chain_parameters,
    matches_onchain_hash,
    terms_hash_hex,
)
from tradeledger.members.access import can_see, visible_accounts
from tradeledger.members.models import MemberKind
from tradeledger.operations import Pending, Submission, Written, created_id, submit, write_then_view
from tradeledger.store.db import transaction
from tradeledger.store.models import ChainTransaction
from tradeledger.terms.service import load_terms, store_canonical, store_terms
from tradeledger.users import approvals
from tradeledger.users.approvals import Held
from tradeledger.users.models import ApprovalRequest

if TYPE_CHECKING:  # the runtime composes the domains: importing it here would be a cycle
    from tradeledger.runtime import Platform

CONTRACT = "LetterOfCredit"
CALENDAR = "BankingCalendar"
AMEND_FLAGS = {
    "amount": 1,
    "expiry_date": 2,
    "latest_shipment_date": 4,
    "tolerance": 8,
    "presentation_period_days": 16,
    "partial_drawings_allowed": 32,
}


class LetterOfCreditNotFoundError(NotFoundError):
    code = "letter_of_credit_not_found"


class ReimbursementClaimNotFoundError(NotFoundError):
    code = "reimbursement_claim_not_found"


def _day(value: date) -> int:
    return int(datetime(value.year, value.month, value.day, tzinfo=UTC).timestamp())


def apply_call(db: Session, address: str, applicant: str, request: ApplyRequest) -> ContractCall:
    """Keep the terms off chain and build applyForCredit with their hash and the enforced parameters."""
    store_canonical(
        db, "letter_of_credit", canonical_bytes(request.terms).decode("utf-8"), terms_hash_hex(request.terms), applicant
    )
    parameters = chain_parameters(request.terms)
    zero = "0x0000000000000000000000000000000000000000"
    credit = (
        parameters["termsHash"],
        checksum(request.beneficiary),
        checksum(request.issuing_bank),
        checksum(request.advising_bank),
        checksum(request.confirming_bank) if request.confirming_bank else zero,
        checksum(request.available_with_bank),
        parameters["currency"],
        parameters["amount"],
        parameters["tolerancePlusBps"],
        parameters["toleranceMinusBps"],
        parameters["presentationPeriodDays"],
        parameters["partialDrawingsAllowed"],
        parameters["expiry"],
        parameters["latestShipment"],
        parameters["availability"],
        parameters["tenorDays"],
        parameters["tenorBasis"],
        parameters["transferable"],
    )
    return ContractCall(CONTRACT, address, "applyForCredit", (credit,), applicant)


LC_STEPS = {
    "issue": "issue",
    "decline": "declineApplication",
    "withdraw": "withdrawApplication",
    "advise": "advise",
    "confirm": "confirm",
    "cancel": "consentToCancellation",
    "expire": "expire",
    "close": "close",
}
PRESENTATION_STEPS = {
    "honour": "honour",
    "waive": "waiveDiscrepancies",
    "return-documents": "returnDocuments",
    "enforce-preclusion": "enforcePreclusion",
    "reimburse-nominated-bank": "reimburseNominatedBank",
    "pay-at-maturity": "payAtMaturity",
    "honour-default": "honourDefaultedUndertaking",
}


def step_call(address: str, caller: str, lc_id: int, step: str) -> ContractCall:
    return ContractCall(CONTRACT, address, LC_STEPS[step], (lc_id,), caller)


def presentation_step_call(address: str, caller: str, lc_id: int, presentation_id: int, step: str) -> ContractCall:
    return ContractCall(CONTRACT, address, PRESENTATION_STEPS[step], (lc_id, presentation_id), caller)


def amendment_call(db: Session, address: str, bank: str, lc_id: int, request: AmendmentRequest) -> ContractCall:
    """issueAmendment with the changed fields flagged; the narrative is kept off chain under its hash."""
    changes = request.changes
    given = changes.model_dump(exclude_none=True)
    flags = sum(flag for name, flag in AMEND_FLAGS.items() if name in given)
    if "tolerance_plus_bps" in given or "tolerance_minus_bps" in given:
        flags |= AMEND_FLAGS["tolerance"]
    if changes.available_by is not None:
        flags |= AMEND_AVAILABILITY
    # A tenor given, or a change to an availability that takes none (its tenor becomes 0), amends the tenor.
    if "tenor_days" in given or "tenor_basis" in given or changes.available_by in TENORLESS:
        flags |= AMEND_TENOR
    digest = store_terms(
        db, "lc_amendment", {"lc_id": lc_id, "changes": changes.model_dump(mode="json"), **request.narrative}, bank
    )
    terms = (
        flags,
        changes.tolerance_plus_bps or 0,
        changes.tolerance_minus_bps or 0,
        changes.presentation_period_days or 0,
        bool(changes.partial_drawings_allowed),
        _day(changes.expiry_date) if changes.expiry_date else 0,
        _day(changes.latest_shipment_date) if changes.latest_shipment_date else 0,
        changes.amount or 0,
        AVAILABILITY[changes.available_by.value] if changes.available_by else 0,
        changes.tenor_days or 0,
        TENOR_BASIS[(changes.tenor_basis or TenorBasis.PRESENTATION).value],
    )
    return ContractCall(CONTRACT, address, "issueAmendment", (lc_id, bytes.fromhex(digest[2:]), terms), bank)


def accept_amendment_call(address: str, beneficiary: str, lc_id: int, amendment_id: int, fields: int) -> ContractCall:
    return ContractCall(CONTRACT, address, "acceptAmendment", (lc_id, amendment_id, fields), beneficiary)


def reject_amendment_call(address: str, beneficiary: str, lc_id: int, amendment_id: int) -> ContractCall:
    return ContractCall(CONTRACT, address, "rejectAmendment", (lc_id, amendment_id), beneficiary)


def fingerprinted(documents: list[DocumentFieldsRequest], key: bytes) -> list[bytes]:
    """Every document's fingerprints, in order: what the chain sees of presented documents (never their fields)."""
    return [digest for document in documents for digest in document_fingerprints(document, key)]


def present_call(
    address: str,
    beneficiary: str,
    lc_id: int,
    request: PresentationRequest,
    key: bytes,
    amendment_id: int | None = None,
) -> ContractCall:
    """present() with every document's fingerprints, so re-use of a document across credits is flagged; with a
    transferable record, presentWithRecord() (title against payment); under a pending amendment,
    presentUnderAmendment() (Art 10c: the presentation accepts it), or presentUnderAmendmentWithRecord() with a
    record."""
    hashes = fingerprinted(request.documents, key)
    drawing = (hashes, request.amount, _day(request.shipment_date))
    record = () if request.record_id is None else (request.record_id,)
    function = "present" if amendment_id is None else "presentUnderAmendment"
    arguments = (lc_id, *drawing) if amendment_id is None else (lc_id, amendment_id, *drawing)
    return ContractCall(CONTRACT, address, function + ("WithRecord" if record else ""), arguments + record, beneficiary)


def discrepancy_code(code: str) -> bytes:
    """Discrepancy codes (ICC / bank codes such as LATE_SHIPMENT) left-aligned in bytes32."""
    try:
        data = code.strip().upper().encode("ascii")
    except UnicodeEncodeError:
        data = b""
    if not 1 <= len(data) <= 32:
        raise InvalidValueError(f"discrepancies: code {code!r} must be 1-32 ASCII characters")
    return data.ljust(32, b"\0")


def refuse_call(address: str, bank: str, lc_id: int, presentation_id: int, request: RefusalRequest) -> ContractCall:
    codes = [discrepancy_code(code) for code in request.discrepancies]
    disposition = int(Disposition[request.disposition.upper()])
    return ContractCall(CONTRACT, address, "refuse", (lc_id, presentation_id, codes, disposition), bank)


def refuse_reimbursement_call(
    address: str, bank: str, lc_id: int, presentation_id: int, request: ReimbursementRefusalRequest
) -> ContractCall:
    codes = [discrepancy_code(code) for code in request.discrepancies]
    return ContractCall(CONTRACT, address, "refuseReimbursement", (lc_id, presentation_id, codes), bank)


def settle_claim_call(address: str, applicant: str, claim_id: int) -> ContractCall:
    return ContractCall(CONTRACT, address, "settleReimbursementClaim", (claim_id,), applicant)


def holidays_call(address: str, bank: str, dates: list[date], closed: bool) -> ContractCall:
    return ContractCall(CALENDAR, address, "setHolidays", ([_day(d) for d in dates], closed), bank)


def check_quantity(db: Session, lc: LetterOfCredit, shown: int) -> None:
    """Art 30a/30b: the quantity the documents show must lie within the credit's quantity tolerance (commercial data
    the chain never sees; checked here, before anything is sent)."""
    stored = load_terms(db, lc.terms_hash)
    terms = stored.get("terms") if isinstance(stored, dict) else None
    bounds = None if terms is None else LetterOfCreditTerms.model_validate(terms).quantity_bounds()
    if bounds is not None and not bounds[0] <= shown <= bounds[1]:
        raise InvalidValueError(
            f"quantity: {shown} is outside {bounds[0].normalize()}..{bounds[1].normalize()} (UCP 600 Art 30a/30b)"
        )


def audience(db: Session, lc: LetterOfCredit, accounts: set[str] | None) -> str | None:
    """What viewers holding `accounts` (None: an auditor) see of the credit: PARTY the whole of it, SECOND_BENEFICIARY
    what was transferred to them (Art 38), ASSIGNEE what was assigned to them (Art 39); None: nothing."""
    if accounts is None or any(party in accounts for party in repository.parties(lc) if party):
        return "PARTY"
    if accounts.intersection(repository.second_beneficiaries(db, lc.lc_id)):
        return "SECOND_BENEFICIARY"
    return "ASSIGNEE" if lc.assignee in accounts else None


def visible_credit(db: Session, viewer: str, viewer_kind: MemberKind | None, lc_id: int) -> LetterOfCredit:
    """The credit, if the viewer is a party to it, a second beneficiary it was transferred to (Art 38) or the
    assignee of its proceeds (Art 39)."""
    lc = repository.get(db, lc_id)
    if lc is None or audience(db, lc, visible_accounts(db, viewer, viewer_kind)) is None:
        raise LetterOfCreditNotFoundError(f"no letter of credit {lc_id}")
    return lc


def view(db: Session, lc: LetterOfCredit, accounts: set[str] | None = None) -> LcView:
    """The credit as viewers holding `accounts` may see it (None: all of it): for its parties with its amendments,
    presentations and, when held here, its verified off-chain terms; reduced for second beneficiaries and assignees."""
    seen = audience(db, lc, accounts)
    if seen == "SECOND_BENEFICIARY":
        assert accounts is not None  # a viewer that sees everything is a party
        return _second_beneficiary_view(db, lc, accounts)
    if seen == "ASSIGNEE":
        assert accounts is not None
        return _assignee_view(db, lc, accounts)
    stored = load_terms(db, lc.terms_hash)
    terms: dict[str, Any] | None = stored.get("terms") if isinstance(stored, dict) else None
    verified = None if terms is None else matches_onchain_hash(LetterOfCreditTerms.model_validate(terms), lc.terms_hash)
    return LcView.of(
        lc,
        terms,
        verified,
        repository.amendments(db, lc.lc_id),
        repository.presentations(db, lc.lc_id),
        repository.interbank_claims(db, lc.lc_id),
        repository.deferred_payments(db, lc.lc_id),
        repository.transfers(db, lc.lc_id),
        repository.transferred_presentations(db, lc.lc_id),
        repository.proceeds_legs(db, lc.lc_id),
    )


def _legs_to(db: Session, lc: LetterOfCredit, accounts: set[str]) -> dict[int, list[LcProceedsLeg]]:
    """The honour legs paid to the viewer's accounts, by presentation id."""
    legs = {
        pid: [leg for leg in paid if leg.payee in accounts]
        for pid, paid in repository.proceeds_legs(db, lc.lc_id).items()
    }
    return {pid: paid for pid, paid in legs.items() if paid}


def _second_beneficiary_view(db: Session, lc: LetterOfCredit, accounts: set[str]) -> LcView:
    """Art 38: the transferred credit as its second beneficiary knows it: its transfers' amount and expiry, its own
    presentations and legs; not the applicant, the first credit's off-chain terms nor other second beneficiaries."""
    transfers = [t for t in repository.transfers(db, lc.lc_id) if t.second_beneficiary in accounts]
    transferred = [p for p in repository.transferred_presentations(db, lc.lc_id) if p.second_beneficiary in accounts]
    became = {p.presentation_id for p in transferred}
    legs = _legs_to(db, lc, accounts)
    presentations = [p for p in repository.presentations(db, lc.lc_id) if p.presentation_id in became]
    granted = [t for t in transfers if t.state is TransferState.TRANSFERRED]
    full = LcView.of(lc, None, None, [], presentations, legs=legs, transfers=transfers, transferred=transferred)
    return full.model_copy(
        update={
            "audience": "SECOND_BENEFICIARY",
            "applicant": None,
            "amount": str(sum(t.amount for t in granted)),
            "drawn": str(sum(leg.amount for paid in legs.values() for leg in paid)),
            "expiry": max(t.expiry for t in granted),
            "terms_hash": granted[0].terms_hash,
            "assignee": None,
            "assigned_share_bps": None,
        }
    )


def _assignee_view(db: Session, lc: LetterOfCredit, accounts: set[str]) -> LcView:
    """Art 39: the credit's identity, its assignment and the legs paid to the assignee; nothing of its terms."""
    legs = _legs_to(db, lc, accounts)
    presentations = [p for p in repository.presentations(db, lc.lc_id) if p.presentation_id in legs]
    full = LcView.of(lc, None, None, [], presentations, legs=legs)
    return full.model_copy(
        update={
            "audience": "ASSIGNEE",
            "applicant": None,
            "drawn": str(sum(leg.amount for paid in legs.values() for leg in paid)),
        }
    )


def list_credits(
    platform: Platform, viewer: str, viewer_kind: MemberKind | None, after: int | None, limit: int
) -> list[LcView]:
    with platform.sessions() as db:
        accounts = visible_accounts(db, viewer, viewer_kind)
        return [view(db, lc, accounts) for lc in repository.page(db, accounts, after, limit)]


def credit_view(platform: Platform, viewer: str, viewer_kind: MemberKind | None, lc_id: int) -> LcView:
    """One credit as the viewer may see it (see `view`)."""
    with platform.sessions() as db:
        accounts = visible_accounts(db, viewer, viewer_kind)
        return view(db, visible_credit(db, viewer, viewer_kind, lc_id), accounts)


def list_claims(
    platform: Platform, viewer: str, viewer_kind: MemberKind | None, state: ClaimState | None, after: int | None,
    limit: int,
) -> list[ReimbursementClaimView]:  # fmt: skip
    """Reimbursement claims the viewer is creditor or debtor of (a bank: also its clients'; an auditor: all)."""
    with platform.sessions() as db:
        claims = repository.claims_page(db, visible_accounts(db, viewer, viewer_kind), state, after, limit)
        return [ReimbursementClaimView.of(claim) for claim in claims]


def claim_view(
    platform: Platform, viewer: str, viewer_kind: MemberKind | None, claim_id: int
) -> ReimbursementClaimView:
    """One reimbursement claim the viewer is a party to; any other answers 404, as if it did not exist."""
    with platform.sessions() as db:
        claim = repository.claim(db, claim_id)
        if claim is None or not can_see(db, viewer, viewer_kind, [claim.issuing_bank, claim.applicant]):
            raise ReimbursementClaimNotFoundError(f"no reimbursement claim {claim_id}")
        return ReimbursementClaimView.of(claim)


def _on_credit(
    platform: Platform, caller: str, caller_kind: MemberKind | None, lc_id: int, call: ContractCall,
    submission: Submission,
) -> LcView | Pending:  # fmt: skip
    """A step on a credit the caller may see (a hidden one answers 404 before anything is sent)."""
    credit_view(platform, caller, caller_kind, lc_id)
    return write_then_view(platform, call, submission, lambda _: credit_view(platform, caller, caller_kind, lc_id))


def apply(
    platform: Platform, applicant: str, applicant_kind: MemberKind | None, request: ApplyRequest,
    submission: Submission,
) -> LcView | Pending:  # fmt: skip
    """The applicant applies for a credit: the terms stored off chain, their hash on chain, the credit read back."""
    with transaction(platform.sessions) as db:
        call = apply_call(db, platform.address(CONTRACT), applicant, request)

    def created(row: ChainTransaction) -> LcView:
        lc_id = created_id(platform, row, CONTRACT, "LetterOfCreditApplied", "lcId")
        return credit_view(platform, applicant, applicant_kind, lc_id)

    return write_then_view(platform, call, submission, created)


ISSUE, CONFIRM, AMEND, HONOUR, REIMBURSE = "lc.issue", "lc.confirm", "lc.amend", "lc.honour", "lc.reimburse"
PREPAY, HONOUR_DEFAULT = "lc.prepay", "lc.honour_default"
HOLDABLE_STEPS = {"issue": ISSUE, "confirm": CONFIRM}  # they commit the bank for the credit's amount
HOLDABLE_PRESENTATION_STEPS = {  # they pay the drawing
    "honour": HONOUR,
    "reimburse-nominated-bank": REIMBURSE,
    "honour-default": HONOUR_DEFAULT,
}


def run_step(
    platform: Platform, caller: str, caller_kind: MemberKind | None, lc_id: int, step: str, submission: Submission
) -> LcView | Pending | Held:
    """One lifecycle step of a credit (issue, advise, confirm, cancel, expire, ...); an issue or a confirmation that
    a policy of the submitter's member covers is held for approval instead (`lc.issue`, `lc.confirm`: the credit's
    amount and currency)."""
    operation = HOLDABLE_STEPS.get(step)
    if operation is not None:

        def credit(db: Session) -> tuple[int, str]:
            lc = visible_credit(db, caller, caller_kind, lc_id)
            return lc.amount, lc.currency

        held = approvals.hold(platform, submission, operation, approvals.arguments(lc_id=lc_id), credit)
        if held is not None:
            return held
    call = step_call(platform.address(CONTRACT), caller, lc_id, step)
    return _on_credit(platform, caller, caller_kind, lc_id, call, submission)


def issue_amendment(
    platform: Platform, bank: str, bank_kind: MemberKind | None, lc_id: int, request: AmendmentRequest,
    submission: Submission,
) -> LcView | Pending | Held:  # fmt: skip
    """The issuing bank issues an amendment, its changed terms stored off chain; held for approval when a policy
    of the submitter's member covers it (`lc.amend`: the credit's amount after the amendment)."""
    credit = credit_view(platform, bank, bank_kind, lc_id)
    amount = request.changes.amount if request.changes.amount is not None else int(credit.amount)
    target = approvals.arguments(request, lc_id=lc_id)
    held = approvals.hold(platform, submission, AMEND, target, lambda _: (amount, credit.currency))
    if held is not None:
        return held
    with transaction(platform.sessions) as db:
        call = amendment_call(db, platform.address(CONTRACT), bank, lc_id, request)
    return write_then_view(platform, call, submission, lambda _: credit_view(platform, bank, bank_kind, lc_id))


def accept_amendment(
    platform: Platform, beneficiary: str, beneficiary_kind: MemberKind | None, lc_id: int, amendment_id: int,
    request: AcceptAmendmentRequest, submission: Submission,
) -> LcView | Pending:  # fmt: skip
    """The beneficiary accepts an amendment: by default all the fields it changes (partial is rejection)."""
    credit = credit_view(platform, beneficiary, beneficiary_kind, lc_id)
    amendment = next((a for a in credit.amendments if a.amendment_id == str(amendment_id)), None)
    fields = request.accepted_fields if request.accepted_fields is not None else (amendment.fields if amendment else 0)
    call = accept_amendment_call(platform.address(CONTRACT), beneficiary, lc_id, amendment_id, fields)
    return write_then_view(
        platform, call, submission, lambda _: credit_view(platform, beneficiary, beneficiary_kind, lc_id)
    )


def reject_amendment(
    platform: Platform, beneficiary: str, beneficiary_kind: MemberKind | None, lc_id: int, amendment_id: int,
    submission: Submission,
) -> LcView | Pending:  # fmt: skip
    """The beneficiary rejects an amendment; the credit keeps its terms."""
    call = reject_amendment_call(platform.address(CONTRACT), beneficiary, lc_id, amendment_id)
    return _on_credit(platform, beneficiary, beneficiary_kind, lc_id, call, submission)


def present(
    platform: Platform, beneficiary: str, beneficiary_kind: MemberKind | None, lc_id: int,
    request: PresentationRequest, submission: Submission, amendment_id: int | None = None,
) -> LcView | Pending:  # fmt: skip
    """The beneficiary presents documents, fingerprinted under the platform's secret; under a pending amendment the
    presentation must comply with the credit and the amendment, and accepts the amendment (Art 10c)."""
    if request.quantity is not None:
        with platform.sessions() as db:
            check_quantity(db, visible_credit(db, beneficiary, beneficiary_kind, lc_id), request.quantity)
    key = platform.settings.fingerprint_secret()
    call = present_call(platform.address(CONTRACT), beneficiary, lc_id, request, key, amendment_id)
    return _on_credit(platform, beneficiary, beneficiary_kind, lc_id, call, submission)


def advise_amendment(
    platform: Platform, bank: str, bank_kind: MemberKind | None, lc_id: int, amendment_id: int, submission: Submission
) -> LcView | Pending:
    """The advising bank advises an amendment to the beneficiary (Art 9d)."""
    call = ContractCall(CONTRACT, platform.address(CONTRACT), "adviseAmendment", (lc_id, amendment_id), bank)
    return _on_credit(platform, bank, bank_kind, lc_id, call, submission)


def decide_amendment_confirmation(
    platform: Platform, bank: str, bank_kind: MemberKind | None, lc_id: int, amendment_id: int,
    request: AmendmentConfirmationRequest, submission: Submission,
) -> LcView | Pending:  # fmt: skip
    """The confirming bank extends its confirmation to an amendment, or declines and says so (Art 10b)."""
    arguments = (lc_id, amendment_id, request.extend)
    call = ContractCall(CONTRACT, platform.address(CONTRACT), "decideAmendmentConfirmation", arguments, bank)
    return _on_credit(platform, bank, bank_kind, lc_id, call, submission)


def refuse_reimbursement(
    platform: Platform, bank: str, bank_kind: MemberKind | None, lc_id: int, presentation_id: int,
    request: ReimbursementRefusalRequest, submission: Submission,
) -> LcView | Pending:  # fmt: skip
    """The issuing bank refuses a nominated bank's forwarded documents within its own examination (Art 16d)."""
    call = refuse_reimbursement_call(platform.address(CONTRACT), bank, lc_id, presentation_id, request)
    return _on_credit(platform, bank, bank_kind, lc_id, call, submission)


def prepay(
    platform: Platform, bank: str, bank_kind: MemberKind | None, lc_id: int, presentation_id: int,
    request: PrepaymentRequest, submission: Submission,
) -> LcView | Pending | Held:  # fmt: skip
    """The nominated bank prepays or purchases its own deferred undertaking before maturity (Art 12b), paying the
    beneficiary the amount less its discount; held for approval when a policy of the submitter's member covers it
    (`lc.prepay`: what the bank pays now)."""

    def paid_now(db: Session) -> tuple[int, str]:
        lc = visible_credit(db, bank, bank_kind, lc_id)
        deferred = db.get(LcDeferredPayment, (lc_id, presentation_id))
        return (0 if deferred is None else max(deferred.amount - request.discount, 0)), lc.currency

    target = approvals.arguments(request, lc_id=lc_id, presentation_id=presentation_id)
    held = approvals.hold(platform, submission, PREPAY, target, paid_now)
    if held is not None:
        return held
    args = (lc_id, presentation_id, request.discount)
    call = ContractCall(CONTRACT, platform.address(CONTRACT), "prepayDeferredPayment", args, bank)
    return _on_credit(platform, bank, bank_kind, lc_id, call, submission)


def refuse(
    platform: Platform, bank: str, bank_kind: MemberKind | None, lc_id: int, presentation_id: int,
    request: RefusalRequest, submission: Submission,
) -> LcView | Pending:  # fmt: skip
    """The issuing bank refuses a discrepant presentation with its one notice."""
    call = refuse_call(platform.address(CONTRACT), bank, lc_id, presentation_id, request)
    return _on_credit(platform, bank, bank_kind, lc_id, call, submission)


def presentation_step(
    platform: Platform, caller: str, caller_kind: MemberKind | None, lc_id: int, presentation_id: int, step: str,
    submission: Submission,
) -> LcView | Pending | Held:  # fmt: skip
    """Honour (issuing or nominated bank), waive, return documents, enforce preclusion, reimburse the nominated
    bank that honoured (Art 7c), or honour the undertaking a nominated bank did not pay at maturity (Art 7a) of a
    presentation; an honour, a reimbursement or an honour of a default that a policy of the submitter's member covers
    is held for approval instead (`lc.honour`, `lc.reimburse`, `lc.honour_default`: the drawing's amount and
    currency)."""
    operation = HOLDABLE_PRESENTATION_STEPS.get(step)
    if operation is not None:

        def drawing(db: Session) -> tuple[int, str]:
            lc = visible_credit(db, caller, caller_kind, lc_id)
            presentation = db.get(LcPresentation, (lc_id, presentation_id))
            return presentation.amount if presentation is not None else 0, lc.currency

        target = approvals.arguments(lc_id=lc_id, presentation_id=presentation_id)
        held = approvals.hold(platform, submission, operation, target, drawing)
        if held is not None:
            return held
    call = presentation_step_call(platform.address(CONTRACT), caller, lc_id, presentation_id, step)
    return _on_credit(platform, caller, caller_kind, lc_id, call, submission)


def _send_step(platform: Platform, request: ApprovalRequest, submission: Submission) -> object:
    """An approved issue or confirmation: the same command, as the member that holds it (its policy applied)."""
    member, kind = approvals.acting(platform, request)
    step = next(step for step, operation in HOLDABLE_STEPS.items() if operation == request.operation)
    return run_step(platform, member, kind, int(request.target["lc_id"]), step, submission)


def _send_amendment(platform: Platform, request: ApprovalRequest, submission: Submission) -> object:
    member, kind = approvals.acting(platform, request)
    body = approvals.body_of(request, AmendmentRequest)
    return issue_amendment(platform, member, kind, int(request.target["lc_id"]), body, submission)


def _send_presentation_step(platform: Platform, request: ApprovalRequest, submission: Submission) -> object:
    """An approved honour, reimbursement or honour of a default: the same command, as the member that holds it."""
    member, kind = approvals.acting(platform, request)
    step = next(step for step, operation in HOLDABLE_PRESENTATION_STEPS.items() if operation == request.operation)
    lc_id, presentation_id = int(request.target["lc_id"]), int(request.target["presentation_id"])
    return presentation_step(platform, member, kind, lc_id, presentation_id, step, submission)


for _operation in HOLDABLE_STEPS.values():
    approvals.register(_operation, _send_step)
approvals.register(AMEND, _send_amendment)
for _operation in HOLDABLE_PRESENTATION_STEPS.values():
    approvals.register(_operation, _send_presentation_step)


def _send_prepayment(platform: Platform, request: ApprovalRequest, submission: Submission) -> object:
    """An approved prepayment (Art 12b): the same command, as the member that holds it."""
    member, kind = approvals.acting(platform, request)
    body = approvals.body_of(request, PrepaymentRequest)
    lc_id, presentation_id = int(request.target["lc_id"]), int(request.target["presentation_id"])
    return prepay(platform, member, kind, lc_id, presentation_id, body, submission)


approvals.register(PREPAY, _send_prepayment)


SETTLE_CLAIM = "lc.settle_claim"  # the applicant pays the issuing bank: holdable


def settle_claim(
    platform: Platform, applicant: str, applicant_kind: MemberKind | None, claim_id: int, submission: Submission
) -> LcView | Pending | Held:
    """The applicant pays the issuing bank's open reimbursement claim; the answer is the claim's credit. Held for
    approval when a policy of the submitter's member covers it (`lc.settle_claim`: the claim's amount)."""
    with platform.sessions() as db:
        claim = repository.claim(db, claim_id)
        if claim is None:
            raise LetterOfCreditNotFoundError(f"no reimbursement claim {claim_id}")
        lc_id, amount, currency = claim.lc_id, claim.amount, claim.currency

    def owed(db: Session) -> tuple[int, str]:
        visible_credit(db, applicant, applicant_kind, lc_id)  # a claim on a hidden credit answers 404, held or not
        return amount, currency

    held = approvals.hold(platform, submission, SETTLE_CLAIM, approvals.arguments(claim_id=claim_id), owed)
    if held is not None:
        return held
    call = settle_claim_call(platform.address(CONTRACT), applicant, claim_id)
    return _on_credit(platform, applicant, applicant_kind, lc_id, call, submission)


def _send_claim_settlement(platform: Platform, request: ApprovalRequest, submission: Submission) -> object:
    """An approved settlement: the same command, as the applicant member that holds it."""
    member, kind = approvals.acting(platform, request)
    return settle_claim(platform, member, kind, int(request.target["claim_id"]), submission)


approvals.register(SETTLE_CLAIM, _send_claim_settlement)


TRANSFER = "lc.transfer"  # the transferring bank's consent commits it for the transferred amount (Art 38a)


def request_transfer(
    platform: Platform, beneficiary: str, beneficiary_kind: MemberKind | None, lc_id: int, request: TransferRequest,
    submission: Submission,
) -> LcView | Pending:  # fmt: skip
    """The first beneficiary asks for a transfer (Art 38b, 38d, 38g): the transferred terms kept off chain under
    their hash; an omitted expiry is the credit's own (the chain takes 0 as the credit's shipment and period)."""
    with transaction(platform.sessions) as db:
        lc = visible_credit(db, beneficiary, beneficiary_kind, lc_id)
        digest = store_terms(db, "lc_transfer", {"lc_id": lc_id, **request.model_dump(mode="json")}, beneficiary)
    terms = (
        checksum(request.second_beneficiary),
        bytes.fromhex(digest[2:]),
        request.amount,
        _day(request.expiry_date) if request.expiry_date else lc.expiry,
        _day(request.latest_shipment_date) if request.latest_shipment_date else 0,
        request.presentation_period_days or 0,
    )
    call = ContractCall(CONTRACT, platform.address(CONTRACT), "requestTransfer", (lc_id, terms), beneficiary)
    return _on_credit(platform, beneficiary, beneficiary_kind, lc_id, call, submission)


def decide_transfer(
    platform: Platform, bank: str, bank_kind: MemberKind | None, lc_id: int, transfer_id: int,
    request: TransferDecisionRequest, submission: Submission,
) -> LcView | Pending | Held:  # fmt: skip
    """The transferring bank consents to a transfer or declines it (Art 38a); a consent that a policy of the
    submitter's member covers is held for approval (`lc.transfer`: the transferred amount), a refusal commits
    nothing and is never held."""
    if request.consent:

        def transferred(db: Session) -> tuple[int, str]:
            lc = visible_credit(db, bank, bank_kind, lc_id)
            transfer = db.get(LcTransfer, (lc_id, transfer_id))
            return (0 if transfer is None else transfer.amount), lc.currency

        target = approvals.arguments(request, lc_id=lc_id, transfer_id=transfer_id)
        held = approvals.hold(platform, submission, TRANSFER, target, transferred)
        if held is not None:
            return held
    arguments = (lc_id, transfer_id, request.consent)
    call = ContractCall(CONTRACT, platform.address(CONTRACT), "decideTransfer", arguments, bank)
    return _on_credit(platform, bank, bank_kind, lc_id, call, submission)


def _send_transfer_decision(platform: Platform, request: ApprovalRequest, submission: Submission) -> object:
    """An approved consent to a transfer: the same command, as the bank member that holds it."""
    member, kind = approvals.acting(platform, request)
    body = approvals.body_of(request, TransferDecisionRequest)
    lc_id, transfer_id = int(request.target["lc_id"]), int(request.target["transfer_id"])
    return decide_transfer(platform, member, kind, lc_id, transfer_id, body, submission)


approvals.register(TRANSFER, _send_transfer_decision)


def present_transferred(
    platform: Platform, second: str, second_kind: MemberKind | None, lc_id: int, transfer_id: int,
    request: TransferredPresentationRequest, submission: Submission,
) -> LcView | Pending:  # fmt: skip
    """The second beneficiary presents to the transferring bank (38k), its documents fingerprinted like any
    presentation's."""
    key = platform.settings.fingerprint_secret()
    hashes = fingerprinted(request.documents, key)
    arguments = (lc_id, transfer_id, hashes, request.amount, _day(request.shipment_date))
    call = ContractCall(CONTRACT, platform.address(CONTRACT), "presentTransferred", arguments, second)
    return _on_credit(platform, second, second_kind, lc_id, call, submission)


def substitute_invoice(
    platform: Platform, beneficiary: str, beneficiary_kind: MemberKind | None, lc_id: int, presented_id: int,
    request: SubstitutionRequest, submission: Submission,
) -> LcView | Pending:  # fmt: skip
    """The first beneficiary substitutes its invoice (and draft) and presents the documents under the credit for
    its own invoice amount (Art 38h)."""
    key = platform.settings.fingerprint_secret()
    hashes = fingerprinted(request.documents, key)
    arguments = (lc_id, presented_id, hashes, request.amount)
    call = ContractCall(CONTRACT, platform.address(CONTRACT), "substituteInvoice", arguments, beneficiary)
    return _on_credit(platform, beneficiary, beneficiary_kind, lc_id, call, submission)


def transferred_step(
    platform: Platform, bank: str, bank_kind: MemberKind | None, lc_id: int, presented_id: int, step: str,
    submission: Submission,
) -> LcView | Pending:  # fmt: skip
    """The transferring bank demands the first beneficiary's substitution, or, the demand lapsed, forwards the
    second beneficiary's documents as presented (Art 38i): the hashes it presented, read back in their order."""
    if step == "demand-substitution":
        arguments: tuple[object, ...] = (lc_id, presented_id)
        function = "demandSubstitution"
    else:
        with platform.sessions() as db:
            visible_credit(db, bank, bank_kind, lc_id)
            hashes = [bytes.fromhex(h[2:]) for h in repository.transferred_documents(db, lc_id, presented_id)]
        arguments, function = (lc_id, presented_id, hashes), "forwardAsPresented"
    call = ContractCall(CONTRACT, platform.address(CONTRACT), function, arguments, bank)
    return _on_credit(platform, bank, bank_kind, lc_id, call, submission)


def assign_proceeds(
    platform: Platform, beneficiary: str, beneficiary_kind: MemberKind | None, lc_id: int,
    request: ProceedsAssignmentRequest, submission: Submission,
) -> LcView | Pending:  # fmt: skip
    """The beneficiary assigns a share of its proceeds to an active member (Art 39); it keeps the right to present."""
    arguments = (lc_id, checksum(request.assignee), request.share_bps)
    call = ContractCall(CONTRACT, platform.address(CONTRACT), "assignProceeds", arguments, beneficiary)
    return _on_credit(platform, beneficiary, beneficiary_kind, lc_id, call, submission)


def set_holidays(platform: Platform, bank: str, dates: list[date], closed: bool, submission: Submission) -> Written:
    """A bank registers the days it is closed (or open again)."""
    return submit(platform, holidays_call(platform.address(CALENDAR), bank, dates, closed), submission)
