"""What the service assumes about its chain node, written down and checked: `tradeledger chain check URL`.

An operator points it at the bank's node and gets one line per requirement; `serve` runs the same check on a
node given by URL and refuses to start on one that fails. The requirements, and why the service needs them:

- **chain id and deployment**: the node is on the chain the deployment manifest (`data/deployment.json`) was
  written for, and every platform contract there has the recorded code (TRADELEDGER_CHAIN_ID, if set, too).
- **PoA headers readable**: Clique, IBFT 2.0 and QBFT seal blocks in an `extraData` longer than web3's 32-byte
  limit; the service's web3 clients install web3's PoA middleware (`tradeledger.chain.poa`) and the lean
  JSON-RPC client never parses it. The check reads the latest block both ways.
- **gas free**: the transaction manager signs legacy (type 0) EIP-155 transactions at the node's
  `eth_gasPrice`, from accounts that hold no ether: the consortium runs with `min-gas-price=0` and a zero base
  fee (`zeroBaseFee`). The node must answer `eth_gasPrice` 0, have no base fee on its latest block, and accept
  an estimate of a legacy transaction at gas price 0 from an empty account.
- **revert data**: a refused call becomes a named contract error only if `eth_call` and `eth_estimateGas` return
  the revert payload (the error's `data`), not just "execution reverted". The check runs a contract creation
  whose code reverts with a known 4-byte error on both methods and compares what comes back.
- **eth_getLogs range**: nodes cap a query's block range (Besu's `--rpc-max-logs-range`, 5,000 by default) and
  some cap its results. The indexer and the audit reader ask for TRADELEDGER_LOG_RANGE blocks at a time (and
  halve a range the node refuses anyway); the check asks the node for one such range.
- **pending nonce**: nonces are reconciled with `eth_getTransactionCount(address, "pending")`, which must answer
  and never be below the `latest` count.
- **finality**: IBFT 2.0 and QBFT blocks are final once imported, so TRADELEDGER_CONFIRMATIONS 0 is safe there
  (and on the single-node dev chain). Clique resolves forks by weight: a block is only as final as the signers
  who sealed after it, so the indexer must stay more than half of the signers behind head (⌊N/2⌋+1 for N signers,
  from `clique_getSigners` where the node exposes it, else at least 1).
- **block time and clock**: statements close their periods on the chain's clock (block timestamps), so the
  latest block must not be from the future of this host's clock (more than MAX_AHEAD_S) nor so old that
  periods stop closing (MAX_AGE_BLOCKS block times, at least MIN_STALL_S): the node's clock is right and the
  chain is producing blocks. A chain that seals no empty blocks while idle (Besu's empty block period, an
  automining anvil) fails this line until its next transaction: its clock stops for the statements too.
- **peers and sync**: where the node reports them (`net_peerCount`, `eth_syncing`): it is in sync, and a PoA
  node has peers (a validator alone cannot extend a BFT chain with others).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from eth_utils.crypto import keccak
from web3 import HTTPProvider

from tradeledger.chain.manifest import DeploymentManifest, verify_against_chain
from tradeledger.chain.poa import Consensus, consensus_of, poa_web3
from tradeledger.chain.rpc import HttpJsonRpc, JsonRpc, RpcError
from tradeledger.config import Settings
from tradeledger.errors import ChainUnavailableError, TradeLedgerError

MAX_AHEAD_S = 5.0
MAX_AGE_BLOCKS = 10
MIN_STALL_S = 60.0
BLOCK_TIME_SAMPLE = 20  # blocks the block time is averaged over
PROBE_ACCOUNT = "0x000000000000000000000000000000000000dEaD"  # an address nobody holds a key to: no ether
PROBE_ERROR = keccak(text="NodeCheckReverted()")[:4]
# init code: PUSH4 <error> PUSH1 0 MSTORE PUSH1 4 PUSH1 28 REVERT -> reverts with the 4-byte error as its data
PROBE_REVERTING_CODE = "0x63" + PROBE_ERROR.hex() + "600052" + "6004601cfd"


class NodeCheckError(TradeLedgerError):
    """The node fails a requirement of the service; the message holds the failing lines."""

    code = "node_check_failed"
    http_status = 503
    title = "The chain node does not meet the service's requirements"


@dataclass(frozen=True)
class Finding:
    """The outcome of one requirement."""

    requirement: str
    passed: bool
    detail: str

    @property
    def line(self) -> str:
        return f"{'ok  ' if self.passed else 'FAIL'} {self.requirement}: {self.detail}"


@dataclass(frozen=True)
class NodeReport:
    url: str
    findings: list[Finding]

    @property
    def passed(self) -> bool:
        return all(finding.passed for finding in self.findings)

    @property
    def failures(self) -> list[Finding]:
        return [finding for finding in self.findings if not finding.passed]


Outcome = tuple[bool, str]
"""Whether the node meets a requirement, and the line's detail."""


