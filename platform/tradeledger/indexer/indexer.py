"""Range polling of the platform's logs into raw events and projections, with checkpoints and reorg handling.

Each batch (a block range up to head - confirmations) is applied in ONE database transaction: raw events,
projections, recent block hashes and the checkpoint. A crash anywhere leaves the previous checkpoint and none
of the batch, so the next run redoes it; events are keyed by (chain id, block hash, log index), so replaying
is a no-op. Before each batch the checkpoint's block hash is compared with the node's: on a mismatch the
indexer finds the common ancestor among the hashes it kept, deletes what came after, and rebuilds the
projections; a reorg deeper than the threshold halts it with an error instead.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from tradeledger.chain.abi import ContractAbi, UndecodableLogError, load_abi
from tradeledger.chain.rpc import JsonRpc, RpcError
from tradeledger.errors import ChainUnavailableError, TradeLedgerError
from tradeledger.indexer.projections import EventRecord, ProjectionError, Projector
from tradeledger.indexer.projections import projector as default_projector
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
        confirmations: blocks behind head that are considered final (0 on QBFT's immediate finality).
        batch_blocks: the widest eth_getLogs range (below Besu's default --rpc-max-logs-range of 5000).
        reorg_threshold: the deepest reorg rolled back; deeper ones halt the indexer.
    """

    confirmations: int = 0
    batch_blocks: int = 2000
    reorg_threshold: int = 64


