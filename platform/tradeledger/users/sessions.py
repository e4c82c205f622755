"""Browser sessions: sign-in with a password (and a TOTP code), lock-out after failed attempts, CSRF tokens,
second factors, and the member's rule that requires them.

A session is an API key of its user that expires with it: its token travels in a `Secure; HttpOnly;
SameSite=Strict` cookie, so that idempotency, roles and the audit log work for browsers exactly as for
machines. A write authenticated by the cookie must also carry the session's CSRF token in `X-CSRF-Token`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import pyotp
from sqlalchemy import select
from sqlalchemy.orm import Session

from tradeledger.chain.abi import checksum
from tradeledger.codec import InvalidValueError
from tradeledger.errors import ForbiddenError, TradeLedgerError
from tradeledger.identity.models import ApiKey
from tradeledger.identity.service import AuthenticationError, create_api_key
from tradeledger.operations import Answer, write_in_database
from tradeledger.store.base import utcnow
from tradeledger.store.db import transaction
from tradeledger.users import hashing, repository
from tradeledger.users.access import Actor
from tradeledger.users.models import AuditEntry, SecurityPolicy, User, UserKind, UserSession
from tradeledger.users.schemas import SecurityPolicyView, TotpEnrolment, UserView
from tradeledger.users.service import UserNotFoundError

if TYPE_CHECKING:  # the runtime composes the domains: importing it here would be a cycle
    from tradeledger.runtime import Platform

SESSION_TTL = timedelta(hours=8)
MAX_FAILED_LOGINS = 5
LOCKED_FOR = timedelta(minutes=15)
MAX_LOCKED_FOR = timedelta(hours=24)
THROTTLE_WINDOW = MAX_LOCKED_FOR
"""How long a source's failed sign-ins count once no lock is in force: silent that long, it starts afresh."""
COOKIE = "tl_session"
CSRF_HEADER = "X-CSRF-Token"


class LoginFailedError(AuthenticationError):
    code = "login_failed"


class AccountLockedError(TradeLedgerError):
    code = "account_locked"
    http_status = 429
    title = "Too many failed sign-ins"


class CsrfError(ForbiddenError):
    code = "csrf_token_invalid"


class NotASessionError(TradeLedgerError):
    code = "not_a_session"
    http_status = 409
    title = "Not a session"


class TotpNotPendingError(TradeLedgerError):
    code = "totp_not_pending"
    http_status = 409
    title = "No enrolment pending"


class TotpError(TradeLedgerError):
    code = "totp_invalid"
    http_status = 422
    title = "Wrong second-factor code"


@dataclass(frozen=True)
class Started:
    """A new session: the cookie's token and the CSRF token are in this answer only."""

    user: User
    token: str
    csrf_token: str
    expires_at: datetime


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _audit(db: Session, user: User | None, member: str, username: str, action: str, outcome: str) -> None:
    db.add(AuditEntry(member=member, user_id=user.id if user else None, username=username, action=action,
                      outcome=outcome))  # fmt: skip


def require_totp(db: Session, member: str) -> bool:
    policy = db.get(SecurityPolicy, member)
    return bool(policy and policy.require_totp)


def prune_login_throttles(platform: Platform) -> int:
    """Housekeeping (the heartbeat's): forget the throttles whose window has passed, so that the table holds only the
    sources that failed lately; returns how many went. A success resets a throttle, so its row goes at once."""
    with transaction(platform.sessions) as db:
        return repository.prune_login_throttles(db, utcnow(), THROTTLE_WINDOW)


def login(platform: Platform, member: str, username: str, password: str, totp_code: str | None, source: str) -> Started:
    """Sign a person in. Every failure answers alike (unknown user, wrong password, wrong, missing or replayed code)
    and counts against (account, source): after MAX_FAILED_LOGINS in a row from one source, that source is locked
    out of that account (even with the right password) for LOCKED_FOR, doubled at each further lock up to
    MAX_LOCKED_FOR. Other sources are not: a guesser cannot lock the user out (OWASP's per-source throttling)."""
    failure: TradeLedgerError | None = None
    member = checksum(member)
    with transaction(platform.sessions) as db:
        user = repository.by_username(db, member, username)
        throttle = repository.login_throttle(db, member, username, source[:64])
        now = utcnow()
        password_ok = hashing.verify_password(user.password_hash if user else None, password)
        if throttle.locked_until is not None and throttle.locked_until > now:
            _audit(db, user, member, username, "session.login", f"refused: locked for {source}")
            failure = AccountLockedError(f"too many failed sign-ins; try again after {throttle.locked_until:%H:%M} UTC")
        elif user is None or user.kind is not UserKind.PERSON or user.disabled_at is not None or not password_ok or (
            user.totp_secret is not None and not _totp_used(user, user.totp_secret, totp_code)
        ):  # fmt: skip
            throttle.failures += 1
            if throttle.failures % MAX_FAILED_LOGINS == 0:
                locks = throttle.failures // MAX_FAILED_LOGINS
                throttle.locked_until = now + min(LOCKED_FOR * 2 ** (locks - 1), MAX_LOCKED_FOR)
            _audit(db, user, member, username, "session.login", "refused: wrong credentials")
            failure = LoginFailedError("wrong member, username, password or second-factor code")
        elif user.totp_secret is None and require_totp(db, member):
            _audit(db, user, member, username, "session.login", "refused: second factor required")
            failure = ForbiddenError(
                "your member requires a second factor: an administrator enrols it for you (POST /v1/users/{id}/totp)",
                code="totp_required",
            )
        else:
            throttle.failures, throttle.locked_until = 0, None
            expires = now + SESSION_TTL
            key, token = create_api_key(db, member, "browser session", user_id=user.id, expires_at=expires)
            csrf = secrets.token_urlsafe(32)
            db.add(UserSession(id=str(uuid.uuid4()), user_id=user.id, api_key_id=key.id, csrf_hash=_digest(csrf),
                               expires_at=expires))  # fmt: skip
            _audit(db, user, member, username, "session.login", "signed in")
            return Started(user, token, csrf, expires)
    assert failure is not None
    raise failure