class _Node:
    """What the checks share: the node, its latest block, the settings and the host's clock."""

    def __init__(self, url: str, rpc: JsonRpc, settings: Settings, now: Callable[[], float]) -> None:
        self.url = url
        self.rpc = rpc
        self.settings = settings
        self.now = now
        self.latest: dict[str, Any] = rpc.call("eth_getBlockByNumber", ["latest", False])
        self.head = int(self.latest["number"], 16)
        self.consensus = consensus_of(self.latest)

    def optional(self, method: str, params: list[Any]) -> tuple[bool, Any]:
        """(True, result), or (False, None) where the node does not offer the method (its API not enabled)."""
        try:
            return True, self.rpc.call(method, params)
        except RpcError:
            return False, None


def _chain_id(node: _Node) -> Outcome:
    actual = int(node.rpc.call("eth_chainId", []), 16)
    manifest = DeploymentManifest.load(node.settings.deployment_file)
    deployed = None if manifest is None else manifest.chain_id
    for expected, source in (
        (node.settings.chain_id, f"TRADELEDGER_CHAIN_ID={node.settings.chain_id}"),
        (deployed, f"{node.settings.deployment_file} was deployed on chain id {deployed}"),
    ):
        if expected is not None and expected != actual:
            return False, f"{source} but the node reports chain id {actual}"
    return True, str(actual)


def _deployment(node: _Node) -> Outcome:
    path = node.settings.deployment_file
    manifest = DeploymentManifest.load(path)
    if manifest is None:
        return True, f"no manifest at {path} yet: nothing to compare (`tradeledger deploy`)"
    try:
        verify_against_chain(poa_web3(HTTPProvider(node.url)), manifest, path)
    except TradeLedgerError as error:
        return False, error.message
    return True, f"the code of {len(manifest.contracts)} contracts matches {path}"


def _poa_headers(node: _Node) -> Outcome:
    block = poa_web3(HTTPProvider(node.url)).eth.get_block(node.head)
    if block["hash"].to_0x_hex() != str(node.latest["hash"]).lower():
        return False, f"block {node.head} reads with a different hash through web3"
    size = (len(node.latest.get("extraData", "0x")) - 2) // 2
    return True, f"block {node.head} read ({node.consensus}, extraData {size} bytes)"


def _gas_free(node: _Node) -> Outcome:
    price = int(node.rpc.call("eth_gasPrice", []), 16)
    base_fee = int(node.latest.get("baseFeePerGas") or "0x0", 16)
    if price or base_fee:
        return (
            False,
            f"eth_gasPrice {price} wei, base fee {base_fee} wei: the consortium runs on free gas "
            "(Besu: min-gas-price=0 and zeroBaseFee in the genesis)",
        )
    legacy = {"from": PROBE_ACCOUNT, "to": PROBE_ACCOUNT, "value": "0x0", "gasPrice": "0x0"}
    try:
        node.rpc.call("eth_estimateGas", [legacy])
    except RpcError as error:
        return False, f"a legacy transaction at gas price 0 is refused: {error.message}"
    return True, "gas price 0, no base fee; legacy EIP-155 transactions at gas price 0 accepted"


def _revert_data(node: _Node) -> Outcome:
    expected = "0x" + PROBE_ERROR.hex()
    for method, params in (
        ("eth_call", [{"data": PROBE_REVERTING_CODE}, "latest"]),
        ("eth_estimateGas", [{"data": PROBE_REVERTING_CODE}]),
    ):
        try:
            node.rpc.call(method, params)
        except RpcError as error:
            returned = error.revert_data
            if returned != PROBE_ERROR:
                got = "no data" if returned is None else "0x" + returned.hex()
                return (
                    False,
                    f"{method} of a call reverting with {expected} returned {got} ({error.message}): "
                    "refused calls could not be named",
                )
            continue
        return False, f"{method} of a call that always reverts did not fail"
    return True, f"eth_call and eth_estimateGas return the revert data ({expected})"


def _logs_range(node: _Node) -> Outcome:
    span = node.settings.log_range
    first = max(0, node.head - span + 1)
    query = {"address": PROBE_ACCOUNT, "fromBlock": hex(first), "toBlock": hex(first + span - 1)}
    try:
        node.rpc.call("eth_getLogs", [query])
    except RpcError as error:
        return (
            False,
            f"a {span}-block range is refused ({error.message}): set TRADELEDGER_LOG_RANGE within the node's cap",
        )
    return True, f"{span}-block ranges answered (TRADELEDGER_LOG_RANGE)"


