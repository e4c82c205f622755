"""Receipts without a call per transaction (issue #22): the transaction manager's receipt watch reads what a block
did with our transactions from its logs (one `eth_getLogs` a block), and the block's receipts (one
`eth_getBlockReceipts`) only for ours that left no log; a node without that method is named, not worked around one
look-up at a time."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from tests.chain.jsonrpc_server import serving
from tradeledger.chain.blockreceipts import BlockReceipts, NodeLacksBlockReceiptsError
from tradeledger.chain.devnet import AGENT, BANK, DeployedChain, make_manager
from tradeledger.chain.rpc import HttpJsonRpc, RpcError
from tradeledger.chain.signing import LegacySigner
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


def _counting(node: HttpJsonRpc, calls: Counter[str]) -> Callable[[str, Sequence[Any]], Any]:
    """A proxy of `node` that counts the calls by method."""

    def answer(method: str, params: Sequence[Any]) -> Any:
        calls[method] += 1
        return node.call(method, params)

    return answer


def test_receipts_are_read_by_block_never_one_by_one(chain_snapshot: DeployedChain, database_url: str) -> None:
    """Inclusion and outcome come from the blocks' logs (every issue emits `Posted`): no receipt read at all, none
    per transaction and no `eth_getTransactionByHash` (not among the methods reliability checklist D5 allows) on
    the normal path."""
    node = HttpJsonRpc(chain_snapshot.url)
    calls: Counter[str] = Counter()
    try:
        with serving(_counting(node, calls)) as url:
            states = _submit_and_wait(chain_snapshot, database_url, url, 500_000)
    finally:
        node.close()
    assert states == [TxState.MINED] * CALLS
    assert calls["eth_getLogs"] >= 1
    assert calls["eth_getBlockReceipts"] == 0, calls
    assert calls["eth_getTransactionReceipt"] == 0, calls
    assert calls["eth_getTransactionByHash"] == 0, calls


def test_a_node_without_block_receipts_is_named_not_worked_around(chain_snapshot: DeployedChain) -> None:
    """A wanted transaction without a log (here: the block has none) needs the block's receipts."""

    def answer(method: str, params: Sequence[Any]) -> Any:
        if method == "eth_getLogs":
            return []
        raise RpcError(-32601, "the method eth_getBlockReceipts does not exist/is not available")

    latest = chain_snapshot.w3.eth.get_block("latest")
    number, block_hash = hex(latest["number"]), "0x" + bytes(latest["hash"]).hex()
    block = {"number": number, "hash": block_hash, "transactions": ["0x" + "ab" * 32]}
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


def test_a_revert_and_a_call_without_logs_are_read_from_the_block_receipts(chain_snapshot: DeployedChain) -> None:
    """No log proves nothing: a transaction that reverted on chain (pre-flight cannot see every later state) and a
    no-op that emits nothing (a gap-filler) get their status from their block's receipts; the logged one beside
    them needs none."""
    node = HttpJsonRpc(chain_snapshot.url)
    calls: Counter[str] = Counter()
    try:
        chain_id = int(node.call("eth_chainId", []), 16)
        bank = LegacySigner(bytes(BANK.key), chain_id)
        agent = LegacySigner(bytes(AGENT.key), chain_id)
        settlement = bytes.fromhex(chain_snapshot.addresses["Settlement"][2:])
        issue = chain_snapshot.issue(900_001).calldata()
        nonce = int(node.call("eth_getTransactionCount", [BANK.address, "pending"]), 16)
        agent_nonce = int(node.call("eth_getTransactionCount", [AGENT.address, "pending"]), 16)
        signed = [
            bank.sign(nonce, 0, 200_000, settlement, 0, issue),  # only the settlement agent may issue: reverts
            bank.sign(nonce + 1, 0, 21_000, bytes.fromhex(BANK.address[2:]), 0, b""),  # a no-op, no log
            agent.sign(agent_nonce, 0, 200_000, settlement, 0, issue),  # succeeds and logs `Posted`
        ]
        hashes = ["0x" + tx_hash.hex() for _, tx_hash in signed]
        node.batch([("eth_sendRawTransaction", ["0x" + raw.hex()]) for raw, _ in signed])
        receipts = [node.call("eth_getTransactionReceipt", [tx]) for tx in hashes]
        while None in receipts:
            time.sleep(0.05)
            receipts = [node.call("eth_getTransactionReceipt", [tx]) for tx in hashes]
        numbers = sorted({int(receipt["blockNumber"], 16) for receipt in receipts})
        blocks = [node.call("eth_getBlockByNumber", [hex(number), False]) for number in numbers]
        with serving(_counting(node, calls)) as url:
            counted = HttpJsonRpc(url)
            found = BlockReceipts(counted).of(blocks, set(hashes))
            counted.close()
    finally:
        node.close()
    assert found.lost_from is None
    assert [found.receipts[tx]["status"] for tx in hashes] == ["0x0", "0x1", "0x1"]
    assert [found.receipts[tx]["blockHash"] for tx in hashes] == [receipt["blockHash"] for receipt in receipts]
    assert calls["eth_getLogs"] == len(blocks)
    assert calls["eth_getBlockReceipts"] == len({receipts[0]["blockNumber"], receipts[1]["blockNumber"]})


def test_b4_a_transaction_mined_where_no_scan_looked_is_resolved_by_its_receipt(
    chain_snapshot: DeployedChain, database_url: str
) -> None:
    """Checklist B4: a transaction mined while no block scan followed the chain (here: its receipt un-recorded,
    below the block the next scan starts from) is sent again by the confirmer once two passes found it below the
    node's nonce count (a node counts a block's nonces a moment before it serves the block); the node's "nonce too
    low" is resolved by the stored hash's receipt, and the row is mined where the chain mined it: never signed
    anew."""
    node = HttpJsonRpc(chain_snapshot.url)
    calls: Counter[str] = Counter()
    try:
        with serving(_counting(node, calls)) as url:
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
            manager.confirm_pending()  # below the node's nonce count after a full scan: noted
            assert manager.get(missed.id).state is TxState.SENT
            manager.confirm_pending()  # and so again on the next pass: it was mined where no scan looked
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
