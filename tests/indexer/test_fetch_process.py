"""The fetch process: a child that fetches and decodes ranges for the indexer while it writes.

Its batches equal those fetched in the indexer's own process; a range it cannot fetch comes back as None and it
goes on; an answer the indexer gave up waiting for is not taken for the next one; an indexer whose fetch process
dies goes on fetching itself; and the child never outlives its parent: closed, or the parent killed (idle or with
a range in flight), it is gone within seconds.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.indexer.checks import assert_projections_equal_getters, assert_raw_events_equal_logs
from tests.indexer.conftest import Database, IndexerFactory, ScenarioChain
from tradeledger.chain.rpc import HttpJsonRpc
from tradeledger.indexer.fetcher import FetcherConfig, FetchProcess, IngestTimings, LogFetcher
from tradeledger.indexer.indexer import Indexer, IndexerConfig

START_S = 60.0  # a child's start on a loaded two-core machine: imports take seconds there
GONE_S = 15.0


def _config(scenario: ScenarioChain) -> FetcherConfig:
    return FetcherConfig(scenario.world.chain.chain_id, scenario.addresses, reorg_threshold=64)


def _started(process: FetchProcess) -> FetchProcess:
    deadline = time.monotonic() + START_S
    while not process.ready():
        assert process.alive and time.monotonic() < deadline, "the fetch process did not start"
        time.sleep(0.02)
    return process


def _gone(pid: int) -> bool:
    """Whether process `pid` has ended (a zombie waiting for whoever reaps orphans has)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except FileNotFoundError:
        return True
    return state in ("Z", "X")


def _wait_gone(pid: int) -> None:
    deadline = time.monotonic() + GONE_S
    while not _gone(pid):
        assert time.monotonic() < deadline, f"the fetch process {pid} outlived its parent"
        time.sleep(0.05)


@pytest.fixture
def process(scenario: ScenarioChain) -> Iterator[FetchProcess]:
    started = _started(FetchProcess(scenario.url, _config(scenario)))
    yield started
    started.close()


def _head(scenario: ScenarioChain) -> int:
    return int(HttpJsonRpc(scenario.url).call("eth_blockNumber", []), 16)


class TestFetchProcess:
    def test_batches_equal_those_fetched_in_process(self, scenario: ScenarioChain, process: FetchProcess) -> None:
        here = LogFetcher(HttpJsonRpc(scenario.url), _config(scenario))
        head, first = _head(scenario), scenario.world.deploy_block
        timings = IngestTimings()
        for start, end in ((first, first + 9), (first + 10, head - 70), (head - 69, head)):
            process.request(start, end, head)
            batch = process.receive(start, timings)
            assert batch == here.fetch(start, end, head, IngestTimings())
        assert timings.node_s > 0 and timings.decode_s > 0  # the child's phases are counted

    def test_a_range_it_cannot_fetch_is_none_and_it_goes_on(
        self, scenario: ScenarioChain, process: FetchProcess
    ) -> None:
        head, first = _head(scenario), scenario.world.deploy_block
        process.request(head + 1, head + 5, head + 5)  # blocks the node does not have
        assert process.receive(head + 1, IngestTimings()) is None
        process.request(first, head, head)
        batch = process.receive(first, IngestTimings())
        assert process.alive and batch is not None and len(batch.records) == len(scenario.world.logs())

    def test_an_answer_given_up_is_not_taken_for_the_next(self, scenario: ScenarioChain, process: FetchProcess) -> None:
        head, first = _head(scenario), scenario.world.deploy_block
        process.request(first, first + 5, head)  # given up (a reorg): never received
        process.request(first + 6, head, head)
        batch = process.receive(first + 6, IngestTimings())
        assert batch is not None and (batch.first, batch.last) == (first + 6, head)

    def test_close_stops_the_child(self, process: FetchProcess) -> None:
        process.close()
        assert not process.alive
        _wait_gone(process.pid)

    @pytest.mark.parametrize("busy", [False, True], ids=["idle", "fetching"])
    def test_the_child_ends_when_its_parent_is_killed(self, scenario: ScenarioChain, busy: bool) -> None:
        parent = subprocess.run(
            [sys.executable, "-c", _PARENT, scenario.url, json.dumps(vars(_config(scenario))), str(busy)],
            capture_output=True,
            text=True,
            timeout=START_S + 30,
            check=False,
        )
        assert parent.returncode == -signal.SIGKILL, parent.stderr[-2000:]
        _wait_gone(int(parent.stdout.split()[-1]))


_PARENT = """
import json, os, signal, sys, time

from tradeledger.indexer.fetcher import FetcherConfig, FetchProcess

url, config, busy = sys.argv[1], FetcherConfig(**json.loads(sys.argv[2])), sys.argv[3] == "True"
process = FetchProcess(url, config)
while not process.ready():
    time.sleep(0.02)
if busy:
    process.request(0, 10_000, 10_000)  # the whole chain and more: the child is fetching when we die
print(process.pid, flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


class TestIndexerWithFetchProcess:
    @staticmethod
    def _indexer_with_process(make_indexer: IndexerFactory) -> Indexer:
        """An indexer that starts its fetch process at once (and batches of a few events, so that many go
        through it), run until the process is ready."""
        indexer = make_indexer(IndexerConfig(batch_events=8, fetch_process_events=0))
        indexer.run_once()  # behind: the next range is prefetched, and the process started for it
        assert indexer.fetch_process is not None
        _started(indexer.fetch_process)
        return indexer

    def test_catch_up_through_the_fetch_process(
        self, scenario: ScenarioChain, make_indexer: IndexerFactory, database: Database
    ) -> None:
        indexer = self._indexer_with_process(make_indexer)
        indexer.catch_up()
        assert indexer.fetch_process is not None and indexer.fetch_process.alive
        assert assert_raw_events_equal_logs(scenario.world, database.sessions) == len(scenario.world.logs())
        assert_projections_equal_getters(scenario.world, database.sessions)
        pid = indexer.fetch_process.pid
        indexer.close()
        _wait_gone(pid)

    def test_a_fetch_process_that_dies_leaves_the_indexer_fetching_itself(
        self, scenario: ScenarioChain, make_indexer: IndexerFactory, database: Database
    ) -> None:
        indexer = self._indexer_with_process(make_indexer)
        process = indexer.fetch_process
        assert process is not None
        indexer.run_once()  # a range is now asked of the child
        os.kill(process.pid, signal.SIGKILL)
        indexer.catch_up()
        assert not process.alive
        assert assert_raw_events_equal_logs(scenario.world, database.sessions) == len(scenario.world.logs())
        assert_projections_equal_getters(scenario.world, database.sessions)
        indexer.close()

    def test_no_process_for_a_short_catch_up(self, make_indexer: IndexerFactory) -> None:
        indexer = make_indexer(IndexerConfig(batch_events=8))  # the default threshold: far more events than here
        indexer.catch_up()
        assert indexer.fetch_process is None


def test_the_child_imports_no_compiler_and_no_currency_table() -> None:
    """What the child imports to start (`fetcher.serve`'s module) leaves out py-solc-x (with `requests` under it)
    and the ISO 4217 table, which it never uses and which cost about a quarter of its start-up CPU."""
    unused = "{'solcx', 'requests', 'iso4217'}"
    probe = f"import sys, tradeledger.indexer.fetcher; print(sorted({unused} & set(sys.modules)))"
    imported = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120)
    assert imported.stdout.strip() == "[]", imported.stdout
