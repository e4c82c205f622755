"""The main job as a newcomer does it (issue: DESIGN.md §7): start the platform as `make run` does, follow the
README's walk with its own `curl` commands, run `tradeledger demo` against it, then interrupt and restart it
and find everything where it was."""

from __future__ import annotations

import hashlib
import json
import queue
import shutil
import subprocess
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.cli.test_configuration_errors import TRADELEDGER
from tests.cli.test_serve import _free_port, _interrupt, _serve_until_healthy
from tests.readme import Example, examples, expected_matches, json_values, text_matches

ROOT = Path(__file__).resolve().parents[2]
BLOCK_TIMEOUT_S = 180
# How far the chain's clock runs ahead of the wall clock when the walk starts: past the walk's furthest date (an
# expiry 60 days on), as `tradeledger demo` or an earlier walk leave a dev chain (each moves its clock on for good).
CHAIN_AHEAD = timedelta(days=90)


class Bash:
    """One bash session fed the README's blocks one after the other, so variables carry from block to block."""

    def __init__(self, cwd: Path) -> None:
        environment = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(cwd), "LANG": "C.UTF-8"}
        self.process = subprocess.Popen(
            ["bash", "--noprofile", "--norc"], cwd=cwd, env=environment, text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )  # fmt: skip
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)

    def run(self, script: str) -> tuple[int, str]:
        """Run a block; its exit status and everything it printed."""
        marker = f"__readme_block_done_{uuid.uuid4().hex}__"
        assert self.process.stdin is not None
        self.process.stdin.write(f"{script}\n__status=$?\necho\necho {marker} $__status\n")
        self.process.stdin.flush()
        output = []
        while True:
            line = self.lines.get(timeout=BLOCK_TIMEOUT_S)
            if line.startswith(marker):
                return int(line.split()[1]), "".join(output)
            output.append(line)

    def close(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)


@dataclass
class Served:
    home: Path
    port: int
    process: subprocess.Popen[str]

    def auditor(self) -> httpx.Client:
        keys = {m["handle"]: m["api_key"] for m in json.loads((self.home / "data" / "demo-keys.json").read_text())}
        return httpx.Client(
            base_url=f"http://127.0.0.1:{self.port}", headers={"Authorization": f"Bearer {keys['AUDITOR']}"}, timeout=30
        )


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """`tradeledger serve` in a home of its own, on a free port, with the project's virtual environment at
    `.venv` as in a clone (the README calls `.venv/bin/tradeledger`)."""
    home = tmp_path_factory.mktemp("newcomer")
    (home / ".venv").symlink_to(ROOT / ".venv")
    port = _free_port()
    process, _ = _serve_until_healthy(home, port)
    served = Served(home, port, process)
    yield served
    if served.process.poll() is None:
        _interrupt(served.process)


def _problem(values: list[object]) -> bool:
    return any(isinstance(v, dict) and {"type", "title", "status"} <= v.keys() for v in values)


