"""Projections: read-model rows derived from raw chain events, applied in chain order.

A projection is a function of the ordered event log and nothing else, so the indexer can roll back a reorg by
deleting the orphaned raw events and replaying: `Projector.clear` empties every projected table and the indexer
applies the remaining events again.

Most handlers take one event at a time with the session. Two other forms let a batch be written with a few bulk
statements: a handler that only creates rows from the event (`Projector.inserts`: orders, documents, payments,
anchors created) and one that takes every event of its kind in the batch at once (`Projector.on_batch`: the
ledger's `Posted` events, the bulk of the chain).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from tradeledger.errors import TradeLedgerError
from tradeledger.indexer.fetcher import EventRecord
from tradeledger.store.base import Base, table_of
from tradeledger.store.bulk import insert_rows


class ProjectionError(TradeLedgerError):
    """An event does not fit the read model built from the events before it: the indexer must stop, not guess."""

    code = "projection_inconsistent"
    http_status = 500
    title = "Read model inconsistent with the chain"


Handler = Callable[[Session, EventRecord], None]
Row = tuple[type[Base], dict[str, Any]]
RowsHandler = Callable[[EventRecord], Iterable[Row]]
BatchHandler = Callable[[Session, Sequence[EventRecord]], None]


class Projector:
    """The registry of handlers per (contract, event) and the tables they own."""

    def __init__(self) -> None:
        self._handlers: dict[tuple[str, str], list[Handler]] = {}
        self._row_handlers: dict[tuple[str, str], list[RowsHandler]] = {}
        self._batch_handlers: dict[tuple[str, str], list[BatchHandler]] = {}
        self._tables: list[type[Base]] = []

    def on(self, contract: str, event: str) -> Callable[[Handler], Handler]:
        """Register a handler for one event of one contract."""

        def register(handler: Handler) -> Handler:
            self._handlers.setdefault((contract, event), []).append(handler)
            return handler

        return register

    def inserts(self, contract: str, event: str) -> Callable[[RowsHandler], RowsHandler]:
        """Register a handler that only creates rows, from the event alone: it gets no session, so it cannot
        read. The projector inserts the rows of a batch in bulk, before the next handler that gets the session
        (which may read them) and at the end of the batch."""

        def register(handler: RowsHandler) -> RowsHandler:
            self._row_handlers.setdefault((contract, event), []).append(handler)
            return handler

        return register

    def on_batch(self, contract: str, event: str) -> Callable[[BatchHandler], BatchHandler]:
        """Register a handler that takes every event of one kind in a batch at once, in chain order.

        `apply_all` runs it after the one-at-a-time handlers of the batch, so it must be independent of every
        other handler: the rows it reads and writes are read and written by no other handler. Then applying
        the batch gives the read model that applying its events one by one gives.
        """

        def register(handler: BatchHandler) -> BatchHandler:
            self._batch_handlers.setdefault((contract, event), []).append(handler)
            return handler

        return register

    def owns(self, *tables: type[Base]) -> None:
        """Declare tables written only by projections (cleared by `rebuild`)."""
        self._tables.extend(tables)

    def handled(self) -> set[tuple[str, str]]:
        return set(self._handlers) | set(self._row_handlers) | set(self._batch_handlers)

    def apply(self, db: Session, record: EventRecord) -> None:
        """Project one event."""
        self.apply_all(db, [record])

    def apply_all(self, db: Session, records: Sequence[EventRecord]) -> None:
        """Project events given in chain order: one-at-a-time and row handlers in that order, then each batch
        handler with all of its events."""
        rows: dict[type[Base], list[dict[str, Any]]] = {}
        batches: dict[tuple[str, str], list[EventRecord]] = {}
        for record in records:
            kind = (record.contract, record.event)
            if kind in self._batch_handlers:
                batches.setdefault(kind, []).append(record)
            for produce in self._row_handlers.get(kind, ()):
                for model, row in produce(record):
                    rows.setdefault(model, []).append(row)
            handlers = self._handlers.get(kind, ())
            if handlers:
                _insert(db, rows)
            for handler in handlers:
                handler(db, record)
        _insert(db, rows)
        for kind, batch in batches.items():
            for batch_handler in self._batch_handlers[kind]:
                batch_handler(db, batch)

    def clear(self, db: Session) -> None:
        """Delete every projected row, children before parents."""
        for table in reversed(self._tables):
            db.execute(delete(table))
        db.flush()


def _insert(db: Session, rows: dict[type[Base], list[dict[str, Any]]]) -> None:
    """Insert the collected rows, one executemany per table, parents before children, after what the session
    itself has pending; then forget them."""
    if not rows:
        return
    db.flush()
    order = {table: rank for rank, table in enumerate(Base.metadata.sorted_tables)}
    for model in sorted(rows, key=lambda model: order[table_of(model)]):
        insert_rows(db, model, rows[model])
    rows.clear()


projector = Projector()
