"""Every block reader of the chain layer over recorded proof-of-authority headers, and over the dev chain.

The recorded blocks (tests/chain/fixtures) are a Clique block (Rinkeby, from Besu's Clique tests), an IBFT 2.0 block
(a Besu private network, from the Besu documentation) and a QBFT block (a Besu QBFT network, from a QBFT light
client's tests); each file says where it comes from. The first tests prove the fields were copied right and were
sealed by the chain: they hash to the block hash the client reported, and the seals recover to the validators.
A small JSON-RPC endpoint on loopback serves one of them as its chain; the dev chain (anvil) is the same readers'
plain case.

Readers through web3's block formatters: the service's web3 clients (`ChainBackend.web3`, used by the chain
session, the deployment and the dev-chain helpers). Readers through the lean JSON-RPC client: the indexer
(blocks of its batches, checkpoints), the chain ledger reader (the audit reader's `Posted` logs and block
times, the statements' period-closing clock) and the confirmer's receipt watch (the transactions of new blocks).
The transaction manager's lost-block check reads only `number` and `hash` the same lean way.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import rlp
from eth_account import Account
from eth_keys.datatypes import Signature
from eth_utils.crypto import keccak
from sqlalchemy import select
from web3 import HTTPProvider, Web3
from web3.exceptions import ExtraDataLengthError

from tests.chain.jsonrpc_server import serving
from tradeledger.chain.backends import DevChain, UrlChain
from tradeledger.chain.deployment import _Deployer
from tradeledger.chain.keys import dev_account
from tradeledger.chain.ledger import ChainLedgerReader, block_time
from tradeledger.chain.nodecheck import check_node
from tradeledger.chain.poa import CLIQUE_SEAL_BYTES, VANITY_BYTES, Consensus, consensus_of
from tradeledger.chain.receipts import ReceiptWatch
from tradeledger.chain.rpc import HttpJsonRpc, RpcError
from tradeledger.config import Settings
from tradeledger.indexer.indexer import Indexer
from tradeledger.store.db import make_engine, migrate, session_factory
from tradeledger.store.models import IndexerCheckpoint

FIXTURES = Path(__file__).parent / "fixtures"
RECORDED = {
    "clique": "clique-rinkeby-30000.json",
    "ibft2": "ibft2-besu-docs-100.json",
    "qbft": "qbft-besu-elc-7528.json",
}
SOME_CONTRACT = "0x00000000000000000000000000000000000000A1"  # no logs anywhere: the readers still walk the blocks
HEADER_FIELDS = (  # the pre-London header, in RLP order
    "parentHash", "sha3Uncles", "miner", "stateRoot", "transactionsRoot", "receiptsRoot", "logsBloom",
    "difficulty", "number", "gasLimit", "gasUsed", "timestamp", "extraData", "mixHash", "nonce",
)  # fmt: skip
QUANTITIES = {"difficulty", "number", "gasLimit", "gasUsed", "timestamp"}
TEST_CHAIN_ID = 2026  # what the endpoint answers for eth_chainId: a chain id is not part of a header


def recorded(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((FIXTURES / RECORDED[name]).read_text())
    return document


def _field(name: str, value: str) -> int | bytes:
    return int(value, 16) if name in QUANTITIES else bytes.fromhex(value[2:])


def _hash(fields: list[int | bytes], extra: bytes) -> bytes:
    return keccak(rlp.encode([*fields[:12], extra, *fields[13:]]))


@dataclass(frozen=True)
class Sealing:
    """A header's hash and seals by its client's rules, from its fields alone."""

    block_hash: str
    signed: bytes  # what every seal signs
    seals: list[bytes]
    sealers: list[bytes]  # the addresses allowed to seal it, as the header lists them


def sealing(block: dict[str, Any], consensus: str) -> Sealing:
    """Clique: the hash covers the whole header, the signer's seal the header without it. IBFT 2.0: the hash
    leaves the commit seals and the round out of extraData, the seals sign it with the round. QBFT: the hash
    and the seals cover extraData with an empty seal list."""
    fields = [_field(name, block[name]) for name in HEADER_FIELDS]
    extra = bytes.fromhex(block["extraData"][2:])
    if consensus == "Clique":
        body = extra[:-CLIQUE_SEAL_BYTES]
        signers = [body[i : i + 20] for i in range(VANITY_BYTES, len(body), 20)]
        return Sealing("0x" + _hash(fields, extra).hex(), _hash(fields, body), [extra[-CLIQUE_SEAL_BYTES:]], signers)
    vanity, validators, vote, round_, seals = rlp.decode(extra)
    if consensus == "IBFT 2.0":
        block_hash = _hash(fields, rlp.encode([vanity, validators, vote]))
        return Sealing("0x" + block_hash.hex(), _hash(fields, rlp.encode([vanity, validators, vote, round_])),
                       seals, validators)  # fmt: skip
    block_hash = _hash(fields, rlp.encode([vanity, validators, vote, round_, []]))
    return Sealing("0x" + block_hash.hex(), block_hash, seals, validators)


@dataclass
class RecordedChain:
    """A node whose chain is one recorded block: no logs, no transactions, empty accounts."""

    block: dict[str, Any]
    chain_id: int
    calls: list[tuple[str, list[Any]]] = field(default_factory=list)
    head: int | None = None  # what eth_blockNumber answers: the recorded block's number unless set

    def answer(self, method: str, params: Sequence[Any]) -> Any:
        self.calls.append((method, list(params)))
        number = self.block["number"]
        if method == "eth_blockNumber" and self.head is not None:
            return hex(self.head)
        if method == "eth_getBlockByNumber":
            return self.block if params[0] in ("latest", number) else None
        if method == "eth_getBlockByHash":
            return self.block if str(params[0]).lower() == self.block["hash"] else None
        answers = {
            "eth_chainId": hex(self.chain_id),
            "eth_blockNumber": number,
            "eth_getLogs": [],
            "eth_getTransactionCount": "0x0",
            "eth_gasPrice": "0x0",
            "eth_estimateGas": "0x5208",
            "eth_syncing": False,
        }
        if method not in answers:
            raise RpcError(-32601, "Method not found")
        return answers[method]


@dataclass(frozen=True)
class Chain:
    """A chain to read and what one of its blocks holds, as the node sent it (no formatting)."""

    url: str
    block: dict[str, Any]

    @property
    def number(self) -> int:
        return int(self.block["number"], 16)

    @property
    def time(self) -> datetime:
        return datetime.fromtimestamp(int(self.block["timestamp"], 16), UTC)


@pytest.fixture(params=["clique", "ibft2", "qbft", "dev"])
def chain(request: pytest.FixtureRequest) -> Iterator[Chain]:
    if request.param == "dev":
        dev: DevChain = request.getfixturevalue("dev_chain")
        assert dev.rpc_url is not None
        rpc = HttpJsonRpc(dev.rpc_url)
        yield Chain(dev.rpc_url, rpc.call("eth_getBlockByNumber", ["latest", False]))
        rpc.close()
        return
    node = RecordedChain(recorded(request.param)["block"], chain_id=TEST_CHAIN_ID)
    with serving(node.answer) as url:
        yield Chain(url, node.block)


class TestRecordedHeaders:
    @pytest.mark.parametrize("name", sorted(RECORDED))
    def test_fields_hash_to_the_recorded_block_hash(self, name: str) -> None:
        document = recorded(name)
        assert sealing(document["block"], document["consensus"]).block_hash == document["block"]["hash"]

    @pytest.mark.parametrize("name", sorted(RECORDED))
    def test_seals_recover_to_distinct_sealers_the_header_lists(self, name: str) -> None:
        """Only the chain's own validators could have sealed these headers: they are recorded, not made up."""
        document = recorded(name)
        sealed = sealing(document["block"], document["consensus"])
        signers = [Signature(seal).recover_public_key_from_msg_hash(sealed.signed).to_canonical_address()
                   for seal in sealed.seals]  # fmt: skip
        assert signers and len(set(signers)) == len(signers)
        assert set(signers) <= set(sealed.sealers)

    @pytest.mark.parametrize(
        ("name", "consensus"), [("clique", Consensus.CLIQUE), ("ibft2", Consensus.BFT), ("qbft", Consensus.BFT)]
    )
    def test_consensus_is_told_from_the_header(self, name: str, consensus: Consensus) -> None:
        block = recorded(name)["block"]
        assert len(block["extraData"]) > 2 + 2 * 32  # longer than the yellow paper's 32 bytes
        assert consensus_of(block) is consensus

    def test_web3_without_the_poa_middleware_cannot_read_them(self, chain: Chain) -> None:
        """The failure of issue #23 (`tradeledger deploy` against Clique nodes), on the recorded headers."""
        plain = Web3(HTTPProvider(chain.url))
        if consensus_of(chain.block) is Consensus.OTHER:
            assert plain.eth.get_block(chain.number)["hash"].to_0x_hex() == chain.block["hash"]
        else:
            with pytest.raises(ExtraDataLengthError):
                plain.eth.get_block(chain.number)


