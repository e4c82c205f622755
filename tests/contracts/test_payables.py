"""PayablesFinance on the real contracts: the buyer's irrevocable approval of a matched invoice, the early payment
at a discount checked on chain, the buyer's payment at maturity or the overdue state, and the duplicate-financing
rule of the DocumentRegistry across payables, LC document financing and receivables discounting."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.contracts.helpers import DOCUMENT_STATES, POSTING_KINDS, USD, World
from tests.contracts.lc_support import balance, start_on_monday
from tests.contracts.openaccount_support import (
    BUYER,
    DAY,
    FINANCIER,
    INVOICES,
    ORDER_AMOUNT,
    SELLER,
    UNDERTAKINGS,
    establish,
    financed_invoice_document,
    invoice_data,
    issue_invoice,
    mismatched_invoice,
)
from tests.contracts.payables_support import (
    ACT_360,
    ACT_365,
    PAYABLES,
    RATE_BPS,
    approve,
    days_to_maturity,
    empty_account,
    expected_advance,
    finance,
    get_payable,
    invoice_document,
    matched_invoice,
    maturity_in,
    payable_state,
)
from tradeledger.settlements.models import PostingKind
from tradeledger.statements.entries import posting_reference
from tradeledger.undertakings.discount import DayCount, discount

REFERENCE_FLAG = 1 << 254
ADVANCE_LEG, PAYMENT_LEG = 1, 2


@pytest.fixture
def pw(world: World) -> Iterator[World]:
    """The base world on a Monday 10:00 UTC, so that a day's transactions stay on that UTC day."""
    start_on_monday(world)
    yield world


def _error(world: World, actor: str, function: str, *args: object) -> str | None:
    error = world.error(actor, PAYABLES, function, *args)
    return None if error is None else error.name


def _reference(payable_id: int, leg: int) -> bytes:
    return (REFERENCE_FLAG | payable_id << 8 | leg).to_bytes(32, "big")


def _postings(world: World, from_block: int) -> list[dict[str, object]]:
    return [e.args for e in world.logs(from_block) if e.name == "Posted"]


def _next_block(world: World) -> int:
    return int(world.chain.rpc("eth_blockNumber"), 16) + 1


class TestApprove:
    def test_approve_matched_or_accepted_invoice_by_its_buyer(self, pw: World) -> None:
        payable_id = approve(pw, amount=ORDER_AMOUNT - 1)
        payable = get_payable(pw, payable_id)
        assert payable_state(pw, payable_id) == "APPROVED"
        assert (payable["buyer"], payable["supplier"]) == (pw.address(BUYER), pw.address(SELLER))
        assert payable["amount"] == ORDER_AMOUNT - 1 and payable["currency"] == USD
        accepted, report = mismatched_invoice(pw)
        pw.tx(BUYER, INVOICES, "acceptMismatch", accepted, report)
        assert payable_state(pw, approve(pw, accepted)) == "APPROVED"

    def test_approve_refuses_unmatched_superseded_or_already_approved_invoices(self, pw: World) -> None:
        maturity = maturity_in(pw)
        issued = issue_invoice(pw)
        assert _error(pw, BUYER, "approve", issued, 1, maturity, pw.unique()) == "PayablesFinanceInvalidInvoice"
        mismatched, _ = mismatched_invoice(pw)
        assert _error(pw, BUYER, "approve", mismatched, 1, maturity, pw.unique()) == "PayablesFinanceInvalidInvoice"
        pw.tx(SELLER, INVOICES, "correctInvoice", mismatched, invoice_data(pw))  # mismatched is SUPERSEDED now
        assert _error(pw, BUYER, "approve", mismatched, 1, maturity, pw.unique()) == "PayablesFinanceInvalidInvoice"
        invoice_id = matched_invoice(pw)
        approve(pw, invoice_id)
        assert _error(pw, BUYER, "approve", invoice_id, 1, maturity, pw.unique()) == "PayablesFinanceInvalidInvoice"

    def test_approve_refuses_bad_terms_and_other_parties(self, pw: World) -> None:
        invoice_id = matched_invoice(pw)
        now = pw.chain.timestamp()
        assert _error(pw, BUYER, "approve", invoice_id, 0, now + DAY, pw.unique()) == "PayablesFinanceInvalidTerms"
        over = ORDER_AMOUNT + 1
        assert _error(pw, BUYER, "approve", invoice_id, over, now + DAY, pw.unique()) == "PayablesFinanceInvalidTerms"
        assert _error(pw, BUYER, "approve", invoice_id, 1, now, pw.unique()) == "PayablesFinanceInvalidTerms"
        for actor in (SELLER, FINANCIER, "auditor"):
            assert _error(pw, actor, "approve", invoice_id, 1, now + DAY, pw.unique()) == "PayablesFinanceUnauthorized"

    def test_approval_is_irrevocable_no_function_withdraws_or_changes_it(self) -> None:
        from tests.contracts.helpers import codec

        assert set(codec(PAYABLES).mutators()) == {"approve", "finance", "collect"}


