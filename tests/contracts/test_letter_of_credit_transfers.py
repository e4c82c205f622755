"""LetterOfCredit: transferable credits (UCP 600 Art 38) and assignment of proceeds (Art 39), one test per rule,
named after its article. The cast is lc_support's (`bank` advises and is the available-with bank, hence the
transferring bank, Art 38b); the second beneficiary is `second_trader`, a trader `bank` onboards here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.contracts import lc_support
from tests.contracts.helpers import Receipt, World
from tests.contracts.lc_support import (
    ADVISER,
    AMOUNT,
    APPLICANT,
    BENEFICIARY,
    CONFIRMER,
    DAY,
    ISSUER,
    LC,
    LC_HONOUR,
    balance,
    credit,
    lc_error,
    open_credit,
    present,
    presentation,
    start_on_monday,
    warp,
)

SECOND = "second_trader"
TRANSFER_STATES = ("NONE", "REQUESTED", "TRANSFERRED", "DECLINED")
TRANSFERRED_STATES = ("NONE", "PRESENTED", "DEMANDED", "SUBSTITUTED", "FORWARDED")


@pytest.fixture
def lc_world(world: World) -> Iterator[World]:
    """The base world on a Monday 10:00 UTC, with a second beneficiary onboarded and funded by `bank`."""
    start_on_monday(world)
    world.tx(ADVISER, "Membership", "onboardTrader", world.address(SECOND))
    yield world


def transfer_terms(world: World, lc_id: int, **overrides: Any) -> dict[str, Any]:
    """TransferTerms for the whole credit's amount to the second beneficiary, with the credit's own dates."""
    return lc_support.transfer_terms(world, lc_id, SECOND, **overrides)


def transferred(world: World, lc_id: int | None = None, **overrides: Any) -> tuple[int, int]:
    """A transferable credit (unless `lc_id` is given) transferred by `bank`, its consent given: (lcId, transferId)."""
    if lc_id is None:
        lc_id = open_credit(world, transferable=True)
    receipt = world.tx(BENEFICIARY, LC, "requestTransfer", lc_id, transfer_terms(world, lc_id, **overrides))
    transfer_id: int = receipt.event("TransferRequested")["transferId"]
    world.tx(ADVISER, LC, "decideTransfer", lc_id, transfer_id, True)
    return lc_id, transfer_id


def present_transferred(world: World, lc_id: int, transfer_id: int, amount: int, docs: list[bytes]) -> int:
    receipt = world.tx(
        SECOND, LC, "presentTransferred", lc_id, transfer_id, docs, amount, world.chain.timestamp() - DAY
    )
    tp_id: int = receipt.event("TransferredDocumentsPresented")["transferredPresentationId"]
    return tp_id


def transfer_state(world: World, lc_id: int, transfer_id: int) -> str:
    return TRANSFER_STATES[world.call(LC, "getTransfer", lc_id, transfer_id)["state"]]


def tp_state(world: World, lc_id: int, tp_id: int) -> str:
    return TRANSFERRED_STATES[world.call(LC, "getTransferredPresentation", lc_id, tp_id)["state"]]


def honour_legs(world: World, receipt: Receipt) -> list[tuple[str, int, bytes]]:
    """(payee, amount, reference) of the LC_HONOUR Settlement postings of one transaction, in log order."""
    block = int(receipt.raw["blockNumber"], 16)
    return [
        (e.args["creditAccount"], e.args["amount"], e.args["ref"])
        for e in world.logs(block)
        if e.block == block and e.contract == "Settlement" and e.name == "Posted" and e.args["kind"] == LC_HONOUR
    ]


class TestArt38bTransferable:
    def test_art_38b_credit_not_stating_transferable_cannot_be_transferred(self, lc_world: World) -> None:
        lc_id = open_credit(lc_world)
        args = (lc_id, transfer_terms(lc_world, lc_id))
        assert lc_error(lc_world, BENEFICIARY, "requestTransfer", *args) == "LetterOfCreditNotTransferable"
        transferable = open_credit(lc_world, transferable=True)
        assert credit(lc_world, transferable)["terms"]["transferable"] is True
        assert lc_error(lc_world, BENEFICIARY, "requestTransfer", transferable, args[1]) is None

    def test_art_38b_transferring_bank_is_the_nominated_bank(self, lc_world: World) -> None:
        """The available-with (nominated) bank transfers; not the issuing bank, unless the credit is available with
        it."""
        lc_id = open_credit(lc_world, transferable=True)
        receipt = lc_world.tx(BENEFICIARY, LC, "requestTransfer", lc_id, transfer_terms(lc_world, lc_id))
        assert receipt.event("TransferRequested")["transferringBank"] == lc_world.address(ADVISER)
        assert lc_error(lc_world, ISSUER, "decideTransfer", lc_id, 1, True) == "LetterOfCreditUnauthorizedParty"

        with_issuer = open_credit(lc_world, transferable=True, availableWithBank=lc_world.address(ISSUER))
        lc_world.tx(BENEFICIARY, LC, "requestTransfer", with_issuer, transfer_terms(lc_world, with_issuer))
        assert lc_error(lc_world, ADVISER, "decideTransfer", with_issuer, 1, True) == "LetterOfCreditUnauthorizedParty"
        lc_world.tx(ISSUER, LC, "decideTransfer", with_issuer, 1, True)
        assert transfer_state(lc_world, with_issuer, 1) == "TRANSFERRED"


class TestArt38aConsent:
    def test_art_38a_no_transfer_without_the_banks_express_consent(self, lc_world: World) -> None:
        lc_id = open_credit(lc_world, transferable=True)
        terms = transfer_terms(lc_world, lc_id)
        lc_world.tx(BENEFICIARY, LC, "requestTransfer", lc_id, terms)
        shipped = lc_world.chain.timestamp() - DAY
        docs = [lc_world.unique("doc")]
        assert lc_error(lc_world, SECOND, "presentTransferred", lc_id, 1, docs, 1_000, shipped) == (
            "LetterOfCreditInvalidTransferState"
        )
        receipt = lc_world.tx(ADVISER, LC, "decideTransfer", lc_id, 1, False)
        assert receipt.event("TransferDecided")["consented"] is False
        assert transfer_state(lc_world, lc_id, 1) == "DECLINED"
        assert lc_error(lc_world, ADVISER, "decideTransfer", lc_id, 1, True) == "LetterOfCreditInvalidTransferState"
        # the declined transfer no longer counts: the whole amount may be asked for again
        assert lc_error(lc_world, BENEFICIARY, "requestTransfer", lc_id, transfer_terms(lc_world, lc_id)) is None


class TestArt38dSecondBeneficiaries:
    def test_art_38d_several_second_beneficiaries_only_with_partial_drawings(self, lc_world: World) -> None:
        half = AMOUNT // 2
        lc_id, _ = transferred(lc_world, open_credit(lc_world, transferable=True), amount=half)
        assert (
            lc_error(lc_world, BENEFICIARY, "requestTransfer", lc_id, transfer_terms(lc_world, lc_id, amount=half))
            is None
        )
        # the parts never exceed the credit's amount
        too_much = transfer_terms(lc_world, lc_id, amount=half + 1)
        assert lc_error(lc_world, BENEFICIARY, "requestTransfer", lc_id, too_much) == (
            "LetterOfCreditTransferTermsNotReduced"
        )

        single = open_credit(lc_world, transferable=True, partialDrawingsAllowed=False)
        transferred(lc_world, single, amount=half)
        assert lc_error(
            lc_world, BENEFICIARY, "requestTransfer", single, transfer_terms(lc_world, single, amount=half)
        ) == ("LetterOfCreditTransferToSeveralProhibited")

    def test_art_38d_second_beneficiary_cannot_transfer_again(self, lc_world: World) -> None:
        lc_id, _ = transferred(lc_world, amount=AMOUNT // 2)
        again = transfer_terms(lc_world, lc_id, amount=1_000, secondBeneficiary=lc_world.address(APPLICANT))
        assert lc_error(lc_world, SECOND, "requestTransfer", lc_id, again) == "LetterOfCreditUnauthorizedParty"
        itself = transfer_terms(lc_world, lc_id, amount=1_000, secondBeneficiary=lc_world.address(BENEFICIARY))
        assert lc_error(lc_world, BENEFICIARY, "requestTransfer", lc_id, itself) == (
            "LetterOfCreditInvalidSecondBeneficiary"
        )


class TestArt38gReducedTerms:
    @pytest.mark.parametrize(
        ("field", "delta"),
        [("amount", 1), ("expiry", DAY), ("latestShipment", DAY), ("presentationPeriodDays", 1)],
    )
    def test_art_38g_transferred_terms_may_only_be_reduced(self, lc_world: World, field: str, delta: int) -> None:
        lc_id = open_credit(lc_world, transferable=True)
        c = credit(lc_world, lc_id)["terms"]
        stated = {"presentationPeriodDays": c["presentationPeriodDays"]}
        more = transfer_terms(lc_world, lc_id, **{**stated, field: c[field] + delta})
        error = lc_world.error(BENEFICIARY, LC, "requestTransfer", lc_id, more)
        assert error is not None and error.name == "LetterOfCreditTransferTermsNotReduced"
        assert error.args[1].rstrip(b"\0").decode() == field
        less = transfer_terms(lc_world, lc_id, **{**stated, field: c[field] - delta})
        assert lc_error(lc_world, BENEFICIARY, "requestTransfer", lc_id, less) is None


class TestArt38kPresentation:
    def test_art_38k_second_beneficiary_presents_to_transferring_bank(self, lc_world: World) -> None:
        lc_id, transfer_id = transferred(lc_world, amount=600_000)
        docs = [lc_world.unique("doc"), lc_world.unique("doc")]
        shipped = lc_world.chain.timestamp() - DAY
        args = (lc_id, transfer_id, docs, 600_001, shipped)
        assert lc_error(lc_world, SECOND, "presentTransferred", *args) == (
            "LetterOfCreditTransferredDrawingExceedsAvailable"
        )
        assert lc_error(lc_world, BENEFICIARY, "presentTransferred", lc_id, transfer_id, docs, 1, shipped) == (
            "LetterOfCreditUnauthorizedParty"
        )
        tp_id = present_transferred(lc_world, lc_id, transfer_id, 500_000, docs)
        assert tp_state(lc_world, lc_id, tp_id) == "PRESENTED"
        assert world_transfer(lc_world, lc_id, transfer_id)["presented"] == 500_000
        # nothing is presented under the credit (to the issuing bank) until the transferring bank forwards
        assert credit(lc_world, lc_id)["presentationCount"] == 0

    def test_art_38k_presentation_within_the_transferred_expiry(self, lc_world: World) -> None:
        now = lc_world.chain.timestamp()
        lc_id, transfer_id = transferred(lc_world, expiry=now + 3 * DAY, latestShipment=now)
        warp(lc_world, now + 4 * DAY)  # Friday: after the transferred expiry, before the credit's
        args = (lc_id, transfer_id, [lc_world.unique("doc")], 1_000, now - DAY)
        assert lc_error(lc_world, SECOND, "presentTransferred", *args) == "LetterOfCreditTransferredPresentationLate"


def world_transfer(world: World, lc_id: int, transfer_id: int) -> dict[str, Any]:
    value: dict[str, Any] = world.call(LC, "getTransfer", lc_id, transfer_id)
    return value


class TestArt38hiSubstitution:
    def test_art_38h_first_beneficiary_substitutes_invoice_and_draws_the_difference(self, lc_world: World) -> None:
        lc_id, transfer_id = transferred(lc_world, amount=800_000)
        tp_id = present_transferred(lc_world, lc_id, transfer_id, 700_000, [lc_world.unique("doc")])
        substituted = [lc_world.unique("invoice"), lc_world.unique("doc")]
        receipt = lc_world.tx(BENEFICIARY, LC, "substituteInvoice", lc_id, tp_id, substituted, 900_000)
        presentation_id = receipt.event("InvoiceSubstituted")["presentationId"]
        assert presentation(lc_world, lc_id, presentation_id)["amount"] == 900_000
        assert tp_state(lc_world, lc_id, tp_id) == "SUBSTITUTED"
        share = lc_world.call(LC, "transferredShare", lc_id, presentation_id)
        assert (share["payee"], share["amount"]) == (lc_world.address(SECOND), 700_000)

        before = {a: balance(lc_world, a) for a in (SECOND, BENEFICIARY, ISSUER)}
        receipt = lc_world.tx(ISSUER, LC, "honour", lc_id, presentation_id)
        assert balance(lc_world, SECOND) == before[SECOND] + 700_000
        assert balance(lc_world, BENEFICIARY) == before[BENEFICIARY] + 200_000
        assert balance(lc_world, ISSUER) == before[ISSUER] - 900_000 + 900_000  # reimbursed by the applicant
        assert honour_legs(lc_world, receipt) == [
            (lc_world.address(SECOND), 700_000, lc_world.call(LC, "transferReference", lc_id, presentation_id)),
            (lc_world.address(BENEFICIARY), 200_000, lc_world.call(LC, "paymentReference", lc_id, presentation_id)),
        ]
        paid = receipt.event("TransferredProceedsPaid")
        assert (paid["secondBeneficiary"], paid["amount"]) == (lc_world.address(SECOND), 700_000)
        assert receipt.event("PresentationHonoured")["amount"] == 900_000

    def test_art_38h_substituted_invoice_not_below_the_second_beneficiarys(self, lc_world: World) -> None:
        lc_id, transfer_id = transferred(lc_world, amount=800_000)
        tp_id = present_transferred(lc_world, lc_id, transfer_id, 700_000, [lc_world.unique("doc")])
        docs = [lc_world.unique("invoice")]
        assert lc_error(lc_world, BENEFICIARY, "substituteInvoice", lc_id, tp_id, docs, 699_999) == (
            "LetterOfCreditSubstitutedAmountTooLow"
        )
        assert lc_error(lc_world, SECOND, "substituteInvoice", lc_id, tp_id, docs, 700_000) == (
            "LetterOfCreditUnauthorizedParty"
        )

    def test_art_38i_transferring_bank_presents_as_is_when_first_beneficiary_fails_on_demand(
        self, lc_world: World
    ) -> None:
        lc_id, transfer_id = transferred(lc_world, amount=800_000)
        docs = [lc_world.unique("doc"), lc_world.unique("doc")]
        tp_id = present_transferred(lc_world, lc_id, transfer_id, 700_000, docs)
        assert lc_error(lc_world, ADVISER, "forwardAsPresented", lc_id, tp_id, docs) == (
            "LetterOfCreditInvalidTransferredPresentationState"
        )
        receipt = lc_world.tx(ADVISER, LC, "demandSubstitution", lc_id, tp_id)
        deadline = receipt.event("SubstitutionDemanded")["deadline"]
        now = lc_world.chain.timestamp()
        assert deadline == (now // DAY + 2) * DAY - 1  # Monday's demand: until the end of Tuesday
        assert lc_error(lc_world, ADVISER, "forwardAsPresented", lc_id, tp_id, docs) == (
            "LetterOfCreditSubstitutionDeadlineNotPassed"
        )
        warp(lc_world, deadline + 1)
        assert lc_error(lc_world, ADVISER, "forwardAsPresented", lc_id, tp_id, docs[:1]) == (
            "LetterOfCreditTransferredDocumentsMismatch"
        )
        assert lc_error(lc_world, BENEFICIARY, "forwardAsPresented", lc_id, tp_id, docs) == (
            "LetterOfCreditUnauthorizedParty"
        )
        receipt = lc_world.tx(ADVISER, LC, "forwardAsPresented", lc_id, tp_id, docs)
        presentation_id = receipt.event("TransferredDocumentsForwarded")["presentationId"]
        assert tp_state(lc_world, lc_id, tp_id) == "FORWARDED"
        assert presentation(lc_world, lc_id, presentation_id)["amount"] == 700_000

        before = {a: balance(lc_world, a) for a in (SECOND, BENEFICIARY)}
        receipt = lc_world.tx(ISSUER, LC, "honour", lc_id, presentation_id)
        assert balance(lc_world, SECOND) == before[SECOND] + 700_000
        assert balance(lc_world, BENEFICIARY) == before[BENEFICIARY]
        assert receipt.event("PresentationHonoured")["entryId"] == 0  # no leg to the first beneficiary


class TestArt39Assignment:
    def test_art_39_assigned_share_paid_to_the_assignee_at_honour(self, lc_world: World) -> None:
        lc_id = open_credit(lc_world)
        receipt = lc_world.tx(BENEFICIARY, LC, "assignProceeds", lc_id, lc_world.address(CONFIRMER), 2_500)
        assert receipt.event("ProceedsAssigned")["shareBps"] == 2_500
        presentation_id = present(lc_world, lc_id, 400_000)
        before = {a: balance(lc_world, a) for a in (CONFIRMER, BENEFICIARY)}
        receipt = lc_world.tx(ISSUER, LC, "honour", lc_id, presentation_id)
        assert balance(lc_world, CONFIRMER) == before[CONFIRMER] + 100_000
        assert balance(lc_world, BENEFICIARY) == before[BENEFICIARY] + 300_000
        assert honour_legs(lc_world, receipt) == [
            (lc_world.address(CONFIRMER), 100_000, lc_world.call(LC, "assignmentReference", lc_id, presentation_id)),
            (lc_world.address(BENEFICIARY), 300_000, lc_world.call(LC, "paymentReference", lc_id, presentation_id)),
        ]

    def test_art_39_assignment_is_not_a_transfer_of_the_right_to_perform(self, lc_world: World) -> None:
        lc_id = open_credit(lc_world)
        lc_world.tx(BENEFICIARY, LC, "assignProceeds", lc_id, lc_world.address(SECOND), 10_000)
        args = (lc_id, [lc_world.unique("doc")], 1_000, lc_world.chain.timestamp() - DAY)
        assert lc_error(lc_world, SECOND, "present", *args) == "LetterOfCreditUnauthorizedParty"
        assert lc_error(lc_world, BENEFICIARY, "present", *args) is None
        again = (lc_id, lc_world.address(CONFIRMER), 100)
        assert lc_error(lc_world, BENEFICIARY, "assignProceeds", *again) == "LetterOfCreditProceedsAlreadyAssigned"

    def test_art_39_assignee_and_share_must_be_valid(self, lc_world: World) -> None:
        lc_id = open_credit(lc_world)
        for assignee, share, expected in (
            (BENEFICIARY, 100, "LetterOfCreditInvalidAssignee"),
            ("non_member", 100, "LetterOfCreditInvalidAssignee"),
            (CONFIRMER, 0, "LetterOfCreditInvalidAssignedShare"),
            (CONFIRMER, 10_001, "LetterOfCreditInvalidAssignedShare"),
        ):
            args = (lc_id, lc_world.address(assignee), share)
            assert lc_error(lc_world, BENEFICIARY, "assignProceeds", *args) == expected

    def test_art_39_assignment_takes_its_share_of_the_first_beneficiarys_part_only(self, lc_world: World) -> None:
        """With a transfer (Art 38h), the assigned share comes out of what the first beneficiary draws."""
        lc_id, transfer_id = transferred(lc_world, amount=800_000)
        lc_world.tx(BENEFICIARY, LC, "assignProceeds", lc_id, lc_world.address(CONFIRMER), 5_000)
        tp_id = present_transferred(lc_world, lc_id, transfer_id, 600_000, [lc_world.unique("doc")])
        receipt = lc_world.tx(BENEFICIARY, LC, "substituteInvoice", lc_id, tp_id, [lc_world.unique("inv")], 1_000_000)
        presentation_id = receipt.event("InvoiceSubstituted")["presentationId"]
        receipt = lc_world.tx(ISSUER, LC, "honour", lc_id, presentation_id)
        assert [(payee, amount) for payee, amount, _ in honour_legs(lc_world, receipt)] == [
            (lc_world.address(SECOND), 600_000),
            (lc_world.address(CONFIRMER), 200_000),
            (lc_world.address(BENEFICIARY), 200_000),
        ]

    def test_art_39_assignee_that_honours_keeps_its_share(self, lc_world: World) -> None:
        """The proceeds assigned to the nominated bank that honours: it keeps that share (no leg to itself) and
        pays the beneficiary the rest; the honour does not fail on a payment to oneself."""
        lc_id = open_credit(lc_world)
        lc_world.tx(BENEFICIARY, LC, "assignProceeds", lc_id, lc_world.address(ADVISER), 5_000)
        presentation_id = present(lc_world, lc_id, 400_000)
        before = {a: balance(lc_world, a) for a in (ADVISER, BENEFICIARY)}
        receipt = lc_world.tx(ADVISER, LC, "honour", lc_id, presentation_id)
        assert receipt.event("AssignedProceedsPaid")["entryId"] == 0
        assert balance(lc_world, ADVISER) == before[ADVISER] - 200_000
        assert balance(lc_world, BENEFICIARY) == before[BENEFICIARY] + 200_000
        assert honour_legs(lc_world, receipt) == [
            (lc_world.address(BENEFICIARY), 200_000, lc_world.call(LC, "paymentReference", lc_id, presentation_id)),
        ]
