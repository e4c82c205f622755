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
while catching up, the next range is fetched and decoded, and its raw event rows built, in a thread as the
current batch is written (the database drivers release the interpreter lock while they store rows, so on two
cores that Python work runs beside them).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, configure_mappers, sessionmaker

from tradeledger.chain.abi import ContractAbi, UndecodableLogError, load_abi
from tradeledger.chain.rpc import JsonRpc, RpcError, logs_in_range
from tradeledger.errors import ChainUnavailableError, TradeLedgerError
from tradeledger.indexer.projections import EventRecord, ProjectionError, Projector
from tradeledger.indexer.projections import projector as default_projector
from tradeledger.store.bulk import insert_rows
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
    """

    confirmations: int = 0
    batch_blocks: int = 2000
    batch_events: int = 5000
    reorg_threshold: int = 64


@dataclass
class IngestTimings:
    """Wall time spent per phase since the indexer was made: where ingestion goes, for operators and benchmarks.

    While catching up, the next range is fetched and decoded in a thread as the current batch is written, so
    the phases overlap: their sum exceeds the elapsed time by what the pipeline hid.

    Attributes:
        node_s: JSON-RPC calls (head, eth_getLogs, block headers, reorg checks).
        decode_s: ABI decoding of the logs into event records.
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
            with self._lock:
                setattr(self, phase, getattr(self, phase) + time.perf_counter() - started)

    def as_dict(self) -> dict[str, float]:
        return {phase: getattr(self, phase) for phase in ("node_s", "decode_s", "database_s")}


@dataclass(frozen=True)
class _Batch:
    """One range's events, decoded, and the block hashes to keep: what one transaction writes."""

    first: int
    last: int
    records: list[EventRecord]
    raw_rows: list[dict[str, Any]]  # the `chain_events` row of each record, in the same order
    hashes: dict[int, str]  # the batch's last block and those recent enough to be reorged


class _Prefetch:
    """The next range, fetched and decoded in a thread while the current batch is written."""

    def __init__(self, first: int, fetch: Callable[[], _Batch]) -> None:
        self.first = first
        self._batch: _Batch | None = None
        self._thread = threading.Thread(target=self._run, args=(fetch,), name="indexer-prefetch", daemon=True)
        self._thread.start()

    def _run(self, fetch: Callable[[], _Batch]) -> None:
        try:
            self._batch = fetch()
        except Exception:  # the indexer fetches the range again itself and meets the error there
            log.debug("prefetch from block %d failed", self.first, exc_info=True)

    def batch(self) -> _Batch | None:
        self._thread.join()
        return self._batch


_CANONICAL_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=str)


