"""A dev chain with the platform deployed, a settlement agent and a founding bank, for chain-level tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tradeledger.chain.backends import DevChain
from tradeledger.chain.devnet import DeployedChain, deploy_scenario


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DeployedChain]:
    with DevChain(tmp_path_factory.mktemp("txm-chain")) as chain:
        yield deploy_scenario(chain)


@pytest.fixture
def chain_snapshot(deployed: DeployedChain) -> Iterator[DeployedChain]:
    """The module's deployed chain. Tests measure from the nonce and block they start at instead of reverting:
    evm_revert on a dev chain that mines every second and dumps its state races with those (seen as
    'nonce too low' after a revert)."""
    yield deployed
