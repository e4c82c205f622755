"""`Idempotency-Key` on every mutating request, scoped per API key (IETF draft, Stripe semantics).

A first request runs and its response is stored; a retry with the same key and the same request gets the
stored response byte for byte; a concurrent duplicate gets 409 while the first is in flight; the same key
with a different request gets 422; a mutating request without a key gets 400. Requests compare by meaning: a
JSON body is fingerprinted as canonical JSON, a multipart body with a fixed boundary. A 5xx of a request that
changed nothing is not stored, so the client can retry it. Pure ASGI so it sees the exact body bytes and the
final response.

Exactly once across crashes: the response is buffered and the record completed (committed) before the client
hears a byte of it. And the request's effect stores an answer in the record in its own database transaction
(`InFlight.store_answer`): a chain write its provisional 202 (the operation URL) with the outbox row, a
database-only write its answer with its rows. When the client asked for the 202 (`Prefer: respond-async`), that
202 is the final answer and completes the record with the outbox row: the client hears it as stored, as every
retry will, with nothing more to commit. A record holding an answer is never run again, however old:
a retry gets that answer. Only a record without one is run again, and only once the request that ran under it
has ended (`tradeledger.identity.instances`): then nothing of it committed. That includes a request whose
completion failed because the database went away while the process lived on (it answered 503): its retry, once
the database is back, runs it (or answers what its effect stored, if its commit got through). The database
failing a request answers 503 `database_unavailable`, never 500.

Stored responses are sealed (AES-256-GCM) under a key derived from the caller's API key and the
Idempotency-Key: only a retry that presents the same API key can read them back. The database holds API keys
hashed only, so a response carrying a secret (the API key of a newly onboarded trader) is not readable from it.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import threading
from collections.abc import Callable
from contextlib import nullcontext, suppress
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from http.cookies import CookieError, SimpleCookie
from typing import Any, Generic, NamedTuple, TypeVar

from anyio import CancelScope
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from fastapi import Depends
from fastapi.routing import APIRoute
from pydantic import BaseModel
from python_multipart.multipart import parse_options_header
from sqlalchemy import CTE, BindParameter, Insert, bindparam, delete, false, insert, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tradeledger.api.auth import remember_caller, writing_principal
from tradeledger.api.problems import (
    DATABASE_GONE,
    PROBLEM_MEDIA_TYPE,
    database_cause,
    database_unavailable,
    problem_body,
)
from tradeledger.errors import TradeLedgerError
from tradeledger.identity import instances
from tradeledger.identity.models import IdempotencyRecord
from tradeledger.identity.service import beside_caller, caller, caller_writing
from tradeledger.store.base import table_of, utcnow
from tradeledger.store.db import transaction
from tradeledger.store.reads import fetch
from tradeledger.users.models import ApprovalPolicy, AuditEntry
from tradeledger.users.sessions import COOKIE

ViewT = TypeVar("ViewT", bound=BaseModel)
ResultT = TypeVar("ResultT")

log = logging.getLogger(__name__)

MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# queries that need a body; they change nothing (so auditors may send them, and they need no Idempotency-Key)
READ_ONLY_POSTS = frozenset({"/documents/fingerprint-check", "/verify", "/audit/verifications"})
UNRECORDED_PATHS = ("/v1/sessions",)  # signing in and out: no key yet, and ending a session is idempotent itself
MAX_KEY_LENGTH = 255
ABANDONED_AFTER = timedelta(minutes=5)  # an answerless record without an owner, older than this, was abandoned
CANONICAL_BOUNDARY = b"tradeledger-idempotency-boundary"
NONCE_BYTES, TAG_BYTES = 12, 16
# The records' hot statements go to the tables themselves, past the ORM's per-statement and per-object work (which
# took most of the CPU of a write's record: its insert, the answer stored with the effect, the completion).
_RECORDS, _AUDIT, _POLICIES = table_of(IdempotencyRecord), table_of(AuditEntry), table_of(ApprovalPolicy)
# Whether the caller's member has any approval policy, returned by the record's insert: a write of a member with none
# (most) is then held for no approval without a read of its own (users.approvals.hold: a session, a pooled connection
# and a round trip on a database server, ~0.3 ms of CPU a write on PostgreSQL, branch `apiwrites8`)
_MEMBER_POLICIES = select(literal(1)).where(_POLICIES.c.member == bindparam("policy_member")).exists()
# a new record, unless a concurrent duplicate's is there (its id, or no row): no failing statement in a group
_INSERT_NEW = {
    name: dialect.insert(_RECORDS)
    .on_conflict_do_nothing(index_elements=[_RECORDS.c.api_key_id, _RECORDS.c.key])
    .returning(_RECORDS.c.id, _MEMBER_POLICIES)
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}
_NEW_COLUMNS = ("key", "fingerprint", "owner", "created_at")


def _new_record_of(live: CTE) -> Insert:
    """`_INSERT_NEW` on PostgreSQL as the caller's look-up runs it beside its own query (`caller_writing`): a record
    of the caller's key only while that key is live, whether its member has any approval policy beside its id."""
    values = (bindparam(name, type_=_RECORDS.c[name].type) for name in _NEW_COLUMNS)
    return (
        postgresql.insert(_RECORDS)
        .from_select(["api_key_id", *_NEW_COLUMNS, "completed"], select(live.c.id, *values, false()))
        .on_conflict_do_nothing(index_elements=[_RECORDS.c.api_key_id, _RECORDS.c.key])
        .returning(_RECORDS.c.id, select(literal(1)).where(_POLICIES.c.member == live.c.member).exists())
    )


