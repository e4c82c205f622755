"""Issue #15's regression: `tradeledger serve` killed (SIGKILL) in the middle of a burst of deposits, restarted,
and every request retried with its Idempotency-Key long after (its record looks abandoned): each deposit is
on chain exactly once, whether its client heard an answer or not. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from sqlalchemy import func, select

from tests.cli.test_configuration_errors import run_cli
from tests.cli.test_serve import _free_port, _interrupt, _serve_until_healthy
from tradeledger.codec import reference_bytes
from tradeledger.settlements.models import LedgerPosting
from tradeledger.store.db import make_engine, session_factory

BURST = 40
CLIENTS = 8
KILL_AFTER_ANSWERS = BURST // 4


def _reference(index: int) -> str:
    return f"BURST-{index}"


def _deposit(url: str, headers: dict[str, str], index: int) -> int | None:
    """Deposit request `index` with its own Idempotency-Key; its status, or None if the service died first."""
    body = {"currency": "USD", "amount": 1, "reference": _reference(index)}
    try:
        response = httpx.post(url, json=body, headers={**headers, "Idempotency-Key": f"burst-{index}"}, timeout=60)
    except httpx.TransportError:
        return None
    return response.status_code


def _retried(url: str, headers: dict[str, str], index: int, deadline_s: float = 60) -> int | None:
    """A client's retry after the restart: while the killed process's record is still "in flight" (until its
    heartbeat is known stale, seconds after the kill), it waits and asks again."""
    deadline = time.monotonic() + deadline_s
    while (status := _deposit(url, headers, index)) == 409 and time.monotonic() < deadline:
        time.sleep(0.5)
    return status


def _wait_settled(base: str, deadline_s: float = 120) -> None:
    """Until nothing is pending and the read model has caught up with the node (bounded)."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        health = httpx.get(f"{base}/v1/health", timeout=10).json()
        if health["pending_transactions"] == 0 and health["indexed_block"] >= health["block_number"] - 1:
            return
        time.sleep(0.5)
    raise AssertionError(f"not settled after {deadline_s} s: {health}")


def burst_then_kill(
    url_of: Callable[[int], str],
    headers: dict[str, str],
    clients: int,
    enough: Callable[[dict[int, int]], bool],
    victim: subprocess.Popen[str] | subprocess.Popen[bytes],
    burst: int = BURST,
) -> dict[int, int]:
    """`burst` deposits by `clients` concurrent clients (deposit `index` sent to `url_of(index)`), and a SIGKILL of
    `victim` once the answers so far are `enough`: no shutdown, whatever it had in flight stays as it is. The
    answers heard, by deposit."""
    answered: dict[int, int] = {}

    def deposit(index: int) -> None:
        status = _deposit(url_of(index), headers, index)
        if status is not None:
            answered[index] = status

    with ThreadPoolExecutor(clients) as pool:
        for index in range(burst):
            pool.submit(deposit, index)
        deadline = time.monotonic() + 120
        while not enough(dict(answered)) and time.monotonic() < deadline:
            time.sleep(0.005)
        victim.kill()
        victim.wait(timeout=30)
    return answered


def assert_each_deposit_once(database_url: str, account: str, burst: int) -> None:
    """Every deposit of the burst (by its reference) credited to `account` exactly once in the read model."""
    engine = make_engine(database_url)
    with session_factory(engine)() as db:
        counts = dict(
            db.execute(
                select(LedgerPosting.reference, func.count())
                .where(LedgerPosting.credit_account == account)
                .group_by(LedgerPosting.reference)
            ).all()
        )
    engine.dispose()
    on_chain = {index: counts.get("0x" + reference_bytes(_reference(index)).hex(), 0) for index in range(burst)}
    assert on_chain == dict.fromkeys(range(burst), 1), {i: n for i, n in on_chain.items() if n != 1}


def test_a_crash_between_answer_and_record_never_pays_twice(tmp_path: Path, database_url: str) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    extra = {"TRADELEDGER_DATABASE_URL": database_url}
    process, _ = _serve_until_healthy(tmp_path, port, extra)
    try:
        members = {m["handle"]: m for m in json.loads((tmp_path / "data" / "demo-keys.json").read_text())}
        headers = {"Authorization": f"Bearer {members['BANK_A']['api_key']}"}
        url = f"{base}/v1/accounts/{members['IMPORTER']['address']}/deposits"
        answered = burst_then_kill(
            lambda _: url, headers, CLIENTS, lambda answered: len(answered) >= KILL_AFTER_ANSWERS, process
        )
        assert set(answered.values()) == {200}, answered
        assert KILL_AFTER_ANSWERS <= len(answered) < BURST, "the kill came in the middle of the burst"

        process, _ = _serve_until_healthy(tmp_path, port, extra)
        retried = {index: _retried(url, headers, index) for index in range(BURST)}
        assert set(retried.values()) <= {200, 202}, retried
        assert all(retried[index] == 200 for index in answered), "an answered request is answered the same"

        _wait_settled(base)
        assert_each_deposit_once(database_url, members["IMPORTER"]["address"], BURST)
    finally:
        if process.poll() is None:
            _interrupt(process)
        run_cli(["chain", "stop"], {}, tmp_path)
