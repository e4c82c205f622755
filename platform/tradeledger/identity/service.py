"""Creating and checking API keys: each belongs to a user of one member (a member's own keys to its
administrator service accounts)."""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import CTE, Insert, Select, Text, bindparam, cast, or_, select, true
from sqlalchemy.orm import Session

from tradeledger.errors import TradeLedgerError
from tradeledger.identity.models import ApiKey
from tradeledger.members.models import Member, MemberKind, MemberStatus
from tradeledger.store.base import table_of, utcnow
from tradeledger.store.reads import Rows, beside, beside_each, fetch, split, split_each
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
    """A live API key, as one request needs it: the key's member, the user it belongs to and the member's kind."""

    key_id: str
    member: str
    user_id: str
    username: str | None  # None when the key's user row is missing
    roles: frozenset[str]
    user_disabled: bool
    kind: MemberKind | None  # None when the member row is missing
    active: bool


_KEYS, _USERS, _MEMBERS = table_of(ApiKey), table_of(User), table_of(Member)
# One Core query for what every request reads about its caller (the key's revocation and expiry, the user, the
# member), compiled once: as ORM entities its three rows cost about as much again as the query itself. The user's
# roles come as the JSON's text, parsed once per distinct text (`_roles`), not on every request.
_CALLER = select(
    _KEYS.c.id,
    _KEYS.c.member,
    _KEYS.c.prefix,
    _KEYS.c.secret_hash,
    _KEYS.c.revoked_at,
    _KEYS.c.expires_at,
    _KEYS.c.user_id,
    _USERS.c.username,
    cast(_USERS.c.roles, Text).label("roles"),
    _USERS.c.disabled_at,
    _MEMBERS.c.kind,
    _MEMBERS.c.status,
).select_from(
    _KEYS.outerjoin(_USERS, _USERS.c.id == _KEYS.c.user_id).outerjoin(_MEMBERS, _MEMBERS.c.address == _KEYS.c.member)
)
_CALLER_BY_ID = _CALLER.where(_KEYS.c.id == bindparam("tradeledger_key_id"))
_CALLERS_BY_PREFIX = _CALLER.where(_KEYS.c.prefix == bindparam("prefix"))
_CALLER_COLUMNS = tuple(str(column.key) for column in _CALLER.selected_columns)
_NOW, _PREFIX = "tradeledger_now", "tradeledger_prefix"


def caller(db: Session, token: str) -> Caller:
    """The live key behind a bearer token, with its user and member: one query for a token already verified in
    this process, whose key row (revocation, expiry) is still read every time."""
    digest = hashing.token_digest(token)
    remembered = hashing.remembered_key(digest)
    found = fetch(db, _CALLER_BY_ID, {"tradeledger_key_id": remembered}) if remembered else None
    return _live(db, token, digest, dict(zip(_CALLER_COLUMNS, found[0], strict=True)) if found else None)


def caller_with(db: Session, token: str, rows: Rows) -> tuple[Caller, list[tuple[Any, ...]]]:
    """`caller`, and the rows of a query that does not depend on who asks, in one statement for a token already
    verified in this process (on a database server one round trip, not two). The rows are read before the
    caller is checked and returned only once it passes: unknown, revoked, expired keys raise as in `caller`."""
    digest = hashing.token_digest(token)
    remembered = hashing.remembered_key(digest)
    if remembered is not None:
        found = fetch(db, beside(_CALLER_BY_ID, rows.statement), {"tradeledger_key_id": remembered, **rows.params})
        key, read = split(found, len(_CALLER_COLUMNS))
        if key is not None:
            return _live(db, token, digest, dict(zip(_CALLER_COLUMNS, key, strict=True))), read
    # not verified here yet, or its key row gone (the statement then found no row of the query either)
    return _live(db, token, digest, None), [tuple(row) for row in db.execute(rows.statement, rows.params)]


CallerRows = tuple[Caller, list[tuple[Any, ...]]]


def callers_with(db: Session, asked: Sequence[tuple[str, Rows]]) -> list[CallerRows | AuthenticationError]:
    """`caller_with` for several requests at once, each a token and its rows of one same query: on PostgreSQL the
    tokens already verified in this process read in one statement (`store.reads.beside_each`: one round trip for
    all), every caller's key row (revocation, expiry), user and member read there as `caller_with` reads them. Each
    request gets its own caller and rows, or its own refusal (unknown, revoked, expired keys); the others (not
    verified here yet, their key row gone; a request alone; on SQLite, all) are read one by one by `caller_with`."""
    outcomes: list[CallerRows | AuthenticationError | None] = [None] * len(asked)
    digests = [hashing.token_digest(token) for token, _ in asked]
    remembered = [(index, key_id) for index, key_id in enumerate(map(hashing.remembered_key, digests)) if key_id]
    together = db.get_bind().dialect.name == "postgresql" and len({rows.statement for _, rows in asked}) == 1
    if len(remembered) > 1 and together:  # one alone: `caller_with`'s statement, which costs it less
        each = beside_each(_CALLER_BY_ID, asked[0][1].statement)
        params = [{"tradeledger_key_id": key_id, **asked[index][1].params} for index, key_id in remembered]
        found = split_each(fetch(db, each.statement, each.params(params)), len(params), len(_CALLER_COLUMNS))
        for (index, _), (key, read) in zip(remembered, found, strict=True):
            if key is not None:
                try:
                    outcomes[index] = (
                        _live(db, asked[index][0], digests[index], dict(zip(_CALLER_COLUMNS, key, strict=True))),
                        read,
                    )
                except AuthenticationError as refused:
                    outcomes[index] = refused
    for index, (token, rows) in enumerate(asked):
        if outcomes[index] is None:
            try:
                outcomes[index] = caller_with(db, token, rows)
            except AuthenticationError as refused:
                outcomes[index] = refused
    return [outcome for outcome in outcomes if outcome is not None]


