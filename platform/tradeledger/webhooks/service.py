"""Subscriptions (commands and queries) and the queue: which events and files each subscription gets, in order.

Queueing reads the event feed after a subscription's cursor and writes one delivery row per message, advancing
the cursor in the same transaction: a crash queues nothing twice and loses nothing. Visibility is the event
feed's own (`tradeledger.events.service.visible`), evaluated for the subscription's member when the message is
queued: a subscription never receives what its member could not read from `GET /v1/events`.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
import secrets
import socket
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from reconciliation.formats import StatementFormat
from reconciliation.statements import Period
from tradeledger.chain.abi import checksum, load_abi
from tradeledger.chain.txmanager import KeyRing
from tradeledger.codec import InvalidValueError, currency_bytes, currency_text
from tradeledger.errors import NotFoundError, TradeLedgerError
from tradeledger.events.schemas import EventView
from tradeledger.events.service import parties, visible
from tradeledger.members.access import can_see_account, visible_accounts
from tradeledger.members.models import Member, MemberKind
from tradeledger.operations import Answer, write_in_database
from tradeledger.statements import service as statements
from tradeledger.statements.service import StatementSpec
from tradeledger.store.base import UINT256_END, utcnow
from tradeledger.store.models import ChainEvent
from tradeledger.webhooks import repository
from tradeledger.webhooks.models import (
    DeliveryKind,
    DeliveryState,
    SubscriptionStatus,
    WebhookDelivery,
    WebhookSubscription,
)
from tradeledger.webhooks.schemas import CreatedSubscription, DeliveryView, SubscriptionRequest, SubscriptionView

if TYPE_CHECKING:  # the runtime composes the domains: importing it here would be a cycle
    from tradeledger.runtime import Platform

SECRET_BYTES = 24
QUEUE_BATCH = 500  # feed rows read per subscription per pass
POSTED = ("Settlement", "Posted")
DAY = timedelta(days=1)


class SubscriptionNotFoundError(NotFoundError):
    code = "webhook_subscription_not_found"


class SubscriptionStateError(TradeLedgerError):
    code = "webhook_subscription_state"
    http_status = 409
    title = "Subscription state"


@dataclass(frozen=True)
class Files:
    """What queueing statements needs: the keys that sign manifests, where files go, the chain they come from."""

    keys: KeyRing
    chain_id: int
    directory: Path


def new_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and base64 of 192 random bits."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def event_types(contracts: Iterable[str]) -> set[str]:
    """Every `Contract.Event` the deployed contracts can emit."""
    return {f"{name}.{event.name}" for name in contracts for event in load_abi(name).events.values()}


def check_url(url: str, allow_private: bool) -> str:
    """http(s) only; unless allowed, no loopback, private or link-local target (the service must not be turned
    into a probe of its own network)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidValueError(f"url {url!r} must be an absolute http:// or https:// URL")
    if parts.username or parts.password:
        raise InvalidValueError("url must not carry credentials: the signature authenticates the sender")
    if allow_private:
        return url
    try:
        addresses = {str(info[4][0]) for info in socket.getaddrinfo(parts.hostname, parts.port or 443)}
    except (OSError, UnicodeError):
        raise InvalidValueError(f"url host {parts.hostname!r} does not resolve") from None
    for address in addresses:
        if not ipaddress.ip_address(address.split("%")[0]).is_global:
            raise InvalidValueError(f"url host {parts.hostname!r} is not a public address ({address})")
    return url


def _addresses(values: list[str], member: str, kind: MemberKind | None, db: Session) -> list[str]:
    accounts = []
    for value in values:
        try:
            account = checksum(value)
        except ValueError:
            raise InvalidValueError(f"accounts: {value!r} is not an address") from None
        if not can_see_account(db, member, kind, account):
            raise InvalidValueError(f"accounts: {account} is not an account {member} may see")
        accounts.append(account)
    return sorted(set(accounts))


