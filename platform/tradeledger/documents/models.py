"""Read model of the duplicate-financing guard (DocumentRegistry).

Documents with their fingerprints (one row per position, as registered: a fingerprint may repeat), the single
financing a document can have and its repayments, the LC under which each fingerprint was first presented,
and every flagged re-use of a presented fingerprint under another LC.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from tradeledger.store.base import Base, Uint256, UtcDateTime
from tradeledger.store.columns import ADDRESS, CURRENCY, HASH, ChainEvidence, enum_column


class DocumentKind(enum.IntEnum):
    """IDocumentRegistry.DocumentKind."""

    INVOICE = 0
    BILL_OF_LADING = 1
    PURCHASE_ORDER = 2
    WAREHOUSE_RECEIPT = 3
    OTHER = 4


class DocumentState(enum.IntEnum):
    """IDocumentRegistry.DocumentState."""

    NONE = 0
    REGISTERED = 1
    FINANCED = 2
    REPAID = 3
    RELEASED = 4


class Document(ChainEvidence, Base):
    """A registered document; financier / financed amount / outstanding mirror the chain's Document struct.

    `record_id` is the transferable record the document is (or carries), linked at registration: financing the
    document pledges it to the financier.
    """

    __tablename__ = "documents"

    document_id: Mapped[int] = mapped_column(Uint256, primary_key=True)
    owner: Mapped[str] = mapped_column(String(ADDRESS), index=True)
    registrar: Mapped[str] = mapped_column(String(ADDRESS))
    kind: Mapped[DocumentKind] = mapped_column(enum_column(DocumentKind))
    state: Mapped[DocumentState] = mapped_column(enum_column(DocumentState), index=True)
    currency: Mapped[str] = mapped_column(String(CURRENCY))
    face_value: Mapped[int] = mapped_column(Uint256)
    financier: Mapped[str | None] = mapped_column(String(ADDRESS), index=True)
    financed_amount: Mapped[int] = mapped_column(Uint256)
    outstanding: Mapped[int] = mapped_column(Uint256)
    registered_at: Mapped[datetime] = mapped_column(UtcDateTime)
    record_id: Mapped[int | None] = mapped_column(Uint256, index=True)


class DocumentFingerprint(ChainEvidence, Base):
    """One fingerprint of a document at its registered position; `reuses_document_id` from FingerprintReused."""

    __tablename__ = "document_fingerprints"

    document_id: Mapped[int] = mapped_column(Uint256, ForeignKey("documents.document_id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(HASH), index=True)
    reuses_document_id: Mapped[int | None] = mapped_column(Uint256)


class DocumentFinancing(ChainEvidence, Base):
    """The financing of a document (at most one per document): disbursement entry and what is outstanding.

    `pledged_record_id`: the document's record, pledged to the financier with the disbursement;
    `record_released_at`: when the financing's end (repayment or release) gave it back to the owner (never, when the
    financier released or enforced the pledge itself first).
    """

    __tablename__ = "document_financings"

    document_id: Mapped[int] = mapped_column(Uint256, ForeignKey("documents.document_id"), primary_key=True)
    financier: Mapped[str] = mapped_column(String(ADDRESS), index=True)
    owner: Mapped[str] = mapped_column(String(ADDRESS), index=True)
    amount: Mapped[int] = mapped_column(Uint256)
    outstanding: Mapped[int] = mapped_column(Uint256)
    state: Mapped[DocumentState] = mapped_column(enum_column(DocumentState))
    disbursement_entry_id: Mapped[int] = mapped_column(Uint256, unique=True)
    financed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    pledged_record_id: Mapped[int | None] = mapped_column(Uint256)
    record_released_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class DocumentRepayment(ChainEvidence, Base):
    """One repayment of a financing; `outstanding` is what remained after it."""

    __tablename__ = "document_repayments"

    entry_id: Mapped[int] = mapped_column(Uint256, primary_key=True)
    document_id: Mapped[int] = mapped_column(Uint256, ForeignKey("document_financings.document_id"), index=True)
    financier: Mapped[str] = mapped_column(String(ADDRESS))
    amount: Mapped[int] = mapped_column(Uint256)
    outstanding: Mapped[int] = mapped_column(Uint256)


class PresentedFingerprint(ChainEvidence, Base):
    """The LC (key = bytes32(lcId)) a fingerprint was first presented under."""

    __tablename__ = "presented_fingerprints"

    fingerprint: Mapped[str] = mapped_column(String(HASH), primary_key=True)
    lc_key: Mapped[str] = mapped_column(String(HASH), index=True)


class DocumentReuseFlag(Base):
    """A fingerprint presented under `lc_key` after it was first presented under `prior_lc_key`.

    One row per DocumentReuseFlagged event, keyed by the event's position in the chain.
    """

    __tablename__ = "document_reuse_flags"

    block_number: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    log_index: Mapped[int] = mapped_column(Integer, primary_key=True)
    tx_hash: Mapped[str] = mapped_column(String(HASH))
    block_timestamp: Mapped[datetime] = mapped_column(UtcDateTime)
    fingerprint: Mapped[str] = mapped_column(String(HASH), index=True)
    lc_key: Mapped[str] = mapped_column(String(HASH), index=True)
    prior_lc_key: Mapped[str] = mapped_column(String(HASH))
