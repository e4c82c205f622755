"""Read model of payables (PayablesFinance), projected from its events by the indexer only."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from tradeledger.store.base import Base, Uint256, UtcDateTime
from tradeledger.store.columns import ADDRESS, CURRENCY, HASH, ChainEvidence, Uint64, enum_column


class PayableState(enum.IntEnum):
    """IPayablesFinance.PayableState."""

    NONE = 0
    APPROVED = 1
    FINANCED = 2
    OVERDUE = 3
    PAID = 4


class DayCountCode(enum.IntEnum):
    """IPayablesFinance.DayCount (the on-chain code of `tradeledger.undertakings.discount.DayCount`)."""

    ACT_360 = 0
    ACT_365 = 1


class Payable(ChainEvidence, Base):
    """A payable the buyer approved for a matched invoice; financed early by a bank or not, paid at maturity.

    The finance columns are set once a bank paid the supplier early (the registry document it financed, the
    rate, day count, days and advance the contract checked); `overdue_at` is the last collection that found the
    buyer's balance short.
    """

    __tablename__ = "payables"

    payable_id: Mapped[int] = mapped_column(Uint256, primary_key=True)
    invoice_id: Mapped[int] = mapped_column(Uint256, index=True)
    buyer: Mapped[str] = mapped_column(String(ADDRESS), index=True)
    supplier: Mapped[str] = mapped_column(String(ADDRESS), index=True)
    financier: Mapped[str | None] = mapped_column(String(ADDRESS), index=True)
    currency: Mapped[str] = mapped_column(String(CURRENCY))
    state: Mapped[PayableState] = mapped_column(enum_column(PayableState), index=True)
    amount: Mapped[int] = mapped_column(Uint256)
    maturity: Mapped[int] = mapped_column(Uint64, index=True)
    terms_hash: Mapped[str] = mapped_column(String(HASH))
    document_id: Mapped[int | None] = mapped_column(Uint256)
    rate_bps: Mapped[int | None] = mapped_column(Integer)
    day_count: Mapped[DayCountCode | None] = mapped_column(enum_column(DayCountCode))
    days_to_maturity: Mapped[int | None] = mapped_column(Integer)
    advance: Mapped[int | None] = mapped_column(Uint256)
    advance_entry_id: Mapped[int | None] = mapped_column(Uint256)
    financed_at: Mapped[int | None] = mapped_column(Uint64)
    overdue_at: Mapped[int | None] = mapped_column(Uint64)
    paid_at: Mapped[int | None] = mapped_column(Uint64)
    payment_entry_id: Mapped[int | None] = mapped_column(Uint256)
    approved_at: Mapped[datetime] = mapped_column(UtcDateTime)
