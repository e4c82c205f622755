"""LetterOfCredit: the rest of UCP 600 (issue #16): nominated and confirming banks, interbank reimbursement,
amendments through the advising and confirming banks, and the Art 30 allowances. One test per rule, named after
its article. The cast is lc_support's: `bank` advises and is the available-with (nominated) bank, `another_bank`
confirms, `sponsor_bank` issues.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.contracts.helpers import Receipt, World
from tests.contracts.lc_support import (
    ADVISER,
    AMEND_AMOUNT,
    AMENDMENT_STATES,
    AMOUNT,
    APPLICANT,
    BENEFICIARY,
    CONFIRMER,
    DAY,
    INTERBANK_STATES,
    ISSUER,
    LC,
    LC_REIMBURSEMENT,
    amendment,
    balance,
    credit,
    lc_error,
    open_credit,
    present,
    presentation_state,
    start_on_monday,
    warp,
)

CONFIRMATIONS = ("NONE", "EXTENDED", "DECLINED")
CODES = [b"LATE_SHIPMENT".ljust(32, b"\0")]


@pytest.fixture
def lc_world(world: World) -> Iterator[World]:
    """The base world on a Monday 10:00 UTC."""
    start_on_monday(world)
    yield world


def _claim(world: World, lc_id: int, presentation_id: int) -> dict[str, object]:
    value: dict[str, object] = world.call(LC, "getInterbankClaim", lc_id, presentation_id)
    return value


def _postings(world: World, receipt: Receipt, kind: int) -> list[dict[str, Any]]:
    """The Settlement `Posted` events of one transaction with `kind`, in log order."""
    block = int(receipt.raw["blockNumber"], 16)
    return [
        e.args
        for e in world.logs(block)
        if e.block == block and e.contract == "Settlement" and e.name == "Posted" and e.args["kind"] == kind
    ]


class TestArt8ConfirmingBank:
    def test_art_8a_confirming_bank_honours_and_issuer_reimburses_art_7c(self, lc_world: World) -> None:
        """Art 8a/8c, 7c: the confirming bank honours a complying presentation from its own account and forwards the
        documents; the issuing bank reimburses it, and the applicant reimburses the issuing bank."""
        lc_id = open_credit(lc_world)
        presentation_id = present(lc_world, lc_id, 400_000)
        before = {a: balance(lc_world, a) for a in (ISSUER, CONFIRMER, BENEFICIARY, APPLICANT)}
        receipt = lc_world.tx(CONFIRMER, LC, "honour", lc_id, presentation_id)
        forwarded = receipt.event("DocumentsForwarded")
        assert (forwarded["nominatedBank"], forwarded["amount"]) == (lc_world.address(CONFIRMER), 400_000)
        assert balance(lc_world, CONFIRMER) == before[CONFIRMER] - 400_000
        assert balance(lc_world, BENEFICIARY) == before[BENEFICIARY] + 400_000
        assert balance(lc_world, APPLICANT) == before[APPLICANT]  # not yet: the issuer has not paid anyone
        assert INTERBANK_STATES[_claim(lc_world, lc_id, presentation_id)["state"]] == "OPEN"  # type: ignore[index]

        receipt = lc_world.tx(ISSUER, LC, "reimburseNominatedBank", lc_id, presentation_id)
        interbank, applicants = _postings(lc_world, receipt, LC_REIMBURSEMENT)  # issuer -> confirmer, then applicant
        reimbursed = receipt.event("NominatedBankReimbursed")
        assert reimbursed["precluded"] is False
        assert balance(lc_world, CONFIRMER) == before[CONFIRMER]
        assert balance(lc_world, ISSUER) == before[ISSUER]
        assert balance(lc_world, APPLICANT) == before[APPLICANT] - 400_000
        # the interbank leg carries its own reference, distinct from the honour's and the applicant's
        assert interbank["ref"] == lc_world.call(LC, "interbankReference", lc_id, presentation_id)
        assert applicants["ref"] == lc_world.call(LC, "paymentReference", lc_id, presentation_id)
        assert interbank["ref"] != applicants["ref"]
        receipt.event("ReimbursementSettled")
        assert INTERBANK_STATES[_claim(lc_world, lc_id, presentation_id)["state"]] == "REIMBURSED"  # type: ignore[index]

    def test_art_8_unconfirmed_credit_confirming_bank_cannot_honour(self, lc_world: World) -> None:
        """Art 8d: a confirming bank is bound (and may honour as confirmer) only from adding its confirmation."""
        lc_id = open_credit(lc_world, "ADVISED", availableWithBank=lc_world.address(ISSUER))
        presentation_id = present(lc_world, lc_id)
        assert lc_error(lc_world, CONFIRMER, "honour", lc_id, presentation_id) == "LetterOfCreditUnauthorizedParty"


class TestArt12NominatedBank:
    def test_art_12a_nominated_bank_honours_on_its_nomination(self, lc_world: World) -> None:
        """Art 12a, 15c: the available-with bank (not confirming) may honour, and then holds a claim on the issuer."""
        lc_id = open_credit(lc_world, "ADVISED")
        presentation_id = present(lc_world, lc_id, 100_000)
        lc_world.tx(ADVISER, LC, "honour", lc_id, presentation_id)
        claim = _claim(lc_world, lc_id, presentation_id)
        assert (claim["nominatedBank"], claim["issuingBank"]) == (lc_world.address(ADVISER), lc_world.address(ISSUER))
        assert claim["amount"] == 100_000
        assert credit(lc_world, lc_id)["drawn"] == 100_000

    def test_art_7c_issuer_discrepancy_found_late_still_reimburses_art_16f(self, lc_world: World) -> None:
        """Art 7c, 16d/16f: the issuing bank that finds the forwarded documents discrepant only after its own 5
        banking days can no longer refuse: it is precluded, and the nominated bank collects its reimbursement."""
        lc_id = open_credit(lc_world)
        presentation_id = present(lc_world, lc_id, 100_000)
        lc_world.tx(CONFIRMER, LC, "honour", lc_id, presentation_id)
        # the presentation itself is honoured: the issuer cannot refuse it any more
        assert lc_error(lc_world, ISSUER, "refuse", lc_id, presentation_id, CODES, 1) == (
            "LetterOfCreditInvalidPresentationState"
        )
        deadline = _claim(lc_world, lc_id, presentation_id)["deadline"]
        assert lc_error(lc_world, CONFIRMER, "reimburseNominatedBank", lc_id, presentation_id) == (
            "LetterOfCreditDeadlineNotPassed"
        )
        warp(lc_world, int(deadline) + 1)  # type: ignore[call-overload]
        assert lc_error(lc_world, ISSUER, "refuseReimbursement", lc_id, presentation_id, CODES) == (
            "LetterOfCreditPrecluded"
        )
        before = balance(lc_world, CONFIRMER)
        receipt = lc_world.tx(CONFIRMER, LC, "reimburseNominatedBank", lc_id, presentation_id)
        assert receipt.event("NominatedBankReimbursed")["precluded"] is True
        assert balance(lc_world, CONFIRMER) == before + 100_000

    def test_art_16d_issuer_refuses_forwarded_documents_in_time(self, lc_world: World) -> None:
        """Art 16d (official text): the issuing bank may refuse a nominated bank's forwarded documents with one notice
        within its own 5 banking days; the claim is then closed unpaid and cannot be collected."""
        lc_id = open_credit(lc_world)
        presentation_id = present(lc_world, lc_id, 100_000)
        lc_world.tx(CONFIRMER, LC, "honour", lc_id, presentation_id)
        assert lc_error(lc_world, ADVISER, "refuseReimbursement", lc_id, presentation_id, CODES) == (
            "LetterOfCreditUnauthorizedParty"
        )
        lc_world.tx(ISSUER, LC, "refuseReimbursement", lc_id, presentation_id, CODES)
        assert INTERBANK_STATES[_claim(lc_world, lc_id, presentation_id)["state"]] == "REFUSED"  # type: ignore[index]
        assert lc_error(lc_world, ISSUER, "reimburseNominatedBank", lc_id, presentation_id) == (
            "LetterOfCreditInvalidInterbankClaimState"
        )

    def test_art_7c_issuer_honour_opens_no_interbank_claim(self, lc_world: World) -> None:
        """Art 7a: when the issuing bank honours itself there is nobody to reimburse."""
        lc_id = open_credit(lc_world)
        presentation_id = present(lc_world, lc_id, 100_000)
        lc_world.tx(ISSUER, LC, "honour", lc_id, presentation_id)
        assert lc_error(lc_world, ISSUER, "getInterbankClaim", lc_id, presentation_id) == (
            "LetterOfCreditInvalidInterbankClaimState"
        )


class TestArt10AmendmentsThroughBanks:
    def test_art_9d_advising_bank_advises_amendment(self, lc_world: World) -> None:
        """Art 9d: the bank that advised the credit advises its amendment; nobody else, and once."""
        lc_id = open_credit(lc_world)
        lc_world.tx(
            ISSUER, LC, "issueAmendment", lc_id, lc_world.unique("am"), amendment(AMEND_AMOUNT, amount=2 * AMOUNT)
        )
        assert lc_error(lc_world, CONFIRMER, "adviseAmendment", lc_id, 1) == "LetterOfCreditUnauthorizedParty"
        lc_world.tx(ADVISER, LC, "adviseAmendment", lc_id, 1)
        assert lc_world.call(LC, "getAmendment", lc_id, 1)["advised"] is True
        assert lc_error(lc_world, ADVISER, "adviseAmendment", lc_id, 1) == "LetterOfCreditAmendmentAlreadyAdvised"

    def test_art_10b_confirming_bank_extends_or_declines_and_says_so(self, lc_world: World) -> None:
        """Art 10b: the confirming bank extends its confirmation to an amendment, or declines and says so (once)."""
        lc_id = open_credit(lc_world)
        for _ in range(2):
            lc_world.tx(
                ISSUER, LC, "issueAmendment", lc_id, lc_world.unique("am"), amendment(AMEND_AMOUNT, amount=2 * AMOUNT)
            )
        lc_world.tx(CONFIRMER, LC, "decideAmendmentConfirmation", lc_id, 1, True)
        receipt = lc_world.tx(CONFIRMER, LC, "decideAmendmentConfirmation", lc_id, 2, False)
        assert receipt.event("AmendmentConfirmationDecided")["extended"] is False
        assert CONFIRMATIONS[lc_world.call(LC, "getAmendment", lc_id, 1)["confirmation"]] == "EXTENDED"
        assert CONFIRMATIONS[lc_world.call(LC, "getAmendment", lc_id, 2)["confirmation"]] == "DECLINED"
        assert lc_error(lc_world, CONFIRMER, "decideAmendmentConfirmation", lc_id, 2, True) == (
            "LetterOfCreditAmendmentConfirmationDecided"
        )
        unconfirmed = open_credit(lc_world, "ADVISED")
        lc_world.tx(ISSUER, LC, "issueAmendment", unconfirmed, lc_world.unique("am"), amendment(0))
        assert lc_error(lc_world, CONFIRMER, "decideAmendmentConfirmation", unconfirmed, 1, True) == (
            "LetterOfCreditInvalidState"
        )

    def test_art_10c_presentation_complying_with_pending_amendment_accepts_it(self, lc_world: World) -> None:
        """Art 10c: a presentation that complies with the credit and with a not yet accepted amendment is the
        beneficiary's acceptance: the credit is amended at that moment."""
        lc_id = open_credit(lc_world, tolerancePlusBps=0, toleranceMinusBps=0)
        lc_world.tx(
            ISSUER, LC, "issueAmendment", lc_id, lc_world.unique("am"), amendment(AMEND_AMOUNT, amount=2 * AMOUNT)
        )
        shipped = lc_world.chain.timestamp() - DAY
        receipt = lc_world.tx(
            BENEFICIARY, LC, "presentUnderAmendment", lc_id, 1, [lc_world.unique("doc")], AMOUNT, shipped
        )
        receipt.event("AmendmentAccepted")
        receipt.event("DocumentsPresented")
        assert AMENDMENT_STATES[lc_world.call(LC, "getAmendment", lc_id, 1)["state"]] == "ACCEPTED"
        assert credit(lc_world, lc_id)["terms"]["amount"] == 2 * AMOUNT

    def test_art_10c_presentation_not_complying_with_credit_accepts_nothing(self, lc_world: World) -> None:
        """Art 10c: only a presentation complying with the credit as it stands counts as acceptance: a drawing that
        needs the amendment's higher amount neither presents nor amends."""
        lc_id = open_credit(lc_world, tolerancePlusBps=0, toleranceMinusBps=0)
        lc_world.tx(
            ISSUER, LC, "issueAmendment", lc_id, lc_world.unique("am"), amendment(AMEND_AMOUNT, amount=2 * AMOUNT)
        )
        shipped = lc_world.chain.timestamp() - DAY
        error = lc_error(
            lc_world, BENEFICIARY, "presentUnderAmendment", lc_id, 1, [lc_world.unique()], AMOUNT + 1, shipped
        )
        assert error == "LetterOfCreditDrawingExceedsAvailable"
        assert AMENDMENT_STATES[lc_world.call(LC, "getAmendment", lc_id, 1)["state"]] == "ISSUED"

    def test_art_10f_silence_never_accepts(self, lc_world: World) -> None:
        """Art 10f: a clause "effective unless rejected" is disregarded: time passing, an advice or the confirming
        bank's extension never apply an amendment; a plain presentation leaves it pending."""
        lc_id = open_credit(lc_world)
        lc_world.tx(
            ISSUER, LC, "issueAmendment", lc_id, lc_world.unique("am"), amendment(AMEND_AMOUNT, amount=2 * AMOUNT)
        )
        lc_world.tx(ADVISER, LC, "adviseAmendment", lc_id, 1)
        lc_world.tx(CONFIRMER, LC, "decideAmendmentConfirmation", lc_id, 1, True)
        warp(lc_world, lc_world.chain.timestamp() + 20 * DAY)
        present(lc_world, lc_id, 100)
        assert AMENDMENT_STATES[lc_world.call(LC, "getAmendment", lc_id, 1)["state"]] == "ISSUED"
        assert credit(lc_world, lc_id)["terms"]["amount"] == AMOUNT


