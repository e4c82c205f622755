"""Read model of purchase orders (TradeOrders), projected from its events."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, String
from sqlalchemy.orm import Mapped, mapped_column

from tradeledger.store.base import Base, Uint256, UtcDateTime
from tradeledger.store.columns import ADDRESS, CURRENCY, HASH, ChainEvidence, Uint64, enum_column


class PaymentTerms(enum.IntEnum):
    """ITradeOrders.PaymentTerms."""

    LETTER_OF_CREDIT = 0
    OPEN_ACCOUNT = 1


class OrderState(enum.IntEnum):
    """ITradeOrders.OrderState."""

    NONE = 0
    CREATED = 1
    ACCEPTED = 2
    REJECTED = 3
    SHIPPED = 4
    DELIVERED = 5
    PAID = 6
    CANCELLED = 7


class PurchaseOrder(ChainEvidence, Base):
    """A purchase order; dates are the chain's uint64 unix seconds."""

    __tablename__ = "purchase_orders"

    order_id: Mapped[int] = mapped_column(Uint256, primary_key=True)
    buyer: Mapped[str] = mapped_column(String(ADDRESS), index=True)
    seller: Mapped[str] = mapped_column(String(ADDRESS), index=True)
    amount: Mapped[int] = mapped_column(Uint256)
    currency: Mapped[str] = mapped_column(String(CURRENCY))
    terms_hash: Mapped[str] = mapped_column(String(HASH))
    payment_terms: Mapped[PaymentTerms] = mapped_column(enum_column(PaymentTerms))
    state: Mapped[OrderState] = mapped_column(enum_column(OrderState), index=True)
    latest_shipment: Mapped[int] = mapped_column(Uint64)
    due_date: Mapped[int] = mapped_column(Uint64)
    buyer_consents_to_cancel: Mapped[bool] = mapped_column(Boolean)
    seller_consents_to_cancel: Mapped[bool] = mapped_column(Boolean)
    transport_document_hash: Mapped[str | None] = mapped_column(String(HASH))
    shipped_at: Mapped[int | None] = mapped_column(Uint64)
    delivered_at: Mapped[int | None] = mapped_column(Uint64)
    payment_entry_id: Mapped[int | None] = mapped_column(Uint256, unique=True)
    covering_undertaking_id: Mapped[int | None] = mapped_column(Uint256)  # a live payment undertaking pays it
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
