"""Indexer: events/s ingested from one dev chain into SQLite and PostgreSQL, with where the time goes.

A fresh dev chain (anvil, not persisted) gets a large event history fast: transactions pre-signed up front,
sent as eth_sendRawTransaction JSON-RPC batches and mined with evm_mine into blocks of random sizes
(`--per-block` on average), a mix dominated by the ledger (Settlement.Posted from transfers, issues and
redemptions) with purchase orders, documents, external payments and statement anchors in between. Then a fresh
indexer catches up from the deploy block into a SQLite file, and into a fresh database on the local PostgreSQL
server (skipped with a note when it is unreachable). Each run reports events/s and the indexer's own time split
(node: eth_getLogs and blocks; decoding; database), then the time to rebuild every projection from the raw
events (what a reorg rollback does), and is checked after each: the raw events are exactly eth_getLogs, and the
balances projection equals Settlement.balanceOf.

`--baseline DIR` measures another tree side by side on the same chain (DIR holds its `platform` and
`reconciliation`, e.g. `git worktree add DIR main` or `git archive`): each database is then indexed by the
baseline and by this tree alternately, `--rounds` times each, every run in a fresh process (`--worker`), which
also reports the CPU seconds per event of the process and of the indexer's fetch process if it started one (the
node's and PostgreSQL's own CPU are not in it), of the fetch process alone, the writing thread's own (what changes
to the batch transaction change, apart from the fetching), the PostgreSQL server's for the indexer's connections
(its backends, read from /proc when the server runs on this machine: on two cores it competes with the indexer),
and the load average each run started at.

Prints a table and one JSON line. `--quick` runs a small history (the test suite uses it to prove it works).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchkit import DEFAULT_POSTGRES, fresh_postgres, postgres_backends_cpu_s, postgres_reachable
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session, sessionmaker

from tradeledger.chain.abi import load_abi
from tradeledger.chain.backends import DevChain
from tradeledger.chain.devnet import AGENT, BANK, deploy_scenario
from tradeledger.chain.keys import dev_account
from tradeledger.chain.rpc import HttpJsonRpc, RpcError
from tradeledger.chain.signing import LegacySigner
from tradeledger.indexer import handlers  # noqa: F401 - registers every projection
from tradeledger.indexer.indexer import Indexer
from tradeledger.runtime import freeze_long_lived
from tradeledger.settlements.models import AccountBalance, LedgerPosting
from tradeledger.store.db import make_engine, migrate, session_factory, transaction
from tradeledger.store.models import ChainEvent

SEND_BATCH = 200
TRADERS = 8
CURRENCIES = (b"USD", b"EUR")
FUNDING = 10**18  # per member and currency: no mix of transfers can overdraw it
DAY = 86_400

# (weight, kind): about 88% of the events are ledger postings, as on a settlement network
MIX = ((80, "transfer"), (4, "issue"), (4, "redeem"), (4, "order"), (4, "document"), (2, "external"), (2, "anchor"))


@dataclass
class Sender:
    address: str
    signer: LegacySigner
    nonce: int


class History:
    """Pre-signs transactions of several senders and sends them in JSON-RPC batches."""

    def __init__(self, rpc: HttpJsonRpc, addresses: dict[str, str], per_block: int, rng: random.Random) -> None:
        self.rpc = rpc
        self.per_block = per_block
        self.rng = rng
        self.addresses = addresses
        self.chain_id = int(rpc.call("eth_chainId", []), 16)
        self.raws: list[str] = []
        self.senders: dict[str, Sender] = {}
        self.expected: Counter[str] = Counter()  # per counter getter: how many the calls should add

    def sender(self, account: Any) -> Sender:
        if account.address not in self.senders:
            nonce = int(self.rpc.call("eth_getTransactionCount", [account.address, "pending"]), 16)
            self.senders[account.address] = Sender(
                account.address, LegacySigner(bytes(account.key), self.chain_id), nonce
            )
        return self.senders[account.address]

    def add(self, account: Any, contract: str, function: str, *args: Any, gas: int = 400_000) -> None:
        sender = self.sender(account)
        data = load_abi(contract).function(function).encode_call(args)
        raw, _ = sender.signer.sign(sender.nonce, 0, gas, bytes.fromhex(self.addresses[contract][2:]), 0, data)
        sender.nonce += 1
        self.raws.append("0x" + raw.hex())

    def send(self, progress: Progress, label: str) -> None:
        """Send everything added so far in batches, each mined into blocks of random sizes (`evm_mine`)."""
        task = progress.add_task(label, total=len(self.raws))
        offset = 0
        while offset < len(self.raws):
            chunk = self.raws[offset : offset + self.rng.randint(1, 2 * self.per_block - 1)]
            results = self.rpc.batch([("eth_sendRawTransaction", [raw]) for raw in chunk])
            errors = [r for r in results if isinstance(r, RpcError)]
            if errors:
                raise RuntimeError(f"the node refused {len(errors)} transactions: {errors[0]}")
            self.rpc.call("evm_mine", [])
            offset += len(chunk)
            progress.advance(task, len(chunk))
        self.raws = []
        for _ in range(100):  # a block full by gas leaves the rest pending: mine until every nonce is used
            nonces = self.rpc.batch([("eth_getTransactionCount", [s.address, "latest"]) for s in self.senders.values()])
            if all(int(n, 16) == s.nonce for n, s in zip(nonces, self.senders.values(), strict=True)):
                return
            self.rpc.call("evm_mine", [])
        raise RuntimeError("transactions stay pending on the dev chain")


def build_history(
    rpc: HttpJsonRpc, addresses: dict[str, str], events: int, per_block: int, rng: random.Random
) -> dict[str, int]:
    """Onboard and fund traders, then send about `events` events of the mix; returns the counters expected."""
    # blocks of the sizes we choose, mined when we say (anvil's mixed mining stalled under such floods)
    rpc.call("evm_setIntervalMining", [0])
    rpc.call("evm_setAutomine", [False])
    history = History(rpc, addresses, per_block, rng)
    traders = [dev_account(3 + i) for i in range(TRADERS)]
    members = [BANK, *traders]
    for trader in traders:
        history.add(BANK, "Membership", "onboardTrader", trader.address)
    with Progress(transient=True) as progress:
        history.send(progress, "onboarding traders")
        for code in CURRENCIES:
            history.add(AGENT, "Settlement", "issue", BANK.address, code, FUNDING, os.urandom(32))
            for trader in traders:
                history.add(BANK, "Settlement", "issue", trader.address, code, FUNDING, os.urandom(32))
        history.send(progress, "funding")
        kinds = [kind for _, kind in MIX]
        weights = [weight for weight, _ in MIX]
        now = int(rpc.call("eth_getBlockByNumber", ["latest", False])["timestamp"], 16)
        for index in range(events):
            kind = rng.choices(kinds, weights)[0]
            code = rng.choice(CURRENCIES)
            reference = rng.randbytes(32)
            trader, other = rng.sample(traders, 2)
            if kind == "transfer":
                payer, payee = rng.sample(members, 2)
                history.add(payer, "Settlement", "transfer", payee.address, code, rng.randint(1, 10**6), reference)
            elif kind == "issue":
                history.add(BANK, "Settlement", "issue", trader.address, code, rng.randint(1, 10**6), reference)
            elif kind == "redeem":
                history.add(BANK, "Settlement", "redeem", trader.address, code, rng.randint(1, 1_000), reference)
            elif kind == "order":
                history.add(trader, "TradeOrders", "createOrder", other.address, rng.randint(1, 10**9), code,
                            reference, now + 30 * DAY, 0, 0)  # fmt: skip
                history.expected["orderCount"] += 1
            elif kind == "document":
                prints = [rng.randbytes(32) for _ in range(rng.randint(1, 3))]
                history.add(trader, "DocumentRegistry", "registerDocument", trader.address, rng.randint(0, 1), code,
                            rng.randint(1, 10**9), prints)  # fmt: skip
                history.expected["documentCount"] += 1
            elif kind == "external":
                history.add(trader, "Settlement", "recordExternalPayment", other.address, code, rng.randint(1, 10**6),
                            rng.randint(0, 2), rng.randbytes(32), reference)  # fmt: skip
                history.expected["externalPaymentCount"] += 1
            else:
                statement = (index * DAY, index * DAY + DAY, trader.address, "0x" + "00" * 20, code,
                             rng.randbytes(32), 3, 1_000, 2_000, rng.randbytes(32))  # fmt: skip
                history.add(trader, "ReconciliationAnchor", "anchor", statement, gas=600_000)
                history.expected["anchorCount"] += 1
            history.expected["lastEntryId"] += kind in ("transfer", "issue", "redeem")
        history.send(progress, f"sending {events:,} transactions")
    return dict(history.expected)


def eth_call(rpc: HttpJsonRpc, addresses: dict[str, str], calls: list[tuple[str, str, tuple[Any, ...]]]) -> list[Any]:
    """Many view calls in one JSON-RPC batch; each result decoded to one value."""
    functions = [load_abi(contract).function(function) for contract, function, _ in calls]
    batch = [
        ("eth_call", [{"to": addresses[contract], "data": "0x" + fn.encode_call(args).hex()}, "latest"])
        for fn, (contract, _, args) in zip(functions, calls, strict=True)
    ]
    results = rpc.batch(batch)
    return [fn.decode_result(bytes.fromhex(r[2:]))[0] for fn, r in zip(functions, results, strict=True)]


def check_counters(rpc: HttpJsonRpc, addresses: dict[str, str], expected: dict[str, int]) -> None:
    """Every generated transaction succeeded: the contracts' counters grew by exactly the calls sent."""
    where = {"orderCount": "TradeOrders", "documentCount": "DocumentRegistry", "anchorCount": "ReconciliationAnchor"}
    calls = [(where.get(getter, "Settlement"), getter, ()) for getter in expected]
    actual = dict(zip(expected, eth_call(rpc, addresses, calls), strict=True))
    # the funding issues precede the mix: 2 currencies x (bank + traders)
    actual["lastEntryId"] -= len(CURRENCIES) * (1 + TRADERS)
    if actual != expected:
        raise RuntimeError(f"some generated transactions reverted: counters {actual}, expected {expected}")