class TestFinance:
    def test_finance_pays_the_advance_to_the_supplier_through_the_registry(self, pw: World) -> None:
        payable_id = approve(pw)
        document_id = invoice_document(pw)
        advance = expected_advance(pw, payable_id)
        days = days_to_maturity(pw, payable_id)
        supplier_before, financier_before = balance(pw, SELLER), balance(pw, FINANCIER)
        start = _next_block(pw)
        receipt = pw.tx(FINANCIER, PAYABLES, "finance", payable_id, document_id, RATE_BPS, ACT_360, advance)
        event = receipt.event("PayableFinanced")
        assert (event["daysToMaturity"], event["advance"], event["documentId"]) == (days, advance, document_id)
        assert balance(pw, SELLER) - supplier_before == advance == financier_before - balance(pw, FINANCIER)
        [posted] = _postings(pw, start)
        assert posted["kind"] == POSTING_KINDS.index("FINANCING_DISBURSEMENT")
        assert posted["ref"] == _reference(payable_id, ADVANCE_LEG)
        assert posting_reference(PostingKind(posted["kind"]), posted["ref"]) == f"PF{payable_id}-ADVANCE"
        document = pw.call("DocumentRegistry", "document", document_id)
        assert DOCUMENT_STATES[document["state"]] == "FINANCED"
        assert (document["financier"], document["financedAmount"]) == (pw.address(FINANCIER), advance)
        payable = get_payable(pw, payable_id)
        assert payable_state(pw, payable_id) == "FINANCED"
        assert (payable["financier"], payable["advance"], payable["documentId"]) == (
            pw.address(FINANCIER),
            advance,
            document_id,
        )

    def test_finance_refuses_an_advance_off_by_one_minor_unit(self, pw: World) -> None:
        payable_id = approve(pw)
        document_id = invoice_document(pw)
        advance = expected_advance(pw, payable_id, RATE_BPS, ACT_365)
        for wrong in (advance - 1, advance + 1, expected_advance(pw, payable_id, RATE_BPS, ACT_360)):
            error = _error(pw, FINANCIER, "finance", payable_id, document_id, RATE_BPS, ACT_365, wrong)
            assert error == "PayablesFinanceDiscountMismatch"
        pw.tx(FINANCIER, PAYABLES, "finance", payable_id, document_id, RATE_BPS, ACT_365, advance)

    @pytest.mark.parametrize(
        ("face", "rate_bps", "days", "day_count", "hand_discount"),
        [
            # face x rate x days / (10,000 x basis), by hand; half a minor unit goes up (to the financier)
            (100_000, 450, 60, ACT_360, 750),  # 2,700,000,000 / 3,600,000 = 750 exactly
            (100_000, 450, 60, ACT_365, 740),  # 2,700,000,000 / 3,650,000 = 739.73
            (1_800, 1_000, 1, ACT_360, 1),  # 1,800,000 / 3,600,000 = 0.5: half up
            (1_799, 1_000, 1, ACT_360, 0),  # 1,799,000 / 3,600,000 = 0.4997
            (7_300_000, 500, 1, ACT_365, 1_000),  # one day: 3,650,000,000 / 3,650,000 = 1,000 exactly
            (1_000_000, 500, 365, ACT_365, 50_000),  # a whole year of ACT/365: the rate itself
            (1_000_000, 500, 365, ACT_360, 50_694),  # the same year on ACT/360: 50,694.44
            (1_000_000, 500, 366, ACT_365, 50_137),  # a leap year's 366 days: 50,136.99
            (1, 10_000, 1, ACT_360, 0),  # the smallest face: 0.0028
            (99_999_999, 10_000, 360, ACT_360, 99_999_999),  # 100% for a 360-day year: the whole face
        ],
    )
    def test_discount_to_the_minor_unit_against_the_hand_computed_table(
        self, pw: World, face: int, rate_bps: int, days: int, day_count: int, hand_discount: int
    ) -> None:
        service = discount(face, rate_bps, days, DayCount.ACT_360 if day_count == ACT_360 else DayCount.ACT_365)
        assert service.discount == hand_discount
        assert pw.call(PAYABLES, "advanceFor", face, rate_bps, day_count, days) == face - hand_discount

    def test_finance_refuses_a_document_that_is_not_the_payables_invoice(self, pw: World) -> None:
        payable_id = approve(pw)
        advance = expected_advance(pw, payable_id)
        wrong_face = invoice_document(pw, face=ORDER_AMOUNT + 1)
        financed = financed_invoice_document(pw)
        for document_id in (wrong_face, financed, 999):
            error = _error(pw, FINANCIER, "finance", payable_id, document_id, RATE_BPS, ACT_360, advance)
            assert error == "PayablesFinanceInvalidDocument", document_id

    def test_finance_refuses_traders_rates_above_100_percent_and_a_second_financing(self, pw: World) -> None:
        payable_id = approve(pw)
        document_id = invoice_document(pw)
        advance = expected_advance(pw, payable_id)
        for actor in (BUYER, SELLER, "auditor"):
            assert _error(pw, actor, "finance", payable_id, document_id, RATE_BPS, ACT_360, advance) == (
                "PayablesFinanceUnauthorized"
            )
        assert (
            _error(pw, FINANCIER, "finance", payable_id, document_id, 10_001, ACT_360, 1)
            == "PayablesFinanceInvalidRate"
        )
        finance(pw, payable_id, document_id)
        again = invoice_document(pw, registrar="bank")
        assert (
            _error(pw, "bank", "finance", payable_id, again, RATE_BPS, ACT_360, advance)
            == "PayablesFinanceInvalidState"
        )

    def test_finance_refused_on_the_maturity_day(self, pw: World) -> None:
        payable_id = approve(pw, days=1)
        document_id = invoice_document(pw)
        pw.chain.increase_time(DAY)
        error = _error(pw, FINANCIER, "finance", payable_id, document_id, RATE_BPS, ACT_360, ORDER_AMOUNT)
        assert error == "PayablesFinanceInvalidRate"