def create(
    db: Session,
    member: str,
    kind: MemberKind | None,
    request: SubscriptionRequest,
    url: str,
    known_types: set[str],
) -> tuple[WebhookSubscription, str]:
    """A new active subscription and its secret; it starts at the feed's end (use replay for the past).

    Args:
        db: the request's session (the caller commits).
        member: the subscribing member; kind: its kind (what it may see).
        request: the subscription asked for.
        url: `request.url` as `check_url` passed it (outside any transaction: it may resolve a name).
        known_types: `event_types` of the deployed contracts.
    """
    unknown = sorted(set(request.event_types) - known_types)
    if unknown:
        raise InvalidValueError(
            f"event_types: unknown {', '.join(unknown)} (use Contract.Event, e.g. Settlement.Posted)"
        )
    for code in request.currencies:
        currency_bytes(code)
    for lc_id in request.lc_ids:
        if int(lc_id) >= UINT256_END:
            raise InvalidValueError(f"lc_ids: {lc_id!r} is not a uint256 in decimal")
    if "camt.053" in request.statements and not request.currencies:
        raise InvalidValueError("statements: camt.053 needs `currencies` (one statement per account and currency)")
    secret = new_secret()
    now = utcnow()
    row = WebhookSubscription(
        id=str(uuid.uuid4()),
        member=member,
        url=url,
        description=request.description,
        event_types=sorted(set(request.event_types)),
        accounts=_addresses(request.accounts, member, kind, db),
        currencies=sorted(set(request.currencies)),
        lc_ids=sorted({str(int(lc_id)) for lc_id in request.lc_ids}),
        statements=sorted(set(request.statements)),
        secret=secret,
        status=SubscriptionStatus.ACTIVE,
        cursor=repository.last_event_id(db),
        epoch=0,
        statements_through=datetime(now.year, now.month, now.day, tzinfo=UTC),
    )
    db.add(row)
    db.flush()
    return row, secret


def owned(db: Session, member: str, subscription_id: str) -> WebhookSubscription:
    """The member's own subscription; another member's answers exactly like a missing one."""
    row = repository.subscription(db, subscription_id)
    if row is None or row.member != member:
        raise SubscriptionNotFoundError(f"no webhook subscription {subscription_id}")
    return row


def pause(db: Session, member: str, subscription_id: str) -> WebhookSubscription:
    row = owned(db, member, subscription_id)
    row.status = SubscriptionStatus.PAUSED
    return row


def resume(db: Session, member: str, subscription_id: str) -> WebhookSubscription:
    """Active again; dead letters are retried first, in their order, with a fresh retry period."""
    row = owned(db, member, subscription_id)
    repository.revive_dead(db, row.id, utcnow())
    row.status = SubscriptionStatus.ACTIVE
    return row


def replay(db: Session, member: str, subscription_id: str, cursor: int | None) -> WebhookSubscription:
    """Queue every event after `cursor` again, under new message ids, in place of whatever was still queued."""
    row = owned(db, member, subscription_id)
    last = repository.last_event_id(db)
    if cursor is not None and (last is None or cursor > last):
        raise InvalidValueError(f"cursor {cursor} is beyond the event feed's last event {last}")
    repository.cancel_unsettled(db, row.id)
    row.cursor = cursor
    row.epoch += 1
    row.status = SubscriptionStatus.ACTIVE
    return row


def delete(db: Session, member: str, subscription_id: str) -> None:
    db.delete(owned(db, member, subscription_id))


def message_id(subscription: WebhookSubscription, kind: DeliveryKind, *key: object) -> str:
    """The `webhook-id` of a message: the same for the same message, whatever crash or retry happens."""
    text = "|".join(str(part) for part in (subscription.id, subscription.epoch, kind.value, *key))
    return "msg_" + hashlib.sha256(text.encode()).hexdigest()[:32]


def _body(event_type: str, timestamp: datetime, data: dict[str, Any]) -> str:
    """The Standard Webhooks payload shape: type, timestamp, data."""
    return json.dumps(
        {"type": event_type, "timestamp": timestamp.isoformat().replace("+00:00", "Z"), "data": data},
        separators=(",", ":"),
        sort_keys=True,
    )


def _wanted(db: Session, subscription: WebhookSubscription, row: ChainEvent, args: dict[str, Any]) -> bool:
    if subscription.event_types and f"{row.contract}.{row.event}" not in subscription.event_types:
        return False
    return _matches_filters(db, subscription, row.event, args)


