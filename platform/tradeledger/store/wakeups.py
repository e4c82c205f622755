"""Wake-ups between processes through the database: the engine says it moved on, API workers wake at once.

An API worker waits for its writes in the database (outbox rows final, indexer checkpoint past their block).
Polling those tables every few milliseconds costs a query per tick per worker; instead each worker blocks until
the database says something changed, then reads once:

- PostgreSQL: `LISTEN`/`NOTIFY`. The engine calls `announce` in the transaction that records outbox outcomes
  (delivered at its commit, never before) and `announce_now` after the indexer's checkpoint moved.
- SQLite: `PRAGMA data_version`, which changes whenever another connection committed to the file. A worker
  reads that one integer from its own connection every SQLITE_TICK_S (no table, no lock, no I/O beyond the
  page cache): any commit wakes it, the engine need not say anything.

Either way a worker also reads at least every FALLBACK_S: a notification lost with a broken connection costs
that much latency, never a lost wake-up. A waiter that need not wake sooner than every so often (`wakeups_for`'s
`every`) reads `data_version` that often, and sees a burst of notifications as one.

An announced commit of this process also wakes the waiters of this process at once, without the database. A waiter
that expects its changes from its own process (one process serving the API and running the engine) may then read
`data_version` less and less often while nothing changes (`wakeups_for`'s `idle`): polled every millisecond, an
idle engine's claimer took 2.4% of a core and took the interpreter lock from the requests a thousand times a second.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from typing import Protocol

import psycopg
from sqlalchemy import Engine, event, text
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)

CHANNEL = "tradeledger_progress"
SQLITE_TICK_S = 0.001  # one PRAGMA read on an open connection: a few µs
FALLBACK_S = 1.0


_ANNOUNCED = "tradeledger_announced"  # the session's entry that `announce` sets for its commit


class _Announcements:
    """The announced commits of this process, counted: its waiters wake as each one commits."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self.count = 0
        self.claimers = 0  # waiters of this process for requested rows that hear its announcements (`announce`)

    def add(self) -> None:
        with self._changed:
            self.count += 1
            self._changed.notify_all()

    def hear(self, claimers: int) -> None:
        """`claimers` more (or fewer) of this process hear its announcements of requested rows."""
        with self._changed:
            self.claimers += claimers

    def wait_past(self, seen: int, timeout: float) -> None:
        """Until the count is past `seen`, or `timeout` seconds."""
        with self._changed:
            if self.count == seen:
                self._changed.wait(timeout)


_LOCAL = _Announcements()


@event.listens_for(Session, "after_commit")
def _committed(db: Session) -> None:
    if db.info.pop(_ANNOUNCED, False):
        _LOCAL.add()


def announce(db: Session, *, requested: bool = False) -> None:
    """In the caller's transaction: wake the workers following the engine once it commits (PostgreSQL; on
    SQLite the commit itself wakes them), and this process's waiters at once. Rows `requested` for a claimer to sign
    are announced without a NOTIFY when a claimer of this process hears them (one process serving the API and
    running the engine): its wake-up is this process's, and a NOTIFY in every request's transaction cost a statement
    and a round trip on the writer thread, and a server lock at commit that serialises the notifying transactions."""
    if db.get_bind().dialect.name == "postgresql" and not (requested and _LOCAL.claimers):
        db.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANNEL})
    db.info[_ANNOUNCED] = True


def announce_now(sessions: sessionmaker[Session]) -> None:
    """`announce` in a transaction of its own (after a commit made elsewhere, e.g. the indexer's checkpoint)."""
    with sessions() as db:
        if db.get_bind().dialect.name == "postgresql":
            announce(db)
            db.commit()


class Wakeups(Protocol):
    def wait(self, timeout: float) -> None:
        """Return once something changed since the previous return (or after `timeout`)."""

    def close(self) -> None: ...


