"""Durable before acknowledged: every connection the service opens commits to disk before it returns.

SQLite runs in WAL mode at synchronous=FULL (NORMAL loses the last commits on a power loss); PostgreSQL keeps
synchronous_commit on and logs every table (an unlogged table is emptied by a crash).
"""

from __future__ import annotations

import threading

from sqlalchemy import Engine, text

from tradeledger.store.db import SQLITE_SYNCHRONOUS, make_engine, migrate, session_factory, transaction

SQLITE_LEVELS = {"OFF": 0, "NORMAL": 1, "FULL": 2, "EXTRA": 3}


def _on_concurrent_connections(engine: Engine, query: str, count: int = 4) -> list[str]:
    """`query` answered on `count` connections held open at once (so the pool cannot hand out one twice)."""
    answers: list[str] = []
    barrier = threading.Barrier(count)

    def ask() -> None:
        with engine.connect() as connection:
            answers.append(str(connection.execute(text(query)).scalar_one()).lower())
            barrier.wait(timeout=30)

    threads = [threading.Thread(target=ask) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers


def test_the_service_commits_durably(database_url: str) -> None:
    engine = make_engine(database_url)
    migrate(engine)
    if engine.dialect.name == "sqlite":
        assert SQLITE_SYNCHRONOUS == "FULL"
        assert _on_concurrent_connections(engine, "PRAGMA synchronous") == [str(SQLITE_LEVELS["FULL"])] * 4
        assert set(_on_concurrent_connections(engine, "PRAGMA journal_mode")) == {"wal"}
    else:
        assert _on_concurrent_connections(engine, "SHOW synchronous_commit") == ["on"] * 4
        assert _on_concurrent_connections(engine, "SHOW fsync") == ["on"] * 4
        with engine.connect() as connection:
            unlogged = connection.execute(
                text("SELECT relname FROM pg_class WHERE relpersistence = 'u' AND relkind IN ('r', 'p')")
            ).all()
        assert unlogged == []
    with transaction(session_factory(engine)) as db:  # a unit of work that writes runs at the same level
        level = db.execute(text("PRAGMA synchronous" if engine.dialect.name == "sqlite" else "SHOW synchronous_commit"))
        assert str(level.scalar_one()).lower() in {str(SQLITE_LEVELS["FULL"]), "on"}


def test_the_benchmark_can_weaken_sqlite_on_request(tmp_path: object) -> None:
    """Only `make bench` asks for NORMAL, to measure what FULL costs."""
    engine = make_engine(f"sqlite:///{tmp_path}/normal.db", sqlite_synchronous="NORMAL")
    assert _on_concurrent_connections(engine, "PRAGMA synchronous", count=2) == [str(SQLITE_LEVELS["NORMAL"])] * 2
