"""Write path: business operations/s through the transaction manager vs the node's raw ceiling vs naive web3.

All of them run side by side in one run with the same call, Settlement.issue by the settlement agent to a bank,
each path on a dev chain of its own (anvil, as `make run` starts it, its state persisted) started from the same
state: the platform deployed once, that chain stopped, and its saved state loaded by each path's chain. On one
chain shared by all, each path ran on the history the paths before it left (4,000 transactions each): anvil
rewrites its whole state file, every block, transaction and receipt so far, every few seconds, and the service's
paths, which ran after the raw ceiling, cost the node ~9% more CPU a transaction for it (BENCHMARKS.md, engine7).
The paths:

- raw ceiling: the calls pre-signed up front and sent as eth_sendRawTransaction JSON-RPC batches, timed until
  the last one is mined;
- transaction manager: concurrent clients each submitting one call at a time (pre-flight, database nonce,
  signing, outbox row, broadcast: the manager groups concurrent submissions), with the receipt watch and the
  confirmer running as in the service; timed until the last one is mined (as the raw ceiling) and until every
  outbox row is recorded as mined;
- the transaction manager again with SQLite at synchronous=NORMAL instead of the service's FULL: submissions per
  second and the p50/p99 of one submission (its outbox row committed) side by side, what durability costs;
- the service's path (`serve`, and `serve --workers N`): the clients submit through a manager that pre-flights
  and commits the outbox rows REQUESTED, and a claimer on the same database claims, signs and sends them as the
  database wakes it (in one process the same manager's, as `serve` runs it; then with the engine in a process of
  its own); the first manager path above is what one-shot commands, which run no engine, still do: sign in the
  request's group commit;
- naive: web3.py `transact()` then `wait_for_transaction_receipt`, one call after the other;
- the node's CPU per transaction of each JSON-RPC method the manager's path adds to the raw sends (pre-flight
  `eth_call` batches, block logs, block receipts, polls), read again on the blocks the claimer's run mined.

The raw ceiling and the service's path (the engine's claimer in one process) run `--repeats` times each,
interleaved (raw, service; service, raw; raw, service, ...: the order alternates, so that neither side always
runs first in a pair), every run on a fresh chain of its own; the figures reported for each side are the medians
of its runs, the ratio the ratio of those medians, and every run's figures (with the load average at its start)
are kept in the JSON. A single ~1.3 s raw run swung 1,228-3,881 tx/s within ten minutes (BENCHMARKS.md, engine7):
the same repetition for both sides, never a best-of. The other paths run once.

The CPU seconds that the node and this process spent in each path are printed too: on a shared machine they
say what limited the run; for the service's path also per thread of this process (the API side's lane, the
claimer and its sender, the receipt watch, the confirmer, the clients and the rest), read from /proc. Prints a
table and one JSON line. `--quick` runs small sizes (the test suite uses it to prove it works, not to judge
speed); `--engine-only` runs the raw ceiling and the service's path alone (side-by-side runs of a change).
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from statistics import median, quantiles

from benchkit import arguments, figures_table, machine, process_cpu_s, report, scratch_dir
from web3 import Web3

from tradeledger.chain.abi import load_abi
from tradeledger.chain.backends import DevChain, anvil_eviction
from tradeledger.chain.devnet import AGENT, BANK, deploy_scenario, make_manager
from tradeledger.chain.rpc import HttpJsonRpc, RpcError
from tradeledger.chain.signing import LegacySigner
from tradeledger.chain.txmanager import ContractCall, TransactionManager
from tradeledger.processes import Claimer
from tradeledger.store.db import SQLITE_SYNCHRONOUS, SqliteSynchronous
from tradeledger.store.models import TxState
from tradeledger.store.wakeups import wakeups_for

RAW_BATCH = 200
MINED_TIMEOUT_S = 300
RAW_STALL_S = 5.0  # the raw ceiling's mined count not moving this long: a transaction stuck in anvil's pool
RAW_ATTEMPTS = 3
SYNCHRONOUS_LEVELS: tuple[SqliteSynchronous, ...] = ("FULL", "NORMAL")


THREAD_ROLES = (  # this process's threads by what they do, from their names (the first match counts)
    ("request-claimer", "claimer: claim and sign"),
    ("claim-sender", "claimer's sender: broadcast"),
    ("receipt-watch", "receipt watch"),
    ("tx-confirmer", "confirmer"),
    (" checker", "lane checker: pre-flight"),
    (" writer", "lane writer: commit"),
    (" sender", "lane sender"),
    ("MainThread", "the benchmark's wait for the last nonce"),
)
OTHER_THREADS = "clients and the rest"


def _thread_cpu_s() -> dict[threading.Thread, float]:
    """CPU seconds used so far by each live thread of this process (/proc/self/task)."""
    found: dict[threading.Thread, float] = {}
    for thread in threading.enumerate():
        try:
            fields = Path(f"/proc/self/task/{thread.native_id}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:  # it ended meanwhile
            continue
        found[thread] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return found


def _role(name: str) -> str:
    return next((role for prefix, role in THREAD_ROLES if prefix in name), OTHER_THREADS)


def _cpu_by_role() -> dict[str, float]:
    """This process's CPU seconds so far by the role of its live threads; the rest (ended threads included) in
    OTHER_THREADS."""
    by_role: dict[str, float] = {}
    for thread, cpu in _thread_cpu_s().items():
        role = _role(thread.name)
        if role != OTHER_THREADS:
            by_role[role] = by_role.get(role, 0.0) + cpu
    by_role[OTHER_THREADS] = time.process_time() - sum(by_role.values())
    return by_role


def _counting_hold_backs(manager: TransactionManager) -> list[int]:
    """A counter (its one item) of the hold-backs `manager` recovers from: each time it evicts a signer's pooled
    transactions to send them again (`TransactionManager._release_held`), the run stalled until it saw the
    hold-back (`anvil_eviction`); a run's rate says how long only beside this count."""
    evict, counted = manager.evict_from_pool, [0]

    def counting(signer: str) -> bool:
        counted[0] += 1
        return evict is not None and evict(signer)

    manager.evict_from_pool = counting
    return counted


