"""Transferable records (electronic bills of lading): issue, endorse, transfer, pledge, surrender, void, read;
and public verification of any document by its file or hash, without an API key."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, File, Path, Response, UploadFile

from tradeledger.api.auth import PlatformDep, PrincipalDep
from tradeledger.api.idempotency import IdempotentRoute
from tradeledger.api.pagination import Cursor, Limit, ObjectId, Page
from tradeledger.api.problems import ASYNC_RESPONSE, ERROR_RESPONSES, NOT_FOUND_RESPONSE
from tradeledger.api.schemas import TransactionView
from tradeledger.api.writes import PreferHeader, answer, submission
from tradeledger.records import service
from tradeledger.records.schemas import (
    CounterpartyRequest,
    EndorseRequest,
    IssueRecordRequest,
    RecordView,
    Verification,
)

router = APIRouter(tags=["records"], route_class=IdempotentRoute)
public = APIRouter(tags=["verification"])

MAX_DOCUMENT_BYTES = 32 * 1024 * 1024
"""The largest document file public verification hashes (a scanned bill of lading is a few MiB)."""


@router.post("/records", status_code=201, responses={**ASYNC_RESPONSE, **ERROR_RESPONSES})
def issue_record(
    body: IssueRecordRequest,
    platform: PlatformDep,
    principal: PrincipalDep,
    response: Response,
    prefer: PreferHeader = None,
) -> RecordView | TransactionView:
    """Issue a transferable record of a document (the carrier, or a bank for it): its SHA-256 on chain only."""
    issued = service.issue(platform, principal.member, principal.kind, body, submission(prefer))
    return answer(issued, response, lambda view: f"/v1/records/{view.record_id}")


@router.get("/records", responses=ERROR_RESPONSES)
def list_records(
    platform: PlatformDep, principal: PrincipalDep, limit: Limit = 50, cursor: Cursor = None
) -> Page[RecordView]:
    """Records the caller issued, holds, controls or once held (a bank: also its clients'; an auditor: all)."""
    items = service.list_records(platform, principal.member, principal.kind, int(cursor) if cursor else None, limit)
    return Page(items=items, next_cursor=items[-1].record_id if len(items) == limit else None)


@router.get("/records/{record_id}", responses={**NOT_FOUND_RESPONSE, **ERROR_RESPONSES})
def get_record(record_id: ObjectId, platform: PlatformDep, principal: PrincipalDep) -> RecordView:
    """One record with its history of control."""
    return service.record_view(platform, principal.member, principal.kind, record_id)


def _step(step: str, body_type: type[EndorseRequest] | type[CounterpartyRequest] | None) -> Callable[..., object]:
    def run(
        record_id: int, body: EndorseRequest | CounterpartyRequest | None, platform: PlatformDep,
        principal: PrincipalDep, response: Response, prefer: str | None,
    ) -> RecordView | TransactionView:  # fmt: skip
        stepped = service.run_step(
            platform, principal.member, principal.kind, record_id, step, body, submission(prefer)
        )
        return answer(stepped, response)

    def endorse(
        record_id: ObjectId, body: EndorseRequest, platform: PlatformDep, principal: PrincipalDep,
        response: Response, prefer: PreferHeader = None,
    ) -> RecordView | TransactionView:  # fmt: skip
        return run(record_id, body, platform, principal, response, prefer)

    def to_counterparty(
        record_id: ObjectId, body: CounterpartyRequest, platform: PlatformDep, principal: PrincipalDep,
        response: Response, prefer: PreferHeader = None,
    ) -> RecordView | TransactionView:  # fmt: skip
        return run(record_id, body, platform, principal, response, prefer)

    def without_body(
        record_id: ObjectId, platform: PlatformDep, principal: PrincipalDep, response: Response,
        prefer: PreferHeader = None,
    ) -> RecordView | TransactionView:  # fmt: skip
        return run(record_id, None, platform, principal, response, prefer)

    if body_type is EndorseRequest:
        return endorse
    return to_counterparty if body_type is CounterpartyRequest else without_body


STEPS: dict[str, tuple[type[EndorseRequest] | type[CounterpartyRequest] | None, str]] = {
    "endorse": (EndorseRequest, "The holder of an order document endorses it to a named endorsee, who then "
                "controls it; without an endorsee, in blank (it then passes by transfer)."),
    "transfer": (CounterpartyRequest, "The holder of a bearer or blank-endorsed record transfers control."),
    "pledge": (CounterpartyRequest, "The holder pledges the record to a bank, which controls it until release."),
    "release-pledge": (None, "The pledgee bank releases its pledge: the holder controls the record again."),
    "enforce-pledge": (None, "The pledgee bank enforces its pledge and becomes the record's holder."),
    "surrender": (None, "The holder surrenders the record to its issuer at delivery of the goods."),
    "reject-surrender": (None, "The issuer rejects a surrender: the holder controls the record again."),
    "void": (None, "The issuer voids a surrendered record; it can never be used again."),
}  # fmt: skip
for _name, (_body, _doc) in STEPS.items():
    router.add_api_route(
        f"/records/{{record_id}}/{_name}",
        _step(_name, _body),
        methods=["POST"],
        name=f"record_{_name.replace('-', '_')}",
        summary=_doc.split(":")[0].split(";")[0].rstrip("."),
        description=_doc + " Only the record's controller may do this (403 otherwise).",
        responses={**ASYNC_RESPONSE, **NOT_FOUND_RESPONSE, **ERROR_RESPONSES},
        response_model=RecordView | TransactionView,
    )


# ------------------------------------------------------------------------------------------------ public

DocumentHashPath = Annotated[
    str, Path(pattern=r"^0x[0-9a-fA-F]{64}$", description="SHA-256 of the document file: 0x and 64 hex digits")
]


@public.get("/verify/{document_hash}", responses=ERROR_RESPONSES)
def verify_hash(document_hash: DocumentHashPath, platform: PlatformDep) -> Verification:
    """Anyone, without an API key: does the consortium know this document, who issued it, is it a transferable
    record and in what state, and who controlled it when (dates, states and member names only)."""
    return service.verification(platform, document_hash)


@public.post("/verify", responses=ERROR_RESPONSES)
def verify_file(
    document: Annotated[UploadFile, File(description=f"the document file, at most {MAX_DOCUMENT_BYTES} bytes")],
    platform: PlatformDep,
) -> Verification:
    """Anyone, without an API key: verify a document file (hashed with SHA-256 here; the file is not kept)."""
    digest = service.document_hash(document.file.read())
    return service.verification(platform, digest)
