"""`Idempotency-Key` on every mutating request, scoped per API key (IETF draft, Stripe semantics).

A first request runs and its response is stored; a retry with the same key and the same request gets the
stored response byte for byte; a concurrent duplicate gets 409 while the first is in flight; the same key
with a different request gets 422; a mutating request without a key gets 400. A 5xx is not stored, so the
client can retry it. Pure ASGI so it sees the exact body bytes and the final response.

Stored responses are sealed (AES-256-GCM) under a key derived from the caller's API key and the
Idempotency-Key: only a retry that presents the same API key can read them back. The database holds API keys
hashed only, so a response carrying a secret (the API key of a newly onboarded trader) is not readable from it.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from datetime import timedelta
from typing import Annotated, Any

from anyio import to_thread
from Crypto.Cipher import AES
from fastapi import Depends, Header
from fastapi.routing import APIRoute
from python_multipart.multipart import parse_options_header
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tradeledger.api.auth import writing_principal
from tradeledger.api.problems import problem_body
from tradeledger.errors import TradeLedgerError
from tradeledger.identity.models import IdempotencyRecord
from tradeledger.identity.service import authenticate
from tradeledger.store.base import utcnow
from tradeledger.store.db import transaction

MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
READ_ONLY_POSTS = frozenset({"/documents/fingerprint-check"})  # queries that need a body; they change nothing
MAX_KEY_LENGTH = 255
ABANDONED_AFTER = timedelta(minutes=5)  # an in-flight record older than this belonged to a crashed process
CANONICAL_BOUNDARY = b"tradeledger-idempotency-boundary"
NONCE_BYTES, TAG_BYTES = 12, 16


def _sealing_key(token: str, key: str) -> bytes:
    """Why a plain hash suffices as the KDF: API keys are 256-bit random tokens, not passwords."""
    return hashlib.sha256(b"tradeledger-idempotency-seal-v1\0" + token.encode() + b"\0" + key.encode()).digest()


def seal(token: str, key: str, body: bytes) -> bytes:
    """`nonce || tag || ciphertext` of a response body, readable only with the same API key token."""
    nonce = os.urandom(NONCE_BYTES)
    ciphertext, tag = AES.new(_sealing_key(token, key), AES.MODE_GCM, nonce=nonce).encrypt_and_digest(body)
    return nonce + tag + ciphertext


def unseal(token: str, key: str, sealed: bytes) -> bytes:
    """The body `seal` sealed; raises ValueError if it was sealed under another token or altered."""
    tag_end = NONCE_BYTES + TAG_BYTES
    nonce, tag, ciphertext = sealed[:NONCE_BYTES], sealed[NONCE_BYTES:tag_end], sealed[tag_end:]
    return bytes(AES.new(_sealing_key(token, key), AES.MODE_GCM, nonce=nonce).decrypt_and_verify(ciphertext, tag))


class _Outcome:
    """What to do with a request after looking its key up."""

    def __init__(self, record_id: int | None = None, reply: tuple[int, bytes, str | None, str | None] | None = None):
        self.record_id = record_id
        self.reply = reply


def _problem(status: int, code: str, detail: str) -> tuple[int, bytes, str | None, str | None]:
    return status, problem_body(status, "Idempotency-Key", detail, code), "application/problem+json", None


class IdempotencyMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        sessions: Callable[[], sessionmaker[Session]],
        prefix: str = "/v1/",
    ) -> None:
        self.app = app
        self.sessions = sessions
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in MUTATING
            or not scope["path"].startswith(self.prefix)
            or any(scope["path"].endswith(path) for path in READ_ONLY_POSTS)
        ):
            await self.app(scope, receive, send)
            return
        headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]}
        token = headers.get("authorization", "").removeprefix("Bearer ").strip()
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
        fingerprint = hashlib.sha256(
            b"\n".join(
                [
                    scope["method"].encode(),
                    scope["path"].encode(),
                    scope.get("query_string", b""),
                    _canonical_body(headers.get("content-type", ""), body),
                ]
            )
        ).hexdigest()
        outcome = await to_thread.run_sync(self._begin, token, key, fingerprint)
        if outcome.reply is not None:
            await _reply(send, outcome.reply)
            return
        captured: dict[str, Any] = {"status": 500, "headers": [], "body": b""}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                captured["headers"] = message.get("headers", [])
            elif message["type"] == "http.response.body":
                captured["body"] += message.get("body", b"")
            await send(message)

        try:
            await self.app(scope, replay, capture)
        finally:
            await to_thread.run_sync(self._finish, outcome.record_id, captured, token, key)

    def _begin(self, token: str, key: str, fingerprint: str) -> _Outcome:
        try:
            with transaction(self.sessions()) as db:
                api_key = authenticate(db, token)
                existing = db.scalar(
                    select(IdempotencyRecord).where(
                        IdempotencyRecord.api_key_id == api_key.id, IdempotencyRecord.key == key
                    )
                )
                if existing is None or (not existing.completed and utcnow() - existing.created_at > ABANDONED_AFTER):
                    if existing is not None:
                        db.delete(existing)
                        db.flush()
                    record = IdempotencyRecord(api_key_id=api_key.id, key=key, fingerprint=fingerprint)
                    db.add(record)
                    db.flush()
                    return _Outcome(record_id=record.id)
                if existing.fingerprint != fingerprint:
                    return _Outcome(
                        reply=_problem(
                            422, "idempotency_key_reused", "this Idempotency-Key was used for a different request"
                        )
                    )
                if not existing.completed:
                    return _Outcome(
                        reply=_problem(
                            409,
                            "idempotency_request_in_flight",
                            "a request with this Idempotency-Key is still in progress",
                        )
                    )
                body = unseal(token, key, existing.body) if existing.body else b""
                return _Outcome(reply=(existing.status or 200, body, existing.content_type, existing.location))
        except IntegrityError:  # a concurrent duplicate inserted first
            return _Outcome(
                reply=_problem(
                    409, "idempotency_request_in_flight", "a request with this Idempotency-Key is still in progress"
                )
            )
        except TradeLedgerError:
            return _Outcome()  # not authenticated: let the route answer 401, store nothing

    def _finish(self, record_id: int | None, captured: dict[str, Any], token: str, key: str) -> None:
        if record_id is None:
            return
        with transaction(self.sessions()) as db:
            if captured["status"] >= 500:
                db.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id == record_id))
                return
            record = db.get(IdempotencyRecord, record_id)
            if record is None:
                return
            headers = {n.decode("latin-1").lower(): v.decode("latin-1") for n, v in captured["headers"]}
            record.completed = True
            record.status = captured["status"]
            record.body = seal(token, key, captured["body"])
            record.content_type = headers.get("content-type")
            record.location = headers.get("location")


def _canonical_body(content_type: str, body: bytes) -> bytes:
    """The body with a multipart form's boundary replaced by a fixed one.

    Clients draw a random boundary for every request (curl does), so the retry of an upload would otherwise
    fingerprint as a different request and be refused as a reused key.
    """
    media_type, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if media_type != b"multipart/form-data" or not boundary:
        return body
    return body.replace(b"--" + boundary, b"--" + CANONICAL_BOUNDARY)


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


async def _reply(send: Send, reply: tuple[int, bytes, str | None, str | None]) -> None:
    status, body, content_type, location = reply
    headers = [(b"content-length", str(len(body)).encode())]
    if content_type:
        headers.append((b"content-type", content_type.encode("latin-1")))
    if location:
        headers.append((b"location", location.encode("latin-1")))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def idempotency_key(
    key: Annotated[
        str,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=MAX_KEY_LENGTH,
            description="unique per intended operation (e.g. a UUID); a retry with the same key and body returns "
            "the stored response, the same key with another body answers 422, a duplicate in flight 409",
        ),
    ],
) -> str:
    """Documents the header in OpenAPI; the middleware above enforces it before any route runs."""
    return key


class IdempotentRoute(APIRoute):
    """The route class of every resource: mutating operations declare the Idempotency-Key header and refuse
    auditors (read-only)."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        methods = set(kwargs.get("methods") or ())
        if methods & MUTATING and not any(path.endswith(p) for p in READ_ONLY_POSTS):
            guards = [Depends(idempotency_key), Depends(writing_principal)]
            kwargs["dependencies"] = [*guards, *(kwargs.get("dependencies") or [])]
        super().__init__(path, endpoint, **kwargs)
