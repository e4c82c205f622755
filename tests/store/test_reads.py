"""The frequent reads' sessions: on PostgreSQL out of a transaction, on a pool of their own, statements prepared."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from tradeledger.store.db import make_engine, read_sessions, session_factory, transaction


@pytest.fixture
def engine(database_url: str) -> Engine:
    return make_engine(database_url)


def _server_state(db: Session) -> tuple[str, int]:
    """The connection's transaction status after a statement, and how many statements it has prepared."""
    prepared = db.execute(text("SELECT count(*) FROM pg_prepared_statements")).scalar_one()
    driver = db.connection().connection.driver_connection
    assert driver is not None
    return driver.info.transaction_status.name, int(prepared)


def test_sqlite_reads_through_the_engine_itself(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL reads on a pool of their own")
    assert read_sessions(engine).kw["bind"] is engine


def test_a_read_runs_out_of_a_transaction_and_its_statements_stay_prepared(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no server round trips to save")
    reads = read_sessions(engine)
    assert read_sessions(engine) is reads and reads.kw["bind"] is not engine
    lookup = text("SELECT count(*) FROM api_keys WHERE id = :id")
    for _ in range(8):  # one thread: the pool hands out the same connection each time
        with reads() as db:
            assert db.execute(lookup, {"id": "nobody"}).scalar_one() == 0
    with reads() as db:
        status, prepared = _server_state(db)
    assert status == "IDLE"  # no BEGIN was sent: each statement is its own transaction
    assert prepared >= 1  # psycopg prepared the repeated look-up, and no ROLLBACK deallocated it


def test_a_read_sees_each_commit_at_once(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite reads through the engine's own sessions")
    writers = session_factory(engine)
    with transaction(writers) as writer:
        writer.execute(text("CREATE TABLE probe (n integer)"))
    count = text("SELECT count(*) FROM probe")
    with read_sessions(engine)() as db:
        for seen in range(3):
            assert db.execute(count).scalar_one() == seen  # the same read session, statement after statement
            with transaction(writers) as writer:
                writer.execute(text("INSERT INTO probe VALUES (1)"))


def test_disposing_the_engine_closes_the_reads_pool(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite reads through the engine's own sessions")
    reads = read_sessions(engine)
    with reads() as db:
        db.execute(text("SELECT 1"))
    pool = reads.kw["bind"].pool
    assert pool.checkedin() == 1
    engine.dispose()
    assert pool.checkedin() == 0  # its connection closed with the engine's own