def _pending_nonce(node: _Node) -> Outcome:
    pending, latest = (
        int(node.rpc.call("eth_getTransactionCount", [PROBE_ACCOUNT, tag]), 16) for tag in ("pending", "latest")
    )
    if pending < latest:
        return False, f"the pending nonce {pending} is below the latest {latest}"
    return True, "eth_getTransactionCount answers for `pending`"


def _finality(node: _Node) -> Outcome:
    confirmations = node.settings.confirmations
    if node.consensus is not Consensus.CLIQUE:
        kind = "immediate finality" if node.consensus is Consensus.BFT else "a single node, no forks"
        return True, f"{node.consensus}: {kind}; TRADELEDGER_CONFIRMATIONS={confirmations}"
    known, signers = node.optional("clique_getSigners", ["latest"])
    needed = len(signers) // 2 + 1 if known and isinstance(signers, list) else 1
    if confirmations < needed:
        return (
            False,
            f"Clique blocks can be replaced until {needed} more are sealed on top: set TRADELEDGER_CONFIRMATIONS "
            f"to at least {needed} (it is {confirmations})",
        )
    return True, f"Clique: TRADELEDGER_CONFIRMATIONS={confirmations} (at least {needed})"


def _clock(node: _Node) -> Outcome:
    first = max(0, node.head - BLOCK_TIME_SAMPLE)
    earlier = node.rpc.call("eth_getBlockByNumber", [hex(first), False]) if first < node.head else node.latest
    stamp = int(node.latest["timestamp"], 16)
    block_time = (stamp - int(earlier["timestamp"], 16)) / max(1, node.head - first)
    age = node.now() - stamp
    pace = f"a block every {block_time:.2f} s" if first < node.head else "no earlier block to time"
    detail = f"latest block {age:.1f} s old by this host's clock, {pace}"
    if age < -MAX_AHEAD_S:
        return False, f"{detail}: the node's clock is ahead of this host's (NTP on both?)"
    if age > max(MIN_STALL_S, MAX_AGE_BLOCKS * block_time):
        return False, f"{detail}: the chain is not producing blocks, or a clock is behind"
    return True, detail


def _peers_and_sync(node: _Node) -> Outcome:
    has_sync, syncing = node.optional("eth_syncing", [])
    if has_sync and isinstance(syncing, dict):
        current, highest = (int(str(syncing.get(key, "0x0")), 16) for key in ("currentBlock", "highestBlock"))
        return False, f"the node is syncing: block {current} of {highest}"
    has_peers, peers = node.optional("net_peerCount", [])
    if not has_peers:
        return True, "in sync; net_peerCount not offered (the NET API shows peers)"
    count = int(str(peers), 16)
    if count == 0 and node.consensus is not Consensus.OTHER:
        return False, "the node has no peers: it is cut off from the other validators"
    return True, f"in sync, {count} peers"


CHECKS: tuple[tuple[str, Callable[[_Node], Outcome]], ...] = (
    ("chain id", _chain_id),
    ("deployment", _deployment),
    ("PoA headers", _poa_headers),
    ("gas free", _gas_free),
    ("revert data", _revert_data),
    ("eth_getLogs range", _logs_range),
    ("pending nonce", _pending_nonce),
    ("finality", _finality),
    ("clock", _clock),
    ("peers and sync", _peers_and_sync),
)


def check_node(url: str, settings: Settings, *, now: Callable[[], float] = time.time) -> NodeReport:
    """Check the node at `url` against every requirement (see the module docstring); one finding each.

    A node that does not answer at all is one failing finding ("node answers").
    """
    rpc = HttpJsonRpc(url)
    try:
        try:
            node = _Node(url, rpc, settings, now)
        except (ChainUnavailableError, RpcError, KeyError, TypeError, ValueError) as error:
            return NodeReport(url, [Finding("node answers", False, f"no usable answer from {url}: {error}")])
        findings = []
        for requirement, check in CHECKS:
            try:
                findings.append(Finding(requirement, *check(node)))
            except (ChainUnavailableError, RpcError, KeyError, TypeError, ValueError) as error:
                findings.append(Finding(requirement, False, f"{type(error).__name__}: {error}"))
        return NodeReport(url, findings)
    finally:
        rpc.close()


def require_fit_node(url: str, settings: Settings) -> NodeReport:
    """The node check, raising NodeCheckError with the failing lines if the node fails any requirement."""
    report = check_node(url, settings)
    if not report.passed:
        lines = "; ".join(finding.line for finding in report.failures)
        raise NodeCheckError(f"the chain node at {url} fails the node check ({lines}); run `tradeledger chain check`")
    return report
