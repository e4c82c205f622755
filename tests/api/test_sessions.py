"""Browser sessions: sign-in sets a Secure HttpOnly SameSite cookie; cookie writes need the CSRF token; sign-out
ends the session at once; failed sign-ins lock the account; TOTP on for a user, and required by member policy."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pyotp
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.api.conftest import OTHER_BANK, Consortium, problem
from tradeledger.api.app import create_app
from tradeledger.store.base import utcnow
from tradeledger.users.models import LoginThrottle
from tradeledger.users.sessions import LOCKED_FOR, MAX_FAILED_LOGINS, THROTTLE_WINDOW

PASSWORD = "correct horse battery staple"


def person(consortium: Consortium, member: str, username: str, roles: list[str]) -> str:
    created = consortium.client(member).post(
        "/v1/users", json={"username": username, "roles": roles, "password": PASSWORD},
        headers={"Idempotency-Key": f"person-{username}"},
    )  # fmt: skip
    assert created.status_code == 201, created.text
    user_id: str = created.json()["id"]
    return user_id


def browser(consortium: Consortium, source: str = "testclient") -> TestClient:
    """A client without an API key, on https (the cookie is Secure), from the address `source`."""
    return TestClient(create_app(consortium.platform), base_url="https://testserver", client=(source, 50000))


def next_code(totp: pyotp.TOTP) -> str:
    """The code of the next time step: still accepted (one step of clock drift), and newer than one just used."""
    return totp.at(time.time() + totp.interval)


def sign_in(client: TestClient, username: str, password: str = PASSWORD, code: str | None = None) -> Any:
    body = {"member": OTHER_BANK.address, "username": username, "password": password}
    return client.post("/v1/sessions", json=body | ({"totp_code": code} if code else {}))


class TestSessions:
    def test_cookie_session_with_csrf_then_sign_out(self, consortium: Consortium) -> None:
        person(consortium, "other_bank", "bea", ["administrator"])
        client = browser(consortium)
        signed_in = sign_in(client, "bea")
        assert signed_in.status_code == 201, signed_in.text
        cookie = signed_in.headers["set-cookie"]
        assert "tl_session=" in cookie and "HttpOnly" in cookie and "Secure" in cookie
        assert "samesite=strict" in cookie.lower()
        csrf = signed_in.json()["csrf_token"]
        me = client.get("/v1/me")
        assert me.status_code == 200 and me.json()["username"] == "bea"
        body = {"username": "bea-bot", "kind": "service", "roles": ["viewer"]}
        forged = client.post("/v1/users", json=body, headers={"Idempotency-Key": "bea-1"})
        assert forged.status_code == 403 and problem(forged)["code"] == "csrf_token_invalid"
        wrong = client.post("/v1/users", json=body, headers={"Idempotency-Key": "bea-2", "X-CSRF-Token": "x" * 43})
        assert wrong.status_code == 403
        made = client.post("/v1/users", json=body, headers={"Idempotency-Key": "bea-3", "X-CSRF-Token": csrf})
        assert made.status_code == 201, made.text
        replay = client.post("/v1/users", json=body, headers={"Idempotency-Key": "bea-3", "X-CSRF-Token": csrf})
        assert (replay.status_code, replay.json()) == (201, made.json())  # idempotent for sessions too
        assert client.delete("/v1/sessions/current").status_code == 204
        stale = browser(consortium)
        stale.cookies.set("tl_session", client.cookies.get("tl_session") or signed_in.cookies["tl_session"])
        assert stale.get("/v1/me").status_code == 401
        assert client.get("/v1/me").status_code == 401

    def test_a_cookie_session_reads_balances_and_the_feed(self, consortium: Consortium) -> None:
        """The frequent reads take the session cookie when no bearer key is sent (api.auth.get_reader)."""
        person(consortium, "other_bank", "dee", ["viewer"])
        client = browser(consortium)
        assert sign_in(client, "dee").status_code == 201
        balances = client.get(f"/v1/accounts/{OTHER_BANK.address}/balances")
        assert balances.status_code == 200 and balances.json()["account"] == OTHER_BANK.address, balances.text
        assert client.get("/v1/events?limit=5").status_code == 200
        assert client.delete("/v1/sessions/current").status_code == 204
        assert client.get(f"/v1/accounts/{OTHER_BANK.address}/balances").status_code == 401

    def test_service_accounts_and_wrong_passwords_cannot_sign_in(self, consortium: Consortium) -> None:
        person(consortium, "other_bank", "cy", ["viewer"])
        client = browser(consortium)
        wrong = sign_in(client, "cy", "not the password")
        unknown = sign_in(client, "nobody-here")
        assert wrong.status_code == unknown.status_code == 401
        assert problem(wrong)["detail"] == problem(unknown)["detail"]  # no user enumeration


class TestBruteForce:
    def test_locked_after_repeated_failures_even_with_the_right_password(self, consortium: Consortium) -> None:
        person(consortium, "other_bank", "dan", ["viewer"])
        client = browser(consortium)
        for _ in range(MAX_FAILED_LOGINS):
            assert sign_in(client, "dan", "guess").status_code == 401
        locked = sign_in(client, "dan")
        assert locked.status_code == 429 and problem(locked)["code"] == "account_locked"
        log = consortium.client("other_bank").get("/v1/audit-log/export", params={"format": "json"}).json()
        refusals = [e for e in log if e["username"] == "dan" and e["action"] == "session.login"]
        assert [e["outcome"] for e in refusals][-2:] == ["refused: wrong credentials", "refused: locked for testclient"]

    def test_a_guesser_elsewhere_does_not_lock_the_user_out(self, consortium: Consortium) -> None:
        """Failures count per (account, source): the guesser's address is locked, the user's own is not."""
        person(consortium, "other_bank", "dot", ["viewer"])
        guesser = browser(consortium, "203.0.113.9")
        for _ in range(MAX_FAILED_LOGINS):
            assert sign_in(guesser, "dot", "guess").status_code == 401
        assert sign_in(guesser, "dot").status_code == 429
        assert sign_in(browser(consortium, "198.51.100.7"), "dot").status_code == 201

    def test_each_lock_lasts_twice_as_long(self, consortium: Consortium) -> None:
        person(consortium, "other_bank", "dex", ["viewer"])
        guesser = browser(consortium, "203.0.113.10")
        for _ in range(MAX_FAILED_LOGINS):
            sign_in(guesser, "dex", "guess")
        with consortium.platform.transaction() as db:  # the first lock has run out
            throttle = db.get(LoginThrottle, (OTHER_BANK.address, "dex", "203.0.113.10"))
            assert throttle is not None and throttle.locked_until is not None
            first = throttle.locked_until - utcnow()
            throttle.locked_until = utcnow() - timedelta(seconds=1)
        for _ in range(MAX_FAILED_LOGINS):
            assert sign_in(guesser, "dex", "guess").status_code == 401
        with consortium.platform.sessions() as db:
            throttle = db.get(LoginThrottle, (OTHER_BANK.address, "dex", "203.0.113.10"))
            assert throttle is not None and throttle.locked_until is not None
            second = throttle.locked_until - utcnow()
        assert LOCKED_FOR - timedelta(minutes=1) < first <= LOCKED_FOR
        assert 2 * LOCKED_FOR - timedelta(minutes=1) < second <= 2 * LOCKED_FOR

    def test_housekeeping_prunes_throttles_whose_window_has_passed(self, consortium: Consortium) -> None:
        """The heartbeat's housekeeping forgets a source once nothing is left to enforce: reset by a success, or
        silent for THROTTLE_WINDOW with no lock in force; a lock in force or a recent failure stays."""
        now = utcnow()
        long_ago = now - THROTTLE_WINDOW - timedelta(minutes=1)
        rows = {  # source: (failures, locked_until, updated_at, kept)
            "reset-by-success": (0, None, now, False),
            "silent-past-window": (3, None, long_ago, False),
            "lock-ran-out-long-ago": (10, long_ago + LOCKED_FOR, long_ago, False),
            "failed-lately": (2, None, now - timedelta(minutes=5), True),
            "locked-now": (5, now + LOCKED_FOR, now, True),
            "locked-long-after-silence": (20, now + timedelta(minutes=1), long_ago, True),
        }
        with consortium.platform.transaction() as db:
            for source, (failures, locked_until, updated_at, _) in rows.items():
                db.add(LoginThrottle(member=OTHER_BANK.address, username="housekeeping", source=source,
                                     failures=failures, locked_until=locked_until, updated_at=updated_at))  # fmt: skip
        consortium.platform.housekeeping()
        with consortium.platform.sessions() as db:
            left = set(db.scalars(select(LoginThrottle.source).where(LoginThrottle.username == "housekeeping")))
        assert left == {source for source, (*_, kept) in rows.items() if kept}


class TestSecondFactor:
    def test_totp_enrolled_then_required_at_sign_in(self, consortium: Consortium) -> None:
        person(consortium, "other_bank", "eve", ["checker"])
        client = browser(consortium)
        csrf = sign_in(client, "eve").json()["csrf_token"]
        headers = {"X-CSRF-Token": csrf}
        enrolment = client.post("/v1/me/totp", headers={**headers, "Idempotency-Key": "eve-t"})
        assert enrolment.status_code == 201, enrolment.text
        totp = pyotp.TOTP(enrolment.json()["secret"])
        bad = client.post("/v1/me/totp/confirm", json={"code": "000000" if totp.now() != "000000" else "111111"},
                          headers={**headers, "Idempotency-Key": "eve-c0"})  # fmt: skip
        assert bad.status_code == 422
        on = client.post(
            "/v1/me/totp/confirm", json={"code": totp.now()}, headers={**headers, "Idempotency-Key": "eve-c"}
        )
        assert on.status_code == 200 and on.json()["totp_enabled"]
        assert sign_in(browser(consortium), "eve").status_code == 401  # no code
        code = next_code(totp)
        assert sign_in(browser(consortium), "eve", code=code).status_code == 201
        replayed = sign_in(browser(consortium), "eve", code=code)  # the same code again, within its window
        assert replayed.status_code == 401 and problem(replayed)["code"] == "login_failed"

    def test_member_policy_requires_a_second_factor(self, consortium: Consortium) -> None:
        user_id = person(consortium, "other_bank", "fay", ["viewer"])
        admin = consortium.client("other_bank")
        required = admin.post("/v1/security-policy", json={"require_totp": True}, headers={"Idempotency-Key": "pol-1"})
        assert required.status_code == 200
        try:
            refused = sign_in(browser(consortium), "fay")
            assert refused.status_code == 403 and problem(refused)["code"] == "totp_required"
            secret = admin.post(f"/v1/users/{user_id}/totp", headers={"Idempotency-Key": "fay-t"}).json()["secret"]
            confirmed = admin.post(f"/v1/users/{user_id}/totp/confirm", json={"code": pyotp.TOTP(secret).now()},
                                   headers={"Idempotency-Key": "fay-c"})  # fmt: skip
            assert confirmed.status_code == 200, confirmed.text
            assert sign_in(browser(consortium), "fay", code=next_code(pyotp.TOTP(secret))).status_code == 201
        finally:
            admin.post("/v1/security-policy", json={"require_totp": False}, headers={"Idempotency-Key": "pol-0"})
