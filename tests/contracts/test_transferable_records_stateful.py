"""Hypothesis stateful test of TransferableRecords: random calls by random actors on a few records.

A pure Python model predicts, for every call, whether it must succeed (right party, right state, right
counterparty); calls it rejects are checked to revert (by `eth_call`), calls it accepts are sent and must
succeed with exactly the one event their function names. After every step:

- every record has exactly one controller, never the zero address, and the chain's holder, controller and
  state equal the model's (so nobody but the controller ever moved a record: every call by another actor was
  predicted to fail, and did);
- replaying the records' events alone gives the same controller as the chain (the control history is complete);
- a VOID record never changes again, and nothing is done with it (no use after surrender).

Cast: banks `sponsor_bank`, `bank`, `another_bank`; traders `trader`, `another_trader`; `auditor` and
`suspended_trader` call too (and must always fail); `agent` is made a title agent (the role the LetterOfCredit
contract holds) and lodges, returns and passes title. DocumentRegistry, the platform's other title agent, pledges
records by financing: a trader registers a document linked to a record and a bank finances it (the record must be
HELD under the trader's control, or the financing reverts whole: no second financing on a pledged or escrowed
record), and the full repayment or the financier's release gives the record back, in the same transactions as the
money moves.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass
from typing import Any, ClassVar

from eth_abi.abi import encode
from eth_utils import keccak
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from tests.contracts.helpers import USD, World, stateful_settings
from tests.contracts.records_matrix_cases import RECORD_STATES, RECORDS, TITLE_AGENT_ROLE

BANKS = ("sponsor_bank", "bank", "another_bank")
TRADERS = ("trader", "another_trader")
PARTIES = (*BANKS, *TRADERS)
CALLERS = (*PARTIES, "auditor", "suspended_trader")
TARGETS = (*PARTIES, "auditor", "suspended_trader", "blank")
ZERO = "0x" + "00" * 20
KEYS = (b"\x00" * 32, (1).to_bytes(32, "big"), (2).to_bytes(32, "big"))
EXAMPLES = int(os.environ.get("TRADELEDGER_RECORDS_STATEFUL_EXAMPLES", "40"))
WHO = st.integers(0, 9)  # 0-6: the record's controller (or the step's own party); 7-9: another caller

REGISTRY = "DocumentRegistry"
EVENT_OF = {
    "issue": "RecordIssued",
    "endorse": "RecordEndorsed",
    "transfer": "RecordTransferred",
    "pledge": "RecordPledged",
    "releasePledge": "RecordPledgeReleased",
    "enforcePledge": "RecordPledgeEnforced",
    "surrender": "RecordSurrendered",
    "rejectSurrender": "RecordSurrenderRejected",
    "voidRecord": "RecordVoided",
    "lodge": "RecordLodged",
    "returnToPresenter": "RecordReturned",
    "passTitle": "RecordTitlePassed",
    "releaseSecurity": "RecordPledgeReleased",
}


@dataclass
class Financing:
    """A document linked to a record, financed (or refused) through DocumentRegistry."""

    document_id: int
    record_id: int
    owner: str
    financier: str
    key: bytes
    outstanding: int
    state: str = "FINANCED"


@dataclass
class Rec:
    record_id: int
    issuer: str
    holder: str
    controller: str
    to_order: bool
    state: str = "HELD"
    blank: bool = False
    escrow: bytes = KEYS[0]


def replay_controllers(events: list[Any]) -> dict[int, str]:
    """The controller of every record from its events alone (what an indexer or a verifier derives)."""
    controller: dict[int, str] = {}
    holder: dict[int, str] = {}
    issuer: dict[int, str] = {}
    for event in events:
        if event.contract != RECORDS or "recordId" not in event.args:
            continue
        a, rid = event.args, event.args["recordId"]
        match event.name:
            case "RecordIssued":
                issuer[rid], holder[rid], controller[rid] = a["issuer"], a["holder"], a["holder"]
            case "RecordEndorsed" if a["endorsee"] != ZERO:
                holder[rid] = controller[rid] = a["endorsee"]
            case "RecordTransferred":
                holder[rid] = controller[rid] = a["to"]
            case "RecordPledged":
                controller[rid] = a["pledgee"]
            case "RecordPledgeReleased" | "RecordSurrenderRejected":
                controller[rid] = holder[rid]
            case "RecordPledgeEnforced":
                holder[rid] = controller[rid] = a["pledgee"]
            case "RecordSurrendered" | "RecordVoided":
                controller[rid] = issuer[rid]
            case "RecordLodged":
                controller[rid] = a["bank"]
            case "RecordReturned":
                controller[rid] = holder[rid] = a["presenter"]
            case "RecordTitlePassed":
                holder[rid] = a["holder"]
                controller[rid] = a["holder"] if a["securedBy"] == ZERO else a["securedBy"]
    return controller


class RecordsMachine(RuleBasedStateMachine):
    world: World
    calls_ok: ClassVar[Counter[str]] = Counter()
    calls_refused: ClassVar[Counter[str]] = Counter()

    def __init__(self) -> None:
        super().__init__()
        self.world.reset()
        self.world.tx("operator", RECORDS, "grantRole", TITLE_AGENT_ROLE, self.world.address("agent"))
        self.start_block = int(self.world.chain.rpc("eth_blockNumber"), 16)
        self.records: list[Rec] = []
        self.financings: list[Financing] = []

    def _address(self, name: str) -> str:
        return ZERO if name == "blank" else self.world.address(name)

    def _call(self, ok: bool, actor: str, function: str, *args: Any) -> None:
        if not ok:
            error = self.world.error(actor, RECORDS, function, *args)
            assert error is not None, f"{function}{args} by {actor} succeeded; the model says it must fail"
            self.calls_refused[function] += 1
            return
        receipt = self.world.tx(actor, RECORDS, function, *args)
        assert [e.name for e in receipt.events] == [EVENT_OF[function]], (function, receipt.events)
        self.calls_ok[function] += 1

    def _pick(self, index: int, *states: str) -> Rec | None:
        """Mostly a record in one of `states` (when there is one), else any record, to try wrong states too."""
        candidates = [rec for rec in self.records if rec.state in states] if index < 6 else []
        candidates = candidates or self.records
        return candidates[index % len(candidates)] if candidates else None

    @staticmethod
    def _key(key: int, rec: Rec) -> bytes:
        """0: the record's own escrow key; 1: another one; 2: none."""
        return rec.escrow if key == 0 else KEYS[1] if rec.escrow != KEYS[1] else KEYS[2] if key == 1 else KEYS[0]

    @staticmethod
    def _other(other: int, holder: str, among: tuple[str, ...] = PARTIES) -> str:
        """Mostly a valid counterparty (one of `among` that is not `holder`), sometimes anyone or blank."""
        if other >= 4:
            return TARGETS[other]
        valid = [party for party in among if party != holder]
        return valid[other % len(valid)]

    def _caller(self, who: int, party: str) -> str:
        return party if who < 7 else CALLERS[(who * 3) % len(CALLERS)]

    # ------------------------------------------------------------------------------------------ rules

    @initialize(issuer=st.integers(0, 4), holder=st.integers(0, 4), to_order=st.booleans())
    def first_record(self, issuer: int, holder: int, to_order: bool) -> None:
        self.issue(issuer=issuer, holder=holder, to_order=to_order)

    @rule(issuer=st.integers(0, 6), holder=st.integers(0, 6), to_order=st.booleans())
    def issue(self, issuer: int, holder: int, to_order: bool) -> None:
        by, to = CALLERS[issuer], CALLERS[holder]
        to_order = to_order != (len(self.records) % 2 == 0)  # alternate, whatever hypothesis draws
        ok = by in PARTIES and to in PARTIES
        self._call(ok, by, "issue", 0, self.world.unique("bl"), self._address(to), to_order)
        if ok:
            self.records.append(Rec(len(self.records) + 1, by, to, to, to_order))

    @rule(index=st.integers(0, 7), who=WHO, other=st.integers(0, len(TARGETS) - 1))
    def endorse(self, index: int, who: int, other: int) -> None:
        rec = self._pick(index, "HELD")
        if rec is None:
            return
        actor, endorsee = self._caller(who, rec.controller), self._other(other, rec.holder)
        ok = (
            actor in PARTIES and rec.state == "HELD" and rec.controller == actor and rec.to_order
            and (endorsee == "blank" or (endorsee in PARTIES and endorsee != rec.holder))
        )  # fmt: skip
        self._call(ok, actor, "endorse", rec.record_id, self._address(endorsee))
        if ok:
            rec.blank = endorsee == "blank"
            if endorsee != "blank":
                rec.holder = rec.controller = endorsee

    @rule(index=st.integers(0, 7), who=WHO, other=st.integers(0, len(TARGETS) - 1))
    def transfer(self, index: int, who: int, other: int) -> None:
        rec = self._pick(index, "HELD")
        if rec is None:
            return
        actor, to = self._caller(who, rec.controller), self._other(other, rec.holder)
        ok = (
            actor in PARTIES and rec.state == "HELD" and rec.controller == actor
            and (not rec.to_order or rec.blank) and to in PARTIES and to != rec.holder
        )  # fmt: skip
        self._call(ok, actor, "transfer", rec.record_id, self._address(to))
        if ok:
            rec.holder = rec.controller = to

    @rule(index=st.integers(0, 7), who=WHO, other=st.integers(0, len(TARGETS) - 1))
    def pledge(self, index: int, who: int, other: int) -> None:
        rec = self._pick(index, "HELD")
        if rec is None:
            return
        actor, pledgee = self._caller(who, rec.controller), self._other(other, rec.holder, BANKS)
        ok = actor in PARTIES and rec.state == "HELD" and rec.controller == actor and pledgee in BANKS
        ok = ok and pledgee != actor
        self._call(ok, actor, "pledge", rec.record_id, self._address(pledgee))
        if ok:
            rec.state, rec.controller = "PLEDGED", pledgee

    @rule(index=st.integers(0, 7), who=WHO, enforce=st.booleans())
    def end_pledge(self, index: int, who: int, enforce: bool) -> None:
        rec = self._pick(index, "PLEDGED")
        if rec is None:
            return
        actor = self._caller(who, rec.controller)
        ok = actor in PARTIES and rec.state == "PLEDGED" and rec.controller == actor
        self._call(ok, actor, "enforcePledge" if enforce else "releasePledge", rec.record_id)
        if ok:
            rec.state, rec.escrow = "HELD", KEYS[0]
            if enforce:
                rec.holder = actor
            rec.controller = rec.holder

    @rule(index=st.integers(0, 7), who=WHO)
    def surrender(self, index: int, who: int) -> None:
        rec = self._pick(index, "HELD")
        if rec is None:
            return
        actor = self._caller(who, rec.controller)
        ok = actor in PARTIES and rec.state == "HELD" and rec.controller == actor
        self._call(ok, actor, "surrender", rec.record_id)
        if ok:
            rec.state, rec.controller = "SURRENDERED", rec.issuer

    @rule(index=st.integers(0, 7), who=WHO, void=st.booleans())
    def answer_surrender(self, index: int, who: int, void: bool) -> None:
        rec = self._pick(index, "SURRENDERED")
        if rec is None:
            return
        actor = self._caller(who, rec.controller)
        ok = actor in PARTIES and rec.state == "SURRENDERED" and rec.controller == actor
        self._call(ok, actor, "voidRecord" if void else "rejectSurrender", rec.record_id)
        if ok:
            if void:
                rec.state = "VOID"
            else:
                rec.state, rec.controller = "HELD", rec.holder

    @rule(index=st.integers(0, 7), presenter=st.integers(0, 6), bank=st.integers(0, 6), key=st.integers(1, 2),
          by=st.sampled_from(["agent", "bank", "trader"]))  # fmt: skip
    def lodge(self, index: int, presenter: int, bank: int, key: int, by: str) -> None:
        rec = self._pick(index, "HELD")
        if rec is None:
            return
        who = rec.controller if presenter < 5 else CALLERS[presenter]
        with_bank = self._other(bank, who, BANKS) if bank < 4 else CALLERS[bank]
        ok = by == "agent" and rec.state == "HELD" and rec.controller == who and with_bank in BANKS
        ok = ok and with_bank != who
        self._call(ok, by, "lodge", rec.record_id, self._address(who), self._address(with_bank), KEYS[key])
        if ok:
            rec.state, rec.controller, rec.escrow = "ESCROWED", with_bank, KEYS[key]

    @rule(index=st.integers(0, 7), key=st.integers(0, 2))
    def return_to_presenter(self, index: int, key: int) -> None:
        rec = self._pick(index, "ESCROWED")
        if rec is None:
            return
        escrow = self._key(key, rec)
        ok = rec.state == "ESCROWED" and rec.escrow == escrow
        self._call(ok, "agent", "returnToPresenter", rec.record_id, escrow)
        if ok:
            rec.state, rec.controller, rec.escrow = "HELD", rec.holder, KEYS[0]

    @rule(index=st.integers(0, 7), key=st.integers(0, 2), holder=st.integers(0, 6), secured=st.integers(0, 10))
    def pass_title(self, index: int, key: int, holder: int, secured: int) -> None:
        rec = self._pick(index, "ESCROWED")
        if rec is None:
            return
        to, escrow = CALLERS[holder], self._key(key, rec)
        by = self._other(secured, to, BANKS) if secured < 3 else "blank" if secured == 3 else CALLERS[secured - 4]
        ok = rec.state == "ESCROWED" and rec.escrow == escrow and to in PARTIES
        ok = ok and (by == "blank" or (by in BANKS and by != to))
        self._call(ok, "agent", "passTitle", rec.record_id, escrow, self._address(to), self._address(by))
        if ok:
            rec.holder = to
            if by == "blank":
                rec.state, rec.controller, rec.escrow = "HELD", to, KEYS[0]
            else:
                rec.state, rec.controller = "PLEDGED", by

    @rule(index=st.integers(0, 7), key=st.integers(0, 2))
    def release_security(self, index: int, key: int) -> None:
        rec = self._pick(index, "PLEDGED")
        if rec is None:
            return
        escrow = self._key(key, rec)
        released = rec.state == "PLEDGED" and escrow != KEYS[0] and rec.escrow == escrow
        receipt = self.world.tx("agent", RECORDS, "releaseSecurity", rec.record_id, escrow)
        assert [e.name for e in receipt.events] == (["RecordPledgeReleased"] if released else [])
        if released:
            rec.state, rec.controller, rec.escrow = "HELD", rec.holder, KEYS[0]
            self.calls_ok["financing ended, record released"] += 1

    # ------------------------------------------------------------------------------------------ financing

    def _settled_with(self, receipt: Any, record_event: str | None) -> None:
        """The money leg and the record's move (or none) are in the same transaction."""
        block = int(receipt.raw["blockNumber"], 16)
        names = [e.name for e in self.world.logs(block) if e.block == block]
        assert "Posted" in names or "DocumentReleased" in names, names
        assert (
            (record_event in names) if record_event else not {"RecordPledged", "RecordPledgeReleased"} & set(names)
        ), names

    @rule(index=st.integers(0, 7), owner=st.integers(0, 2), bank=st.integers(0, 2))
    def finance(self, index: int, owner: int, bank: int) -> None:
        """A trader registers a document linked to a record; a bank finances it, which pledges the record."""
        held = [rec for rec in self.records if rec.state == "HELD" and rec.controller in TRADERS] if index < 6 else []
        candidates = held or self.records
        if not candidates:
            return
        rec = candidates[index % len(candidates)]
        trader = rec.controller if owner < 2 and rec.controller in TRADERS else TRADERS[owner % 2]
        registration = (self._address(trader), 1, USD, 50_000, [self.world.unique("fp")], rec.record_id)
        registered = self.world.tx(trader, REGISTRY, "registerDocumentWithRecord", *registration)
        document_id = registered.event("DocumentRecordLinked")["documentId"]
        financier = BANKS[bank]
        ok = rec.state == "HELD" and rec.controller == trader
        if not ok:
            error = self.world.error(financier, REGISTRY, "finance", document_id, 40_000, self.world.unique("fin"))
            assert error is not None and error.name == "DocumentRegistryInvalidRecordState", error
            self.calls_refused["finance"] += 1
            return
        receipt = self.world.tx(financier, REGISTRY, "finance", document_id, 40_000, self.world.unique("fin"))
        self._settled_with(receipt, "RecordPledged")
        key = keccak(encode(["address", "uint256"], [self.world[REGISTRY].address, document_id]))
        self.financings.append(Financing(document_id, rec.record_id, trader, financier, key, 40_000))
        rec.state, rec.controller, rec.escrow = "PLEDGED", financier, key
        self.calls_ok["finance"] += 1

    def _end_financing(self, fin: Financing, receipt: Any) -> None:
        """Repaid or released: the record comes back to its holder if this financing's pledge still holds it."""
        rec = self.records[fin.record_id - 1]
        released = rec.state == "PLEDGED" and rec.escrow == fin.key
        self._settled_with(receipt, "RecordPledgeReleased" if released else None)
        if released:
            rec.state, rec.controller, rec.escrow = "HELD", rec.holder, KEYS[0]
            self.calls_ok["financing ended, record released"] += 1

    @rule(index=st.integers(0, 7), full=st.booleans(), release=st.booleans())
    def end_financing(self, index: int, full: bool, release: bool) -> None:
        """The owner repays (in part, or all of it), or the financier releases its claim."""
        open_ = [fin for fin in self.financings if fin.state == "FINANCED"]
        if not open_:
            return
        fin = open_[index % len(open_)]
        if release:
            receipt = self.world.tx(fin.financier, REGISTRY, "release", fin.document_id)
            fin.state = "RELEASED"
            self._end_financing(fin, receipt)
            return
        amount = fin.outstanding if full else fin.outstanding // 4
        receipt = self.world.tx(fin.owner, REGISTRY, "repay", fin.document_id, amount, self.world.unique("rep"))
        fin.outstanding -= amount
        if fin.outstanding == 0:
            fin.state = "REPAID"
            self._end_financing(fin, receipt)
        else:
            self._settled_with(receipt, None)

    # ------------------------------------------------------------------------------------------ invariants

    @invariant()
    def one_controller_as_modelled(self) -> None:
        replayed = replay_controllers(self.world.logs(self.start_block))
        for rec in self.records:
            onchain = self.world.call(RECORDS, "record", rec.record_id)
            assert onchain["controller"] != ZERO, f"record {rec.record_id} has no controller"
            assert self.world.call(RECORDS, "controllerOf", rec.record_id) == onchain["controller"]
            got = (RECORD_STATES[onchain["state"]], onchain["holder"], onchain["controller"])
            assert got == (rec.state, self._address(rec.holder), self._address(rec.controller)), rec
            assert replayed[rec.record_id] == onchain["controller"]
        assert self.world.call(RECORDS, "recordCount") == len(self.records)
        for fin in self.financings:
            onchain = self.world.call(REGISTRY, "document", fin.document_id)
            assert (onchain["outstanding"], onchain["financier"]) == (fin.outstanding, self._address(fin.financier))
            rec = self.records[fin.record_id - 1]
            pledged = self.world.call(RECORDS, "record", fin.record_id)["escrowKey"] == fin.key
            assert pledged == (rec.state == "PLEDGED" and rec.escrow == fin.key)


def test_transferable_records_state_machine(world: World) -> None:
    """Exactly one controller at every step; only the controller (or a title agent) moves a record; VOID is final."""
    RecordsMachine.world = world
    run_state_machine_as_test(
        RecordsMachine,
        settings=stateful_settings(EXAMPLES, steps=20),
    )
    ok, refused = RecordsMachine.calls_ok, RecordsMachine.calls_refused
    print("calls (succeeded, refused):", {f: (ok[f], refused[f]) for f in sorted(set(ok) | set(refused))})
    if EXAMPLES >= 40:
        # the budget explores most functions; test_transferable_records walks every edge explicitly
        assert sum(1 for f in EVENT_OF if ok[f]) >= 9, ok
        assert refused["transfer"] > 0 and refused["endorse"] > 0 and refused["surrender"] > 0, refused
        # pledges by financing were made, refused (record not HELD by the owner), and released by their financing
        assert ok["finance"] > 0 and refused["finance"] > 0 and ok["financing ended, record released"] > 0, ok
