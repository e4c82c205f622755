"""Read model of bank payment undertakings (PaymentUndertakings), projected from its events."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from tradeledger.store.base import Base, Uint256, UtcDateTime
from tradeledger.store.columns import ADDRESS, CURRENCY, HASH, ChainEvidence, Uint64, enum_column


class UndertakingState(enum.IntEnum):
    """IPaymentUndertakings.UndertakingState."""

    NONE = 0
    ESTABLISHED = 1
    SETTLED = 2
    EXPIRED = 3


class PaymentUndertaking(ChainEvidence, Base):
    """An obligor bank's undertaking to pay the recipient bank on the due date once the order's data match.

    The pending_* columns hold an amendment one bank proposed and the other has not yet consented to; the
    mismatch_* columns the obligor bank's acceptance of an invoice version's data mismatch (URBPO 750).
    """

    __tablename__ = "payment_undertakings"

    undertaking_id: Mapped[int] = mapped_column(Uint256, primary_key=True)
    order_id: Mapped[int] = mapped_column(Uint256, index=True)
    obligor_bank: Mapped[str] = mapped_column(String(ADDRESS), index=True)
    recipient_bank: Mapped[str] = mapped_column(String(ADDRESS), index=True)
    buyer: Mapped[str] = mapped_column(String(ADDRESS), index=True)
    seller: Mapped[str] = mapped_column(String(ADDRESS), index=True)
    payee: Mapped[str] = mapped_column(String(ADDRESS), index=True)
    currency: Mapped[str] = mapped_column(String(CURRENCY))
    state: Mapped[UndertakingState] = mapped_column(enum_column(UndertakingState), index=True)
    amendment_count: Mapped[int] = mapped_column(BigInteger)
    due_date: Mapped[int] = mapped_column(Uint64, index=True)
    expiry: Mapped[int] = mapped_column(Uint64)
    settled_at: Mapped[int | None] = mapped_column(Uint64)
    amount: Mapped[int] = mapped_column(Uint256)
    terms_hash: Mapped[str] = mapped_column(String(HASH))
    financed_document_id: Mapped[int | None] = mapped_column(Uint256)
    payment_entry_id: Mapped[int | None] = mapped_column(Uint256)
    credit_entry_id: Mapped[int | None] = mapped_column(Uint256)
    mismatch_invoice_id: Mapped[int | None] = mapped_column(Uint256)
    mismatch_accepted_at: Mapped[int | None] = mapped_column(Uint64)
    pending_proposer: Mapped[str | None] = mapped_column(String(ADDRESS))
    pending_amount: Mapped[int | None] = mapped_column(Uint256)
    pending_due_date: Mapped[int | None] = mapped_column(Uint64)
    pending_expiry: Mapped[int | None] = mapped_column(Uint64)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
