"""Undertakings against URDG 758 (demand guarantees, counter-guarantees) and ISP98 (standby credits), one named
test per rule; each test names its article.

Time moves by mining blocks at chosen timestamps; every test starts from the world's base state on a Monday
10:00 UTC so that business-day arithmetic is deterministic. Business days come from the BankingCalendar the LC uses
too (the `calendar()` the Undertakings contract was deployed with), so a holiday a guarantor registers
there moves the undertakings' deadlines too.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.contracts.helpers import EUR, USD, World
from tests.contracts.lc_support import balance, start_on_monday, warp
from tests.contracts.undertaking_support import (
    AMEND_AMOUNT,
    AMEND_EXPIRY,
    AMENDMENT_STATES,
    AMOUNT,
    APPLICANT,
    BENEFICIARY,
    CLAIM_STATES,
    COUNTER_GUARANTOR,
    DAY,
    GUARANTOR,
    ISP98,
    UNDERTAKING_PAYMENT,
    UNDERTAKING_REIMBURSEMENT,
    UT,
    counter_guarantee,
    demand_state,
    get_demand,
    make_demand,
    open_undertaking,
    undertaking,
    ut_amendment,
    ut_state,
    ut_terms,
)

DISCREPANCIES = [b"NO_STATEMENT_OF_BREACH".ljust(32, b"\0"), b"AMOUNT_EXCEEDS".ljust(32, b"\0")]
ZERO32 = b"\0" * 32


@pytest.fixture
def gw(world: World) -> Iterator[World]:
    """The base world on a Monday 10:00 UTC."""
    start_on_monday(world)
    yield world


def _error(world: World, actor: str, function: str, *args: object) -> str | None:
    error = world.error(actor, UT, function, *args)
    return None if error is None else error.name


def _end_of_day(day: int) -> int:
    return (day + 1) * DAY - 1


def _postings(world: World, from_block: int) -> list[dict[str, object]]:
    return [e.args for e in world.logs(from_block) if e.name == "Posted"]


def _block(world: World) -> int:
    return int(world.chain.rpc("eth_blockNumber"), 16) + 1


# ------------------------------------------------------------------------------------------------ issue, advise


class TestIssueAndAdvise:
    def test_urdg_4_issue_on_application_or_directly_then_advise(self, gw: World) -> None:
        """URDG 4 / 10: issued by the guarantor at the applicant's request or directly; advised by the advising
        party only; the guarantor is bound from issue (no decline afterwards)."""
        applied = open_undertaking(gw, "APPLIED")
        assert ut_state(gw, applied) == "APPLIED"
        assert _error(gw, BENEFICIARY, "issue", applied) == "UndertakingsUnauthorizedParty"
        gw.tx(GUARANTOR, UT, "issue", applied)
        assert _error(gw, GUARANTOR, "declineApplication", applied) == "UndertakingsInvalidState"
        assert _error(gw, GUARANTOR, "advise", applied) == "UndertakingsUnauthorizedParty"
        gw.tx("bank", UT, "advise", applied)
        assert ut_state(gw, applied) == "ADVISED"

        receipt = gw.tx(GUARANTOR, UT, "issueUndertaking", ut_terms(gw), gw.address(APPLICANT))
        direct = receipt.event("UndertakingCreated")
        assert direct["direct"] is True and direct["applicant"] == gw.address(APPLICANT)
        assert ut_state(gw, direct["undertakingId"]) == "ISSUED"
        # only the named guarantor issues directly, and only for an active trader as applicant
        assert _error(gw, "bank", "issueUndertaking", ut_terms(gw), gw.address(APPLICANT)) == (
            "UndertakingsUnauthorizedParty"
        )
        assert _error(gw, GUARANTOR, "issueUndertaking", ut_terms(gw), gw.address("non_member")) == (
            "UndertakingsNotActiveMember"
        )

    def test_beneficiary_is_neither_applicant_nor_guarantor(self, gw: World) -> None:
        terms = ut_terms(gw, beneficiary=gw.address(APPLICANT))
        assert _error(gw, APPLICANT, "applyForUndertaking", terms) == "UndertakingsInvalidParty"
        assert _error(gw, APPLICANT, "applyForUndertaking", ut_terms(gw, currency=b"usd")) == (
            "UndertakingsInvalidCurrency"
        )
        assert _error(gw, APPLICANT, "applyForUndertaking", ut_terms(gw, amount=0)) == "UndertakingsInvalidAmount"


# ------------------------------------------------------------------------------------------------ URDG 11


class TestUrdg11Amendments:
    def test_urdg_11_amendment_binds_beneficiary_only_on_its_consent(self, gw: World) -> None:
        """URDG 11: the terms change only when the beneficiary accepts; until then demands run on the old terms."""
        gid = open_undertaking(gw)
        gw.tx(GUARANTOR, UT, "issueAmendment", gid, gw.unique("am"), ut_amendment(AMEND_AMOUNT, amount=2 * AMOUNT))
        assert undertaking(gw, gid)["terms"]["amount"] == AMOUNT
        statement = gw.unique("statement")
        assert _error(gw, BENEFICIARY, "demand", gid, [], statement, AMOUNT + 1, 0) == (
            "UndertakingsDemandExceedsAvailable"
        )
        for actor in (GUARANTOR, APPLICANT, "bank"):
            assert _error(gw, actor, "acceptAmendment", gid, 1, AMEND_AMOUNT) == "UndertakingsUnauthorizedParty"
        gw.tx(BENEFICIARY, UT, "acceptAmendment", gid, 1, AMEND_AMOUNT)
        assert undertaking(gw, gid)["terms"]["amount"] == 2 * AMOUNT
        assert AMENDMENT_STATES[gw.call(UT, "getAmendment", gid, 1)["state"]] == "ACCEPTED"
        make_demand(gw, gid, AMOUNT + 1)

    def test_urdg_11e_partial_acceptance_is_rejection(self, gw: World) -> None:
        """URDG 11(e): accepting part of an amendment rejects all of it; the terms stay."""
        gid = open_undertaking(gw)
        expiry = undertaking(gw, gid)["terms"]["expiry"]
        both = ut_amendment(AMEND_AMOUNT | AMEND_EXPIRY, amount=2 * AMOUNT, expiry=expiry + 30 * DAY)
        gw.tx(GUARANTOR, UT, "issueAmendment", gid, gw.unique("am"), both)
        event = gw.tx(BENEFICIARY, UT, "acceptAmendment", gid, 1, AMEND_EXPIRY).event("AmendmentRejected")
        assert event["partialAcceptance"] is True
        assert undertaking(gw, gid)["terms"]["expiry"] == expiry
        assert undertaking(gw, gid)["terms"]["amount"] == AMOUNT
        # rejection is final, and silence never accepts: a second decision is refused
        assert _error(gw, BENEFICIARY, "acceptAmendment", gid, 1, both["fields"]) == (
            "UndertakingsInvalidAmendmentState"
        )

    def test_urdg_11_amendment_cannot_go_below_what_was_paid(self, gw: World) -> None:
        gid = open_undertaking(gw)
        gw.tx(GUARANTOR, UT, "pay", gid, make_demand(gw, gid, AMOUNT // 2))
        low = ut_amendment(AMEND_AMOUNT, amount=AMOUNT // 2)
        assert _error(gw, GUARANTOR, "issueAmendment", gid, gw.unique("am"), low) == (
            "UndertakingsAmendmentBelowUtilisation"
        )


# ------------------------------------------------------------------------------------------------ URDG 15


class TestUrdg15Demand:
    def test_urdg_15a_demand_supported_by_statement_of_breach(self, gw: World) -> None:
        """URDG 15(a): a demand is supported by the beneficiary's statement of the applicant's breach, unless the
        guarantee expressly excludes it (15(c)); ISP98 asks for no such statement unless the standby does."""
        gid = open_undertaking(gw)
        documents = [gw.unique("doc")]
        assert _error(gw, BENEFICIARY, "demand", gid, documents, ZERO32, 1_000, 0) == ("UndertakingsDemandUnsupported")
        make_demand(gw, gid, 1_000, statement=gw.unique("statement"))
        excluded = open_undertaking(gw, statementExcluded=True)
        make_demand(gw, excluded, 1_000, statement=ZERO32)
        standby = open_undertaking(gw, rules=ISP98)
        make_demand(gw, standby, 1_000, statement=ZERO32)

    def test_urdg_15_demand_records_documents_as_hashes(self, gw: World) -> None:
        gid = open_undertaking(gw)
        documents = [gw.unique("doc"), gw.unique("doc")]
        statement = gw.unique("statement")
        receipt = gw.tx(BENEFICIARY, UT, "demand", gid, documents, statement, 1_000, 0)
        event = receipt.event("DemandPresented")
        assert event["documentHashes"] == documents and event["statementHash"] == statement
        stored = get_demand(gw, gid, event["demandId"])
        assert stored["documentCount"] == 2 and stored["statementHash"] == statement
        assert _error(gw, BENEFICIARY, "demand", gid, [ZERO32], statement, 1_000, 0) == "UndertakingsInvalidHashes"
        assert _error(gw, APPLICANT, "demand", gid, documents, statement, 1_000, 0) == "UndertakingsUnauthorizedParty"


# ------------------------------------------------------------------------------------------------ URDG 20 / 24


class TestUrdg20And24Examination:
    def test_urdg_20_examination_five_business_days(self, gw: World) -> None:
        """URDG 20(a): five business days following the day of presentation, on the guarantor's calendar: a
        Monday demand may be decided until the end of the next Monday, a day later if a holiday intervenes."""
        monday = gw.chain.timestamp() // DAY
        gid = open_undertaking(gw)
        first = get_demand(gw, gid, make_demand(gw, gid, 1_000))
        assert first["presentationDay"] == monday
        assert first["deadline"] == _end_of_day(monday + 7)
        gw.tx(GUARANTOR, "BankingCalendar", "setHolidays", [(monday + 2) * DAY], True)  # Wednesday
        second = get_demand(gw, gid, make_demand(gw, gid, 1_000))
        assert second["deadline"] == _end_of_day(monday + 8)

    def test_urdg_24d_one_rejection_notice_listing_every_discrepancy(self, gw: World) -> None:
        """URDG 24(d): one notice, stating each discrepancy; a second notice is impossible; the amount demanded
        is available again."""
        gid = open_undertaking(gw)
        did = make_demand(gw, gid, 2_000)
        assert _error(gw, GUARANTOR, "reject", gid, did, []) == "UndertakingsInvalidHashes"
        event = gw.tx(GUARANTOR, UT, "reject", gid, did, DISCREPANCIES).event("DemandRejected")
        assert event["discrepancies"] == DISCREPANCIES
        assert demand_state(gw, gid, did) == "REJECTED"
        assert get_demand(gw, gid, did)["discrepancyCount"] == 2
        assert _error(gw, GUARANTOR, "reject", gid, did, DISCREPANCIES[:1]) == "UndertakingsInvalidDemandState"
        assert _error(gw, GUARANTOR, "pay", gid, did) == "UndertakingsInvalidDemandState"
        assert gw.call(UT, "availableAmount", gid) == AMOUNT

    def test_urdg_24f_preclusion_after_the_fifth_business_day(self, gw: World) -> None:
        """URDG 24(f): a guarantor that fails to reject by the deadline is precluded; the beneficiary then
        enforces payment."""
        gid = open_undertaking(gw)
        did = make_demand(gw, gid, 3_000)
        deadline = get_demand(gw, gid, did)["deadline"]
        assert _error(gw, BENEFICIARY, "enforcePayment", gid, did) == "UndertakingsPaymentNotYetDue"
        warp(gw, deadline + 1)
        assert _error(gw, GUARANTOR, "reject", gid, did, DISCREPANCIES) == "UndertakingsPrecluded"
        before = balance(gw, BENEFICIARY)
        event = gw.tx(BENEFICIARY, UT, "enforcePayment", gid, did).event("DemandPaid")
        assert event["precluded"] is True
        assert balance(gw, BENEFICIARY) == before + 3_000
        assert get_demand(gw, gid, did)["precluded"] is True


# ------------------------------------------------------------------------------------------------ ISP98 5.01


class TestIsp98Examination:
    def test_isp98_5_01_three_business_days_not_unreasonable(self, gw: World) -> None:
        """ISP98 5.01(a): a standby stating no period is examined within three business days (never
        unreasonable); it may state up to seven; more than seven (unreasonable) or fewer than three is refused."""
        monday = gw.chain.timestamp() // DAY
        standby = open_undertaking(gw, rules=ISP98)
        assert get_demand(gw, standby, make_demand(gw, standby, 1_000))["deadline"] == _end_of_day(monday + 3)
        seven = open_undertaking(gw, rules=ISP98, examinationDays=7)
        assert get_demand(gw, seven, make_demand(gw, seven, 1_000))["deadline"] == _end_of_day(monday + 9)
        for days in (1, 2, 8):
            terms = ut_terms(gw, rules=ISP98, examinationDays=days)
            assert _error(gw, APPLICANT, "applyForUndertaking", terms) == "UndertakingsInvalidExaminationPeriod"
        # URDG 758 fixes the period at five business days: a guarantee may not state its own
        assert _error(gw, APPLICANT, "applyForUndertaking", ut_terms(gw, examinationDays=3)) == (
            "UndertakingsInvalidExaminationPeriod"
        )

    def test_isp98_5_03_failure_to_give_timely_notice_precludes(self, gw: World) -> None:
        standby = open_undertaking(gw, rules=ISP98)
        did = make_demand(gw, standby, 1_000)
        warp(gw, get_demand(gw, standby, did)["deadline"] + 1)
        assert _error(gw, GUARANTOR, "reject", standby, did, DISCREPANCIES) == "UndertakingsPrecluded"
        gw.tx(BENEFICIARY, UT, "enforcePayment", standby, did)
        assert demand_state(gw, standby, did) == "PAID"


# ------------------------------------------------------------------------------------------------ URDG 23


class TestUrdg23ExtendOrPay:
    def test_urdg_23_extend_or_pay(self, gw: World) -> None:
        """URDG 23(a)-(c): on an "extend or pay" demand the guarantor may suspend payment for up to 30 calendar
        days; granting the extension withdraws the demand and extends the expiry."""
        gid = open_undertaking(gw)
        expiry = undertaking(gw, gid)["terms"]["expiry"]
        assert _error(gw, BENEFICIARY, "demand", gid, [], gw.unique("s"), 1_000, expiry) == (
            "UndertakingsInvalidExtension"
        )
        did = make_demand(gw, gid, 4_000, extend_to=expiry + 180 * DAY)
        presented = get_demand(gw, gid, did)["presentedAt"]
        latest = _end_of_day(presented // DAY + 30)
        assert _error(gw, GUARANTOR, "suspendForExtension", gid, did, latest + 1) == "UndertakingsInvalidSuspension"
        gw.tx(GUARANTOR, UT, "suspendForExtension", gid, did, latest)
        assert demand_state(gw, gid, did) == "SUSPENDED"
        assert _error(gw, BENEFICIARY, "enforcePayment", gid, did) == "UndertakingsPaymentNotYetDue"
        assert _error(gw, GUARANTOR, "reject", gid, did, DISCREPANCIES) == "UndertakingsInvalidDemandState"
        event = gw.tx(GUARANTOR, UT, "extendForDemand", gid, did).event("DemandWithdrawnByExtension")
        assert event["expiry"] == expiry + 180 * DAY
        assert undertaking(gw, gid)["terms"]["expiry"] == expiry + 180 * DAY
        assert demand_state(gw, gid, did) == "WITHDRAWN"
        assert gw.call(UT, "availableAmount", gid) == AMOUNT

    def test_urdg_23d_pay_without_further_demand_when_not_extended(self, gw: World) -> None:
        """URDG 23(d): when the suspension ends without the extension, the complying demand is paid without a
        further demand; a plain demand cannot be suspended at all."""
        gid = open_undertaking(gw)
        plain = make_demand(gw, gid, 1_000)
        until = gw.chain.timestamp() + 10 * DAY
        assert _error(gw, GUARANTOR, "suspendForExtension", gid, plain, until) == "UndertakingsNotExtendOrPay"
        expiry = undertaking(gw, gid)["terms"]["expiry"]
        did = make_demand(gw, gid, 4_000, extend_to=expiry + 30 * DAY)
        gw.tx(GUARANTOR, UT, "suspendForExtension", gid, did, until)
        warp(gw, until + 1)
        before = balance(gw, BENEFICIARY)
        event = gw.tx(BENEFICIARY, UT, "enforcePayment", gid, did).event("DemandPaid")
        assert event["precluded"] is False
        assert balance(gw, BENEFICIARY) == before + 4_000
        assert undertaking(gw, gid)["terms"]["expiry"] == expiry


# ------------------------------------------------------------------------------------------------ payment


class TestPaymentThroughSettlement:
    def test_payment_and_reimbursement_are_settlement_legs(self, gw: World) -> None:
        """The guarantor pays the beneficiary; the applicant reimburses the guarantor in the same transaction;
        both legs carry the demand's reference."""
        gid = open_undertaking(gw)
        did = make_demand(gw, gid, 7_000)
        start = _block(gw)
        gw.tx(GUARANTOR, UT, "pay", gid, did)
        ref = gw.call(UT, "paymentReference", gid, did)
        legs = [(p["kind"], p["debitAccount"], p["creditAccount"], p["amount"], p["ref"]) for p in _postings(gw, start)]
        assert legs == [
            (UNDERTAKING_PAYMENT, gw.address(GUARANTOR), gw.address(BENEFICIARY), 7_000, ref),
            (UNDERTAKING_REIMBURSEMENT, gw.address(APPLICANT), gw.address(GUARANTOR), 7_000, ref),
        ]
        assert gw.call(UT, "outstandingAmount", gid) == AMOUNT - 7_000

    def test_reimbursement_claim_when_applicant_is_short(self, gw: World) -> None:
        """The applicant's reimbursement never blocks payment: a claim opens and is settled later."""
        short = balance(gw, APPLICANT, EUR) + 1
        gid = open_undertaking(gw, currency=EUR, amount=short)
        receipt = gw.tx(GUARANTOR, UT, "pay", gid, make_demand(gw, gid, short))
        claim_id = receipt.event("ReimbursementClaimOpened")["claimId"]
        assert CLAIM_STATES[gw.call(UT, "getReimbursementClaim", claim_id)["state"]] == "OPEN"
        assert ut_state(gw, gid) == "EXHAUSTED"
        gw.tx(GUARANTOR, "Settlement", "issue", gw.address(APPLICANT), EUR, short, gw.unique("fund"))
        assert _error(gw, BENEFICIARY, "settleReimbursementClaim", claim_id) == "UndertakingsNotClaimDebtor"
        gw.tx(APPLICANT, UT, "settleReimbursementClaim", claim_id)
        assert CLAIM_STATES[gw.call(UT, "getReimbursementClaim", claim_id)["state"]] == "SETTLED"

    def test_payment_reverts_when_guarantor_cannot_pay(self, gw: World) -> None:
        gid = open_undertaking(gw, currency=b"JPY")
        did = make_demand(gw, gid, 1_000)
        assert _error(gw, GUARANTOR, "pay", gid, did) == "SettlementInsufficientBalance"
        assert demand_state(gw, gid, did) == "PRESENTED"