def _matches_filters(db: Session, subscription: WebhookSubscription, event: str, args: dict[str, Any]) -> bool:
    if subscription.accounts and not parties(db, event, args) & set(subscription.accounts):
        return False
    if subscription.currencies:
        wanted = {"0x" + currency_bytes(code).hex() for code in subscription.currencies}
        if str(args.get("currency", "")).lower() not in wanted:
            return False
    return not subscription.lc_ids or str(args.get("lcId")) in subscription.lc_ids


def day_closed(subscription: WebhookSubscription, closed_before: datetime | None) -> bool:
    """Whether a UTC day whose camt.053 the subscription wants has closed on chain and is not queued yet."""
    through = subscription.statements_through
    return (
        "camt.053" in subscription.statements
        and through is not None
        and closed_before is not None
        and through + DAY <= closed_before
    )


def _notifications(
    db: Session,
    subscription: WebhookSubscription,
    row: ChainEvent,
    args: dict[str, Any],
    closed_before: datetime | None,
) -> list[StatementSpec] | None:
    """The camt.054 notifications a movement calls for: one per account of the subscription it moves, covering
    the movement's second on chain; None while that second has not closed."""
    if "camt.054" not in subscription.statements or (row.contract, row.event) != POSTED:
        return []
    if not _matches_filters(db, subscription, row.event, args):
        return []
    mine = set(subscription.accounts or [subscription.member])
    moved = sorted({args["debitAccount"], args["creditAccount"]} & mine)
    if not moved:
        return []
    start = row.block_timestamp.replace(microsecond=0)
    if closed_before is None or closed_before < start + timedelta(seconds=1):
        return None
    period = Period(start, start + timedelta(seconds=1))
    currency = currency_text(args["currency"])
    return [StatementSpec(account, currency, period, StatementFormat.CAMT054, None) for account in moved]


class Queue:
    """Turns the event feed into each subscription's delivery rows (the caller commits per subscription)."""

    def __init__(self, files: Files) -> None:
        self.files = files

    def fill(self, db: Session, subscription: WebhookSubscription, closed_before: datetime | None) -> int:
        """Queue what is new for one subscription; the number of messages queued.

        Args:
            db: a session in a writing transaction.
            subscription: an active subscription.
            closed_before: the time of the last indexed block: statements are only made of closed periods.
        """
        member = db.get(Member, subscription.member)
        kind = None if member is None else member.kind
        accounts = visible_accounts(db, subscription.member, kind)
        queued = self._day_closes(db, subscription, kind, closed_before)
        day_end = None if subscription.statements_through is None else subscription.statements_through + DAY
        for row in repository.events_after(db, subscription.cursor, QUEUE_BATCH):
            if "camt.053" in subscription.statements and day_end is not None and row.block_timestamp >= day_end:
                break  # the day's statement goes first, once the day has closed
            args = json.loads(row.args)
            if visible(db, accounts, kind, row.event, args):
                notices = _notifications(db, subscription, row, args, closed_before)
                if notices is None:
                    break  # the movement's second has not closed on chain yet: its notification must wait
                if _wanted(db, subscription, row, args):
                    event_type = f"{row.contract}.{row.event}"
                    body = _body(event_type, row.block_timestamp, EventView.of(row).model_dump(mode="json"))
                    queued += self._add(db, subscription, DeliveryKind.EVENT, event_type, body, row.id, row.id)
                for spec in notices:
                    queued += self._statement(db, subscription, kind, spec, closed_before, row.id)
            subscription.cursor = row.id
        return queued

    def _add(
        self,
        db: Session,
        subscription: WebhookSubscription,
        kind: DeliveryKind,
        event_type: str,
        body: str,
        event_id: int | None,
        *key: object,
    ) -> int:
        db.add(
            WebhookDelivery(
                message_id=message_id(subscription, kind, *key),
                subscription_id=subscription.id,
                epoch=subscription.epoch,
                kind=kind,
                event_id=event_id,
                event_type=event_type,
                payload=body,
                state=DeliveryState.PENDING,
                attempts=0,
                next_attempt_at=utcnow(),
            )
        )
        return 1

    def _day_closes(
        self, db: Session, subscription: WebhookSubscription, kind: MemberKind | None, closed_before: datetime | None
    ) -> int:
        """camt.053 statements of every UTC day closed on chain since the last one queued."""
        queued = 0
        while day_closed(subscription, closed_before):
            assert subscription.statements_through is not None
            period = Period(subscription.statements_through, subscription.statements_through + DAY)
            for account in subscription.accounts or [subscription.member]:
                for currency in subscription.currencies:
                    spec = StatementSpec(account, currency, period, StatementFormat.CAMT053, None)
                    queued += self._statement(db, subscription, kind, spec, closed_before, None)
            subscription.statements_through = period.end
        return queued

    def _statement(
        self,
        db: Session,
        subscription: WebhookSubscription,
        kind: MemberKind | None,
        spec: StatementSpec,
        closed_before: datetime | None,
        event_id: int | None,
    ) -> int:
        """One statement file and its signed manifest as a message; several movements of one second share it."""
        delivery = DeliveryKind.CAMT054 if spec.format is StatementFormat.CAMT054 else DeliveryKind.CAMT053
        key = (spec.account, spec.currency, spec.period.start.isoformat())
        if repository.message_exists(db, message_id(subscription, delivery, *key)):
            return 0
        generated = statements.generate(
            db,
            keys=self.files.keys,
            chain_id=self.files.chain_id,
            directory=self.files.directory,
            spec=spec,
            closed_before=closed_before,
            viewer=subscription.member,
            viewer_kind=kind,
        )
        path = statements.file_path(self.files.directory, generated)
        data = {
            "statement": statements.view(db, generated).model_dump(mode="json"),
            "file_name": f"{generated.statement_id}{path.suffix}",
            "media_type": statements.media_type(generated),
            "file_base64": base64.b64encode(path.read_bytes()).decode("ascii"),
            "signed_manifest": statements.signed_manifest(generated).model_dump(mode="json"),
        }
        event_type = f"statement.{delivery.value}"
        return self._add(
            db, subscription, delivery, event_type, _body(event_type, spec.period.end, data), event_id, *key
        )


