"""Creating and checking API keys: each belongs to a user of one member (a member's own keys to its
administrator service accounts)."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tradeledger.errors import TradeLedgerError
from tradeledger.identity.models import ApiKey
from tradeledger.members.models import Member
from tradeledger.store.base import utcnow
from tradeledger.users import hashing
from tradeledger.users.models import Role, User, UserKind

TOKEN_PREFIX = "tl_"
PREFIX_LENGTH = 10  # "tl_" and 7 random characters: shown in listings, and how a token's key is found


class AuthenticationError(TradeLedgerError):
    """No, malformed, unknown or revoked bearer token."""

    code = "unauthenticated"
    http_status = 401
    title = "Authentication required"


def service_account(db: Session, member: str, label: str, roles: list[str]) -> User:
    """A new service account (a machine user) of `member`."""
    user_id = str(uuid.uuid4())
    user = User(id=user_id, member=member, username=f"service-{user_id[:8]}", kind=UserKind.SERVICE, roles=roles)
    db.add(user)
    db.flush()
    return user


def create_api_key(
    db: Session, member: str, label: str, user_id: str | None = None, expires_at: datetime | None = None
) -> tuple[ApiKey, str]:
    """A new key for `member`'s user `user_id` (without one: for a new administrator service account of the
    member, as every member key was before users existed); the token is returned once and never stored."""
    if user_id is None:
        user_id = service_account(db, member, label, [Role.ADMINISTRATOR.value]).id
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        id=str(uuid.uuid4()),
        member=member,
        label=label,
        prefix=token[:PREFIX_LENGTH],
        secret_hash=hashing.hash_key_digest(hashing.token_digest(token)),
        user_id=user_id,
        expires_at=expires_at,
    )
    db.add(key)
    db.flush()
    return key, token


@dataclass(frozen=True)
class Caller:
    """A live API key with the user it belongs to and that user's member, as one request needs them."""

    key: ApiKey
    user: User | None
    member: Member | None


# one query for what every request reads about its caller (the key's revocation and expiry, the user, the member)
_CALLER = (
    select(ApiKey, User, Member)
    .outerjoin(User, User.id == ApiKey.user_id)
    .outerjoin(Member, Member.address == ApiKey.member)
)


def caller(db: Session, token: str) -> Caller:
    """The live key behind a bearer token, with its user and member: one query for a token already verified in
    this process, whose key row (revocation, expiry) is still read every time."""
    digest = hashing.token_digest(token)
    remembered = hashing.remembered_key(digest)
    row = db.execute(_CALLER.where(ApiKey.id == remembered)).one_or_none() if remembered is not None else None
    if row is None or not token.startswith(row.ApiKey.prefix):
        candidates = db.execute(_CALLER.where(ApiKey.prefix == token[:PREFIX_LENGTH])).all()
        row = next((c for c in candidates if hashing.verify_key(c.ApiKey.secret_hash, digest, c.ApiKey.id)), None)
    if row is None or row.ApiKey.revoked_at is not None:
        raise AuthenticationError("the API key is unknown or revoked")
    if row.ApiKey.expires_at is not None and row.ApiKey.expires_at <= utcnow():
        raise AuthenticationError("the session has expired; sign in again")
    return Caller(row.ApiKey, row.User, row.Member)


def authenticate(db: Session, token: str) -> ApiKey:
    """The live key behind a bearer token."""
    return caller(db, token).key


def revoke_api_key(db: Session, key_id: str) -> None:
    key = db.get(ApiKey, key_id)
    if key is None:
        raise TradeLedgerError(f"no API key {key_id}", code="api_key_not_found")
    key.revoked_at = utcnow()
