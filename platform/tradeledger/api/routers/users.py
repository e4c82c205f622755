"""Users of the caller's member, their roles and API keys (administrators), the caller itself, and the member's
audit log (administrators and auditors)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Literal, TypeVar

from fastapi import APIRouter, Path, Query, Response
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session

from tradeledger.api.auth import PlatformDep, PrincipalDep, reading_principal
from tradeledger.api.idempotency import IdempotentRoute, answer_with
from tradeledger.api.pagination import Limit, Page, RowCursor
from tradeledger.api.problems import ERROR_RESPONSES, NOT_FOUND_RESPONSE
from tradeledger.codec import ADDRESS_PATTERN
from tradeledger.runtime import Platform
from tradeledger.users import repository, service, sessions
from tradeledger.users.access import Action, Actor
from tradeledger.users.schemas import (
    AuditView,
    CreatedKey,
    KeyRequest,
    RolesRequest,
    SecurityPolicyRequest,
    SecurityPolicyView,
    TotpConfirmation,
    TotpEnrolment,
    UserRequest,
    UserView,
)

router = APIRouter(tags=["users"], route_class=IdempotentRoute)
UserId = Annotated[str, Path(max_length=36, description="a user id")]
UserCursor = Annotated[str | None, Query(max_length=36, description="`next_cursor` of the previous page")]
RESPONSES = {**NOT_FOUND_RESPONSE, **ERROR_RESPONSES}
ViewT = TypeVar("ViewT", bound=BaseModel)


def _answered(platform: Platform, change: Callable[[Session], ViewT], status: int = 200) -> ViewT:
    """One database-only change and its answer, committed together (a retry after a crash gets the same answer)."""
    with platform.transaction() as db:
        view = change(db)
        answer_with(db, view, status)
    return view


def _enrolment(db: Session, actor: Actor, user_id: str) -> TotpEnrolment:
    secret, uri = sessions.enrol_totp(db, actor, user_id)
    return TotpEnrolment(secret=secret, uri=uri)


@router.get("/me", responses=ERROR_RESPONSES)
def me(platform: PlatformDep, principal: PrincipalDep) -> UserView:
    """The user the caller is: its member, roles and whether it has a second factor."""
    with platform.sessions() as db:
        return UserView.of(service.user(db, principal.member, principal.user_id))


@router.post("/users", status_code=201, responses=ERROR_RESPONSES)
def create_user(body: UserRequest, platform: PlatformDep, principal: PrincipalDep, response: Response) -> UserView:
    """An administrator adds a person (with a password) or a service account (API keys) to its member."""
    with platform.transaction() as db:
        view = UserView.of(service.create_user(db, principal.actor(), body))
        answer_with(db, view, 201, f"/v1/users/{view.id}")
    response.headers["Location"] = f"/v1/users/{view.id}"
    return view


@router.get("/users", responses=ERROR_RESPONSES, dependencies=[reading_principal(Action.ADMINISTER)])
def list_users(
    platform: PlatformDep, principal: PrincipalDep, limit: Limit = 50, cursor: UserCursor = None
) -> Page[UserView]:
    """The member's users (administrators)."""
    with platform.sessions() as db:
        items = [UserView.of(row) for row in repository.users(db, principal.member, cursor, limit)]
    return Page(items=items, next_cursor=items[-1].id if len(items) == limit else None)


@router.get("/users/{user_id}", responses=RESPONSES, dependencies=[reading_principal(Action.ADMINISTER)])
def get_user(user_id: UserId, platform: PlatformDep, principal: PrincipalDep) -> UserView:
    """One of the member's users (administrators)."""
    with platform.sessions() as db:
        return UserView.of(service.user(db, principal.member, user_id))


@router.post("/users/{user_id}/roles", responses=RESPONSES)
def set_roles(user_id: UserId, body: RolesRequest, platform: PlatformDep, principal: PrincipalDep) -> UserView:
    """Replace a user's roles."""
    return _answered(platform, lambda db: UserView.of(service.set_roles(db, principal.actor(), user_id, body.roles)))


@router.post("/users/{user_id}/disable", responses=RESPONSES)
def disable_user(user_id: UserId, platform: PlatformDep, principal: PrincipalDep) -> UserView:
    """Disable a user: no more sign-ins, sessions or keys; its history stays."""
    return _answered(platform, lambda db: UserView.of(service.disable(db, principal.actor(), user_id)))


