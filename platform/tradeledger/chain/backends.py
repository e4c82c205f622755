"""Chain backends behind one small interface: a managed anvil (`dev`), in-process py-evm (`memory`), or a URL.

The rest of the service only sees a web3 provider and, for the memory backend, a way to give accounts the
gas money that the consortium chain and the dev chain never ask for.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlparse

from web3 import EthereumTesterProvider, HTTPProvider, Web3
from web3.providers.base import BaseProvider

from tradeledger.chain.compiler import EVM_VERSION
from tradeledger.chain.poa import poa_web3
from tradeledger.chain.rpc import HttpJsonRpc, JsonRpc, ProviderJsonRpc, RpcError
from tradeledger.errors import ChainUnavailableError, ConfigurationError

log = logging.getLogger(__name__)
PROJECT_ROOT = Path(__file__).resolve().parents[3]
ANVIL_BINARY = PROJECT_ROOT / "node_modules" / "@foundry-rs" / "anvil-linux-amd64" / "bin" / "anvil"
DEV_CHAIN_ID = 1337
# Blocks every 250 ms while there is something to mine, with room for 300M gas (some 5,000 Settlement calls): a
# single request waits 125 ms on average for its block, and a burst is mined at the chain's pace (measured with
# interval mining at 250 ms: 3,819 tx/s for 4,000 pre-signed Settlement.issue calls sent in JSON-RPC batches of
# 200, against 4,621 with 100 ms blocks). anvil 1.7.1 mines unreliably on arrival under load: in automine or mixed
# mode, sustained sends from one signer left thousands of transactions in its pool unmined, and batches of 200
# made it stop answering altogether. So `DevMiner` looks at the pool every DEV_BLOCK_TIME_S and mines what is
# ready, and anvil's own interval mining only keeps the clock going, a block a second as on the consortium's QBFT
# chain (statements "up to now" wait for the block that closes their second). Every block, empty ones too, stays
# in the state file anvil rewrites every few seconds, about 1.5 KB each: an idle chain that mined every 250 ms
# grew by 21 MB an hour and its save outgrew the save interval within a week (BENCHMARKS.md).
DEV_BLOCK_TIME_S = 0.25
DEV_CLOCK_BLOCK_S = 1
DEV_MINING_FLAGS = ("--block-time", str(DEV_CLOCK_BLOCK_S), "--gas-limit", "300000000")
# What keeps a long-running dev chain light (scripts/bench_devchain.py, BENCHMARKS.md). The hardfork the contracts
# are compiled for and the consortium runs: under anvil's default (prague) every block writes its parent's hash
# into the EIP-2935 history contract, 8,191 more storage slots in every state. anvil keeps a copy of the state
# per block for calls at old blocks, moves those past 500 to disk and keeps 3,600 of them there, and each copy
# carries the hash of every block so far: under the defaults its cache in ~/.foundry/anvil/tmp (never removed)
# held 2.2 GB after 10,000 blocks and 10.8 GB after 40,000 (11 hours idle), and each block took longer to mine.
# At most 10 on disk, in the data directory (cleared at each start): 7 MB after 10,000 blocks, the same memory
# (53 MiB), half the CPU. Fewer in memory is worse: --prune-history N and --max-persisted-states 0 grew anvil to
# 1.8 GB after 10,000 blocks, and --prune-history without N failed one `eth_call` at `latest` in 360 when a new
# block landed during the call ("block height is 10 but requested was 9").
DEV_HISTORY_FLAGS = ("--hardfork", EVM_VERSION, "--max-persisted-states", "10")
# anvil writes its whole state (blocks included) on exit and every STATE_INTERVAL_S; a shorter interval makes a
# busy chain stall on the dump, a SIGKILL loses at most this much of a dev chain's latest blocks.
STATE_INTERVAL_S = 5
STARTUP_TIMEOUT_S = 20.0
# anvil loaded 238 MB of state in 7.8 s and saved it in 4.6 s on a busy 2-core machine (BENCHMARKS.md): starting
# and stopping a long-lived dev chain are given this much time per MB of state on top of STARTUP_TIMEOUT_S.
STATE_S_PER_MB = 0.5
# Past this size (some 40 hours of an idle chain) a save on a busy machine takes about as long as the interval
# between saves (measured: 238 MB saved in 4.6 s, RPC answers stalling up to 3 s): the start says so.
STATE_WARN_MB = 200
RPC_TIMEOUT_S = 10.0


class ChainBackend(ABC):
    """A chain the service can talk to; `start` must fail fast with a message that says what to do."""

    name: str

    @abstractmethod
    def start(self) -> None:
        """Make the chain reachable (start or attach to it), or raise a TradeLedgerError."""

    def stop(self) -> None:  # noqa: B027 - a deliberate no-op default
        """Release what `start` acquired; the chain's state survives where the backend persists it."""

    @abstractmethod
    def provider(self) -> BaseProvider:
        """The web3 provider for this chain."""

    @property
    def rpc_url(self) -> str | None:
        """The JSON-RPC URL other processes can use, or None for an in-process chain."""
        return None

    def web3(self) -> Web3:
        """A web3 client on this chain that reads proof-of-authority headers."""
        return poa_web3(self.provider())

    def rpc(self) -> JsonRpc:
        """The lean JSON-RPC client the transaction manager and the indexer use."""
        return HttpJsonRpc(self.rpc_url) if self.rpc_url else ProviderJsonRpc(self.provider())

    def fund_gas(self, addresses: Iterable[str]) -> None:  # noqa: B027 - a deliberate no-op default
        """Give `addresses` enough native balance to pay for gas; a no-op where gas is free."""

    def pool_eviction(self, rpc: JsonRpc) -> Callable[[str], bool] | None:
        """How to make the node forget a signer's pooled transactions, where it has a way (see anvil_eviction)."""
        return None

    def revive(self) -> bool:
        """Start the node again if this process started it and it died; True if it did. Nodes it does not
        manage are somebody else's to restart."""
        return False

    def __enter__(self) -> ChainBackend:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _answers(url: str) -> int | None:
    """The chain id the node at `url` reports, or None if nothing answers there."""
    try:
        return int(Web3(HTTPProvider(url, request_kwargs={"timeout": 2})).eth.chain_id)
    except Exception:
        return None


