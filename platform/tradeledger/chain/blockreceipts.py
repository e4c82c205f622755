"""Receipts by block: one `eth_getBlockReceipts` per block that mined our transactions, never a call per
transaction (issue #22).

The receipt watch scans every new block for the transactions it follows; a block of a busy dev chain holds
hundreds of them, and the node answers one receipt lookup in some 125-155 µs of its CPU (BENCHMARKS.md), while
it answers a whole block's receipts at once. The method is not in the original JSON-RPC specification, but
anvil, geth and Besu (24.1+) serve it; a node without it cannot run the service (`NodeLacksBlockReceiptsError`).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from tradeledger.chain.rpc import JsonRpc, RpcError
from tradeledger.errors import TradeLedgerError

METHOD_NOT_FOUND = -32601
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


class BlockReceipts:
    """The receipts of wanted transactions, read block by block."""

    def __init__(self, rpc: JsonRpc) -> None:
        self.rpc = rpc

    def of(self, blocks: Sequence[dict[str, Any]], wanted: Collection[str]) -> Found:
        """The receipts of the `wanted` transactions mined in `blocks` (block objects with transaction hashes).
        A block the node no longer has gives nothing, and is named in `lost_from` (its successor mined them, if
        anything did: the caller scans from there again)."""
        numbers = [block["number"] for block in blocks if any(tx in wanted for tx in block["transactions"])]
        found = Found()
        if not numbers:
            return found
        for number, answer in zip(
            numbers, self.rpc.batch([("eth_getBlockReceipts", [number]) for number in numbers]), strict=True
        ):
            if isinstance(answer, RpcError) and (answer.code == METHOD_NOT_FOUND or "method" in answer.message.lower()):
                raise NodeLacksBlockReceiptsError(f"the node does not serve eth_getBlockReceipts: {answer.message}")
            if not isinstance(answer, list):
                found.lost_from = int(number, 16) if found.lost_from is None else found.lost_from
                continue
            for receipt in answer:
                if receipt["transactionHash"] in wanted:
                    found.receipts[receipt["transactionHash"]] = receipt
        return found
