"""Delivery: each subscription's queue sent in order over HTTP, signed as Standard Webhooks signs, in threads of
its own so that neither the indexer nor the API ever waits for a receiver.

One dispatcher thread queues new messages (`service.Queue`) and hands every subscription whose next message is
due to a bounded pool of senders; a sender works through one subscription's queue, one message at a time, and
never two senders the same subscription. A failed attempt is retried with exponential back-off until the retry
period is over; then the message is dead and its subscription FAILED, so that nothing after it overtakes it.
State lives in the database: a restarted service sends the first undelivered message again (at least once).

The dispatcher does not poll on a fixed beat. Its own process wakes it whenever there is work: the indexer applied
new events while a subscription is active, a sender finished a queue (it may have left a retry for later), a member
created, resumed or replayed a subscription (`changed`). Otherwise it sleeps until the soonest retry falls due, or
IDLE_S at most (to see subscriptions changed through another process); while a subscription wants statements,
STATEMENTS_POLL_S at most, because a statement waits for the block that closes its period and a block without events
wakes nobody. At four passes a second, an idle service's dispatcher took 14-17 ms of CPU a second. Without an active
subscription new events give it nothing to do (a subscription starts at the feed's end or at its own cursor, and a
pass queues from there, whenever it comes): the indexer's every batch woke it for two queries, and a pass without one
reads only the subscriptions.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy.orm import Session, sessionmaker
from standardwebhooks import Webhook

from tradeledger import __version__
from tradeledger.config import Settings
from tradeledger.errors import ChainUnavailableError, TradeLedgerError
from tradeledger.loops import PollingLoop
from tradeledger.store.base import utcnow
from tradeledger.store.db import transaction
from tradeledger.webhooks import repository
from tradeledger.webhooks.models import DeliveryState, SubscriptionStatus, WebhookDelivery
from tradeledger.webhooks.service import Files, Queue, day_closed

log = logging.getLogger(__name__)
IDLE_S = 1.0
STATEMENTS_POLL_S = 0.25
MAX_ERROR_CHARS = 500
MAX_DOUBLINGS = 40  # the delay is capped long before; this only keeps the power finite


@dataclass(frozen=True)
class Message:
    """What one attempt sends: read from the queue, sent outside any database transaction."""

    delivery_id: int
    message_id: str
    url: str
    secret: str
    payload: str


def signed_headers(secret: str, message_id: str, payload: str, at: datetime) -> dict[str, str]:
    """The Standard Webhooks headers: HMAC-SHA256 over `id.timestamp.body`, keyed with the subscription secret."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, at, payload),
        "content-type": "application/json",
        "user-agent": f"tradeledger-webhooks/{__version__}",
    }


