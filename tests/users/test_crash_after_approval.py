"""A real `tradeledger serve` SIGKILLed between the last approval of a held honour and the chain having its
transaction, then started again: the honour is on chain exactly once, and the checker's retry sends nothing more.

The kill point is made certain on the node, not in the service: the dev chain stops mining before the last
approval, so the approval commits with its outbox row and the node holds nothing mined; the service is killed
(its engine had signed the row and sent it, or not yet: the row is still requested); the node then forgets its
pool (as a node restarted from its state would), so the chain has never had the transaction. Only the restarted
service can send it: the bytes it stored if it had signed them, else signed once by its engine on restart.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from tests.api.test_lcs import INVOICE, TODAY, application
from tests.cli.test_configuration_errors import run_cli
from tests.cli.test_serve import _free_port, _interrupt, _serve_until_healthy
from tradeledger.store.db import make_engine, session_factory
from tradeledger.store.models import ChainTransaction
from tradeledger.users.models import ApprovalRequest, RequestStatus

DRAWING = 7_500


def _rpc(url: str, method: str, *params: object) -> Any:
    answer = httpx.post(url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}, timeout=10)
    body = answer.json()
    assert "error" not in body, body
    return body["result"]


def _ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


class Api:
    """The served API as one member's key (or one user's), with an Idempotency-Key per write."""

    def __init__(self, base: str, token: str, name: str) -> None:
        self.client = httpx.Client(base_url=f"{base}/v1", headers={"Authorization": f"Bearer {token}"}, timeout=60)
        self.name = name

    def post(self, path: str, key: str, body: dict[str, Any] | None = None, **headers: str) -> httpx.Response:
        return self.client.post(path, json=body, headers={"Idempotency-Key": f"{self.name}-{key}", **headers})

    def user(self, username: str, roles: list[str]) -> str:
        """A service account of this member with `roles`: its API key's token."""
        created = _ok(self.post("/users", username, {"username": username, "kind": "service", "roles": roles}), 201)
        issued = _ok(self.post(f"/users/{created['id']}/api-keys", f"{username}-key", {"label": username}), 201)
        return str(issued["token"])


def _held_honour(base: str, keys: dict[str, dict[str, str]]) -> tuple[Api, str, str]:
    """Bank A requires one checker on honours above USD 50.00; a credit it issues is presented; its maker's honour
    is held. The checker, the request id and the presentation's path."""
    bank = Api(base, keys["BANK_A"]["api_key"], "bank")
    agent = Api(base, keys["AGENT"]["api_key"], "agent")
    _ok(agent.post(f"/accounts/{keys['BANK_A']['address']}/deposits", "fund",
                   {"currency": "USD", "amount": 100_000, "reference": "FUND-CRASH"}))  # fmt: skip
    maker = Api(base, bank.user("crash-maker", ["maker"]), "maker")
    checker = Api(base, bank.user("crash-checker", ["checker"]), "checker")
    policy = {"operation": "lc.honour", "currency": "USD", "threshold": 5_000, "approvals": 1}
    _ok(bank.post("/approval-policies", "policy", policy), 201)

    body = application(lc_number="LC-CRASH-1", amount="2000.00")
    body.update(beneficiary=keys["EXPORTER"]["address"], issuing_bank=keys["BANK_A"]["address"],
                advising_bank=keys["BANK_A"]["address"], available_with_bank=keys["BANK_A"]["address"])  # fmt: skip
    lc = _ok(Api(base, keys["IMPORTER"]["api_key"], "importer").post("/lcs", "apply", body), 201)
    path = f"/lcs/{lc['lc_id']}"
    _ok(bank.post(f"{path}/issue", "issue"))
    drawing = {"documents": [INVOICE], "amount": DRAWING, "shipment_date": TODAY.isoformat()}
    shown = _ok(Api(base, keys["EXPORTER"]["api_key"], "exporter").post(f"{path}/presentations", "present", drawing))
    presentation = f"{path}/presentations/{shown['presentations'][-1]['presentation_id']}"
    request = _ok(maker.post(f"{presentation}/honour", "honour"), 202)
    assert request["status"] == "pending"
    return checker, str(request["id"]), presentation


