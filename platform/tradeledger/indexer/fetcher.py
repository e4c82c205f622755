"""The indexer's reading side: a block range's logs fetched and decoded into event records (and their arguments' JSON).

`LogFetcher` does it in the calling thread. `FetchProcess` runs a `LogFetcher` in a child process, for long
catch-ups: in a thread, fetching and decoding (JSON parsing, ABI decoding, the raw events' JSON) took turns with
the writing thread on one interpreter lock, and the two used 0.93 of one core on a two-core machine. The child
gets one range at a time over a socket and answers with the batch, pickled as plain tuples (an `EventRecord`
unpickles in a third of the time that way).

The child stops with its parent, however the parent ends: it waits for its requests on the socket and leaves at
end of file, which the kernel gives it once the parent's end is closed, by `close` or by the parent's death (a
child busy fetching finds the parent gone when it answers, and leaves then). It ignores SIGINT, which a terminal
sends to the whole process group: its parent decides when it stops.

This module imports no SQLAlchemy and, through `tradeledger.chain.rpc`, no web3: the child starts in under half a
second of CPU (0.45 s measured, most of it eth_abi's imports), while the indexer goes on fetching in a thread.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import weakref
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, NamedTuple, cast

import orjson

import tradeledger
from tradeledger.chain.abi import ContractAbi, load_abi
from tradeledger.chain.rpc import HttpJsonRpc, JsonRpc, RpcError, logs_in_range
from tradeledger.errors import ChainUnavailableError

log = logging.getLogger(__name__)

STOP_TIMEOUT_S = 5.0
"""How long `FetchProcess.close` waits for the child to leave before killing it."""


class EventRecord(NamedTuple):
    """One decoded event as the projections see it (immutable; a named tuple is made in half the time of a frozen
    dataclass, and the indexer makes one per event)."""

    chain_id: int
    block_number: int
    block_hash: str
    block_timestamp: datetime
    tx_hash: str
    tx_index: int
    log_index: int
    address: str
    contract: str
    event: str
    args: dict[str, Any]


@dataclass
class IngestTimings:
    """Wall time spent per phase since the indexer was made: where ingestion goes, for operators and benchmarks.

    While catching up, the next range is fetched and decoded (in a thread or in the fetch process) as the current
    batch is written, so the phases overlap: their sum exceeds the elapsed time by what the pipeline hid.

    Attributes:
        node_s: JSON-RPC calls (head, eth_getLogs, block headers, reorg checks).
        decode_s: ABI decoding of the logs into event records, and their arguments' canonical JSON.
        database_s: reading the checkpoint and the batch transaction (raw events, projections, checkpoint, commit).
    """

    node_s: float = 0.0
    decode_s: float = 0.0
    database_s: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @contextmanager
    def timed(self, phase: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.add({phase: time.perf_counter() - started})

    def add(self, seconds: Mapping[str, float]) -> None:
        """Count time spent elsewhere (the fetch process's phases)."""
        with self._lock:
            for phase, spent in seconds.items():
                setattr(self, phase, getattr(self, phase) + spent)

    def as_dict(self) -> dict[str, float]:
        return {phase: getattr(self, phase) for phase in ("node_s", "decode_s", "database_s")}


@dataclass(frozen=True)
class Batch:
    """One range's events, decoded, and the block hashes to keep: what one transaction writes."""

    first: int
    last: int
    records: list[EventRecord]
    # each record's arguments as canonical JSON, in the same order: with the record's own fields, its `chain_events`
    # row (the rows themselves are not sent: a dictionary per row made a third of unpickling a batch)
    args_json: list[str]
    hashes: dict[int, str]  # the batch's last block and those recent enough to be reorged

    def __reduce__(self) -> tuple[Any, ...]:
        return _unpickled_batch, (self.first, self.last, [tuple(r) for r in self.records], self.args_json, self.hashes)


def _unpickled_batch(
    first: int, last: int, records: list[tuple[Any, ...]], args_json: list[str], hashes: dict[int, str]
) -> Batch:
    return Batch(first, last, list(map(EventRecord._make, records)), args_json, hashes)


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off while a batch is fetched, decoded or written, back on after (if it was on).

    A batch makes tens of thousands of container objects (records, their arguments, rows) that live until it is
    written: with the collector on, each young collection walked the survivors so far and each full one every object
    not frozen, the batch's again and again, yet a batch makes no garbage cycles that outlive it for long (freed by
    reference counting once written). Collections resume between batches, so cycles made meanwhile, here or by the
    process's other threads, are collected a batch later than they would be. Process-wide, like the collector."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


