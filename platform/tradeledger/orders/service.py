"""Purchase orders: the contract calls of each step and the views their parties may see."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from tradeledger.chain.abi import checksum
from tradeledger.chain.txmanager import ContractCall
from tradeledger.codec import currency_bytes
from tradeledger.errors import NotFoundError
from tradeledger.members.access import can_see, visible_accounts
from tradeledger.members.models import MemberKind
from tradeledger.operations import Pending, Submission, created_id, write_then_view
from tradeledger.orders import repository
from tradeledger.orders.models import PurchaseOrder
from tradeledger.orders.schemas import PAYMENT_TERMS, CreateOrderRequest, OrderView, ShipmentRequest
from tradeledger.store.db import transaction
from tradeledger.store.models import ChainTransaction
from tradeledger.terms.service import load_terms, store_terms
from tradeledger.users import approvals
from tradeledger.users.approvals import Held
from tradeledger.users.models import ApprovalRequest

if TYPE_CHECKING:  # the runtime composes the domains: importing it here would be a cycle
    from tradeledger.runtime import Platform

CONTRACT = "TradeOrders"


class OrderNotFoundError(NotFoundError):
    code = "order_not_found"


def end_of_day(day: date) -> int:
    """The last second of a UTC calendar day: a deadline 'on D' includes all of D."""
    return int(datetime.combine(day, time(23, 59, 59), UTC).timestamp())


def create_call(db: Session, address: str, buyer: str, request: CreateOrderRequest) -> ContractCall:
    """Store the terms off chain and build the createOrder call carrying their hash."""
    digest = store_terms(db, "purchase_order", request.terms, buyer)
    args = (
        checksum(request.seller),
        request.amount,
        currency_bytes(request.currency),
        bytes.fromhex(digest[2:]),
        end_of_day(request.latest_shipment),
        int(PAYMENT_TERMS[request.payment_terms]),
        end_of_day(request.due_date) if request.due_date else 0,
    )
    return ContractCall(CONTRACT, address, "createOrder", args, buyer)


STEP_FUNCTIONS = {
    "accept": "acceptOrder",
    "reject": "rejectOrder",
    "ship": "recordShipment",
    "deliver": "confirmDelivery",
    "pay": "payOrder",
    "cancel": "requestCancellation",
}


def step_call(address: str, caller: str, order_id: int, step: str, body: ShipmentRequest | None) -> ContractCall:
    """The call of one lifecycle step; the contract checks the caller's role and the order's state."""
    args: tuple[Any, ...] = (order_id,)
    if body is not None:
        args += (bytes.fromhex(body.transport_document_hash[2:]),)
    return ContractCall(CONTRACT, address, STEP_FUNCTIONS[step], args, caller)


def visible_order(db: Session, viewer: str, viewer_kind: MemberKind | None, order_id: int) -> PurchaseOrder:
    order = repository.get(db, order_id)
    if order is None or not can_see(db, viewer, viewer_kind, [order.buyer, order.seller]):
        raise OrderNotFoundError(f"no order {order_id}")
    return order


def terms_of(db: Session, order: PurchaseOrder) -> dict[str, Any] | None:
    terms = load_terms(db, order.terms_hash)
    return terms if isinstance(terms, dict) else None


def list_orders(
    db: Session, viewer: str, viewer_kind: MemberKind | None, after: int | None, limit: int
) -> list[PurchaseOrder]:
    return repository.page(db, visible_accounts(db, viewer, viewer_kind), after, limit)


def order_view(platform: Platform, viewer: str, viewer_kind: MemberKind | None, order_id: int) -> OrderView:
    """One order the viewer may see, with its off-chain terms."""
    with platform.sessions() as db:
        order = visible_order(db, viewer, viewer_kind, order_id)
        return OrderView.of(order, terms_of(db, order))


def create_order(
    platform: Platform, buyer: str, buyer_kind: MemberKind | None, request: CreateOrderRequest, submission: Submission
) -> OrderView | Pending:
    """The buyer places an order: its terms stored off chain, the call submitted, the order read back."""
    with transaction(platform.sessions) as db:
        call = create_call(db, platform.address(CONTRACT), buyer, request)

    def created(row: ChainTransaction) -> OrderView:
        return order_view(platform, buyer, buyer_kind, created_id(platform, row, CONTRACT, "OrderCreated", "orderId"))

    return write_then_view(platform, call, submission, created)


def run_step(
    platform: Platform,
    caller: str,
    caller_kind: MemberKind | None,
    order_id: int,
    step: str,
    body: ShipmentRequest | None,
    submission: Submission,
) -> OrderView | Pending | Held:
    """One lifecycle step on an order the caller may see (a hidden one is a 404 before anything is sent); a payment
    that a policy of the submitter's member covers is held for approval (`orders.pay`: the order's amount)."""
    order = order_view(platform, caller, caller_kind, order_id)
    if step == "pay":
        measure = (int(order.amount), order.currency)
        held = approvals.hold(platform, submission, PAY, approvals.arguments(order_id=order_id), lambda _: measure)
        if held is not None:
            return held
    call = step_call(platform.address(CONTRACT), caller, order_id, step, body)
    return write_then_view(platform, call, submission, lambda _: order_view(platform, caller, caller_kind, order_id))


PAY = "orders.pay"  # the buyer pays an open-account order: holdable


def _send_payment(platform: Platform, request: ApprovalRequest, submission: Submission) -> object:
    """An approved payment: the same command, as the member that holds it (its policy applied already)."""
    member, kind = approvals.acting(platform, request)
    return run_step(platform, member, kind, int(request.target["order_id"]), "pay", None, submission)


approvals.register(PAY, _send_payment)
