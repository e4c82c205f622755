"""Delivery to a real HTTP receiver on loopback: every event the member may see reaches it at least once, in order,
signed; nothing else ever does; through failures, timeouts, restarts, bursts, pauses, replays and dead letters."""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import event

from tests.api.conftest import OTHER_TRADER, OUTSIDER, TRADER
from tests.api.test_lc_transfers import credit_events, reduced_feeds, transferred_and_assigned
from tests.cli.test_configuration_errors import run_cli
from tests.members import Consortium, feed
from tests.webhooks.conftest import subscribe, transfer
from tests.webhooks.receiver import FAIL, HANG, Receiver, wait_until
from tradeledger.webhooks.delivery import IDLE_S


def _start(consortium: Consortium, receiver: Receiver, who: str = "trader", **fields: object) -> tuple[str, str | None]:
    """Subscribe the receiver; the subscription id and its starting cursor."""
    subscription_id, receiver.secret = subscribe(consortium, who, receiver.url, **fields)
    shown = consortium.client(who).get(f"/v1/webhooks/subscriptions/{subscription_id}").json()
    return subscription_id, shown["cursor"]


def _traffic(consortium: Consortium, count: int, tag: str) -> None:
    """Transfers the trader takes part in, interleaved with some it must never hear of."""
    for n in range(count):
        transfer(consortium, "trader", OTHER_TRADER.address, 1 + n, f"{tag}-{n}")
        if n % 2 == 0:
            transfer(consortium, "other_trader", OUTSIDER.address, 1, f"{tag}-hidden-{n}")


def _assert_exactly_the_feed(consortium: Consortium, receiver: Receiver, start: str | None) -> None:
    expected = [int(item["id"]) for item in feed(consortium, "trader", start)]
    wait_until(lambda: receiver.event_ids() == expected, what=f"the {len(expected)} events of the feed")
    assert receiver.bad_signatures == 0
    for message in receiver.messages():
        assert OUTSIDER.address not in str(message.payload), "an event the member may not see was sent"


class TestAtLeastOnceInOrder:
    def test_every_visible_event_in_feed_order_and_nothing_else(self, started: Consortium, receiver: Receiver) -> None:
        _, start = _start(started, receiver)
        _traffic(started, 4, "order")
        _assert_exactly_the_feed(started, receiver, start)
        assert all(TRADER.address in str(m.payload["data"]["args"]) for m in receiver.messages())
        assert {m.payload["type"] for m in receiver.messages()} == {"Settlement.Posted"}

    def test_a_receiver_answering_500_then_recovering(self, started: Consortium, receiver: Receiver) -> None:
        subscription_id, start = _start(started, receiver)
        receiver.plan = [FAIL] * 4
        _traffic(started, 3, "fail")
        _assert_exactly_the_feed(started, receiver, start)
        deliveries = started.client("trader").get(f"/v1/webhooks/subscriptions/{subscription_id}/deliveries").json()
        first = deliveries["items"][0]
        assert first["state"] == "delivered" and first["attempts"] == 5 and first["last_status"] == 204
        assert receiver.requests == len(receiver.event_ids()) + 4

    def test_a_receiver_that_times_out(self, started: Consortium, receiver: Receiver) -> None:
        _, start = _start(started, receiver)
        receiver.plan = [HANG, HANG]
        _traffic(started, 2, "hang")
        _assert_exactly_the_feed(started, receiver, start)
        # the receiver processed the attempts the sender gave up on, and got them again: at least once
        wait_until(lambda: len(receiver.accepted) == len(receiver.messages()) + 2, what="the late duplicates")

    def test_a_receiver_that_restarts(self, started: Consortium, receiver: Receiver) -> None:
        _, start = _start(started, receiver)
        transfer(started, "trader", OTHER_TRADER.address, 5, "restart-before")
        wait_until(lambda: len(receiver.event_ids()) == 1)
        receiver.stop()
        _traffic(started, 2, "restart-down")
        receiver.start()
        _traffic(started, 1, "restart-after")
        _assert_exactly_the_feed(started, receiver, start)

    def test_events_faster_than_the_receiver_answers(self, started: Consortium, receiver: Receiver) -> None:
        _, start = _start(started, receiver)
        receiver.delay = 0.3
        _traffic(started, 8, "burst")
        _assert_exactly_the_feed(started, receiver, start)

    def test_filters(self, started: Consortium, receiver: Receiver) -> None:
        """The bank sees its clients' movements; a filter on one account keeps the others' out."""
        _, start = _start(started, receiver, who="bank", event_types=["Settlement.Posted"], accounts=[OUTSIDER.address])
        _traffic(started, 2, "filter")
        expected = [int(item["id"]) for item in feed(started, "bank", start) if OUTSIDER.address in str(item["args"])]
        wait_until(lambda: receiver.event_ids() == expected, what="the outsider's movements")
        assert expected and receiver.bad_signatures == 0

    @pytest.mark.parametrize(("who", "name"), [("outsider", "HOOK-SB"), ("other_bank", "HOOK-AS")])
    def test_second_beneficiary_and_assignee_get_their_credit_events(
        self, started: Consortium, receiver: Receiver, who: str, name: str
    ) -> None:
        """UCP 600 Art 38, 39: a second beneficiary (the outsider) and an assignee of proceeds (the other bank) get
        the events their reduced view shows, as the feed shows them: their transfer, their presentation, the legs
        paid to them; not the application, the other second beneficiary's transfer nor the reimbursement."""
        _, start = _start(started, receiver, who=who)
        split = transferred_and_assigned(started, name)
        expected = [int(item["id"]) for item in feed(started, who, start)]
        wait_until(lambda: receiver.event_ids() == expected, what=f"the {len(expected)} events of the {who}'s feed")
        lc_id = split.path.rsplit("/", 1)[1]
        delivered = [message.payload["data"] for message in receiver.messages()]
        assert credit_events(delivered, lc_id) == reduced_feeds(split)[who]
        assert receiver.bad_signatures == 0


