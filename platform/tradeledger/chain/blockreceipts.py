"""Receipts by block: what a block did with our transactions, read per block, never a call per transaction
(issue #22).

A transaction that emitted a log succeeded: a reverted one leaves no log in its block. So the outcome of our
calls (every state change of the platform's contracts emits an event) is read from the block's logs: one
`eth_getLogs` by block hash, which also gives the block number, block hash and index the outbox records. Only
a transaction of ours without a log in its block (a revert, a gap-filling no-op) needs its receipt, and its
block's receipts are read with one `eth_getBlockReceipts`.

Why not the block's receipts every time: anvil builds each receipt of a block anew from the block, so reading
a block of n transactions costs it O(n²): measured 17 µs a receipt in blocks of 50, 50 µs in blocks of 200 and
175 µs in blocks of 570 (the write benchmark's blocks at 2,000 tx/s), as much as mining the transaction; the
block's logs cost it some 3-8 µs a transaction (BENCHMARKS.md, write path). `eth_getLogs` is also among the
methods reliability checklist D5 allows the service. `eth_getBlockReceipts` is not in the original JSON-RPC
specification, but anvil, geth and Besu (24.1+) serve it; a node without it cannot run the service
(`NodeLacksBlockReceiptsError`).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from tradeledger.chain.rpc import JsonRpc, RpcError
from tradeledger.errors import TradeLedgerError

METHOD_NOT_FOUND = -32601
SUCCESS = "0x1"
Receipt = dict[str, Any]


class NodeLacksBlockReceiptsError(TradeLedgerError):
    """The node does not serve `eth_getBlockReceipts`: receipts are read by block only."""

    code = "node_lacks_block_receipts"
    http_status = 503
    title = "Chain node lacks eth_getBlockReceipts"


@dataclass
class Found:
    """What the blocks gave: the wanted receipts by hash, and the lowest block the node no longer had (a reorg
    under our feet), from which the scan must start again."""

    receipts: dict[str, Receipt] = field(default_factory=dict)
    lost_from: int | None = None

    def lost(self, number: str) -> None:
        lowest = int(number, 16)
        self.lost_from = lowest if self.lost_from is None else min(self.lost_from, lowest)


def _from_log(log: dict[str, Any]) -> Receipt:
    """What the outbox records of a receipt, from a log of its transaction (which therefore succeeded)."""
    return {
        "transactionHash": log["transactionHash"],
        "blockNumber": log["blockNumber"],
        "blockHash": log["blockHash"],
        "transactionIndex": log["transactionIndex"],
        "status": SUCCESS,
    }


class BlockReceipts:
    """The receipts of wanted transactions, read block by block."""

    def __init__(self, rpc: JsonRpc) -> None:
        self.rpc = rpc

    def of(self, blocks: Sequence[dict[str, Any]], wanted: Collection[str]) -> Found:
        """The receipts of the `wanted` transactions mined in `blocks` (block objects with their hash and their
        transaction hashes). A block the node no longer has (its hash differs) gives nothing, and is named in
        `lost_from` (its successor mined them, if anything did: the caller scans from there again)."""
        holding = [block for block in blocks if any(tx in wanted for tx in block["transactions"])]
        found = Found()
        if not holding:
            return found
        logs = self.rpc.batch([("eth_getLogs", [{"blockHash": block["hash"]}]) for block in holding])
        unproven: list[dict[str, Any]] = []
        for block, answer in zip(holding, logs, strict=True):
            if not isinstance(answer, list):  # the node did not find the block by its hash: its receipts say
                unproven.append(block)
                continue
            for log in answer:
                if log["transactionHash"] in wanted and log.get("blockHash") == block["hash"]:
                    found.receipts.setdefault(log["transactionHash"], _from_log(log))
            if any(tx in wanted and tx not in found.receipts for tx in block["transactions"]):
                unproven.append(block)
        if unproven:
            self._from_receipts(unproven, wanted, found)
        return found

    def _from_receipts(self, blocks: Sequence[dict[str, Any]], wanted: Collection[str], found: Found) -> None:
        """The receipts of the wanted transactions without a log in these blocks (reverted, or no event)."""
        answers = self.rpc.batch([("eth_getBlockReceipts", [block["number"]]) for block in blocks])
        for block, answer in zip(blocks, answers, strict=True):
            if isinstance(answer, RpcError) and (answer.code == METHOD_NOT_FOUND or "method" in answer.message.lower()):
                raise NodeLacksBlockReceiptsError(f"the node does not serve eth_getBlockReceipts: {answer.message}")
            if not isinstance(answer, list) or any(receipt["blockHash"] != block["hash"] for receipt in answer):
                found.lost(block["number"])  # gone, or another block at that height now: none of it counts
                for tx in block["transactions"]:
                    found.receipts.pop(tx, None)
                continue
            for receipt in answer:
                if receipt["transactionHash"] in wanted:
                    found.receipts.setdefault(receipt["transactionHash"], receipt)
