"""Range polling of the platform's logs into raw events and projections, with checkpoints and reorg handling.

Each batch (a block range up to head - confirmations) is applied in ONE database transaction: raw events,
projections, recent block hashes and the checkpoint. A crash anywhere leaves the previous checkpoint and none
of the batch, so the next run redoes it; events are keyed by (chain id, block hash, log index), so replaying
is a no-op. Before each batch the checkpoint's block hash is compared with the node's: on a mismatch the
indexer finds the common ancestor among the hashes it kept, deletes what came after, and rebuilds the
projections; in the same transaction, `on_rollback` (the transaction manager's `reopen_lost`) reopens the
transactions that were mined in the lost blocks, so the read model and the outbox never disagree about which
blocks count. A reorg deeper than the threshold halts it with an error instead.

A batch is written in bulk (raw events with one executemany, projections through the projector's bulk forms);
while catching up, the next range is fetched and decoded (its arguments' canonical JSON written too) as the current
batch is written: in a thread, or, once a catch-up is long enough to pay for starting it, in a process of its own
(`fetcher.FetchProcess`), so that the writing thread has the interpreter lock to itself. The cyclic garbage collector
is off while a batch is taken and written (`fetcher.collector_paused`), process-wide, for that step only: it walked
the batch's objects again and again (measured: 2-3 µs an event of the writer's CPU, as much of the fetch process's).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, configure_mappers, sessionmaker

from tradeledger.chain.abi import UndecodableLogError
from tradeledger.chain.rpc import Call, HttpJsonRpc, JsonRpc, RpcError
from tradeledger.errors import TradeLedgerError
from tradeledger.indexer.fetcher import (
    Batch,
    EventRecord,
    FetcherConfig,
    FetchProcess,
    IngestTimings,
    LogFetcher,
    collector_paused,
)
from tradeledger.indexer.projections import ProjectionError, Projector
from tradeledger.indexer.projections import projector as default_projector
from tradeledger.store.bulk import insert_columns, insert_rows
from tradeledger.store.db import transaction
from tradeledger.store.models import ChainEvent, IndexedBlock, IndexerCheckpoint

log = logging.getLogger(__name__)


class DeepReorgError(TradeLedgerError):
    """The chain reorganised deeper than the indexer may roll back: it stops rather than serve wrong data."""

    code = "deep_reorg"
    http_status = 503
    title = "Indexer halted"


@dataclass(frozen=True)
class IndexerConfig:
    """How the indexer walks the chain.

    Attributes:
        confirmations: blocks behind head that are considered final (0 on QBFT's immediate finality; Clique
            needs more, see tradeledger.chain.nodecheck): TRADELEDGER_CONFIRMATIONS.
        batch_blocks: the widest eth_getLogs range (below Besu's default --rpc-max-logs-range of 5000):
            TRADELEDGER_LOG_RANGE. A range the node refuses anyway is fetched in halves.
        batch_events: the events per batch the range adapts to: enough for bulk writes to pay off, few enough
            that one transaction holds SQLite's write lock (which API writes wait for) a fraction of a second.
        reorg_threshold: the deepest reorg rolled back; deeper ones halt the indexer.
        fetch_process_events: a catch-up with at least this many events ahead (estimated from the last batch's
            density) starts the fetch process (`fetcher.FetchProcess`, for a node reached by URL), which costs
            under half a second of CPU to start and is kept for the indexer's life; None: never. Measured on two
            cores: a catch-up of 100,000 events went 20-33% faster into SQLite (into PostgreSQL -15% to +11%), one
            of 40,000 up to a quarter slower (the start competes with the writer for much of its length).
    """

    confirmations: int = 0
    batch_blocks: int = 2000
    batch_events: int = 5000
    reorg_threshold: int = 64
    fetch_process_events: int | None = 50_000


class _Prefetch(Protocol):
    """The next range, fetched and decoded while the current batch is written."""

    first: int

    def batch(self) -> Batch | None:
        """The batch, once fetched; None if that failed (the indexer fetches the range itself and meets the error)."""


class _ThreadPrefetch:
    """The next range, fetched and decoded in a thread."""

    def __init__(self, first: int, fetch: Callable[[], Batch]) -> None:
        self.first = first
        self._batch: Batch | None = None
        self._thread = threading.Thread(target=self._run, args=(fetch,), name="indexer-prefetch", daemon=True)
        self._thread.start()

    def _run(self, fetch: Callable[[], Batch]) -> None:
        try:
            self._batch = fetch()
        except Exception:  # the indexer fetches the range again itself and meets the error there
            log.debug("prefetch from block %d failed", self.first, exc_info=True)

    def batch(self) -> Batch | None:
        self._thread.join()
        return self._batch


class _ProcessPrefetch:
    """The next range, fetched and decoded by the fetch process."""

    def __init__(self, process: FetchProcess, first: int, last: int, head: int, timings: IngestTimings) -> None:
        self.first = first
        self._process = process
        self._timings = timings
        process.request(first, last, head)

    def batch(self) -> Batch | None:
        return self._process.receive(self.first, self._timings)


class Indexer:
    """Ingests the logs of the given contracts from `start_block` on."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        rpc: JsonRpc,
        *,
        chain_id: int,
        contracts: Mapping[str, str],
        start_block: int,
        config: IndexerConfig | None = None,
        projector: Projector = default_projector,
        on_rollback: Callable[[Session, int], object] | None = None,
    ) -> None:
        self.sessions = sessions
        self.on_rollback = on_rollback
        self.rpc = rpc
        self.chain_id = chain_id
        self.start_block = start_block
        self.config = config or IndexerConfig()
        self.projector = projector
        self.timings = IngestTimings()
        self.fetcher = LogFetcher(rpc, FetcherConfig(chain_id, dict(contracts), self.config.reorg_threshold))
        self.fetch_process: FetchProcess | None = None  # started by the first long catch-up, see IndexerConfig
        self._span = 1  # blocks in the next eth_getLogs range: grows and shrinks towards batch_events per batch
        self._prefetch: _Prefetch | None = None
        # the checkpoint's block as this indexer's last step read or wrote it: what its own process has applied,
        # without a query (the database's `indexed_through` is the truth for every process)
        self.through = start_block - 1
        # the projections use every mapped class: configure them all now, not inside the first batch (where it
        # took about a twentieth of catching up 40,000 events)
        configure_mappers()

    # -- state ---------------------------------------------------------------------------------------------

    def checkpoint(self) -> IndexerCheckpoint | None:
        with self.sessions() as db:
            return db.get(IndexerCheckpoint, self.chain_id)

    def indexed_through(self, db: Session | None = None) -> int:
        """The last block whose events are in the read model (start_block - 1 before the first batch); read in
        `db` when given (a caller reading other rows in the same session), else in a session of its own."""
        if db is None:
            with self.sessions() as own:
                return self.indexed_through(own)
        block = db.scalar(select(IndexerCheckpoint.block_number).where(IndexerCheckpoint.chain_id == self.chain_id))
        return self.start_block - 1 if block is None else block

    # -- one step ------------------------------------------------------------------------------------------

    def run_once(self) -> int:
        """Check for a reorg, then ingest one batch; returns the number of new events applied."""
        return self._step()[0]

    def _step(self) -> tuple[int, bool]:
        """run_once's work; also whether the checkpoint moved (a batch was written or a reorg rolled back)."""
        with self.timings.timed("database_s"):
            checkpoint = self.checkpoint()
        self.through = checkpoint.block_number if checkpoint is not None else self.start_block - 1
        head, reorged = self._head(checkpoint)
        target = head - self.config.confirmations
        if checkpoint is not None and reorged:
            self._prefetch = None
            self._roll_back(checkpoint)
            return 0, True
        first = (checkpoint.block_number if checkpoint else self.start_block - 1) + 1
        if first > target:
            return 0, False
        with collector_paused():  # the batch's objects are not walked again and again by the cyclic collector
            batch = self._prefetched(first) or self._fetch(first, min(target, first + self._span - 1), head)
            blocks = batch.last - batch.first + 1
            self._adapt_span(blocks, len(batch.records))
            if batch.last < target:  # catching up: fetch the next range while this one is written
                ahead = (target - batch.last) * len(batch.records) // blocks
                self._prefetch = self._prefetch_range(batch.last + 1, min(target, batch.last + self._span), head, ahead)
            return self._write(batch), True

    def _fetch(self, first: int, last: int, head: int) -> Batch:
        return self.fetcher.fetch(first, last, head, self.timings)

    def _prefetch_range(self, first: int, last: int, head: int, ahead: int) -> _Prefetch:
        """Blocks first..last fetched in the fetch process (started if `ahead` events make it worth it) once it
        is ready, until then in a thread."""
        threshold, rpc = self.config.fetch_process_events, self.rpc
        if self.fetch_process is None and threshold is not None and ahead >= threshold and isinstance(rpc, HttpJsonRpc):
            self.fetch_process = FetchProcess(rpc.url, self.fetcher.config)
        process = self.fetch_process
        if process is not None and process.alive and process.ready():
            return _ProcessPrefetch(process, first, last, head, self.timings)
        return _ThreadPrefetch(first, lambda: self._fetch(first, last, head))

    def close(self) -> None:
        """Stop the fetch process if one was started (it also stops when this process ends, however it ends)."""
        if self.fetch_process is not None:
            self.fetch_process.close()
            self.fetch_process = None
        self._prefetch = None

    def _prefetched(self, first: int) -> Batch | None:
        """The prefetched batch if it starts at `first` (it does unless a batch failed or the chain reorged)."""
        prefetch, self._prefetch = self._prefetch, None
        return prefetch.batch() if prefetch is not None and prefetch.first == first else None

    def _adapt_span(self, blocks: int, events: int) -> None:
        """Aim the next range at batch_events: at most double it, shrink it at once after a dense batch."""
        fitting = blocks * self.config.batch_events // events if events else 2 * blocks
        self._span = max(1, min(self.config.batch_blocks, 2 * blocks, fitting))

    def catch_up(self) -> int:
        """Run until the checkpoint reaches head - confirmations; returns the events applied."""
        applied, moved = 0, True
        while moved:
            step, moved = self._step()
            applied += step
        return applied

    # -- ingestion -----------------------------------------------------------------------------------------

    def _write(self, batch: Batch) -> int:
        """One transaction: the new raw events, their projections, the kept block hashes and the checkpoint."""
        first, last = batch.first, batch.last
        with self.timings.timed("database_s"), transaction(self.sessions) as db:
            applied = self._store(db, batch, first, last)
            kept_from = min(batch.hashes)
            stale = (IndexedBlock.number >= kept_from) | (IndexedBlock.number < last - self.config.reorg_threshold - 1)
            db.execute(delete(IndexedBlock).where(IndexedBlock.chain_id == self.chain_id, stale))
            kept = [
                {"chain_id": self.chain_id, "number": number, "hash": hash_} for number, hash_ in batch.hashes.items()
            ]
            insert_rows(db, IndexedBlock, kept)
            db.merge(IndexerCheckpoint(chain_id=self.chain_id, block_number=last, block_hash=batch.hashes[last]))
        self.through = last
        if applied:
            log.info("indexed %d events in blocks %d..%d", applied, first, last)
        return applied

    def _store(self, db: Session, batch: Batch, first: int, last: int) -> int:
        """Insert the raw events not stored yet and project them; returns how many that was."""
        known = set(
            db.execute(
                select(ChainEvent.block_hash, ChainEvent.log_index).where(
                    ChainEvent.chain_id == self.chain_id, ChainEvent.block_number.between(first, last)
                )
            )
        )
        records, args_json = batch.records, batch.args_json
        if known:  # a replay: only what is not stored yet
            fresh = [i for i, record in enumerate(records) if (record.block_hash, record.log_index) not in known]
            records, args_json = [records[i] for i in fresh], [args_json[i] for i in fresh]
        if records:
            # the raw events by column: each record's fields are its row's columns, but for the arguments' JSON
            columns: dict[str, Sequence[Any]] = dict(zip(EventRecord._fields, zip(*records, strict=True), strict=True))
            columns["args"] = args_json
            insert_columns(db, ChainEvent, columns)
            self.projector.apply_all(db, records)
        return len(records)

    # -- reorgs --------------------------------------------------------------------------------------------

    def _node_hashes(self, numbers: Sequence[int]) -> dict[int, str | None]:
        results = self.rpc.batch([("eth_getBlockByNumber", [hex(n), False]) for n in numbers])
        return {n: _hash_of(r) for n, r in zip(numbers, results, strict=True)}

    def _head(self, checkpoint: IndexerCheckpoint | None) -> tuple[int, bool]:
        """The node's head block and whether it no longer has the checkpoint's block (a reorg), asked in one
        JSON-RPC batch: one round trip per step instead of two."""
        calls: list[Call] = [("eth_blockNumber", [])]
        if checkpoint is not None:
            calls.append(("eth_getBlockByNumber", [hex(checkpoint.block_number), False]))
        with self.timings.timed("node_s"):
            head, *block = self.rpc.batch(calls)
        if isinstance(head, RpcError):
            raise head
        return int(head, 16), checkpoint is not None and _hash_of(block[0]) != checkpoint.block_hash

    def _roll_back(self, checkpoint: IndexerCheckpoint) -> None:
        """Find the newest kept block the node still has, drop everything after it and rebuild projections."""
        with self.sessions() as db:
            kept = list(
                db.scalars(
                    select(IndexedBlock)
                    .where(IndexedBlock.chain_id == self.chain_id)
                    .order_by(IndexedBlock.number.desc())
                )
            )
        node = self._node_hashes([block.number for block in kept])
        ancestor = next((block for block in kept if node[block.number] == block.hash), None)
        depth = checkpoint.block_number - (ancestor.number if ancestor else self.start_block - 1)
        if ancestor is None or depth > self.config.reorg_threshold:
            raise DeepReorgError(
                f"chain {self.chain_id} reorganised below block {checkpoint.block_number} deeper than the "
                f"threshold of {self.config.reorg_threshold} blocks (no common ancestor among the kept hashes); "
                "the indexer halted: check the node's consensus, then re-index from the deploy block"
            )
        log.warning("reorg of depth %d: rolling back to block %d", depth, ancestor.number)
        with transaction(self.sessions) as db:
            db.execute(
                delete(ChainEvent).where(
                    ChainEvent.chain_id == self.chain_id, ChainEvent.block_number > ancestor.number
                )
            )
            db.execute(
                delete(IndexedBlock).where(
                    IndexedBlock.chain_id == self.chain_id, IndexedBlock.number > ancestor.number
                )
            )
            db.merge(IndexerCheckpoint(chain_id=self.chain_id, block_number=ancestor.number, block_hash=ancestor.hash))
            if self.on_rollback is not None:  # the transaction manager reopens what it sent into the lost blocks
                self.on_rollback(db, ancestor.number)
            self.rebuild_projections(db)
        self.through = ancestor.number

    def rebuild_projections(self, db: Session) -> None:
        """Clear every projected table and apply all raw events again, in chain order, a batch at a time."""
        self.projector.clear(db)
        columns = [getattr(ChainEvent, name) for name in EventRecord._fields]
        rows = db.execute(
            select(*columns)
            .where(ChainEvent.chain_id == self.chain_id)
            .order_by(ChainEvent.block_number, ChainEvent.log_index)
            .execution_options(yield_per=self.config.batch_events)
        )
        for partition in rows.partitions():
            records = [EventRecord(**dict(row._mapping, args=json.loads(row.args))) for row in partition]
            self.projector.apply_all(db, records)


def _hash_of(block: object) -> str | None:
    """A block's hash from eth_getBlockByNumber's answer; None for a block the node does not have (or an error)."""
    return block["hash"] if isinstance(block, dict) else None


FATAL_INDEXER_ERRORS = (DeepReorgError, UndecodableLogError, ProjectionError)
"""Errors after which the indexer must stop: the chain or the contracts are not what the read model assumes."""