class TestDuplicateFinancing:
    """DESIGN §4.4 / issue #17: an invoice financed once cannot be financed again anywhere in the consortium while
    that financing is open: its fingerprints are locked in the DocumentRegistry."""

    def test_payable_financed_invoice_refused_by_registry_financing_and_discounting(self, pw: World) -> None:
        prints = [pw.unique("fp"), pw.unique("fp")]
        payable_id = approve(pw)
        first = finance(pw, payable_id, invoice_document(pw, fingerprints=prints))
        # the same invoice (one fingerprint in common) at another bank: a plain (LC / invoice) document financing
        copy = invoice_document(pw, registrar="bank", fingerprints=[prints[1], pw.unique("fp")])
        error = pw.error("bank", "DocumentRegistry", "finance", copy, 50_000, pw.unique("ref"))
        assert error is not None and error.name == "DocumentRegistryAlreadyFinanced"
        assert error.args[1] == first  # (fingerprint, priorDocumentId, priorFinancier)
        # receivables discounting of a BPU goes through the same registry financing first: refused the same way
        undertaking_id = establish(pw)
        assert pw.error("bank", UNDERTAKINGS, "assignProceeds", undertaking_id, copy).name == (  # type: ignore[union-attr]
            "PaymentUndertakingsInvalidFinancing"
        )
        # another payable on a re-issued copy of the invoice: refused at the registry too
        other = approve(pw)
        twin = invoice_document(pw, registrar="bank", fingerprints=[prints[0]])
        advance = expected_advance(pw, other)
        error = pw.error("bank", PAYABLES, "finance", other, twin, RATE_BPS, ACT_360, advance)
        assert error is not None and error.name == "DocumentRegistryAlreadyFinanced"

    def test_payable_financing_cannot_be_assigned_to_an_undertaking_as_a_discount(self, pw: World) -> None:
        """The same financier may not take the proceeds of a payment undertaking with the document of a payable it
        financed: it would be paid twice for one invoice (by the buyer at maturity and by the obligor bank)."""
        payable_id = approve(pw)
        document_id = finance(pw, payable_id)
        assert pw.call("DocumentRegistry", "financedThrough", document_id) == pw[PAYABLES].address
        undertaking_id = establish(pw)
        error = pw.error(FINANCIER, UNDERTAKINGS, "assignProceeds", undertaking_id, document_id)
        assert error is not None and error.name == "PaymentUndertakingsInvalidFinancing"
        direct = financed_invoice_document(pw)  # a bank's own document financing stays assignable
        assert pw.call("DocumentRegistry", "financedThrough", direct) == "0x" + "00" * 20
        pw.tx(FINANCIER, UNDERTAKINGS, "assignProceeds", undertaking_id, direct)

    def test_registry_financed_invoice_refused_by_payables_finance(self, pw: World) -> None:
        prints = [pw.unique("fp")]
        financed = invoice_document(pw, registrar="bank", fingerprints=prints)
        pw.tx("bank", "DocumentRegistry", "finance", financed, 90_000, pw.unique("ref"))
        payable_id = approve(pw)
        copy = invoice_document(pw, fingerprints=[pw.unique("fp"), prints[0]])
        advance = expected_advance(pw, payable_id)
        error = pw.error(FINANCIER, PAYABLES, "finance", payable_id, copy, RATE_BPS, ACT_360, advance)
        assert error is not None and error.name == "DocumentRegistryAlreadyFinanced"
        assert payable_state(pw, payable_id) == "APPROVED"

    def test_registry_roles_are_held_by_payables_finance_only(self, pw: World) -> None:
        document_id = invoice_document(pw)
        for actor in (FINANCIER, BUYER, "operator"):
            error = pw.error(
                actor, "DocumentRegistry", "financeFor", document_id, pw.address(FINANCIER), 1, pw.unique()
            )
            assert error is not None and error.name == "AccessControlUnauthorizedAccount"