_NEW_RECORD_BESIDE_CALLER = beside_caller(_new_record_of)


# The statements a chain write's record runs on the lane's writer thread, inside the outbox transaction (the SQLite
# write lock held), built once with every value bound: built per call, their construction and SQLAlchemy's matching
# of each new statement to its cached compilation took most of that time (py-spy, branch `apiwrites5`).
_ANSWER_COLUMNS: dict[str, BindParameter[Any]] = {  # an answer's columns, bound as `InFlight.answer_values` names them
    "status": bindparam("answer_status"),
    "body": bindparam("sealed"),
    "content_type": bindparam("answer_type"),
    "location": bindparam("answer_location"),
}
_STORE_ANSWER = (
    update(_RECORDS)
    .where(_RECORDS.c.id == bindparam("record_id"), _RECORDS.c.completed.is_(False))
    .values(completed=bindparam("final"), transaction_id=bindparam("operation"), **_ANSWER_COLUMNS)
)
_AUDITED = insert(_AUDIT)
_AUDIT_VALUES = ("member", "user_id", "username", "action", "request", "outcome", "at")
# On PostgreSQL the answer and its audit entry in one statement (data-modifying CTEs): one round trip on the lane's
# writer transaction instead of two. The entry is inserted only if the record was answered (the CTE's row): it returns
# a row exactly when the UPDATE matched, as `store_answer` checks it (the driver reports no row count for it). Run as
# a select of the inserted entry on the driver's cursor (store.reads.fetch): SQLAlchemy's execution of it took about a
# third of its CPU on the writer thread (4 answers a transaction: 252-348 → 162-221 µs an answer, branch `apiwrites12`).
_ANSWERED = _STORE_ANSWER.returning(_RECORDS.c.id).cte("answered")
_AUDITED_ANSWER = (
    insert(_AUDIT)
    .from_select(
        list(_AUDIT_VALUES),
        select(*(bindparam(f"audit_{name}", type_=_AUDIT.c[name].type) for name in _AUDIT_VALUES)).select_from(
            _ANSWERED
        ),
    )
    .add_cte(_ANSWERED)
    .returning(_AUDIT.c.id)
    .cte("audited")
)
_STORE_ANSWER_AUDITED = select(_AUDITED_ANSWER.c.id)
# A key's record as a look-up reads it: on the driver's cursor (store.reads.fetch), past the ORM's entity query and
# SQLAlchemy's per-statement work, which took most of a look-up (py-spy, `apiwrites5` and `apiwrites6`)
_FIND = select(
    _RECORDS.c.id, _RECORDS.c.fingerprint, _RECORDS.c.status, _RECORDS.c.owner, _RECORDS.c.created_at,
    _RECORDS.c.body, _RECORDS.c.content_type, _RECORDS.c.location,
).where(_RECORDS.c.api_key_id == bindparam("api_key_id"), _RECORDS.c.key == bindparam("key"))  # fmt: skip


