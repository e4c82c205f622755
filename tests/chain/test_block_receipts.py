"""Receipts without a call per transaction (issue #22): the transaction manager's receipt watch reads a block's
receipts with one `eth_getBlockReceipts`; a node without it is named, not worked around one look-up at a time."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from tests.chain.jsonrpc_server import serving
from tradeledger.chain.blockreceipts import BlockReceipts, NodeLacksBlockReceiptsError
from tradeledger.chain.devnet import DeployedChain, make_manager
from tradeledger.chain.rpc import HttpJsonRpc, RpcError
from tradeledger.store.models import ChainTransaction, TxState

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


def test_receipts_are_read_by_block_never_one_by_one(chain_snapshot: DeployedChain, database_url: str) -> None:
    """Inclusion and receipts come from block receipts only: no receipt look-up per transaction and no
    `eth_getTransactionByHash` (not among the methods reliability checklist D5 allows) on the normal path."""
    node = HttpJsonRpc(chain_snapshot.url)
    calls: Counter[str] = Counter()

    def answer(method: str, params: Sequence[Any]) -> Any:
        calls[method] += 1
        return node.call(method, params)

    try:
        with serving(answer) as url:
            states = _submit_and_wait(chain_snapshot, database_url, url, 500_000)
    finally:
        node.close()
    assert states == [TxState.MINED] * CALLS
    assert calls["eth_getBlockReceipts"] >= 1
    assert calls["eth_getTransactionReceipt"] == 0, calls
    assert calls["eth_getTransactionByHash"] == 0, calls


def test_a_node_without_block_receipts_is_named_not_worked_around(chain_snapshot: DeployedChain) -> None:
    def answer(method: str, params: Sequence[Any]) -> Any:
        raise RpcError(-32601, "the method eth_getBlockReceipts does not exist/is not available")

    latest = chain_snapshot.w3.eth.get_block("latest")
    block = {"number": hex(latest["number"]), "transactions": ["0x" + "ab" * 32]}
    with serving(answer) as url:
        rpc = HttpJsonRpc(url)
        with pytest.raises(NodeLacksBlockReceiptsError):
            BlockReceipts(rpc).of([block], {"0x" + "ab" * 32})
        assert BlockReceipts(rpc).of([block], set()).receipts == {}  # nothing wanted: nothing asked
        rpc.close()


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
    assert set(found.receipts) == wanted and found.lost_from is None
    assert all(found.receipts[tx]["transactionHash"] == tx and found.receipts[tx]["status"] == "0x1" for tx in wanted)


def test_b4_a_transaction_mined_where_no_scan_looked_is_resolved_by_its_receipt(
    chain_snapshot: DeployedChain, database_url: str
) -> None:
    """Checklist B4: a transaction mined while no block scan followed the chain (here: its receipt un-recorded,
    below the block the next scan starts from) is sent again by the confirmer; the node's "nonce too low" is
    resolved by the stored hash's receipt, and the row is mined where the chain mined it: never signed anew."""
    node = HttpJsonRpc(chain_snapshot.url)
    calls: Counter[str] = Counter()

    def answer(method: str, params: Sequence[Any]) -> Any:
        calls[method] += 1
        return node.call(method, params)

    try:
        with serving(answer) as url:
            manager = make_manager(database_url, url, resend_after=timedelta(0))
            missed, later = (manager.wait(manager.submit(chain_snapshot.issue(800_000 + i)).id) for i in range(2))
            assert missed.block_number is not None and later.block_number is not None
            assert later.block_number > missed.block_number
            with manager.sessions() as db:
                db.execute(
                    update(ChainTransaction)
                    .where(ChainTransaction.id == missed.id)
                    .values(state=TxState.SENT, block_number=None, block_hash=None, tx_index=None)
                )
                db.commit()
                stored = db.scalar(select(func.count()).select_from(ChainTransaction))
            calls.clear()
            manager.confirm_pending()
            resolved = manager.get(missed.id)
            with manager.sessions() as db:
                assert db.scalar(select(func.count()).select_from(ChainTransaction)) == stored
            manager.rpc.close()
    finally:
        node.close()
    assert resolved.state is TxState.MINED
    assert (resolved.block_number, resolved.block_hash) == (missed.block_number, missed.block_hash)
    assert calls["eth_getTransactionReceipt"] == 1, calls  # only the one the node said "nonce too low" for
    assert calls["eth_getTransactionByHash"] == 0, calls
