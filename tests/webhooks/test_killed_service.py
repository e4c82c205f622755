"""A real `tradeledger serve` SIGKILLed while it delivers to a slow receiver, then started again: every event still
reaches the receiver, in order, signed (a message cut off by the kill is sent again under the same webhook-id)."""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.cli.test_configuration_errors import run_cli
from tests.cli.test_serve import _free_port, _interrupt, _serve_until_healthy
from tests.webhooks.receiver import Receiver, wait_until

TRANSFERS = 8


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver().start()
    yield receiver
    receiver.stop()


def _posted(client: httpx.Client, after: str | None) -> list[dict[str, Any]]:
    """The caller's `Posted` events after a cursor, from the feed (its pages are short enough at this size)."""
    page = client.get("/events", params={"limit": 200, **({"cursor": after} if after else {})}).json()
    return [event for event in page["items"] if event["event"] == "Posted"]


@pytest.mark.slow
def test_killed_mid_delivery_resumes_where_it_stopped(tmp_path: Path, database_url: str, receiver: Receiver) -> None:
    port = _free_port()
    settings = {
        "TRADELEDGER_DATABASE_URL": database_url,
        "TRADELEDGER_WEBHOOK_ALLOW_LOOPBACK": "true",
        "TRADELEDGER_WEBHOOK_RETRY_BASE_S": "0.05",
        "TRADELEDGER_WEBHOOK_RETRY_MAX_S": "0.5",
        "TRADELEDGER_WEBHOOK_TIMEOUT_S": "5",
    }
    process: subprocess.Popen[str] | None = None
    try:
        process, _ = _serve_until_healthy(tmp_path, port, settings)
        keys = {m["handle"]: m for m in json.loads((tmp_path / "data" / "demo-keys.json").read_text())}
        importer = httpx.Client(
            base_url=f"http://127.0.0.1:{port}/v1",
            headers={"Authorization": f"Bearer {keys['IMPORTER']['api_key']}"},
            timeout=30,
        )
        created = importer.post(
            "/webhooks/subscriptions",
            json={"url": receiver.url, "event_types": ["Settlement.Posted"]},
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
        assert created.status_code == 201, created.text
        receiver.secret = created.json()["secret"]
        start = created.json()["subscription"]["cursor"]
        receiver.delay = 0.5  # the service queues faster than the receiver answers
        for n in range(TRANSFERS):
            body = {"to": keys["EXPORTER"]["address"], "currency": "USD", "amount": 100 + n, "reference": f"KILL-{n}"}
            headers = {"Idempotency-Key": str(uuid.uuid4()), "Prefer": "respond-async"}
            assert importer.post("/settlements/transfers", json=body, headers=headers).status_code == 202
        wait_until(lambda: len(receiver.messages()) >= 2, what="the first deliveries")
        process.kill()
        process.wait(timeout=30)
        assert len(receiver.messages()) < TRANSFERS, "killed mid-delivery"

        process, _ = _serve_until_healthy(tmp_path, port, settings)
        wait_until(lambda: len(_posted(importer, start)) == TRANSFERS, timeout=120, what="every transfer indexed")
        expected = [int(event["id"]) for event in _posted(importer, start)]
        wait_until(lambda: receiver.event_ids() == expected, timeout=120, what="every event delivered in order")
        assert receiver.bad_signatures == 0
        amounts = [m.payload["data"]["args"]["amount"] for m in receiver.messages()]
        assert sorted(amounts) == list(range(100, 100 + TRANSFERS))
        _interrupt(process)
    finally:
        if process is not None and process.poll() is None:
            process.kill()
        run_cli(["chain", "stop"], {}, tmp_path)  # the dev chain the killed service left running
