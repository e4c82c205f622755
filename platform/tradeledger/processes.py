"""Processes by job: API workers and one engine, meeting in the database.

- `all` (`tradeledger serve`, the embedded default): one process serves the API and runs the engine. Its writes
  take the API workers' path too (committed REQUESTED, then claimed and signed by its own `Claimer`): measured
  faster than signing in the request's group (BENCHMARKS.md, write path), and one path for both models.
- `engine` (`tradeledger engine`, and the supervising process of `tradeledger serve --workers N`): the chain side
  that must run once: signing, nonces and broadcasting of what API workers request (`Claimer`), recovery at
  start, receipts, re-sends, gap-fills and nonce reconciliation (the transaction manager's confirmer and receipt
  watch), the indexer, the scheduler, webhook delivery and, on the dev chain, the watch that restarts anvil. It
  serves no HTTP.
- `api` (each worker of `serve --workers N`, or `serve --role api` beside a separate engine): validates,
  authorizes and submits. A write is pre-flighted (a revert costs no nonce) and its outbox row committed
  REQUESTED in the request's transaction; the engine claims it, assigns its nonce, signs and broadcasts it; the
  worker waits on the database for the engine to record its receipt and index its block (read-your-writes).
  Nothing a request waits for lives in a worker's memory: a worker killed at any point leaves either nothing
  or a committed outbox row that the engine claims, sends (again) and confirms.

A worker follows the engine through the database (`Follower`): it blocks until the database says something
changed (PostgreSQL LISTEN/NOTIFY, SQLite's data version: `tradeledger.store.wakeups`), then reads the waited
outbox rows and the indexer's checkpoint in one pass shared by every request it has waiting; none while nothing
waits.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tradeledger.chain.txmanager import PIPELINE_DEPTH, TransactionManager
from tradeledger.errors import ChainUnavailableError
from tradeledger.indexer.indexer import Indexer
from tradeledger.loops import PollingLoop
from tradeledger.store.models import FINAL_TX_STATES, ChainTransaction
from tradeledger.store.wakeups import FALLBACK_S, Wakeups

Role = Literal["all", "api", "engine"]
ROLES: tuple[Role, ...] = ("all", "api", "engine")

log = logging.getLogger(__name__)


class Follower:
    """An API worker's view of the engine's progress, read from the database: the outbox rows its requests wait
    on, and the block the indexer has applied through. One daemon thread reads for all of them while any wait,
    each time the database wakes it."""

    def __init__(self, sessions: sessionmaker[Session], indexer: Indexer, wakeups: Wakeups) -> None:
        self._sessions = sessions
        self._indexer = indexer
        self._wakeups = wakeups
        self._changed = threading.Condition()
        self._waiting: dict[str, int] = {}  # outbox row id -> how many requests wait for it to be final
        self._final: dict[str, ChainTransaction] = {}
        self._block_waiters = 0
        self._indexed_through = -1
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="follower", daemon=True)

    def start(self) -> None:
        self._indexed_through = self._indexer.indexed_through()
        self._thread.start()

    def stop(self) -> None:
        with self._changed:
            self._stopped = True
            self._changed.notify_all()
        self._thread.join(timeout=10)
        self._wakeups.close()

    def wait_final(self, tx_id: str, timeout: float) -> ChainTransaction:
        """The outbox row once the engine has recorded it final; raises as the transaction manager's own wait
        does when it reverted or was rejected, and ChainUnavailableError after `timeout` (it stays pending)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            self._waiting[tx_id] = self._waiting.get(tx_id, 0) + 1
            self._changed.notify_all()
            try:
                while (row := self._final.get(tx_id)) is None:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise ChainUnavailableError(f"transaction {tx_id} is not mined after {timeout:.0f} s")
                    self._changed.wait(left)
            finally:
                self._waiting[tx_id] -= 1
                if not self._waiting[tx_id]:
                    del self._waiting[tx_id]
                    self._final.pop(tx_id, None)
        return TransactionManager._outcome(row)  # the same errors as a wait in the engine

    def wait_indexed(self, block_number: int, timeout: float) -> None:
        """Until the engine's indexer has applied `block_number` (its checkpoint, in the database)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            self._block_waiters += 1
            self._changed.notify_all()
            try:
                while self._indexed_through < block_number:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise ChainUnavailableError(
                            f"the read model has not reached block {block_number} after {timeout:.0f} s"
                        )
                    self._changed.wait(left)
            finally:
                self._block_waiters -= 1

    def _run(self) -> None:
        while True:
            with self._changed:
                while not self._stopped and not self._waiting and not self._block_waiters:
                    self._changed.wait()
                if self._stopped:
                    return
                open_ids = [tx_id for tx_id in self._waiting if tx_id not in self._final]
            try:
                final, indexed = self._read(open_ids)
            except Exception:  # the database is briefly unavailable: the waiters' own deadlines bound them
                final, indexed = [], self._indexed_through
            with self._changed:
                for row in final:
                    if row.id in self._waiting:
                        self._final[row.id] = row
                self._indexed_through = max(self._indexed_through, indexed)
                self._changed.notify_all()
            self._wakeups.wait(FALLBACK_S)  # a change committed during the read wakes it at once

    def _read(self, open_ids: list[str]) -> tuple[list[ChainTransaction], int]:
        final: list[ChainTransaction] = []
        if open_ids:
            with self._sessions() as db:
                query = select(ChainTransaction).where(
                    ChainTransaction.id.in_(open_ids), ChainTransaction.state.in_(FINAL_TX_STATES)
                )
                final = list(db.scalars(query))
        return final, self._indexer.indexed_through()


class Claimer:
    """The engine's signer: claims the REQUESTED outbox rows (of API workers, or of this process's own requests)
    as soon as the database says something committed, and at start whatever was committed while no engine ran.
    One claiming loop: a single claimer per database keeps each signer's nonces in request order.

    Two stages: the loop claims and signs a group (one commit) and hands it to the sender thread, which
    broadcasts the groups in the order claimed and records what the node said; so the next group is claimed
    while the previous one is on its way to the node. At most PIPELINE_DEPTH claimed groups wait for the sender.
    A group claimed and never sent (a crash, a failed send) stays SIGNED: the confirmer, or `recover()` at the
    next start, sends its stored bytes."""

    def __init__(self, transactions: TransactionManager, wakeups: Wakeups) -> None:
        self._transactions = transactions
        self._wakeups = wakeups
        self._loop = PollingLoop("request-claimer", self._claim_when_woken, interval=0.0)
        self._claimed: queue.Queue[list[ChainTransaction] | None] = queue.Queue(PIPELINE_DEPTH)
        self._sender = threading.Thread(target=self._send_claimed, name="claim-sender", daemon=True)

    def start(self) -> None:
        self._sender.start()
        self._transactions.claim_requested(self._claimed.put)
        self._loop.start()

    def stop(self) -> None:
        self._loop.stop()
        self._claimed.put(None)
        self._sender.join(timeout=30)
        self._wakeups.close()

    def _claim_when_woken(self) -> int:
        self._wakeups.wait(FALLBACK_S)
        return self._transactions.claim_requested(self._claimed.put)

    def _send_claimed(self) -> None:
        while (group := self._claimed.get()) is not None:
            try:
                self._transactions.broadcast(group)
            except Exception:  # the database failed the record of the sends: the confirmer sends them again
                log.exception("claim sender: broadcasting %d claimed transactions failed", len(group))
