"""The transaction manager's lane in isolation: its pre-flight and store stages, with stand-ins for the node and the
database (the lane against a real chain and database: test_txmanager.py)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from tradeledger.chain.txmanager import _Lane, _Request
from tradeledger.store.models import ChainTransaction

WAIT_S = 10.0


def refused_business(db: Session) -> None:
    """A request's business that the stand-in pre-flight refuses (it is never run)."""


class Stages:
    """Stand-ins for a lane's stages: the check refuses requests whose business is `refused_business`, the store
    blocks until `release` is set, and both record the groups they were given."""

    def __init__(self) -> None:
        self.checked: list[list[_Request]] = []
        self.stored: list[list[_Request]] = []
        self.storing = threading.Event()
        self.release = threading.Event()
        self.progress = threading.Condition()

    def check(self, group: list[_Request]) -> list[_Request]:
        for request in group:
            if request.business is refused_business:
                request.error = ValueError("refused in pre-flight")
                request.done.set()
        with self.progress:
            self.checked.append(group)
            self.progress.notify_all()
        return [request for request in group if request.error is None]

    def store(self, group: list[_Request]) -> list[ChainTransaction]:
        self.stored.append(group)
        self.storing.set()
        assert self.release.wait(WAIT_S)
        rows = []
        for request in group:
            request.rows = [ChainTransaction(id=str(id(request)))]
            rows.extend(request.rows)
        return rows

    def send(self, group: list[_Request], rows: list[ChainTransaction]) -> None:
        for request in group:
            request.done.set()

    def wait_checked(self, count: int) -> None:
        with self.progress:
            assert self.progress.wait_for(lambda: sum(len(group) for group in self.checked) >= count, WAIT_S)


@pytest.fixture
def stages() -> Iterator[Stages]:
    made = Stages()
    yield made
    made.release.set()  # a failed test leaves no thread blocked


def submit(lane: _Lane, refused: bool = False) -> tuple[_Request, threading.Thread]:
    request = _Request([], [], refused_business if refused else None)
    caller = threading.Thread(target=lane.run, args=(request,), daemon=True)
    caller.start()
    return request, caller


def test_the_next_requests_are_checked_while_the_writer_stores_and_stored_as_one_group(stages: Stages) -> None:
    lane = _Lane("test", stages.check, stages.store, stages.send)
    first, _ = submit(lane)
    assert stages.storing.wait(WAIT_S)  # the writer holds `first` in its store
    later = []
    for number in range(5):  # checked one by one while the writer is busy
        later.append(submit(lane)[0])
        stages.wait_checked(2 + number)
    refused, caller = submit(lane, refused=True)
    caller.join(WAIT_S)
    assert not caller.is_alive() and isinstance(refused.error, ValueError)  # answered without waiting for the store
    assert not first.done.is_set()

    stages.release.set()
    for request in (first, *later):
        assert request.done.wait(WAIT_S) and request.error is None and request.rows
    assert [len(group) for group in stages.checked] == [1, 1, 1, 1, 1, 1, 1]
    assert stages.stored == [[first], later]  # everything checked meanwhile, in one store, in the order queued
