"""Subscriptions through the API: a member's own only, problem+json errors, Idempotency-Key, read-only auditors."""

from __future__ import annotations

import uuid

import pytest

from tests.api.conftest import OUTSIDER, TRADER, problem
from tests.idempotency import age_incomplete_records, refused_completion
from tests.members import Consortium
from tests.webhooks.conftest import subscribe
from tradeledger.codec import InvalidValueError
from tradeledger.webhooks.service import check_url

HOOK = "http://127.0.0.1:9/hook"


def _key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


class TestLifecycle:
    def test_create_shows_the_secret_once_and_lists_own_only(self, started: Consortium) -> None:
        trader = started.client("trader")
        response = trader.post(
            "/v1/webhooks/subscriptions",
            json={"url": HOOK, "event_types": ["Settlement.Posted"], "currencies": ["USD"]},
            headers=_key(),
        )
        assert response.status_code == 201, response.text
        created = response.json()
        assert created["secret"].startswith("whsec_")
        subscription_id = created["subscription"]["id"]
        assert response.headers["location"] == f"/v1/webhooks/subscriptions/{subscription_id}"
        shown = trader.get(f"/v1/webhooks/subscriptions/{subscription_id}").json()
        assert shown["status"] == "active" and "secret" not in shown
        assert subscription_id in [s["id"] for s in trader.get("/v1/webhooks/subscriptions").json()["items"]]
        for other in ("other_trader", "bank", "auditor"):
            listed = started.client(other).get("/v1/webhooks/subscriptions").json()["items"]
            assert subscription_id not in [s["id"] for s in listed]

    def test_pause_resume_delete(self, started: Consortium) -> None:
        trader = started.client("trader")
        subscription_id, _ = subscribe(started, "trader", HOOK)
        path = f"/v1/webhooks/subscriptions/{subscription_id}"
        assert trader.post(f"{path}/pause", headers=_key()).json()["status"] == "paused"
        assert trader.post(f"{path}/resume", headers=_key()).json()["status"] == "active"
        assert trader.delete(path, headers=_key()).status_code == 204
        assert trader.get(path).status_code == 404

    def test_replay_beyond_the_feed_is_refused(self, started: Consortium) -> None:
        subscription_id, _ = subscribe(started, "trader", HOOK)
        response = started.client("trader").post(
            f"/v1/webhooks/subscriptions/{subscription_id}/replay", json={"cursor": "9" * 18}, headers=_key()
        )
        assert response.status_code == 422 and problem(response)["code"] == "invalid_value"


