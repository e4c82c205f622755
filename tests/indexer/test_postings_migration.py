"""The migration that re-keys `ledger_postings` keeps the postings a database already holds, and its guard."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, insert, inspect, select
from sqlalchemy.exc import IntegrityError

from tradeledger.settlements.models import LedgerPosting, PostingKind
from tradeledger.store.base import table_of
from tradeledger.store.db import MIGRATIONS, make_engine

BEFORE = "564c16f12f12"
"""The revision before postings were keyed by (block_number, log_index)."""

POSTINGS = table_of(LedgerPosting)


@pytest.fixture
def database_url(empty_database_url: str) -> str:
    return empty_database_url


def _migrate(connection: Connection, revision: str, *, down: bool = False) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    (command.downgrade if down else command.upgrade)(config, revision)


def _posting(entry_id: int, block_number: int, log_index: int) -> dict[str, Any]:
    return {
        "entry_id": entry_id,
        "debit_account": "0x" + "11" * 20,
        "credit_account": "0x" + "22" * 20,
        "currency": "USD",
        "amount": 2**200 + entry_id,
        "kind": PostingKind.TRANSFER,
        "reference": "0x" + f"{entry_id:064x}",
        "block_hash": "0x" + f"{block_number:064x}",
        "tx_index": 0,
        "block_number": block_number,
        "tx_hash": "0x" + f"{entry_id:064x}",
        "log_index": log_index,
        "block_timestamp": datetime(2026, 12, 6, tzinfo=UTC),
    }


def _guards(connection: Connection) -> list[list[str]]:
    return [u["column_names"] for u in inspect(connection).get_unique_constraints("ledger_postings")]


def test_postings_survive_the_migration_and_stay_guarded(database_url: str) -> None:
    engine = make_engine(database_url)
    stored = [_posting(1, 10, 0), _posting(2, 10, 1), _posting(3, 11, 0)]
    with engine.begin() as connection:
        _migrate(connection, BEFORE)
        connection.execute(insert(POSTINGS), stored)
    with engine.begin() as connection:
        _migrate(connection, "head")
        assert [dict(row) for row in connection.execute(select(POSTINGS).order_by("entry_id")).mappings()] == stored
        assert _guards(connection) == [["block_number", "log_index"]]
        indexed = {tuple(index["column_names"]) for index in inspect(connection).get_indexes("ledger_postings")}
        assert ("currency",) not in indexed and ("reference",) not in indexed
    with pytest.raises(IntegrityError), engine.begin() as connection:  # another posting of an indexed log
        connection.execute(insert(POSTINGS), [_posting(4, 11, 0)])
    with engine.begin() as connection:  # and back, the rows still there
        _migrate(connection, BEFORE, down=True)
        assert _guards(connection) == [["tx_hash", "log_index"]]
        assert len(connection.execute(select(POSTINGS.c.entry_id)).all()) == len(stored)
    engine.dispose()