class TestWeb3Readers:
    def test_the_service_web3_client_reads_blocks_by_number_hash_and_tag(self, chain: Chain) -> None:
        w3 = UrlChain(chain.url).web3()
        by_number = w3.eth.get_block(chain.number)
        by_hash = w3.eth.get_block(chain.block["hash"])
        for block in (by_number, by_hash):
            assert block["hash"].to_0x_hex() == chain.block["hash"]
            assert block["timestamp"] == int(chain.block["timestamp"], 16)
            assert block["proofOfAuthorityData"].to_0x_hex() == chain.block["extraData"]
        assert w3.eth.get_block("latest")["number"] >= chain.number

    def test_deployment_prices_its_transactions_from_the_latest_block(self, chain: Chain) -> None:
        """The deployment reads the latest block's base fee: none on these chains, so it sends at gas price 0."""
        deployer = _Deployer(UrlChain(chain.url).web3(), dev_account(0))
        assert deployer.gas_price == 0
        assert deployer.chain_id == int(HttpJsonRpc(chain.url).call("eth_chainId", []), 16)


class TestLeanReaders:
    def test_indexer_checkpoints_the_block_hash(self, chain: Chain, tmp_path: Path) -> None:
        engine = make_engine(f"sqlite:///{tmp_path / 'index.sqlite'}")
        migrate(engine)
        rpc = HttpJsonRpc(chain.url)
        chain_id = int(rpc.call("eth_chainId", []), 16)
        indexer = Indexer(
            session_factory(engine), rpc, chain_id=chain_id, contracts={"Settlement": SOME_CONTRACT},
            start_block=chain.number,
        )  # fmt: skip
        assert indexer.catch_up() == 0
        with indexer.sessions() as db:
            checkpoint = db.scalars(select(IndexerCheckpoint)).one()
        block = rpc.call("eth_getBlockByNumber", [hex(checkpoint.block_number), False])
        assert checkpoint.block_number >= chain.number
        assert checkpoint.block_hash == block["hash"]
        rpc.close()
        engine.dispose()

    def test_ledger_reader_walks_the_logs_and_times_blocks(self, chain: Chain) -> None:
        """The audit reader's eth_getLogs pages and the statements' clock (block time by hash)."""
        rpc = HttpJsonRpc(chain.url)
        reader = ChainLedgerReader(
            rpc, settlement=SOME_CONTRACT, anchor=SOME_CONTRACT, membership=SOME_CONTRACT, from_block=0, log_range=7
        )
        assert reader.postings_of(SOME_CONTRACT, to_block=chain.number) == []
        assert block_time(rpc, chain.block["hash"]) == chain.time
        rpc.close()