class PostgresWakeups:
    """A `LISTEN` connection of its own (autocommit); notifications that arrive between waits are kept. With `idle`
    (the claimer of one process serving the API and running the engine), this process's announced commits wake it
    at once, in place of their NOTIFY (`announce`), and other processes' notifications are looked for at a pace that
    doubles from `every` up to `idle` while nothing changes, as `SqliteWakeups` looks for their commits."""

    def __init__(self, conninfo: str, every: float = 0.0, idle: float | None = None) -> None:
        self._conninfo = conninfo
        self._every = every
        self._idle = idle
        self._woken = 0.0
        self._announced = _LOCAL.count
        self._connection: psycopg.Connection[tuple[object, ...]] | None = None
        try:  # listening before the first read: a notification between the two is not lost
            self._listening()
        except psycopg.Error as error:
            log.warning("database wake-ups not listening yet: %s", error)
        if idle is not None:
            _LOCAL.hear(1)

    def _listening(self) -> psycopg.Connection[tuple[object, ...]]:
        if self._connection is None or self._connection.closed:
            self._connection = psycopg.connect(self._conninfo, autocommit=True)
            self._connection.execute(f"LISTEN {CHANNEL}")
        return self._connection

    def wait(self, timeout: float) -> None:
        gap = self._woken + self._every - time.monotonic()
        if gap > 0:  # what is notified meanwhile is queued on the connection, and wakes the one wait below
            time.sleep(gap)
        try:
            if self._idle is None:
                self._notified(timeout)
            else:
                self._heard(timeout, self._idle)
            self._woken = time.monotonic()
        except psycopg.Error as error:  # the server went away: read now (what we missed), reconnect next time
            log.warning("database wake-ups interrupted: %s", error)
            if self._connection is not None:
                self._connection.close()
            time.sleep(min(timeout, FALLBACK_S))

    def _notified(self, timeout: float) -> bool:
        """Whether a notification came within `timeout` seconds."""
        return any(True for _ in self._listening().notifies(timeout=timeout, stop_after=1))

    def _heard(self, timeout: float, idle: float) -> None:
        deadline = time.monotonic() + timeout
        pace = max(self._every, SQLITE_TICK_S)
        while True:
            announced = _LOCAL.count
            notified = self._notified(0)  # read at every wake: under load, unread notifications would pile up
            left = deadline - time.monotonic()
            if notified or announced != self._announced or left <= 0:
                break
            _LOCAL.wait_past(announced, min(pace, left))
            pace = min(2 * pace, idle)
        self._announced = announced

    def close(self) -> None:
        if self._idle is not None:
            _LOCAL.hear(-1)
            self._idle = None
        if self._connection is not None:
            self._connection.close()


class SqliteWakeups:
    """The file's `data_version`, read on a connection of its own every `tick` seconds. With a longer `idle`,
    the pace doubles from `tick` up to `idle` while nothing changes, and an announced commit of this process wakes
    it at once."""

    def __init__(self, path: str, tick: float = SQLITE_TICK_S, idle: float | None = None) -> None:
        self._tick = tick
        self._idle = max(tick, idle or tick)
        self._listens = self._idle > tick  # to this process's announcements
        self._connection = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        self._seen = self._version()
        self._announced = _LOCAL.count

    def _version(self) -> int:
        with self._lock:
            return int(self._connection.execute("PRAGMA data_version").fetchone()[0])

    def wait(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        pace = self._tick
        while True:
            announced = _LOCAL.count
            version = self._version()
            left = deadline - time.monotonic()
            if version != self._seen or left <= 0 or (self._listens and announced != self._announced):
                break
            if self._listens:
                _LOCAL.wait_past(announced, min(pace, left))
                pace = min(2 * pace, self._idle)
            else:
                time.sleep(min(pace, left))
        self._seen, self._announced = version, announced

    def close(self) -> None:
        self._connection.close()


def wakeups_for(engine: Engine, every: float = SQLITE_TICK_S, idle: float | None = None) -> Wakeups:
    """The wake-ups of the database behind `engine`, at most one per `every` seconds: the longer, the less CPU
    a waiter costs (under load SQLite's every tick finds a commit), and the more latency it adds. With `idle`, a
    waiter whose changes come from this process (announced: at once) looks for other processes' commits on
    the database up to `idle` seconds apart while nothing changes (on PostgreSQL it is then the claimer that this
    process's requests announce their rows to without a NOTIFY)."""
    url = engine.url
    if url.get_backend_name() == "postgresql":
        return PostgresWakeups(url.set(drivername="postgresql").render_as_string(hide_password=False), every, idle)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return SqliteWakeups(url.database, every, idle)
    raise ValueError(f"no cross-process wake-ups for {url.get_backend_name()} databases at {url.database!r}")
