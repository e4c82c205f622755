"""Engines, sessions and migrations: SQLite by default (a file under the data directory), PostgreSQL by URL."""

from __future__ import annotations

import select
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar
from weakref import WeakKeyDictionary

from alembic import command
from alembic.config import Config
from psycopg.pq import TransactionStatus
from sqlalchemy import URL, Connection, Engine, Select, create_engine, event
from sqlalchemy.exc import ArgumentError, DBAPIError, DisconnectionError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.dml import UpdateBase

from tradeledger.errors import ConfigurationError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def database_url(configured: str | None, data_dir: Path) -> str:
    """The configured URL, or a SQLite file under the data directory."""
    if configured:
        return configured
    data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(data_dir / 'tradeledger.db').resolve()}"


SqliteSynchronous = Literal["FULL", "NORMAL"]

# Durable before acknowledged: a 2xx means the outbox row is on disk. In WAL mode, synchronous=NORMAL fsyncs the
# log only at checkpoints, so a commit survives a crash of the process but not a power loss or a kernel panic:
# the last commits before one vanish although their requests were answered. FULL fsyncs the log at every commit.
# (EXTRA adds an fsync of the directory after a rollback journal is deleted: nothing in WAL mode.) Its cost is
# measured by `make bench` (scripts/bench_write_path.py, NORMAL and FULL side by side); NORMAL is only for that.
SQLITE_SYNCHRONOUS: SqliteSynchronous = "FULL"
SQLITE_MMAP_BYTES = 1 << 30
SQLITE_CACHE_KIB = 64 * 1024


def _tune_sqlite(synchronous: SqliteSynchronous) -> Callable[[Any, Any], None]:
    def tune(dbapi_connection: Any, _: Any) -> None:
        # WAL lets readers proceed while one writer commits; the busy timeout queues writers (several service
        # processes may share the file) instead of failing them; foreign keys are off by default in SQLite.
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        # Neither changes what a commit guarantees. The indexer's batches insert into indexes keyed by hashes, so
        # each touches pages all over every such index: with SQLite's default 2 MiB page cache they were read back
        # from the file again and again (the inserts took 3 times as long, scripts/bench_indexer.py). Reads go
        # through a shared memory map of the file instead of copies per connection, and the cache, which fills
        # only as pages are used, may hold 64 MiB of the pages a transaction works on.
        cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
        cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        cursor.close()
        # pysqlite's own transaction handling defers BEGIN; we issue it ourselves (see _begin_sqlite).
        dbapi_connection.isolation_level = None

    return tune


# SQLite has one writer at a time, and a writer that finds the lock taken sleeps in growing steps (up to 100 ms)
# before it tries again: under concurrent requests most of a write's time went to those sleeps. Writers of one
# process therefore queue on a lock of their own first and try BEGIN IMMEDIATE one at a time; other processes
# sharing the file still meet the busy timeout.
_SQLITE_WRITERS: WeakKeyDictionary[Engine, threading.RLock] = WeakKeyDictionary()

# A connection per concurrent request thread and background loop: waiting for a pooled connection was a tenth of an
# API request's time under load. A connection opened past the pool's size is closed when it is returned, and the next
# one opened runs `_tune_sqlite`'s pragmas again.
_SQLITE_POOL: dict[str, Any] = {"connect_args": {"timeout": 30}, "pool_size": 16, "max_overflow": 48}

# The execution option that marks a connection's transaction as a unit of work that writes (see `transaction`).
WRITES = {"tradeledger_writes": True}


