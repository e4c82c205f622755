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

A request waits for its write through the database (`Follower`), in a worker and in one process alike: one
thread blocks until the database says something changed (PostgreSQL LISTEN/NOTIFY, SQLite's data version:
`tradeledger.store.wakeups`), then reads the waited outbox rows and the indexer's progress (in one process, what
its own indexer applied, from memory) in one pass shared by every request waiting (none while nothing waits), and
settles each request whose row is final and whose block is indexed. An API request waits for that on its event
loop, holding no thread of the pool the other requests need.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import queue
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tradeledger.chain.txmanager import PIPELINE_DEPTH, TransactionManager
from tradeledger.errors import ChainUnavailableError
from tradeledger.loops import PollingLoop
from tradeledger.store.models import FINAL_TX_STATES, ChainTransaction, TxState
from tradeledger.store.wakeups import FALLBACK_S, Wakeups

Role = Literal["all", "api", "engine"]
ROLES: tuple[Role, ...] = ("all", "api", "engine")
# The LISTEN connections (store.wakeups) a process holds beside its pools: its follower's, which its requests wait
# on (all, api), and its claimer's (all, engine). They count in its share of the database's connections.
LISTENERS: dict[Role, int] = {"all": 2, "api": 1, "engine": 1}
# The follower's wake-ups stay this far apart (`wakeups_for`'s `every`). Writes wait a block (250 ms on the dev
# chain, seconds on QBFT) for their answer; under load the database changes every millisecond, and a follower
# reading at SQLite's 1 ms tick took a sixth of the service's CPU (scripts/bench_api.py, 32 writers; BENCHMARKS.md).
# 10 ms apart, one pass answers what ten would have, for 5 ms of latency on average.
READ_GAP_S = 0.01
# Claims of requested rows start at least this far apart. Under load the claimer woke on every commit, its own and
# its sender's included: half its claims found nothing (106 of 197 in a run of 4,000 requests), each one a write
# transaction under SQLite's one writer lock, and the rest signed what had come since. Spaced, what is committed
# meanwhile joins one claim and one send batch (measured: 47 empty claims of 123, send batches of 53 rows instead
# of 44; the node's cost per sent transaction grows as its batches shrink). A request after a quiet spell is still
# claimed at once; under load one waits at most this long (dev chain blocks come every 250 ms).
CLAIM_GAP_S = 0.025

log = logging.getLogger(__name__)


def sharing_processes(role: Role, workers: int) -> int:
    """The processes that share the database's connections with `serve --role <role> --workers <workers>`: the one
    process that does everything, or the engine and its API workers (with `api`, an engine started beside them; with
    `engine`, as many API workers started beside it)."""
    return 1 if role == "all" and workers == 1 else workers + 1


def _resolve(future: asyncio.Future[ChainTransaction], row: ChainTransaction) -> None:
    if not future.done():  # not timed out meanwhile
        future.set_result(row)


class _Waiter:
    """One request waiting for its transaction to settle: `settle` is called once, on the follower's thread, with
    the row once it is final and (if mined) its block is in the read model."""

    __slots__ = ("settle",)

    def __init__(self, settle: Callable[[ChainTransaction], None]) -> None:
        self.settle = settle


