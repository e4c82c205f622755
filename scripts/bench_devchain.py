"""Dev chain durability: anvil's state file and its saves as the chain grows, extrapolated to a week of `make run`.

The dev chain (tradeledger.chain.backends.DevChain, started here exactly as `make run` starts it, on a free
loopback port and a data directory of its own) keeps its whole history in one JSON file that anvil rewrites
every STATE_INTERVAL_S and on SIGTERM. First the rate at which the chain makes blocks, measured: idle (anvil's clock
blocks) and under a modest load (one transaction a second, each mined by the DevMiner on its next tick). History
is then made quickly instead of waiting real time: `anvil_mine` adds empty blocks and batches of Settlement.issue
add transactions with logs. At each chain length:

- the state file's size, and the save's duration: from SIGTERM to exit, anvil does one full save (its CPU time
  too: on a shared machine the wall time also says how busy the other processes kept the cores);
- the load's duration: from starting anvil on that file to its first answer, and the history it kept (the
  head, the first block's hash, the first transaction's receipt and its logs by eth_getLogs);
- how long RPC answers stall while anvil saves: eth_blockNumber polled through two periodic saves (one at --quick;
  max, p99);
- anvil's resident memory and the share of a core it spends idle (mining empty blocks and saving);
- the anvil log's bytes per block.

The first state file is read to split its size into bytes per empty block and per transaction; the week is
extrapolated from those, from the measured block rates and from the save and load rates of the largest chain: idle
and under the modest load. Prints a table and one JSON line.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from statistics import quantiles
from typing import Any

from bench_write_path import Meter, raw_ceiling
from benchkit import arguments, figures_table, machine, process_cpu_s, report

from tradeledger.chain.backends import DEV_BLOCK_TIME_S, DEV_CHAIN_ID, DEV_CLOCK_BLOCK_S, STATE_INTERVAL_S, DevChain
from tradeledger.chain.devnet import deploy_scenario
from tradeledger.chain.keys import dev_account
from tradeledger.chain.rpc import HttpJsonRpc

WEEK_S = 7 * 86_400
MODEST_LOAD_TX_S = 1.0
MINE_CHUNK = 5_000  # blocks per anvil_mine call
RPC_TIMEOUT_S = 600
RATE_WINDOW_S = 30.0  # how long each block rate is measured
QUICK_RATE_WINDOW_S = 5.0  # --quick (the test suite's run) proves the path; the rates are `make bench`'s
SENDER = dev_account(9)  # sends the modest load's transactions: an account the scenario does not use
BURN = "0x000000000000000000000000000000000000dEaD"


@dataclass
class Point:
    """The figures at one chain length."""

    blocks: int
    transactions: int
    state_mb: float
    save_s: float
    save_cpu_s: float
    load_s: float
    check_s: float  # the start's consistency check of the save (state_inconsistency), part of load_s
    check_mib: float  # the peak memory of a process that runs only that check
    stall_max_ms: float
    stall_p99_ms: float
    rss_mib: float
    idle_cpu_share: float
    log_bytes_per_block: float
    history_kept: bool


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _reaped_cpu_s() -> float:
    """CPU seconds of this process's children that have exited (anvil, once `stop` has waited for it)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _head(rpc: HttpJsonRpc) -> int:
    return int(rpc.call("eth_blockNumber", []), 16)


def _grow(rpc: HttpJsonRpc, blocks: int) -> None:
    """Mine empty blocks until the head is at `blocks` (or beyond: the interval miner keeps going)."""
    while (missing := blocks - _head(rpc)) > 0:
        rpc.call("anvil_mine", [hex(min(missing, MINE_CHUNK))])


def _blocks_per_s(rpc: HttpJsonRpc, tx_per_s: float, window_s: float) -> float:
    """Blocks the chain makes per second over `window_s` while `tx_per_s` transactions are sent at an even pace
    (free transfers: a business transaction's block is mined alike)."""
    nonce = int(rpc.call("eth_getTransactionCount", [SENDER.address, "pending"]), 16)
    first, started, sent = _head(rpc), time.perf_counter(), 0
    while (elapsed := time.perf_counter() - started) < window_s:
        if sent < elapsed * tx_per_s:
            transfer = {"nonce": nonce + sent, "to": BURN, "value": 0, "gas": 21_000, "gasPrice": 0,
                        "chainId": DEV_CHAIN_ID}  # fmt: skip
            rpc.call("eth_sendRawTransaction", [SENDER.sign_transaction(transfer).raw_transaction.to_0x_hex()])
            sent += 1
        time.sleep(0.01)
    return (_head(rpc) - first) / (time.perf_counter() - started)