def _begin_sqlite(connection: Any) -> None:
    # A unit of work that writes begins with BEGIN IMMEDIATE: it takes the write lock up front, so read-then-write
    # sequences (nonce allocation, checkpoints) are serialized across processes exactly as PostgreSQL's row and
    # advisory locks do. Reads begin deferred: in WAL mode they neither wait for the writer nor hold it up
    # (every read taking the write lock serialized the whole API behind it).
    writes = connection.get_execution_options().get("tradeledger_writes", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")


def _drop_if_closed_by_server(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Hand out no pooled PostgreSQL connection the server has closed: a restart, `pg_terminate_backend` or an
    idle timeout leaves one in the pool that would fail its request's first statement.

    A connection resting in the pool has nothing to read, since it sent nothing and LISTENs on nothing
    (notifications have connections of their own, store/wakeups.py); a server that closes it sends its error and
    the end of the stream, so the socket turns readable. Looking costs one poll(2) and no round trip, where
    `pool_pre_ping` sent a query and waited for its answer on every checkout (a third of a balance read's time on
    PostgreSQL). The pool discards a connection refused here and checks out another, opening a new one when none
    is left (SQLAlchemy's pessimistic disconnect handling). A connection cut without a word from the server (a
    dead host) still fails its statement, and the request answers 503 like any database outage (api/problems).
    """
    if dbapi_connection.closed:
        raise DisconnectionError("the connection was closed")
    poller = select.poll()
    poller.register(dbapi_connection.fileno(), select.POLLIN)
    if poller.poll(0):
        raise DisconnectionError("the server closed the connection")


def make_engine(
    url: str,
    *,
    sqlite_synchronous: SqliteSynchronous = SQLITE_SYNCHRONOUS,
    pools: tuple[Pool, Pool] | None = None,
) -> Engine:
    """An engine for `url`, tuned for concurrent service processes; on a database server, its main pool and the
    reads' own (`read_sessions`) as `pools` say (store.connections sizes them to the process's share): by default
    MAIN_POOL and READS_POOL.

    PostgreSQL keeps its durable defaults: synchronous_commit stays on and every table is logged (a test checks
    both), so a commit has reached the WAL on disk before the service answers.
    """
    try:
        if url.startswith("sqlite"):
            engine = create_engine(url, **_SQLITE_POOL)
            event.listen(engine, "connect", _tune_sqlite(sqlite_synchronous))
            event.listen(engine, "begin", _begin_sqlite)
            _SQLITE_WRITERS[engine] = threading.RLock()
            return engine
        main, reads = pools or (MAIN_POOL, READS_POOL)
        engine = _server_engine(url, pool_size=main.kept, max_overflow=main.overflow)
        _READS_POOLS[engine] = reads
        event.listen(engine, "begin", _reads_only)
        event.listen(engine, "before_cursor_execute", _note_write)
        event.listen(engine, "rollback", _commit_if_only_read)
        return engine
    except (ArgumentError, ImportError) as error:
        raise ConfigurationError(f"TRADELEDGER_DATABASE_URL={url!r} is not usable: {error}") from None


def _server_engine(url: str | URL, **options: Any) -> Engine:
    engine = create_engine(url, **options)
    event.listen(engine, "checkout", _drop_if_closed_by_server)
    return engine


# The connection's entry, while a transaction runs, that says whether every statement of it so far was a select
_READS_ONLY = "tradeledger_reads_only"


def _reads_only(connection: Connection) -> None:
    connection.info[_READS_ONLY] = True


def may_write(compiled: Any) -> bool:
    """Whether a compiled statement may write. Only a select built with SQLAlchemy counts as a read (text and driver
    SQL might write: pg_notify, locks), and not one with a data-modifying CTE (an insert or update under its WITH)."""
    if not isinstance(getattr(compiled, "statement", None), Select):
        return True
    return any(isinstance(cte.element, UpdateBase) for cte in getattr(compiled, "ctes", None) or ())


def _note_write(connection: Connection, _cursor: Any, _sql: str, _params: Any, context: Any, _many: bool) -> None:
    if context is None or may_write(context.compiled):
        note_written(connection)


def note_written(connection: Connection) -> None:
    """The transaction on `connection` wrote: its rollback stays a rollback. Also for a statement sent past
    SQLAlchemy's execution (store.reads.fetch)."""
    connection.info[_READS_ONLY] = False


def _commit_if_only_read(connection: Connection) -> None:
    """End a PostgreSQL transaction that ran nothing but selects by COMMIT rather than ROLLBACK: the same for a
    transaction that wrote nothing (both end its snapshot and release its row locks), but psycopg answers every
    ROLLBACK by deallocating all the connection's prepared statements (DEALLOCATE ALL, one more round trip) in
    case the transaction had dropped what they name, and forgets how often it ran each statement. Every session
    that only reads (the caller's look-up of a write, the manager's and the follower's polls) closes by rolling
    back, so the main pool's connections seldom kept a statement prepared and paid a round trip more per such
    session. A transaction whose statement failed, or that ran anything else, rolls back as before; one whose
    connection was lost is left alone (touching it would raise PendingRollbackError over the loss itself)."""
    if connection.invalidated or not connection.info.pop(_READS_ONLY, False):
        return
    driver = connection.connection.dbapi_connection
    if driver is not None and driver.info.transaction_status is TransactionStatus.INTRANS:
        driver.commit()


def in_process(engine: Engine) -> bool:
    """Whether the database runs inside this process (SQLite): a query then costs CPU and never waits on a
    server's answer, so an event loop may run it without stalling the requests it serves meanwhile."""
    return engine.dialect.name == "sqlite"


def migrate(engine: Engine) -> None:
    """Bring the schema to the latest Alembic revision (the service migrates on start)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    try:
        with engine.connect() as connection, connection.execution_options(**WRITES).begin():
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except OperationalError as error:
        raise ConfigurationError(f"database {engine.url.render_as_string()} is unreachable: {error.orig}") from None


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


# Reads that write nothing and wait on a database server run on this many threads (api.auth.Reader), each with
# a connection of the reads' own pool.
READ_CONNECTIONS = 8


@dataclass(frozen=True)
class Pool:
    """A pool of connections to a database server: `kept` stay open when returned, up to `overflow` more close."""

    kept: int
    overflow: int

    @property
    def ceiling(self) -> int:
        return self.kept + self.overflow

    def capped(self, ceiling: int) -> Pool:
        """This pool with at most `ceiling` connections, as many of them kept as before."""
        kept = min(self.kept, ceiling)
        return Pool(kept, ceiling - kept)


MAIN_POOL = Pool(10, 20)
# The reads' threads, each holding one (`held_read`), and the writes' approval checks beside them: with 8 kept for
# those, 32 writers opened and closed a server connection every fifth write (0.8 ms of the process's CPU and a
# backend's start each)
READS_POOL = Pool(3 * READ_CONNECTIONS, READ_CONNECTIONS)
_READS_POOLS: WeakKeyDictionary[Engine, Pool] = WeakKeyDictionary()  # an engine's reads' pool, if not READS_POOL
_READ_SESSIONS: WeakKeyDictionary[Engine, sessionmaker[Session]] = WeakKeyDictionary()
_READ_SESSIONS_MADE = threading.Lock()


def read_sessions(engine: Engine) -> sessionmaker[Session]:
    """Sessions for frequent reads that write nothing: from a pool of their own, out of a transaction.

    Each statement then runs in a snapshot of its own, which READ COMMITTED gives every statement of a transaction
    anyway on PostgreSQL, so a read sees what it saw before; but it costs only its statements. In a transaction
    psycopg sends BEGIN and waits for it before the first statement and the session's close sends ROLLBACK, two
    round trips more; and psycopg answers every ROLLBACK by deallocating the connection's prepared statements
    (DEALLOCATE ALL, one more), so a read's statements were seldom prepared. Out of a transaction they are, after
    psycopg's fifth use (`prepare_threshold`), and the server no longer parses and plans them. The pool is the
    reads' own: on the writers' pool each checkout would switch autocommit on and back, and the writers' own
    ROLLBACKs would deallocate the reads' statements. On SQLite the same spares a balance read (one statement, its
    own snapshot either way) the BEGIN and ROLLBACK that `_begin_sqlite` and the pool's reset send. The pool closes
    its connections when the engine is disposed."""
    found = _READ_SESSIONS.get(engine)
    if found is not None:
        return found
    with _READ_SESSIONS_MADE:
        found = _READ_SESSIONS.get(engine)
        if found is None:
            found = _READ_SESSIONS[engine] = session_factory(_reads_pool(engine))
        return found


def _reads_engine(engine: Engine) -> Engine:
    """The reads' own pool of `engine` (`read_sessions`'s bind)."""
    bind: Engine = read_sessions(engine).kw["bind"]
    return bind


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    """A session of `read_sessions` for one frequent read, bound to a connection checked out at once: the selects
    of `store.reads.fetch` run on that connection without the session beginning a transaction of its own (on
    PostgreSQL the session's transaction, and the connection's checkout and return through it, took about a third
    of a balance read's CPU on its read thread); whatever else the session runs joins the same connection."""
    with _reads_engine(engine).connect() as connection, Session(bind=connection, expire_on_commit=False) as session:
        yield session


T = TypeVar("T")


def held_read(engine: Engine, read: Callable[[Session], T]) -> T:
    """`read` on a session like `read_session`'s, bound to a connection of the reads' pool that this thread keeps
    checked out from one read to the next: only for the threads that serve the process's frequent reads on a
    database server (api.auth's read threads), one connection each. A checkout and its return, with the socket's
    poll, cost a PostgreSQL balance read about a tenth of its CPU, and each system call hands the interpreter lock
    to another thread. A held connection the server closed meanwhile (a restart, `pg_terminate_backend`, an idle
    timeout) fails the read's statement as lost: the read, which writes nothing, then runs once more on a new
    connection. The held connections close when the engine is disposed (a read running then closes its own when
    it ends), so no database is left with a connection of a disposed engine."""
    return _held_reads(engine).run(read)


class _Held:
    """One thread's connection of the reads' pool, and the holder's generation it was checked out in."""

    def __init__(self) -> None:
        self.lock = threading.Lock()  # held by the thread while it reads, and by `_HeldReads.close` to close
        self.connection: Connection | None = None
        self.generation = 0


class _HeldReads:
    """The connections the read threads hold on one engine's reads' pool."""

    def __init__(self, reads: Engine) -> None:
        self._reads = reads
        self._local = threading.local()
        self._held: list[_Held] = []
        self._listed = threading.Lock()
        self._generation = 0  # one more at each disposal of the engine: older connections are closed

    def run(self, read: Callable[[Session], T]) -> T:
        held: _Held | None = getattr(self._local, "held", None)
        if held is None:
            held = self._local.held = _Held()
            with self._listed:
                self._held.append(held)
        with held.lock:
            try:
                connection = held.connection
                if connection is None or connection.invalidated or held.generation != self._generation:
                    return self._read(self._replaced(held), read)
                try:
                    return self._read(connection, read)
                except DBAPIError as error:
                    if not error.connection_invalidated:
                        raise
                return self._read(self._replaced(held), read)  # the held one was lost: a read writes nothing
            finally:
                if held.generation != self._generation:  # disposed while this read ran
                    _close(held)

    def _replaced(self, held: _Held) -> Connection:
        _close(held)
        held.generation = self._generation
        held.connection = self._reads.connect()
        return held.connection

    @staticmethod
    def _read(connection: Connection, read: Callable[[Session], T]) -> T:
        with Session(bind=connection, expire_on_commit=False) as session:
            return read(session)

    def close(self, _disposed: Engine) -> None:
        """Close every held connection (the engine was disposed): at once those not reading, the others when their
        read ends."""
        with self._listed:
            self._generation += 1
            held = list(self._held)
        for one in held:
            if one.lock.acquire(blocking=False):
                try:
                    _close(one)
                finally:
                    one.lock.release()


def _close(held: _Held) -> None:
    """Close the held connection itself, not back into the pool: the pool may be one the engine's disposal replaced."""
    connection, held.connection = held.connection, None
    if connection is not None:
        connection.invalidate()
        connection.close()


_HELD_READS: WeakKeyDictionary[Engine, _HeldReads] = WeakKeyDictionary()


def _held_reads(engine: Engine) -> _HeldReads:
    found = _HELD_READS.get(engine)
    if found is not None:
        return found
    reads = _reads_engine(engine)
    with _READ_SESSIONS_MADE:
        found = _HELD_READS.get(engine)
        if found is None:
            found = _HELD_READS[engine] = _HeldReads(reads)
            event.listen(engine, "engine_disposed", found.close)
        return found


def _reads_pool(engine: Engine) -> Engine:
    if in_process(engine):  # the writes' threads read through it too (users.approvals): as many as the engine's
        reads = create_engine(engine.url, isolation_level="AUTOCOMMIT", **_SQLITE_POOL)
        event.listen(reads, "connect", _tune_sqlite(SQLITE_SYNCHRONOUS))
    else:
        pool = _READS_POOLS.get(engine, READS_POOL)
        reads = _server_engine(
            engine.url, isolation_level="AUTOCOMMIT", pool_size=pool.kept, max_overflow=pool.overflow
        )
    event.listen(engine, "engine_disposed", lambda _: reads.dispose())
    return reads


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work that writes: commit on success, roll back on any error."""
    bind = factory.kw.get("bind")
    writers = _SQLITE_WRITERS.get(bind) if isinstance(bind, Engine) else None
    with writers or nullcontext(), factory() as session, session.begin():
        session.connection(execution_options=WRITES)  # begins the database transaction as one that writes
        yield session
