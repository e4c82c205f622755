"""The deployed platform with its cast of actors, built once per session on a dedicated anvil.

The contract tests get their own anvil in plain automine mode without a state file: every transaction is
mined in its own block as it is sent, and nothing runs between an `evm_snapshot` and its `evm_revert`
(the managed dev chain mines 1 s interval blocks and dumps its state every second, which the thousands of
snapshot/revert cycles here do not need).
"""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator

import pytest
import requests

from tests.contracts.helpers import World, build_world
from tradeledger.chain.backends import ANVIL_BINARY, DEV_CHAIN_ID


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def contracts_chain_url() -> Iterator[str]:
    """A private automining anvil for the contract tests; stopped at the end of the session."""
    if not ANVIL_BINARY.is_file():
        pytest.fail(f"anvil is missing at {ANVIL_BINARY}: run `npm ci`")
    port = _free_port()
    command = [
        str(ANVIL_BINARY),
        "--host", "127.0.0.1",
        "--port", str(port),
        "--chain-id", str(DEV_CHAIN_ID),
        "--gas-price", "0",
        "--base-fee", "0",
        "--silent",
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            requests.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}, timeout=1)
            break
        except requests.ConnectionError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail("anvil did not start")
            time.sleep(0.05)
    yield url
    process.terminate()
    process.wait(timeout=20)


@pytest.fixture(scope="session")
def platform_world(contracts_chain_url: str) -> World:
    return build_world(contracts_chain_url)


@pytest.fixture
def world(platform_world: World) -> Iterator[World]:
    """The world at its base state; anything a test does is rolled back afterwards."""
    platform_world.reset()
    yield platform_world
    platform_world.reset()
