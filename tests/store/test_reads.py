"""The frequent reads' sessions: out of a transaction, on a pool of their own; on PostgreSQL, statements prepared;
and `fetch`, a select on the driver's cursor."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import Engine, Integer, Select, bindparam, column, event, func, insert, select, table, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from tradeledger.identity.models import ApiKey
from tradeledger.members.models import Member, MemberKind, MemberStatus
from tradeledger.settlements.models import AccountBalance
from tradeledger.store.base import table_of, utcnow
from tradeledger.store.db import (
    held_read,
    make_engine,
    read_session,
    read_sessions,
    session_factory,
    transaction,
)
from tradeledger.store.reads import _array_text, beside, beside_each, fetch, split, split_each
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


def _typed_rows(engine: Engine) -> Select[Any]:
    """A select of columns whose values SQLAlchemy converts (Uint256, UtcDateTime, enums, JSON, booleans), joined,
    with a bound parameter and a literal one; after a member, a user and balances beyond 2**64 are stored."""
    member = "0x" + "ab" * 20
    with transaction(session_factory(engine)) as writer:
        evidence = {"block_number": 1, "tx_hash": "0x" + "00" * 32, "log_index": 0, "block_timestamp": utcnow()}
        writer.add(Member(address=member, kind=MemberKind.BANK, status=MemberStatus.ACTIVE, admitted_at=utcnow(),
                          **evidence))  # fmt: skip
        writer.add(User(id="u-1", member=member, username="typed", kind=UserKind.SERVICE, roles=["maker", "viewer"],
                        disabled_at=utcnow()))  # fmt: skip
        for currency, amount in (("USD", 2**70 + 3), ("EUR", 0)):
            writer.add(AccountBalance(account=member, currency=currency, balance=amount, last_entry_id=5, **evidence))
    balances, members, users = table_of(AccountBalance), table_of(Member), table_of(User)
    columns = (balances.c.balance, balances.c.currency, members.c.kind, members.c.admitted_at, users.c.roles,
               users.c.disabled_at, users.c.kind, (balances.c.balance > 1).label("positive"))  # fmt: skip
    return (
        select(*columns)
        .join(members, members.c.address == balances.c.account)
        .join(users, users.c.member == members.c.address)
        .where(balances.c.account == bindparam("account"), balances.c.last_entry_id == 5)
        .order_by(balances.c.currency)
    )


def test_fetch_returns_the_rows_as_sqlalchemy_converts_them(engine: Engine) -> None:
    statement = _typed_rows(engine)
    params = {"account": "0x" + "ab" * 20}
    for factory in (session_factory(engine), read_sessions(engine)):  # in a transaction and out of one
        with factory() as db:
            expected = [tuple(row) for row in db.execute(statement, params)]
            for _ in range(7):  # past psycopg's prepare_threshold: prepared statements convert the same
                assert fetch(db, statement, params) == expected
    assert expected[1][0] == 2**70 + 3 and expected[1][2] is MemberKind.BANK and expected[1][4] == ["maker", "viewer"]
    assert expected[1][3].tzinfo is not None and expected[1][7] is True


def test_fetch_raises_what_sqlalchemy_raises(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite divides by zero without an error")
    failing = select(ApiKey.id).where(text("1/0 = 1"))
    with read_sessions(engine)() as db, pytest.raises(DBAPIError) as raised:
        fetch(db, failing, {})
    assert "division by zero" in str(raised.value.orig)
    with read_sessions(engine)() as db:  # the connection still serves the next read
        assert fetch(db, select(ApiKey.id), {}) == []


def test_fetch_refuses_an_expanding_parameter(engine: Engine) -> None:
    with read_sessions(engine)() as db, pytest.raises(ValueError, match="expanding"):
        fetch(db, select(ApiKey.id).where(ApiKey.id.in_(bindparam("ids", expanding=True))), {"ids": ["a"]})


def test_fetch_on_a_lost_connection_raises_it_invalidated(engine: Engine) -> None:
    """As from `Session.execute`: api.problems answers 503, and the pool replaces the connection."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no server to lose")
    backend = select(func.pg_backend_pid())
    with read_sessions(engine)() as db:
        lost = fetch(db, backend, {})[0][0]
        with transaction(session_factory(engine)) as admin:
            assert admin.execute(select(func.pg_terminate_backend(lost))).scalar_one()
        deadline = time.monotonic() + 10
        with pytest.raises(OperationalError) as raised:
            while time.monotonic() < deadline:  # the backend exits a moment after it is told to
                fetch(db, backend, {})
        assert raised.value.connection_invalidated
    with read_sessions(engine)() as db:
        assert fetch(db, backend, {})[0][0] != lost


