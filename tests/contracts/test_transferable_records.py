"""TransferableRecords: every edge of the record graph walked by name, the refusals that protect exclusive
control, and event completeness (replaying the contract's events rebuilds every getter, field for field)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.contracts.helpers import Event, TransactionFailed, World
from tests.contracts.records_matrix_cases import (
    BILL_OF_LADING,
    ESCROW_KEY,
    RECORD_STATES,
    RECORDS,
    TITLE_AGENT_ROLE,
    WAREHOUSE_RECEIPT,
    issue_record,
    lodged_record,
)

ZERO = "0x" + "00" * 20
NO_KEY = b"\x00" * 32


def state(world: World, record_id: int) -> tuple[str, str, str]:
    record = world.call(RECORDS, "record", record_id)
    return RECORD_STATES[record["state"]], record["holder"], record["controller"]


def refused(world: World, actor: str, function: str, *args: Any) -> tuple[str, tuple[Any, ...]]:
    with pytest.raises(TransactionFailed) as failure:
        world.tx(actor, RECORDS, function, *args)
    return failure.value.error.name, failure.value.error.args


class TestLifecycle:
    def test_order_bill_passes_by_endorsement_then_blank_by_transfer(self, world: World) -> None:
        a = world.address
        record_id = issue_record(world, to_order=True)
        assert refused(world, "trader", "transfer", record_id, a("another_trader"))[0] == (
            "TransferableRecordsEndorsementRequired"
        )
        world.tx("trader", RECORDS, "endorse", record_id, a("another_trader"))
        assert state(world, record_id) == ("HELD", a("another_trader"), a("another_trader"))
        world.tx("another_trader", RECORDS, "endorse", record_id, ZERO)  # in blank
        world.tx("another_trader", RECORDS, "transfer", record_id, a("bank"))
        assert state(world, record_id) == ("HELD", a("bank"), a("bank"))
        assert world.call(RECORDS, "record", record_id)["endorsements"] == 2

    def test_pledge_release_and_enforce(self, world: World) -> None:
        a = world.address
        record_id = issue_record(world)
        world.tx("trader", RECORDS, "pledge", record_id, a("sponsor_bank"))
        assert state(world, record_id) == ("PLEDGED", a("trader"), a("sponsor_bank"))
        assert refused(world, "trader", "transfer", record_id, a("another_trader"))[0] == (
            "TransferableRecordsInvalidState"
        )
        world.tx("sponsor_bank", RECORDS, "releasePledge", record_id)
        assert state(world, record_id) == ("HELD", a("trader"), a("trader"))
        world.tx("trader", RECORDS, "pledge", record_id, a("sponsor_bank"))
        world.tx("sponsor_bank", RECORDS, "enforcePledge", record_id)
        assert state(world, record_id) == ("HELD", a("sponsor_bank"), a("sponsor_bank"))

    def test_surrender_rejected_then_voided_and_void_is_final(self, world: World) -> None:
        a = world.address
        record_id = issue_record(world, issuer="bank")
        world.tx("trader", RECORDS, "surrender", record_id)
        assert state(world, record_id) == ("SURRENDERED", a("trader"), a("bank"))
        world.tx("bank", RECORDS, "rejectSurrender", record_id)
        assert state(world, record_id) == ("HELD", a("trader"), a("trader"))
        world.tx("trader", RECORDS, "surrender", record_id)
        world.tx("bank", RECORDS, "voidRecord", record_id)
        assert state(world, record_id) == ("VOID", a("trader"), a("bank"))
        for actor, function, args in (
            ("trader", "transfer", (a("another_trader"),)),
            ("bank", "transfer", (a("another_trader"),)),
            ("trader", "surrender", ()),
            ("bank", "rejectSurrender", ()),
            ("bank", "voidRecord", ()),
            ("trader", "pledge", (a("bank"),)),
        ):
            assert refused(world, actor, function, record_id, *args)[0] in (
                "TransferableRecordsInvalidState",
                "TransferableRecordsNotController",
            )

    def test_lodged_record_returned_on_refusal(self, world: World) -> None:
        a = world.address
        record_id = lodged_record(world)
        assert state(world, record_id) == ("ESCROWED", a("trader"), a("bank"))
        assert refused(world, "agent", "returnToPresenter", record_id, NO_KEY)[0] == "TransferableRecordsEscrowMismatch"
        world.tx("agent", RECORDS, "returnToPresenter", record_id, ESCROW_KEY)
        assert state(world, record_id) == ("HELD", a("trader"), a("trader"))

    def test_title_passes_with_security_released_on_reimbursement(self, world: World) -> None:
        a = world.address
        record_id = lodged_record(world)
        world.tx("agent", RECORDS, "passTitle", record_id, ESCROW_KEY, a("another_trader"), a("bank"))
        assert state(world, record_id) == ("PLEDGED", a("another_trader"), a("bank"))
        assert world.tx("agent", RECORDS, "releaseSecurity", record_id, NO_KEY).events == []
        world.tx("agent", RECORDS, "releaseSecurity", record_id, ESCROW_KEY)
        assert state(world, record_id) == ("HELD", a("another_trader"), a("another_trader"))
        assert world.tx("agent", RECORDS, "releaseSecurity", record_id, ESCROW_KEY).events == []

    def test_title_passes_outright_when_reimbursed_at_once(self, world: World) -> None:
        a = world.address
        record_id = lodged_record(world)
        world.tx("agent", RECORDS, "passTitle", record_id, ESCROW_KEY, a("another_trader"), ZERO)
        assert state(world, record_id) == ("HELD", a("another_trader"), a("another_trader"))


class TestRefusals:
    def test_issue_refuses_duplicate_document_zero_hash_and_non_party_holder(self, world: World) -> None:
        a = world.address
        document_hash = world.unique("bl")
        world.tx("bank", RECORDS, "issue", BILL_OF_LADING, document_hash, a("trader"), True)
        assert refused(world, "another_bank", "issue", BILL_OF_LADING, document_hash, a("trader"), True) == (
            "TransferableRecordsDuplicateDocument",
            (document_hash, 1),
        )
        assert refused(world, "bank", "issue", BILL_OF_LADING, NO_KEY, a("trader"), True)[0] == (
            "TransferableRecordsInvalidDocumentHash"
        )
        for holder in ("auditor", "suspended_trader", "non_member"):
            name, _ = refused(world, "bank", "issue", WAREHOUSE_RECEIPT, world.unique("wr"), a(holder), False)
            assert name == "TransferableRecordsInvalidParty"

    def test_transfer_names_the_controller_and_refuses_bad_counterparties(self, world: World) -> None:
        a = world.address
        record_id = issue_record(world)
        assert refused(world, "bank", "transfer", record_id, a("bank")) == (
            "TransferableRecordsNotController",
            (record_id, a("bank"), a("trader")),
        )
        for to in ("trader", "auditor", "non_member"):
            assert refused(world, "trader", "transfer", record_id, a(to))[0] == "TransferableRecordsInvalidParty"
        assert (
            refused(world, "trader", "pledge", record_id, a("another_trader"))[0] == "TransferableRecordsInvalidParty"
        )
        assert refused(world, "trader", "endorse", record_id, a("bank"))[0] == "TransferableRecordsNotOrderDocument"

    def test_lodge_only_from_the_controller_to_a_bank(self, world: World) -> None:
        a = world.address
        world.tx("operator", RECORDS, "grantRole", TITLE_AGENT_ROLE, a("agent"))
        record_id = issue_record(world)
        args = (record_id, a("another_trader"), a("bank"), ESCROW_KEY)
        assert refused(world, "agent", "lodge", *args)[0] == "TransferableRecordsNotController"
        args = (record_id, a("trader"), a("another_trader"), ESCROW_KEY)
        assert refused(world, "agent", "lodge", *args)[0] == "TransferableRecordsInvalidParty"


# ------------------------------------------------------------------------------------------------ event replay


def replay(events: list[Event], timestamps: dict[int, int]) -> dict[int, dict[str, Any]]:
    """Every record's getter value rebuilt from TransferableRecords events alone."""
    records: dict[int, dict[str, Any]] = {}
    state = {name: index for index, name in enumerate(RECORD_STATES)}
    for event in events:
        args = event.args
        if "recordId" not in args:
            continue
        if event.name == "RecordIssued":
            records[args["recordId"]] = {
                "issuer": args["issuer"], "kind": args["kind"], "state": state["HELD"], "toOrder": args["toOrder"],
                "blankEndorsed": False, "holder": args["holder"], "controller": args["holder"],
                "issuedAt": timestamps[event.block], "endorsements": 0, "documentHash": args["documentHash"],
                "escrowKey": NO_KEY,
            }  # fmt: skip
            continue
        r = records[args["recordId"]]

        def hold(holder: str, r: dict[str, Any] = r) -> None:
            r.update(state=state["HELD"], holder=holder, controller=holder, escrowKey=NO_KEY)

        match event.name:
            case "RecordEndorsed":
                r["endorsements"] = args["sequence"]
                r["blankEndorsed"] = args["endorsee"] == ZERO
                if args["endorsee"] != ZERO:
                    hold(args["endorsee"])
            case "RecordTransferred":
                hold(args["to"])
            case "RecordPledged":
                r.update(state=state["PLEDGED"], controller=args["pledgee"], escrowKey=args["escrowKey"])
            case "RecordPledgeReleased":
                hold(args["holder"])
            case "RecordPledgeEnforced":
                hold(args["pledgee"])
            case "RecordSurrendered":
                r.update(state=state["SURRENDERED"], controller=args["issuer"])
            case "RecordSurrenderRejected":
                hold(args["holder"])
            case "RecordVoided":
                r.update(state=state["VOID"])
            case "RecordLodged":
                r.update(state=state["ESCROWED"], controller=args["bank"], escrowKey=args["escrowKey"])
            case "RecordReturned":
                hold(args["presenter"])
            case "RecordTitlePassed":
                if args["securedBy"] == ZERO:
                    hold(args["holder"])
                else:
                    r.update(state=state["PLEDGED"], holder=args["holder"], controller=args["securedBy"])
            case other:
                raise AssertionError(f"unreplayed event {other}")
    return records


