"""One smoke run on the memory backend (eth-tester / py-evm): deploy with `deploy_platform` and pay an
open-account order, through web3 only, the way the service will."""

from __future__ import annotations

from typing import Any

from eth_utils import keccak
from web3 import Web3
from web3.logs import DISCARD

from tests.contracts.helpers import OPEN_ACCOUNT, USD, account
from tradeledger.chain.backends import MemoryChain
from tradeledger.chain.deployment import deploy_platform, load_artifact

DAY = 24 * 3600


class TestMemoryBackend:
    def test_deploy_platform_and_pay_open_account_order(self, memory_chain: MemoryChain) -> None:
        w3 = memory_chain.web3()
        names = ("operator", "agent", "sponsor_bank", "trader", "another_trader")
        memory_chain.fund_gas([account(n).address for n in names])  # py-evm charges a base fee
        addresses = deploy_platform(w3, account("operator"), settlement_agent=account("agent").address)
        assert set(addresses) >= {"Membership", "Settlement", "DocumentRegistry", "TradeOrders", "ReconciliationAnchor"}
        assert all(Web3.is_checksum_address(a) and w3.eth.get_code(a) for a in addresses.values())

        contracts = {n: w3.eth.contract(address=a, abi=load_artifact(n)["abi"]) for n, a in addresses.items()}

        def send(actor: str, contract: str, function: str, *args: Any) -> Any:
            sender = account(actor)
            call = getattr(contracts[contract].functions, function)(*args)
            transaction = call.build_transaction(
                {
                    "from": sender.address,
                    "nonce": w3.eth.get_transaction_count(sender.address),
                    "chainId": w3.eth.chain_id,
                }
            )
            tx_hash = w3.eth.send_raw_transaction(sender.sign_transaction(transaction).raw_transaction)
            receipt = w3.eth.wait_for_transaction_receipt(tx_hash)
            assert receipt["status"] == 1, f"{contract}.{function} reverted"
            return receipt

        a = {n: account(n).address for n in names}
        send("operator", "Membership", "admitFoundingBank", a["sponsor_bank"])
        send("sponsor_bank", "Membership", "onboardTrader", a["trader"])
        send("sponsor_bank", "Membership", "onboardTrader", a["another_trader"])
        send("sponsor_bank", "Settlement", "issue", a["trader"], USD, 5_000, keccak(text="deposit"))
        now = w3.eth.get_block("latest")["timestamp"]
        terms = keccak(text="terms")
        send(
            "trader",
            "TradeOrders",
            "createOrder",
            a["another_trader"],
            1_200,
            USD,
            terms,
            now + DAY,
            OPEN_ACCOUNT,
            now + 2 * DAY,
        )
        send("another_trader", "TradeOrders", "acceptOrder", 1)
        send("another_trader", "TradeOrders", "recordShipment", 1, keccak(text="bill of lading"))
        send("trader", "TradeOrders", "confirmDelivery", 1)
        receipt = send("trader", "TradeOrders", "payOrder", 1)

        posted = contracts["Settlement"].events.Posted().process_receipt(receipt, errors=DISCARD)
        assert [(p.args.debitAccount, p.args.creditAccount, p.args.amount, p.args.kind) for p in posted] == [
            (a["trader"], a["another_trader"], 1_200, 7)
        ]
        assert contracts["TradeOrders"].functions.order(1).call()[4] == 6  # PAID
        assert contracts["Settlement"].functions.balanceOf(a["trader"], USD).call() == 3_800
        assert contracts["Settlement"].functions.balanceOf(a["another_trader"], USD).call() == 1_200