def _run_engine(commands: Connection, database: str, url: str, synchronous: SqliteSynchronous) -> None:
    """An engine process as `tradeledger engine` runs one beside API workers: its manager (receipt watch,
    confirmer) and the claimer that signs and sends what the workers requested. Answers "cpu" with its CPU by
    thread role; "stop" stops it, answered with the hold-backs it recovered from."""
    threading.current_thread().name = "engine's commands"  # not the benchmark's main thread
    manager = make_manager(database, url, sqlite_synchronous=synchronous)
    hold_backs = _counting_hold_backs(manager)
    manager.start()
    claimer = Claimer(manager, wakeups_for(manager.sessions.kw["bind"]))
    claimer.start()
    commands.send("ready")
    while commands.recv() == "cpu":
        commands.send(_cpu_by_role())
    claimer.stop()
    manager.stop()
    commands.send(hold_backs[0])


class EngineProcess:
    """The engine in a process of its own (spawned: this process runs threads), on the benchmark's database."""

    def __init__(self, database: str, url: str, synchronous: SqliteSynchronous) -> None:
        context = multiprocessing.get_context("spawn")
        self._commands, theirs = context.Pipe()
        self._process = context.Process(
            target=_run_engine, args=(theirs, database, url, synchronous), name="engine", daemon=True
        )
        self._process.start()
        if not self._commands.poll(MINED_TIMEOUT_S) or self._commands.recv() != "ready":
            raise RuntimeError("the engine process did not start")

    def cpu_by_role(self) -> dict[str, float]:
        self._commands.send("cpu")
        by_role: dict[str, float] = self._commands.recv()
        return by_role

    def stop(self) -> int:
        """Stop the engine; returns how many hold-backs it recovered from (`_counting_hold_backs`)."""
        self._commands.send("stop")
        hold_backs: int = self._commands.recv()
        self._process.join(timeout=30)
        return hold_backs


@dataclass
class Run:
    """One path's figures: operations per second and where the CPU went (`by_thread`: this process's CPU
    seconds by role; what ended threads used is in OTHER_THREADS); `load`: the 1-minute load average as it
    started."""

    tx_s: float
    node_cpu_s: float
    bench_cpu_s: float
    by_thread: dict[str, float]
    load: float = 0.0


def median_run(runs: Sequence[Run]) -> Run:
    """Each figure's median over `runs` (figure by figure: the median rate and the median CPU need not be one
    run's)."""
    roles = {role for run in runs for role in run.by_thread}
    return Run(
        median(run.tx_s for run in runs),
        median(run.node_cpu_s for run in runs),
        median(run.bench_cpu_s for run in runs),
        {role: median(run.by_thread.get(role, 0.0) for run in runs) for role in sorted(roles)},
        median(run.load for run in runs),
    )


