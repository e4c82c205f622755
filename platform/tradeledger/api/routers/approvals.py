"""Maker-checker: the member's approval policies (administrators), its approvals queue, and checkers' decisions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from tradeledger.api.auth import PlatformDep, PrincipalDep
from tradeledger.api.idempotency import IdempotentRoute, answer_with, answering
from tradeledger.api.pagination import Limit, Page
from tradeledger.api.problems import ASYNC_RESPONSE, ERROR_RESPONSES, NOT_FOUND_RESPONSE
from tradeledger.api.schemas import TransactionView
from tradeledger.api.writes import PreferHeader, answer
from tradeledger.users import approvals
from tradeledger.users.models import RequestStatus
from tradeledger.users.schemas import DecisionRequest, PolicyRequest, PolicyView, RejectionRequest, RequestView

router = APIRouter(tags=["approvals"], route_class=IdempotentRoute)
RequestId = Annotated[str, Path(max_length=36, description="an approval request id")]
RequestCursor = Annotated[str | None, Query(max_length=36, description="`next_cursor` of the previous page")]
RESPONSES = {**NOT_FOUND_RESPONSE, **ERROR_RESPONSES}


@router.post("/approval-policies", status_code=201, responses=ERROR_RESPONSES)
def create_policy(body: PolicyRequest, platform: PlatformDep, principal: PrincipalDep) -> PolicyView:
    """An administrator requires approvals for an operation above an amount (e.g. honour above USD 1,000,000)."""
    return approvals.create_policy(platform, principal.actor(), body, answering(201))


@router.get("/approval-policies", responses=ERROR_RESPONSES)
def list_policies(platform: PlatformDep, principal: PrincipalDep) -> list[PolicyView]:
    """The member's approval policies."""
    return approvals.policies(platform, principal.member)


@router.get("/approvals", responses=ERROR_RESPONSES)
def approvals_queue(
    platform: PlatformDep, principal: PrincipalDep, status: RequestStatus | None = None, limit: Limit = 50,
    cursor: RequestCursor = None,
) -> Page[RequestView]:  # fmt: skip
    """The member's requests held for approval (`status=pending`: the queue)."""
    items = approvals.queue(platform, principal.member, status, cursor, limit)
    return Page(items=items, next_cursor=items[-1].id if len(items) == limit else None)


@router.get("/approvals/{request_id}", responses=RESPONSES)
def get_request(request_id: RequestId, platform: PlatformDep, principal: PrincipalDep) -> RequestView:
    """One request with every decision on it and, once sent, its transaction and approval-trail hash."""
    return approvals.request_view(platform, principal.member, request_id)


@router.post("/approvals/{request_id}/approve", responses={**ASYNC_RESPONSE, **RESPONSES})
def approve(
    request_id: RequestId, body: DecisionRequest, platform: PlatformDep, principal: PrincipalDep, response: Response,
    prefer: PreferHeader = None,
) -> RequestView | TransactionView:  # fmt: skip
    """A checker approves (never their own request); the approval that meets the policy sends the transaction."""
    respond_async = prefer is not None and "respond-async" in prefer.lower()
    approved = approvals.approve(platform, principal.actor(), request_id, body.reason, respond_async, answer_with)
    return answer(approved, response)


@router.post("/approvals/{request_id}/reject", responses=RESPONSES)
def reject(
    request_id: RequestId, body: RejectionRequest, platform: PlatformDep, principal: PrincipalDep
) -> RequestView:
    """A checker rejects with a reason: the request never reaches the chain."""
    return approvals.reject(platform, principal.actor(), request_id, body.reason, answer_with)
