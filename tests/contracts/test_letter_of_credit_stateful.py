"""Hypothesis stateful test of LetterOfCredit (checklist A7, A8, A9, A10): random calls by random actors.

A pure Python model predicts, for every call, whether it must succeed (right function, right party, right
state, right dates and amounts) and what it changes. Calls the model rejects are checked to revert (by
`eth_call`, which costs no block); calls it accepts are sent and must succeed. After every step:

- the chain's credits (state, drawn, reserved, open presentations) equal the model's;
- every `LetterOfCreditStateChanged` is an edge of the graph, emitted by that edge's function;
- Σ drawn + reserved ≤ amount x (1 + plus tolerance), and every presentation is honoured at most once
  (the beneficiaries' balances rise by exactly the honoured amounts);
- terminal states never change;
- transfers (Art 38) and transferred presentations match the model, and every payment of a drawing (sight honour,
  payment at maturity, prepayment less its discount, the issuing bank's honour of a nominated bank's default, Art
  7a) pays the second beneficiary its share, the assignee (Art 39) its share of the rest and the beneficiary what
  remains;
- credits with a tenor are available by deferred payment or by negotiation of drafts at usance (Art 2, 6b);
- Settlement conserves money: Σ balances of every account = Σ issued - Σ redeemed, and each balance equals
  the model's.

Cast: banks `sponsor_bank`, `bank`, `another_bank`; traders `trader`, `another_trader`; the `auditor` calls
too (and must always fail). A transfer goes to the credit's other trader (its applicant: the cast has two traders);
an assignee is one of the banks. Times move in whole hours from a Monday 10:00 UTC, and dates the contract
compares sit at 12:30 or at the end of a day, so the few seconds blocks drift cannot cross a boundary.
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
from tests.contracts.lc_support import (
    AFTER_PRESENTATION,
    DAY,
    DEFERRED_PAYMENT,
    LC,
    LC_STATES,
    NEGOTIATION,
    SIGHT_PAYMENT,
    TERMINAL_LC_STATES,
    start_on_monday,
    transfer_terms,
    warp,
)

BANKS = ("sponsor_bank", "bank", "another_bank")
TRADERS = ("trader", "another_trader")
CALLERS = (*BANKS, *TRADERS, "auditor")
ACCOUNTS = (*BANKS, *TRADERS, "suspended_bank", "suspended_trader")
OPERATIVE = frozenset({"ISSUED", "ADVISED", "CONFIRMED"})
BPS = 10_000
WHO = st.integers(0, 12)  # 0-6: the party the step belongs to; 7-12: any caller of CALLERS
TRANSFER_STATES = ("NONE", "REQUESTED", "TRANSFERRED", "DECLINED")
TRANSFERRED_STATES = ("NONE", "PRESENTED", "DEMANDED", "SUBSTITUTED", "FORWARDED")
EXAMPLES = int(os.environ.get("TRADELEDGER_LC_STATEFUL_EXAMPLES", "200"))

EDGES: dict[tuple[str, str], frozenset[str]] = {
    ("NONE", "APPLIED"): frozenset({"applyForCredit"}),
    ("APPLIED", "ISSUED"): frozenset({"issue"}),
    ("APPLIED", "DECLINED"): frozenset({"declineApplication"}),
    ("APPLIED", "WITHDRAWN"): frozenset({"withdrawApplication"}),
    ("ISSUED", "ADVISED"): frozenset({"advise"}),
    ("ADVISED", "CONFIRMED"): frozenset({"confirm"}),
    **{(s, "FULLY_DRAWN"): frozenset({"honour", "enforcePreclusion"}) for s in OPERATIVE},
    **{(s, "EXPIRED"): frozenset({"expire"}) for s in OPERATIVE},
    **{(s, "CANCELLED"): frozenset({"consentToCancellation"}) for s in OPERATIVE},
    ("FULLY_DRAWN", "CLOSED"): frozenset({"close"}),
    ("EXPIRED", "CLOSED"): frozenset({"close"}),
}


FUNCTIONS = sorted(
    {f for functions in EDGES.values() for f in functions}
    | {
        "issueAmendment",
        "acceptAmendment",
        "rejectAmendment",
        "present",
        "refuse",
        "waiveDiscrepancies",
        "returnDocuments",
        "settleReimbursementClaim",
        "reimburseNominatedBank",
        "payAtMaturity",
        "prepayDeferredPayment",
        "honourDefaultedUndertaking",
        "requestTransfer",
        "decideTransfer",
        "presentTransferred",
        "substituteInvoice",
        "demandSubstitution",
        "forwardAsPresented",
        "assignProceeds",
    }
)


def _weekday(day: int) -> int:
    return (day + 4) % 7  # 0 Sunday ... 6 Saturday


def _roll(day: int) -> int:
    while _weekday(day) in (0, 6):
        day += 1
    return day


def _deadline(day: int) -> int:
    counted = 0
    while counted < 5:
        day += 1
        if _weekday(day) not in (0, 6):
            counted += 1
    return (day + 1) * DAY - 1


@dataclass
class Pres:
    amount: int
    deadline: int
    state: str = "PRESENTED"
    disposition: int = 0
    presentation_day: int = 0
    second_share: int = 0  # what the second beneficiary is paid at honour (Art 38h, 38i)


@dataclass
class Xfer:
    """A transfer to the second beneficiary (Art 38) with the credit's dates at the time of the request."""

    second: str
    amount: int
    expiry: int
    state: str = "REQUESTED"
    presented: int = 0


@dataclass
class Transferred:
    """A second beneficiary's presentation to the transferring bank (38k)."""

    transfer_id: int
    amount: int
    shipped: int
    docs: list[bytes]
    state: str = "PRESENTED"
    deadline: int = 0


@dataclass
class Amend:
    fields: int
    values: dict[str, int | bool]
    state: str = "ISSUED"


@dataclass
class Credit:
    lc_id: int
    applicant: str
    beneficiary: str
    issuer: str
    adviser: str
    confirmer: str | None
    available_with: str
    amount: int
    plus: int
    minus: int
    partial: bool
    expiry: int
    latest_shipment: int
    period: int
    tenor: int = 0  # days after presentation; 0: a sight credit, else deferred payment or usance negotiation (6b)
    state: str = "APPLIED"
    confirmed: bool = False  # the confirming bank confirmed (Art 8d): it may honour as a nominated bank
    drawn: int = 0
    consents: set[str] = field(default_factory=set)
    presentations: dict[int, Pres] = field(default_factory=dict)
    amendments: dict[int, Amend] = field(default_factory=dict)
    transferable: bool = False
    transfers: dict[int, Xfer] = field(default_factory=dict)
    transferred: dict[int, Transferred] = field(default_factory=dict)
    assignee: str | None = None
    share_bps: int = 0

    @property
    def live_transfers(self) -> list[Xfer]:
        return [t for t in self.transfers.values() if t.state in ("REQUESTED", "TRANSFERRED")]

    @property
    def maximum(self) -> int:
        return self.amount * (BPS + self.plus) // BPS

    @property
    def reserved(self) -> int:
        return sum(p.amount for p in self.presentations.values() if p.state in ("PRESENTED", "REFUSED", "WAIVED"))

    @property
    def open_count(self) -> int:
        return sum(1 for p in self.presentations.values() if p.state in ("PRESENTED", "REFUSED", "WAIVED"))

    def parties(self) -> set[str]:
        parties = {self.applicant, self.beneficiary, self.issuer, self.adviser, self.available_with}
        return parties | ({self.confirmer} if self.confirmer else set())


