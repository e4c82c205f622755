"""Rule boundaries, pinned exactly at the tolerance and one minor unit / one day beyond it.

Each case runs through the engine twice: once with a single candidate (the inlined hot path) and once
with a decoy candidate sharing the reference (the general candidate-ranking path), so both stay equal.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from reconciliation.matching import (
    AmountCriterion,
    DateWindow,
    MatchRule,
    ReconcileConfig,
    ReferenceCriterion,
    Strategy,
    reconcile,
)
from reconciliation.matching.books import BookLine
from reconciliation.matching.rules import DEFAULT_RULES
from tests.reconciliation.matching.factories import D0, DEBIT, T0, entry, line


def _matches(rule: MatchRule, ledger_amount: int, book: BookLine, *, currency: str = "USD") -> tuple[bool, bool]:
    """(matched on the single-candidate path, matched on the multi-candidate path)."""
    config = ReconcileConfig(rules=(rule,), check_statement_sequence=False)
    ledger = [entry(1, ledger_amount, currency=currency)]
    single = reconcile(ledger, [book], config)
    decoy = line("L0-decoy", book.amount, currency="XAU" if currency != "XAU" else "XAG")
    multi = reconcile(ledger, [decoy, book], config)
    return len(single.matches) == 1, len(multi.matches) == 1


class TestAmountTolerance:
    @pytest.mark.parametrize(
        ("currency", "absolute", "bps", "ledger_amount", "book_amount", "expected"),
        [
            ("USD", 0, 0, 10_000, 10_000, True),
            ("USD", 0, 0, 10_000, 10_001, False),
            ("USD", 1, 0, 10_000, 10_001, True),  # exactly at +1 minor unit
            ("USD", 1, 0, 10_000, 9_999, True),  # exactly at -1
            ("USD", 1, 0, 10_000, 10_002, False),  # one beyond
            ("USD", 1, 0, 10_000, 9_998, False),
            ("USD", 0, 1, 10_000, 10_001, True),  # 1 bps of 100.00 USD is 0.01
            ("USD", 0, 1, 10_000, 10_002, False),
            ("USD", 0, 1, 1_000_000, 1_000_100, True),  # 1 bps of 10,000.00 is 1.00
            ("USD", 0, 1, 1_000_000, 1_000_101, False),
            ("USD", 0, 3, 10_001, 10_004, True),  # 3 x 10,001 / 10,000 = 3.0003 >= 3
            ("USD", 0, 3, 10_001, 10_005, False),
            ("USD", 5, 1, 10_000, 10_005, True),  # the more lenient limit (absolute) wins
            ("USD", 5, 1, 10_000, 10_006, False),
            ("USD", 5, 1, 1_000_000, 1_000_100, True),  # ... here the bps limit wins
            ("USD", 5, 1, 1_000_000, 1_000_101, False),
            ("JPY", 1, 0, 1_000, 1_001, True),  # exponent 0: one minor unit is 1 yen
            ("JPY", 1, 0, 1_000, 1_002, False),
            ("BHD", 1, 0, 1_000, 1_001, True),  # exponent 3: one minor unit is 0.001 BHD
            ("BHD", 1, 0, 1_000, 1_002, False),
            ("BHD", 0, 10, 1_000_000, 1_001_000, True),  # 10 bps of 1,000.000 BHD is 1.000
            ("BHD", 0, 10, 1_000_000, 1_001_001, False),
        ],
    )
    def test_boundary(
        self, *, currency: str, absolute: int, bps: int, ledger_amount: int, book_amount: int, expected: bool
    ) -> None:
        criterion = AmountCriterion(absolute=absolute, basis_points=bps)
        assert criterion.accepts(ledger_amount, book_amount) is expected
        rule = MatchRule("r", reference=ReferenceCriterion(), amount=criterion)
        book = line("L1", book_amount, currency=currency)
        assert _matches(rule, ledger_amount, book, currency=currency) == (expected, expected)

    @pytest.mark.parametrize(
        ("absolute", "bps", "book_amount", "expected"),
        [(3, 0, 10_003, True), (3, 0, 10_004, False), (0, 3, 10_003, True), (0, 3, 10_004, False)],
    )
    def test_boundary_without_reference_uses_sorted_amount_index(
        self, absolute: int, bps: int, book_amount: int, expected: bool
    ) -> None:
        rule = MatchRule("amount-only", amount=AmountCriterion(absolute=absolute, basis_points=bps))
        book = line("L1", book_amount, reference="")
        assert _matches(rule, 10_000, book) == (expected, expected)

    def test_negative_tolerance_is_refused(self) -> None:
        with pytest.raises(ValueError, match="negative"):
            AmountCriterion(absolute=-1)


class TestDateWindow:
    @pytest.mark.parametrize(
        ("before", "after", "offset", "expected"),
        [
            (1, 3, 0, True),
            (1, 3, -1, True),  # exactly at the early edge
            (1, 3, -2, False),  # one day beyond
            (1, 3, 3, True),  # exactly at the late edge
            (1, 3, 4, False),
            (0, 0, 0, True),
            (0, 0, 1, False),
            (0, 0, -1, False),
        ],
    )
    def test_boundary(self, before: int, after: int, offset: int, expected: bool) -> None:
        window = DateWindow(days_before=before, days_after=after)
        assert window.accepts(D0.toordinal(), D0.toordinal() + offset) is expected
        rule = MatchRule("r", reference=ReferenceCriterion(), amount=AmountCriterion(), date_window=window)
        book = line("L1", booking_date=D0 + timedelta(days=offset))
        assert _matches(rule, 10_000, book) == (expected, expected)

    @pytest.mark.parametrize(("value_offset", "expected"), [(0, True), (2, False), (None, True)])
    def test_value_date_with_fallback_to_booking_date(self, value_offset: int | None, expected: bool) -> None:
        window = DateWindow(days_before=0, days_after=1, book_date="value")
        rule = MatchRule("r", reference=ReferenceCriterion(), amount=AmountCriterion(), date_window=window)
        value_date = None if value_offset is None else D0 + timedelta(days=value_offset)
        book = line("L1", booking_date=D0, value_date=value_date)
        assert _matches(rule, 10_000, book) == (expected, expected)

    def test_ledger_day_is_the_utc_day(self) -> None:
        # 23:30 in New York on 2 March is 04:30 UTC on 3 March: the ledger day is 3 March
        new_york = timezone(timedelta(hours=-5))
        late = datetime(2026, 3, 2, 23, 30, tzinfo=new_york)
        rule = MatchRule("r", reference=ReferenceCriterion(), amount=AmountCriterion(), date_window=DateWindow())
        config = ReconcileConfig(rules=(rule,))
        assert len(reconcile([entry(booked_at=late)], [line(booking_date=date(2026, 3, 3))], config).matches) == 1
        assert len(reconcile([entry(booked_at=late)], [line(booking_date=date(2026, 3, 2))], config).matches) == 0
        utc = late.astimezone(UTC)
        assert len(reconcile([entry(booked_at=utc)], [line(booking_date=date(2026, 3, 3))], config).matches) == 1

    def test_negative_window_is_refused(self) -> None:
        with pytest.raises(ValueError, match="negative"):
            DateWindow(days_before=-1)


class TestOtherCriteria:
    @pytest.mark.parametrize(
        ("same_currency", "book_currency", "expected"),
        [(True, "USD", True), (True, "EUR", False), (False, "EUR", True)],
    )
    def test_same_currency(self, same_currency: bool, book_currency: str, expected: bool) -> None:
        rule = MatchRule("r", reference=ReferenceCriterion(), amount=AmountCriterion(), same_currency=same_currency)
        config = ReconcileConfig(rules=(rule,))
        result = reconcile([entry()], [line(currency=book_currency)], config)
        assert (len(result.matches) == 1) is expected

    @pytest.mark.parametrize(("same_direction", "expected"), [(True, False), (False, True)])
    def test_same_direction(self, same_direction: bool, expected: bool) -> None:
        rule = MatchRule("r", reference=ReferenceCriterion(), amount=AmountCriterion(), same_direction=same_direction)
        result = reconcile([entry()], [line(direction=DEBIT)], ReconcileConfig(rules=(rule,)))
        assert (len(result.matches) == 1) is expected

    @pytest.mark.parametrize(
        ("criterion", "book_reference", "expected"),
        [
            (ReferenceCriterion(), "REF-1", True),
            (ReferenceCriterion(), "REF-2", False),
            (ReferenceCriterion(ledger_field="entry_id", book_field="business_reference"), "1", True),
            (ReferenceCriterion(ledger_field="entry_id", book_field="business_reference"), "REF-1", False),
        ],
    )
    def test_reference_fields(self, criterion: ReferenceCriterion, book_reference: str, expected: bool) -> None:
        rule = MatchRule("r", reference=criterion, amount=AmountCriterion())
        result = reconcile([entry()], [line(reference=book_reference)], ReconcileConfig(rules=(rule,)))
        assert (len(result.matches) == 1) is expected

    def test_empty_references_never_match_each_other(self) -> None:
        rule = MatchRule("r", reference=ReferenceCriterion(), amount=AmountCriterion())
        result = reconcile([entry(reference="")], [line(reference="")], ReconcileConfig(rules=(rule,)))
        assert len(result.matches) == 0


class TestRuleValidation:
    def test_rule_needs_an_indexable_criterion(self) -> None:
        with pytest.raises(ValueError, match="index"):
            MatchRule("r", date_window=DateWindow())

    def test_amount_only_rule_must_require_same_currency(self) -> None:
        with pytest.raises(ValueError, match="currency"):
            MatchRule("r", amount=AmountCriterion(), same_currency=False)

    @pytest.mark.parametrize("strategy", [Strategy.ONE_TO_MANY, Strategy.MANY_TO_ONE])
    def test_group_strategies_need_reference_and_amount(self, strategy: Strategy) -> None:
        with pytest.raises(ValueError, match="reference groups"):
            MatchRule("r", amount=AmountCriterion(), strategy=strategy)
        with pytest.raises(ValueError, match="amount criterion"):
            MatchRule("r", reference=ReferenceCriterion(), strategy=strategy)

    def test_describe_tolerance(self) -> None:
        assert DEFAULT_RULES[1].describe_tolerance() == "amount ±1 minor unit or ±1 bps, date -2..+2 days"
        assert AmountCriterion().describe() == "exact"


class TestRuleOrder:
    def test_first_rule_that_accepts_is_reported(self) -> None:
        result = reconcile([entry(1), entry(2, reference="REF-2")], [line("L1"), line("L2", 10_001, reference="REF-2")])
        assert result.summary.matches_by_rule["reference-amount-exact (one-to-one)"] == 1
        assert result.summary.matches_by_rule["reference-amount-rounding (one-to-one)"] == 1
        assert {m.rule for m in result.matches} == {"reference-amount-exact", "reference-amount-rounding"}
        assert sorted(m.difference for m in result.matches) == [0, 1]

    def test_closest_candidate_wins(self) -> None:
        lines = [line("L-far", 10_001, booking_date=D0 + timedelta(days=1)), line("L-near", 10_001), line("L-exact")]
        rule = MatchRule(
            "r", reference=ReferenceCriterion(), amount=AmountCriterion(absolute=1), date_window=DateWindow.symmetric(2)
        )
        result = reconcile([entry()], lines, ReconcileConfig(rules=(rule,)))
        assert [m.book_line_ids for m in result.matches] == [("L-exact",)]
        assert T0.date() == D0


class TestUnreferencedBooksOnly:
    @pytest.mark.parametrize(("book_reference", "expected"), [("", True), ("OTHER-REF", False)])
    def test_amount_rule_skips_lines_that_name_another_movement(self, book_reference: str, expected: bool) -> None:
        rule = MatchRule("lost", amount=AmountCriterion(), unreferenced_books_only=True)
        result = reconcile([entry()], [line(reference=book_reference)], ReconcileConfig(rules=(rule,)))
        assert (len(result.matches) == 1) is expected
