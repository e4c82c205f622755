"""API: writes and reads by concurrent HTTP clients, next to the transaction manager's own rate on the same chain.

Starts the real service (`tradeledger serve`: uvicorn on a free loopback port, the dev chain, the demo
consortium) in a child process on a fresh data directory, then measures, one after the other:

- writes: concurrent clients POST /v1/settlements/transfers (each with its own Idempotency-Key) between the
  three demo banks and wait for the answer, which comes once the transfer is mined and indexed
  (read-your-writes);
- asynchronous writes: the same clients POST the same transfers with `Prefer: respond-async`, answered 202 with
  the operation's URL once its outbox row and idempotency record are committed (the point where the manager's
  `submit` returns), then the run waits until every operation is mined, as the manager run below does: the
  like-for-like figure against the manager. Every operation is then read back mined, and every request sent again
  with its key must get the same 202 byte for byte (the balances check below shows nothing moved twice);
- balance reads under that load: while a second round of the same writes runs, a few more clients read their
  balances one after the other (the latency a back office sees while the service is busy writing);
- balance reads idle: concurrent clients GET their balances and nothing else runs;
- event feed reads idle: concurrent clients GET the first page of their event feed;
- the transaction manager's own rate: with the service stopped, the same transfers submitted straight to the
  service's transaction manager (same database, same chain) by as many client threads, until all are mined.

The asynchronous writes and the manager's run are the ratio the issue sets a target on, and a single run of either
swung by half between runs on this shared machine (the manager 440-919 tx/s). So they run `--repeats` times,
interleaved (the API's round, the manager's, the API's again on the service started anew after a warm-up of a few
writes, ...): each figure reported is the median of its runs, the ratio the ratio of those medians, and every run
is kept in the JSON with the load average at its start, as `bench_write_path.py` reports its paths.

Reads and writes go through a minimal keep-alive HTTP/1.1 client (pre-encoded requests, status and Content-Length
parsed) so that the figure is the service's, not httpx's: at thousands of reads a second httpx's own CPU per
request would take most of a 2-core machine, and its 2.5-3 ms per write took a fifth of a core from the service at
65 writes/s.

`--postgres` runs the service on a fresh database of the local PostgreSQL server (dropped afterwards),
`--database-url` on a given empty database.

`--workers N` (N > 1) runs the process model of issue #22 instead of the embedded one: `tradeledger serve --workers
N`, uvicorn's N API worker processes beside the process that runs the engine (receipts, re-sends, indexing);
the service CPU is then that of the whole process tree.

Why both write figures: a client waiting for read-your-writes waits for a block (one every 250 ms on the dev chain)
and its indexing, so 32 such clients cannot exceed about 32 / latency writes a second whatever the CPU; the manager
run's threads return once the outbox row is durable. The asynchronous writes stop at that same point.

Checks, as the test suite runs it with `--quick`: every write answered 200 with a mined transaction (or 202, then
mined), and every bank's balance moved by exactly the sum of its transfers. Prints a table and one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import math
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager, AbstractContextManager, asynccontextmanager, nullcontext
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from statistics import median
from typing import Any, TypeVar

import httpx
import uvloop
from benchkit import (
    DEFAULT_POSTGRES,
    arguments,
    figures_table,
    fresh_postgres,
    machine,
    postgres_backends_cpu_s,
    postgres_reachable,
    process_cpu_s,
    report,
    scratch_dir,
    tree_cpu_s,
)
from rich.table import Table
from sqlalchemy import NullPool, create_engine, func, select, text

from tradeledger.chain.backends import DevChain
from tradeledger.chain.txmanager import ContractCall
from tradeledger.codec import currency_bytes, reference_bytes
from tradeledger.config import load_settings
from tradeledger.runtime import open_platform
from tradeledger.store.db import database_url as store_url
from tradeledger.store.db import make_engine
from tradeledger.store.models import FINAL_TX_STATES, ChainTransaction, TxState

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
    """Operations per second, latency percentiles, and the service's (and the node's) CPU time per operation."""

    ops_s: float
    p50_ms: float
    p99_ms: float
    service_cpu_ms: float
    client_cpu_ms: float  # this process's: the load client shares the machine's cores with the service
    node_cpu_ms: float = 0.0  # the chain node's, when measured
    load: float = 0.0  # the 1-minute load average at its start
    database_cpu_ms: float = 0.0  # the PostgreSQL backends' of the service's database, when measured (0 on SQLite)


FIGURES = ("ops_s", "p50_ms", "p99_ms", "service_cpu_ms", "client_cpu_ms")


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


Operation = Callable[[int], Awaitable[None]]
Client = Callable[[], AbstractAsyncContextManager[Operation]]  # one client's connection, as an operation to repeat


async def _drive(
    service: Service,
    clients: int,
    count: int | None,
    client: Client,
    stop: asyncio.Event | None = None,
    node: int | None = None,
    then: Callable[[], Awaitable[None]] | None = None,
    database: bool = False,
) -> Phase:
    """`count` operations (or as many as fit until `stop` is set) by `clients` concurrent clients, each one after
    the other on its own connection; with the CPU per operation of the `node` process too, if given, and of the
    service's PostgreSQL backends with `database`. The phase ends once `then` (if given) has returned too: the
    rate and the CPU include it, the latencies are the operations'."""
    latencies: list[float] = []
    next_index = iter(range(count)) if count is not None else itertools.count()

    async def run() -> None:
        async with client() as operation:
            for index in next_index:
                if stop is not None and stop.is_set():
                    return
                started = time.perf_counter()
                await operation(index)
                latencies.append(time.perf_counter() - started)

    backends = _backends_cpu_s(service.database_url) if database else {}
    load, node_cpu = os.getloadavg()[0], process_cpu_s(node) if node is not None else 0.0
    cpu, client_cpu, started = service.cpu_s(), time.process_time(), time.perf_counter()
    await asyncio.gather(*(run() for _ in range(clients)))
    if then is not None:
        await then()
    elapsed = time.perf_counter() - started
    service_cpu, ordered = service.cpu_s(), sorted(latencies)
    return Phase(
        len(ordered) / elapsed,
        1000 * ordered[len(ordered) // 2],
        1000 * ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))],
        1000 * (service_cpu - cpu) / len(ordered),
        1000 * (time.process_time() - client_cpu) / len(ordered),
        1000 * (process_cpu_s(node) - node_cpu) / len(ordered) if node is not None else 0.0,
        load,
        _database_cpu_ms(service.database_url, backends, len(ordered)) if database else 0.0,
    )


