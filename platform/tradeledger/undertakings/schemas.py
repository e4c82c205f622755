"""Response bodies of the payment-undertaking resources (bank payment undertakings, URBPO 750)."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from tradeledger.lcs.terms import ChainDate
from tradeledger.settlements.schemas import Address, MinorUnits, Reference
from tradeledger.undertakings.discount import BPS, DayCount
from tradeledger.undertakings.models import PaymentUndertaking


class EstablishRequest(BaseModel):
    """The obligor bank's undertaking on its client's open-account order (URBPO 750): in the order's currency."""

    model_config = ConfigDict(extra="forbid")

    order_id: int = Field(ge=0, lt=2**256, description="the buyer's open-account order, accepted or later")
    recipient_bank: Address = Field(description="the seller's bank, paid on the due date")
    amount: MinorUnits
    due_date: ChainDate = Field(description="the day the undertaking settles (UTC), once the data matched")
    expiry: ChainDate = Field(description="the last day (UTC) the data may match or the mismatch be accepted")
    terms: dict[str, Any] = Field(
        description="the full terms of the undertaking: kept off chain; only their sha-256 is on chain",
        examples=[{"rules": "URBPO 750", "payment": "at the due date"}],
    )


class DiscountRequest(BaseModel):
    """A financier's receivables discount of an undertaking: it pays the seller the face value less the discount
    (face x rate x days / basis) now, against the invoice it registered, and takes the proceeds at maturity."""

    model_config = ConfigDict(extra="forbid")

    document_id: int = Field(
        ge=0, lt=2**256, description="the seller's invoice the financier registered in the duplicate-financing guard"
    )
    rate_bps: int = Field(strict=True, ge=0, le=BPS, description="annual discount rate in basis points")
    day_count: DayCount = Field(description="ACT/360 or ACT/365 (fixed)")
    reference: Reference = Field(description="the financing's reference on the ledger")


class PendingAmendmentView(BaseModel):
    proposer: str = Field(description="the bank that proposed it; the other bank's consent makes it effective")
    amount: str | None
    due_date: int | None
    expiry: int | None


class PaymentUndertakingView(BaseModel):
    undertaking_id: str
    order_id: str
    state: str = Field(description="ESTABLISHED, SETTLED or EXPIRED")
    obligor_bank: str = Field(description="the buyer's bank, which undertakes to pay")
    recipient_bank: str = Field(description="the seller's bank, which is paid")
    buyer: str
    seller: str
    payee: str = Field(description="who receives the proceeds: the seller, or the financier once discounted")
    currency: str
    amount: str = Field(description="minor units")
    due_date: int = Field(description="chain seconds; the scheduler settles on it once the data matched")
    expiry: int
    settled_at: int | None
    amendment_count: int
    pending_amendment: PendingAmendmentView | None
    terms_hash: str
    financed_document_id: str | None = Field(description="the registry document of a discount, if financed")
    payment_entry_id: str | None
    credit_entry_id: str | None
    mismatch_invoice_id: str | None = Field(description="the invoice version whose mismatch the obligor accepted")
    mismatch_accepted_at: int | None
    tx_hash: str
    block_number: int

    @classmethod
    def of(cls, row: PaymentUndertaking) -> PaymentUndertakingView:
        def text(value: int | None) -> str | None:
            return None if value is None else str(value)

        pending = None
        if row.pending_proposer is not None:
            pending = PendingAmendmentView(
                proposer=row.pending_proposer,
                amount=text(row.pending_amount),
                due_date=row.pending_due_date,
                expiry=row.pending_expiry,
            )
        return cls(
            undertaking_id=str(row.undertaking_id),
            order_id=str(row.order_id),
            state=row.state.name,
            obligor_bank=row.obligor_bank,
            recipient_bank=row.recipient_bank,
            buyer=row.buyer,
            seller=row.seller,
            payee=row.payee,
            currency=row.currency,
            amount=str(row.amount),
            due_date=row.due_date,
            expiry=row.expiry,
            settled_at=row.settled_at,
            amendment_count=row.amendment_count,
            pending_amendment=pending,
            terms_hash=row.terms_hash,
            financed_document_id=text(row.financed_document_id),
            payment_entry_id=text(row.payment_entry_id),
            credit_entry_id=text(row.credit_entry_id),
            mismatch_invoice_id=text(row.mismatch_invoice_id),
            mismatch_accepted_at=row.mismatch_accepted_at,
            tx_hash=row.tx_hash,
            block_number=row.block_number,
        )


class DiscountView(BaseModel):
    """The discount as paid: face value, the days from today (the value date, UTC) to the due date, the discount
    and the advance the seller received, and the undertaking now paying the financier."""

    face: str = Field(description="the undertaking's amount, minor units")
    rate_bps: int
    day_count: str
    value_date: date
    days: int = Field(description="actual days from the value date to the due date")
    discount: str = Field(description="minor units, rounded half up")
    advance: str = Field(description="what the seller received: face - discount, minor units")
    document_id: str
    undertaking: PaymentUndertakingView
