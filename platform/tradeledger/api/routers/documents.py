"""Documents and financings: fingerprint check, registration, financing, repayment, release."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Response
from starlette.concurrency import run_in_threadpool

from tradeledger.api.auth import PlatformDep, PrincipalDep
from tradeledger.api.idempotency import IdempotentRoute
from tradeledger.api.pagination import Cursor, Limit, ObjectId, Page
from tradeledger.api.problems import ASYNC_RESPONSE, ERROR_RESPONSES, NOT_FOUND_RESPONSE
from tradeledger.api.schemas import TransactionView
from tradeledger.api.writes import PreferHeader, write_then_view
from tradeledger.documents import repository, service
from tradeledger.documents.schemas import (
    DocumentFieldsRequest,
    DocumentView,
    FinancingRequest,
    FingerprintCheck,
    RegisterDocumentRequest,
)
from tradeledger.errors import ContractRevertError
from tradeledger.indexer.queries import event_argument
from tradeledger.members.models import MemberKind
from tradeledger.members.service import require_kind
from tradeledger.store.db import transaction
from tradeledger.store.models import ChainTransaction

router = APIRouter(tags=["documents"], route_class=IdempotentRoute)


def _view(platform: PlatformDep, principal: PrincipalDep, document_id: ObjectId) -> DocumentView:
    with platform.sessions() as db:
        document = service.visible_document(db, principal.member, principal.kind, document_id)
        return DocumentView.of(document, repository.fingerprints_of(db, document_id))


@router.post("/documents/fingerprint-check", responses=ERROR_RESPONSES)
def fingerprint_check(body: DocumentFieldsRequest, platform: PlatformDep, principal: PrincipalDep) -> FingerprintCheck:
    """Before financing: does this document collide with one already registered, financed or presented?"""
    with platform.sessions() as db:
        return service.check(db, principal.member, principal.kind, body, platform.settings.fingerprint_secret())


@router.post("/documents", status_code=201, responses={**ASYNC_RESPONSE, **ERROR_RESPONSES})
async def register_document(
    body: RegisterDocumentRequest,
    platform: PlatformDep,
    principal: PrincipalDep,
    response: Response,
    prefer: PreferHeader = None,
) -> DocumentView | TransactionView:
    """Register a document's fingerprints (a bank for its client, or a trader for itself) before financing."""
    with transaction(platform.sessions) as db:
        call = service.register_call(
            db, platform.address(service.CONTRACT), principal.member, body, platform.settings.fingerprint_secret()
        )

    def created(row: ChainTransaction) -> DocumentView:
        with platform.sessions() as db:
            document_id = int(event_argument(db, row.tx_hash, service.CONTRACT, "DocumentRegistered", "documentId"))
        response.headers["Location"] = f"/v1/documents/{document_id}"
        return _view(platform, principal, document_id)

    return await write_then_view(platform, call, prefer, response, created)


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
    return _view(platform, principal, document_id)


def _document_step(step: str, with_body: bool) -> Callable[..., Awaitable[DocumentView | TransactionView]]:
    async def run(
        document_id: ObjectId, body: FinancingRequest | None, platform: PlatformDep, principal: PrincipalDep,
        response: Response, prefer: str | None,
    ) -> DocumentView | TransactionView:  # fmt: skip
        if step == "financings":
            require_kind(principal.kind, MemberKind.BANK, action="finance documents")
        await run_in_threadpool(_view, platform, principal, document_id)
        call = service.step_call(platform.address(service.CONTRACT), principal.member, document_id, step, body)
        try:
            return await write_then_view(
                platform, call, prefer, response, lambda _: _view(platform, principal, document_id)
            )
        except ContractRevertError as error:
            with platform.sessions() as db:
                raise service.name_prior_financing(db, error) from None

    async def with_amount(
        document_id: ObjectId, body: FinancingRequest, platform: PlatformDep, principal: PrincipalDep,
        response: Response, prefer: PreferHeader = None,
    ) -> DocumentView | TransactionView:  # fmt: skip
        return await run(document_id, body, platform, principal, response, prefer)

    async def without_body(
        document_id: ObjectId,
        platform: PlatformDep,
        principal: PrincipalDep,
        response: Response,
        prefer: PreferHeader = None,
    ) -> DocumentView | TransactionView:
        return await run(document_id, None, platform, principal, response, prefer)

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
        response_model=DocumentView | TransactionView,
    )
