"""Queries of the membership read model."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from tradeledger.identity.models import ApiKey, HostedAccount
from tradeledger.members.models import ContractRoleGrant, GovernanceProposal, Member, MemberKind


def get(db: Session, address: str) -> Member | None:
    return db.get(Member, address)


def holds_role(db: Session, contract: str, role: str, account: str) -> bool:
    """Whether `account` holds `role` (0x-hex role id) on the platform contract named `contract`, as indexed."""
    query = select(ContractRoleGrant.granted).where(
        ContractRoleGrant.contract == contract, ContractRoleGrant.role == role, ContractRoleGrant.account == account
    )
    return any(db.scalars(query))


def page(db: Session, accounts: set[str] | None, after: str | None, limit: int) -> list[Member]:
    """Institutions (banks, auditors) are a public directory; traders only where `accounts` allows."""
    query = select(Member).order_by(Member.address).limit(limit)
    if accounts is not None:
        query = query.where(or_(Member.kind.in_([MemberKind.BANK, MemberKind.AUDITOR]), Member.address.in_(accounts)))
    if after is not None:
        query = query.where(Member.address > after)
    return list(db.scalars(query))


def proposal(db: Session, proposal_id: int) -> GovernanceProposal | None:
    return db.get(GovernanceProposal, proposal_id)


def proposals(db: Session, after: int | None, limit: int) -> list[GovernanceProposal]:
    query = select(GovernanceProposal).order_by(GovernanceProposal.proposal_id).limit(limit)
    if after is not None:
        query = query.where(GovernanceProposal.proposal_id > after)
    return list(db.scalars(query))


def member_name(db: Session, address: str) -> str:
    """What this instance calls a member: its hosted account's label, else its first API key's label, else its
    kind and address (names are public: only members' names, never their clients' data)."""
    label = db.scalar(select(HostedAccount.label).where(HostedAccount.address == address))
    if label is None:
        label = db.scalar(select(ApiKey.label).where(ApiKey.member == address).order_by(ApiKey.created_at).limit(1))
    if label is not None:
        return label.removeprefix("demo: ")
    member = get(db, address)
    kind = member.kind.name.lower() if member is not None else "member"
    return f"{kind} {address}"
