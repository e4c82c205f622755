"""Maker-checker: the member's approval policies (administrators), its approvals queue, and checkers' decisions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from sqlalchemy.orm import Session

from tradeledger.api.auth import PlatformDep, PrincipalDep, reading_principal
from tradeledger.api.idempotency import IdempotentRoute, answer_with
from tradeledger.api.pagination import Limit, Page
from tradeledger.api.problems import ASYNC_RESPONSE, ERROR_RESPONSES, NOT_FOUND_RESPONSE
from tradeledger.api.schemas import TransactionView
from tradeledger.api.writes import PreferHeader, answer, submission
from tradeledger.users import approvals
from tradeledger.users.access import Action
from tradeledger.users.approvals import Held
from tradeledger.users.models import RequestStatus
from tradeledger.users.schemas import (
    DecisionRequest,
    PolicyRequest,
    PolicyView,
    RejectionRequest,
    RequestView,
    TrailCheck,
)

router = APIRouter(tags=["approvals"], route_class=IdempotentRoute)
RequestId = Annotated[str, Path(max_length=36, description="an approval request id")]
RequestCursor = Annotated[str | None, Query(max_length=36, description="`next_cursor` of the previous page")]
RESPONSES = {**NOT_FOUND_RESPONSE, **ERROR_RESPONSES}


PolicyId = Annotated[str, Path(max_length=36, description="an approval policy id")]
PolicyResult = PolicyView | RequestView  # a change held for approval answers 202 with its request


def _policy_answer(outcome: PolicyView | Held, response: Response, status: int = 200) -> PolicyResult:
    if isinstance(outcome, Held):
        response.status_code, response.headers["Location"] = 202, outcome.location
        return outcome.request
    response.status_code = status
    return outcome


@router.post("/approval-policies", status_code=201, responses=ERROR_RESPONSES)
def create_policy(
    body: PolicyRequest, platform: PlatformDep, principal: PrincipalDep, response: Response
) -> PolicyResult:
    """An administrator requires approvals for an operation above an amount (e.g. honour above USD 1,000,000)."""
    changed = approvals.change_policy(platform, principal.actor(), "create", None, body,
                                      submission(None, actor=principal.actor()), _created)  # fmt: skip
    return _policy_answer(changed, response, 201)


def _created(db: Session, view: PolicyView) -> None:
    answer_with(db, view, 201)


@router.put("/approval-policies/{policy_id}", responses=RESPONSES)
def update_policy(
    policy_id: PolicyId, body: PolicyRequest, platform: PlatformDep, principal: PrincipalDep, response: Response
) -> PolicyResult:
    """An administrator changes a policy (requests already held keep the approvals they were held for)."""
    changed = approvals.change_policy(platform, principal.actor(), "update", policy_id, body,
                                      submission(None, actor=principal.actor()), answer_with)  # fmt: skip
    return _policy_answer(changed, response)


@router.delete("/approval-policies/{policy_id}", responses=RESPONSES)
def delete_policy(policy_id: PolicyId, platform: PlatformDep, principal: PrincipalDep, response: Response) -> (
    PolicyResult
):  # fmt: skip
    """An administrator removes a policy that has held nothing yet (one that has is changed instead)."""
    changed = approvals.change_policy(platform, principal.actor(), "delete", policy_id, None,
                                      submission(None, actor=principal.actor()), answer_with)  # fmt: skip
    return _policy_answer(changed, response)


@router.get("/approval-policies", responses=ERROR_RESPONSES)
def list_policies(platform: PlatformDep, principal: PrincipalDep) -> list[PolicyView]:
    """The member's approval policies."""
    with platform.sessions() as db:
        return [PolicyView.of(row) for row in approvals.policies(db, principal.member)]


@router.get("/approvals", responses=ERROR_RESPONSES)
def approvals_queue(
    platform: PlatformDep, principal: PrincipalDep, status: RequestStatus | None = None, limit: Limit = 50,
    cursor: RequestCursor = None,
) -> Page[RequestView]:  # fmt: skip
    """The member's requests held for approval (`status=pending`: the queue)."""
    with platform.sessions() as db:
        items = approvals.queue(db, principal.member, status, cursor, limit)
    return Page(items=items, next_cursor=items[-1].id if len(items) == limit else None)


@router.get("/approvals/{request_id}", responses=RESPONSES)
def get_request(request_id: RequestId, platform: PlatformDep, principal: PrincipalDep) -> RequestView:
    """One request with every decision on it and, once sent, its transaction and approval-trail hash."""
    with platform.sessions() as db:
        return approvals.request_view(db, principal.member, request_id)


@router.get("/approvals/{request_id}/trail", responses=RESPONSES, dependencies=[reading_principal(Action.READ_AUDIT)])
def check_trail(request_id: RequestId, platform: PlatformDep, principal: PrincipalDep) -> TrailCheck:
    """Recompute a request's approval trail (who asked, who approved, when, under which policy) and compare its hash
    with the one its transaction carries on chain (administrators and auditors; auditor members: every member's)."""
    return approvals.check_trail(platform, principal.member, principal.kind, request_id)


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