class Meter:
    """Wall time, the node's CPU time (from /proc) and this process's CPU time over one path (with an engine
    process's, if the path has one)."""

    def __init__(self, chain: DevChain) -> None:
        record = chain.running()
        assert record is not None
        self._node = record.pid

    def measure(self, count: int, work: Callable[[], None], engine: EngineProcess | None = None) -> Run:
        load = os.getloadavg()[0]
        threads = _thread_cpu_s()
        theirs = engine.cpu_by_role() if engine is not None else {}
        node, own, started = process_cpu_s(self._node), time.process_time(), time.perf_counter()
        work()
        elapsed = time.perf_counter() - started
        node_cpu, own_cpu = process_cpu_s(self._node) - node, time.process_time() - own
        by_thread: dict[str, float] = {}
        for thread, cpu in _thread_cpu_s().items():
            role = _role(thread.name)
            if role != OTHER_THREADS:
                by_thread[role] = by_thread.get(role, 0.0) + cpu - threads.get(thread, 0.0)
        by_thread[OTHER_THREADS] = own_cpu - sum(by_thread.values())
        if engine is not None:  # the service's CPU is both processes'
            for role, cpu in engine.cpu_by_role().items():
                by_thread[f"engine process: {role}"] = cpu - theirs.get(role, 0.0)
                own_cpu += cpu - theirs.get(role, 0.0)
        return Run(count / elapsed, node_cpu, own_cpu, by_thread, load)


class Deployed:
    """The platform deployed once, on a dev chain stopped afterwards, so that every path starts a chain of its own
    from the state it saved: the same contracts, accounts and blocks, none of the other paths' history."""

    def __init__(self, scratch: Path) -> None:
        self._scratch = scratch
        # the settlement agent's transactions on each path's chain as it started: what one path would leave for
        # the next on a shared chain (0 for every path)
        self.histories: dict[str, int] = {}
        with DevChain(scratch / "deployed") as chain:
            self.settlement = deploy_scenario(chain).addresses["Settlement"]
        self._state = chain.state_file  # written by anvil as it stopped

    @contextmanager
    def chain(self, path: str) -> Iterator[tuple[DevChain, str, Meter]]:
        """A chain for `path` started from the deployed state, its URL and its meter; stopped on leaving."""
        chain = DevChain(self._scratch / path)
        chain.chain_dir.mkdir(parents=True)
        shutil.copyfile(self._state, chain.state_file)
        with chain:
            assert chain.rpc_url is not None
            self.histories[path] = chain.web3().eth.get_transaction_count(AGENT.address)
            yield chain, chain.rpc_url, Meter(chain)


def _issue_args(index: int) -> tuple[object, ...]:
    return (BANK.address, b"USD", index + 1, index.to_bytes(32, "big"))


def _wait_for_nonce(rpc: HttpJsonRpc, address: str, target: int, stall_s: float = MINED_TIMEOUT_S) -> bool:
    """Until `address` has `target` transactions mined: True; False once its mined count has not moved for
    `stall_s`; raises after MINED_TIMEOUT_S in all."""
    deadline = time.monotonic() + MINED_TIMEOUT_S
    mined, moved = -1, time.monotonic()
    while (now_mined := int(rpc.call("eth_getTransactionCount", [address, "latest"]), 16)) < target:
        now = time.monotonic()
        if now > deadline:
            raise TimeoutError(f"{address} did not reach nonce {target}")
        if now_mined != mined:
            mined, moved = now_mined, now
        elif now - moved > stall_s:
            return False
        time.sleep(0.005)
    return True


