"""Read model of the consortium registry (Membership) and of every contract's access-control roles.

Projected from events only (see `tradeledger.indexer.handlers.members` and `.access`).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from tradeledger.store.base import Base, Uint256, UtcDateTime
from tradeledger.store.columns import ADDRESS, HASH, ChainEvidence, enum_column


class MemberKind(enum.IntEnum):
    """IMembership.MemberKind, in declaration order."""

    NONE = 0
    OPERATOR = 1
    BANK = 2
    TRADER = 3
    AUDITOR = 4


class MemberStatus(enum.IntEnum):
    """IMembership.MemberStatus."""

    NONE = 0
    ACTIVE = 1
    SUSPENDED = 2
    REMOVED = 3


class ProposalAction(enum.IntEnum):
    """IMembership.ProposalAction."""

    ADMIT_BANK = 0
    SUSPEND_BANK = 1
    REINSTATE_BANK = 2
    REMOVE_BANK = 3
    ADMIT_AUDITOR = 4
    SUSPEND_AUDITOR = 5
    REINSTATE_AUDITOR = 6
    REMOVE_AUDITOR = 7


class ProposalState(enum.IntEnum):
    """IMembership.ProposalState; STALE is applied when the bank-set epoch moves past the proposal's."""

    NONE = 0
    OPEN = 1
    EXECUTED = 2
    STALE = 3


class Consortium(ChainEvidence, Base):
    """Governance state of one Membership contract: founding bank, active bank count, bank-set epoch."""

    __tablename__ = "consortium"

    membership_address: Mapped[str] = mapped_column(String(ADDRESS), primary_key=True)
    founding_bank: Mapped[str | None] = mapped_column(String(ADDRESS))
    active_bank_count: Mapped[int] = mapped_column(BigInteger)
    bank_set_epoch: Mapped[int] = mapped_column(BigInteger)
    proposal_count: Mapped[int] = mapped_column(Uint256)


class Member(ChainEvidence, Base):
    """A member: kind, status and (for traders) sponsor bank."""

    __tablename__ = "members"
    __table_args__ = (Index("ix_members_kind_status", "kind", "status"),)

    address: Mapped[str] = mapped_column(String(ADDRESS), primary_key=True)
    kind: Mapped[MemberKind] = mapped_column(enum_column(MemberKind))
    status: Mapped[MemberStatus] = mapped_column(enum_column(MemberStatus))
    sponsor: Mapped[str | None] = mapped_column(String(ADDRESS), index=True)
    admitted_at: Mapped[datetime] = mapped_column(UtcDateTime)


class GovernanceProposal(ChainEvidence, Base):
    """A proposal to change the bank or auditor set."""

    __tablename__ = "governance_proposals"

    proposal_id: Mapped[int] = mapped_column(Uint256, primary_key=True)
    action: Mapped[ProposalAction] = mapped_column(enum_column(ProposalAction))
    state: Mapped[ProposalState] = mapped_column(enum_column(ProposalState), index=True)
    subject: Mapped[str] = mapped_column(String(ADDRESS), index=True)
    proposer: Mapped[str] = mapped_column(String(ADDRESS))
    epoch: Mapped[int] = mapped_column(BigInteger)
    votes: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    executed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class GovernanceVote(ChainEvidence, Base):
    """One bank's vote for a proposal; `tally` is the proposal's vote count after it."""

    __tablename__ = "governance_votes"

    proposal_id: Mapped[int] = mapped_column(Uint256, ForeignKey("governance_proposals.proposal_id"), primary_key=True)
    voter: Mapped[str] = mapped_column(String(ADDRESS), primary_key=True)
    tally: Mapped[int] = mapped_column(BigInteger)


class ContractRoleGrant(ChainEvidence, Base):
    """An OpenZeppelin AccessControl role of one account on one contract (`granted` false once revoked)."""

    __tablename__ = "contract_role_grants"

    contract_address: Mapped[str] = mapped_column(String(ADDRESS), primary_key=True)
    role: Mapped[str] = mapped_column(String(HASH), primary_key=True)
    account: Mapped[str] = mapped_column(String(ADDRESS), primary_key=True)
    contract: Mapped[str] = mapped_column(String(64))
    granted: Mapped[bool] = mapped_column(Boolean)
    sender: Mapped[str] = mapped_column(String(ADDRESS))


class ContractRoleAdmin(ChainEvidence, Base):
    """The admin role of a role on one contract (RoleAdminChanged)."""

    __tablename__ = "contract_role_admins"

    contract_address: Mapped[str] = mapped_column(String(ADDRESS), primary_key=True)
    role: Mapped[str] = mapped_column(String(HASH), primary_key=True)
    contract: Mapped[str] = mapped_column(String(64))
    admin_role: Mapped[str] = mapped_column(String(HASH))


class ContractAdminRules(ChainEvidence, Base):
    """Pending two-step default-admin transfer and delay change of one contract (AccessControlDefaultAdminRules).

    The chain applies a scheduled delay change when its time comes, without an event: `pending_delay` stays
    the last scheduled value until another schedule or a cancellation replaces it.
    """

    __tablename__ = "contract_admin_rules"

    contract_address: Mapped[str] = mapped_column(String(ADDRESS), primary_key=True)
    contract: Mapped[str] = mapped_column(String(64))
    pending_admin: Mapped[str | None] = mapped_column(String(ADDRESS))
    pending_admin_schedule: Mapped[int | None] = mapped_column(BigInteger)
    pending_delay: Mapped[int | None] = mapped_column(BigInteger)
    pending_delay_schedule: Mapped[int | None] = mapped_column(BigInteger)