def _canonical_json(args: Mapping[str, Any]) -> str:
    return json.dumps(args, sort_keys=True, separators=(",", ":"), default=str)


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
    ) -> None:
        self.sessions = sessions
        self.rpc = rpc
        self.chain_id = chain_id
        self.start_block = start_block
        self.config = config or IndexerConfig()
        self.projector = projector
        self._abis: dict[str, tuple[str, ContractAbi]] = {
            address.lower(): (name, load_abi(name)) for name, address in contracts.items()
        }
        self._addresses = sorted(address for address in contracts.values())
        self._configured = {address.lower(): address for address in contracts.values()}  # nodes answer lower case

    # -- state ---------------------------------------------------------------------------------------------

    def checkpoint(self) -> IndexerCheckpoint | None:
        with self.sessions() as db:
            return db.get(IndexerCheckpoint, self.chain_id)

    def indexed_through(self) -> int:
        """The last block whose events are in the read model (start_block - 1 before the first batch)."""
        checkpoint = self.checkpoint()
        return checkpoint.block_number if checkpoint else self.start_block - 1

    # -- one step ------------------------------------------------------------------------------------------

    def run_once(self) -> int:
        """Check for a reorg, then ingest one batch; returns the number of new events applied."""
        head = int(self.rpc.call("eth_blockNumber", []), 16)
        target = head - self.config.confirmations
        checkpoint = self.checkpoint()
        if checkpoint is not None and self._reorged(checkpoint):
            self._roll_back(checkpoint)
            return 0
        first = (checkpoint.block_number if checkpoint else self.start_block - 1) + 1
        if first > target:
            return 0
        last = min(target, first + self.config.batch_blocks - 1)
        return self._ingest(first, last, head)

    def catch_up(self) -> int:
        """Run until the checkpoint reaches head - confirmations; returns the events applied."""
        applied = 0
        while True:
            before = self.indexed_through()
            applied += self.run_once()
            if self.indexed_through() == before:
                return applied

    # -- ingestion -----------------------------------------------------------------------------------------

    def _ingest(self, first: int, last: int, head: int) -> int:
        logs = self.rpc.call(
            "eth_getLogs", [{"address": self._addresses, "fromBlock": hex(first), "toBlock": hex(last)}]
        )
        logs = [entry for entry in logs if not entry.get("removed")]
        # hashes of the blocks with events, of the batch's last block, and of every block recent enough to
        # be reorged, so a later reorg can be traced back to the common ancestor
        recent_from = max(first, head - self.config.reorg_threshold)
        numbers = sorted({int(entry["blockNumber"], 16) for entry in logs} | {last} | set(range(recent_from, last + 1)))
        blocks = dict(zip(numbers, self._blocks(numbers), strict=True))
        records = [self._decode(entry, blocks) for entry in logs]
        records.sort(key=lambda r: (r.block_number, r.log_index))
        with transaction(self.sessions) as db:
            known = set(
                db.execute(
                    select(ChainEvent.block_hash, ChainEvent.log_index).where(
                        ChainEvent.chain_id == self.chain_id, ChainEvent.block_number.between(first, last)
                    )
                )
            )
            applied = 0
            for record in records:
                if (record.block_hash, record.log_index) in known:
                    continue  # a replay of an event already applied
                db.add(self._raw_row(record))
                self.projector.apply(db, record)
                applied += 1
            for number in numbers:
                if number >= recent_from or number == last:
                    db.merge(IndexedBlock(chain_id=self.chain_id, number=number, hash=blocks[number]["hash"]))
            db.execute(
                delete(IndexedBlock).where(
                    IndexedBlock.chain_id == self.chain_id,
                    IndexedBlock.number < last - self.config.reorg_threshold - 1,
                )
            )
            db.merge(IndexerCheckpoint(chain_id=self.chain_id, block_number=last, block_hash=blocks[last]["hash"]))
        if applied:
            log.info("indexed %d events in blocks %d..%d", applied, first, last)
        return applied

    def _blocks(self, numbers: Sequence[int]) -> list[dict[str, Any]]:
        results = self.rpc.batch([("eth_getBlockByNumber", [hex(n), False]) for n in numbers])
        for number, result in zip(numbers, results, strict=True):
            if isinstance(result, RpcError) or result is None:
                raise ChainUnavailableError(f"block {number} is not available from the node ({result})")
        return list(results)

    def _decode(self, entry: dict[str, Any], blocks: Mapping[int, dict[str, Any]]) -> EventRecord:
        number = int(entry["blockNumber"], 16)
        block = blocks[number]
        if block["hash"] != entry["blockHash"]:
            # the chain moved under us between the two calls: give up this batch, the next pass sees the reorg
            raise ChainUnavailableError(f"block {number} changed while indexing; retrying")
        name, abi = self._abis[entry["address"].lower()]
        topics = [bytes.fromhex(topic[2:]) for topic in entry["topics"]]
        event, args = abi.decode_log(topics, bytes.fromhex(entry["data"][2:]))
        return EventRecord(
            chain_id=self.chain_id,
            block_number=number,
            block_hash=entry["blockHash"],
            block_timestamp=datetime.fromtimestamp(int(block["timestamp"], 16), UTC),
            tx_hash=entry["transactionHash"],
            tx_index=int(entry["transactionIndex"], 16),
            log_index=int(entry["logIndex"], 16),
            address=self._configured[entry["address"].lower()],
            contract=name,
            event=event,
            args=args,
        )

    @staticmethod
    def _raw_row(record: EventRecord) -> ChainEvent:
        return ChainEvent(
            chain_id=record.chain_id,
            block_number=record.block_number,
            block_hash=record.block_hash,
            block_timestamp=record.block_timestamp,
            tx_hash=record.tx_hash,
            tx_index=record.tx_index,
            log_index=record.log_index,
            address=record.address,
            contract=record.contract,
            event=record.event,
            args=_canonical_json(record.args),
        )

    # -- reorgs --------------------------------------------------------------------------------------------

    def _node_hashes(self, numbers: Sequence[int]) -> dict[int, str | None]:
        results = self.rpc.batch([("eth_getBlockByNumber", [hex(n), False]) for n in numbers])
        return {n: (r["hash"] if isinstance(r, dict) else None) for n, r in zip(numbers, results, strict=True)}

    def _reorged(self, checkpoint: IndexerCheckpoint) -> bool:
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
            self.rebuild_projections(db)

    def rebuild_projections(self, db: Session) -> None:
        """Clear every projected table and apply all raw events again, in chain order."""
        self.projector.clear(db)
        rows = db.scalars(
            select(ChainEvent)
            .where(ChainEvent.chain_id == self.chain_id)
            .order_by(ChainEvent.block_number, ChainEvent.log_index)
            .execution_options(yield_per=5000)
        )
        for row in rows:
            self.projector.apply(
                db,
                EventRecord(
                    chain_id=row.chain_id,
                    block_number=row.block_number,
                    block_hash=row.block_hash,
                    block_timestamp=row.block_timestamp,
                    tx_hash=row.tx_hash,
                    tx_index=row.tx_index,
                    log_index=row.log_index,
                    address=row.address,
                    contract=row.contract,
                    event=row.event,
                    args=json.loads(row.args),
                ),
            )


FATAL_INDEXER_ERRORS = (DeepReorgError, UndecodableLogError, ProjectionError)
"""Errors after which the indexer must stop: the chain or the contracts are not what the read model assumes."""
