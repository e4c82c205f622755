"""The event feed: complete for an auditor-like view of one's own objects, never another member's events."""

from __future__ import annotations

import pytest

from tests.api.conftest import OTHER_TRADER, OUTSIDER, Consortium
from tests.members import feed


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
