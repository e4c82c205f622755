"""LetterOfCredit: credits with a tenor beyond the first honour (issue #16). Transfers (Art 38) and assignment of
proceeds (Art 39) of deferred payment and acceptance credits, paid at maturity or on a prepayment (Art 12b); the
issuing bank's honour when a nominated bank does not pay its matured undertaking (Art 7a iii, iv); negotiation of
drafts at usance (Art 2 "negotiation", 7c, 12b). One test per rule, named after its article. The cast is
lc_support's: `bank` advises and is the available-with (nominated, transferring) bank, `sponsor_bank` issues,
`another_bank` takes assignments; the second beneficiary is `second_trader`, onboarded here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.contracts import lc_support
from tests.contracts.helpers import World
from tests.contracts.lc_support import (
    ACCEPTANCE,
    ADVISER,
    APPLICANT,
    BENEFICIARY,
    CONFIRMER,
    DAY,
    DEFERRED_PAYMENT,
    DEFERRED_STATES,
    INTERBANK_STATES,
    ISSUER,
    LC,
    NEGOTIATION,
    balance,
    lc_error,
    open_credit,
    present,
    start_on_monday,
    warp,
)
from tests.contracts.test_letter_of_credit_transfers import honour_legs

SECOND = "second_trader"
TENOR = 30
ACTORS = (ISSUER, ADVISER, CONFIRMER, BENEFICIARY, SECOND, APPLICANT)


@pytest.fixture
def lc_world(world: World) -> Iterator[World]:
    """The base world on a Monday 10:00 UTC, with a second beneficiary onboarded by `bank`."""
    start_on_monday(world)
    world.tx(ADVISER, "Membership", "onboardTrader", world.address(SECOND))
    yield world


def _balances(world: World) -> dict[str, int]:
    return {actor: balance(world, actor) for actor in ACTORS}


def _at_day(world: World, day: int) -> None:
    warp(world, day * DAY + 10 * 3600)


def _usance_credit(world: World, availability: int = DEFERRED_PAYMENT, **overrides: Any) -> int:
    """An advised transferable credit with a TENOR-day tenor, available with the nominated bank `bank`."""
    values: dict[str, Any] = {"availability": availability, "tenorDays": TENOR, "transferable": True}
    values.update(overrides)
    return open_credit(world, "ADVISED", **values)


def _transferred_drawing(world: World, lc_id: int, second_share: int, drawing: int) -> int:
    """Transfer part of the credit to SECOND, who presents `second_share`; the first beneficiary substitutes its
    invoice for `drawing`: the presentation id under the credit."""
    terms = lc_support.transfer_terms(world, lc_id, SECOND, amount=second_share)
    world.tx(BENEFICIARY, LC, "requestTransfer", lc_id, terms)
    world.tx(ADVISER, LC, "decideTransfer", lc_id, 1, True)
    shipped = world.chain.timestamp() - DAY
    receipt = world.tx(SECOND, LC, "presentTransferred", lc_id, 1, [world.unique("doc")], second_share, shipped)
    tp_id = receipt.event("TransferredDocumentsPresented")["transferredPresentationId"]
    receipt = world.tx(BENEFICIARY, LC, "substituteInvoice", lc_id, tp_id, [world.unique("invoice")], drawing)
    presentation_id: int = receipt.event("InvoiceSubstituted")["presentationId"]
    return presentation_id


def _references(world: World, lc_id: int, presentation_id: int) -> dict[str, bytes]:
    names = ("payment", "transfer", "assignment")
    return {name: world.call(LC, f"{name}Reference", lc_id, presentation_id) for name in names}


def _deferred_state(world: World, lc_id: int, presentation_id: int) -> str:
    return DEFERRED_STATES[world.call(LC, "getDeferredPayment", lc_id, presentation_id)["state"]]


class TestArt38And39DeferredProceeds:
    def test_art_38h_deferred_payment_transferred_share_paid_at_maturity(self, lc_world: World) -> None:
        """Art 38h, 38i: a transferred deferred payment credit pays the second beneficiary its invoice amount and the
        first beneficiary the difference when the undertaking is paid at maturity, not at honour."""
        lc_id = _usance_credit(lc_world)
        presentation_id = _transferred_drawing(lc_world, lc_id, 300_000, 500_000)
        before = _balances(lc_world)
        receipt = lc_world.tx(ADVISER, LC, "honour", lc_id, presentation_id)
        maturity = receipt.event("DeferredPaymentIncurred")["maturityDay"]
        assert honour_legs(lc_world, receipt) == [] and _balances(lc_world) == before

        _at_day(lc_world, maturity)
        receipt = lc_world.tx(ADVISER, LC, "payAtMaturity", lc_id, presentation_id)
        refs = _references(lc_world, lc_id, presentation_id)
        assert honour_legs(lc_world, receipt) == [
            (lc_world.address(SECOND), 300_000, refs["transfer"]),
            (lc_world.address(BENEFICIARY), 200_000, refs["payment"]),
        ]
        assert receipt.event("TransferredProceedsPaid")["amount"] == 300_000
        paid = receipt.event("DeferredPaymentPaid")
        assert paid["amount"] == 500_000 and paid["entryId"] != 0
        after = _balances(lc_world)
        assert after[ADVISER] == before[ADVISER] - 500_000

    def test_art_39_acceptance_assigned_share_paid_at_maturity(self, lc_world: World) -> None:
        """Art 39: the assigned share of what the beneficiary receives under an accepted draft is paid to the
        assignee at maturity, with its own reference; the legs add up to the accepted amount."""
        lc_id = _usance_credit(lc_world, ACCEPTANCE, availableWithBank=lc_world.address(ISSUER))
        lc_world.tx(BENEFICIARY, LC, "assignProceeds", lc_id, lc_world.address(CONFIRMER), 3_333)
        presentation_id = present(lc_world, lc_id, 400_001)
        maturity = lc_world.tx(ISSUER, LC, "honour", lc_id, presentation_id).event("DeferredPaymentIncurred")[
            "maturityDay"
        ]
        _at_day(lc_world, maturity)
        receipt = lc_world.tx(BENEFICIARY, LC, "payAtMaturity", lc_id, presentation_id)
        refs = _references(lc_world, lc_id, presentation_id)
        assigned = 400_001 * 3_333 // 10_000
        legs = honour_legs(lc_world, receipt)
        assert legs == [
            (lc_world.address(CONFIRMER), assigned, refs["assignment"]),
            (lc_world.address(BENEFICIARY), 400_001 - assigned, refs["payment"]),
        ]
        assert sum(amount for _, amount, _ in legs) == 400_001
        receipt.event("ReimbursementSettled")  # the issuing bank paid its own undertaking: the applicant reimburses

    def test_art_12b_prepayment_splits_the_proceeds_less_the_discount(self, lc_world: World) -> None:
        """Art 12b with Art 38, 39: the nominated bank's prepayment pays each share less its pro rata part of the
        discount, to the minor unit; at maturity the issuing bank reimburses the full amount (Art 7c)."""
        lc_id = _usance_credit(lc_world)
        lc_world.tx(BENEFICIARY, LC, "assignProceeds", lc_id, lc_world.address(CONFIRMER), 2_500)
        presentation_id = _transferred_drawing(lc_world, lc_id, 333_333, 700_001)
        before = _balances(lc_world)
        maturity = lc_world.tx(ADVISER, LC, "honour", lc_id, presentation_id).event("DeferredPaymentIncurred")[
            "maturityDay"
        ]
        discount = 7_001
        receipt = lc_world.tx(ADVISER, LC, "prepayDeferredPayment", lc_id, presentation_id, discount)
        proceeds = 700_001 - discount
        second = 333_333 * proceeds // 700_001
        assigned = (proceeds - second) * 2_500 // 10_000
        refs = _references(lc_world, lc_id, presentation_id)
        legs = honour_legs(lc_world, receipt)
        assert legs == [
            (lc_world.address(SECOND), second, refs["transfer"]),
            (lc_world.address(CONFIRMER), assigned, refs["assignment"]),
            (lc_world.address(BENEFICIARY), proceeds - second - assigned, refs["payment"]),
        ]
        assert sum(amount for _, amount, _ in legs) == proceeds
        prepaid = receipt.event("DeferredPaymentPrepaid")
        assert (prepaid["amount"], prepaid["discount"]) == (700_001, discount)
        assert balance(lc_world, ADVISER) == before[ADVISER] - proceeds

        _at_day(lc_world, maturity)
        lc_world.tx(ISSUER, LC, "reimburseNominatedBank", lc_id, presentation_id)
        assert balance(lc_world, ADVISER) == before[ADVISER] + discount


class TestArt7aIssuerHonoursOnDefault:
    def _nominated(self, world: World, availability: int = DEFERRED_PAYMENT) -> tuple[int, int, int]:
        """A usance credit honoured by the nominated bank: (lcId, presentationId, maturity day)."""
        lc_id = _usance_credit(world, availability)
        presentation_id = present(world, lc_id, 400_000)
        incurred = world.tx(ADVISER, LC, "honour", lc_id, presentation_id).event("DeferredPaymentIncurred")
        return lc_id, presentation_id, incurred["maturityDay"]

    @pytest.mark.parametrize("availability", [DEFERRED_PAYMENT, ACCEPTANCE])
    def test_art_7a_iii_iv_issuer_honours_when_nominated_bank_does_not_pay_at_maturity(
        self, lc_world: World, availability: int
    ) -> None:
        """Art 7a iii (deferred payment), iv (acceptance): the nominated bank incurred its undertaking and did not pay
        by the end of the maturity day: the issuing bank must honour, the nominated bank is not reimbursed, and the
        applicant reimburses the issuing bank."""
        lc_id, presentation_id, maturity = self._nominated(lc_world, availability)
        _at_day(lc_world, maturity)
        assert lc_error(lc_world, BENEFICIARY, "honourDefaultedUndertaking", lc_id, presentation_id) == (
            "LetterOfCreditNoDefault"
        )
        # Art 7c: a nominated bank that has not paid the beneficiary is not reimbursed, matured or not
        assert lc_error(lc_world, ISSUER, "reimburseNominatedBank", lc_id, presentation_id) == (
            "LetterOfCreditInvalidDeferredState"
        )
        _at_day(lc_world, maturity + 1)
        assert lc_error(lc_world, APPLICANT, "honourDefaultedUndertaking", lc_id, presentation_id) == (
            "LetterOfCreditUnauthorizedParty"
        )
        assert lc_error(lc_world, ADVISER, "honourDefaultedUndertaking", lc_id, presentation_id) == (
            "LetterOfCreditUnauthorizedParty"
        )
        before = _balances(lc_world)
        receipt = lc_world.tx(BENEFICIARY, LC, "honourDefaultedUndertaking", lc_id, presentation_id)
        defaulted = receipt.event("DeferredPaymentDefaulted")
        assert (defaulted["nominatedBank"], defaulted["issuingBank"], defaulted["amount"]) == (
            lc_world.address(ADVISER),
            lc_world.address(ISSUER),
            400_000,
        )
        assert honour_legs(lc_world, receipt) == [
            (lc_world.address(BENEFICIARY), 400_000, lc_world.call(LC, "paymentReference", lc_id, presentation_id))
        ]
        receipt.event("ReimbursementSettled")
        after = _balances(lc_world)
        assert after[BENEFICIARY] == before[BENEFICIARY] + 400_000
        assert after[ISSUER] == before[ISSUER]  # paid, then reimbursed by the applicant
        assert after[APPLICANT] == before[APPLICANT] - 400_000
        assert after[ADVISER] == before[ADVISER]
        assert _deferred_state(lc_world, lc_id, presentation_id) == "DEFAULTED"
        claim = lc_world.call(LC, "getInterbankClaim", lc_id, presentation_id)
        assert INTERBANK_STATES[claim["state"]] == "LAPSED"
        # once: neither the late nominated bank nor a second claim pays again
        for actor, function in ((ADVISER, "payAtMaturity"), (ISSUER, "honourDefaultedUndertaking")):
            assert lc_error(lc_world, actor, function, lc_id, presentation_id) == "LetterOfCreditInvalidDeferredState"
        assert lc_error(lc_world, ADVISER, "reimburseNominatedBank", lc_id, presentation_id) == (
            "LetterOfCreditInvalidInterbankClaimState"
        )

    def test_art_7a_issuer_honour_of_a_default_splits_the_proceeds(self, lc_world: World) -> None:
        """Art 7a with Art 38, 39: the issuing bank that honours for a defaulting nominated bank pays the second
        beneficiary and the assignee their shares, as any payment of the drawing."""
        lc_id = _usance_credit(lc_world)
        lc_world.tx(BENEFICIARY, LC, "assignProceeds", lc_id, lc_world.address(CONFIRMER), 5_000)
        presentation_id = _transferred_drawing(lc_world, lc_id, 100_000, 300_000)
        maturity = lc_world.tx(ADVISER, LC, "honour", lc_id, presentation_id).event("DeferredPaymentIncurred")[
            "maturityDay"
        ]
        _at_day(lc_world, maturity + 1)
        receipt = lc_world.tx(ISSUER, LC, "honourDefaultedUndertaking", lc_id, presentation_id)
        assert [(payee, amount) for payee, amount, _ in honour_legs(lc_world, receipt)] == [
            (lc_world.address(SECOND), 100_000),
            (lc_world.address(CONFIRMER), 100_000),
            (lc_world.address(BENEFICIARY), 100_000),
        ]

    def test_art_7a_no_default_when_the_nominated_bank_paid_or_the_issuer_is_obligor(self, lc_world: World) -> None:
        """Art 7a: the fallback is for a nominated bank's unpaid undertaking: not once it paid (even late), not for the
        issuing bank's own undertaking, and not once the issuing bank refused the forwarded documents (Art 16)."""
        lc_id, presentation_id, maturity = self._nominated(lc_world)
        _at_day(lc_world, maturity + 3)
        lc_world.tx(ADVISER, LC, "payAtMaturity", lc_id, presentation_id)  # late, but paid
        assert lc_error(lc_world, BENEFICIARY, "honourDefaultedUndertaking", lc_id, presentation_id) == (
            "LetterOfCreditInvalidDeferredState"
        )
        lc_world.tx(ISSUER, LC, "reimburseNominatedBank", lc_id, presentation_id)

        own = _usance_credit(lc_world, availableWithBank=lc_world.address(ISSUER))
        own_presentation = present(lc_world, own, 100_000)
        own_maturity = lc_world.tx(ISSUER, LC, "honour", own, own_presentation).event("DeferredPaymentIncurred")[
            "maturityDay"
        ]
        _at_day(lc_world, own_maturity + 1)
        assert lc_error(lc_world, BENEFICIARY, "honourDefaultedUndertaking", own, own_presentation) == (
            "LetterOfCreditNoDefault"
        )

        refused, refused_presentation, refused_maturity = self._nominated(lc_world)
        codes = [b"LATE_SHIPMENT".ljust(32, b"\0")]
        lc_world.tx(ISSUER, LC, "refuseReimbursement", refused, refused_presentation, codes)
        _at_day(lc_world, refused_maturity + 1)
        assert lc_error(lc_world, BENEFICIARY, "honourDefaultedUndertaking", refused, refused_presentation) == (
            "LetterOfCreditInvalidInterbankClaimState"
        )


