"""Books-vs-ledger reconciliation: runs over an uploaded books file, their breaks, status changes and exports."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, File, Form, Path, Query, Response, UploadFile
from fastapi.responses import StreamingResponse

from reconciliation.matching import BreakCategory, BreakStatus
from tradeledger.api.auth import PlatformDep, PrincipalDep
from tradeledger.api.idempotency import IdempotentRoute, answer_with, answering
from tradeledger.api.pagination import Limit, Page, RowCursor
from tradeledger.api.problems import ERROR_RESPONSES, NOT_FOUND_RESPONSE
from tradeledger.codec import ADDRESS_PATTERN
from tradeledger.reconciliations import export, service
from tradeledger.reconciliations.schemas import (
    AssignRequest,
    BreakDetail,
    BreakView,
    ExportFormat,
    ReopenRequest,
    ResolveRequest,
    RunRequest,
    RunView,
)

MAX_BOOKS_BYTES = 128 * 1024 * 1024
"""The largest books upload (about a million CSV lines); the API's general body limit is far smaller."""

router = APIRouter(tags=["reconciliations"], route_class=IdempotentRoute)
RunId = Annotated[int, Path(ge=1, lt=2**63, description="a reconciliation run id")]
BreakId = Annotated[int, Path(ge=1, lt=2**63, description="a break id")]
BooksUpload = Annotated[
    UploadFile,
    File(
        description=f"the books file (csv, camt.053 or mt940, as `format` says), at most {MAX_BOOKS_BYTES} bytes",
    ),
]


def _next_cursor(items: list[RunView] | list[BreakView], limit: int) -> str | None:
    return items[-1].id if len(items) == limit else None


@router.post("/reconciliations", status_code=201, responses=ERROR_RESPONSES)
def create_reconciliation(
    request: Annotated[RunRequest, Form()],
    books: BooksUpload,
    platform: PlatformDep,
    principal: PrincipalDep,
    response: Response,
) -> RunView:
    """Reconcile an account's ledger (its own, or a sponsored client's) against an uploaded books file."""
    spec = service.spec_of(request)
    imported = service.import_books(spec, books.file, service.file_name(books.filename))

    record = answering(201, _run_location)
    view = service.start_run(platform, spec, imported, principal.member, principal.kind, record)
    response.headers["Location"] = _run_location(view)
    return view


def _run_location(run: RunView) -> str:
    return f"/v1/reconciliations/{run.id}"


@router.get("/reconciliations", responses=ERROR_RESPONSES)
def list_reconciliations(
    platform: PlatformDep,
    principal: PrincipalDep,
    account: Annotated[str | None, Query(pattern=ADDRESS_PATTERN, description="only runs of this account")] = None,
    limit: Limit = 50,
    cursor: RowCursor = None,
) -> Page[RunView]:
    """Runs of the accounts the caller may see (its own; a bank: its clients'; an auditor: all)."""
    after = int(cursor) if cursor else None
    items = service.runs(platform, principal.member, principal.kind, account, after, limit)
    return Page(items=items, next_cursor=_next_cursor(items, limit))


@router.get("/reconciliations/{run_id}", responses={**NOT_FOUND_RESPONSE, **ERROR_RESPONSES})
def get_reconciliation(run_id: RunId, platform: PlatformDep, principal: PrincipalDep) -> RunView:
    """One run: what it compared, the rules applied, matched and unmatched counts, breaks by category and status."""
    return service.run_detail(platform, principal.member, principal.kind, run_id)


@router.get("/reconciliations/{run_id}/breaks", responses={**NOT_FOUND_RESPONSE, **ERROR_RESPONSES})
def list_breaks(
    run_id: RunId,
    platform: PlatformDep,
    principal: PrincipalDep,
    category: Annotated[BreakCategory | None, Query(description="only this category")] = None,
    status: Annotated[BreakStatus | None, Query(description="only breaks in this status")] = None,
    limit: Limit = 50,
    cursor: RowCursor = None,
) -> Page[BreakView]:
    """The run's breaks in id order, optionally of one category and one status."""
    after = int(cursor) if cursor else None
    items = service.breaks(platform, principal.member, principal.kind, run_id, category, status, after, limit)
    return Page(items=items, next_cursor=_next_cursor(items, limit))


@router.get("/reconciliations/{run_id}/breaks/{break_id}", responses={**NOT_FOUND_RESPONSE, **ERROR_RESPONSES})
def get_break(run_id: RunId, break_id: BreakId, platform: PlatformDep, principal: PrincipalDep) -> BreakDetail:
    """One break and its status history."""
    return service.break_of(platform, principal.member, principal.kind, run_id, break_id)


TRANSITION_RESPONSES = {**NOT_FOUND_RESPONSE, **ERROR_RESPONSES}


@router.post("/reconciliations/{run_id}/breaks/{break_id}/assign", responses=TRANSITION_RESPONSES)
def assign_break(
    run_id: RunId, break_id: BreakId, body: AssignRequest, platform: PlatformDep, principal: PrincipalDep
) -> BreakDetail:
    """Assign an open break (or reassign an assigned one) to someone; 409 `break_transition_invalid` otherwise."""
    return service.change_break(
        platform, answer_with, run_id=run_id, break_id=break_id, action="assign", actor=principal.member,
        actor_kind=principal.kind, note=body.note, assignee=body.assignee,
    )  # fmt: skip


@router.post("/reconciliations/{run_id}/breaks/{break_id}/resolve", responses=TRANSITION_RESPONSES)
def resolve_break(
    run_id: RunId, break_id: BreakId, body: ResolveRequest, platform: PlatformDep, principal: PrincipalDep
) -> BreakDetail:
    """Resolve an open or assigned break with a note saying how; 409 `break_transition_invalid` otherwise."""
    return service.change_break(
        platform, answer_with, run_id=run_id, break_id=break_id, action="resolve", actor=principal.member,
        actor_kind=principal.kind, note=body.note,
    )  # fmt: skip


@router.post("/reconciliations/{run_id}/breaks/{break_id}/reopen", responses=TRANSITION_RESPONSES)
def reopen_break(
    run_id: RunId,
    break_id: BreakId,
    platform: PlatformDep,
    principal: PrincipalDep,
    body: Annotated[ReopenRequest | None, Body()] = None,
) -> BreakDetail:
    """Reopen a resolved break (the body, with a note, is optional); 409 `break_transition_invalid` otherwise."""
    return service.change_break(
        platform, answer_with, run_id=run_id, break_id=break_id, action="reopen", actor=principal.member,
        actor_kind=principal.kind, note=None if body is None else body.note,
    )  # fmt: skip


@router.get(
    "/reconciliations/{run_id}/export",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "every break of the run: CSV (UTF-8 with BOM, bilingual headers, Excel-friendly) or JSON "
            "(`run` and `breaks`)",
            "content": {"text/csv": {}, "application/json": {}},
        },
        **NOT_FOUND_RESPONSE,
        **ERROR_RESPONSES,
    },
)
def export_breaks(
    run_id: RunId,
    platform: PlatformDep,
    principal: PrincipalDep,
    format: Annotated[ExportFormat, Query(description="csv or json")] = ExportFormat.CSV,  # noqa: A002
) -> StreamingResponse:
    """Download every break of the run with its current status, as CSV or JSON."""
    download = export.download(platform, principal.member, principal.kind, run_id, format)
    return StreamingResponse(
        download.chunks,
        media_type=download.media_type,
        headers={"Content-Disposition": f'attachment; filename="{download.filename}"'},
    )
