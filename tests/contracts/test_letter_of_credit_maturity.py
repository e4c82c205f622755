"""LetterOfCredit: availability (UCP 600 Art 6b) and honour by deferred payment or acceptance, paid at maturity
(Art 2 "honour" b/c, 7a, 8a), prepayment of a nominated bank's undertaking (Art 12b) and the issuing bank's
reimbursement due at maturity (Art 7c, 8c); negotiation (Art 2, 12). One test per rule, named after its article.
The cast is lc_support's: `bank` advises and is the available-with (nominated) bank, `sponsor_bank` issues.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.contracts.helpers import World
from tests.contracts.lc_support import (
    ACCEPTANCE,
    ADVISER,
    AFTER_SHIPMENT,
    APPLICANT,
    BENEFICIARY,
    CALENDAR,
    DAY,
    DEFERRED_PAYMENT,
    DEFERRED_STATES,
    ISSUER,
    LC,
    NEGOTIATION,
    SIGHT_PAYMENT,
    balance,
    credit,
    lc_error,
    open_credit,
    present,
    presentation_state,
    start_on_monday,
    terms,
    warp,
    weekday,
)

TENOR = 60
DRAWING = 400_000


@pytest.fixture
def lc_world(world: World) -> Iterator[World]:
    """The base world on a Monday 10:00 UTC."""
    start_on_monday(world)
    yield world


def _deferred_credit(world: World, state: str = "ISSUED", **overrides: Any) -> int:
    """A credit available by deferred payment, TENOR days after presentation; with the issuing bank by default."""
    values: dict[str, Any] = {
        "availability": DEFERRED_PAYMENT,
        "tenorDays": TENOR,
        "availableWithBank": world.address(ISSUER),
    }
    values.update(overrides)
    return open_credit(world, state, **values)


def _deferred(world: World, lc_id: int, presentation_id: int) -> dict[str, Any]:
    value: dict[str, Any] = world.call(LC, "getDeferredPayment", lc_id, presentation_id)
    return value


def _at_day(world: World, day: int) -> None:
    warp(world, day * DAY + 10 * 3600)


def _balances(world: World) -> dict[str, int]:
    return {actor: balance(world, actor) for actor in (ISSUER, ADVISER, BENEFICIARY, APPLICANT)}


class TestArt6bAvailability:
    def test_art_6b_availability_and_tenor_are_terms_of_the_credit(self, lc_world: World) -> None:
        """Art 6b: the credit states how it is available; a deferred payment credit states its tenor and basis."""
        lc_id = _deferred_credit(lc_world, tenorBasis=AFTER_SHIPMENT)
        stated = credit(lc_world, lc_id)["terms"]
        assert (stated["availability"], stated["tenorDays"], stated["tenorBasis"]) == (
            DEFERRED_PAYMENT,
            TENOR,
            AFTER_SHIPMENT,
        )

    @pytest.mark.parametrize(
        ("availability", "tenor_days", "basis"),
        [
            (DEFERRED_PAYMENT, 0, 0),  # a deferred payment needs a tenor
            (ACCEPTANCE, 721, 0),  # above MAX_TENOR_DAYS
            (SIGHT_PAYMENT, 30, 0),  # a sight payment has no tenor
            (NEGOTIATION, 0, AFTER_SHIPMENT),  # nor a tenor basis
        ],
    )
    def test_art_6b_tenor_only_with_deferred_payment_or_acceptance(
        self, lc_world: World, availability: int, tenor_days: int, basis: int
    ) -> None:
        """Art 6b: deferred payment and acceptance credits state a tenor of 1 to 720 days, sight payment none, and
        negotiation none or 1 to 720 days (sight or usance drafts)."""
        stated = terms(lc_world, availability=availability, tenorDays=tenor_days, tenorBasis=basis)
        error = lc_world.error(APPLICANT, LC, "applyForCredit", stated)
        assert error is not None and error.name == "LetterOfCreditInvalidTenor"


class TestArt7aDeferredPayment:
    def test_art_7a_deferred_payment_honour_incurs_undertaking_and_pays_at_maturity(self, lc_world: World) -> None:
        """Art 2 honour (b), 7a iii: honour of a complying presentation incurs the deferred payment undertaking and
        fixes the maturity then; no money moves until maturity, when the issuing bank pays the beneficiary and the
        applicant reimburses it."""
        lc_id = _deferred_credit(lc_world)
        presentation_id = present(lc_world, lc_id, DRAWING)
        before = _balances(lc_world)
        receipt = lc_world.tx(ISSUER, LC, "honour", lc_id, presentation_id)
        incurred = receipt.event("DeferredPaymentIncurred")
        presentation_day = lc_world.call(LC, "getPresentation", lc_id, presentation_id)["presentationDay"]
        maturity = lc_world.call(CALENDAR, "nextBankingDay", lc_world.address(ISSUER), presentation_day + TENOR)
        assert (incurred["obligor"], incurred["amount"], incurred["maturityDay"]) == (
            lc_world.address(ISSUER),
            DRAWING,
            maturity,
        )
        assert presentation_state(lc_world, lc_id, presentation_id) == "HONOURED"
        assert credit(lc_world, lc_id)["drawn"] == DRAWING
        assert _balances(lc_world) == before  # honoured, not paid
        assert DEFERRED_STATES[_deferred(lc_world, lc_id, presentation_id)["state"]] == "INCURRED"

        # not payable before maturity (by the obligor nor claimed by the beneficiary)
        _at_day(lc_world, maturity - 1)
        assert lc_error(lc_world, ISSUER, "payAtMaturity", lc_id, presentation_id) == "LetterOfCreditNotMatured"
        assert lc_error(lc_world, BENEFICIARY, "payAtMaturity", lc_id, presentation_id) == "LetterOfCreditNotMatured"

        _at_day(lc_world, maturity)
        receipt = lc_world.tx(ISSUER, LC, "payAtMaturity", lc_id, presentation_id)
        paid = receipt.event("DeferredPaymentPaid")
        receipt.event("ReimbursementSettled")
        after = _balances(lc_world)
        assert after[BENEFICIARY] == before[BENEFICIARY] + DRAWING
        assert after[APPLICANT] == before[APPLICANT] - DRAWING
        assert after[ISSUER] == before[ISSUER]
        deferred = _deferred(lc_world, lc_id, presentation_id)
        assert (DEFERRED_STATES[deferred["state"]], deferred["entryId"]) == ("PAID", paid["entryId"])
        # paid once: a second payment (a scheduler retry) is refused
        assert lc_error(lc_world, ISSUER, "payAtMaturity", lc_id, presentation_id) == (
            "LetterOfCreditInvalidDeferredState"
        )

    def test_art_7a_acceptance_maturity_on_a_closed_day_is_the_next_banking_day(self, lc_world: World) -> None:
        """Art 7a iv (acceptance): a maturity falling on a day the obligor is closed (Saturday, Sunday, a registered
        holiday) is paid on its next banking day."""
        now = lc_world.chain.timestamp()
        monday = now // DAY
        lc_world.tx(ISSUER, CALENDAR, "setHolidays", [(monday + 7) * DAY], True)  # the Monday after
        lc_id = _deferred_credit(lc_world, availability=ACCEPTANCE, tenorDays=5)  # Monday + 5 = Saturday
        presentation_id = present(lc_world, lc_id, DRAWING)
        incurred = lc_world.tx(ISSUER, LC, "honour", lc_id, presentation_id).event("DeferredPaymentIncurred")
        assert weekday((monday + 5) * DAY) == 5
        assert incurred["maturityDay"] == monday + 8  # Sat, Sun, holiday Monday -> Tuesday

    def test_art_6b_tenor_runs_from_the_shipment_date(self, lc_world: World) -> None:
        """Art 6b (42P "days after bill of lading date"): the maturity counts from the shipment date presented."""
        lc_id = _deferred_credit(lc_world, tenorBasis=AFTER_SHIPMENT, tenorDays=30)
        shipped = lc_world.chain.timestamp() - 3 * DAY
        presentation_id = present(lc_world, lc_id, DRAWING, shipment_date=shipped)
        incurred = lc_world.tx(ISSUER, LC, "honour", lc_id, presentation_id).event("DeferredPaymentIncurred")
        expected = lc_world.call(CALENDAR, "nextBankingDay", lc_world.address(ISSUER), shipped // DAY + 30)
        assert incurred["maturityDay"] == expected

    def test_art_7a_beneficiary_collects_a_matured_undertaking(self, lc_world: World) -> None:
        """Art 7a: the undertaking is the issuing bank's; from maturity the beneficiary may collect it itself."""
        lc_id = _deferred_credit(lc_world)
        presentation_id = present(lc_world, lc_id, DRAWING)
        maturity = lc_world.tx(ISSUER, LC, "honour", lc_id, presentation_id).event("DeferredPaymentIncurred")[
            "maturityDay"
        ]
        _at_day(lc_world, maturity)
        before = balance(lc_world, BENEFICIARY)
        lc_world.tx(BENEFICIARY, LC, "payAtMaturity", lc_id, presentation_id)
        assert balance(lc_world, BENEFICIARY) == before + DRAWING
        assert lc_error(lc_world, APPLICANT, "payAtMaturity", lc_id, presentation_id) == (
            "LetterOfCreditInvalidDeferredState"
        )

    def test_art_16f_precluded_bank_incurs_the_deferred_undertaking(self, lc_world: World) -> None:
        """Art 16f: a precluded issuing bank must honour, which under a deferred payment credit is its undertaking
        to pay at maturity, not a payment now."""
        lc_id = _deferred_credit(lc_world)
        presentation_id = present(lc_world, lc_id, DRAWING)
        deadline = lc_world.call(LC, "getPresentation", lc_id, presentation_id)["deadline"]
        warp(lc_world, deadline + 1)
        before = _balances(lc_world)
        incurred = lc_world.tx(BENEFICIARY, LC, "enforcePreclusion", lc_id, presentation_id).event(
            "DeferredPaymentIncurred"
        )
        assert incurred["precluded"] is True
        assert _balances(lc_world) == before

    def test_art_7a_sight_credit_has_no_deferred_undertaking(self, lc_world: World) -> None:
        """Art 7a i: a sight credit is paid at honour; there is no undertaking to pay later."""
        lc_id = open_credit(lc_world, "ISSUED", availableWithBank=lc_world.address(ISSUER))
        presentation_id = present(lc_world, lc_id, DRAWING)
        lc_world.tx(ISSUER, LC, "honour", lc_id, presentation_id).event("PresentationHonoured")
        assert lc_error(lc_world, ISSUER, "payAtMaturity", lc_id, presentation_id) == (
            "LetterOfCreditInvalidDeferredState"
        )


