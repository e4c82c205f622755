"""Statements from the ledger (camt.053, MT940, CSV, JSON), signed manifests, Merkle proofs and anchors."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from fastapi.responses import FileResponse

from tradeledger.api.auth import PlatformDep, PrincipalDep
from tradeledger.api.idempotency import IdempotentRoute, answering
from tradeledger.api.pagination import Cursor, Limit, ObjectId, Page, RowCursor
from tradeledger.api.problems import ASYNC_RESPONSE, ERROR_RESPONSES, NOT_FOUND_RESPONSE
from tradeledger.api.schemas import TransactionView
from tradeledger.api.writes import PreferHeader, answer, submission
from tradeledger.statements import bilateral, service, verification
from tradeledger.statements.schemas import (
    AnchorReconciliationView,
    AnchorView,
    ConsistencyProof,
    InclusionProof,
    SignedManifest,
    StatementRequest,
    StatementView,
    VerificationRequest,
    VerificationView,
)

router = APIRouter(tags=["statements"], route_class=IdempotentRoute)
StatementId = Annotated[int, Path(ge=1, lt=2**63, description="a statement id")]
EarlierStatementId = Annotated[
    int, Query(alias="from", ge=1, lt=2**63, description="an earlier statement of the same account and currency")
]


@router.post("/statements", status_code=201, responses={**NOT_FOUND_RESPONSE, **ERROR_RESPONSES})
def create_statement(
    body: StatementRequest, platform: PlatformDep, principal: PrincipalDep, response: Response
) -> StatementView:
    """Generate and sign a statement of an account for a closed period, or up to now without an end."""
    spec = service.spec_of(body)

    record = answering(201, _statement_location)
    view, _ = service.create_statement(platform, spec, principal.member, principal.kind, record)
    response.headers["Location"] = _statement_location(view)
    return view


def _statement_location(statement: StatementView) -> str:
    return f"/v1/statements/{statement.id}"


@router.get("/statements", responses=ERROR_RESPONSES)
def list_statements(
    platform: PlatformDep, principal: PrincipalDep, limit: Limit = 50, cursor: RowCursor = None
) -> Page[StatementView]:
    """Statements of the accounts the caller may see (its own; a bank: its clients'; an auditor: all)."""
    items = service.list_statements(platform, principal.member, principal.kind, int(cursor) if cursor else None, limit)
    return Page(items=items, next_cursor=items[-1].id if len(items) == limit else None)


@router.get("/statements/{statement_id}", responses={**NOT_FOUND_RESPONSE, **ERROR_RESPONSES})
def get_statement(statement_id: StatementId, platform: PlatformDep, principal: PrincipalDep) -> StatementView:
    """One statement: period, totals, Merkle root, manifest hash, signature and anchor status."""
    return service.statement_view(platform, principal.member, principal.kind, statement_id)


@router.get(
    "/statements/{statement_id}/file",
    response_class=FileResponse,
    responses={
        200: {
            "description": "the statement file",
            "content": {"application/xml": {}, "text/plain": {}, "text/csv": {}, "application/json": {}},
        },
        **NOT_FOUND_RESPONSE,
        **ERROR_RESPONSES,
    },
)
def get_statement_file(statement_id: StatementId, platform: PlatformDep, principal: PrincipalDep) -> FileResponse:
    """Download the statement file exactly as its manifest describes it."""
    found = service.statement_file(platform, principal.member, principal.kind, statement_id)
    return FileResponse(found.path, media_type=found.media_type, filename=found.filename)


@router.get("/statements/{statement_id}/manifest", responses={**NOT_FOUND_RESPONSE, **ERROR_RESPONSES})
def get_statement_manifest(statement_id: StatementId, platform: PlatformDep, principal: PrincipalDep) -> SignedManifest:
    """The signed manifest: what `tradeledger audit verify FILE MANIFEST` checks against the chain."""
    return service.statement_manifest(platform, principal.member, principal.kind, statement_id)


@router.get("/statements/{statement_id}/entries/{entry_id}/proof", responses={**NOT_FOUND_RESPONSE, **ERROR_RESPONSES})
def get_entry_proof(
    statement_id: StatementId, entry_id: ObjectId, platform: PlatformDep, principal: PrincipalDep
) -> InclusionProof:
    """RFC 6962 inclusion proof of one ledger entry in the statement's Merkle root."""
    return service.entry_proof(platform, principal.member, principal.kind, statement_id, entry_id)


@router.get("/statements/{statement_id}/consistency", responses={**NOT_FOUND_RESPONSE, **ERROR_RESPONSES})
def get_consistency_proof(
    statement_id: StatementId, earlier: EarlierStatementId, platform: PlatformDep, principal: PrincipalDep
) -> ConsistencyProof:
    """RFC 6962 consistency proof that this statement's history tree extends an earlier statement's."""
    return service.history_proof(platform, principal.member, principal.kind, statement_id, earlier)


@router.post("/statements/{statement_id}/anchor", responses={**ASYNC_RESPONSE, **NOT_FOUND_RESPONSE, **ERROR_RESPONSES})
def anchor_statement(
    statement_id: StatementId,
    platform: PlatformDep,
    principal: PrincipalDep,
    response: Response,
    prefer: PreferHeader = None,
) -> StatementView | TransactionView:
    """Anchor the statement's Merkle root, totals and manifest hash on ReconciliationAnchor (the account owner)."""
    anchored = service.anchor(platform, principal.member, principal.kind, statement_id, submission(prefer))
    return answer(anchored, response)


@router.get("/anchors", responses=ERROR_RESPONSES)
def list_anchors(
    platform: PlatformDep, principal: PrincipalDep, limit: Limit = 50, cursor: Cursor = None
) -> Page[AnchorView]:
    """Anchored statements the caller is a party to (a bank: also its clients'; an auditor: all)."""
    items = service.list_anchors(platform, principal.member, principal.kind, int(cursor) if cursor else None, limit)
    return Page(items=items, next_cursor=items[-1].anchor_id if len(items) == limit else None)


@router.get("/anchors/{anchor_id}", responses={**NOT_FOUND_RESPONSE, **ERROR_RESPONSES})
def get_anchor(anchor_id: ObjectId, platform: PlatformDep, principal: PrincipalDep) -> AnchorView:
    """One anchor and its bilateral status (PENDING until the counterparty anchors its mirror)."""
    return service.anchor_detail(platform, principal.member, principal.kind, anchor_id)


@router.get("/anchors/{anchor_id}/reconciliation", responses={**NOT_FOUND_RESPONSE, **ERROR_RESPONSES})
def get_anchor_reconciliation(
    anchor_id: ObjectId, platform: PlatformDep, principal: PrincipalDep
) -> AnchorReconciliationView:
    """The anchor and its mirror against the chain's ledger, and this instance's read model entry by entry."""
    return bilateral.anchor_reconciliation(platform, principal.member, principal.kind, anchor_id)


@router.post("/audit/verifications", responses=ERROR_RESPONSES)
def verify_statement_file(
    body: VerificationRequest, platform: PlatformDep, principal: PrincipalDep
) -> VerificationView:
    """Check a statement file and its signed manifest against the chain alone (signature, anchor, root, every
    entry), as `tradeledger audit verify` does, with the verdict per entry. Reads only: auditors may call it."""
    return verification.verify_upload(platform, body)
