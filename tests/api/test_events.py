"""The event feed: complete for an auditor-like view of one's own objects, never another member's events."""

from __future__ import annotations

import pytest

from tests.api.conftest import OTHER_TRADER, OUTSIDER, TRADER, Consortium, problem
from tests.members import feed
from tradeledger.identity.service import create_api_key, revoke_api_key
from tradeledger.store.db import transaction


def test_feed_shows_own_events_and_never_others(consortium: Consortium) -> None:
    transfer = {"to": OTHER_TRADER.address, "currency": "USD", "amount": 11, "reference": "FEED-1"}
    consortium.client("trader").post("/v1/settlements/transfers", json=transfer, headers={"Idempotency-Key": "feed-1"})
    mine = feed(consortium, "trader")
    assert any(e["event"] == "Posted" and e["args"]["ref"] != "" for e in mine)  # type: ignore[index]
    outsider = feed(consortium, "outsider")
    for event in outsider:  # other modules on this worker's chain may make the outsider a party with the trader
        assert "FEED-1" not in str(event["args"]), event
        if event["event"] == "Posted":
            assert OUTSIDER.address in (event["args"]["debitAccount"], event["args"]["creditAccount"]), event
    assert any(OUTSIDER.address in str(e["args"]) for e in outsider)  # its own onboarding
    ids = [int(str(e["id"])) for e in mine]
    assert ids == sorted(set(ids))


@pytest.mark.parametrize(
    ("path", "cursor", "status"),
    [
        ("/v1/events", "9" * 18, 200),  # feed positions are rows of this instance's database
        ("/v1/events", "9" * 19, 422),  # beyond 64 bits: refused, never a database error
        ("/v1/statements", "9" * 19, 422),
        ("/v1/lcs", "9" * 76, 200),  # on-chain ids are uint256
    ],
)
def test_cursors_out_of_range_are_refused_not_crashed_on(
    consortium: Consortium, path: str, cursor: str, status: int
) -> None:
    response = consortium.client("auditor").get(path, params={"cursor": cursor})
    assert response.status_code == status, response.text


def test_a_revoked_key_reads_the_feed_no_more(consortium: Consortium) -> None:
    """The feed checks its caller in its query's session (`api.auth.Reader`), on every page."""
    with transaction(consortium.platform.sessions) as db:
        key, token = create_api_key(db, TRADER.address, "feed-reader")
    client = consortium.client("trader")
    client.headers["Authorization"] = f"Bearer {token}"
    assert client.get("/v1/events", params={"limit": 5}).status_code == 200
    with transaction(consortium.platform.sessions) as db:
        revoke_api_key(db, key.id)
    refused = client.get("/v1/events", params={"limit": 5})
    assert refused.status_code == 401 and problem(refused)["code"] == "unauthenticated"
