"""Projections of Undertakings: demand guarantees, counter-guarantees and standbys, their amendments, demands
(documents, rejection notices, payments) and reimbursement claims.

The undertaking's state follows `UndertakingStateChanged` (the contract's one `_transition`), except the first
edge NONE -> APPLIED, which comes just before `UndertakingCreated` creates the row. Utilisation (paid, reduced,
reserved, counters, the steps of the reduction schedule recorded) is replayed exactly as the contract keeps it.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from tradeledger.chain.abi import checksum
from tradeledger.guarantees.models import (
    AmendmentState,
    ClaimState,
    DemandState,
    Rules,
    Undertaking,
    UndertakingAmendment,
    UndertakingClaim,
    UndertakingDemand,
    UndertakingDemandDocument,
    UndertakingDiscrepancy,
    UndertakingReductionStep,
    UndertakingState,
)
from tradeledger.indexer.fetcher import EventRecord
from tradeledger.indexer.handlers._support import (
    currency,
    evidence,
    existing,
    hex32,
    optional_address,
    require,
    seconds,
    stamp,
)
from tradeledger.indexer.projections import projector

UT = "Undertakings"
AMEND_AMOUNT, AMEND_EXPIRY = 1, 2
ZERO_HASH = "0x" + "00" * 32

projector.owns(
    Undertaking,
    UndertakingAmendment,
    UndertakingDemand,
    UndertakingDemandDocument,
    UndertakingDiscrepancy,
    UndertakingClaim,
    UndertakingReductionStep,
)


def _optional_hash(value: str) -> str | None:
    text = hex32(value)
    return None if text == ZERO_HASH else text


def _undertaking(db: Session, record: EventRecord, key: str = "undertakingId") -> Undertaking:
    undertaking = existing(db, Undertaking, record.args[key], record)
    stamp(undertaking, record)
    return undertaking


def _demand(db: Session, record: EventRecord, *expected: DemandState) -> UndertakingDemand:
    key = (record.args["undertakingId"], record.args["demandId"])
    demand = existing(db, UndertakingDemand, key, record)
    require(demand.state in expected, record, f"demand {key} is {demand.state.name}")
    stamp(demand, record)
    return demand


def _close(db: Session, record: EventRecord, demand: UndertakingDemand, state: DemandState) -> Undertaking:
    """The demand leaves the open ones: its amount is no longer reserved."""
    demand.state = state
    undertaking = _undertaking(db, record)
    undertaking.reserved -= demand.amount
    undertaking.open_demand_count -= 1
    return undertaking


# ------------------------------------------------------------------------------------------------ undertaking


@projector.on(UT, "UndertakingStateChanged")
def state_changed(db: Session, record: EventRecord) -> None:
    before, after = UndertakingState(record.args["from"]), UndertakingState(record.args["to"])
    if before is UndertakingState.NONE:
        return  # UndertakingCreated follows in the same call and creates the row
    undertaking = _undertaking(db, record)
    require(undertaking.state is before, record, f"undertaking {undertaking.undertaking_id} is not {before.name}")
    undertaking.state = after


@projector.on(UT, "UndertakingCreated")
def created(db: Session, record: EventRecord) -> None:
    args = record.args
    (
        terms_hash,
        rules,
        beneficiary,
        guarantor,
        advising_party,
        code,
        amount,
        expiry,
        expiry_event,
        examination_days,
        statement_excluded,
        reducible,
        counter_guarantee_of,
        extension_days,
        non_extension_notice_days,
        final_expiry,
        reduction_schedule,
    ) = args["terms"]
    require(guarantor.lower() == args["guarantor"].lower(), record, "terms name another guarantor")
    db.add(
        Undertaking(
            undertaking_id=args["undertakingId"],
            rules=Rules(rules),
            direct=bool(args["direct"]),
            applicant=args["applicant"],
            beneficiary=checksum(beneficiary),
            guarantor=args["guarantor"],
            advising_party=optional_address(checksum(advising_party)),
            terms_hash=hex32(terms_hash),
            currency=currency(code),
            amount=amount,
            expiry=expiry,
            expiry_event=_optional_hash(expiry_event),
            examination_days=examination_days,
            statement_excluded=bool(statement_excluded),
            reducible=bool(reducible),
            counter_guarantee_of=counter_guarantee_of or None,
            counter_guarantee_id=None,
            state=UndertakingState.APPLIED,
            issued_at=None,
            paid=0,
            reduced=0,
            reserved=0,
            amendment_count=0,
            demand_count=0,
            open_demand_count=0,
            expiry_event_document=None,
            extension_days=extension_days,
            non_extension_notice_days=non_extension_notice_days,
            final_expiry=final_expiry or None,
            non_extension_noticed=False,
            reductions_recorded=0,
            **evidence(record),
        )
    )
    for step, (day, reduction) in enumerate(reduction_schedule, start=1):
        db.add(
            UndertakingReductionStep(
                undertaking_id=args["undertakingId"],
                step=step,
                day=day,
                amount=reduction,
                recorded_at=None,
                **evidence(record),
            )
        )


@projector.on(UT, "UndertakingIssued")
def issued(db: Session, record: EventRecord) -> None:
    undertaking = _undertaking(db, record)
    undertaking.expiry = record.args["expiry"]
    undertaking.issued_at = seconds(record)


@projector.on(UT, "CounterGuaranteeLinked")
def counter_guarantee_linked(db: Session, record: EventRecord) -> None:
    _undertaking(db, record, "guaranteeId").counter_guarantee_id = record.args["counterGuaranteeId"]


@projector.on(UT, "UndertakingDeclined")
@projector.on(UT, "UndertakingReleased")
def undertaking_event(db: Session, record: EventRecord) -> None:
    """Events whose state change came with UndertakingStateChanged: keep them as the row's evidence."""
    _undertaking(db, record)


