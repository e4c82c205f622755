"""The frequent reads' sessions: out of a transaction, on a pool of their own; on PostgreSQL, statements prepared."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, bindparam, event, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from tradeledger.identity.models import ApiKey
from tradeledger.store.db import make_engine, read_sessions, session_factory, transaction
from tradeledger.users.models import User, UserKind


@pytest.fixture
def engine(database_url: str) -> Engine:
    return make_engine(database_url)


def _server_state(db: Session) -> tuple[str, int]:
    """The connection's transaction status after a statement, and how many statements it has prepared."""
    prepared = db.execute(text("SELECT count(*) FROM pg_prepared_statements")).scalar_one()
    driver = db.connection().connection.driver_connection
    assert driver is not None
    return driver.info.transaction_status.name, int(prepared)


def test_a_sqlite_read_sends_its_statement_alone(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL: the next test")
    reads = read_sessions(engine)
    assert read_sessions(engine) is reads and reads.kw["bind"] is not engine
    sent: list[str] = []
    event.listen(reads.kw["bind"], "before_cursor_execute", lambda *args: sent.append(args[2]))
    with reads() as db:
        assert db.execute(text("SELECT count(*) FROM api_keys")).scalar_one() == 0
        driver = db.connection().connection.driver_connection
        assert driver is not None and not driver.in_transaction  # no BEGIN: the statement is its own transaction
    assert sent == ["SELECT count(*) FROM api_keys"]


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
    reads = read_sessions(engine)
    with reads() as db:
        db.execute(text("SELECT 1"))
    pool = reads.kw["bind"].pool
    assert pool.checkedin() == 1
    engine.dispose()
    assert pool.checkedin() == 0  # its connection closed with the engine's own


def _prepared(engine: Engine) -> int:
    with session_factory(engine)() as db:
        return int(db.execute(text("SELECT count(*) FROM pg_prepared_statements")).scalar_one())


def test_sessions_that_only_read_keep_the_main_pools_statements_prepared(engine: Engine) -> None:
    """psycopg deallocates every prepared statement of a connection on ROLLBACK: a session of the main pool that
    ran only selects ends by COMMIT instead, which is the same for it."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite prepares nothing on a server")
    lookup = select(ApiKey.id).where(ApiKey.prefix == bindparam("prefix"))
    for _ in range(8):  # one thread: the pool hands out the same connection each time
        with session_factory(engine)() as db:
            assert db.execute(lookup, {"prefix": "nobody"}).all() == []
    assert _prepared(engine) >= 1


@pytest.mark.parametrize("write", ["orm", "text", "failed"])
def test_a_session_that_wrote_or_failed_still_rolls_back(engine: Engine, write: str) -> None:
    """Whatever ran besides selects, or failed, is rolled back."""
    if write == "failed" and engine.dialect.name != "postgresql":
        pytest.skip("SQLite divides by zero without an error")
    member = "0x" + "ab" * 20
    with session_factory(engine)() as db:
        db.execute(select(ApiKey.id)).all()
        if write == "orm":
            db.add(User(id="u-1", member=member, username="rolled-back", kind=UserKind.SERVICE, roles=[]))
            db.flush()
        elif write == "text":
            db.execute(
                text("INSERT INTO users (id, member, username, kind, roles, created_at)"
                     " VALUES ('u-1', :member, 'x', 'SERVICE', '[]', CURRENT_TIMESTAMP)"),
                {"member": member},
            )  # fmt: skip
        else:
            db.add(User(id="u-1", member=member, username="rolled-back", kind=UserKind.SERVICE, roles=[]))
            db.flush()
            with pytest.raises(DBAPIError):
                db.execute(select(ApiKey.id).where(text("1/0 = 1"))).all()
    with session_factory(engine)() as db:
        assert db.get(User, "u-1") is None
