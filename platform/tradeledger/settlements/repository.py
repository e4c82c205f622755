"""Queries of the settlement read model."""

from __future__ import annotations

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session

from tradeledger.settlements.models import AccountBalance, ExternalPayment
from tradeledger.store.base import table_of

_BALANCES = table_of(AccountBalance)
# Core columns, compiled once: the most frequent read loads no ORM entities. Read beside its caller's check in one
# statement (settlements.service.balance_rows), which keeps no order of its rows.
BALANCES_OF = select(_BALANCES.c.currency, _BALANCES.c.balance, _BALANCES.c.last_entry_id).where(
    _BALANCES.c.account == bindparam("account")
)


def external_payment(db: Session, payment_id: int) -> ExternalPayment | None:
    return db.get(ExternalPayment, payment_id)


def external_payments(db: Session, accounts: set[str] | None, after: int | None, limit: int) -> list[ExternalPayment]:
    query = select(ExternalPayment).order_by(ExternalPayment.payment_id).limit(limit)
    if accounts is not None:
        query = query.where(or_(ExternalPayment.payer.in_(accounts), ExternalPayment.payee.in_(accounts)))
    if after is not None:
        query = query.where(ExternalPayment.payment_id > after)
    return list(db.scalars(query))