def _poll_through_saves(chain: DevChain, window_s: float) -> tuple[list[float], float]:
    """eth_blockNumber latencies (ms) over `window_s`, and the share of a core anvil used meanwhile."""
    assert chain.rpc_url is not None
    record = chain.running()
    assert record is not None
    rpc = HttpJsonRpc(chain.rpc_url, timeout=RPC_TIMEOUT_S)
    latencies: list[float] = []
    cpu, started = process_cpu_s(record.pid), time.perf_counter()
    while time.perf_counter() - started < window_s:
        sent = time.perf_counter()
        _head(rpc)
        latencies.append(1000 * (time.perf_counter() - sent))
        time.sleep(0.01)
    return latencies, (process_cpu_s(record.pid) - cpu) / (time.perf_counter() - started)


def _history_kept(rpc: HttpJsonRpc, first: dict[str, Any], head: int) -> bool:
    """After a restart: the head, block 1's hash, the first business receipt and its logs are all there."""
    receipt = rpc.call("eth_getTransactionReceipt", [first["tx"]])
    if receipt is None:
        return False
    logs = rpc.call("eth_getLogs", [{"fromBlock": receipt["blockNumber"], "toBlock": receipt["blockNumber"]}])
    return (
        _head(rpc) >= head
        and rpc.call("eth_getBlockByNumber", ["0x1", False])["hash"] == first["block_1"]
        and sum(log["transactionHash"] == first["tx"] for log in logs) == first["logs"] > 0
    )


def _split(state_file: Path) -> tuple[float, float]:
    """Bytes per empty block and per transaction (its share of its block, its record, receipt and logs)."""
    state = json.loads(state_file.read_text())

    def size(item: object) -> int:
        return len(json.dumps(item, separators=(",", ":")))

    empty = [size(b) for b in state["blocks"] if not b.get("transactions")]
    per_empty = sum(empty) / len(empty)
    tx_bytes = sum(size(b) - per_empty for b in state["blocks"] if b.get("transactions"))
    tx_bytes += sum(size(t) for t in state["transactions"])
    return per_empty, tx_bytes / len(state["transactions"])


def _first_log(rpc: HttpJsonRpc, from_block: int, address: str) -> dict[str, Any]:
    """The first log of `address` from `from_block`: a busy node may answer the nonce before the logs' index."""
    deadline = time.monotonic() + RPC_TIMEOUT_S
    while not (
        logs := rpc.call("eth_getLogs", [{"fromBlock": hex(from_block), "toBlock": "latest", "address": address}])
    ):
        if time.monotonic() > deadline:
            raise SystemExit(f"no log of {address} from block {from_block} after the transactions were mined")
        time.sleep(0.1)
    return dict(logs[0])


def _check_cost(state_file: Path) -> tuple[float, float]:
    """Seconds and peak MiB of `state_inconsistency` on a save, in a process of its own (the start runs it)."""
    program = (
        "import resource, sys, time; from pathlib import Path; "
        "from tradeledger.chain.backends import state_inconsistency; "
        "started = time.perf_counter(); problem = state_inconsistency(Path(sys.argv[1])); "
        "print(time.perf_counter() - started, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, problem)"
    )
    out = subprocess.run([sys.executable, "-c", program, str(state_file)], capture_output=True, text=True, check=True)
    seconds, mib, problem = out.stdout.split(maxsplit=2)
    if problem.strip() != "None":
        raise RuntimeError(f"anvil's save on exit is not consistent: {problem.strip()}")
    return float(seconds), float(mib)


