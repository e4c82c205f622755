"""Lookups in the raw event log: which object a mined transaction created."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tradeledger.errors import TradeLedgerError
from tradeledger.store.models import ChainEvent


def event_argument(db: Session, tx_hash: str, contract: str, event: str, argument: str) -> Any:
    """An argument of the event a transaction emitted (e.g. the id of the order it created)."""
    row = db.scalar(
        select(ChainEvent).where(
            ChainEvent.tx_hash == tx_hash, ChainEvent.contract == contract, ChainEvent.event == event
        )
    )
    if row is None:
        raise TradeLedgerError(f"transaction {tx_hash} emitted no {contract}.{event}", code="event_missing")
    return json.loads(row.args)[argument]