class Deliverer:
    """The dispatcher loop and its pool of senders (see the module docstring)."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        settings: Settings,
        files: Files,
        closed_until: Callable[[], datetime | None],
    ) -> None:
        self.sessions = sessions
        self.settings = settings
        self.queue = Queue(files)
        self.closed_until = closed_until
        self._busy: set[str] = set()  # subscriptions a sender is working on
        self._subscribed = True  # whether the last pass found an active subscription (or one changed since)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._pool: ThreadPoolExecutor | None = None
        self._loop: PollingLoop | None = None
        # only the status line is awaited (the body is never read), so each phase's timeout bounds an attempt
        self._client = httpx.Client(timeout=settings.webhook_timeout_s, follow_redirects=False)

    def start(self) -> None:
        self._pool = ThreadPoolExecutor(self.settings.webhook_concurrency, thread_name_prefix="webhook-sender")
        self._loop = PollingLoop("webhooks", self.step, interval=IDLE_S)
        self._loop.start()

    def wake(self) -> None:
        """New events were indexed: queue and dispatch them now, instead of sleeping on, if a subscription is active."""
        if self._loop is not None and self._subscribed:
            self._loop.wake()

    def changed(self) -> None:
        """A subscription was created, resumed or replayed (or a queue finished): queue and dispatch now."""
        self._subscribed = True
        if self._loop is not None:
            self._loop.wake()

    def stop(self) -> None:
        """Stop dispatching; attempts in flight finish (each bounded by the timeout) and are recorded."""
        self._stopping.set()
        if self._loop is not None:
            self._loop.stop()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        self._client.close()

    def step(self) -> int:
        """Queue what is new, then start a sender for every due subscription without one; the messages queued.
        Sleeps until the next retry is due, at most IDLE_S (STATEMENTS_POLL_S while statements are wanted)."""
        queued, statements = self.fill()
        wait = self.dispatch() if self._subscribed or self._busy else IDLE_S  # no active subscription: no head
        if self._loop is not None:
            self._loop.interval = min(wait, STATEMENTS_POLL_S) if statements else wait
        return queued

    def fill(self) -> tuple[int, bool]:
        """Queue what is new for every active subscription; the messages queued, and whether any subscription
        wants statements."""
        with self.sessions() as db:
            subscriptions = repository.active_subscriptions(db)
            last = repository.last_event_id(db) if subscriptions else None
        self._subscribed = bool(subscriptions)
        statements = any(s.statements for s in subscriptions)
        closed = self._closed() if statements else None
        queued = 0
        for subscription in subscriptions:
            new_events = last is not None and (subscription.cursor is None or subscription.cursor < last)
            if not (new_events or day_closed(subscription, closed)):
                continue  # nothing new: no write transaction (on SQLite it would queue behind the indexer's)
            try:
                with transaction(self.sessions) as db:
                    row = repository.subscription(db, subscription.id)
                    if row is not None and row.status is SubscriptionStatus.ACTIVE:
                        queued += self.queue.fill(db, row, closed)
            except TradeLedgerError as error:  # one subscription's trouble (a key not hosted) holds up no other
                log.warning("webhook subscription %s: cannot queue: %s", subscription.id, error.message)
        return queued, statements

    def _closed(self) -> datetime | None:
        """The time of the last indexed block; None while the node lacks it (a reorg): statements wait."""
        try:
            return self.closed_until()
        except ChainUnavailableError as error:
            log.warning("webhook statements wait: %s", error.message)
            return None

    def dispatch(self) -> float:
        """Start a sender for every due subscription without one (as many as the pool has room for); the seconds
        until the next head not sent now falls due, at most IDLE_S."""
        assert self._pool is not None
        with self._lock:
            busy = set(self._busy)
        free = self.settings.webhook_concurrency - len(busy)
        if free <= 0:
            return IDLE_S  # a sender that finishes wakes the dispatcher
        now = utcnow()
        with self.sessions() as db:
            heads = repository.next_heads(db, busy, free + 1)
        for subscription_id, _ in [head for head in heads if head[1] <= now][:free]:
            with self._lock:
                self._busy.add(subscription_id)
            self._pool.submit(self._send_queue, subscription_id)
        later = [due for _, due in heads if due > now]
        return min(IDLE_S, (later[0] - now).total_seconds()) if later else IDLE_S

    def _send_queue(self, subscription_id: str) -> None:
        """Send one subscription's due messages in order until it has none due (or the service stops)."""
        try:
            while not self._stopping.is_set():
                message = self._next(subscription_id)
                if message is None:
                    return
                self._attempt(message)
        except Exception:
            log.exception("webhook subscription %s: sender failed", subscription_id)
        finally:
            with self._lock:
                self._busy.discard(subscription_id)
            self.changed()  # the dispatcher learns when this queue's next attempt is due, and has a sender free

    def _next(self, subscription_id: str) -> Message | None:
        with self.sessions() as db:
            subscription = repository.subscription(db, subscription_id)
            head = repository.head(db, subscription_id)
            if (
                subscription is None
                or subscription.status is not SubscriptionStatus.ACTIVE
                or head is None
                or head.state is not DeliveryState.PENDING
                or head.next_attempt_at > utcnow()
            ):
                return None
            return Message(head.id, head.message_id, subscription.url, subscription.secret, head.payload)

    def _attempt(self, message: Message) -> None:
        status: int | None = None
        error: str | None = None
        try:
            request = self._client.build_request(
                "POST",
                message.url,
                content=message.payload.encode("utf-8"),
                headers=signed_headers(message.secret, message.message_id, message.payload, utcnow()),
            )
            response = self._client.send(request, stream=True)
            status = response.status_code
            response.close()
            if not 200 <= status < 300:
                error = f"HTTP {status}"
        except httpx.HTTPError as failure:
            error = f"{type(failure).__name__}: {failure}"[:MAX_ERROR_CHARS]
        self._record(message, status, error)

    def _record(self, message: Message, status: int | None, error: str | None) -> None:
        now = utcnow()
        with transaction(self.sessions) as db:
            row = db.get(WebhookDelivery, message.delivery_id)
            if row is None or row.state is not DeliveryState.PENDING:
                return  # cancelled by a replay, or the subscription was deleted, while the attempt ran
            row.attempts += 1
            row.last_status = status
            row.last_error = error
            row.first_attempt_at = row.first_attempt_at or now
            if error is None:
                row.state = DeliveryState.DELIVERED
                row.delivered_at = now
                return
            backoff = self.settings.webhook_retry_base_s * 2 ** min(row.attempts - 1, MAX_DOUBLINGS)
            delay = min(backoff, self.settings.webhook_retry_max_s)
            retry_until = row.first_attempt_at + timedelta(seconds=self.settings.webhook_retry_for_s)
            if now + timedelta(seconds=delay) > retry_until:
                row.state = DeliveryState.DEAD
                subscription = repository.subscription(db, row.subscription_id)
                if subscription is not None:
                    subscription.status = SubscriptionStatus.FAILED
                log.warning("webhook %s dead after %d attempts: %s", message.message_id, row.attempts, error)
            else:
                row.next_attempt_at = now + timedelta(seconds=delay)