# ------------------------------------------------------------------------------------------------ URDG 13


class TestUrdg13Reduction:
    def test_urdg_13_reduction_by_stated_event_and_by_payment(self, gw: World) -> None:
        """URDG 13: the amount is reduced by partial payments and by reduction events the guarantee provides
        for (evidenced by a document); reduced to nothing, the guarantee is exhausted (URDG 25(a)(i))."""
        gid = open_undertaking(gw)
        gw.tx(GUARANTOR, UT, "pay", gid, make_demand(gw, gid, 100_000))
        event = gw.tx(GUARANTOR, UT, "reduce", gid, 150_000, gw.unique("acceptance-cert")).event("UndertakingReduced")
        assert event["outstanding"] == AMOUNT - 250_000
        open_demand = make_demand(gw, gid, 50_000)
        assert _error(gw, GUARANTOR, "reduce", gid, 200_001, gw.unique("doc")) == (
            "UndertakingsReductionExceedsAvailable"
        )
        assert _error(gw, BENEFICIARY, "reduce", gid, 1, gw.unique("doc")) == "UndertakingsUnauthorizedParty"
        gw.tx(GUARANTOR, UT, "reduce", gid, 200_000, gw.unique("doc"))
        assert ut_state(gw, gid) == "ISSUED" or ut_state(gw, gid) == "ADVISED"
        gw.tx(GUARANTOR, UT, "pay", gid, open_demand)
        assert ut_state(gw, gid) == "EXHAUSTED"
        assert _error(gw, BENEFICIARY, "demand", gid, [], gw.unique("s"), 1, 0) == "UndertakingsNotOperative"

    def test_urdg_13_no_reduction_unless_provided_for(self, gw: World) -> None:
        gid = open_undertaking(gw, reducible=False)
        assert _error(gw, GUARANTOR, "reduce", gid, 1_000, gw.unique("doc")) == "UndertakingsNotProvided"


