"""One receipt poller for every thread waiting on a transaction.

Polling a receipt per waiting thread costs one RPC and one database transaction per waiter and poll: it stops
scaling at a few dozen concurrent requests. Instead one thread follows the chain head: for each new block it
takes the block's transaction hashes, records the receipts of ours (any open outbox row, waited for or not)
and wakes the threads waiting for them. A waiter that registers late gets one direct receipt lookup, so a
transaction mined before anyone followed the blocks is found too.

The thread runs while someone waits (or, in the service, always: `start`), and ends by itself a moment after
the last waiter left.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from tradeledger.chain.blockreceipts import BlockReceipts
from tradeledger.chain.rpc import JsonRpc
from tradeledger.errors import ChainUnavailableError

log = logging.getLogger(__name__)

POLL_WAITED_S = 0.01  # someone waits: a dev-chain block arrives within milliseconds
POLL_IDLE_S = 0.1  # the service follows blocks for transactions nobody waits for (asynchronous requests)
POLL_MIN_GAP_S = 0.002  # a new waiter polls at once, but passes stay this far apart: late waiters share one
LINGER_S = 1.0  # a thread without waiters lingers this long before it ends (sequential waits reuse it)
MAX_SCAN_BLOCKS = 256  # further behind, waiters get direct lookups instead of a block scan
UNREACHABLE_BACKOFF_S = 0.5

Receipt = dict[str, Any]


class ReceiptWatch:
    """Follows new blocks, records the receipts of open outbox rows, wakes the threads waiting for them.

    Args:
        rpc: the node.
        open_rows: tx hash -> outbox row id of the open (signed or sent) rows among the given hashes.
        record: stores receipts, given as (row id, receipt) pairs, in one database transaction.
    """

    def __init__(
        self,
        rpc: JsonRpc,
        open_rows: Callable[[Collection[str]], dict[str, str]],
        record: Callable[[Sequence[tuple[str, Receipt]]], object],
    ) -> None:
        self.rpc = rpc
        self._by_block = BlockReceipts(rpc)
        self._open_rows = open_rows
        self._record = record
        self._lock = threading.Lock()
        self._waiters: dict[str, list[threading.Event]] = {}
        self._row_ids: dict[str, str] = {}
        self._fresh: set[str] = set()
        self._always = False
        # how often blocks are followed with no waiter in this process: an engine sets it low, since API workers
        # (other processes) wait for the receipts it records
        self.idle_poll_s = POLL_IDLE_S
        self._thread: threading.Thread | None = None
        self._wakeup = threading.Event()
        self._scanned: int | None = None

    @contextmanager
    def waiting(self, tx_hash: str, row_id: str) -> Iterator[threading.Event]:
        """An event set when the transaction's outcome is recorded (or may have changed)."""
        event = threading.Event()
        with self._lock:
            self._waiters.setdefault(tx_hash, []).append(event)
            self._row_ids[tx_hash] = row_id
            if not (self._always and self._scanned is not None):
                # Its block may be behind the scan: look it up once. A watch that follows every block records the
                # receipt of every open outbox row it sees mined, and the waiter reads its row after registering,
                # so with one running no lookup per transaction is needed.
                self._fresh.add(tx_hash)
            self._ensure_thread()
        self._wakeup.set()
        try:
            yield event
        finally:
            with self._lock:
                events = self._waiters[tx_hash]
                events.remove(event)
                if not events:
                    del self._waiters[tx_hash], self._row_ids[tx_hash]
                    self._fresh.discard(tx_hash)

    def notify(self, tx_hashes: Iterable[str]) -> None:
        """Wake whoever waits for these transactions."""
        with self._lock:
            for tx_hash in tx_hashes:
                for event in self._waiters.get(tx_hash, ()):
                    event.set()

    def start(self) -> None:
        """Follow the blocks even when nobody waits (the service, for its asynchronous requests)."""
        with self._lock:
            self._always = True
            self._ensure_thread()

    def stop(self) -> None:
        """Stop following the blocks once nobody waits."""
        with self._lock:
            self._always = False
            thread = self._thread
        self._wakeup.set()
        if thread is not None:
            thread.join(timeout=LINGER_S + 5)

    def _ensure_thread(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="receipt-watch", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        idle_since = time.monotonic()
        while True:
            with self._lock:
                if self._waiters or self._always:
                    idle_since = time.monotonic()
                elif time.monotonic() - idle_since > LINGER_S:
                    self._thread = None
                    self._scanned = None
                    return
                interval = POLL_WAITED_S if self._waiters else self.idle_poll_s
            self._wakeup.clear()
            try:
                self.poll()
            except ChainUnavailableError as error:
                log.warning("receipt watch: %s", error)
                interval = UNREACHABLE_BACKOFF_S
            except Exception:
                log.exception("receipt watch pass failed")
                interval = UNREACHABLE_BACKOFF_S
            time.sleep(POLL_MIN_GAP_S)
            self._wakeup.wait(interval - POLL_MIN_GAP_S)

    def poll(self) -> None:
        """One pass: scan the blocks mined since the last pass, look up receipts of late waiters."""
        head = int(self.rpc.call("eth_blockNumber", []), 16)
        with self._lock:
            lookups = set(self._fresh)  # registered after the last pass: their block may be behind us
            self._fresh.clear()
            if self._scanned is not None and head - self._scanned > MAX_SCAN_BLOCKS:
                lookups.update(self._waiters)
                self._scanned = head
            waited = set(self._waiters)
            row_ids = dict(self._row_ids)
        if self._scanned is not None and head < self._scanned:  # the node went back (restarted from older state)
            self._scanned = head - 1
        first = head + 1 if self._scanned is None else self._scanned + 1
        found: list[tuple[str, Receipt]] = []
        if first <= head:
            blocks = self.rpc.batch(
                [("eth_getBlockByNumber", [hex(number), False]) for number in range(first, head + 1)]
            )
            mined = [tx_hash for block in blocks if isinstance(block, dict) for tx_hash in block["transactions"]]
            if mined:
                ours = self._open_rows(mined)
                row_ids.update(ours)
                wanted = set(ours) | waited.intersection(mined)  # recorded meanwhile by someone else: still wake them
                in_blocks = self._by_block.of([block for block in blocks if isinstance(block, dict)], wanted)
                if in_blocks is not None:
                    found.extend(in_blocks.items())
                    wanted -= in_blocks.keys()
                lookups.update(wanted)
        self._scanned = head
        lookups -= {tx_hash for tx_hash, _ in found}
        if lookups:
            hashes = sorted(lookups)
            receipts = self.rpc.batch([("eth_getTransactionReceipt", [tx_hash]) for tx_hash in hashes])
            found.extend(
                (tx_hash, receipt)
                for tx_hash, receipt in zip(hashes, receipts, strict=True)
                if isinstance(receipt, dict)
            )
        if found:
            self._record([(row_ids[tx_hash], receipt) for tx_hash, receipt in found])
            self.notify(tx_hash for tx_hash, _ in found)