def chain_logs(rpc: HttpJsonRpc, addresses: dict[str, str], first: int, last: int) -> Counter[tuple[str, str, int]]:
    keys: Counter[tuple[str, str, int]] = Counter()
    for start in range(first, last + 1, 2000):
        logs = rpc.call("eth_getLogs", [{"address": sorted(addresses.values()), "fromBlock": hex(start),
                                         "toBlock": hex(min(last, start + 1999))}])  # fmt: skip
        keys.update((log["blockHash"], log["transactionHash"], int(log["logIndex"], 16)) for log in logs)
    return keys


def written_bytes() -> int | None:
    """What this process has written towards storage so far (SQLite's WAL and its checkpoints into the file); None
    where the kernel does not account it."""
    try:
        lines = Path("/proc/self/io").read_text().splitlines()
    except OSError:
        return None
    return next((int(line.split()[1]) for line in lines if line.startswith("write_bytes:")), None)


def children_cpu_seconds() -> float:
    """The CPU of this process's ended children (the indexer's fetch process, once closed)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return children.ru_utime + children.ru_stime


@dataclass
class Run:
    backend: str
    events: int
    seconds: float
    timings: dict[str, float]
    rebuild_s: float
    cpu_s: float  # the indexing process's CPU (all its threads) and its fetch process's while catching up
    load: float  # the one-minute load average as the catch-up started: on a shared machine, read rates with it
    writer_cpu_s: float  # the writing thread's own CPU while catching up (the batch transactions, without fetching)
    server_cpu_s: float | None = None  # the PostgreSQL backends' CPU while catching up (None: not measurable here)
    fetch_cpu_s: float | None = None  # the fetch process's CPU (None: a tree that did not report it)
    written_mb: float | None = None  # what the indexing process wrote to storage while catching up (SQLite's side)
    tree: str = "this tree"

    @property
    def events_per_s(self) -> float:
        return self.events / self.seconds


def check_against_chain(
    sessions: sessionmaker[Session], rpc: HttpJsonRpc, addresses: dict[str, str], logs: Counter[tuple[str, str, int]]
) -> str | None:
    """What differs between the read model and the chain, or None: raw events = eth_getLogs, balances =
    Settlement.balanceOf, one posting per ledger entry."""
    with sessions() as db:
        rows = db.execute(select(ChainEvent.block_hash, ChainEvent.tx_hash, ChainEvent.log_index)).all()
        balances = list(db.scalars(select(AccountBalance)))
        postings = db.scalar(select(func.count()).select_from(LedgerPosting))
    if Counter(tuple(row) for row in rows) != logs:
        return f"the raw events are not eth_getLogs ({len(rows)} rows, {sum(logs.values())} logs)"
    onchain = eth_call(
        rpc, addresses, [("Settlement", "balanceOf", (b.account, b.currency.encode())) for b in balances]
    )
    wrong = [(b.account, b.currency) for b, value in zip(balances, onchain, strict=True) if b.balance != value]
    if wrong or len(balances) != (1 + TRADERS) * len(CURRENCIES):
        return f"balances differ from Settlement.balanceOf: {wrong[:3]} ({len(balances)} rows)"
    last_entry = eth_call(rpc, addresses, [("Settlement", "lastEntryId", ())])[0]
    if postings != last_entry:
        return f"{postings} ledger postings, Settlement.lastEntryId is {last_entry}"
    return None


class ServerCpu:
    """CPU of the PostgreSQL backends serving `engine`'s connections, from /proc: None unless the server runs on
    this machine (a backend's pid names a local `postgres` process)."""

    def __init__(self, engine: Engine) -> None:
        self.backends: list[int] = []
        if engine.dialect.name == "postgresql":
            event.listen(engine, "connect", self._connected)

    def _connected(self, connection: Any, _record: object) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            self.backends.append(cursor.fetchone()[0])
        connection.rollback()  # leave the connection as it came, outside a transaction

    def seconds(self) -> dict[int, float] | None:
        """Each live local backend's CPU so far; None if there is none to read."""
        return postgres_backends_cpu_s(self.backends) or None


def index_into(
    database_url: str, backend: str, rpc_url: str, addresses: dict[str, str], deploy_block: int, head: int,
    logs: Counter[tuple[str, str, int]],
) -> Run:  # fmt: skip
    """A fresh indexer catches up into `database_url`, then rebuilds every projection from the raw events (what a
    reorg costs); each result is checked against the chain."""
    engine = make_engine(database_url)
    server = ServerCpu(engine)
    try:
        migrate(engine)
        freeze_long_lived()  # as `serve` and `indexer run` do
        sessions = session_factory(engine)
        rpc = HttpJsonRpc(rpc_url, timeout=120)
        chain_id = int(rpc.call("eth_chainId", []), 16)
        indexer = Indexer(sessions, rpc, chain_id=chain_id, contracts=addresses, start_block=deploy_block)
        applied, through = 0, deploy_block - 1
        with Progress(transient=True) as progress:
            task = progress.add_task(f"indexing into {backend}", total=head - deploy_block + 1)
            load = os.getloadavg()[0]
            started, writer_started = time.perf_counter(), time.thread_time()
            cpu_started, fetch_started = time.process_time(), children_cpu_seconds()
            server_started, written_started = server.seconds() or {}, written_bytes()
            while True:
                applied += indexer.run_once()
                through, before = indexer.indexed_through(), through
                progress.update(task, completed=through - deploy_block + 1)
                if through == before:
                    break
            elapsed, writer_cpu_s = time.perf_counter() - started, time.thread_time() - writer_started
            written_ended = written_bytes()
            written_mb = (
                None if written_started is None or written_ended is None else (written_ended - written_started) / 1e6
            )
            server_ended = server.seconds()
            server_cpu_s = (
                None
                if server_ended is None
                else sum(spent - server_started.get(pid, 0.0) for pid, spent in server_ended.items())
            )
            close = getattr(indexer, "close", None)  # a --baseline tree's indexer may predate the fetch process
            if close is not None:
                close()  # the fetch process's CPU is counted once it has ended
            fetch_cpu_s = children_cpu_seconds() - fetch_started
            cpu_s = time.process_time() - cpu_started + fetch_cpu_s
        problem = check_against_chain(sessions, rpc, addresses, logs)
        if problem or applied != sum(logs.values()):
            raise RuntimeError(f"{backend} after catching up: {problem or f'{applied} events applied'}")
        started = time.perf_counter()
        with transaction(sessions) as db:
            indexer.rebuild_projections(db)
        rebuild_s = time.perf_counter() - started
        problem = check_against_chain(sessions, rpc, addresses, logs)
        if problem:
            raise RuntimeError(f"{backend} after rebuilding the projections: {problem}")
        rpc.close()
        return Run(
            backend,
            applied,
            elapsed,
            indexer.timings.as_dict(),
            rebuild_s,
            cpu_s,
            load,
            writer_cpu_s,
            server_cpu_s,
            fetch_cpu_s,
            written_mb,
        )
    finally:
        engine.dispose()


@contextmanager
def fresh_database(backend: str, sqlite_file: Path, postgres_url: str) -> Iterator[str]:
    """A new SQLite file, or a new database on the PostgreSQL server of `postgres_url`."""
    if backend == "sqlite":
        yield f"sqlite:///{sqlite_file}"
    else:
        with fresh_postgres(postgres_url, "bench_indexer") as url:
            yield url


def in_process(tree: Path | None, database_url: str, backend: str, chain: dict[str, Any]) -> Run:
    """`index_into` in a fresh process importing the platform of `tree` (this one if None)."""
    environment = dict(os.environ)
    if tree is not None:  # ahead of this tree's editable install
        environment["PYTHONPATH"] = os.pathsep.join([str(tree / "platform"), str(tree)])
    job = json.dumps({"database_url": database_url, "backend": backend, **chain})
    done = subprocess.run([sys.executable, __file__, "--worker", job], env=environment, check=True,
                          stdout=subprocess.PIPE, text=True)  # fmt: skip
    run = Run(**json.loads(done.stdout.splitlines()[-1]))
    run.tree = "this tree" if tree is None else str(tree)
    return run


def worker(job: dict[str, Any]) -> None:
    """The `--worker` side of `in_process`: one `index_into`, its Run as the last line printed."""
    logs = chain_logs(HttpJsonRpc(job["rpc_url"], timeout=120), job["addresses"], job["deploy_block"], job["head"])
    run = index_into(job["database_url"], job["backend"], job["rpc_url"], job["addresses"], job["deploy_block"],
                     job["head"], logs)  # fmt: skip
    print(json.dumps({key: value for key, value in vars(run).items() if key != "tree"}))


def report(runs: list[Run], results: dict[str, Any], postgres_note: str | None, *, compared: bool) -> None:
    """Print the table (one row per run) and add each run's figures to `results`."""
    console = Console()
    table = Table(title=f"indexer catch-up: {results['events']:,} events in {results['blocks']:,} blocks on anvil")
    columns = ["into", *(["tree"] if compared else []), "events/s", "CPU µs/event", "writer µs/event",
               "fetch µs/event", "server µs/event", "written MB", "seconds", "node s", "decode s", "db s", "rebuild s",
               "load"]  # fmt: skip
    for column in columns:
        table.add_column(column, justify="left" if column in ("into", "tree") else "right")
    for run in runs:
        figures = {"events_s": run.events_per_s, "seconds": run.seconds, **run.timings, "rebuild_s": run.rebuild_s,
                   "cpu_us_per_event": 1e6 * run.cpu_s / run.events,
                   "writer_cpu_us_per_event": 1e6 * run.writer_cpu_s / run.events, "load": run.load,
                   "server_cpu_us_per_event": None if run.server_cpu_s is None else 1e6 * run.server_cpu_s / run.events,
                   "fetch_cpu_us_per_event": None if run.fetch_cpu_s is None else 1e6 * run.fetch_cpu_s / run.events,
                   "written_mb": run.written_mb,
                   }  # fmt: skip
        if run.tree == "this tree":
            results[run.backend] = figures  # the last run of this tree
        if compared:
            results.setdefault("runs", []).append({"backend": run.backend, "tree": run.tree, **figures})
        phases = [run.timings[phase] for phase in ("node_s", "decode_s", "database_s")] + [run.rebuild_s]
        server, fetch = figures["server_cpu_us_per_event"], figures["fetch_cpu_us_per_event"]
        rates = [f"{run.events_per_s:,.0f}", f"{figures['cpu_us_per_event']:.0f}",
                 f"{figures['writer_cpu_us_per_event']:.0f}", "-" if fetch is None else f"{fetch:.0f}",
                 "-" if server is None else f"{server:.0f}",
                 "-" if run.written_mb is None or run.backend != "sqlite" else f"{run.written_mb:,.0f}",
                 f"{run.seconds:.1f}"]  # fmt: skip
        table.add_row(run.backend, *([run.tree] if compared else []), *rates, *(f"{t:.1f}" for t in phases),
                      f"{run.load:.1f}")  # fmt: skip
    console.print(table)
    console.print("node, decode, db s: time in each phase; they overlap (the next range is")
    console.print("fetched and decoded while a batch is written). rebuild s: every projection")
    console.print("replayed from the raw events in one transaction, as a reorg rollback does.")
    console.print("fetch µs/event: the fetch process's CPU (0 when the catch-up fetched in a thread).")
    console.print("server µs/event: the PostgreSQL backends' CPU while catching up (a local server).")
    console.print("written MB: what the indexing process wrote to storage while catching up (SQLite: WAL and file).")
    if postgres_note:
        console.print(f"PostgreSQL skipped: {postgres_note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small history, for the test suite")
    parser.add_argument("--events", type=int, default=100_000, help="transactions of the mix (about one event each)")
    parser.add_argument("--per-block", type=int, default=50, help="average transactions per block")
    parser.add_argument("--seed", type=int, default=20_260_105)
    parser.add_argument("--postgres-url", default=os.environ.get("TRADELEDGER_TEST_DATABASE_URL", DEFAULT_POSTGRES),
                        help="a PostgreSQL server to create a fresh database on")  # fmt: skip
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--baseline", type=Path, help="another tree to measure side by side (see above)")
    parser.add_argument("--rounds", type=int, default=2, help="runs of each tree per database with --baseline")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.worker:
        worker(json.loads(options.worker))
        return
    events = 5_000 if options.quick else options.events
    load_average = os.getloadavg()[0]
    # not persisted: a persisted dev chain rewrites its whole state every 5 s, 660 MB at the full size
    with (
        tempfile.TemporaryDirectory(prefix="bench-indexer-") as directory,
        DevChain(Path(directory), persist=False) as chain,
    ):
        workdir = Path(directory)
        deployed = deploy_scenario(chain)
        rpc = HttpJsonRpc(deployed.url, timeout=120)
        deploy_block = 1  # deploy_scenario starts on a fresh chain: the platform's first block
        started = time.perf_counter()
        expected = build_history(rpc, deployed.addresses, events, options.per_block, random.Random(options.seed))
        generated_s = time.perf_counter() - started
        check_counters(rpc, deployed.addresses, expected)
        head = int(rpc.call("eth_blockNumber", []), 16)
        logs = chain_logs(rpc, deployed.addresses, deploy_block, head)
        chain_job = {
            "rpc_url": deployed.url,
            "addresses": deployed.addresses,
            "deploy_block": deploy_block,
            "head": head,
        }
        trees = [None] if options.baseline is None else [options.baseline.resolve(), None] * options.rounds
        postgres_note = postgres_reachable(options.postgres_url)
        runs: list[Run] = []
        for backend in ["sqlite"] + (["postgresql"] if postgres_note is None else []):
            for index, tree in enumerate(trees):
                with fresh_database(backend, workdir / f"index-{index}.db", options.postgres_url) as url:
                    if options.baseline is None:
                        runs.append(
                            index_into(url, backend, deployed.url, deployed.addresses, deploy_block, head, logs)
                        )
                    else:
                        runs.append(in_process(tree, url, backend, chain_job))
        rpc.close()

    results: dict[str, Any] = {
        "events": sum(logs.values()),
        "blocks": head - deploy_block + 1,
        "generated_tx_s": events / generated_s,
        "postgresql_skipped": postgres_note,
        "load_average": [load_average, os.getloadavg()[0]],  # at the start and at the end
    }
    report(runs, results, postgres_note, compared=options.baseline is not None)
    line = json.dumps({"benchmark": "indexer", **results})
    print(line)
    if options.json:
        options.json.write_text(line + "\n")


if __name__ == "__main__":
    main()
