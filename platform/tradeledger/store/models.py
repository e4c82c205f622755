"""The service's own records: the transaction outbox, per-signer nonces, raw chain events and checkpoints.

Unique constraints are the last guard against duplicates: (signer, nonce), tx hash, and
(chain id, block hash, log index) for events.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, Enum, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from tradeledger.store.base import Base, UtcDateTime, utcnow


class TxState(enum.StrEnum):
    """Life of an outbox transaction. MINED, REVERTED and FAILED are final, until the chain loses the block of a
    MINED or REVERTED one (a reorg, a node restarted from older state): then it is open again (see
    TransactionManager.reopen_lost)."""

    REQUESTED = "requested"  # pre-flighted and committed by an API worker: the engine assigns its nonce and signs
    SIGNED = "signed"  # nonce allocated, raw bytes and hash stored, not yet accepted by a node
    SENT = "sent"  # a node accepted it (or already knew it)
    MINED = "mined"  # receipt status 1
    REVERTED = "reverted"  # receipt status 0: a failed operation, never a success
    FAILED = "failed"  # rejected for good before mining; its nonce was gap-filled


FINAL_TX_STATES = frozenset({TxState.MINED, TxState.REVERTED, TxState.FAILED})


class SignerNonce(Base):
    """The next nonce of each signer, allocated under a per-signer lock."""

    __tablename__ = "signer_nonces"

    signer: Mapped[str] = mapped_column(String(42), primary_key=True)
    next_nonce: Mapped[int] = mapped_column(BigInteger)


class ChainTransaction(Base):
    """One outbox row per chain transaction: stored signed before it is ever broadcast. An API worker stores it
    REQUESTED (its call data and gas limit, no nonce): the engine signs it, so nonce, raw bytes and hash are set
    from SIGNED on."""

    __tablename__ = "chain_transactions"
    __table_args__ = (
        # one live transaction per (signer, nonce); a FAILED one gives its nonce to a gap-filler
        Index(
            "uq_chain_transactions_signer_nonce_live",
            "signer",
            "nonce",
            unique=True,
            sqlite_where=text("state != 'FAILED'"),
            postgresql_where=text("state != 'FAILED'"),
        ),
        Index("ix_chain_transactions_pending", "state", "updated_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    chain_id: Mapped[int] = mapped_column(BigInteger)
    signer: Mapped[str] = mapped_column(String(42))
    to_address: Mapped[str] = mapped_column(String(42))
    contract: Mapped[str] = mapped_column(String(64))
    function: Mapped[str] = mapped_column(String(64))
    nonce: Mapped[int | None] = mapped_column(BigInteger)
    gas_limit: Mapped[int] = mapped_column(BigInteger)
    raw_tx: Mapped[str | None] = mapped_column(Text)
    tx_hash: Mapped[str | None] = mapped_column(String(66), unique=True)
    # a REQUESTED row's call (hex) and its place among its request's calls: the engine signs them in that order
    calldata: Mapped[str | None] = mapped_column(Text)
    call_index: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    state: Mapped[TxState] = mapped_column(Enum(TxState, native_enum=False, length=16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_detail: Mapped[str | None] = mapped_column(Text)
    block_number: Mapped[int | None] = mapped_column(BigInteger)
    block_hash: Mapped[str | None] = mapped_column(String(66))
    # where the chain mined it (block_number, tx_index); kept when the chain loses that block (lost_block holds
    # the number then, and keeps it once mined again), so that bulk re-sends keep the original order across signers
    # and reads of what it made answer "pending on chain" until its new block is indexed
    tx_index: Mapped[int | None] = mapped_column(Integer)
    lost_block: Mapped[int | None] = mapped_column(BigInteger)
    gap_fill_of: Mapped[str | None] = mapped_column(ForeignKey("chain_transactions.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)

    @property
    def signed_nonce(self) -> int:
        """The nonce of a transaction the engine has signed (every state but REQUESTED has one)."""
        if self.nonce is None:
            raise ValueError(f"outbox row {self.id} is not signed yet")
        return self.nonce

    @property
    def signed_hash(self) -> str:
        """The hash of a transaction the engine has signed (every state but REQUESTED has one)."""
        if self.tx_hash is None:
            raise ValueError(f"outbox row {self.id} is not signed yet")
        return self.tx_hash


class ChainEvent(Base):
    """A decoded log of one of the platform's contracts, exactly as the node returned it."""

    __tablename__ = "chain_events"
    __table_args__ = (
        UniqueConstraint("chain_id", "block_hash", "log_index"),
        Index("ix_chain_events_order", "chain_id", "block_number", "log_index"),
        # ids are the cursors of the event feed and of webhooks: never reused after a roll-back deletes the newest
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    chain_id: Mapped[int] = mapped_column(BigInteger)
    block_number: Mapped[int] = mapped_column(BigInteger)
    block_hash: Mapped[str] = mapped_column(String(66))
    block_timestamp: Mapped[datetime] = mapped_column(UtcDateTime)
    # no index of its own: a look-up by transaction knows its block and goes through `ix_chain_events_order`; an
    # index by hash took each batch's inserts at random places and rewrote most of its pages at every commit
    tx_hash: Mapped[str] = mapped_column(String(66))
    tx_index: Mapped[int] = mapped_column(Integer)
    log_index: Mapped[int] = mapped_column(Integer)
    address: Mapped[str] = mapped_column(String(42))
    contract: Mapped[str] = mapped_column(String(64))
    event: Mapped[str] = mapped_column(String(64))
    args: Mapped[str] = mapped_column(Text)  # canonical JSON of the decoded arguments


class IndexedBlock(Base):
    """Hashes of recently indexed blocks, compared with the node's to detect reorgs."""

    __tablename__ = "indexed_blocks"

    chain_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    number: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    hash: Mapped[str] = mapped_column(String(66))


class IndexerCheckpoint(Base):
    """The last block whose events are fully applied, advanced in the same transaction as the events."""

    __tablename__ = "indexer_checkpoints"

    chain_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    block_number: Mapped[int] = mapped_column(BigInteger)
    block_hash: Mapped[str] = mapped_column(String(66))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