class TestArt2UsanceNegotiation:
    def test_art_6b_negotiation_credit_may_call_for_drafts_at_usance(self, lc_world: World) -> None:
        """Art 6b, 2 "negotiation": a negotiation credit takes sight drafts (no tenor) or drafts at usance (1 to 720
        days); a sight payment credit takes no tenor."""
        lc_id = _usance_credit(lc_world, NEGOTIATION)
        assert lc_world.call(LC, "getCredit", lc_id)["terms"]["tenorDays"] == TENOR
        too_long = lc_support.terms(lc_world, availability=NEGOTIATION, tenorDays=721)
        error = lc_world.error(APPLICANT, LC, "applyForCredit", too_long)
        assert error is not None and error.name == "LetterOfCreditInvalidTenor"

    def test_art_2_negotiation_of_usance_drafts_advances_funds_before_reimbursement_art_7c(
        self, lc_world: World
    ) -> None:
        """Art 2 "negotiation", 12b: the nominated bank negotiating drafts at usance agrees to advance funds on or
        before the day reimbursement is due, and advances them now, less its discount; Art 7c: the issuing bank
        reimburses it the full amount at maturity, not before."""
        lc_id = _usance_credit(lc_world, NEGOTIATION)
        presentation_id = present(lc_world, lc_id, 250_000)
        before = _balances(lc_world)
        receipt = lc_world.tx(ADVISER, LC, "honour", lc_id, presentation_id)
        receipt.event("DocumentsForwarded")
        incurred = receipt.event("DeferredPaymentIncurred")
        assert incurred["obligor"] == lc_world.address(ADVISER)
        assert _balances(lc_world) == before  # agreed to advance; nothing moved yet

        lc_world.tx(ADVISER, LC, "prepayDeferredPayment", lc_id, presentation_id, 2_500)
        assert balance(lc_world, BENEFICIARY) == before[BENEFICIARY] + 247_500
        assert lc_error(lc_world, ISSUER, "reimburseNominatedBank", lc_id, presentation_id) == (
            "LetterOfCreditNotMatured"
        )
        _at_day(lc_world, incurred["maturityDay"])
        lc_world.tx(ISSUER, LC, "reimburseNominatedBank", lc_id, presentation_id).event("NominatedBankReimbursed")
        after = _balances(lc_world)
        assert after[ADVISER] == before[ADVISER] + 2_500
        assert after[APPLICANT] == before[APPLICANT] - 250_000

    def test_art_7a_v_issuer_honouring_a_usance_negotiation_credit_pays_at_maturity(self, lc_world: World) -> None:
        """Art 7a v: the issuing bank honouring a usance negotiation credit itself accepts the draft drawn on it and
        pays at maturity, not at honour."""
        lc_id = _usance_credit(lc_world, NEGOTIATION)
        presentation_id = present(lc_world, lc_id, 150_000)
        before = _balances(lc_world)
        incurred = lc_world.tx(ISSUER, LC, "honour", lc_id, presentation_id).event("DeferredPaymentIncurred")
        assert incurred["obligor"] == lc_world.address(ISSUER) and _balances(lc_world) == before
        _at_day(lc_world, incurred["maturityDay"])
        lc_world.tx(ISSUER, LC, "payAtMaturity", lc_id, presentation_id)
        assert balance(lc_world, BENEFICIARY) == before[BENEFICIARY] + 150_000
