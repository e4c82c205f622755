"""Subscriptions and their deliveries: the delivery outbox that lets a restarted service resume where it stopped."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, BigInteger, Enum, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tradeledger.store.base import Base, UtcDateTime, utcnow
from tradeledger.store.columns import ADDRESS


class SubscriptionStatus(enum.StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"  # by its member: nothing is queued or sent until resumed
    FAILED = "failed"  # a delivery ran out of retries (dead letter): nothing more is sent until resumed or replayed


class DeliveryState(enum.StrEnum):
    PENDING = "pending"  # waiting for its turn or for its next attempt
    DELIVERED = "delivered"  # the receiver answered 2xx
    DEAD = "dead"  # retried for the whole retry period without success
    CANCELLED = "cancelled"  # dropped by a replay, which queues the events again


class DeliveryKind(enum.StrEnum):
    EVENT = "event"  # one platform event, as the feed shows it
    CAMT054 = "camt.054"  # a debit/credit notification of one movement, with its signed manifest
    CAMT053 = "camt.053"  # the statement of a closed UTC day, with its signed manifest


class WebhookSubscription(Base):
    """Where a member wants its events, which ones, and how far the queue has read the event feed."""

    __tablename__ = "webhook_subscriptions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    member: Mapped[str] = mapped_column(String(ADDRESS), index=True)
    url: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(String(200), default="")
    event_types: Mapped[list[str]] = mapped_column(JSON)  # `Contract.Event`; empty: every event
    accounts: Mapped[list[str]] = mapped_column(JSON)  # events naming one of these; empty: any
    currencies: Mapped[list[str]] = mapped_column(JSON)
    lc_ids: Mapped[list[str]] = mapped_column(JSON)  # decimal strings: uint256 does not fit JSON numbers safely
    statements: Mapped[list[str]] = mapped_column(JSON)  # DeliveryKind values of files wanted
    secret: Mapped[str] = mapped_column(String(64))  # `whsec_...`: needed in clear to sign every request
    status: Mapped[SubscriptionStatus] = mapped_column(Enum(SubscriptionStatus, native_enum=False, length=16))
    cursor: Mapped[int | None] = mapped_column(BigInteger)  # the last feed row queued (chain_events.id)
    epoch: Mapped[int] = mapped_column(Integer, default=0)  # replays so far: a replay's messages get new ids
    statements_through: Mapped[datetime | None] = mapped_column(UtcDateTime)  # last day end a camt.053 was queued
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class WebhookDelivery(Base):
    """One message to one subscription, retried until delivered or dead. Rows of a subscription go out in `id`
    order: the next waits until the one before is delivered."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_queue", "subscription_id", "state", "id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    # `webhook-id`, the receiver's de-duplication key: derived from what the message is (subscription, replay
    # epoch, kind, event or day, account, currency), so nothing can queue the same message twice
    message_id: Mapped[str] = mapped_column(String(40), unique=True)
    subscription_id: Mapped[str] = mapped_column(ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"))
    epoch: Mapped[int] = mapped_column(Integer)  # which replay queued it
    kind: Mapped[DeliveryKind] = mapped_column(Enum(DeliveryKind, native_enum=False, length=16))
    event_id: Mapped[int | None] = mapped_column(BigInteger)  # the feed row, for events and camt.054
    event_type: Mapped[str] = mapped_column(String(130))
    payload: Mapped[str] = mapped_column(Text)  # the exact JSON body, fixed when queued so every retry sends it
    state: Mapped[DeliveryState] = mapped_column(Enum(DeliveryState, native_enum=False, length=16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    first_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_status: Mapped[int | None] = mapped_column(Integer)  # the receiver's HTTP status, if it answered
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
