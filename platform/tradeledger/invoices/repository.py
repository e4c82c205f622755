"""Queries of the invoice read model."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from tradeledger.invoices.models import Invoice


def invoices(db: Session, accounts: set[str] | None, order_id: int | None, limit: int) -> list[Invoice]:
    """Invoice versions with the seller or buyer among `accounts` (all when None), of one order if given, by id."""
    query = select(Invoice).order_by(Invoice.invoice_id).limit(limit)
    if accounts is not None:
        query = query.where(or_(Invoice.seller.in_(accounts), Invoice.buyer.in_(accounts)))
    if order_id is not None:
        query = query.where(Invoice.order_id == order_id)
    return list(db.scalars(query))