class TestControl:
    def test_pause_holds_events_and_resume_sends_them_in_order(self, started: Consortium, receiver: Receiver) -> None:
        subscription_id, start = _start(started, receiver)
        trader = started.client("trader")
        path = f"/v1/webhooks/subscriptions/{subscription_id}"
        trader.post(f"{path}/pause", headers={"Idempotency-Key": str(uuid.uuid4())})
        _traffic(started, 2, "paused")
        assert receiver.requests == 0
        trader.post(f"{path}/resume", headers={"Idempotency-Key": str(uuid.uuid4())})
        _assert_exactly_the_feed(started, receiver, start)

    def test_replay_from_a_cursor_sends_again_under_new_ids(self, started: Consortium, receiver: Receiver) -> None:
        subscription_id, start = _start(started, receiver)
        _traffic(started, 2, "replay")
        _assert_exactly_the_feed(started, receiver, start)
        first = receiver.messages()
        response = started.client("trader").post(
            f"/v1/webhooks/subscriptions/{subscription_id}/replay",
            json={"cursor": start},
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
        assert response.status_code == 200, response.text
        wait_until(lambda: len(receiver.messages()) == 2 * len(first), what="the replay")
        again = receiver.messages()[len(first) :]
        assert [m.payload for m in again] == [m.payload for m in first]
        assert not {m.message_id for m in again} & {m.message_id for m in first}

    def test_dead_letter_then_resume(self, started: Consortium, receiver: Receiver) -> None:
        platform = started.platform
        deliverer = platform.webhooks
        deliverer.settings = platform.settings.model_copy(update={"webhook_retry_for_s": 0.5})
        try:
            subscription_id, start = _start(started, receiver)
            receiver.plan = [FAIL] * 1000
            transfer(started, "trader", OTHER_TRADER.address, 3, "dead-1")
            trader = started.client("trader")
            path = f"/v1/webhooks/subscriptions/{subscription_id}"
            wait_until(lambda: trader.get(path).json()["status"] == "failed", what="the dead letter")
            transfer(started, "trader", OTHER_TRADER.address, 4, "dead-2")
            deliveries = trader.get(f"{path}/deliveries").json()["items"]
            assert deliveries[0]["state"] == "dead" and deliveries[0]["attempts"] >= 2
        finally:
            deliverer.settings = platform.settings
        receiver.plan = []
        assert trader.post(f"{path}/resume", headers={"Idempotency-Key": str(uuid.uuid4())}).status_code == 200
        _assert_exactly_the_feed(started, receiver, start)


def test_cli_tail_shows_a_subscriptions_deliveries(started: Consortium, receiver: Receiver, tmp_path: Path) -> None:
    subscription_id, start = _start(started, receiver)
    _traffic(started, 1, "tail")
    _assert_exactly_the_feed(started, receiver, start)
    settings = started.platform.settings
    env = {"TRADELEDGER_DATA_DIR": str(settings.data_dir), "TRADELEDGER_DATABASE_URL": settings.database_url or ""}
    result = run_cli(["webhooks", "tail", subscription_id], env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert receiver.url in result.stdout
    for message in receiver.messages():
        assert message.message_id in result.stdout
    assert "delivered" in result.stdout and "Settlement.Posted" in result.stdout
    missing = run_cli(["webhooks", "tail", str(uuid.uuid4())], env, tmp_path)
    assert missing.returncode == 1 and "no webhook subscription" in missing.stderr


def test_an_idle_dispatcher_sleeps_instead_of_polling(started: Consortium) -> None:
    """With nothing to send and no statements wanted, the dispatcher makes a pass a second (IDLE_S) or less, not
    four: a pass is a query for the active subscriptions and one for the queues' heads, so over three seconds it
    reads the database at most a handful of times (at four passes a second it made 36 queries)."""
    engine = started.platform.engine
    client = started.client("bank")
    for who in started.tokens:  # no subscription left by an earlier test: nothing to send, no statements
        member = started.client(who)
        for item in member.get("/v1/webhooks/subscriptions", params={"limit": 200}).json()["items"]:
            member.delete(f"/v1/webhooks/subscriptions/{item['id']}", headers={"Idempotency-Key": str(uuid.uuid4())})
    assert client.get("/v1/webhooks/subscriptions").json()["items"] == []
    statements: list[str] = []

    def counted(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if threading.current_thread().name == "webhooks" and statement.startswith("SELECT"):
            statements.append(statement)

    time.sleep(IDLE_S)  # the deletions' wake-up passes are over
    event.listen(engine, "before_cursor_execute", counted)
    try:
        time.sleep(3.0)
    finally:
        event.remove(engine, "before_cursor_execute", counted)
    passes = 3.0 / IDLE_S + 1
    assert 2 <= len(statements) <= 2 * passes, statements


def _no_subscriptions(started: Consortium) -> None:
    for who in started.tokens:
        member = started.client(who)
        for item in member.get("/v1/webhooks/subscriptions", params={"limit": 200}).json()["items"]:
            member.delete(f"/v1/webhooks/subscriptions/{item['id']}", headers={"Idempotency-Key": str(uuid.uuid4())})


def test_without_a_subscription_new_events_wake_no_pass(started: Consortium) -> None:
    """The indexer's batches of new events wake the dispatcher only while a subscription is active: without one, it
    makes its pass a second (IDLE_S), each a single query for the active subscriptions, however many blocks of
    events are indexed meanwhile (it made two queries a batch)."""
    _no_subscriptions(started)
    statements: list[str] = []

    def counted(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if threading.current_thread().name == "webhooks" and statement.startswith("SELECT"):
            statements.append(statement)

    time.sleep(IDLE_S)  # the deletions' wake-up passes are over
    engine = started.platform.engine
    event.listen(engine, "before_cursor_execute", counted)
    started_at = time.monotonic()
    try:
        _traffic(started, 6, "unheard")  # nine transfers, each mined and indexed before the next
        elapsed = time.monotonic() - started_at
    finally:
        event.remove(engine, "before_cursor_execute", counted)
    assert len(statements) <= elapsed / IDLE_S + 1, statements
    assert all("webhook_deliveries" not in statement for statement in statements)


def test_a_subscription_made_elsewhere_is_delivered_without_a_wake_up(
    started: Consortium, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A subscription created through another process (here: this one's `changed` not called) is found by the
    dispatcher's next pass, and gets every event of its feed, those indexed before that pass too: no event missed."""
    _no_subscriptions(started)
    time.sleep(IDLE_S)  # a pass has found no active subscription: new events no longer wake the dispatcher
    monkeypatch.setattr(started.platform.webhooks, "changed", lambda: None)
    _, start = _start(started, receiver)
    _traffic(started, 3, "elsewhere")
    _assert_exactly_the_feed(started, receiver, start)
