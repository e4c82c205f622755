"""Demand guarantees, counter-guarantees and standbys: the calls of the main steps, and the views their parties
may see.

The Undertakings contract enforces the rules (roles, states, periods, amounts); this module builds the calls and
keeps the terms, statements and documents off chain under their hashes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from tradeledger.chain.abi import checksum
from tradeledger.chain.txmanager import ContractCall
from tradeledger.codec import currency_bytes
from tradeledger.errors import NotFoundError
from tradeledger.guarantees import repository
from tradeledger.guarantees.models import Undertaking, UndertakingDemand
from tradeledger.guarantees.schemas import (
    DemandRequest,
    DemandView,
    GuaranteeAmendmentView,
    GuaranteeApplication,
    GuaranteeView,
    RejectionRequest,
    SuspensionRequest,
)
from tradeledger.lcs.service import discrepancy_code
from tradeledger.members.access import can_see, visible_accounts
from tradeledger.members.models import MemberKind
from tradeledger.operations import Pending, Submission, created_id, write_then_view
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
        DemandView.of(d, documents.get(d.demand_id, []), discrepancies.get(d.demand_id, []))
        for d in repository.demands(db, row.undertaking_id)
    ]
    amendments = [GuaranteeAmendmentView.of(a) for a in repository.amendments(db, row.undertaking_id)]
    return GuaranteeView.of(row, amendments, demands)


def list_guarantees(
    db: Session, viewer: str, viewer_kind: MemberKind | None, after: int | None, limit: int
) -> list[GuaranteeView]:
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
         "expire": "expire"}  # fmt: skip
DEMAND_STEPS = {"pay": "pay", "enforce-payment": "enforcePayment", "extend": "extendForDemand"}
ISSUE, PAY = "guarantees.issue", "guarantees.pay"  # they commit or pay the guarantor: holdable


def _midnight(value: date) -> int:
    return int(datetime(value.year, value.month, value.day, tzinfo=UTC).timestamp())


def _hash(digest: str) -> bytes:
    return bytes.fromhex(digest[2:])


def apply_call(db: Session, address: str, applicant: str, request: GuaranteeApplication) -> ContractCall:
    """Keep the terms (and the expiry event) off chain and build applyForUndertaking with their hashes."""
    terms_digest = store_terms(db, "undertaking", request.terms, applicant)
    event = ZERO_HASH
    if request.expiry_event:
        event = _hash(store_terms(db, "undertaking_expiry_event", {"expiry_event": request.expiry_event}, applicant))
    terms = (
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
    )
    return ContractCall(CONTRACT, address, "applyForUndertaking", (terms,), applicant)


def demand_call(db: Session, address: str, beneficiary: str, guarantee_id: int, request: DemandRequest) -> ContractCall:
    """demand() with the hashes of the statement and the documents, which stay off chain."""
    statement = ZERO_HASH
    if request.statement is not None:
        statement = _hash(store_terms(db, "guarantee_demand_statement", request.statement, beneficiary))
    documents = [_hash(store_terms(db, "guarantee_demand_document", d, beneficiary)) for d in request.documents]
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


def apply(
    platform: Platform, applicant: str, applicant_kind: MemberKind | None, request: GuaranteeApplication,
    submission: Submission,
) -> GuaranteeView | Pending:  # fmt: skip
    """The applicant applies for a guarantee or standby; the terms stored off chain, their hash on chain."""
    with transaction(platform.sessions) as db:
        call = apply_call(db, platform.address(CONTRACT), applicant, request)

    def created(row: ChainTransaction) -> GuaranteeView:
        guarantee_id = created_id(platform, row, CONTRACT, "UndertakingCreated", "undertakingId")
        return guarantee_view(platform, applicant, applicant_kind, guarantee_id)

    return write_then_view(platform, call, submission, created)


def run_step(
    platform: Platform, caller: str, caller_kind: MemberKind | None, guarantee_id: int, step: str,
    submission: Submission,
) -> GuaranteeView | Pending | Held:  # fmt: skip
    """Issue, decline, advise, release or expire an undertaking; an issue that a policy of the submitter's member
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


def _send_issue(platform: Platform, request: ApprovalRequest, submission: Submission) -> object:
    """An approved issue: the same command, as the member that holds it (its policy applied already)."""
    member, kind = approvals.acting(platform, request)
    return run_step(platform, member, kind, int(request.target["guarantee_id"]), "issue", submission)


def _send_payment(platform: Platform, request: ApprovalRequest, submission: Submission) -> object:
    member, kind = approvals.acting(platform, request)
    guarantee_id, demand_id = int(request.target["guarantee_id"]), int(request.target["demand_id"])
    return demand_step(platform, member, kind, guarantee_id, demand_id, "pay", submission)


approvals.register(ISSUE, _send_issue)
approvals.register(PAY, _send_payment)
