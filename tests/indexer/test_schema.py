"""The read model's migrations create exactly the models' schema, with the unique guards in place."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select
from sqlalchemy.exc import StatementError

from tests.indexer.conftest import Database
from tradeledger.lcs.models import BankHoliday
from tradeledger.store import read_model  # noqa: F401 - every read-model table on the metadata
from tradeledger.store.base import Base
from tradeledger.store.db import transaction

NOW = datetime(2026, 1, 5, tzinfo=UTC)


class TestReadModelSchema:
    def test_migrations_match_the_models(self, database: Database) -> None:
        with database.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []

    def test_unique_guards_exist(self, database: Database) -> None:
        inspector = inspect(database.engine)
        assert inspector.get_pk_constraint("ledger_postings")["constrained_columns"] == ["entry_id"]
        assert ["block_number", "log_index"] in [
            u["column_names"] for u in inspector.get_unique_constraints("ledger_postings")
        ]
        assert ["disbursement_entry_id"] in [
            u["column_names"] for u in inspector.get_unique_constraints("document_financings")
        ]
        assert inspector.get_pk_constraint("lc_presentations")["constrained_columns"] == ["lc_id", "presentation_id"]
        assert ["period_start", "period_end", "account", "counterparty", "currency"] in [
            u["column_names"] for u in inspector.get_unique_constraints("statement_anchors")
        ]


class TestUint64Column:
    def test_exact_and_ordered_up_to_uint64_max(self, database: Database) -> None:
        days = [0, 5, 10**12, 2**63 - 1, 2**63, 2**64 - 1]
        evidence = {"block_number": 1, "tx_hash": "0x" + "00" * 32, "log_index": 0, "block_timestamp": NOW}
        with transaction(database.sessions) as db:
            for day in reversed(days):
                db.add(BankHoliday(bank="0x" + "11" * 20, day=day, closed=True, **evidence))
        with database.sessions() as db:
            assert list(db.scalars(select(BankHoliday.day).order_by(BankHoliday.day))) == days
            assert (
                list(db.scalars(select(BankHoliday.day).where(BankHoliday.day > 10**11).order_by(BankHoliday.day)))
                == days[2:]
            )

    def test_rejects_values_outside_uint64(self, database: Database) -> None:
        with pytest.raises(StatementError), transaction(database.sessions) as db:
            db.add(BankHoliday(bank="0x" + "11" * 20, day=2**64, closed=True, block_number=1, tx_hash="0x",
                               log_index=0, block_timestamp=NOW))  # fmt: skip