class TestArt30Amounts:
    def test_art_30c_five_percent_less_allowance(self, lc_world: World) -> None:
        """Art 30c: partial drawings prohibited and no tolerance stated: a drawing of 95 % (or 96 %) is accepted,
        one below 95 % is a partial drawing."""
        lc_id = open_credit(lc_world, partialDrawingsAllowed=False, tolerancePlusBps=0, toleranceMinusBps=0)
        now = lc_world.chain.timestamp()
        assert lc_error(lc_world, BENEFICIARY, "present", lc_id, [lc_world.unique()], 949_999, now) == (
            "LetterOfCreditPartialDrawingProhibited"
        )
        presentation_id = present(lc_world, lc_id, 960_000)
        assert presentation_state(lc_world, lc_id, presentation_id) == "PRESENTED"

    def test_art_30c_allowance_not_with_stated_tolerance(self, lc_world: World) -> None:
        """Art 30c (last sentence): with a stated tolerance (here +10 % / -0 %) the 5 % allowance does not apply."""
        lc_id = open_credit(lc_world, partialDrawingsAllowed=False, tolerancePlusBps=1_000, toleranceMinusBps=0)
        now = lc_world.chain.timestamp()
        assert lc_error(lc_world, BENEFICIARY, "present", lc_id, [lc_world.unique()], 960_000, now) == (
            "LetterOfCreditPartialDrawingProhibited"
        )
