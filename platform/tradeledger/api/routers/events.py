"""The cursor feed of chain events for back offices."""

from __future__ import annotations

from fastapi import APIRouter, Response

from tradeledger.api.auth import READER_SECURITY, ReaderDep
from tradeledger.api.idempotency import IdempotentRoute
from tradeledger.api.pagination import Limit, Page, RowCursor
from tradeledger.api.problems import ERROR_RESPONSES
from tradeledger.events import service
from tradeledger.events.schemas import EventView

router = APIRouter(tags=["events"], route_class=IdempotentRoute)


@router.get("/events", response_model=Page[EventView], responses=ERROR_RESPONSES, openapi_extra=READER_SECURITY)
async def list_events(reader: ReaderDep, limit: Limit = 100, cursor: RowCursor = None) -> Response:
    """Platform events the caller may see, oldest first. `next_cursor` is always the position to poll from
    next (the same cursor when nothing new has arrived); it is null only before the first event."""
    return await reader.answer(service.feed, int(cursor) if cursor else None, limit)
