"""The cursor feed of chain events for back offices."""

from __future__ import annotations

from fastapi import APIRouter

from tradeledger.api.auth import PlatformDep, PrincipalDep
from tradeledger.api.idempotency import IdempotentRoute
from tradeledger.api.pagination import Limit, Page, RowCursor
from tradeledger.api.problems import ERROR_RESPONSES
from tradeledger.events import service
from tradeledger.events.schemas import EventView

router = APIRouter(tags=["events"], route_class=IdempotentRoute)


@router.get("/events", responses=ERROR_RESPONSES)
def list_events(
    platform: PlatformDep, principal: PrincipalDep, limit: Limit = 100, cursor: RowCursor = None
) -> Page[EventView]:
    """Platform events the caller may see, oldest first. `next_cursor` is always the position to poll from
    next (the same cursor when nothing new has arrived); it is null only before the first event."""
    after = int(cursor) if cursor else None
    items, next_cursor = service.feed(platform, principal.member, principal.kind, after, limit)
    return Page(items=items, next_cursor=None if next_cursor is None else str(next_cursor))
