"""Faults for idempotency tests: records that look abandoned, and a database that refuses to complete them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
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


@contextmanager
def refused_completion(platform: Platform) -> Iterator[None]:
    """The database refuses to complete any idempotency record (a real failure of the completion step, raised by
    the database itself), while the link written with the outbox row still goes through."""
    if platform.engine.dialect.name == "postgresql":
        create = [
            "CREATE FUNCTION refuse_completion() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'completion refused'; END $$",
            "CREATE TRIGGER refuse_completion BEFORE UPDATE ON idempotency_records FOR EACH ROW "
            "WHEN (NEW.completed) EXECUTE FUNCTION refuse_completion()",
        ]
        drop = ["DROP TRIGGER refuse_completion ON idempotency_records", "DROP FUNCTION refuse_completion()"]
    else:
        create = [
            "CREATE TRIGGER refuse_completion BEFORE UPDATE ON idempotency_records "
            "WHEN NEW.completed = 1 BEGIN SELECT RAISE(ABORT, 'completion refused'); END"
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
