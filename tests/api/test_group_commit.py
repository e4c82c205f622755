"""Idempotency records committed in groups (`api.idempotency.GroupCommit`): each request's work in a savepoint of
one shared transaction, each request told its outcome only once that transaction committed."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, event, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from tradeledger.api.idempotency import GroupCommit
from tradeledger.identity.models import ServiceInstance
from tradeledger.store.db import make_engine, migrate, session_factory


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'tradeledger.db'}")
    migrate(engine)
    yield engine
    engine.dispose()


def _insert(instance: str) -> object:
    def work(db: Session) -> str:
        db.add(ServiceInstance(id=instance))
        db.flush()
        return instance

    return work


def _stored(sessions: sessionmaker[Session]) -> set[str]:
    with sessions() as db:
        return set(db.scalars(select(ServiceInstance.id)))


def test_concurrent_works_share_commits_and_each_hears_only_once_committed(engine: Engine) -> None:
    sessions = session_factory(engine)
    commits: list[int] = []
    event.listen(engine, "commit", lambda _: commits.append(1))
    group = GroupCommit(lambda: sessions)

    async def one(instance: str) -> None:
        assert await group.run(_insert(instance)) == instance
        assert instance in _stored(sessions)  # committed before its request goes on

    async def all_of_them() -> None:
        await asyncio.gather(*(one(f"instance-{n}") for n in range(20)))

    asyncio.run(all_of_them())
    assert _stored(sessions) == {f"instance-{n}" for n in range(20)}
    assert len(commits) < 20


def test_a_failing_work_fails_alone_and_leaves_nothing(engine: Engine) -> None:
    """One work of a group fails after writing: its savepoint is rolled back, its caller gets its error, and the
    others of its group commit."""
    sessions = session_factory(engine)
    group = GroupCommit(lambda: sessions)
    release = threading.Event()

    def held(db: Session) -> None:  # the group before: the three below queue meanwhile and commit together
        release.wait(10)

    def failing(db: Session) -> None:
        db.add(ServiceInstance(id="failing"))
        db.flush()
        raise ValueError("refused")

    async def scenario() -> list[object]:
        first = asyncio.ensure_future(group.run(held))
        await asyncio.sleep(0.05)
        rest = [asyncio.ensure_future(group.run(work)) for work in (_insert("before"), failing, _insert("after"))]
        await asyncio.sleep(0.05)
        release.set()
        await first
        return list(await asyncio.gather(*rest, return_exceptions=True))

    before, error, after = asyncio.run(scenario())
    assert (before, after) == ("before", "after")
    assert isinstance(error, ValueError)
    assert _stored(sessions) == {"before", "after"}


def test_a_failed_transaction_fails_every_work(tmp_path: Path) -> None:
    """The database cannot be opened: every work of the group hears the database's error (a 503 upstream)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'no-such-folder' / 'tradeledger.db'}")
    group = GroupCommit(lambda: session_factory(engine))

    async def scenario() -> list[object]:
        return list(await asyncio.gather(*(group.run(_insert(f"i-{n}")) for n in range(3)), return_exceptions=True))

    outcomes = asyncio.run(scenario())
    engine.dispose()
    assert all(isinstance(outcome, OperationalError) for outcome in outcomes), outcomes


@pytest.mark.parametrize("isolated", [True, False])
def test_a_connection_lost_by_one_work_fails_its_whole_group_as_database_unavailable(
    engine: Engine, isolated: bool
) -> None:
    """The database goes away under one work of a group (the chaos drill's PostgreSQL restart): every work of the
    group hears that error (a 503 upstream), none of them the session's 'rollback first' left behind it (a 500), and
    nothing of the group is written."""
    sessions = session_factory(engine)
    group = GroupCommit(lambda: sessions)
    release = threading.Event()
    gone = OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))

    def held(db: Session) -> None:
        release.wait(10)

    def losing_the_connection(db: Session) -> None:
        db.connection().invalidate()  # as a dead server leaves it: the session cannot go on without a rollback
        raise gone

    async def scenario() -> list[object]:
        first = asyncio.ensure_future(group.run(held))
        await asyncio.sleep(0.05)
        works = (_insert("before"), losing_the_connection, _insert("after"))
        rest = [asyncio.ensure_future(group.run(work, isolated=isolated)) for work in works]
        await asyncio.sleep(0.05)
        release.set()
        await first
        return list(await asyncio.gather(*rest, return_exceptions=True))

    assert asyncio.run(scenario()) == [gone, gone, gone]
    assert _stored(sessions) == set()
