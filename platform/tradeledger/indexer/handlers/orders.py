"""Projections of TradeOrders: the purchase order's life cycle, cancellation consents and open-account payment."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy.orm import Session

from tradeledger.indexer.fetcher import EventRecord
from tradeledger.indexer.handlers._support import currency, evidence, existing, hex32, require, stamp
from tradeledger.indexer.projections import Row, projector
from tradeledger.orders.models import OrderState, PaymentTerms, PurchaseOrder

TRADE_ORDERS = "TradeOrders"

projector.owns(PurchaseOrder)


def _order(db: Session, record: EventRecord, *expected: OrderState) -> PurchaseOrder:
    order = existing(db, PurchaseOrder, record.args["orderId"], record)
    require(order.state in expected, record, f"order {order.order_id} is {order.state.name}")
    stamp(order, record)
    return order


@projector.inserts(TRADE_ORDERS, "OrderCreated")
def order_created(record: EventRecord) -> Iterator[Row]:
    args = record.args
    yield (
        PurchaseOrder,
        {
            "order_id": args["orderId"],
            "buyer": args["buyer"],
            "seller": args["seller"],
            "amount": args["amount"],
            "currency": currency(args["currency"]),
            "terms_hash": hex32(args["termsHash"]),
            "payment_terms": PaymentTerms(args["paymentTerms"]),
            "state": OrderState.CREATED,
            "latest_shipment": args["latestShipment"],
            "due_date": args["dueDate"],
            "buyer_consents_to_cancel": False,
            "seller_consents_to_cancel": False,
            "created_at": record.block_timestamp,
            **evidence(record),
        },
    )


@projector.on(TRADE_ORDERS, "OrderAccepted")
def order_accepted(db: Session, record: EventRecord) -> None:
    _order(db, record, OrderState.CREATED).state = OrderState.ACCEPTED


@projector.on(TRADE_ORDERS, "OrderRejected")
def order_rejected(db: Session, record: EventRecord) -> None:
    _order(db, record, OrderState.CREATED).state = OrderState.REJECTED


@projector.on(TRADE_ORDERS, "OrderShipped")
def order_shipped(db: Session, record: EventRecord) -> None:
    order = _order(db, record, OrderState.ACCEPTED)
    order.state = OrderState.SHIPPED
    order.transport_document_hash = hex32(record.args["transportDocumentHash"])
    order.shipped_at = record.args["shippedAt"]


@projector.on(TRADE_ORDERS, "OrderDelivered")
def order_delivered(db: Session, record: EventRecord) -> None:
    order = _order(db, record, OrderState.SHIPPED)
    order.state = OrderState.DELIVERED
    order.delivered_at = record.args["deliveredAt"]


@projector.on(TRADE_ORDERS, "OrderPaid")
def order_paid(db: Session, record: EventRecord) -> None:
    order = _order(db, record, OrderState.DELIVERED)
    order.state = OrderState.PAID
    order.payment_entry_id = record.args["entryId"]
    order.covering_undertaking_id = None


@projector.on(TRADE_ORDERS, "OrderPaidByUndertaking")
def order_paid_by_undertaking(db: Session, record: EventRecord) -> None:
    """The order's bank payment undertaking settled: the order is PAID by its payment leg (obligor -> recipient)."""
    order = _order(db, record, OrderState.ACCEPTED, OrderState.SHIPPED, OrderState.DELIVERED)
    order.state = OrderState.PAID
    order.payment_entry_id = record.args["entryId"]
    order.covering_undertaking_id = None


@projector.on(TRADE_ORDERS, "OrderUndertakingRecorded")
def order_undertaking_recorded(db: Session, record: EventRecord) -> None:
    """A bank payment undertaking now covers the order: its payment belongs to that undertaking."""
    order = _order(db, record, OrderState.ACCEPTED, OrderState.SHIPPED, OrderState.DELIVERED)
    require(order.covering_undertaking_id is None, record, f"order {order.order_id} is covered already")
    order.covering_undertaking_id = record.args["undertakingId"]


@projector.on(TRADE_ORDERS, "OrderUndertakingReleased")
def order_undertaking_released(db: Session, record: EventRecord) -> None:
    """The covering undertaking expired: the order may be paid or cancelled by its parties again."""
    order = existing(db, PurchaseOrder, record.args["orderId"], record)
    covering = record.args["undertakingId"]
    require(order.covering_undertaking_id == covering, record, f"order {order.order_id} is not covered by {covering}")
    stamp(order, record)
    order.covering_undertaking_id = None


@projector.on(TRADE_ORDERS, "OrderCancellationRequested")
def order_cancellation_requested(db: Session, record: EventRecord) -> None:
    order = _order(db, record, OrderState.CREATED, OrderState.ACCEPTED)
    party = record.args["party"]
    if party == order.buyer:
        order.buyer_consents_to_cancel = True
    else:
        require(party == order.seller, record, f"{party} is not a party of order {order.order_id}")
        order.seller_consents_to_cancel = True


@projector.on(TRADE_ORDERS, "OrderCancelled")
def order_cancelled(db: Session, record: EventRecord) -> None:
    _order(db, record, OrderState.CREATED, OrderState.ACCEPTED).state = OrderState.CANCELLED
