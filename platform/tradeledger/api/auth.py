"""Bearer API keys: every /v1 resource but health knows which member calls."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from tradeledger.errors import ForbiddenError
from tradeledger.identity.service import AuthenticationError, authenticate
from tradeledger.members.models import Member, MemberKind, MemberStatus
from tradeledger.runtime import Platform

bearer = HTTPBearer(auto_error=False, description="an API key created with `tradeledger keys create`")


@dataclass(frozen=True)
class Principal:
    """The authenticated caller: an API key and the member it acts for."""

    api_key_id: str
    member: str
    kind: MemberKind | None
    active: bool

    @property
    def is_auditor(self) -> bool:
        return self.kind is MemberKind.AUDITOR


def get_platform(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


def get_principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise AuthenticationError("send an API key as `Authorization: Bearer <key>`")
    with get_platform(request).sessions() as db:
        key = authenticate(db, credentials.credentials)
        member = db.get(Member, key.member)
        return Principal(
            api_key_id=key.id,
            member=key.member,
            kind=member.kind if member else None,
            active=bool(member and member.status is MemberStatus.ACTIVE),
        )


PlatformDep = Annotated[Platform, Depends(get_platform)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]


def writing_principal(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
    """Auditors read everything and write nothing, whatever the contracts would say."""
    if principal.is_auditor:
        raise ForbiddenError("auditors have read-only access")
    return principal