def test_a_read_session_runs_fetch_and_its_own_queries_on_its_one_connection(engine: Engine) -> None:
    reads = read_sessions(engine).kw["bind"]
    with read_session(engine) as db:
        assert reads.pool.checkedout() == 1
        assert fetch(db, select(ApiKey.id), {}) == []
        assert db.scalars(select(User.id)).all() == []  # the session's own query, on the same connection
        assert db.connection() is db.bind and reads.pool.checkedout() == 1
    assert reads.pool.checkedout() == 0


_BACKEND = select(func.pg_backend_pid())


def _backend(db: Session) -> int:
    return int(fetch(db, _BACKEND, {})[0][0])


def _gone(engine: Engine, pid: int) -> bool:
    """Whether the server's backend `pid` has exited, waiting up to 10 s for it."""
    deadline = time.monotonic() + 10
    with session_factory(engine)() as db:
        while db.execute(text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}).scalar_one():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
            db.rollback()
    return True


@pytest.fixture
def server_engine(engine: Engine) -> Engine:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite reads on the event loop (api.auth): no read thread holds a connection")
    return engine


def test_a_held_read_keeps_its_threads_connection_apart_from_other_threads(server_engine: Engine) -> None:
    reads = read_sessions(server_engine).kw["bind"]
    first = held_read(server_engine, _backend)
    assert held_read(server_engine, _backend) == first and reads.pool.checkedout() == 1  # kept between reads
    with ThreadPoolExecutor(1) as other:
        assert other.submit(held_read, server_engine, _backend).result() != first
    assert held_read(server_engine, _backend) == first and reads.pool.checkedout() == 2
    with pytest.raises(DBAPIError):  # a failed statement does not lose the connection
        held_read(server_engine, lambda db: db.execute(text("SELECT 1/0")))
    assert held_read(server_engine, _backend) == first


def test_disposing_the_engine_closes_the_held_connections(server_engine: Engine) -> None:
    """A database is dropped only once no connection is left on it (tests drop theirs)."""
    held = held_read(server_engine, _backend)
    reading, release = threading.Event(), threading.Event()

    def slow(db: Session) -> int:
        reading.set()
        release.wait(10)
        return _backend(db)

    with ThreadPoolExecutor(1) as other:
        running = other.submit(held_read, server_engine, slow)
        assert reading.wait(10)
        server_engine.dispose()  # one connection not reading, one read running on the other
        assert _gone(server_engine, held)
        release.set()
        busy = running.result(timeout=10)
        assert _gone(server_engine, busy)  # closed as its read ended
        assert other.submit(held_read, server_engine, _backend).result() not in (held, busy)
    assert held_read(server_engine, _backend) not in (held, busy)  # the engine still serves, on new connections
    server_engine.dispose()


def test_a_held_connection_the_server_closed_is_replaced_and_the_read_answered(server_engine: Engine) -> None:
    """A PostgreSQL restart or an idle timeout closes the held connection: the read is answered on a new one."""
    lost = held_read(server_engine, _backend)
    with transaction(session_factory(server_engine)) as admin:
        assert admin.execute(select(func.pg_terminate_backend(lost))).scalar_one()
    assert _gone(server_engine, lost)
    ran: list[int] = []

    def counted(db: Session) -> int:
        ran.append(1)
        return _backend(db)

    assert held_read(server_engine, counted) != lost
    assert len(ran) == 2  # once on the lost connection, once more on the new one


_KEYS = table_of(ApiKey)
_BALANCES = table_of(AccountBalance)
_KEY_OF = select(_KEYS.c.id, _KEYS.c.member).where(_KEYS.c.id == bindparam("key"))
_BALANCES_OF = select(_BALANCES.c.currency, _BALANCES.c.balance).where(_BALANCES.c.account == bindparam("account"))


@pytest.fixture
def postgres_engine(engine: Engine) -> Engine:
    if engine.dialect.name != "postgresql":
        pytest.skip("beside_each is PostgreSQL's (unnest, arrays); SQLite reads each request alone")
    return engine


def _keys_and_balances(engine: Engine) -> tuple[str, str]:
    """Two members with a key each, the first with two balances, the second with none."""
    evidence = {"block_number": 1, "tx_hash": "0x" + "00" * 32, "log_index": 0, "block_timestamp": utcnow()}
    first, second = "0x" + "a1" * 20, "0x" + "b2" * 20
    with transaction(session_factory(engine)) as db:
        for address in (first, second):
            db.add(
                Member(
                    address=address, kind=MemberKind.BANK, status=MemberStatus.ACTIVE, admitted_at=utcnow(), **evidence
                )
            )
            db.add(
                User(
                    id=f"user-{address[-4:]}",
                    member=address,
                    username=f"u-{address[-4:]}",
                    kind=UserKind.SERVICE,
                    roles=[],
                )
            )
            db.flush()  # the key's user first
            db.add(
                ApiKey(
                    id=f"key-{address[-4:]}",
                    member=address,
                    label="k",
                    prefix="tl_x",
                    secret_hash="-",
                    user_id=f"user-{address[-4:]}",
                )
            )
        for currency, amount in (("USD", 7), ("EUR", 9)):
            db.add(AccountBalance(account=first, currency=currency, balance=amount, last_entry_id=1, **evidence))
    return first, second


