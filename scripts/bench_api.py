"""API: writes and reads by concurrent HTTP clients, next to the transaction manager's own rate on the same chain.

Starts the real service (`tradeledger serve`: uvicorn on a free loopback port, the dev chain, the demo
consortium) in a child process on a fresh data directory, then measures, one after the other:

- writes: concurrent clients POST /v1/settlements/transfers (each with its own Idempotency-Key) between the
  three demo banks and wait for the answer, which comes once the transfer is mined and indexed
  (read-your-writes);
- reads: concurrent clients GET their balances and the first page of their event feed;
- the transaction manager's own rate: with the service stopped, the same transfers submitted straight to the
  service's transaction manager (same database, same chain) by as many client threads, until all are mined.

`--workers N` (N > 1) runs the process model of issue #22 instead of the embedded one: `tradeledger serve --workers
N`, uvicorn's N API worker processes beside the process that runs the engine (receipts, re-sends, indexing);
the service CPU is then that of the whole process tree.

Checks, as the test suite runs it with `--quick`: every write answered 200 with a mined transaction, and every
bank's balance moved by exactly the sum of its transfers. Prints a table and one JSON line.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
from benchkit import arguments, figures_table, machine, report, tree_cpu_s

from tradeledger.chain.backends import DevChain
from tradeledger.chain.txmanager import ContractCall
from tradeledger.codec import currency_bytes, reference_bytes
from tradeledger.config import load_settings
from tradeledger.runtime import open_platform
from tradeledger.store.models import TxState

BANKS = ("Bank A (founding)", "Bank B", "Bank C")  # the demo consortium's banks: each pays the next
STARTUP_TIMEOUT_S = 300
REQUEST_TIMEOUT_S = 120
MINED_TIMEOUT_S = 300


@dataclass(frozen=True)
class Member:
    name: str
    address: str
    api_key: str


@dataclass
class Phase:
    """Operations per second, latency percentiles, and the service's CPU time per operation."""

    ops_s: float
    p50_ms: float
    p99_ms: float
    service_cpu_ms: float = 0.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Service:
    """`tradeledger serve` in a child process on `data_dir`; its output goes to a log file there."""

    def __init__(self, data_dir: Path, database_url: str | None, workers: int = 1) -> None:
        self.data_dir = data_dir
        self.database_url = database_url
        self.workers = workers
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = data_dir / "serve.log"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        environment = {
            **os.environ,
            "TRADELEDGER_CHAIN": "dev",
            "TRADELEDGER_DATA_DIR": str(self.data_dir),
            "TRADELEDGER_HOST": "127.0.0.1",
            "TRADELEDGER_PORT": str(self.port),
            **({"TRADELEDGER_DATABASE_URL": self.database_url} if self.database_url else {}),
        }
        with self.log.open("wb") as log:
            self._process = subprocess.Popen(
                [str(Path(sys.executable).with_name("tradeledger")), "serve", "--workers", str(self.workers)],
                cwd=self.data_dir, env=environment, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not self._healthy():
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the service did not start: {self.tail()}")
            time.sleep(0.2)

    def _healthy(self) -> bool:
        try:
            return httpx.get(f"{self.url}/v1/health", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def members(self) -> dict[str, Member]:
        rows = json.loads((self.data_dir / "demo-keys.json").read_text(encoding="utf-8"))
        return {row["name"]: Member(row["name"], row["address"], row["api_key"]) for row in rows}

    def cpu_s(self) -> float:
        assert self._process is not None
        return tree_cpu_s(self._process.pid)

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else "no log"

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None


async def _drive(
    service: Service, clients: int, count: int, operation: Callable[[httpx.AsyncClient, int], Awaitable[None]]
) -> Phase:
    """`count` operations by `clients` concurrent clients, each one after the other on its own connection."""
    latencies: list[float] = []
    url = service.url
    next_index = iter(range(count))

    async def client() -> None:
        async with httpx.AsyncClient(base_url=url, timeout=REQUEST_TIMEOUT_S) as http:
            for index in next_index:
                started = time.perf_counter()
                await operation(http, index)
                latencies.append(time.perf_counter() - started)

    cpu, started = service.cpu_s(), time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies)
    return Phase(
        count / elapsed,
        1000 * ordered[len(ordered) // 2],
        1000 * ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))],
        1000 * (service.cpu_s() - cpu) / count,
    )


