"""Queries of the transferable-record read model, and what public verification may read."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from tradeledger.documents.models import Document, DocumentFingerprint, PresentedFingerprint
from tradeledger.orders.models import PurchaseOrder
from tradeledger.records.models import RecordControlChange, TransferableRecord


def get(db: Session, record_id: int) -> TransferableRecord | None:
    return db.get(TransferableRecord, record_id)


def by_document(db: Session, document_hash: str) -> TransferableRecord | None:
    return db.scalar(select(TransferableRecord).where(TransferableRecord.document_hash == document_hash))


def history(db: Session, record_id: int) -> list[RecordControlChange]:
    return list(
        db.scalars(
            select(RecordControlChange)
            .where(RecordControlChange.record_id == record_id)
            .order_by(RecordControlChange.block_number, RecordControlChange.log_index)
        )
    )


def parties(db: Session, record: TransferableRecord) -> set[str]:
    """Everyone who issued, held or controlled the record at any time."""
    return parties_of(db, [record])[record.record_id]


def parties_of(db: Session, records: Iterable[TransferableRecord]) -> dict[int, set[str]]:
    """`parties` of each record, by record id: the control changes of them all in one query."""
    found = {record.record_id: {record.issuer, record.holder, record.controller} for record in records}
    changes = select(RecordControlChange.record_id, RecordControlChange.controller, RecordControlChange.holder).where(
        RecordControlChange.record_id.in_(found)
    )
    for record_id, controller, holder in db.execute(changes):
        found[record_id].update((controller, holder))
    return found


def page(db: Session, accounts: set[str] | None, after: int | None, limit: int) -> list[TransferableRecord]:
    query = select(TransferableRecord).order_by(TransferableRecord.record_id).limit(limit)
    if accounts is not None:
        involved = select(RecordControlChange.record_id).where(
            or_(RecordControlChange.controller.in_(accounts), RecordControlChange.holder.in_(accounts))
        )
        query = query.where(or_(TransferableRecord.issuer.in_(accounts), TransferableRecord.record_id.in_(involved)))
    if after is not None:
        query = query.where(TransferableRecord.record_id > after)
    return list(db.scalars(query))


def registered_document(db: Session, fingerprint: str) -> tuple[datetime, str] | None:
    """When and by whom a document with this fingerprint was first registered (DocumentRegistry)."""
    row = db.execute(
        select(Document.registered_at, Document.registrar)
        .join(DocumentFingerprint, DocumentFingerprint.document_id == Document.document_id)
        .where(DocumentFingerprint.fingerprint == fingerprint)
        .order_by(Document.document_id)
        .limit(1)
    ).first()
    return None if row is None else (row[0], row[1])


def presented_at(db: Session, fingerprint: str) -> datetime | None:
    return db.scalar(
        select(PresentedFingerprint.block_timestamp).where(PresentedFingerprint.fingerprint == fingerprint)
    )


def shipped_at(db: Session, document_hash: str) -> tuple[datetime, str] | None:
    """When, and by which seller, a shipment recorded this transport document hash (TradeOrders)."""
    row = db.execute(
        select(PurchaseOrder.shipped_at, PurchaseOrder.seller)
        .where(PurchaseOrder.transport_document_hash == document_hash, PurchaseOrder.shipped_at.is_not(None))
        .order_by(PurchaseOrder.order_id)
        .limit(1)
    ).first()
    return None if row is None else (datetime.fromtimestamp(int(row[0] or 0), UTC), row[1])
