"""Projections of DocumentRegistry: documents and fingerprints, their links to transferable records and the
pledges their financings hold, financings and repayments, presentations of fingerprints under LCs and flagged re-use.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from tradeledger.documents.models import (
    Document,
    DocumentFinancing,
    DocumentFingerprint,
    DocumentKind,
    DocumentRepayment,
    DocumentReuseFlag,
    DocumentState,
    PresentedFingerprint,
)
from tradeledger.indexer.fetcher import EventRecord
from tradeledger.indexer.handlers._support import currency, evidence, existing, hex32, require, stamp
from tradeledger.indexer.projections import Row, projector

DOCUMENT_REGISTRY = "DocumentRegistry"

projector.owns(
    Document, DocumentFingerprint, DocumentFinancing, DocumentRepayment, PresentedFingerprint, DocumentReuseFlag
)


def _document(db: Session, record: EventRecord, *expected: DocumentState) -> Document:
    document = existing(db, Document, record.args["documentId"], record)
    require(document.state in expected, record, f"document {document.document_id} is {document.state.name}")
    stamp(document, record)
    return document


@projector.inserts(DOCUMENT_REGISTRY, "DocumentRegistered")
def document_registered(record: EventRecord) -> Iterator[Row]:
    args = record.args
    document_id = args["documentId"]
    yield (
        Document,
        {
            "document_id": document_id,
            "owner": args["owner"],
            "registrar": args["registrar"],
            "kind": DocumentKind(args["kind"]),
            "state": DocumentState.REGISTERED,
            "currency": currency(args["currency"]),
            "face_value": args["faceValue"],
            "financier": None,
            "financed_amount": 0,
            "outstanding": 0,
            "registered_at": record.block_timestamp,
            "record_id": None,
            **evidence(record),
        },
    )
    for position, fingerprint in enumerate(args["fingerprints"]):
        yield (
            DocumentFingerprint,
            {
                "document_id": document_id,
                "position": position,
                "fingerprint": hex32(fingerprint),
                "reuses_document_id": None,
                **evidence(record),
            },
        )


@projector.on(DOCUMENT_REGISTRY, "FingerprintReused")
def fingerprint_reused(db: Session, record: EventRecord) -> None:
    args = record.args
    rows = db.scalars(
        select(DocumentFingerprint).where(
            DocumentFingerprint.document_id == args["documentId"],
            DocumentFingerprint.fingerprint == hex32(args["fingerprint"]),
        )
    ).all()
    require(bool(rows), record, f"document {args['documentId']} has no fingerprint {args['fingerprint']}")
    for row in rows:
        row.reuses_document_id = args["priorDocumentId"]
        stamp(row, record)


@projector.on(DOCUMENT_REGISTRY, "DocumentFinanced")
def document_financed(db: Session, record: EventRecord) -> None:
    args = record.args
    document = _document(db, record, DocumentState.REGISTERED)
    document.state = DocumentState.FINANCED
    document.financier = args["financier"]
    document.financed_amount = document.outstanding = args["amount"]
    db.add(
        DocumentFinancing(
            document_id=document.document_id,
            financier=args["financier"],
            owner=args["owner"],
            amount=args["amount"],
            outstanding=args["amount"],
            state=DocumentState.FINANCED,
            disbursement_entry_id=args["entryId"],
            financed_at=record.block_timestamp,
            closed_at=None,
            pledged_record_id=None,
            record_released_at=None,
            **evidence(record),
        )
    )


@projector.on(DOCUMENT_REGISTRY, "DocumentRepaid")
def document_repaid(db: Session, record: EventRecord) -> None:
    args = record.args
    document = _document(db, record, DocumentState.FINANCED)
    require(document.outstanding - args["amount"] == args["outstanding"], record, "outstanding does not add up")
    document.outstanding = args["outstanding"]
    financing = existing(db, DocumentFinancing, document.document_id, record)
    financing.outstanding = args["outstanding"]
    stamp(financing, record)
    if args["outstanding"] == 0:
        document.state = financing.state = DocumentState.REPAID
        financing.closed_at = record.block_timestamp
    db.add(
        DocumentRepayment(
            entry_id=args["entryId"],
            document_id=document.document_id,
            financier=args["financier"],
            amount=args["amount"],
            outstanding=args["outstanding"],
            **evidence(record),
        )
    )


@projector.on(DOCUMENT_REGISTRY, "DocumentReleased")
def document_released(db: Session, record: EventRecord) -> None:
    document = _document(db, record, DocumentState.REGISTERED, DocumentState.FINANCED)
    if document.state is DocumentState.FINANCED:
        financing = existing(db, DocumentFinancing, document.document_id, record)
        financing.state = DocumentState.RELEASED
        financing.closed_at = record.block_timestamp
        stamp(financing, record)
    document.state = DocumentState.RELEASED


@projector.on(DOCUMENT_REGISTRY, "DocumentRecordLinked")
def document_record_linked(db: Session, record: EventRecord) -> None:
    document = _document(db, record, DocumentState.REGISTERED)
    require(document.record_id is None, record, f"document {document.document_id} is linked already")
    document.record_id = record.args["recordId"]


@projector.on(DOCUMENT_REGISTRY, "DocumentRecordPledged")
def document_record_pledged(db: Session, record: EventRecord) -> None:
    document = _document(db, record, DocumentState.FINANCED)
    require(document.record_id == record.args["recordId"], record, f"document {document.document_id}'s record")
    financing = existing(db, DocumentFinancing, document.document_id, record)
    financing.pledged_record_id = record.args["recordId"]
    stamp(financing, record)


@projector.on(DOCUMENT_REGISTRY, "DocumentRecordReleased")
def document_record_released(db: Session, record: EventRecord) -> None:
    document = _document(db, record, DocumentState.REPAID, DocumentState.RELEASED)
    financing = existing(db, DocumentFinancing, document.document_id, record)
    require(financing.pledged_record_id == record.args["recordId"], record, "the financing pledged no such record")
    financing.record_released_at = record.block_timestamp
    stamp(financing, record)


@projector.on(DOCUMENT_REGISTRY, "DocumentPresented")
def document_presented(db: Session, record: EventRecord) -> None:
    args = record.args
    fingerprint = hex32(args["fingerprint"])
    require(db.get(PresentedFingerprint, fingerprint) is None, record, f"{fingerprint} was presented before")
    db.add(PresentedFingerprint(fingerprint=fingerprint, lc_key=hex32(args["lcKey"]), **evidence(record)))


@projector.on(DOCUMENT_REGISTRY, "DocumentReuseFlagged")
def document_reuse_flagged(db: Session, record: EventRecord) -> None:
    args = record.args
    db.add(
        DocumentReuseFlag(
            block_number=record.block_number,
            log_index=record.log_index,
            tx_hash=record.tx_hash,
            block_timestamp=record.block_timestamp,
            fingerprint=hex32(args["fingerprint"]),
            lc_key=hex32(args["lcKey"]),
            prior_lc_key=hex32(args["priorLcKey"]),
        )
    )