@pytest.fixture
def dev_rpc(dev_chain: DevChain) -> Iterator[HttpJsonRpc]:
    assert dev_chain.rpc_url is not None
    rpc = HttpJsonRpc(dev_chain.rpc_url)
    yield rpc
    rpc.close()


def _self_transfer(rpc: HttpJsonRpc) -> bytes:
    """A legacy EIP-155 transaction at gas price 0 from a new, empty account: what free gas allows."""
    account = Account.create()
    chain_id = int(rpc.call("eth_chainId", []), 16)
    transaction = {"nonce": 0, "to": account.address, "value": 0, "gas": 21_000, "gasPrice": 0, "chainId": chain_id}
    return bytes(account.sign_transaction(transaction).raw_transaction)


def _noting(looked_up: list[str]) -> Callable[[Collection[str]], dict[str, str]]:
    """The watch's question "which of these transactions are ours?": noted, and none is (no outbox here)."""

    def open_rows(hashes: Collection[str]) -> dict[str, str]:
        looked_up.extend(hashes)
        return {}

    return open_rows


def _past_the_head(head: int) -> int:
    """Where a watch with nothing open starts: the next block."""
    return head + 1


class TestReceiptWatch:
    @pytest.mark.parametrize("name", sorted(RECORDED))
    def test_follows_a_new_recorded_block(self, name: str) -> None:
        """The confirmer's block scan (the transactions of each new block) over a recorded header."""
        node = RecordedChain(recorded(name)["block"], chain_id=TEST_CHAIN_ID)
        number = int(node.block["number"], 16)
        looked_up: list[str] = []
        with serving(node.answer) as url:
            rpc = HttpJsonRpc(url)
            watch = ReceiptWatch(rpc, _noting(looked_up), lambda receipts: 0, _past_the_head)
            node.head = number - 1
            watch.poll()  # the first pass only notes the head
            node.head = number
            watch.poll()
            rpc.close()
        assert ("eth_getBlockByNumber", [hex(number), False]) in node.calls
        assert looked_up == []  # the recorded block mined no transaction: nothing to look up

    def test_follows_new_dev_chain_blocks(self, dev_rpc: HttpJsonRpc) -> None:
        """The same scan on the dev chain, where a block carries a transaction the watch must look up."""
        looked_up: list[str] = []
        watch = ReceiptWatch(dev_rpc, _noting(looked_up), lambda receipts: 0, _past_the_head)
        watch.poll()
        sent = dev_rpc.call("eth_sendRawTransaction", ["0x" + _self_transfer(dev_rpc).hex()])
        for _ in range(200):  # a block every 250 ms: bounded at 20 s
            watch.poll()
            if sent in looked_up:
                break
            time.sleep(0.1)
        assert sent in looked_up


class TestNodeCheckOnRecordedHeaders:
    @pytest.mark.parametrize(("name", "confirmations", "passed"), [("clique", 0, False), ("clique", 1, True),
                                                                    ("ibft2", 0, True), ("qbft", 0, True)])  # fmt: skip
    def test_finality_line(self, name: str, confirmations: int, passed: bool, settings: Settings) -> None:
        node = RecordedChain(recorded(name)["block"], chain_id=TEST_CHAIN_ID)
        with serving(node.answer) as url:
            report = check_node(url, settings.model_copy(update={"confirmations": confirmations}))
        findings = {finding.requirement: finding for finding in report.findings}
        assert findings["PoA headers"].passed, findings["PoA headers"].line
        assert findings["finality"].passed is passed, findings["finality"].line