def _totp_used(user: User, secret: str, code: str | None) -> bool:
    """Whether `code` is one of `secret`'s codes for the current time step or a step next to it (clock drift) and
    newer than the last code the user used: a code is good once (RFC 6238 5.2). Accepting it marks its step used."""
    if code is None:
        return False
    totp = pyotp.TOTP(secret)
    now = totp.timecode(utcnow())
    for step in (now - 1, now, now + 1):
        if hmac.compare_digest(totp.generate_otp(step), code) and step > (user.totp_last_step or -1):
            user.totp_last_step = step
            return True
    return False


def session_of(db: Session, api_key_id: str) -> UserSession | None:
    return db.scalar(select(UserSession).where(UserSession.api_key_id == api_key_id))


def check_csrf(db: Session, api_key_id: str, presented: str | None) -> None:
    """A cookie-authenticated write carries its session's CSRF token."""
    found = session_of(db, api_key_id)
    if found is None or presented is None or not hmac.compare_digest(found.csrf_hash, _digest(presented)):
        raise CsrfError(f"a write in a browser session needs the session's CSRF token in {CSRF_HEADER}")


def logout(platform: Platform, actor: Actor, api_key_id: str) -> None:
    """End the caller's session (its key is revoked); a caller that is no session is refused."""
    with transaction(platform.sessions) as db:
        found = session_of(db, api_key_id)
        key = db.get(ApiKey, api_key_id)
        if found is None or key is None:
            raise NotASessionError("this credential is an API key, not a session")
        key.revoked_at = utcnow()
        db.add(AuditEntry(member=actor.member, user_id=actor.user_id, username=actor.username, action="session.logout",
                          outcome="signed out"))  # fmt: skip


def start_totp(platform: Platform, actor: Actor, user_id: str, answer: Answer[TotpEnrolment]) -> TotpEnrolment:
    """`enrol_totp` as a command: the secret commits with the request's answer."""

    def enrol(db: Session) -> TotpEnrolment:
        secret, uri = enrol_totp(db, actor, user_id)
        return TotpEnrolment(secret=secret, uri=uri)

    return write_in_database(platform, enrol, answer)


def turn_on_totp(platform: Platform, actor: Actor, user_id: str, code: str, answer: Answer[UserView]) -> UserView:
    return write_in_database(platform, lambda db: UserView.of(confirm_totp(db, actor, user_id, code)), answer)


def change_policy(
    platform: Platform, actor: Actor, required: bool, answer: Answer[SecurityPolicyView]
) -> SecurityPolicyView:
    return write_in_database(
        platform, lambda db: SecurityPolicyView(require_totp=set_policy(db, actor, required).require_totp), answer
    )


def enrol_totp(db: Session, actor: Actor, user_id: str) -> tuple[str, str]:
    """A new TOTP secret for one of the member's persons (itself, or by an administrator): pending until a code
    from it is confirmed. Returns the secret and its otpauth:// URI."""
    target = repository.member_user(db, actor.member, user_id)
    if target is None:
        raise UserNotFoundError(f"no user {user_id}")
    if target.kind is not UserKind.PERSON:
        raise InvalidValueError(f"{target.username} is a service account: it signs in with API keys only",
                                code="not_a_person")  # fmt: skip
    secret = pyotp.random_base32()
    target.totp_pending = secret
    db.add(AuditEntry(member=actor.member, user_id=actor.user_id, username=actor.username, action="totp.enrol",
                      request=target.id, outcome=f"enrolment started for {target.username}"))  # fmt: skip
    return secret, pyotp.TOTP(secret).provisioning_uri(name=target.username, issuer_name="tradeledger")


def confirm_totp(db: Session, actor: Actor, user_id: str, code: str) -> User:
    """The pending secret becomes the user's second factor once a code from it is right."""
    target = repository.member_user(db, actor.member, user_id)
    if target is None:
        raise UserNotFoundError(f"no user {user_id}")
    if target.totp_pending is None:
        raise TotpNotPendingError("no second-factor enrolment is pending")
    if not _totp_used(target, target.totp_pending, code):
        raise TotpError("the code does not match the enrolled secret (or was used already)")
    target.totp_secret, target.totp_pending = target.totp_pending, None
    db.add(AuditEntry(member=actor.member, user_id=actor.user_id, username=actor.username, action="totp.confirm",
                      request=target.id, outcome=f"second factor on for {target.username}"))  # fmt: skip
    return target


def set_policy(db: Session, actor: Actor, require: bool) -> SecurityPolicy:
    policy = db.get(SecurityPolicy, actor.member)
    if policy is None:
        policy = SecurityPolicy(member=actor.member)
        db.add(policy)
    policy.require_totp = require
    db.add(AuditEntry(member=actor.member, user_id=actor.user_id, username=actor.username, action="security.policy",
                      outcome=f"second factor {'required' if require else 'optional'}"))  # fmt: skip
    db.flush()
    return policy
