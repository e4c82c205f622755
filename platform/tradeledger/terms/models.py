"""Commercial terms kept off chain, keyed by the sha-256 of their canonical JSON (the on-chain terms hash)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tradeledger.store.base import Base, UtcDateTime, utcnow


class OffChainDocument(Base):
    __tablename__ = "offchain_documents"

    hash: Mapped[str] = mapped_column(String(66), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    canonical_json: Mapped[str] = mapped_column(Text)
    submitted_by: Mapped[str] = mapped_column(String(42))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
