"""The frequent reads' pool keeps a connection for each of its concurrent users: the reads' threads and, beside them,
the writes' approval checks (users.approvals). A connection opened past what it keeps is closed on return, and on
PostgreSQL each such connection is a server backend started and ended."""

from __future__ import annotations

from contextlib import ExitStack

from sqlalchemy import Engine, event, text

from tradeledger.store.db import READ_CONNECTIONS, make_engine, read_sessions

HOLDERS = 2 * READ_CONNECTIONS  # the reads' threads, and as many writes checking their approval policies


def test_the_reads_and_the_writes_checks_at_once_open_no_connection_twice(database_url: str) -> None:
    engine: Engine = make_engine(database_url)
    try:
        reads = read_sessions(engine)
        opened: list[object] = []
        event.listen(reads.kw["bind"], "connect", lambda connection, _: opened.append(connection))
        for _ in range(3):
            with ExitStack() as held:
                for _ in range(HOLDERS):
                    held.enter_context(reads()).execute(text("SELECT 1"))
        assert len(opened) == HOLDERS  # the first round's, kept and used again by the next two
    finally:
        engine.dispose()
