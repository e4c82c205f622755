"""Helpers shared by the projection handlers: value conversion, row lookup, evidence stamping."""

from __future__ import annotations

from functools import cache
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from tradeledger.chain.abi import ZERO_ADDRESS
from tradeledger.indexer.fetcher import EventRecord
from tradeledger.indexer.projections import ProjectionError
from tradeledger.store.base import Base
from tradeledger.store.columns import ChainEvidence

PLATFORM_CONTRACTS = (
    "Membership",
    "Settlement",
    "DocumentRegistry",
    "TradeOrders",
    "ReconciliationAnchor",
    "LetterOfCredit",
    "BankingCalendar",
    "Invoices",
    "PaymentUndertakings",
    "PayablesFinance",
    "Undertakings",
    "TransferableRecords",
)
LIBRARIES = (
    "CurrencyCode",
    "LetterOfCreditDrawings",
    "LetterOfCreditTransfers",
    "LetterOfCreditAmendments",
    "UndertakingsDemands",
)
"""Artifacts that are libraries, not contracts with logs of their own: LetterOfCreditDrawings, LetterOfCreditTransfers
and LetterOfCreditAmendments run delegate-called by LetterOfCredit, so their events come from LetterOfCredit's address
and are projected as LetterOfCredit's; likewise UndertakingsDemands for Undertakings."""

ModelT = TypeVar("ModelT", bound=Base)


def optional_address(value: str) -> str | None:
    """A checksummed address, or None for the zero address (the decoder gives every address as 0x and 40 hex
    digits, so the zero address is one string in any case)."""
    return None if value == ZERO_ADDRESS else value


@cache
def currency(value: str) -> str:
    """bytes3 '0x555344' -> 'USD' (cached: a chain has a handful of currencies, and a posting each event)."""
    return bytes.fromhex(value[2:]).decode("ascii")


def hex32(value: str) -> str:
    """A bytes32 as lower-case 0x-hex (as the decoder gives it)."""
    return value.lower()


def seconds(record: EventRecord) -> int:
    """The block's timestamp in unix seconds (what `block.timestamp` was for the emitting call)."""
    return int(record.block_timestamp.timestamp())


def stamp(row: ChainEvidence, record: EventRecord) -> None:
    """Record `record` as the event that last changed `row`."""
    row.block_number = record.block_number
    row.tx_hash = record.tx_hash
    row.log_index = record.log_index
    row.block_timestamp = record.block_timestamp


def evidence(record: EventRecord) -> dict[str, Any]:
    """The evidence columns as constructor keyword arguments."""
    return {
        "block_number": record.block_number,
        "tx_hash": record.tx_hash,
        "log_index": record.log_index,
        "block_timestamp": record.block_timestamp,
    }


def existing(db: Session, model: type[ModelT], key: Any, record: EventRecord) -> ModelT:
    """The row `model[key]`, which earlier events must have created."""
    row = db.get(model, key)
    if row is None:
        raise ProjectionError(
            f"{record.contract}.{record.event} at block {record.block_number} log {record.log_index} refers to "
            f"{model.__tablename__} {key!r}, which no earlier event created",
            block_number=record.block_number,
            log_index=record.log_index,
        )
    return row


def inconsistent(record: EventRecord, message: str) -> ProjectionError:
    """The error that stops the indexer because `record` contradicts the read model."""
    return ProjectionError(
        f"{record.contract}.{record.event} at block {record.block_number} log {record.log_index}: {message}",
        block_number=record.block_number,
        log_index=record.log_index,
    )


def require(condition: bool, record: EventRecord, message: str) -> None:
    """Stop the indexer when an event contradicts the read model."""
    if not condition:
        raise inconsistent(record, message)