@projector.on(UT, "UndertakingAdvised")
def advised(db: Session, record: EventRecord) -> None:
    undertaking = _undertaking(db, record)
    require(undertaking.advising_party == record.args["advisingParty"], record, "advised by another party than named")


@projector.on(UT, "UndertakingReduced")
@projector.on(UT, "UndertakingReleasedInPart")
def reduced(db: Session, record: EventRecord) -> None:
    undertaking = _undertaking(db, record)
    undertaking.reduced += record.args["amount"]
    require(_outstanding(undertaking) == record.args["outstanding"], record, "outstanding differs from the contract's")


@projector.on(UT, "UndertakingReducedOnSchedule")
def reduced_on_schedule(db: Session, record: EventRecord) -> None:
    """URDG 25(a)(ii), ISP98 2.06: a step of the reduction schedule took effect on its day (recorded once, in order)."""
    args = record.args
    undertaking = _undertaking(db, record)
    step = db.get(UndertakingReductionStep, (undertaking.undertaking_id, args["step"]))
    require(
        step is not None and step.recorded_at is None and args["step"] == undertaking.reductions_recorded + 1,
        record,
        f"step {args['step']} of undertaking {undertaking.undertaking_id} is not the next one due",
    )
    assert step is not None
    require((step.day, step.amount) == (args["day"], args["amount"]), record, "the step differs from the schedule")
    step.recorded_at = seconds(record)
    stamp(step, record)
    undertaking.reductions_recorded += 1
    undertaking.reduced += args["amount"]
    require(_outstanding(undertaking) == args["outstanding"], record, "outstanding differs from the contract's")


def _outstanding(undertaking: Undertaking) -> int:
    """Undertakings' outstanding as recorded: never below zero (a scheduled step takes only what is left)."""
    return max(undertaking.amount - undertaking.paid - undertaking.reduced, 0)


