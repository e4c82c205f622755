"""Reading a transferable record and its whole history of control straight from a node (no service database).

What `tradeledger records verify` stands on: anyone with a document and any consortium node learns whether the
document has a record, who issued it, its state and who controlled it when, exactly as the chain holds them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from eth_utils.address import to_checksum_address

from tradeledger.chain.abi import ZERO_ADDRESS, load_abi
from tradeledger.chain.ledger import LOG_RANGE, view_call
from tradeledger.chain.rpc import JsonRpc, RpcError, logs_in_range
from tradeledger.errors import ChainUnavailableError

CONTRACT = "TransferableRecords"
KINDS = ("bill_of_lading", "warehouse_receipt", "promissory_note", "other")
STATES = ("none", "held", "pledged", "escrowed", "surrendered", "void")
MEMBER_KINDS = ("none", "operator", "bank", "trader", "auditor")


@dataclass(frozen=True, slots=True)
class ChainControlChange:
    """One event of a record: when, what, and who controlled it afterwards (replayed from the logs).

    `action` names the change as the read model does, so that a pledge by financing (a title agent's pledge under a
    security key) and the end of that pledge show as such: `pledged_by_financing`, `financing_pledge_released`.
    """

    at: datetime
    event: str
    action: str
    controller: str
    holder: str
    block_number: int
    tx_hash: str


@dataclass(frozen=True, slots=True)
class ChainRecord:
    record_id: int
    kind: str
    state: str
    issuer: str
    holder: str
    controller: str
    issued_at: datetime
    history: list[ChainControlChange]


class ChainRecordsReader:
    """eth_call and eth_getLogs against TransferableRecords (and Membership, for members' kinds) on one node."""

    def __init__(self, rpc: JsonRpc, *, records: str, from_block: int = 0, log_range: int = LOG_RANGE) -> None:
        self.rpc = rpc
        self.records = to_checksum_address(records)
        self.from_block = from_block
        self.log_range = log_range
        self.abi = load_abi(CONTRACT)
        self.membership = str(to_checksum_address(self._call(CONTRACT, self.records, "membership", ())[0]))
        self.chain_id = int(self.rpc.call("eth_chainId", []), 16)

    def _call(self, contract: str, address: str, function: str, args: tuple[Any, ...]) -> tuple[Any, ...]:
        return view_call(self.rpc, contract, address, function, args)

    def member_kind(self, address: str) -> str:
        kind = int(self._call("Membership", self.membership, "memberOf", (to_checksum_address(address),))[0][0])
        return MEMBER_KINDS[kind] if kind < len(MEMBER_KINDS) else "unknown"

    def find(self, document_hash: bytes) -> ChainRecord | None:
        """The record of a document hash with its history, or None when the chain has no record of it."""
        record_id = int(self._call(CONTRACT, self.records, "recordOfDocument", (document_hash,))[0])
        if record_id == 0:
            return None
        issuer, kind, state, _order, _blank, holder, controller, issued_at, *_ = self._call(
            CONTRACT, self.records, "record", (record_id,)
        )[0]
        return ChainRecord(
            record_id=record_id,
            kind=KINDS[int(kind)],
            state=STATES[int(state)],
            issuer=str(to_checksum_address(issuer)),
            holder=str(to_checksum_address(holder)),
            controller=str(to_checksum_address(controller)),
            issued_at=datetime.fromtimestamp(int(issued_at), UTC),
            history=self._history(record_id),
        )

    def _history(self, record_id: int) -> list[ChainControlChange]:
        head = int(self.rpc.call("eth_blockNumber", []), 16)
        query = {"address": self.records, "topics": [None, "0x" + record_id.to_bytes(32, "big").hex()]}
        logs: list[dict[str, Any]] = []
        try:
            for first in range(self.from_block, head + 1, self.log_range):
                logs.extend(logs_in_range(self.rpc, query, first, min(head, first + self.log_range - 1)))
        except RpcError as error:
            raise ChainUnavailableError(f"the node refused eth_getLogs: {error.message}") from None
        logs = sorted(
            (log for log in logs if not log.get("removed")),
            key=lambda log: (int(log["blockNumber"], 16), int(log["logIndex"], 16)),
        )
        numbers = sorted({int(log["blockNumber"], 16) for log in logs})
        stamps = {
            n: datetime.fromtimestamp(int(block["timestamp"], 16), UTC)
            for n, block in zip(numbers, self.rpc.batch([("eth_getBlockByNumber", [hex(n), False]) for n in numbers]),
                                strict=True)
            if isinstance(block, dict)
        }  # fmt: skip
        history: list[ChainControlChange] = []
        issuer = holder = controller = ZERO_ADDRESS
        action = ""
        for log in logs:
            topics = [bytes.fromhex(t[2:]) for t in log["topics"]]
            name, args = self.abi.decode_log(topics, bytes.fromhex(log["data"][2:]))
            if "recordId" not in args:  # an AccessControl event whose first topic happens to match
                continue
            issuer, holder, controller = _replay(name, args, issuer, holder, controller)
            action = _action(name, args, action)
            number = int(log["blockNumber"], 16)
            history.append(
                ChainControlChange(
                    stamps[number], name, action, controller, holder, number, str(log["transactionHash"])
                )
            )
        return history


ACTIONS = {
    "RecordIssued": "issued",
    "RecordEndorsed": "endorsed",
    "RecordTransferred": "transferred",
    "RecordPledged": "pledged",
    "RecordPledgeReleased": "pledge_released",
    "RecordPledgeEnforced": "pledge_enforced",
    "RecordSurrendered": "surrendered",
    "RecordSurrenderRejected": "surrender_rejected",
    "RecordVoided": "voided",
    "RecordLodged": "lodged",
    "RecordReturned": "returned",
    "RecordTitlePassed": "title_passed",
}
"""Event -> the read model's action (`tradeledger.indexer.handlers.records`), before the cases named below."""


def _action(name: str, a: dict[str, Any], previous: str) -> str:
    """The action of one event; `previous` is the action of the record's event before it."""
    if name == "RecordEndorsed" and a["endorsee"] == ZERO_ADDRESS:
        return "endorsed_in_blank"
    if name == "RecordTitlePassed" and a["securedBy"] != ZERO_ADDRESS:
        return "title_passed_secured"
    if name == "RecordPledged" and int(a["escrowKey"], 16):
        return "pledged_by_financing"  # a title agent's pledge under the financing's security key
    if name in ("RecordPledgeReleased", "RecordPledgeEnforced") and previous == "pledged_by_financing":
        return f"financing_{ACTIONS[name]}"
    return ACTIONS.get(name, name)


def _replay(name: str, a: dict[str, Any], issuer: str, holder: str, controller: str) -> tuple[str, str, str]:
    """(issuer, holder, controller) after one event, from the event alone (ITransferableRecords' graph)."""
    match name:
        case "RecordIssued":
            return a["issuer"], a["holder"], a["holder"]
        case "RecordEndorsed" if a["endorsee"] != ZERO_ADDRESS:
            return issuer, a["endorsee"], a["endorsee"]
        case "RecordTransferred":
            return issuer, a["to"], a["to"]
        case "RecordPledged":
            return issuer, holder, a["pledgee"]
        case "RecordPledgeReleased" | "RecordSurrenderRejected":
            return issuer, a["holder"], a["holder"]
        case "RecordPledgeEnforced":
            return issuer, a["pledgee"], a["pledgee"]
        case "RecordSurrendered":
            return issuer, holder, a["issuer"]
        case "RecordLodged":
            return issuer, holder, a["bank"]
        case "RecordReturned":
            return issuer, a["presenter"], a["presenter"]
        case "RecordTitlePassed":
            secured = a["securedBy"]
            return issuer, a["holder"], a["holder"] if secured == ZERO_ADDRESS else secured
    return issuer, holder, controller  # endorsed in blank, voided: control unchanged
