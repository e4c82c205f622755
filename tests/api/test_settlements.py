"""Transfers and balances over HTTP: auth, object-level access, idempotency, read-your-writes, errors."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import httpx
import pytest
from eth_account.signers.local import LocalAccount
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tests.api.conftest import BANK, OTHER_TRADER, TRADER, Consortium, problem
from tests.members import AGENT, OPERATOR, OTHER_BANK, call
from tradeledger.api import auth, idempotency
from tradeledger.chain.abi import role_id
from tradeledger.identity.models import ApiKey
from tradeledger.identity.service import Caller, caller, create_api_key, revoke_api_key
from tradeledger.store.base import utcnow
from tradeledger.store.db import transaction
from tradeledger.store.models import ChainTransaction
from tradeledger.users.models import User


def _transfer(amount: int = 100, reference: str = "PAY-1") -> dict[str, object]:
    return {"to": OTHER_TRADER.address, "currency": "USD", "amount": amount, "reference": reference}


def _tx_count(consortium: Consortium) -> int:
    with consortium.platform.sessions() as db:
        return db.query(ChainTransaction).count()


class TestTransfer:
    def test_transfer_answers_after_indexing(self, consortium: Consortium) -> None:
        """Read-your-writes: the balance read right after the write shows it."""
        client = consortium.client("trader")
        before = client.get(f"/v1/accounts/{TRADER.address}/balances").json()["balances"][0]["amount"]
        response = client.post("/v1/settlements/transfers", json=_transfer(250), headers={"Idempotency-Key": "t-1"})
        assert response.status_code == 200, response.text
        assert response.json()["state"] == "mined"
        after = client.get(f"/v1/accounts/{TRADER.address}/balances").json()["balances"][0]["amount"]
        assert int(before) - int(after) == 250

    def test_respond_async_answers_202_with_operation_url(self, consortium: Consortium) -> None:
        client = consortium.client("trader")
        response = client.post(
            "/v1/settlements/transfers",
            json=_transfer(1, "PAY-ASYNC"),
            headers={"Idempotency-Key": "t-async", "Prefer": "respond-async"},
        )
        assert response.status_code == 202
        operation = client.get(response.headers["Location"])
        assert operation.status_code == 200 and operation.json()["id"] == response.json()["id"]

    def test_transfer_without_funds_is_a_named_contract_error(self, consortium: Consortium) -> None:
        client = consortium.client("other_trader")
        response = client.post(
            "/v1/settlements/transfers", json=_transfer(10**12), headers={"Idempotency-Key": "t-poor"}
        )
        body = problem(response)
        assert response.status_code in (409, 422)
        assert str(body["code"]).startswith("settlement_")


class TestBadInput:
    def test_bad_fields_are_named(self, consortium: Consortium) -> None:
        client = consortium.client("trader")
        cases = [
            ({**_transfer(), "amount": -5}, "amount"),
            ({**_transfer(), "amount": 1.5}, "amount"),
            ({**_transfer(), "amount": "100"}, "amount"),
            ({**_transfer(), "currency": "usd"}, "currency"),
            ({**_transfer(), "to": "0x123"}, "to"),
            ({**_transfer(), "reference": "x" * 33}, "reference"),
            ({**_transfer(), "surprise": True}, "surprise"),
        ]
        for index, (body, field) in enumerate(cases):
            response = client.post("/v1/settlements/transfers", json=body, headers={"Idempotency-Key": f"bad-{index}"})
            assert response.status_code == 422, (body, response.text)
            assert field in str(problem(response)["detail"])

    def test_unknown_currency_is_422(self, consortium: Consortium) -> None:
        response = consortium.client("trader").post(
            "/v1/settlements/transfers", json={**_transfer(), "currency": "XYZ"}, headers={"Idempotency-Key": "bad-ccy"}
        )
        assert response.status_code == 422
        assert "XYZ" in str(problem(response)["detail"])

    def test_no_api_key_is_401(self, consortium: Consortium) -> None:
        client = consortium.client("trader")
        client.headers.pop("Authorization")
        response = client.get(f"/v1/accounts/{TRADER.address}/balances")
        assert response.status_code == 401 and problem(response)["code"] == "unauthenticated"


class TestBalanceReadCaller:
    """The balance read checks its caller on the event loop, in its query's session: every check still holds,
    for a key already verified (remembered in the process) as for a new one."""

    def _key(self, consortium: Consortium, expires_at: datetime | None = None) -> tuple[str, str]:
        with transaction(consortium.platform.sessions) as db:
            key, token = create_api_key(db, TRADER.address, f"reader-{uuid.uuid4()}", expires_at=expires_at)
        return key.id, token

    def _read(self, consortium: Consortium, token: str) -> httpx.Response:
        client = consortium.client("trader")
        client.headers["Authorization"] = f"Bearer {token}"
        return client.get(f"/v1/accounts/{TRADER.address}/balances")

    def test_a_revoked_key_reads_no_more(self, consortium: Consortium) -> None:
        key_id, token = self._key(consortium)
        answered = self._read(consortium, token)
        assert answered.status_code == 200, answered.text
        assert answered.headers["content-type"] == "application/json"
        assert answered.json()["account"] == TRADER.address
        with transaction(consortium.platform.sessions) as db:
            revoke_api_key(db, key_id)
        refused = self._read(consortium, token)
        assert refused.status_code == 401 and problem(refused)["code"] == "unauthenticated"

    def test_an_expired_key_reads_no_more(self, consortium: Consortium) -> None:
        key_id, token = self._key(consortium, expires_at=utcnow() + timedelta(hours=1))
        assert self._read(consortium, token).status_code == 200
        with transaction(consortium.platform.sessions) as db:
            db.execute(update(ApiKey).where(ApiKey.id == key_id).values(expires_at=utcnow() - timedelta(seconds=1)))
        refused = self._read(consortium, token)
        assert refused.status_code == 401 and problem(refused)["code"] == "unauthenticated"

    def test_a_disabled_user_reads_no_more(self, consortium: Consortium) -> None:
        key_id, token = self._key(consortium)
        assert self._read(consortium, token).status_code == 200
        with transaction(consortium.platform.sessions) as db:
            user_id = db.scalars(select(ApiKey.user_id).where(ApiKey.id == key_id)).one()
            db.execute(update(User).where(User.id == user_id).values(disabled_at=utcnow()))
        refused = self._read(consortium, token)
        assert refused.status_code == 401 and problem(refused)["code"] == "unauthenticated"

    def test_a_wrong_token_with_a_known_prefix_is_refused(self, consortium: Consortium) -> None:
        _, token = self._key(consortium)
        assert self._read(consortium, token).status_code == 200
        refused = self._read(consortium, token[:-4] + "AAAA")
        assert refused.status_code == 401 and problem(refused)["code"] == "unauthenticated"


class TestWriteCaller:
    """A keyed write looks its caller up once, in the idempotency middleware, whose look-up the route takes; every
    check still holds request by request."""

    def _write(self, consortium: Consortium, token: str) -> httpx.Response:
        client = consortium.client("trader")
        client.headers["Authorization"] = f"Bearer {token}"
        headers = {"Idempotency-Key": str(uuid.uuid4()), "Prefer": "respond-async"}
        body = _transfer(1, f"CALLER-{uuid.uuid4().hex[:16]}")
        return client.post("/v1/settlements/transfers", json=body, headers=headers)

    def test_a_keyed_write_looks_its_caller_up_once(
        self, consortium: Consortium, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        looked_up: list[str] = []

        def counted(db: Session, token: str) -> Caller:
            looked_up.append(token)
            return caller(db, token)

        monkeypatch.setattr(auth, "caller", counted)
        monkeypatch.setattr(idempotency, "caller", counted)
        with transaction(consortium.platform.sessions) as db:
            _, token = create_api_key(db, TRADER.address, f"writer-{uuid.uuid4()}")
        answered = self._write(consortium, token)
        assert answered.status_code == 202, answered.text
        assert looked_up == [token]

    def test_a_revoked_key_writes_no_more(self, consortium: Consortium) -> None:
        with transaction(consortium.platform.sessions) as db:
            key, token = create_api_key(db, TRADER.address, f"writer-{uuid.uuid4()}")
        assert self._write(consortium, token).status_code == 202
        with transaction(consortium.platform.sessions) as db:
            revoke_api_key(db, key.id)
        before = _tx_count(consortium)
        refused = self._write(consortium, token)
        assert refused.status_code == 401 and problem(refused)["code"] == "unauthenticated"
        assert _tx_count(consortium) == before

    def test_a_disabled_user_writes_no_more(self, consortium: Consortium) -> None:
        with transaction(consortium.platform.sessions) as db:
            key, token = create_api_key(db, TRADER.address, f"writer-{uuid.uuid4()}")
            db.execute(update(User).where(User.id == key.user_id).values(disabled_at=utcnow()))
        refused = self._write(consortium, token)
        assert refused.status_code == 401 and problem(refused)["code"] == "unauthenticated"


class TestObjectLevelAccess:
    def test_hidden_account_is_byte_identical_to_unknown_one(self, consortium: Consortium) -> None:
        client = consortium.client("other_trader")
        hidden = client.get(f"/v1/accounts/{TRADER.address}/balances")
        unknown = client.get("/v1/accounts/0x000000000000000000000000000000000000dEaD/balances")
        assert hidden.status_code == unknown.status_code == 404
        assert hidden.content.replace(TRADER.address.encode(), b"X") == unknown.content.replace(
            b"0x000000000000000000000000000000000000dEaD", b"X"
        )

    def test_sponsor_bank_sees_its_trader(self, consortium: Consortium) -> None:
        assert consortium.client("bank").get(f"/v1/accounts/{TRADER.address}/balances").status_code == 200
        assert consortium.client("trader").get(f"/v1/accounts/{BANK.address}/balances").status_code == 404


class TestIdempotency:
    def test_sequential_retry_returns_stored_response_one_transaction(self, consortium: Consortium) -> None:
        client = consortium.client("trader")
        before = _tx_count(consortium)
        first = client.post(
            "/v1/settlements/transfers", json=_transfer(3, "IDEM-1"), headers={"Idempotency-Key": "idem-1"}
        )
        second = client.post(
            "/v1/settlements/transfers", json=_transfer(3, "IDEM-1"), headers={"Idempotency-Key": "idem-1"}
        )
        assert first.status_code == second.status_code == 200
        assert first.content == second.content
        assert _tx_count(consortium) == before + 1

    def test_same_key_different_body_is_422(self, consortium: Consortium) -> None:
        client = consortium.client("trader")
        client.post("/v1/settlements/transfers", json=_transfer(4, "IDEM-2"), headers={"Idempotency-Key": "idem-2"})
        again = client.post(
            "/v1/settlements/transfers", json=_transfer(5, "IDEM-2"), headers={"Idempotency-Key": "idem-2"}
        )
        assert again.status_code == 422 and problem(again)["code"] == "idempotency_key_reused"

    def test_missing_key_is_400(self, consortium: Consortium) -> None:
        response = consortium.client("trader").post("/v1/settlements/transfers", json=_transfer())
        assert response.status_code == 400 and problem(response)["code"] == "idempotency_key_missing"

    def test_keys_are_scoped_per_api_key(self, consortium: Consortium) -> None:
        before = _tx_count(consortium)
        mine = consortium.client("trader").post(
            "/v1/settlements/transfers", json=_transfer(6, "IDEM-3"), headers={"Idempotency-Key": "shared"}
        )
        theirs = consortium.client("bank").post(
            "/v1/settlements/transfers", json=_transfer(6, "IDEM-3"), headers={"Idempotency-Key": "shared"}
        )
        assert mine.status_code == theirs.status_code == 200
        assert mine.json()["signer"] == TRADER.address and theirs.json()["signer"] == BANK.address
        assert _tx_count(consortium) == before + 2

    def test_20_concurrent_duplicates_make_one_transaction(self, consortium: Consortium) -> None:
        before = _tx_count(consortium)

        def send(_: int) -> tuple[int, bytes]:
            response = consortium.client("trader").post(
                "/v1/settlements/transfers", json=_transfer(7, "IDEM-C"), headers={"Idempotency-Key": "concurrent"}
            )
            return response.status_code, response.content

        with ThreadPoolExecutor(20) as pool:
            results = list(pool.map(send, range(20)))
        statuses = [status for status, _ in results]
        # 409 while the first runs and nothing is committed; 202 (the operation) once its outbox row is
        assert statuses.count(200) >= 1 and set(statuses) <= {200, 202, 409}
        assert _tx_count(consortium) == before + 1
        operations = {json.loads(content)["id"] for status, content in results if status in (200, 202)}
        assert len(operations) == 1
        retry = consortium.client("trader").post(
            "/v1/settlements/transfers", json=_transfer(7, "IDEM-C"), headers={"Idempotency-Key": "concurrent"}
        )
        stored = next(content for status, content in results if status == 200)
        assert retry.status_code == 200 and retry.content == stored


class TestExternalPayments:
    def test_recorded_then_confirmed_by_payee(self, consortium: Consortium) -> None:
        body = {
            "payee": OTHER_TRADER.address,
            "currency": "EUR",
            "amount": 99_00,
            "rail": "swift",
            "rail_reference": "eb6305c9-1f7f-49de-aed0-16487c27b42d",
            "reference": "INV-EXT-1",
        }
        recorded = consortium.client("trader").post(
            "/v1/settlements/external-payments", json=body, headers={"Idempotency-Key": "ext-1"}
        )
        assert recorded.status_code == 201, recorded.text
        payment = recorded.json()
        assert payment["state"] == "RECORDED" and payment["reference"] == "INV-EXT-1"
        assert payment["rail_reference"] == "eb6305c91f7f49deaed016487c27b42d"
        path = f"/v1/settlements/external-payments/{payment['payment_id']}"
        assert consortium.client("trader").post(
            f"{path}/confirm", headers={"Idempotency-Key": "ext-1-c"}
        ).status_code in (403, 422)
        confirmed = consortium.client("other_trader").post(f"{path}/confirm", headers={"Idempotency-Key": "ext-1-c2"})
        assert confirmed.status_code == 200 and confirmed.json()["state"] == "CONFIRMED"
        assert consortium.client("outsider").get(path).status_code == 404


def test_oversized_payload_is_413_and_writes_nothing(consortium: Consortium) -> None:
    before = _tx_count(consortium)
    body = {**_transfer(), "reference": "x" * 400_000}
    response = consortium.client("trader").post(
        "/v1/settlements/transfers", json=body, headers={"Idempotency-Key": "big"}
    )
    assert response.status_code == 413 and problem(response)["code"] == "payload_too_large"
    assert _tx_count(consortium) == before


class TestSettlementAgent:
    """The agent funds the banks (Settlement lets it issue to and redeem from banks' accounts, and no others)."""

    def _cash(self, consortium: Consortium, who: str, account: str, movement: str, amount: int) -> httpx.Response:
        body = {"currency": "USD", "amount": amount, "reference": f"AGENT-{movement[:3].upper()}"}
        return consortium.client(who).post(
            f"/v1/accounts/{account}/{movement}", json=body, headers={"Idempotency-Key": str(uuid.uuid4())}
        )

    def _balance(self, consortium: Consortium, who: str, account: str) -> int:
        response = consortium.client(who).get(f"/v1/accounts/{account}/balances")
        assert response.status_code == 200, response.text
        return int(response.json()["balances"][0]["amount"])

    @pytest.mark.parametrize("bank", [BANK, OTHER_BANK])
    def test_the_agent_deposits_to_and_withdraws_from_a_bank(self, consortium: Consortium, bank: LocalAccount) -> None:
        deposit = self._cash(consortium, "agent", bank.address, "deposits", 7_000)
        assert deposit.status_code == 200 and deposit.json()["state"] == "mined", deposit.text
        before = self._balance(consortium, "agent", bank.address)
        withdrawal = self._cash(consortium, "agent", bank.address, "withdrawals", 3_000)
        assert withdrawal.status_code == 200, withdrawal.text
        assert before - self._balance(consortium, "agent", bank.address) == 3_000

    def test_the_agent_sees_no_trader_and_moves_no_trader_cash(self, consortium: Consortium) -> None:
        """A trader's issuer is its sponsor bank: to the agent its account answers like an unknown one."""
        unknown = "0x" + "ab" * 20
        for movement in ("deposits", "withdrawals"):
            hidden = self._cash(consortium, "agent", TRADER.address, movement, 1)
            assert hidden.status_code == 404 and problem(hidden)["code"] == "account_not_found"
            assert self._cash(consortium, "agent", unknown, movement, 1).status_code == 404
        assert consortium.client("agent").get(f"/v1/accounts/{TRADER.address}/balances").status_code == 404

    def test_the_agent_sees_nothing_else_of_a_bank(self, consortium: Consortium) -> None:
        client = consortium.client("agent")
        assert client.get("/v1/settlements/external-payments").json()["items"] == []
        assert client.get("/v1/statements").json()["items"] == []

    def test_a_bank_may_not_fund_another_bank(self, consortium: Consortium) -> None:
        """Only the agent holds the role: the other bank's account is not one the bank serves."""
        response = self._cash(consortium, "bank", OTHER_BANK.address, "deposits", 1)
        assert response.status_code == 404

    def test_a_revoked_agent_sees_the_banks_no_more(self, consortium: Consortium) -> None:
        role = (role_id("SETTLEMENT_AGENT_ROLE"), AGENT.address)
        call(consortium.platform, "Settlement", "revokeRole", role, OPERATOR.address)
        try:
            assert self._cash(consortium, "agent", BANK.address, "deposits", 1).status_code == 404
        finally:
            call(consortium.platform, "Settlement", "grantRole", role, OPERATOR.address)
        assert self._cash(consortium, "agent", BANK.address, "deposits", 1).status_code == 200
