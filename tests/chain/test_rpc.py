"""The JSON-RPC client's connections: kept between calls, opened again when the node closed a kept one, and a node
that cannot answer is ChainUnavailableError."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from tests.chain.jsonrpc_server import serving
from tradeledger.chain.rpc import HttpJsonRpc
from tradeledger.errors import ChainUnavailableError


def block_one(_method: str, _params: Sequence[Any]) -> str:
    return "0x1"


def test_calls_share_one_kept_connection() -> None:
    clients: list[int] = []
    with serving(block_one, clients=clients) as url:
        rpc = HttpJsonRpc(url)
        assert [rpc.call("eth_blockNumber", []) for _ in range(5)] == ["0x1"] * 5
        assert rpc.batch([("eth_blockNumber", []), ("eth_chainId", [])]) == ["0x1", "0x1"]
        rpc.close()
    assert len(clients) == 1


def test_a_kept_connection_the_node_closed_is_opened_again() -> None:
    clients: list[int] = []
    with serving(block_one, close_after_each=True, clients=clients) as url:
        rpc = HttpJsonRpc(url)
        assert [rpc.call("eth_blockNumber", []) for _ in range(4)] == ["0x1"] * 4
        rpc.close()
    assert len(clients) == 4


@pytest.mark.parametrize("status", [500, 503])
def test_an_http_error_is_chain_unavailable(status: int) -> None:
    with serving(block_one, status=status) as url, pytest.raises(ChainUnavailableError, match=f"HTTP {status}"):
        HttpJsonRpc(url).call("eth_blockNumber", [])


def test_a_node_gone_is_chain_unavailable() -> None:
    with serving(block_one) as url:
        pass
    with pytest.raises(ChainUnavailableError, match="unreachable: ConnectionRefusedError"):
        HttpJsonRpc(url).call("eth_blockNumber", [])
