"""Which events a member may see: those of objects it may see, resolved through the read model.

An event names addresses directly (a posting's accounts) or an object by id (an order, a credit, a document,
a payment, an anchor, a transferable record); either way its parties decide visibility, exactly as for the
object itself. A credit's second beneficiaries and assignees see what their reduced view shows (UCP 600 Art 38,
39): the events of their transfer or assignment, of their presentations and of the legs paid to them. Events with
no party at all (role grants, holidays, presentation registrations) are the institutions' business: banks and
auditors see them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tradeledger.anchors.models import StatementAnchor
from tradeledger.documents.models import Document
from tradeledger.events.schemas import EventView
from tradeledger.guarantees.models import Undertaking
from tradeledger.lcs import repository as lcs
from tradeledger.members.access import visible_accounts
from tradeledger.members.models import MemberKind
from tradeledger.orders.models import PurchaseOrder
from tradeledger.records import repository as records
from tradeledger.settlements.models import ExternalPayment
from tradeledger.store.models import ChainEvent

if TYPE_CHECKING:  # the runtime composes the domains: importing it here would be a cycle
    from tradeledger.runtime import Platform

SCAN_FACTOR = 10  # rows read per item returned at most, so a sparse feed still answers quickly

PartyLookup = Callable[[Session, int], list[str | None]]


def _order(db: Session, order_id: int) -> list[str | None]:
    order = db.get(PurchaseOrder, order_id)
    return [] if order is None else [order.buyer, order.seller]


def _credit(db: Session, lc_id: int) -> list[str | None]:
    lc = lcs.get(db, lc_id)
    return [] if lc is None else lcs.parties(lc)


def _document(db: Session, document_id: int) -> list[str | None]:
    document = db.get(Document, document_id)
    return [] if document is None else [document.owner, document.registrar, document.financier]


def _payment(db: Session, payment_id: int) -> list[str | None]:
    payment = db.get(ExternalPayment, payment_id)
    return [] if payment is None else [payment.payer, payment.payee]


def _anchor(db: Session, anchor_id: int) -> list[str | None]:
    anchor = db.get(StatementAnchor, anchor_id)
    return [] if anchor is None else [anchor.account, anchor.counterparty]


def _undertaking(db: Session, undertaking_id: int) -> list[str | None]:
    row = db.get(Undertaking, undertaking_id)
    return [] if row is None else [row.applicant, row.beneficiary, row.guarantor, row.advising_party]


def _record(db: Session, record_id: int) -> list[str | None]:
    record = records.get(db, record_id)
    return [] if record is None else list(records.parties(db, record))


OBJECT_IDS: dict[str, PartyLookup] = {
    "orderId": _order,
    "lcId": _credit,
    "documentId": _document,
    "paymentId": _payment,
    "anchorId": _anchor,
    "undertakingId": _undertaking,
    "guaranteeId": _undertaking,  # CounterGuaranteeLinked: the parties of both undertakings
    "counterGuaranteeId": _undertaking,
    "recordId": _record,
}


def parties(db: Session, event: str, args: dict[str, Any]) -> set[str]:
    """Every address the event names, plus the parties of the object it is about and, for an event of a credit,
    the second beneficiaries and assignees whose reduced view shows it."""
    found = {value for value in args.values() if isinstance(value, str) and len(value) == 42 and value.startswith("0x")}
    for argument, lookup in OBJECT_IDS.items():
        if isinstance(args.get(argument), int):
            found.update(party for party in lookup(db, args[argument]) if party)
    found.update(lcs.reduced_audience(db, event, args))
    found.discard("0x0000000000000000000000000000000000000000")
    return found


def visible(
    db: Session, accounts: set[str] | None, viewer_kind: MemberKind | None, event: str, args: dict[str, Any]
) -> bool:
    """Whether a viewer who sees `accounts` (`visible_accounts`) may see this event with these arguments."""
    named = parties(db, event, args)
    institutional = not named and viewer_kind in (MemberKind.BANK, MemberKind.AUDITOR)
    return accounts is None or institutional or bool(named & accounts)


def feed(
    platform: Platform, viewer: str, viewer_kind: MemberKind | None, after: int | None, limit: int
) -> tuple[list[EventView], int | None]:
    """A page of the event feed as the viewer sees it, and the cursor to poll from next."""
    with platform.sessions() as db:
        rows, next_cursor = page(db, viewer, viewer_kind, after, limit)
        return [EventView.of(row) for row in rows], next_cursor


def page(
    db: Session, viewer: str, viewer_kind: MemberKind | None, after: int | None, limit: int
) -> tuple[list[ChainEvent], int | None]:
    """Visible events after the cursor, and the position to poll from next (the cursor itself when caught up).

    Rows are read in batches that double from `limit` up to `limit * SCAN_FACTOR` in all: a viewer who sees most
    events (a bank, an auditor) is served by the first batch instead of loading ten times the page."""
    accounts = visible_accounts(db, viewer, viewer_kind)
    shown: list[ChainEvent] = []
    last_scanned = after
    batch, unscanned = limit, limit * SCAN_FACTOR
    while unscanned > 0:
        query = select(ChainEvent).order_by(ChainEvent.id).limit(min(batch, unscanned))
        if last_scanned is not None:
            query = query.where(ChainEvent.id > last_scanned)
        rows = list(db.scalars(query))
        for row in rows:
            last_scanned = row.id
            if visible(db, accounts, viewer_kind, row.event, json.loads(row.args)):
                shown.append(row)
                if len(shown) == limit:
                    return shown, last_scanned
        if len(rows) < min(batch, unscanned):
            break  # caught up with the feed
        unscanned -= len(rows)
        batch *= 2
    return shown, last_scanned
