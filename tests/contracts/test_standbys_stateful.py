"""Hypothesis stateful test of ISP98 standbys in Undertakings: random calls by every party against a pure model.

The standbys state an examination period (ISP98 5.01(a)), may extend automatically unless the issuer gives notice of
non-extension (2.06(a)), up to a final expiry, and may carry a reduction schedule (2.06 and the standby's terms).
The model predicts whether each call must succeed and what it changes, with the rules the contract keeps:

- an extension is due once the last day for notice passed without notice, below the final expiry; a demand records
  the extensions due first, `expire` is refused while one is due;
- a scheduled step takes effect on its day, recorded or not: amounts follow the chain's clock; a demand, payment or
  rejection records the steps due first, and an operative standby with nothing payable and no demand open is
  exhausted;
- the last day for demands is the expiry day, moved to the issuer's next business day if it is closed (3.13(a)).

After every step the getters equal the model, and replaying every Undertakings event of the run through the replay
model of test_undertakings_replay (A12) reproduces every getter: undertakings, demands and claims.
"""

from __future__ import annotations

import os
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
from tests.contracts.test_undertakings_replay import Model
from tests.contracts.undertaking_support import DAY, ISP98, STATES, UT, ut_terms

APPLICANT, BENEFICIARY, ADVISER = "trader", "another_trader", "bank"
GUARANTORS = ("sponsor_bank", "another_bank")
CALLERS = ("sponsor_bank", "bank", "another_bank", "trader", "another_trader", "auditor")
OPERATIVE = frozenset({"ISSUED", "ADVISED"})
OPEN = frozenset({"PRESENTED"})
EXAMPLES = int(os.environ.get("TRADELEDGER_STANDBYS_STATEFUL_EXAMPLES", "30"))
WHO = st.integers(0, 9)  # 0-5: the party the step belongs to; 6-9: another caller
EXTENSION_DAYS, NOTICE_DAYS = 30, 5


def _banking_day(day: int) -> int:
    """BankingCalendar with no holidays: the day itself unless Saturday or Sunday, else the Monday after."""
    while (day + 4) % 7 in (0, 6):
        day += 1
    return day


@dataclass
class Dem:
    amount: int
    deadline: int
    state: str = "PRESENTED"


