"""`insert_rows` stores exactly what SQLAlchemy's own INSERT stores, value for value, on SQLite and PostgreSQL.

Purchase orders carry most column types of the read model: uint256 and uint64 (zero-padded strings on SQLite),
timezone-aware datetimes (given here in another zone), enums stored by name, booleans, NULLs; two rows share
values, which `insert_rows` converts once. On PostgreSQL their COPY is binary; users, with a JSON column, are
copied as text.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from tradeledger.orders.models import OrderState, PaymentTerms, PurchaseOrder
from tradeledger.store.base import Base, table_of
from tradeledger.store.bulk import insert_rows
from tradeledger.store.db import make_engine, migrate, session_factory, transaction
from tradeledger.users.models import User, UserKind

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


def _user(number: int, roles: list[str]) -> dict[str, Any]:
    return {
        "id": f"user-{number}",
        "member": "0x" + "11" * 20,
        "username": f"ütä-{number}",
        "kind": UserKind.SERVICE,
        "roles": roles,
        "password_hash": None,
        "totp_secret": None,
        "totp_pending": None,
        "totp_last_step": 2**63 - 1,
        "disabled_at": None,
        "created_at": datetime(2026, 1, 5, 8, 30, tzinfo=SHANGHAI),
    }


class TestInsertRows:
    @pytest.mark.parametrize(
        ("model", "rows", "key"),
        [(PurchaseOrder, ROWS, "block_number"), (User, [_user(1, ["viewer"]), _user(2, [])], "id")],
        ids=["orders", "users-json"],
    )
    def test_stores_what_sqlalchemy_stores(
        self, database_url: str, model: type[Base], rows: list[dict[str, Any]], key: str
    ) -> None:
        engine = make_engine(database_url)
        migrate(engine)
        sessions = session_factory(engine)
        table = table_of(model)

        def stored() -> list[tuple[Any, ...]]:
            """The rows as the driver returns them, without type processing; then emptied."""
            with engine.begin() as connection:
                found = connection.exec_driver_sql(f"SELECT * FROM {table.name} ORDER BY {key}").all()
                connection.exec_driver_sql(f"DELETE FROM {table.name}")
            return [tuple(row) for row in found]

        with transaction(sessions) as db:
            db.execute(insert(table), rows)
        expected = stored()
        with transaction(sessions) as db:
            insert_rows(db, model, rows)
        with sessions() as db:
            first = db.get(model, tuple(rows[0][column.name] for column in table.primary_key))
        assert stored() == expected and len(expected) == len(rows)
        assert first is not None and first.created_at == rows[0]["created_at"]
        engine.dispose()

    def test_uint256_keeps_every_digit(self, database_url: str) -> None:
        engine = make_engine(database_url)
        migrate(engine)
        sessions = session_factory(engine)
        with transaction(sessions) as db:
            insert_rows(db, PurchaseOrder, ROWS)
        with sessions() as db:
            assert {order.order_id: order.amount for order in db.query(PurchaseOrder)} == {
                1: 2**256 - 1,
                2: 1,
                3: 2**256 - 1,
            }
        engine.dispose()

    @pytest.mark.parametrize("amount", [2**256, -1])
    def test_rejects_amounts_outside_uint256(self, database_url: str, amount: int) -> None:
        engine = make_engine(database_url)
        migrate(engine)
        sessions = session_factory(engine)
        with pytest.raises(ValueError, match="outside the uint256 range"), transaction(sessions) as db:
            insert_rows(db, PurchaseOrder, [ROWS[1], _order(4, amount=amount)])
        with sessions() as db:
            assert db.query(PurchaseOrder).count() == 0
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
