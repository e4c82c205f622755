"""Queries of the payment-undertaking read model."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from tradeledger.undertakings.models import PaymentUndertaking, UndertakingState


def undertakings(
    db: Session, accounts: set[str] | None, state: UndertakingState | None, limit: int
) -> list[PaymentUndertaking]:
    """Undertakings with a bank, trader or payee among `accounts` (all when None), in `state` if given, by id."""
    query = select(PaymentUndertaking).order_by(PaymentUndertaking.undertaking_id).limit(limit)
    if accounts is not None:
        parties = (
            PaymentUndertaking.obligor_bank,
            PaymentUndertaking.recipient_bank,
            PaymentUndertaking.buyer,
            PaymentUndertaking.seller,
            PaymentUndertaking.payee,
        )
        query = query.where(or_(*(party.in_(accounts) for party in parties)))
    if state is not None:
        query = query.where(PaymentUndertaking.state == state)
    return list(db.scalars(query))
