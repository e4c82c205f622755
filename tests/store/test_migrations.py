"""The schema comes from Alembic migrations that match the models, with the guard constraints in place."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from tradeledger.store.base import Base
from tradeledger.store.db import make_engine, migrate


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
