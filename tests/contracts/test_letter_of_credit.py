"""LetterOfCredit against the UCP 600 rules of reference/trade-finance.md §2.2, one named test per rule.

Each test names its article. Time is moved by mining blocks at chosen timestamps (never by sleeping); every
test starts from the world's base state on a Monday 10:00 UTC so that banking-day arithmetic is deterministic.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from tests.contracts.helpers import EUR, USD, TransactionFailed, World, codec
from tests.contracts.lc_support import (
    AMEND_AMOUNT,
    AMEND_EXPIRY,
    AMEND_TOLERANCE,
    AMENDMENT_STATES,
    AMOUNT,
    APPLICANT,
    BENEFICIARY,
    CALENDAR,
    CLAIM_STATES,
    CONFIRMER,
    DAY,
    HOLD_PENDING_INSTRUCTIONS,
    HOLD_PENDING_WAIVER,
    ISSUER,
    LC,
    RETURNING,
    amendment,
    balance,
    credit,
    lc_state,
    open_credit,
    present,
    presentation,
    presentation_state,
    start_on_monday,
    terms,
    warp,
    weekday,
)
from tests.lcs.test_terms import sample
from tradeledger.lcs.terms import LetterOfCreditTerms, chain_parameters, matches_onchain_hash

DISCREPANCIES = [b"LATE_SHIPMENT".ljust(32, b"\0"), b"INVOICE_AMOUNT".ljust(32, b"\0")]


@pytest.fixture
def lc_world(world: World) -> Iterator[World]:
    """The base world on a Monday 10:00 UTC."""
    start_on_monday(world)
    yield world


def _error(world: World, actor: str, function: str, *args: object) -> str | None:
    error = world.error(actor, LC, function, *args)
    return None if error is None else error.name


def _cal_error(world: World, actor: str, dates: list[int]) -> str | None:
    error = world.error(actor, CALENDAR, "setHolidays", dates, True)
    return None if error is None else error.name


# ------------------------------------------------------------------------------------------------ Art 3


class TestArt3Irrevocable:
    def test_issuer_alone_cannot_cancel_issued_credit_art3(self, lc_world: World) -> None:
        """Art 3: a credit is irrevocable even if it does not say so; the issuer's consent alone changes nothing."""
        lc_id = open_credit(lc_world, "CONFIRMED")
        lc_world.tx(ISSUER, LC, "consentToCancellation", lc_id)
        assert lc_state(lc_world, lc_id) == "CONFIRMED"
        # there is no revocation function at all
        assert not [f for f in codec(LC).functions if "revoke" in f.lower()]

    def test_issuer_cannot_decline_after_issuance_art3(self, lc_world: World) -> None:
        """Art 3 / 7d: once issued the issuing bank is bound; declining is only possible for an application."""
        lc_id = open_credit(lc_world, "ISSUED")
        assert _error(lc_world, ISSUER, "declineApplication", lc_id) == "LetterOfCreditInvalidState"


# ------------------------------------------------------------------------------------------------ Art 6


class TestArt6Expiry:
    def test_presentation_on_expiry_day_accepted_art6(self, lc_world: World) -> None:
        """Art 6e: a presentation on the expiry date (a banking day) is in time."""
        now = lc_world.chain.timestamp()
        lc_id = open_credit(lc_world, expiry=now + 3 * DAY, latestShipment=now)  # Thursday 10:00
        warp(lc_world, now + 3 * DAY + 6 * 3600)  # Thursday 16:00, same day
        present(lc_world, lc_id, shipment_date=now)
        assert lc_state(lc_world, lc_id) == "CONFIRMED"

    def test_presentation_after_expiry_reverts_art6(self, lc_world: World) -> None:
        """Art 6e: a presentation must be made on or before the expiry date."""
        now = lc_world.chain.timestamp()
        lc_id = open_credit(lc_world, expiry=now + 3 * DAY, latestShipment=now)
        warp(lc_world, now + 4 * DAY)  # Friday
        error = _error(lc_world, BENEFICIARY, "present", lc_id, [lc_world.unique("doc")], AMOUNT, now)
        assert error == "LetterOfCreditPresentationAfterExpiry"

    def test_expiry_on_holiday_extends_to_next_banking_day_art29a(self, lc_world: World) -> None:
        """Art 29a: an expiry on a day the bank is closed moves to its next banking day (here Sat, Sun, holiday Mon)."""
        now = lc_world.chain.timestamp()  # Monday
        lc_world.tx(ISSUER, CALENDAR, "setHolidays", [now + 7 * DAY], True)  # next Monday
        lc_id = open_credit(lc_world, expiry=now + 5 * DAY, latestShipment=now)  # Saturday
        assert lc_world.call(LC, "lastPresentationDay", lc_id) == (now + 8 * DAY) // DAY  # Tuesday
        warp(lc_world, now + 8 * DAY)
        present(lc_world, lc_id, shipment_date=now)
        warp(lc_world, now + 9 * DAY)
        error = _error(lc_world, BENEFICIARY, "present", lc_id, [lc_world.unique("doc")], 1, now)
        assert error == "LetterOfCreditPresentationAfterExpiry"

    def test_application_requires_future_expiry_art6d(self, lc_world: World) -> None:
        """Art 6d: a credit must state an expiry date for presentation, after its application."""
        now = lc_world.chain.timestamp()
        bad = terms(lc_world, expiry=now - 1, latestShipment=0)
        assert _error(lc_world, APPLICANT, "applyForCredit", bad) == "LetterOfCreditInvalidExpiry"

    def test_expire_only_after_last_presentation_day_then_terminal_close_art6(self, lc_world: World) -> None:
        """Art 6: after expiry the credit accepts nothing new; expired credits close and stay closed."""
        now = lc_world.chain.timestamp()
        lc_id = open_credit(lc_world, expiry=now + 3 * DAY, latestShipment=now)
        assert _error(lc_world, APPLICANT, "expire", lc_id) == "LetterOfCreditNotExpired"
        warp(lc_world, now + 4 * DAY)
        lc_world.tx(APPLICANT, LC, "expire", lc_id)
        assert lc_state(lc_world, lc_id) == "EXPIRED"
        assert _error(lc_world, ISSUER, "issueAmendment", lc_id, lc_world.unique(), amendment()) == (
            "LetterOfCreditNotOperative"
        )
        lc_world.tx(ISSUER, LC, "close", lc_id)
        assert lc_state(lc_world, lc_id) == "CLOSED"
        assert _error(lc_world, ISSUER, "close", lc_id) == "LetterOfCreditInvalidState"


