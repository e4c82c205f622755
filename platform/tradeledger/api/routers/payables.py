"""Payables finance (buyer-led supply-chain finance): the buyer approves a payable for a matched invoice, a bank
pays the supplier early at a discount, the buyer pays the bank at maturity (the scheduler collects by itself)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from tradeledger.api.auth import PlatformDep, PrincipalDep
from tradeledger.api.idempotency import IdempotentRoute
from tradeledger.api.pagination import Cursor, Limit, ObjectId, Page
from tradeledger.api.problems import ASYNC_RESPONSE, ERROR_RESPONSES, NOT_FOUND_RESPONSE
from tradeledger.api.schemas import TransactionView
from tradeledger.api.writes import PreferHeader, answer, held_answer, submission
from tradeledger.members.models import MemberKind
from tradeledger.members.service import require_kind
from tradeledger.payables import service
from tradeledger.payables.models import PayableState
from tradeledger.payables.schemas import ApprovePayableRequest, FinancePayableRequest, PayableView
from tradeledger.users.approvals import Held
from tradeledger.users.schemas import RequestView

router = APIRouter(tags=["payables"], route_class=IdempotentRoute)
StateName = Annotated[
    str | None, Query(pattern="^(APPROVED|FINANCED|OVERDUE|PAID)$", description="only payables in this state")
]
PayableResult = PayableView | TransactionView | RequestView  # approvals and financings may be held for approval


@router.post("/payables", status_code=201, responses={**ASYNC_RESPONSE, **NOT_FOUND_RESPONSE, **ERROR_RESPONSES})
def approve_payable(
    body: ApprovePayableRequest, platform: PlatformDep, principal: PrincipalDep, response: Response,
    prefer: PreferHeader = None,
) -> PayableResult:  # fmt: skip
    """The buyer approves a payable for its matched invoice: an amount not above the invoice's, paid on the maturity
    day; irrevocable once approved. Held for approval (`payables.approve`) when a policy of the buyer covers it."""
    require_kind(principal.kind, MemberKind.TRADER, action="approve payables")
    approved = service.approve(
        platform, principal.member, principal.kind, body, submission(prefer, actor=principal.actor())
    )
    if isinstance(approved, Held):
        return held_answer(approved, response)
    return answer(approved, response, lambda view: f"/v1/payables/{view.payable_id}")


@router.get("/payables", responses=ERROR_RESPONSES)
def list_payables(
    platform: PlatformDep, principal: PrincipalDep, state: StateName = None, limit: Limit = 50, cursor: Cursor = None
) -> Page[PayableView]:
    """Payables the caller is buyer, supplier or financier of (a bank: also its clients'; an auditor: all)."""
    wanted = None if state is None else PayableState[state]
    items = service.list_payables(
        platform, principal.member, principal.kind, wanted, int(cursor) if cursor else None, limit
    )
    return Page(items=items, next_cursor=items[-1].payable_id if len(items) == limit else None)


@router.get("/payables/{payable_id}", responses={**NOT_FOUND_RESPONSE, **ERROR_RESPONSES})
def get_payable(payable_id: ObjectId, platform: PlatformDep, principal: PrincipalDep) -> PayableView:
    """One payable: its amount and maturity, the discount and advance once financed, and the buyer's payment."""
    return service.payable_view(platform, principal.member, principal.kind, payable_id)


@router.post("/payables/{payable_id}/financings", responses={**ASYNC_RESPONSE, **NOT_FOUND_RESPONSE, **ERROR_RESPONSES})
def finance_payable(
    payable_id: ObjectId, body: FinancePayableRequest, platform: PlatformDep, principal: PrincipalDep,
    response: Response, prefer: PreferHeader = None,
) -> PayableResult:  # fmt: skip
    """A bank pays the supplier early against the invoice it registered (POST /v1/documents): the advance is the
    amount less the discount at the rate and day count given, to the minor unit, checked by the contract; a second
    financing of the invoice anywhere is refused with 409 naming the prior one. Held for approval
    (`payables.finance`, the advance compared) when a policy of the bank covers it."""
    require_kind(principal.kind, MemberKind.BANK, action="finance payables")
    financed = service.finance(
        platform, principal.member, principal.kind, payable_id, body, submission(prefer, actor=principal.actor())
    )
    return held_answer(financed, response)


@router.post("/payables/{payable_id}/collect", responses={**ASYNC_RESPONSE, **NOT_FOUND_RESPONSE, **ERROR_RESPONSES})
def collect_payable(
    payable_id: ObjectId, platform: PlatformDep, principal: PrincipalDep, response: Response,
    prefer: PreferHeader = None,
) -> PayableView | TransactionView:  # fmt: skip
    """On or after maturity, the buyer or the payee collects the buyer's payment now (the scheduler does it by
    itself on the maturity day): PAID, or OVERDUE when the buyer's balance is short."""
    collected = service.collect(platform, principal.member, principal.kind, payable_id, submission(prefer))
    return answer(collected, response)
