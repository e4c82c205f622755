"""Hypothesis stateful test of title against payment (issue #18): random presentations of bills of lading under one
confirmed credit, examined, refused, waived, returned and honoured by random banks, with the applicant's funds
drained and restored at random so that reimbursement claims open and settle.

A Python model predicts every call's outcome and every record's (state, holder, controller); calls it rejects are
checked to revert, calls it accepts are sent. After every step:

- every record has exactly one controller, never zero, and the chain's state, holder and controller equal the
  model's; replaying the records' events alone gives the same controller (the control history is complete);
- a payment and the title it buys move in one transaction: every honour and interbank reimbursement of a drawing
  that carries a record has, in its own receipt, both the payment event and `RecordTitlePassed`, and a call that
  reverts moves neither (the model, unchanged, still equals the chain).

The cast is lc_support's: `bank` is the available-with (nominated) bank, `another_bank` confirms and carries.
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

from tests.contracts.helpers import USD, World, decode_events, stateful_settings
from tests.contracts.lc_support import (
    ADVISER,
    APPLICANT,
    BENEFICIARY,
    CONFIRMER,
    DAY,
    HOLD_PENDING_WAIVER,
    ISSUER,
    LC,
    RETURNING,
    balance,
    open_credit,
    start_on_monday,
)
from tests.contracts.records_matrix_cases import BILL_OF_LADING, RECORD_STATES, RECORDS
from tests.contracts.test_transferable_records_stateful import ZERO, replay_controllers

EXAMPLES = int(os.environ.get("TRADELEDGER_TITLE_STATEFUL_EXAMPLES", "12"))
BANKS = (ISSUER, ADVISER, CONFIRMER)
HOLDERS = (APPLICANT, BENEFICIARY, *BANKS)
DISCREPANCIES = [b"LATE_SHIPMENT".ljust(32, b"\0")]
MAX_RECORDS = 4
AMOUNTS = st.sampled_from([1_000, 40_000])  # the drained applicant keeps 20,000: the larger drawing opens a claim


@dataclass
class Rec:
    record_id: int
    state: str = "HELD"
    holder: str = BENEFICIARY
    controller: str = BENEFICIARY


@dataclass
class Drawing:
    presentation_id: int
    amount: int
    rec: Rec
    state: str = "PRESENTED"
    disposition: int = 0
    interbank: str = "NONE"
    nominated: str = ""
    claim_id: int = 0
    claim_open: bool = False


class TitleMachine(RuleBasedStateMachine):
    world: World
    calls_ok: ClassVar[Counter[str]] = Counter()
    calls_refused: ClassVar[Counter[str]] = Counter()

    def __init__(self) -> None:
        super().__init__()
        self.world.reset()
        start_on_monday(self.world)
        self.start_block = int(self.world.chain.rpc("eth_blockNumber"), 16)
        self.lc_id = open_credit(self.world, amount=10**8)
        self.records: list[Rec] = []
        self.drawings: list[Drawing] = []

    # ------------------------------------------------------------------------------------------ helpers

    def _send(self, ok: bool, actor: str, contract: str, function: str, *args: Any) -> list[str]:
        """The call's event names (of every contract) if the model says it succeeds; else assert it reverts."""
        if not ok:
            assert self.world.error(actor, contract, function, *args) is not None, (function, args, actor)
            self.calls_refused[function] += 1
            return []
        receipt = self.world.tx(actor, contract, function, *args)
        self.calls_ok[function] += 1
        return [event.name for event in decode_events(receipt.raw["logs"], self.world.contracts)]

    def _drawing(self, index: int, *states: str) -> Drawing | None:
        """Mostly a drawing in one of `states` (when there is one), else any, to try wrong states too."""
        candidates = [d for d in self.drawings if d.state in states] if index < 6 else []
        candidates = candidates or self.drawings
        return candidates[index % len(candidates)] if candidates else None

    def _title_to_applicant(self, drawing: Drawing, events: list[str]) -> None:
        """The issuing bank paid (the beneficiary, or the nominated bank): the title passes in this transaction."""
        assert "RecordTitlePassed" in events, events
        rec = drawing.rec
        if "ReimbursementClaimOpened" in events:
            rec.state, rec.holder, rec.controller = "PLEDGED", APPLICANT, ISSUER
            drawing.claim_open = True
            drawing.claim_id = self.world.call(LC, "getPresentation", self.lc_id, drawing.presentation_id)["claimId"]
        else:
            assert "ReimbursementSettled" in events, events
            rec.state, rec.holder, rec.controller = "HELD", APPLICANT, APPLICANT

    # ------------------------------------------------------------------------------------------ rules

    @initialize()
    def bills_of_lading(self) -> None:
        """The carrier issues MAX_RECORDS bearer bills of lading to the beneficiary."""
        holder = self.world.address(BENEFICIARY)
        for _ in range(MAX_RECORDS):
            document = self.world.unique("ebl")
            receipt = self.world.tx(CONFIRMER, RECORDS, "issue", BILL_OF_LADING, document, holder, False)
            self.records.append(Rec(receipt.event("RecordIssued")["recordId"]))

    @rule(index=st.integers(0, 7), amount=AMOUNTS)
    def present(self, index: int, amount: int) -> None:
        rec = self.records[index % len(self.records)]
        ok = rec.state == "HELD" and rec.controller == BENEFICIARY
        shipped = self.world.chain.timestamp() - DAY
        args = (self.lc_id, [self.world.unique("doc")], amount, shipped, rec.record_id)
        events = self._send(ok, BENEFICIARY, LC, "presentWithRecord", *args)
        if ok:
            assert {"DocumentsPresented", "RecordLodged", "TransferableRecordPresented"} <= set(events)
            presentation_id = self.world.call(LC, "getCredit", self.lc_id)["presentationCount"]
            self.drawings.append(Drawing(presentation_id, amount, rec))
            rec.state, rec.controller = "ESCROWED", ADVISER

    def _any(self, *states: str) -> bool:
        return any(d.state in states for d in self.drawings)

    @precondition(lambda self: self._any("PRESENTED", "WAIVED"))
    @rule(index=st.integers(0, 7), bank=st.sampled_from((*BANKS, APPLICANT)))
    def honour(self, index: int, bank: str) -> None:
        drawing = self._drawing(index, "PRESENTED", "WAIVED")
        if drawing is None:
            return
        ok = bank in BANKS and drawing.state in ("PRESENTED", "WAIVED")
        events = self._send(ok, bank, LC, "honour", self.lc_id, drawing.presentation_id)
        if not ok:
            return
        assert "PresentationHonoured" in events, events
        drawing.state = "HONOURED"
        if bank == ISSUER:
            self._title_to_applicant(drawing, events)
        else:
            # the nominated bank paid: the title is its own, and it travels to the issuing bank with the documents
            assert {"RecordTitlePassed", "RecordLodged", "DocumentsForwarded"} <= set(events), events
            drawing.interbank, drawing.nominated = "OPEN", bank
            drawing.rec.state, drawing.rec.holder, drawing.rec.controller = "ESCROWED", bank, ISSUER

    @precondition(lambda self: self._any("PRESENTED", "REFUSED", "WAIVED"))
    @rule(index=st.integers(0, 7), step=st.sampled_from(("refuse-hold", "refuse-return", "waive", "return")))
    def examine(self, index: int, step: str) -> None:
        """Refuse (holding the documents pending a waiver, or returning them), waive, or return the documents."""
        drawing = self._drawing(index, *(("PRESENTED",) if step.startswith("refuse") else ("REFUSED", "WAIVED")))
        if drawing is None:
            return
        if step.startswith("refuse"):
            disposition = HOLD_PENDING_WAIVER if step == "refuse-hold" else RETURNING
            ok = drawing.state == "PRESENTED"
            args = (self.lc_id, drawing.presentation_id, DISCREPANCIES, disposition)
            self._send(ok, ISSUER, LC, "refuse", *args)
            if ok:
                drawing.state, drawing.disposition = "REFUSED", disposition  # the bank keeps the record meanwhile
        elif step == "waive":
            ok = drawing.state == "REFUSED" and drawing.disposition == HOLD_PENDING_WAIVER
            self._send(ok, APPLICANT, LC, "waiveDiscrepancies", self.lc_id, drawing.presentation_id)
            if ok:
                drawing.state = "WAIVED"
        else:
            ok = drawing.state in ("REFUSED", "WAIVED")
            events = self._send(ok, ISSUER, LC, "returnDocuments", self.lc_id, drawing.presentation_id)
            if ok:
                assert {"DocumentsReturned", "RecordReturned"} <= set(events), events
                drawing.state = "RETURNED"
                drawing.rec.state, drawing.rec.holder, drawing.rec.controller = "HELD", BENEFICIARY, BENEFICIARY

    @precondition(lambda self: any(d.interbank == "OPEN" for d in self.drawings))
    @rule(index=st.integers(0, 7), refuse=st.booleans())
    def answer_nominated_bank(self, index: int, refuse: bool) -> None:
        drawing = self._drawing(index, "HONOURED")
        if drawing is None:
            return
        ok = drawing.interbank == "OPEN"
        if refuse:
            args = (self.lc_id, drawing.presentation_id, DISCREPANCIES)
            events = self._send(ok, ISSUER, LC, "refuseReimbursement", *args)
            if ok:
                assert "RecordReturned" in events, events
                drawing.interbank = "REFUSED"
                drawing.rec.state, drawing.rec.controller = "HELD", drawing.nominated
            return
        events = self._send(ok, ISSUER, LC, "reimburseNominatedBank", self.lc_id, drawing.presentation_id)
        if ok:
            assert "NominatedBankReimbursed" in events, events
            drawing.interbank = "REIMBURSED"
            self._title_to_applicant(drawing, events)

    @precondition(lambda self: any(d.claim_open for d in self.drawings))
    @rule(index=st.integers(0, 7))
    def settle_claim(self, index: int) -> None:
        owing = [d for d in self.drawings if d.claim_open]
        if not owing:
            return
        drawing = owing[index % len(owing)]
        ok = balance(self.world, APPLICANT) >= drawing.amount
        events = self._send(ok, APPLICANT, LC, "settleReimbursementClaim", drawing.claim_id)
        if ok:
            drawing.claim_open = False
            rec = drawing.rec
            if rec.state == "PLEDGED" and rec.controller == ISSUER and rec.holder == APPLICANT:
                assert "RecordPledgeReleased" in events, events
                rec.state, rec.controller = "HELD", APPLICANT

    @rule(drain=st.booleans())
    def applicant_funds(self, drain: bool) -> None:
        """The applicant's sponsor (the issuing bank) drains its account to 20,000 or funds it again."""
        held = balance(self.world, APPLICANT)
        applicant = self.world.address(APPLICANT)
        if drain and held > 20_000:
            self.world.tx(ISSUER, "Settlement", "redeem", applicant, USD, held - 20_000, self.world.unique("redeem"))
        elif not drain:
            self.world.tx(ISSUER, "Settlement", "issue", applicant, USD, 100_000, self.world.unique("fund"))

    @rule(index=st.integers(0, 7), to=st.sampled_from(HOLDERS), who=st.integers(0, 9))
    def hand_on(self, index: int, to: str, who: int) -> None:
        """A holder passes a held record on (to the beneficiary, so that it can be presented again); anyone else
        who tries is refused: only the controller moves a record. `who` 0-5: the controller, else another party."""
        rec = self.records[index % len(self.records)]
        by = rec.controller if who < 6 else HOLDERS[who % len(HOLDERS)]
        ok = rec.state == "HELD" and by == rec.controller and to != rec.holder
        self._send(ok, by, RECORDS, "transfer", rec.record_id, self.world.address(to))
        if ok:
            rec.holder = rec.controller = to

    # ------------------------------------------------------------------------------------------ invariants

    @invariant()
    def exactly_one_controller_as_modelled(self) -> None:
        replayed = replay_controllers(self.world.logs(self.start_block))
        for rec in self.records:
            onchain = self.world.call(RECORDS, "record", rec.record_id)
            assert onchain["controller"] != ZERO, f"record {rec.record_id} has no controller"
            got = (RECORD_STATES[onchain["state"]], onchain["holder"], onchain["controller"])
            expected = (rec.state, self.world.address(rec.holder), self.world.address(rec.controller))
            assert got == expected, rec
            assert replayed[rec.record_id] == onchain["controller"]


def test_title_moves_with_payment_state_machine(world: World) -> None:
    """Exactly one controller at every step; title moves with the payment that buys it, in the same transaction."""
    TitleMachine.world = world
    run_state_machine_as_test(
        TitleMachine,
        settings=stateful_settings(EXAMPLES, steps=25),
    )
    ok, refused = TitleMachine.calls_ok, TitleMachine.calls_refused
    print("calls (succeeded, refused):", {f: (ok[f], refused[f]) for f in sorted(set(ok) | set(refused))})
    assert ok["presentWithRecord"] and ok["honour"] and ok["returnDocuments"] and refused["transfer"], (ok, refused)
