"""Request and response bodies of the purchase-order resources."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tradeledger.orders.models import PaymentTerms, PurchaseOrder
from tradeledger.settlements.schemas import Address, CurrencyCode, MinorUnits

Hash32 = Field(pattern=r"^0x[0-9a-fA-F]{64}$", examples=["0x" + "ab" * 32])


def _future(value: date | None) -> date | None:
    if value is not None and value < datetime.now(UTC).date():
        raise ValueError("must not be in the past")
    return value


class CreateOrderRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seller: Address
    amount: MinorUnits
    currency: CurrencyCode
    terms: dict[str, Any] = Field(
        description="the full commercial terms (goods, incoterms, ...): kept off chain; only their sha-256 is on chain",
        examples=[{"goods": "2,000 cartons of green tea", "incoterms": "CIF Rotterdam"}],
    )
    latest_shipment: date = Field(description="latest shipment date (UTC)")
    payment_terms: Literal["letter_of_credit", "open_account"]
    due_date: date | None = Field(None, description="payment due date, open-account orders only")

    _not_past = field_validator("latest_shipment", "due_date")(_future)


class ShipmentRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    transport_document_hash: str = Hash32


class OrderView(BaseModel):
    order_id: str
    buyer: str
    seller: str
    amount: str = Field(description="minor units, exact decimal string")
    currency: str
    state: str = Field(examples=["CREATED"])
    payment_terms: str
    terms_hash: str
    terms: dict[str, Any] | None = Field(None, description="the off-chain terms, when this instance holds them")
    latest_shipment: datetime
    due_date: datetime | None
    transport_document_hash: str | None
    payment_entry_id: str | None
    tx_hash: str = Field(description="transaction of the last change")
    block_number: int

    @classmethod
    def of(cls, order: PurchaseOrder, terms: dict[str, Any] | None) -> OrderView:
        return cls(
            order_id=str(order.order_id),
            buyer=order.buyer,
            seller=order.seller,
            amount=str(order.amount),
            currency=order.currency,
            state=order.state.name,
            payment_terms=order.payment_terms.name.lower(),
            terms_hash=order.terms_hash,
            terms=terms,
            latest_shipment=datetime.fromtimestamp(order.latest_shipment, UTC),
            due_date=datetime.fromtimestamp(order.due_date, UTC) if order.due_date else None,
            transport_document_hash=order.transport_document_hash,
            payment_entry_id=None if order.payment_entry_id is None else str(order.payment_entry_id),
            tx_hash=order.tx_hash,
            block_number=order.block_number,
        )


PAYMENT_TERMS = {"letter_of_credit": PaymentTerms.LETTER_OF_CREDIT, "open_account": PaymentTerms.OPEN_ACCOUNT}
