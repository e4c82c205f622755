"""The chain as the checks read it: raw JSON-RPC to the node, the platform's logs decoded with their
transaction hashes, and the deployed contracts as `tests.contracts.helpers` drives them (for the getter checks)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.contracts.helpers import Chain, Deployed, World, codec
from tradeledger.chain.rpc import HttpJsonRpc


@dataclass(frozen=True)
class Log:
    """One decoded log of a platform contract."""

    tx_hash: str
    block_number: int
    block_hash: str
    log_index: int
    contract: str
    name: str
    args: dict[str, Any]


class ChainView:
    """The node at `rpc_url` and the platform deployed on it (`deployment.json`'s contents)."""

    def __init__(self, rpc_url: str, deployment: dict[str, Any]) -> None:
        self.rpc_url = rpc_url
        self.rpc = HttpJsonRpc(rpc_url, timeout=30)
        self.deploy_block = int(deployment["deploy_block"])
        self.deployer = str(deployment["deployer"])
        self.addresses = {name: str(entry["address"]) for name, entry in deployment["contracts"].items()}
        self._by_address = {address.lower(): name for name, address in self.addresses.items()}

    def close(self) -> None:
        self.rpc.close()

    def head(self) -> int:
        return int(self.rpc.call("eth_blockNumber", []), 16)

    def decode(self, raw: dict[str, Any]) -> Log | None:
        contract = self._by_address.get(str(raw["address"]).lower())
        decoded = codec(contract).decode_log(raw) if contract else None
        if contract is None or decoded is None:
            return None
        return Log(raw["transactionHash"], int(raw["blockNumber"], 16), raw["blockHash"], int(raw["logIndex"], 16),
                   contract, decoded[0], decoded[1])  # fmt: skip

    def raw_logs(self, through: int | None = None) -> list[dict[str, Any]]:
        logs: list[dict[str, Any]] = self.rpc.call("eth_getLogs", [{
            "fromBlock": hex(self.deploy_block), "toBlock": "latest" if through is None else hex(through),
            "address": list(self.addresses.values()),
        }])  # fmt: skip
        return logs

    def logs(self) -> list[Log]:
        """Every event of the platform's contracts from the deploy block to head, in chain order."""
        return [log for raw in self.raw_logs() if (log := self.decode(raw)) is not None]

    def receipt_logs(self, tx_hash: str) -> list[Log] | None:
        """The decoded logs of a mined transaction, or None if the node knows no receipt for it."""
        receipt = self.rpc.call("eth_getTransactionReceipt", [tx_hash])
        if receipt is None:
            return None
        return [log for raw in receipt["logs"] if (log := self.decode(raw)) is not None]

    def world(self) -> World:
        """The contracts as the indexer tests' checks (`tests/indexer/checks.py`) read them."""
        chain = Chain(self.rpc_url)
        return World(chain, {name: Deployed(chain, name, address) for name, address in self.addresses.items()},
                     self.deploy_block)  # fmt: skip
