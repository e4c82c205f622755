"""Open-account invoices: the versions and match reports their parties may see.

The parties of an invoice are its seller and buyer and, once an undertaking stands on its order, the obligor and
recipient banks and the payee (the financier of a discounted undertaking): the banks decide on the data.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from pydantic import TypeAdapter, ValidationError
from sqlalchemy.orm import Session

from tradeledger.chain.txmanager import ContractCall
from tradeledger.errors import ForbiddenError, NotFoundError, TradeLedgerError
from tradeledger.invoices import repository
from tradeledger.invoices.matching import (
    InvoiceData,
    Line,
    MatchReport,
    MovementEvidence,
    OrderData,
    Tolerances,
    match,
)
from tradeledger.invoices.models import Invoice
from tradeledger.invoices.schemas import (
    InvoiceCorrectionRequest,
    InvoiceLineRequest,
    InvoiceRequest,
    InvoiceView,
    MatchRequest,
)
from tradeledger.members.access import can_see, visible_accounts
from tradeledger.members.models import MemberKind
from tradeledger.operations import Pending, Submission, created_id, write_then_view
from tradeledger.orders.models import PurchaseOrder
from tradeledger.orders.service import terms_of, visible_order
from tradeledger.store.db import transaction
from tradeledger.store.models import ChainTransaction
from tradeledger.terms.service import load_terms, store_canonical, store_terms
from tradeledger.undertakings import repository as undertakings

if TYPE_CHECKING:  # the runtime composes the domains: importing it here would be a cycle
    from tradeledger.runtime import Platform

MAX_UNDERTAKINGS_PER_ORDER = 1_000  # one live at a time; expired ones stay on record


REPORT_KIND = "match_report"


class InvoiceNotFoundError(NotFoundError):
    code = "invoice_not_found"


def _parties(db: Session, row: Invoice) -> list[str | None]:
    banks = undertakings.undertakings(db, None, None, MAX_UNDERTAKINGS_PER_ORDER, order_id=row.order_id)
    return [row.seller, row.buyer, *(party for u in banks for party in undertakings.parties(u))]


def keep_report(db: Session, report: MatchReport, submitted_by: str) -> str:
    """Hold the match report off chain under the hash `Invoices.recordMatch` anchors, so that the invoice's
    parties can read every comparison; returns the hash."""
    digest = report.report_hash()
    store_canonical(db, REPORT_KIND, report.canonical_json().decode("utf-8"), digest, submitted_by)
    return digest


def view(db: Session, row: Invoice) -> InvoiceView:
    report = None if row.match_report_hash is None else load_terms(db, row.match_report_hash)
    return InvoiceView.of(row, report if isinstance(report, dict) else None)


def list_invoices(
    platform: Platform, viewer: str, viewer_kind: MemberKind | None, order_id: int | None, account: str | None,
    after: int | None, limit: int,
) -> list[InvoiceView]:  # fmt: skip
    """Invoice versions the viewer is a party to (a bank: also its clients'; an auditor: all)."""
    with platform.sessions() as db:
        accounts = visible_accounts(db, viewer, viewer_kind)
        rows = repository.invoices(db, accounts, order_id, limit, after=after, account=account, banked=True)
        return [view(db, row) for row in rows]


def invoice_view(platform: Platform, viewer: str, viewer_kind: MemberKind | None, invoice_id: int) -> InvoiceView:
    """One invoice version with its match report (a hidden one answers 404 like a missing one)."""
    with platform.sessions() as db:
        row = repository.get(db, invoice_id)
        if row is None or not can_see(db, viewer, viewer_kind, _parties(db, row)):
            raise InvoiceNotFoundError(f"no invoice {invoice_id}")
        return view(db, row)


# ------------------------------------------------------------------------------------------------ writes

CONTRACT = "Invoices"


def _hash(digest: str) -> bytes:
    return bytes.fromhex(digest[2:])


def issue_call(
    db: Session, address: str, seller: str, request: InvoiceRequest, corrects: int | None = None
) -> ContractCall:
    """Keep the invoice (and its lines) off chain and build issueInvoice with their hashes and the matching data,
    or correctInvoice of the version `corrects` (the new version supersedes it)."""
    document = request.model_dump(mode="json")
    invoice_digest = store_terms(db, "invoice", document, seller)
    lines_digest = store_terms(db, "invoice_lines", document["lines"], seller)
    issued_at = int(datetime.combine(request.issue_date, datetime.min.time(), UTC).timestamp())
    quantity = sum(line.quantity for line in request.lines)
    data = (request.amount, quantity, _hash(invoice_digest), _hash(lines_digest), issued_at)
    if corrects is not None:
        return ContractCall(CONTRACT, address, "correctInvoice", (corrects, data), seller)
    return ContractCall(CONTRACT, address, "issueInvoice", (request.order_id, data), seller)


def issue(
    platform: Platform, seller: str, seller_kind: MemberKind | None, request: InvoiceRequest, submission: Submission
) -> InvoiceView | Pending:
    """The seller invoices an order it may see (a hidden one answers 404 before anything is sent); the contract
    refuses any order not on open account and accepted, or invoiced already."""
    with transaction(platform.sessions) as db:
        visible_order(db, seller, seller_kind, request.order_id)
        call = issue_call(db, platform.address(CONTRACT), seller, request)

    def created(row: ChainTransaction) -> InvoiceView:
        return invoice_view(
            platform, seller, seller_kind, created_id(platform, row, CONTRACT, "InvoiceIssued", "invoiceId")
        )

    return write_then_view(platform, call, submission, created)


def correct(
    platform: Platform, seller: str, seller_kind: MemberKind | None, invoice_id: int,
    request: InvoiceCorrectionRequest, submission: Submission,
) -> InvoiceView | Pending:  # fmt: skip
    """The seller corrects an invoice version by a new one of the same order (a mismatch corrected: the old version
    is SUPERSEDED and the buyer matches the new one again). A hidden invoice is a 404 before anything is sent; the
    contract refuses anyone but the seller and a version that is not ISSUED or MISMATCHED."""
    with transaction(platform.sessions) as db:
        row = repository.get(db, invoice_id)
        if row is None or not can_see(db, seller, seller_kind, _parties(db, row)):
            raise InvoiceNotFoundError(f"no invoice {invoice_id}")
        whole = InvoiceRequest(order_id=row.order_id, **request.model_dump())
        call = issue_call(db, platform.address(CONTRACT), seller, whole, corrects=invoice_id)

    def created(written: ChainTransaction) -> InvoiceView:
        successor = created_id(platform, written, CONTRACT, "InvoiceIssued", "invoiceId")
        return invoice_view(platform, seller, seller_kind, successor)

    return write_then_view(platform, call, submission, created)


class NotTheBuyerError(ForbiddenError):
    """The buyer records the match over the API: it states the delivery and bears the mismatch."""

    code = "invoice_match_not_buyer"


class MatchDataMissingError(TradeLedgerError):
    """The order's terms state no lines (or unreadable ones), or this instance does not hold the invoice's data:
    nothing to compare, so no match is recorded."""

    code = "match_data_missing"
    http_status = 422
    title = "Match data missing"


LINES = TypeAdapter(list[InvoiceLineRequest])


def _lines(raw: object, what: str) -> tuple[Line, ...]:
    try:
        parsed = LINES.validate_python(raw)
    except ValidationError as error:
        raise MatchDataMissingError(f"{what} states no readable lines: {error.errors()[0]['msg']}") from None
    return tuple(Line(line.item, Decimal(line.quantity), line.unit_price) for line in parsed)


def _order_data(db: Session, order: PurchaseOrder) -> tuple[OrderData, Tolerances]:
    terms = terms_of(db, order) or {}
    if "lines" not in terms:
        raise MatchDataMissingError(f"the terms of order {order.order_id} state no lines to match")
    try:
        tolerances = Tolerances(**terms.get("tolerances", {}))
    except (TypeError, ValueError) as error:
        raise MatchDataMissingError(f"the tolerances of order {order.order_id} are unreadable: {error}") from None
    latest = datetime.fromtimestamp(order.latest_shipment, UTC).date()
    reference = str(order.order_id)
    lines = _lines(terms["lines"], f"order {order.order_id}")
    return OrderData(reference, order.buyer, order.seller, order.currency, order.amount, latest, lines), tolerances


def _invoice_data(db: Session, row: Invoice) -> InvoiceData:
    document = load_terms(db, row.invoice_hash)
    if not isinstance(document, dict):
        raise MatchDataMissingError(f"this instance does not hold the data of invoice {row.invoice_id}")
    lines = _lines(document.get("lines"), f"invoice {row.invoice_id}")
    issued = date.fromisoformat(str(document.get("issue_date")))
    reference = str(document.get("order_id"))
    return InvoiceData(str(document.get("number")), reference, row.buyer, row.seller, row.currency,
                       row.amount, issued, lines)  # fmt: skip


def record_match(
    platform: Platform, buyer: str, buyer_kind: MemberKind | None, invoice_id: int, request: MatchRequest,
    submission: Submission,
) -> InvoiceView | Pending:  # fmt: skip
    """The buyer's data match: order vs invoice vs evidence compared here, the report kept off chain, the outcome
    and the report's hash recorded on chain (the contract refuses anyone but the buyer or seller, and any invoice
    not ISSUED)."""
    with transaction(platform.sessions) as db:
        row = repository.get(db, invoice_id)
        if row is None or not can_see(db, buyer, buyer_kind, _parties(db, row)):
            raise InvoiceNotFoundError(f"no invoice {invoice_id}")
        if row.buyer != buyer:
            raise NotTheBuyerError(f"only the buyer {row.buyer} records the match of invoice {invoice_id}")
        order, tolerances = _order_data(db, visible_order(db, buyer, buyer_kind, row.order_id))
        evidence = request.evidence
        quantities = {item: Decimal(quantity) for item, quantity in evidence.quantities.items()}
        moved = MovementEvidence(evidence.kind, evidence.document_hash, evidence.event_date, quantities)
        report = match(order, _invoice_data(db, row), moved, tolerances)
        digest = keep_report(db, report, buyer)
    arguments = (invoice_id, report.matched, _hash(digest))
    call = ContractCall(CONTRACT, platform.address(CONTRACT), "recordMatch", arguments, buyer)
    return write_then_view(platform, call, submission, lambda _: invoice_view(platform, buyer, buyer_kind, invoice_id))