_CANONICAL_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=str)


def canonical_json(args: Mapping[str, Any]) -> str:
    """The arguments as sorted, compact JSON: orjson writes it several times faster than the standard library,
    byte for byte the same for what the decoder gives (ASCII strings, booleans, lists, integers); an integer
    beyond 64 bits (a uint256 amount), which orjson refuses, and any non-ASCII text, which the standard
    library escapes, go through the standard library."""
    try:
        encoded = orjson.dumps(args, default=str, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:
        return _CANONICAL_JSON.encode(args)
    return encoded.decode() if encoded.isascii() else _CANONICAL_JSON.encode(args)


@dataclass(frozen=True)
class FetcherConfig:
    """What a fetcher needs to know, and all a fetch process is told: plain values, sent to the child."""

    chain_id: int
    contracts: dict[str, str]  # contract name -> address
    reorg_threshold: int


class LogFetcher:
    """Fetches block ranges' logs of the platform's contracts and decodes them strictly, in chain order."""

    def __init__(self, rpc: JsonRpc, config: FetcherConfig) -> None:
        self.rpc = rpc
        self.config = config
        self._abis: dict[str, tuple[str, ContractAbi]] = {
            address.lower(): (name, load_abi(name)) for name, address in config.contracts.items()
        }
        self._addresses = sorted(config.contracts.values())
        self._configured = {address.lower(): address for address in config.contracts.values()}  # nodes: lower case

    def fetch(self, first: int, last: int, head: int, timings: IngestTimings) -> Batch:
        """The logs of blocks first..last decoded, with the block hashes the batch keeps."""
        with timings.timed("node_s"):
            logs = logs_in_range(self.rpc, {"address": self._addresses}, first, last)
            logs = [entry for entry in logs if not entry.get("removed")]
            # the hashes of the batch's last block and of every block recent enough to be reorged, so a later
            # reorg can be traced back to the common ancestor; and the blocks whose logs lack their time (nodes
            # that predate the logs' blockTimestamp field)
            kept = range(min(max(first, head - self.config.reorg_threshold), last), last + 1)
            untimed = {int(entry["blockNumber"], 16) for entry in logs if entry.get("blockTimestamp") is None}
            numbers = sorted(untimed.union(kept))
            blocks = dict(zip(numbers, self._blocks(numbers), strict=True))
        with timings.timed("decode_s"):
            records = self._decode(logs, blocks)
            args_json = [canonical_json(record.args) for record in records]
        return Batch(first, last, records, args_json, {number: blocks[number]["hash"] for number in kept})

    def _blocks(self, numbers: Sequence[int]) -> list[dict[str, Any]]:
        results = self.rpc.batch([("eth_getBlockByNumber", [hex(n), False]) for n in numbers])
        for number, result in zip(numbers, results, strict=True):
            if isinstance(result, RpcError) or result is None:
                raise ChainUnavailableError(f"block {number} is not available from the node ({result})")
        return list(results)

    def _decode(self, logs: Sequence[dict[str, Any]], blocks: Mapping[int, dict[str, Any]]) -> list[EventRecord]:
        """The logs as event records in chain order, timed by their blocks."""
        times: dict[str, datetime] = {}
        records = []
        chain_id = self.config.chain_id
        for entry in logs:
            number = int(entry["blockNumber"], 16)
            block_hash = entry["blockHash"]
            block = blocks.get(number)
            if block is not None and block["hash"] != block_hash:
                # the chain moved under us between the calls: give up this batch, the next pass sees the reorg
                raise ChainUnavailableError(f"block {number} changed while indexing; retrying")
            timestamp = times.get(block_hash)
            if timestamp is None:
                seconds = entry.get("blockTimestamp") or (block or {})["timestamp"]
                timestamp = times[block_hash] = datetime.fromtimestamp(int(seconds, 16), UTC)
            address = entry["address"].lower()
            name, abi = self._abis[address]
            topics = [bytes.fromhex(topic[2:]) for topic in entry["topics"]]
            event, args = abi.decode_log(topics, bytes.fromhex(entry["data"][2:]))
            records.append(
                EventRecord(
                    chain_id,
                    number,
                    block_hash,
                    timestamp,
                    entry["transactionHash"],
                    int(entry["transactionIndex"], 16),
                    int(entry["logIndex"], 16),
                    self._configured[address],
                    name,
                    event,
                    args,
                )
            )
        records.sort(key=lambda r: (r.block_number, r.log_index))
        return records


_READY = "ready"


class FetchProcess:
    """A `LogFetcher` in a child process on the node's URL: one range asked for at a time, answered in order.

    Never raises for the child's sake: a range it fails to fetch comes back as None (the indexer fetches it
    itself and meets the error there), and a child that died leaves `alive` false.
    """

    def __init__(self, url: str, config: FetcherConfig) -> None:
        ours, theirs = socket.socketpair()
        with theirs:
            # `-c`, not `-m`: the child's classes must pickle under their own module's name, not __main__'s
            self._child = subprocess.Popen(
                [sys.executable, "-c", f"from {__name__} import serve; serve({theirs.fileno()})"],
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,  # not the parent's: a reader waiting for its end of file would wait on us
                env={**os.environ, "PYTHONPATH": _import_path()},
            )
        self._connection = Connection(ours.detach())
        self._finalizer = weakref.finalize(self, _stop, self._connection, self._child)
        self._ready = False
        self._awaiting = False  # a range was asked for and its answer not received yet
        self.alive = True
        with self._unless_gone():
            self._connection.send((url, config))

    @property
    def pid(self) -> int:
        return self._child.pid

    def ready(self) -> bool:
        """Whether the child has started (it imports and connects first), without waiting for it."""
        if not self._ready and self.alive:
            with self._unless_gone():
                self._ready = self._connection.poll() and self._connection.recv() == _READY
        return self._ready

    def request(self, first: int, last: int, head: int) -> None:
        """Ask for blocks first..last; the answer to a request given up (not received) is discarded first."""
        if not self.alive:
            return
        with self._unless_gone():
            if self._awaiting:
                self._connection.recv()
            self._awaiting = False
            self._connection.send((first, last, head))
            self._awaiting = True

    def receive(self, first: int, timings: IngestTimings) -> Batch | None:
        """The batch asked for from block `first` on; None if the child could not fetch it, or died."""
        if not self.alive or not self._awaiting:
            return None
        with self._unless_gone():
            batch, error, spent = self._connection.recv()
            self._awaiting = False
            timings.add(spent)
            if error is not None:
                log.debug("the fetch process failed from block %d: %s", first, error)
            return cast(Batch | None, batch) if batch is None or batch.first == first else None
        return None

    @contextmanager
    def _unless_gone(self) -> Iterator[None]:
        """Close this end when the child turns out to be gone (its socket at end of file, or broken)."""
        try:
            yield
        except (EOFError, OSError):
            log.warning("the indexer's fetch process (pid %d) stopped; fetching in the indexer itself", self.pid)
            self.close()

    def close(self) -> None:
        """Stop the child: end of file on its socket, then a kill if it has not left after STOP_TIMEOUT_S."""
        self.alive = False
        self._finalizer()


def _import_path() -> str:
    """PYTHONPATH for the child: the folder this process imported `tradeledger` from goes first, so both
    processes run the same code (a benchmark may run another tree's beside this one)."""
    here = str(Path(tradeledger.__file__).resolve().parents[1])
    return os.pathsep.join([here, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))])


