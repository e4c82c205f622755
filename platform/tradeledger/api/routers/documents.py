"""Documents and financings: fingerprint check, registration, financing, repayment, release."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Response

from tradeledger.api.auth import PlatformDep, PrincipalDep
from tradeledger.api.idempotency import IdempotentRoute
from tradeledger.api.pagination import Cursor, Limit, ObjectId, Page
from tradeledger.api.problems import ASYNC_RESPONSE, ERROR_RESPONSES, NOT_FOUND_RESPONSE
from tradeledger.api.schemas import TransactionView
from tradeledger.api.writes import PreferHeader, answer, held_answer, submission
from tradeledger.documents import repository, service
from tradeledger.documents.schemas import (
    DocumentFieldsRequest,
    DocumentView,
    FinancingRequest,
    FingerprintCheck,
    RegisterDocumentRequest,
)
from tradeledger.members.models import MemberKind
from tradeledger.members.service import require_kind
from tradeledger.users.schemas import RequestView

router = APIRouter(tags=["documents"], route_class=IdempotentRoute)
DocumentResult = DocumentView | TransactionView | RequestView  # a financing may be held for approval


@router.post("/documents/fingerprint-check", responses=ERROR_RESPONSES)
def fingerprint_check(body: DocumentFieldsRequest, platform: PlatformDep, principal: PrincipalDep) -> FingerprintCheck:
    """Before financing: does this document collide with one already registered, financed or presented?"""
    with platform.sessions() as db:
        return service.check(db, principal.member, principal.kind, body, platform.settings.fingerprint_secret())


@router.post("/documents", status_code=201, responses={**ASYNC_RESPONSE, **ERROR_RESPONSES})
def register_document(
    body: RegisterDocumentRequest,
    platform: PlatformDep,
    principal: PrincipalDep,
    response: Response,
    prefer: PreferHeader = None,
) -> DocumentView | TransactionView:
    """Register a document's fingerprints (a bank for its client, or a trader for itself) before financing."""
    registered = service.register(platform, principal.member, principal.kind, body, submission(prefer))
    return answer(registered, response, lambda view: f"/v1/documents/{view.document_id}")


@router.get("/documents", responses=ERROR_RESPONSES)
def list_documents(
    platform: PlatformDep, principal: PrincipalDep, limit: Limit = 50, cursor: Cursor = None
) -> Page[DocumentView]:
    """Documents the caller owns, registered or finances (a bank: also its clients'; an auditor: all)."""
    with platform.sessions() as db:
        documents = service.list_documents(db, principal.member, principal.kind, int(cursor) if cursor else None, limit)
        items = [DocumentView.of(d, repository.fingerprints_of(db, d.document_id)) for d in documents]
    return Page(items=items, next_cursor=items[-1].document_id if len(items) == limit else None)


@router.get("/documents/{document_id}", responses={**NOT_FOUND_RESPONSE, **ERROR_RESPONSES})
def get_document(document_id: ObjectId, platform: PlatformDep, principal: PrincipalDep) -> DocumentView:
    """One document with its fingerprints and financing."""
    return service.document_view(platform, principal.member, principal.kind, document_id)


def _document_step(step: str, with_body: bool) -> Callable[..., DocumentResult]:
    def run(
        document_id: ObjectId, body: FinancingRequest | None, platform: PlatformDep, principal: PrincipalDep,
        response: Response, prefer: str | None,
    ) -> DocumentResult:  # fmt: skip
        if step == "financings":
            require_kind(principal.kind, MemberKind.BANK, action="finance documents")
        stepped = service.run_step(
            platform, principal.member, principal.kind, document_id, step, body,
            submission(prefer, actor=principal.actor()),
        )  # fmt: skip
        return held_answer(stepped, response)

    def with_amount(
        document_id: ObjectId, body: FinancingRequest, platform: PlatformDep, principal: PrincipalDep,
        response: Response, prefer: PreferHeader = None,
    ) -> DocumentResult:  # fmt: skip
        return run(document_id, body, platform, principal, response, prefer)

    def without_body(
        document_id: ObjectId,
        platform: PlatformDep,
        principal: PrincipalDep,
        response: Response,
        prefer: PreferHeader = None,
    ) -> DocumentResult:
        return run(document_id, None, platform, principal, response, prefer)

    return with_amount if with_body else without_body


STEP_DOCS = {
    "financings": "A bank finances a registered document, disbursing to its owner; a second financing of any of "
    "its fingerprints is refused with 409 naming the prior financing.",
    "repayments": "The owner repays its financier.",
    "release": "Release a document: its financier (financed) or its owner or registrar (registered).",
}
for _step in service.STEP_FUNCTIONS:
    router.add_api_route(
        f"/documents/{{document_id}}/{_step}",
        _document_step(_step, with_body=_step != "release"),
        methods=["POST"],
        name=f"document_{_step}",
        summary=STEP_DOCS[_step].split(";")[0].split(":")[0],
        description=STEP_DOCS[_step],
        responses={**ASYNC_RESPONSE, **NOT_FOUND_RESPONSE, **ERROR_RESPONSES},
        response_model=DocumentResult,
    )