class _Found(NamedTuple):
    """A record as `_FIND` reads it."""

    id: int
    fingerprint: str
    status: int | None
    owner: str | None
    created_at: datetime
    body: bytes | None
    content_type: str | None
    location: str | None


def _find(db: Session, keyed: dict[str, Any]) -> _Found | None:
    found = fetch(db, _FIND, keyed)
    return _Found(*found[0]) if found else None


# A record answered by its effect, completed with the answer its client hears (built once, as `_STORE_ANSWER`)
_COMPLETE_ANSWERED = (
    update(_RECORDS)
    .where(_RECORDS.c.id == bindparam("record_id"), _RECORDS.c.status.is_not(None))
    .values(completed=True, **_ANSWER_COLUMNS)
)
_RELEASE = delete(_RECORDS).where(_RECORDS.c.id == bindparam("record_id"), _RECORDS.c.status.is_(None))
GROUP_MAX = 256  # records' look-ups and completions committed together at most
GROUP_LINGER_S = 1.0  # the committing thread ends after this long without work


def _sealing_key(token: str, key: str) -> bytes:
    """Why a plain hash suffices as the KDF: API keys are 256-bit random tokens, not passwords."""
    return hashlib.sha256(b"tradeledger-idempotency-seal-v1\0" + token.encode() + b"\0" + key.encode()).digest()


def seal(token: str, key: str, body: bytes) -> bytes:
    """`nonce || tag || ciphertext` of a response body, readable only with the same API key token. OpenSSL's AES-GCM
    (`cryptography`): pycryptodome's set-up of a cipher per record cost ~120 µs of each chain write's time on the
    lane's writer thread, the SQLite write lock held; this one ~6 µs."""
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(_sealing_key(token, key)).encrypt(nonce, body, None)  # ciphertext || tag
    return nonce + sealed[-TAG_BYTES:] + sealed[:-TAG_BYTES]


def unseal(token: str, key: str, sealed: bytes) -> bytes:
    """The body `seal` sealed; raises ValueError if it was sealed under another token or altered."""
    tag_end = NONCE_BYTES + TAG_BYTES
    nonce, tag, ciphertext = sealed[:NONCE_BYTES], sealed[NONCE_BYTES:tag_end], sealed[tag_end:]
    try:
        return AESGCM(_sealing_key(token, key)).decrypt(nonce, ciphertext + tag, None)
    except InvalidTag as error:
        raise ValueError("the stored answer was sealed under another key, or altered") from error


@dataclass(frozen=True)
class Answer:
    """A response as the record stores it and a retry gets it back."""

    status: int
    body: bytes
    content_type: str | None = "application/json"
    location: str | None = None


class IdempotencyRecordLostError(TradeLedgerError):
    """The request's record went away while it ran (a retry took it for abandoned): its effect must not commit."""

    code = "idempotency_record_lost"
    http_status = 409
    title = "Idempotency-Key"


@dataclass(frozen=True)
class Audited:
    """Who made a request and what it was, as its member's audit log shows it (with its outcome)."""

    member: str
    user_id: str
    username: str | None
    action: str
    request: str


