"""Who calls: every /v1 resource but health knows the member, the user acting for it and the user's roles.

A bearer API key (a service account's, or a member key: an administrator service account) or a browser session.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from tradeledger.errors import ForbiddenError
from tradeledger.identity.service import AuthenticationError, caller
from tradeledger.members.models import MemberKind, MemberStatus
from tradeledger.runtime import Platform
from tradeledger.users import access, sessions
from tradeledger.users.access import Actor

bearer = HTTPBearer(auto_error=False, description="an API key created with `tradeledger keys create`")
session_cookie = APIKeyCookie(
    name=sessions.COOKIE,
    auto_error=False,
    description=f"a browser session (POST /v1/sessions); writes also need its CSRF token in {sessions.CSRF_HEADER}",
)
MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class Principal:
    """The authenticated caller: an API key, the user it belongs to, the user's roles and the member."""

    api_key_id: str
    member: str
    kind: MemberKind | None
    active: bool
    user_id: str = ""
    username: str = ""
    roles: frozenset[str] = frozenset()

    @property
    def is_auditor(self) -> bool:
        return self.kind is MemberKind.AUDITOR

    def actor(self) -> Actor:
        """The user acting, as the domain commands take it."""
        return Actor(self.member, self.kind, self.user_id, self.username, self.roles)


def _platform(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


async def get_platform(request: Request) -> Platform:
    """The app's platform; async, so that FastAPI runs it on the event loop instead of a thread-pool hop."""
    return _platform(request)


def get_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    cookie: Annotated[str | None, Depends(session_cookie)],
) -> Principal:
    if credentials is not None and credentials.scheme.lower() == "bearer":
        token, via_cookie = credentials.credentials, False
    elif cookie:
        token, via_cookie = cookie, True
    else:
        raise AuthenticationError("send an API key as `Authorization: Bearer <key>`, or sign in (POST /v1/sessions)")
    with _platform(request).sessions() as db:
        found = caller(db, token)
        key, user, member = found.key, found.user, found.member
        if via_cookie and request.method in MUTATING and not request.url.path.endswith("/sessions/current"):
            sessions.check_csrf(db, key.id, request.headers.get(sessions.CSRF_HEADER))
        if user is None or user.disabled_at is not None:
            raise AuthenticationError("the API key's user is disabled")
        return Principal(
            api_key_id=key.id,
            member=key.member,
            kind=member.kind if member else None,
            active=bool(member and member.status is MemberStatus.ACTIVE),
            user_id=user.id,
            username=user.username,
            roles=frozenset(user.roles),
        )


PlatformDep = Annotated[Platform, Depends(get_platform)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]


async def writing_principal(request: Request, principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
    """Auditors read everything and write nothing, whatever the contracts would say; and a user writes only what
    one of its roles may (a viewer nothing, a maker no approvals). Async: it only checks, and a sync dependency
    costs every write a hop to the thread pool and back."""
    if principal.is_auditor:
        raise ForbiddenError("auditors have read-only access")
    access.require(principal.roles, access.write_action(request.url.path))
    return principal


def reading_principal(action: access.Action) -> Any:
    """A dependency: the caller, if one of its roles may `action` (a read beyond the ordinary)."""

    def check(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
        access.require(principal.roles, action)
        return principal

    return Depends(check)
