"""The cyclic garbage collector is off while the indexer fetches and writes a batch, and back on after: on if it was
on, still off if something else had turned it off; an error in the batch leaves it as it was too. The fetch process
fetches each range with it off too."""

from __future__ import annotations

import gc
import os
import socket
import subprocess
import sys
from collections.abc import Iterator, Sequence
from multiprocessing.connection import Connection

import pytest
from sqlalchemy.orm import Session

from tests.indexer.conftest import Database, ScenarioChain
from tradeledger.chain.rpc import HttpJsonRpc
from tradeledger.indexer import fetcher
from tradeledger.indexer.fetcher import Batch, EventRecord, FetcherConfig, collector_paused
from tradeledger.indexer.indexer import Indexer, IndexerConfig
from tradeledger.indexer.projections import Projector


@pytest.fixture
def collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


@pytest.mark.usefixtures("collector_on")
class TestCollectorPaused:
    def test_off_inside_and_on_again_after(self) -> None:
        with collector_paused():
            assert not gc.isenabled()
        assert gc.isenabled()

    def test_on_again_after_an_error(self) -> None:
        with pytest.raises(RuntimeError), collector_paused():
            raise RuntimeError("batch failed")
        assert gc.isenabled()

    def test_left_off_when_it_was_off(self) -> None:
        gc.disable()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()

    def test_off_while_the_indexer_writes_a_batch(self, scenario: ScenarioChain, database: Database) -> None:
        seen: list[bool] = []
        projector = Projector()

        @projector.on_batch("Settlement", "Posted")
        def record(db: Session, records: Sequence[EventRecord]) -> None:
            seen.append(gc.isenabled())

        indexer = Indexer(
            database.sessions,
            HttpJsonRpc(scenario.url),
            chain_id=scenario.world.chain.chain_id,
            contracts=scenario.addresses,
            start_block=scenario.world.deploy_block,
            config=IndexerConfig(batch_events=8, fetch_process_events=None),
            projector=projector,
        )
        indexer.catch_up()
        assert len(seen) > 1 and not any(seen)  # several batches, each written with the collector off
        assert gc.isenabled()

    def test_off_while_the_fetch_process_fetches_a_range(self) -> None:
        """The child's `serve` with a fetch that reports the collector's state as the batch's only block hash."""
        ours, theirs = socket.socketpair()
        report = (
            "lambda self, first, last, head, timings: fetcher.Batch(first, last, [], [], {last: str(gc.isenabled())})"
        )
        code = f"import gc; from tradeledger.indexer import fetcher; fetcher.LogFetcher.fetch = {report}; "
        with theirs:
            child = subprocess.Popen(
                [sys.executable, "-c", f"{code}fetcher.serve({theirs.fileno()})"],
                pass_fds=(theirs.fileno(),),
                env={**os.environ, "PYTHONPATH": fetcher._import_path()},
            )
        connection = Connection(ours.detach())
        try:
            connection.send(("http://127.0.0.1:9", FetcherConfig(1337, {}, reorg_threshold=64)))
            assert connection.recv() == "ready"
            for first in (1, 2):
                connection.send((first, first, first))
                batch, error, _ = connection.recv()
                assert error is None and isinstance(batch, Batch) and batch.hashes == {first: "False"}
        finally:
            connection.close()
            child.wait(30)