@dataclass(eq=False)
class InFlight:
    """The record of the request being served, as its effect's transaction needs it."""

    record_id: int
    token: str
    key: str
    audit: Audited | None = None
    final: Answer | None = None  # the answer `store_answer` stored as final (set before its transaction commits)
    policies: bool | None = None  # whether the caller's member (`audit.member`) had any approval policy when the
    # record was inserted (None: not known)

    def answer_values(self, answer: Answer) -> dict[str, Any]:
        """`answer`, sealed for this record, as the statements that store it bind it."""
        return {
            "record_id": self.record_id,
            "answer_status": answer.status,
            "sealed": seal(self.token, self.key, answer.body),
            "answer_type": answer.content_type,
            "answer_location": answer.location,
        }

    def audited(self, db: Session, outcome: str) -> None:
        """Append the request with `outcome` to its member's audit log, in `db`'s transaction."""
        if self.audit is not None:
            entry = self.audit
            db.connection().execute(
                _AUDITED,
                {"member": entry.member, "user_id": entry.user_id, "username": entry.username,
                 "action": entry.action, "request": entry.request, "outcome": outcome},
            )  # fmt: skip

    def store_answer(
        self, db: Session, answer: Answer, transaction_id: str | None = None, *, final: bool = False
    ) -> None:
        """In the transaction that commits the request's effect: the answer a retry gets from now on, sealed (and
        the request in the audit log, with the effect it commits). A `final` answer (a chain write's 202 when the
        client asked for it) completes the record here: if the client hears exactly it, the middleware has nothing
        left to commit."""
        connection = db.connection()
        values = {**self.answer_values(answer), "final": final, "operation": transaction_id}
        outcome = f"{answer.status} committed" + (f" as transaction {transaction_id}" if transaction_id else "")
        entry = self.audit
        together = entry is not None and connection.dialect.name == "postgresql"
        if entry is not None and together:  # the answer and its audit entry in one statement
            audit = {"member": entry.member, "user_id": entry.user_id, "username": entry.username,
                     "action": entry.action, "request": entry.request, "outcome": outcome, "at": utcnow()}  # fmt: skip
            values.update({f"audit_{name}": value for name, value in audit.items()})
            answered = len(fetch(db, _STORE_ANSWER_AUDITED, values))
        else:
            answered = connection.execute(_STORE_ANSWER, values).rowcount
        if answered != 1:
            raise IdempotencyRecordLostError(f"the record of Idempotency-Key {self.key!r} is gone; retry the request")
        if not together:
            self.audited(db, outcome)
        self.final = answer if final else None


_in_flight: ContextVar[InFlight | None] = ContextVar("idempotency_in_flight", default=None)


def in_flight() -> InFlight | None:
    """The record of the request this code runs for (None outside a keyed request: the CLI, the demo, tests)."""
    return _in_flight.get()


def answer_with(db: Session, view: BaseModel, status: int = 200, location: str | None = None) -> None:
    """A database-only write's answer, stored in its record inside the transaction of its rows (call it from
    the request's own context): after a crash, a retry gets this answer and nothing is written twice."""
    _store(in_flight(), db, view, status, location)


def _store(record: InFlight | None, db: Session, view: BaseModel, status: int, location: str | None) -> None:
    if record is not None:
        record.store_answer(db, Answer(status, view.model_dump_json().encode(), location=location))


def answering(status: int = 200, location: Callable[[ViewT], str] | None = None) -> Callable[[Session, ViewT], None]:
    """`answer_with` as the hook a domain command calls inside its transaction, for routers (which open none)."""
    record = in_flight()  # read here, in the request's context

    def answer(db: Session, view: ViewT) -> None:
        _store(record, db, view, status, None if location is None else location(view))

    return answer


@dataclass(frozen=True)
class _Outcome:
    """What to do with a request after looking its key up: run it under `record`, or answer `reply`."""

    record: InFlight | None = None
    reply: Answer | None = None


@dataclass
class _Captured:
    """The route's response, held back until the record is completed."""

    messages: list[Message] = field(default_factory=list)

    async def __call__(self, message: Message) -> None:
        self.messages.append(message)

    def answer(self) -> Answer | None:
        """The response as stored, or None if the route sent none."""
        start = next((message for message in self.messages if message["type"] == "http.response.start"), None)
        if start is None:
            return None
        headers = {n.decode("latin-1").lower(): v.decode("latin-1") for n, v in start.get("headers", [])}
        body = b"".join(m.get("body", b"") for m in self.messages if m["type"] == "http.response.body")
        return Answer(start["status"], body, headers.get("content-type"), headers.get("location"))


def _problem(status: int, code: str, detail: str) -> Answer:
    return Answer(status, problem_body(status, "Idempotency-Key", detail, code), PROBLEM_MEDIA_TYPE)


IN_FLIGHT = _problem(409, "idempotency_request_in_flight", "a request with this Idempotency-Key is still in progress")
UNRECORDED = _problem(
    503,
    "idempotency_record_unavailable",
    "the answer could not be recorded; retry with the same Idempotency-Key to learn what became of the request",
)


