"""A started platform (background indexer and webhook delivery) on a dev chain with the API tests' consortium, on
SQLite and on PostgreSQL; back-off and timeouts short through settings so that every test stays bounded."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.api.conftest import OTHER_TRADER, OUTSIDER, TRADER
from tests.conftest import POSTGRES_URL, _fresh_postgres_database
from tests.members import AGENT, AUDITOR, BANK, OTHER_BANK, Consortium, api_keys, found, issue
from tests.webhooks.receiver import Receiver
from tradeledger.config import load_settings
from tradeledger.runtime import open_platform

WEBHOOK_SETTINGS = {
    "webhook_timeout_s": 1.0,
    "webhook_retry_base_s": 0.05,
    "webhook_retry_max_s": 0.4,
    "webhook_retry_for_s": 60.0,
    "webhook_concurrency": 4,
    "webhook_allow_loopback": True,
}


@pytest.fixture(scope="package", params=["sqlite", "postgresql"])
def started(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Consortium]:
    """The consortium of tests/api (the founding bank sponsors three traders, TRADER funded), delivering."""
    drop = None
    url = None
    if request.param == "postgresql":
        if not POSTGRES_URL:
            pytest.skip("TRADELEDGER_TEST_DATABASE_URL is not set")
        url, drop = _fresh_postgres_database(POSTGRES_URL, migrated=True)
    data_dir = Path(tmp_path_factory.mktemp("webhooks")) / "data"
    settings = load_settings(data_dir=data_dir, database_url=url, _env_file=None, **WEBHOOK_SETTINGS)
    platform = open_platform(settings)
    try:
        platform.start()
        found(platform, traders=(TRADER, OTHER_TRADER, OUTSIDER))
        issue(platform, BANK, 1_000_000, "FUND-BANK", issuer=AGENT)
        for trader in (TRADER, OTHER_TRADER):
            issue(platform, trader, 50_000, f"FUND-{trader.address[:8]}", issuer=BANK)
        members = {"bank": BANK, "trader": TRADER, "other_trader": OTHER_TRADER, "outsider": OUTSIDER,
                   "auditor": AUDITOR, "other_bank": OTHER_BANK}  # fmt: skip
        yield Consortium(platform, api_keys(platform, members))
    finally:
        platform.close()
        if drop is not None:
            drop()


@pytest.fixture
def receiver(started: Consortium) -> Iterator[Receiver]:
    """A receiver for one test; its subscriptions go with it, so that no later receiver on a reused port hears
    from them."""
    receiver = Receiver(hang_s=1.5).start()  # HANG outlasts the 1 s timeout of WEBHOOK_SETTINGS
    yield receiver
    receiver.stop()
    for who in started.tokens:
        client = started.client(who)
        for subscription in client.get("/v1/webhooks/subscriptions", params={"limit": 200}).json()["items"]:
            if subscription["url"] == receiver.url:
                client.delete(
                    f"/v1/webhooks/subscriptions/{subscription['id']}", headers={"Idempotency-Key": str(uuid.uuid4())}
                )


def transfer(consortium: Consortium, who: str, to: str, amount: int, reference: str) -> None:
    """A transfer through the API, answered once its block is indexed."""
    body = {"to": to, "currency": "USD", "amount": amount, "reference": reference}
    response = consortium.client(who).post(
        "/v1/settlements/transfers", json=body, headers={"Idempotency-Key": str(uuid.uuid4())}
    )
    assert response.status_code in (200, 201), response.text


def subscribe(consortium: Consortium, who: str, url: str, **fields: object) -> tuple[str, str]:
    """A new subscription of `who`: its id and secret."""
    response = consortium.client(who).post(
        "/v1/webhooks/subscriptions", json={"url": url, **fields}, headers={"Idempotency-Key": str(uuid.uuid4())}
    )
    assert response.status_code == 201, response.text
    body = response.json()
    return body["subscription"]["id"], body["secret"]
