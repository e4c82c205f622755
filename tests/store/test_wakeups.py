"""Wake-ups between processes (issue #22): an API worker blocks until the database says the engine moved on,
instead of polling the outbox and the checkpoint; a change committed before the wait still wakes it."""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path

from sqlalchemy import Engine, text

from tests.conftest import fresh_sqlite_database
from tradeledger.store.db import make_engine, session_factory
from tradeledger.store.wakeups import FALLBACK_S, SqliteWakeups, announce, wakeups_for


def _commit(engine: Engine, announced: bool, delay: float) -> None:
    time.sleep(delay)
    with session_factory(engine)() as db:
        signer = "0x" + uuid.uuid4().hex.ljust(40, "0")
        db.execute(text("INSERT INTO signer_nonces (signer, next_nonce) VALUES (:signer, 0)"), {"signer": signer})
        if announced:
            announce(db)
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
        for announced, within in ((True, 0.1), (False, 1.1)):
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