def raw_ceiling(meter: Meter, url: str, settlement: str, count: int) -> Run:
    """The node's rate for `count` pre-signed calls sent in batches of RAW_BATCH, until the last is mined.

    anvil under load can leave one of them in its pool for good (`anvil_eviction`: it checks a nonce before it
    takes its lock): every later one then waits for it, and the run hung until MINED_TIMEOUT_S and failed the
    whole benchmark (seen at load 4-13). A run whose mined count stops for RAW_STALL_S measures nothing: the
    pool is emptied, the rest sent again until mined, and the ceiling measured afresh, at most RAW_ATTEMPTS
    times."""
    rpc = HttpJsonRpc(url)
    function = load_abi("Settlement").function("issue")
    signer = LegacySigner(bytes(AGENT.key), int(rpc.call("eth_chainId", []), 16))
    to = bytes.fromhex(settlement[2:])

    def send_all(raws: list[str]) -> None:
        for offset in range(0, len(raws), RAW_BATCH):
            answers = rpc.batch([("eth_sendRawTransaction", [raw]) for raw in raws[offset : offset + RAW_BATCH]])
            refused = [answer for answer in answers if isinstance(answer, RpcError)]
            if refused:  # a nonce left out: the rest would wait in the pool until MINED_TIMEOUT_S
                raise RuntimeError(f"the node refused {len(refused)} of the ceiling's transactions: {refused[0]}")

    def attempt(first: int) -> tuple[Run, bool, int, list[str]]:
        start_nonce = int(rpc.call("eth_getTransactionCount", [AGENT.address, "pending"]), 16)
        calls = [function.encode_call(_issue_args(first + i)) for i in range(count)]
        raws = ["0x" + signer.sign(start_nonce + i, 0, 200_000, to, 0, data)[0].hex() for i, data in enumerate(calls)]
        mined = [False]

        def send() -> None:
            send_all(raws)
            mined[0] = _wait_for_nonce(rpc, AGENT.address, start_nonce + count, RAW_STALL_S)

        return meter.measure(count, send), mined[0], start_nonce, raws

    try:
        for number in range(RAW_ATTEMPTS):
            run, mined, start_nonce, raws = attempt(10**6 + number * count)
            if mined:
                return run
            left = int(rpc.call("eth_getTransactionCount", [AGENT.address, "latest"]), 16) - start_nonce
            print(f"raw ceiling: the node stopped mining at {left} of {count}; emptied its pool, measuring again")
            anvil_eviction(rpc)(AGENT.address)
            send_all(raws[left:])
            _wait_for_nonce(rpc, AGENT.address, start_nonce + count)
        raise RuntimeError(f"the raw ceiling stalled in {RAW_ATTEMPTS} attempts")
    finally:
        rpc.close()


@dataclass
class Managed:
    """The transaction manager's figures at one SQLite synchronous level."""

    mined: Run
    recorded_tx_s: float
    submit_s: float  # submissions (outbox rows committed) per second
    submit_ms: tuple[float, float]  # p50, p99 of one submission, as a client waits for it
    hold_backs: int = 0  # the node held the signer's next transaction back this often (`_counting_hold_backs`)


def median_managed(runs: Sequence[Managed]) -> Managed:
    """Each figure's median over `runs`, as `median_run`; their hold-backs summed."""
    return Managed(
        median_run([run.mined for run in runs]),
        median(run.recorded_tx_s for run in runs),
        median(run.submit_s for run in runs),
        (median(run.submit_ms[0] for run in runs), median(run.submit_ms[1] for run in runs)),
        sum(run.hold_backs for run in runs),
    )


