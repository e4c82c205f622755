"""A pooled PostgreSQL connection the server closed is never handed out, and no checkout costs a round trip."""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, event, literal, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from tests.conftest import POSTGRES_URL
from tradeledger.store.db import make_engine


def _backend_pid(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())


@pytest.fixture
def engine(database_url: str) -> Engine:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has no server to close a connection")
    return make_engine(database_url)


def test_a_checkout_sends_nothing_before_the_statement(engine: Engine) -> None:
    _backend_pid(engine)  # a connection in the pool
    sent: list[str] = []

    def record(*args: Any) -> None:
        sent.append(args[2])

    event.listen(engine, "before_cursor_execute", record)
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    assert sent == ["SELECT 1"]  # no ping first


def test_a_connection_the_server_terminated_is_replaced(engine: Engine) -> None:
    terminated = _backend_pid(engine)  # back in the pool, idle
    assert POSTGRES_URL is not None
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            assert connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": terminated}).scalar_one()
        deadline = time.monotonic() + 10
        with admin.connect() as connection:  # the backend has exited once it is no longer listed
            while connection.execute(text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"),
                                     {"pid": terminated}).scalar_one():  # fmt: skip
                assert time.monotonic() < deadline
                time.sleep(0.01)
    finally:
        admin.dispose()
    assert _backend_pid(engine) != terminated  # answered on a new connection instead of failing


def test_a_transaction_that_loses_its_connection_fails_with_that_loss(engine: Engine) -> None:
    """A read-only transaction whose connection dies mid-statement rolls back without touching the dead
    connection, so its caller sees the loss (OperationalError: a 503 in the API), not PendingRollbackError (a 500)."""
    assert POSTGRES_URL is not None
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with pytest.raises(OperationalError), Session(engine) as session, session.begin():
            pid = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
            session.execute(select(literal(1))).scalar_one()  # still only reads: rolled back by COMMIT
            with admin.connect() as connection:
                connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            session.execute(select(literal(1)))
    finally:
        admin.dispose()
    assert _backend_pid(engine) != pid  # and the pool goes on with a new connection