def test_beside_each_finds_for_each_request_what_beside_finds_for_it_alone(postgres_engine: Engine) -> None:
    first, second = _keys_and_balances(postgres_engine)
    asked = [  # in no particular order, one asked twice, a key that does not exist, an account without balances
        {"key": f"key-{second[-4:]}", "account": first},
        {"key": f"key-{first[-4:]}", "account": first},
        {"key": "no such key", "account": first},
        {"key": f"key-{first[-4:]}", "account": second},
        {"key": f"key-{second[-4:]}", "account": first},
    ]
    each = beside_each(_KEY_OF, _BALANCES_OF)
    assert beside_each(_KEY_OF, _BALANCES_OF) is each and set(each.names) == {"key", "account"}  # built once
    alone = beside(_KEY_OF, _BALANCES_OF)
    with read_session(postgres_engine) as db:
        found = split_each(fetch(db, each.statement, each.params(asked)), len(asked), 2)
        expected = [split(fetch(db, alone, one), 2) for one in asked]
    assert [(key, sorted(rows)) for key, rows in found] == [(key, sorted(rows)) for key, rows in expected]
    assert found[2] == (None, []) and found[3] == ((f"key-{first[-4:]}", first), [])
    assert sorted(found[0][1]) == [("EUR", 9), ("USD", 7)]


def test_beside_each_keeps_one_generic_plan_whatever_the_number_of_requests(postgres_engine: Engine) -> None:
    """Without the arrays as scalar subqueries the server planned the statement anew on every call (a custom plan:
    given the arrays' lengths, cheaper than its generic plan for a guess of 10 rows), at ~0.3 ms of its CPU."""
    first, _ = _keys_and_balances(postgres_engine)
    each = beside_each(_KEY_OF, _BALANCES_OF)
    with read_session(postgres_engine) as db:
        for count in [1, 2, 5, 1, 3, 1, 8, 1, 2, 1, 1, 4] * 2:
            asked = [{"key": f"key-{first[-4:]}", "account": first}] * count
            assert len(fetch(db, each.statement, each.params(asked))) == 2 * count
        generic, custom = db.execute(
            text("SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement LIKE '%unnest%'")
        ).one()
    assert custom <= 5 and generic >= 10  # prepared after psycopg's first uses; the server's first 5 plans custom


@pytest.mark.parametrize(
    "values",
    [["plain", "with space", 'a "quote"', "back\\slash", "{braces},comma", "NULL", "", None], [1, 22, None]],
)
def test_array_text_is_read_back_as_the_values(postgres_engine: Engine, values: list[Any]) -> None:
    with read_session(postgres_engine) as db:
        found = db.execute(text("SELECT CAST(:values AS text[])"), {"values": _array_text(values)}).scalar_one()
    assert found == [None if value is None else str(value) for value in values]


@pytest.mark.parametrize(
    "run",
    [
        pytest.param(fetch, id="fetch"),
        pytest.param(lambda db, statement, params: [tuple(row) for row in db.execute(statement, params)], id="execute"),
    ],
)
def test_a_transaction_whose_fetch_wrote_rolls_back_its_write(
    engine: Engine, run: Callable[[Session, Select[Any], dict[str, Any]], list[tuple[Any, ...]]]
) -> None:
    """A select with a data-modifying CTE counts as a write, run by `fetch` or by SQLAlchemy's execution: its
    transaction's rollback is not turned into the COMMIT that ends a PostgreSQL transaction which only read
    (store.db)."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no data-modifying CTEs, and rolls back every transaction")
    writers = session_factory(engine)
    with transaction(writers) as db:
        db.execute(text("CREATE TABLE probe (n integer)"))
    probe = table("probe", column("n", Integer()))
    written = select(insert(probe).values(n=bindparam("n")).returning(probe.c.n).cte("written").c.n)
    with pytest.raises(RuntimeError), transaction(writers) as db:
        assert run(db, written, {"n": 1}) == [(1,)]
        raise RuntimeError("the request failed after its write")
    with writers() as db:
        assert db.execute(text("SELECT count(*) FROM probe")).scalar_one() == 0