# ------------------------------------------------------------------------------------------------ Art 10


class TestArt10Amendments:
    def test_terms_unchanged_until_beneficiary_accepts_art10c(self, lc_world: World) -> None:
        """Art 10b/c: the issuer is bound by the amendment on issuing it; the terms change only on acceptance."""
        lc_id = open_credit(lc_world)
        receipt = lc_world.tx(
            ISSUER, LC, "issueAmendment", lc_id, lc_world.unique("am"), amendment(1, amount=2 * AMOUNT)
        )
        amendment_id = receipt.event("AmendmentIssued")["amendmentId"]
        assert credit(lc_world, lc_id)["terms"]["amount"] == AMOUNT
        lc_world.tx(BENEFICIARY, LC, "acceptAmendment", lc_id, amendment_id, AMEND_AMOUNT)
        assert credit(lc_world, lc_id)["terms"]["amount"] == 2 * AMOUNT
        assert AMENDMENT_STATES[lc_world.call(LC, "getAmendment", lc_id, amendment_id)["state"]] == "ACCEPTED"

    def test_rejection_leaves_old_terms_art10c(self, lc_world: World) -> None:
        """Art 10c: the original terms stay in force when the beneficiary rejects."""
        lc_id = open_credit(lc_world)
        before = credit(lc_world, lc_id)["terms"]
        lc_world.tx(
            ISSUER,
            LC,
            "issueAmendment",
            lc_id,
            lc_world.unique("am"),
            amendment(AMEND_EXPIRY, expiry=before["expiry"] + 30 * DAY),
        )
        lc_world.tx(BENEFICIARY, LC, "rejectAmendment", lc_id, 1)
        assert credit(lc_world, lc_id)["terms"] == before
        assert _error(lc_world, BENEFICIARY, "acceptAmendment", lc_id, 1, AMEND_EXPIRY) == (
            "LetterOfCreditInvalidAmendmentState"
        )

    def test_partial_acceptance_is_rejection_art10e(self, lc_world: World) -> None:
        """Art 10e: partial acceptance of an amendment is a rejection; the terms stay as they were."""
        lc_id = open_credit(lc_world)
        before = credit(lc_world, lc_id)["terms"]
        changes = amendment(AMEND_AMOUNT | AMEND_TOLERANCE, amount=3 * AMOUNT, tolerancePlusBps=0, toleranceMinusBps=0)
        lc_world.tx(ISSUER, LC, "issueAmendment", lc_id, lc_world.unique("am"), changes)
        receipt = lc_world.tx(BENEFICIARY, LC, "acceptAmendment", lc_id, 1, AMEND_AMOUNT)
        assert receipt.event("AmendmentRejected")["partialAcceptance"] is True
        assert credit(lc_world, lc_id)["terms"] == before
        assert AMENDMENT_STATES[lc_world.call(LC, "getAmendment", lc_id, 1)["state"]] == "REJECTED"

    def test_several_amendments_in_flight_apply_independently_art10(self, lc_world: World) -> None:
        """Art 10: several amendments may be in flight; each applies only its own changes on acceptance."""
        lc_id = open_credit(lc_world)
        expiry = credit(lc_world, lc_id)["terms"]["expiry"]
        lc_world.tx(
            ISSUER, LC, "issueAmendment", lc_id, lc_world.unique("am"), amendment(AMEND_AMOUNT, amount=2 * AMOUNT)
        )
        lc_world.tx(
            ISSUER, LC, "issueAmendment", lc_id, lc_world.unique("am"), amendment(AMEND_EXPIRY, expiry=expiry + DAY)
        )
        lc_world.tx(BENEFICIARY, LC, "acceptAmendment", lc_id, 2, AMEND_EXPIRY)
        lc_world.tx(BENEFICIARY, LC, "acceptAmendment", lc_id, 1, AMEND_AMOUNT)
        current = credit(lc_world, lc_id)["terms"]
        assert (current["amount"], current["expiry"]) == (2 * AMOUNT, expiry + DAY)

    def test_only_issuer_issues_and_only_beneficiary_accepts_art10a(self, lc_world: World) -> None:
        """Art 10a: no amendment without the issuing bank and the beneficiary; the applicant alone cannot amend."""
        lc_id = open_credit(lc_world)
        changes = amendment(AMEND_AMOUNT, amount=2 * AMOUNT)
        for actor in (APPLICANT, BENEFICIARY, CONFIRMER):
            assert _error(lc_world, actor, "issueAmendment", lc_id, lc_world.unique(), changes) == (
                "LetterOfCreditUnauthorizedParty"
            )
        lc_world.tx(ISSUER, LC, "issueAmendment", lc_id, lc_world.unique("am"), changes)
        for actor in (APPLICANT, ISSUER, CONFIRMER):
            assert (
                _error(lc_world, actor, "acceptAmendment", lc_id, 1, AMEND_AMOUNT) == "LetterOfCreditUnauthorizedParty"
            )

    def test_cancellation_needs_issuer_confirmer_and_beneficiary_art10a(self, lc_world: World) -> None:
        """Art 10a: a confirmed credit is cancelled only with the issuer, the confirmer and the beneficiary."""
        lc_id = open_credit(lc_world, "CONFIRMED")
        lc_world.tx(ISSUER, LC, "consentToCancellation", lc_id)
        lc_world.tx(BENEFICIARY, LC, "consentToCancellation", lc_id)
        assert lc_state(lc_world, lc_id) == "CONFIRMED"
        assert _error(lc_world, APPLICANT, "consentToCancellation", lc_id) == "LetterOfCreditNotAParty"
        assert _error(lc_world, ISSUER, "consentToCancellation", lc_id) == "LetterOfCreditConsentAlreadyGiven"
        receipt = lc_world.tx(CONFIRMER, LC, "consentToCancellation", lc_id)
        receipt.event("LetterOfCreditCancelled")
        assert lc_state(lc_world, lc_id) == "CANCELLED"
        assert _error(lc_world, BENEFICIARY, "present", lc_id, [lc_world.unique()], 1, lc_world.chain.timestamp()) == (
            "LetterOfCreditNotOperative"
        )

    def test_unconfirmed_credit_cancelled_by_issuer_and_beneficiary_art10a(self, lc_world: World) -> None:
        """Art 10a: with no confirming bank bound, the issuer and the beneficiary suffice."""
        lc_id = open_credit(lc_world, "ADVISED")
        lc_world.tx(BENEFICIARY, LC, "consentToCancellation", lc_id)
        lc_world.tx(ISSUER, LC, "consentToCancellation", lc_id)
        assert lc_state(lc_world, lc_id) == "CANCELLED"


