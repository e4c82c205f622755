"""Projections of Invoices: invoice versions and the data-match anchor of each."""

from __future__ import annotations

from sqlalchemy.orm import Session

from tradeledger.indexer.fetcher import EventRecord
from tradeledger.indexer.handlers._support import currency, evidence, existing, hex32, require, stamp
from tradeledger.indexer.projections import projector
from tradeledger.invoices.models import Invoice, InvoiceState
from tradeledger.orders.models import PurchaseOrder

INVOICES = "Invoices"

projector.owns(Invoice)


def _invoice(db: Session, record: EventRecord, *expected: InvoiceState) -> Invoice:
    invoice = existing(db, Invoice, record.args["invoiceId"], record)
    require(invoice.state in expected, record, f"invoice {invoice.invoice_id} is {invoice.state.name}")
    stamp(invoice, record)
    return invoice


@projector.on(INVOICES, "InvoiceIssued")
def invoice_issued(db: Session, record: EventRecord) -> None:
    args = record.args
    order = existing(db, PurchaseOrder, args["orderId"], record)
    amount, quantity_total, invoice_hash, lines_hash, issue_date = args["data"]
    supersedes = args["supersedes"]
    db.add(
        Invoice(
            invoice_id=args["invoiceId"],
            order_id=args["orderId"],
            seller=args["seller"],
            buyer=order.buyer,
            currency=currency(args["currency"]),
            state=InvoiceState.ISSUED,
            version=args["version"],
            issue_date=issue_date,
            amount=amount,
            quantity_total=quantity_total,
            invoice_hash=hex32(invoice_hash),
            lines_hash=hex32(lines_hash),
            supersedes=supersedes or None,
            created_at=record.block_timestamp,
            **evidence(record),
        )
    )
    db.flush()


@projector.on(INVOICES, "InvoiceSuperseded")
def invoice_superseded(db: Session, record: EventRecord) -> None:
    invoice = _invoice(db, record, InvoiceState.ISSUED, InvoiceState.MISMATCHED)
    invoice.state = InvoiceState.SUPERSEDED
    invoice.superseded_by = record.args["successorId"]


@projector.on(INVOICES, "InvoiceMatchRecorded")
def invoice_match_recorded(db: Session, record: EventRecord) -> None:
    invoice = _invoice(db, record, InvoiceState.ISSUED)
    matched = bool(record.args["matched"])
    invoice.state = InvoiceState.MATCHED if matched else InvoiceState.MISMATCHED
    invoice.match_report_hash = hex32(record.args["reportHash"])
    invoice.match_recorded_by = record.args["by"]
    if matched:
        invoice.matched_at = record.args["matchedAt"]


@projector.on(INVOICES, "InvoiceMismatchAccepted")
def invoice_mismatch_accepted(db: Session, record: EventRecord) -> None:
    invoice = _invoice(db, record, InvoiceState.MISMATCHED)
    invoice.state = InvoiceState.ACCEPTED
    invoice.matched_at = record.args["acceptedAt"]