def through_manager(
    meter: Meter,
    scratch: Path,
    url: str,
    settlement: str,
    count: int,
    clients: int,
    synchronous: SqliteSynchronous,
    offset: int,
    engine_signs: bool = False,
    engine_process: bool = False,
) -> Managed:
    """The manager's rate until the chain has mined every call and until the outbox records them all, and how
    long each submission (its outbox row committed at `synchronous`) kept its client waiting. With
    `engine_signs`, the clients submit as API workers do and an engine claims and signs their requests: in this
    process (as `serve` runs it), or with `engine_process` in a process of its own (as `serve --workers N` and
    `tradeledger engine` run it). Its database goes in a directory of its own under `scratch`."""
    database = f"sqlite:///{tempfile.mkdtemp(dir=scratch)}/bench.db"
    engine = EngineProcess(database, url, synchronous) if engine_process else None
    manager: TransactionManager | None = None
    if engine is None:  # one manager, as `serve` runs one: its requests stored REQUESTED for its own claimer
        manager = make_manager(database, url, sqlite_synchronous=synchronous, signs=not engine_signs)
        manager.start()
    hold_backs = _counting_hold_backs(manager) if manager is not None else [0]
    submitter = manager or make_manager(database, url, sqlite_synchronous=synchronous, signs=False)
    claimer = Claimer(manager, wakeups_for(manager.sessions.kw["bind"])) if engine_signs and manager else None
    if claimer is not None:
        claimer.start()
    start_nonce = int(submitter.rpc.call("eth_getTransactionCount", [AGENT.address, "pending"]), 16)
    ids: list[str] = []
    waits: list[float] = []
    submitted = 0.0

    def client(index: int) -> list[str]:
        chunk = []
        for i in range(index, count, clients):
            sent = time.perf_counter()
            chunk.append(
                submitter.submit(
                    ContractCall("Settlement", settlement, "issue", _issue_args(offset + i), AGENT.address)
                ).id
            )
            waits.append(time.perf_counter() - sent)
        return chunk

    def submit_all() -> None:
        nonlocal submitted
        with ThreadPoolExecutor(clients) as pool:
            ids.extend(tx_id for chunk in pool.map(client, range(clients)) for tx_id in chunk)
        submitted = time.perf_counter()
        _wait_for_nonce(submitter.rpc, AGENT.address, start_nonce + count)

    started = time.perf_counter()
    mined = meter.measure(count, submit_all, engine)
    deadline = time.monotonic() + MINED_TIMEOUT_S
    while submitter.pending_count():
        if time.monotonic() > deadline:
            raise TimeoutError("the outbox did not record every receipt")
        time.sleep(0.005)
    recorded_tx_s = count / (time.perf_counter() - started)
    if claimer is not None:
        claimer.stop()
    if manager is not None:
        manager.stop()
    if engine is not None:
        hold_backs[0] = engine.stop()
    states = {submitter.get(tx_id).state for tx_id in ids}
    if len(ids) != count or states != {TxState.MINED}:
        raise RuntimeError(f"transaction manager: {len(ids)} of {count} submitted, states {states}")
    cuts = quantiles(waits, n=100)
    return Managed(
        mined, recorded_tx_s, count / (submitted - started), (1000 * cuts[49], 1000 * cuts[98]), hold_backs[0]
    )


REPEATS = 5  # /proc's CPU clock ticks in 10 ms: cheap methods are read several times over


def node_methods(meter: Meter, url: str, settlement: str, first_block: int, count: int) -> dict[str, float]:
    """The node's CPU per transaction of each method the manager's path adds to the raw sends, read again on
    the blocks the claimer's run mined (from `first_block`): why it costs the node more than the raw ceiling."""
    rpc = HttpJsonRpc(url)
    head = int(rpc.call("eth_blockNumber", []), 16)
    numbers = [hex(number) for number in range(first_block, head + 1)]
    blocks = [block for block in rpc.batch([("eth_getBlockByNumber", [n, False]) for n in numbers]) if block]
    blocks = [block for block in blocks if block["transactions"]]
    mined = sum(len(block["transactions"]) for block in blocks)
    data = [load_abi("Settlement").function("issue").encode_call(_issue_args(6 * 10**6 + i)) for i in range(count)]
    checks = [
        ("eth_call", [{"from": AGENT.address, "to": settlement, "data": "0x" + d.hex(), "gas": hex(200_000)}, "latest"])
        for d in data
    ]

    def per_tx(transactions: int, work: Callable[[], object]) -> float:
        run = meter.measure(transactions * REPEATS, lambda: [work() for _ in range(REPEATS)])
        return 1e6 * run.node_cpu_s / (transactions * REPEATS)

    def batches(calls: list[tuple[str, list[object]]], size: int) -> Callable[[], object]:
        return lambda: [rpc.batch(calls[offset : offset + size]) for offset in range(0, len(calls), size)]

    figures = {
        "transactions_per_block": mined / max(1, len(blocks)),
        "eth_call_batches_of_64": per_tx(count, batches(checks, 64)),
        "eth_call_batches_of_8": per_tx(count, batches(checks, 8)),
        "eth_getLogs_by_block_hash": per_tx(mined, lambda: rpc.batch(
            [("eth_getLogs", [{"blockHash": block["hash"]}]) for block in blocks])),
        "eth_getBlockReceipts": per_tx(mined, lambda: rpc.batch(
            [("eth_getBlockReceipts", [block["number"]]) for block in blocks])),
        "eth_getBlockByNumber_hashes": per_tx(mined, lambda: rpc.batch(
            [("eth_getBlockByNumber", [block["number"], False]) for block in blocks])),
        "eth_blockNumber_single_call": per_tx(200, lambda: [rpc.call("eth_blockNumber", []) for _ in range(200)]),
    }  # fmt: skip
    rpc.close()
    return figures


