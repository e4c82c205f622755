"""One budget of PostgreSQL connections shared by the service's processes: the sizing rule, the refusal of a
configuration that cannot fit, and an engine with its API workers holding every connection their pools allow while the
server still has room (on a private server with a small max_connections: filling the shared test server would refuse
other tests' connections)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import Connection, Engine, text

from tests.conftest import POSTGRES_URL
from tests.pgcluster import PgCluster, postgres_bin, private_cluster
from tradeledger.errors import ConfigurationError
from tradeledger.processes import LISTENERS, sharing_processes
from tradeledger.store.connections import (
    MIN_MAIN,
    MIN_READS,
    OPERATOR_MARGIN,
    ConnectionBudget,
    ServerLimits,
    connection_budget,
    server_limits,
)
from tradeledger.store.db import MAIN_POOL, READS_POOL, make_engine, read_sessions
from tradeledger.store.wakeups import Wakeups, wakeups_for

DEFAULT_SERVER = ServerLimits(max_connections=100, reserved=3)  # PostgreSQL's defaults


def budget(workers: int, role: str = "api", limits: ServerLimits = DEFAULT_SERVER) -> ConnectionBudget:
    return connection_budget(
        limits, configured=None, processes=sharing_processes("all", workers), listeners=LISTENERS[role]
    )


def test_one_process_keeps_the_default_pools() -> None:
    alone = connection_budget(DEFAULT_SERVER, configured=None, processes=1, listeners=LISTENERS["all"])
    assert alone.total == 100 - 3 - OPERATOR_MARGIN
    assert (alone.main, alone.reads) == (MAIN_POOL, READS_POOL)
    assert alone.ceiling == MAIN_POOL.ceiling + READS_POOL.ceiling + 2


@pytest.mark.parametrize("workers", [2, 3, 4, 5])
def test_each_process_of_several_opens_at_most_its_share(workers: int) -> None:
    processes = workers + 1
    shares = [budget(workers, "engine"), *(budget(workers) for _ in range(workers))]
    assert all(share.ceiling <= share.total // processes for share in shares)
    assert sum(share.ceiling for share in shares) <= 100 - 3 - OPERATOR_MARGIN
    for share in shares:  # never below what a process needs, never above the defaults
        assert MIN_MAIN <= share.main.ceiling <= MAIN_POOL.ceiling
        assert MIN_READS <= share.reads.ceiling <= READS_POOL.ceiling
        assert share.main.kept <= MAIN_POOL.kept and share.reads.kept <= READS_POOL.kept


def test_a_share_too_small_for_a_process_is_refused_with_the_numbers() -> None:
    with pytest.raises(ConfigurationError) as refused:
        budget(6)  # 7 processes: 13 connections each of 92
    message = refused.value.message
    assert "92 for the service" in message and "max_connections 100 less 3 reserved" in message
    assert "13 for each of its 7 processes, which needs at least 15" in message
    assert "max_connections to 113" in message  # 7 x 15, and the margin and the reserved slots beside


def test_an_explicit_budget_replaces_the_servers_and_may_not_exceed_it() -> None:
    explicit = connection_budget(DEFAULT_SERVER, configured=40, processes=2, listeners=1)
    assert (explicit.total, explicit.ceiling) == (40, 20)
    assert "TRADELEDGER_DATABASE_CONNECTIONS" in explicit.describe()
    with pytest.raises(ConfigurationError, match=r"TRADELEDGER_DATABASE_CONNECTIONS=98 is more than .*: 97"):
        connection_budget(DEFAULT_SERVER, configured=98, processes=1, listeners=2)


def test_a_connection_limit_below_the_servers_bounds_the_budget() -> None:
    limited = ServerLimits(max_connections=100, reserved=3, connection_limit=40)
    assert budget(1, limits=limited).total == 40 - OPERATOR_MARGIN
    with pytest.raises(ConfigurationError, match="raise the CONNECTION LIMIT to 50"):
        budget(2, limits=limited)  # 3 processes of 15


def test_the_limits_are_read_from_the_server() -> None:
    if not POSTGRES_URL:
        pytest.skip("TRADELEDGER_TEST_DATABASE_URL is not set")
    with psycopg.connect(POSTGRES_URL.replace("postgresql+psycopg", "postgresql")) as connection:
        max_connections, reserved = (
            int(connection.execute(f"SHOW {name}").fetchone()[0])  # type: ignore[index]
            for name in ("max_connections", "superuser_reserved_connections")
        )
    assert server_limits(POSTGRES_URL) == ServerLimits(max_connections, reserved)  # a superuser: no CONNECTION LIMIT


# The private server's limit: 52 connections for the service, 17 for each of an engine and 2 API workers.
SMALL_MAX_CONNECTIONS = 60


@pytest.fixture(scope="module")
def small_server() -> Iterator[PgCluster]:
    if postgres_bin() is None:
        pytest.skip("no PostgreSQL server binaries to start a private server with")
    with private_cluster(f"max_connections={SMALL_MAX_CONNECTIONS}") as cluster:
        yield cluster


def _client_connections(cluster: PgCluster, database: str) -> int:
    """Connections to `database`, counted by a superuser (an operator, whose reserved slots stay free)."""
    with psycopg.connect(f"host=127.0.0.1 port={cluster.port} user=postgres dbname=postgres") as operator:
        row = operator.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [database]).fetchone()
    assert row is not None
    return int(row[0])


def test_a_connection_limit_of_the_role_or_the_database_is_read(small_server: PgCluster) -> None:
    url = small_server.create_database("limited")
    with psycopg.connect(f"host=127.0.0.1 port={small_server.port} user=postgres dbname=postgres",
                         autocommit=True) as admin:  # fmt: skip
        admin.execute("CREATE ROLE teller LOGIN CONNECTION LIMIT 20")
        admin.execute("ALTER DATABASE limited CONNECTION LIMIT 30")
    teller = url.replace("postgres@", "teller@")
    assert server_limits(teller) == ServerLimits(SMALL_MAX_CONNECTIONS, 3, connection_limit=20)
    with psycopg.connect(f"host=127.0.0.1 port={small_server.port} user=postgres dbname=postgres",
                         autocommit=True) as admin:  # fmt: skip
        admin.execute("ALTER DATABASE limited CONNECTION LIMIT 12")
    assert server_limits(teller).available == 12
    assert server_limits(url).connection_limit is None  # a superuser is held by neither


def test_an_engine_and_its_api_workers_at_their_ceilings_leave_the_server_room(small_server: PgCluster) -> None:
    url = small_server.create_database("budget")
    limits = server_limits(url)
    workers = 2
    processes = sharing_processes("all", workers)
    engines: list[Engine] = []
    held: list[Connection] = []
    listening: list[Wakeups] = []
    ceilings = 0
    try:
        for role in ("engine", *["api"] * workers):  # each process's pools, built as open_platform builds them
            share = connection_budget(limits, configured=None, processes=processes, listeners=LISTENERS[role])
            engine = make_engine(url, pools=(share.main, share.reads))
            engines.append(engine)
            reads: Engine = read_sessions(engine).kw["bind"]
            held += [engine.connect() for _ in range(share.main.ceiling)]
            held += [reads.connect() for _ in range(share.reads.ceiling)]
            listening += [wakeups_for(engine) for _ in range(LISTENERS[role])]
            ceilings += share.ceiling
        for connection in held:  # each one a backend of its own
            connection.execute(text("SELECT 1"))
        assert _client_connections(small_server, "budget") == ceilings
        assert ceilings <= share.total == SMALL_MAX_CONNECTIONS - 3 - OPERATOR_MARGIN

        # at its ceiling a pool makes the next checkout wait for a connection to come back, and opens none
        waited: list[Connection] = []
        waiting = threading.Thread(target=lambda: waited.append(engines[-1].connect()))
        waiting.start()
        waiting.join(0.5)
        assert waiting.is_alive() and _client_connections(small_server, "budget") == ceilings
        returned = next(c for c in held if c.engine is engines[-1])
        held.remove(returned)
        returned.close()
        waiting.join(30)
        held += waited
        assert waited and _client_connections(small_server, "budget") == ceilings
    finally:
        for connection in held:
            connection.close()
        for wakeups in listening:
            wakeups.close()
        for engine in engines:
            engine.dispose()
