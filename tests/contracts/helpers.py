"""A fast, small client for driving the real contracts on anvil from tests.

- `Chain`: raw JSON-RPC over one keep-alive HTTP session (batches too), local signing with deterministic
  test keys, legacy transactions at gas price 0, receipts fetched right after the send (anvil mines on send),
  `snapshot()` / `revert()` that also restore the locally counted nonces.
- `Codec`: one artifact's ABI: encode calls, decode outputs (structs as dicts), events and custom errors.
- `World`: the deployed platform with a cast of actors (see `ACTORS`), built once per session.
- The role x function matrix driver: `Case` rows and `run_cell(world, case, actor)`.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import requests
from eth_abi import decode, encode
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import keccak, to_checksum_address
from hypothesis import HealthCheck, settings
from web3 import Web3

from tradeledger.chain.compiler import ARTIFACTS_DIR
from tradeledger.chain.deployment import deploy_platform

GAS_LIMIT = 5_000_000
USD = b"USD"
EUR = b"EUR"

ACTORS: tuple[str, ...] = (
    "operator",
    "agent",
    "bank",
    "another_bank",
    "sponsor_bank",
    "trader",
    "another_trader",
    "auditor",
    "non_member",
    "suspended_bank",
    "suspended_trader",
)
"""The role-matrix cast. `sponsor_bank` (the founding bank) sponsors `trader` and `suspended_trader`;
`bank` sponsors `another_trader`; `agent` holds SETTLEMENT_AGENT_ROLE and is no member."""

BANKS = ("bank", "another_bank", "sponsor_bank")
TRADERS = ("trader", "another_trader")


@cache
def account(name: str) -> LocalAccount:
    """A deterministic test key per actor name."""
    return Account.from_key(keccak(text=f"tradeledger-test:{name}"))


def fresh_address(label: str) -> str:
    """A deterministic address nobody holds a key for in the world."""
    return to_checksum_address(keccak(text=f"tradeledger-test-address:{label}")[-20:])


# ------------------------------------------------------------------------------------------------ RPC


class RpcError(Exception):
    def __init__(self, error: Mapping[str, Any]) -> None:
        super().__init__(error.get("message"))
        self.code = error.get("code")
        self.message = str(error.get("message"))
        data = error.get("data")
        self.data = data if isinstance(data, str) else None


@dataclass(frozen=True)
class Snapshot:
    snapshot_id: str
    nonces: dict[str, int]


class Chain:
    """Raw JSON-RPC to one node, with local nonces for the test keys."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.session = requests.Session()
        self._ids = itertools.count(1)
        self.nonces: dict[str, int] = {}
        self.chain_id = int(self.rpc("eth_chainId"), 16)

    def rpc(self, method: str, *params: Any) -> Any:
        body = {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": list(params)}
        reply = self.session.post(self.url, json=body, timeout=30).json()
        if "error" in reply:
            raise RpcError(reply["error"])
        return reply["result"]

    def batch(self, calls: Sequence[tuple[str, Sequence[Any]]]) -> list[Any]:
        """Several requests in one round trip; failed ones come back as `RpcError` values."""
        if not calls:
            return []
        first = next(self._ids)
        body = [
            {"jsonrpc": "2.0", "id": first + i, "method": method, "params": list(params)}
            for i, (method, params) in enumerate(calls)
        ]
        self._ids = itertools.count(first + len(calls))
        replies = {reply["id"]: reply for reply in self.session.post(self.url, json=body, timeout=60).json()}
        return [
            RpcError(replies[first + i]["error"]) if "error" in replies[first + i] else replies[first + i]["result"]
            for i in range(len(calls))
        ]

    def snapshot(self) -> Snapshot:
        return Snapshot(self.rpc("evm_snapshot"), dict(self.nonces))

    def revert(self, snapshot: Snapshot) -> None:
        if not self.rpc("evm_revert", snapshot.snapshot_id):
            raise RuntimeError(f"evm_revert({snapshot.snapshot_id}) failed")
        self.nonces = dict(snapshot.nonces)

    def timestamp(self) -> int:
        return int(self.rpc("eth_getBlockByNumber", "latest", False)["timestamp"], 16)

    def increase_time(self, seconds: int) -> None:
        self.rpc("evm_increaseTime", hex(seconds))
        self.rpc("evm_mine")

    def send(self, sender: LocalAccount, to: str | None, data: bytes) -> dict[str, Any]:
        """Sign locally, send raw, and return the receipt (anvil mines on send)."""
        address = sender.address
        if address not in self.nonces:
            self.nonces[address] = int(self.rpc("eth_getTransactionCount", address, "pending"), 16)
        transaction: dict[str, Any] = {
            "nonce": self.nonces[address],
            "gasPrice": 0,
            "gas": GAS_LIMIT,
            "data": data,
            "value": 0,
            "chainId": self.chain_id,
        }
        if to is not None:
            transaction["to"] = to
        signed = sender.sign_transaction(transaction)
        tx_hash = self.rpc("eth_sendRawTransaction", "0x" + signed.raw_transaction.hex())
        self.nonces[address] += 1
        deadline = time.monotonic() + 30  # anvil mines on send, but can stall while it dumps its state
        while True:
            receipt = self.rpc("eth_getTransactionReceipt", tx_hash)
            if receipt is not None:
                return dict(receipt)
            if time.monotonic() > deadline:
                raise RuntimeError(f"no receipt for {tx_hash}")
            time.sleep(0.002)


# ------------------------------------------------------------------------------------------------ ABI


def _type(param: Mapping[str, Any]) -> str:
    kind = str(param["type"])
    if kind.startswith("tuple"):
        return "(" + ",".join(_type(c) for c in param["components"]) + ")" + kind[len("tuple") :]
    return kind


def _named(value: Any, param: Mapping[str, Any]) -> Any:
    """ABI-decoded value -> dicts for structs, lists for arrays, hex-free python values otherwise."""
    kind = str(param["type"])
    if kind.endswith("]"):
        inner = {**param, "type": kind[: kind.rindex("[")]}
        return [_named(item, inner) for item in value]
    if kind == "tuple":
        return {c["name"]: _named(v, c) for c, v in zip(param["components"], value, strict=True)}
    if kind == "address":
        return to_checksum_address(value)
    return value


def _positional(value: Any, param: Mapping[str, Any]) -> Any:
    """Dicts for structs -> tuples in component order (the inverse of `_named`)."""
    kind = str(param["type"])
    if kind.endswith("]"):
        inner = {**param, "type": kind[: kind.rindex("[")]}
        return [_positional(item, inner) for item in value]
    if kind == "tuple" and isinstance(value, Mapping):
        return tuple(_positional(value[c["name"]], c) for c in param["components"])
    return value


@dataclass(frozen=True)
class DecodedError:
    name: str
    args: tuple[Any, ...]

    def __str__(self) -> str:
        return f"{self.name}{self.args}"


@dataclass(frozen=True)
class Event:
    contract: str
    name: str
    args: dict[str, Any]
    block: int
    log_index: int


class Codec:
    """One contract's ABI."""

    def __init__(self, name: str, abi: list[dict[str, Any]]) -> None:
        self.name = name
        self.abi = abi
        self.functions = {e["name"]: e for e in abi if e["type"] == "function"}
        self.constructor = next((e for e in abi if e["type"] == "constructor"), {"inputs": []})
        self.events = {
            keccak(text=f"{e['name']}({','.join(_type(i) for i in e['inputs'])})"): e
            for e in abi
            if e["type"] == "event"
        }
        self.errors = {
            keccak(text=f"{e['name']}({','.join(_type(i) for i in e['inputs'])})")[:4]: e
            for e in abi
            if e["type"] == "error"
        }

    def mutators(self) -> list[str]:
        return sorted(n for n, e in self.functions.items() if e["stateMutability"] not in ("view", "pure"))

    def encode_call(self, function: str, args: Sequence[Any]) -> bytes:
        entry = self.functions[function]
        types = [_type(i) for i in entry["inputs"]]
        selector = keccak(text=f"{function}({','.join(types)})")[:4]
        values = [_positional(v, i) for v, i in zip(args, entry["inputs"], strict=True)]
        return selector + encode(types, values)

    def encode_constructor(self, args: Sequence[Any]) -> bytes:
        inputs = self.constructor["inputs"]
        return encode([_type(i) for i in inputs], [_positional(v, i) for v, i in zip(args, inputs, strict=True)])

    def decode_output(self, function: str, data: bytes) -> Any:
        outputs = self.functions[function]["outputs"]
        values = decode([_type(o) for o in outputs], data)
        named = [_named(v, o) for v, o in zip(values, outputs, strict=True)]
        return named[0] if len(named) == 1 else tuple(named)

    def decode_log(self, log: Mapping[str, Any]) -> tuple[str, dict[str, Any]] | None:
        topics = [bytes.fromhex(t[2:]) for t in log["topics"]]
        entry = self.events.get(topics[0]) if topics else None
        if entry is None:
            return None
        indexed = [i for i in entry["inputs"] if i["indexed"]]
        plain = [i for i in entry["inputs"] if not i["indexed"]]
        args: dict[str, Any] = {}
        for param, topic in zip(indexed, topics[1:], strict=True):
            args[param["name"]] = _named(decode([_type(param)], topic)[0], param)
        values = decode([_type(p) for p in plain], bytes.fromhex(log["data"][2:]))
        for param, value in zip(plain, values, strict=True):
            args[param["name"]] = _named(value, param)
        return entry["name"], args


@cache
def artifact(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((ARTIFACTS_DIR / f"{name}.json").read_text(encoding="utf-8"))
    return document


@cache
def codec(name: str) -> Codec:
    return Codec(name, artifact(name)["abi"])


@cache
def all_errors() -> dict[bytes, dict[str, Any]]:
    """Custom errors of every artifact by selector (errors bubble up through contracts)."""
    errors: dict[bytes, dict[str, Any]] = {}
    for path in sorted(ARTIFACTS_DIR.glob("*.json")):
        errors.update(codec(path.stem).errors)
    return errors


def decode_error(data: str | None) -> DecodedError:
    if not data or len(data) < 10:
        return DecodedError("<empty revert>", ())
    raw = bytes.fromhex(data[2:])
    entry = all_errors().get(raw[:4])
    if entry is None:
        if raw[:4] == keccak(text="Error(string)")[:4]:
            return DecodedError("Error", tuple(decode(["string"], raw[4:])))
        if raw[:4] == keccak(text="Panic(uint256)")[:4]:
            return DecodedError("Panic", tuple(decode(["uint256"], raw[4:])))
        return DecodedError(f"<unknown {raw[:4].hex()}>", ())
    values = decode([_type(i) for i in entry["inputs"]], raw[4:])
    return DecodedError(entry["name"], tuple(_named(v, i) for v, i in zip(values, entry["inputs"], strict=True)))


class TransactionFailed(AssertionError):
    def __init__(self, what: str, error: DecodedError) -> None:
        super().__init__(f"{what} reverted with {error}")
        self.error = error


@dataclass
class Receipt:
    raw: dict[str, Any]
    events: list[Event]

    @property
    def gas_used(self) -> int:
        return int(self.raw["gasUsed"], 16)

    def event(self, name: str) -> dict[str, Any]:
        matching = [e.args for e in self.events if e.name == name]
        assert len(matching) == 1, f"expected one {name}, got {[e.name for e in self.events]}"
        return matching[0]


class Deployed:
    """A deployed contract bound to a chain."""

    def __init__(self, chain: Chain, name: str, address: str) -> None:
        self.chain = chain
        self.name = name
        self.codec = codec(name)
        self.address = to_checksum_address(address)

    def call_params(self, function: str, args: Sequence[Any], sender: str | None = None) -> dict[str, Any]:
        params = {"to": self.address, "data": "0x" + self.codec.encode_call(function, args).hex()}
        if sender is not None:
            params["from"] = sender
        return params

    def call(self, function: str, *args: Any, sender: str | None = None) -> Any:
        result = self.chain.rpc("eth_call", self.call_params(function, args, sender), "latest")
        return self.codec.decode_output(function, bytes.fromhex(result[2:]))

    def error_of(self, sender: LocalAccount, function: str, *args: Any) -> DecodedError | None:
        """The custom error `function` would revert with for `sender` now, or None if it would succeed."""
        try:
            self.chain.rpc("eth_call", {**self.call_params(function, args, sender.address), "gas": hex(GAS_LIMIT)})
        except RpcError as error:
            return decode_error(error.data)
        return None

    def transact(self, sender: LocalAccount, function: str, *args: Any) -> Receipt:
        receipt = self.chain.send(sender, self.address, self.codec.encode_call(function, args))
        if int(receipt["status"], 16) != 1:
            block = hex(int(receipt["blockNumber"], 16) - 1)
            try:
                self.chain.rpc("eth_call", {**self.call_params(function, args, sender.address)}, block)
                error = DecodedError("<reverted, but not when replayed>", ())
            except RpcError as rpc_error:
                error = decode_error(rpc_error.data)
            raise TransactionFailed(f"{self.name}.{function}", error)
        return Receipt(receipt, decode_events(receipt["logs"], {self.address: self}))


def decode_events(logs: Iterable[Mapping[str, Any]], contracts: Mapping[str, Deployed]) -> list[Event]:
    by_address = {c.address.lower(): c for c in contracts.values()}
    events = []
    for log in logs:
        contract = by_address.get(str(log["address"]).lower())
        if contract is None:
            continue
        decoded = contract.codec.decode_log(log)
        if decoded is not None:
            events.append(
                Event(contract.name, decoded[0], decoded[1], int(log["blockNumber"], 16), int(log["logIndex"], 16))
            )
    return events


def deploy(chain: Chain, sender: LocalAccount, name: str, *args: Any) -> Deployed:
    data = bytes.fromhex(artifact(name)["bytecode"][2:]) + codec(name).encode_constructor(args)
    receipt = chain.send(sender, None, data)
    assert int(receipt["status"], 16) == 1, f"deploying {name} failed"
    return Deployed(chain, name, receipt["contractAddress"])


# ------------------------------------------------------------------------------------------------ world


@dataclass
class World:
    """The platform deployed on one chain with the `ACTORS` cast in place; `reset()` returns to that state."""

    chain: Chain
    contracts: dict[str, Deployed]
    deploy_block: int
    base: Snapshot | None = None
    counter: itertools.count[int] = field(default_factory=itertools.count)

    def __getitem__(self, contract: str) -> Deployed:
        return self.contracts[contract]

    @staticmethod
    def actor(name: str) -> LocalAccount:
        return account(name)

    @staticmethod
    def address(name: str) -> str:
        return account(name).address

    def tx(self, actor: str, contract: str, function: str, *args: Any) -> Receipt:
        return self.contracts[contract].transact(account(actor), function, *args)

    def error(self, actor: str, contract: str, function: str, *args: Any) -> DecodedError | None:
        return self.contracts[contract].error_of(account(actor), function, *args)

    def call(self, contract: str, function: str, *args: Any) -> Any:
        return self.contracts[contract].call(function, *args)

    def unique(self, label: str = "x") -> bytes:
        """A fresh non-zero bytes32 (references, hashes, fingerprints)."""
        return keccak(text=f"{label}:{next(self.counter)}")

    def mark(self) -> None:
        self.base = self.chain.snapshot()

    def reset(self) -> None:
        assert self.base is not None
        self.chain.revert(self.base)
        self.base = self.chain.snapshot()

    def logs(self, from_block: int | None = None) -> list[Event]:
        """Every event of the platform's contracts since deployment, in chain order."""
        raw = self.chain.rpc(
            "eth_getLogs",
            {
                "fromBlock": hex(self.deploy_block if from_block is None else from_block),
                "toBlock": "latest",
                "address": [c.address for c in self.contracts.values()],
            },
        )
        return decode_events(raw, self.contracts)


def build_world(url: str, *, admin_delay_s: int | None = None) -> World:
    """Deploy with `deploy_platform` and put the cast in place (see `ACTORS`)."""
    chain = Chain(url)
    w3 = Web3(Web3.HTTPProvider(url))
    deploy_block = int(chain.rpc("eth_blockNumber"), 16) + 1
    addresses = deploy_platform(w3, account("operator"), settlement_agent=account("agent").address)
    world = World(chain, {n: Deployed(chain, n, a) for n, a in addresses.items()}, deploy_block)
    a = world.address
    world.tx("operator", "Membership", "admitFoundingBank", a("sponsor_bank"))
    world.tx("sponsor_bank", "Membership", "propose", ADMIT_BANK, a("bank"))  # 1 of 1: executed
    pid = world.tx("sponsor_bank", "Membership", "propose", ADMIT_BANK, a("another_bank")).event("ProposalCreated")
    world.tx("bank", "Membership", "vote", pid["proposalId"])  # 2 of 2
    pid = world.tx("sponsor_bank", "Membership", "propose", ADMIT_BANK, a("suspended_bank")).event("ProposalCreated")
    world.tx("bank", "Membership", "vote", pid["proposalId"])  # 2 of 3
    for trader, sponsor in (
        ("trader", "sponsor_bank"),
        ("suspended_trader", "sponsor_bank"),
        ("another_trader", "bank"),
    ):
        world.tx(sponsor, "Membership", "onboardTrader", a(trader))
    for bank in (*BANKS, "suspended_bank"):
        for currency in (USD, EUR):
            world.tx("agent", "Settlement", "issue", a(bank), currency, 10**12, world.unique("fund"))
    for trader, sponsor in (
        ("trader", "sponsor_bank"),
        ("suspended_trader", "sponsor_bank"),
        ("another_trader", "bank"),
    ):
        for currency in (USD, EUR):
            world.tx(sponsor, "Settlement", "issue", a(trader), currency, 10**9, world.unique("fund"))
    pid = world.tx("sponsor_bank", "Membership", "propose", SUSPEND_BANK, a("suspended_bank")).event("ProposalCreated")
    world.tx("bank", "Membership", "vote", pid["proposalId"])
    world.tx("another_bank", "Membership", "vote", pid["proposalId"])  # 3 of 4
    pid = world.tx("sponsor_bank", "Membership", "propose", ADMIT_AUDITOR, a("auditor")).event("ProposalCreated")
    world.tx("bank", "Membership", "vote", pid["proposalId"])  # 2 of 3
    world.tx("sponsor_bank", "Membership", "suspendTrader", a("suspended_trader"))
    world.mark()
    return world


# enum values as the interfaces declare them
(
    ADMIT_BANK,
    SUSPEND_BANK,
    REINSTATE_BANK,
    REMOVE_BANK,
    ADMIT_AUDITOR,
    SUSPEND_AUDITOR,
    REINSTATE_AUDITOR,
    REMOVE_AUDITOR,
) = range(8)
MEMBER_KIND = {"NONE": 0, "OPERATOR": 1, "BANK": 2, "TRADER": 3, "AUDITOR": 4}
MEMBER_STATUS = {"NONE": 0, "ACTIVE": 1, "SUSPENDED": 2, "REMOVED": 3}
LETTER_OF_CREDIT, OPEN_ACCOUNT = 0, 1
ORDER_STATES = ("NONE", "CREATED", "ACCEPTED", "REJECTED", "SHIPPED", "DELIVERED", "PAID", "CANCELLED")
DOCUMENT_STATES = ("NONE", "REGISTERED", "FINANCED", "REPAID", "RELEASED")
POSTING_KINDS = (
    "ISSUE",
    "REDEEM",
    "TRANSFER",
    "LC_HONOUR",
    "LC_REIMBURSEMENT",
    "FINANCING_DISBURSEMENT",
    "FINANCING_REPAYMENT",
    "OPEN_ACCOUNT_PAYMENT",
    "EXTERNAL_PAYMENT",
    "UNDERTAKING_PAYMENT",
    "UNDERTAKING_REIMBURSEMENT",
)


# ------------------------------------------------------------------------------------------------ role matrix


@dataclass(frozen=True)
class Call:
    """What one matrix cell calls: the arguments and, optionally, another address of the same contract."""

    args: tuple[Any, ...]
    address: str | None = None


ArgsBuilder = Callable[[World, str], Call | tuple[Any, ...]]


@dataclass(frozen=True)
class Case:
    """One row of the role x function matrix.

    Attributes:
        contract: artifact name (e.g. "Settlement").
        function: ABI function name.
        allowed: actors whose call must succeed.
        build: (world, actor) -> the call's arguments (a tuple, or a `Call`); it may send set-up transactions,
            which `run_cell` rolls back.
        denied: the custom error name every other actor must get, or actor -> name with a "*" default.
        label: tells rows of the same function apart in test ids.
    """

    contract: str
    function: str
    allowed: frozenset[str]
    build: ArgsBuilder
    denied: str | Mapping[str, str]
    label: str = ""

    @property
    def id(self) -> str:
        return f"{self.contract}.{self.function}{'[' + self.label + ']' if self.label else ''}"

    def expected_error(self, actor: str) -> str:
        if isinstance(self.denied, str):
            return self.denied
        return self.denied.get(actor, self.denied["*"])


def run_cell(world: World, case: Case, actor: str) -> None:
    """Run one cell from the world's base state: allowed actors succeed, others revert with the named error."""
    world.reset()
    built = case.build(world, actor)
    call = built if isinstance(built, Call) else Call(tuple(built))
    contract = world[case.contract]
    if call.address is not None:
        contract = Deployed(world.chain, case.contract, call.address)
    if actor in case.allowed:
        contract.transact(account(actor), case.function, *call.args)
    else:
        error = contract.error_of(account(actor), case.function, *call.args)
        assert error is not None, f"{case.id} succeeded for {actor}, which must be denied"
        assert error.name == case.expected_error(actor), f"{case.id} for {actor}: {error}"


def stateful_settings(examples: int, steps: int) -> settings:
    """The settings of every stateful contract test (each sets its own size): reproducible, derandomized and with
    no example database, so that CI draws exactly what a developer's run drew; no deadline, as a step is an
    anvil round trip; and no health check against slow or filtered draws, as the machines' preconditions
    filter by design."""
    return settings(
        max_examples=examples,
        stateful_step_count=steps,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        derandomize=True,
        database=None,
    )
