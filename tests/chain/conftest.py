"""A dev chain with the platform deployed, a settlement agent and a founding bank, for chain-level tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from eth_account.signers.local import LocalAccount
from web3 import Web3

from tradeledger.chain.backends import DevChain
from tradeledger.chain.deployment import deploy_platform
from tradeledger.chain.keys import dev_account
from tradeledger.chain.rpc import HttpJsonRpc
from tradeledger.chain.txmanager import ContractCall, KeyRing, TransactionManager
from tradeledger.store.db import make_engine, migrate, session_factory

OPERATOR, AGENT, BANK = dev_account(0), dev_account(1), dev_account(2)


@dataclass
class DeployedChain:
    chain: DevChain
    w3: Web3
    addresses: dict[str, str]

    @property
    def url(self) -> str:
        assert self.chain.rpc_url is not None
        return self.chain.rpc_url

    def issue(self, amount: int = 1, signer: LocalAccount = AGENT) -> ContractCall:
        """The settlement agent credits the founding bank: a cheap, always-valid state change."""
        reference = Web3.keccak(text=f"issue-{amount}")
        return ContractCall(
            "Settlement",
            self.addresses["Settlement"],
            "issue",
            (BANK.address, b"USD", amount, reference),
            signer.address,
        )


def _send(w3: Web3, account: LocalAccount, to: str, data: bytes) -> None:
    signed = account.sign_transaction(
        {"nonce": w3.eth.get_transaction_count(account.address, "pending"), "to": to, "data": data, "gas": 500_000,
         "gasPrice": 0, "chainId": w3.eth.chain_id, "value": 0}
    )  # fmt: skip
    assert (
        w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(signed.raw_transaction), timeout=30)["status"]
        == 1
    )


def deploy_scenario(chain: DevChain) -> DeployedChain:
    """Deploy the platform with a settlement agent and admit the founding bank."""
    w3 = chain.web3()
    addresses = deploy_platform(w3, OPERATOR, settlement_agent=AGENT.address)
    membership = w3.eth.contract(address=addresses["Membership"], abi=_abi("Membership"))
    _send(w3, OPERATOR, addresses["Membership"], membership.encode_abi("admitFoundingBank", [BANK.address]))
    return DeployedChain(chain, w3, addresses)


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DeployedChain]:
    with DevChain(tmp_path_factory.mktemp("txm-chain")) as chain:
        yield deploy_scenario(chain)


def _abi(name: str) -> list[dict[str, object]]:
    from tradeledger.chain.abi import load_abi

    return load_abi(name).abi


def make_manager(database_url: str, rpc_url: str, **options: object) -> TransactionManager:
    engine = make_engine(database_url)
    migrate(engine)
    rpc = HttpJsonRpc(rpc_url)
    chain_id = int(rpc.call("eth_chainId", []), 16)
    return TransactionManager(
        session_factory(engine), rpc, KeyRing([OPERATOR, AGENT, BANK]), chain_id=chain_id, gas_price=0, **options
    )  # type: ignore[arg-type]


@pytest.fixture
def chain_snapshot(deployed: DeployedChain) -> Iterator[DeployedChain]:
    """The module's deployed chain. Tests measure from the nonce and block they start at instead of reverting:
    evm_revert on a dev chain that mines every second and dumps its state races with those (seen as
    'nonce too low' after a revert)."""
    yield deployed
