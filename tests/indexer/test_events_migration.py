"""The migration that re-keys `chain_events`: the events a database holds stay, with their ids and (on SQLite) the
sequence past ids a roll-back deleted; one event per position of the chain is guarded; and every query the indexer
and the feed make of the table still reads an index."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, Select, delete, insert, inspect, select, text
from sqlalchemy.exc import IntegrityError

from tradeledger.store.base import table_of
from tradeledger.store.db import MIGRATIONS, make_engine, migrate
from tradeledger.store.models import ChainEvent

BEFORE = "c91357c1aa9d"
"""The revision before events were keyed by (chain_id, block_number, log_index)."""

EVENTS = table_of(ChainEvent)
CHAIN = 1337


@pytest.fixture
def database_url(empty_database_url: str) -> str:
    return empty_database_url


def _migrate(connection: Connection, revision: str, *, down: bool = False) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    (command.downgrade if down else command.upgrade)(config, revision)


def _event(block_number: int, log_index: int, fork: int = 0) -> dict[str, Any]:
    return {
        "chain_id": CHAIN,
        "block_number": block_number,
        "block_hash": "0x" + f"{fork:032x}{block_number:032x}",
        "block_timestamp": datetime(2026, 12, 6, tzinfo=UTC),
        "tx_hash": "0x" + f"{block_number * 100 + log_index:064x}",
        "tx_index": 0,
        "log_index": log_index,
        "address": "0x" + "11" * 20,
        "contract": "Settlement",
        "event": "Posted",
        "args": "{}",
    }


def _guards(connection: Connection) -> list[list[str]]:
    return [u["column_names"] for u in inspect(connection).get_unique_constraints("chain_events")]


def _indexes(connection: Connection) -> set[str]:
    return {str(index["name"]) for index in inspect(connection).get_indexes("chain_events")}


def test_events_survive_the_migration_keep_their_ids_and_stay_guarded(database_url: str) -> None:
    engine = make_engine(database_url)
    stored = [_event(10, 0), _event(10, 1), _event(11, 0), _event(12, 0)]
    with engine.begin() as connection:
        _migrate(connection, BEFORE)
        connection.execute(insert(EVENTS), stored)
        connection.execute(delete(EVENTS).where(EVENTS.c.block_number == 12))  # a roll-back of the newest block
        before = [dict(row) for row in connection.execute(select(EVENTS).order_by(EVENTS.c.id)).mappings()]
    with engine.begin() as connection:
        _migrate(connection, "head")
        assert [dict(row) for row in connection.execute(select(EVENTS).order_by(EVENTS.c.id)).mappings()] == before
        assert _guards(connection) == [["chain_id", "block_number", "log_index"]]
        assert "ix_chain_events_order" not in _indexes(connection)
    with pytest.raises(IntegrityError), engine.begin() as connection:  # another event at an indexed position
        connection.execute(insert(EVENTS), [_event(11, 0, fork=1)])
    with engine.begin() as connection:  # the id of the rolled-back event is not given again
        connection.execute(insert(EVENTS), [_event(12, 0, fork=1)])
        assert connection.execute(select(EVENTS.c.id).where(EVENTS.c.block_number == 12)).scalar_one() > 4
    with engine.begin() as connection:  # and back, the rows still there
        _migrate(connection, BEFORE, down=True)
        assert _guards(connection) == [["chain_id", "block_hash", "log_index"]]
        assert "ix_chain_events_order" in _indexes(connection)
        assert len(connection.execute(select(EVENTS.c.id)).all()) == len(before) + 1
    engine.dispose()


QUERIES: dict[str, tuple[Select[Any], str]] = {
    # Indexer._store: what a batch's blocks hold already (the range of blocks, not only the chain, from the index)
    "replay check": (
        select(EVENTS.c.block_hash, EVENTS.c.log_index).where(
            EVENTS.c.chain_id == CHAIN, EVENTS.c.block_number.between(10, 20)
        ),
        "block_number",
    ),
    # Indexer.rebuild_projections: every event in chain order
    "rebuild": (
        select(EVENTS).where(EVENTS.c.chain_id == CHAIN).order_by(EVENTS.c.block_number, EVENTS.c.log_index),
        "chain_id",
    ),
    # indexer.queries.event_argument: the event a transaction emitted
    "created object": (
        select(EVENTS).where(
            EVENTS.c.tx_hash == "0x" + "00" * 32, EVENTS.c.contract == "Settlement", EVENTS.c.event == "Posted"
        ),
        "tx_hash",
    ),
    # events.service.feed, webhooks.repository.events_after: the feed after a cursor
    "feed": (select(EVENTS).where(EVENTS.c.id > 3).order_by(EVENTS.c.id).limit(50), "id"),
}


def _plan(engine: Engine, query: Select[Any]) -> str:
    """The database's plan of `query`; on PostgreSQL with sequential scans, bitmap scans and sorts discouraged, so
    that its choice on a tiny table does not hide whether an index can serve the query (and its order) at all."""
    compiled = query.compile(engine, compile_kwargs={"literal_binds": True})
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            for planner in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
                connection.execute(text(f"SET {planner} = off"))
            return "\n".join(str(row[0]) for row in connection.execute(text(f"EXPLAIN {compiled}")))
        return "\n".join(str(row[-1]) for row in connection.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))


@pytest.mark.parametrize("name", QUERIES)
def test_every_query_of_the_events_reads_an_index(empty_database_url: str, name: str) -> None:
    """Each query's condition is an index's (its key column in the index condition) and its order the index's."""
    engine = make_engine(empty_database_url)
    migrate(engine)
    with engine.begin() as connection:
        connection.execute(insert(EVENTS), [_event(block, index) for block in range(10, 30) for index in range(3)])
    query, key = QUERIES[name]
    plan = _plan(engine, query)
    engine.dispose()
    if engine.dialect.name == "postgresql":
        searched = [line for line in plan.splitlines() if "Index Cond" in line]
        assert "Seq Scan" not in plan and "Sort" not in plan and searched and key in searched[0], plan
    else:
        assert "TEMP B-TREE" not in plan and "SEARCH" in plan and f"{key}" in plan.split("USING", 1)[-1], plan