def _complete_json(path: Path) -> bool:
    """Whether a state file ends as anvil ends one: a save cut short stops in the middle of the JSON."""
    with path.open("rb") as file:
        file.seek(max(0, path.stat().st_size - 64))
        return file.read().rstrip().endswith(b"}")


def _state_summary(item: dict[str, Any]) -> dict[str, Any]:
    """What `state_inconsistency` reads of each object of a state file, so that a large file's traces, logs, code
    and storage are dropped as they are parsed instead of held at once."""
    if "header" in item and "transactions" in item:  # a block: its number and how many transactions
        return {"header": {"number": item["header"]["number"]}, "transactions": [None] * len(item["transactions"])}
    if "info" in item and "block_number" in item:  # a saved transaction: its block, sender and nonce
        return {"block_number": item["block_number"], "info": item["info"]}
    if "traces" in item and "from" in item:
        return {"from": item["from"], "nonce": item["nonce"]}
    if "storage" in item and "nonce" in item:  # an account
        return {"nonce": item["nonce"], "contract": item.get("code", "0x") not in ("0x", "")}
    return item


def state_inconsistency(path: Path) -> str | None:
    """Why a complete anvil state file cannot be trusted, or None: its accounts and its blocks must tell one story.

    anvil 1.7 writes the accounts' state and the blocks at different moments while it goes on mining: a save can
    hold an account's nonce (and the effects of its transactions) ahead of the blocks that mined them. Loaded,
    the node answers "nonce too low" to the stored bytes of the transactions it lost, which can never be sent
    again, while their effects stay in its state without their events. Every transaction moves its sender's
    nonce, so comparing each externally owned account's nonce with the nonce its saved transactions imply finds
    any such save (and the reverse, blocks ahead of the accounts), as does a block whose transaction count
    differs from its saved receipts.
    """
    try:
        state = json.loads(path.read_bytes(), object_hook=_state_summary)
        mined = {int(block["header"]["number"], 16): len(block["transactions"]) for block in state["blocks"]}
        receipts: dict[int, int] = {}
        implied: dict[str, int] = {}
        for saved in state.get("transactions") or ():
            receipts[saved["block_number"]] = receipts.get(saved["block_number"], 0) + 1
            sender = str(saved["info"]["from"]).lower()
            implied[sender] = max(implied.get(sender, 0), int(saved["info"]["nonce"]) + 1)
        accounts = {str(address).lower(): account for address, account in state["accounts"].items()}
    except (OSError, ValueError, KeyError, TypeError):
        return None  # not a save this check can read: anvil's own load accepts it or fails the start with its log
    for number, count in sorted(receipts.items()):
        if mined.get(number) != count:
            return f"block {number} holds {mined.get(number, 0)} transactions, the save {count} of its receipts"
    for address, account in sorted(accounts.items()):
        if account["contract"]:
            continue  # a contract's nonce counts the contracts it created, not transactions
        if int(account["nonce"]) != implied.get(address, 0):
            return (
                f"account {address} has nonce {account['nonce']} but its saved transactions imply "
                f"{implied.get(address, 0)}"
            )
    return None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass(frozen=True)
