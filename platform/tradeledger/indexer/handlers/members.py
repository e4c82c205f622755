"""Projections of Membership: members, the consortium's governance state, proposals and votes.

The bank-set epoch is replayed exactly as the contract keeps it: every change of the active bank set (a bank
leaving or entering ACTIVE) increments it, and open proposals of older epochs become STALE at that moment
(the contract reports them STALE from then on).
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from tradeledger.indexer.fetcher import EventRecord
from tradeledger.indexer.handlers._support import evidence, existing, require, stamp
from tradeledger.indexer.projections import projector
from tradeledger.members.models import (
    Consortium,
    GovernanceProposal,
    GovernanceVote,
    Member,
    MemberKind,
    MemberStatus,
    ProposalAction,
    ProposalState,
)

MEMBERSHIP = "Membership"

projector.owns(Consortium, Member, GovernanceProposal, GovernanceVote)


def _consortium(db: Session, record: EventRecord) -> Consortium:
    consortium = db.get(Consortium, record.address)
    if consortium is None:
        consortium = Consortium(
            membership_address=record.address,
            founding_bank=None,
            active_bank_count=0,
            bank_set_epoch=0,
            proposal_count=0,
            **evidence(record),
        )
        db.add(consortium)
    return consortium


@projector.on(MEMBERSHIP, "MemberStatusChanged")
def member_status_changed(db: Session, record: EventRecord) -> None:
    args = record.args
    kind, previous, current = MemberKind(args["kind"]), MemberStatus(args["previous"]), MemberStatus(args["current"])
    sponsor = args["sponsor"] if int(args["sponsor"], 16) else None
    member = db.get(Member, args["account"])
    if member is None:
        require(previous is MemberStatus.NONE, record, f"{args['account']} first changes from {previous.name}")
        member = Member(address=args["account"], admitted_at=record.block_timestamp, **evidence(record))
        db.add(member)
    else:
        require(member.status is previous, record, f"{member.address} is {member.status.name}, not {previous.name}")
        stamp(member, record)
    member.kind, member.status, member.sponsor = kind, current, sponsor

    consortium = _consortium(db, record)
    if kind is MemberKind.BANK and (previous is MemberStatus.ACTIVE or current is MemberStatus.ACTIVE):
        if previous is MemberStatus.NONE and consortium.founding_bank is None:
            consortium.founding_bank = args["account"]  # the operator admits the first bank; later ones by vote
        consortium.active_bank_count += 1 if current is MemberStatus.ACTIVE else -1
        consortium.bank_set_epoch += 1
        stamp(consortium, record)
        db.execute(
            update(GovernanceProposal)
            .where(GovernanceProposal.state == ProposalState.OPEN, GovernanceProposal.epoch < consortium.bank_set_epoch)
            .values(state=ProposalState.STALE, **evidence(record))
            .execution_options(synchronize_session="fetch")
        )


@projector.on(MEMBERSHIP, "ProposalCreated")
def proposal_created(db: Session, record: EventRecord) -> None:
    args = record.args
    consortium = _consortium(db, record)
    require(args["epoch"] == consortium.bank_set_epoch, record, f"epoch {args['epoch']} != {consortium.bank_set_epoch}")
    db.add(
        GovernanceProposal(
            proposal_id=args["proposalId"],
            action=ProposalAction(args["action"]),
            state=ProposalState.OPEN,
            subject=args["subject"],
            proposer=args["proposer"],
            epoch=args["epoch"],
            votes=0,
            created_at=record.block_timestamp,
            executed_at=None,
            **evidence(record),
        )
    )
    consortium.proposal_count = args["proposalId"]
    stamp(consortium, record)


@projector.on(MEMBERSHIP, "ProposalVoted")
def proposal_voted(db: Session, record: EventRecord) -> None:
    args = record.args
    proposal = existing(db, GovernanceProposal, args["proposalId"], record)
    proposal.votes = args["votes"]
    stamp(proposal, record)
    db.add(GovernanceVote(proposal_id=args["proposalId"], voter=args["voter"], tally=args["votes"], **evidence(record)))


@projector.on(MEMBERSHIP, "ProposalExecuted")
def proposal_executed(db: Session, record: EventRecord) -> None:
    proposal = existing(db, GovernanceProposal, record.args["proposalId"], record)
    proposal.state = ProposalState.EXECUTED
    proposal.executed_at = record.block_timestamp
    stamp(proposal, record)
