"""Projections of PaymentUndertakings: establishment, amendments by both banks, discounting, settlement, expiry."""

from __future__ import annotations

from sqlalchemy.orm import Session

from tradeledger.indexer.fetcher import EventRecord
from tradeledger.indexer.handlers._support import currency, evidence, existing, hex32, require, stamp
from tradeledger.indexer.projections import projector
from tradeledger.orders.models import PurchaseOrder
from tradeledger.undertakings.models import PaymentUndertaking, UndertakingState

UNDERTAKINGS = "PaymentUndertakings"

projector.owns(PaymentUndertaking)


def _undertaking(db: Session, record: EventRecord) -> PaymentUndertaking:
    undertaking = existing(db, PaymentUndertaking, record.args["undertakingId"], record)
    require(
        undertaking.state == UndertakingState.ESTABLISHED,
        record,
        f"undertaking {undertaking.undertaking_id} is {undertaking.state.name}",
    )
    stamp(undertaking, record)
    return undertaking


def _clear_pending(undertaking: PaymentUndertaking) -> None:
    undertaking.pending_proposer = None
    undertaking.pending_amount = None
    undertaking.pending_due_date = None
    undertaking.pending_expiry = None


@projector.on(UNDERTAKINGS, "UndertakingEstablished")
def undertaking_established(db: Session, record: EventRecord) -> None:
    args = record.args
    order = existing(db, PurchaseOrder, args["orderId"], record)
    db.add(
        PaymentUndertaking(
            undertaking_id=args["undertakingId"],
            order_id=args["orderId"],
            obligor_bank=args["obligorBank"],
            recipient_bank=args["recipientBank"],
            buyer=order.buyer,
            seller=order.seller,
            payee=order.seller,
            currency=currency(args["currency"]),
            state=UndertakingState.ESTABLISHED,
            amendment_count=0,
            due_date=args["dueDate"],
            expiry=args["expiry"],
            amount=args["amount"],
            terms_hash=hex32(args["termsHash"]),
            created_at=record.block_timestamp,
            **evidence(record),
        )
    )
    db.flush()


@projector.on(UNDERTAKINGS, "UndertakingAmendmentProposed")
def undertaking_amendment_proposed(db: Session, record: EventRecord) -> None:
    undertaking = _undertaking(db, record)
    undertaking.pending_proposer = record.args["proposer"]
    undertaking.pending_amount = record.args["amount"]
    undertaking.pending_due_date = record.args["dueDate"]
    undertaking.pending_expiry = record.args["expiry"]


@projector.on(UNDERTAKINGS, "UndertakingAmended")
def undertaking_amended(db: Session, record: EventRecord) -> None:
    undertaking = _undertaking(db, record)
    undertaking.amendment_count = record.args["amendmentCount"]
    undertaking.amount = record.args["amount"]
    undertaking.due_date = record.args["dueDate"]
    undertaking.expiry = record.args["expiry"]
    _clear_pending(undertaking)


@projector.on(UNDERTAKINGS, "UndertakingMismatchAccepted")
def undertaking_mismatch_accepted(db: Session, record: EventRecord) -> None:
    undertaking = _undertaking(db, record)
    undertaking.mismatch_invoice_id = record.args["invoiceId"]
    undertaking.mismatch_accepted_at = record.args["acceptedAt"]


@projector.on(UNDERTAKINGS, "UndertakingProceedsAssigned")
def undertaking_proceeds_assigned(db: Session, record: EventRecord) -> None:
    undertaking = _undertaking(db, record)
    undertaking.payee = record.args["financier"]
    undertaking.financed_document_id = record.args["documentId"]


@projector.on(UNDERTAKINGS, "UndertakingSettled")
def undertaking_settled(db: Session, record: EventRecord) -> None:
    undertaking = _undertaking(db, record)
    undertaking.state = UndertakingState.SETTLED
    undertaking.settled_at = record.args["settledAt"]
    undertaking.payment_entry_id = record.args["paymentEntryId"]
    undertaking.credit_entry_id = record.args["creditEntryId"] or None


@projector.on(UNDERTAKINGS, "UndertakingExpired")
def undertaking_expired(db: Session, record: EventRecord) -> None:
    undertaking = _undertaking(db, record)
    undertaking.state = UndertakingState.EXPIRED
    _clear_pending(undertaking)
