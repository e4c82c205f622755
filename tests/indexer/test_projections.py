"""The read model: every event of every contract is projected, and the projections equal the contracts' getters
after indexing the scripted scenario, after re-indexing, after a rebuild, and after a reorg.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, select

from tests.indexer.checks import assert_projections_equal_getters, assert_raw_events_equal_logs, dump_tables
from tests.indexer.conftest import Database, IndexerFactory, ScenarioChain
from tests.indexer.scenario import NOT_EMITTED
from tradeledger.chain.abi import load_abi
from tradeledger.chain.compiler import ARTIFACTS_DIR
from tradeledger.indexer.fetcher import EventRecord
from tradeledger.indexer.handlers._support import LIBRARIES, PLATFORM_CONTRACTS
from tradeledger.indexer.projections import projector
from tradeledger.members.models import ContractAdminRules, ContractRoleAdmin, ContractRoleGrant
from tradeledger.settlements.models import LedgerPosting
from tradeledger.store.db import make_engine, migrate, session_factory, transaction
from tradeledger.store.models import IndexerCheckpoint


def _abi_events() -> set[tuple[str, str]]:
    events = set()
    for path in sorted(p for p in ARTIFACTS_DIR.glob("*.json") if p.stem not in LIBRARIES):
        events |= {(path.stem, event.name) for event in load_abi(path.stem).events.values()}
    return events


class TestHandlerCoverage:
    def test_every_abi_event_has_a_handler(self) -> None:
        missing = _abi_events() - projector.handled()
        assert not missing, f"events without a projection handler: {sorted(missing)}"

    def test_every_platform_contract_has_an_artifact(self) -> None:
        assert {path.stem for path in ARTIFACTS_DIR.glob("*.json")} - set(LIBRARIES) == set(PLATFORM_CONTRACTS)

    def test_scenario_emits_every_event(self, scenario: ScenarioChain) -> None:
        emitted = {(event.contract, event.name) for event in scenario.world.logs()}
        assert _abi_events() - emitted == NOT_EMITTED

    def test_scenario_refused_the_duplicate_financing(self, scenario: ScenarioChain) -> None:
        assert scenario.facts.duplicate_financing_error == "DocumentRegistryAlreadyFinanced"


def _record(contract: str, event: str, log_index: int, **args: object) -> EventRecord:
    return EventRecord(
        chain_id=1337,
        block_number=7,
        block_hash="0x" + "ab" * 32,
        block_timestamp=datetime(2026, 1, 5, tzinfo=UTC),
        tx_hash="0x" + "cd" * 32,
        tx_index=0,
        log_index=log_index,
        address="0x" + "11" * 20,
        contract=contract,
        event=event,
        args=dict(args),
    )


class TestAccessControlEvents:
    """Events no platform contract emits today (RoleAdminChanged) and the silent clearing of a pending admin."""

    def test_role_admin_and_admin_transfer(self, database: Database) -> None:
        role, admin_role = "0x" + "aa" * 32, "0x" + "bb" * 32
        new_admin = "0x" + "22" * 20
        with transaction(database.sessions) as db:
            zero_role = "0x" + "00" * 32
            projector.apply(db, _record("Settlement", "RoleAdminChanged", 0, role=role, previousAdminRole=zero_role,
                                        newAdminRole=admin_role))  # fmt: skip
            projector.apply(db, _record("Settlement", "DefaultAdminTransferScheduled", 1, newAdmin=new_admin,
                                        acceptSchedule=1_000))  # fmt: skip
            projector.apply(db, _record("Settlement", "RoleGranted", 2, role="0x" + "00" * 32, account=new_admin,
                                        sender=new_admin))  # fmt: skip
        with database.sessions() as db:
            assert db.get(ContractRoleAdmin, ("0x" + "11" * 20, role)).admin_role == admin_role  # type: ignore[union-attr]
            rules = db.get(ContractAdminRules, "0x" + "11" * 20)
            assert rules is not None and rules.pending_admin is None and rules.pending_admin_schedule is None
            assert db.scalars(select(ContractRoleGrant)).one().granted


class TestScenarioProjections:
    def test_projections_equal_getters(
        self, scenario: ScenarioChain, make_indexer: IndexerFactory, database: Database
    ) -> None:
        applied = make_indexer().catch_up()
        assert applied == assert_raw_events_equal_logs(scenario.world, database.sessions)
        assert_projections_equal_getters(scenario.world, database.sessions)

    def test_reindex_from_deploy_block_and_rebuild_change_nothing(
        self, scenario: ScenarioChain, make_indexer: IndexerFactory, database: Database
    ) -> None:
        indexer = make_indexer()
        indexer.catch_up()
        skip = frozenset({("indexer_checkpoints", "updated_at")})
        before = dump_tables(database.sessions, skip=skip)
        with transaction(database.sessions) as db:
            db.execute(delete(IndexerCheckpoint))
        assert indexer.catch_up() == 0
        assert dump_tables(database.sessions, skip=skip) == before
        with transaction(database.sessions) as db:
            indexer.rebuild_projections(db)
        assert dump_tables(database.sessions, skip=skip) == before
        assert_raw_events_equal_logs(scenario.world, database.sessions)

    def test_read_model_migrates_on_an_empty_database(self, database_url: str) -> None:
        engine = make_engine(database_url)
        migrate(engine)
        migrate(engine)  # idempotent
        with session_factory(engine)() as db:
            assert db.scalars(select(LedgerPosting)).all() == []
        engine.dispose()