class DevChainRecord:
    """What `data/chain/anvil.json` remembers about a running dev chain, so other commands can attach."""

    pid: int
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def anvil_eviction(rpc: JsonRpc) -> Callable[[str], bool]:
    """Drops every pooled transaction of a signer from anvil, so that the stored bytes can be sent afresh.

    anvil's pool checks a transaction's nonce against the state before it takes its lock: a transaction that
    arrives while its predecessor is being mined can wait in the queue for that predecessor forever (seen under
    load: the sender's nonce N is next, the pool holds N, nothing is mined). Sent again, the same bytes find N
    executable.
    """

    def evict(signer: str) -> bool:
        rpc.call("anvil_removePoolTransactions", [signer])
        return True

    return evict


def advance_dev_clock(url: str, to: int) -> int:
    """Move a dev chain's (anvil's) clock forward so that its next block, mined now, has the timestamp `to`; later
    blocks follow from there. Contracts and the scheduler see the new time like any other: this is how a demo
    reaches a due date in minutes. Returns the head block's timestamp afterwards (unchanged when already at or
    past `to`: a clock never goes back)."""
    rpc = HttpJsonRpc(url)
    try:
        now = int(rpc.call("eth_getBlockByNumber", ["latest", False])["timestamp"], 16)
        if now >= to:
            return now
        rpc.call("evm_setNextBlockTimestamp", [to])
        rpc.call("evm_mine", [])
        return int(rpc.call("eth_getBlockByNumber", ["latest", False])["timestamp"], 16)
    finally:
        rpc.close()


def _exclusive(lock: IO[str]) -> bool:
    """Take the lock file's exclusive lock if no other open file holds it; the OS releases it with the file."""
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


class DevMiner:
    """Mines a dev chain's next block once its pool holds a transaction ready to run, looked at every
    DEV_BLOCK_TIME_S: blocks at the write path's pace while there is business, none in between but anvil's clock
    blocks (DEV_CLOCK_BLOCK_S).

    Every process attached to the chain runs one (the service's engine and API workers, a CLI command); the lock
    file lets one of them mine at a time, and another takes over within a tick when that process dies (the lock
    goes with it). With none running (a chain left by `tradeledger chain start`), anvil's clock blocks mine what
    is sent.
    """

    def __init__(self, url: str, lock_file: Path) -> None:
        self.url = url
        self.lock_file = lock_file
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="dev-chain-miner", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=RPC_TIMEOUT_S)

    def _run(self) -> None:
        rpc = HttpJsonRpc(self.url, timeout=RPC_TIMEOUT_S)
        held = False
        tick = time.monotonic()
        with self.lock_file.open("a") as lock:
            while not self._stopped.wait(max(0.0, tick - time.monotonic())):
                tick = max(tick + DEV_BLOCK_TIME_S, time.monotonic())  # a long block delays the next tick, no more
                held = held or _exclusive(lock)
                if held:
                    self._mine_if_pending(rpc)
        rpc.close()

    @staticmethod
    def _mine_if_pending(rpc: JsonRpc) -> None:
        """Mine if a transaction is ready to run and the chain's mining is on: `evm_setIntervalMining 0` stops
        this miner too (a chain that does not mine, as the tests of unmined writes make it)."""
        with contextlib.suppress(ChainUnavailableError, RpcError):  # anvil stopping, or restarting: ask next tick
            pool, interval = rpc.batch([("txpool_status", []), ("anvil_getIntervalMining", [])])
            if isinstance(pool, dict) and interval is not None and int(pool["pending"], 16):
                rpc.call("evm_mine", [])