def caller_writing(
    db: Session, token: str, statement: Select[Any], params: Mapping[str, Any]
) -> tuple[Caller, tuple[Any, ...] | None] | None:
    """`caller`, and the row that the write of `statement` (`beside_caller`) returns, in one statement on PostgreSQL
    for a token already verified in this process: a data-modifying CTE beside the caller's query, one round trip
    instead of two. A refused caller (revoked, expired: read in that statement) raises as in `caller`, and the write
    wrote nothing. None, and nothing written, where this does not apply (SQLite, whose statements cost no round trip;
    a token not verified here yet; its key row gone): then `caller` first."""
    digest = hashing.token_digest(token)
    remembered = hashing.remembered_key(digest)
    if remembered is None or db.get_bind().dialect.name != "postgresql":
        return None
    now = utcnow()
    values = {**params, "tradeledger_key_id": remembered, _NOW: now, _PREFIX: token[:PREFIX_LENGTH]}
    found = fetch(db, statement, values)
    if not found:  # the key row is gone: no caller row, nothing written
        return None
    key, written = found[0][: len(_CALLER_COLUMNS)], found[0][len(_CALLER_COLUMNS) :]
    row = dict(zip(_CALLER_COLUMNS, key, strict=True))
    if row["prefix"] != token[:PREFIX_LENGTH]:  # not this token's key (nothing written): `caller` finds it
        return None
    return _live(db, token, digest, row, now), None if written[0] is None else written


def beside_caller(write: Callable[[CTE], Insert]) -> Select[Any]:
    """The statement `caller_writing` runs: the caller's key row by id, and `write(live)` beside it, where `live` is
    that row (its `id` and `member`) only while the key is live at `now` with the token's prefix. Built once, at
    import, by the module that writes."""
    known = _CALLER_BY_ID.cte("tradeledger_caller")
    live = (
        select(known.c.id, known.c.member)
        .where(
            known.c.revoked_at.is_(None),
            or_(known.c.expires_at.is_(None), known.c.expires_at > bindparam(_NOW, type_=_KEYS.c.expires_at.type)),
            known.c.prefix == bindparam(_PREFIX, type_=_KEYS.c.prefix.type),
        )
        .cte("tradeledger_live_caller")
    )
    written = write(live).cte("tradeledger_written")
    return select(known, written).select_from(known.outerjoin(written, true()))


def _live(db: Session, token: str, digest: str, row: Mapping[Any, Any] | None, now: datetime | None = None) -> Caller:
    """The caller, from its key's row as `_CALLER` selects it, by column name (looked up by the token's prefix and
    verified when this process has not verified the token yet), unless the key is unknown, revoked or expired (by
    `now`, if the row's statement judged it at that instant)."""
    if row is None or not token.startswith(row["prefix"]):
        candidates = db.execute(_CALLERS_BY_PREFIX, {"prefix": token[:PREFIX_LENGTH]}).all()
        row = next((c._mapping for c in candidates if hashing.verify_key(c.secret_hash, digest, c.id)), None)
    if row is None or row["revoked_at"] is not None:
        raise AuthenticationError("the API key is unknown or revoked")
    expires_at = row["expires_at"]
    if expires_at is not None and expires_at <= (now or utcnow()):
        raise AuthenticationError("the session has expired; sign in again")
    return Caller(
        key_id=row["id"],
        member=row["member"],
        user_id=row["user_id"],
        username=row["username"],
        roles=_roles(row["roles"]),
        user_disabled=row["disabled_at"] is not None,
        kind=row["kind"],
        active=row["status"] is MemberStatus.ACTIVE,
    )


@lru_cache(maxsize=256)
def _roles(stored: str | None) -> frozenset[str]:
    """A user's roles from their JSON text (None: no user row); a few distinct texts serve every caller."""
    return frozenset(json.loads(stored) or ()) if stored is not None else frozenset()


def authenticate(db: Session, token: str) -> ApiKey:
    """The live key behind a bearer token."""
    key = db.get(ApiKey, caller(db, token).key_id)
    if key is None:  # deleted since `caller` read it
        raise AuthenticationError("the API key is unknown or revoked")
    return key


def revoke_api_key(db: Session, key_id: str) -> None:
    key = db.get(ApiKey, key_id)
    if key is None:
        raise TradeLedgerError(f"no API key {key_id}", code="api_key_not_found")
    key.revoked_at = utcnow()
