"""Wake-ups between processes (issue #22): an API worker blocks until the database says the engine moved on,
instead of polling the outbox and the checkpoint; a change committed before the wait still wakes it."""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine, event, text

from tests.conftest import fresh_sqlite_database
from tradeledger.store.db import make_engine, session_factory
from tradeledger.store.wakeups import (
    CHANNEL,
    FALLBACK_S,
    PostgresWakeups,
    SqliteWakeups,
    Wakeups,
    announce,
    wakeups_for,
)


def _commit(engine: Engine, announced: bool, delay: float, requested: bool = False) -> None:
    time.sleep(delay)
    with session_factory(engine)() as db:
        signer = "0x" + uuid.uuid4().hex.ljust(40, "0")
        db.execute(text("INSERT INTO signer_nonces (signer, next_nonce) VALUES (:signer, 0)"), {"signer": signer})
        if announced:
            announce(db, requested=requested)
        db.commit()


def _commit_later(database_url: str, delay: float) -> threading.Thread:
    """Another connection (the engine's) commits an announced change after `delay` seconds."""

    def commit() -> None:
        time.sleep(delay)
        engine = make_engine(database_url)
        sessions = session_factory(engine)
        with sessions() as db:
            signer = "0x" + uuid.uuid4().hex.ljust(40, "0")
            db.execute(text("INSERT INTO signer_nonces (signer, next_nonce) VALUES (:signer, 0)"), {"signer": signer})
            announce(db)
            db.commit()
        engine.dispose()

    thread = threading.Thread(target=commit)
    thread.start()
    return thread


def test_a_commit_elsewhere_wakes_the_waiting_worker(database_url: str) -> None:
    engine = make_engine(database_url)
    wakeups = wakeups_for(engine)
    try:
        wakeups.wait(0.05)  # settle: whatever the fixture committed is seen
        started = time.monotonic()
        _commit_later(database_url, 0.2).join()
        wakeups.wait(FALLBACK_S * 5)  # committed before this wait began: still a wake-up, at once
        assert time.monotonic() - started < FALLBACK_S
        started = time.monotonic()
        committer = _commit_later(database_url, 0.2)
        wakeups.wait(FALLBACK_S * 5)
        woke_after = time.monotonic() - started
        committer.join()
        assert 0.15 < woke_after < FALLBACK_S, woke_after
    finally:
        wakeups.close()
        engine.dispose()


def test_nothing_committed_means_no_wake_up_before_the_timeout(database_url: str) -> None:
    engine = make_engine(database_url)
    wakeups = wakeups_for(engine)
    try:
        wakeups.wait(0.05)
        started = time.monotonic()
        wakeups.wait(0.3)
        assert time.monotonic() - started >= 0.29
    finally:
        wakeups.close()
        engine.dispose()


def test_an_idle_waiter_reads_less_often_and_wakes_at_once_on_a_commit_announced_here(tmp_path: Path) -> None:
    """A waiter whose changes come from its own process (one process: the engine's claimer) backs off while nothing
    changes, yet an announced commit of this process wakes it at once; another connection's commit without an
    announcement is still seen, within the longest pace."""
    database_url = fresh_sqlite_database(tmp_path, migrated=True)
    engine = make_engine(database_url)
    wakeups = wakeups_for(engine, idle=1.0)
    assert isinstance(wakeups, SqliteWakeups)
    reads = 0
    version = wakeups._version

    def counted() -> int:
        nonlocal reads
        reads += 1
        return version()

    wakeups._version = counted  # type: ignore[method-assign]
    try:
        wakeups.wait(0.05)
        started, reads = time.monotonic(), 0
        wakeups.wait(1.5)  # nothing happens: data_version read 1, 2, 4 ... ms apart, then a second apart
        assert time.monotonic() - started >= 1.45
        assert reads < 20, reads  # at the 1 ms tick: some 1,500
        # at once: well inside the ~0.85 s an unannounced commit waits for the next read at the 1 s pace (margins for
        # a loaded machine's scheduling, not speed targets)
        for announced, within in ((True, 0.5), (False, 2.0)):
            committer = threading.Thread(target=_commit, args=(engine, announced, 1.2))
            committer.start()
            started = time.monotonic()
            wakeups.wait(FALLBACK_S * 5)
            woke_after = time.monotonic() - started - 1.2
            committer.join()
            assert -0.05 < woke_after < within, (announced, woke_after)
    finally:
        wakeups.close()
        engine.dispose()


def _settle(wakeups: Wakeups) -> None:
    """Until a wait finds nothing left to wake it."""
    started = time.monotonic()
    wakeups.wait(0.05)
    while time.monotonic() - started < 0.045:
        started = time.monotonic()
        wakeups.wait(0.05)


def _notify_from_elsewhere(database_url: str, delay: float, sent: list[float]) -> None:
    with psycopg.connect(database_url.replace("postgresql+psycopg", "postgresql"), autocommit=True) as connection:
        time.sleep(delay)
        connection.execute(f"NOTIFY {CHANNEL}")
        sent.append(time.monotonic())


def test_a_claimer_here_hears_this_process_requested_rows_without_a_notify(database_url: str) -> None:
    """One process serving the API and running the engine on PostgreSQL: its requests' rows wake its claimer at
    once with no NOTIFY in their transaction (a waiter elsewhere does not wake), while outcomes are still notified,
    other processes' notifications still wake the claimer within its longest pace, and once the claimer is gone
    the requests notify again."""
    if not database_url.startswith("postgresql"):
        pytest.skip("NOTIFY is PostgreSQL's")
    engine = make_engine(database_url)
    notifies: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if "pg_notify" in statement:
            notifies.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    claimer, elsewhere = wakeups_for(engine, idle=0.2), wakeups_for(engine)
    assert isinstance(claimer, PostgresWakeups)
    try:
        claimer.wait(0.05)
        elsewhere.wait(0.05)
        for requested, elsewhere_wakes in ((True, False), (False, True)):
            notifies.clear()
            committer = threading.Thread(target=_commit, args=(engine, True, 0.3, requested))
            committer.start()
            started = time.monotonic()
            claimer.wait(FALLBACK_S * 5)
            woke_after = time.monotonic() - started - 0.3
            committer.join()
            assert -0.05 < woke_after < FALLBACK_S, (requested, woke_after)  # not the wait's timeout: the commit
            assert len(notifies) == (0 if requested else 1), requested
            started = time.monotonic()
            elsewhere.wait(0.3)
            assert (time.monotonic() - started < 0.2) is elsewhere_wakes, requested
        _settle(claimer)  # the outcome's NOTIFY or announcement, whichever the claimer has not heard yet
        sent: list[float] = []
        notifier = threading.Thread(target=_notify_from_elsewhere, args=(database_url, 0.5, sent))
        notifier.start()
        claimer.wait(FALLBACK_S * 5)  # another process's NOTIFY (no announcement here): within the longest pace
        woke_after = time.monotonic()
        notifier.join()
        assert -0.01 < woke_after - sent[0] < FALLBACK_S, woke_after - sent[0]
        claimer.close()
        notifies.clear()
        _commit(engine, True, 0.0, True)
        assert len(notifies) == 1  # no claimer here any more: the engine is elsewhere, and needs the NOTIFY
    finally:
        claimer.close()
        elsewhere.close()
        engine.dispose()
