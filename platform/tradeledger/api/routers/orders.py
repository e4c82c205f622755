"""Purchase orders: create, the lifecycle steps, read."""

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
from tradeledger.indexer.queries import event_argument
from tradeledger.orders import service
from tradeledger.orders.schemas import CreateOrderRequest, OrderView, ShipmentRequest
from tradeledger.store.db import transaction
from tradeledger.store.models import ChainTransaction

router = APIRouter(tags=["orders"], route_class=IdempotentRoute)


def _view(platform: PlatformDep, principal: PrincipalDep, order_id: ObjectId) -> OrderView:
    with platform.sessions() as db:
        order = service.visible_order(db, principal.member, principal.kind, order_id)
        return OrderView.of(order, service.terms_of(db, order))


@router.post("/orders", status_code=201, responses={**ASYNC_RESPONSE, **ERROR_RESPONSES})
async def create_order(
    body: CreateOrderRequest,
    platform: PlatformDep,
    principal: PrincipalDep,
    response: Response,
    prefer: PreferHeader = None,
) -> OrderView | TransactionView:
    """Place a purchase order with a seller (the caller is the buyer); the terms stay off chain."""
    with transaction(platform.sessions) as db:
        call = service.create_call(db, platform.address(service.CONTRACT), principal.member, body)

    def created(row: ChainTransaction) -> OrderView:
        with platform.sessions() as db:
            order_id = int(event_argument(db, row.tx_hash, service.CONTRACT, "OrderCreated", "orderId"))
        response.headers["Location"] = f"/v1/orders/{order_id}"
        return _view(platform, principal, order_id)

    return await write_then_view(platform, call, prefer, response, created)


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
    return _view(platform, principal, order_id)


def _step_endpoint(step: str, with_body: bool) -> Callable[..., Awaitable[OrderView | TransactionView]]:
    async def step_plain(
        order_id: ObjectId,
        platform: PlatformDep,
        principal: PrincipalDep,
        response: Response,
        prefer: PreferHeader = None,
    ) -> OrderView | TransactionView:
        return await _run_step(order_id, None, platform, principal, response, prefer)

    async def step_with_body(
        order_id: ObjectId,
        body: ShipmentRequest,
        platform: PlatformDep,
        principal: PrincipalDep,
        response: Response,
        prefer: PreferHeader = None,
    ) -> OrderView | TransactionView:
        return await _run_step(order_id, body, platform, principal, response, prefer)

    async def _run_step(
        order_id: ObjectId,
        body: ShipmentRequest | None,
        platform: PlatformDep,
        principal: PrincipalDep,
        response: Response,
        prefer: str | None,
    ) -> OrderView | TransactionView:
        await run_in_threadpool(_view, platform, principal, order_id)  # a hidden order is a 404, not a revert
        call = service.step_call(platform.address(service.CONTRACT), principal.member, order_id, step, body)
        return await write_then_view(platform, call, prefer, response, lambda _: _view(platform, principal, order_id))

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
        response_model=OrderView | TransactionView,
    )