class Follower:
    """The wait of requests for their writes, read from the database: the outbox rows they wait on, and the block
    the indexer has applied through (`indexed_through`). One daemon thread reads for all of them while any wait,
    each time the database wakes it, and settles each waiter once its row is final and its block indexed; a request
    waits on its own event loop (`settled`), holding no thread, or on a thread of its own (`settle`)."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        indexed_through: Callable[[Session], int],
        wakeups: Wakeups,
        behind: Callable[[], None] = lambda: None,
        busy: Callable[[bool], None] = lambda _: None,
    ) -> None:
        """`indexed_through(db)` says how far the read model is: the indexer's checkpoint (whichever process
        indexes), or what this process's own indexer last applied; `behind` is called when a waited transaction is
        final but its block is not indexed yet (this process's indexer may be sleeping out its interval);
        `busy(True)` when requests start waiting, `busy(False)` when none is left."""
        self._sessions = sessions
        self._indexed = indexed_through
        self._wakeups = wakeups
        self._behind = behind
        self._busy = busy
        self._changed = threading.Condition()
        self._waiting: dict[str, list[_Waiter]] = {}  # outbox row id -> its waiters
        self._final: dict[str, tuple[TxState, int | None]] = {}  # waited rows final (state, block), not yet indexed
        self._block_waiters = 0
        self._indexed_through = -1
        self._behind_for = -1  # the highest waited block `behind` was called for
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="follower", daemon=True)

    def start(self) -> None:
        with self._sessions() as db:
            self._indexed_through = self._indexed(db)
        self._thread.start()

    def stop(self) -> None:
        with self._changed:
            self._stopped = True
            self._changed.notify_all()
        self._thread.join(timeout=10)
        self._wakeups.close()

    def settle(self, tx_id: str, timeout: float) -> ChainTransaction:
        """The outbox row once the engine has recorded it final and indexed its block; raises as the transaction
        manager's own wait does when it reverted or was rejected, and ChainUnavailableError after `timeout` (it
        stays pending)."""
        settled: list[ChainTransaction] = []
        done = threading.Event()

        def settle(row: ChainTransaction) -> None:
            settled.append(row)
            done.set()

        waiter = self._wait_for(tx_id, settle)
        if not done.wait(timeout):
            self._give_up(tx_id, waiter)
            if not settled:
                raise ChainUnavailableError(f"transaction {tx_id} is not mined and indexed after {timeout:.0f} s")
        return TransactionManager._outcome(settled[0])  # the same errors as a wait in the engine

    async def settled(self, tx_id: str, timeout: float) -> ChainTransaction:
        """`settle`, waited for on the caller's event loop: no thread is held while the block is mined and
        indexed."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[ChainTransaction] = loop.create_future()

        def settle(row: ChainTransaction) -> None:
            loop.call_soon_threadsafe(_resolve, future, row)

        waiter = self._wait_for(tx_id, settle)
        try:
            row = await asyncio.wait_for(future, timeout)
        except TimeoutError:
            raise ChainUnavailableError(f"transaction {tx_id} is not mined and indexed after {timeout:.0f} s") from None
        finally:
            self._give_up(tx_id, waiter)
        return TransactionManager._outcome(row)

    def _wait_for(self, tx_id: str, settle: Callable[[ChainTransaction], None]) -> _Waiter:
        waiter = _Waiter(settle)
        with self._changed:
            idle = not self._waiting
            self._waiting.setdefault(tx_id, []).append(waiter)
            self._changed.notify_all()
        if idle:
            self._busy(True)
        return waiter

    def _give_up(self, tx_id: str, waiter: _Waiter) -> None:
        with self._changed:
            waiters = self._waiting.get(tx_id)
            if waiters is None or waiter not in waiters:
                return
            waiters.remove(waiter)
            if not waiters:
                del self._waiting[tx_id]
                self._final.pop(tx_id, None)

    def wait_indexed(self, block_number: int, timeout: float) -> None:
        """Until the indexer has applied `block_number`."""
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
                if not self._waiting and not self._block_waiters:
                    self._busy(False)
                    while not self._stopped and not self._waiting and not self._block_waiters:
                        self._changed.wait()
                if self._stopped:
                    return
                open_ids = [tx_id for tx_id in self._waiting if tx_id not in self._final]
            try:
                final, indexed = self._read(open_ids)
            except Exception:  # the database is briefly unavailable: the waiters' own deadlines bound them
                final, indexed = {}, self._indexed_through
            with self._changed:
                self._final.update((tx_id, outcome) for tx_id, outcome in final.items() if tx_id in self._waiting)
                self._indexed_through = max(self._indexed_through, indexed)
                settled = [
                    tx_id
                    for tx_id, (state, block) in self._final.items()
                    if state is not TxState.MINED or (block or 0) <= self._indexed_through
                ]
                waited_block = max((block or 0 for _, block in self._final.values()), default=-1)
                self._changed.notify_all()
            if settled:
                self._settle(settled)
            if waited_block > max(self._indexed_through, self._behind_for):  # once per block, not once per pass
                self._behind_for = waited_block
                self._behind()
            # A change committed during the read wakes it (at most every READ_GAP_S). While a block is waited for, it
            # also looks again after READ_GAP_S: one process reads its indexer's progress from memory, set just after
            # the commit that woke this thread, and nothing may commit after it for a while.
            indexing = waited_block > self._indexed_through or self._block_waiters > 0
            self._wakeups.wait(READ_GAP_S if indexing else FALLBACK_S)

    def _read(self, open_ids: list[str]) -> tuple[dict[str, tuple[TxState, int | None]], int]:
        """Which of these rows are final (state and block), and the block the read model is at, in one session.
        A pass runs up to a hundred times a second under load: the rows are read on the session's connection,
        past the ORM's statement handling (which took half a pass's CPU)."""
        with self._sessions() as db:
            final: dict[str, tuple[TxState, int | None]] = {}
            if open_ids:
                query = select(ChainTransaction.id, ChainTransaction.state, ChainTransaction.block_number).where(
                    ChainTransaction.id.in_(open_ids), ChainTransaction.state.in_(FINAL_TX_STATES)
                )
                final = {tx_id: (state, block) for tx_id, state, block in db.connection().execute(query)}
            return final, self._indexed(db)

    def _settle(self, tx_ids: list[str]) -> None:
        """Answer the waiters of these rows (final, their block indexed) with the rows as stored."""
        try:
            with self._sessions() as db:
                rows = list(db.scalars(select(ChainTransaction).where(ChainTransaction.id.in_(tx_ids))))
        except Exception:  # the database is briefly unavailable: the next pass settles them
            return
        with self._changed:
            answered = [(self._waiting.pop(row.id, []), row) for row in rows]
            for row in rows:
                self._final.pop(row.id, None)
        for waiters, row in answered:
            for waiter in waiters:
                with suppress(RuntimeError):  # its event loop closed (the server stopped): nobody to answer
                    waiter.settle(row)


