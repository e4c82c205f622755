"""The platform as real processes: `tradeledger serve` (which starts the dev chain it manages, as `make run` does)
in a home of its own, on SQLite or on a database of a private PostgreSQL cluster, and the faults done to them.

Every process is started here and stopped here by its pid: `serve` is our child; the dev chain's anvil is the
child of a `serve` or of `tradeledger chain start`, and its pid is read from the record the dev chain keeps
(`data/chain/anvil.json`). The dev chain listens on a fixed loopback port (TRADELEDGER_DEV_CHAIN_PORT), so a
chain started again after a kill is where the running service and the drill expect it.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

import httpx
from sqlalchemy import Engine

from tests.pgcluster import PgCluster, free_port
from tradeledger.store.db import database_url, make_engine

ROOT = Path(__file__).resolve().parents[2]
TRADELEDGER = str(ROOT / ".venv" / "bin" / "tradeledger")
READY_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 60.0
REVIVE_WAIT_S = 10.0  # after a kill of the node alone, how long the service may take to start it again


class Fault(Enum):
    NODE = "kill -9 node"
    SERVICE = "kill -9 service"
    BOTH = "kill -9 node+service"
    POSTGRES = "postgres immediate restart"


def _alive(pid: int) -> bool:
    """Whether `pid` runs: a killed anvil stays a zombie until its parent (a `serve`, not us) reaps it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def _kill(pid: int, sig: signal.Signals = signal.SIGKILL) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


@dataclass(frozen=True)
class Member:
    handle: str
    address: str
    api_key: str


@dataclass
class ServedPlatform:
    """`tradeledger serve` on the dev chain in `home`, on SQLite or on `cluster`'s database `database`."""

    home: Path
    cluster: PgCluster | None = None
    database: str | None = None
    port: int = field(default_factory=free_port)
    chain_port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    anvil_pids: set[int] = field(default_factory=set)
    starts: int = 0

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def rpc_url(self) -> str:
        return f"http://127.0.0.1:{self.chain_port}"

    @property
    def database_url(self) -> str:
        if self.cluster is not None and self.database is not None:
            return self.cluster.url(self.database)
        return database_url(None, self.data_dir)

    def environment(self) -> dict[str, str]:
        environment = {
            "PATH": "/usr/bin:/bin",
            "HOME": str(self.home),
            "TRADELEDGER_DATA_DIR": str(self.data_dir),
            "TRADELEDGER_PORT": str(self.port),
            "TRADELEDGER_DEV_CHAIN_PORT": str(self.chain_port),
        }
        if self.cluster is not None:
            environment["TRADELEDGER_DATABASE_URL"] = self.database_url
        return environment

    # -- processes ---------------------------------------------------------------------------------------------

    def serve(self) -> None:
        """Start `tradeledger serve` as `make run` does and wait until it is ready (it starts the dev chain when
        none runs for its data directory, and attaches to the one that does)."""
        self.home.mkdir(parents=True, exist_ok=True)
        self.starts += 1
        log = (self.home / f"serve-{self.starts}.log").open("wb")
        self.process = subprocess.Popen([TRADELEDGER, "serve"], env=self.environment(), cwd=self.home,
                                        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)  # fmt: skip
        log.close()
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"tradeledger serve exited with {self.process.returncode}: {self.log_tail()}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{self.api_url}/v1/ready", timeout=2).status_code == 200:
                    self._note_anvil()
                    return
            time.sleep(0.2)
        raise RuntimeError(f"tradeledger serve was not ready after {READY_TIMEOUT_S:.0f} s: {self.log_tail()}")

    def start_chain(self) -> None:
        """`tradeledger chain start`: the dev chain on its port again, from its state file (a no-op if it runs)."""
        deadline = time.monotonic() + READY_TIMEOUT_S
        while True:
            result = subprocess.run([TRADELEDGER, "chain", "start"], env=self.environment(), cwd=self.home,
                                    capture_output=True, text=True, timeout=READY_TIMEOUT_S)  # fmt: skip
            if result.returncode == 0:
                self._note_anvil()
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"tradeledger chain start failed: {result.stdout}{result.stderr}")
            time.sleep(0.5)

    def _revived(self, killed: int) -> bool:
        """Whether the service started its dev chain again by itself (it does for the chain it started; one it
        attached to is the operator's to start) within REVIVE_WAIT_S."""
        deadline = time.monotonic() + REVIVE_WAIT_S
        while time.monotonic() < deadline:
            pid = self.anvil_pid()
            if pid is not None and pid != killed:
                with contextlib.suppress(httpx.TransportError):
                    body = {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}
                    if httpx.post(self.rpc_url, json=body, timeout=2).status_code == 200:
                        self._note_anvil()
                        return True
            time.sleep(0.2)
        return False

    def anvil_pid(self) -> int | None:
        try:
            pid = int(json.loads((self.data_dir / "chain" / "anvil.json").read_text())["pid"])
        except (OSError, ValueError, KeyError):
            return None
        return pid if _alive(pid) else None

    def _note_anvil(self) -> None:
        pid = self.anvil_pid()
        if pid is not None:
            self.anvil_pids.add(pid)

    @staticmethod
    def _wait_gone(pid: int) -> None:
        deadline = time.monotonic() + STOP_TIMEOUT_S
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.02)

    def inject(self, fault: Fault) -> None:
        """Do `fault` (SIGKILL, both at the same instant as in a power loss, or PostgreSQL's immediate shutdown)
        and bring back what it took down: `serve` again (it starts the dev chain if none runs); a node killed under
        a running service, the service itself if it manages that chain, else `tradeledger chain start`."""
        if fault is Fault.POSTGRES:
            assert self.cluster is not None, "a PostgreSQL fault needs the platform on the private cluster"
            self.cluster.restart(crash=True)
            return
        node = self.anvil_pid() if fault in (Fault.NODE, Fault.BOTH) else None
        if fault in (Fault.NODE, Fault.BOTH):
            if node is None:
                raise RuntimeError("no dev chain runs for this platform: nothing to kill")
            _kill(node)
        if fault in (Fault.SERVICE, Fault.BOTH):
            assert self.process is not None
            self.process.kill()
            self.process.wait(timeout=STOP_TIMEOUT_S)
        if node is not None:
            self._wait_gone(node)
        if fault is not Fault.NODE:
            self.serve()
        elif node is not None and not self._revived(node):
            self.start_chain()

    def stop(self) -> None:
        """SIGINT to `serve` (it stops the chain it started), then SIGTERM to any dev chain left (it saves its
        state): only processes this platform started."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=STOP_TIMEOUT_S)
        for pid in self.anvil_pids:
            if _alive(pid):
                _kill(pid, signal.SIGTERM)
                self._wait_gone(pid)
            if _alive(pid):
                _kill(pid)

    def log_tail(self, lines: int = 30) -> str:
        path = self.home / f"serve-{self.starts}.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    # -- what it offers ----------------------------------------------------------------------------------------

    def members(self) -> dict[str, Member]:
        rows = json.loads((self.data_dir / "demo-keys.json").read_text())
        return {row["handle"]: Member(row["handle"], row["address"], row["api_key"]) for row in rows}

    def deployment(self) -> dict[str, object]:
        document: dict[str, object] = json.loads((self.data_dir / "deployment.json").read_text())
        return document

    def engine(self) -> Engine:
        """An engine on the service's database, for the checks (read only); dispose of it after use."""
        return make_engine(self.database_url)
