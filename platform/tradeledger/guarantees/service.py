"""Demand guarantees, counter-guarantees and standbys: the calls of the main steps, and the views their parties
may see.

The Undertakings contract enforces the rules (roles, states, periods, amounts); this module builds the calls and
keeps the terms, statements and documents off chain under their hashes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from tradeledger.chain.abi import checksum
from tradeledger.chain.txmanager import ContractCall
from tradeledger.codec import currency_bytes
from tradeledger.errors import NotFoundError, TradeLedgerError
from tradeledger.guarantees import repository
from tradeledger.guarantees.models import ClaimState, Undertaking, UndertakingDemand
from tradeledger.guarantees.schemas import (
    AcceptGuaranteeAmendmentRequest,
    CounterDemandRequest,
    DemandRequest,
    DemandView,
    DirectIssue,
    ExpiryEventRequest,
    GuaranteeAmendmentRequest,
    GuaranteeAmendmentView,
    GuaranteeApplication,
    GuaranteeView,
    ReductionRequest,
    RejectionRequest,
    SuspensionRequest,
)
from tradeledger.lcs.service import discrepancy_code
from tradeledger.members.access import can_see, visible_accounts
from tradeledger.members.models import MemberKind
from tradeledger.operations import Pending, Submission, created_id, write_then_view
from tradeledger.settlements.models import PostingKind
from tradeledger.statements.entries import PRESENTATION_BITS, posting_reference
from tradeledger.store.db import transaction
from tradeledger.store.models import ChainTransaction
from tradeledger.terms.service import store_terms
from tradeledger.users import approvals
from tradeledger.users.approvals import Held
from tradeledger.users.models import ApprovalRequest

if TYPE_CHECKING:  # the runtime composes the domains: importing it here would be a cycle
    from tradeledger.runtime import Platform


class GuaranteeNotFoundError(NotFoundError):
    code = "guarantee_not_found"


class NoCounterGuaranteeError(TradeLedgerError):
    """A demand under a counter-guarantee was asked for on a guarantee that no counter-guarantee supports."""

    code = "guarantee_has_no_counter_guarantee"
    http_status = 409
    title = "No counter-guarantee"


def _parties(row: Undertaking) -> list[str | None]:
    return [row.applicant, row.beneficiary, row.guarantor, row.advising_party]


def visible_guarantee(db: Session, viewer: str, viewer_kind: MemberKind | None, guarantee_id: int) -> Undertaking:
    row = repository.get(db, guarantee_id)
    if row is None or not can_see(db, viewer, viewer_kind, _parties(row)):
        raise GuaranteeNotFoundError(f"no guarantee {guarantee_id}")
    return row


def view(db: Session, row: Undertaking) -> GuaranteeView:
    """The undertaking with its amendments and demands (documents and rejection notices as hashes)."""
    documents = repository.documents(db, row.undertaking_id)
    discrepancies = repository.discrepancies(db, row.undertaking_id)
    demands = [
        DemandView.of(d, documents.get(d.demand_id, []), discrepancies.get(d.demand_id, []), _references(db, d))
        for d in repository.demands(db, row.undertaking_id)
    ]
    amendments = [GuaranteeAmendmentView.of(a) for a in repository.amendments(db, row.undertaking_id)]
    return GuaranteeView.of(row, amendments, demands, repository.reduction_steps(db, row.undertaking_id))


def _references(db: Session, demand: UndertakingDemand) -> list[str]:
    """The statement references of the demand's booked legs: its payment, and the applicant's reimbursement (at
    once, or later by settling its claim); the contract gives both legs one id, the posting kind tells them apart."""
    raw = ((demand.undertaking_id << PRESENTATION_BITS) | demand.demand_id).to_bytes(32, "big")
    kinds = []
    if demand.payment_entry_id is not None:
        kinds.append(PostingKind.UNDERTAKING_PAYMENT)
    claim = None if demand.claim_id is None else repository.claim(db, demand.claim_id)
    if demand.reimbursement_entry_id is not None or (claim is not None and claim.state is ClaimState.SETTLED):
        kinds.append(PostingKind.UNDERTAKING_REIMBURSEMENT)
    return [posting_reference(kind, raw) for kind in kinds]


def list_guarantees(
    platform: Platform, viewer: str, viewer_kind: MemberKind | None, after: int | None, limit: int
) -> list[GuaranteeView]:
    with platform.sessions() as db:
        rows = repository.page(db, visible_accounts(db, viewer, viewer_kind), after, limit)
        return [view(db, row) for row in rows]


def guarantee_view(platform: Platform, viewer: str, viewer_kind: MemberKind | None, guarantee_id: int) -> GuaranteeView:
    """One undertaking the viewer may see (a hidden one answers 404 like a missing one)."""
    with platform.sessions() as db:
        return view(db, visible_guarantee(db, viewer, viewer_kind, guarantee_id))


# ------------------------------------------------------------------------------------------------ writes

CONTRACT = "Undertakings"
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
ZERO_HASH = b"\0" * 32
RULES = {"urdg758": 0, "isp98": 1}
STEPS = {"issue": "issue", "decline": "declineApplication", "advise": "advise", "release": "release",
         "expire": "expire", "extend-automatically": "extendAutomatically",
         "notice-non-extension": "noticeNonExtension", "record-reductions": "recordScheduledReductions"}  # fmt: skip
DEMAND_STEPS = {"pay": "pay", "enforce-payment": "enforcePayment", "extend": "extendForDemand"}
ISSUE, PAY = "guarantees.issue", "guarantees.pay"  # they commit or pay the guarantor: holdable
SETTLE_CLAIM = "guarantees.settle_claim"  # the applicant pays the guarantor: holdable


DAY = 86_400


def _midnight(value: date) -> int:
    return int(datetime(value.year, value.month, value.day, tzinfo=UTC).timestamp())


def _hash(digest: str) -> bytes:
    return bytes.fromhex(digest[2:])


def _terms(db: Session, author: str, request: GuaranteeApplication) -> tuple[object, ...]:
    """The on-chain UndertakingTerms; the full terms (and the expiry event's wording) kept off chain, hashed."""
    terms_digest = store_terms(db, "undertaking", request.terms, author)
    event = ZERO_HASH
    if request.expiry_event:
        event = _hash(store_terms(db, "undertaking_expiry_event", {"expiry_event": request.expiry_event}, author))
    return (
        _hash(terms_digest),
        RULES[request.rules],
        checksum(request.beneficiary),
        checksum(request.guarantor),
        checksum(request.advising_party) if request.advising_party else ZERO_ADDRESS,
        currency_bytes(request.currency),
        request.amount,
        _midnight(request.expiry_date) if request.expiry_date else 0,
        event,
        request.examination_days,
        request.statement_excluded,
        request.reducible,
        request.counter_guarantee_of or 0,
        request.extension_days,
        request.non_extension_notice_days,
        _midnight(request.final_expiry_date) if request.final_expiry_date else 0,
        [(_midnight(step.date) // DAY, step.amount) for step in request.reduction_schedule],
    )


def apply_call(db: Session, address: str, applicant: str, request: GuaranteeApplication) -> ContractCall:
    """applyForUndertaking with the terms' hashes."""
    return ContractCall(CONTRACT, address, "applyForUndertaking", (_terms(db, applicant, request),), applicant)


def direct_issue_call(db: Session, address: str, guarantor: str, request: DirectIssue) -> ContractCall:
    """issueUndertaking: the guarantor issues on its client's behalf, with no application on chain."""
    arguments = (_terms(db, guarantor, request), checksum(request.applicant))
    return ContractCall(CONTRACT, address, "issueUndertaking", arguments, guarantor)


def _documents(db: Session, kind: str, documents: list[dict[str, Any]], author: str) -> list[bytes]:
    return [_hash(store_terms(db, kind, document, author)) for document in documents]


def _statement(db: Session, kind: str, statement: dict[str, Any] | None, author: str) -> bytes:
    return ZERO_HASH if statement is None else _hash(store_terms(db, kind, statement, author))


def demand_call(db: Session, address: str, beneficiary: str, guarantee_id: int, request: DemandRequest) -> ContractCall:
    """demand() with the hashes of the statement and the documents, which stay off chain."""
    statement = _statement(db, "guarantee_demand_statement", request.statement, beneficiary)
    documents = _documents(db, "guarantee_demand_document", request.documents, beneficiary)
    extend_to = _midnight(request.extend_to) if request.extend_to else 0
    arguments = (guarantee_id, documents, statement, request.amount, extend_to)
    return ContractCall(CONTRACT, address, "demand", arguments, beneficiary)


def _on_guarantee(
    platform: Platform, caller: str, caller_kind: MemberKind | None, guarantee_id: int, call: ContractCall,
    submission: Submission,
) -> GuaranteeView | Pending:  # fmt: skip
    """A step on an undertaking the caller may see (a hidden one answers 404 before anything is sent)."""
    guarantee_view(platform, caller, caller_kind, guarantee_id)
    return write_then_view(
        platform, call, submission, lambda _: guarantee_view(platform, caller, caller_kind, guarantee_id)
    )


def _create(
    platform: Platform, caller: str, caller_kind: MemberKind | None, call: ContractCall, submission: Submission
) -> GuaranteeView | Pending:
    """Send a call that creates an undertaking; the answer is the new undertaking."""

    def created(row: ChainTransaction) -> GuaranteeView:
        guarantee_id = created_id(platform, row, CONTRACT, "UndertakingCreated", "undertakingId")
        return guarantee_view(platform, caller, caller_kind, guarantee_id)

    return write_then_view(platform, call, submission, created)


def apply(
    platform: Platform, applicant: str, applicant_kind: MemberKind | None, request: GuaranteeApplication,
    submission: Submission,
) -> GuaranteeView | Pending:  # fmt: skip
    """The applicant applies for a guarantee or standby; the terms stored off chain, their hash on chain."""
    with transaction(platform.sessions) as db:
        call = apply_call(db, platform.address(CONTRACT), applicant, request)
    return _create(platform, applicant, applicant_kind, call, submission)


def issue_directly(
    platform: Platform, guarantor: str, guarantor_kind: MemberKind | None, request: DirectIssue,
    submission: Submission,
) -> GuaranteeView | Pending:  # fmt: skip
    """The guarantor issues a guarantee or standby directly for its client, without an instructing application
    (the contract checks that the caller is the guarantor named and the applicant an active trader)."""
    with transaction(platform.sessions) as db:
        call = direct_issue_call(db, platform.address(CONTRACT), guarantor, request)
    return _create(platform, guarantor, guarantor_kind, call, submission)


def run_step(
    platform: Platform, caller: str, caller_kind: MemberKind | None, guarantee_id: int, step: str,
    submission: Submission,
) -> GuaranteeView | Pending | Held:  # fmt: skip
    """Issue, decline, advise, release or expire an undertaking, record a standby's automatic extension or give its
    notice of non-extension (ISP98 2.06(a)); an issue that a policy of the submitter's member
    covers is held for approval (`guarantees.issue`: the undertaking's amount)."""
    if step == "issue":

        def undertaking(db: Session) -> tuple[int, str]:
            row = visible_guarantee(db, caller, caller_kind, guarantee_id)
            return row.amount, row.currency

        held = approvals.hold(platform, submission, ISSUE, approvals.arguments(guarantee_id=guarantee_id), undertaking)
        if held is not None:
            return held
    call = ContractCall(CONTRACT, platform.address(CONTRACT), STEPS[step], (guarantee_id,), caller)
    return _on_guarantee(platform, caller, caller_kind, guarantee_id, call, submission)


def demand(
    platform: Platform, beneficiary: str, beneficiary_kind: MemberKind | None, guarantee_id: int,
    request: DemandRequest, submission: Submission,
) -> GuaranteeView | Pending:  # fmt: skip
    """The beneficiary demands payment with its supporting statement and documents."""
    guarantee_view(platform, beneficiary, beneficiary_kind, guarantee_id)
    with transaction(platform.sessions) as db:
        call = demand_call(db, platform.address(CONTRACT), beneficiary, guarantee_id, request)
    return _on_guarantee(platform, beneficiary, beneficiary_kind, guarantee_id, call, submission)


def demand_step(
    platform: Platform, caller: str, caller_kind: MemberKind | None, guarantee_id: int, demand_id: int, step: str,
    submission: Submission,
) -> GuaranteeView | Pending | Held:  # fmt: skip
    """Pay a demand, enforce its payment (preclusion, URDG 24(f); end of suspension, 23(d)) or grant its extension;
    a payment that a policy of the submitter's member covers is held for approval (`guarantees.pay`: the demand's
    amount)."""
    if step == "pay":

        def demanded(db: Session) -> tuple[int, str]:
            row = visible_guarantee(db, caller, caller_kind, guarantee_id)
            demand = db.get(UndertakingDemand, (guarantee_id, demand_id))
            return demand.amount if demand is not None else 0, row.currency

        target = approvals.arguments(guarantee_id=guarantee_id, demand_id=demand_id)
        held = approvals.hold(platform, submission, PAY, target, demanded)
        if held is not None:
            return held
    call = ContractCall(CONTRACT, platform.address(CONTRACT), DEMAND_STEPS[step], (guarantee_id, demand_id), caller)
    return _on_guarantee(platform, caller, caller_kind, guarantee_id, call, submission)


def reject(
    platform: Platform, bank: str, bank_kind: MemberKind | None, guarantee_id: int, demand_id: int,
    request: RejectionRequest, submission: Submission,
) -> GuaranteeView | Pending:  # fmt: skip
    """The guarantor's one rejection notice listing every discrepancy (URDG 24(d))."""
    codes = [discrepancy_code(code) for code in request.discrepancies]
    call = ContractCall(CONTRACT, platform.address(CONTRACT), "reject", (guarantee_id, demand_id, codes), bank)
    return _on_guarantee(platform, bank, bank_kind, guarantee_id, call, submission)


def suspend(
    platform: Platform, bank: str, bank_kind: MemberKind | None, guarantee_id: int, demand_id: int,
    request: SuspensionRequest, submission: Submission,
) -> GuaranteeView | Pending:  # fmt: skip
    """The guarantor suspends payment of an "extend or pay" demand until the end of a day (URDG 23(a))."""
    until = _midnight(request.until) + 86_400 - 1
    arguments = (guarantee_id, demand_id, until)
    call = ContractCall(CONTRACT, platform.address(CONTRACT), "suspendForExtension", arguments, bank)
    return _on_guarantee(platform, bank, bank_kind, guarantee_id, call, submission)


AMEND_AMOUNT, AMEND_EXPIRY = 1, 2


def issue_amendment(
    platform: Platform, bank: str, bank_kind: MemberKind | None, guarantee_id: int,
    request: GuaranteeAmendmentRequest, submission: Submission,
) -> GuaranteeView | Pending:  # fmt: skip
    """The guarantor issues an amendment (binding on it now); the undertaking changes only when the beneficiary
    consents to every change (URDG 11; ISP98 2.06(c)). Its wording stays off chain under its hash."""
    guarantee_view(platform, bank, bank_kind, guarantee_id)
    fields = (AMEND_AMOUNT if request.amount is not None else 0) | (AMEND_EXPIRY if request.expiry_date else 0)
    changes = (fields, request.amount or 0, _midnight(request.expiry_date) if request.expiry_date else 0)
    with transaction(platform.sessions) as db:
        wording = {"guarantee_id": guarantee_id, **request.model_dump(mode="json")}
        digest = _hash(store_terms(db, "guarantee_amendment", wording, bank))
    call = ContractCall(CONTRACT, platform.address(CONTRACT), "issueAmendment", (guarantee_id, digest, changes), bank)
    return _on_guarantee(platform, bank, bank_kind, guarantee_id, call, submission)


def accept_amendment(
    platform: Platform, beneficiary: str, beneficiary_kind: MemberKind | None, guarantee_id: int,
    amendment_id: int, request: AcceptGuaranteeAmendmentRequest, submission: Submission,
) -> GuaranteeView | Pending:  # fmt: skip
    """The beneficiary consents to an amendment: by default to every change it makes (anything less is a
    rejection, URDG 11(e))."""
    current = guarantee_view(platform, beneficiary, beneficiary_kind, guarantee_id)
    amendment = next((a for a in current.amendments if a.amendment_id == str(amendment_id)), None)
    fields = request.accepted_fields if request.accepted_fields is not None else (amendment.fields if amendment else 0)
    arguments = (guarantee_id, amendment_id, fields)
    call = ContractCall(CONTRACT, platform.address(CONTRACT), "acceptAmendment", arguments, beneficiary)
    return _on_guarantee(platform, beneficiary, beneficiary_kind, guarantee_id, call, submission)


def reject_amendment(
    platform: Platform, beneficiary: str, beneficiary_kind: MemberKind | None, guarantee_id: int,
    amendment_id: int, submission: Submission,
) -> GuaranteeView | Pending:  # fmt: skip
    """The beneficiary refuses an amendment; the undertaking keeps its terms."""
    arguments = (guarantee_id, amendment_id)
    call = ContractCall(CONTRACT, platform.address(CONTRACT), "rejectAmendment", arguments, beneficiary)
    return _on_guarantee(platform, beneficiary, beneficiary_kind, guarantee_id, call, submission)


def reduce(
    platform: Platform, caller: str, caller_kind: MemberKind | None, guarantee_id: int, request: ReductionRequest,
    submission: Submission,
) -> GuaranteeView | Pending:  # fmt: skip
    """Reduce the amount: the beneficiary by its signed release of part of it (URDG 25); anyone else as the
    guarantor on a reduction event the undertaking provides for (URDG 13), which the contract allows the guarantor
    alone. The evidencing document stays off chain under its hash."""
    current = guarantee_view(platform, caller, caller_kind, guarantee_id)
    function = "releaseInPart" if caller == current.beneficiary else "reduce"
    with transaction(platform.sessions) as db:
        document = _hash(store_terms(db, "guarantee_reduction_document", request.document, caller))
    arguments = (guarantee_id, request.amount, document)
    call = ContractCall(CONTRACT, platform.address(CONTRACT), function, arguments, caller)
    return _on_guarantee(platform, caller, caller_kind, guarantee_id, call, submission)


def expire_on_event(
    platform: Platform, bank: str, bank_kind: MemberKind | None, guarantee_id: int, request: ExpiryEventRequest,
    submission: Submission,
) -> GuaranteeView | Pending:  # fmt: skip
    """The guarantor records the undertaking's stated expiry event, evidenced by a document kept off chain."""
    guarantee_view(platform, bank, bank_kind, guarantee_id)
    with transaction(platform.sessions) as db:
        document = _hash(store_terms(db, "guarantee_expiry_event_document", request.document, bank))
    call = ContractCall(CONTRACT, platform.address(CONTRACT), "expireOnEvent", (guarantee_id, document), bank)
    return _on_guarantee(platform, bank, bank_kind, guarantee_id, call, submission)


def counter_demand(
    platform: Platform, bank: str, bank_kind: MemberKind | None, guarantee_id: int, demand_id: int,
    request: CounterDemandRequest, submission: Submission,
) -> GuaranteeView | Pending:  # fmt: skip
    """The guarantor, having paid a demand under the guarantee, demands under the counter-guarantee that supports
    it, with its statement that it received a complying demand (URDG 15(b)); the answer is the counter-guarantee."""
    current = guarantee_view(platform, bank, bank_kind, guarantee_id)
    if current.counter_guarantee_id is None:
        raise NoCounterGuaranteeError(f"no counter-guarantee supports guarantee {guarantee_id}")
    counter_guarantee_id = int(current.counter_guarantee_id)
    with transaction(platform.sessions) as db:
        statement = _statement(db, "guarantee_counter_demand_statement", request.statement, bank)
        documents = _documents(db, "guarantee_counter_demand_document", request.documents, bank)
    arguments = (counter_guarantee_id, demand_id, documents, statement, request.amount)
    call = ContractCall(CONTRACT, platform.address(CONTRACT), "demandUnderCounterGuarantee", arguments, bank)
    return _on_guarantee(platform, bank, bank_kind, counter_guarantee_id, call, submission)


def settle_claim(
    platform: Platform, applicant: str, applicant_kind: MemberKind | None, claim_id: int, submission: Submission
) -> GuaranteeView | Pending | Held:
    """The applicant pays the guarantor's open reimbursement claim through the ledger; the leg carries the
    demand's statement reference (UT<id>-D<demand>-REIMB). The answer is the claim's undertaking. Held for approval
    when a policy of the submitter's member covers it (`guarantees.settle_claim`: the claim's amount)."""
    with platform.sessions() as db:
        claim = repository.claim(db, claim_id)
        if claim is None or not can_see(db, applicant, applicant_kind, [claim.applicant, claim.guarantor]):
            raise GuaranteeNotFoundError(f"no reimbursement claim {claim_id}")
        guarantee_id, owed = claim.undertaking_id, (claim.amount, claim.currency)
    held = approvals.hold(platform, submission, SETTLE_CLAIM, approvals.arguments(claim_id=claim_id), lambda _: owed)
    if held is not None:
        return held
    call = ContractCall(CONTRACT, platform.address(CONTRACT), "settleReimbursementClaim", (claim_id,), applicant)
    return _on_guarantee(platform, applicant, applicant_kind, guarantee_id, call, submission)


def _send_issue(platform: Platform, request: ApprovalRequest, submission: Submission) -> object:
    """An approved issue: the same command, as the member that holds it (its policy applied already)."""
    member, kind = approvals.acting(platform, request)
    return run_step(platform, member, kind, int(request.target["guarantee_id"]), "issue", submission)


def _send_payment(platform: Platform, request: ApprovalRequest, submission: Submission) -> object:
    member, kind = approvals.acting(platform, request)
    guarantee_id, demand_id = int(request.target["guarantee_id"]), int(request.target["demand_id"])
    return demand_step(platform, member, kind, guarantee_id, demand_id, "pay", submission)


def _send_claim_settlement(platform: Platform, request: ApprovalRequest, submission: Submission) -> object:
    """An approved settlement: the same command, as the applicant member that holds it."""
    member, kind = approvals.acting(platform, request)
    return settle_claim(platform, member, kind, int(request.target["claim_id"]), submission)


approvals.register(ISSUE, _send_issue)
approvals.register(PAY, _send_payment)
approvals.register(SETTLE_CLAIM, _send_claim_settlement)
