"""The node check passes on the dev chain and fails, on the right line, on nodes configured the wrong way.

The misconfigured nodes are a small JSON-RPC proxy in front of the dev chain (anvil) that changes what a wrong
configuration changes: the gas price it asks (1 gwei: Besu without min-gas-price=0), the revert data it drops
(nodes that answer only "execution reverted"), the eth_getLogs ranges it refuses (Besu's --rpc-max-logs-range
set low). Behind such a proxy the indexer and the audit reader still read every log, paging within the limit.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.chain.jsonrpc_server import serving
from tests.cli.test_configuration_errors import assert_one_line_error, run_cli
from tradeledger.chain.devnet import BANK, DeployedChain, make_manager
from tradeledger.chain.ledger import ChainLedgerReader
from tradeledger.chain.manifest import DeployedContract, DeploymentManifest, code_hash
from tradeledger.chain.nodecheck import CHECKS, NodeReport, check_node
from tradeledger.chain.rpc import HttpJsonRpc, RpcError
from tradeledger.config import Settings
from tradeledger.indexer.indexer import Indexer, IndexerConfig
from tradeledger.store.db import make_engine, session_factory
from tradeledger.store.models import ChainEvent

GWEI = 10**9


@dataclass
class Misconfigured:
    """Answers as the node behind it would, with one configuration changed."""

    upstream: HttpJsonRpc
    gas_price: int | None = None
    revert_data: bool = True
    max_log_range: int | None = None

    def answer(self, method: str, params: Sequence[Any]) -> Any:
        if method == "eth_gasPrice" and self.gas_price is not None:
            return hex(self.gas_price)
        if method == "eth_getLogs" and self.max_log_range is not None:
            span = int(params[0]["toBlock"], 16) - int(params[0]["fromBlock"], 16) + 1
            if span > self.max_log_range:
                raise RpcError(-32005, f"requested range {span} exceeds the maximum of {self.max_log_range} blocks")
        try:
            return self.upstream.call(method, params)
        except RpcError as error:
            if self.revert_data:
                raise
            raise RpcError(error.code, "execution reverted") from None


@pytest.fixture
def proxy(deployed: DeployedChain, request: pytest.FixtureRequest) -> Iterator[str]:
    upstream = HttpJsonRpc(deployed.url)
    with serving(Misconfigured(upstream, **request.param).answer) as url:
        yield url
    upstream.close()


def write_manifest(deployed: DeployedChain, settings: Settings) -> DeploymentManifest:
    manifest = DeploymentManifest(
        chain_id=deployed.w3.eth.chain_id,
        deploy_block=0,
        deployer="0x0000000000000000000000000000000000000000",
        contracts={
            name: DeployedContract(address=address, code_hash=code_hash(deployed.w3, address))
            for name, address in deployed.addresses.items()
        },
    )
    manifest.save(settings.deployment_file)
    return manifest


def failing(report: NodeReport) -> list[str]:
    return [finding.requirement for finding in report.failures]


class TestDevChain:
    def test_every_requirement_passes(self, deployed: DeployedChain, settings: Settings) -> None:
        write_manifest(deployed, settings)
        report = check_node(deployed.url, settings)
        assert [finding.requirement for finding in report.findings] == [requirement for requirement, _ in CHECKS]
        assert report.passed, [finding.line for finding in report.failures]
        lines = {finding.requirement: finding.line for finding in report.findings}
        assert "the code of 12 contracts matches" in lines["deployment"]

    def test_a_manifest_of_other_code_fails_the_deployment_line(
        self, deployed: DeployedChain, settings: Settings
    ) -> None:
        manifest = write_manifest(deployed, settings)
        manifest.contracts["Settlement"] = DeployedContract(address=BANK.address, code_hash="0x00")
        manifest.save(settings.deployment_file)
        assert failing(check_node(deployed.url, settings)) == ["deployment"]

    def test_a_pinned_chain_id_of_another_chain_fails_the_chain_id_line(
        self, deployed: DeployedChain, settings: Settings
    ) -> None:
        report = check_node(deployed.url, settings.model_copy(update={"chain_id": 5}))
        assert failing(report) == ["chain id"]
        assert "TRADELEDGER_CHAIN_ID=5 but the node reports chain id 1337" in report.failures[0].line

    def test_nothing_answering_is_one_failing_line(self, settings: Settings) -> None:
        report = check_node("http://127.0.0.1:9", settings)
        assert failing(report) == ["node answers"]


class TestMisconfiguredNode:
    @pytest.mark.parametrize(
        ("proxy", "requirement", "fragment"),
        [
            ({"gas_price": GWEI}, "gas free", "eth_gasPrice 1000000000 wei"),
            ({"revert_data": False}, "revert data", "returned no data"),
            ({"max_log_range": 100}, "eth_getLogs range", "a 2000-block range is refused"),
        ],
        indirect=["proxy"],
        ids=["gas-price-1-gwei", "no-revert-data", "logs-range-100"],
    )
    def test_fails_on_its_line_only(self, proxy: str, requirement: str, fragment: str, settings: Settings) -> None:
        report = check_node(proxy, settings)
        assert failing(report) == [requirement]
        assert fragment in report.failures[0].line

    @pytest.mark.parametrize("proxy", [{"max_log_range": 100}], indirect=True)
    def test_a_log_range_within_the_cap_passes(self, proxy: str, settings: Settings) -> None:
        assert check_node(proxy, settings.model_copy(update={"log_range": 100})).passed


class TestCommandLine:
    def test_chain_check_passes_on_the_dev_chain(self, deployed: DeployedChain, tmp_path: Path) -> None:
        result = run_cli(["chain", "check", deployed.url], {}, tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr
        assert len(result.stdout.splitlines()) == len(CHECKS)
        assert all(line.startswith("ok") for line in result.stdout.splitlines())

    @pytest.mark.parametrize("proxy", [{"gas_price": GWEI}], indirect=True)
    def test_chain_check_fails_with_the_line(self, proxy: str, tmp_path: Path) -> None:
        result = run_cli(["chain", "check", proxy], {}, tmp_path)
        assert result.returncode == 1
        assert [line for line in result.stdout.splitlines() if line.startswith("FAIL")] == [
            next(line for line in result.stdout.splitlines() if line.startswith("FAIL gas free:"))
        ]

    @pytest.mark.parametrize("proxy", [{"revert_data": False}], indirect=True)
    def test_serve_refuses_a_node_that_fails(self, proxy: str, tmp_path: Path) -> None:
        result = run_cli(["serve"], {"TRADELEDGER_CHAIN": proxy}, tmp_path)
        assert_one_line_error(result, "fails the node check", "FAIL revert data: eth_call of a call reverting")


class TestPagingWithinTheNodesLimit:
    @pytest.mark.parametrize("proxy", [{"max_log_range": 3}], indirect=True)
    def test_indexer_and_audit_reader_read_every_log(
        self, deployed: DeployedChain, proxy: str, database_url: str
    ) -> None:
        """Through a node that refuses ranges over 3 blocks, with 50-block ranges configured: ranges the node
        refuses are asked again in halves, and both readers get exactly what the uncapped node holds."""
        manager = make_manager(database_url, deployed.url)
        manager.wait(manager.submit(deployed.issue(7)).id, timeout=120)
        manager.rpc.close()
        direct, paged = HttpJsonRpc(deployed.url), HttpJsonRpc(proxy)
        head = int(direct.call("eth_blockNumber", []), 16)
        platform_logs = direct.call(
            "eth_getLogs", [{"address": sorted(deployed.addresses.values()), "fromBlock": "0x0", "toBlock": hex(head)}]
        )
        engine = make_engine(database_url)
        indexer = Indexer(
            session_factory(engine), paged, chain_id=1337, contracts=deployed.addresses, start_block=0,
            config=IndexerConfig(batch_blocks=50),
        )  # fmt: skip
        while indexer.indexed_through() < head:
            indexer.catch_up()
        with indexer.sessions() as db:
            stored = db.scalar(select(func.count()).select_from(ChainEvent).where(ChainEvent.block_number <= head))
        assert stored == len(platform_logs) > 0

        def postings(rpc: HttpJsonRpc) -> list[tuple[str, int]]:
            reader = ChainLedgerReader(
                rpc, settlement=deployed.addresses["Settlement"], anchor=deployed.addresses["ReconciliationAnchor"],
                log_range=50,
            )  # fmt: skip
            return [(posting.tx_hash, posting.log_index) for posting in reader.postings_of(BANK.address, head)]

        assert postings(paged) == postings(direct) != []
        for rpc in (direct, paged):
            rpc.close()
        engine.dispose()
