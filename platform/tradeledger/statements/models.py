"""Generated statement files: where the bytes are, their manifest, its signature and its anchor (service-owned)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tradeledger.store.base import Base, UtcDateTime, utcnow
from tradeledger.store.columns import ADDRESS, CURRENCY, HASH


class GeneratedStatement(Base):
    """One statement file written under `data_dir/statements`, with its canonical manifest and signature.

    Not a projection: the service writes these rows when a member asks for a statement. Its anchor, once the
    member anchored it, is the `statement_anchors` row with the same manifest hash.
    """

    __tablename__ = "statements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account: Mapped[str] = mapped_column(String(ADDRESS), index=True)
    counterparty: Mapped[str | None] = mapped_column(String(ADDRESS))
    currency: Mapped[str] = mapped_column(String(CURRENCY))
    period_start: Mapped[datetime] = mapped_column(UtcDateTime)
    period_end: Mapped[datetime] = mapped_column(UtcDateTime)
    format: Mapped[str] = mapped_column(String(32))
    sequence: Mapped[int] = mapped_column(BigInteger)
    statement_id: Mapped[str] = mapped_column(String(16))
    issuer: Mapped[str] = mapped_column(String(ADDRESS))
    requested_by: Mapped[str] = mapped_column(String(ADDRESS))
    file_name: Mapped[str] = mapped_column(String(128))
    file_sha256: Mapped[str] = mapped_column(String(HASH))
    file_size: Mapped[int] = mapped_column(BigInteger)
    entry_count: Mapped[int] = mapped_column(BigInteger)
    merkle_root: Mapped[str] = mapped_column(String(HASH))
    manifest: Mapped[str] = mapped_column(Text)
    manifest_hash: Mapped[str] = mapped_column(String(HASH), index=True)
    signature: Mapped[str] = mapped_column(String(132))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
