"""Queries on users, policies, approval requests and the audit log."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from tradeledger.users.models import (
    Approval,
    ApprovalPolicy,
    ApprovalRequest,
    AuditEntry,
    LoginThrottle,
    RequestStatus,
    User,
)


def member_user(db: Session, member: str, user_id: str) -> User | None:
    user = db.get(User, user_id)
    return user if user is not None and user.member == member else None


def by_username(db: Session, member: str, username: str) -> User | None:
    return db.scalar(select(User).where(User.member == member, User.username == username))


def users(db: Session, member: str, after: str | None, limit: int) -> Sequence[User]:
    query = select(User).where(User.member == member)
    if after is not None:
        query = query.where(User.id > after)
    return db.scalars(query.order_by(User.id).limit(limit)).all()


def policies(db: Session, member: str, operation: str | None = None) -> Sequence[ApprovalPolicy]:
    query = select(ApprovalPolicy).where(ApprovalPolicy.member == member)
    if operation is not None:
        query = query.where(ApprovalPolicy.operation == operation)
    return db.scalars(query.order_by(ApprovalPolicy.created_at, ApprovalPolicy.id)).all()


def locked_request(db: Session, member: str, request_id: str) -> ApprovalRequest | None:
    """The request, its row locked until the transaction ends (PostgreSQL; SQLite's writers are serialized)."""
    row = db.scalar(select(ApprovalRequest).where(ApprovalRequest.id == request_id).with_for_update())
    return row if row is not None and row.member == member else None


def requests(
    db: Session, member: str, status: RequestStatus | None, after: str | None, limit: int
) -> Sequence[ApprovalRequest]:
    query = select(ApprovalRequest).where(ApprovalRequest.member == member)
    if status is not None:
        query = query.where(ApprovalRequest.status == status)
    if after is not None:
        query = query.where(ApprovalRequest.id > after)
    return db.scalars(query.order_by(ApprovalRequest.id).limit(limit)).all()


def approvals(db: Session, request_id: str) -> list[Approval]:
    return list(db.scalars(select(Approval).where(Approval.request_id == request_id).order_by(Approval.id)))


def audit_entries(
    db: Session, member: str, since: datetime | None, after: int | None, limit: int | None
) -> Sequence[AuditEntry]:
    query = select(AuditEntry).where(AuditEntry.member == member)
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    if after is not None:
        query = query.where(AuditEntry.id > after)
    query = query.order_by(AuditEntry.id)
    return db.scalars(query if limit is None else query.limit(limit)).all()


def login_throttle(db: Session, member: str, username: str, source: str) -> LoginThrottle:
    """The failed sign-ins of (account, source), locked until the transaction ends; a new one if none yet."""
    found = db.scalar(select(LoginThrottle).where(LoginThrottle.member == member, LoginThrottle.username == username,
                                                  LoginThrottle.source == source).with_for_update())  # fmt: skip
    if found is None:
        found = LoginThrottle(member=member, username=username, source=source, failures=0)
        db.add(found)
    return found


def prune_login_throttles(db: Session, now: datetime, window: timedelta) -> int:
    """Delete the throttles with nothing left to enforce: no lock in force, and no failure since the last success or
    none for `window`; returns how many went."""
    stale = delete(LoginThrottle).where(
        or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until <= now),
        or_(LoginThrottle.failures == 0, LoginThrottle.updated_at < now - window),
    )
    return int(db.execute(stale).rowcount)  # type: ignore[attr-defined]


def policy_used(db: Session, policy_id: str) -> bool:
    return db.scalar(select(ApprovalRequest.id).where(ApprovalRequest.policy_id == policy_id).limit(1)) is not None
