"""Title against payment inside the letter of credit (issue #18): a presentation that carries a transferable record
(an eBL) hands its control to the available-with bank; honour passes the payment and the title in one transaction;
the applicant gets control when it reimburses the issuing bank (the bank keeps it as security while a claim is
open); returned documents give it back to the beneficiary.

The cast is lc_support's: `trader` applies, `another_trader` is the beneficiary, `sponsor_bank` issues, `bank`
advises and is the available-with (nominated) bank, `another_bank` confirms and issues the record (the carrier).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.contracts.helpers import USD, TransactionFailed, World, decode_events
from tests.contracts.lc_support import (
    ADVISER,
    AMEND_AMOUNT,
    AMOUNT,
    APPLICANT,
    BENEFICIARY,
    CONFIRMER,
    DAY,
    HOLD_PENDING_WAIVER,
    ISSUER,
    LC,
    RETURNING,
    amendment,
    balance,
    credit,
    lc_error,
    open_credit,
    presentation_state,
    start_on_monday,
)
from tests.contracts.records_matrix_cases import BILL_OF_LADING, RECORD_STATES, RECORDS

CARRIER = CONFIRMER
DISCREPANCIES = [b"LATE_SHIPMENT".ljust(32, b"\0")]


@pytest.fixture
def lc_world(world: World) -> Iterator[World]:
    start_on_monday(world)
    yield world


def ebl(world: World, holder: str = BENEFICIARY) -> int:
    """A bill of lading issued by the carrier to `holder` (a bearer document)."""
    receipt = world.tx(CARRIER, RECORDS, "issue", BILL_OF_LADING, world.unique("ebl"), world.address(holder), False)
    record_id: int = receipt.event("RecordIssued")["recordId"]
    return record_id


def present_with_record(world: World, lc_id: int, record_id: int, amount: int = AMOUNT) -> tuple[int, list[str]]:
    """Present two documents and the record as the beneficiary; the presentation id and the tx's event names."""
    shipped = world.chain.timestamp() - DAY
    docs = [world.unique("doc"), world.unique("doc")]
    receipt = world.tx(BENEFICIARY, LC, "presentWithRecord", lc_id, docs, amount, shipped, record_id)
    presentation_id: int = receipt.event("DocumentsPresented")["presentationId"]
    return presentation_id, _names(world, receipt.raw)


def _names(world: World, raw: dict[str, object]) -> list[str]:
    """Every event of one transaction, of every platform contract, in order: what moved together."""
    return [event.name for event in decode_events(raw["logs"], world.contracts)]  # type: ignore[arg-type]


def record(world: World, record_id: int) -> tuple[str, str, str]:
    """(state, holder actor, controller actor) of a record as the chain has it."""
    value = world.call(RECORDS, "record", record_id)
    names = {world.address(a): a for a in (APPLICANT, BENEFICIARY, ISSUER, ADVISER, CONFIRMER)}
    return RECORD_STATES[value["state"]], names[value["holder"]], names[value["controller"]]


def honour(world: World, bank: str, lc_id: int, presentation_id: int) -> list[str]:
    return _names(world, world.tx(bank, LC, "honour", lc_id, presentation_id).raw)


