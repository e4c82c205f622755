"""LetterOfCredit: amendments of how a credit is available and of its tenor (UCP 600 Art 6b, 10), accepted by the
beneficiary or by a complying presentation, through a confirming bank that extends or declines, and refused once
drawings ran under the old terms. One test per rule, named after its article. The cast is lc_support's: `bank`
advises and is the available-with (nominated) bank, `another_bank` confirms, `sponsor_bank` issues.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.contracts.helpers import World
from tests.contracts.lc_support import (
    AFTER_PRESENTATION,
    AFTER_SHIPMENT,
    AMEND_AMOUNT,
    AMEND_AVAILABILITY,
    AMEND_TENOR,
    AMENDMENT_STATES,
    AMOUNT,
    BENEFICIARY,
    CONFIRMER,
    DAY,
    DEFERRED_PAYMENT,
    ISSUER,
    LC,
    NEGOTIATION,
    SIGHT_PAYMENT,
    amendment,
    balance,
    credit,
    lc_error,
    open_credit,
    present,
    start_on_monday,
)

DEFERRAL = amendment(AMEND_AVAILABILITY | AMEND_TENOR, availability=DEFERRED_PAYMENT, tenorDays=30)


@pytest.fixture
def lc_world(world: World) -> Iterator[World]:
    """The base world on a Monday 10:00 UTC."""
    start_on_monday(world)
    yield world


def _availability(world: World, lc_id: int) -> tuple[int, int, int]:
    stated = credit(world, lc_id)["terms"]
    return stated["availability"], stated["tenorDays"], stated["tenorBasis"]


def _issue(world: World, lc_id: int, changes: dict[str, object]) -> int:
    receipt = world.tx(ISSUER, LC, "issueAmendment", lc_id, world.unique("am"), changes)
    amendment_id: int = receipt.event("AmendmentIssued")["amendmentId"]
    return amendment_id


class TestArt10AvailabilityAmendments:
    def test_art_10_availability_and_tenor_change_only_on_acceptance(self, lc_world: World) -> None:
        """Art 10b/c, 6b: an amendment from sight payment to deferred payment at 30 days binds the issuer at once and
        the credit only once the beneficiary accepts; an honour then incurs the deferred undertaking, paying nothing
        now."""
        lc_id = open_credit(lc_world, "ADVISED")
        amendment_id = _issue(lc_world, lc_id, DEFERRAL)
        assert _availability(lc_world, lc_id) == (SIGHT_PAYMENT, 0, AFTER_PRESENTATION)
        lc_world.tx(BENEFICIARY, LC, "acceptAmendment", lc_id, amendment_id, DEFERRAL["fields"])
        assert _availability(lc_world, lc_id) == (DEFERRED_PAYMENT, 30, AFTER_PRESENTATION)
        presentation_id = present(lc_world, lc_id, 100_000)
        before = balance(lc_world, BENEFICIARY)
        receipt = lc_world.tx(ISSUER, LC, "honour", lc_id, presentation_id)
        assert receipt.event("DeferredPaymentIncurred")["amount"] == 100_000
        assert balance(lc_world, BENEFICIARY) == before

    def test_art_10e_accepting_availability_without_tenor_is_rejection(self, lc_world: World) -> None:
        """Art 10e: accepting the new availability but not its tenor is a partial acceptance: a rejection."""
        lc_id = open_credit(lc_world, "ADVISED")
        amendment_id = _issue(lc_world, lc_id, DEFERRAL)
        lc_world.tx(BENEFICIARY, LC, "acceptAmendment", lc_id, amendment_id, AMEND_AVAILABILITY)
        assert AMENDMENT_STATES[lc_world.call(LC, "getAmendment", lc_id, amendment_id)["state"]] == "REJECTED"
        assert _availability(lc_world, lc_id) == (SIGHT_PAYMENT, 0, AFTER_PRESENTATION)

    @pytest.mark.parametrize("extend", [True, False])
    def test_art_10b_confirming_bank_extends_or_declines_availability_amendment(
        self, lc_world: World, extend: bool
    ) -> None:
        """Art 10b: the confirming bank extends its confirmation to the new availability or declines and says so;
        either way the issuer is bound and the beneficiary's acceptance amends the credit."""
        lc_id = open_credit(lc_world, "CONFIRMED")
        amendment_id = _issue(lc_world, lc_id, DEFERRAL)
        receipt = lc_world.tx(CONFIRMER, LC, "decideAmendmentConfirmation", lc_id, amendment_id, extend)
        assert receipt.event("AmendmentConfirmationDecided")["extended"] is extend
        lc_world.tx(BENEFICIARY, LC, "acceptAmendment", lc_id, amendment_id, DEFERRAL["fields"])
        assert _availability(lc_world, lc_id)[0] == DEFERRED_PAYMENT

    def test_art_10c_presentation_under_availability_amendment_accepts_it(self, lc_world: World) -> None:
        """Art 10c: a presentation complying with the credit and a pending change to deferred payment accepts the
        amendment at that moment, and is honoured under the amended availability."""
        lc_id = open_credit(lc_world, "ADVISED")
        amendment_id = _issue(lc_world, lc_id, DEFERRAL)
        shipped = lc_world.chain.timestamp() - DAY
        receipt = lc_world.tx(
            BENEFICIARY, LC, "presentUnderAmendment", lc_id, amendment_id, [lc_world.unique("doc")], 100_000, shipped
        )
        presentation_id = receipt.event("DocumentsPresented")["presentationId"]
        assert _availability(lc_world, lc_id) == (DEFERRED_PAYMENT, 30, AFTER_PRESENTATION)
        lc_world.tx(ISSUER, LC, "honour", lc_id, presentation_id).event("DeferredPaymentIncurred")

    def test_art_10_availability_cannot_change_after_honour_under_old_terms(self, lc_world: World) -> None:
        """Art 10 with 6b: once a drawing was honoured at sight, the credit's availability and tenor can no longer
        change (the honour cannot be undone); other terms still can."""
        lc_id = open_credit(lc_world, "ADVISED")
        lc_world.tx(ISSUER, LC, "honour", lc_id, present(lc_world, lc_id, 100_000))
        error = lc_world.error(ISSUER, LC, "issueAmendment", lc_id, lc_world.unique("am"), DEFERRAL)
        assert error is not None and error.name == "LetterOfCreditAvailabilityInUse"
        assert tuple(error.args[1:]) == (1, 0)  # honoured, open
        _issue(lc_world, lc_id, amendment(AMEND_AMOUNT, amount=2 * AMOUNT))

    def test_art_10_availability_cannot_change_under_a_presentation_being_examined(self, lc_world: World) -> None:
        """Art 10 with 14b: an amendment issued before a presentation cannot change the availability while that
        presentation is examined under the old terms: its acceptance is refused, and the amendment stays pending."""
        lc_id = open_credit(lc_world, "ADVISED")
        amendment_id = _issue(lc_world, lc_id, DEFERRAL)
        present(lc_world, lc_id, 100_000)
        error = lc_error(lc_world, BENEFICIARY, "acceptAmendment", lc_id, amendment_id, DEFERRAL["fields"])
        assert error == "LetterOfCreditAvailabilityInUse"
        assert AMENDMENT_STATES[lc_world.call(LC, "getAmendment", lc_id, amendment_id)["state"]] == "ISSUED"

    @pytest.mark.parametrize(
        ("fields", "availability", "tenor_days", "basis"),
        [
            (AMEND_AVAILABILITY, DEFERRED_PAYMENT, 0, AFTER_PRESENTATION),  # deferred payment without a tenor
            (AMEND_TENOR, SIGHT_PAYMENT, 30, AFTER_PRESENTATION),  # a tenor on a sight credit
            (AMEND_AVAILABILITY | AMEND_TENOR, NEGOTIATION, 0, AFTER_SHIPMENT),  # negotiation with a tenor basis
            (AMEND_AVAILABILITY | AMEND_TENOR, DEFERRED_PAYMENT, 721, AFTER_PRESENTATION),  # above 720 days
        ],
    )
    def test_art_6b_amended_availability_and_tenor_must_agree(
        self, lc_world: World, fields: int, availability: int, tenor_days: int, basis: int
    ) -> None:
        """Art 6b: the credit's availability and tenor after the amendment must agree as at application."""
        lc_id = open_credit(lc_world, "ADVISED")
        changes = amendment(fields, availability=availability, tenorDays=tenor_days, tenorBasis=basis)
        error = lc_world.error(ISSUER, LC, "issueAmendment", lc_id, lc_world.unique("am"), changes)
        assert error is not None and error.name == "LetterOfCreditInvalidTenor"

    def test_art_10_deferred_credit_amended_to_sight(self, lc_world: World) -> None:
        """Art 10, 6b: a deferred payment credit amended to sight payment drops its tenor and pays at honour."""
        lc_id = open_credit(lc_world, "ADVISED", availability=DEFERRED_PAYMENT, tenorDays=60, tenorBasis=AFTER_SHIPMENT)
        to_sight = amendment(AMEND_AVAILABILITY | AMEND_TENOR, availability=SIGHT_PAYMENT)
        amendment_id = _issue(lc_world, lc_id, to_sight)
        lc_world.tx(BENEFICIARY, LC, "acceptAmendment", lc_id, amendment_id, to_sight["fields"])
        assert _availability(lc_world, lc_id) == (SIGHT_PAYMENT, 0, AFTER_PRESENTATION)
        before = balance(lc_world, BENEFICIARY)
        lc_world.tx(ISSUER, LC, "honour", lc_id, present(lc_world, lc_id, 100_000))
        assert balance(lc_world, BENEFICIARY) == before + 100_000
