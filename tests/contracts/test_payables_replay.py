"""Event completeness for PayablesFinance (checklist A12): replaying its events (with each event's block time)
through a pure model reproduces every getter field for field."""

from __future__ import annotations

from typing import Any

from tests.contracts.helpers import Event, World
from tests.contracts.lc_support import start_on_monday
from tests.contracts.payables_support import PAYABLES, payables_scenario

APPROVED, FINANCED, OVERDUE, PAID = 1, 2, 3, 4
ZERO = "0x0000000000000000000000000000000000000000"


class Model:
    def __init__(self) -> None:
        self.payables: dict[int, dict[str, Any]] = {}
        self.payable_of: dict[int, int] = {}

    def apply(self, event: Event, timestamp: int) -> None:
        a = event.args
        if event.name == "PayableApproved":
            self.payables[a["payableId"]] = {
                "invoiceId": a["invoiceId"],
                "buyer": a["buyer"],
                "supplier": a["supplier"],
                "financier": ZERO,
                "currency": a["currency"],
                "state": APPROVED,
                "dayCount": 0,
                "rateBps": 0,
                "maturity": a["maturity"],
                "financedAt": 0,
                "paidAt": 0,
                "amount": a["amount"],
                "advance": 0,
                "documentId": 0,
                "termsHash": a["termsHash"],
            }
            self.payable_of[a["invoiceId"]] = a["payableId"]
        elif event.name == "PayableFinanced":
            self.payables[a["payableId"]].update(
                state=FINANCED,
                financier=a["financier"],
                documentId=a["documentId"],
                rateBps=a["rateBps"],
                dayCount=a["dayCount"],
                advance=a["advance"],
                financedAt=timestamp,
            )
        elif event.name == "PayableOverdue":
            self.payables[a["payableId"]]["state"] = OVERDUE
        elif event.name == "PayablePaid":
            self.payables[a["payableId"]].update(state=PAID, paidAt=a["at"])


class TestPayablesEventReplay:
    def test_replayed_events_reproduce_every_getter(self, world: World) -> None:
        start_on_monday(world)
        payables_scenario(world)
        model = Model()
        names: set[str] = set()
        for event in world.logs():
            if event.contract == PAYABLES:
                block = world.chain.rpc("eth_getBlockByNumber", hex(event.block), False)
                model.apply(event, int(block["timestamp"], 16))
                names.add(event.name)
        emitted = {e["name"] for e in world[PAYABLES].codec.abi if e["type"] == "event"}
        assert emitted - names == set(), "the scenario must exercise every event"
        assert world.call(PAYABLES, "payableCount") == len(model.payables)
        for payable_id, expected in model.payables.items():
            assert world.call(PAYABLES, "getPayable", payable_id) == expected, payable_id
        for invoice_id, payable_id in model.payable_of.items():
            assert world.call(PAYABLES, "payableOf", invoice_id) == payable_id