class TestPresentation:
    def test_presenting_a_record_hands_control_to_the_available_with_bank(self, lc_world: World) -> None:
        lc_id, record_id = open_credit(lc_world), ebl(lc_world)
        presentation_id, events = present_with_record(lc_world, lc_id, record_id)
        assert [e for e in events if e in {"DocumentsPresented", "RecordLodged", "TransferableRecordPresented"}] == [
            "DocumentsPresented",
            "RecordLodged",
            "TransferableRecordPresented",
        ]
        assert record(lc_world, record_id) == ("ESCROWED", BENEFICIARY, ADVISER)
        assert lc_world.call(LC, "presentedRecord", lc_id, presentation_id) == record_id
        # the record is in escrow: nobody, not even its former holder, can move it or present it again
        assert lc_world.error(BENEFICIARY, RECORDS, "transfer", record_id, lc_world.address(APPLICANT)) is not None
        other = open_credit(lc_world)
        shipped = lc_world.chain.timestamp() - DAY
        again = (other, [lc_world.unique("doc")], 100, shipped, record_id)
        assert lc_error(lc_world, BENEFICIARY, "presentWithRecord", *again) == "LetterOfCreditRecordNotPresentable"

    def test_only_the_controller_of_a_held_record_can_present_it(self, lc_world: World) -> None:
        lc_id, record_id = open_credit(lc_world), ebl(lc_world, holder=APPLICANT)
        shipped = lc_world.chain.timestamp() - DAY
        call = (lc_id, [lc_world.unique("doc")], 100, shipped, record_id)
        assert lc_error(lc_world, BENEFICIARY, "presentWithRecord", *call) == "LetterOfCreditRecordNotPresentable"
        missing = (lc_id, [lc_world.unique("doc")], 100, shipped, 0)
        assert lc_error(lc_world, BENEFICIARY, "presentWithRecord", *missing) == "LetterOfCreditRecordNotPresentable"
        assert record(lc_world, record_id) == ("HELD", APPLICANT, APPLICANT)

    def test_a_presentation_under_a_pending_amendment_carries_a_record(self, lc_world: World) -> None:
        """Art 10c: presenting documents that comply with the amended credit accepts the amendment; the record is
        lodged with the available-with bank in the same transaction, and title passes with the honour as ever."""
        lc_id, record_id = open_credit(lc_world), ebl(lc_world)
        lc_world.tx(ISSUER, LC, "issueAmendment", lc_id, lc_world.unique("am"),
                    amendment(AMEND_AMOUNT, amount=2 * AMOUNT))  # fmt: skip
        shipped = lc_world.chain.timestamp() - DAY
        drawing = (lc_id, 1, [lc_world.unique("doc")], AMOUNT + 1, shipped)  # above the old amount, within the new
        assert lc_error(lc_world, BENEFICIARY, "presentUnderAmendmentWithRecord", *drawing, 0) == (
            "LetterOfCreditRecordNotPresentable"
        )
        receipt = lc_world.tx(BENEFICIARY, LC, "presentUnderAmendmentWithRecord", *drawing, record_id)
        events = _names(lc_world, receipt.raw)
        assert events.index("AmendmentAccepted") < events.index("DocumentsPresented") < events.index("RecordLodged")
        presentation_id = receipt.event("DocumentsPresented")["presentationId"]
        assert credit(lc_world, lc_id)["terms"]["amount"] == 2 * AMOUNT
        assert record(lc_world, record_id) == ("ESCROWED", BENEFICIARY, ADVISER)
        assert lc_world.call(LC, "presentedRecord", lc_id, presentation_id) == record_id
        honour(lc_world, ADVISER, lc_id, presentation_id)
        # the nominated bank paid: title passed to it, and the record went on to the issuing bank with the documents
        assert record(lc_world, record_id) == ("ESCROWED", ADVISER, ISSUER)