@dataclass(eq=False)
class _Work(Generic[ResultT]):
    """One request's unit of work on its record, and the event loop waiting for its outcome once committed."""

    run: Callable[[Session], ResultT]
    loop: asyncio.AbstractEventLoop
    outcome: asyncio.Future[ResultT]
    isolated: bool
    result: ResultT | None = None
    error: BaseException | None = None

    def deliver(self, failure: BaseException | None) -> None:
        """Hand the outcome to the waiting request (`failure`: the group's commit failed)."""
        error = self.error or failure
        with suppress(RuntimeError):  # its event loop closed (the server stopped): nobody to answer
            self.loop.call_soon_threadsafe(_resolve, self.outcome, self.result, error)


def _resolve(outcome: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if outcome.done():  # cancelled meanwhile (the server stopped)
        return
    if error is not None:
        outcome.set_exception(error)
    else:
        outcome.set_result(result)


class GroupCommit:
    """The records' look-ups and completions of concurrent requests, committed together by one thread.

    Each request's work runs in a savepoint of one shared transaction (a failing one fails alone; the look-ups,
    which cannot fail halfway, without one; one that loses the database's connection fails the whole group with
    that error, a 503, since nothing of the group can commit), and every request hears its outcome only once that
    transaction has committed: the record is committed before the request's effect, and its answer before the client
    hears it, as with a commit of its own. Under load that is one commit (one fsync on SQLite, one WAL flush on
    PostgreSQL) for many requests instead of two per request, and the event loop waits for it without holding a thread
    of the pool.
    """

    def __init__(self, sessions: Callable[[], sessionmaker[Session]]) -> None:
        self._sessions = sessions
        self._queue: list[_Work[Any]] = []
        self._ready = threading.Condition()
        self._thread: threading.Thread | None = None

    async def run(self, work: Callable[[Session], ResultT], *, isolated: bool = True) -> ResultT:
        """`work(db)`'s result once committed (or its error, or the commit's). Without `isolated` it runs without a
        savepoint of its own (two statements fewer): only for work that no statement fails, and that has left
        nothing half done if it raises."""
        loop = asyncio.get_running_loop()
        queued: _Work[ResultT] = _Work(work, loop, loop.create_future(), isolated)
        with self._ready:
            self._queue.append(queued)
            if self._thread is None:
                self._thread = threading.Thread(target=self._commit_groups, name="idempotency records", daemon=True)
                self._thread.start()
            self._ready.notify()
        with CancelScope(shield=True):  # as a thread would: the work commits or fails whatever becomes of the request
            result = await queued.outcome
        return result

    def _commit_groups(self) -> None:
        while True:
            with self._ready:
                if not self._queue and not self._ready.wait_for(lambda: bool(self._queue), GROUP_LINGER_S):
                    self._thread = None
                    return
                group, self._queue = self._queue[:GROUP_MAX], self._queue[GROUP_MAX:]
            failure: BaseException | None = None
            try:
                with transaction(self._sessions()) as db:
                    for queued in group:
                        try:
                            with db.begin_nested() if queued.isolated else nullcontext():
                                queued.result = queued.run(db)
                        except DATABASE_GONE:
                            raise  # the connection went with it: nothing of the group commits, each hears why
                        except Exception as error:
                            queued.error = error
                        finally:  # each reads the rows afresh, as in a session of its own
                            db.expunge_all()
            except Exception as error:  # the connection or the commit failed: nothing of the group committed
                failure = error
            for queued in group:
                queued.deliver(failure)


class IdempotencyMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        sessions: Callable[[], sessionmaker[Session]],
        instance: Callable[[], str],
        prefix: str = "/v1/",
    ) -> None:
        self.app = app
        self.sessions = sessions
        self.instance = instance
        self.prefix = prefix
        self._records = GroupCommit(sessions)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in MUTATING
            or not scope["path"].startswith(self.prefix)
            or any(scope["path"].endswith(path) for path in READ_ONLY_POSTS)
            or scope["path"].startswith(UNRECORDED_PATHS)
        ):
            await self.app(scope, receive, send)
            return
        headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]}
        token = headers.get("authorization", "").removeprefix("Bearer ").strip() or _session_token(headers)
        body = await _read_body(receive)
        replay = _replaying(body)
        if not token:
            await self.app(scope, replay, send)  # the route answers 401
            return
        key = headers.get("idempotency-key")
        if key is None:
            await _reply(
                send, _problem(400, "idempotency_key_missing", "mutating requests need an Idempotency-Key header")
            )
            return
        if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
            await _reply(
                send,
                _problem(
                    400, "idempotency_key_invalid", f"Idempotency-Key must be 1-{MAX_KEY_LENGTH} printable characters"
                ),
            )
            return
        fingerprint = request_fingerprint(
            scope["method"], scope["path"], scope.get("query_string", b""), headers.get("content-type", ""), body
        )
        action = f"{scope['method']} {scope['path']}"
        instance = self.instance()
        outcome = await self._begin(scope, token, key, fingerprint, action, instance)
        if outcome.record is None:
            if outcome.reply is not None:
                await _reply(send, outcome.reply)
            else:
                await self.app(scope, replay, send)  # not authenticated: the route answers 401, nothing is stored
            return
        captured = _Captured()
        failure: Exception | None = None
        completed = False
        try:
            context = _in_flight.set(outcome.record)
            try:
                await self.app(scope, replay, captured)
            except Exception as error:
                failure = error
            finally:
                _in_flight.reset(context)
            reply, completed = await self._complete(outcome.record, None if failure is not None else captured.answer())
        finally:  # before the client hears anything: its retry must not find the request still in flight
            instances.end_serving(instance, outcome.record.record_id, completed=completed)
        if failure is not None:
            if reply is None:
                raise failure
            log.error("request with Idempotency-Key %r failed; answered %d", key, reply.status, exc_info=failure)
        if reply is not None:
            await _reply(send, reply)
            return
        for message in captured.messages:
            await send(message)

    async def _complete(self, record: InFlight, answer: Answer | None) -> tuple[Answer | None, bool]:
        """The record completed with the route's `answer` (None: the route failed): what the client hears instead of
        the route's own response (None: that response), and whether the record was completed (False: the database
        went away, the record stays answerless, and is released when the request ends)."""
        final = record.final
        if answer is not None and final is not None and (answer.status, answer.location) == (
            final.status, final.location,
        ):  # fmt: skip
            # the route accepted the operation whose 202 its effect stored as final, which it can only do once that
            # effect's transaction has committed (the outbox row, the record completed with it): the client hears
            # that 202, as every retry will, and nothing is left to commit
            return final, True
        try:
            return await self._records.run(partial(self._finish, record, answer)), True
        except Exception:
            log.exception("could not complete the record of Idempotency-Key %r", record.key)
            return UNRECORDED, False

    async def _begin(
        self, scope: Scope, token: str, key: str, fingerprint: str, action: str, instance: str
    ) -> _Outcome:
        """Look the key up: run the request under a new record, or answer what the key's record says. A record
        this creates is `instances.serving` from before it commits until the middleware has finished with it."""
        created: list[int] = []
        outcome = _Outcome()  # not authenticated: the route answers 401, nothing is stored
        try:
            outcome = await self._records.run(
                partial(self._look_up, scope, token, key, fingerprint, action, instance, created), isolated=False
            )
        except DATABASE_GONE as error:
            log.warning("Idempotency-Key %r: the database did not answer: %s", key, database_cause(error))
            outcome = _Outcome(reply=Answer(503, database_unavailable(error), PROBLEM_MEDIA_TYPE))
        except TradeLedgerError:
            pass
        finally:
            if outcome.record is None:  # the record may have committed (the commit's answer lost): not served
                for record_id in created:
                    instances.end_serving(instance, record_id, completed=False)
        return outcome

    @staticmethod
    def _look_up(
        scope: Scope,
        token: str,
        key: str,
        fingerprint: str,
        action: str,
        instance: str,
        created: list[int],
        db: Session,
    ) -> _Outcome:
        """No statement of it fails (the insert gives way to a record the key already has), and what it writes is
        whole at every step (an abandoned record released, or the new one inserted): it needs no savepoint.

        The insert comes first: nearly every key is new, and then the caller and the insert are the look-up's only
        statements, on PostgreSQL one (`caller_writing`: one round trip instead of two); only a key that has a record
        reads it."""
        new = {"key": key, "fingerprint": fingerprint, "owner": instance, "created_at": utcnow()}
        together = caller_writing(db, token, _NEW_RECORD_BESIDE_CALLER, new)
        found, inserted = together if together is not None else (caller(db, token), None)
        remember_caller(scope, token, found)
        new.update(api_key_id=found.key_id, policy_member=found.member)
        insert_new = _INSERT_NEW[db.get_bind().dialect.name]
        if together is None:
            inserted = db.connection().execute(insert_new, new).first()
        if inserted is None:  # a retry, a concurrent duplicate, or a request that ended without an answer
            keyed = {"api_key_id": found.key_id, "key": key}
            existing = _find(db, keyed)
            if existing is not None and _abandoned(db, existing, instance):
                released = db.connection().execute(_RELEASE, {"record_id": existing.id})
                # else its request stored an answer meanwhile (its transaction held the row): that answer stands
                existing = None if released.rowcount == 1 else _find(db, keyed)
            if existing is not None:
                return _Outcome(reply=_known(existing, fingerprint, token, key))
            inserted = db.connection().execute(insert_new, new).first()
            if inserted is None:  # a concurrent duplicate's record, committed since the look-up above
                return _Outcome(reply=IN_FLIGHT)
        record_id, policies = inserted[0], bool(inserted[1])
        instances.begin_serving(instance, record_id)
        created.append(record_id)
        audit = Audited(found.member, found.user_id, found.username, action[:200], key)
        return _Outcome(record=InFlight(record_id, token, key, audit, policies=policies))

    @staticmethod
    def _finish(record: InFlight, answer: Answer | None, db: Session) -> Answer | None:
        """Complete the record with the route's answer, committed before the client hears it; returns what to
        answer instead, if not the route's own response.

        A request that failed (5xx, or no response) after its effect committed answers what its effect stored
        (a chain write: 202 and the operation URL): the effect happened, and a retry would answer the same.
        One that failed without an effect leaves no record, so that the client can retry it.
        """
        if answer is not None and answer.status < 500 and _complete_answered(db, record, answer):
            return None
        stored = db.get(IdempotencyRecord, record.record_id)
        if stored is None:
            return None if answer is not None else UNRECORDED
        if answer is None or answer.status >= 500:
            if stored.status is None:
                db.execute(
                    delete(IdempotencyRecord).where(
                        IdempotencyRecord.id == record.record_id, IdempotencyRecord.status.is_(None)
                    )
                )
                record.audited(db, f"{answer.status if answer else 'no answer'}: nothing written")
                return None
            return _stored(stored, record.token, record.key)
        if stored.status is None:  # the request committed nothing of its own: refused, or a plain answer
            record.audited(db, f"{answer.status}")
        stored.completed = True
        stored.status = answer.status
        stored.body = seal(record.token, record.key, answer.body)
        stored.content_type = answer.content_type
        stored.location = answer.location
        return None


