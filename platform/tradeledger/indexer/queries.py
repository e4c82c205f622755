"""Lookups in the raw event log: which object a mined transaction created."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tradeledger.errors import TradeLedgerError
from tradeledger.store.models import ChainEvent, ChainTransaction


def event_argument(db: Session, mined: ChainTransaction, contract: str, event: str, argument: str) -> Any:
    """An argument of the event a mined transaction emitted (e.g. the id of the order it created).

    Looked up by the transaction's block, where the raw events' order index finds its few rows: the raw events
    keep no index by transaction hash, which every batch of the indexer paid for at every commit."""
    tx_hash = mined.signed_hash
    if mined.block_number is None:
        raise TradeLedgerError(f"transaction {tx_hash} is not mined", code="event_missing")
    row = db.scalar(
        select(ChainEvent).where(
            ChainEvent.chain_id == mined.chain_id,
            ChainEvent.block_number == mined.block_number,
            ChainEvent.tx_hash == tx_hash,
            ChainEvent.contract == contract,
            ChainEvent.event == event,
        )
    )
    if row is None:
        raise TradeLedgerError(f"transaction {tx_hash} emitted no {contract}.{event}", code="event_missing")
    return json.loads(row.args)[argument]
