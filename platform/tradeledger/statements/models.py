"""Generated statement files: where the bytes are, their manifest, its signature and its anchor (service-owned)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, LargeBinary, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tradeledger.store.base import Base, Uint256, UtcDateTime, utcnow
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


NO_COUNTERPARTY = ""
"""`HistoryFrontier.counterparty` of an account's whole history (a key column: NULLs would never collide)."""


class HistoryFrontier(Base):
    """The state of an account's history tree at one cut: what the next statement needs instead of the past.

    The RFC 6962 tree over every entry of the account, currency (and counterparty) booked before `cut` is
    summed up by its frontier (the roots of its perfect subtrees, one per set bit of `size`, largest first,
    `StreamingRoot.frontier`), and the balance by the credits and debits so far. The service writes one at
    each statement's start and end (not a projection: it is a cache of what it computed, rebuilt from the
    read model whenever missing). `last_*` name the last entry before the cut: a reorg always replaces a
    suffix of the chain, so while that posting is still in the read model with the same block hash, every
    entry before it is too, and only postings after it need reading.
    """

    __tablename__ = "statement_frontiers"
    __table_args__ = (UniqueConstraint("chain_id", "account", "counterparty", "currency", "cut"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    chain_id: Mapped[int] = mapped_column(BigInteger)
    account: Mapped[str] = mapped_column(String(ADDRESS))
    counterparty: Mapped[str] = mapped_column(String(ADDRESS))
    currency: Mapped[str] = mapped_column(String(CURRENCY))
    cut: Mapped[datetime] = mapped_column(UtcDateTime)
    size: Mapped[int] = mapped_column(BigInteger)
    frontier: Mapped[bytes] = mapped_column(LargeBinary)
    credits: Mapped[int] = mapped_column(Uint256)
    debits: Mapped[int] = mapped_column(Uint256)
    last_entry_id: Mapped[int | None] = mapped_column(Uint256)
    last_block_number: Mapped[int | None] = mapped_column(BigInteger)
    last_log_index: Mapped[int | None] = mapped_column(Integer)
    last_block_hash: Mapped[str | None] = mapped_column(String(HASH))
    last_booked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class HistorySubtree(Base):
    """One complete subtree of an account's history tree (`reconciliation.merkle.Subtree`): its `2**level` entries
    from `position * 2**level` on hash to `hash` (a leaf's hash at level 0).

    The service stores every subtree a statement closes while it extends the history (about two rows per entry,
    each written once), so a consistency proof between two statements reads the O(log n) subtrees it needs
    (`merkle.subtrees_for_consistency`) instead of every entry. Like `HistoryFrontier`, a cache of what the
    service computed from the read model: a statement that passes over the same entries again rewrites them.
    """

    __tablename__ = "statement_history_subtrees"

    chain_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    account: Mapped[str] = mapped_column(String(ADDRESS), primary_key=True)
    counterparty: Mapped[str] = mapped_column(String(ADDRESS), primary_key=True)
    currency: Mapped[str] = mapped_column(String(CURRENCY), primary_key=True)
    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    hash: Mapped[bytes] = mapped_column(LargeBinary)
