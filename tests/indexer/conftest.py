"""One dev chain per session with the platform deployed and the scripted scenario run on it, and indexers on
fresh databases (SQLite always, PostgreSQL when TRADELEDGER_TEST_DATABASE_URL is set).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from tests.contracts.helpers import World, build_world
from tests.indexer.scenario import ScenarioFacts, run_scenario
from tradeledger.chain.backends import DevChain
from tradeledger.chain.rpc import HttpJsonRpc
from tradeledger.indexer import handlers  # noqa: F401 - registers every projection
from tradeledger.indexer.indexer import Indexer, IndexerConfig
from tradeledger.store.db import make_engine, migrate, session_factory


@dataclass
class ScenarioChain:
    chain: DevChain
    world: World
    facts: ScenarioFacts

    @property
    def url(self) -> str:
        assert self.chain.rpc_url is not None
        return self.chain.rpc_url

    @property
    def addresses(self) -> dict[str, str]:
        return {name: contract.address for name, contract in self.world.contracts.items()}


@pytest.fixture(scope="session")
def scenario_chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScenarioChain]:
    chain = DevChain(tmp_path_factory.mktemp("indexer-chain"))
    chain.start()
    try:
        assert chain.rpc_url is not None
        # blocks only when transactions come (no 1 s interval blocks): heads stay put between index and check
        rpc = HttpJsonRpc(chain.rpc_url)
        rpc.call("evm_setIntervalMining", [0])
        rpc.call("evm_setAutomine", [True])
        world = build_world(chain.rpc_url)
        facts = run_scenario(world)
        world.mark()
        yield ScenarioChain(chain, world, facts)
    finally:
        chain.stop()


@pytest.fixture
def scenario(scenario_chain: ScenarioChain) -> Iterator[ScenarioChain]:
    """The scenario chain; whatever a test adds to it (or reorganises) is reverted afterwards."""
    scenario_chain.world.reset()
    yield scenario_chain
    scenario_chain.world.reset()


@dataclass
class Database:
    url: str
    engine: Engine
    sessions: sessionmaker[Session]


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    engine = make_engine(database_url)
    migrate(engine)
    yield Database(database_url, engine, session_factory(engine))
    engine.dispose()


IndexerFactory = Callable[..., Indexer]


@pytest.fixture
def make_indexer(scenario: ScenarioChain, database: Database) -> IndexerFactory:
    def make(config: IndexerConfig | None = None) -> Indexer:
        return Indexer(
            database.sessions,
            HttpJsonRpc(scenario.url),
            chain_id=scenario.world.chain.chain_id,
            contracts=scenario.addresses,
            start_block=scenario.world.deploy_block,
            config=config,
        )

    return make
