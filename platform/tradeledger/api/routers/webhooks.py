"""Webhook subscriptions: a member sees and changes its own only (another's answers 404), and their deliveries."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from tradeledger.api.auth import PlatformDep, PrincipalDep
from tradeledger.api.idempotency import IdempotentRoute, answering
from tradeledger.api.pagination import Limit, Page, RowCursor
from tradeledger.api.problems import ERROR_RESPONSES, NOT_FOUND_RESPONSE
from tradeledger.webhooks import service
from tradeledger.webhooks.schemas import (
    CreatedSubscription,
    DeliveryView,
    ReplayRequest,
    SubscriptionRequest,
    SubscriptionView,
)

router = APIRouter(prefix="/webhooks", tags=["webhooks"], route_class=IdempotentRoute)
SubscriptionId = Annotated[str, Path(max_length=36, description="a subscription id")]
SubscriptionCursor = Annotated[str | None, Query(max_length=36, description="`next_cursor` of the previous page")]
RESPONSES = {**NOT_FOUND_RESPONSE, **ERROR_RESPONSES}


@router.post("/subscriptions", status_code=201, responses=ERROR_RESPONSES)
def create_subscription(
    body: SubscriptionRequest, platform: PlatformDep, principal: PrincipalDep, response: Response
) -> CreatedSubscription:
    """Subscribe a URL to the caller's events from now on; the signing secret is in this answer only."""
    url = service.check_url(body.url, platform.settings.webhook_allow_loopback)  # may resolve: before the transaction
    created = service.subscribe(platform, principal.member, principal.kind, body, url, answering(201, _location))
    response.headers["Location"] = _location(created)
    return created


def _location(created: CreatedSubscription) -> str:
    return f"/v1/webhooks/subscriptions/{created.subscription.id}"


@router.get("/subscriptions", responses=ERROR_RESPONSES)
def list_subscriptions(
    platform: PlatformDep, principal: PrincipalDep, limit: Limit = 50, cursor: SubscriptionCursor = None
) -> Page[SubscriptionView]:
    """The caller's own subscriptions."""
    items = service.list_subscriptions(platform, principal.member, cursor, limit)
    return Page(items=items, next_cursor=items[-1].id if len(items) == limit else None)


@router.get("/subscriptions/{subscription_id}", responses=RESPONSES)
def get_subscription(
    subscription_id: SubscriptionId, platform: PlatformDep, principal: PrincipalDep
) -> SubscriptionView:
    """One of the caller's subscriptions."""
    return service.subscription(platform, principal.member, subscription_id)


@router.post("/subscriptions/{subscription_id}/pause", responses=RESPONSES)
def pause_subscription(
    subscription_id: SubscriptionId, platform: PlatformDep, principal: PrincipalDep
) -> SubscriptionView:
    """Stop queueing and sending until resumed; what was queued waits, in order."""
    return service.change(platform, principal.member, subscription_id, "pause", answering())


@router.post("/subscriptions/{subscription_id}/resume", responses=RESPONSES)
def resume_subscription(
    subscription_id: SubscriptionId, platform: PlatformDep, principal: PrincipalDep
) -> SubscriptionView:
    """Send again: events queued meanwhile follow in order; dead letters are retried first."""
    return service.change(platform, principal.member, subscription_id, "resume", answering())


@router.post("/subscriptions/{subscription_id}/replay", responses=RESPONSES)
def replay_subscription(
    subscription_id: SubscriptionId, body: ReplayRequest, platform: PlatformDep, principal: PrincipalDep
) -> SubscriptionView:
    """Deliver again every event after an event feed `cursor` (under new message ids), instead of what is queued."""
    cursor = None if body.cursor is None else int(body.cursor)
    return service.change(platform, principal.member, subscription_id, "replay", answering(), cursor)


@router.delete("/subscriptions/{subscription_id}", status_code=204, responses=RESPONSES)
def delete_subscription(subscription_id: SubscriptionId, platform: PlatformDep, principal: PrincipalDep) -> Response:
    """Delete the subscription and its queue; nothing more is sent."""
    service.unsubscribe(platform, principal.member, subscription_id)
    return Response(status_code=204)


@router.get("/subscriptions/{subscription_id}/deliveries", responses=RESPONSES)
def list_deliveries(
    subscription_id: SubscriptionId,
    platform: PlatformDep,
    principal: PrincipalDep,
    limit: Limit = 50,
    cursor: RowCursor = None,
) -> Page[DeliveryView]:
    """The subscription's messages in queue order: state, attempts, the receiver's last answer."""
    after = int(cursor) if cursor else None
    items = service.deliveries(platform, principal.member, subscription_id, after, limit)
    return Page(items=items, next_cursor=items[-1].id if len(items) == limit else None)