def measure(
    chain: DevChain, sizes: list[int], tx_per_point: int, *, rate_window_s: float, saves: int
) -> tuple[dict[str, float], list[Point], tuple[float, float]]:
    """The block rates (per second, each over `rate_window_s`: idle, under the modest load), the figures at each
    chain length (RPC answers polled through `saves` periodic saves), and the bytes per empty block and per
    transaction."""
    deployed = deploy_scenario(chain)
    settlement = deployed.addresses["Settlement"]
    assert chain.rpc_url is not None
    rpc = HttpJsonRpc(chain.rpc_url, timeout=RPC_TIMEOUT_S)
    rates = {
        name: _blocks_per_s(rpc, tx_s, rate_window_s)
        for name, tx_s in (("idle", 0.0), ("modest_load", MODEST_LOAD_TX_S))
    }
    print(f"blocks per second: {rates['idle']:.2f} idle, {rates['modest_load']:.2f} at 1 tx/s", flush=True)
    first: dict[str, Any] = {}
    points: list[Point] = []
    split = (0.0, 0.0)
    transactions = 0
    for blocks in sizes:
        assert chain.rpc_url is not None
        rpc = HttpJsonRpc(chain.rpc_url, timeout=RPC_TIMEOUT_S)
        before = _head(rpc)
        raw_ceiling(Meter(chain), chain.rpc_url, settlement, tx_per_point)
        transactions += tx_per_point
        if not first:
            log = _first_log(rpc, before, settlement)
            receipt = rpc.call("eth_getTransactionReceipt", [log["transactionHash"]])
            first = {
                "tx": log["transactionHash"],
                "logs": len(receipt["logs"]),
                "block_1": rpc.call("eth_getBlockByNumber", ["0x1", False])["hash"],
            }
        _grow(rpc, blocks)
        latencies, cpu_share = _poll_through_saves(
            chain, saves * STATE_INTERVAL_S + (points[-1].save_s if points else 1)
        )
        record = chain.running()
        assert record is not None
        rss = _rss_mib(record.pid)
        head = _head(rpc)
        cpu_before_save, reaped = process_cpu_s(record.pid), _reaped_cpu_s()
        started = time.perf_counter()
        chain.stop()
        save_s = time.perf_counter() - started
        save_cpu_s = _reaped_cpu_s() - reaped - cpu_before_save
        state_mb = chain.state_file.stat().st_size / 2**20
        if not points:
            split = _split(chain.state_file)
        check_s, check_mib = _check_cost(chain.state_file)
        started = time.perf_counter()
        chain.start()
        load_s = time.perf_counter() - started
        assert chain.rpc_url is not None
        kept = _history_kept(HttpJsonRpc(chain.rpc_url, timeout=RPC_TIMEOUT_S), first, head)
        points.append(
            Point(
                blocks=head,
                transactions=transactions,
                state_mb=state_mb,
                save_s=save_s,
                save_cpu_s=save_cpu_s,
                load_s=load_s,
                check_s=check_s,
                check_mib=check_mib,
                stall_max_ms=max(latencies),
                stall_p99_ms=quantiles(latencies, n=100)[98],
                rss_mib=rss,
                idle_cpu_share=cpu_share,
                log_bytes_per_block=chain.log_file.stat().st_size / head,
                history_kept=kept,
            )
        )
        print(
            f"{head:,} blocks: {state_mb:,.1f} MB, save {save_s:.2f} s, load {load_s:.2f} s (check {check_s:.2f} s)",
            flush=True,
        )
    return rates, points, split


