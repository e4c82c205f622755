"""Builders for the open-account contracts (Invoices, PaymentUndertakings) shared by their contract tests.

The cast: `trader` buys from `another_trader` on open account; `sponsor_bank` (the buyer's sponsor) is the
obligor bank, `bank` (the seller's sponsor) the recipient bank, `another_bank` a financier.
"""

from __future__ import annotations

from typing import Any

from tests.contracts.helpers import OPEN_ACCOUNT, USD, World

DAY = 24 * 3600
INVOICES = "Invoices"
UNDERTAKINGS = "PaymentUndertakings"
BUYER, SELLER = "trader", "another_trader"
OBLIGOR, RECIPIENT, FINANCIER = "sponsor_bank", "bank", "another_bank"
ORDER_AMOUNT = 100_000
INVOICE_STATES = ("NONE", "ISSUED", "MATCHED", "MISMATCHED", "ACCEPTED", "SUPERSEDED")
UNDERTAKING_STATES = ("NONE", "ESTABLISHED", "SETTLED", "EXPIRED")
INVOICE_KIND = 0  # IDocumentRegistry.DocumentKind.INVOICE


def open_account_order(world: World, *, steps: int = 1) -> int:
    """An open-account order BUYER -> SELLER, advanced `steps` edges (1 accepted, 2 shipped, 3 delivered)."""
    now = world.chain.timestamp()
    receipt = world.tx(
        BUYER,
        "TradeOrders",
        "createOrder",
        world.address(SELLER),
        ORDER_AMOUNT,
        USD,
        world.unique("terms"),
        now + 10 * DAY,
        OPEN_ACCOUNT,
        now + 60 * DAY,
    )
    order_id: int = receipt.event("OrderCreated")["orderId"]
    path = [
        (SELLER, "acceptOrder", ()),
        (SELLER, "recordShipment", (world.unique("bl"),)),
        (BUYER, "confirmDelivery", ()),
    ]
    for actor, function, extra in path[:steps]:
        world.tx(actor, "TradeOrders", function, order_id, *extra)
    return order_id


def invoice_data(world: World, amount: int = ORDER_AMOUNT, quantity: int = 1_000) -> dict[str, Any]:
    return {
        "amount": amount,
        "quantityTotal": quantity,
        "invoiceHash": world.unique("invoice"),
        "linesHash": world.unique("lines"),
        "issueDate": world.chain.timestamp(),
    }


def issue_invoice(world: World, order_id: int | None = None, **data: Any) -> int:
    order_id = open_account_order(world) if order_id is None else order_id
    receipt = world.tx(SELLER, INVOICES, "issueInvoice", order_id, invoice_data(world, **data))
    invoice_id: int = receipt.event("InvoiceIssued")["invoiceId"]
    return invoice_id


def mismatched_invoice(world: World, order_id: int | None = None) -> tuple[int, bytes]:
    invoice_id = issue_invoice(world, order_id)
    report = world.unique("report")
    world.tx(BUYER, INVOICES, "recordMatch", invoice_id, False, report)
    return invoice_id, report


def establish(world: World, order_id: int | None = None, *, due_in: int = 30 * DAY, expiry_in: int = 20 * DAY) -> int:
    """An ESTABLISHED undertaking OBLIGOR -> RECIPIENT on an (accepted) order."""
    order_id = open_account_order(world) if order_id is None else order_id
    now = world.chain.timestamp()
    receipt = world.tx(
        OBLIGOR,
        UNDERTAKINGS,
        "establish",
        order_id,
        world.address(RECIPIENT),
        ORDER_AMOUNT,
        now + due_in,
        now + expiry_in,
        world.unique("bpu-terms"),
    )
    undertaking_id: int = receipt.event("UndertakingEstablished")["undertakingId"]
    return undertaking_id


def matched_undertaking(world: World) -> tuple[int, int]:
    """An undertaking whose order's invoice MATCHED: (undertaking id, invoice id)."""
    order_id = open_account_order(world, steps=3)
    undertaking_id = establish(world, order_id)
    invoice_id = issue_invoice(world, order_id)
    world.tx(BUYER, INVOICES, "recordMatch", invoice_id, True, world.unique("report"))
    return undertaking_id, invoice_id


def financed_invoice_document(world: World, *, financier: str = FINANCIER, advance: int = 98_000) -> int:
    """The invoice registered in DocumentRegistry for SELLER and financed by `financier` (the advance is paid)."""
    receipt = world.tx(
        financier,
        "DocumentRegistry",
        "registerDocument",
        world.address(SELLER),
        INVOICE_KIND,
        USD,
        ORDER_AMOUNT,
        [world.unique("fp"), world.unique("fp")],
    )
    document_id: int = receipt.event("DocumentRegistered")["documentId"]
    world.tx(financier, "DocumentRegistry", "finance", document_id, advance, world.unique("ref"))
    return document_id


def exercise_every_event(world: World) -> None:
    """Every event of both contracts at least once."""
    tx = world.tx
    # invoices: matched, mismatched then accepted, mismatched then corrected
    matched_undertaking(world)
    accepted, report = mismatched_invoice(world)
    tx(BUYER, INVOICES, "acceptMismatch", accepted, report)
    corrected, _ = mismatched_invoice(world)
    tx(SELLER, INVOICES, "correctInvoice", corrected, invoice_data(world))
    # undertakings: amended, discounted and settled; one pending amendment; one expired
    discounted, _ = matched_undertaking(world)
    now = world.chain.timestamp()
    tx(RECIPIENT, UNDERTAKINGS, "proposeAmendment", discounted, 90_000, now + 35 * DAY, now + 25 * DAY)
    tx(OBLIGOR, UNDERTAKINGS, "consentToAmendment", discounted)
    tx(FINANCIER, UNDERTAKINGS, "assignProceeds", discounted, financed_invoice_document(world))
    pending = establish(world)
    tx(OBLIGOR, UNDERTAKINGS, "proposeAmendment", pending, 5, now + 50 * DAY, now + 50 * DAY)
    waived = establish(world, open_account_order(world, steps=3))  # the obligor bank accepts a data mismatch
    _mismatch, waived_report = mismatched_invoice(world, world.call(UNDERTAKINGS, "undertaking", waived)["orderId"])
    tx(OBLIGOR, UNDERTAKINGS, "acceptMismatch", waived, waived_report)
    lapsing = establish(world, open_account_order(world, steps=2))
    issue_invoice(world, world.call(UNDERTAKINGS, "undertaking", lapsing)["orderId"])
    world.chain.increase_time(36 * DAY)
    tx(OBLIGOR, UNDERTAKINGS, "settle", discounted)
    tx(RECIPIENT, UNDERTAKINGS, "expire", lapsing)