def naive(meter: Meter, w3: Web3, settlement: str, count: int) -> Run:
    from web3.middleware import SignAndSendRawMiddlewareBuilder

    w3.middleware_onion.inject(SignAndSendRawMiddlewareBuilder.build(AGENT), layer=0)
    contract = w3.eth.contract(address=Web3.to_checksum_address(settlement), abi=load_abi("Settlement").abi)

    def one_by_one() -> None:
        for i in range(count):
            tx_hash = contract.functions.issue(*_issue_args(4 * 10**6 + i)).transact(
                {"from": AGENT.address, "gasPrice": 0}
            )
            if w3.eth.wait_for_transaction_receipt(tx_hash)["status"] != 1:
                raise RuntimeError(f"naive client: {tx_hash.hex()} reverted")

    return meter.measure(count, one_by_one)


@dataclass
class Paths:
    """Every path's figures from one run; `raws` and `engines`: the repeated runs of the raw ceiling and the
    service's path, in the order they ran; `histories`: see `Deployed`."""

    raws: list[Run]
    levels: dict[SqliteSynchronous, Managed]
    engines: list[Managed]
    separate: Managed
    methods: dict[str, float]
    naive: Run | None
    histories: dict[str, int]


def interleaved(repeats: int) -> list[tuple[str, int]]:
    """The order of the repeated runs: ("raw", 0), ("engine", 0), then ("engine", 1), ("raw", 1), ...: each
    repetition a pair, the side that goes first alternating from pair to pair."""
    order: list[tuple[str, int]] = []
    for repetition in range(repeats):
        pair = [("raw", repetition), ("engine", repetition)]
        order.extend(pair if repetition % 2 == 0 else pair[::-1])
    return order


