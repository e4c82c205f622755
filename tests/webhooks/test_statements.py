"""Statements as they happen: a camt.054 per movement and a camt.053 at each UTC day's close, delivered as files
with their signed manifests (the very files and manifests `GET /v1/statements/{id}` serves)."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.api.conftest import OTHER_TRADER, OUTSIDER, TRADER
from tests.members import Consortium
from tests.webhooks.conftest import subscribe, transfer
from tests.webhooks.receiver import Receiver, wait_until


def _files(receiver: Receiver, kind: str) -> list[dict[str, Any]]:
    return [m.payload["data"] for m in receiver.messages() if m.payload["type"] == f"statement.{kind}"]


def _check_file(consortium: Consortium, data: dict[str, Any]) -> None:
    """The delivered file is the one its signed manifest describes, and the one the statements API serves."""
    content = base64.b64decode(data["file_base64"])
    manifest = data["signed_manifest"]["manifest"]
    assert "0x" + hashlib.sha256(content).hexdigest() == manifest["file_sha256"]
    assert manifest["account"] == TRADER.address
    trader = consortium.client("trader")
    statement_id = data["statement"]["id"]
    assert trader.get(f"/v1/statements/{statement_id}/file").content == content
    assert trader.get(f"/v1/statements/{statement_id}/manifest").json() == data["signed_manifest"]


def test_camt054_per_movement_follows_its_event(started: Consortium, receiver: Receiver) -> None:
    """The notice covers its movement's second on chain: the chain's clock is moved a second on first, so that a
    movement of the package's earlier tests cannot share that second (it would be an entry of the notice too)."""
    _, receiver.secret = subscribe(
        started, "trader", receiver.url, event_types=["Settlement.Posted"], statements=["camt.054"]
    )
    started.platform.chain.backend.rpc().call("evm_increaseTime", [1])
    transfer(started, "trader", OTHER_TRADER.address, 7, "camt054-1")
    wait_until(lambda: len(receiver.messages()) == 2, what="the event and its notification")
    event, notice = receiver.messages()
    assert event.payload["type"] == "Settlement.Posted"
    assert notice.payload["type"] == "statement.camt.054"
    data = notice.payload["data"]
    assert data["statement"]["format"] == "camt.054.001.08" and data["statement"]["entry_count"] == 1
    assert data["file_name"].endswith(".xml") and data["media_type"] == "application/xml"
    _check_file(started, data)
    assert receiver.bad_signatures == 0


def test_camt054_of_the_accounts_a_subscription_names_only(started: Consortium, receiver: Receiver) -> None:
    """A bank filtering by one client's account gets that account's notifications, not those of its other clients
    (a posting it sees on them comes first: the notification after it shows it was passed over, not still queued)."""
    _, receiver.secret = subscribe(
        started, "bank", receiver.url, event_types=["Settlement.Posted"], accounts=[TRADER.address],
        statements=["camt.054"],
    )  # fmt: skip
    transfer(started, "other_trader", OUTSIDER.address, 3, "camt054-other")
    transfer(started, "trader", OTHER_TRADER.address, 5, "camt054-mine")
    wait_until(lambda: len(receiver.messages()) == 2, what="the trader's event and its notification")
    event, notice = receiver.messages()
    assert event.payload["type"] == "Settlement.Posted"
    assert event.payload["data"]["args"]["debitAccount"] == TRADER.address
    assert notice.payload["type"] == "statement.camt.054"
    assert notice.payload["data"]["signed_manifest"]["manifest"]["account"] == TRADER.address
    assert receiver.bad_signatures == 0


def test_camt053_when_the_day_closes_on_chain(started: Consortium, receiver: Receiver) -> None:
    """Runs last in the package: it moves this chain's clock past midnight."""
    _, receiver.secret = subscribe(
        started, "trader", receiver.url, event_types=["Settlement.Posted"], currencies=["USD"], statements=["camt.053"]
    )
    transfer(started, "trader", OTHER_TRADER.address, 9, "camt053-1")
    wait_until(lambda: len(receiver.messages()) == 1, what="the day's event")
    now = datetime.now(UTC)
    midnight = datetime(now.year, now.month, now.day, tzinfo=UTC) + timedelta(days=1)
    started.platform.chain.backend.rpc().call("evm_increaseTime", [int((midnight - now).total_seconds()) + 2])
    transfer(started, "trader", OTHER_TRADER.address, 10, "camt053-2")  # the next day
    wait_until(lambda: len(receiver.messages()) == 3, what="the day's statement, then the next day's event")
    first, statement, after = receiver.messages()
    assert [first.payload["type"], statement.payload["type"], after.payload["type"]] == [
        "Settlement.Posted",
        "statement.camt.053",
        "Settlement.Posted",
    ]
    data = statement.payload["data"]
    assert data["statement"]["period_end"].startswith(midnight.strftime("%Y-%m-%dT00:00:00"))
    assert data["statement"]["format"] == "camt.053.001.08"
    _check_file(started, data)
    assert receiver.bad_signatures == 0
