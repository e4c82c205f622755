"""Receipts by block: one `eth_getBlockReceipts` per block that mined our transactions, instead of one
`eth_getTransactionReceipt` per transaction (issue #22).

The receipt watch scans every new block for the transactions it follows; a block of a busy dev chain holds
hundreds of them, and the node answers one receipt lookup in some 125-155 µs of its CPU (BENCHMARKS.md), while
it answers a whole block's receipts at once. Nodes without the method (it is not in the original JSON-RPC
specification) answer "method not found": the watch then looks receipts up one by one, as before, and does not
ask again.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from tradeledger.chain.rpc import JsonRpc, RpcError

METHOD_NOT_FOUND = -32601
Receipt = dict[str, Any]


class BlockReceipts:
    """The receipts of wanted transactions, read block by block while the node offers it."""

    def __init__(self, rpc: JsonRpc) -> None:
        self.rpc = rpc
        self.supported = True

    def of(self, blocks: Sequence[dict[str, Any]], wanted: Collection[str]) -> dict[str, Receipt] | None:
        """The receipts of the `wanted` transactions mined in `blocks` (block objects with transaction hashes),
        by hash; None when the node cannot answer by block (the caller looks them up one by one). A block the
        node no longer has (a reorg under our feet) gives nothing: its transactions are looked up again later."""
        if not self.supported:
            return None
        numbers = [block["number"] for block in blocks if any(tx in wanted for tx in block["transactions"])]
        if not numbers:
            return {}
        found: dict[str, Receipt] = {}
        for answer in self.rpc.batch([("eth_getBlockReceipts", [number]) for number in numbers]):
            if isinstance(answer, RpcError):
                if answer.code == METHOD_NOT_FOUND or "method" in answer.message.lower():
                    self.supported = False
                    return None
                continue
            for receipt in answer or ():
                if receipt["transactionHash"] in wanted:
                    found[receipt["transactionHash"]] = receipt
        return found
