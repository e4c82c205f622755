"""One receipt watch for every thread waiting on a transaction: receipts are read by block, never one by one.

Polling a receipt per waiting thread costs one RPC and one database transaction per waiter and poll: it stops
scanning at a few dozen concurrent requests. Instead one cursor follows the chain: for each block after it,
the block's transaction hashes are matched with the open outbox rows (waited for or not), the receipts of the
blocks that mined ours are read by block (`blockreceipts.py`: their logs, and receipts only for ours without one),
recorded, and their waiters woken.

A transaction is mined after it is sent, so after the cursor of a watch that was running when it was sent: no
per-transaction look-up is needed for it. A watch that starts (at service start, or when a first thread waits)
begins where an open row may have been mined while none ran: `start_at` (the manager: the highest block a
receipt was recorded from, at most RECENT_BLOCKS back; the head when nothing is open). Whatever was mined
further back is found by the confirmer: its stored bytes are sent again, the node answers "nonce too low", and
that one receipt is looked up (reliability checklist B4). A chain that lost blocks moves the cursor back
(`rewind`).

The thread runs while someone waits (or, in the service, always: `start`), and ends by itself a moment after
the last waiter left. The confirmer catches the cursor up in its own thread too (`poll`), one scan at a time.
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
SCAN_CHUNK_BLOCKS = 256  # blocks asked for in one JSON-RPC batch while the cursor catches up
UNREACHABLE_BACKOFF_S = 0.5

Receipt = dict[str, Any]


class ReceiptWatch:
    """Follows the blocks from a cursor, records the receipts of open outbox rows, wakes their waiters.

    Args:
        rpc: the node.
        open_rows: tx hash -> outbox row id of the open (signed or sent) rows among the given hashes.
        record: stores receipts, given as (row id, receipt) pairs, in one database transaction; returns how
            many rows became final.
        start_at: given the head, the first block to scan when the watch has no cursor.
    """

    def __init__(
        self,
        rpc: JsonRpc,
        open_rows: Callable[[Collection[str]], dict[str, str]],
        record: Callable[[Sequence[tuple[str, Receipt]]], int],
        start_at: Callable[[int], int],
    ) -> None:
        self.rpc = rpc
        self._by_block = BlockReceipts(rpc)
        self._open_rows = open_rows
        self._record = record
        self._start_at = start_at
        self._lock = threading.Lock()
        self._scan_lock = threading.Lock()  # one scan at a time: the watch thread's or the confirmer's
        self._waiters: dict[str, list[threading.Event]] = {}
        self._row_ids: dict[str, str] = {}
        self._always = False
        # how often blocks are followed with no waiter in this process: an engine sets it low, since API workers
        # (other processes) wait for the receipts it records
        self.idle_poll_s = POLL_IDLE_S
        self._thread: threading.Thread | None = None
        self._wakeup = threading.Event()
        self._scanned: int | None = None  # every block through this one was scanned
        self._rewind_to: int | None = None  # asked by `rewind`, applied by the scan (which may hold it now)

    @contextmanager
    def waiting(self, tx_hash: str, row_id: str) -> Iterator[threading.Event]:
        """An event set when the transaction's outcome is recorded (or may have changed)."""
        event = threading.Event()
        with self._lock:
            self._waiters.setdefault(tx_hash, []).append(event)
            self._row_ids[tx_hash] = row_id
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

    def notify(self, tx_hashes: Iterable[str]) -> None:
        """Wake whoever waits for these transactions."""
        with self._lock:
            for tx_hash in tx_hashes:
                for event in self._waiters.get(tx_hash, ()):
                    event.set()

    def rewind(self, block_number: int) -> None:
        """Scan again from `block_number`: the chain lost the blocks from there (what they mined is sent again and
        may be mined at the same heights). Called inside the database transaction that reopens them, which a
        running scan may wait for: it does not wait for the scan, the scan applies it."""
        with self._lock:
            self._rewind_to = block_number if self._rewind_to is None else min(self._rewind_to, block_number)

    def _rewound(self, scanned: int) -> int:
        with self._lock:
            rewind, self._rewind_to = self._rewind_to, None
        return scanned if rewind is None else min(scanned, rewind - 1)

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
                    break
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
        with self._scan_lock:  # the next start begins where something may be open (`start_at`)
            self._scanned = None

    def poll(self) -> int:
        """Scan every block after the cursor through the head; returns how many outbox rows became final."""
        with self._scan_lock:
            head = int(self.rpc.call("eth_blockNumber", []), 16)
            if self._scanned is None:
                self._scanned = self._start_at(head) - 1
            self._scanned = self._rewound(self._scanned)
            if head < self._scanned:  # the node went back (restarted from older state)
                self._scanned = head - 1
            recorded = 0
            while self._scanned < head:
                scanned = self._scanned
                recorded += self._scan(scanned + 1, min(head, scanned + SCAN_CHUNK_BLOCKS))
                if self._scanned <= scanned:
                    break  # a block went missing under us: the next pass starts from it again
            return recorded

    def _scan(self, first: int, last: int) -> int:
        """Record the receipts of ours mined in blocks first..last and move the cursor past what was read."""
        answers = self.rpc.batch([("eth_getBlockByNumber", [hex(number), False]) for number in range(first, last + 1)])
        blocks: list[dict[str, Any]] = []
        for answer in answers:
            if not isinstance(answer, dict):
                break  # the node no longer has it (or not yet): scan up to it only
            blocks.append(answer)
        mined = [tx_hash for block in blocks for tx_hash in block["transactions"]]
        scanned_through = first - 1 + len(blocks)
        recorded = 0
        if mined:
            with self._lock:
                waited = set(self._waiters).intersection(mined)
                row_ids = dict(self._row_ids)
            ours = self._open_rows(mined)
            row_ids.update(ours)
            # recorded meanwhile by someone else (another process's watch): still wake the waiters
            found = self._by_block.of(blocks, set(ours) | waited)
            if found.lost_from is not None:
                scanned_through = min(scanned_through, found.lost_from - 1)
            if found.receipts:
                recorded = self._record([(row_ids[tx_hash], receipt) for tx_hash, receipt in found.receipts.items()])
                self.notify(found.receipts)
        self._scanned = self._rewound(scanned_through)
        return recorded
