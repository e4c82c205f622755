"""Reorgs made with anvil's snapshot controls: an indexed branch is replaced by different transactions.

evm_snapshot before some blocks, index them, evm_revert, mine other transactions, index again: the raw events
and every projection must equal the canonical chain. A reorg deeper than the threshold halts the indexer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from sqlalchemy import select

from tests.contracts.helpers import EUR, USD, World
from tests.indexer.checks import assert_projections_equal_getters, assert_raw_events_equal_logs, dump_tables
from tests.indexer.conftest import Database, IndexerFactory, ScenarioChain
from tradeledger.chain.rpc import Call, JsonRpc
from tradeledger.indexer.indexer import DeepReorgError, IndexerConfig
from tradeledger.orders.models import PurchaseOrder
from tradeledger.settlements.models import LedgerPosting


def _orphaned_branch(world: World, blocks: int) -> list[str]:
    """Transactions that touch balances, orders and documents; returns the posting references."""
    a, references = world.address, []
    for i in range(blocks):
        if i % 3 == 2:
            world.tx("trader", "TradeOrders", "createOrder", a("another_trader"), 77, USD, world.unique("po"),
                     world.chain.timestamp() + 86_400 * 30, 1, world.chain.timestamp() + 86_400 * 40)  # fmt: skip
            continue
        reference = world.unique("orphan")
        references.append("0x" + reference.hex())
        if i % 3 == 0:
            world.tx("agent", "Settlement", "issue", a("bank"), USD, 111 + i, reference)
        else:
            world.tx("bank", "Settlement", "transfer", a("another_bank"), USD, 50 + i, reference)
    return references


def _canonical_branch(world: World, blocks: int) -> None:
    a = world.address
    for i in range(blocks):
        if i % 2:
            world.tx("sponsor_bank", "Settlement", "transfer", a("bank"), EUR, 7 + i, world.unique("canonical"))
        else:
            world.tx("agent", "Settlement", "issue", a("another_bank"), EUR, 222 + i, world.unique("canonical"))


class _CountingRpc:
    """A node client that records the methods of each round trip."""

    def __init__(self, rpc: JsonRpc) -> None:
        self.rpc = rpc
        self.trips: list[list[str]] = []

    def call(self, method: str, params: Sequence[Any]) -> Any:
        self.trips.append([method])
        return self.rpc.call(method, params)

    def batch(self, calls: Sequence[Call]) -> list[Any]:
        self.trips.append([method for method, _ in calls])
        return self.rpc.batch(calls)

    def close(self) -> None:
        self.rpc.close()


class TestReorg:
    def test_a_step_reads_the_head_and_checks_for_a_reorg_in_one_round_trip(
        self, scenario: ScenarioChain, make_indexer: IndexerFactory
    ) -> None:
        indexer = make_indexer()
        indexer.catch_up()
        indexer.rpc = counting = _CountingRpc(indexer.rpc)
        assert indexer.run_once() == 0
        assert counting.trips == [["eth_blockNumber", "eth_getBlockByNumber"]]

    @pytest.mark.parametrize("depth", [1, 4])
    def test_reorg_is_rolled_back_to_the_canonical_chain(
        self, depth: int, scenario: ScenarioChain, make_indexer: IndexerFactory, database: Database
    ) -> None:
        world = scenario.world
        indexer = make_indexer()
        indexer.catch_up()
        fork = world.chain.snapshot()
        orders_before = len(world.logs())
        orphaned = _orphaned_branch(world, depth)
        indexer.catch_up()
        with database.sessions() as db:
            assert set(db.scalars(select(LedgerPosting.reference))) >= set(orphaned)
        assert len(world.logs()) > orders_before

        world.chain.revert(fork)
        _canonical_branch(world, depth + 1)
        indexer.catch_up()

        assert_raw_events_equal_logs(world, database.sessions)
        assert_projections_equal_getters(world, database.sessions)
        with database.sessions() as db:
            assert not set(db.scalars(select(LedgerPosting.reference))) & set(orphaned)
            assert all(order.amount != 77 for order in db.scalars(select(PurchaseOrder)))
        checkpoint = indexer.checkpoint()
        assert checkpoint is not None
        assert checkpoint.block_hash == world.chain.rpc("eth_getBlockByNumber", "latest", False)["hash"]

    def test_reorg_to_a_shorter_chain(
        self, scenario: ScenarioChain, make_indexer: IndexerFactory, database: Database
    ) -> None:
        """The node's head falls below the checkpoint (evm_revert with nothing mined after)."""
        world = scenario.world
        indexer = make_indexer()
        indexer.catch_up()
        fork = world.chain.snapshot()
        _orphaned_branch(world, 3)
        indexer.catch_up()
        world.chain.revert(fork)
        indexer.catch_up()
        assert_raw_events_equal_logs(world, database.sessions)
        assert_projections_equal_getters(world, database.sessions)

    def test_reorg_deeper_than_the_threshold_halts(
        self, scenario: ScenarioChain, make_indexer: IndexerFactory, database: Database
    ) -> None:
        world = scenario.world
        indexer = make_indexer(IndexerConfig(reorg_threshold=2))
        indexer.catch_up()
        fork = world.chain.snapshot()
        _orphaned_branch(world, 5)
        indexer.catch_up()
        before = dump_tables(database.sessions)
        world.chain.revert(fork)
        _canonical_branch(world, 6)
        with pytest.raises(DeepReorgError):
            indexer.catch_up()
        with pytest.raises(DeepReorgError):
            indexer.run_once()  # it stays halted
        assert dump_tables(database.sessions) == before, "a halted indexer must not write"
