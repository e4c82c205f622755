"""Users, approval policies and requests, and the append-only audit log of each member."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, Enum, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tradeledger.store.base import Base, Uint256, UtcDateTime, utcnow
from tradeledger.store.columns import ADDRESS


class Role(enum.StrEnum):
    ADMINISTRATOR = "administrator"  # manages the member's users, keys and policies, and may take any action
    MAKER = "maker"  # prepares and submits business actions
    CHECKER = "checker"  # approves or rejects the makers' requests
    VIEWER = "viewer"  # reads only
    AUDITOR = "auditor"  # reads, and reads the audit log
    EXAMINER = "examiner"  # banks: examines presentations (honour, refusal, return of documents)
    TREASURY = "treasury"  # banks: moves money (settlements, deposits, withdrawals)


BANK_ONLY_ROLES = frozenset({Role.EXAMINER, Role.TREASURY})


class UserKind(enum.StrEnum):
    PERSON = "person"  # signs in with a password (and TOTP) for a browser session
    SERVICE = "service"  # a machine: API keys only


class User(Base):
    """Someone (or some machine) acting for one member, with roles."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("member", "username"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    member: Mapped[str] = mapped_column(String(ADDRESS), index=True)
    username: Mapped[str] = mapped_column(String(120))
    kind: Mapped[UserKind] = mapped_column(Enum(UserKind, native_enum=False, length=16))
    roles: Mapped[list[str]] = mapped_column(JSON)
    password_hash: Mapped[str | None] = mapped_column(String(200))  # argon2id
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_pending: Mapped[str | None] = mapped_column(String(64))  # enrolled, not yet confirmed with a code
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)  # the time step of the last code accepted
    disabled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class LoginThrottle(Base):
    """Failed sign-ins of one account from one source (the client's address): only that source is locked out, with
    a back-off that doubles at each lock, so nobody can lock a user out from elsewhere by guessing."""

    __tablename__ = "login_throttles"

    member: Mapped[str] = mapped_column(String(ADDRESS), primary_key=True)
    username: Mapped[str] = mapped_column(String(120), primary_key=True)
    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)  # in a row, since the last success from the source
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class ApprovalPolicy(Base):
    """A member's rule: `operation` on amounts above `threshold` (minor units of `currency`) needs
    `approvals` approvals by users holding one of `approver_roles`. Where several apply, the strictest wins."""

    __tablename__ = "approval_policies"
    __table_args__ = (UniqueConstraint("member", "operation", "currency", "threshold"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    member: Mapped[str] = mapped_column(String(ADDRESS), index=True)
    operation: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    threshold: Mapped[int] = mapped_column(Uint256)
    approvals: Mapped[int] = mapped_column(Integer)
    approver_roles: Mapped[list[str]] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class RequestStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for approvals
    REJECTED = "rejected"  # a checker rejected it: it never reaches the chain
    SENT = "sent"  # the last approval and the transaction's outbox row committed together


class ApprovalRequest(Base):
    """A maker's write held until its policy is met; then sent, once, through the operation's domain command."""

    __tablename__ = "approval_requests"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    member: Mapped[str] = mapped_column(String(ADDRESS), index=True)
    operation: Mapped[str] = mapped_column(String(64))
    target: Mapped[dict[str, str]] = mapped_column(JSON)  # the operation's arguments (object ids)
    amount: Mapped[int] = mapped_column(Uint256)
    currency: Mapped[str] = mapped_column(String(3))
    maker: Mapped[str] = mapped_column(ForeignKey("users.id"))
    policy_id: Mapped[str] = mapped_column(ForeignKey("approval_policies.id"))
    approvals_required: Mapped[int] = mapped_column(Integer)
    approver_roles: Mapped[list[str]] = mapped_column(JSON)
    status: Mapped[RequestStatus] = mapped_column(Enum(RequestStatus, native_enum=False, length=16), index=True)
    reason: Mapped[str | None] = mapped_column(Text)  # of the rejection
    transaction_id: Mapped[str | None] = mapped_column(ForeignKey("chain_transactions.id"))
    trail_hash: Mapped[str | None] = mapped_column(String(66))  # sha-256 of the approval trail, stored with the tx
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Decision(enum.StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"


class Approval(Base):
    """One checker's decision on one request: at most one each (the unique constraint settles races)."""

    __tablename__ = "approvals"
    __table_args__ = (UniqueConstraint("request_id", "user_id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("approval_requests.id"), index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    decision: Mapped[Decision] = mapped_column(Enum(Decision, native_enum=False, length=16))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class AuditEntry(Base):
    """One action or decision, as it happened: append-only (database triggers refuse updates and deletes)."""

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    member: Mapped[str] = mapped_column(String(ADDRESS), index=True)
    user_id: Mapped[str | None] = mapped_column(String(36))
    username: Mapped[str | None] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(200))  # `POST /v1/lcs/3/issue`, `approval.approve`, `session.login`
    request: Mapped[str | None] = mapped_column(String(255))  # Idempotency-Key or approval request id
    outcome: Mapped[str] = mapped_column(String(200))  # HTTP status, or what became of it
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)


class UserSession(Base):
    """A browser session: its cookie holds the token of an API key of the user that expires with the session (so
    every rule of API keys, idempotency and the audit log holds for it); its CSRF token is stored as SHA-256."""

    __tablename__ = "user_sessions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    api_key_id: Mapped[str] = mapped_column(ForeignKey("api_keys.id"), unique=True)
    csrf_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SecurityPolicy(Base):
    """A member's sign-in rules."""

    __tablename__ = "security_policies"

    member: Mapped[str] = mapped_column(String(ADDRESS), primary_key=True)
    require_totp: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