def run_paths(count: int, clients: int, naive_count: int, engine_only: bool, repeats: int) -> Paths:
    """The paths one after the other, each on its own chain from the deployed state; the raw ceiling and the
    service's path `repeats` times each, interleaved."""
    levels: dict[SqliteSynchronous, Managed] = {}
    web3_naive: Run | None = None
    raws: list[Run] = []
    engines: list[Managed] = []
    methods: dict[str, float] = {}
    with scratch_dir("bench-write-path-") as scratch:
        deployed = Deployed(scratch)
        settlement = deployed.settlement
        for side, repetition in interleaved(repeats):
            if side == "raw":
                with deployed.chain(f"raw_ceiling_{repetition}") as (_, url, meter):
                    raws.append(raw_ceiling(meter, url, settlement, count))
                continue
            with deployed.chain(f"worker_and_engine_{repetition}") as (chain, url, meter):
                engine_from = chain.web3().eth.block_number + 1
                engines.append(
                    through_manager(
                        meter, scratch, url, settlement, count, clients, SQLITE_SYNCHRONOUS, 5 * 10**6, True
                    )
                )
                if repetition == 0:  # the node's CPU by method once: it reads the blocks this run mined
                    methods = node_methods(meter, url, settlement, engine_from, count)
        for n, level in enumerate(() if engine_only else SYNCHRONOUS_LEVELS):
            with deployed.chain(f"transaction_manager_{level}") as (_, url, meter):
                levels[level] = through_manager(meter, scratch, url, settlement, count, clients, level, (2 + n) * 10**6)
        with deployed.chain("engine_process") as (_, url, meter):
            separate = through_manager(
                meter,
                scratch,
                url,
                settlement,
                count,
                clients,
                SQLITE_SYNCHRONOUS,
                7 * 10**6,
                True,
                engine_process=True,
            )
        if not engine_only:
            with deployed.chain("naive") as (chain, url, meter):
                web3_naive = naive(meter, chain.web3(), settlement, naive_count)

    return Paths(raws, levels, engines, separate, methods, web3_naive, deployed.histories)


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--count", type=int, default=4000, help="transactions for the raw and manager runs")
    parser.add_argument("--naive-count", type=int, default=100)
    parser.add_argument("--clients", type=int, default=64, help="concurrent client threads of the manager")
    parser.add_argument("--engine-only", action="store_true", help="the raw ceiling and the service's path only")
    parser.add_argument(
        "--repeats", type=int, default=3, help="interleaved runs of the raw ceiling and of the service's path each"
    )
    options = parser.parse_args()
    count, naive_count, clients, repeats = (
        (200, 10, 16, 2) if options.quick else (options.count, options.naive_count, options.clients, options.repeats)
    )
    if repeats < 1:
        parser.error("--repeats must be at least 1")
    ran_on = machine()

    paths = run_paths(count, clients, naive_count, options.engine_only, repeats)
    raw, engine = median_run(paths.raws), median_managed(paths.engines)
    levels, separate, methods, web3_naive, histories = (
        paths.levels, paths.separate, paths.methods, paths.naive, paths.histories
    )  # fmt: skip

    def per_tx(cpu_s: float) -> float:
        return 1e6 * cpu_s / count

    def run_figures(run: Run) -> dict[str, float]:
        return {
            "tx_s": run.tx_s,
            "node_cpu_us_per_tx": per_tx(run.node_cpu_s),
            "bench_cpu_us_per_tx": per_tx(run.bench_cpu_s),
            "load_at_start": run.load,
        }

    node_cpu = {
        "raw_ceiling": per_tx(raw.node_cpu_s),
        "worker_and_engine": per_tx(engine.mined.node_cpu_s),
        "engine_process": per_tx(separate.mined.node_cpu_s),
    }
    bench_cpu = {  # with the engine process's
        "raw_ceiling": per_tx(raw.bench_cpu_s),
        "worker_and_engine": per_tx(engine.mined.bench_cpu_s),
        "engine_process": per_tx(separate.mined.bench_cpu_s),
    }
    results: dict[str, object] = {
        "raw_ceiling_tx_s": raw.tx_s,
        "worker_and_engine_tx_s": engine.mined.tx_s,
        "worker_and_engine_vs_raw": engine.mined.tx_s / raw.tx_s,
        "worker_and_engine_submit_p50_ms": engine.submit_ms[0],
        "worker_and_engine_submit_p99_ms": engine.submit_ms[1],
        "node_cpu_us_per_tx": node_cpu,
        "bench_cpu_us_per_tx": bench_cpu,
        "worker_and_engine_cpu_us_per_tx_by_thread": {
            role: per_tx(cpu) for role, cpu in engine.mined.by_thread.items()
        },
        "engine_process_tx_s": separate.mined.tx_s,
        "engine_process_vs_raw": separate.mined.tx_s / raw.tx_s,
        "engine_process_submit_p50_ms": separate.submit_ms[0],
        "engine_process_submit_p99_ms": separate.submit_ms[1],
        "engine_process_hold_backs": separate.hold_backs,
        "engine_process_cpu_us_per_tx_by_thread": {role: per_tx(cpu) for role, cpu in separate.mined.by_thread.items()},
        "node_cpu_us_per_tx_by_method": methods,
        "agent_transactions_at_start": histories,
        "repeats": repeats,
        "raw_ceiling_runs": [run_figures(run) for run in paths.raws],
        "worker_and_engine_runs": [
            {
                **run_figures(run.mined),
                "submit_p50_ms": run.submit_ms[0],
                "submit_p99_ms": run.submit_ms[1],
                # the clients' rate until the last outbox row was committed; tx_s also waits until the chain
                # mined the last one, a tail that swings by seconds between runs
                "submitted_tx_s": run.submit_s,
                "hold_backs": run.hold_backs,
                "cpu_us_per_tx_by_thread": {role: per_tx(cpu) for role, cpu in run.mined.by_thread.items()},
            }
            for run in paths.engines
        ],
        "worker_and_engine_vs_raw_by_pair": [
            run.mined.tx_s / raw_run.tx_s for raw_run, run in zip(paths.raws, paths.engines, strict=True)
        ],
        "count": count,
        "clients": clients,
        **ran_on,
    }
    table = figures_table(
        f"write path: Settlement.issue on the dev chain ({count} tx; naive {naive_count})",
        "path",
        "tx/s",
        "node CPU µs/tx",
        "bench CPU µs/tx",
    )
    table.add_row(
        f"raw ceiling (pre-signed, batched), median of {repeats}", f"{raw.tx_s:,.0f}",
        f"{per_tx(raw.node_cpu_s):,.0f}", f"{per_tx(raw.bench_cpu_s):,.0f}",
    )  # fmt: skip
    if levels and web3_naive is not None:
        managed, recorded_tx_s = levels[SQLITE_SYNCHRONOUS].mined, levels[SQLITE_SYNCHRONOUS].recorded_tx_s
        results.update(
            transaction_manager_tx_s=managed.tx_s,
            transaction_manager_recorded_tx_s=recorded_tx_s,
            naive_web3_tx_s=web3_naive.tx_s,
            manager_vs_raw=managed.tx_s / raw.tx_s,
            manager_vs_naive=managed.tx_s / web3_naive.tx_s,
            sqlite_synchronous={
                level: {
                    "submit_s": figures.submit_s,
                    "submit_p50_ms": figures.submit_ms[0],
                    "submit_p99_ms": figures.submit_ms[1],
                    "mined_tx_s": figures.mined.tx_s,
                }
                for level, figures in levels.items()
            },
            naive_count=naive_count,
        )
        node_cpu["transaction_manager"] = per_tx(managed.node_cpu_s)
        bench_cpu["transaction_manager"] = per_tx(managed.bench_cpu_s)
        table.add_row(
            f"transaction manager signing in the request group ({clients} clients), mined",
            f"{managed.tx_s:,.0f}",
            f"{per_tx(managed.node_cpu_s):,.0f}",
            f"{per_tx(managed.bench_cpu_s):,.0f}",
        )
        table.add_row("transaction manager, every receipt recorded", f"{recorded_tx_s:,.0f}", "", "")
    claimer_paths = (
        (f"the engine's claimer signs the requests, as served ({clients} clients, median of {repeats})", engine),
        ("the same, the engine in a process of its own (`serve --workers N`)", separate),
    )
    for label, path in claimer_paths:
        table.add_row(
            f"{label}, mined (submission p50 {path.submit_ms[0]:,.1f} ms, p99 {path.submit_ms[1]:,.1f} ms)",
            f"{path.mined.tx_s:,.0f}",
            f"{per_tx(path.mined.node_cpu_s):,.0f}",
            f"{per_tx(path.mined.bench_cpu_s):,.0f}",
        )
        for role, cpu in path.mined.by_thread.items():
            table.add_row(f"  its {role}", "", "", f"{per_tx(cpu):,.0f}")
    if levels and web3_naive is not None:
        for level, figures in levels.items():
            service = " (the service's)" if level == SQLITE_SYNCHRONOUS else ""
            table.add_row(
                f"manager submissions, SQLite synchronous={level}{service} "
                f"(p50 {figures.submit_ms[0]:,.1f} ms, p99 {figures.submit_ms[1]:,.1f} ms)",
                f"{figures.submit_s:,.0f}",
                "",
                "",
            )
        table.add_row("naive web3 (transact + wait)", f"{web3_naive.tx_s:,.1f}", "", "")
        table.add_row("manager signing in the request / raw", f"{managed.tx_s / raw.tx_s:.0%}", "", "")
        table.add_row("manager / naive (target ≥ 50x)", f"{managed.tx_s / web3_naive.tx_s:.0f}x", "", "")
    table.add_row("engine's claimer / raw, medians (target ≥ 80%)", f"{engine.mined.tx_s / raw.tx_s:.0%}", "", "")
    for number, (raw_run, run) in enumerate(zip(paths.raws, paths.engines, strict=True), 1):
        table.add_row(
            f"  pair {number}: raw {raw_run.tx_s:,.0f} tx/s (load {raw_run.load:.1f}), claimer {run.mined.tx_s:,.0f} "
            f"(load {run.mined.load:.1f}, p50 {run.submit_ms[0]:,.1f} ms"
            f"{f', {run.hold_backs} held back' if run.hold_backs else ''})",
            f"{run.mined.tx_s / raw_run.tx_s:.0%}",
            f"{per_tx(raw_run.node_cpu_s):,.0f} / {per_tx(run.mined.node_cpu_s):,.0f}",
            f"{per_tx(raw_run.bench_cpu_s):,.0f} / {per_tx(run.mined.bench_cpu_s):,.0f}",
        )
    table.add_row("the same, the engine in its own process / raw", f"{separate.mined.tx_s / raw.tx_s:.0%}", "", "")
    table.add_row(
        "claimer's blocks: transactions a block, node CPU per tx by method:",
        f"{methods['transactions_per_block']:.0f}",
        "",
        "",
    )
    for method, figure in methods.items():
        if method != "transactions_per_block":
            table.add_row(f"  {method}", "", f"{figure:,.1f}", "")
    report("write_path", table, results, options.json)


if __name__ == "__main__":
    main()
