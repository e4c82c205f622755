"""The deployment manifest (`data/deployment.json`): which chain, which addresses, from which block.

Start-up compares it with the node: a wrong chain id or missing/different contract code fails fast, so the
service never indexes or writes against contracts it does not know.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, ValidationError
from web3 import Web3

from tradeledger.errors import ChainMismatchError, ConfigurationError


class DeployedContract(BaseModel):
    address: str
    code_hash: str


class DeploymentManifest(BaseModel):
    """What `tradeledger deploy` wrote: the chain id, the first block that can hold our events, the contracts."""

    chain_id: int
    deploy_block: int
    deployer: str
    contracts: dict[str, DeployedContract]

    @classmethod
    def load(cls, path: Path) -> DeploymentManifest | None:
        if not path.is_file():
            return None
        try:
            return cls.model_validate_json(path.read_text(encoding="utf-8"))
        except ValidationError as error:
            raise ConfigurationError(f"deployment manifest {path} is unreadable ({error.errors()[0]['msg']})") from None

    def save(self, path: Path) -> None:
        """Write atomically: a crash leaves the old manifest or the new one, never half of one."""
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        temporary.write_text(self.model_dump_json(indent=2) + "\n", encoding="utf-8")
        os.replace(temporary, path)

    def address(self, contract: str) -> str:
        return self.contracts[contract].address


def code_hash(w3: Web3, address: str) -> str:
    return Web3.keccak(w3.eth.get_code(Web3.to_checksum_address(address))).hex()


def verify_against_chain(w3: Web3, manifest: DeploymentManifest, manifest_path: Path) -> None:
    """Fail fast, saying what to do, when the node is not the chain the manifest was written for."""
    actual = int(w3.eth.chain_id)
    if actual != manifest.chain_id:
        raise ChainMismatchError(
            f"the node reports chain id {actual} but {manifest_path} was deployed on chain id "
            f"{manifest.chain_id}: point TRADELEDGER_CHAIN at that chain, or use another TRADELEDGER_DATA_DIR"
        )
    for name, contract in manifest.contracts.items():
        if code_hash(w3, contract.address) != contract.code_hash:
            raise ChainMismatchError(
                f"{name} at {contract.address} has no or different code on chain {actual}: the chain was reset "
                f"or replaced; run `tradeledger deploy` (and reset the database) or restore the chain state"
            )
