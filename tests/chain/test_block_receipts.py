"""Receipts without a call per transaction (issue #22): the transaction manager's receipt watch reads a block's
receipts with one `eth_getBlockReceipts`, and falls back to one lookup per transaction on a node without it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.chain.jsonrpc_server import serving
from tradeledger.chain.blockreceipts import BlockReceipts
from tradeledger.chain.devnet import DeployedChain, make_manager
from tradeledger.chain.rpc import HttpJsonRpc, RpcError
from tradeledger.store.models import TxState

CALLS = 24


def _submit_and_wait(chain: DeployedChain, database_url: str, url: str, first: int) -> list[TxState]:
    """CALLS issues from 6 clients through a running manager (its watch follows every block), each waited for."""
    manager = make_manager(database_url, url)
    manager.start()
    try:

        def client(index: int) -> list[str]:
            return [manager.submit(chain.issue(first + index * 100 + i)).id for i in range(CALLS // 6)]

        with ThreadPoolExecutor(6) as pool:
            ids = [tx_id for batch in pool.map(client, range(6)) for tx_id in batch]
        return [manager.wait(tx_id, timeout=120).state for tx_id in ids]
    finally:
        manager.stop()
        manager.rpc.close()


@pytest.mark.parametrize("by_block", [True, False], ids=["node-with-block-receipts", "node-without"])
def test_receipts_are_read_by_block_when_the_node_can(
    chain_snapshot: DeployedChain, database_url: str, by_block: bool
) -> None:
    node = HttpJsonRpc(chain_snapshot.url)
    calls: Counter[str] = Counter()

    def answer(method: str, params: Sequence[Any]) -> Any:
        calls[method] += 1
        if method == "eth_getBlockReceipts" and not by_block:
            raise RpcError(-32601, "the method eth_getBlockReceipts does not exist/is not available")
        return node.call(method, params)

    try:
        with serving(answer) as url:
            states = _submit_and_wait(chain_snapshot, database_url, url, 500_000 if by_block else 600_000)
    finally:
        node.close()
    assert states == [TxState.MINED] * CALLS
    if by_block:
        assert calls["eth_getBlockReceipts"] >= 1
        # a block's receipts come in one call; single lookups remain only for the confirmer's own passes
        assert calls["eth_getTransactionReceipt"] < CALLS, calls
    else:
        assert calls["eth_getBlockReceipts"] >= 1
        assert calls["eth_getTransactionReceipt"] >= CALLS, calls


def test_a_node_without_block_receipts_is_asked_once(chain_snapshot: DeployedChain) -> None:
    asked: list[Any] = []

    def answer(method: str, params: Sequence[Any]) -> Any:
        asked.append(params[0])
        raise RpcError(-32601, "the method eth_getBlockReceipts does not exist/is not available")

    latest = chain_snapshot.w3.eth.get_block("latest")
    block = {"number": hex(latest["number"]), "transactions": ["0x" + "ab" * 32]}
    with serving(answer) as url:
        rpc = HttpJsonRpc(url)
        by_block = BlockReceipts(rpc)
        assert by_block.of([block], {"0x" + "ab" * 32}) is None
        assert by_block.of([block], {"0x" + "ab" * 32}) is None
        assert by_block.of([block], set()) is None
        rpc.close()
    assert asked == [hex(latest["number"])]


def test_only_blocks_holding_wanted_transactions_are_read(chain_snapshot: DeployedChain, database_url: str) -> None:
    manager = make_manager(database_url, chain_snapshot.url)
    try:
        rows = [manager.wait(manager.submit(chain_snapshot.issue(700_000 + i)).id, timeout=120) for i in range(3)]
    finally:
        manager.rpc.close()
    node = HttpJsonRpc(chain_snapshot.url)
    try:
        numbers = sorted({row.block_number for row in rows if row.block_number is not None})
        around = range(numbers[0] - 2, numbers[-1] + 3)
        blocks = [node.call("eth_getBlockByNumber", [hex(n), False]) for n in around]
        blocks = [block for block in blocks if block is not None]
        wanted = {row.tx_hash for row in rows}
        found = BlockReceipts(node).of(blocks, wanted)
    finally:
        node.close()
    assert found is not None and set(found) == wanted
    assert all(found[tx]["transactionHash"] == tx and found[tx]["status"] == "0x1" for tx in wanted)
