"""The engine: strategies, no double matching, and every break category from a minimal example."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciliation.entries import LedgerEntry
from reconciliation.matching import (
    AmountCriterion,
    AmountMismatchSubtype,
    BalanceInputs,
    Break,
    BreakCategory,
    EntryStatus,
    ImportedBooks,
    MatchRule,
    ReconcileConfig,
    ReferenceCriterion,
    RunResult,
    Side,
    Strategy,
    reconcile,
)
from reconciliation.matching.books import BookLine, BookStatement, SourceLocation
from tests.reconciliation.matching.factories import CREDIT, D0, DEBIT, T0, entry, line


def only_break(result: RunResult) -> Break:
    assert len(result.breaks) == 1, result.breaks
    return result.breaks[0]


def assert_each_item_once(result: RunResult, ledger: list[LedgerEntry], books: list[BookLine]) -> None:
    """Every entry and line is in exactly one match or item-level break: never matched twice, never lost."""
    seen_entries = [i for m in result.matches for i in m.ledger_entry_ids]
    seen_lines = [i for m in result.matches for i in m.book_line_ids]
    for found in result.breaks:
        if found.category is not BreakCategory.DUPLICATE or found.rule != "duplicate-delivery":
            seen_entries.extend(found.ledger_entry_ids)
            seen_lines.extend(found.book_line_ids)
    assert sorted(seen_entries) == sorted({e.entry_id for e in ledger})
    assert sorted(seen_lines) == sorted({b.line_id for b in books})


class TestOneToOne:
    def test_exact_match_leaves_no_break(self) -> None:
        result = reconcile([entry()], [line()])
        assert [(m.ledger_entry_ids, m.book_line_ids, m.strategy) for m in result.matches] == [
            ((1,), ("L1",), Strategy.ONE_TO_ONE)
        ]
        assert result.breaks == []
        assert result.summary.matched_ledger_entries == result.summary.matched_book_lines == 1

    def test_lost_reference_matches_on_amount_and_same_day(self) -> None:
        result = reconcile([entry()], [line(reference="")])
        assert [m.rule for m in result.matches] == ["amount-same-day"]

    def test_lost_reference_a_day_late_is_not_matched(self) -> None:
        result = reconcile([entry()], [line(reference="", booking_date=D0 + timedelta(days=1))])
        assert len(result.matches) == 0
        assert sorted(b.category for b in result.breaks) == [
            BreakCategory.MISSING_IN_COUNTERPARTY,
            BreakCategory.MISSING_IN_LEDGER,
        ]


class TestGroups:
    def test_one_to_many_split(self) -> None:
        result = reconcile([entry(1, 10_000)], [line("L1", 6_000), line("L2", 4_000)])
        (match,) = list(result.matches)
        assert (match.strategy, match.ledger_entry_ids, match.book_line_ids) == (
            Strategy.ONE_TO_MANY,
            (1,),
            ("L1", "L2"),
        )
        assert result.breaks == []

    def test_one_to_many_picks_the_subset_and_leaves_the_rest(self) -> None:
        books = [line("L1", 6_000), line("L2", 4_000), line("L3", 1_500)]
        result = reconcile([entry(1, 10_000)], books)
        assert [m.book_line_ids for m in result.matches] == [("L1", "L2")]
        found = only_break(result)
        assert (found.category, found.book_line_ids) == (BreakCategory.MISSING_IN_LEDGER, ("L3",))

    def test_many_to_one_batch(self) -> None:
        ledger = [entry(1, 6_000), entry(2, 3_000), entry(3, 1_000)]
        result = reconcile(ledger, [line("L1", 10_000)])
        (match,) = list(result.matches)
        assert (match.strategy, match.ledger_entry_ids, match.book_line_ids) == (
            Strategy.MANY_TO_ONE,
            (1, 2, 3),
            ("L1",),
        )
        assert result.breaks == []

    def test_group_members_must_each_satisfy_currency_direction_and_date(self) -> None:
        books = [line("L1", 6_000), line("L2", 4_000, booking_date=D0 + timedelta(days=9))]
        result = reconcile([entry(1, 10_000)], books)
        assert len(result.matches) == 0
        assert only_break(result).category is BreakCategory.SPLIT_INCOMPLETE

    def test_group_above_max_size_is_only_tried_whole(self) -> None:
        rule = MatchRule(
            "split",
            reference=ReferenceCriterion(),
            amount=AmountCriterion(),
            strategy=Strategy.ONE_TO_MANY,
            max_group_size=3,
        )
        books = [line(f"L{i}", 1_000) for i in range(4)]
        config = ReconcileConfig(rules=(rule,))
        assert len(reconcile([entry(1, 4_000)], books, config).matches) == 1  # whole group sums
        assert len(reconcile([entry(1, 3_000)], books, config).matches) == 0  # a subset would, not searched
        assert len(reconcile([entry(1, 3_000)], [*books[:3], line("L9", 500)], config).matches) == 0
        assert len(reconcile([entry(1, 2_000)], books[:3], config).matches) == 1  # 3 lines: searched


class TestNoDoubleMatching:
    def test_two_entries_one_line(self) -> None:
        ledger = [entry(1), entry(2)]
        books = [line()]
        result = reconcile(ledger, books)
        assert len(result.matches) == 1
        found = only_break(result)
        assert (found.category, found.ledger_entry_ids, found.side) == (BreakCategory.DUPLICATE, (2,), Side.LEDGER)
        assert_each_item_once(result, ledger, books)

    def test_one_entry_two_lines(self) -> None:
        books = [line("L1"), line("L2")]
        result = reconcile([entry()], books)
        assert [m.book_line_ids for m in result.matches] == [("L1",)]
        found = only_break(result)
        assert (found.category, found.book_line_ids, found.side) == (BreakCategory.DUPLICATE, ("L2",), Side.BOOKS)
        assert_each_item_once(result, [entry()], books)

    def test_line_taken_by_one_to_one_is_not_reused_by_a_group(self) -> None:
        ledger = [entry(1, 6_000), entry(2, 10_000)]
        books = [line("L1", 6_000), line("L2", 4_000)]
        result = reconcile(ledger, books)
        assert [m.book_line_ids for m in result.matches] == [("L1",)]
        assert_each_item_once(result, ledger, books)


class TestBreakCategories:
    def test_missing_in_books(self) -> None:
        found = only_break(reconcile([entry()], []))
        assert found.category is BreakCategory.MISSING_IN_COUNTERPARTY
        assert BreakCategory["MISSING_IN_BOOKS"] is BreakCategory.MISSING_IN_COUNTERPARTY  # an alias
        assert (found.side, found.ledger_entry_ids, found.ledger_references) == (Side.BOOKS, (1,), ("REF-1",))
        assert (found.ledger_amount, found.book_amount, found.difference) == (10_000, None, -10_000)

    def test_missing_in_ledger(self) -> None:
        found = only_break(reconcile([], [line(direction=DEBIT)]))
        assert (found.category, found.side, found.book_line_ids) == (
            BreakCategory.MISSING_IN_LEDGER,
            Side.LEDGER,
            ("L1",),
        )
        assert (found.ledger_amount, found.book_amount, found.difference) == (None, -10_000, -10_000)

    @pytest.mark.parametrize(
        ("ledger_amount", "book_amount", "charges", "subtype"),
        [
            (1_000_000, 995_000, None, AmountMismatchSubtype.FEE),
            (1_000_000, 990_000, None, AmountMismatchSubtype.FEE),  # exactly the fee limit (10,000)
            (1_000_000, 989_999, None, AmountMismatchSubtype.FX),  # one beyond: proportional, FX
            (1_000_000, 950_000, 50_000, AmountMismatchSubtype.FEE),  # charges explain it
            (10_000_000, 9_700_000, None, AmountMismatchSubtype.FX),  # exactly 300 bps
            (10_000_000, 9_699_999, None, AmountMismatchSubtype.PARTIAL),  # one beyond, less
            (10_000_000, 10_300_001, None, AmountMismatchSubtype.OTHER),  # one beyond, more
            (1_000_000, 400_000, None, AmountMismatchSubtype.PARTIAL),
        ],
    )
    def test_amount_mismatch_subtypes(
        self, ledger_amount: int, book_amount: int, charges: int | None, subtype: AmountMismatchSubtype
    ) -> None:
        found = only_break(reconcile([entry(1, ledger_amount)], [line("L1", book_amount, charges=charges)]))
        assert (found.category, found.subtype, found.side) == (BreakCategory.AMOUNT_MISMATCH, subtype, Side.BOTH)
        assert (found.ledger_amount, found.book_amount) == (ledger_amount, book_amount)
        assert found.difference == book_amount - ledger_amount
        assert (found.rule, found.tolerance) == ("reference-amount-exact", "amount exact, date -2..+2 days")

    def test_amount_mismatch_on_a_debit_is_signed(self) -> None:
        found = only_break(reconcile([entry(direction=DEBIT)], [line(amount=9_000, direction=DEBIT)]))
        assert (found.ledger_amount, found.book_amount, found.difference) == (-10_000, -9_000, 1_000)

    def test_currency_mismatch(self) -> None:
        found = only_break(reconcile([entry()], [line(currency="EUR")]))
        assert (found.category, found.currency, found.book_currency, found.difference) == (
            BreakCategory.CURRENCY_MISMATCH,
            "USD",
            "EUR",
            None,
        )

    def test_duplicate_redelivery_of_a_line_id(self) -> None:
        books = [line("L1"), line("L1")]
        result = reconcile([entry()], books)
        assert len(result.matches) == 1
        found = only_break(result)
        assert (found.category, found.rule, found.book_line_ids) == (
            BreakCategory.DUPLICATE,
            "duplicate-delivery",
            ("L1",),
        )

    def test_duplicate_redelivery_of_an_entry_id(self) -> None:
        result = reconcile([entry(7), entry(7)], [line()])
        found = only_break(result)
        assert (found.category, found.side, found.ledger_entry_ids) == (BreakCategory.DUPLICATE, Side.LEDGER, (7,))

    @pytest.mark.parametrize("offset", [3, -3, 10])
    def test_timing_outside_the_date_window(self, offset: int) -> None:
        found = only_break(reconcile([entry()], [line(booking_date=D0 + timedelta(days=offset))]))
        assert (found.category, found.difference) == (BreakCategory.TIMING, 0)
        assert f"{offset:+d} days" in found.detail

    def test_timing_pending_line_is_classified_not_matched(self) -> None:
        found = only_break(reconcile([entry()], [line(status=EntryStatus.PENDING)]))
        assert found.category is BreakCategory.TIMING
        assert "pending" in found.detail

    def test_split_incomplete_one_to_many(self) -> None:
        found = only_break(reconcile([entry(1, 10_000)], [line("L1", 3_000), line("L2", 4_000)]))
        assert (found.category, found.side, found.ledger_entry_ids, found.book_line_ids) == (
            BreakCategory.SPLIT_INCOMPLETE,
            Side.BOOKS,
            (1,),
            ("L1", "L2"),
        )
        assert (found.ledger_amount, found.book_amount, found.difference) == (10_000, 7_000, -3_000)

    def test_split_incomplete_many_to_one(self) -> None:
        found = only_break(reconcile([entry(1, 3_000), entry(2, 4_000)], [line("L1", 10_000)]))
        assert (found.category, found.side, found.ledger_entry_ids) == (
            BreakCategory.SPLIT_INCOMPLETE,
            Side.LEDGER,
            (1, 2),
        )

    def test_reversal_flagged_in_the_books(self) -> None:
        books = [line("L1"), line("L2", direction=DEBIT, reversal=True, booking_date=D0 + timedelta(days=1))]
        found = only_break(reconcile([entry()], books))
        assert (found.category, found.book_line_ids) == (BreakCategory.REVERSAL_OR_RETURN, ("L2",))

    def test_reversal_unflagged_mirror_of_a_matched_line(self) -> None:
        books = [line("L1"), line("L2", direction=DEBIT)]
        found = only_break(reconcile([entry()], books))
        assert (found.category, found.book_line_ids) == (BreakCategory.REVERSAL_OR_RETURN, ("L2",))

    @pytest.mark.parametrize("kind", ["REVERSAL", "OTHER"])
    def test_reversal_in_the_ledger(self, kind: str) -> None:
        ledger = [entry(1), entry(2, direction=DEBIT, kind=kind)]
        found = only_break(reconcile(ledger, [line()]))
        assert (found.category, found.ledger_entry_ids) == (BreakCategory.REVERSAL_OR_RETURN, (2,))

    def test_opposite_direction_pair_is_a_return(self) -> None:
        found = only_break(reconcile([entry()], [line(direction=DEBIT)]))
        assert (found.category, found.side) == (BreakCategory.REVERSAL_OR_RETURN, Side.BOTH)


class TestBalanceCheck:
    def test_drift_when_opening_balances_disagree(self) -> None:
        balances = BalanceInputs(ledger_opening={"USD": 50_000}, books_opening={"USD": 50_100})
        found = only_break(reconcile([entry()], [line()], ReconcileConfig(balances=balances)))
        assert (found.category, found.currency, found.extra) == (BreakCategory.BALANCE_DRIFT, "USD", "balance:USD")
        assert (found.ledger_amount, found.book_amount, found.difference) == (60_000, 60_100, 100)

    def test_differences_explained_by_item_breaks_are_not_drift(self) -> None:
        balances = BalanceInputs(ledger_opening={"USD": 50_000}, books_opening={"USD": 50_000})
        result = reconcile([entry(1), entry(2, reference="REF-2")], [line()], ReconcileConfig(balances=balances))
        assert [b.category for b in result.breaks] == [BreakCategory.MISSING_IN_COUNTERPARTY]

    def test_declared_closing_that_the_lines_do_not_explain(self) -> None:
        balances = BalanceInputs(
            ledger_opening={"JPY": 1_000}, books_opening={"JPY": 1_000}, books_closing={"JPY": 11_001}
        )
        result = reconcile([entry(currency="JPY")], [line(currency="JPY")], ReconcileConfig(balances=balances))
        assert only_break(result).difference == 1

    def test_cutoff_leaves_later_items_out(self) -> None:
        later = T0 + timedelta(days=2)
        balances = BalanceInputs(
            ledger_opening={"USD": 0}, books_opening={"USD": 0}, books_closing={"USD": 10_000}, cutoff=D0
        )
        ledger = [entry(1), entry(2, reference="R2", booked_at=later)]
        books = [line("L1"), line("L2", reference="R2", booking_date=later.date())]
        assert reconcile(ledger, books, ReconcileConfig(balances=balances)).breaks == []


class TestSequenceCheck:
    def test_entry_id_gap(self) -> None:
        ledger = [entry(1, reference="A"), entry(2, reference="B"), entry(5, reference="C")]
        books = [line("L1", reference="A"), line("L2", reference="B"), line("L3", reference="C")]
        found = only_break(reconcile(ledger, books, ReconcileConfig(check_entry_sequence=True)))
        assert (found.category, found.extra) == (BreakCategory.SEQUENCE_GAP, "entry_id:3-4")
        assert reconcile(ledger, books).breaks == []  # off by default: one account's ids are not contiguous

    def test_statement_number_gap_from_lines(self) -> None:
        books = [line("L1", statement_number=1), line("L2", 1, reference="X", statement_number=3)]
        result = reconcile([entry()], books)
        gaps = [b for b in result.breaks if b.category is BreakCategory.SEQUENCE_GAP]
        assert [g.extra for g in gaps] == ["statement:BOOKS-1:2-2"]

    def test_statement_number_gap_from_imported_statements(self) -> None:
        statements = [BookStatement(f"S{n}", "ACC", "USD", n, None, None, SourceLocation("f", 1)) for n in (7, 8, 11)]
        result = reconcile([], ImportedBooks(lines=[], statements=statements))
        assert [b.extra for b in result.breaks] == ["statement:ACC:9-10"]


class TestBreakRecords:
    def test_ids_are_deterministic_and_unique(self) -> None:
        ledger = [entry(1), entry(2, reference="R2"), entry(3, reference="R3", currency="EUR")]
        books = [line("L9", reference="R9"), line("L3", reference="R3")]
        first = reconcile(ledger, books)
        second = reconcile(list(reversed(ledger)), list(reversed(books)))
        assert [b.break_id for b in first.breaks] == [b.break_id for b in second.breaks]
        assert len({b.break_id for b in first.breaks}) == len(first.breaks) == 4
        assert all(b.break_id.startswith("BRK-") for b in first.breaks)

    def test_summary_counts_every_category(self) -> None:
        result = reconcile([entry()], [])
        assert result.summary.breaks_by_category["MISSING_IN_COUNTERPARTY"] == 1
        assert set(result.summary.breaks_by_category) == {c.value for c in BreakCategory}
        assert sum(result.summary.breaks_by_category.values()) == 1

    def test_breaks_are_open_and_sorted_by_category(self) -> None:
        result = reconcile([entry(1, reference="A")], [line("L1", reference="B")])
        assert [b.category for b in result.breaks] == [
            BreakCategory.MISSING_IN_COUNTERPARTY,
            BreakCategory.MISSING_IN_LEDGER,
        ]
        assert {b.status.value for b in result.breaks} == {"open"}

    def test_book_line_amount_must_be_positive(self) -> None:
        with pytest.raises(ValueError, match="positive"):
            line(amount=0)
        assert CREDIT is not DEBIT and date(2026, 3, 2) == D0


class TestBalancesFromStatements:
    def test_first_opening_and_last_closing_per_currency(self) -> None:
        location = SourceLocation("f", 1)
        statements = [
            BookStatement("S2", "ACC", "USD", 2, 60_000, 70_000, location),
            BookStatement("S1", "ACC", "USD", 1, 50_000, 60_000, location),
            BookStatement("J1", "ACC", "JPY", None, 5, 6, location),
        ]
        balances = BalanceInputs.from_statements({"USD": 50_000}, statements, cutoff=D0)
        assert balances.books_opening == {"USD": 50_000, "JPY": 5}
        assert balances.books_closing == {"USD": 70_000, "JPY": 6}
        assert balances.cutoff == D0

    def test_naive_booking_times_are_refused(self) -> None:
        with pytest.raises(ValueError, match="timezone-aware"):
            reconcile([entry(booked_at=T0.replace(tzinfo=None))], [])


class TestEveryItemAccountedForOnce:
    """Property: whatever the collisions of references, amounts and dates, each entry and each line ends
    up in exactly one match or one item-level break."""

    @settings(max_examples=150, deadline=None)
    @given(
        entries=st.lists(
            st.tuples(
                st.sampled_from(["A", "B", "C", ""]),
                st.sampled_from([100, 101, 200, 300, 500]),
                st.sampled_from(["USD", "EUR"]),
                st.booleans(),
                st.integers(-3, 3),
            ),
            max_size=12,
        ),
        lines=st.lists(
            st.tuples(
                st.sampled_from(["A", "B", "C", ""]),
                st.sampled_from([100, 101, 200, 300, 500]),
                st.sampled_from(["USD", "EUR"]),
                st.booleans(),
                st.integers(-3, 3),
                st.booleans(),
            ),
            max_size=12,
        ),
    )
    def test_no_item_matched_twice_or_lost(
        self,
        entries: list[tuple[str, int, str, bool, int]],
        lines: list[tuple[str, int, str, bool, int, bool]],
    ) -> None:
        ledger = [
            entry(n + 1, amount, reference=ref, currency=ccy, direction=CREDIT if credit else DEBIT,
                  booked_at=T0 + timedelta(days=offset))
            for n, (ref, amount, ccy, credit, offset) in enumerate(entries)
        ]  # fmt: skip
        books = [
            line(f"L{n}", amount, reference=ref, currency=ccy, direction=CREDIT if credit else DEBIT,
                 booking_date=D0 + timedelta(days=offset), reversal=reversal)
            for n, (ref, amount, ccy, credit, offset, reversal) in enumerate(lines)
        ]  # fmt: skip
        result = reconcile(ledger, books)
        assert_each_item_once(result, ledger, books)
        assert len({b.break_id for b in result.breaks}) == len(result.breaks)