def _stop(connection: Connection, child: subprocess.Popen[bytes]) -> None:
    connection.close()
    try:
        child.wait(STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


def serve(fd: int) -> None:
    """The child's side of `FetchProcess`: answer ranges read from socket `fd` until its end of file."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    connection = Connection(fd)
    try:
        url, config = connection.recv()
        fetcher = LogFetcher(HttpJsonRpc(url), config)
        # what start-up allocated (modules, ABIs) out of the cyclic collector's reach, as the indexer's own process
        # does (`runtime.freeze_long_lived`): each batch allocates tens of thousands of objects, and every full
        # collection would walk all of it again
        gc.collect()
        gc.freeze()
        connection.send(_READY)
        while True:
            first, last, head = connection.recv()
            timings = IngestTimings()
            answer: tuple[Batch | None, str | None, dict[str, float]]
            with collector_paused():  # as the indexer's writer does (`collector_paused`)
                try:
                    answer = (fetcher.fetch(first, last, head, timings), None, timings.as_dict())
                except Exception as error:  # the indexer fetches the range itself and meets the error there
                    answer = (None, f"{type(error).__name__}: {error}", timings.as_dict())
                connection.send(answer)
                del answer  # freed before the collector is back on, not walked by its next collection
    except (EOFError, OSError):  # the parent closed its end or died
        return
