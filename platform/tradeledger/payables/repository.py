"""Queries of the payable read model."""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from tradeledger.payables.models import Payable, PayableState


def get(db: Session, payable_id: int) -> Payable | None:
    return db.get(Payable, payable_id)


def parties(row: Payable) -> list[str | None]:
    """The buyer, the supplier and the financier (once financed)."""
    return [row.buyer, row.supplier, row.financier]


def party_of(accounts: set[str]) -> ColumnElement[bool]:
    """The buyer, supplier or financier of the payable is among `accounts`."""
    return or_(Payable.buyer.in_(accounts), Payable.supplier.in_(accounts), Payable.financier.in_(accounts))


def payables(
    db: Session, accounts: set[str] | None, state: PayableState | None, limit: int, after: int | None = None
) -> list[Payable]:
    """Payables with a party among `accounts` (all when None), in `state` if given, by id after `after`."""
    query = select(Payable).order_by(Payable.payable_id).limit(limit)
    if accounts is not None:
        query = query.where(party_of(accounts))
    if state is not None:
        query = query.where(Payable.state == state)
    if after is not None:
        query = query.where(Payable.payable_id > after)
    return list(db.scalars(query))


def collectable(db: Session) -> list[Payable]:
    """Payables not yet paid (the scheduler's candidates), by maturity."""
    states = (PayableState.APPROVED, PayableState.FINANCED, PayableState.OVERDUE)
    return list(db.scalars(select(Payable).where(Payable.state.in_(states)).order_by(Payable.maturity)))
