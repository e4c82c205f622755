"""Transferable records: issue, endorse, transfer, pledge, surrender and void through the one write path, the
records a member may see, and what anyone may verify about a document by its hash.

Exclusive control is the contract's: a step by anyone but the record's controller reverts there (403), and the
read model shows only what the indexer projected from its events.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from tradeledger.chain.abi import checksum
from tradeledger.chain.txmanager import ContractCall
from tradeledger.errors import NotFoundError
from tradeledger.members import repository as members
from tradeledger.members.access import can_see, visible_accounts
from tradeledger.members.models import MemberKind
from tradeledger.operations import Pending, Submission, created_id, write_then_view
from tradeledger.records import repository
from tradeledger.records.models import RecordKind, TransferableRecord
from tradeledger.records.schemas import (
    CounterpartyRequest,
    EndorseRequest,
    IssueRecordRequest,
    PublicControlChange,
    PublicRecord,
    RecordView,
    Verification,
    kind_name,
)
from tradeledger.store.models import ChainTransaction

if TYPE_CHECKING:  # the runtime composes the domains: importing it here would be a cycle
    from tradeledger.runtime import Platform

CONTRACT = "TransferableRecords"
ZERO_ADDRESS = "0x" + "00" * 20

STEP_FUNCTIONS = {
    "endorse": "endorse",
    "transfer": "transfer",
    "pledge": "pledge",
    "release-pledge": "releasePledge",
    "enforce-pledge": "enforcePledge",
    "surrender": "surrender",
    "reject-surrender": "rejectSurrender",
    "void": "voidRecord",
}
"""Route step -> contract function; endorse takes an EndorseRequest, transfer and pledge a CounterpartyRequest."""


class RecordNotFoundError(NotFoundError):
    code = "record_not_found"


def document_hash(content: bytes) -> str:
    """The hash a record carries on chain: SHA-256 of the document file, as 0x-hex."""
    return "0x" + hashlib.sha256(content).hexdigest()


def issue_call(address: str, caller: str, request: IssueRecordRequest) -> ContractCall:
    args = (
        int(RecordKind[request.kind.upper()]),
        bytes.fromhex(request.document_hash[2:]),
        checksum(request.holder),
        request.to_order,
    )
    return ContractCall(CONTRACT, address, "issue", args, caller)


def step_call(
    address: str, caller: str, record_id: int, step: str, body: EndorseRequest | CounterpartyRequest | None
) -> ContractCall:  # fmt: skip
    args: tuple[object, ...] = (record_id,)
    if isinstance(body, EndorseRequest):
        args += (checksum(body.endorsee) if body.endorsee else ZERO_ADDRESS,)
    elif isinstance(body, CounterpartyRequest):
        args += (checksum(body.to),)
    return ContractCall(CONTRACT, address, STEP_FUNCTIONS[step], args, caller)


def visible_record(db: Session, viewer: str, viewer_kind: MemberKind | None, record_id: int) -> TransferableRecord:
    """A record the viewer issued, holds, controls or once held or controlled (a bank: also its clients')."""
    record = repository.get(db, record_id)
    if record is None or not can_see(db, viewer, viewer_kind, repository.parties(db, record)):
        raise RecordNotFoundError(f"no record {record_id}")
    return record


def record_view(platform: Platform, viewer: str, viewer_kind: MemberKind | None, record_id: int) -> RecordView:
    """One record the viewer may see, with its history of control."""
    with platform.sessions() as db:
        record = visible_record(db, viewer, viewer_kind, record_id)
        return RecordView.of(record, repository.history(db, record_id))


def list_records(
    platform: Platform, viewer: str, viewer_kind: MemberKind | None, after: int | None, limit: int
) -> list[RecordView]:  # fmt: skip
    with platform.sessions() as db:
        records = repository.page(db, visible_accounts(db, viewer, viewer_kind), after, limit)
        return [RecordView.of(record, repository.history(db, record.record_id)) for record in records]


def issue(
    platform: Platform, caller: str, caller_kind: MemberKind | None, request: IssueRecordRequest,
    submission: Submission,
) -> RecordView | Pending:  # fmt: skip
    """Issue a record of a document (its hash on chain, the file off chain) to its first holder; read back once
    indexed. A document that already has a record is refused on chain (409)."""
    call = issue_call(platform.address(CONTRACT), caller, request)

    def created(row: ChainTransaction) -> RecordView:
        record_id = created_id(platform, row, CONTRACT, "RecordIssued", "recordId")
        return record_view(platform, caller, caller_kind, record_id)

    return write_then_view(platform, call, submission, created)


def run_step(
    platform: Platform, caller: str, caller_kind: MemberKind | None, record_id: int, step: str,
    body: EndorseRequest | CounterpartyRequest | None, submission: Submission,
) -> RecordView | Pending:  # fmt: skip
    """A step on a record the caller may see; the contract refuses it unless the caller controls the record."""
    record_view(platform, caller, caller_kind, record_id)
    call = step_call(platform.address(CONTRACT), caller, record_id, step, body)
    return write_then_view(platform, call, submission, lambda _: record_view(platform, caller, caller_kind, record_id))


# ------------------------------------------------------------------------------------------------ public


def verification(platform: Platform, digest: str) -> Verification:
    """`verify`, in a session of its own (the public endpoints)."""
    with platform.sessions() as db:
        return verify(db, digest)


def verify(db: Session, digest: str) -> Verification:
    """What the consortium knows of a document hash, for anyone: kinds of knowledge, dates, states and member
    names; never amounts, parties' clients, terms or fingerprints of other documents."""
    digest = digest.lower()
    known_as: list[str] = []
    dates = []
    issued_by: str | None = None
    public: PublicRecord | None = None
    record = repository.by_document(db, digest)
    if record is not None:
        known_as.append("transferable_record")
        history = repository.history(db, record.record_id)
        names: dict[str, str] = {}

        def name(address: str) -> str:
            if address not in names:
                names[address] = members.member_name(db, address)
            return names[address]

        public = PublicRecord(
            kind=kind_name(record.kind),
            state=record.state.name.lower(),
            issued_at=record.issued_at,
            controller=name(record.controller),
            history=[
                PublicControlChange(
                    at=change.block_timestamp,
                    action=change.action,
                    state=change.state.name.lower(),
                    controller=name(change.controller),
                )
                for change in history
            ],
        )
        issued_by = name(record.issuer)
        dates.append(record.issued_at)
    registered = repository.registered_document(db, digest)
    if registered is not None:
        known_as.append("registered_document")
        dates.append(registered[0])
        issued_by = issued_by or members.member_name(db, registered[1])
    presented = repository.presented_at(db, digest)
    if presented is not None:
        known_as.append("presented_document")
        dates.append(presented)
    shipped = repository.shipped_at(db, digest)
    if shipped is not None:
        known_as.append("transport_document")
        dates.append(shipped[0])
        issued_by = issued_by or members.member_name(db, shipped[1])
    return Verification(
        document_hash=digest,
        known=bool(known_as),
        known_as=known_as,
        first_seen_at=min(dates) if dates else None,
        issued_by=issued_by,
        transferable_record=public,
    )
