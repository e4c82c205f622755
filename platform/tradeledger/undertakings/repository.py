"""Queries of the payment-undertaking read model."""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from tradeledger.undertakings.models import PaymentUndertaking, UndertakingState


def get(db: Session, undertaking_id: int) -> PaymentUndertaking | None:
    return db.get(PaymentUndertaking, undertaking_id)


def parties(row: PaymentUndertaking) -> list[str | None]:
    """Both banks, both traders and the payee (the financier once the undertaking is discounted)."""
    return [row.obligor_bank, row.recipient_bank, row.buyer, row.seller, row.payee]


def party_of(accounts: set[str]) -> ColumnElement[bool]:
    """A bank, trader or payee of the undertaking is among `accounts`."""
    columns = (
        PaymentUndertaking.obligor_bank,
        PaymentUndertaking.recipient_bank,
        PaymentUndertaking.buyer,
        PaymentUndertaking.seller,
        PaymentUndertaking.payee,
    )
    return or_(*(column.in_(accounts) for column in columns))


def undertakings(
    db: Session,
    accounts: set[str] | None,
    state: UndertakingState | None,
    limit: int,
    after: int | None = None,
    order_id: int | None = None,
) -> list[PaymentUndertaking]:
    """Undertakings with a bank, trader or payee among `accounts` (all when None), in `state` and of one order if
    given, by id after `after`."""
    query = select(PaymentUndertaking).order_by(PaymentUndertaking.undertaking_id).limit(limit)
    if accounts is not None:
        query = query.where(party_of(accounts))
    if state is not None:
        query = query.where(PaymentUndertaking.state == state)
    if order_id is not None:
        query = query.where(PaymentUndertaking.order_id == order_id)
    if after is not None:
        query = query.where(PaymentUndertaking.undertaking_id > after)
    return list(db.scalars(query))
