"""`tradeledger serve` as `make run` runs it (the main job's test uses these), and the dev chain's own commands."""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx

from tests.cli.test_configuration_errors import TRADELEDGER, run_cli


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _serve_until_healthy(
    tmp_path: Path, port: int, extra: dict[str, str] | None = None
) -> tuple[subprocess.Popen[str], dict[str, object]]:
    environment = {
        "TRADELEDGER_DATA_DIR": str(tmp_path / "data"),
        "TRADELEDGER_PORT": str(port),
        "PATH": "/usr/bin:/bin",
        **(extra or {}),
    }
    process = subprocess.Popen([TRADELEDGER, "serve"], env=environment, cwd=tmp_path, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # fmt: skip
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            assert process.poll() is None, process.stdout.read() if process.stdout else ""
            try:
                if httpx.get(f"http://127.0.0.1:{port}/v1/ready", timeout=2).status_code == 200:
                    return process, httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=2).json()
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise AssertionError("tradeledger serve did not become ready in 120 s")
    except BaseException:
        process.kill()
        raise


def _members(port: int, api_key: str) -> list[dict[str, str]]:
    response = httpx.get(
        f"http://127.0.0.1:{port}/v1/members", headers={"Authorization": f"Bearer {api_key}"}, timeout=10
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, str]] = response.json()["items"]
    return items


def _address(members: list[dict[str, str]], kind: str) -> str:
    return next(m["address"] for m in members if m["kind"] == kind)


def _interrupt(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=60) == 0


def test_chain_start_status_stop(tmp_path: Path) -> None:
    assert run_cli(["chain", "status"], {}, tmp_path).returncode == 3
    started = run_cli(["chain", "start"], {}, tmp_path)
    assert started.returncode == 0, started.stderr
    try:
        status = run_cli(["chain", "status"], {}, tmp_path)
        assert status.returncode == 0, status.stderr
        assert "1337" in status.stdout
    finally:
        stopped = run_cli(["chain", "stop"], {}, tmp_path)
    assert stopped.returncode == 0 and "stopped" in stopped.stdout
    assert run_cli(["chain", "status"], {}, tmp_path).returncode == 3