@dataclass
class Standby:
    uid: int
    guarantor: str
    amount: int
    expiry: int
    state: str
    extension_days: int
    final_expiry: int
    schedule: list[tuple[int, int]]
    noticed: bool = False
    recorded: int = 0
    paid: int = 0
    reduced: int = 0
    demands: dict[int, Dem] = field(default_factory=dict)

    @property
    def reserved(self) -> int:
        return sum(d.amount for d in self.demands.values() if d.state in OPEN)

    @property
    def open_count(self) -> int:
        return sum(1 for d in self.demands.values() if d.state in OPEN)

    def due_steps(self, today: int) -> list[tuple[int, int]]:
        """The scheduled steps not yet recorded whose day has come."""
        return [step for step in self.schedule[self.recorded :] if step[0] <= today]

    def outstanding(self, today: int) -> int:
        used = self.paid + self.reduced + sum(amount for _, amount in self.due_steps(today))
        return max(self.amount - used, 0)

    def available(self, today: int) -> int:
        return max(self.outstanding(today) - self.reserved, 0)

    def record_due(self, today: int) -> int:
        steps = self.due_steps(today)
        self.reduced += sum(amount for _, amount in steps)
        self.recorded += len(steps)
        return len(steps)

    def exhaust_if_spent(self, today: int) -> None:
        if self.state in OPERATIVE and self.open_count == 0 and self.outstanding(today) == 0:
            self.state = "EXHAUSTED"

    def extension_due(self, today: int) -> bool:
        below_final = self.final_expiry == 0 or self.expiry < self.final_expiry
        last_notice_day = max(self.expiry // DAY - NOTICE_DAYS, 0)
        return self.extension_days != 0 and not self.noticed and below_final and today > last_notice_day

    def extend(self) -> None:
        expiry = self.expiry + self.extension_days * DAY
        self.expiry = min(expiry, self.final_expiry) if self.final_expiry else expiry

    @property
    def last_demand_day(self) -> int:
        return _banking_day(self.expiry // DAY)


class StandbysMachine(RuleBasedStateMachine):
    world: World
    calls_ok: ClassVar[set[str]] = set()

    def __init__(self) -> None:
        super().__init__()
        self.world.reset()
        start_on_monday(self.world)
        self.first_block = int(self.world.chain.rpc("eth_blockNumber"), 16) + 1
        self.items: list[Standby] = []
        self.beneficiary_start = self._balance(BENEFICIARY)

    # ------------------------------------------------------------------------------------------ plumbing

    @property
    def now(self) -> int:
        return self.world.chain.timestamp()

    @property
    def today(self) -> int:
        """The day of the next block: every call is mined in a block a second or so after the latest."""
        return (self.now + 1) // DAY

    def _balance(self, actor: str) -> int:
        value: int = self.world.call("Settlement", "balanceOf", self.world.address(actor), USD)
        return value

    def _call(self, ok: bool, actor: str, function: str, *args: Any) -> Receipt | None:
        if not ok:
            error = self.world.error(actor, UT, function, *args)
            assert error is not None, f"{function} by {actor} succeeded; the model says it must fail"
            return None
        receipt = self.world.tx(actor, UT, function, *args)
        self.calls_ok.add(function)
        return receipt

    @staticmethod
    def _who(who: int, party: str) -> str:
        return party if who < 6 else CALLERS[who % len(CALLERS)]

    def _any_party(self, who: int, u: Standby) -> str:
        """A party of `u` (applicant, beneficiary, guarantor, adviser) or, for high `who`, possibly no party."""
        return (APPLICANT, BENEFICIARY, u.guarantor, ADVISER)[who % 4] if who < 6 else CALLERS[who % len(CALLERS)]

    def _pick(self, index: int, *states: str) -> Standby:
        """A standby in one of `states` (any when index is 3, to try wrong states too)."""
        candidates = [u for u in self.items if u.state in states] if index != 3 else []
        candidates = candidates or self.items
        return candidates[index % len(candidates)]

    def _open_demand(self, index: int, pick: int) -> tuple[Standby, int, Dem | None]:
        """A standby with an open demand and one of its demands (any when index is 3 or pick is 5)."""
        candidates = [u for u in self.items if u.open_count] if index != 3 else []
        u = (candidates or self.items)[index % len(candidates or self.items)]
        ids = [i for i, d in u.demands.items() if d.state in OPEN] if pick != 5 else []
        ids = ids or sorted(u.demands)
        if not ids:
            return u, 1, None
        demand_id = ids[pick % len(ids)]
        return u, demand_id, u.demands[demand_id]

    # ------------------------------------------------------------------------------------------ rules

    @initialize(amount=st.sampled_from([10_000, 300_000]))
    def two_standbys(self, amount: int) -> None:
        """An evergreen standby with a reduction schedule and a plain one, both issued; the first advised, the second
        demanded (so that its payment or rejection leaves the first one's steps to the other rules)."""
        self.create(direct=True, guarantor=0, amount=amount, expiry_days=8, evergreen=True, final=True,
                    steps=[(2, 30), (9, 30)], examination=0, who=0)  # fmt: skip
        self.create(direct=True, guarantor=1, amount=amount, expiry_days=4, evergreen=False, final=False,
                    steps=[], examination=7, who=0)  # fmt: skip
        self.advise(index=0, who=0)
        self.demand(index=1, who=0, share=20)

    @precondition(lambda self: len(self.items) < 4)
    @rule(
        direct=st.booleans(),
        guarantor=st.integers(0, 1),
        amount=st.integers(100, 300_000),
        expiry_days=st.integers(1, 25),
        evergreen=st.booleans(),
        final=st.booleans(),
        steps=st.lists(st.tuples(st.integers(1, 12), st.integers(1, 40)), max_size=3),
        examination=st.sampled_from([0, 3, 5, 7]),
        who=WHO,
    )
    def create(
        self, *, direct: bool, guarantor: int, amount: int, expiry_days: int, evergreen: bool, final: bool,
        steps: list[tuple[int, int]], examination: int, who: int,
    ) -> None:  # fmt: skip
        """A standby: its schedule's steps are (days after the previous step, percent of the amount), kept within
        the amount; the evergreen ones extend by 30 days unless noticed 5 days before expiry, up to 60 days more."""
        bank = GUARANTORS[guarantor]
        expiry = (self.now // DAY + expiry_days) * DAY + 12 * 3600 + 1800
        day, left, schedule = self.today, amount, []
        for gap, percent in steps:
            day += gap
            reduction = min(left, max(1, amount * percent // 100))
            if reduction:
                schedule.append((day, reduction))
                left -= reduction
        extension_days = EXTENSION_DAYS if evergreen else 0
        final_expiry = expiry + 60 * DAY if evergreen and final else 0
        terms = ut_terms(
            self.world,
            rules=ISP98,
            guarantor=self.world.address(bank),
            amount=amount,
            expiry=expiry,
            examinationDays=examination,
            statementExcluded=True,
            extensionDays=extension_days,
            nonExtensionNoticeDays=NOTICE_DAYS if evergreen else 0,
            finalExpiry=final_expiry,
            reductionSchedule=[{"day": d, "amount": a} for d, a in schedule],
        )
        if direct:
            caller = self._who(who, bank)
            receipt = self._call(caller == bank, caller, "issueUndertaking", terms, self.world.address(APPLICANT))
        else:
            caller = self._who(who, APPLICANT)
            receipt = self._call(caller == APPLICANT, caller, "applyForUndertaking", terms)
        if receipt is not None:
            uid = receipt.event("UndertakingCreated")["undertakingId"]
            state = "ISSUED" if direct else "APPLIED"
            self.items.append(Standby(uid, bank, amount, expiry, state, extension_days, final_expiry, schedule))

    @rule(index=st.integers(0, 3), who=WHO, decline=st.booleans())
    def issue_or_decline(self, index: int, who: int, decline: bool) -> None:
        u = self._pick(index, "APPLIED")
        caller = self._who(who, u.guarantor)
        function = "declineApplication" if decline else "issue"
        ok = caller == u.guarantor and u.state == "APPLIED" and (decline or u.expiry > self.now + 1)
        if self._call(ok, caller, function, u.uid):
            u.state = "DECLINED" if decline else "ISSUED"

    @rule(index=st.integers(0, 3), who=WHO)
    def advise(self, index: int, who: int) -> None:
        u = self._pick(index, "ISSUED")
        caller = self._who(who, ADVISER)
        if self._call(caller == ADVISER and u.state == "ISSUED", caller, "advise", u.uid):
            u.state = "ADVISED"

    @rule(index=st.integers(0, 3), who=WHO, share=st.integers(1, 110))
    def demand(self, index: int, who: int, share: int) -> None:
        """ISP98 4.16: a demand (the statement excluded by the standby's terms), after the extensions and the
        scheduled reductions due are recorded."""
        u = self._pick(index, *OPERATIVE)
        today = self.today
        expiry = u.expiry
        while u.extension_due(today):
            u.extend()
        left = u.available(today)
        amount = left + 1 if share > 100 else max(1, left * share // 100)
        caller = self._who(who, BENEFICIARY)
        ok = caller == BENEFICIARY and u.state in OPERATIVE and today <= u.last_demand_day and amount <= left
        receipt = self._call(ok, caller, "demand", u.uid, [self.world.unique("doc")], b"\0" * 32, amount, 0)
        if receipt is None:
            u.expiry = expiry  # the call reverted: nothing was recorded
            return
        u.record_due(today)
        event = receipt.event("DemandPresented")
        u.demands[event["demandId"]] = Dem(amount, event["deadline"])

    @precondition(lambda self: any(u.open_count for u in self.items))
    @rule(index=st.integers(0, 3), pick=st.integers(0, 5), who=WHO, pay=st.booleans())
    def decide(self, index: int, pick: int, who: int, pay: bool) -> None:
        """ISP98 5.01: the issuer pays, or rejects by its examination deadline; both record the reductions due."""
        u, demand_id, d = self._open_demand(index, pick)
        caller = self._who(who, u.guarantor)
        ok = caller == u.guarantor and d is not None and d.state in OPEN
        if pay:
            receipt = self._call(ok, caller, "pay", u.uid, demand_id)
        else:
            ok = ok and d is not None and self.now + 1 <= d.deadline
            receipt = self._call(ok, caller, "reject", u.uid, demand_id, [self.world.unique("discrepancy")])
        if receipt is not None and d is not None:
            self._close(u, d, "PAID" if pay else "REJECTED")

    @rule(index=st.integers(0, 3), pick=st.integers(0, 5), who=WHO)
    def enforce(self, index: int, pick: int, who: int) -> None:
        """ISP98 5.03: an issuer that neither paid nor gave notice of dishonour in time is precluded."""
        u, demand_id, d = self._open_demand(index, pick)
        caller = self._who(who, BENEFICIARY)
        ok = caller == BENEFICIARY and d is not None and d.state in OPEN and self.now + 1 > d.deadline
        if self._call(ok, caller, "enforcePayment", u.uid, demand_id) and d is not None:
            self._close(u, d, "PAID")

    def _close(self, u: Standby, d: Dem, state: str) -> None:
        today = self.today
        u.record_due(today)
        d.state = state
        if state == "PAID":
            u.paid += d.amount
        u.exhaust_if_spent(today)

    @rule(index=st.integers(0, 3), who=WHO)
    def record_reductions(self, index: int, who: int) -> None:
        """ISP98 2.06: any party records the scheduled reductions whose day has come, once each."""
        u = self._pick(index, *OPERATIVE)
        caller = self._any_party(who, u)
        today = self.today
        ok = caller in {APPLICANT, BENEFICIARY, u.guarantor, ADVISER} and u.state in OPERATIVE
        ok = ok and bool(u.due_steps(today))
        if self._call(ok, caller, "recordScheduledReductions", u.uid):
            u.record_due(today)
            u.exhaust_if_spent(today)

    @rule(index=st.integers(0, 3), who=WHO)
    def extend_automatically(self, index: int, who: int) -> None:
        """ISP98 2.06(a): any party records one period of the extension once it is due."""
        u = self._pick(index, *OPERATIVE)
        caller = self._any_party(who, u)
        ok = caller in {APPLICANT, BENEFICIARY, u.guarantor, ADVISER} and u.state in OPERATIVE
        if self._call(ok and u.extension_due(self.today), caller, "extendAutomatically", u.uid):
            u.extend()

    @rule(index=st.integers(0, 3), who=WHO)
    def notice_non_extension(self, index: int, who: int) -> None:
        """ISP98 2.06(a): the issuer's notice of non-extension, once, by the last day the standby states."""
        u = self._pick(index, *OPERATIVE)
        caller = self._who(who, u.guarantor)
        in_time = self.today <= max(u.expiry // DAY - NOTICE_DAYS, 0)
        ok = caller == u.guarantor and u.state in OPERATIVE and u.extension_days != 0 and not u.noticed and in_time
        if self._call(ok, caller, "noticeNonExtension", u.uid):
            u.noticed = True

    @rule(index=st.integers(0, 3), who=WHO)
    def expire(self, index: int, who: int) -> None:
        """ISP98 9.01 / 3.13(a): any party records the expiry after the last day for demands, never while an
        extension is due."""
        u = self._pick(index, *OPERATIVE)
        caller = self._any_party(who, u)
        today = self.today
        ok = caller in {APPLICANT, BENEFICIARY, u.guarantor, ADVISER} and u.state in OPERATIVE
        ok = ok and not u.extension_due(today) and today > u.last_demand_day
        if self._call(ok, caller, "expire", u.uid):
            u.state = "EXPIRED"

    @rule(hours=st.sampled_from([5, 24, 72, 24 * 7, 24 * 21]))
    def time_passes(self, hours: int) -> None:
        warp(self.world, self.now + hours * 3600)

    # ------------------------------------------------------------------------------------------ invariants

    @invariant()
    def chain_matches_model(self) -> None:
        today = self.now // DAY
        for u in self.items:
            onchain = self.world.call(UT, "getUndertaking", u.uid)
            assert STATES[onchain["state"]] == u.state, f"standby {u.uid}: chain {STATES[onchain['state']]}"
            got = (onchain["paid"], onchain["reduced"], onchain["reserved"], onchain["openDemandCount"])
            assert got == (u.paid, u.reduced, u.reserved, u.open_count), u.uid
            assert (onchain["terms"]["expiry"], onchain["nonExtensionNoticed"]) == (u.expiry, u.noticed)
            assert onchain["reductionsRecorded"] == u.recorded
            assert self.world.call(UT, "outstandingAmount", u.uid) == u.outstanding(today)
            assert self.world.call(UT, "availableAmount", u.uid) == u.available(today)
            assert u.paid <= u.amount
        paid = sum(u.paid for u in self.items)
        assert self._balance(BENEFICIARY) == self.beneficiary_start + paid

    @invariant()
    def event_replay_equals_getters(self) -> None:
        """A12: the run's Undertakings events alone rebuild every standby, demand and claim field for field."""
        model = Model()
        timestamps: dict[int, int] = {}
        for event in self.world.logs(self.first_block):
            if event.contract != UT:
                continue
            if event.block not in timestamps:
                block = self.world.chain.rpc("eth_getBlockByNumber", hex(event.block), False)
                timestamps[event.block] = int(block["timestamp"], 16)
            model.apply(event, timestamps[event.block])
        assert sorted(model.undertakings) == sorted(u.uid for u in self.items)
        for uid, expected in model.undertakings.items():
            assert self.world.call(UT, "getUndertaking", uid) == expected, uid
        for (uid, demand_id), expected in model.demands.items():
            assert self.world.call(UT, "getDemand", uid, demand_id) == expected, (uid, demand_id)
        for claim_id, expected in model.claims.items():
            assert self.world.call(UT, "getReimbursementClaim", claim_id) == expected


def test_standbys_state_machine(world: World) -> None:
    """Random sequences by the issuer, the adviser, the applicant and the beneficiary keep every invariant of
    ISP98 standbys, with automatic extension, notice of non-extension, reduction schedules, demands and expiry."""
    StandbysMachine.world = world
    StandbysMachine.calls_ok.clear()
    run_state_machine_as_test(
        StandbysMachine,
        settings=stateful_settings(EXAMPLES, steps=40),
    )
    print("calls succeeded:", sorted(StandbysMachine.calls_ok))
    wanted = {"demand", "pay", "recordScheduledReductions", "extendAutomatically", "noticeNonExtension", "expire"}
    assert wanted <= StandbysMachine.calls_ok, wanted - StandbysMachine.calls_ok
