"""Browser sessions: sign in (a `Secure; HttpOnly; SameSite=Strict` cookie and a CSRF token), sign out."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from tradeledger.api.auth import PlatformDep, PrincipalDep
from tradeledger.api.problems import ERROR_RESPONSES
from tradeledger.users import sessions
from tradeledger.users.schemas import LoginRequest, SessionView, UserView

router = APIRouter(tags=["sessions"])


@router.post("/sessions", status_code=201, responses=ERROR_RESPONSES)
def sign_in(body: LoginRequest, platform: PlatformDep, request: Request, response: Response) -> SessionView:
    """Sign a person in with member, username, password (and TOTP code, each good once); repeated failures from one
    client address lock that address out of the account, with a growing back-off."""
    source = request.client.host if request.client is not None else "unknown"
    started = sessions.login(platform.sessions, body.member, body.username, body.password, body.totp_code, source)
    max_age = int(sessions.SESSION_TTL.total_seconds())
    response.set_cookie(sessions.COOKIE, started.token, max_age=max_age, path="/", secure=True, httponly=True,
                        samesite="strict")  # fmt: skip
    return SessionView(user=UserView.of(started.user), csrf_token=started.csrf_token, expires_at=started.expires_at)


@router.delete("/sessions/current", status_code=204, responses=ERROR_RESPONSES)
def sign_out(platform: PlatformDep, principal: PrincipalDep, response: Response) -> None:
    """End the caller's session: its cookie stops working at once."""
    with platform.transaction() as db:
        sessions.logout(db, principal.actor(), principal.api_key_id)
    response.delete_cookie(sessions.COOKIE, path="/", secure=True, httponly=True, samesite="strict")
