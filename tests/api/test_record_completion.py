"""Completing a record whose request's effect stored an answer (`idempotency._complete_answered`): the client's
answer replaces the stored one in one UPDATE, and a record without a stored answer is left to the caller."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tradeledger.api.idempotency import Answer, InFlight, _complete_answered, unseal
from tradeledger.identity.models import IdempotencyRecord
from tradeledger.identity.service import create_api_key
from tradeledger.store.db import make_engine, session_factory, transaction

MEMBER = "0x" + "cd" * 20
MINED = Answer(200, b'{"id": "operation", "state": "mined"}', location="/v1/transactions/operation")


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(database_url)
    yield session_factory(engine)
    engine.dispose()


def _record(sessions: sessionmaker[Session], key: str, stored_status: int | None) -> InFlight:
    with transaction(sessions) as db:
        api_key, token = create_api_key(db, MEMBER, "writer")
        row = IdempotencyRecord(api_key_id=api_key.id, key=key, fingerprint="f" * 64, status=stored_status)
        db.add(row)
        db.flush()
        return InFlight(row.id, token, key)


def test_a_record_answered_by_its_effect_is_completed_with_the_clients_answer(
    sessions: sessionmaker[Session],
) -> None:
    answered, unanswered = _record(sessions, "answered", 202), _record(sessions, "unanswered", None)
    with transaction(sessions) as db:
        assert _complete_answered(db, answered, MINED)
        assert not _complete_answered(db, unanswered, MINED)
    with sessions() as db:
        row = db.get(IdempotencyRecord, answered.record_id)
        assert row is not None and row.completed and (row.status, row.location) == (200, MINED.location)
        assert row.content_type == "application/json"
        assert row.body is not None and unseal(answered.token, answered.key, row.body) == MINED.body
        left = db.get(IdempotencyRecord, unanswered.record_id)
        assert left is not None and not left.completed and left.status is None and left.body is None
