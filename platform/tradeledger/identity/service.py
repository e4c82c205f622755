"""Creating and checking API keys."""

from __future__ import annotations

import hashlib
import secrets
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from tradeledger.errors import TradeLedgerError
from tradeledger.identity.models import ApiKey
from tradeledger.store.base import utcnow

TOKEN_PREFIX = "tl_"


class AuthenticationError(TradeLedgerError):
    """No, malformed, unknown or revoked bearer token."""

    code = "unauthenticated"
    http_status = 401
    title = "Authentication required"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_api_key(db: Session, member: str, label: str) -> tuple[ApiKey, str]:
    """A new key for `member`; the token is returned once and never stored."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(id=str(uuid.uuid4()), member=member, label=label, prefix=token[:10], token_hash=_hash(token))
    db.add(key)
    db.flush()
    return key, token


def authenticate(db: Session, token: str) -> ApiKey:
    """The live key behind a bearer token."""
    key = db.scalar(select(ApiKey).where(ApiKey.token_hash == _hash(token)))
    if key is None or key.revoked_at is not None:
        raise AuthenticationError("the API key is unknown or revoked")
    return key


def revoke_api_key(db: Session, key_id: str) -> None:
    key = db.get(ApiKey, key_id)
    if key is None:
        raise TradeLedgerError(f"no API key {key_id}", code="api_key_not_found")
    key.revoked_at = utcnow()
