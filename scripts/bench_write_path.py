"""Write path: business operations/s through the transaction manager vs the node's raw ceiling vs naive web3.

All three run side by side on one fresh dev chain (anvil, mixed mining) with the same call,
Settlement.issue by the settlement agent to a bank:

- raw ceiling: the calls pre-signed up front and sent as eth_sendRawTransaction JSON-RPC batches, timed until
  the last one is mined;
- transaction manager: `submit_many` in batches from several client threads (pre-flight, database nonce,
  signing, outbox row, broadcast), timed until every transaction is recorded as mined;
- naive: web3.py `transact()` then `wait_for_transaction_receipt`, one call after the other.

Prints a table and one JSON line. `--quick` runs small sizes (the test suite uses it to prove it works).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from rich.console import Console
from rich.table import Table
from web3 import Web3

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.chain.conftest import AGENT, BANK, deploy_scenario, make_manager
from tradeledger.chain.abi import load_abi
from tradeledger.chain.backends import DevChain
from tradeledger.chain.rpc import HttpJsonRpc
from tradeledger.chain.txmanager import ContractCall
from tradeledger.store.models import TxState

RAW_BATCH = 200


def _issue_args(index: int) -> tuple[object, ...]:
    return (BANK.address, b"USD", index + 1, index.to_bytes(32, "big"))


def _wait_for_nonce(rpc: HttpJsonRpc, address: str, target: int, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while int(rpc.call("eth_getTransactionCount", [address, "latest"]), 16) < target:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{address} did not reach nonce {target}")
        time.sleep(0.005)


def raw_ceiling(url: str, settlement: str, count: int) -> float:
    rpc = HttpJsonRpc(url)
    function = load_abi("Settlement").function("issue")
    start_nonce = int(rpc.call("eth_getTransactionCount", [AGENT.address, "pending"]), 16)
    chain_id = int(rpc.call("eth_chainId", []), 16)
    raws = [
        "0x"
        + AGENT.sign_transaction(
            {"nonce": start_nonce + i, "to": settlement, "data": function.encode_call(_issue_args(10**6 + i)),
             "gas": 200_000, "gasPrice": 0, "value": 0, "chainId": chain_id}
        ).raw_transaction.hex()
        for i in range(count)
    ]  # fmt: skip
    started = time.perf_counter()
    for offset in range(0, count, RAW_BATCH):
        rpc.batch([("eth_sendRawTransaction", [raw]) for raw in raws[offset : offset + RAW_BATCH]])
    _wait_for_nonce(rpc, AGENT.address, start_nonce + count)
    return count / (time.perf_counter() - started)


def through_manager(url: str, settlement: str, count: int, clients: int, batch: int) -> float:
    manager = make_manager(f"sqlite:///{tempfile.mkdtemp()}/bench.db", url)
    per_client = count // clients

    def client(index: int) -> list[str]:
        ids: list[str] = []
        for offset in range(0, per_client, batch):
            calls = [
                ContractCall(
                    "Settlement",
                    settlement,
                    "issue",
                    _issue_args(2 * 10**6 + index * per_client + offset + i),
                    AGENT.address,
                )
                for i in range(min(batch, per_client - offset))
            ]
            ids += [row.id for row in manager.submit_many(calls)]
        return ids

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        ids = [tx_id for chunk in pool.map(client, range(clients)) for tx_id in chunk]
    while manager.pending_count():
        manager.confirm_pending()
    elapsed = time.perf_counter() - started
    states = {manager.get(tx_id).state for tx_id in ids}
    if states != {TxState.MINED}:
        raise RuntimeError(f"transaction manager left states {states}")
    return len(ids) / elapsed


def naive(w3: Web3, settlement: str, count: int) -> float:
    from web3.middleware import SignAndSendRawMiddlewareBuilder

    w3.middleware_onion.inject(SignAndSendRawMiddlewareBuilder.build(AGENT), layer=0)
    contract = w3.eth.contract(address=Web3.to_checksum_address(settlement), abi=load_abi("Settlement").abi)
    started = time.perf_counter()
    for i in range(count):
        tx_hash = contract.functions.issue(*_issue_args(3 * 10**6 + i)).transact({"from": AGENT.address, "gasPrice": 0})
        w3.eth.wait_for_transaction_receipt(tx_hash)
    return count / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for the test suite")
    parser.add_argument("--count", type=int, default=4000, help="transactions for the raw and manager runs")
    parser.add_argument("--naive-count", type=int, default=100)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--json", type=Path, help="also write the results here")
    options = parser.parse_args()
    count, naive_count = (200, 10) if options.quick else (options.count, options.naive_count)

    with DevChain(Path(tempfile.mkdtemp())) as chain:
        deployed = deploy_scenario(chain)
        settlement = deployed.addresses["Settlement"]
        results = {
            "raw_ceiling_tx_s": raw_ceiling(deployed.url, settlement, count),
            "transaction_manager_tx_s": through_manager(
                deployed.url, settlement, count, options.clients, options.batch
            ),
            "naive_web3_tx_s": naive(chain.web3(), settlement, naive_count),
        }
    results["manager_vs_raw"] = results["transaction_manager_tx_s"] / results["raw_ceiling_tx_s"]
    results["manager_vs_naive"] = results["transaction_manager_tx_s"] / results["naive_web3_tx_s"]
    results.update(count=count, naive_count=naive_count, clients=options.clients, batch=options.batch)

    table = Table(title=f"write path: Settlement.issue on anvil ({count} tx; naive {naive_count})")
    table.add_column("path")
    table.add_column("tx/s", justify="right")
    table.add_row("raw ceiling (pre-signed, batched)", f"{results['raw_ceiling_tx_s']:,.0f}")
    table.add_row("transaction manager", f"{results['transaction_manager_tx_s']:,.0f}")
    table.add_row("naive web3 (transact + wait)", f"{results['naive_web3_tx_s']:,.1f}")
    table.add_row("manager / raw", f"{results['manager_vs_raw']:.0%}")
    table.add_row("manager / naive", f"{results['manager_vs_naive']:.0f}x")
    Console().print(table)
    line = json.dumps({"benchmark": "write_path", **results})
    print(line)
    if options.json:
        options.json.write_text(line + "\n")


if __name__ == "__main__":
    main()
