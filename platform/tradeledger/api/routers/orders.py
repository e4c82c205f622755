"""Purchase orders: create, the lifecycle steps, read."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Response

from tradeledger.api.auth import PlatformDep, PrincipalDep
from tradeledger.api.idempotency import IdempotentRoute
from tradeledger.api.pagination import Cursor, Limit, ObjectId, Page
from tradeledger.api.problems import ASYNC_RESPONSE, ERROR_RESPONSES, NOT_FOUND_RESPONSE
from tradeledger.api.schemas import TransactionView
from tradeledger.api.writes import PreferHeader, answer, held_answer, submission
from tradeledger.orders import service
from tradeledger.orders.schemas import CreateOrderRequest, OrderView, ShipmentRequest
from tradeledger.users.schemas import RequestView

router = APIRouter(tags=["orders"], route_class=IdempotentRoute)
OrderResult = OrderView | TransactionView | RequestView  # a payment may be held for approval


@router.post("/orders", status_code=201, responses={**ASYNC_RESPONSE, **ERROR_RESPONSES})
def create_order(
    body: CreateOrderRequest,
    platform: PlatformDep,
    principal: PrincipalDep,
    response: Response,
    prefer: PreferHeader = None,
) -> OrderView | TransactionView:
    """Place a purchase order with a seller (the caller is the buyer); the terms stay off chain."""
    created = service.create_order(platform, principal.member, principal.kind, body, submission(prefer))
    return answer(created, response, lambda view: f"/v1/orders/{view.order_id}")


@router.get("/orders", responses=ERROR_RESPONSES)
def list_orders(
    platform: PlatformDep, principal: PrincipalDep, limit: Limit = 50, cursor: Cursor = None
) -> Page[OrderView]:
    """Orders the caller is a party to (a bank: also its clients'; an auditor: all)."""
    with platform.sessions() as db:
        orders = service.list_orders(db, principal.member, principal.kind, int(cursor) if cursor else None, limit)
        items = [OrderView.of(order, service.terms_of(db, order)) for order in orders]
    return Page(items=items, next_cursor=items[-1].order_id if len(items) == limit else None)


@router.get("/orders/{order_id}", responses={**NOT_FOUND_RESPONSE, **ERROR_RESPONSES})
def get_order(order_id: ObjectId, platform: PlatformDep, principal: PrincipalDep) -> OrderView:
    """One order, with its off-chain terms."""
    return service.order_view(platform, principal.member, principal.kind, order_id)


def _step_endpoint(step: str, with_body: bool) -> Callable[..., OrderResult]:
    def step_plain(
        order_id: ObjectId,
        platform: PlatformDep,
        principal: PrincipalDep,
        response: Response,
        prefer: PreferHeader = None,
    ) -> OrderResult:
        return _run_step(order_id, None, platform, principal, response, prefer)

    def step_with_body(
        order_id: ObjectId,
        body: ShipmentRequest,
        platform: PlatformDep,
        principal: PrincipalDep,
        response: Response,
        prefer: PreferHeader = None,
    ) -> OrderResult:
        return _run_step(order_id, body, platform, principal, response, prefer)

    def _run_step(
        order_id: ObjectId,
        body: ShipmentRequest | None,
        platform: PlatformDep,
        principal: PrincipalDep,
        response: Response,
        prefer: str | None,
    ) -> OrderResult:
        stepped = service.run_step(
            platform,
            principal.member,
            principal.kind,
            order_id,
            step,
            body,
            submission(prefer, actor=principal.actor()),
        )
        return held_answer(stepped, response)

    return step_with_body if with_body else step_plain


STEP_DOCS = {
    "accept": "The seller accepts the order.",
    "reject": "The seller rejects the order.",
    "ship": "The seller records the shipment with the transport document's hash.",
    "deliver": "The buyer confirms delivery.",
    "pay": "The buyer pays an open-account order from its settlement account.",
    "cancel": "A party consents to cancel; the order is cancelled once both have.",
}
for _step in service.STEP_FUNCTIONS:
    router.add_api_route(
        f"/orders/{{order_id}}/{_step}",
        _step_endpoint(_step, with_body=_step == "ship"),
        methods=["POST"],
        name=f"{_step}_order",
        summary=STEP_DOCS[_step],
        description=STEP_DOCS[_step],
        responses={**ASYNC_RESPONSE, **NOT_FOUND_RESPONSE, **ERROR_RESPONSES},
        response_model=OrderResult,
    )