@router.post("/users/{user_id}/api-keys", status_code=201, responses=RESPONSES)
def create_key(user_id: UserId, body: KeyRequest, platform: PlatformDep, principal: PrincipalDep) -> CreatedKey:
    """A new API key for one of the member's users (a service account's, typically); the token is shown once."""
    with platform.transaction() as db:
        key, token = service.create_key(db, principal.actor(), user_id, body.label)
        created = CreatedKey(id=key.id, user_id=key.user_id, label=key.label, prefix=key.prefix, token=token)
        answer_with(db, created, 201)  # sealed under the caller's key: a retry after a crash gets the same token
    return created


AUDIT_READERS = [reading_principal(Action.READ_AUDIT)]
AuditedMember = Annotated[
    str | None,
    Query(pattern=ADDRESS_PATTERN, description="another member's log (auditor members only); the caller's if unset"),
]


@router.get("/audit-log", responses=ERROR_RESPONSES, dependencies=AUDIT_READERS)
def audit_log(
    platform: PlatformDep, principal: PrincipalDep, limit: Limit = 50, cursor: RowCursor = None,
    member: AuditedMember = None,
) -> Page[AuditView]:  # fmt: skip
    """The member's append-only audit log: every action and decision, by user, time, request and outcome
    (administrators and auditors; auditor members read any member's)."""
    audited = service.audited_member(principal.member, principal.kind, member)
    with platform.sessions() as db:
        items = service.audit_log(db, audited, int(cursor) if cursor else None, limit)
    return Page(items=items, next_cursor=str(items[-1].id) if len(items) == limit else None)


@router.get(
    "/audit-log/export",
    responses={**ERROR_RESPONSES, 200: {"content": {"text/csv": {}, "application/json": {}}}},
    dependencies=AUDIT_READERS,
    response_class=PlainTextResponse,
)
def export_audit_log(
    platform: PlatformDep,
    principal: PrincipalDep,
    file_format: Annotated[Literal["csv", "json"], Query(alias="format")] = "csv",
    since: datetime | None = None,
    member: AuditedMember = None,
) -> PlainTextResponse:
    """The member's audit log since a time, as a CSV or JSON file (auditor members: any member's)."""
    audited = service.audited_member(principal.member, principal.kind, member)
    with platform.sessions() as db:
        body = service.export_audit_log(db, audited, since, file_format)
    media = "text/csv; charset=utf-8" if file_format == "csv" else "application/json"
    disposition = f'attachment; filename="audit-log.{file_format}"'
    return PlainTextResponse(body, media_type=media, headers={"Content-Disposition": disposition})


@router.post("/me/totp", status_code=201, responses=ERROR_RESPONSES)
def enrol_own_totp(platform: PlatformDep, principal: PrincipalDep) -> TotpEnrolment:
    """Start the caller's second factor: a TOTP secret for an authenticator app, on once a code is confirmed."""
    return _answered(platform, lambda db: _enrolment(db, principal.actor(), principal.user_id), 201)


@router.post("/me/totp/confirm", responses=ERROR_RESPONSES)
def confirm_own_totp(body: TotpConfirmation, platform: PlatformDep, principal: PrincipalDep) -> UserView:
    """Turn the caller's second factor on with a code from it; sign-ins need a code from now on."""
    actor = principal.actor()
    return _answered(platform, lambda db: UserView.of(sessions.confirm_totp(db, actor, actor.user_id, body.code)))


@router.post("/users/{user_id}/totp", status_code=201, responses=RESPONSES)
def enrol_totp(user_id: UserId, platform: PlatformDep, principal: PrincipalDep) -> TotpEnrolment:
    """An administrator starts a person's second factor (handing the secret over out of band)."""
    return _answered(platform, lambda db: _enrolment(db, principal.actor(), user_id), 201)


@router.post("/users/{user_id}/totp/confirm", responses=RESPONSES)
def confirm_totp(user_id: UserId, body: TotpConfirmation, platform: PlatformDep, principal: PrincipalDep) -> UserView:
    """An administrator turns a person's enrolled second factor on with a code from it."""
    return _answered(platform, lambda db: UserView.of(sessions.confirm_totp(db, principal.actor(), user_id, body.code)))


@router.post("/security-policy", responses=ERROR_RESPONSES)
def set_security_policy(
    body: SecurityPolicyRequest, platform: PlatformDep, principal: PrincipalDep
) -> SecurityPolicyView:
    """An administrator requires (or no longer requires) a second factor for every person's sign-in."""
    actor = principal.actor()
    return _answered(
        platform,
        lambda db: SecurityPolicyView(require_totp=sessions.set_policy(db, actor, body.require_totp).require_totp),
    )