def _chain_clock_moved_on(served: Served) -> None:
    """The dev chain's clock moved ahead of the wall clock, as a newcomer's earlier demo or walk leaves it: the
    walk's dates must be the chain's (the contracts check them against its clock), not the wall clock's."""
    ahead = (datetime.now(UTC) + CHAIN_AHEAD).date()
    environment = {"PATH": "/usr/bin:/bin", "TRADELEDGER_PORT": str(served.port)}
    moved = subprocess.run(
        [TRADELEDGER, "chain", "advance", "--past", ahead.isoformat()], cwd=served.home, env=environment,
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert moved.returncode == 0, moved.stdout + moved.stderr
    with served.auditor() as client:
        chain_day = datetime.fromtimestamp(client.get("/v1/health").json()["chain_time"], UTC).date()
    assert chain_day > ahead


def _readme_walk_runs_as_written(served: Served) -> None:
    blocks = examples()
    assert len(blocks) >= 8 and all(b.expected or b.expected_text for b in blocks), "the walk shows its answers"
    bash = Bash(served.home)
    try:
        for block in blocks:
            _check(bash, block)
    finally:
        bash.close()


def _check(bash: Bash, block: Example) -> None:
    status, output = bash.run(block.script)
    where = f"README.md line {block.line}:\n{block.script}\n--- printed:\n{output}"
    assert status == 0, where
    if block.expected_text is not None:
        problems = text_matches(block.expected_text, output)
        assert not problems, where + "\n--- differs from the README's answer:\n" + "\n".join(problems)
        return
    if block.expected is None:
        try:
            printed = json_values(output)
        except json.JSONDecodeError:
            return
        assert not _problem(printed), where
        return
    printed = json_values(output)
    problems = expected_matches(block.expected, printed)
    assert not problems, where + "\n--- differs from the README's answer:\n" + "\n".join(problems)


def _demo_against_the_running_platform(served: Served) -> None:
    out = served.home / "out"
    environment = {"PATH": "/usr/bin:/bin", "TRADELEDGER_PORT": str(served.port)}
    demo = subprocess.run(
        [TRADELEDGER, "demo", "--out", str(out)], cwd=served.home, env=environment, capture_output=True, text=True,
        timeout=600,
    )  # fmt: skip
    assert demo.returncode == 0, demo.stdout + demo.stderr
    summary = {check["check"]: check for check in json.loads((out / "summary.json").read_text())}
    assert all(check["passed"] for check in summary.values()), summary
    assert set(summary) >= {
        "LC honoured and settled",
        "guarantee demand examined and paid",
        "title passed with payment",
        "duplicate financing refused",
        "open account: data matched",
        "open account: undertaking established, direct payment refused",
        "open account: receivables discount",
        "open account: settled on the due date by the scheduler",
        "statements valid in every format",
        "bilateral anchors agreed",
        "audit verify passed",
    }
    files = list((out / "statements").rglob("*.*"))
    assert {path.suffix for path in files} >= {".xml", ".sta", ".csv", ".json"}


def _snapshot(served: Served) -> dict[str, object]:
    """What a user would check after a restart: every balance, every LC, every statement and its file."""
    with served.auditor() as client:
        members = client.get("/v1/members", params={"limit": 200}).json()["items"]
        balances = {m["address"]: client.get(f"/v1/accounts/{m['address']}/balances").json() for m in members}
        lcs = client.get("/v1/lcs", params={"limit": 200}).json()["items"]
        statements = client.get("/v1/statements", params={"limit": 200}).json()["items"]
        files = {s["id"]: hashlib.sha256(client.get(f"/v1/statements/{s['id']}/file").content).hexdigest()
                 for s in statements}  # fmt: skip
    return {"balances": balances, "lcs": lcs, "statements": statements, "files": files}


def _interrupt_and_restart_loses_nothing(served: Served) -> None:
    before = _snapshot(served)
    assert before["lcs"] and before["statements"], "the walk and the demo ran first"
    deployment = (served.home / "data" / "deployment.json").read_text()
    _interrupt(served.process)
    assert not (served.home / "data" / "chain" / "anvil.json").exists(), "serve stops the chain it started"
    served.process, health = _serve_until_healthy(served.home, served.port)
    assert (served.home / "data" / "deployment.json").read_text() == deployment, "no second deployment"
    assert health["chain_id"] == 1337
    assert _snapshot(served) == before


def test_walk_then_demo_then_restart_loses_nothing(served: Served) -> None:
    """The main job in a newcomer's order on one running platform: the README walk as written, `tradeledger demo`
    against it, then Ctrl-C and `serve` again with nothing lost. One test, so the three never land on different
    xdist workers (each with a platform of its own: the restart found an empty one). The chain's clock runs ahead
    of the wall clock from the start, as after a demo: the walk goes by the chain's day."""
    _chain_clock_moved_on(served)
    _readme_walk_runs_as_written(served)
    _demo_against_the_running_platform(served)
    _interrupt_and_restart_loses_nothing(served)


def test_the_walk_tools_are_installed() -> None:
    """The walk's tools, besides curl: jq reads the answers (as the README says)."""
    for tool in ("bash", "curl", "jq"):
        assert shutil.which(tool, path="/usr/local/bin:/usr/bin:/bin"), f"{tool} is needed by the README's walk"
