"""Open-account invoices: the versions and match reports their parties may see.

The parties of an invoice are its seller and buyer and, once an undertaking stands on its order, the obligor and
recipient banks and the payee (the financier of a discounted undertaking): the banks decide on the data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from tradeledger.errors import NotFoundError
from tradeledger.invoices import repository
from tradeledger.invoices.matching import MatchReport
from tradeledger.invoices.models import Invoice
from tradeledger.invoices.schemas import InvoiceView
from tradeledger.members.access import can_see, visible_accounts
from tradeledger.members.models import MemberKind
from tradeledger.terms.service import load_terms, store_canonical
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
        rows = repository.invoices(db, accounts, order_id, limit, after=after, account=account)
        return [view(db, row) for row in rows]


def invoice_view(platform: Platform, viewer: str, viewer_kind: MemberKind | None, invoice_id: int) -> InvoiceView:
    """One invoice version with its match report (a hidden one answers 404 like a missing one)."""
    with platform.sessions() as db:
        row = repository.get(db, invoice_id)
        if row is None or not can_see(db, viewer, viewer_kind, _parties(db, row)):
            raise InvoiceNotFoundError(f"no invoice {invoice_id}")
        return view(db, row)
