"""Request and response bodies of the transferable-record resources and of public verification."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from tradeledger.records.models import RecordControlChange, RecordKind, TransferableRecord
from tradeledger.settlements.schemas import Address

DocumentHash = Annotated[
    str,
    StringConstraints(pattern=r"^0x[0-9a-fA-F]{64}$", to_lower=True),
    Field(description="SHA-256 of the document file, 0x and 64 hex digits", examples=["0x" + "ab" * 32]),
]
KindName = Literal["bill_of_lading", "warehouse_receipt", "promissory_note", "other"]
ACTION_DESCRIPTION = (
    "issued, endorsed, endorsed_in_blank, transferred, pledged (by the holder), pledged_by_financing (financing a "
    "document linked to the record pledged it to the financier), pledge_released, financing_pledge_released (the "
    "financing was repaid or released), pledge_enforced, financing_pledge_enforced, surrendered, "
    "surrender_rejected, voided, lodged, returned, title_passed, title_passed_secured"
)


def kind_name(kind: RecordKind) -> str:
    return kind.name.lower()


class IssueRecordRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: KindName = "bill_of_lading"
    document_hash: DocumentHash
    holder: Address = Field(description="the first holder (the shipper), an active bank or trader")
    to_order: bool = Field(True, description="an order document passes by endorsement; false: a bearer document")


class EndorseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    endorsee: Address | None = Field(None, description="the named endorsee, who receives control; none: in blank")


class CounterpartyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: Address = Field(description="the new holder (transfer) or the pledgee bank (pledge)")


class ControlChangeView(BaseModel):
    at: datetime
    action: str = Field(description=ACTION_DESCRIPTION, examples=["pledged_by_financing"])
    state: str = Field(description="the record's state after the change", examples=["HELD"])
    controller: str
    holder: str
    previous_controller: str | None
    tx_hash: str
    block_number: int

    @classmethod
    def of(cls, change: RecordControlChange) -> ControlChangeView:
        return cls(
            at=change.block_timestamp,
            action=change.action,
            state=change.state.name,
            controller=change.controller,
            holder=change.holder,
            previous_controller=change.previous_controller,
            tx_hash=change.tx_hash,
            block_number=change.block_number,
        )


class RecordView(BaseModel):
    record_id: str
    kind: str
    state: str = Field(description="HELD, PLEDGED, ESCROWED (lodged under a letter of credit), SURRENDERED, VOID")
    issuer: str
    holder: str
    controller: str = Field(description="the one party with exclusive control of the record")
    to_order: bool
    blank_endorsed: bool
    endorsements: int
    document_hash: str
    issued_at: datetime
    history: list[ControlChangeView]
    tx_hash: str
    block_number: int

    @classmethod
    def of(cls, record: TransferableRecord, history: list[RecordControlChange]) -> RecordView:
        return cls(
            record_id=str(record.record_id),
            kind=kind_name(record.kind),
            state=record.state.name,
            issuer=record.issuer,
            holder=record.holder,
            controller=record.controller,
            to_order=record.to_order,
            blank_endorsed=record.blank_endorsed,
            endorsements=record.endorsements,
            document_hash=record.document_hash,
            issued_at=record.issued_at,
            history=[ControlChangeView.of(change) for change in history],
            tx_hash=record.tx_hash,
            block_number=record.block_number,
        )


class PublicControlChange(BaseModel):
    at: datetime
    action: str = Field(description=ACTION_DESCRIPTION, examples=["pledged_by_financing"])
    state: str
    controller: str = Field(description="the member's name", examples=["Banque Lumière"])


class PublicRecord(BaseModel):
    kind: str
    state: str = Field(description="held, pledged, escrowed, surrendered or void")
    issued_at: datetime
    controller: str = Field(description="the name of the member in control now")
    history: list[PublicControlChange]


class Verification(BaseModel):
    """What anyone may learn about a document hash: only dates, states and member names, nothing commercial."""

    document_hash: str
    known: bool = Field(description="whether the consortium knows this document")
    known_as: list[str] = Field(
        description="transferable_record, registered_document (a financing fingerprint), presented_document "
        "(presented under a letter of credit), transport_document (of a shipment)"
    )
    first_seen_at: datetime | None
    issued_by: str | None = Field(description="the name of the member that issued or registered it")
    transferable_record: PublicRecord | None
