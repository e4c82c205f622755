"""Request and response bodies of the payable resources (payables finance)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from tradeledger.lcs.terms import ChainDate
from tradeledger.payables.models import Payable
from tradeledger.settlements.schemas import MinorUnits
from tradeledger.undertakings.discount import BPS, DayCount

RateBps = Annotated[int, Field(strict=True, ge=0, le=BPS, description="annual discount rate in basis points")]


class ApprovePayableRequest(BaseModel):
    """The buyer's irrevocable approval of a payable for a matched invoice (its terms kept off chain by hash)."""

    model_config = ConfigDict(extra="forbid")

    invoice_id: int = Field(ge=1, lt=2**256, description="the invoice (MATCHED, or its mismatch ACCEPTED by the buyer)")
    amount: MinorUnits = Field(description="what the buyer will pay at maturity; not above the invoice's amount")
    currency: str = Field(
        min_length=3, max_length=3, description="the invoice's currency, stated for the approval policy"
    )
    maturity: ChainDate = Field(description="the day the buyer pays (UTC); after today")


class FinancePayableRequest(BaseModel):
    """A bank pays the supplier early against the invoice it registered in the document registry."""

    model_config = ConfigDict(extra="forbid")

    document_id: int = Field(
        ge=1, lt=2**256, description="the invoice as registered (POST /v1/documents), not financed"
    )
    rate_bps: RateBps
    day_count: DayCount = Field(description="ACT/360 or ACT/365 (fixed)")


class DiscountView(BaseModel):
    rate_bps: int
    day_count: str
    days_to_maturity: int = Field(description="actual days from the value date (the financing's UTC day) to maturity")
    discount: str = Field(description="minor units: round half up of amount x rate x days / (10,000 x basis)")
    advance: str = Field(description="what the supplier received: amount - discount, minor units")


class PayableView(BaseModel):
    payable_id: str
    invoice_id: str
    state: str = Field(description="APPROVED, FINANCED, OVERDUE (the buyer's funds were short at maturity) or PAID")
    buyer: str
    supplier: str
    financier: str | None = Field(description="the bank that paid the supplier early, if financed")
    currency: str
    amount: str = Field(description="minor units the buyer pays at maturity")
    maturity: int = Field(description="chain seconds (midnight UTC of the maturity day)")
    terms_hash: str
    document_id: str | None = Field(description="the registry document the financing locked (duplicate guard)")
    discount: DiscountView | None = Field(description="the discount the contract checked, once financed")
    advance_entry_id: str | None
    financed_at: int | None
    overdue_at: int | None = Field(description="the last collection that found the buyer's balance short")
    paid_at: int | None
    payment_entry_id: str | None
    tx_hash: str
    block_number: int

    @classmethod
    def of(cls, row: Payable) -> PayableView:
        def text(value: int | None) -> str | None:
            return None if value is None else str(value)

        discount = None
        if row.advance is not None and row.rate_bps is not None and row.day_count is not None:
            discount = DiscountView(
                rate_bps=row.rate_bps,
                day_count=DayCount.ACT_360 if row.day_count.value == 0 else DayCount.ACT_365,
                days_to_maturity=row.days_to_maturity or 0,
                discount=str(row.amount - row.advance),
                advance=str(row.advance),
            )
        return cls(
            payable_id=str(row.payable_id),
            invoice_id=str(row.invoice_id),
            state=row.state.name,
            buyer=row.buyer,
            supplier=row.supplier,
            financier=row.financier,
            currency=row.currency,
            amount=str(row.amount),
            maturity=row.maturity,
            terms_hash=row.terms_hash,
            document_id=text(row.document_id),
            discount=discount,
            advance_entry_id=text(row.advance_entry_id),
            financed_at=row.financed_at,
            overdue_at=row.overdue_at,
            paid_at=row.paid_at,
            payment_entry_id=text(row.payment_entry_id),
            tx_hash=row.tx_hash,
            block_number=row.block_number,
        )