# ------------------------------------------------------------------------------------------------ Art 14b


class TestArt14bExaminationDeadline:
    def test_deadline_is_five_banking_days_skipping_weekend_art14b(self, lc_world: World) -> None:
        """Art 14b: max 5 banking days following the day of presentation; Saturday and Sunday do not count."""
        monday = lc_world.chain.timestamp()
        lc_id = open_credit(lc_world)
        warp(lc_world, monday + 2 * DAY)  # Wednesday
        presentation_id = present(lc_world, lc_id)
        deadline = presentation(lc_world, lc_id, presentation_id)["deadline"]
        # Thu, Fri, Mon, Tue, Wed -> the close of the next Wednesday
        expected_day = (monday + 9 * DAY) // DAY
        assert deadline == (expected_day + 1) * DAY - 1
        assert weekday(deadline) == 2

    def test_deadline_skips_registered_holidays_art14b(self, lc_world: World) -> None:
        """Art 14b: a bank's registered holidays are not banking days; the deadline moves past them."""
        monday = lc_world.chain.timestamp()
        lc_world.tx(ISSUER, CALENDAR, "setHolidays", [monday + 1 * DAY, monday + 7 * DAY], True)  # Tue, next Mon
        lc_id = open_credit(lc_world)
        presentation_id = present(lc_world, lc_id)  # Monday
        # Wed, Thu, Fri, Tue, Wed
        assert presentation(lc_world, lc_id, presentation_id)["deadline"] == (monday // DAY + 10) * DAY - 1
        # another bank's holidays do not matter
        assert lc_world.call(CALENDAR, "examinationDeadline", lc_world.address(CONFIRMER), monday // DAY) == (
            (monday // DAY + 8) * DAY - 1
        )

    def test_only_banks_register_their_own_future_holidays_art14b(self, lc_world: World) -> None:
        """Art 14b: a bank registers its own holidays; traders cannot, and past days cannot change."""
        now = lc_world.chain.timestamp()
        assert _cal_error(lc_world, APPLICANT, [now + DAY]) == "BankingCalendarNotActiveBank"
        assert _cal_error(lc_world, ISSUER, [now - DAY]) == "BankingCalendarHolidayInPast"
        lc_world.tx(CONFIRMER, CALENDAR, "setHolidays", [now + DAY], True)
        assert lc_world.call(CALENDAR, "isHoliday", lc_world.address(CONFIRMER), (now + DAY) // DAY) is True
        assert lc_world.call(CALENDAR, "isHoliday", lc_world.address(ISSUER), (now + DAY) // DAY) is False
        assert lc_world.call(CALENDAR, "isBankingDay", lc_world.address(CONFIRMER), (now + DAY) // DAY) is False

    def test_presentation_on_saturday_counts_from_monday_art14b_art33(self, lc_world: World) -> None:
        """Art 14b with Art 33: a presentation on a closed day counts as made on the next banking day."""
        monday = lc_world.chain.timestamp()
        lc_id = open_credit(lc_world)
        warp(lc_world, monday + 5 * DAY)  # Saturday
        presentation_id = present(lc_world, lc_id)
        # presented Monday; Tue..Fri + Mon -> close of Monday two weeks after the start
        assert presentation(lc_world, lc_id, presentation_id)["deadline"] == (monday // DAY + 15) * DAY - 1

    def test_refusal_allowed_until_close_of_fifth_banking_day_art14b(self, lc_world: World) -> None:
        """Art 14b / 16d: a refusal at the last second of the 5th banking day is in time."""
        lc_id = open_credit(lc_world)
        presentation_id = present(lc_world, lc_id)
        deadline = presentation(lc_world, lc_id, presentation_id)["deadline"]
        warp(lc_world, deadline - 1)
        lc_world.tx(ISSUER, LC, "refuse", lc_id, presentation_id, DISCREPANCIES, HOLD_PENDING_WAIVER)
        assert presentation_state(lc_world, lc_id, presentation_id) == "REFUSED"


# ------------------------------------------------------------------------------------------------ Art 14c


class TestArt14cPresentationPeriod:
    def test_default_period_is_21_days_after_shipment_art14c(self, lc_world: World) -> None:
        """Art 14c: with no period stated, present at most 21 calendar days after shipment."""
        lc_id = open_credit(lc_world)
        assert credit(lc_world, lc_id)["terms"]["presentationPeriodDays"] == 21
        wednesday = lc_world.chain.timestamp() + 2 * DAY
        warp(lc_world, wednesday)
        present(lc_world, lc_id, 100, shipment_date=wednesday - 21 * DAY)  # last day is today
        shipped = wednesday - 22 * DAY  # last day was yesterday, a banking day
        error = _error(lc_world, BENEFICIARY, "present", lc_id, [lc_world.unique()], 100, shipped)
        assert error == "LetterOfCreditPresentationPeriodElapsed"

    def test_stated_period_replaces_default_art14c(self, lc_world: World) -> None:
        """Art 14c / MT700 field 48: a stated period (here 5 days) applies instead of 21."""
        lc_id = open_credit(lc_world, presentationPeriodDays=5)
        wednesday = lc_world.chain.timestamp() + 2 * DAY
        warp(lc_world, wednesday)
        error = _error(lc_world, BENEFICIARY, "present", lc_id, [lc_world.unique()], 100, wednesday - 6 * DAY)
        assert error == "LetterOfCreditPresentationPeriodElapsed"
        present(lc_world, lc_id, 100, shipment_date=wednesday - 5 * DAY)

    def test_period_never_extends_past_expiry_art14c(self, lc_world: World) -> None:
        """Art 14c: never later than the expiry date, even inside the presentation period."""
        monday = lc_world.chain.timestamp()
        lc_id = open_credit(lc_world, expiry=monday + 3 * DAY, latestShipment=monday)
        warp(lc_world, monday + 4 * DAY)
        error = _error(lc_world, BENEFICIARY, "present", lc_id, [lc_world.unique()], 100, monday)
        assert error == "LetterOfCreditPresentationAfterExpiry"

    def test_shipment_in_future_rejected_art14c(self, lc_world: World) -> None:
        """Art 14c: the period runs from the shipment date, which cannot lie in the future."""
        now = lc_world.chain.timestamp()
        lc_id = open_credit(lc_world)
        error = _error(lc_world, BENEFICIARY, "present", lc_id, [lc_world.unique()], 100, now + 2 * DAY)
        assert error == "LetterOfCreditShipmentDateInFuture"


# ------------------------------------------------------------------------------------------------ Art 15 / 7


class TestArt15Honour:
    def test_complying_presentation_honoured_and_reimbursed_art15(self, lc_world: World) -> None:
        """Art 15a / 7a: a complying presentation is honoured: the issuer pays the beneficiary in the same tx."""
        lc_id = open_credit(lc_world)
        presentation_id = present(lc_world, lc_id, 400_000)
        before = {a: balance(lc_world, a) for a in (ISSUER, BENEFICIARY, APPLICANT)}
        receipt = lc_world.tx(ISSUER, LC, "honour", lc_id, presentation_id)
        assert receipt.event("PresentationHonoured")["amount"] == 400_000
        receipt.event("ReimbursementSettled")
        assert balance(lc_world, BENEFICIARY) == before[BENEFICIARY] + 400_000
        assert balance(lc_world, APPLICANT) == before[APPLICANT] - 400_000
        assert balance(lc_world, ISSUER) == before[ISSUER]
        assert presentation_state(lc_world, lc_id, presentation_id) == "HONOURED"
        assert credit(lc_world, lc_id)["drawn"] == 400_000
        assert _error(lc_world, ISSUER, "honour", lc_id, presentation_id) == "LetterOfCreditInvalidPresentationState"

    def test_honour_reverts_when_issuer_cannot_pay_art7(self, lc_world: World) -> None:
        """Art 7a: the issuer's payment leg must succeed, or the honour does not happen at all."""
        lc_id = open_credit(lc_world, currency=EUR)
        presentation_id = present(lc_world, lc_id)
        everything = balance(lc_world, ISSUER, EUR)
        lc_world.tx(ISSUER, "Settlement", "transfer", lc_world.address(CONFIRMER), EUR, everything, lc_world.unique())
        with pytest.raises(TransactionFailed) as failure:
            lc_world.tx(ISSUER, LC, "honour", lc_id, presentation_id)
        assert failure.value.error.name == "SettlementInsufficientBalance"
        assert presentation_state(lc_world, lc_id, presentation_id) == "PRESENTED"
        assert credit(lc_world, lc_id)["drawn"] == 0

    def test_applicant_short_of_funds_opens_claim_without_blocking_honour_art7(self, lc_world: World) -> None:
        """Art 7: the issuer's undertaking is independent of the applicant: a shortfall becomes an open claim."""
        applicant_funds = balance(lc_world, APPLICANT)
        lc_id = open_credit(lc_world, amount=2 * applicant_funds, tolerancePlusBps=0)
        presentation_id = present(lc_world, lc_id, 2 * applicant_funds)
        receipt = lc_world.tx(ISSUER, LC, "honour", lc_id, presentation_id)
        opened = receipt.event("ReimbursementClaimOpened")
        claim_id = opened["claimId"]
        assert balance(lc_world, APPLICANT) == applicant_funds  # nothing debited
        claim = lc_world.call(LC, "getReimbursementClaim", claim_id)
        assert (CLAIM_STATES[claim["state"]], claim["amount"]) == ("OPEN", 2 * applicant_funds)
        assert presentation(lc_world, lc_id, presentation_id)["claimId"] == claim_id
        # the applicant's sponsor funds it; the applicant then settles the claim by its id
        lc_world.tx(ISSUER, "Settlement", "issue", lc_world.address(APPLICANT), USD, applicant_funds, lc_world.unique())
        assert _error(lc_world, BENEFICIARY, "settleReimbursementClaim", claim_id) == "LetterOfCreditNotClaimDebtor"
        issuer_before = balance(lc_world, ISSUER)
        lc_world.tx(APPLICANT, LC, "settleReimbursementClaim", claim_id)
        assert balance(lc_world, ISSUER) == issuer_before + 2 * applicant_funds
        assert CLAIM_STATES[lc_world.call(LC, "getReimbursementClaim", claim_id)["state"]] == "SETTLED"
        assert _error(lc_world, APPLICANT, "settleReimbursementClaim", claim_id) == "LetterOfCreditInvalidClaimState"

    def test_complying_presentation_honoured_after_expiry_art15(self, lc_world: World) -> None:
        """Art 15 / 14b: a presentation made before expiry is still honoured after the credit expired."""
        now = lc_world.chain.timestamp()
        lc_id = open_credit(lc_world, expiry=now + DAY, latestShipment=now)
        presentation_id = present(lc_world, lc_id, 100, shipment_date=now)
        warp(lc_world, now + 2 * DAY)
        lc_world.tx(BENEFICIARY, LC, "expire", lc_id)
        assert _error(lc_world, ISSUER, "close", lc_id) == "LetterOfCreditOpenPresentations"
        lc_world.tx(ISSUER, LC, "honour", lc_id, presentation_id)
        lc_world.tx(ISSUER, LC, "close", lc_id)
        assert lc_state(lc_world, lc_id) == "CLOSED"

    def test_only_issuer_or_nominated_bank_honours_art15(self, lc_world: World) -> None:
        """Art 15, 8a, 12a: the issuing bank honours, or a nominated bank: the available-with bank, or the confirming
        bank once it confirmed; nobody else can make the credit pay."""
        lc_id = open_credit(lc_world, "ADVISED", availableWithBank=lc_world.address(ISSUER))
        presentation_id = present(lc_world, lc_id)
        for actor in (APPLICANT, BENEFICIARY, CONFIRMER, "bank"):  # CONFIRMER has not confirmed yet
            assert _error(lc_world, actor, "honour", lc_id, presentation_id) == "LetterOfCreditUnauthorizedParty"


# ------------------------------------------------------------------------------------------------ Art 16


class TestArt16Refusal:
    def test_refusal_notice_lists_every_discrepancy_and_disposition_art16c(self, lc_world: World) -> None:
        """Art 16c: one notice stating refusal, each discrepancy and the disposition of the documents."""
        lc_id = open_credit(lc_world)
        presentation_id = present(lc_world, lc_id)
        receipt = lc_world.tx(ISSUER, LC, "refuse", lc_id, presentation_id, DISCREPANCIES, HOLD_PENDING_WAIVER)
        notice = receipt.event("PresentationRefused")
        assert notice["discrepancies"] == DISCREPANCIES
        assert notice["disposition"] == HOLD_PENDING_WAIVER
        stored = presentation(lc_world, lc_id, presentation_id)
        assert (stored["discrepancyCount"], stored["disposition"]) == (2, HOLD_PENDING_WAIVER)

    def test_second_refusal_rejected_art16d(self, lc_world: World) -> None:
        """Art 16d: the refusal is a single notice; a second one is refused."""
        lc_id = open_credit(lc_world)
        presentation_id = present(lc_world, lc_id)
        lc_world.tx(ISSUER, LC, "refuse", lc_id, presentation_id, DISCREPANCIES[:1], HOLD_PENDING_INSTRUCTIONS)
        error = _error(lc_world, ISSUER, "refuse", lc_id, presentation_id, DISCREPANCIES[1:], HOLD_PENDING_INSTRUCTIONS)
        assert error == "LetterOfCreditInvalidPresentationState"

    def test_refusal_without_discrepancies_or_disposition_rejected_art16c(self, lc_world: World) -> None:
        """Art 16c ii/iii: a notice without discrepancies, with too many, or without a disposition is invalid."""
        lc_id = open_credit(lc_world)
        presentation_id = present(lc_world, lc_id)
        assert _error(lc_world, ISSUER, "refuse", lc_id, presentation_id, [], HOLD_PENDING_WAIVER) == (
            "LetterOfCreditInvalidDiscrepancyCount"
        )
        too_many = [lc_world.unique("d") for _ in range(33)]
        assert _error(lc_world, ISSUER, "refuse", lc_id, presentation_id, too_many, HOLD_PENDING_WAIVER) == (
            "LetterOfCreditInvalidDiscrepancyCount"
        )
        assert _error(lc_world, ISSUER, "refuse", lc_id, presentation_id, DISCREPANCIES, 0) == (
            "LetterOfCreditInvalidDisposition"
        )
        assert _error(lc_world, ISSUER, "refuse", lc_id, presentation_id, [b"\0" * 32], 1) == "LetterOfCreditZeroHash"

    def test_waiver_then_honour_art16b(self, lc_world: World) -> None:
        """Art 16b: the issuer may approach the applicant for a waiver, then honour."""
        lc_id = open_credit(lc_world)
        presentation_id = present(lc_world, lc_id)
        lc_world.tx(ISSUER, LC, "refuse", lc_id, presentation_id, DISCREPANCIES, HOLD_PENDING_WAIVER)
        assert _error(lc_world, BENEFICIARY, "waiveDiscrepancies", lc_id, presentation_id) == (
            "LetterOfCreditUnauthorizedParty"
        )
        lc_world.tx(APPLICANT, LC, "waiveDiscrepancies", lc_id, presentation_id)
        before = balance(lc_world, BENEFICIARY)
        lc_world.tx(ISSUER, LC, "honour", lc_id, presentation_id)
        assert balance(lc_world, BENEFICIARY) == before + AMOUNT
        assert presentation_state(lc_world, lc_id, presentation_id) == "HONOURED"

    def test_no_waiver_when_documents_returned_art16c(self, lc_world: World) -> None:
        """Art 16c iii: documents being returned cannot be waived; returning releases the drawing."""
        lc_id = open_credit(lc_world)
        presentation_id = present(lc_world, lc_id)
        lc_world.tx(ISSUER, LC, "refuse", lc_id, presentation_id, DISCREPANCIES, RETURNING)
        assert _error(lc_world, APPLICANT, "waiveDiscrepancies", lc_id, presentation_id) == (
            "LetterOfCreditWaiverNotPossible"
        )
        assert _error(lc_world, ISSUER, "honour", lc_id, presentation_id) == "LetterOfCreditInvalidPresentationState"
        lc_world.tx(ISSUER, LC, "returnDocuments", lc_id, presentation_id)
        assert credit(lc_world, lc_id)["reserved"] == 0
        assert lc_world.call(LC, "availableAmount", lc_id) == AMOUNT * 11 // 10

    def test_late_refusal_precluded_art16f(self, lc_world: World) -> None:
        """Art 16f: after the close of the 5th banking day the bank cannot refuse."""
        lc_id = open_credit(lc_world)
        presentation_id = present(lc_world, lc_id)
        deadline = presentation(lc_world, lc_id, presentation_id)["deadline"]
        warp(lc_world, deadline + 1)
        error = _error(lc_world, ISSUER, "refuse", lc_id, presentation_id, DISCREPANCIES, HOLD_PENDING_WAIVER)
        assert error == "LetterOfCreditPrecluded"

    def test_precluded_bank_must_honour_on_beneficiary_demand_art16f(self, lc_world: World) -> None:
        """Art 16f: a precluded bank must honour; the beneficiary can enforce it, but not before the deadline."""
        lc_id = open_credit(lc_world)
        presentation_id = present(lc_world, lc_id)
        deadline = presentation(lc_world, lc_id, presentation_id)["deadline"]
        assert _error(lc_world, BENEFICIARY, "enforcePreclusion", lc_id, presentation_id) == (
            "LetterOfCreditDeadlineNotPassed"
        )
        warp(lc_world, deadline + 1)
        before = balance(lc_world, BENEFICIARY)
        receipt = lc_world.tx(BENEFICIARY, LC, "enforcePreclusion", lc_id, presentation_id)
        assert receipt.event("PresentationHonoured")["precluded"] is True
        assert balance(lc_world, BENEFICIARY) == before + AMOUNT
        assert presentation(lc_world, lc_id, presentation_id)["precluded"] is True

    def test_waiver_does_not_extend_deadline_art16b(self, lc_world: World) -> None:
        """Art 16b: seeking a waiver does not extend the 14b period; an unrefused presentation stays precludable."""
        lc_id = open_credit(lc_world)
        presentation_id = present(lc_world, lc_id)
        deadline = presentation(lc_world, lc_id, presentation_id)["deadline"]
        assert _error(lc_world, APPLICANT, "waiveDiscrepancies", lc_id, presentation_id) == (
            "LetterOfCreditInvalidPresentationState"
        )
        warp(lc_world, deadline + 1)
        assert presentation(lc_world, lc_id, presentation_id)["deadline"] == deadline
        assert _error(lc_world, ISSUER, "refuse", lc_id, presentation_id, DISCREPANCIES, 1) == "LetterOfCreditPrecluded"


# ------------------------------------------------------------------------------------------------ Art 30 / 31


class TestArt30Tolerance:
    def test_drawings_up_to_plus_tolerance_art30(self, lc_world: World) -> None:
        """Art 30a / MT700 39A: cumulative drawings may reach amount x (1 + plus tolerance), not beyond."""
        lc_id = open_credit(lc_world, tolerancePlusBps=1_000)
        assert lc_world.call(LC, "maximumDrawable", lc_id) == 1_100_000
        first = present(lc_world, lc_id, 600_000)
        second = present(lc_world, lc_id, 500_000)
        error = _error(lc_world, BENEFICIARY, "present", lc_id, [lc_world.unique()], 1, lc_world.chain.timestamp())
        assert error == "LetterOfCreditDrawingExceedsAvailable"
        lc_world.tx(ISSUER, LC, "honour", lc_id, first)
        lc_world.tx(ISSUER, LC, "honour", lc_id, second)
        assert credit(lc_world, lc_id)["drawn"] == 1_100_000
        assert lc_state(lc_world, lc_id) == "FULLY_DRAWN"

    def test_no_tolerance_caps_at_amount_art30(self, lc_world: World) -> None:
        """Art 30: without a stated tolerance nothing above the credit amount may be drawn."""
        lc_id = open_credit(lc_world, tolerancePlusBps=0, toleranceMinusBps=0)
        error = _error(
            lc_world, BENEFICIARY, "present", lc_id, [lc_world.unique()], AMOUNT + 1, lc_world.chain.timestamp()
        )
        assert error == "LetterOfCreditDrawingExceedsAvailable"

    def test_tolerance_above_hundred_percent_rejected_art30(self, lc_world: World) -> None:
        """Art 30: a tolerance is a percentage of the amount; above 100 % is invalid."""
        bad = terms(lc_world, tolerancePlusBps=10_001)
        assert _error(lc_world, APPLICANT, "applyForCredit", bad) == "LetterOfCreditInvalidTolerance"


class TestArt31PartialDrawings:
    def test_partial_drawings_allowed_unless_prohibited_art31a(self, lc_world: World) -> None:
        """Art 31a: partial drawings are allowed; several honoured drawings add up."""
        lc_id = open_credit(lc_world, partialDrawingsAllowed=True)
        for amount in (100_000, 200_000, 300_000):
            lc_world.tx(ISSUER, LC, "honour", lc_id, present(lc_world, lc_id, amount))
        assert credit(lc_world, lc_id)["drawn"] == 600_000
        assert lc_state(lc_world, lc_id) == "CONFIRMED"

    def test_partial_drawings_prohibited_art31a(self, lc_world: World) -> None:
        """Art 31a: when prohibited, a drawing below amount x (1 - minus tolerance) and a second drawing fail."""
        lc_id = open_credit(lc_world, partialDrawingsAllowed=False, toleranceMinusBps=500)
        now = lc_world.chain.timestamp()
        error = _error(lc_world, BENEFICIARY, "present", lc_id, [lc_world.unique()], 949_999, now)
        assert error == "LetterOfCreditPartialDrawingProhibited"
        presentation_id = present(lc_world, lc_id, 950_000)
        error = _error(lc_world, BENEFICIARY, "present", lc_id, [lc_world.unique()], 950_000, now)
        assert error == "LetterOfCreditPartialDrawingProhibited"
        lc_world.tx(ISSUER, LC, "honour", lc_id, presentation_id)
        assert lc_state(lc_world, lc_id) == "FULLY_DRAWN"


# ------------------------------------------------------------------------------------------------ other behaviour


class TestLifecycle:
    def test_application_validates_parties(self, lc_world: World) -> None:
        """Parties must be active members of the right kind; the confirmer cannot be the issuer."""
        cases = {
            "LetterOfCreditInvalidParty": terms(lc_world, beneficiary=lc_world.address(APPLICANT)),
            "LetterOfCreditNotActiveMember": terms(lc_world, issuingBank=lc_world.address("suspended_bank")),
        }
        for expected, bad in cases.items():
            assert _error(lc_world, APPLICANT, "applyForCredit", bad) == expected
        same = terms(lc_world, confirmingBank=lc_world.address(ISSUER))
        assert _error(lc_world, APPLICANT, "applyForCredit", same) == "LetterOfCreditInvalidParty"
        assert _error(lc_world, ISSUER, "applyForCredit", terms(lc_world)) == "LetterOfCreditNotActiveMember"
        assert _error(lc_world, APPLICANT, "applyForCredit", terms(lc_world, currency=b"usd")) == (
            "LetterOfCreditInvalidCurrency"
        )

    def test_happy_path_emits_state_changes(self, lc_world: World) -> None:
        """Every edge of the LC graph emits LetterOfCreditStateChanged right after the change."""
        lc_id = open_credit(lc_world, "CONFIRMED")
        changes = [
            (e.args["from"], e.args["to"])
            for e in lc_world.logs()
            if e.name == "LetterOfCreditStateChanged" and e.args["lcId"] == lc_id
        ]
        assert changes == [(0, 1), (1, 2), (2, 3), (3, 4)]

    def test_document_reuse_across_credits_flagged(self, lc_world: World) -> None:
        """Presented documents are recorded in the DocumentRegistry; re-use under another credit is counted."""
        bill_of_lading = lc_world.unique("bl")
        first = open_credit(lc_world)
        second = open_credit(lc_world)
        present(lc_world, first, 100, documents=[bill_of_lading])
        receipt = lc_world.tx(BENEFICIARY, LC, "present", second, [bill_of_lading], 100, lc_world.chain.timestamp())
        assert receipt.event("DocumentsPresented")["reusedDocumentCount"] == 1

    def test_withdraw_and_decline_are_terminal(self, lc_world: World) -> None:
        """An application withdrawn by the applicant or declined by the issuer never comes back."""
        withdrawn = open_credit(lc_world, "APPLIED")
        declined = open_credit(lc_world, "APPLIED")
        lc_world.tx(APPLICANT, LC, "withdrawApplication", withdrawn)
        lc_world.tx(ISSUER, LC, "declineApplication", declined)
        for lc_id in (withdrawn, declined):
            assert _error(lc_world, ISSUER, "issue", lc_id) == "LetterOfCreditInvalidState"
        assert (lc_state(lc_world, withdrawn), lc_state(lc_world, declined)) == ("WITHDRAWN", "DECLINED")

    def test_amendment_cannot_cut_below_utilisation(self, lc_world: World) -> None:
        """Art 10 with Art 30: an amendment may not bring the maximum below what is drawn or reserved."""
        lc_id = open_credit(lc_world)
        present(lc_world, lc_id, 900_000)
        error = _error(
            lc_world, ISSUER, "issueAmendment", lc_id, lc_world.unique(), amendment(AMEND_AMOUNT, amount=800_000)
        )
        assert error == "LetterOfCreditAmendmentBelowUtilisation"


class TestTermsOnChain:
    def test_terms_hash_of_the_model_is_recorded_and_verifiable(self, lc_world: World) -> None:
        """The canonical hash of the off-chain terms (tradeledger.lcs.terms) is what the chain keeps."""
        today = datetime.fromtimestamp(lc_world.chain.timestamp(), UTC).date()
        dates = {
            "date_of_issue": today,
            "latest_shipment_date": today + timedelta(days=20),
            "expiry_date": today + timedelta(days=30),
        }
        full = LetterOfCreditTerms.model_validate(sample(**dates))
        parameters = chain_parameters(full)
        lc_id = lc_world.tx(APPLICANT, LC, "applyForCredit", terms(lc_world, **parameters)).event(
            "LetterOfCreditApplied"
        )["lcId"]
        onchain = credit(lc_world, lc_id)["terms"]
        assert matches_onchain_hash(full, onchain["termsHash"])
        assert (onchain["amount"], onchain["currency"], onchain["partialDrawingsAllowed"]) == (
            12_500_050,
            b"USD",
            False,
        )
