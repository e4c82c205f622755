"""Users of a member and their roles and keys; approval policies, held requests and decisions; the audit log.

Every change here is a database-only write: its caller runs it in one transaction with the request's answer.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tradeledger.chain.abi import checksum
from tradeledger.codec import InvalidValueError
from tradeledger.errors import ForbiddenError, NotFoundError, TradeLedgerError
from tradeledger.identity.models import ApiKey
from tradeledger.identity.service import create_api_key
from tradeledger.members.models import MemberKind
from tradeledger.operations import Answer, write_in_database
from tradeledger.store.base import utcnow
from tradeledger.users import hashing, repository
from tradeledger.users.access import Actor
from tradeledger.users.models import BANK_ONLY_ROLES, AuditEntry, Role, User, UserKind
from tradeledger.users.schemas import AuditView, CreatedKey, UserRequest, UserView

if TYPE_CHECKING:  # the runtime composes the domains: importing it here would be a cycle
    from tradeledger.runtime import Platform


class UserNotFoundError(NotFoundError):
    code = "user_not_found"


class UsernameTakenError(TradeLedgerError):
    code = "username_taken"
    http_status = 409
    title = "Username taken"


def _checked_roles(member_kind: MemberKind | None, roles: list[Role]) -> list[str]:
    bank_only = sorted(set(roles) & BANK_ONLY_ROLES)
    if bank_only and member_kind is not MemberKind.BANK:
        raise InvalidValueError(f"roles: {', '.join(bank_only)} are for banks only", code="role_not_for_member")
    return sorted({role.value for role in roles})


def record(db: Session, actor: Actor, action: str, outcome: str, request: str | None = None) -> None:
    """Append one entry to the member's audit log, in the caller's transaction."""
    db.add(AuditEntry(member=actor.member, user_id=actor.user_id, username=actor.username, action=action,
                      request=request, outcome=outcome))  # fmt: skip


def user(db: Session, member: str, user_id: str) -> User:
    found = repository.member_user(db, member, user_id)
    if found is None:
        raise UserNotFoundError(f"no user {user_id}")
    return found


def user_view(platform: Platform, member: str, user_id: str) -> UserView:
    """One of the member's users (another member's answers 404)."""
    with platform.sessions() as db:
        return UserView.of(user(db, member, user_id))


def users(platform: Platform, member: str, after: str | None, limit: int) -> list[UserView]:
    with platform.sessions() as db:
        return [UserView.of(row) for row in repository.users(db, member, after, limit)]


def add_user(platform: Platform, actor: Actor, request: UserRequest, answer: Answer[UserView]) -> UserView:
    return write_in_database(platform, lambda db: UserView.of(create_user(db, actor, request)), answer)


def change_roles(
    platform: Platform, actor: Actor, user_id: str, roles: list[Role], answer: Answer[UserView]
) -> UserView:
    return write_in_database(platform, lambda db: UserView.of(set_roles(db, actor, user_id, roles)), answer)


def disable_user(platform: Platform, actor: Actor, user_id: str, answer: Answer[UserView]) -> UserView:
    return write_in_database(platform, lambda db: UserView.of(disable(db, actor, user_id)), answer)


def issue_key(platform: Platform, actor: Actor, user_id: str, label: str, answer: Answer[CreatedKey]) -> CreatedKey:
    """A new API key; its token is in this answer only (sealed in the request's record, for a retry)."""

    def create(db: Session) -> CreatedKey:
        key, token = create_key(db, actor, user_id, label)
        return CreatedKey(id=key.id, user_id=key.user_id, label=key.label, prefix=key.prefix, token=token)

    return write_in_database(platform, create, answer)


def create_user(db: Session, actor: Actor, request: UserRequest) -> User:
    """A new user of the actor's member: a person (with a password) or a service account (keys only)."""
    roles = _checked_roles(actor.member_kind, request.roles)
    if request.kind is UserKind.SERVICE and request.password is not None:
        raise InvalidValueError("password: service accounts sign in with API keys only", code="password_not_allowed")
    if request.kind is UserKind.PERSON and request.password is None:
        raise InvalidValueError("password: a person needs one (12 characters or more)", code="password_required")
    if repository.by_username(db, actor.member, request.username) is not None:
        raise UsernameTakenError(f"username {request.username!r} is taken in this member")
    created = User(
        id=str(uuid.uuid4()), member=actor.member, username=request.username, kind=request.kind, roles=roles,
        password_hash=hashing.hash_password(request.password) if request.password is not None else None,
    )  # fmt: skip
    db.add(created)
    try:
        db.flush()
    except IntegrityError:  # a concurrent request took the name first
        raise UsernameTakenError(f"username {request.username!r} is taken in this member") from None
    record(db, actor, "user.create", f"created {created.username} ({', '.join(roles)})", created.id)
    return created


def set_roles(db: Session, actor: Actor, user_id: str, roles: list[Role]) -> User:
    target = user(db, actor.member, user_id)
    target.roles = _checked_roles(actor.member_kind, roles)
    record(db, actor, "user.roles", f"{target.username}: {', '.join(target.roles)}", target.id)
    return target


def disable(db: Session, actor: Actor, user_id: str) -> User:
    """The user can no longer sign in nor use its keys; its history stays."""
    target = user(db, actor.member, user_id)
    if target.disabled_at is None:
        target.disabled_at = utcnow()
    record(db, actor, "user.disable", f"disabled {target.username}", target.id)
    return target


def create_key(db: Session, actor: Actor, user_id: str, label: str) -> tuple[ApiKey, str]:
    """A new API key of one of the member's users; the token is in the answer only."""
    target = user(db, actor.member, user_id)
    if target.disabled_at is not None:
        raise InvalidValueError(f"user {target.username} is disabled", code="user_disabled")
    key, token = create_api_key(db, actor.member, label, user_id=target.id)
    record(db, actor, "api_key.create", f"key {key.prefix}... for {target.username}", key.id)
    return key, token


def audited_member(viewer: str, viewer_kind: MemberKind | None, requested: str | None) -> str:
    """Whose audit log the viewer reads: its member's; an auditor member reads any member's (read-only)."""
    if requested is None or checksum(requested) == viewer:
        return viewer
    if viewer_kind is not MemberKind.AUDITOR:
        raise ForbiddenError("only auditor members read other members' audit logs")
    return checksum(requested)


EXPORT_LIMIT = 100_000
CSV_COLUMNS = ("id", "at", "user_id", "username", "action", "request", "outcome")


def audit_log(platform: Platform, member: str, after: int | None, limit: int) -> list[AuditView]:
    """The member's audit log after entry `after`, oldest first."""
    with platform.sessions() as db:
        return [AuditView.of(row) for row in repository.audit_entries(db, member, None, after, limit)]


def export_audit_log(platform: Platform, member: str, since: datetime | None, form: str) -> str:
    """The member's audit log since `since` (up to EXPORT_LIMIT entries) as CSV (UTF-8, a header row) or JSON."""
    with platform.sessions() as db:
        rows = [AuditView.of(row) for row in repository.audit_entries(db, member, since, None, EXPORT_LIMIT)]
    if form == "json":
        return json.dumps([row.model_dump(mode="json") for row in rows], ensure_ascii=False, indent=1)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        data = row.model_dump(mode="json")
        writer.writerow(["" if data[c] is None else data[c] for c in CSV_COLUMNS])
    return out.getvalue()
