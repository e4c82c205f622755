"""The cursor feed of chain events for back offices."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from tradeledger.api.auth import PlatformDep, PrincipalDep
from tradeledger.api.idempotency import IdempotentRoute
from tradeledger.api.pagination import Limit, Page, RowCursor
from tradeledger.api.problems import ERROR_RESPONSES
from tradeledger.events import service

router = APIRouter(tags=["events"], route_class=IdempotentRoute)


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


@router.get("/events", responses=ERROR_RESPONSES)
def list_events(
    platform: PlatformDep, principal: PrincipalDep, limit: Limit = 100, cursor: RowCursor = None
) -> Page[EventView]:
    """Platform events the caller may see, oldest first. `next_cursor` is always the position to poll from
    next (the same cursor when nothing new has arrived); it is null only before the first event."""
    with platform.sessions() as db:
        rows, next_cursor = service.page(db, principal.member, principal.kind, int(cursor) if cursor else None, limit)
    items = [
        EventView(
            id=str(row.id),
            contract=row.contract,
            event=row.event,
            args=json.loads(row.args),
            block_number=row.block_number,
            block_hash=row.block_hash,
            block_timestamp=row.block_timestamp,
            tx_hash=row.tx_hash,
            log_index=row.log_index,
        )
        for row in rows
    ]
    return Page(items=items, next_cursor=None if next_cursor is None else str(next_cursor))
