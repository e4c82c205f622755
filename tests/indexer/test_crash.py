"""The indexer killed with SIGKILL in the middle of a batch, then restarted.

A child process runs the indexer with `Projector.apply_all` patched to SIGKILL the process in the batch that
reaches N events, after its raw events are inserted (inside the open database transaction); after each kill the
database must hold a consistent prefix (raw events = eth_getLogs up to the checkpoint); after the restart, raw
events equal eth_getLogs and the projections equal the getters.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys

from sqlalchemy import func, select

from tests.indexer.checks import assert_projections_equal_getters, assert_raw_events_equal_logs
from tests.indexer.conftest import Database, IndexerFactory, ScenarioChain
from tradeledger.store.models import ChainEvent

CHILD = """
import json, os, signal, sys

from tradeledger.chain.rpc import HttpJsonRpc
from tradeledger.indexer import handlers  # noqa: F401
from tradeledger.indexer.indexer import Indexer, IndexerConfig
from tradeledger.indexer.projections import Projector
from tradeledger.store.db import make_engine, session_factory

options = json.loads(sys.argv[1])
applied = 0
original = Projector.apply_all


def apply_all(self, db, records):
    global applied
    applied += len(records)
    if applied >= options["kill_after"]:
        os.kill(os.getpid(), signal.SIGKILL)
    original(self, db, records)


Projector.apply_all = apply_all
indexer = Indexer(
    session_factory(make_engine(options["database_url"])),
    HttpJsonRpc(options["rpc_url"]),
    chain_id=options["chain_id"],
    contracts=options["contracts"],
    start_block=options["start_block"],
    config=IndexerConfig(batch_blocks=options["batch_blocks"]),
)
indexer.catch_up()
sys.exit(3)  # caught up without being killed: the test asked for a kill point beyond the events
"""


def _kill_after(scenario: ScenarioChain, database: Database, events: int, batch_blocks: int) -> None:
    options = {
        "database_url": database.url,
        "rpc_url": scenario.url,
        "chain_id": scenario.world.chain.chain_id,
        "contracts": scenario.addresses,
        "start_block": scenario.world.deploy_block,
        "kill_after": events,
        "batch_blocks": batch_blocks,
    }
    result = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(options)], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == -signal.SIGKILL, result.stderr[-2000:]


class TestKilledMidBatch:
    def test_sigkill_mid_batch_then_restart(
        self, scenario: ScenarioChain, make_indexer: IndexerFactory, database: Database
    ) -> None:
        indexer = make_indexer()
        total = len(scenario.world.logs())
        for kill_after, batch_blocks in ((37, 16), (101, 12)):
            _kill_after(scenario, database, kill_after, batch_blocks)
            checkpoint = indexer.checkpoint()
            assert checkpoint is not None, "no batch committed before the kill"
            with database.sessions() as db:
                top = db.scalar(select(func.max(ChainEvent.block_number)))
            assert top is not None and top <= checkpoint.block_number
            ingested = assert_raw_events_equal_logs(scenario.world, database.sessions, through=checkpoint.block_number)
            assert 0 < ingested < total
        indexer.catch_up()
        assert assert_raw_events_equal_logs(scenario.world, database.sessions) == total
        assert_projections_equal_getters(scenario.world, database.sessions)
