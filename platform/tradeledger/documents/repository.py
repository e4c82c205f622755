"""Queries of the document-registry read model."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from tradeledger.documents.models import (
    Document,
    DocumentFinancing,
    DocumentFingerprint,
    DocumentState,
    PresentedFingerprint,
)
from tradeledger.records.models import RecordState, TransferableRecord
from tradeledger.settlements.models import LedgerPosting


def get(db: Session, document_id: int) -> Document | None:
    return db.get(Document, document_id)


def fingerprints_of(db: Session, document_id: int) -> list[str]:
    rows = db.scalars(
        select(DocumentFingerprint.fingerprint)
        .where(DocumentFingerprint.document_id == document_id)
        .order_by(DocumentFingerprint.position)
    )
    return list(rows)


def holders(db: Session, fingerprints: Sequence[str]) -> list[tuple[str, Document]]:
    """Registered documents carrying any of these fingerprints."""
    rows = db.execute(
        select(DocumentFingerprint.fingerprint, Document)
        .join(Document, Document.document_id == DocumentFingerprint.document_id)
        .where(DocumentFingerprint.fingerprint.in_(fingerprints))
        .order_by(Document.document_id)
    )
    return [(fingerprint, document) for fingerprint, document in rows]


def presented(db: Session, fingerprints: Sequence[str]) -> list[str]:
    return list(
        db.scalars(select(PresentedFingerprint.fingerprint).where(PresentedFingerprint.fingerprint.in_(fingerprints)))
    )


def page(db: Session, accounts: set[str] | None, after: int | None, limit: int) -> list[Document]:
    query = select(Document).order_by(Document.document_id).limit(limit)
    if accounts is not None:
        query = query.where(
            or_(Document.owner.in_(accounts), Document.registrar.in_(accounts), Document.financier.in_(accounts))
        )
    if after is not None:
        query = query.where(Document.document_id > after)
    return list(db.scalars(query))


def financing_reference(db: Session, document_id: int) -> str | None:
    """The business reference of a document's financing (its disbursement's ledger reference), if any."""
    return db.scalar(
        select(LedgerPosting.reference)
        .join(DocumentFinancing, DocumentFinancing.disbursement_entry_id == LedgerPosting.entry_id)
        .where(DocumentFinancing.document_id == document_id)
    )


def record_pledged(db: Session, document: Document, key: str) -> bool:
    """Whether the document's financing holds the pledge of its record now: the record is PLEDGED under the
    financing's security key `key` (not released or enforced by the financier, nor pledged again since)."""
    if document.record_id is None or document.state is not DocumentState.FINANCED:
        return False
    record = db.get(TransferableRecord, document.record_id)
    return record is not None and record.state is RecordState.PLEDGED and record.escrow_key == key


def financed_with_record(db: Session, record_id: int) -> list[Document]:
    """The FINANCED documents linked to this record."""
    query = select(Document).where(Document.record_id == record_id, Document.state == DocumentState.FINANCED)
    return list(db.scalars(query.order_by(Document.document_id)))
