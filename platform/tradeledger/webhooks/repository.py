"""Queries of subscriptions and their delivery queue."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from tradeledger.store.models import ChainEvent
from tradeledger.webhooks.models import DeliveryState, SubscriptionStatus, WebhookDelivery, WebhookSubscription

UNSETTLED = (DeliveryState.PENDING, DeliveryState.DEAD)


def subscription(db: Session, subscription_id: str) -> WebhookSubscription | None:
    return db.get(WebhookSubscription, subscription_id)


def subscriptions(db: Session, member: str, after: str | None, limit: int) -> list[WebhookSubscription]:
    query = select(WebhookSubscription).where(WebhookSubscription.member == member).order_by(WebhookSubscription.id)
    if after is not None:
        query = query.where(WebhookSubscription.id > after)
    return list(db.scalars(query.limit(limit)))


def active_subscriptions(db: Session) -> list[WebhookSubscription]:
    return list(db.scalars(select(WebhookSubscription).where(WebhookSubscription.status == SubscriptionStatus.ACTIVE)))


def events_after(db: Session, cursor: int | None, limit: int) -> list[ChainEvent]:
    query = select(ChainEvent).order_by(ChainEvent.id).limit(limit)
    if cursor is not None:
        query = query.where(ChainEvent.id > cursor)
    return list(db.scalars(query))


def deliveries(db: Session, subscription_id: str, after: int | None, limit: int) -> list[WebhookDelivery]:
    query = select(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription_id)
    if after is not None:
        query = query.where(WebhookDelivery.id > after)
    return list(db.scalars(query.order_by(WebhookDelivery.id).limit(limit)))


def latest_deliveries(db: Session, subscription_id: str, limit: int) -> list[WebhookDelivery]:
    """The last `limit` deliveries of a subscription, oldest first."""
    query = select(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription_id)
    return list(reversed(list(db.scalars(query.order_by(WebhookDelivery.id.desc()).limit(limit)))))


def head(db: Session, subscription_id: str) -> WebhookDelivery | None:
    """The oldest delivery not yet settled: the only one of the subscription that may be sent now."""
    query = (
        select(WebhookDelivery)
        .where(WebhookDelivery.subscription_id == subscription_id, WebhookDelivery.state.in_(UNSETTLED))
        .order_by(WebhookDelivery.id)
        .limit(1)
    )
    return db.scalars(query).first()


def next_heads(db: Session, exclude: set[str], limit: int) -> list[tuple[str, datetime]]:
    """Active subscriptions whose head delivery is pending, with the time it is due, soonest first: those due now,
    then the one the dispatcher sleeps until."""
    heads = (
        select(WebhookDelivery.subscription_id, func.min(WebhookDelivery.id).label("head"))
        .where(WebhookDelivery.state.in_(UNSETTLED))
        .group_by(WebhookDelivery.subscription_id)
        .subquery()
    )
    query = (
        select(WebhookDelivery.subscription_id, WebhookDelivery.next_attempt_at)
        .join(heads, WebhookDelivery.id == heads.c.head)
        .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
        .where(WebhookSubscription.status == SubscriptionStatus.ACTIVE, WebhookDelivery.state == DeliveryState.PENDING)
        .order_by(WebhookDelivery.next_attempt_at)
    )
    if exclude:
        query = query.where(WebhookDelivery.subscription_id.not_in(exclude))
    return [(subscription_id, due) for subscription_id, due in db.execute(query.limit(limit))]


def cancel_unsettled(db: Session, subscription_id: str) -> None:
    db.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.subscription_id == subscription_id, WebhookDelivery.state.in_(UNSETTLED))
        .values(state=DeliveryState.CANCELLED)
    )


def revive_dead(db: Session, subscription_id: str, now: datetime) -> None:
    """Dead letters get a fresh retry period (a member resumed the subscription after fixing its receiver)."""
    db.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.subscription_id == subscription_id, WebhookDelivery.state == DeliveryState.DEAD)
        .values(state=DeliveryState.PENDING, attempts=0, first_attempt_at=None, next_attempt_at=now)
    )


def last_event_id(db: Session) -> int | None:
    """The end of the event feed: where a new subscription starts."""
    return db.scalar(select(func.max(ChainEvent.id)))


def message_exists(db: Session, message_id: str) -> bool:
    return db.scalar(select(WebhookDelivery.id).where(WebhookDelivery.message_id == message_id)) is not None