def _canonical_json(args: Mapping[str, Any]) -> str:
    """The arguments as sorted, compact JSON: orjson writes it several times faster than the standard library,
    byte for byte the same for what the decoder gives (ASCII strings, booleans, lists, integers); an integer
    beyond 64 bits (a uint256 amount), which orjson refuses, and any non-ASCII text, which the standard
    library escapes, go through the standard library."""
    try:
        encoded = orjson.dumps(args, default=str, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:
        return _CANONICAL_JSON.encode(args)
    return encoded.decode() if encoded.isascii() else _CANONICAL_JSON.encode(args)


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
        self._abis: dict[str, tuple[str, ContractAbi]] = {
            address.lower(): (name, load_abi(name)) for name, address in contracts.items()
        }
        self._addresses = sorted(address for address in contracts.values())
        self._configured = {address.lower(): address for address in contracts.values()}  # nodes answer lower case
        self._span = 1  # blocks in the next eth_getLogs range: grows and shrinks towards batch_events per batch
        self._prefetch: _Prefetch | None = None
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
        with self.timings.timed("node_s"):
            head = int(self.rpc.call("eth_blockNumber", []), 16)
        target = head - self.config.confirmations
        with self.timings.timed("database_s"):
            checkpoint = self.checkpoint()
        if checkpoint is not None and self._reorged(checkpoint):
            self._prefetch = None
            self._roll_back(checkpoint)
            return 0, True
        first = (checkpoint.block_number if checkpoint else self.start_block - 1) + 1
        if first > target:
            return 0, False
        batch = self._prefetched(first) or self._fetch(first, min(target, first + self._span - 1), head)
        self._adapt_span(batch.last - batch.first + 1, len(batch.records))
        if batch.last < target:  # catching up: fetch the next range while this one is written
            following = (batch.last + 1, min(target, batch.last + self._span))
            self._prefetch = _Prefetch(following[0], lambda: self._fetch(*following, head))
        return self._write(batch), True

    def _prefetched(self, first: int) -> _Batch | None:
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

    def _fetch(self, first: int, last: int, head: int) -> _Batch:
        """The logs of blocks first..last decoded, with the block hashes the batch keeps."""
        with self.timings.timed("node_s"):
            logs = logs_in_range(self.rpc, {"address": self._addresses}, first, last)
            logs = [entry for entry in logs if not entry.get("removed")]
            # the hashes of the batch's last block and of every block recent enough to be reorged, so a later
            # reorg can be traced back to the common ancestor; and the blocks whose logs lack their time (nodes
            # that predate the logs' blockTimestamp field)
            kept = range(min(max(first, head - self.config.reorg_threshold), last), last + 1)
            untimed = {int(entry["blockNumber"], 16) for entry in logs if entry.get("blockTimestamp") is None}
            numbers = sorted(untimed.union(kept))
            blocks = dict(zip(numbers, self._blocks(numbers), strict=True))
        with self.timings.timed("decode_s"):
            records = self._decode(logs, blocks)
            raw_rows = [self._raw_row(record) for record in records]
        return _Batch(first, last, records, raw_rows, {number: blocks[number]["hash"] for number in kept})

    def _write(self, batch: _Batch) -> int:
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
        if applied:
            log.info("indexed %d events in blocks %d..%d", applied, first, last)
        return applied

    def _store(self, db: Session, batch: _Batch, first: int, last: int) -> int:
        """Insert the raw events not stored yet and project them; returns how many that was."""
        known = set(
            db.execute(
                select(ChainEvent.block_hash, ChainEvent.log_index).where(
                    ChainEvent.chain_id == self.chain_id, ChainEvent.block_number.between(first, last)
                )
            )
        )
        records, raw_rows = batch.records, batch.raw_rows
        if known:  # a replay: only what is not stored yet
            fresh = [i for i, record in enumerate(records) if (record.block_hash, record.log_index) not in known]
            records, raw_rows = [records[i] for i in fresh], [raw_rows[i] for i in fresh]
        if records:
            insert_rows(db, ChainEvent, raw_rows)
            self.projector.apply_all(db, records)
        return len(records)

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
                    self.chain_id,
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

    @staticmethod
    def _raw_row(record: EventRecord) -> dict[str, Any]:
        return {
            "chain_id": record.chain_id,
            "block_number": record.block_number,
            "block_hash": record.block_hash,
            "block_timestamp": record.block_timestamp,
            "tx_hash": record.tx_hash,
            "tx_index": record.tx_index,
            "log_index": record.log_index,
            "address": record.address,
            "contract": record.contract,
            "event": record.event,
            "args": _canonical_json(record.args),
        }

    # -- reorgs --------------------------------------------------------------------------------------------

    def _node_hashes(self, numbers: Sequence[int]) -> dict[int, str | None]:
        results = self.rpc.batch([("eth_getBlockByNumber", [hex(n), False]) for n in numbers])
        return {n: (r["hash"] if isinstance(r, dict) else None) for n, r in zip(numbers, results, strict=True)}

    def _reorged(self, checkpoint: IndexerCheckpoint) -> bool:
        with self.timings.timed("node_s"):
            return self._node_hashes([checkpoint.block_number])[checkpoint.block_number] != checkpoint.block_hash

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


FATAL_INDEXER_ERRORS = (DeepReorgError, UndecodableLogError, ProjectionError)
"""Errors after which the indexer must stop: the chain or the contracts are not what the read model assumes."""
