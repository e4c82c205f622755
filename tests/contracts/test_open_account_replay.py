"""Event completeness for Invoices and PaymentUndertakings (checklist A12): replaying their events (with the
orders' OrderCreated for the parties) through a pure model reproduces every getter field for field.
"""

from __future__ import annotations

from typing import Any

from tests.contracts.helpers import Event, World
from tests.contracts.openaccount_support import INVOICES, UNDERTAKINGS, exercise_every_event

ISSUED, MATCHED, MISMATCHED, ACCEPTED, SUPERSEDED = 1, 2, 3, 4, 5
ESTABLISHED, SETTLED, EXPIRED = 1, 2, 3
ZERO = "0x0000000000000000000000000000000000000000"
NO_AMENDMENT = {"proposer": ZERO, "dueDate": 0, "expiry": 0, "amount": 0}


class Model:
    def __init__(self) -> None:
        self.orders: dict[int, dict[str, Any]] = {}
        self.invoices: dict[int, dict[str, Any]] = {}
        self.current: dict[int, int] = {}
        self.undertakings: dict[int, dict[str, Any]] = {}
        self.pending: dict[int, dict[str, Any]] = {}
        self.undertaking_of: dict[int, int] = {}

    def apply(self, event: Event) -> None:
        a = event.args
        name = event.name
        if name == "OrderCreated":
            self.orders[a["orderId"]] = a
        elif name == "InvoiceIssued":
            order = self.orders[a["orderId"]]
            self.invoices[a["invoiceId"]] = {
                "orderId": a["orderId"],
                "seller": a["seller"],
                "buyer": order["buyer"],
                "currency": a["currency"],
                "state": ISSUED,
                "version": a["version"],
                "issueDate": a["data"]["issueDate"],
                "matchedAt": 0,
                "amount": a["data"]["amount"],
                "quantityTotal": a["data"]["quantityTotal"],
                "invoiceHash": a["data"]["invoiceHash"],
                "linesHash": a["data"]["linesHash"],
                "matchReportHash": b"\0" * 32,
                "supersedes": a["supersedes"],
            }
            self.current[a["orderId"]] = a["invoiceId"]
        elif name == "InvoiceSuperseded":
            self.invoices[a["invoiceId"]]["state"] = SUPERSEDED
        elif name == "InvoiceMatchRecorded":
            invoice = self.invoices[a["invoiceId"]]
            invoice["state"] = MATCHED if a["matched"] else MISMATCHED
            invoice["matchReportHash"] = a["reportHash"]
            invoice["matchedAt"] = a["matchedAt"] if a["matched"] else 0
        elif name == "InvoiceMismatchAccepted":
            self.invoices[a["invoiceId"]].update(state=ACCEPTED, matchedAt=a["acceptedAt"])
        elif name == "UndertakingEstablished":
            order = self.orders[a["orderId"]]
            self.undertakings[a["undertakingId"]] = {
                "orderId": a["orderId"],
                "obligorBank": a["obligorBank"],
                "recipientBank": a["recipientBank"],
                "buyer": order["buyer"],
                "seller": order["seller"],
                "payee": order["seller"],
                "currency": a["currency"],
                "state": ESTABLISHED,
                "amendmentCount": 0,
                "dueDate": a["dueDate"],
                "expiry": a["expiry"],
                "settledAt": 0,
                "amount": a["amount"],
                "termsHash": a["termsHash"],
                "financedDocumentId": 0,
            }
            self.undertaking_of[a["orderId"]] = a["undertakingId"]
        elif name == "UndertakingAmendmentProposed":
            self.pending[a["undertakingId"]] = {
                "proposer": a["proposer"],
                "dueDate": a["dueDate"],
                "expiry": a["expiry"],
                "amount": a["amount"],
            }
        elif name == "UndertakingAmended":
            self.pending.pop(a["undertakingId"])
            self.undertakings[a["undertakingId"]].update(
                amendmentCount=a["amendmentCount"], amount=a["amount"], dueDate=a["dueDate"], expiry=a["expiry"]
            )
        elif name == "UndertakingProceedsAssigned":
            self.undertakings[a["undertakingId"]].update(payee=a["financier"], financedDocumentId=a["documentId"])
        elif name == "UndertakingSettled":
            self.undertakings[a["undertakingId"]].update(state=SETTLED, settledAt=a["settledAt"])
        elif name == "UndertakingExpired":
            self.undertakings[a["undertakingId"]]["state"] = EXPIRED
            self.pending.pop(a["undertakingId"], None)


class TestOpenAccountEventReplay:
    def test_replayed_events_reproduce_every_getter(self, world: World) -> None:
        exercise_every_event(world)
        model = Model()
        names: set[str] = set()
        for event in world.logs():
            if event.contract in (INVOICES, UNDERTAKINGS) or event.name == "OrderCreated":
                model.apply(event)
                names.add(event.name)
        for contract in (INVOICES, UNDERTAKINGS):
            emitted = {e["name"] for e in world[contract].codec.abi if e["type"] == "event"}
            assert emitted - names == set(), "the scenario must exercise every event"

        assert world.call(INVOICES, "invoiceCount") == len(model.invoices)
        for invoice_id, expected in model.invoices.items():
            assert world.call(INVOICES, "invoice", invoice_id) == expected, invoice_id
        for order_id in model.orders:
            current = model.current.get(order_id, 0)
            assert world.call(INVOICES, "currentInvoiceOf", order_id) == current
            matched = model.invoices[current]["matchedAt"] if current else 0
            assert world.call(INVOICES, "matchedAt", order_id) == matched
            assert world.call(UNDERTAKINGS, "undertakingOf", order_id) == model.undertaking_of.get(order_id, 0)
        assert world.call(UNDERTAKINGS, "undertakingCount") == len(model.undertakings)
        for undertaking_id, expected in model.undertakings.items():
            assert world.call(UNDERTAKINGS, "undertaking", undertaking_id) == expected, undertaking_id
            pending = model.pending.get(undertaking_id, NO_AMENDMENT)
            assert world.call(UNDERTAKINGS, "pendingAmendment", undertaking_id) == pending