def _complete_answered(db: Session, record: InFlight, answer: Answer) -> bool:
    """Complete, in one UPDATE, a record whose request's effect stored an answer with its rows (every chain write
    does, beside its outbox row, and audited it there); False if it stored none."""
    return db.connection().execute(_COMPLETE_ANSWERED, record.answer_values(answer)).rowcount == 1


def _known(existing: _Found, fingerprint: str, token: str, key: str) -> Answer:
    """What a request answers whose key already has a record: its stored answer, unless that is still to come."""
    if existing.fingerprint != fingerprint:
        return _problem(422, "idempotency_key_reused", "this Idempotency-Key was used for a different request")
    if existing.status is None:
        return IN_FLIGHT
    return _stored(existing, token, key)


def _stored(record: IdempotencyRecord | _Found, token: str, key: str) -> Answer:
    body = unseal(token, key, record.body) if record.body else b""
    return Answer(record.status or 200, body, record.content_type, record.location)


def request_fingerprint(method: str, path: str, query: bytes, content_type: str, body: bytes) -> str:
    """What a key's requests must agree on: method, path, query and the body's meaning."""
    return hashlib.sha256(
        b"\n".join([method.encode(), path.encode(), query, _canonical_body(content_type, body)])
    ).hexdigest()


def _abandoned(db: Session, record: _Found, instance: str) -> bool:
    """An answerless record whose request has ended: nothing of it committed, so it may run again.

    A request of this process (`instance`) has ended once it is no longer `instances.serving` (its completion
    failed when the database went away, or it was cancelled). Another process's has ended once that process is
    dead, its heartbeat stale (a record older than that, so that a process that has just stopped beating is not
    mistaken for one whose request is still running), or once that process released the record itself (its
    heartbeat does, `instances.release_orphans`); records from before owners were kept wait out ABANDONED_AFTER.
    """
    if record.status is not None:
        return False
    if record.owner == instance:
        return not instances.serving(instance, record.id)
    age: timedelta = utcnow() - record.created_at
    if record.owner is None:
        return age > ABANDONED_AFTER
    return age > instances.STALE_AFTER and not instances.alive(db, record.owner)


