"""Queries of the invoice read model."""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from tradeledger.invoices.models import Invoice
from tradeledger.undertakings.models import PaymentUndertaking
from tradeledger.undertakings.repository import party_of


def get(db: Session, invoice_id: int) -> Invoice | None:
    return db.get(Invoice, invoice_id)


def _involving(accounts: set[str]) -> ColumnElement[bool]:
    """The seller or buyer is among `accounts`, or a bank or payee of an undertaking on the invoice's order is."""
    banked = select(PaymentUndertaking.order_id).where(party_of(accounts))
    return or_(Invoice.seller.in_(accounts), Invoice.buyer.in_(accounts), Invoice.order_id.in_(banked))


def invoices(
    db: Session,
    accounts: set[str] | None,
    order_id: int | None,
    limit: int,
    after: int | None = None,
    account: str | None = None,
    banked: bool = False,
) -> list[Invoice]:
    """Invoice versions with the seller or buyer among `accounts` (all when None) or, if `banked`, also a bank or
    payee of an undertaking on the order; of one order and with `account` as seller or buyer if given; by id."""
    query = select(Invoice).order_by(Invoice.invoice_id).limit(limit)
    if accounts is not None:
        traders = or_(Invoice.seller.in_(accounts), Invoice.buyer.in_(accounts))
        query = query.where(_involving(accounts) if banked else traders)
    if order_id is not None:
        query = query.where(Invoice.order_id == order_id)
    if account is not None:
        query = query.where(or_(Invoice.seller == account, Invoice.buyer == account))
    if after is not None:
        query = query.where(Invoice.invoice_id > after)
    return list(db.scalars(query))


def current(db: Session, order_id: int) -> Invoice | None:
    """The order's invoice version in force (the one no later version supersedes)."""
    query = select(Invoice).where(Invoice.order_id == order_id, Invoice.superseded_by.is_(None))
    return db.scalars(query.order_by(Invoice.version.desc()).limit(1)).first()
