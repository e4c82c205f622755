"""What the API takes and shows for subscriptions and deliveries."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from tradeledger.webhooks.models import (
    DeliveryKind,
    DeliveryState,
    SubscriptionStatus,
    WebhookDelivery,
    WebhookSubscription,
)

StatementKind = Literal["camt.054", "camt.053"]  # the files a subscription may ask for (DeliveryKind values)


class SubscriptionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(max_length=2000, description="http(s) URL that receives the POSTs")
    description: str = Field("", max_length=200)
    event_types: list[str] = Field(
        default_factory=list,
        max_length=100,
        description="`Contract.Event` names (e.g. `Settlement.Posted`); empty: every event the member may see",
    )
    accounts: list[str] = Field(
        default_factory=list, max_length=100, description="only events naming one of these addresses"
    )
    currencies: list[str] = Field(
        default_factory=list, max_length=20, description="only events in one of these ISO 4217 currencies"
    )
    lc_ids: list[Annotated[str, Field(pattern=r"^[0-9]{1,78}$")]] = Field(
        default_factory=list, max_length=100, description="only events of these letters of credit (decimal ids)"
    )
    statements: list[StatementKind] = Field(
        default_factory=list,
        max_length=2,
        description="files wanted besides the events: `camt.054` per movement of the member's accounts (the "
        "`accounts` filter, or its own), `camt.053` at each UTC day's close per account and currency (needs "
        "`currencies`); each with its signed manifest",
    )


class ReplayRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cursor: str | None = Field(
        None,
        pattern=r"^[0-9]{1,18}$",
        description="an `id` of the event feed: every event after it is queued again (null: from the first event)",
    )


class SubscriptionView(BaseModel):
    id: str
    url: str
    description: str
    event_types: list[str]
    accounts: list[str]
    currencies: list[str]
    lc_ids: list[str]
    statements: list[str]
    status: SubscriptionStatus
    cursor: str | None = Field(description="the last event of the feed queued for this subscription")
    created_at: datetime

    @classmethod
    def of(cls, row: WebhookSubscription) -> SubscriptionView:
        return cls(
            id=row.id,
            url=row.url,
            description=row.description,
            event_types=row.event_types,
            accounts=row.accounts,
            currencies=row.currencies,
            lc_ids=row.lc_ids,
            statements=row.statements,
            status=row.status,
            cursor=None if row.cursor is None else str(row.cursor),
            created_at=row.created_at,
        )


class CreatedSubscription(BaseModel):
    subscription: SubscriptionView
    secret: str = Field(description="the signing secret (`whsec_...`): shown this once, keep it")


class DeliveryView(BaseModel):
    id: str = Field(description="position in the subscription's queue; use as cursor")
    message_id: str = Field(description="the `webhook-id` header: the same on every retry, for de-duplication")
    kind: DeliveryKind
    event_type: str
    event_id: str | None = Field(description="the event feed's `id` the message is about")
    state: DeliveryState
    attempts: int
    next_attempt_at: datetime
    last_status: int | None = Field(description="the receiver's HTTP status on the last attempt, if it answered")
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, row: WebhookDelivery) -> DeliveryView:
        return cls(
            id=str(row.id),
            message_id=row.message_id,
            kind=row.kind,
            event_type=row.event_type,
            event_id=None if row.event_id is None else str(row.event_id),
            state=row.state,
            attempts=row.attempts,
            next_attempt_at=row.next_attempt_at,
            last_status=row.last_status,
            last_error=row.last_error,
            delivered_at=row.delivered_at,
            created_at=row.created_at,
        )
