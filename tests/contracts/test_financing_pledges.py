"""Financing against a transferable record pledges it (issue #18): DocumentRegistry, a title agent on
TransferableRecords, pledges the record of a linked document to the financier with the disbursement, gives it back
with the full repayment or the financier's release, and refuses to let a record already pledged or escrowed back a
second financing."""

from __future__ import annotations

from typing import Any

import pytest
from eth_abi.abi import encode
from eth_utils import keccak

from tests.contracts.helpers import DOCUMENT_STATES, USD, Receipt, TransactionFailed, World
from tests.contracts.records_matrix_cases import ESCROW_KEY, RECORD_STATES, RECORDS, TITLE_AGENT_ROLE, issue_record
from tradeledger.chain.abi import security_key as service_key

REGISTRY = "DocumentRegistry"
INVOICE, BILL_OF_LADING = 0, 1


def state(world: World, record_id: int) -> tuple[str, str, str]:
    record = world.call(RECORDS, "record", record_id)
    return RECORD_STATES[record["state"]], record["holder"], record["controller"]


def security_key(world: World, document_id: int) -> bytes:
    return keccak(encode(["address", "uint256"], [world[REGISTRY].address, document_id]))


def linked_document(world: World, record_id: int, *, kind: int = BILL_OF_LADING, face_value: int = 40_000) -> int:
    receipt = world.tx("trader", REGISTRY, "registerDocumentWithRecord", world.address("trader"), kind, USD,
                       face_value, [world.unique("fp")], record_id)  # fmt: skip
    assert [e.name for e in receipt.events] == ["DocumentRegistered", "DocumentRecordLinked"]
    document_id: int = receipt.event("DocumentRecordLinked")["documentId"]
    assert receipt.event("DocumentRecordLinked")["recordId"] == record_id
    assert world.call(REGISTRY, "recordOf", document_id) == record_id
    return document_id


def emitted(world: World, receipt: Receipt) -> list[str]:
    """Every event of the platform's contracts the transaction emitted, in log order."""
    block = int(receipt.raw["blockNumber"], 16)
    return [f"{e.contract}.{e.name}" for e in world.logs(block) if e.block == block]


def refused(world: World, actor: str, function: str, *args: Any) -> tuple[str, tuple[Any, ...]]:
    with pytest.raises(TransactionFailed) as failure:
        world.tx(actor, REGISTRY, function, *args)
    return failure.value.error.name, failure.value.error.args


class TestPledgeByFinancing:
    def test_financing_pledges_the_record_in_the_same_transaction(self, world: World) -> None:
        a = world.address
        record_id = issue_record(world)
        document_id = linked_document(world, record_id)
        receipt = world.tx("sponsor_bank", REGISTRY, "finance", document_id, 30_000, world.unique("fin"))
        assert emitted(world, receipt) == [
            "Settlement.Posted",
            "DocumentRegistry.DocumentFinanced",
            "TransferableRecords.RecordPledged",
            "DocumentRegistry.DocumentRecordPledged",
        ]
        block = int(receipt.raw["blockNumber"], 16)
        (pledged,) = [e.args for e in world.logs(block) if e.name == "RecordPledged"]
        assert (pledged["holder"], pledged["pledgee"]) == (a("trader"), a("sponsor_bank"))
        assert pledged["escrowKey"] == security_key(world, document_id)
        # the service computes the same key to tell this financing's pledge from any other
        assert "0x" + pledged["escrowKey"].hex() == service_key(world[REGISTRY].address, document_id)
        assert state(world, record_id) == ("PLEDGED", a("trader"), a("sponsor_bank"))
        # the owner can no longer move it: the financier controls it
        with pytest.raises(TransactionFailed):
            world.tx("trader", RECORDS, "transfer", record_id, a("another_trader"))

    def test_full_repayment_releases_the_record_partial_does_not(self, world: World) -> None:
        a = world.address
        record_id = issue_record(world)
        document_id = linked_document(world, record_id)
        world.tx("sponsor_bank", REGISTRY, "finance", document_id, 30_000, world.unique("fin"))
        partial = world.tx("trader", REGISTRY, "repay", document_id, 10_000, world.unique("rep"))
        assert emitted(world, partial) == ["Settlement.Posted", "DocumentRegistry.DocumentRepaid"]
        assert state(world, record_id)[0] == "PLEDGED"
        full = world.tx("trader", REGISTRY, "repay", document_id, 20_000, world.unique("rep"))
        assert emitted(world, full) == ["Settlement.Posted", "DocumentRegistry.DocumentRepaid",
                                        "TransferableRecords.RecordPledgeReleased",
                                        "DocumentRegistry.DocumentRecordReleased"]  # fmt: skip
        assert state(world, record_id) == ("HELD", a("trader"), a("trader"))

    def test_financier_release_gives_the_record_back(self, world: World) -> None:
        a = world.address
        record_id = issue_record(world)
        document_id = linked_document(world, record_id)
        world.tx("sponsor_bank", REGISTRY, "finance", document_id, 30_000, world.unique("fin"))
        released = world.tx("sponsor_bank", REGISTRY, "release", document_id)
        assert emitted(world, released) == ["DocumentRegistry.DocumentReleased",
                                            "TransferableRecords.RecordPledgeReleased",
                                            "DocumentRegistry.DocumentRecordReleased"]  # fmt: skip
        assert state(world, record_id) == ("HELD", a("trader"), a("trader"))

    def test_default_the_financier_enforces_and_the_financing_stays_open(self, world: World) -> None:
        """The chosen default path: the financier enforces its pledge on TransferableRecords and holds the record;
        its claim stays open, and the later repayment finds no pledge left to release."""
        a = world.address
        record_id = issue_record(world)
        document_id = linked_document(world, record_id)
        world.tx("sponsor_bank", REGISTRY, "finance", document_id, 30_000, world.unique("fin"))
        world.tx("sponsor_bank", RECORDS, "enforcePledge", record_id)
        assert state(world, record_id) == ("HELD", a("sponsor_bank"), a("sponsor_bank"))
        assert world.call(REGISTRY, "document", document_id)["outstanding"] == 30_000
        repaid = world.tx("trader", REGISTRY, "repay", document_id, 30_000, world.unique("rep"))
        assert emitted(world, repaid) == ["Settlement.Posted", "DocumentRegistry.DocumentRepaid"]
        assert state(world, record_id) == ("HELD", a("sponsor_bank"), a("sponsor_bank"))