def subscribe(
    platform: Platform, member: str, kind: MemberKind | None, request: SubscriptionRequest, url: str,
    answer: Answer[CreatedSubscription],
) -> CreatedSubscription:  # fmt: skip
    """`create` as a command: the secret commits with the request's answer (a retry after a crash gets it)."""
    assert platform.chain.manifest is not None
    known = event_types(platform.chain.manifest.contracts)

    def subscribed(db: Session) -> CreatedSubscription:
        row, secret = create(db, member, kind, request, url, known)
        return CreatedSubscription(subscription=SubscriptionView.of(row), secret=secret)

    created = write_in_database(platform, subscribed, answer)
    platform.webhooks.changed()  # this process's dispatcher sleeps up to a second (webhooks.delivery)
    return created


def change(
    platform: Platform, member: str, subscription_id: str, action: Literal["pause", "resume", "replay"],
    answer: Answer[SubscriptionView], cursor: int | None = None,
) -> SubscriptionView:  # fmt: skip
    """Pause, resume or replay (from the feed's `cursor`) one of the member's subscriptions; its answer commits
    with the change (a retry after a crash gets the same answer)."""
    steps: dict[str, Callable[[Session], WebhookSubscription]] = {
        "pause": lambda db: pause(db, member, subscription_id),
        "resume": lambda db: resume(db, member, subscription_id),
        "replay": lambda db: replay(db, member, subscription_id, cursor),
    }
    changed = write_in_database(platform, lambda db: SubscriptionView.of(steps[action](db)), answer)
    platform.webhooks.changed()  # resumed or replayed: queue and send now, not after the dispatcher's sleep
    return changed


def unsubscribe(platform: Platform, member: str, subscription_id: str) -> None:
    write_in_database(platform, lambda db: delete(db, member, subscription_id), None)


def list_subscriptions(platform: Platform, member: str, after: str | None, limit: int) -> list[SubscriptionView]:
    with platform.sessions() as db:
        return [SubscriptionView.of(row) for row in repository.subscriptions(db, member, after, limit)]


def subscription(platform: Platform, member: str, subscription_id: str) -> SubscriptionView:
    with platform.sessions() as db:
        return SubscriptionView.of(owned(db, member, subscription_id))


def deliveries(
    platform: Platform, member: str, subscription_id: str, after: int | None, limit: int
) -> list[DeliveryView]:
    """A page of one of the member's own subscriptions' deliveries, in queue order."""
    with platform.sessions() as db:
        rows = repository.deliveries(db, owned(db, member, subscription_id).id, after, limit)
        return [DeliveryView.of(row) for row in rows]
