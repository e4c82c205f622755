"""Hypothesis stateful test of Undertakings: random calls by random actors against a pure Python model.

The model predicts, for every call, whether it must succeed (right party, right state, right dates and amounts)
and what it changes. Calls the model rejects are checked to revert (by `eth_call`); calls it accepts are sent
and must succeed. After every step:

- each undertaking's state, paid, reduced, reserved and open demands equal the model's, and paid + reduced +
  reserved never exceeds the amount;
- every `UndertakingStateChanged` is an edge of the graph, made by that edge's function;
- terminal states never change;
- the beneficiary's balance rose by exactly what was paid (no demand is paid twice).

Deadlines are read from the chain (the calendar rules have their own named tests); time moves in whole hours
from a Monday 10:00 UTC and expiries sit at 12:30, so block drift cannot cross a boundary.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
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

from tests.contracts.helpers import USD, Receipt, World, stateful_settings
from tests.contracts.lc_support import start_on_monday, warp
from tests.contracts.undertaking_support import DAY, STATES, UT, ut_terms

CALLERS = ("sponsor_bank", "bank", "another_bank", "trader", "another_trader", "auditor")
APPLICANT, BENEFICIARY, ADVISER = "trader", "another_trader", "bank"
OPERATIVE = frozenset({"ISSUED", "ADVISED"})
TERMINAL = frozenset({"DECLINED", "EXHAUSTED", "EXPIRED", "RELEASED"})
EXAMPLES = int(os.environ.get("TRADELEDGER_UNDERTAKINGS_STATEFUL_EXAMPLES", "40"))
WHO = st.integers(0, 9)  # 0-5: the party the step belongs to; 6-9: another caller
ZERO = "0x" + "00" * 20

EDGES: dict[tuple[str, str], frozenset[str]] = {
    ("NONE", "APPLIED"): frozenset({"applyForUndertaking", "issueUndertaking"}),
    ("APPLIED", "ISSUED"): frozenset({"issue", "issueUndertaking"}),
    ("APPLIED", "DECLINED"): frozenset({"declineApplication"}),
    ("ISSUED", "ADVISED"): frozenset({"advise"}),
    **{(s, "EXHAUSTED"): frozenset({"pay", "enforcePayment", "reduce", "releaseInPart"}) for s in OPERATIVE},
    **{(s, "EXPIRED"): frozenset({"expire"}) for s in OPERATIVE},
    **{(s, "RELEASED"): frozenset({"release"}) for s in OPERATIVE},
}


@dataclass
class Dem:
    amount: int
    deadline: int
    extend_to: int
    state: str = "PRESENTED"
    until: int = 0


@dataclass
class Und:
    uid: int
    guarantor: str
    amount: int
    expiry: int
    state: str
    paid: int = 0
    reduced: int = 0
    demands: dict[int, Dem] = field(default_factory=dict)

    @property
    def reserved(self) -> int:
        return sum(d.amount for d in self.demands.values() if d.state in ("PRESENTED", "SUSPENDED"))

    @property
    def open_count(self) -> int:
        return sum(1 for d in self.demands.values() if d.state in ("PRESENTED", "SUSPENDED"))

    @property
    def available(self) -> int:
        return self.amount - self.paid - self.reduced - self.reserved


class UndertakingsMachine(RuleBasedStateMachine):
    world: World
    edges_seen: ClassVar[set[tuple[str, str]]] = set()
    calls_ok: ClassVar[Counter[str]] = Counter()

    def __init__(self) -> None:
        super().__init__()
        self.world.reset()
        start_on_monday(self.world)
        self.items: list[Und] = []
        self.beneficiary_start = self._balance(BENEFICIARY)
        self.terminal_seen: dict[int, str] = {}

    # ------------------------------------------------------------------------------------------ plumbing

    @property
    def now(self) -> int:
        return self.world.chain.timestamp()

    def _balance(self, actor: str) -> int:
        value: int = self.world.call("Settlement", "balanceOf", self.world.address(actor), USD)
        return value

    def _call(self, ok: bool, actor: str, function: str, *args: Any) -> Receipt | None:
        if not ok:
            error = self.world.error(actor, UT, function, *args)
            assert error is not None, f"{function} by {actor} succeeded; the model says it must fail"
            return None
        receipt = self.world.tx(actor, UT, function, *args)
        self.calls_ok[function] += 1
        for event in receipt.events:
            if event.name == "UndertakingStateChanged":
                edge = (STATES[event.args["from"]], STATES[event.args["to"]])
                assert edge in EDGES and function in EDGES[edge], f"{function} made the edge {edge}"
                self.edges_seen.add(edge)
        return receipt

    @staticmethod
    def _who(who: int, party: str) -> str:
        return party if who < 6 else CALLERS[who % len(CALLERS)]

    def _pick(self, index: int, *states: str) -> Und:
        """An undertaking in one of `states` (any when index is 3, to try wrong states too)."""
        candidates = [u for u in self.items if u.state in states] if states and index != 3 else []
        candidates = candidates or self.items
        return candidates[index % len(candidates)]

    @staticmethod
    def _share(u: Und, share: int) -> int:
        """`share` percent of what is available (at least 1); above 100, one more than is available."""
        return u.available + 1 if share > 100 else max(1, u.available * share // 100)

    def _open(self, index: int) -> Und:
        """An undertaking with an open demand (any when index is 3)."""
        candidates = [u for u in self.items if u.open_count] if index != 3 else []
        return (candidates or self.items)[index % len(candidates or self.items)]

    def _demand(self, u: Und, index: int) -> tuple[int, Dem | None]:
        """An open demand of `u` (any demand when index is 5)."""
        ids = [i for i, d in u.demands.items() if d.state in ("PRESENTED", "SUSPENDED")] if index != 5 else []
        ids = ids or sorted(u.demands)
        if not ids:
            return 1, None
        demand_id = ids[index % len(ids)]
        return demand_id, u.demands[demand_id]

    # ------------------------------------------------------------------------------------------ rules

    @initialize(amount=st.sampled_from([10_000, 250_000]))
    def two_guarantees(self, amount: int) -> None:
        """Two operative guarantees to start from (one advised), so that demands come early."""
        self.create(direct=True, guarantor=0, amount=amount, expiry_days=10, who=0)
        self.create(direct=True, guarantor=1, amount=amount, expiry_days=20, who=0)
        self.advise(index=0, who=0)

    @precondition(lambda self: len(self.items) < 3)
    @rule(
        direct=st.booleans(),
        guarantor=st.integers(0, 1),
        amount=st.integers(1, 300_000),
        expiry_days=st.integers(1, 25),
        who=WHO,
    )
    def create(self, *, direct: bool, guarantor: int, amount: int, expiry_days: int, who: int) -> None:
        bank = ("sponsor_bank", "another_bank")[guarantor]
        expiry = (self.now // DAY + expiry_days) * DAY + 12 * 3600 + 1800
        terms = ut_terms(
            self.world,
            guarantor=self.world.address(bank),
            advisingParty=self.world.address(ADVISER),
            amount=amount,
            expiry=expiry,
        )
        if direct:
            caller = self._who(who, bank)
            receipt = self._call(caller == bank, caller, "issueUndertaking", terms, self.world.address(APPLICANT))
        else:
            caller = self._who(who, APPLICANT)
            receipt = self._call(caller == APPLICANT, caller, "applyForUndertaking", terms)
        if receipt is not None:
            uid = receipt.event("UndertakingCreated")["undertakingId"]
            self.items.append(Und(uid, bank, amount, expiry, "ISSUED" if direct else "APPLIED"))

    @rule(index=st.integers(0, 3), who=WHO, decline=st.booleans())
    def issue_or_decline(self, index: int, who: int, decline: bool) -> None:
        u = self._pick(index, "APPLIED")
        caller = self._who(who, u.guarantor)
        function = "declineApplication" if decline else "issue"
        ok = caller == u.guarantor and u.state == "APPLIED" and (decline or u.expiry > self.now)
        if self._call(ok, caller, function, u.uid):
            u.state = "DECLINED" if decline else "ISSUED"

    @rule(index=st.integers(0, 3), who=WHO)
    def advise(self, index: int, who: int) -> None:
        u = self._pick(index, "ISSUED")
        caller = self._who(who, ADVISER)
        if self._call(caller == ADVISER and u.state == "ISSUED", caller, "advise", u.uid):
            u.state = "ADVISED"

    @rule(index=st.integers(0, 3), who=WHO, share=st.integers(1, 110), extend=st.booleans())
    def demand(self, index: int, who: int, share: int, extend: bool) -> None:
        u = self._pick(index, *OPERATIVE)
        amount = self._share(u, share)
        caller = self._who(who, BENEFICIARY)
        extend_to = u.expiry + 30 * DAY if extend else 0
        ok = (
            caller == BENEFICIARY
            and u.state in OPERATIVE
            and self.now // DAY <= u.expiry // DAY
            and amount <= u.available
        )
        statement = self.world.unique("statement")
        receipt = self._call(ok, caller, "demand", u.uid, [self.world.unique("doc")], statement, amount, extend_to)
        if receipt is not None:
            event = receipt.event("DemandPresented")
            u.demands[event["demandId"]] = Dem(amount, event["deadline"], extend_to)

    @precondition(lambda self: any(u.open_count for u in self.items))
    @rule(index=st.integers(0, 3), pick=st.integers(0, 5), who=WHO, action=st.integers(0, 3))
    def decide(self, index: int, pick: int, who: int, action: int) -> None:
        u = self._open(index)
        demand_id, d = self._demand(u, pick)
        caller = self._who(who, u.guarantor)
        guarantor = caller == u.guarantor and d is not None
        in_time = d is not None and self.now <= d.deadline
        if action == 0:
            ok = guarantor and d is not None and d.state in ("PRESENTED", "SUSPENDED")
            if self._call(ok, caller, "pay", u.uid, demand_id) and d is not None:
                self._paid(u, d)
        elif action == 1:
            ok = guarantor and d is not None and d.state == "PRESENTED" and in_time
            if self._call(ok, caller, "reject", u.uid, demand_id, [self.world.unique("discrepancy")]) and d:
                d.state = "REJECTED"
        elif action == 2:
            until = self.now + 3 * DAY
            ok = guarantor and d is not None and d.state == "PRESENTED" and d.extend_to != 0 and in_time
            if self._call(ok, caller, "suspendForExtension", u.uid, demand_id, until) and d:
                d.state, d.until = "SUSPENDED", until
        else:
            ok = guarantor and d is not None and d.state == "SUSPENDED" and u.state in OPERATIVE
            ok = ok and d is not None and d.extend_to > u.expiry
            if self._call(ok, caller, "extendForDemand", u.uid, demand_id) and d:
                d.state, u.expiry = "WITHDRAWN", d.extend_to

    @rule(index=st.integers(0, 3), pick=st.integers(0, 5), who=WHO)
    def enforce(self, index: int, pick: int, who: int) -> None:
        u = self._open(index)
        demand_id, d = self._demand(u, pick)
        caller = self._who(who, BENEFICIARY)
        ok = caller == BENEFICIARY and d is not None
        ok = (
            ok
            and d is not None
            and ((d.state == "PRESENTED" and self.now > d.deadline) or (d.state == "SUSPENDED" and self.now > d.until))
        )
        if self._call(ok, caller, "enforcePayment", u.uid, demand_id) and d:
            self._paid(u, d)

    def _paid(self, u: Und, d: Dem) -> None:
        d.state = "PAID"
        u.paid += d.amount
        if u.state in OPERATIVE and u.amount == u.paid + u.reduced:
            u.state = "EXHAUSTED"

    @rule(index=st.integers(0, 3), who=WHO, share=st.integers(1, 110), released=st.booleans())
    def reduce(self, index: int, who: int, share: int, released: bool) -> None:
        """The guarantor on a stated reduction event (URDG 13), or the beneficiary's partial release (URDG 25)."""
        u = self._pick(index, *OPERATIVE)
        amount = self._share(u, share)
        party, function = (BENEFICIARY, "releaseInPart") if released else (u.guarantor, "reduce")
        caller = self._who(who, party)
        ok = caller == party and u.state in OPERATIVE and amount <= u.available
        if self._call(ok, caller, function, u.uid, amount, self.world.unique("reduction")):
            u.reduced += amount
            if u.amount == u.paid + u.reduced:
                u.state = "EXHAUSTED"

    @rule(index=st.integers(0, 3), who=WHO, release=st.booleans())
    def end(self, index: int, who: int, release: bool) -> None:
        u = self._pick(index, *OPERATIVE)
        if release:
            caller = self._who(who, BENEFICIARY)
            ok = caller == BENEFICIARY and u.state in OPERATIVE and u.open_count == 0
            if self._call(ok, caller, "release", u.uid):
                u.state = "RELEASED"
            return
        caller = CALLERS[who % len(CALLERS)]
        parties = {APPLICANT, BENEFICIARY, ADVISER, u.guarantor}
        ok = caller in parties and u.state in OPERATIVE and self.now // DAY > u.expiry // DAY
        if self._call(ok, caller, "expire", u.uid):
            u.state = "EXPIRED"

    @rule(hours=st.sampled_from([5, 24, 72, 24 * 7]))
    def time_passes(self, hours: int) -> None:
        warp(self.world, self.now + hours * 3600)

    # ------------------------------------------------------------------------------------------ invariants

    @invariant()
    def chain_matches_model(self) -> None:
        for u in self.items:
            onchain = self.world.call(UT, "getUndertaking", u.uid)
            state = STATES[onchain["state"]]
            assert state == u.state, f"undertaking {u.uid}: chain {state}, model {u.state}"
            got = (onchain["paid"], onchain["reduced"], onchain["reserved"], onchain["openDemandCount"])
            assert got == (u.paid, u.reduced, u.reserved, u.open_count)
            assert onchain["terms"]["expiry"] == u.expiry
            assert u.paid + u.reduced + u.reserved <= u.amount
            if u.uid in self.terminal_seen:
                assert state == self.terminal_seen[u.uid], "a terminal state changed"
            if state in TERMINAL:
                self.terminal_seen[u.uid] = state
        paid = sum(u.paid for u in self.items)
        assert self._balance(BENEFICIARY) == self.beneficiary_start + paid


def test_undertakings_state_machine(world: World) -> None:
    """Random sequences by 3 banks and 2 traders keep every invariant of the undertakings."""
    UndertakingsMachine.world = world
    UndertakingsMachine.edges_seen.clear()
    run_state_machine_as_test(
        UndertakingsMachine,
        settings=stateful_settings(EXAMPLES, steps=20),
    )
    print("calls succeeded:", dict(UndertakingsMachine.calls_ok))
    print("edges exercised:", sorted(UndertakingsMachine.edges_seen))
    assert len(UndertakingsMachine.edges_seen) >= 5, UndertakingsMachine.edges_seen
