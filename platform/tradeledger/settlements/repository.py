"""Queries of the settlement read model."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Row, bindparam, or_, select
from sqlalchemy.orm import Session

from tradeledger.settlements.models import AccountBalance, ExternalPayment
from tradeledger.store.base import table_of

_BALANCES = table_of(AccountBalance)
# Core columns, compiled once: the most frequent read loads no ORM entities
_BALANCES_OF = (
    select(_BALANCES.c.currency, _BALANCES.c.balance, _BALANCES.c.last_entry_id)
    .where(_BALANCES.c.account == bindparam("account"))
    .order_by(_BALANCES.c.currency)
)


def balances_of(db: Session, account: str) -> Sequence[Row[str, int, int]]:
    """The account's (currency, balance, last_entry_id) per currency, by currency."""
    return db.execute(_BALANCES_OF, {"account": account}).all()


def external_payment(db: Session, payment_id: int) -> ExternalPayment | None:
    return db.get(ExternalPayment, payment_id)


def external_payments(db: Session, accounts: set[str] | None, after: int | None, limit: int) -> list[ExternalPayment]:
    query = select(ExternalPayment).order_by(ExternalPayment.payment_id).limit(limit)
    if accounts is not None:
        query = query.where(or_(ExternalPayment.payer.in_(accounts), ExternalPayment.payee.in_(accounts)))
    if after is not None:
        query = query.where(ExternalPayment.payment_id > after)
    return list(db.scalars(query))
