"""Read model of anchored statements (ReconciliationAnchor) and their bilateral agreement or dispute."""

from __future__ import annotations

import enum

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tradeledger.store.base import Base, Uint256
from tradeledger.store.columns import ADDRESS, CURRENCY, HASH, ChainEvidence, Uint64, enum_column


class ReconciliationStatus(enum.IntEnum):
    """IReconciliationAnchor.ReconciliationStatus."""

    NONE = 0
    UNILATERAL = 1
    PENDING = 2
    AGREED = 3
    DISPUTED = 4


class StatementAnchor(ChainEvidence, Base):
    """An anchored statement (immutable on chain); `mirror_anchor_id` and `status` change when the mirror arrives.

    `counterparty` is NULL for a unilateral statement (zero address on chain).
    """

    __tablename__ = "statement_anchors"
    __table_args__ = (UniqueConstraint("period_start", "period_end", "account", "counterparty", "currency"),)

    anchor_id: Mapped[int] = mapped_column(Uint256, primary_key=True)
    account: Mapped[str] = mapped_column(String(ADDRESS), index=True)
    counterparty: Mapped[str | None] = mapped_column(String(ADDRESS), index=True)
    currency: Mapped[str] = mapped_column(String(CURRENCY))
    period_start: Mapped[int] = mapped_column(Uint64)
    period_end: Mapped[int] = mapped_column(Uint64)
    merkle_root: Mapped[str] = mapped_column(String(HASH))
    entry_count: Mapped[int] = mapped_column(Uint64)
    total_debits: Mapped[int] = mapped_column(Uint256)
    total_credits: Mapped[int] = mapped_column(Uint256)
    manifest_hash: Mapped[str] = mapped_column(String(HASH))
    anchored_at: Mapped[int] = mapped_column(Uint64)
    mirror_anchor_id: Mapped[int | None] = mapped_column(Uint256)
    status: Mapped[ReconciliationStatus] = mapped_column(enum_column(ReconciliationStatus), index=True)


class AnchorReconciliation(ChainEvidence, Base):
    """The outcome when the second side of a pair anchored: AGREED (equal roots) or DISPUTED."""

    __tablename__ = "anchor_reconciliations"

    anchor_id: Mapped[int] = mapped_column(Uint256, ForeignKey("statement_anchors.anchor_id"), primary_key=True)
    mirror_anchor_id: Mapped[int] = mapped_column(Uint256, ForeignKey("statement_anchors.anchor_id"), unique=True)
    outcome: Mapped[ReconciliationStatus] = mapped_column(enum_column(ReconciliationStatus))
    merkle_root: Mapped[str] = mapped_column(String(HASH))
    mirror_merkle_root: Mapped[str] = mapped_column(String(HASH))