def extrapolate(
    points: list[Point], rates: dict[str, float], per_block: float, per_tx: float
) -> dict[str, dict[str, float]]:
    """A week of `make run`, idle and under a modest load: the blocks from the measured rates, the size from the
    bytes per block and per transaction;
    the save and the load in proportion to the size (anvil writes and parses the whole JSON file: at small sizes
    fixed costs hide that, and a line through two small points can even slope down); anvil's memory and idle CPU
    along the line through the two largest chains."""
    small, large = points[-2], points[-1]
    proportional = {"save_s", "save_cpu_s", "load_s"}

    def at(state_mb: float, figure: str) -> float:
        if figure in proportional:
            return float(getattr(large, figure) * state_mb / large.state_mb)
        rise = (getattr(large, figure) - getattr(small, figure)) / (large.state_mb - small.state_mb)
        return float(getattr(large, figure) + max(rise, 0.0) * (state_mb - large.state_mb))

    week = {}
    for name, txs in (("idle", 0.0), ("modest_load", WEEK_S * MODEST_LOAD_TX_S)):
        blocks = WEEK_S * rates[name]
        state_mb = (blocks * per_block + txs * per_tx) / 2**20
        week[name] = {
            "blocks": blocks,
            "transactions": txs,
            "state_mb": state_mb,
            "save_s": at(state_mb, "save_s"),
            "save_cpu_s": at(state_mb, "save_cpu_s"),
            "load_s": at(state_mb, "load_s"),
            "save_share_of_interval": at(state_mb, "save_s") / STATE_INTERVAL_S,
            "rss_mib": at(state_mb, "rss_mib"),
            "idle_cpu_share": at(state_mb, "idle_cpu_share"),
            "log_mb": blocks * large.log_bytes_per_block / 2**20,
        }
    return week


def main() -> None:
    parser = arguments(__doc__)
    # anvil copies the state, every block hash so far included, for each block it mines: making history slows down
    # as the chain grows (30,000 blocks in 1.5 min, the next 50,000 in 8 on a busy machine)
    parser.add_argument("--sizes", type=int, nargs="+", default=[30_000, 80_000], help="chain lengths")
    parser.add_argument("--transactions", type=int, default=2_000, help="Settlement.issue calls added per size")
    options = parser.parse_args()
    sizes, tx_per_point = ([2_000, 10_000], 500) if options.quick else (options.sizes, options.transactions)
    rate_window_s, saves = (QUICK_RATE_WINDOW_S, 1) if options.quick else (RATE_WINDOW_S, 2)
    ran_on = machine()
    with tempfile.TemporaryDirectory() as data_dir:  # the state files run to hundreds of MB
        chain = DevChain(Path(data_dir))
        with chain:
            rates, points, (per_block, per_tx) = measure(
                chain, sizes, tx_per_point, rate_window_s=rate_window_s, saves=saves
            )
    week = extrapolate(points, rates, per_block, per_tx)
    if not all(point.history_kept for point in points):
        raise RuntimeError(f"a restart lost history: {points}")

    table = figures_table(
        f"dev chain state file (anvil, save every {STATE_INTERVAL_S} s)",
        "chain", "state MB", "save s (CPU s)", "load s (check s, MiB)", "RPC stall max / p99 ms", "anvil RSS MiB",
        "idle CPU",
    )  # fmt: skip
    for point in points:
        table.add_row(
            f"{point.blocks:,} blocks, {point.transactions:,} tx",
            f"{point.state_mb:,.1f}",
            f"{point.save_s:.2f} ({point.save_cpu_s:.2f})",
            f"{point.load_s:.2f} ({point.check_s:.2f} s, {point.check_mib:,.0f} MiB)",
            f"{point.stall_max_ms:,.0f} / {point.stall_p99_ms:,.0f}",
            f"{point.rss_mib:,.0f}",
            f"{point.idle_cpu_share:.0%}",
        )
    for name, figures in week.items():
        table.add_row(
            f"a week {name.replace('_', ' ')} (extrapolated, {rates[name]:.2f} blocks/s)",
            f"{figures['state_mb']:,.0f}",
            f"{figures['save_s']:,.1f} ({figures['save_cpu_s']:,.1f})",
            f"{figures['load_s']:,.1f}",
            f"save = {figures['save_share_of_interval']:.0%} of the interval",
            f"{figures['rss_mib']:,.0f}",
            f"{figures['idle_cpu_share']:.0%}",
        )
    results: dict[str, object] = {
        "points": [asdict(point) for point in points],
        "bytes_per_empty_block": per_block,
        "bytes_per_transaction": per_tx,
        "week": week,
        "state_interval_s": STATE_INTERVAL_S,
        "block_time_s": DEV_BLOCK_TIME_S,
        "clock_block_s": DEV_CLOCK_BLOCK_S,
        "blocks_per_s": rates,
        **ran_on,
    }
    report("devchain", table, results, options.json)


if __name__ == "__main__":
    main()
