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
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from tradeledger.anchors.models import StatementAnchor
from tradeledger.documents.models import Document
from tradeledger.events.schemas import EventPage, EventView
from tradeledger.guarantees.models import Undertaking
from tradeledger.lcs import repository as lcs
from tradeledger.lcs.models import LetterOfCredit
from tradeledger.members.access import visible_accounts
from tradeledger.members.models import MemberKind
from tradeledger.orders.models import PurchaseOrder
from tradeledger.records import repository as records
from tradeledger.records.models import TransferableRecord
from tradeledger.settlements.models import ExternalPayment
from tradeledger.store.base import table_of
from tradeledger.store.models import ChainEvent

SCAN_FACTOR = 10  # rows read per item returned at most, so a sparse feed still answers quickly
_EVENTS = table_of(ChainEvent)  # read as Core rows: as ORM entities a page's rows cost about a third of its time

# The parties of each object a batch of events names by id, by id
ObjectParties = Callable[[Session, set[int]], dict[int, Iterable[str | None]]]


def _rows_of(model: Any, parties: Callable[[Any], Iterable[str | None]]) -> ObjectParties:
    """The parties of `model`'s rows, in one query for the batch's ids."""
    key = inspect(model).primary_key[0]

    def load(db: Session, ids: set[int]) -> dict[int, Iterable[str | None]]:
        return {getattr(row, key.key): parties(row) for row in db.scalars(select(model).where(key.in_(ids)))}

    return load


def _records(db: Session, ids: set[int]) -> dict[int, Iterable[str | None]]:
    return dict(
        records.parties_of(db, db.scalars(select(TransferableRecord).where(TransferableRecord.record_id.in_(ids))))
    )


_UNDERTAKINGS = _rows_of(Undertaking, lambda row: (row.applicant, row.beneficiary, row.guarantor, row.advising_party))
OBJECT_IDS: dict[str, ObjectParties] = {
    "orderId": _rows_of(PurchaseOrder, lambda order: (order.buyer, order.seller)),
    "lcId": _rows_of(LetterOfCredit, lcs.parties),
    "documentId": _rows_of(Document, lambda document: (document.owner, document.registrar, document.financier)),
    "paymentId": _rows_of(ExternalPayment, lambda payment: (payment.payer, payment.payee)),
    "anchorId": _rows_of(StatementAnchor, lambda anchor: (anchor.account, anchor.counterparty)),
    "undertakingId": _UNDERTAKINGS,
    "guaranteeId": _UNDERTAKINGS,  # CounterGuaranteeLinked: the parties of both undertakings
    "counterGuaranteeId": _UNDERTAKINGS,
    "recordId": _records,
}


class Audience:
    """The parties of what a batch of events is about, read with one query per kind of object (and per kind of
    row deciding a credit's reduced views) for the whole batch: a feed page no longer costs a query or two for
    each event of an order, a credit or a presentation it scans."""

    def __init__(self, db: Session, events: Sequence[tuple[str, dict[str, Any]]]) -> None:
        wanted: dict[ObjectParties, set[int]] = defaultdict(set)
        for _, args in events:
            for argument, lookup in OBJECT_IDS.items():
                if isinstance(args.get(argument), int):
                    wanted[lookup].add(args[argument])
        self._objects = {lookup: lookup(db, ids) for lookup, ids in wanted.items()}
        self._reduced = lcs.reduced_audiences(db, events)

    def parties(self, event: str, args: dict[str, Any]) -> set[str]:
        """Every address the event names, plus the parties of the object it is about and, for an event of a
        credit, the second beneficiaries and assignees whose reduced view shows it. The event must be one of the
        batch."""
        found = {
            value for value in args.values() if isinstance(value, str) and len(value) == 42 and value.startswith("0x")
        }
        for argument, lookup in OBJECT_IDS.items():
            if isinstance(args.get(argument), int):
                found.update(party for party in self._objects[lookup].get(args[argument], ()) if party)
        found.update(self._reduced.of(event, args))
        found.discard("0x0000000000000000000000000000000000000000")
        return found

    def visible(
        self, accounts: set[str] | None, viewer_kind: MemberKind | None, event: str, args: dict[str, Any]
    ) -> bool:
        """Whether a viewer who sees `accounts` (`visible_accounts`) may see this event of the batch."""
        if accounts is None:
            return True
        named = self.parties(event, args)
        institutional = not named and viewer_kind in (MemberKind.BANK, MemberKind.AUDITOR)
        return institutional or bool(named & accounts)


def parties(db: Session, event: str, args: dict[str, Any]) -> set[str]:
    """`Audience.parties` of one event."""
    return Audience(db, [(event, args)]).parties(event, args)


def visible(
    db: Session, accounts: set[str] | None, viewer_kind: MemberKind | None, event: str, args: dict[str, Any]
) -> bool:
    """`Audience.visible` for one event."""
    return accounts is None or Audience(db, [(event, args)]).visible(accounts, viewer_kind, event, args)


def feed(db: Session, viewer: str, viewer_kind: MemberKind | None, after: int | None, limit: int) -> EventPage:
    """A page of the event feed as the viewer sees it, and the cursor to poll from next (the cursor itself when
    caught up; None only before the first event).

    Rows are read in batches that double from `limit` up to `limit * SCAN_FACTOR` in all: a viewer who sees most
    events (a bank, an auditor) is served by the first batch instead of loading ten times the page."""
    accounts = visible_accounts(db, viewer, viewer_kind)
    shown: list[EventView] = []
    last_scanned = after
    batch, unscanned = limit, limit * SCAN_FACTOR
    while unscanned > 0 and len(shown) < limit:
        query = select(_EVENTS).order_by(_EVENTS.c.id).limit(min(batch, unscanned))
        if last_scanned is not None:
            query = query.where(_EVENTS.c.id > last_scanned)
        rows = [(row, json.loads(row.args)) for row in db.execute(query)]
        audience = None if accounts is None else Audience(db, [(row.event, args) for row, args in rows])  # auditors
        for row, args in rows:
            last_scanned = row.id
            if audience is None or audience.visible(accounts, viewer_kind, row.event, args):
                shown.append(EventView.of(row, args))
                if len(shown) == limit:
                    break
        if len(rows) < min(batch, unscanned):
            break  # caught up with the feed
        unscanned -= len(rows)
        batch *= 2
    return EventPage(items=shown, next_cursor=None if last_scanned is None else str(last_scanned))
