"""Projections of PayablesFinance: the buyer's approval, the early payment by a bank, overdue and paid."""

from __future__ import annotations

from sqlalchemy.orm import Session

from tradeledger.indexer.fetcher import EventRecord
from tradeledger.indexer.handlers._support import currency, evidence, existing, hex32, require, seconds, stamp
from tradeledger.indexer.projections import projector
from tradeledger.payables.models import DayCountCode, Payable, PayableState

PAYABLES = "PayablesFinance"

projector.owns(Payable)


def _payable(db: Session, record: EventRecord, *states: PayableState) -> Payable:
    payable = existing(db, Payable, record.args["payableId"], record)
    require(payable.state in states, record, f"payable {payable.payable_id} is {payable.state.name}")
    stamp(payable, record)
    return payable


@projector.on(PAYABLES, "PayableApproved")
def payable_approved(db: Session, record: EventRecord) -> None:
    args = record.args
    db.add(
        Payable(
            payable_id=args["payableId"],
            invoice_id=args["invoiceId"],
            buyer=args["buyer"],
            supplier=args["supplier"],
            currency=currency(args["currency"]),
            state=PayableState.APPROVED,
            amount=args["amount"],
            maturity=args["maturity"],
            terms_hash=hex32(args["termsHash"]),
            approved_at=record.block_timestamp,
            **evidence(record),
        )
    )
    db.flush()


@projector.on(PAYABLES, "PayableFinanced")
def payable_financed(db: Session, record: EventRecord) -> None:
    args = record.args
    payable = _payable(db, record, PayableState.APPROVED)
    payable.state = PayableState.FINANCED
    payable.financier = args["financier"]
    payable.document_id = args["documentId"]
    payable.rate_bps = args["rateBps"]
    payable.day_count = DayCountCode(args["dayCount"])
    payable.days_to_maturity = args["daysToMaturity"]
    payable.advance = args["advance"]
    payable.advance_entry_id = args["entryId"]
    payable.financed_at = seconds(record)


@projector.on(PAYABLES, "PayableOverdue")
def payable_overdue(db: Session, record: EventRecord) -> None:
    payable = _payable(db, record, PayableState.APPROVED, PayableState.FINANCED, PayableState.OVERDUE)
    payable.state = PayableState.OVERDUE
    payable.overdue_at = record.args["at"]


@projector.on(PAYABLES, "PayablePaid")
def payable_paid(db: Session, record: EventRecord) -> None:
    payable = _payable(db, record, PayableState.APPROVED, PayableState.FINANCED, PayableState.OVERDUE)
    payable.state = PayableState.PAID
    payable.paid_at = record.args["at"]
    payable.payment_entry_id = record.args["entryId"]
