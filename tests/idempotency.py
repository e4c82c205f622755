"""Faults for idempotency tests: records that look abandoned, and a database that refuses to complete them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import timedelta

from sqlalchemy import text, update
from sqlalchemy.orm import Session, sessionmaker

from tradeledger.identity.models import IdempotencyRecord
from tradeledger.runtime import Platform
from tradeledger.store.base import utcnow
from tradeledger.store.db import transaction


def age_incomplete_records(sessions: sessionmaker[Session]) -> None:
    """Make every incomplete record look as old as one a crashed process left behind."""
    with transaction(sessions) as db:
        db.execute(
            update(IdempotencyRecord)
            .where(IdempotencyRecord.completed.is_(False))
            .values(created_at=utcnow() - timedelta(hours=1))
        )


def refused_completion(platform: Platform) -> AbstractContextManager[None]:
    """The database refuses to complete any idempotency record (a real failure of the completion step, raised by
    the database itself), while the provisional answer written with the outbox row still goes through."""
    return _refusing_updates(platform, "NEW.completed")


def refused_rewrite(platform: Platform) -> AbstractContextManager[None]:
    """The database refuses to change an idempotency record once it holds an answer (any step after the one that
    stored the answer with the request's effect fails), while that first answer still goes through."""
    return _refusing_updates(platform, "OLD.status IS NOT NULL")


@contextmanager
def _refusing_updates(platform: Platform, condition: str) -> Iterator[None]:
    """A trigger raising on every update of an idempotency record that meets `condition` (SQL, OLD and NEW)."""
    if platform.engine.dialect.name == "postgresql":
        create = [
            "CREATE FUNCTION refuse_completion() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'completion refused'; END $$",
            "CREATE TRIGGER refuse_completion BEFORE UPDATE ON idempotency_records FOR EACH ROW "
            f"WHEN ({condition}) EXECUTE FUNCTION refuse_completion()",
        ]
        drop = ["DROP TRIGGER refuse_completion ON idempotency_records", "DROP FUNCTION refuse_completion()"]
    else:
        create = [
            "CREATE TRIGGER refuse_completion BEFORE UPDATE ON idempotency_records "
            f"WHEN {condition} BEGIN SELECT RAISE(ABORT, 'completion refused'); END"
        ]
        drop = ["DROP TRIGGER refuse_completion"]
    with platform.engine.begin() as connection:
        for statement in create:
            connection.execute(text(statement))
    try:
        yield
    finally:
        with platform.engine.begin() as connection:
            for statement in drop:
                connection.execute(text(statement))
