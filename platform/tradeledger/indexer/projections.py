"""Projections: read-model rows derived from raw chain events, applied in chain order.

A projection is a function of the ordered event log and nothing else, so the indexer can roll back a reorg by
deleting the orphaned raw events and replaying: `Projector.rebuild` clears every projected table and applies
the remaining events again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from tradeledger.errors import TradeLedgerError
from tradeledger.store.base import Base


class ProjectionError(TradeLedgerError):
    """An event does not fit the read model built from the events before it: the indexer must stop, not guess."""

    code = "projection_inconsistent"
    http_status = 500
    title = "Read model inconsistent with the chain"


@dataclass(frozen=True)
class EventRecord:
    """One decoded event as the projections see it."""

    chain_id: int
    block_number: int
    block_hash: str
    block_timestamp: datetime
    tx_hash: str
    tx_index: int
    log_index: int
    address: str
    contract: str
    event: str
    args: dict[str, Any]


Handler = Callable[[Session, EventRecord], None]


class Projector:
    """The registry of handlers per (contract, event) and the tables they own."""

    def __init__(self) -> None:
        self._handlers: dict[tuple[str, str], list[Handler]] = {}
        self._tables: list[type[Base]] = []

    def on(self, contract: str, event: str) -> Callable[[Handler], Handler]:
        """Register a handler for one event of one contract."""

        def register(handler: Handler) -> Handler:
            self._handlers.setdefault((contract, event), []).append(handler)
            return handler

        return register

    def owns(self, *tables: type[Base]) -> None:
        """Declare tables written only by projections (cleared by `rebuild`)."""
        self._tables.extend(tables)

    def handled(self) -> set[tuple[str, str]]:
        return set(self._handlers)

    def apply(self, db: Session, record: EventRecord) -> None:
        for handler in self._handlers.get((record.contract, record.event), ()):
            handler(db, record)

    def clear(self, db: Session) -> None:
        """Delete every projected row, children before parents."""
        for table in reversed(self._tables):
            db.execute(delete(table))
        db.flush()


projector = Projector()