def _honours(database_url: str) -> list[ChainTransaction]:
    engine = make_engine(database_url)
    try:
        with session_factory(engine)() as db:
            rows = db.scalars(select(ChainTransaction).where(ChainTransaction.function == "honour")).all()
            db.expunge_all()
            return list(rows)
    finally:
        engine.dispose()


def _request(database_url: str, request_id: str) -> ApprovalRequest:
    engine = make_engine(database_url)
    try:
        with session_factory(engine)() as db:
            row = db.get(ApprovalRequest, request_id)
            assert row is not None
            db.expunge(row)
            return row
    finally:
        engine.dispose()


def _mined_honours(rpc_url: str, tx_hash: str) -> int:
    """How many blocks hold the honour: 0 or 1 (a transaction hash is in at most one block of a chain)."""
    receipt = _rpc(rpc_url, "eth_getTransactionReceipt", tx_hash)
    return 0 if receipt is None else 1


def test_killed_after_the_last_approval_sends_it_once_on_restart(tmp_path: Path, database_url: str) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    extra = {"TRADELEDGER_DATABASE_URL": database_url, "TRADELEDGER_WRITE_TIMEOUT_S": "3"}
    process: subprocess.Popen[str] | None = None
    try:
        process, _ = _serve_until_healthy(tmp_path, port, extra)
        keys = {m["handle"]: m for m in json.loads((tmp_path / "data" / "demo-keys.json").read_text())}
        record = json.loads((tmp_path / "data" / "chain" / "anvil.json").read_text())
        rpc_url = f"http://127.0.0.1:{record['port']}"
        checker, request_id, presentation = _held_honour(base, keys)
        assert _honours(database_url) == []

        _rpc(rpc_url, "evm_setIntervalMining", 0)  # from now on the node accepts transactions and mines none
        approved = checker.post(f"/approvals/{request_id}/approve", "approve", {"reason": "documents comply"},
                                Prefer="respond-async")  # fmt: skip
        assert approved.status_code == 202, approved.text  # stored and handed to the node; not mined
        process.kill()  # SIGKILL: no shutdown
        process.wait(timeout=30)
        _rpc(rpc_url, "anvil_dropAllTransactions")  # the node forgets it: the chain never had it

        stored = _request(database_url, request_id)
        assert stored.status is RequestStatus.SENT and stored.transaction_id and stored.trail_hash
        (honour,) = _honours(database_url)
        assert honour.id == stored.transaction_id and honour.block_number is None
        assert honour.tx_hash is None or _mined_honours(rpc_url, honour.tx_hash) == 0

        _rpc(rpc_url, "evm_setIntervalMining", 1)
        process, _ = _serve_until_healthy(tmp_path, port, extra)
        deadline = time.monotonic() + 60
        while (sent := _honours(database_url)[0]).tx_hash is None or _mined_honours(rpc_url, sent.tx_hash) == 0:
            assert time.monotonic() < deadline, "the restarted service did not send the stored honour"
            time.sleep(0.5)
        assert honour.tx_hash in (None, sent.tx_hash)  # what was signed before the kill is what was sent

        retry = checker.post(f"/approvals/{request_id}/approve", "approve", {"reason": "documents comply"},
                             Prefer="respond-async")  # fmt: skip
        assert retry.status_code == 202 and retry.json()["id"] == stored.transaction_id, retry.text
        bank = Api(base, keys["BANK_A"]["api_key"], "bank")
        while (state := _presentation_state(bank, presentation)) != "HONOURED" and time.monotonic() < deadline:
            time.sleep(0.5)
        assert state == "HONOURED"
        assert [row.tx_hash for row in _honours(database_url)] == [sent.tx_hash]  # signed once, sent once
        _interrupt(process)
    finally:
        if process is not None and process.poll() is None:
            process.kill()
        run_cli(["chain", "stop"], {}, tmp_path)


def _presentation_state(bank: Api, presentation: str) -> str:
    lc_path, presentation_id = presentation.split("/presentations/")
    credit = bank.client.get(lc_path).json()
    return str(next(p["state"] for p in credit["presentations"] if str(p["presentation_id"]) == presentation_id))