def _sender(index: int) -> tuple[int, int]:
    """The bank paying and the bank paid by transfer `index`."""
    return index % len(BANKS), (index + 1) % len(BANKS)


def _amount(index: int) -> int:
    return 1 + index % 7


async def writes(service: Service, banks: list[Member], clients: int, count: int) -> Phase:
    async def transfer(http: httpx.AsyncClient, index: int) -> None:
        payer, payee = _sender(index)
        response = await http.post(
            "/v1/settlements/transfers",
            json={"to": banks[payee].address, "currency": "USD", "amount": _amount(index), "reference": f"B-{index}"},
            headers={"Authorization": f"Bearer {banks[payer].api_key}", "Idempotency-Key": str(uuid.uuid4())},
        )
        if response.status_code != 200 or response.json().get("state") != TxState.MINED.value:
            raise RuntimeError(f"transfer {index}: {response.status_code} {response.text[:500]}")

    return await _drive(service, clients, count, transfer)


async def reads(service: Service, banks: list[Member], clients: int, count: int) -> Phase:
    async def read(http: httpx.AsyncClient, index: int) -> None:
        bank = banks[index % len(banks)]
        path = f"/v1/accounts/{bank.address}/balances" if index % 2 == 0 else "/v1/events?limit=50"
        response = await http.get(path, headers={"Authorization": f"Bearer {bank.api_key}"})
        if response.status_code != 200:
            raise RuntimeError(f"GET {path}: {response.status_code} {response.text[:500]}")

    return await _drive(service, clients, count, read)


def balances(url: str, banks: list[Member]) -> list[int]:
    amounts = []
    for bank in banks:
        response = httpx.get(
            f"{url}/v1/accounts/{bank.address}/balances",
            headers={"Authorization": f"Bearer {bank.api_key}"},
            timeout=REQUEST_TIMEOUT_S,  # a worker's first answers, on a loaded machine, can take longer than 5 s
        )
        response.raise_for_status()
        amounts.append(sum(int(b["amount"]) for b in response.json()["balances"] if b["currency"] == "USD"))
    return amounts


def expected_moves(count: int, offset: int = 0) -> list[int]:
    moves = [0] * len(BANKS)
    for index in range(offset, offset + count):
        payer, payee = _sender(index)
        moves[payer] -= _amount(index)
        moves[payee] += _amount(index)
    return moves