@projector.on(UT, "UndertakingExpired")
def expired(db: Session, record: EventRecord) -> None:
    _undertaking(db, record).expiry_event_document = _optional_hash(record.args["eventDocument"])


@projector.on(UT, "UndertakingExtendedAutomatically")
def extended_automatically(db: Session, record: EventRecord) -> None:
    """ISP98 2.06(a): the standby's expiry moved by its stated period, without anyone's consent."""
    undertaking = _undertaking(db, record)
    previous = record.args["previousExpiry"]
    require(undertaking.expiry == previous, record, f"undertaking {undertaking.undertaking_id} expiry differs")
    undertaking.expiry = record.args["expiry"]


@projector.on(UT, "NonExtensionNoticeGiven")
def non_extension_noticed(db: Session, record: EventRecord) -> None:
    undertaking = _undertaking(db, record)
    require(undertaking.guarantor == record.args["guarantor"], record, "notice given by another party than the issuer")
    undertaking.non_extension_noticed = True


# ------------------------------------------------------------------------------------------------ amendments


@projector.on(UT, "AmendmentIssued")
def amendment_issued(db: Session, record: EventRecord) -> None:
    args = record.args
    undertaking = _undertaking(db, record)
    fields, amount, expiry = args["changes"]
    db.add(
        UndertakingAmendment(
            undertaking_id=undertaking.undertaking_id,
            amendment_id=args["amendmentId"],
            amendment_hash=hex32(args["amendmentHash"]),
            fields=fields,
            amount=amount,
            expiry=expiry,
            state=AmendmentState.ISSUED,
            partial_acceptance=None,
            issued_at=seconds(record),
            decided_at=None,
            **evidence(record),
        )
    )
    undertaking.amendment_count = args["amendmentId"]


def _amendment(db: Session, record: EventRecord, state: AmendmentState) -> UndertakingAmendment:
    key = (record.args["undertakingId"], record.args["amendmentId"])
    amendment = existing(db, UndertakingAmendment, key, record)
    require(amendment.state is AmendmentState.ISSUED, record, f"amendment {key} is {amendment.state.name}")
    stamp(amendment, record)
    amendment.state = state
    amendment.decided_at = seconds(record)
    return amendment


@projector.on(UT, "AmendmentAccepted")
def amendment_accepted(db: Session, record: EventRecord) -> None:
    amendment = _amendment(db, record, AmendmentState.ACCEPTED)
    undertaking = _undertaking(db, record)
    if amendment.fields & AMEND_AMOUNT:
        undertaking.amount = amendment.amount
    if amendment.fields & AMEND_EXPIRY:
        undertaking.expiry = amendment.expiry


@projector.on(UT, "AmendmentRejected")
def amendment_rejected(db: Session, record: EventRecord) -> None:
    _amendment(db, record, AmendmentState.REJECTED).partial_acceptance = bool(record.args["partialAcceptance"])


# ------------------------------------------------------------------------------------------------ demands


@projector.on(UT, "DemandPresented")
def demand_presented(db: Session, record: EventRecord) -> None:
    args = record.args
    undertaking = _undertaking(db, record)
    demand_id, amount, documents = args["demandId"], args["amount"], args["documentHashes"]
    under_demand_id = args["underDemandId"] or None
    db.add(
        UndertakingDemand(
            undertaking_id=undertaking.undertaking_id,
            demand_id=demand_id,
            beneficiary=args["beneficiary"],
            amount=amount,
            statement_hash=_optional_hash(args["statementHash"]),
            document_count=len(documents),
            state=DemandState.PRESENTED,
            presented_at=seconds(record),
            presentation_day=args["presentationDay"],
            deadline=args["deadline"],
            extend_to=args["extendTo"] or None,
            suspended_until=None,
            discrepancy_count=0,
            precluded=False,
            relayed=False,
            under_demand_id=under_demand_id,
            payment_entry_id=None,
            reimbursement_entry_id=None,
            claim_id=None,
            **evidence(record),
        )
    )
    for position, document_hash in enumerate(documents):
        db.add(
            UndertakingDemandDocument(
                undertaking_id=undertaking.undertaking_id,
                demand_id=demand_id,
                position=position,
                document_hash=hex32(document_hash),
                **evidence(record),
            )
        )
    undertaking.reserved += amount
    undertaking.open_demand_count += 1
    undertaking.demand_count = demand_id
    if under_demand_id is not None:
        require(undertaking.counter_guarantee_of is not None, record, "a relayed demand under a plain undertaking")
        key = (undertaking.counter_guarantee_of, under_demand_id)
        relayed = existing(db, UndertakingDemand, key, record)
        require(relayed.state is DemandState.PAID and not relayed.relayed, record, f"demand {key} cannot be relayed")
        relayed.relayed = True
        stamp(relayed, record)


