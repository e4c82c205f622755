"""The smallest working platform on a dev chain: the operator, a settlement agent and a founding bank.

The write-path benchmark and the chain-level tests drive the transaction manager against it without the
service around it; the demo consortium (`tradeledger.demo`) builds the full cast through the service instead.
Every key here comes from the PUBLIC dev mnemonic.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from eth_account.signers.local import LocalAccount
from web3 import Web3

from tradeledger.chain.abi import load_abi
from tradeledger.chain.backends import DevChain, anvil_eviction
from tradeledger.chain.deployment import deploy_platform
from tradeledger.chain.keys import dev_account
from tradeledger.chain.rpc import HttpJsonRpc
from tradeledger.chain.txmanager import ContractCall, KeyRing, TransactionManager
from tradeledger.store.db import SQLITE_SYNCHRONOUS, SqliteSynchronous, make_engine, migrate, session_factory

OPERATOR, AGENT, BANK = dev_account(0), dev_account(1), dev_account(2)
RECEIPT_TIMEOUT_S = 30


@dataclass
class DeployedChain:
    """A dev chain with the platform's contracts deployed and the founding bank admitted."""

    chain: DevChain
    w3: Web3
    addresses: dict[str, str]

    @property
    def url(self) -> str:
        assert self.chain.rpc_url is not None
        return self.chain.rpc_url

    def issue(self, amount: int = 1, signer: LocalAccount = AGENT, account: str = BANK.address) -> ContractCall:
        """The settlement agent credits `account` (the founding bank): a cheap, always-valid state change."""
        reference = Web3.keccak(text=f"issue-{amount}")
        return ContractCall(
            "Settlement", self.addresses["Settlement"], "issue", (account, b"USD", amount, reference), signer.address
        )


def deploy_scenario(chain: DevChain) -> DeployedChain:
    """Deploy the platform with AGENT as settlement agent, and admit BANK as the founding bank."""
    w3 = chain.web3()
    addresses = deploy_platform(w3, OPERATOR, settlement_agent=AGENT.address)
    calldata = load_abi("Membership").function("admitFoundingBank").encode_call((BANK.address,))
    signed = OPERATOR.sign_transaction(
        {
            "nonce": w3.eth.get_transaction_count(OPERATOR.address, "pending"),
            "to": Web3.to_checksum_address(addresses["Membership"]),
            "data": calldata,
            "gas": 500_000,
            "gasPrice": 0,
            "chainId": w3.eth.chain_id,
            "value": 0,
        }
    )
    receipt = w3.eth.wait_for_transaction_receipt(
        w3.eth.send_raw_transaction(signed.raw_transaction), timeout=RECEIPT_TIMEOUT_S
    )
    assert receipt["status"] == 1, "admitting the founding bank reverted"
    return DeployedChain(chain, w3, addresses)


def make_manager(
    database_url: str,
    rpc_url: str,
    *,
    resend_after: timedelta = timedelta(seconds=15),
    held_after: timedelta = timedelta(seconds=3),
    sqlite_synchronous: SqliteSynchronous = SQLITE_SYNCHRONOUS,
    signs: bool = True,
) -> TransactionManager:
    """A transaction manager on its own migrated database, hosting OPERATOR, AGENT and BANK (an API worker's
    when `signs` is False: it stores requests for an engine to sign)."""
    engine = make_engine(database_url, sqlite_synchronous=sqlite_synchronous)
    migrate(engine)
    rpc = HttpJsonRpc(rpc_url)
    chain_id = int(rpc.call("eth_chainId", []), 16)
    return TransactionManager(
        session_factory(engine),
        rpc,
        KeyRing([OPERATOR, AGENT, BANK]),
        chain_id=chain_id,
        gas_price=0,
        resend_after=resend_after,
        held_after=held_after,
        evict_from_pool=anvil_eviction(rpc),
        signs=signs,
    )
