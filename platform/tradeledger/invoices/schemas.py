"""Response bodies of the invoice resources: an invoice version and its match report."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from tradeledger.invoices.matching import EvidenceKind
from tradeledger.invoices.models import Invoice, InvoiceState
from tradeledger.lcs.terms import ChainDate
from tradeledger.records.schemas import DocumentHash
from tradeledger.settlements.schemas import MinorUnits

QuantityUnits = Annotated[
    int, Field(strict=True, gt=0, lt=10**30, description="whole units of the order's unit of measure")
]


class ComparisonView(BaseModel):
    field: str = Field(description="what was compared, e.g. `invoice.amount` or `line[SKU-1].quantity`")
    expected: str
    actual: str
    tolerance: str = Field(description="`exact`, a band in basis points, or days of grace")
    ok: bool


class MatchReportView(BaseModel):
    """The buyer's match as the ledger has it: the outcome and the report's hash always; the comparisons when the
    report itself is held off chain under that hash (reports recorded outside this service are not)."""

    matched: bool = Field(description="the data matched; false: a mismatch, accepted or to be corrected")
    accepted: bool = Field(description="the mismatch was accepted (URBPO 750), which stands in for a match")
    report_hash: str = Field(description="SHA-256 of the report's canonical JSON, anchored on chain")
    recorded_by: str | None
    matched_at: int | None = Field(description="when it matched or the mismatch was accepted, chain seconds")
    comparisons: list[ComparisonView] | None = Field(description="every field compared; null if the report is not held")
    mismatches: list[ComparisonView] | None = Field(description="the comparisons that failed; null if not held")


class InvoiceView(BaseModel):
    invoice_id: str
    order_id: str
    version: int = Field(description="1 for the first invoice of the order; a correction is the next version")
    state: str = Field(description="ISSUED, MATCHED, MISMATCHED, ACCEPTED (a mismatch accepted) or SUPERSEDED")
    seller: str
    buyer: str
    currency: str
    amount: str = Field(description="invoice total in minor units")
    quantity_total: str
    issue_date: int
    invoice_hash: str = Field(description="hash of the full invoice (its data stay off chain)")
    lines_hash: str
    supersedes: str | None
    superseded_by: str | None
    match_report: MatchReportView | None = Field(description="null until the buyer records the match")
    tx_hash: str
    block_number: int

    @classmethod
    def of(cls, row: Invoice, report: dict[str, Any] | None) -> InvoiceView:
        """`report` is the match report's document as held off chain, if it is."""
        match_report = None
        if row.match_report_hash is not None:
            comparisons = None if report is None else [ComparisonView(**c) for c in report.get("comparisons", [])]
            match_report = MatchReportView(
                matched=row.state is InvoiceState.MATCHED,
                accepted=row.state is InvoiceState.ACCEPTED,
                report_hash=row.match_report_hash,
                recorded_by=row.match_recorded_by,
                matched_at=row.matched_at,
                comparisons=comparisons,
                mismatches=None if comparisons is None else [c for c in comparisons if not c.ok],
            )
        return cls(
            invoice_id=str(row.invoice_id),
            order_id=str(row.order_id),
            version=row.version,
            state=row.state.name,
            seller=row.seller,
            buyer=row.buyer,
            currency=row.currency,
            amount=str(row.amount),
            quantity_total=str(row.quantity_total),
            issue_date=row.issue_date,
            invoice_hash=row.invoice_hash,
            lines_hash=row.lines_hash,
            supersedes=None if row.supersedes is None else str(row.supersedes),
            superseded_by=None if row.superseded_by is None else str(row.superseded_by),
            match_report=match_report,
            tx_hash=row.tx_hash,
            block_number=row.block_number,
        )


class InvoiceLineRequest(BaseModel):
    item: str = Field(min_length=1, max_length=64, description="the item code of the order's line")
    quantity: QuantityUnits
    unit_price: MinorUnits


class InvoiceCorrectionRequest(BaseModel):
    """A new version of an invoice, for the same order: kept off chain whole like the first, matched again."""

    model_config = ConfigDict(extra="forbid")

    number: str = Field(min_length=1, max_length=64, description="the seller's invoice number")
    issue_date: ChainDate = Field(description="not after today (UTC)")
    amount: MinorUnits = Field(description="the invoice total as stated; matching checks it against the lines")
    lines: list[InvoiceLineRequest] = Field(min_length=1, max_length=500)


class InvoiceRequest(InvoiceCorrectionRequest):
    """The seller's invoice of an open-account order: kept off chain whole, its hash and the data matching needs
    (amount, total quantity, the lines' hash, the issue date) on chain."""

    order_id: int = Field(ge=0, lt=2**256, description="the order invoiced (on open account, accepted)")


class EvidenceRequest(BaseModel):
    """What shows the goods moved: the seller's transport document or the buyer's delivery confirmation."""

    model_config = ConfigDict(extra="forbid")

    kind: EvidenceKind
    document_hash: DocumentHash
    event_date: ChainDate = Field(description="the date of shipment (transport document) or of delivery")
    quantities: dict[Annotated[str, StringConstraints(min_length=1, max_length=64)], QuantityUnits] = Field(
        min_length=1, max_length=500, description="whole units moved, per item code"
    )


class MatchRequest(BaseModel):
    """The buyer's data match of an ISSUED invoice: the service compares the order's stated lines and tolerances
    (its off-chain terms: `lines`, and `tolerances` if any), the invoice as the seller issued it, and this
    evidence; the report is kept off chain and its SHA-256 recorded on chain with the outcome."""

    model_config = ConfigDict(extra="forbid")

    evidence: EvidenceRequest