@dataclass
class Interbank:
    """A nominated bank's claim on the issuing bank (Art 7c)."""

    lc: Credit
    nominee: str
    amount: int
    deadline: int
    state: str = "OPEN"


@dataclass
class Deferred:
    """A deferred payment undertaking (or agreement to advance under usance negotiation) incurred by honour (Art 2,
    7a, 12b)."""

    lc: Credit
    obligor: str
    presentation: Pres
    maturity: int
    state: str = "INCURRED"

    @property
    def amount(self) -> int:
        return self.presentation.amount


@dataclass
class Claim:
    applicant: str
    issuer: str
    amount: int
    state: str = "OPEN"


class LetterOfCreditMachine(RuleBasedStateMachine):
    world: World
    edges_seen: ClassVar[set[tuple[str, str]]] = set()
    calls_ok: ClassVar[Counter[str]] = Counter()
    calls_refused: ClassVar[Counter[str]] = Counter()

    def __init__(self) -> None:
        super().__init__()
        self.world.reset()
        start_on_monday(self.world)
        self.credits: list[Credit] = []
        self.claims: dict[int, Claim] = {}
        self.balances = {a: self._balance(a) for a in ACCOUNTS}
        self.terminal_seen: dict[int, str] = {}
        self.honoured: set[tuple[int, int]] = set()
        self.interbank: dict[tuple[int, int], Interbank] = {}
        self.deferred: dict[tuple[int, int], Deferred] = {}

    # ------------------------------------------------------------------------------------------ plumbing

    @property
    def now(self) -> int:
        return self.world.chain.timestamp()

    def _balance(self, actor: str) -> int:
        value: int = self.world.call("Settlement", "balanceOf", self.world.address(actor), USD)
        return value

    def _call(self, ok: bool, actor: str, function: str, *args: Any) -> Receipt | None:
        """Send the call if the model says it succeeds, otherwise check that it would revert."""
        if not ok:
            error = self.world.error(actor, LC, function, *args)
            assert error is not None, f"{function} by {actor} succeeded; the model says it must fail"
            self.calls_refused[function] += 1
            return None
        receipt = self.world.tx(actor, LC, function, *args)
        self.calls_ok[function] += 1
        for event in receipt.events:
            if event.name == "LetterOfCreditStateChanged":
                edge = (LC_STATES[event.args["from"]], LC_STATES[event.args["to"]])
                assert edge in EDGES, f"{function} made the edge {edge}, which is not in the graph"
                assert function in EDGES[edge], f"{edge} happened through {function}"
                self.edges_seen.add(edge)
        return receipt

    @staticmethod
    def _who(who: int, party: str | None) -> str:
        return party if who < 7 and party is not None else CALLERS[who % len(CALLERS)]

    def _pick(self, index: int, *states: str) -> Credit | None:
        """A credit in one of `states` (any credit when index is 3, to try wrong states too)."""
        candidates = [lc for lc in self.credits if lc.state in states] if states and index != 3 else []
        candidates = candidates or self.credits
        return candidates[index % len(candidates)] if candidates else None

    def _has(self, *states: str) -> bool:
        return any(lc.state in states for lc in self.credits)

    def _has_open_presentation(self) -> bool:
        return any(lc.open_count for lc in self.credits)

    def _code_day(self) -> int:
        return self.now // DAY

    # ------------------------------------------------------------------------------------------ rules

    @initialize(
        stage=st.integers(0, 3),
        applicant=st.integers(0, 1),
        issuer=st.integers(0, 2),
        confirmer=st.integers(0, 3),
        partial=st.booleans(),
        amount=st.sampled_from([400_000, 300_000_000, 1_500_000_000]),
        tenor=st.sampled_from([0, 2]),
    )
    def operative_credits(
        self, *, stage: int, applicant: int, issuer: int, confirmer: int, partial: bool, amount: int, tenor: int
    ) -> None:
        """Two credits to start from, the first advanced `stage` edges along APPLIED -> ... -> CONFIRMED, the second
        all the way and available by deferred payment `tenor` days after presentation (Art 6b) when not 0."""
        for k in range(2):
            self.apply_for_credit(
                applicant=(applicant + k) % 2,
                issuer=(issuer + k) % 3,
                adviser=(issuer + 1) % 3,
                confirmer=confirmer,
                available=issuer,
                caller=7,
                amount=amount,
                plus=1_000,
                minus=500,
                partial=partial != (k == 1),
                expiry_days=20,
                period=0,
                tenor=tenor if k == 1 else 0,
                transferable=k == 0,
            )
            lc = self.credits[-1]
            steps = [("issue", lc.issuer, "ISSUED"), ("advise", lc.adviser, "ADVISED")]
            if lc.confirmer:
                steps.append(("confirm", lc.confirmer, "CONFIRMED"))
            for function, actor, state in steps[: 3 if k == 1 else stage]:
                self._call(True, actor, function, lc.lc_id)
                lc.state = state
                lc.confirmed = lc.confirmed or state == "CONFIRMED"

    @precondition(lambda self: len(self.credits) < 3)
    @rule(
        applicant=st.integers(0, 1),
        issuer=st.integers(0, 2),
        adviser=st.integers(0, 2),
        confirmer=st.integers(0, 3),
        available=st.integers(0, 2),
        caller=st.integers(0, 7),
        amount=st.integers(1, 600_000_000),
        plus=st.sampled_from([0, 500, 1_000]),
        minus=st.sampled_from([0, 500, 1_000]),
        partial=st.booleans(),
        expiry_days=st.integers(1, 40),
        period=st.sampled_from([0, 5, 21]),
        tenor=st.sampled_from([0, 0, 2, 9]),
        transferable=st.booleans(),
    )
    def apply_for_credit(
        self,
        *,
        applicant: int,
        issuer: int,
        adviser: int,
        confirmer: int,
        available: int,
        caller: int,
        amount: int,
        plus: int,
        minus: int,
        partial: bool,
        expiry_days: int,
        period: int,
        tenor: int,
        transferable: bool,
    ) -> None:
        applicant_name, beneficiary_name = TRADERS[applicant], TRADERS[1 - applicant]
        confirmer_name = None if confirmer == 3 or BANKS[confirmer] == BANKS[issuer] else BANKS[confirmer]
        caller_name = {3: beneficiary_name, 4: "auditor"}.get(
            caller, applicant_name if caller >= 5 else BANKS[caller % 3]
        )
        expiry = (self._code_day() + expiry_days) * DAY + 12 * 3600 + 1800
        terms = {
            "termsHash": self.world.unique("terms"),
            "beneficiary": self.world.address(beneficiary_name),
            "issuingBank": self.world.address(BANKS[issuer]),
            "advisingBank": self.world.address(BANKS[adviser]),
            "confirmingBank": self.world.address(confirmer_name) if confirmer_name else "0x" + "00" * 20,
            "availableWithBank": self.world.address(BANKS[available]),
            "currency": USD,
            "amount": amount,
            "tolerancePlusBps": plus,
            "toleranceMinusBps": minus,
            "presentationPeriodDays": period,
            "partialDrawingsAllowed": partial,
            "expiry": expiry,
            "latestShipment": expiry - DAY,
            "availability": {0: SIGHT_PAYMENT, 9: NEGOTIATION}.get(tenor, DEFERRED_PAYMENT),  # 9: usance drafts
            "tenorDays": tenor,
            "tenorBasis": 0,
            "transferable": transferable,
        }
        ok = caller_name in TRADERS and caller_name != beneficiary_name
        receipt = self._call(ok, caller_name, "applyForCredit", terms)
        if receipt is not None:
            lc_id = receipt.event("LetterOfCreditApplied")["lcId"]
            self.credits.append(
                Credit(
                    lc_id,
                    applicant_name,
                    beneficiary_name,
                    BANKS[issuer],
                    BANKS[adviser],
                    confirmer_name,
                    BANKS[available],
                    amount,
                    plus,
                    minus,
                    partial,
                    expiry,
                    expiry - DAY,
                    period or 21,
                    tenor,
                    transferable=transferable,
                )
            )

    @precondition(lambda self: self._has("APPLIED"))
    @rule(index=st.integers(0, 3), who=WHO, step=st.sampled_from(["issue", "issue", "issue", "decline", "withdraw"]))
    def decide_application(self, index: int, who: int, step: str) -> None:
        lc = self._pick(index, "APPLIED")
        if lc is None:
            return
        caller = self._who(who, lc.applicant if step == "withdraw" else lc.issuer)
        applied = lc.state == "APPLIED"
        if step == "issue":
            ok = caller == lc.issuer and applied and lc.expiry > self.now + 60
            if self._call(ok, caller, "issue", lc.lc_id):
                lc.state = "ISSUED"
        elif step == "decline":
            if self._call(caller == lc.issuer and applied, caller, "declineApplication", lc.lc_id):
                lc.state = "DECLINED"
        elif self._call(caller == lc.applicant and applied, caller, "withdrawApplication", lc.lc_id):
            lc.state = "WITHDRAWN"

    @precondition(lambda self: self._has("ISSUED"))
    @rule(index=st.integers(0, 3), who=WHO)
    def advise(self, index: int, who: int) -> None:
        lc = self._pick(index, "ISSUED")
        caller = self._who(who, lc.adviser if lc else None)
        if lc is not None and self._call(caller == lc.adviser and lc.state == "ISSUED", caller, "advise", lc.lc_id):
            lc.state = "ADVISED"

    @precondition(lambda self: self._has("ADVISED"))
    @rule(index=st.integers(0, 3), who=WHO)
    def confirm(self, index: int, who: int) -> None:
        lc = self._pick(index, "ADVISED")
        if lc is None:
            return
        caller = self._who(who, lc.confirmer)
        ok = lc.confirmer is not None and caller == lc.confirmer and lc.state == "ADVISED"
        if self._call(ok, caller, "confirm", lc.lc_id):
            lc.state = "CONFIRMED"
            lc.confirmed = True

    @precondition(lambda self: self._has(*OPERATIVE))
    @rule(
        index=st.integers(0, 3),
        who=WHO,
        fields=st.integers(0, 63),
        amount=st.integers(1, 600_000_000),
        expiry_days=st.integers(-1, 40),
        tolerance=st.sampled_from([0, 500, 1_000]),
        period=st.sampled_from([0, 3, 21]),
        partial=st.booleans(),
        # Art 6b: the model's availabilities (sight, deferred at 2 days, usance negotiation at 9), and two that
        # disagree with their tenor; availability and tenor are amended together (flags 64 | 128) or not at all
        availability=st.sampled_from(
            [
                None,
                (SIGHT_PAYMENT, 0),
                (DEFERRED_PAYMENT, 2),
                (NEGOTIATION, 9),
                (SIGHT_PAYMENT, 2),
                (DEFERRED_PAYMENT, 0),
            ]
        ),
    )
    def issue_amendment(
        self,
        *,
        index: int,
        who: int,
        fields: int,
        amount: int,
        expiry_days: int,
        tolerance: int,
        period: int,
        partial: bool,
        availability: tuple[int, int] | None,
    ) -> None:
        lc = self._pick(index, *OPERATIVE)
        if lc is None:
            return
        caller = self._who(who, lc.issuer)
        expiry = (self._code_day() + expiry_days) * DAY + 12 * 3600 + 1800
        values: dict[str, int | bool] = {
            "amount": amount,
            "expiry": expiry,
            "latestShipment": expiry - 2 * DAY,
            "tolerancePlusBps": tolerance,
            "toleranceMinusBps": tolerance,
            "presentationPeriodDays": period,
            "partialDrawingsAllowed": partial,
            "availability": availability[0] if availability else SIGHT_PAYMENT,
            "tenorDays": availability[1] if availability else 0,
            "tenorBasis": AFTER_PRESENTATION,
        }
        fields |= 192 if availability else 0
        ok = caller == lc.issuer and lc.state in OPERATIVE and self._amendment_valid(lc, fields, values)
        receipt = self._call(
            ok, caller, "issueAmendment", lc.lc_id, self.world.unique("am"), {"fields": fields, **values}
        )
        if receipt is not None:
            lc.amendments[receipt.event("AmendmentIssued")["amendmentId"]] = Amend(fields, values)

    def _amended(self, lc: Credit, fields: int, values: dict[str, int | bool]) -> dict[str, int | bool]:
        current: dict[str, int | bool] = {
            "amount": lc.amount,
            "expiry": lc.expiry,
            "latestShipment": lc.latest_shipment,
            "tolerancePlusBps": lc.plus,
            "toleranceMinusBps": lc.minus,
            "presentationPeriodDays": lc.period,
            "partialDrawingsAllowed": lc.partial,
            "availability": {0: SIGHT_PAYMENT, 9: NEGOTIATION}.get(lc.tenor, DEFERRED_PAYMENT),
            "tenorDays": lc.tenor,
            "tenorBasis": AFTER_PRESENTATION,
        }
        for flag, keys in (
            (1, ("amount",)),
            (2, ("expiry",)),
            (4, ("latestShipment",)),
            (8, ("tolerancePlusBps", "toleranceMinusBps")),
            (16, ("presentationPeriodDays",)),
            (32, ("partialDrawingsAllowed",)),
            (64, ("availability",)),
            (128, ("tenorDays", "tenorBasis")),
        ):
            if fields & flag:
                for key in keys:
                    current[key] = values[key]
        return current

    def _amendment_valid(self, lc: Credit, fields: int, values: dict[str, int | bool]) -> bool:
        new = self._amended(lc, fields, values)
        maximum = int(new["amount"]) * (BPS + int(new["tolerancePlusBps"])) // BPS
        honoured = sum(1 for p in lc.presentations.values() if p.state == "HONOURED")
        # Art 6b, 10: the availability and tenor agree, and change only before any drawing under the old ones
        tenor_ok = (
            new["availability"] != SIGHT_PAYMENT if int(new["tenorDays"]) else new["availability"] != DEFERRED_PAYMENT
        )
        availability_ok = not fields & 192 or (honoured == lc.open_count == 0 and tenor_ok)
        return (
            int(new["expiry"]) > self.now + 60
            and int(new["latestShipment"]) <= int(new["expiry"])
            and maximum >= lc.drawn + lc.reserved
            and availability_ok
        )

    @precondition(lambda self: any(a.state == "ISSUED" for lc in self.credits for a in lc.amendments.values()))
    @rule(index=st.integers(0, 3), who=WHO, which=st.integers(0, 4), mode=st.integers(0, 2))
    def respond_to_amendment(self, index: int, who: int, which: int, mode: int) -> None:
        lc = self._pick(index, *OPERATIVE)
        if lc is None:
            return
        caller = self._who(who, lc.beneficiary)
        which = len(lc.amendments) - which % max(1, len(lc.amendments))
        am = lc.amendments.get(which)
        allowed = caller == lc.beneficiary and lc.state in OPERATIVE and am is not None and am.state == "ISSUED"
        if mode == 2:  # reject
            if self._call(allowed, caller, "rejectAmendment", lc.lc_id, which):
                assert am is not None
                am.state = "REJECTED"
            return
        fields = am.fields if am is not None else 0
        accepted = fields if mode == 0 else fields ^ 1  # mode 1: accept all but the amount flag (partial)
        if am is not None and accepted != am.fields:
            if self._call(allowed, caller, "acceptAmendment", lc.lc_id, which, accepted):
                am.state = "REJECTED"
            return
        ok = allowed and am is not None and self._amendment_valid(lc, am.fields, am.values)
        if self._call(ok, caller, "acceptAmendment", lc.lc_id, which, accepted):
            assert am is not None
            new = self._amended(lc, am.fields, am.values)
            lc.amount, lc.expiry, lc.latest_shipment = (
                int(new["amount"]),
                int(new["expiry"]),
                int(new["latestShipment"]),
            )
            lc.plus, lc.minus = int(new["tolerancePlusBps"]), int(new["toleranceMinusBps"])
            lc.period = int(new["presentationPeriodDays"]) or 21
            lc.partial = bool(new["partialDrawingsAllowed"])
            lc.tenor = int(new["tenorDays"])
            am.state = "ACCEPTED"

    @precondition(lambda self: self._has(*OPERATIVE))
    @rule(
        index=st.integers(0, 3),
        who=WHO,
        share=st.sampled_from([10, 25, 50, 96, 100, 105, 110, 120]),
        shipped_days_ago=st.integers(0, 25),
        documents=st.integers(1, 3),
    )
    def present(self, index: int, who: int, share: int, shipped_days_ago: int, documents: int) -> None:
        lc = self._pick(index, *OPERATIVE)
        if lc is None:
            return
        caller = self._who(who, lc.beneficiary)
        amount = max(1, lc.amount * share // 100)
        shipped = self.now - shipped_days_ago * DAY - 3600
        today = self._code_day()
        ok = (
            caller == lc.beneficiary
            and lc.state in OPERATIVE
            and today <= _roll(lc.expiry // DAY)
            and today <= _roll(shipped // DAY + lc.period)
            and amount <= lc.maximum - lc.drawn - lc.reserved
            and (lc.partial or (lc.drawn == 0 and lc.open_count == 0 and amount >= lc.amount * (BPS - lc.minus) // BPS))
        )
        docs = [self.world.unique("doc") for _ in range(documents)]
        receipt = self._call(ok, caller, "present", lc.lc_id, docs, amount, shipped)
        if receipt is not None:
            event = receipt.event("DocumentsPresented")
            assert event["deadline"] == _deadline(_roll(today)), "Art 14b deadline"
            lc.presentations[event["presentationId"]] = Pres(
                amount, event["deadline"], presentation_day=event["presentationDay"]
            )

    # ------------------------------------------------------------------------------------------ Art 38, 39

    def _presentable(self, lc: Credit, amount: int, shipped: int) -> bool:
        """Whether a presentation of `amount` shipped at `shipped` may be made under the credit now."""
        today = self._code_day()
        return (
            lc.state in OPERATIVE
            and today <= _roll(lc.expiry // DAY)
            and today <= _roll(shipped // DAY + lc.period)
            and 0 < amount <= lc.maximum - lc.drawn - lc.reserved
            and (lc.partial or (lc.drawn == 0 and lc.open_count == 0 and amount >= lc.amount * (BPS - lc.minus) // BPS))
        )

    @precondition(lambda self: self._has(*OPERATIVE))
    @rule(
        index=st.integers(0, 3),
        who=st.integers(0, 8),
        bank_who=st.integers(0, 8),
        share=st.integers(1, 100),
        consent=st.sampled_from([True, True, True, False]),
    )
    def request_transfer(self, index: int, who: int, bank_who: int, share: int, consent: bool) -> None:
        """Art 38a, b, d, g: the first beneficiary asks; the transferring (available-with) bank consents or not."""
        transferable = [lc for lc in self.credits if lc.transferable and lc.state in OPERATIVE]
        lc = transferable[index % len(transferable)] if transferable and index != 3 else self._pick(index)
        if lc is None:
            return
        caller = self._who(who, lc.beneficiary)
        amount = max(1, lc.amount * share // 100)
        live = lc.live_transfers
        ok = (
            caller == lc.beneficiary
            and lc.state in OPERATIVE
            and lc.transferable
            and (lc.partial or not live)
            and amount <= lc.amount - sum(t.amount for t in live)
            and lc.expiry > self.now + 60
        )
        terms = transfer_terms(self.world, lc.lc_id, lc.applicant, amount=amount)
        receipt = self._call(ok, caller, "requestTransfer", lc.lc_id, terms)
        if receipt is None:
            return
        transfer_id = receipt.event("TransferRequested")["transferId"]
        transfer = lc.transfers[transfer_id] = Xfer(lc.applicant, amount, lc.expiry)
        bank = self._who(bank_who, lc.available_with)
        ok = bank == lc.available_with and (not consent or lc.state in OPERATIVE)
        if self._call(ok, bank, "decideTransfer", lc.lc_id, transfer_id, consent):
            transfer.state = "TRANSFERRED" if consent else "DECLINED"

    def _transfer(self, index: int) -> tuple[Credit, int, Xfer] | None:
        found = [(lc, tid, t) for lc in self.credits for tid, t in lc.transfers.items()]
        return found[index % len(found)] if found else None

    @precondition(lambda self: any(lc.transfers for lc in self.credits))
    @rule(index=st.integers(0, 7), who=st.integers(0, 8), share=st.integers(1, 110), shipped_days_ago=st.integers(0, 9))
    def present_transferred(self, index: int, who: int, share: int, shipped_days_ago: int) -> None:
        """Art 38k: the second beneficiary presents to the transferring bank within the transferred terms."""
        found = self._transfer(index)
        if found is None:
            return
        lc, transfer_id, t = found
        caller = self._who(who, t.second)
        amount = max(1, t.amount * share // 100)
        shipped = self.now - shipped_days_ago * DAY - 3600
        today = self._code_day()
        ok = (
            caller == t.second
            and t.state == "TRANSFERRED"
            and lc.state in OPERATIVE
            and today <= min(_roll(t.expiry // DAY), _roll(shipped // DAY + lc.period))
            and amount <= t.amount - t.presented
        )
        docs = [self.world.unique("doc")]
        receipt = self._call(ok, caller, "presentTransferred", lc.lc_id, transfer_id, docs, amount, shipped)
        if receipt is not None:
            tp_id = receipt.event("TransferredDocumentsPresented")["transferredPresentationId"]
            lc.transferred[tp_id] = Transferred(transfer_id, amount, shipped, docs)
            t.presented += amount

    def _transferred(self, index: int) -> tuple[Credit, int, Transferred] | None:
        found = [(lc, tid, tp) for lc in self.credits for tid, tp in lc.transferred.items()]
        return found[index % len(found)] if found else None

    @precondition(lambda self: any(lc.transferred for lc in self.credits))
    @rule(index=st.integers(0, 7), who=st.integers(0, 8), extra=st.sampled_from([0, 0, 1, 10_000, -1]))
    def substitute_invoice(self, index: int, who: int, extra: int) -> None:
        """Art 38h: the first beneficiary substitutes its invoice (at least the second's) and presents it."""
        found = self._transferred(index)
        if found is None:
            return
        lc, tp_id, tp = found
        caller = self._who(who, lc.beneficiary)
        amount = tp.amount + extra
        ok = (
            caller == lc.beneficiary
            and tp.state in ("PRESENTED", "DEMANDED")
            and extra >= 0
            and self._presentable(lc, amount, tp.shipped)
        )
        receipt = self._call(ok, caller, "substituteInvoice", lc.lc_id, tp_id, [self.world.unique("inv")], amount)
        if receipt is not None:
            event = receipt.event("DocumentsPresented")
            lc.presentations[event["presentationId"]] = Pres(amount, event["deadline"], second_share=tp.amount)
            tp.state = "SUBSTITUTED"

    @precondition(lambda self: any(lc.transferred for lc in self.credits))
    @rule(index=st.integers(0, 7), who=st.integers(0, 8))
    def demand_or_forward(self, index: int, who: int) -> None:
        """Art 38i: the transferring bank demands the substitution, and once the first beneficiary has failed to
        substitute by the end of the next banking day, presents the second beneficiary's documents as they are."""
        found = self._transferred(index)
        if found is None:
            return
        lc, tp_id, tp = found
        caller = self._who(who, lc.available_with)
        if tp.state != "DEMANDED":
            ok = caller == lc.available_with and tp.state == "PRESENTED" and lc.state in OPERATIVE
            receipt = self._call(ok, caller, "demandSubstitution", lc.lc_id, tp_id)
            if receipt is not None:
                tp.state, tp.deadline = "DEMANDED", receipt.event("SubstitutionDemanded")["deadline"]
                assert tp.deadline == (_roll(self._code_day() + 1) + 1) * DAY - 1
            return
        ok = caller == lc.available_with and self.now > tp.deadline and self._presentable(lc, tp.amount, tp.shipped)
        receipt = self._call(ok, caller, "forwardAsPresented", lc.lc_id, tp_id, tp.docs)
        if receipt is not None:
            event = receipt.event("DocumentsPresented")
            lc.presentations[event["presentationId"]] = Pres(tp.amount, event["deadline"], second_share=tp.amount)
            tp.state = "FORWARDED"

    @precondition(lambda self: self._has(*OPERATIVE))
    @rule(index=st.integers(0, 3), who=WHO, bank=st.integers(0, 2), share=st.sampled_from([0, 1, 2_500, 10_000]))
    def assign_proceeds(self, index: int, who: int, bank: int, share: int) -> None:
        """Art 39: the beneficiary assigns a share of its proceeds to a bank, once."""
        lc = self._pick(index, *OPERATIVE)
        if lc is None:
            return
        caller = self._who(who, lc.beneficiary)
        ok = caller == lc.beneficiary and lc.state in OPERATIVE and lc.assignee is None and 0 < share <= BPS
        if self._call(ok, caller, "assignProceeds", lc.lc_id, self.world.address(BANKS[bank]), share):
            lc.assignee, lc.share_bps = BANKS[bank], share

    def _presentation(self, index: int, which: int) -> tuple[Credit, int, Pres | None] | None:
        """An open presentation (any presentation of any credit when `which` is 4)."""
        open_ones = [
            (lc, pid, p)
            for lc in self.credits
            for pid, p in lc.presentations.items()
            if p.state in ("PRESENTED", "REFUSED", "WAIVED")
        ]
        if which < 4 and open_ones:
            return open_ones[(index + which) % len(open_ones)]
        lc = self._pick(index)
        if lc is None:
            return None
        which = len(lc.presentations) - which % max(1, len(lc.presentations))
        return lc, which, lc.presentations.get(which)

    @precondition(lambda self: self._has_open_presentation())
    @rule(
        index=st.integers(0, 3),
        which=st.integers(0, 4),
        who=WHO,
        codes=st.integers(1, 3),
        disposition=st.integers(1, 4),
    )
    def refuse(self, index: int, which: int, who: int, codes: int, disposition: int) -> None:
        found = self._presentation(index, which)
        if found is None:
            return
        lc, pid, p = found
        caller = self._who(who, lc.issuer)
        ok = caller == lc.issuer and p is not None and p.state == "PRESENTED" and self.now + 60 < p.deadline
        discrepancies = [self.world.unique("discrepancy") for _ in range(codes)]
        if self._call(ok, caller, "refuse", lc.lc_id, pid, discrepancies, disposition):
            assert p is not None
            p.state, p.disposition = "REFUSED", disposition

    @precondition(lambda self: self._has_open_presentation())
    @rule(index=st.integers(0, 3), which=st.integers(0, 4), who=WHO)
    def waive(self, index: int, which: int, who: int) -> None:
        found = self._presentation(index, which)
        if found is None:
            return
        lc, pid, p = found
        caller = self._who(who, lc.applicant)
        ok = caller == lc.applicant and p is not None and p.state == "REFUSED" and p.disposition in (1, 2)
        if self._call(ok, caller, "waiveDiscrepancies", lc.lc_id, pid):
            assert p is not None
            p.state = "WAIVED"

    @precondition(lambda self: self._has_open_presentation())
    @rule(
        index=st.integers(0, 3),
        which=st.integers(0, 4),
        who=WHO,
        step=st.sampled_from(
            ["honour", "honour", "nominated", "nominated", "reimburse", "enforcePreclusion", "returnDocuments"]
        ),
    )
    def settle_presentation(self, index: int, which: int, who: int, step: str) -> None:
        found = self._presentation(index, which)
        if found is None:
            return
        lc, pid, p = found
        if step == "reimburse":
            self._reimburse_nominee(lc, pid, who, who % 2 == 0)
            return
        nominee = lc.available_with if lc.available_with != lc.issuer else lc.confirmer
        party = {"enforcePreclusion": lc.beneficiary, "nominated": nominee}.get(step, lc.issuer)
        caller = self._who(who, party)
        step = "honour" if step == "nominated" else step  # a nominated bank honours with the same function
        self._settle(lc, pid, p, caller, step, who)

    def _settle(self, lc: Credit, pid: int, p: Pres | None, caller: str, step: str, who: int) -> None:
        """Honour, enforce preclusion or return documents of one presentation, as `caller`."""
        state = p.state if p is not None else "NONE"
        if step == "returnDocuments":
            if self._call(caller == lc.issuer and state in ("REFUSED", "WAIVED"), caller, step, lc.lc_id, pid):
                assert p is not None
                p.state = "RETURNED"
            return
        nominated = caller != lc.issuer and (caller == lc.available_with or (caller == lc.confirmer and lc.confirmed))
        if step == "honour":
            # Art 7, 8, 12: the issuing bank, or a nominated bank (available-with, or the confirmer once confirmed)
            ok = (caller == lc.issuer or nominated) and state in ("PRESENTED", "WAIVED")
        else:
            ok = caller == lc.beneficiary and state == "PRESENTED" and p is not None and self.now > p.deadline
        receipt = self._call(ok, caller, step, lc.lc_id, pid)
        if receipt is None:
            return
        assert p is not None
        assert (lc.lc_id, pid) not in self.honoured, "a presentation was honoured twice"
        self.honoured.add((lc.lc_id, pid))
        p.state = "HONOURED"
        lc.drawn += p.amount
        payer = caller if step == "honour" and nominated else lc.issuer
        if lc.tenor:
            # Art 7a iii: honour incurs the undertaking; the maturity is fixed now and nothing is paid yet
            incurred = receipt.event("DeferredPaymentIncurred")
            assert incurred["maturityDay"] == _roll(p.presentation_day + lc.tenor)
            self.deferred[(lc.lc_id, pid)] = Deferred(lc, payer, p, incurred["maturityDay"])
        else:
            self._pay(receipt, lc, payer, p, p.amount)
        if payer != lc.issuer:
            self.calls_ok["honour by a nominated bank"] += 1
            forwarded = receipt.event("DocumentsForwarded")
            assert forwarded["deadline"] == _deadline(self.now // DAY)  # the issuer's own 5 banking days
            self.interbank[(lc.lc_id, pid)] = Interbank(lc, payer, p.amount, forwarded["deadline"])
            if who % 2:  # the issuing bank (or, refused before its deadline, the nominee) asks for it at once
                self._reimburse_nominee(lc, pid, who, who % 4 == 1)
        elif not lc.tenor:
            self._reimburse_issuer(receipt, lc, p.amount)
        if lc.state in OPERATIVE and (lc.drawn >= lc.maximum or not lc.partial):
            lc.state = "FULLY_DRAWN"

    @precondition(lambda self: any(lc.tenor and lc.state in OPERATIVE for lc in self.credits))
    @rule(index=st.integers(0, 3), by_nominee=st.booleans())
    def usance_drawing(self, index: int, by_nominee: bool) -> None:
        """Art 2, 7a, 12b: a drawing under a credit with a tenor, presented and honoured at once (by the nominated bank
        when there is one and `by_nominee`), so that the maturity rules (payment, prepayment, the issuing bank's
        honour of a default, shares paid at maturity) have undertakings to work on within the example budget."""
        usance = [lc for lc in self.credits if lc.tenor and lc.state in OPERATIVE]
        lc = usance[index % len(usance)]
        amount = max(1, lc.amount // 10) if lc.partial else lc.amount
        shipped = self.now - DAY - 3600
        if not self._presentable(lc, amount, shipped):
            return
        receipt = self._call(True, lc.beneficiary, "present", lc.lc_id, [self.world.unique("doc")], amount, shipped)
        assert receipt is not None
        event = receipt.event("DocumentsPresented")
        p = Pres(amount, event["deadline"], presentation_day=event["presentationDay"])
        lc.presentations[event["presentationId"]] = p
        nominee = lc.available_with if lc.available_with != lc.issuer else (lc.confirmer if lc.confirmed else None)
        caller = nominee if by_nominee and nominee is not None else lc.issuer
        self._settle(lc, event["presentationId"], p, caller, "honour", 0)

    def _pay(self, receipt: Receipt, lc: Credit, payer: str, p: Pres, proceeds: int) -> None:
        """The legs of a payment of `proceeds` of the drawing: the second beneficiary's share (Art 38h, 38i; pro rata
        when a prepayment's discount reduced the proceeds), the assignee's share of the rest (Art 39), the
        beneficiary what remains."""
        second = p.second_share * proceeds // p.amount
        rest = proceeds - second
        assigned = rest * lc.share_bps // BPS if lc.assignee else 0
        self.balances[payer] -= proceeds
        if second:
            self.balances[lc.applicant] += second  # the second beneficiary is the credit's other trader
            assert receipt.event("TransferredProceedsPaid")["amount"] == second
            if lc.tenor:
                self.calls_ok["deferred proceeds split"] += 1
        if assigned:
            assert lc.assignee is not None
            self.balances[lc.assignee] += assigned
            assert receipt.event("AssignedProceedsPaid")["amount"] == assigned
            self.calls_ok["honour with assigned proceeds"] += 1
        self.balances[lc.beneficiary] += rest - assigned

    def _reimburse_issuer(self, receipt: Receipt, lc: Credit, amount: int) -> None:
        """The applicant's leg: debited at once when its funds suffice, otherwise an open claim (Art 7)."""
        if self.balances[lc.applicant] >= amount:
            receipt.event("ReimbursementSettled")
            self.balances[lc.applicant] -= amount
            self.balances[lc.issuer] += amount
        else:
            claim_id = receipt.event("ReimbursementClaimOpened")["claimId"]
            self.claims[claim_id] = Claim(lc.applicant, lc.issuer, amount)

    @precondition(lambda self: any(c.state == "OPEN" for c in self.interbank.values()))
    @rule(which=st.integers(0, 4), who=WHO, as_nominee=st.booleans())
    def reimburse_nominated_bank(self, which: int, who: int, as_nominee: bool) -> None:
        key = sorted(self.interbank)[which % len(self.interbank)]
        self._reimburse_nominee(self.interbank[key].lc, key[1], who, as_nominee)

    def _reimburse_nominee(self, lc: Credit, pid: int, who: int, as_nominee: bool) -> None:
        """Art 7c: the issuing bank reimburses the nominated bank; after its deadline the nominee collects (16f).
        A presentation without an open interbank claim (honoured by the issuer, or not honoured) cannot be."""
        claim = self.interbank.get((lc.lc_id, pid))
        caller = self._who(who, claim.nominee if claim is not None and as_nominee else lc.issuer)
        late = claim is not None and self.now > claim.deadline
        ok = claim is not None and claim.state == "OPEN"
        ok = ok and claim is not None and (caller == lc.issuer or (caller == claim.nominee and late))
        deferred = self.deferred.get((lc.lc_id, pid))
        # Art 7c: due at maturity, to a nominated bank that paid (or prepaid) the beneficiary
        ok = ok and (deferred is None or (self._code_day() >= deferred.maturity and deferred.state != "INCURRED"))
        receipt = self._call(ok, caller, "reimburseNominatedBank", lc.lc_id, pid)
        if receipt is None or claim is None:
            return
        claim.state = "REIMBURSED"
        assert receipt.event("NominatedBankReimbursed")["precluded"] is (caller == claim.nominee)
        self.balances[claim.lc.issuer] -= claim.amount
        self.balances[claim.nominee] += claim.amount
        self._reimburse_issuer(receipt, claim.lc, claim.amount)

    @precondition(lambda self: any(d.state == "INCURRED" for d in self.deferred.values()))
    @rule(
        which=st.integers(0, 4),
        who=WHO,
        step=st.sampled_from(["obligor", "beneficiary", "prepay"]),
        discount=st.sampled_from([0, 1_000, 10**12]),
    )
    def settle_deferred(self, which: int, who: int, step: str, discount: int) -> None:
        """Art 7a, 12b: a matured undertaking is paid by its obligor (or collected by the beneficiary); a nominated
        obligor may prepay it before maturity, less a discount below the amount."""
        key = sorted(self.deferred)[which % len(self.deferred)]
        d = self.deferred[key]
        lc = d.lc
        today = self._code_day()
        incurred = d.state == "INCURRED"
        if step == "prepay":
            caller = self._who(who, d.obligor)
            ok = incurred and caller == d.obligor != lc.issuer and today < d.maturity and discount < d.amount
            receipt = self._call(ok, caller, "prepayDeferredPayment", *key, discount)
            if receipt is not None:
                d.state = "PREPAID"
                self._pay(receipt, lc, d.obligor, d.presentation, d.amount - discount)
            return
        caller = self._who(who, lc.beneficiary if step == "beneficiary" else d.obligor)
        ok = incurred and caller in (d.obligor, lc.beneficiary) and today >= d.maturity
        receipt = self._call(ok, caller, "payAtMaturity", *key)
        if receipt is None:
            return
        d.state = "PAID"
        self._pay(receipt, lc, d.obligor, d.presentation, d.amount)
        if d.obligor == lc.issuer:
            self._reimburse_issuer(receipt, lc, d.amount)

    @precondition(lambda self: any(d.state == "INCURRED" and d.obligor != d.lc.issuer for d in self.deferred.values()))
    @rule(which=st.integers(0, 4), who=WHO, claim_it=st.booleans())
    def honour_default(self, which: int, who: int, claim_it: bool) -> None:
        """Art 7a iii, iv: a nominated obligor that has not paid by the end of its maturity day is in default; the
        issuing bank pays (or the beneficiary claims it from it), the nominated bank's claim lapses and the applicant
        reimburses the issuing bank."""
        key = sorted(self.deferred)[which % len(self.deferred)]
        d = self.deferred[key]
        lc = d.lc
        caller = self._who(who, lc.beneficiary if claim_it else lc.issuer)
        claim = self.interbank.get(key)
        ok = (
            d.state == "INCURRED"
            and caller in (lc.issuer, lc.beneficiary)
            and d.obligor != lc.issuer
            and self._code_day() > d.maturity
            and claim is not None
            and claim.state == "OPEN"
        )
        receipt = self._call(ok, caller, "honourDefaultedUndertaking", *key)
        if receipt is None or claim is None:
            return
        d.state, claim.state = "DEFAULTED", "LAPSED"
        self._pay(receipt, lc, lc.issuer, d.presentation, d.amount)
        self._reimburse_issuer(receipt, lc, d.amount)

    @precondition(lambda self: any(c.state == "OPEN" for c in self.claims.values()))
    @rule(claim=st.integers(0, 4), who=WHO, fund=st.booleans())
    def settle_claim(self, claim: int, who: int, fund: bool) -> None:
        claim = len(self.claims) - claim % max(1, len(self.claims))
        found = self.claims.get(claim)
        if found is None:
            return
        caller = self._who(who, found.applicant)
        if fund and found.state == "OPEN":
            sponsor = "sponsor_bank" if found.applicant == "trader" else "bank"
            self.world.tx(
                sponsor,
                "Settlement",
                "issue",
                self.world.address(found.applicant),
                USD,
                found.amount,
                self.world.unique(),
            )
            self.balances[found.applicant] += found.amount
        ok = caller == found.applicant and found.state == "OPEN" and self.balances[found.applicant] >= found.amount
        if self._call(ok, caller, "settleReimbursementClaim", claim):
            found.state = "SETTLED"
            self.balances[found.applicant] -= found.amount
            self.balances[found.issuer] += found.amount

    @precondition(lambda self: self._has(*OPERATIVE))
    @rule(index=st.integers(0, 3), who=WHO, party=st.integers(0, 2), go=st.integers(0, 1))
    def consent_to_cancellation(self, index: int, who: int, party: int, go: int) -> None:
        lc = self._pick(index, *OPERATIVE)
        if lc is None or go:  # fires half the times it is drawn, so that credits live long enough
            return
        caller = self._who(who, (lc.issuer, lc.beneficiary, lc.confirmer)[party])
        role = None
        if caller == lc.issuer:
            role = "issuer"
        elif caller == lc.confirmer and lc.state == "CONFIRMED":
            role = "confirmer"
        elif caller == lc.beneficiary:
            role = "beneficiary"
        required = {"issuer", "beneficiary"} | ({"confirmer"} if lc.state == "CONFIRMED" else set())
        ok = lc.state in OPERATIVE and role is not None and role not in lc.consents
        completes = ok and required <= (lc.consents | {role})
        ok = ok and not (completes and lc.open_count > 0)
        if self._call(ok, caller, "consentToCancellation", lc.lc_id):
            lc.consents.add(str(role))
            if completes:
                lc.state = "CANCELLED"

    @precondition(lambda self: self._has(*OPERATIVE))
    @rule(index=st.integers(0, 3), who=WHO, party=st.integers(0, 5))
    def expire(self, index: int, who: int, party: int) -> None:
        lc = self._pick(index, *OPERATIVE)
        if lc is None:
            return
        caller = self._who(who, sorted(lc.parties())[party % len(lc.parties())])
        ok = caller in lc.parties() and lc.state in OPERATIVE and self._code_day() > _roll(lc.expiry // DAY)
        if self._call(ok, caller, "expire", lc.lc_id):
            lc.state = "EXPIRED"

    @precondition(lambda self: self._has("EXPIRED", "FULLY_DRAWN"))
    @rule(index=st.integers(0, 3), who=WHO)
    def close(self, index: int, who: int) -> None:
        lc = self._pick(index, "EXPIRED", "FULLY_DRAWN")
        if lc is None:
            return
        caller = self._who(who, lc.issuer)
        ok = caller == lc.issuer and lc.state in ("EXPIRED", "FULLY_DRAWN") and lc.open_count == 0
        if self._call(ok, caller, "close", lc.lc_id):
            lc.state = "CLOSED"

    @rule(hours=st.sampled_from([1, 24, 72, 24 * 8, 24 * 8, 24 * 21]))
    def advance_time(self, hours: int) -> None:
        warp(self.world, self.now + hours * 3600)

    # ------------------------------------------------------------------------------------------ invariants

    def _read_all(self) -> tuple[list[dict[str, Any]], dict[str, int], int]:
        """Every credit, every balance and the Settlement totals in one JSON-RPC batch."""
        letters, cash = self.world[LC], self.world["Settlement"]
        calls: list[tuple[Any, str, tuple[Any, ...]]] = [(letters, "getCredit", (lc.lc_id,)) for lc in self.credits]
        calls += [(cash, "balanceOf", (self.world.address(a), USD)) for a in ACCOUNTS]
        calls += [(cash, "totalIssued", (USD,)), (cash, "totalRedeemed", (USD,))]
        replies = self.world.chain.batch([("eth_call", (c.call_params(f, a), "latest")) for c, f, a in calls])
        values = []
        for (contract, function, _), reply in zip(calls, replies, strict=True):
            assert isinstance(reply, str), f"{function} failed: {reply}"
            values.append(contract.codec.decode_output(function, bytes.fromhex(reply[2:])))
        n = len(self.credits)
        balances = dict(zip(ACCOUNTS, values[n : n + len(ACCOUNTS)], strict=True))
        return values[:n], balances, values[-2] - values[-1]

    @invariant()
    def chain_matches_model(self) -> None:
        letters, balances, outstanding = self._read_all()
        for lc, onchain in zip(self.credits, letters, strict=True):
            state = LC_STATES[onchain["state"]]
            assert state == lc.state, f"credit {lc.lc_id}: chain {state}, model {lc.state}"
            assert (onchain["drawn"], onchain["reserved"]) == (lc.drawn, lc.reserved)
            assert onchain["openPresentationCount"] == lc.open_count
            assert onchain["terms"]["amount"] == lc.amount
            for transfer_id, t in lc.transfers.items():
                transfer = self.world.call(LC, "getTransfer", lc.lc_id, transfer_id)
                assert (TRANSFER_STATES[transfer["state"]], transfer["presented"]) == (t.state, t.presented)
            for tp_id, tp in lc.transferred.items():
                state = self.world.call(LC, "getTransferredPresentation", lc.lc_id, tp_id)["state"]
                assert TRANSFERRED_STATES[state] == tp.state, (lc.lc_id, tp_id)
            # Art 30: never more than amount x (1 + plus tolerance), reserved drawings included
            assert lc.drawn + lc.reserved <= lc.maximum
            if lc.lc_id in self.terminal_seen:
                assert state == self.terminal_seen[lc.lc_id], "a terminal state changed"
            if state in TERMINAL_LC_STATES:
                self.terminal_seen[lc.lc_id] = state
        # Settlement conservation, and every movement is one the model expects (no double honour)
        assert balances == self.balances
        assert sum(balances.values()) == outstanding


def test_letter_of_credit_state_machine(world: World) -> None:
    """A7/A8/A9/A10: random sequences by 3 banks and 2 traders keep every invariant of the credit."""
    LetterOfCreditMachine.world = world
    LetterOfCreditMachine.edges_seen.clear()
    run_state_machine_as_test(
        LetterOfCreditMachine,
        # 32 steps: 25 before the seven transfer rules (Art 38, 39) joined the draw
        settings=stateful_settings(EXAMPLES, steps=32),
    )
    names = (*FUNCTIONS, "honour by a nominated bank", "honour with assigned proceeds", "deferred proceeds split")
    summary = {f: (LetterOfCreditMachine.calls_ok[f], LetterOfCreditMachine.calls_refused[f]) for f in names}
    print("calls (succeeded, refused):", summary)
    print("edges exercised:", sorted(LetterOfCreditMachine.edges_seen))
    if EXAMPLES >= 200:  # the budget explores most of the graph; the named tests walk every edge explicitly
        assert len(LetterOfCreditMachine.edges_seen) >= 12, LetterOfCreditMachine.edges_seen
        assert sum(1 for ok, _ in summary.values() if ok) >= 15, summary