class TestCollect:
    def test_collect_at_maturity_pays_the_financier_and_closes_the_financing(self, pw: World) -> None:
        payable_id = approve(pw, days=30)
        document_id = finance(pw, payable_id)
        assert _error(pw, FINANCIER, "collect", payable_id) == "PayablesFinanceNotDue"
        pw.chain.increase_time(30 * DAY)
        buyer_before, financier_before = balance(pw, BUYER), balance(pw, FINANCIER)
        assert _error(pw, SELLER, "collect", payable_id) == "PayablesFinanceUnauthorized"  # no longer the payee
        start = _next_block(pw)
        pw.tx(FINANCIER, PAYABLES, "collect", payable_id)
        assert buyer_before - balance(pw, BUYER) == ORDER_AMOUNT == balance(pw, FINANCIER) - financier_before
        [posted] = _postings(pw, start)
        assert posted["kind"] == POSTING_KINDS.index("FINANCING_REPAYMENT")
        assert posted["ref"] == _reference(payable_id, PAYMENT_LEG)
        assert posting_reference(PostingKind(posted["kind"]), posted["ref"]) == f"PF{payable_id}-PAY"
        document = pw.call("DocumentRegistry", "document", document_id)
        assert (DOCUMENT_STATES[document["state"]], document["outstanding"]) == ("REPAID", 0)
        assert payable_state(pw, payable_id) == "PAID"
        assert _error(pw, FINANCIER, "collect", payable_id) == "PayablesFinanceInvalidState"  # once only

    def test_collect_unfinanced_pays_the_supplier(self, pw: World) -> None:
        payable_id = approve(pw, days=5)
        pw.chain.increase_time(5 * DAY)
        supplier_before = balance(pw, SELLER)
        start = _next_block(pw)
        pw.tx(BUYER, PAYABLES, "collect", payable_id)
        assert balance(pw, SELLER) - supplier_before == ORDER_AMOUNT
        [posted] = _postings(pw, start)
        assert posted["kind"] == POSTING_KINDS.index("OPEN_ACCOUNT_PAYMENT")
        assert payable_state(pw, payable_id) == "PAID"

    def test_collect_with_the_buyer_short_marks_overdue_then_pays_once_funded(self, pw: World) -> None:
        payable_id = approve(pw, days=10)
        finance(pw, payable_id)
        pw.chain.increase_time(10 * DAY)
        empty_account(pw, BUYER, keep=ORDER_AMOUNT - 1)
        financier_before = balance(pw, FINANCIER)
        receipt = pw.tx(FINANCIER, PAYABLES, "collect", payable_id)
        assert receipt.event("PayableOverdue")["balance"] == ORDER_AMOUNT - 1
        assert payable_state(pw, payable_id) == "OVERDUE" and balance(pw, FINANCIER) == financier_before
        assert _error(
            pw, "bank", "finance", payable_id, invoice_document(pw, registrar="bank"), RATE_BPS, ACT_360, 1
        ) == ("PayablesFinanceInvalidState")
        pw.tx("sponsor_bank", "Settlement", "issue", pw.address(BUYER), USD, 1, pw.unique("fund"))
        pw.tx(BUYER, PAYABLES, "collect", payable_id)
        assert payable_state(pw, payable_id) == "PAID" and balance(pw, FINANCIER) - financier_before == ORDER_AMOUNT
        assert balance(pw, BUYER) == 0