def _sender(index: int) -> tuple[int, int]:
    """The bank paying and the bank paid by transfer `index`."""
    return index % len(BANKS), (index + 1) % len(BANKS)


def _amount(index: int) -> int:
    return 1 + index % 7


@dataclass(frozen=True)
class Reply:
    status: int
    head: bytes  # the status line and the headers
    body: bytes

    def header(self, name: bytes) -> bytes | None:
        """The value of header `name` (lower case), if present."""
        prefix = name + b":"
        found = (line for line in self.head.split(b"\r\n") if line.lower().startswith(prefix))
        return next((line[len(prefix) :].strip() for line in found), None)


class KeepAlive:
    """One keep-alive HTTP/1.1 connection sending pre-encoded requests and reading the status, headers and body."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, service: Service) -> KeepAlive:
        return cls(*await asyncio.open_connection("127.0.0.1", service.port))

    async def send(self, request: bytes) -> Reply:
        async with asyncio.timeout(REQUEST_TIMEOUT_S):
            self.writer.write(request)
            head = await self.reader.readuntil(b"\r\n\r\n")
            reply = Reply(int(head[9:12]), head, b"")
            length = reply.header(b"content-length")
            assert length is not None, head
            return Reply(reply.status, head, await self.reader.readexactly(int(length)))

    def close(self) -> None:
        self.writer.close()


def _get(path: str, member: Member) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {member.api_key}\r\n\r\n".encode()


def _transfer(banks: list[Member], index: int, key: str, respond_async: bool) -> bytes:
    """Transfer `index` as its payer POSTs it with Idempotency-Key `key`."""
    payer, payee = _sender(index)
    body = json.dumps(
        {"to": banks[payee].address, "currency": "USD", "amount": _amount(index), "reference": f"B-{index}"}
    ).encode()
    prefer = "Prefer: respond-async\r\n" if respond_async else ""
    return (
        f"POST /v1/settlements/transfers HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {banks[payer].api_key}"
        f"\r\nIdempotency-Key: {key}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n{prefer}\r\n"
    ).encode() + body


@dataclass(frozen=True)
class Accepted:
    """An asynchronous write's 202, and the request that sending it again repeats."""

    request: bytes
    operation: str  # the Location: the operation to follow
    body: bytes
    payer: Member