class TestArt12bPrepayment:
    def _nominated(self, world: World) -> tuple[int, int, int]:
        """A deferred payment credit available with the nominated bank, honoured by it: (lcId, presentationId,
        maturity day)."""
        lc_id = _deferred_credit(world, "ADVISED", availableWithBank=world.address(ADVISER))
        presentation_id = present(world, lc_id, DRAWING)
        receipt = world.tx(ADVISER, LC, "honour", lc_id, presentation_id)
        receipt.event("DocumentsForwarded")
        incurred = receipt.event("DeferredPaymentIncurred")
        assert incurred["obligor"] == world.address(ADVISER)
        return lc_id, presentation_id, incurred["maturityDay"]

    def test_art_12b_nominated_bank_prepays_at_a_discount_and_is_reimbursed_at_maturity_art_7c(
        self, lc_world: World
    ) -> None:
        """Art 12b: the nominated bank that incurred the deferred undertaking may prepay it (less its discount); Art
        7c: the issuing bank reimburses it the full amount at maturity, not earlier."""
        before = _balances(lc_world)
        lc_id, presentation_id, maturity = self._nominated(lc_world)
        assert _balances(lc_world) == before  # honoured by undertaking: nothing paid yet

        discount = 4_000
        prepaid = lc_world.tx(ADVISER, LC, "prepayDeferredPayment", lc_id, presentation_id, discount).event(
            "DeferredPaymentPrepaid"
        )
        assert (prepaid["amount"], prepaid["discount"]) == (DRAWING, discount)
        assert balance(lc_world, BENEFICIARY) == before[BENEFICIARY] + DRAWING - discount
        assert balance(lc_world, ADVISER) == before[ADVISER] - DRAWING + discount
        assert DEFERRED_STATES[_deferred(lc_world, lc_id, presentation_id)["state"]] == "PREPAID"
        # prepaid once; nothing more is owed to the beneficiary at maturity
        assert lc_error(lc_world, ADVISER, "prepayDeferredPayment", lc_id, presentation_id, 0) == (
            "LetterOfCreditInvalidDeferredState"
        )

        # Art 7c: the reimbursement is due at maturity, whether or not the nominated bank prepaid
        assert lc_error(lc_world, ISSUER, "reimburseNominatedBank", lc_id, presentation_id) == (
            "LetterOfCreditNotMatured"
        )
        _at_day(lc_world, maturity)
        assert lc_error(lc_world, ADVISER, "payAtMaturity", lc_id, presentation_id) == (
            "LetterOfCreditInvalidDeferredState"
        )
        lc_world.tx(ISSUER, LC, "reimburseNominatedBank", lc_id, presentation_id).event("NominatedBankReimbursed")
        after = _balances(lc_world)
        assert after[ADVISER] == before[ADVISER] + discount  # the nominated bank earned its discount
        assert after[ISSUER] == before[ISSUER]  # and the applicant reimbursed the issuer
        assert after[APPLICANT] == before[APPLICANT] - DRAWING

    def test_art_7c_nominated_bank_pays_at_maturity_then_is_reimbursed(self, lc_world: World) -> None:
        """Art 7c, 12b: a nominated bank that did not prepay pays the beneficiary at maturity and is reimbursed then."""
        before = _balances(lc_world)
        lc_id, presentation_id, maturity = self._nominated(lc_world)
        _at_day(lc_world, maturity)
        lc_world.tx(ADVISER, LC, "payAtMaturity", lc_id, presentation_id).event("DeferredPaymentPaid")
        assert balance(lc_world, BENEFICIARY) == before[BENEFICIARY] + DRAWING
        lc_world.tx(ISSUER, LC, "reimburseNominatedBank", lc_id, presentation_id)
        assert _balances(lc_world)[ADVISER] == before[ADVISER]

    def test_art_12b_only_the_nominated_obligor_prepays_before_maturity(self, lc_world: World) -> None:
        """Art 12b authorises the nominated bank to prepay its own undertaking: not the issuing bank's, not after
        maturity, and not at a discount that swallows the amount."""
        lc_id, presentation_id, maturity = self._nominated(lc_world)
        assert lc_error(lc_world, ISSUER, "prepayDeferredPayment", lc_id, presentation_id, 0) == (
            "LetterOfCreditUnauthorizedParty"
        )
        assert lc_error(lc_world, ADVISER, "prepayDeferredPayment", lc_id, presentation_id, DRAWING) == (
            "LetterOfCreditInvalidDiscount"
        )
        _at_day(lc_world, maturity)
        assert lc_error(lc_world, ADVISER, "prepayDeferredPayment", lc_id, presentation_id, 0) == (
            "LetterOfCreditMatured"
        )

        issuer_credit = _deferred_credit(lc_world)
        issuer_presentation = present(lc_world, issuer_credit, DRAWING)
        lc_world.tx(ISSUER, LC, "honour", issuer_credit, issuer_presentation)
        assert lc_error(lc_world, ISSUER, "prepayDeferredPayment", issuer_credit, issuer_presentation, 0) == (
            "LetterOfCreditUnauthorizedParty"
        )


class TestArt2Negotiation:
    def test_art_2_negotiation_nominated_bank_advances_funds_and_is_reimbursed_art_12(self, lc_world: World) -> None:
        """Art 2 "negotiation", 12: the nominated bank purchases the documents by advancing funds to the beneficiary
        on the day it negotiates; the issuing bank reimburses it (Art 7c)."""
        lc_id = open_credit(lc_world, "ADVISED", availability=NEGOTIATION)
        presentation_id = present(lc_world, lc_id, DRAWING)
        before = _balances(lc_world)
        lc_world.tx(ADVISER, LC, "honour", lc_id, presentation_id).event("PresentationHonoured")
        assert balance(lc_world, BENEFICIARY) == before[BENEFICIARY] + DRAWING
        assert balance(lc_world, ADVISER) == before[ADVISER] - DRAWING
        lc_world.tx(ISSUER, LC, "reimburseNominatedBank", lc_id, presentation_id)
        assert balance(lc_world, ADVISER) == before[ADVISER]
        assert lc_error(lc_world, ADVISER, "payAtMaturity", lc_id, presentation_id) == (
            "LetterOfCreditInvalidDeferredState"
        )
