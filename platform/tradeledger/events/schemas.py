"""One platform event as back offices see it: in the cursor feed and in webhook payloads alike."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Protocol

from pydantic import BaseModel, Field


class EventRow(Protocol):
    """A `ChainEvent`, as an entity or as a Core row of its table."""

    @property
    def id(self) -> int: ...
    @property
    def contract(self) -> str: ...
    @property
    def event(self) -> str: ...
    @property
    def args(self) -> str: ...
    @property
    def block_number(self) -> int: ...
    @property
    def block_hash(self) -> str: ...
    @property
    def block_timestamp(self) -> datetime: ...
    @property
    def tx_hash(self) -> str: ...
    @property
    def log_index(self) -> int: ...


class EventView(BaseModel):
    id: str = Field(description="position in this instance's feed; use as cursor")
    contract: str
    event: str
    args: dict[str, Any]
    block_number: int
    block_hash: str
    block_timestamp: datetime
    tx_hash: str
    log_index: int

    @classmethod
    def of(cls, row: EventRow, args: dict[str, Any] | None = None) -> EventView:
        """The row's view; `args` are its arguments when the caller has already parsed them."""
        return cls(
            id=str(row.id),
            contract=row.contract,
            event=row.event,
            args=json.loads(row.args) if args is None else args,
            block_number=row.block_number,
            block_hash=row.block_hash,
            block_timestamp=row.block_timestamp,
            tx_hash=row.tx_hash,
            log_index=row.log_index,
        )


class EventPage(BaseModel):
    """A page of the event feed: the API's `Page[EventView]` (its schema in the OpenAPI document), made here."""

    items: list[EventView]
    next_cursor: str | None
