"""Read model of TransferableRecords: one row per record as it stands, and its history of control.

Projected from events only (see `tradeledger.indexer.handlers.records`). The document itself stays off chain:
only its SHA-256 hash is known here, as on chain.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from tradeledger.store.base import Base, Uint256, UtcDateTime
from tradeledger.store.columns import ADDRESS, HASH, ChainEvidence, enum_column


class RecordKind(enum.IntEnum):
    """ITransferableRecords.RecordKind."""

    BILL_OF_LADING = 0
    WAREHOUSE_RECEIPT = 1
    PROMISSORY_NOTE = 2
    OTHER = 3


class RecordState(enum.IntEnum):
    """ITransferableRecords.RecordState."""

    NONE = 0
    HELD = 1
    PLEDGED = 2
    ESCROWED = 3
    SURRENDERED = 4
    VOID = 5


class TransferableRecord(ChainEvidence, Base):
    """A record: issuer, holder (title), controller (exclusive control), state; mirrors the chain's struct."""

    __tablename__ = "transferable_records"

    record_id: Mapped[int] = mapped_column(Uint256, primary_key=True)
    issuer: Mapped[str] = mapped_column(String(ADDRESS), index=True)
    holder: Mapped[str] = mapped_column(String(ADDRESS), index=True)
    controller: Mapped[str] = mapped_column(String(ADDRESS), index=True)
    kind: Mapped[RecordKind] = mapped_column(enum_column(RecordKind))
    state: Mapped[RecordState] = mapped_column(enum_column(RecordState), index=True)
    to_order: Mapped[bool] = mapped_column(Boolean)
    blank_endorsed: Mapped[bool] = mapped_column(Boolean)
    endorsements: Mapped[int] = mapped_column(Integer)
    document_hash: Mapped[str] = mapped_column(String(HASH), unique=True)
    escrow_key: Mapped[str | None] = mapped_column(String(HASH))
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime)


class RecordControlChange(Base):
    """One change of a record (its issue included): who controlled it before and after, and who holds it after.

    One row per event, keyed by the event's position in the chain.
    """

    __tablename__ = "record_control_changes"

    block_number: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    log_index: Mapped[int] = mapped_column(Integer, primary_key=True)
    tx_hash: Mapped[str] = mapped_column(String(HASH))
    block_timestamp: Mapped[datetime] = mapped_column(UtcDateTime)
    record_id: Mapped[int] = mapped_column(Uint256, index=True)
    action: Mapped[str] = mapped_column(String(32))
    previous_controller: Mapped[str | None] = mapped_column(String(ADDRESS), index=True)
    controller: Mapped[str] = mapped_column(String(ADDRESS), index=True)
    holder: Mapped[str] = mapped_column(String(ADDRESS), index=True)
    state: Mapped[RecordState] = mapped_column(enum_column(RecordState))