# ------------------------------------------------------------------------------------------------ URDG 25 expiry


class TestUrdg25Expiry:
    def test_urdg_25_expiry_date(self, gw: World) -> None:
        """URDG 25(a)(ii)/(b): no demand after the expiry date; a demand presented before it stays payable."""
        now = gw.chain.timestamp()
        gid = open_undertaking(gw, expiry=now + 3 * DAY)
        did = make_demand(gw, gid, 1_000)
        assert _error(gw, APPLICANT, "expire", gid) == "UndertakingsNotExpired"
        warp(gw, _end_of_day((now + 3 * DAY) // DAY) + 1)
        assert _error(gw, BENEFICIARY, "demand", gid, [], gw.unique("s"), 1_000, 0) == ("UndertakingsDemandAfterExpiry")
        assert _error(gw, "another_bank", "expire", gid) == "UndertakingsNotAParty"
        gw.tx(APPLICANT, UT, "expire", gid)
        assert ut_state(gw, gid) == "EXPIRED"
        gw.tx(GUARANTOR, UT, "pay", gid, did)
        assert ut_state(gw, gid) == "EXPIRED"

    def test_urdg_25_expiry_event(self, gw: World) -> None:
        """URDG 25(a)(ii): the guarantee expires on the document evidencing its stated expiry event."""
        plain = open_undertaking(gw)
        assert _error(gw, GUARANTOR, "expireOnEvent", plain, gw.unique("doc")) == "UndertakingsNotProvided"
        gid = open_undertaking(gw, expiryEvent=gw.unique("event"))
        document = gw.unique("taking-over-certificate")
        gw.tx(GUARANTOR, UT, "expireOnEvent", gid, document)
        assert ut_state(gw, gid) == "EXPIRED" and undertaking(gw, gid)["expiryEventDocument"] == document
        assert _error(gw, BENEFICIARY, "demand", gid, [], gw.unique("s"), 1, 0) == "UndertakingsNotOperative"

    def test_urdg_25c_no_expiry_stated_three_years_counter_guarantee_30_days(self, gw: World) -> None:
        """URDG 25(c): stating neither expiry date nor event, a guarantee ends three years after issue and its
        counter-guarantee 30 calendar days after the guarantee."""
        gid = open_undertaking(gw, expiry=0)
        issued = undertaking(gw, gid)["issuedAt"]
        expiry = undertaking(gw, gid)["terms"]["expiry"]
        assert expiry == issued + 3 * 365 * DAY + DAY
        cg = counter_guarantee(gw, gid, expiry=0)
        assert undertaking(gw, cg)["terms"]["expiry"] == expiry + 30 * DAY

    def test_urdg_25a_iii_release_by_beneficiary(self, gw: World) -> None:
        gid = open_undertaking(gw)
        did = make_demand(gw, gid, 1_000)
        assert _error(gw, BENEFICIARY, "release", gid) == "UndertakingsOpenDemands"
        gw.tx(GUARANTOR, UT, "reject", gid, did, DISCREPANCIES)
        assert _error(gw, APPLICANT, "release", gid) == "UndertakingsUnauthorizedParty"
        gw.tx(BENEFICIARY, UT, "release", gid)
        assert ut_state(gw, gid) == "RELEASED"

    def test_urdg_25_release_in_part_by_beneficiary_reduces_the_amount(self, gw: World) -> None:
        """URDG 25: the amount is reduced by what a signed document of the beneficiary releases, with no reduction
        clause (URDG 13) needed; never by more than is available (not under demand); released to nothing, nothing
        is payable and the guarantee is exhausted."""
        gid = open_undertaking(gw, reducible=False)
        did = make_demand(gw, gid, 100_000)
        release = gw.unique("signed-partial-release")
        assert _error(gw, GUARANTOR, "releaseInPart", gid, 1_000, release) == "UndertakingsUnauthorizedParty"
        assert _error(gw, BENEFICIARY, "releaseInPart", gid, 1_000, ZERO32) == "UndertakingsEmptyTermsHash"
        assert _error(gw, BENEFICIARY, "releaseInPart", gid, AMOUNT - 100_000 + 1, release) == (
            "UndertakingsReductionExceedsAvailable"
        )
        event = gw.tx(BENEFICIARY, UT, "releaseInPart", gid, 300_000, release).event("UndertakingReleasedInPart")
        assert (event["amount"], event["documentHash"], event["outstanding"]) == (300_000, release, AMOUNT - 300_000)
        assert undertaking(gw, gid)["reduced"] == 300_000 and ut_state(gw, gid) == "ADVISED"
        gw.tx(GUARANTOR, UT, "pay", gid, did)
        gw.tx(BENEFICIARY, UT, "releaseInPart", gid, AMOUNT - 400_000, gw.unique("release-rest"))
        assert ut_state(gw, gid) == "EXHAUSTED"

    def test_isp98_9_01_standby_states_an_expiry_date(self, gw: World) -> None:
        """ISP98 9.01: a standby must contain an expiry date (URDG 25(c)'s default does not apply)."""
        terms = ut_terms(gw, rules=ISP98, expiry=0)
        assert _error(gw, APPLICANT, "applyForUndertaking", terms) == "UndertakingsInvalidExpiry"

    def test_isp98_3_13_expiry_on_a_closed_day_rolls_to_next_business_day(self, gw: World) -> None:
        """ISP98 3.13(a): a standby expiring on a day the issuer is closed takes demands on its next business day;
        URDG 758 has no such rule: a guarantee expiring on a Saturday takes none on the Monday."""
        monday = gw.chain.timestamp() // DAY
        saturday = (monday + 5) * DAY + 12 * 3600
        standby = open_undertaking(gw, rules=ISP98, expiry=saturday)
        guarantee = open_undertaking(gw, expiry=saturday)
        assert gw.call(UT, "lastDemandDay", standby) == monday + 7
        assert gw.call(UT, "lastDemandDay", guarantee) == monday + 5
        warp(gw, (monday + 7) * DAY + 10 * 3600)
        make_demand(gw, standby, 1_000)
        assert _error(gw, BENEFICIARY, "demand", guarantee, [], gw.unique("s"), 1_000, 0) == (
            "UndertakingsDemandAfterExpiry"
        )


# ------------------------------------------------------------------------------------------------ ISP98 2.06(a)


def _evergreen(world: World, expiry_days: int = 10, **overrides: object) -> int:
    """A standby expiring in `expiry_days` that extends by 30 days unless noticed five days before its expiry."""
    terms = {"rules": ISP98, "expiry": world.chain.timestamp() + expiry_days * DAY, "extensionDays": 30,
             "nonExtensionNoticeDays": 5, **overrides}  # fmt: skip
    return open_undertaking(world, **terms)


class TestIsp98AutomaticAmendment:
    def test_isp98_2_06a_automatic_extension_takes_effect_without_notice_or_consent(self, gw: World) -> None:
        """ISP98 2.06(a): an automatic extension stated in the standby takes effect without notice or consent once
        the last day for the issuer's notice of non-extension has passed: any party records it (not before), the
        standby cannot be expired on the old date, and it stops at the final expiry."""
        now = gw.chain.timestamp()
        sid = _evergreen(gw, finalExpiry=now + 55 * DAY)
        expiry = undertaking(gw, sid)["terms"]["expiry"]
        last_notice_day = expiry // DAY - 5
        assert _error(gw, BENEFICIARY, "extendAutomatically", sid) == "UndertakingsExtensionNotDue"
        warp(gw, _end_of_day(last_notice_day))  # the issuer could still give notice today
        assert _error(gw, GUARANTOR, "extendAutomatically", sid) == "UndertakingsExtensionNotDue"
        warp(gw, _end_of_day(last_notice_day) + 1)
        assert _error(gw, GUARANTOR, "noticeNonExtension", sid) == "UndertakingsNonExtensionNoticeLate"
        assert _error(gw, "another_bank", "extendAutomatically", sid) == "UndertakingsNotAParty"
        event = gw.tx(BENEFICIARY, UT, "extendAutomatically", sid).event("UndertakingExtendedAutomatically")
        assert (event["previousExpiry"], event["expiry"]) == (expiry, expiry + 30 * DAY)
        assert undertaking(gw, sid)["terms"]["expiry"] == expiry + 30 * DAY and ut_state(gw, sid) == "ADVISED"
        # past the old expiry nothing expires, and the next extension stops at the final expiry
        warp(gw, (expiry // DAY + 30 - 5 + 1) * DAY)
        assert _error(gw, APPLICANT, "expire", sid) == "UndertakingsExtensionDue"
        gw.tx(APPLICANT, UT, "extendAutomatically", sid)
        assert undertaking(gw, sid)["terms"]["expiry"] == now + 55 * DAY
        assert _error(gw, APPLICANT, "extendAutomatically", sid) == "UndertakingsExtensionNotDue"
        warp(gw, _end_of_day(gw.call(UT, "lastDemandDay", sid)) + 1)  # ISP98 3.13(a) may roll a closed day
        gw.tx(APPLICANT, UT, "expire", sid)
        assert ut_state(gw, sid) == "EXPIRED"

    def test_isp98_2_06a_demand_after_the_old_expiry_runs_on_the_extended_one(self, gw: World) -> None:
        """ISP98 2.06(a): the extension took effect whether or not anyone recorded it: a demand after the old
        expiry records the extensions due (two periods here) and is timely."""
        sid = _evergreen(gw)
        expiry = undertaking(gw, sid)["terms"]["expiry"]
        warp(gw, (expiry // DAY + 30) * DAY + 3600)  # past the first extension's own last day for notice
        receipt = gw.tx(BENEFICIARY, UT, "demand", sid, [gw.unique("d")], ZERO32, 1_000, 0)
        extended = [e.args["expiry"] for e in receipt.events if e.name == "UndertakingExtendedAutomatically"]
        assert extended == [expiry + 30 * DAY, expiry + 60 * DAY]
        assert demand_state(gw, sid, receipt.event("DemandPresented")["demandId"]) == "PRESENTED"

    def test_isp98_2_06a_notice_of_non_extension_by_the_stated_day(self, gw: World) -> None:
        """ISP98 2.06(a): the issuer's timely notice of non-extension, as the standby states it, stops the
        extension: the standby expires on its current date. Only the issuer gives it, once, and only a standby
        that states an extension can be noticed."""
        sid = _evergreen(gw)
        expiry = undertaking(gw, sid)["terms"]["expiry"]
        plain = open_undertaking(gw, rules=ISP98)
        assert _error(gw, GUARANTOR, "noticeNonExtension", plain) == "UndertakingsNotProvided"
        assert _error(gw, BENEFICIARY, "noticeNonExtension", sid) == "UndertakingsUnauthorizedParty"
        # the last day for notice, a minute before its end: the notice's own block is stamped a second or more later
        warp(gw, _end_of_day(expiry // DAY - 5) - 60)
        event = gw.tx(GUARANTOR, UT, "noticeNonExtension", sid).event("NonExtensionNoticeGiven")
        assert event["expiry"] == expiry and undertaking(gw, sid)["nonExtensionNoticed"] is True
        assert _error(gw, GUARANTOR, "noticeNonExtension", sid) == "UndertakingsNonExtensionAlreadyNoticed"
        warp(gw, _end_of_day(gw.call(UT, "lastDemandDay", sid)) + 1)
        assert _error(gw, APPLICANT, "extendAutomatically", sid) == "UndertakingsExtensionNotDue"
        assert _error(gw, BENEFICIARY, "demand", sid, [], ZERO32, 1_000, 0) == "UndertakingsDemandAfterExpiry"
        gw.tx(APPLICANT, UT, "expire", sid)
        assert ut_state(gw, sid) == "EXPIRED" and undertaking(gw, sid)["terms"]["expiry"] == expiry

    @pytest.mark.parametrize(
        ("period", "notice", "final_days"),
        [(0, 5, 0), (0, 0, 20), (30, 0, 0), (30, 30, 0), (30, 5, 10)],
        ids=["notice-without-extension", "final-without-extension", "no-notice-period", "notice-not-shorter",
             "final-before-expiry"],
    )  # fmt: skip
    def test_isp98_2_06a_extension_terms_must_be_consistent(
        self, gw: World, period: int, notice: int, final_days: int
    ) -> None:
        now = gw.chain.timestamp()
        final_expiry = now + final_days * DAY if final_days else 0
        terms = ut_terms(gw, rules=ISP98, expiry=now + 10 * DAY, extensionDays=period,
                         nonExtensionNoticeDays=notice, finalExpiry=final_expiry)  # fmt: skip
        assert _error(gw, APPLICANT, "applyForUndertaking", terms) == "UndertakingsInvalidAutoExtension"

    def test_urdg_1a_guarantee_may_state_its_own_automatic_extension(self, gw: World) -> None:
        """URDG 758 Art 1(a): the rules apply subject to the guarantee's own terms, and no article forbids an
        automatic extension; stated when the guarantee is issued it is one of its terms, not an amendment needing
        the beneficiary's consent (Art 11). It runs as a standby's does: no extension after a timely notice of
        non-extension, one period once the last day for that notice passed; without ISP98 3.13(a)'s roll-over."""
        now = gw.chain.timestamp()
        evergreen = {"expiry": now + 10 * DAY, "extensionDays": 30, "nonExtensionNoticeDays": 5}
        direct = (ut_terms(gw, **evergreen), gw.address(APPLICANT))
        assert _error(gw, GUARANTOR, "issueUndertaking", *direct) is None
        gid = open_undertaking(gw, **evergreen)
        noticed = open_undertaking(gw, **evergreen)
        gw.tx(GUARANTOR, UT, "noticeNonExtension", noticed)
        expiry = undertaking(gw, gid)["terms"]["expiry"]
        warp(gw, _end_of_day(expiry // DAY - 5) + 1)
        gw.tx(BENEFICIARY, UT, "extendAutomatically", gid)
        assert undertaking(gw, gid)["terms"]["expiry"] == expiry + 30 * DAY
        assert _error(gw, BENEFICIARY, "extendAutomatically", noticed) == "UndertakingsExtensionNotDue"
        warp(gw, _end_of_day(expiry // DAY) + 1)
        assert gw.call(UT, "lastDemandDay", noticed) == expiry // DAY
        gw.tx(APPLICANT, UT, "expire", noticed)
        assert (ut_state(gw, noticed), ut_state(gw, gid)) == ("EXPIRED", "ADVISED")


# ------------------------------------------------------------------------------------------------ URDG 25(a)(ii)


def _scheduled(world: World, steps: list[tuple[int, int]], **overrides: object) -> int:
    """An undertaking reduced by `amount` from `days` days after today, per (days, amount) step."""
    today = world.chain.timestamp() // DAY
    schedule = [{"day": today + days, "amount": amount} for days, amount in steps]
    return open_undertaking(world, reductionSchedule=schedule, **overrides)


class TestUrdg25ReductionSchedule:
    def test_urdg_25a_ii_amount_reduced_on_the_stated_dates_by_the_chain_clock(self, gw: World) -> None:
        """URDG 25(a)(ii) / Art 13: the amount is reduced by the amount specified in the guarantee on the specified
        date, whether or not anyone records it: the outstanding and available amounts follow the chain's clock,
        and a demand is examined against the reduced amount. Each step is recorded once, in order."""
        gid = _scheduled(gw, [(5, 100_000), (10, 150_000)])
        today = gw.chain.timestamp() // DAY
        assert gw.call(UT, "availableAmount", gid) == AMOUNT
        assert _error(gw, APPLICANT, "recordScheduledReductions", gid) == "UndertakingsReductionNotDue"
        warp(gw, (today + 5) * DAY)
        assert gw.call(UT, "outstandingAmount", gid) == AMOUNT - 100_000
        assert undertaking(gw, gid)["reduced"] == 0, "not recorded yet, in force all the same"
        assert _error(gw, BENEFICIARY, "demand", gid, [], gw.unique("s"), AMOUNT - 99_999, 0) == (
            "UndertakingsDemandExceedsAvailable"
        )
        receipt = gw.tx(GUARANTOR, UT, "recordScheduledReductions", gid)
        event = receipt.event("UndertakingReducedOnSchedule")
        assert (event["step"], event["day"], event["amount"], event["outstanding"]) == (
            1, today + 5, 100_000, AMOUNT - 100_000
        )  # fmt: skip
        assert _error(gw, GUARANTOR, "recordScheduledReductions", gid) == "UndertakingsReductionNotDue"
        assert _error(gw, "another_bank", "recordScheduledReductions", gid) == "UndertakingsNotAParty"
        warp(gw, (today + 10) * DAY + 3600)
        receipt = gw.tx(BENEFICIARY, UT, "demand", gid, [], gw.unique("s"), 250_000, 0)
        recorded = [e.args["step"] for e in receipt.events if e.name == "UndertakingReducedOnSchedule"]
        assert recorded == [2], "the demand records the step due first"
        assert undertaking(gw, gid)["reduced"] == 250_000 and undertaking(gw, gid)["reductionsRecorded"] == 2
        assert gw.call(UT, "availableAmount", gid) == 0

    def test_urdg_25a_ii_demand_presented_before_the_date_stays_payable_in_full(self, gw: World) -> None:
        """URDG 20 / 25(a)(ii): a demand presented before a reduction date is examined against the amount then
        available and paid in full after it; the reduction takes what is left, and the guarantee is exhausted
        once nothing is payable and no demand is open."""
        gid = _scheduled(gw, [(3, 400_000)])
        today = gw.chain.timestamp() // DAY
        first = make_demand(gw, gid, 300_000)
        second = make_demand(gw, gid, 150_000)
        warp(gw, (today + 3) * DAY + 3600)
        assert gw.call(UT, "outstandingAmount", gid) == 100_000
        assert gw.call(UT, "availableAmount", gid) == 0
        gw.tx(GUARANTOR, UT, "pay", gid, first)
        assert ut_state(gw, gid) == "ADVISED", "a demand is still open"
        gw.tx(GUARANTOR, UT, "reject", gid, second, DISCREPANCIES)
        assert ut_state(gw, gid) == "EXHAUSTED"
        assert undertaking(gw, gid)["paid"] == 300_000 and undertaking(gw, gid)["reductionsRecorded"] == 1

    def test_isp98_2_06_standby_reduction_schedule_exhausts_it(self, gw: World) -> None:
        """ISP98 Rule 2.06 and the standby's terms: scheduled reductions that bring the amount to nothing leave
        nothing to demand; recording them exhausts the standby."""
        sid = _scheduled(gw, [(2, 200_000), (4, 300_000)], rules=ISP98)
        today = gw.chain.timestamp() // DAY
        warp(gw, (today + 4) * DAY)
        receipt = gw.tx(APPLICANT, UT, "recordScheduledReductions", sid)
        events = [e.args for e in receipt.events if e.name == "UndertakingReducedOnSchedule"]
        steps = [(e["step"], e["outstanding"]) for e in events]
        assert steps == [(1, 300_000), (2, 0)]
        assert ut_state(gw, sid) == "EXHAUSTED"

    @pytest.mark.parametrize(
        "steps",
        [[(0, 1_000)], [(5, 1_000), (5, 1_000)], [(5, 1_000), (4, 1_000)], [(5, 0)], [(5, AMOUNT), (6, 1)],
         [(day, 1) for day in range(1, 26)]],
        ids=["today", "same-day", "not-increasing", "zero", "above-amount", "too-many-steps"],
    )  # fmt: skip
    def test_urdg_13_reduction_schedule_must_be_consistent(self, gw: World, steps: list[tuple[int, int]]) -> None:
        """URDG 13: a variation on specified dates: steps after today, in strictly increasing days, each positive,
        together no more than the amount, at most 24."""
        today = gw.chain.timestamp() // DAY
        schedule = [{"day": today + days, "amount": amount} for days, amount in steps]
        terms = ut_terms(gw, reductionSchedule=schedule)
        assert _error(gw, APPLICANT, "applyForUndertaking", terms) == "UndertakingsInvalidReductionSchedule"


# ------------------------------------------------------------------------------------------------ URDG 2 / 15(b)


class TestUrdg2CounterGuarantee:
    def test_urdg_2_counter_guarantee_demand_after_guarantee_demand(self, gw: World) -> None:
        """URDG 2 / 15(b): the counter-guarantor undertakes to the guarantor; a demand paid under the guarantee
        lets the guarantor demand under the counter-guarantee, once, with its statement; the applicant then
        reimburses the counter-guarantor, not the guarantor."""
        gid = open_undertaking(gw)
        cg = counter_guarantee(gw, gid)
        assert undertaking(gw, gid)["counterGuaranteeId"] == cg
        did = make_demand(gw, gid, 20_000)
        statement = gw.unique("received-complying-demand")
        assert _error(gw, GUARANTOR, "demandUnderCounterGuarantee", cg, did, [], statement, 20_000) == (
            "UndertakingsInvalidRelayedDemand"
        )
        start = _block(gw)
        gw.tx(GUARANTOR, UT, "pay", gid, did)
        kinds = [p["kind"] for p in _postings(gw, start)]
        assert kinds == [UNDERTAKING_PAYMENT], "a counter-guaranteed guarantee is not reimbursed by the applicant"
        assert _error(gw, GUARANTOR, "demandUnderCounterGuarantee", cg, did, [], statement, 20_001) == (
            "UndertakingsInvalidRelayedDemand"
        )
        assert _error(gw, GUARANTOR, "demandUnderCounterGuarantee", cg, did, [], ZERO32, 20_000) == (
            "UndertakingsDemandUnsupported"
        )
        assert _error(gw, BENEFICIARY, "demandUnderCounterGuarantee", cg, did, [], statement, 20_000) == (
            "UndertakingsUnauthorizedParty"
        )
        receipt = gw.tx(GUARANTOR, UT, "demandUnderCounterGuarantee", cg, did, [], statement, 20_000)
        cg_demand = receipt.event("DemandPresented")["demandId"]
        assert get_demand(gw, cg, cg_demand)["underDemandId"] == did
        assert get_demand(gw, gid, did)["relayed"] is True
        assert _error(gw, GUARANTOR, "demandUnderCounterGuarantee", cg, did, [], statement, 1) == (
            "UndertakingsInvalidRelayedDemand"
        )
        start = _block(gw)
        gw.tx(COUNTER_GUARANTOR, UT, "pay", cg, cg_demand)
        legs = [(p["kind"], p["debitAccount"], p["creditAccount"]) for p in _postings(gw, start)]
        assert legs == [
            (UNDERTAKING_PAYMENT, gw.address(COUNTER_GUARANTOR), gw.address(GUARANTOR)),
            (UNDERTAKING_REIMBURSEMENT, gw.address(APPLICANT), gw.address(COUNTER_GUARANTOR)),
        ]

    def test_urdg_2_counter_guarantee_must_fit_its_guarantee(self, gw: World) -> None:
        gid = open_undertaking(gw)
        zero = "0x" + "00" * 20
        wrong_beneficiary = ut_terms(
            gw,
            beneficiary=gw.address("bank"),
            guarantor=gw.address(COUNTER_GUARANTOR),
            advisingParty=zero,
            counterGuaranteeOf=gid,
        )
        assert _error(gw, COUNTER_GUARANTOR, "issueUndertaking", wrong_beneficiary, gw.address(APPLICANT)) == (
            "UndertakingsInvalidCounterGuarantee"
        )
        wrong_currency = {**wrong_beneficiary, "beneficiary": gw.address(GUARANTOR), "currency": EUR}
        assert _error(gw, COUNTER_GUARANTOR, "issueUndertaking", wrong_currency, gw.address(APPLICANT)) == (
            "UndertakingsInvalidCounterGuarantee"
        )
        counter_guarantee(gw, gid)
        second = {**wrong_currency, "guarantor": gw.address("bank"), "currency": USD}
        assert _error(gw, "bank", "issueUndertaking", second, gw.address(APPLICANT)) == (
            "UndertakingsInvalidCounterGuarantee"
        )
        # a plain demand is not how a counter-guarantee is drawn
        cg = undertaking(gw, gid)["counterGuaranteeId"]
        assert _error(gw, GUARANTOR, "demand", cg, [], gw.unique("s"), 1, 0) == "UndertakingsNotACounterGuarantee"