class TestAccess:
    @pytest.mark.parametrize(
        ("method", "suffix"),
        [("get", ""), ("get", "/deliveries"), ("post", "/pause"), ("post", "/resume"), ("delete", "")],
    )
    def test_another_members_subscription_answers_like_a_missing_one(
        self, started: Consortium, method: str, suffix: str
    ) -> None:
        subscription_id, _ = subscribe(started, "trader", HOOK)
        missing = str(uuid.uuid4())
        for who in ("other_trader", "bank"):
            client = started.client(who)
            theirs = client.request(method, f"/v1/webhooks/subscriptions/{subscription_id}{suffix}", headers=_key())
            none = client.request(method, f"/v1/webhooks/subscriptions/{missing}{suffix}", headers=_key())
            assert theirs.status_code == none.status_code == 404
            assert problem(theirs)["code"] == problem(none)["code"] == "webhook_subscription_not_found"
            assert theirs.text.replace(subscription_id, "<id>") == none.text.replace(missing, "<id>")
        assert started.client("trader").get(f"/v1/webhooks/subscriptions/{subscription_id}").status_code == 200

    def test_auditors_write_nothing(self, started: Consortium) -> None:
        response = started.client("auditor").post("/v1/webhooks/subscriptions", json={"url": HOOK}, headers=_key())
        assert response.status_code == 403 and problem(response)["code"] == "forbidden"

    def test_writes_need_an_idempotency_key_and_replay_the_stored_answer(self, started: Consortium) -> None:
        trader = started.client("trader")
        assert trader.post("/v1/webhooks/subscriptions", json={"url": HOOK}).status_code == 400
        headers = _key()
        first = trader.post("/v1/webhooks/subscriptions", json={"url": HOOK}, headers=headers)
        again = trader.post("/v1/webhooks/subscriptions", json={"url": HOOK}, headers=headers)
        assert first.status_code == again.status_code == 201
        assert first.json() == again.json()  # one subscription, one secret
        changed = trader.post("/v1/webhooks/subscriptions", json={"url": HOOK + "2"}, headers=headers)
        assert changed.status_code == 422

    def test_a_subscription_whose_answer_was_lost_is_made_once_and_keeps_its_secret(self, started: Consortium) -> None:
        """The answer commits with the subscription: after a failed completion the retry gets the same secret."""
        trader = started.client("trader")
        before = len(trader.get("/v1/webhooks/subscriptions", params={"limit": 200}).json()["items"])
        headers = _key()
        with refused_completion(started.platform):
            first = trader.post("/v1/webhooks/subscriptions", json={"url": HOOK + "lost"}, headers=headers)
        assert first.status_code == 503, first.text
        age_incomplete_records(started.platform.sessions)
        retry = trader.post("/v1/webhooks/subscriptions", json={"url": HOOK + "lost"}, headers=headers)
        assert retry.status_code == 201, retry.text
        assert retry.json()["secret"].startswith("whsec_")
        assert retry.headers["location"] == f"/v1/webhooks/subscriptions/{retry.json()['subscription']['id']}"
        after = trader.get("/v1/webhooks/subscriptions", params={"limit": 200}).json()["items"]
        assert len(after) == before + 1


class TestValidation:
    @pytest.mark.parametrize(
        ("fields", "code"),
        [
            ({"url": "ftp://127.0.0.1/hook"}, "invalid_value"),
            ({"url": "http://user:pw@127.0.0.1/hook"}, "invalid_value"),
            ({"url": HOOK, "event_types": ["Settlement.Nothing"]}, "invalid_value"),
            ({"url": HOOK, "currencies": ["XYZ"]}, "invalid_value"),
            ({"url": HOOK, "lc_ids": ["-1"]}, "validation_error"),
            ({"url": HOOK, "lc_ids": ["²"]}, "validation_error"),
            ({"url": HOOK, "lc_ids": [str(2**256)]}, "invalid_value"),
            ({"url": HOOK, "accounts": ["0x1234"]}, "invalid_value"),
            ({"url": HOOK, "statements": ["camt.053"]}, "invalid_value"),  # needs currencies
            ({"url": HOOK, "statements": ["mt940"]}, "validation_error"),
            ({"url": HOOK, "secret": "mine"}, "validation_error"),  # the service makes secrets
        ],
    )
    def test_bad_fields_are_4xx_problems(self, started: Consortium, fields: dict[str, object], code: str) -> None:
        response = started.client("trader").post("/v1/webhooks/subscriptions", json=fields, headers=_key())
        assert response.status_code == 422, response.text
        assert problem(response)["code"] == code

    def test_accounts_filter_only_names_accounts_the_member_may_see(self, started: Consortium) -> None:
        trader = started.client("trader")
        hidden = trader.post(
            "/v1/webhooks/subscriptions", json={"url": HOOK, "accounts": [OUTSIDER.address]}, headers=_key()
        )
        assert hidden.status_code == 422
        subscribe(started, "trader", HOOK, accounts=[TRADER.address])
        subscribe(started, "bank", HOOK, accounts=[OUTSIDER.address])  # a client of the bank

    @pytest.mark.parametrize(
        "url", ["http://127.0.0.1/hook", "http://10.0.0.8/hook", "http://[::1]/", "http://localhost/"]
    )
    def test_private_targets_are_refused_unless_allowed(self, url: str) -> None:
        with pytest.raises(InvalidValueError):
            check_url(url, allow_private=False)
        assert check_url(url, allow_private=True) == url
