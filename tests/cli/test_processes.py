"""Processes by job (issue #22): one `tradeledger engine` and two API workers (`tradeledger serve --role api`) on
one database serve writes and reads; a worker SIGKILLed in the middle of a burst of deposits loses nothing. Its
clients retry on the other worker with their Idempotency-Keys, and every deposit is on chain exactly once."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.cli.test_configuration_errors import TRADELEDGER, assert_one_line_error, run_cli
from tests.cli.test_serve import _free_port
from tests.cli.test_serve_crash import _retried, _wait_settled, assert_each_deposit_once, burst_then_kill
from tradeledger.cli import _sharing
from tradeledger.config import Settings, load_settings
from tradeledger.processes import sharing_processes

BURST = 24
CLIENTS = 6
KILL_AFTER_ANSWERS = 3  # of the killed worker's own answers
START_TIMEOUT_S = 180


def _start(tmp_path: Path, args: list[str], env: dict[str, str], log: str) -> subprocess.Popen[bytes]:
    environment = {"TRADELEDGER_DATA_DIR": str(tmp_path / "data"), "PATH": "/usr/bin:/bin", **env}
    with (tmp_path / log).open("wb") as out:
        return subprocess.Popen([TRADELEDGER, *args], env=environment, cwd=tmp_path, stdout=out,
                                stderr=subprocess.STDOUT)  # fmt: skip


def _wait_for(process: subprocess.Popen[bytes], log: Path, ready: object) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text(errors="replace")
        if callable(ready) and ready():
            return
        time.sleep(0.2)
    raise AssertionError(f"not ready in {START_TIMEOUT_S} s: {log.read_text(errors='replace')[-2000:]}")


def _answers(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/v1/ready", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def _usd_balance(base: str, account: str, headers: dict[str, str]) -> int:
    response = httpx.get(f"{base}/v1/accounts/{account}/balances", headers=headers, timeout=10)
    assert response.status_code == 200, response.text
    return sum(int(b["amount"]) for b in response.json()["balances"] if b["currency"] == "USD")


def test_two_api_workers_and_an_engine_lose_nothing_when_a_worker_is_killed(tmp_path: Path, database_url: str) -> None:
    # three processes share the database's connections (README: Processes): each sizes its pools to a third
    env = {"TRADELEDGER_DATABASE_URL": database_url, "TRADELEDGER_DATABASE_PROCESSES": "3"}
    engine_log = tmp_path / "engine.log"
    engine = _start(tmp_path, ["engine"], env, engine_log.name)
    workers: list[subprocess.Popen[bytes]] = []
    try:
        _wait_for(engine, engine_log, lambda: b"engine running" in engine_log.read_bytes())
        ports = [_free_port(), _free_port()]
        for index, port in enumerate(ports):
            worker = _start(tmp_path, ["serve", "--role", "api"], {**env, "TRADELEDGER_PORT": str(port)},
                            f"worker{index}.log")  # fmt: skip
            workers.append(worker)
        for index, (worker, port) in enumerate(zip(workers, ports, strict=True)):
            _wait_for(worker, tmp_path / f"worker{index}.log", lambda port=port: _answers(port))

        members = {m["handle"]: m for m in json.loads((tmp_path / "data" / "demo-keys.json").read_text())}
        headers = {"Authorization": f"Bearer {members['BANK_A']['api_key']}"}
        importer = members["IMPORTER"]["address"]
        urls = [f"http://127.0.0.1:{port}/v1/accounts/{importer}/deposits" for port in ports]
        base = f"http://127.0.0.1:{ports[1]}"
        before = _usd_balance(base, importer, headers)
        answered = burst_then_kill(  # even deposits to the worker that is killed, odd ones to the other
            lambda index: urls[index % 2], headers, CLIENTS,
            lambda answered: sum(1 for i in answered if i % 2 == 0) >= KILL_AFTER_ANSWERS, workers[0], BURST,
        )  # fmt: skip
        assert set(answered.values()) == {200}, answered
        lost = [index for index in range(BURST) if index not in answered]
        assert lost, "the kill came in the middle of the burst: some requests to the killed worker had no answer"
        assert all(index % 2 == 0 for index in lost), "the other worker answered every request it was sent"

        # every client retries on the surviving worker: answered ones get the same answer, lost ones run (once)
        retried = {index: _retried(urls[1], headers, index) for index in range(BURST)}
        assert set(retried.values()) <= {200, 202}, retried
        assert all(retried[index] == 200 for index in answered), "an answered request is answered the same"

        _wait_settled(base)
        assert_each_deposit_once(database_url, importer, BURST)

        # the read model the worker serves is the engine's: the importer's balance holds every deposit, once
        assert _usd_balance(base, importer, headers) == before + BURST
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGINT)
                worker.wait(timeout=60)
        if engine.poll() is None:
            engine.send_signal(signal.SIGINT)  # the engine stops its dev chain, which saves its state
            assert engine.wait(timeout=60) == 0, engine_log.read_text(errors="replace")[-2000:]
        run_cli(["chain", "stop"], {}, tmp_path)


def test_an_api_worker_without_its_engine_says_so(tmp_path: Path) -> None:
    """It never starts a dev chain of its own (two chains on one data directory would fork the ledger)."""
    assert_one_line_error(run_cli(["serve", "--role", "api"], {}, tmp_path), "start `tradeledger engine` first")
    assert not (tmp_path / "data" / "chain" / "anvil.json").exists()


def test_an_unknown_role_is_refused(tmp_path: Path) -> None:
    assert_one_line_error(run_cli(["serve", "--role", "indexer"], {}, tmp_path), "--role must be one of all, api")


def test_serve_tells_the_api_workers_it_spawns_how_many_processes_share_the_database(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRADELEDGER_DATABASE_PROCESSES", "0")
    monkeypatch.delenv("TRADELEDGER_DATABASE_PROCESSES")  # unset, and unset again after the test
    shared = _sharing(settings, sharing_processes("all", 3))
    assert shared.database_processes == 4  # the engine and 3 API workers
    assert load_settings(_env_file=None).database_processes == 4  # what each worker reads at its start
