"""Webhook subscriptions: a member sees and changes its own only (another's answers 404), and their deliveries."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from sqlalchemy.orm import Session

from tradeledger.api.auth import PlatformDep, PrincipalDep
from tradeledger.api.idempotency import IdempotentRoute, answer_with
from tradeledger.api.pagination import Limit, Page, RowCursor
from tradeledger.api.problems import ERROR_RESPONSES, NOT_FOUND_RESPONSE
from tradeledger.runtime import Platform
from tradeledger.webhooks import service
from tradeledger.webhooks.models import WebhookSubscription
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


def _known_types(platform: Platform) -> set[str]:
    assert platform.chain.manifest is not None
    return service.event_types(platform.chain.manifest.contracts)


@router.post("/subscriptions", status_code=201, responses=ERROR_RESPONSES)
def create_subscription(
    body: SubscriptionRequest, platform: PlatformDep, principal: PrincipalDep, response: Response
) -> CreatedSubscription:
    """Subscribe a URL to the caller's events from now on; the signing secret is in this answer only."""
    url = service.check_url(body.url, platform.settings.webhook_allow_loopback)  # may resolve: before the transaction
    with platform.transaction() as db:
        row, secret = service.create(db, principal.member, principal.kind, body, url, _known_types(platform))
        created = CreatedSubscription(subscription=SubscriptionView.of(row), secret=secret)
        location = f"/v1/webhooks/subscriptions/{created.subscription.id}"
        answer_with(db, created, 201, location)  # the secret survives a crash before the answer: sealed in the record
    response.headers["Location"] = location
    return created


@router.get("/subscriptions", responses=ERROR_RESPONSES)
def list_subscriptions(
    platform: PlatformDep, principal: PrincipalDep, limit: Limit = 50, cursor: SubscriptionCursor = None
) -> Page[SubscriptionView]:
    """The caller's own subscriptions."""
    with platform.sessions() as db:
        items = [SubscriptionView.of(row) for row in service.list_subscriptions(db, principal.member, cursor, limit)]
    return Page(items=items, next_cursor=items[-1].id if len(items) == limit else None)


@router.get("/subscriptions/{subscription_id}", responses=RESPONSES)
def get_subscription(
    subscription_id: SubscriptionId, platform: PlatformDep, principal: PrincipalDep
) -> SubscriptionView:
    """One of the caller's subscriptions."""
    with platform.sessions() as db:
        return SubscriptionView.of(service.owned(db, principal.member, subscription_id))


def _changed(platform: Platform, change: Callable[[Session], WebhookSubscription]) -> SubscriptionView:
    """One change to a subscription; its answer commits with it (a retry after a crash gets the same answer)."""
    with platform.transaction() as db:
        view = SubscriptionView.of(change(db))
        answer_with(db, view)
    return view


@router.post("/subscriptions/{subscription_id}/pause", responses=RESPONSES)
def pause_subscription(
    subscription_id: SubscriptionId, platform: PlatformDep, principal: PrincipalDep
) -> SubscriptionView:
    """Stop queueing and sending until resumed; what was queued waits, in order."""
    return _changed(platform, lambda db: service.pause(db, principal.member, subscription_id))


@router.post("/subscriptions/{subscription_id}/resume", responses=RESPONSES)
def resume_subscription(
    subscription_id: SubscriptionId, platform: PlatformDep, principal: PrincipalDep
) -> SubscriptionView:
    """Send again: events queued meanwhile follow in order; dead letters are retried first."""
    return _changed(platform, lambda db: service.resume(db, principal.member, subscription_id))


@router.post("/subscriptions/{subscription_id}/replay", responses=RESPONSES)
def replay_subscription(
    subscription_id: SubscriptionId, body: ReplayRequest, platform: PlatformDep, principal: PrincipalDep
) -> SubscriptionView:
    """Deliver again every event after an event feed `cursor` (under new message ids), instead of what is queued."""
    cursor = None if body.cursor is None else int(body.cursor)
    return _changed(platform, lambda db: service.replay(db, principal.member, subscription_id, cursor))


@router.delete("/subscriptions/{subscription_id}", status_code=204, responses=RESPONSES)
def delete_subscription(subscription_id: SubscriptionId, platform: PlatformDep, principal: PrincipalDep) -> Response:
    """Delete the subscription and its queue; nothing more is sent."""
    with platform.transaction() as db:
        service.delete(db, principal.member, subscription_id)
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
    with platform.sessions() as db:
        rows = service.deliveries(db, principal.member, subscription_id, int(cursor) if cursor else None, limit)
        items = [DeliveryView.of(row) for row in rows]
    return Page(items=items, next_cursor=items[-1].id if len(items) == limit else None)
