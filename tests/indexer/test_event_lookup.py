"""What a mined transaction emitted is found through its block, by the raw events' order index: the raw events keep
no index by transaction hash (migration ac370210f911), so a look-up by hash alone would read the whole table."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, event, insert, inspect, text

from tests.indexer.conftest import Database
from tradeledger.errors import TradeLedgerError
from tradeledger.indexer.queries import event_argument
from tradeledger.store.base import table_of
from tradeledger.store.db import MIGRATIONS, make_engine
from tradeledger.store.models import ChainEvent, ChainTransaction, TxState

CHAIN_ID = 31337
BLOCKS = 600
EVENTS_PER_BLOCK = 5
BEFORE = "c91357c1aa9d"
"""The revision before the raw events lost their index by transaction hash."""


def _tx_hash(block: int, tx_index: int) -> str:
    return "0x" + f"{block:032x}{tx_index:032x}"


def _rows() -> list[dict[str, Any]]:
    """A few events per block, each block's first two from one transaction (a proposal and its own vote)."""
    at = datetime(2026, 12, 6, tzinfo=UTC)
    return [
        {
            "chain_id": CHAIN_ID,
            "block_number": block,
            "block_hash": "0x" + f"{block:064x}",
            "block_timestamp": at,
            "tx_hash": _tx_hash(block, max(log_index - 1, 0)),
            "tx_index": max(log_index - 1, 0),
            "log_index": log_index,
            "address": "0x" + "11" * 20,
            "contract": "Membership" if log_index < 2 else "Settlement",
            "event": ("ProposalCreated", "Voted")[log_index] if log_index < 2 else "Posted",
            "args": f'{{"proposalId":{block},"entryId":{block * 10 + log_index}}}',
        }
        for block in range(1, BLOCKS + 1)
        for log_index in range(EVENTS_PER_BLOCK)
    ]


def _mined(block: int | None, tx_index: int = 0, chain_id: int = CHAIN_ID) -> ChainTransaction:
    return ChainTransaction(chain_id=chain_id, tx_hash=_tx_hash(block or 0, tx_index), block_number=block,
                            state=TxState.MINED if block else TxState.SENT)  # fmt: skip


@pytest.fixture
def events(database: Database) -> Database:
    with database.engine.begin() as connection:
        connection.execute(insert(table_of(ChainEvent)), _rows())
    with database.engine.connect() as connection:
        connection.execute(text("ANALYZE"))
        connection.commit()
    return database


@contextmanager
def _statements(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _plan(connection: Connection, statement: str, parameters: Any) -> str:
    explain = "EXPLAIN QUERY PLAN " if connection.dialect.name == "sqlite" else "EXPLAIN "
    rows = connection.exec_driver_sql(explain + statement, parameters).all()
    return "\n".join(str(row[-1]) for row in rows)


class TestEventArgument:
    def test_reads_the_event_of_the_transaction_in_its_block(self, events: Database) -> None:
        with events.sessions() as db:
            assert event_argument(db, _mined(417), "Membership", "ProposalCreated", "proposalId") == 417
            assert event_argument(db, _mined(417, tx_index=2), "Settlement", "Posted", "entryId") == 4173

    @pytest.mark.parametrize(
        "mined",
        [_mined(None), _mined(BLOCKS + 1), _mined(417, chain_id=CHAIN_ID + 1)],
        ids=["not-mined", "block-not-indexed", "other-chain"],
    )
    def test_an_event_it_did_not_emit_is_named_missing(self, events: Database, mined: ChainTransaction) -> None:
        with events.sessions() as db, pytest.raises(TradeLedgerError) as raised:
            event_argument(db, mined, "Membership", "ProposalCreated", "proposalId")
        assert raised.value.code == "event_missing"

    def test_the_look_up_goes_through_the_order_index(self, events: Database) -> None:
        with _statements(events.engine) as seen, events.sessions() as db:
            event_argument(db, _mined(417), "Membership", "ProposalCreated", "proposalId")
        [(statement, parameters)] = [found for found in seen if "FROM chain_events" in found[0]]
        with events.engine.connect() as connection:
            plan = _plan(connection, statement, parameters)
        assert "ix_chain_events_order" in plan, plan
        assert "SCAN chain_events" not in plan and "Seq Scan" not in plan, plan


def _migrate(connection: Connection, revision: str, *, down: bool = False) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    (command.downgrade if down else command.upgrade)(config, revision)


def _indexes(connection: Connection) -> set[str]:
    return {str(index["name"]) for index in inspect(connection).get_indexes("chain_events")}


def test_the_migration_drops_the_hash_index_and_keeps_the_guard(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    with engine.begin() as connection:
        _migrate(connection, BEFORE)
        connection.execute(insert(table_of(ChainEvent)), _rows()[:10])
        assert "ix_chain_events_tx_hash" in _indexes(connection)
        _migrate(connection, "head")
        assert "ix_chain_events_tx_hash" not in _indexes(connection)
        assert "ix_chain_events_order" in _indexes(connection)
        uniques = [u["column_names"] for u in inspect(connection).get_unique_constraints("chain_events")]
        assert ["chain_id", "block_hash", "log_index"] in uniques
        assert connection.execute(text("SELECT count(*) FROM chain_events")).scalar() == 10
        _migrate(connection, BEFORE, down=True)
        assert "ix_chain_events_tx_hash" in _indexes(connection)
    engine.dispose()
