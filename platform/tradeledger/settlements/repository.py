"""Queries of the settlement read model."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from tradeledger.settlements.models import AccountBalance, ExternalPayment


def balances_of(db: Session, account: str) -> list[AccountBalance]:
    return list(
        db.scalars(select(AccountBalance).where(AccountBalance.account == account).order_by(AccountBalance.currency))
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
