"""Reading the ledger, the anchors and the member registry straight from a node (no service database).

What `tradeledger audit verify` stands on: an auditor points it at any node of the consortium and gets the
`Posted` logs, the anchors and the members exactly as the chain holds them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from eth_utils.address import to_checksum_address

from tradeledger.chain.abi import ZERO_ADDRESS, load_abi
from tradeledger.chain.rpc import JsonRpc, RpcError, log_filter, logs_in_range
from tradeledger.errors import ChainUnavailableError

LOG_RANGE = 2_000  # blocks per eth_getLogs by default (TRADELEDGER_LOG_RANGE; Besu's default cap is 5,000)
LOG_QUERIES_PER_BATCH = 50  # eth_getLogs per JSON-RPC batch: one round trip per 125,000 blocks


@dataclass(frozen=True, slots=True)
class ChainPosting:
    """One `Posted` log as the chain holds it (addresses checksummed, zero address for none)."""

    entry_id: int
    debit_account: str
    credit_account: str
    currency: str
    amount: int
    kind: int
    reference: bytes
    chain_id: int
    block_number: int
    block_hash: str
    block_timestamp: datetime
    tx_hash: str
    log_index: int


@dataclass(frozen=True, slots=True)
class ChainAnchor:
    """An anchor as ReconciliationAnchor stores it."""

    anchor_id: int
    period_start: int
    period_end: int
    account: str
    counterparty: str
    currency: str
    merkle_root: bytes
    entry_count: int
    total_debits: int
    total_credits: int
    manifest_hash: bytes
    anchored_at: int
    mirror_anchor_id: int
    status: int


def view_call(rpc: JsonRpc, contract: str, address: str, function: str, args: tuple[Any, ...]) -> tuple[Any, ...]:
    """`eth_call` of a view function at the latest block, decoded; a contract that answers nothing is not there."""
    fn = load_abi(contract).function(function)
    result = rpc.call("eth_call", [{"to": address, "data": "0x" + fn.encode_call(args).hex()}, "latest"])
    data = bytes.fromhex(str(result)[2:])
    if not data:
        raise ChainUnavailableError(f"{contract} at {address} returned nothing for {function}: is it deployed?")
    return fn.decode_result(data)


def _topic(address: str) -> str:
    return "0x" + "00" * 12 + address[2:].lower()


class ChainLedgerReader:
    """eth_call and eth_getLogs against the platform's contracts on one node."""

    def __init__(
        self,
        rpc: JsonRpc,
        *,
        settlement: str,
        anchor: str,
        membership: str | None = None,
        from_block: int = 0,
        log_range: int = LOG_RANGE,
    ) -> None:
        self.rpc = rpc
        self.from_block = from_block  # the deployment's first block: no platform log comes earlier
        self.log_range = log_range  # blocks per eth_getLogs: within the node's cap
        self.settlement = to_checksum_address(settlement)
        self.anchor = to_checksum_address(anchor)
        self.membership = to_checksum_address(membership) if membership else self._anchor_membership()
        self.chain_id = int(self.rpc.call("eth_chainId", []), 16)

    def _call(self, contract: str, address: str, function: str, args: tuple[Any, ...]) -> tuple[Any, ...]:
        return view_call(self.rpc, contract, address, function, args)

    def _anchor_membership(self) -> str:
        return str(to_checksum_address(self._call("ReconciliationAnchor", self.anchor, "membership", ())[0]))

    def member(self, address: str) -> tuple[int, int, str]:
        """`(kind, status, sponsor)` of a member in Membership (kind 0 for none)."""
        member = self._call("Membership", self.membership, "memberOf", (to_checksum_address(address),))[0]
        kind, status, sponsor = member
        return int(kind), int(status), str(to_checksum_address(sponsor))

    def find_anchor(
        self, period_start: int, period_end: int, account: str, counterparty: str | None, currency: str
    ) -> ChainAnchor | None:
        """The anchor of a statement key, or None if nobody anchored it."""
        key = (
            period_start,
            period_end,
            to_checksum_address(account),
            to_checksum_address(counterparty or ZERO_ADDRESS),
            currency.encode("ascii"),
        )
        anchor_id = int(self._call("ReconciliationAnchor", self.anchor, "anchorIdOf", key)[0])
        return None if anchor_id == 0 else self.anchor_of(anchor_id)

    def anchor_of(self, anchor_id: int) -> ChainAnchor:
        """An existing anchor by id, with its mirror and bilateral status as the contract holds them now."""
        statement, anchored_at, mirror = self._call("ReconciliationAnchor", self.anchor, "anchorOf", (anchor_id,))[0]
        status = int(self._call("ReconciliationAnchor", self.anchor, "reconciliationStatus", (anchor_id,))[0])
        start, end, acct, cpty, code, root, count, debit_total, credit_total, manifest_hash = statement
        return ChainAnchor(
            anchor_id=anchor_id,
            period_start=int(start),
            period_end=int(end),
            account=str(to_checksum_address(acct)),
            counterparty=str(to_checksum_address(cpty)),
            currency=bytes(code).decode("ascii"),
            merkle_root=bytes(root),
            entry_count=int(count),
            total_debits=int(debit_total),
            total_credits=int(credit_total),
            manifest_hash=bytes(manifest_hash),
            anchored_at=int(anchored_at),
            mirror_anchor_id=int(mirror),
            status=status,
        )

    def head(self) -> int:
        """The node's latest block number."""
        return int(self.rpc.call("eth_blockNumber", []), 16)

    def postings_of(self, account: str, to_block: int | None = None) -> list[ChainPosting]:
        """Every `Posted` log debiting or crediting `account`, in (block, log index) order."""
        head = self.head() if to_block is None else to_block
        event = next(e for e in load_abi("Settlement").events.values() if e.name == "Posted")
        topic0 = "0x" + event.topic.hex()
        queries = [
            ({"address": self.settlement, "topics": topics}, first, min(head, first + self.log_range - 1))
            for first in range(self.from_block, head + 1, self.log_range)
            for topics in ([topic0, None, _topic(account)], [topic0, None, None, _topic(account)])  # debit, credit
        ]
        logs: dict[tuple[int, int], dict[str, Any]] = {}
        for offset in range(0, len(queries), LOG_QUERIES_PER_BATCH):
            chunk = queries[offset : offset + LOG_QUERIES_PER_BATCH]
            answers = self.rpc.batch([("eth_getLogs", [log_filter(*query)]) for query in chunk])
            for query, answer in zip(chunk, answers, strict=True):
                try:  # a range over the node's cap after all is asked again in halves
                    found = logs_in_range(self.rpc, *query) if isinstance(answer, RpcError) else answer
                except RpcError as error:
                    raise ChainUnavailableError(f"the node refused eth_getLogs: {error.message}") from None
                for log in found:
                    if not log.get("removed"):
                        logs[(int(log["blockNumber"], 16), int(log["logIndex"], 16))] = log
        return self._decode_postings([logs[key] for key in sorted(logs)])

    def _decode_postings(self, logs: list[dict[str, Any]]) -> list[ChainPosting]:
        abi = load_abi("Settlement")
        numbers = sorted({int(log["blockNumber"], 16) for log in logs})
        blocks = self.rpc.batch([("eth_getBlockByNumber", [hex(n), False]) for n in numbers])
        stamps: dict[int, datetime] = {}
        for number, block in zip(numbers, blocks, strict=True):
            if isinstance(block, RpcError) or not isinstance(block, dict):
                raise ChainUnavailableError(f"block {number} is not available from the node")
            stamps[number] = datetime.fromtimestamp(int(block["timestamp"], 16), UTC)
        postings = []
        for log in logs:
            topics = [bytes.fromhex(t[2:]) for t in log["topics"]]
            name, args = abi.decode_log(topics, bytes.fromhex(log["data"][2:]))
            if name != "Posted":
                continue
            number = int(log["blockNumber"], 16)
            postings.append(
                ChainPosting(
                    entry_id=int(args["entryId"]),
                    debit_account=str(args["debitAccount"]),
                    credit_account=str(args["creditAccount"]),
                    currency=bytes.fromhex(args["currency"][2:]).decode("ascii"),
                    amount=int(args["amount"]),
                    kind=int(args["kind"]),
                    reference=bytes.fromhex(args["ref"][2:]),
                    chain_id=self.chain_id,
                    block_number=number,
                    block_hash=str(log["blockHash"]).lower(),
                    block_timestamp=stamps[number],
                    tx_hash=str(log["transactionHash"]).lower(),
                    log_index=int(log["logIndex"], 16),
                )
            )
        return postings


def block_time(rpc: JsonRpc, block_hash: str) -> datetime | None:
    """The timestamp of a block by hash, or None if the node does not hold that block (reorged away)."""
    block = rpc.call("eth_getBlockByHash", [block_hash, False])
    return None if not isinstance(block, dict) else datetime.fromtimestamp(int(block["timestamp"], 16), UTC)
