"""Projections of TransferableRecords: each record as it stands, and one control-history row per event.

A pledge a title agent made under a security key (DocumentRegistry, financing against the record) is named
`pledged_by_financing` in the history, and the end of that pledge `financing_pledge_released` / `_enforced`, so that
verification shows which pledges secured a financing.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from tradeledger.indexer.fetcher import EventRecord
from tradeledger.indexer.handlers._support import evidence, existing, hex32, inconsistent, optional_address, stamp
from tradeledger.indexer.projections import projector
from tradeledger.records.models import RecordControlChange, RecordKind, RecordState, TransferableRecord

TRANSFERABLE_RECORDS = "TransferableRecords"

projector.owns(TransferableRecord, RecordControlChange)

HELD, PLEDGED, ESCROWED = RecordState.HELD, RecordState.PLEDGED, RecordState.ESCROWED


def _history(db: Session, record: EventRecord, row: TransferableRecord, previous: str | None, action: str) -> None:
    db.add(
        RecordControlChange(
            block_number=record.block_number,
            log_index=record.log_index,
            tx_hash=record.tx_hash,
            block_timestamp=record.block_timestamp,
            record_id=row.record_id,
            action=action,
            previous_controller=previous,
            controller=row.controller,
            holder=row.holder,
            state=row.state,
        )
    )


def _change(
    db: Session, record: EventRecord, action: str, expected: RecordState, state: RecordState, holder: str,
    controller: str, *, escrow_key: str | None = None,
) -> TransferableRecord:  # fmt: skip
    """Move a record from `expected` to (state, holder, controller) and log the change in its history."""
    row = existing(db, TransferableRecord, record.args["recordId"], record)
    if row.state is not expected:
        raise inconsistent(record, f"record {row.record_id} is {row.state.name}, expected {expected.name}")
    previous = row.controller
    row.state, row.holder, row.controller, row.escrow_key = state, holder, controller, escrow_key
    stamp(row, record)
    _history(db, record, row, previous, action)
    return row


@projector.on(TRANSFERABLE_RECORDS, "RecordIssued")
def record_issued(db: Session, record: EventRecord) -> None:
    args = record.args
    row = TransferableRecord(
        record_id=args["recordId"],
        issuer=args["issuer"],
        holder=args["holder"],
        controller=args["holder"],
        kind=RecordKind(args["kind"]),
        state=HELD,
        to_order=args["toOrder"],
        blank_endorsed=False,
        endorsements=0,
        document_hash=hex32(args["documentHash"]),
        escrow_key=None,
        issued_at=record.block_timestamp,
        **evidence(record),
    )
    db.add(row)
    _history(db, record, row, None, "issued")


@projector.on(TRANSFERABLE_RECORDS, "RecordEndorsed")
def record_endorsed(db: Session, record: EventRecord) -> None:
    args = record.args
    endorsee = optional_address(args["endorsee"])
    if endorsee is None:
        row = _change(db, record, "endorsed_in_blank", HELD, HELD, args["endorser"], args["endorser"])
    else:
        row = _change(db, record, "endorsed", HELD, HELD, endorsee, endorsee)
    row.blank_endorsed = endorsee is None
    row.endorsements = args["sequence"]


@projector.on(TRANSFERABLE_RECORDS, "RecordTransferred")
def record_transferred(db: Session, record: EventRecord) -> None:
    to = record.args["to"]
    _change(db, record, "transferred", HELD, HELD, to, to)


FINANCING_PLEDGE = "pledged_by_financing"


@projector.on(TRANSFERABLE_RECORDS, "RecordPledged")
def record_pledged(db: Session, record: EventRecord) -> None:
    args = record.args
    key = hex32(args["escrowKey"]) if int(args["escrowKey"], 16) else None  # zero: the holder's own pledge
    action = "pledged" if key is None else FINANCING_PLEDGE
    _change(db, record, action, HELD, PLEDGED, args["holder"], args["pledgee"], escrow_key=key)


def _pledge_ended(db: Session, record_id: int, ended: str) -> str:
    """`ended` (pledge_released / pledge_enforced), prefixed with financing_ when a financing's pledge ends."""
    last = db.scalar(
        select(RecordControlChange.action)
        .where(RecordControlChange.record_id == record_id)
        .order_by(RecordControlChange.block_number.desc(), RecordControlChange.log_index.desc())
        .limit(1)
    )
    return f"financing_{ended}" if last == FINANCING_PLEDGE else ended


@projector.on(TRANSFERABLE_RECORDS, "RecordPledgeReleased")
def record_pledge_released(db: Session, record: EventRecord) -> None:
    holder = record.args["holder"]
    action = _pledge_ended(db, record.args["recordId"], "pledge_released")
    _change(db, record, action, PLEDGED, HELD, holder, holder)


@projector.on(TRANSFERABLE_RECORDS, "RecordPledgeEnforced")
def record_pledge_enforced(db: Session, record: EventRecord) -> None:
    pledgee = record.args["pledgee"]
    action = _pledge_ended(db, record.args["recordId"], "pledge_enforced")
    _change(db, record, action, PLEDGED, HELD, pledgee, pledgee)


@projector.on(TRANSFERABLE_RECORDS, "RecordSurrendered")
def record_surrendered(db: Session, record: EventRecord) -> None:
    args = record.args
    _change(db, record, "surrendered", HELD, RecordState.SURRENDERED, args["holder"], args["issuer"])


@projector.on(TRANSFERABLE_RECORDS, "RecordSurrenderRejected")
def record_surrender_rejected(db: Session, record: EventRecord) -> None:
    holder = record.args["holder"]
    _change(db, record, "surrender_rejected", RecordState.SURRENDERED, HELD, holder, holder)


@projector.on(TRANSFERABLE_RECORDS, "RecordVoided")
def record_voided(db: Session, record: EventRecord) -> None:
    row = existing(db, TransferableRecord, record.args["recordId"], record)
    _change(db, record, "voided", RecordState.SURRENDERED, RecordState.VOID, row.holder, record.args["issuer"])


@projector.on(TRANSFERABLE_RECORDS, "RecordLodged")
def record_lodged(db: Session, record: EventRecord) -> None:
    args = record.args
    key = hex32(args["escrowKey"])
    _change(db, record, "lodged", HELD, ESCROWED, args["presenter"], args["bank"], escrow_key=key)


@projector.on(TRANSFERABLE_RECORDS, "RecordReturned")
def record_returned(db: Session, record: EventRecord) -> None:
    presenter = record.args["presenter"]
    _change(db, record, "returned", ESCROWED, HELD, presenter, presenter)


@projector.on(TRANSFERABLE_RECORDS, "RecordTitlePassed")
def record_title_passed(db: Session, record: EventRecord) -> None:
    args = record.args
    holder, secured_by = args["holder"], optional_address(args["securedBy"])
    if secured_by is None:
        _change(db, record, "title_passed", ESCROWED, HELD, holder, holder)
    else:
        key = hex32(args["escrowKey"])
        _change(db, record, "title_passed_secured", ESCROWED, PLEDGED, holder, secured_by, escrow_key=key)