def transfers(service: Service, banks: list[Member], offset: int, accepted: list[Accepted] | None = None) -> Client:
    """A client POSTing transfers `offset + index`, each with its own Idempotency-Key, answered once mined and
    indexed; or, with `accepted`, answered 202 at once (`Prefer: respond-async`), each answer kept there."""

    @asynccontextmanager
    async def client() -> AsyncIterator[Operation]:
        connection = await KeepAlive.open(service)

        async def transfer(index: int) -> None:
            index += offset
            request = _transfer(banks, index, str(uuid.uuid4()), respond_async=accepted is not None)
            reply = await connection.send(request)
            if accepted is None:
                if reply.status != 200 or json.loads(reply.body).get("state") != TxState.MINED.value:
                    raise RuntimeError(f"transfer {index}: {reply.status} {reply.body[:500]!r}")
                return
            location = reply.header(b"location")
            if reply.status != 202 or location is None:
                raise RuntimeError(f"transfer {index}: {reply.status} {reply.body[:500]!r}")
            accepted.append(Accepted(request, location.decode(), reply.body, banks[_sender(index)[0]]))

        try:
            yield transfer
        finally:
            connection.close()

    return client


class Outbox:
    """The service's outbox, read from this process (as the manager run's `pending_count` reads it): how many of
    the given operations are not final yet, without asking the service."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)

    def unfinished(self, ids: list[str]) -> int:
        with self.engine.connect() as connection:
            open_rows = ChainTransaction.id.in_(ids), ChainTransaction.state.not_in(FINAL_TX_STATES)
            query = select(func.count()).where(*open_rows)
            return int(connection.scalar(query) or 0)

    def close(self) -> None:
        self.engine.dispose()


async def async_writes(
    service: Service, banks: list[Member], database: str, clients: int, count: int, offset: int, node: int
) -> Phase:
    """Transfers `offset` to `offset + count` answered 202 at once, until every one is final in the outbox of
    `database` (the phase's rate and CPU); then each must be mined, and its request sent again with its key must
    get the same answer."""
    accepted: list[Accepted] = []
    outbox = Outbox(database)

    async def all_final() -> None:
        ids = [json.loads(answer.body)["id"] for answer in accepted]
        deadline = time.monotonic() + MINED_TIMEOUT_S
        while await asyncio.to_thread(outbox.unfinished, ids):
            if time.monotonic() > deadline:
                raise TimeoutError("the asynchronous transfers were not all mined")
            await asyncio.sleep(0.005)

    try:
        phase = await _drive(
            service, clients, count, transfers(service, banks, offset, accepted), None, node, all_final, database=True
        )
    finally:
        outbox.close()
    if len(accepted) != count:
        raise RuntimeError(f"{len(accepted)} of {count} asynchronous transfers accepted")
    connection = await KeepAlive.open(service)
    try:
        for answer in accepted:
            followed = await connection.send(_get(answer.operation, answer.payer))
            if followed.status != 200 or json.loads(followed.body)["state"] != TxState.MINED.value:
                raise RuntimeError(f"{answer.operation}: {followed.status} {followed.body[:500]!r}")
            again = await connection.send(answer.request)
            if again.status != 202 or again.body != answer.body:
                raise RuntimeError(f"{answer.operation} sent again: {again.status} {again.body[:500]!r}")
    finally:
        connection.close()
    return phase


def async_writes_again(
    service: Service, banks: list[Member], database: str, clients: int, count: int, offset: int, node: int, warm_up: int
) -> Phase:
    """Another round of `async_writes` (transfers `offset` on), on the service started again: the manager's run
    before it needed the service stopped. `warm_up` writes first, as the first round had the read-your-writes
    phase before it."""
    service.start()
    try:
        asyncio.run(async_writes(service, banks, database, clients, warm_up, offset, node))
        return asyncio.run(async_writes(service, banks, database, clients, count, offset + warm_up, node))
    except Exception:
        print(service.tail(), file=sys.stderr)
        raise
    finally:
        service.stop()


def interleaved(
    service: Service,
    banks: list[Member],
    database: str,
    clients: int,
    count: int,
    offset: int,
    node: int,
    repeats: int,
    first: Phase,
) -> tuple[list[Phase], list[ManagerRun]]:
    """The ratio's two sides, `repeats` runs each, interleaved: the manager's run after the service's `first`
    round of asynchronous writes, then another round of those and another manager's run, and so on; transfers
    `offset` on."""
    api_runs, manager_runs = [first], []
    warm_up = min(count, 4 * clients)
    for round_ in range(repeats):
        if round_:
            api_runs.append(async_writes_again(service, banks, database, clients, count, offset, node, warm_up))
            offset += warm_up + count
        manager_runs.append(
            through_manager(service.data_dir, service.database_url, banks, clients, count, offset, node)
        )
        offset += count
    return api_runs, manager_runs


def reads(service: Service, banks: list[Member], path: Callable[[Member], str], expected: bytes) -> Client:
    """A client GETting `path` of each bank in turn on one keep-alive connection; each answer must be 200 and
    hold `expected`."""
    requests = [_get(path(bank), bank) for bank in banks]

    @asynccontextmanager
    async def client() -> AsyncIterator[Operation]:
        connection = await KeepAlive.open(service)

        async def read(index: int) -> None:
            request = requests[index % len(requests)]
            reply = await connection.send(request)
            if reply.status != 200 or expected not in reply.body:
                raise RuntimeError(f"{request.splitlines()[0]!r}: {reply.status} {reply.body[:500]!r}")

        try:
            yield read
        finally:
            connection.close()

    return client


def balance_reads(service: Service, banks: list[Member]) -> Client:
    return reads(service, banks, lambda bank: f"/v1/accounts/{bank.address}/balances", b'"balances":[{')


def feed_reads(service: Service, banks: list[Member]) -> Client:
    return reads(service, banks, lambda _: "/v1/events?limit=50", b'"items":[{')


async def reads_under_writes(
    service: Service, banks: list[Member], clients: int, readers: int, count: int, offset: int
) -> tuple[Phase, Phase]:
    """Transfers `offset` to `offset + count` by `clients` writers, and `readers` reading balances meanwhile."""
    written = asyncio.Event()

    async def writing() -> Phase:
        try:
            return await _drive(service, clients, count, transfers(service, banks, offset))
        finally:
            written.set()

    return await asyncio.gather(writing(), _drive(service, readers, None, balance_reads(service, banks), written))


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


@dataclass(frozen=True)
class ManagerRun:
    """The transaction manager's transfers per second until mined, and its process's and the node's CPU per
    transfer."""

    tx_s: float
    cpu_ms: float
    node_cpu_ms: float
    load: float  # the 1-minute load average at its start
    database_cpu_ms: float = 0.0  # the PostgreSQL backends' of its database (0 on SQLite)


Run = TypeVar("Run", Phase, ManagerRun)


def median_each(runs: Sequence[Run]) -> Run:
    """Each figure's median over `runs` (figure by figure: the median rate and the median CPU need not be one
    run's)."""
    return replace(runs[0], **{name: median(getattr(run, name) for run in runs) for name in asdict(runs[0])})


def through_manager(
    data_dir: Path, database_url: str | None, banks: list[Member], clients: int, count: int, offset: int, node: int
) -> ManagerRun:
    """The same transfers straight through the service's transaction manager, as many client threads as the API
    had clients (each submitting one transfer at a time), until every one is mined."""
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

        load, backends = os.getloadavg()[0], _backends_cpu_s(database_url)
        node_cpu, cpu, started = process_cpu_s(node), time.process_time(), time.perf_counter()
        with ThreadPoolExecutor(clients) as pool:
            list(pool.map(client, range(clients)))
        deadline = time.monotonic() + MINED_TIMEOUT_S
        while manager.pending_count():
            if time.monotonic() > deadline:
                raise TimeoutError("the transaction manager's transfers were not all mined")
            time.sleep(0.005)
        run = ManagerRun(
            count / (time.perf_counter() - started),
            1000 * (time.process_time() - cpu) / count,
            1000 * (process_cpu_s(node) - node_cpu) / count,
            load,
            _database_cpu_ms(database_url, backends, count),
        )
        states = {manager.get(tx_id).state for tx_id in ids}
        if len(ids) != count or states != {TxState.MINED}:
            raise RuntimeError(f"transaction manager: {len(ids)} of {count} submitted, states {states}")
        return run
    finally:
        platform.close()


def _database(options: argparse.Namespace) -> AbstractContextManager[str | None]:
    """The service's database: a fresh one on the PostgreSQL server (`--postgres`), the one given, or None for
    SQLite in the data directory."""
    if not options.postgres:
        return nullcontext(options.database_url)
    unreachable = postgres_reachable(options.postgres_url)
    if unreachable is not None:
        raise SystemExit(f"PostgreSQL at {options.postgres_url} is unreachable: {unreachable}")
    return fresh_postgres(options.postgres_url, "bench_api")


def _backends_cpu_s(database_url: str | None) -> dict[int, float]:
    """The CPU seconds so far of each PostgreSQL backend connected to the service's database (the server runs on
    this machine); none on SQLite."""
    if not database_url or "postgresql" not in database_url:
        return {}
    engine = create_engine(database_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            pids = connection.execute(
                text("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
            ).scalars()
            return postgres_backends_cpu_s(pids)
    finally:
        engine.dispose()


def _database_cpu_ms(database_url: str | None, before: dict[int, float], count: int) -> float:
    """The database backends' CPU per operation since `before` (a backend started meanwhile counts in full)."""
    after = _backends_cpu_s(database_url)
    return 1000 * sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items()) / count


def _table(results: dict[str, Any], phases: dict[str, Phase], manager: ManagerRun) -> Table:
    """The run's figures as the printed table."""
    write, async_write = phases["write"], phases["async_write"]
    write_count, readers, workers = results["writes"], results["readers"], results["workers"]
    table = figures_table(
        f"API on the dev chain and {results['database']}, "
        + ("one process" if workers == 1 else f"{workers} API workers + the engine")
        + f": {results['clients']} concurrent clients",
        "operation",
        "count",
        "ops/s",
        "p50 ms",
        "p99 ms",
        "service CPU ms/op",
        "client CPU ms/op",
    )
    for name, phase, count, cpu in (
        ("write: POST /settlements/transfers (read-your-writes)", write, write_count, True),
        (f"write, respond-async (202) until all mined, median of {results['repeats']}", async_write, write_count, True),
        ("balance read, idle", phases["balance_read"], results["reads"], True),
        ("event feed read (50 events), idle", phases["feed_read"], results["feed_reads"], True),
        ("write, beside the readers below", phases["loaded_write"], write_count, False),
        (f"balance read by {readers} readers, under that write load", phases["loaded_balance_read"], None, False),
    ):
        table.add_row(
            name,
            "" if count is None else f"{count:,}",
            f"{phase.ops_s:,.0f}",
            f"{phase.p50_ms:,.1f}",
            f"{phase.p99_ms:,.1f}",
            f"{phase.service_cpu_ms:,.2f}" if cpu else "",  # under load the service's CPU is both phases'
            f"{phase.client_cpu_ms:,.2f}" if cpu else "",
        )
    table.add_row(
        f"transaction manager alone (same transfers), median of {results['repeats']}", f"{write_count:,}",
        f"{manager.tx_s:,.0f}", "", "", f"{manager.cpu_ms:,.2f}", "",
    )  # fmt: skip
    runs = zip(results["async_write_runs"], results["transaction_manager_runs"], strict=True)
    table.add_row("runs, interleaved: 202 writes/s / manager tx/s (load)", "", ", ".join(
        f"{api['ops_s']:,.0f} / {manager_run['tx_s']:,.0f} ({api['load']:.1f})" for api, manager_run in runs
    ), "", "", "", "")  # fmt: skip
    table.add_row("API writes until mined / manager (target ≥ 50%)", "", f"{async_write.ops_s / manager.tx_s:.0%}",
                  "", "", "", "")  # fmt: skip
    table.add_row(
        f"read-your-writes / manager (half the manager: ~{results['write_clients_for_half_manager']} clients)", "",
        f"{write.ops_s / manager.tx_s:.0%}", "", "", "", "",
    )  # fmt: skip
    table.add_row("node CPU ms per write (read-your-writes, async) / per manager transfer", "", "", "", "",
                  f"{write.node_cpu_ms:,.2f}, {async_write.node_cpu_ms:,.2f} / {manager.node_cpu_ms:,.2f}",
                  "")  # fmt: skip
    if results["database"] == "postgresql":
        table.add_row("PostgreSQL backends' CPU ms per 202 write / per manager transfer", "", "", "", "",
                      f"{async_write.database_cpu_ms:,.2f} / {manager.database_cpu_ms:,.2f}", "")  # fmt: skip
    return table


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--writes", type=int, default=2000, help="transfers, thrice: alone, async, beside readers")
    parser.add_argument("--reads", type=int, default=10_000, help="balance reads with nothing else running")
    parser.add_argument("--feed-reads", type=int, default=2000, help="event feed reads with nothing else running")
    parser.add_argument("--clients", type=int, default=32, help="concurrent HTTP clients (and manager threads)")
    parser.add_argument("--readers", type=int, default=4, help="clients reading balances during the second writes")
    database = parser.add_mutually_exclusive_group()
    database.add_argument(
        "--database-url", help="an empty database for the service (default: SQLite under a fresh data directory)"
    )
    database.add_argument("--postgres", action="store_true", help="a fresh database on the PostgreSQL server")
    parser.add_argument("--postgres-url", default=os.environ.get("TRADELEDGER_TEST_DATABASE_URL", DEFAULT_POSTGRES))
    parser.add_argument(
        "--workers", type=int, default=1, help="API worker processes beside the engine (1: the embedded one process)"
    )
    parser.add_argument(
        "--repeats", type=int, default=3, help="interleaved runs of the asynchronous writes and the manager"
    )
    options = parser.parse_args()
    write_count, read_count, feed_count, clients, readers, repeats = (
        (60, 200, 60, 8, 2, 2)
        if options.quick
        else (options.writes, options.reads, options.feed_reads, options.clients, options.readers, options.repeats)
    )
    ran_on = machine()

    # the service attaches to the chain, and so does the manager run after the service stops
    with scratch_dir("bench-api-") as data_dir:
        dev_chain = DevChain(data_dir)
        with _database(options) as database_url, dev_chain:
            chain_record = dev_chain.running()
            assert chain_record is not None
            node = chain_record.pid
            service = Service(data_dir, database_url, options.workers)
            service.start()
            try:
                members = service.members()
                banks = [members[name] for name in BANKS]
                before = balances(service.url, banks)
                write = asyncio.run(_drive(service, clients, write_count, transfers(service, banks, 0), node=node))
                outbox = store_url(database_url, data_dir)
                async_write = asyncio.run(async_writes(service, banks, outbox, clients, write_count, write_count, node))
                loaded_write, loaded_read = asyncio.run(
                    reads_under_writes(service, banks, clients, readers, write_count, 2 * write_count)
                )
                # read-your-writes: every answered transfer is in the read model (the asynchronous ones were mined
                # before the loaded writes began, whose blocks come after theirs)
                after = balances(service.url, banks)
                # the readers on uvloop: a lean client leaves the shared cores to the service
                backends = _backends_cpu_s(database_url)
                balance_read = uvloop.run(_drive(service, clients, read_count, balance_reads(service, banks)))
                balance_read_database_cpu_ms = _database_cpu_ms(database_url, backends, read_count)
                feed_read = uvloop.run(_drive(service, clients, feed_count, feed_reads(service, banks)))
            except Exception:
                print(service.tail(), file=sys.stderr)
                raise
            finally:
                service.stop()
            moved = [b - a for a, b in zip(before, after, strict=True)]
            if moved != expected_moves(3 * write_count):
                raise RuntimeError(f"balances moved by {moved}, expected {expected_moves(3 * write_count)}")
            async_runs, manager_runs = interleaved(
                service, banks, outbox, clients, write_count, 3 * write_count, node, repeats, async_write
            )
    async_write, manager = median_each(async_runs), median_each(manager_runs)

    phases = {
        "write": write,
        "async_write": async_write,
        "balance_read": balance_read,
        "feed_read": feed_read,
        "loaded_write": loaded_write,
        "loaded_balance_read": loaded_read,
    }
    results: dict[str, object] = {
        **{f"{name}_{figure}": getattr(phase, figure) for name, phase in phases.items() for figure in FIGURES},
        "write_node_cpu_ms": write.node_cpu_ms,
        "balance_read_database_cpu_ms": balance_read_database_cpu_ms,  # PostgreSQL's backends (0 on SQLite)
        "async_write_node_cpu_ms": async_write.node_cpu_ms,
        # PostgreSQL's backends per 202 write and per manager transfer (0 on SQLite, where the database's CPU is in
        # the service's): the rest of the machine's CPU that a write costs on a server
        "async_write_database_cpu_ms": async_write.database_cpu_ms,
        "transaction_manager_database_cpu_ms": manager.database_cpu_ms,
        "transaction_manager_tx_s": manager.tx_s,
        "transaction_manager_cpu_ms": manager.cpu_ms,
        "transaction_manager_node_cpu_ms": manager.node_cpu_ms,
        # every interleaved run of the ratio's two sides, with the 1-minute load average at its start
        "async_write_runs": [asdict(run) for run in async_runs],
        "transaction_manager_runs": [asdict(run) for run in manager_runs],
        "repeats": repeats,
        "api_writes_vs_manager": write.ops_s / manager.tx_s,  # read-your-writes: bounded by clients / latency
        "api_async_writes_vs_manager": async_write.ops_s / manager.tx_s,  # like for like: until mined
        # Little's law at the measured latency: read-your-writes clients needed for half the manager's rate
        "write_clients_for_half_manager": math.ceil(clients * 0.5 * manager.tx_s / write.ops_s),
        "writes": write_count,
        "reads": read_count,
        "feed_reads": feed_count,
        "clients": clients,
        "readers": readers,
        "workers": options.workers,
        "balances_checked": True,
        "database": "postgresql" if database_url and "postgresql" in database_url else "sqlite",
        **ran_on,
    }
    report("api", _table(results, phases, manager), results, options.json)


if __name__ == "__main__":
    main()