class TestTitleAgainstPayment:
    def test_issuer_honour_passes_payment_and_title_in_one_transaction(self, lc_world: World) -> None:
        lc_id, record_id = open_credit(lc_world), ebl(lc_world)
        presentation_id, _ = present_with_record(lc_world, lc_id, record_id)
        paid_before = balance(lc_world, BENEFICIARY)
        events = honour(lc_world, ISSUER, lc_id, presentation_id)
        assert {"PresentationHonoured", "ReimbursementSettled", "RecordTitlePassed"} <= set(events)
        assert balance(lc_world, BENEFICIARY) == paid_before + AMOUNT
        assert record(lc_world, record_id) == ("HELD", APPLICANT, APPLICANT)

    def test_failed_payment_moves_no_title(self, lc_world: World) -> None:
        lc_id, record_id = open_credit(lc_world), ebl(lc_world)
        presentation_id, _ = present_with_record(lc_world, lc_id, record_id)
        everything = balance(lc_world, ISSUER)
        lc_world.tx(ISSUER, "Settlement", "transfer", lc_world.address(CONFIRMER), USD, everything, lc_world.unique())
        with pytest.raises(TransactionFailed) as failure:  # sent and mined: it reverts as a whole
            lc_world.tx(ISSUER, LC, "honour", lc_id, presentation_id)
        assert failure.value.error.name == "SettlementInsufficientBalance"
        assert record(lc_world, record_id) == ("ESCROWED", BENEFICIARY, ADVISER)
        assert presentation_state(lc_world, lc_id, presentation_id) == "PRESENTED"

    def test_open_claim_leaves_the_bank_in_control_until_reimbursed(self, lc_world: World) -> None:
        short = balance(lc_world, APPLICANT)
        lc_id, record_id = open_credit(lc_world, amount=2 * short, tolerancePlusBps=0), ebl(lc_world)
        presentation_id, _ = present_with_record(lc_world, lc_id, record_id, 2 * short)
        events = honour(lc_world, ISSUER, lc_id, presentation_id)
        assert {"PresentationHonoured", "ReimbursementClaimOpened", "RecordTitlePassed"} <= set(events)
        # title is the applicant's, control the issuing bank's: security for its open claim
        assert record(lc_world, record_id) == ("PLEDGED", APPLICANT, ISSUER)
        assert lc_world.error(APPLICANT, RECORDS, "surrender", record_id) is not None
        claim_id = lc_world.call(LC, "getPresentation", lc_id, presentation_id)["claimId"]
        lc_world.tx(ISSUER, "Settlement", "issue", lc_world.address(APPLICANT), USD, short, lc_world.unique())
        settled = _names(lc_world, lc_world.tx(APPLICANT, LC, "settleReimbursementClaim", claim_id).raw)
        assert {"ReimbursementClaimSettled", "RecordPledgeReleased"} <= set(settled)
        assert record(lc_world, record_id) == ("HELD", APPLICANT, APPLICANT)

    def test_claim_settles_after_the_bank_released_its_security_itself(self, lc_world: World) -> None:
        short = balance(lc_world, APPLICANT)
        lc_id, record_id = open_credit(lc_world, amount=2 * short, tolerancePlusBps=0), ebl(lc_world)
        presentation_id, _ = present_with_record(lc_world, lc_id, record_id, 2 * short)
        honour(lc_world, ISSUER, lc_id, presentation_id)
        lc_world.tx(ISSUER, RECORDS, "releasePledge", record_id)
        claim_id = lc_world.call(LC, "getPresentation", lc_id, presentation_id)["claimId"]
        lc_world.tx(ISSUER, "Settlement", "issue", lc_world.address(APPLICANT), USD, short, lc_world.unique())
        lc_world.tx(APPLICANT, LC, "settleReimbursementClaim", claim_id)
        assert record(lc_world, record_id) == ("HELD", APPLICANT, APPLICANT)

    def test_nominated_bank_honour_takes_title_and_forwards_it_art_12(self, lc_world: World) -> None:
        lc_id, record_id = open_credit(lc_world), ebl(lc_world)
        presentation_id, _ = present_with_record(lc_world, lc_id, record_id)
        events = honour(lc_world, ADVISER, lc_id, presentation_id)
        assert {"PresentationHonoured", "DocumentsForwarded", "RecordTitlePassed", "RecordLodged"} <= set(events)
        # the nominated bank paid: title is its own, the record travels to the issuing bank with the documents
        assert record(lc_world, record_id) == ("ESCROWED", ADVISER, ISSUER)
        reimbursed = _names(lc_world, lc_world.tx(ISSUER, LC, "reimburseNominatedBank", lc_id, presentation_id).raw)
        assert {"NominatedBankReimbursed", "ReimbursementSettled", "RecordTitlePassed"} <= set(reimbursed)
        assert record(lc_world, record_id) == ("HELD", APPLICANT, APPLICANT)

    def test_issuer_refusing_forwarded_documents_leaves_title_with_nominated_bank_art_16d(
        self, lc_world: World
    ) -> None:
        lc_id, record_id = open_credit(lc_world), ebl(lc_world)
        presentation_id, _ = present_with_record(lc_world, lc_id, record_id)
        honour(lc_world, CONFIRMER, lc_id, presentation_id)
        assert record(lc_world, record_id) == ("ESCROWED", CONFIRMER, ISSUER)
        lc_world.tx(ISSUER, LC, "refuseReimbursement", lc_id, presentation_id, DISCREPANCIES)
        assert record(lc_world, record_id) == ("HELD", CONFIRMER, CONFIRMER)

    def test_suspended_applicant_cannot_take_title_the_issuer_holds_it_art_7(self, lc_world: World) -> None:
        lc_id, record_id = open_credit(lc_world), ebl(lc_world)
        presentation_id, _ = present_with_record(lc_world, lc_id, record_id)
        lc_world.tx(ISSUER, "Membership", "suspendTrader", lc_world.address(APPLICANT))
        honour(lc_world, ISSUER, lc_id, presentation_id)  # the honour does not depend on the applicant
        assert presentation_state(lc_world, lc_id, presentation_id) == "HONOURED"
        assert record(lc_world, record_id) == ("HELD", ISSUER, ISSUER)


class TestRefusal:
    @pytest.mark.parametrize("disposition", [RETURNING, HOLD_PENDING_WAIVER])
    def test_returned_documents_give_control_back_art_16(self, lc_world: World, disposition: int) -> None:
        lc_id, record_id = open_credit(lc_world), ebl(lc_world)
        presentation_id, _ = present_with_record(lc_world, lc_id, record_id)
        lc_world.tx(ISSUER, LC, "refuse", lc_id, presentation_id, DISCREPANCIES, disposition)
        assert record(lc_world, record_id) == ("ESCROWED", BENEFICIARY, ADVISER)  # the bank holds the documents
        returned = _names(lc_world, lc_world.tx(ISSUER, LC, "returnDocuments", lc_id, presentation_id).raw)
        assert {"DocumentsReturned", "RecordReturned"} <= set(returned)
        assert record(lc_world, record_id) == ("HELD", BENEFICIARY, BENEFICIARY)

    def test_waived_discrepancies_then_honour_pass_title(self, lc_world: World) -> None:
        lc_id, record_id = open_credit(lc_world), ebl(lc_world)
        presentation_id, _ = present_with_record(lc_world, lc_id, record_id)
        lc_world.tx(ISSUER, LC, "refuse", lc_id, presentation_id, DISCREPANCIES, HOLD_PENDING_WAIVER)
        lc_world.tx(APPLICANT, LC, "waiveDiscrepancies", lc_id, presentation_id)
        honour(lc_world, ISSUER, lc_id, presentation_id)
        assert record(lc_world, record_id) == ("HELD", APPLICANT, APPLICANT)