def through_manager(
    data_dir: Path, database_url: str | None, banks: list[Member], clients: int, count: int, offset: int
) -> float:
    """The same transfers straight through the service's transaction manager; transfers per second until mined."""
    platform = open_platform(load_settings(data_dir=data_dir, database_url=database_url, _env_file=None))
    try:
        manager = platform.transactions
        manager.start()
        settlement = platform.address("Settlement")
        usd = currency_bytes("USD")
        ids: list[str] = []
        lock = threading.Lock()

        def client(first: int) -> None:
            for index in range(offset + first, offset + count, clients):
                payer, payee = _sender(index)
                call = ContractCall(
                    "Settlement",
                    settlement,
                    "transfer",
                    (banks[payee].address, usd, _amount(index), reference_bytes(f"M-{index}")),
                    banks[payer].address,
                )
                tx_id = manager.submit(call).id
                with lock:
                    ids.append(tx_id)

        started = time.perf_counter()
        with ThreadPoolExecutor(clients) as pool:
            list(pool.map(client, range(clients)))
        deadline = time.monotonic() + MINED_TIMEOUT_S
        while manager.pending_count():
            if time.monotonic() > deadline:
                raise TimeoutError("the transaction manager's transfers were not all mined")
            time.sleep(0.005)
        rate = count / (time.perf_counter() - started)
        states = {manager.get(tx_id).state for tx_id in ids}
        if len(ids) != count or states != {TxState.MINED}:
            raise RuntimeError(f"transaction manager: {len(ids)} of {count} submitted, states {states}")
        return rate
    finally:
        platform.close()


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--writes", type=int, default=2000)
    parser.add_argument("--reads", type=int, default=4000)
    parser.add_argument("--clients", type=int, default=32, help="concurrent HTTP clients (and manager threads)")
    parser.add_argument(
        "--database-url", help="an empty database for the service (default: SQLite under a fresh data directory)"
    )
    parser.add_argument(
        "--workers", type=int, default=1, help="API worker processes beside the engine (1: the embedded one process)"
    )
    options = parser.parse_args()
    write_count, read_count, clients = (
        (60, 120, 8) if options.quick else (options.writes, options.reads, options.clients)
    )
    ran_on = machine()

    data_dir = Path(tempfile.mkdtemp(prefix="bench-api-"))
    with DevChain(data_dir):  # the service attaches to it, and so does the manager run after the service stops
        service = Service(data_dir, options.database_url, options.workers)
        service.start()
        try:
            members = service.members()
            banks = [members[name] for name in BANKS]
            before = balances(service.url, banks)
            write = asyncio.run(writes(service, banks, clients, write_count))
            after = balances(service.url, banks)  # read-your-writes: every answered transfer is in the read model
            read = asyncio.run(reads(service, banks, clients, read_count))
        except Exception:
            print(service.tail(), file=sys.stderr)
            raise
        finally:
            service.stop()
        moved = [b - a for a, b in zip(before, after, strict=True)]
        if moved != expected_moves(write_count):
            raise RuntimeError(f"balances moved by {moved}, expected {expected_moves(write_count)}")
        manager_tx_s = through_manager(data_dir, options.database_url, banks, clients, write_count, write_count)

    results: dict[str, object] = {
        "write_ops_s": write.ops_s,
        "write_p50_ms": write.p50_ms,
        "write_p99_ms": write.p99_ms,
        "read_ops_s": read.ops_s,
        "read_p50_ms": read.p50_ms,
        "read_p99_ms": read.p99_ms,
        "service_cpu_ms_per_write": write.service_cpu_ms,
        "service_cpu_ms_per_read": read.service_cpu_ms,
        "transaction_manager_tx_s": manager_tx_s,
        "api_writes_vs_manager": write.ops_s / manager_tx_s,
        "writes": write_count,
        "reads": read_count,
        "clients": clients,
        "workers": options.workers,
        "balances_checked": True,
        "database": "postgresql" if options.database_url and "postgresql" in options.database_url else "sqlite",
        **ran_on,
    }
    table = figures_table(
        f"API on the dev chain and {results['database']}, "
        + ("one process" if options.workers == 1 else f"{options.workers} API workers + the engine")
        + f": {clients} concurrent clients, {write_count} writes, {read_count} reads",
        "operation",
        "ops/s",
        "p50 ms",
        "p99 ms",
        "service CPU ms/op",
    )
    for name, phase in (("write: POST /settlements/transfers", write), ("read: GET balances / events", read)):
        table.add_row(
            name, f"{phase.ops_s:,.0f}", f"{phase.p50_ms:,.1f}", f"{phase.p99_ms:,.1f}", f"{phase.service_cpu_ms:,.1f}"
        )
    table.add_row("transaction manager alone (same transfers)", f"{manager_tx_s:,.0f}", "", "", "")
    table.add_row("API writes / manager (target ≥ 50%)", f"{write.ops_s / manager_tx_s:.0%}", "", "", "")
    report("api", table, results, options.json)


if __name__ == "__main__":
    main()
