"""`insert_rows` stores exactly what SQLAlchemy's own INSERT stores, value for value, on SQLite and PostgreSQL.

Purchase orders carry most column types of the read model: uint256 and uint64 (zero-padded strings on SQLite),
timezone-aware datetimes (given here in another zone), enums stored by name, booleans, NULLs; two rows share
values, which `insert_rows` converts once.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from tradeledger.orders.models import OrderState, PaymentTerms, PurchaseOrder
from tradeledger.store.base import table_of
from tradeledger.store.bulk import insert_rows
from tradeledger.store.db import make_engine, migrate, session_factory, transaction

SHANGHAI = timezone(timedelta(hours=8))


def _order(order_id: int, **changes: Any) -> dict[str, Any]:
    row = {
        "order_id": order_id,
        "buyer": "0x" + "11" * 20,
        "seller": "0x" + "22" * 20,
        "amount": 2**256 - 1,
        "currency": "USD",
        "terms_hash": "0x" + "ab" * 32,
        "payment_terms": PaymentTerms.OPEN_ACCOUNT,
        "state": OrderState.CREATED,
        "latest_shipment": 2**64 - 1,
        "due_date": 0,
        "buyer_consents_to_cancel": False,
        "seller_consents_to_cancel": True,
        "transport_document_hash": None,
        "shipped_at": None,
        "delivered_at": 1_767_225_600,
        "payment_entry_id": None,
        "created_at": datetime(2026, 1, 5, 8, 30, tzinfo=SHANGHAI),
        "block_number": 2**62,
        "tx_hash": "0x" + "cd" * 32,
        "log_index": 7,
        "block_timestamp": datetime(2026, 1, 5, 0, 30, 0, 123456, tzinfo=UTC),
    }
    return {**row, **changes}


ROWS = [
    _order(1),
    _order(2, block_number=2, state=OrderState.PAID, payment_entry_id=9, shipped_at=5, amount=1),
    _order(3, block_number=3, payment_terms=PaymentTerms.LETTER_OF_CREDIT, created_at=datetime(2026, 1, 1, tzinfo=UTC)),
]


class TestInsertRows:
    def test_stores_what_sqlalchemy_stores(self, database_url: str) -> None:
        engine = make_engine(database_url)
        migrate(engine)
        sessions = session_factory(engine)

        def stored() -> list[tuple[Any, ...]]:
            """The rows as the driver returns them, without type processing; then emptied."""
            with engine.begin() as connection:
                rows = connection.exec_driver_sql("SELECT * FROM purchase_orders ORDER BY block_number").all()
                connection.exec_driver_sql("DELETE FROM purchase_orders")
            return [tuple(row) for row in rows]

        with transaction(sessions) as db:
            db.execute(insert(table_of(PurchaseOrder)), ROWS)
        expected = stored()
        with transaction(sessions) as db:
            insert_rows(db, PurchaseOrder, ROWS)
        with sessions() as db:
            loaded = {order.order_id: order for order in db.query(PurchaseOrder)}
        assert stored() == expected and len(expected) == len(ROWS)
        assert loaded[1].created_at == ROWS[0]["created_at"] and loaded[1].amount == 2**256 - 1
        engine.dispose()

    def test_a_duplicate_key_fails_the_transaction(self, database_url: str) -> None:
        engine = make_engine(database_url)
        migrate(engine)
        sessions = session_factory(engine)
        with pytest.raises(IntegrityError), transaction(sessions) as db:
            insert_rows(db, PurchaseOrder, [ROWS[0], ROWS[0]])
        with sessions() as db:
            assert db.query(PurchaseOrder).count() == 0
        engine.dispose()
