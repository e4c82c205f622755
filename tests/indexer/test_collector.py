"""The cyclic garbage collector is off while the indexer fetches and writes a batch, and back on after: on if it was
on, still off if something else had turned it off; an error in the batch leaves it as it was too."""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence

import pytest
from sqlalchemy.orm import Session

from tests.indexer.conftest import Database, ScenarioChain
from tradeledger.chain.rpc import HttpJsonRpc
from tradeledger.indexer.fetcher import EventRecord, collector_paused
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