class TestNoSecondFinancing:
    def test_a_pledged_record_cannot_back_a_second_financing(self, world: World) -> None:
        a = world.address
        record_id = issue_record(world)
        first = linked_document(world, record_id)
        second = linked_document(world, record_id, kind=INVOICE, face_value=35_000)  # fingerprints differ
        world.tx("sponsor_bank", REGISTRY, "finance", first, 30_000, world.unique("fin"))
        name, args = refused(world, "bank", "finance", second, 20_000, world.unique("fin"))
        assert (name, args) == ("DocumentRegistryInvalidRecordState", (second, record_id, 2, a("sponsor_bank")))
        world.tx("trader", REGISTRY, "repay", first, 30_000, world.unique("rep"))
        world.tx("bank", REGISTRY, "finance", second, 20_000, world.unique("fin"))  # free again
        assert state(world, record_id) == ("PLEDGED", a("trader"), a("bank"))

    def test_a_record_pledged_by_its_holder_or_escrowed_or_not_held_cannot_back_one(self, world: World) -> None:
        a = world.address
        pledged = issue_record(world)
        world.tx("trader", RECORDS, "pledge", pledged, a("another_bank"))
        escrowed = issue_record(world)
        world.tx("operator", RECORDS, "grantRole", TITLE_AGENT_ROLE, a("agent"))
        world.tx("agent", RECORDS, "lodge", escrowed, a("trader"), a("bank"), ESCROW_KEY)
        elsewhere = issue_record(world, holder="another_trader")
        for record_id, expected in ((pledged, (2, a("another_bank"))), (escrowed, (3, a("bank"))),
                                    (elsewhere, (1, a("another_trader")))):  # fmt: skip
            document_id = linked_document(world, record_id)
            name, args = refused(world, "sponsor_bank", "finance", document_id, 1_000, world.unique("fin"))
            assert (name, args) == ("DocumentRegistryInvalidRecordState", (document_id, record_id, *expected))
            assert DOCUMENT_STATES[world.call(REGISTRY, "document", document_id)["state"]] == "REGISTERED"

    def test_a_financed_record_cannot_be_presented_and_another_agent_cannot_release_it(self, world: World) -> None:
        a = world.address
        record_id = issue_record(world)
        document_id = linked_document(world, record_id)
        world.tx("sponsor_bank", REGISTRY, "finance", document_id, 30_000, world.unique("fin"))
        world.tx("operator", RECORDS, "grantRole", TITLE_AGENT_ROLE, a("agent"))
        with pytest.raises(TransactionFailed):  # the LC's lodge needs a HELD record
            world.tx("agent", RECORDS, "lodge", record_id, a("trader"), a("bank"), ESCROW_KEY)
        # another title agent's key (the LC's payment reference) does not end the financing's pledge
        other = world.tx("agent", RECORDS, "releaseSecurity", record_id, ESCROW_KEY)
        assert other.events == [] and state(world, record_id)[0] == "PLEDGED"

    def test_linking_needs_an_existing_record(self, world: World) -> None:
        count = world.call(RECORDS, "recordCount")
        name, args = refused(world, "trader", "registerDocumentWithRecord", world.address("trader"), INVOICE, USD,
                             1_000, [world.unique("fp")], count + 1)  # fmt: skip
        assert (name, args) == ("DocumentRegistryUnknownRecord", (count + 1,))