@projector.on(UT, "DemandSuspended")
def demand_suspended(db: Session, record: EventRecord) -> None:
    demand = _demand(db, record, DemandState.PRESENTED)
    demand.state = DemandState.SUSPENDED
    demand.suspended_until = record.args["until"]


@projector.on(UT, "DemandWithdrawnByExtension")
def demand_withdrawn(db: Session, record: EventRecord) -> None:
    demand = _demand(db, record, DemandState.SUSPENDED)
    _close(db, record, demand, DemandState.WITHDRAWN).expiry = record.args["expiry"]


@projector.on(UT, "DemandPaid")
def demand_paid(db: Session, record: EventRecord) -> None:
    args = record.args
    demand = _demand(db, record, DemandState.PRESENTED, DemandState.SUSPENDED)
    require(demand.amount == args["amount"], record, "paid amount differs from the demand's")
    demand.precluded = bool(args["precluded"])
    demand.payment_entry_id = args["entryId"]
    _close(db, record, demand, DemandState.PAID).paid += demand.amount


@projector.on(UT, "DemandRejected")
def demand_rejected(db: Session, record: EventRecord) -> None:
    demand = _demand(db, record, DemandState.PRESENTED)
    discrepancies = record.args["discrepancies"]
    demand.discrepancy_count = len(discrepancies)
    _close(db, record, demand, DemandState.REJECTED)
    for position, code in enumerate(discrepancies):
        db.add(
            UndertakingDiscrepancy(
                undertaking_id=demand.undertaking_id,
                demand_id=demand.demand_id,
                position=position,
                code=hex32(code),
                **evidence(record),
            )
        )


# ------------------------------------------------------------------------------------------------ reimbursement


@projector.on(UT, "ReimbursementSettled")
def reimbursement_settled(db: Session, record: EventRecord) -> None:
    _demand(db, record, DemandState.PAID).reimbursement_entry_id = record.args["entryId"]


@projector.on(UT, "ReimbursementClaimOpened")
def reimbursement_claim_opened(db: Session, record: EventRecord) -> None:
    args = record.args
    _demand(db, record, DemandState.PAID).claim_id = args["claimId"]
    db.add(
        UndertakingClaim(
            claim_id=args["claimId"],
            undertaking_id=args["undertakingId"],
            demand_id=args["demandId"],
            guarantor=args["guarantor"],
            applicant=args["applicant"],
            currency=currency(args["currency"]),
            amount=args["amount"],
            state=ClaimState.OPEN,
            settlement_entry_id=None,
            opened_at=seconds(record),
            settled_at=None,
            **evidence(record),
        )
    )


@projector.on(UT, "ReimbursementClaimSettled")
def reimbursement_claim_settled(db: Session, record: EventRecord) -> None:
    claim = existing(db, UndertakingClaim, record.args["claimId"], record)
    require(claim.state is ClaimState.OPEN, record, f"claim {claim.claim_id} is {claim.state.name}")
    claim.state = ClaimState.SETTLED
    claim.settlement_entry_id = record.args["entryId"]
    claim.settled_at = seconds(record)
    stamp(claim, record)
