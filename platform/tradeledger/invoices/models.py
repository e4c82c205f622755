"""Read model of open-account invoices (Invoices), projected from its events."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from tradeledger.store.base import Base, Uint256, UtcDateTime
from tradeledger.store.columns import ADDRESS, CURRENCY, HASH, ChainEvidence, Uint64, enum_column


class InvoiceState(enum.IntEnum):
    """IInvoices.InvoiceState."""

    NONE = 0
    ISSUED = 1
    MATCHED = 2
    MISMATCHED = 3
    ACCEPTED = 4
    SUPERSEDED = 5


class Invoice(ChainEvidence, Base):
    """One invoice version of an open-account order; a correction is a new row that supersedes the old one."""

    __tablename__ = "invoices"

    invoice_id: Mapped[int] = mapped_column(Uint256, primary_key=True)
    order_id: Mapped[int] = mapped_column(Uint256, index=True)
    seller: Mapped[str] = mapped_column(String(ADDRESS), index=True)
    buyer: Mapped[str] = mapped_column(String(ADDRESS), index=True)
    currency: Mapped[str] = mapped_column(String(CURRENCY))
    state: Mapped[InvoiceState] = mapped_column(enum_column(InvoiceState), index=True)
    version: Mapped[int] = mapped_column(BigInteger)
    issue_date: Mapped[int] = mapped_column(Uint64)
    matched_at: Mapped[int | None] = mapped_column(Uint64)
    amount: Mapped[int] = mapped_column(Uint256)
    quantity_total: Mapped[int] = mapped_column(Uint256)
    invoice_hash: Mapped[str] = mapped_column(String(HASH))
    lines_hash: Mapped[str] = mapped_column(String(HASH))
    match_report_hash: Mapped[str | None] = mapped_column(String(HASH))
    match_recorded_by: Mapped[str | None] = mapped_column(String(ADDRESS))
    supersedes: Mapped[int | None] = mapped_column(Uint256)
    superseded_by: Mapped[int | None] = mapped_column(Uint256)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