class Claimer:
    """The engine's signer: claims the REQUESTED outbox rows (of API workers, or of this process's own requests)
    as soon as the database says something committed, and at start whatever was committed while no engine ran.
    One claiming loop: a single claimer per database keeps each signer's nonces in request order.

    Two stages: the loop claims and signs a group (one commit) and hands it to the sender thread, which
    broadcasts the groups in the order claimed and records what the node said; so the next group is claimed
    while the previous one is on its way to the node. At most PIPELINE_DEPTH claimed groups wait for the sender.
    A group claimed and never sent (a crash, a failed send) stays SIGNED: the confirmer, or `recover()` at the
    next start, sends its stored bytes. Claims start at least CLAIM_GAP_S apart, so that they grow under load."""

    def __init__(self, transactions: TransactionManager, wakeups: Wakeups) -> None:
        self._transactions = transactions
        self._wakeups = wakeups
        self._loop = PollingLoop("request-claimer", self._claim_when_woken, interval=0.0)
        self._claimed: queue.Queue[list[ChainTransaction] | None] = queue.Queue(PIPELINE_DEPTH)
        self._sender = threading.Thread(target=self._send_claimed, name="claim-sender", daemon=True)
        self._claimed_at = 0.0  # when the latest claim started (time.monotonic())

    def start(self) -> None:
        # What the process built so far (modules, the ORM's mappers, web3, the keys) lives as long as it does:
        # frozen, the collector's full passes, which the claims' thousands of short-lived rows set off, no longer
        # walk it. A claim of 200 rows measured 156-172 -> 109-116 µs a row of its thread's CPU.
        gc.freeze()
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
        gap = self._claimed_at + CLAIM_GAP_S - time.monotonic()
        if gap > 0:
            time.sleep(gap)
        self._claimed_at = time.monotonic()
        return self._transactions.claim_requested(self._claimed.put)

    def _send_claimed(self) -> None:
        while (group := self._claimed.get()) is not None:
            try:
                self._transactions.broadcast(group)
            except Exception:  # the database failed the record of the sends: the confirmer sends them again
                log.exception("claim sender: broadcasting %d claimed transactions failed", len(group))
