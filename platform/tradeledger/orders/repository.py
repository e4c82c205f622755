"""Queries of the purchase-order read model."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from tradeledger.orders.models import PurchaseOrder


def get(db: Session, order_id: int) -> PurchaseOrder | None:
    return db.get(PurchaseOrder, order_id)


def page(db: Session, accounts: set[str] | None, after: int | None, limit: int) -> list[PurchaseOrder]:
    """Orders with a party among `accounts` (all when None), by id, after the cursor."""
    query = select(PurchaseOrder).order_by(PurchaseOrder.order_id).limit(limit)
    if accounts is not None:
        query = query.where(or_(PurchaseOrder.buyer.in_(accounts), PurchaseOrder.seller.in_(accounts)))
    if after is not None:
        query = query.where(PurchaseOrder.order_id > after)
    return list(db.scalars(query))
