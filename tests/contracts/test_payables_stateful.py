"""Hypothesis stateful test of PayablesFinance: random calls by every party (the buyer, the supplier, three banks,
the auditor) against a pure model.

The model predicts, for every call, whether it must succeed; refused calls are checked to revert (`eth_call`),
accepted ones are sent and must succeed. After every step the chain's payables equal the model's, PAID never
changes, every transition is an edge of the graph in IPayablesFinance, the registry document of a financed payable
is FINANCED until the buyer pays and REPAID after, and each payment moved exactly the payable's amount from the
buyer to the payee, once. Maturities are midnights and the warps whole days from 10:00 UTC, so no block crosses one.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass
from typing import Any, ClassVar

from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from tests.contracts.helpers import DOCUMENT_STATES, USD, World, stateful_settings
from tests.contracts.lc_support import balance, start_on_monday
from tests.contracts.openaccount_support import BUYER, DAY, FINANCIER, ORDER_AMOUNT, SELLER, issue_invoice
from tests.contracts.payables_support import (
    PAYABLE_STATES,
    PAYABLES,
    empty_account,
    expected_advance,
    invoice_document,
    matched_invoice,
    maturity_in,
)

BANKS = ("bank", FINANCIER, "sponsor_bank")
CALLERS = (BUYER, SELLER, *BANKS, "auditor")
EXAMPLES = int(os.environ.get("TRADELEDGER_PAYABLES_STATEFUL_EXAMPLES", "20"))
WHO = st.integers(0, 9)  # 0-4: the party the step belongs to; 5-9: any caller of CALLERS (5-7 for the steps
# that need more of their own party to reach every edge)
INDEX = st.integers(0, 7)
EDGES = {
    ("NONE", "APPROVED"): "approve",
    ("APPROVED", "FINANCED"): "finance",
    ("APPROVED", "PAID"): "collect",
    ("FINANCED", "PAID"): "collect",
    ("OVERDUE", "PAID"): "collect",
    ("APPROVED", "OVERDUE"): "collect",
    ("FINANCED", "OVERDUE"): "collect",
    ("OVERDUE", "OVERDUE"): "collect",  # still short: PayableOverdue again, no transition
}


@dataclass
class Pay:
    payable_id: int
    amount: int
    maturity: int
    state: str = "APPROVED"
    financier: str | None = None
    document_id: int = 0


class PayablesMachine(RuleBasedStateMachine):
    world: ClassVar[World]
    edges_seen: ClassVar[set[tuple[str, str]]] = set()
    calls: ClassVar[Counter[tuple[str, bool]]] = Counter()

    def __init__(self) -> None:
        super().__init__()
        self.world.reset()
        start_on_monday(self.world)
        self.invoices: dict[int, bool] = {}  # invoice id -> matched
        self.approved: set[int] = set()
        self.payables: list[Pay] = []

    @property
    def now(self) -> int:
        return self.world.chain.timestamp()

    def _call(self, ok: bool, actor: str, function: str, *args: Any) -> Any:
        self.calls[function, ok] += 1
        if not ok:
            error = self.world.error(actor, PAYABLES, function, *args)
            assert error is not None, f"{function} by {actor} must be refused"
            return None
        return self.world.tx(actor, PAYABLES, function, *args)

    @staticmethod
    def _who(who: int, party: str) -> str:
        return party if who < 5 else CALLERS[who % len(CALLERS)]

    def _pick(self, index: int, *states: str) -> Pay | None:
        candidates = [p for p in self.payables if not states or p.state in states]
        return candidates[index % len(candidates)] if candidates else None

    @initialize()
    def first_invoice(self) -> None:
        self.invoices[matched_invoice(self.world)] = True

    @rule(matched=st.sampled_from([True, True, False]))
    def new_invoice(self, matched: bool) -> None:
        invoice_id = matched_invoice(self.world) if matched else issue_invoice(self.world)
        self.invoices[invoice_id] = matched

    @rule(
        index=INDEX, who_=st.integers(0, 7), days=st.integers(0, 40), over=st.sampled_from([False, False, False, True])
    )
    def approve(self, index: int, who_: int, days: int, over: bool) -> None:
        fresh = sorted(i for i in self.invoices if i not in self.approved)
        if not fresh:  # every invoice has its payable: the buyer gets a new matched one to approve
            fresh = [matched_invoice(self.world)]
            self.invoices[fresh[0]] = True
        invoice_id = fresh[index % len(fresh)] if index < 6 else sorted(self.invoices)[index % len(self.invoices)]
        who = self._who(who_, BUYER)
        amount = ORDER_AMOUNT + 1 if over else ORDER_AMOUNT - index
        maturity = maturity_in(self.world, days)
        ok = who == BUYER and self.invoices[invoice_id] and invoice_id not in self.approved and not over and days > 0
        receipt = self._call(ok, who, "approve", invoice_id, amount, maturity, self.world.unique("terms"))
        if receipt is not None:
            self.approved.add(invoice_id)
            self.payables.append(Pay(receipt.event("PayableApproved")["payableId"], amount, maturity))
            self.edges_seen.add(("NONE", "APPROVED"))

    @rule(index=INDEX, who_=st.integers(0, 7), rate=st.sampled_from([0, 1, 450, 450, 10_000, 10_001]),
          act_365=st.booleans(), off=st.sampled_from([0, 0, 0, 0, -1, 1]))  # fmt: skip
    def finance(self, index: int, who_: int, rate: int, act_365: bool, off: int) -> None:
        payable = self._pick(index, "APPROVED") if index < 6 else self._pick(index)
        if payable is None:
            return
        who = self._who(who_, FINANCIER)
        document_id = invoice_document(self.world, registrar=who if who in BANKS else FINANCIER, face=payable.amount)
        day_count = int(act_365)
        days = payable.maturity // DAY - (self.now + 1) // DAY
        priced = days >= 0  # past maturity there is no discount to compute: any advance is refused
        advance = (
            expected_advance(self.world, payable.payable_id, min(rate, 10_000), day_count) if priced else 1
        ) + off
        ok = (who in BANKS and payable.state == "APPROVED" and days >= 1 and rate <= 10_000 and off == 0
              and advance > 0)  # fmt: skip
        supplier = balance(self.world, SELLER)
        if self._call(ok, who, "finance", payable.payable_id, document_id, rate, day_count, advance) is not None:
            assert balance(self.world, SELLER) - supplier == advance
            self.edges_seen.add(("APPROVED", "FINANCED"))
            payable.state, payable.financier, payable.document_id = "FINANCED", who, document_id

    @rule(index=INDEX, who_=WHO)
    def collect(self, index: int, who_: int) -> None:
        payable = self._pick(index)
        if payable is not None:
            self._collect(payable, self._who(who_, BUYER if who_ % 2 else payable.financier or SELLER))

    @precondition(lambda self: any(p.state != "PAID" for p in self.payables))
    @rule(index=INDEX, by_buyer=st.booleans())
    def collect_at_maturity(self, index: int, by_buyer: bool) -> None:
        """What the scheduler does: wait for the maturity day (whole days of chain time), then collect as the buyer
        or the payee."""
        payable = self._pick(index, "APPROVED", "FINANCED", "OVERDUE")
        assert payable is not None
        if self.now + 1 < payable.maturity:
            self.world.chain.increase_time(-(-(payable.maturity - self.now) // DAY) * DAY)
        self._collect(payable, BUYER if by_buyer else payable.financier or SELLER)

    def _collect(self, payable: Pay, who: str) -> None:
        payee = payable.financier or SELLER
        due = self.now + 1 >= payable.maturity
        ok = payable.state in ("APPROVED", "FINANCED", "OVERDUE") and who in (BUYER, payee) and due
        buyer, received = balance(self.world, BUYER), balance(self.world, payee)
        if self._call(ok, who, "collect", payable.payable_id) is None:
            return
        after = "PAID" if buyer >= payable.amount else "OVERDUE"
        self.edges_seen.add((payable.state, after))
        payable.state = after
        moved = payable.amount if after == "PAID" else 0
        assert (buyer - balance(self.world, BUYER), balance(self.world, payee) - received) == (moved, moved)

    @precondition(lambda self: any(p.state == "OVERDUE" for p in self.payables))
    @rule(index=INDEX)
    def overdue_buyer_pays_once_funded(self, index: int) -> None:
        payable = self._pick(index, "OVERDUE")
        assert payable is not None
        self.buyer_funded()
        self._collect(payable, BUYER)

    @rule(keep=st.sampled_from([0, ORDER_AMOUNT - 1]))
    def buyer_spends(self, keep: int) -> None:
        empty_account(self.world, BUYER, keep=keep)

    @rule()
    def buyer_funded(self) -> None:
        self.world.tx("sponsor_bank", "Settlement", "issue", self.world.address(BUYER), USD, 2 * ORDER_AMOUNT,
                      self.world.unique("fund"))  # fmt: skip

    @precondition(lambda self: bool(self.payables))
    @rule(days=st.integers(1, 30))
    def warp(self, days: int) -> None:
        self.world.chain.increase_time(days * DAY)

    @invariant()
    def chain_matches_model(self) -> None:
        assert self.world.call(PAYABLES, "payableCount") == len(self.payables)
        for payable in self.payables:
            onchain = self.world.call(PAYABLES, "getPayable", payable.payable_id)
            assert PAYABLE_STATES[onchain["state"]] == payable.state, payable
            assert onchain["amount"] == payable.amount and onchain["maturity"] == payable.maturity
            financier = "0x" + "00" * 20 if payable.financier is None else self.world.address(payable.financier)
            assert (onchain["financier"], onchain["documentId"]) == (financier, payable.document_id)
            if payable.document_id:
                document = self.world.call("DocumentRegistry", "document", payable.document_id)
                expected = "REPAID" if payable.state == "PAID" else "FINANCED"
                assert DOCUMENT_STATES[document["state"]] == expected, payable


def test_payables_state_machine(world: World) -> None:
    """Random sequences by buyer, supplier, three banks and the auditor keep the graph and the money exact."""
    PayablesMachine.world = world
    PayablesMachine.edges_seen.clear()
    run_state_machine_as_test(
        PayablesMachine,
        settings=stateful_settings(EXAMPLES, steps=60),
    )
    print("edges exercised:", sorted(PayablesMachine.edges_seen))
    print("calls (function, succeeded):", sorted(PayablesMachine.calls.items()))
    assert all(edge in EDGES for edge in PayablesMachine.edges_seen)
    if EXAMPLES >= 20:  # the default budget walks every edge of the graph
        assert PayablesMachine.edges_seen == set(EDGES)
