"""The schema comes from Alembic migrations that match the models, with the guard constraints in place."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import delete, func, inspect, select

from tradeledger.store.base import Base, utcnow
from tradeledger.store.db import make_engine, migrate, session_factory, transaction
from tradeledger.store.models import ChainEvent


@pytest.fixture
def database_url(empty_database_url: str) -> str:
    """These tests migrate from nothing themselves: an empty database, not a copy of the migrated template."""
    return empty_database_url


def test_migrations_match_models(database_url: str) -> None:
    engine = make_engine(database_url)
    migrate(engine)
    import tradeledger.indexer.handlers  # noqa: F401 - registers every projected table

    with engine.connect() as connection:
        differences = compare_metadata(
            MigrationContext.configure(connection, opts={"compare_type": True}), Base.metadata
        )
    assert differences == [], "models changed without a migration: run scripts/new_migration.py"


def test_guard_constraints_exist(database_url: str) -> None:
    """C9 / F3: duplicates are stopped by the database itself, whatever the code does."""
    engine = make_engine(database_url)
    migrate(engine)
    inspector = inspect(engine)
    event_uniques = {tuple(u["column_names"]) for u in inspector.get_unique_constraints("chain_events")}
    assert ("chain_id", "block_hash", "log_index") in event_uniques
    tx_indexes = {tuple(i["column_names"]): bool(i["unique"]) for i in inspector.get_indexes("chain_transactions")}
    assert tx_indexes[("signer", "nonce")] is True
    assert ("tx_hash",) in {tuple(u["column_names"]) for u in inspector.get_unique_constraints("chain_transactions")}


def test_migrate_is_idempotent(database_url: str) -> None:
    engine = make_engine(database_url)
    migrate(engine)
    migrate(engine)


def test_event_ids_are_never_reused_after_a_roll_back(database_url: str) -> None:
    """A cursor (event feed, webhooks) past events that a roll-back deleted must not skip their replacements."""
    engine = make_engine(database_url)
    migrate(engine)
    sessions = session_factory(engine)

    def event(log_index: int) -> ChainEvent:
        return ChainEvent(chain_id=1, block_number=1, block_hash=f"0x{log_index:064x}", block_timestamp=utcnow(),
                          tx_hash="0x" + "ab" * 32, tx_index=0, log_index=log_index, address="0x" + "00" * 20,
                          contract="Settlement", event="Posted", args="{}")  # fmt: skip

    with transaction(sessions) as db:
        db.add(event(1))
        db.flush()
        rolled_back = db.scalar(select(func.max(ChainEvent.id)))
        db.execute(delete(ChainEvent))
    with transaction(sessions) as db:
        db.add(event(2))
    with sessions() as db:
        assert db.scalar(select(func.min(ChainEvent.id))) > rolled_back
    engine.dispose()
