"""Hypothesis stateful test of Invoices and PaymentUndertakings: random calls by every party (the buyer, the
seller, the obligor, recipient and financing banks, the auditor) against a pure model.

The model predicts, for every call, whether it must succeed; refused calls are checked to revert (`eth_call`),
accepted ones are sent and must succeed. After every step the chain's invoices and undertakings equal the
model's, terminal states never change, every transition is an edge of the graphs in IInvoices and
IPaymentUndertakings, and the undertakings moved exactly the money the model expects (each paid at most once).
Dates the contracts compare sit half a day away from whole-day warps, so block-time drift cannot cross them.
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

from tests.contracts.helpers import USD, World, stateful_settings
from tests.contracts.openaccount_support import (
    BUYER,
    DAY,
    FINANCIER,
    INVOICE_STATES,
    INVOICES,
    OBLIGOR,
    ORDER_AMOUNT,
    RECIPIENT,
    SELLER,
    UNDERTAKING_STATES,
    UNDERTAKINGS,
    invoice_data,
    open_account_order,
)

CALLERS = (BUYER, SELLER, OBLIGOR, RECIPIENT, FINANCIER, "auditor")
BANKS = (OBLIGOR, RECIPIENT, FINANCIER)
ACCOUNTS = (BUYER, SELLER, *BANKS)
EXAMPLES = int(os.environ.get("TRADELEDGER_OPEN_ACCOUNT_STATEFUL_EXAMPLES", "10"))
WHO = st.integers(0, 9)  # 0-5: the party the step belongs to; 6-9: any caller of CALLERS
INDEX = st.integers(0, 7)
HALF = DAY // 2

INVOICE_EDGES = {
    ("NONE", "ISSUED"): {"issueInvoice", "correctInvoice"},
    ("ISSUED", "MATCHED"): {"recordMatch"},
    ("ISSUED", "MISMATCHED"): {"recordMatch"},
    ("MISMATCHED", "ACCEPTED"): {"acceptMismatch"},
    ("ISSUED", "SUPERSEDED"): {"correctInvoice"},
    ("MISMATCHED", "SUPERSEDED"): {"correctInvoice"},
}
UNDERTAKING_EDGES = {
    ("NONE", "ESTABLISHED"): {"establish"},
    ("ESTABLISHED", "SETTLED"): {"settle"},
    ("ESTABLISHED", "EXPIRED"): {"expire"},
}
TERMINAL = {"MATCHED", "ACCEPTED", "SUPERSEDED", "SETTLED", "EXPIRED"}


@dataclass
class Inv:
    invoice_id: int
    order_id: int
    state: str = "ISSUED"
    report: bytes = b"\0" * 32
    matched_at: int = 0
    version: int = 1


@dataclass
class Und:
    undertaking_id: int
    order_id: int
    amount: int
    due: int
    expiry: int
    state: str = "ESTABLISHED"
    payee: str = SELLER
    pending: tuple[str, int, int, int] | None = None  # proposer, amount, due, expiry
    accepted: tuple[int, int] | None = None  # the obligor bank's mismatch acceptance: invoice id, when


class OpenAccountMachine(RuleBasedStateMachine):
    world: ClassVar[World]
    edges_seen: ClassVar[set[tuple[str, str]]] = set()
    calls: ClassVar[Counter[tuple[str, bool]]] = Counter()

    def __init__(self) -> None:
        super().__init__()
        self.world.reset()
        self.orders: list[int] = []
        self.invoices: dict[int, Inv] = {}
        self.current: dict[int, int] = {}
        self.undertakings: dict[int, Und] = {}
        self.live: dict[int, int] = {}
        self.balances = {a: self._balance(a) for a in ACCOUNTS}
        self.terminal: dict[tuple[str, int], str] = {}

    # ------------------------------------------------------------------------------------------ plumbing

    @property
    def now(self) -> int:
        return self.world.chain.timestamp()

    def _balance(self, actor: str) -> int:
        value: int = self.world.call("Settlement", "balanceOf", self.world.address(actor), USD)
        return value

    def _call(self, ok: bool, actor: str, contract: str, function: str, *args: Any) -> Any:
        self.calls[(function, ok)] += 1
        if not ok:
            error = self.world.error(actor, contract, function, *args)
            assert error is not None, f"{contract}.{function} by {actor} succeeded; the model says it must fail"
            return None
        return self.world.tx(actor, contract, function, *args)

    @staticmethod
    def _who(who: int, *parties: str) -> str:
        return parties[who % len(parties)] if who < 6 else CALLERS[who % len(CALLERS)]

    @staticmethod
    def _pick(items: list[Any], index: int, *states: str) -> Any:
        """One of `items` in one of `states` when there is one (any item when index is 7, to try wrong states)."""
        candidates = [item for item in items if item.state in states] if index != 7 else []
        candidates = candidates or items
        return candidates[index % len(candidates)]

    def _matched_at(self, und: Und) -> int:
        """URBPO 750: the current invoice MATCHED, or the obligor bank accepted its mismatch (not the buyer alone)."""
        current = self.current.get(und.order_id)
        if not current:
            return 0
        if self.invoices[current].state == "MATCHED":
            return self.invoices[current].matched_at
        return und.accepted[1] if und.accepted and und.accepted[0] == current else 0

    def _record_edges(self, receipt: Any, function: str, kind: str, before: str, after: str) -> None:
        edges = INVOICE_EDGES if kind == "invoice" else UNDERTAKING_EDGES
        assert function in edges[(before, after)], (function, before, after)
        self.edges_seen.add((before, after))

    # ------------------------------------------------------------------------------------------ rules

    @initialize()
    def first_order(self) -> None:
        self.orders.append(open_account_order(self.world, steps=3))

    @precondition(lambda self: len(self.orders) < 2)  # few orders, so that steps meet on the same ones
    @rule(steps=st.integers(1, 3))
    def new_order(self, steps: int) -> None:
        self.orders.append(open_account_order(self.world, steps=steps))

    @precondition(lambda self: self.orders)
    @rule(index=INDEX, who_=WHO)
    def issue_invoice(self, index: int, who_: int) -> None:
        who = self._who(who_, SELLER)
        order_id = self.orders[index % len(self.orders)]
        ok = who == SELLER and order_id not in self.current
        receipt = self._call(ok, who, INVOICES, "issueInvoice", order_id, invoice_data(self.world))
        if receipt is not None:
            invoice_id = receipt.event("InvoiceIssued")["invoiceId"]
            self.invoices[invoice_id] = Inv(invoice_id, order_id)
            self.current[order_id] = invoice_id
            self._record_edges(receipt, "issueInvoice", "invoice", "NONE", "ISSUED")

    @precondition(lambda self: self.invoices)
    @rule(index=INDEX, who_=WHO)
    def correct_invoice(self, index: int, who_: int) -> None:
        who = self._who(who_, SELLER)
        invoice = self._pick(list(self.invoices.values()), index, "ISSUED", "MISMATCHED")
        ok = who == SELLER and invoice.state in ("ISSUED", "MISMATCHED")
        receipt = self._call(ok, who, INVOICES, "correctInvoice", invoice.invoice_id, invoice_data(self.world))
        if receipt is not None:
            successor = receipt.event("InvoiceIssued")
            assert successor["supersedes"] == invoice.invoice_id
            self._record_edges(receipt, "correctInvoice", "invoice", invoice.state, "SUPERSEDED")
            invoice.state = "SUPERSEDED"
            new = Inv(successor["invoiceId"], invoice.order_id, version=invoice.version + 1)
            assert successor["version"] == new.version
            self.invoices[new.invoice_id] = new
            self.current[invoice.order_id] = new.invoice_id

    @precondition(lambda self: self.invoices)
    @rule(index=INDEX, who_=WHO, matched=st.booleans())
    def record_match(self, index: int, who_: int, matched: bool) -> None:
        who = self._who(who_, BUYER, SELLER)
        invoice = self._pick(list(self.invoices.values()), index, "ISSUED")
        report = self.world.unique("report")
        ok = who in (BUYER, SELLER) and invoice.state == "ISSUED"
        receipt = self._call(ok, who, INVOICES, "recordMatch", invoice.invoice_id, matched, report)
        if receipt is not None:
            after = "MATCHED" if matched else "MISMATCHED"
            self._record_edges(receipt, "recordMatch", "invoice", invoice.state, after)
            invoice.state, invoice.report = after, report
            invoice.matched_at = receipt.event("InvoiceMatchRecorded")["matchedAt"] if matched else 0

    @precondition(lambda self: any(invoice.state == "MISMATCHED" for invoice in self.invoices.values()))
    @rule(index=INDEX, who_=WHO, right_report=st.booleans())
    def accept_mismatch(self, index: int, who_: int, right_report: bool) -> None:
        who = self._who(who_, BUYER)
        invoice = self._pick(list(self.invoices.values()), index, "MISMATCHED")
        report = invoice.report if right_report else self.world.unique("other")
        ok = who == BUYER and invoice.state == "MISMATCHED" and right_report
        receipt = self._call(ok, who, INVOICES, "acceptMismatch", invoice.invoice_id, report)
        if receipt is not None:
            self._record_edges(receipt, "acceptMismatch", "invoice", "MISMATCHED", "ACCEPTED")
            invoice.state = "ACCEPTED"
            invoice.matched_at = receipt.event("InvoiceMismatchAccepted")["acceptedAt"]

    @precondition(lambda self: self.orders)
    @rule(index=INDEX, who_=WHO, due_days=st.integers(0, 10), expiry_days=st.integers(0, 10))
    def establish(self, index: int, who_: int, due_days: int, expiry_days: int) -> None:
        who = self._who(who_, OBLIGOR)
        order_id = self.orders[index % len(self.orders)]
        now = self.now
        due, expiry = now + due_days * DAY + HALF, now + expiry_days * DAY + HALF
        live = self.live.get(order_id)
        free = live is None or self.undertakings[live].state == "EXPIRED"
        ok = who == OBLIGOR and free
        args = (order_id, self.world.address(RECIPIENT), ORDER_AMOUNT, due, expiry, self.world.unique("t"))
        receipt = self._call(ok, who, UNDERTAKINGS, "establish", *args)
        if receipt is not None:
            undertaking_id = receipt.event("UndertakingEstablished")["undertakingId"]
            self.undertakings[undertaking_id] = Und(undertaking_id, order_id, ORDER_AMOUNT, due, expiry)
            self.live[order_id] = undertaking_id
            self._record_edges(receipt, "establish", "undertaking", "NONE", "ESTABLISHED")

    @precondition(lambda self: self.undertakings)
    @rule(index=INDEX, who_=WHO, amount=st.integers(1, ORDER_AMOUNT), days=st.integers(0, 20))
    def propose_amendment(self, index: int, who_: int, amount: int, days: int) -> None:
        who = self._who(who_, OBLIGOR, RECIPIENT)
        und = self._pick(list(self.undertakings.values()), index, "ESTABLISHED")
        due = expiry = self.now + days * DAY + HALF
        ok = who in (OBLIGOR, RECIPIENT) and und.state == "ESTABLISHED"
        if self._call(ok, who, UNDERTAKINGS, "proposeAmendment", und.undertaking_id, amount, due, expiry):
            und.pending = (who, amount, due, expiry)

    @precondition(lambda self: self.undertakings)
    @rule(index=INDEX, who_=WHO)
    def consent_to_amendment(self, index: int, who_: int) -> None:
        who = self._who(who_, OBLIGOR, RECIPIENT)
        und = self._pick(list(self.undertakings.values()), index, "ESTABLISHED")
        pending = und.pending
        ok = (
            who in (OBLIGOR, RECIPIENT)
            and und.state == "ESTABLISHED"
            and pending is not None
            and pending[0] != who
            and min(pending[2], pending[3]) > self.now
        )
        if self._call(ok, who, UNDERTAKINGS, "consentToAmendment", und.undertaking_id):
            assert pending is not None
            _, und.amount, und.due, und.expiry = pending
            und.pending = None

    @precondition(lambda self: self.undertakings)
    @rule(index=INDEX, who=st.sampled_from(BANKS))
    def assign_proceeds(self, index: int, who: str) -> None:
        und = self._pick(list(self.undertakings.values()), index, "ESTABLISHED")
        receipt = self.world.tx(
            who, "DocumentRegistry", "registerDocument", self.world.address(SELLER), 0, USD, ORDER_AMOUNT,
            [self.world.unique("fp")],
        )  # fmt: skip
        document_id = receipt.event("DocumentRegistered")["documentId"]
        self.world.tx(who, "DocumentRegistry", "finance", document_id, ORDER_AMOUNT // 2, self.world.unique())
        self.balances[who] -= ORDER_AMOUNT // 2
        self.balances[SELLER] += ORDER_AMOUNT // 2
        ok = und.state == "ESTABLISHED" and und.payee == SELLER
        if self._call(ok, who, UNDERTAKINGS, "assignProceeds", und.undertaking_id, document_id):
            und.payee = who

    def _obligor_accepts_mismatch(self, und: Und, right_report: bool) -> None:
        """URBPO 750: the obligor bank accepts the current invoice's data mismatch (once per invoice version)."""
        current = self.current.get(und.order_id, 0)
        invoice = self.invoices.get(current)
        report = invoice.report if invoice is not None and right_report else self.world.unique("other")
        ok = (
            und.state == "ESTABLISHED"
            and self.now <= und.expiry
            and invoice is not None
            and invoice.state in ("MISMATCHED", "ACCEPTED")
            and right_report
            and (und.accepted is None or und.accepted[0] != current)
        )
        receipt = self._call(ok, OBLIGOR, UNDERTAKINGS, "acceptMismatch", und.undertaking_id, report)
        if receipt is not None:
            und.accepted = (current, receipt.event("UndertakingMismatchAccepted")["acceptedAt"])

    def _payable(self) -> list[Und]:
        """ESTABLISHED undertakings whose data matched (or whose mismatch the obligor bank accepted) by expiry."""
        return [
            und
            for und in self.undertakings.values()
            if und.state == "ESTABLISHED" and 0 < self._matched_at(und) <= und.expiry
        ]

    @precondition(lambda self: self._payable())
    @rule(index=INDEX)
    def scheduler_settles_on_the_due_date(self, index: int) -> None:
        """The service's scheduler: at the due date (the chain's clock) it settles a payable undertaking."""
        payable = self._payable()
        und = payable[index % len(payable)]
        if und.due > self.now:
            self.world.chain.increase_time(und.due - self.now + 60)
        receipt = self._call(True, OBLIGOR, UNDERTAKINGS, "settle", und.undertaking_id)
        self._record_edges(receipt, "settle", "undertaking", "ESTABLISHED", "SETTLED")
        und.state = "SETTLED"
        self.balances[OBLIGOR] -= und.amount
        self.balances[und.payee] += und.amount

    @precondition(lambda self: self.undertakings)
    @rule(index=INDEX, who_=WHO, accept=st.sampled_from((None, True, False)))
    def settle(self, index: int, who_: int, accept: bool | None) -> None:
        """Settlement, after (when `accept` is not None) the obligor bank tries to accept a data mismatch."""
        who = self._who(who_, OBLIGOR, RECIPIENT)
        und = self._pick(list(self.undertakings.values()), index, "ESTABLISHED")
        if accept is not None:
            self._obligor_accepts_mismatch(und, right_report=accept)
        matched = self._matched_at(und)
        ok = (
            who in (OBLIGOR, RECIPIENT)
            and und.state == "ESTABLISHED"
            and self.now >= und.due
            and 0 < matched <= und.expiry
        )
        receipt = self._call(ok, who, UNDERTAKINGS, "settle", und.undertaking_id)
        if receipt is not None:
            self._record_edges(receipt, "settle", "undertaking", "ESTABLISHED", "SETTLED")
            und.state = "SETTLED"
            self.balances[OBLIGOR] -= und.amount
            self.balances[und.payee] += und.amount

    @precondition(lambda self: self.undertakings)
    @rule(index=INDEX, who_=WHO)
    def expire(self, index: int, who_: int) -> None:
        who = self._who(who_, OBLIGOR, RECIPIENT)
        und = self._pick(list(self.undertakings.values()), index, "ESTABLISHED")
        matched = self._matched_at(und)
        ok = (
            who in (OBLIGOR, RECIPIENT)
            and und.state == "ESTABLISHED"
            and self.now > und.expiry
            and not (0 < matched <= und.expiry)
        )
        receipt = self._call(ok, who, UNDERTAKINGS, "expire", und.undertaking_id)
        if receipt is not None:
            self._record_edges(receipt, "expire", "undertaking", "ESTABLISHED", "EXPIRED")
            und.state = "EXPIRED"
            und.pending = None

    @precondition(lambda self: any(u.state == "ESTABLISHED" and u.due > self.now for u in self.undertakings.values()))
    @rule(index=INDEX)
    def warp_to_due_date(self, index: int) -> None:
        """Time passes until the next due date of an undertaking (the scheduler's moment to settle)."""
        und = self._pick([u for u in self.undertakings.values() if u.due > self.now], index, "ESTABLISHED")
        self.world.chain.increase_time(und.due - self.now + 60)

    @rule(days=st.integers(1, 15))
    def warp(self, days: int) -> None:
        self.world.chain.increase_time(days * DAY)

    # ------------------------------------------------------------------------------------------ invariants

    @invariant()
    def chain_matches_model(self) -> None:
        for invoice in self.invoices.values():
            onchain = self.world.call(INVOICES, "invoice", invoice.invoice_id)
            state = INVOICE_STATES[onchain["state"]]
            assert (state, onchain["matchedAt"], onchain["version"]) == (
                invoice.state,
                invoice.matched_at,
                invoice.version,
            )
            self._final(("invoice", invoice.invoice_id), state)
        for order_id, invoice_id in self.current.items():
            assert self.world.call(INVOICES, "currentInvoiceOf", order_id) == invoice_id
        for und in self.undertakings.values():
            onchain = self.world.call(UNDERTAKINGS, "undertaking", und.undertaking_id)
            state = UNDERTAKING_STATES[onchain["state"]]
            assert (state, onchain["amount"], onchain["dueDate"], onchain["expiry"]) == (
                und.state,
                und.amount,
                und.due,
                und.expiry,
            )
            assert onchain["payee"] == self.world.address(und.payee)
            self._final(("undertaking", und.undertaking_id), state)
        assert {a: self._balance(a) for a in ACCOUNTS} == self.balances

    def _final(self, key: tuple[str, int], state: str) -> None:
        if key in self.terminal:
            assert state == self.terminal[key], f"{key} left its terminal state"
        elif state in TERMINAL:
            self.terminal[key] = state


def test_open_account_state_machines(world: World) -> None:
    """Random sequences by buyer, seller, three banks and the auditor keep both graphs and the money exact."""
    OpenAccountMachine.world = world
    OpenAccountMachine.edges_seen.clear()
    run_state_machine_as_test(
        OpenAccountMachine,
        settings=stateful_settings(EXAMPLES, steps=40),
    )
    print("edges exercised:", sorted(OpenAccountMachine.edges_seen))
    print("calls (function, succeeded):", sorted(OpenAccountMachine.calls.items()))
    if EXAMPLES >= 10:  # the default budget walks every edge of both graphs
        assert OpenAccountMachine.edges_seen == set(INVOICE_EDGES) | set(UNDERTAKING_EDGES)