class TestEventReplay:
    def test_replaying_events_rebuilds_every_record(self, world: World) -> None:
        a = world.address
        start = int(world.chain.rpc("eth_blockNumber"), 16) + 1
        self_walk = TestLifecycle()
        for walk in (
            self_walk.test_order_bill_passes_by_endorsement_then_blank_by_transfer,
            self_walk.test_pledge_release_and_enforce,
            self_walk.test_surrender_rejected_then_voided_and_void_is_final,
            self_walk.test_lodged_record_returned_on_refusal,
            self_walk.test_title_passes_with_security_released_on_reimbursement,
            self_walk.test_title_passes_outright_when_reimbursed_at_once,
        ):
            walk(world)
        world.tx("trader", RECORDS, "issue", WAREHOUSE_RECEIPT, world.unique("wr"), a("another_trader"), True)
        events = [e for e in world.logs(start) if e.contract == RECORDS]
        timestamps = {
            block: int(world.chain.rpc("eth_getBlockByNumber", hex(block), False)["timestamp"], 16)
            for block in {e.block for e in events}
        }
        records = replay(events, timestamps)
        assert world.call(RECORDS, "recordCount") == len(records) == 7
        for record_id, record in records.items():
            assert world.call(RECORDS, "record", record_id) == record
            assert world.call(RECORDS, "recordOfDocument", record["documentHash"]) == record_id
        assert {RECORD_STATES[r["state"]] for r in records.values()} == {"HELD", "VOID"}
        # every role change is an event too
        granted = [e for e in events if e.name == "RoleGranted" and e.args["role"] == TITLE_AGENT_ROLE]
        assert granted and world.call(RECORDS, "hasRole", TITLE_AGENT_ROLE, a("agent"))