def _canonical_body(content_type: str, body: bytes) -> bytes:
    """The body as its meaning: JSON as canonical JSON (sorted keys, no insignificant whitespace), a multipart
    form with its boundary replaced by a fixed one.

    A retry may serialize its JSON differently, and clients draw a random boundary for every upload (curl
    does): either would otherwise fingerprint as a different request and be refused as a reused key.
    """
    media_type, options = parse_options_header(content_type)
    if media_type == b"application/json" or media_type.endswith(b"+json"):
        try:
            value = json.loads(body)
        except ValueError:
            return body  # not JSON at all: the route refuses it, compared byte for byte
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    boundary = options.get(b"boundary")
    if media_type != b"multipart/form-data" or not boundary:
        return body
    return body.replace(b"--" + boundary, b"--" + CANONICAL_BOUNDARY)


def _session_token(headers: dict[str, str]) -> str:
    """A browser session's token, from its cookie: the session's API key (tradeledger.users.sessions)."""
    cookies = SimpleCookie()
    try:
        cookies.load(headers.get("cookie", ""))
    except CookieError:
        return ""
    morsel = cookies.get(COOKIE)
    return morsel.value if morsel is not None else ""


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


def _replaying(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


async def _reply(send: Send, reply: Answer) -> None:
    headers = [(b"content-length", str(len(reply.body)).encode())]
    if reply.content_type:
        headers.append((b"content-type", reply.content_type.encode("latin-1")))
    if reply.location:
        headers.append((b"location", reply.location.encode("latin-1")))
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    await send({"type": "http.response.body", "body": reply.body})


_KEY_DOC = (
    "unique per intended operation (e.g. a UUID); a retry with the same key and body (JSON compared by meaning) "
    "returns the stored response, or the 202 of its operation while that is pending; the same key with another body "
    "answers 422, a duplicate in flight before anything is stored 409"
)
# The header as OpenAPI documents it on every mutating operation (the console's client is generated from it). Not a
# FastAPI dependency: the middleware above enforces it before any route runs, and a dependency would cost every
# write its solving (a sub-dependant, its header's validation and cache key) for nothing but the document.
KEY_PARAMETER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": True,
    "description": _KEY_DOC,
    "schema": {
        "type": "string",
        "minLength": 1,
        "maxLength": MAX_KEY_LENGTH,
        "title": "Idempotency-Key",
        "description": _KEY_DOC,
    },
}


class IdempotentRoute(APIRoute):
    """The route class of every resource: mutating operations document the Idempotency-Key header and refuse
    auditors (read-only)."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        methods = set(kwargs.get("methods") or ())
        if methods & MUTATING and not any(path.endswith(p) for p in READ_ONLY_POSTS):
            kwargs["dependencies"] = [Depends(writing_principal), *(kwargs.get("dependencies") or [])]
            extra = kwargs.get("openapi_extra") or {}
            kwargs["openapi_extra"] = {**extra, "parameters": [*extra.get("parameters", []), KEY_PARAMETER]}
        super().__init__(path, endpoint, **kwargs)