class DevChain(ChainBackend):
    """A managed anvil node on loopback, its state persisted under the data directory.

    `start` attaches to a dev chain already running for the same data directory (started by
    `tradeledger chain start`), or starts one as a child process that `stop` shuts down.

    Durability, measured by scripts/bench_devchain.py (figures in BENCHMARKS.md). anvil keeps the whole chain,
    every block, transaction, receipt and log, and the accounts' state, in memory, and writes all of it as one
    JSON file on SIGTERM and every STATE_INTERVAL_S: a SIGKILL (or a power loss) loses the blocks since the last
    save, at most STATE_INTERVAL_S of them plus the save's own duration; the service puts back from its outbox
    what the node lost. anvil rewrites that file in place, so a kill in the middle of a save leaves a file cut
    short, and it writes accounts and blocks at different moments, so a complete save can hold accounts ahead of
    their blocks (`state_inconsistency`): the chain therefore starts from `previous_state_file` (the last good
    save, moved aside at each start) and anvil writes `state_file`; a save cut short or torn between accounts and
    blocks is set aside and the chain starts from the state of its previous start instead, which says so in the
    log.

    The trade-off that remains: the file grows with every block, empty ones included (the clock's, one a second
    when idle, see DEV_MINING_FLAGS), and the save, the load and anvil's memory grow with it, as does the CPU
    anvil spends per block (each block's state copy carries every block hash so far). anvil offers no way to keep
    blocks, receipts and logs while bounding them: --transaction-block-keeper drops old transactions and receipts
    (the audit reader needs them), --prune-history and --max-persisted-states only concern historical states
    (kept few, see DEV_HISTORY_FLAGS), --preserve-historical-states adds them to the file. A week of `make run`
    left idle is some 600,000 blocks (scripts/bench_devchain.py): `rm -r data` starts afresh.

    `persist=False` starts a chain that keeps nothing (benchmarks).
    """

    name = "dev"

    def __init__(
        self, data_dir: Path, port: int = 0, *, detach: bool = False, anvil: Path | None = None, persist: bool = True
    ) -> None:
        self.detach = detach
        self.persist = persist
        self.chain_dir = data_dir / "chain"
        self.state_file = self.chain_dir / "anvil-state.json"
        self.previous_state_file = self.chain_dir / "anvil-state.previous.json"
        self.states_cache = self.chain_dir / "states"  # anvil's per-block states, only for calls at old blocks
        self.record_file = self.chain_dir / "anvil.json"
        self.log_file = self.chain_dir / "anvil.log"
        self.miner_lock = self.chain_dir / "miner.lock"
        self.port = port
        self.anvil = anvil or ANVIL_BINARY
        self._process: subprocess.Popen[bytes] | None = None
        self._url: str | None = None
        self._miner: DevMiner | None = None

    @property
    def rpc_url(self) -> str | None:
        return self._url

    def pool_eviction(self, rpc: JsonRpc) -> Callable[[str], bool] | None:
        return anvil_eviction(rpc)

    def provider(self) -> BaseProvider:
        if self._url is None:
            raise ChainUnavailableError("the dev chain is not started")
        return HTTPProvider(self._url, request_kwargs={"timeout": RPC_TIMEOUT_S})

    def running(self) -> DevChainRecord | None:
        """The dev chain already running for this data directory, if any."""
        try:
            record = DevChainRecord(**json.loads(self.record_file.read_text()))
        except (OSError, ValueError, TypeError):
            return None
        if _pid_alive(record.pid) and _answers(record.url) == DEV_CHAIN_ID:
            return record
        return None

    def start(self) -> None:
        """Attach to the running dev chain or start anvil; when detached, anvil outlives this process."""
        record = self.running()
        if record is not None:
            self._url = record.url
            self._mine(record.url)
            return
        self._check_toolchain()
        self.chain_dir.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(self.states_cache, ignore_errors=True)
        port = self.port or _free_loopback_port()
        command = [
            str(self.anvil),
            "--host", "127.0.0.1",
            "--port", str(port),
            "--chain-id", str(DEV_CHAIN_ID),
            "--gas-price", "0",
            "--base-fee", "0",
            "--disable-min-priority-fee",  # else eth_gasPrice still answers 1 gwei: gas must be free, as on Besu
            *(self._persistence() if self.persist else ()),
            *DEV_HISTORY_FLAGS,
            "--cache-path", str(self.states_cache),
            *DEV_MINING_FLAGS,
        ]  # fmt: skip
        with self.log_file.open("ab") as log:
            process = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=self.detach,
            )
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + self._state_timeout(self.previous_state_file)
        while _answers(url) != DEV_CHAIN_ID:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                tail = self.log_file.read_text(errors="replace").strip().splitlines()[-1:] or ["no output"]
                raise ChainUnavailableError(
                    f"the dev chain (anvil) did not start: {tail[0]} (log: {self.log_file}; "
                    f"a corrupt {self.previous_state_file.name} can be moved aside to start afresh)"
                )
            time.sleep(0.05)
        self._url = url
        self.record_file.write_text(json.dumps({"pid": process.pid, "port": port}))
        self._process = None if self.detach else process
        self._keep_clock(url)
        self._mine(url)

    def _mine(self, url: str) -> None:
        """Mine this chain's transactions as they come, while this object is attached (once: `revive` starts
        anvil again on the same port, where the miner goes on)."""
        if self._miner is None:
            self._miner = DevMiner(url, self.miner_lock)

    @staticmethod
    def _keep_clock(url: str) -> None:
        """A clock moved forward (`advance_dev_clock`) stays forward across a restart. anvil saves the blocks but
        not its clock's offset: loaded, it stamps new blocks with the wall clock again, earlier than the blocks it
        loaded. A loaded block stamped after the wall clock shows the move; the few empty blocks anvil mined before
        this call keep their earlier stamps, and the next one goes on from the latest loaded time, before the
        service sends anything."""
        rpc = HttpJsonRpc(url)
        try:
            head = int(rpc.call("eth_blockNumber", []), 16)
            recent = rpc.batch([("eth_getBlockByNumber", [hex(n), False]) for n in range(max(0, head - 64), head + 1)])
            stamps = [int(block["timestamp"], 16) for block in recent]
            if max(stamps) > time.time() + 1:  # a second of slack: a block just mined is not a moved clock
                log.info("the dev chain's clock was moved forward: it goes on from %d", max(stamps))
                rpc.call("evm_setNextBlockTimestamp", [max(stamps) + 1])
                rpc.call("evm_mine", [])
        finally:
            rpc.close()

    def revive(self) -> bool:
        """A managed anvil that died (killed, out of memory) is started again on the same port from its last saved
        state; what it lost since, the transaction manager sends again from its outbox."""
        if self._process is None or self._process.poll() is None:
            return False
        code = self._process.returncode
        port = int(urlparse(self._url or "").port or 0)
        log.error("the dev chain (anvil) exited with code %s: starting it again from its last saved state", code)
        self._process = None
        self.port = port
        self.start()
        return True

    def _persistence(self) -> tuple[str, ...]:
        """anvil's options to load the last complete save and to write the next ones beside it."""
        if self.state_file.exists():
            problem = None if _complete_json(self.state_file) else "cut short"
            problem = problem or state_inconsistency(self.state_file)
            if problem is None:
                os.replace(self.state_file, self.previous_state_file)
            else:
                torn = self.state_file.with_suffix(".torn.json")
                os.replace(self.state_file, torn)
                log.warning(
                    "the dev chain's last save cannot be loaded: %s (kept as %s): it restarts from the state of "
                    "its previous start, the service puts back from its outbox what the chain lost",
                    problem,
                    torn,
                )
        size_mb = self.previous_state_file.stat().st_size / 2**20 if self.previous_state_file.exists() else 0
        if size_mb > STATE_WARN_MB:
            log.warning(
                "the dev chain's state file is %.0f MB: anvil rewrites all of it every %d s and slows down as it "
                "grows (about 5 MB an hour, idle); `rm -r %s` starts a fresh chain",
                size_mb,
                STATE_INTERVAL_S,
                self.chain_dir.parent,
            )
        load = ("--load-state", str(self.previous_state_file)) if size_mb else ()
        return *load, "--dump-state", str(self.state_file), "--state-interval", str(STATE_INTERVAL_S)

    def stop(self) -> None:
        """Stop the anvil this object started (it dumps its state on SIGTERM); leave an attached one alone."""
        if self._miner is not None:
            self._miner.stop()
            self._miner = None
        if self._process is not None:
            self._terminate(self._process.pid)
            self._process.wait(timeout=self._state_timeout(self.state_file))
            self._process = None
            self.record_file.unlink(missing_ok=True)
        self._url = None

    def stop_detached(self) -> bool:
        """Stop the dev chain started by `tradeledger chain start`; False if none was running."""
        record = self.running()
        if record is None:
            return False
        self._terminate(record.pid)
        deadline = time.monotonic() + self._state_timeout(self.state_file)
        while _pid_alive(record.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.record_file.unlink(missing_ok=True)
        return True

    def _state_timeout(self, state_file: Path) -> float:
        """How long anvil may take to start from, or to stop by saving, a state file of this size."""
        size = state_file.stat().st_size if self.persist and state_file.exists() else 0
        return STARTUP_TIMEOUT_S + STATE_S_PER_MB * size / 2**20

    @staticmethod
    def _terminate(pid: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)

    def _check_toolchain(self) -> None:
        if self.anvil.is_file():
            return
        if shutil.which("node") is None or shutil.which("npm") is None:
            raise ConfigurationError(
                "TRADELEDGER_CHAIN=dev needs the anvil node from the npm toolchain, and Node.js/npm is not "
                "installed: install Node 18+ and run `npm ci`, or set TRADELEDGER_CHAIN=memory"
            )
        raise ConfigurationError(
            f"TRADELEDGER_CHAIN=dev needs anvil at {self.anvil}: run `npm ci` in {PROJECT_ROOT} "
            "(or `make run`, which does it)"
        )


class MemoryChain(ChainBackend):
    """eth-tester with py-evm in this process: no Node needed, nothing persisted, slow (~15 tx/s)."""

    name = "memory"
    GAS_ALLOWANCE_WEI = 10**21

    def __init__(self) -> None:
        self._provider: EthereumTesterProvider | None = None

    def start(self) -> None:
        if self._provider is None:
            self._provider = EthereumTesterProvider()

    def provider(self) -> BaseProvider:
        if self._provider is None:
            raise ChainUnavailableError("the memory chain is not started")
        return self._provider

    def fund_gas(self, addresses: Iterable[str]) -> None:
        """py-evm charges a base fee, so hosted accounts get gas money from eth-tester's funded account."""
        w3 = self.web3()
        tester: Any = self.provider().ethereum_tester  # type: ignore[attr-defined]
        faucet = tester.get_accounts()[0]
        for address in addresses:
            if w3.eth.get_balance(Web3.to_checksum_address(address)) < self.GAS_ALLOWANCE_WEI // 2:
                tester.send_transaction({"from": faucet, "to": address, "value": self.GAS_ALLOWANCE_WEI, "gas": 21000})


class UrlChain(ChainBackend):
    """Any node by its HTTP JSON-RPC URL: the Besu consortium, geth, an external anvil."""

    name = "url"

    def __init__(self, url: str) -> None:
        self.url = url

    @property
    def rpc_url(self) -> str | None:
        return self.url

    def start(self) -> None:
        if _answers(self.url) is None:
            raise ChainUnavailableError(
                f"TRADELEDGER_CHAIN={self.url}: no chain node answers at that URL; start the node or "
                "point TRADELEDGER_CHAIN at a reachable JSON-RPC endpoint"
            )

    def provider(self) -> BaseProvider:
        return HTTPProvider(self.url, request_kwargs={"timeout": RPC_TIMEOUT_S})


def open_backend(
    chain: str, data_dir: Path, dev_port: int = 0, *, detach: bool = False, anvil: Path | None = None
) -> ChainBackend:
    """The backend named by the TRADELEDGER_CHAIN setting (`dev`, `memory` or an http(s) URL).

    `detach` (dev chain only) leaves a started anvil running after this process exits.
    """
    if chain == "dev":
        return DevChain(data_dir, port=dev_port, detach=detach, anvil=anvil)
    if chain == "memory":
        return MemoryChain()
    scheme = urlparse(chain).scheme
    if scheme in {"http", "https"}:
        return UrlChain(chain)
    if scheme in {"ws", "wss"}:
        raise ConfigurationError(
            f"TRADELEDGER_CHAIN={chain}: give the node's HTTP JSON-RPC URL (http:// or https://); "
            "WebSocket endpoints are not used by the service"
        )
    raise ConfigurationError(
        f"TRADELEDGER_CHAIN={chain!r} is not a backend: use `dev` (managed anvil), `memory` (in-process "
        "py-evm) or a node URL such as http://127.0.0.1:8545"
    )
