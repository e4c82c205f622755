"""Statement building: periods and cut-offs, two-pass headers, numbering, integrity, daily chains."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from reconciliation.entries import Direction, LedgerEntry
from reconciliation.formats import StatementFormat
from reconciliation.statements import (
    IntegrityError,
    Period,
    PeriodError,
    Statement,
    StatementError,
    StatementHeader,
    Totals,
    account_identifier,
    build_header,
    daily_periods,
    daily_statements,
    iter_statements,
    plan_statements,
    statement_lines,
)
from tests.reconciliation.data import BANK_A, BANK_B, DAY, entry, fixed_entries, fixed_statement, render

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")


def at(day: date, hh: int, mm: int = 0, tz: ZoneInfo | None = None) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=tz or UTC)


class TestPeriod:
    @pytest.mark.parametrize(
        ("cutoff", "tz", "start", "end"),
        [
            (time(0), UTC, datetime(2026, 3, 2, tzinfo=UTC), datetime(2026, 3, 3, tzinfo=UTC)),
            (time(17), UTC, datetime(2026, 3, 1, 17, tzinfo=UTC), datetime(2026, 3, 2, 17, tzinfo=UTC)),
            (
                time(0),
                SHANGHAI,
                datetime(2026, 3, 1, 16, tzinfo=UTC),
                datetime(2026, 3, 2, 16, tzinfo=UTC),
            ),
            (
                time(23, 30),
                SHANGHAI,
                datetime(2026, 3, 1, 15, 30, tzinfo=UTC),
                datetime(2026, 3, 2, 15, 30, tzinfo=UTC),
            ),
        ],
        ids=["utc-midnight", "utc-17h", "shanghai-midnight", "shanghai-2330"],
    )
    def test_business_day_bounds(self, cutoff: time, tz: ZoneInfo, start: datetime, end: datetime) -> None:
        period = Period.business_day(DAY, cutoff, tz)
        assert (period.start, period.end) == (start, end)
        assert period.closing_date == DAY

    @pytest.mark.parametrize(
        ("instant", "inside"),
        [
            (datetime(2026, 3, 1, 23, 59, 59, 999999, tzinfo=UTC), False),
            (datetime(2026, 3, 2, 0, 0, tzinfo=UTC), True),
            (datetime(2026, 3, 2, 23, 59, 59, 999999, tzinfo=UTC), True),
            (datetime(2026, 3, 3, 0, 0, tzinfo=UTC), False),
        ],
        ids=["just-before", "start-inclusive", "last-microsecond", "end-exclusive"],
    )
    def test_half_open_boundaries(self, instant: datetime, inside: bool) -> None:
        assert Period.business_day(DAY).contains(instant) is inside

    def test_daily_periods_tile_across_dst_change(self) -> None:
        # US DST starts 2026-03-08: that business day is 23 hours long, and nothing is lost or doubled.
        periods = list(daily_periods(date(2026, 3, 6), date(2026, 3, 10), time(17), NEW_YORK))
        assert len(periods) == 5
        for before, after in pairwise(periods):
            assert before.end == after.start
        lengths = [p.end.astimezone(UTC) - p.start.astimezone(UTC) for p in periods]
        assert timedelta(hours=23) in lengths

    @pytest.mark.parametrize(
        ("start", "end"),
        [
            (datetime(2026, 3, 2, tzinfo=UTC), datetime(2026, 3, 2, tzinfo=UTC)),
            (datetime(2026, 3, 3, tzinfo=UTC), datetime(2026, 3, 2, tzinfo=UTC)),
            (datetime(2026, 3, 2), datetime(2026, 3, 3)),  # naive on purpose
        ],
        ids=["empty", "reversed", "naive"],
    )
    def test_invalid_periods_are_refused(self, start: datetime, end: datetime) -> None:
        with pytest.raises(PeriodError):
            Period(start, end)

    def test_reversed_day_range_is_refused(self) -> None:
        with pytest.raises(PeriodError):
            list(daily_periods(date(2026, 3, 3), date(2026, 3, 2)))


class TestHeader:
    def test_totals_and_balances_of_the_fixed_set(self) -> None:
        header = fixed_statement().header
        assert header.totals == Totals(debit_count=2, debit_sum=102_549, credit_count=3, credit_sum=4_350_001)
        assert header.opening == 100_000
        assert header.closing == 100_000 + 4_350_001 - 102_549
        assert header.entry_count == 5
        assert header.statement_id == "S202603020000042"
        assert header.created_at == datetime(2026, 3, 3, tzinfo=UTC)  # the period end, not the wall clock

    def test_account_identifier_is_reversible_base32_within_34_chars(self) -> None:
        ident = account_identifier("0xAbCdEf0123456789aBcDeF0123456789AbCdEf01")
        assert len(ident) == 32
        assert ident == account_identifier("0xabcdef0123456789abcdef0123456789abcdef01")
        assert account_identifier("NOSTRO-USD-001") == "NOSTRO-USD-001"
        with pytest.raises(StatementError):
            account_identifier("x" * 35)

    def test_sequence_must_be_positive(self) -> None:
        with pytest.raises(StatementError):
            StatementHeader(BANK_A, "USD", Period.business_day(DAY), 0, 0, Totals())

    def test_statement_id_longer_than_16_is_refused(self) -> None:
        with pytest.raises(StatementError):
            StatementHeader(BANK_A, "USD", Period.business_day(DAY), 1, 0, Totals(), statement_id="X" * 17)

    def test_unknown_currency_is_refused(self) -> None:
        with pytest.raises(ValueError, match="ISO 4217"):
            build_header([], account=BANK_A, currency="XYZ", period=Period.business_day(DAY), opening=0)


class TestLines:
    def test_lines_are_numbered_without_gaps_and_carry_running_balances(self) -> None:
        statement = fixed_statement()
        lines = list(statement.lines())
        assert [line.line_no for line in lines] == [1, 2, 3, 4, 5]
        balance = statement.header.opening
        for line in lines:
            balance += line.entry.signed_amount
            assert line.balance_after == balance
        assert lines[-1].balance_after == statement.header.closing

    def test_source_changing_between_passes_is_an_integrity_error(self) -> None:
        entries = fixed_entries()
        header = fixed_statement().header
        with pytest.raises(IntegrityError):
            list(statement_lines(header, entries[:-1]))

    @pytest.mark.parametrize(
        ("bad", "message"),
        [
            (entry(9, block=999, account=BANK_B), "account"),
            (entry(9, block=999, currency="EUR"), "EUR"),
            (entry(9, block=999, amount=0), "non-positive"),
            (entry(9, block=1), "sorted"),
            (entry(9, block=140, log=1), "sorted"),  # duplicate (block, log)
            (entry(9, block=999, at=datetime(2026, 3, 3, tzinfo=UTC)), "outside"),
        ],
        ids=["other-account", "other-currency", "zero-amount", "out-of-order", "duplicate", "after-period"],
    )
    def test_invalid_entries_are_refused_in_both_passes(self, bad: LedgerEntry, message: str) -> None:
        entries = [*fixed_entries(), bad]
        with pytest.raises(StatementError, match=message):
            build_header(entries, account=BANK_A, currency="USD", period=Period.business_day(DAY), opening=0)
        header = fixed_statement().header
        with pytest.raises(StatementError, match=message):
            list(statement_lines(header, entries))

    def test_bilateral_statement_refuses_other_counterparties(self) -> None:
        with pytest.raises(StatementError, match="counterparty"):
            build_header(
                fixed_entries(),
                account=BANK_A,
                currency="USD",
                period=Period.business_day(DAY),
                opening=0,
                counterparty=BANK_B,
            )

    def test_empty_statement_has_closing_equal_opening(self) -> None:
        statement = Statement.build(
            list, account=BANK_A, currency="USD", period=Period.business_day(DAY), opening=-5_00
        )
        assert statement.header.closing == -5_00
        assert list(statement.lines()) == []


def three_days() -> list[LedgerEntry]:
    d1, d3 = DAY, DAY + timedelta(days=2)
    return [
        entry(1, block=1, amount=500, at=at(d1, 9)),
        entry(2, block=2, amount=200, direction=Direction.DEBIT, at=at(d1, 23, 59)),
        entry(3, block=3, amount=1_000, at=at(d3, 0)),  # day 2 has no entries
        entry(4, block=4, amount=50, direction=Direction.DEBIT, at=at(d3, 12)),
    ]


class TestDailyChain:
    def plan(self) -> list[StatementHeader]:
        return plan_statements(
            three_days(),
            account=BANK_A,
            currency="USD",
            periods=list(daily_periods(DAY, DAY + timedelta(days=2))),
            opening=10_000,
            first_sequence=7,
        )

    def test_opening_is_previous_closing_and_sequences_are_gapless(self) -> None:
        headers = self.plan()
        assert [h.sequence for h in headers] == [7, 8, 9]
        assert headers[0].opening == 10_000
        for before, after in pairwise(headers):
            assert after.opening == before.closing
        assert [h.entry_count for h in headers] == [2, 0, 2]
        assert headers[1].opening == headers[1].closing == 10_300
        assert headers[-1].closing == 10_000 + 500 - 200 + 1_000 - 50

    def test_iter_statements_yields_each_days_lines_in_one_pass(self) -> None:
        headers = self.plan()
        seen = []
        for header, lines in iter_statements(headers, three_days()):
            seen.append((header.sequence, [line.entry.entry_id for line in lines]))
        assert seen == [(7, [1, 2]), (8, []), (9, [3, 4])]

    def test_unconsumed_lines_are_skipped_but_checked(self) -> None:
        headers = self.plan()
        pairs = list(iter_statements(headers, three_days()))
        assert [h.sequence for h, _ in pairs] == [7, 8, 9]

    def test_entries_after_the_last_period_are_an_error(self) -> None:
        headers = self.plan()
        late = [*three_days(), entry(5, block=5, at=at(DAY + timedelta(days=3), 1))]
        with pytest.raises(StatementError, match="after the last period"):
            for _, lines in iter_statements(headers, late):
                list(lines)

    def test_non_consecutive_periods_are_refused(self) -> None:
        periods = [Period.business_day(DAY), Period.business_day(DAY + timedelta(days=2))]
        with pytest.raises(StatementError, match="consecutive"):
            plan_statements([], account=BANK_A, currency="USD", periods=periods, opening=0)

    def test_cutoff_moves_late_entries_to_the_next_business_day(self) -> None:
        periods = list(daily_periods(DAY, DAY + timedelta(days=2), cutoff=time(17)))
        late_day_one = entry(1, block=1, at=at(DAY, 18))  # after the 17:00 cut-off of DAY
        headers = plan_statements([late_day_one], account=BANK_A, currency="USD", periods=periods, opening=0)
        assert [h.entry_count for h in headers] == [0, 1, 0]


class TestDailyStatementsFromSource:
    def test_two_passes_and_files_chain_balance_to_balance(self) -> None:
        calls = []

        def source() -> list[LedgerEntry]:
            calls.append(1)
            return three_days()

        ns = {"c": "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"}
        balances = []
        for header, lines in daily_statements(
            source,
            account=BANK_A,
            currency="USD",
            first_day=DAY,
            last_day=DAY + timedelta(days=2),
            opening=10_000,
            first_sequence=7,
        ):
            root = ET.fromstring(render(StatementFormat.CAMT053, header, lines))
            stmt = root.find("c:BkToCstmrStmt/c:Stmt", ns)
            assert stmt is not None
            seq = int(stmt.findtext("c:ElctrncSeqNb", namespaces=ns) or "")
            amounts = {
                b.findtext("c:Tp/c:CdOrPrtry/c:Cd", namespaces=ns): Decimal(b.findtext("c:Amt", namespaces=ns) or "")
                for b in stmt.findall("c:Bal", ns)
            }
            balances.append((seq, amounts["OPBD"], amounts["CLBD"]))
        assert len(calls) == 2
        assert [seq for seq, _, _ in balances] == [7, 8, 9]
        for (_, _, closing), (_, opening, _) in pairwise(balances):
            assert opening == closing
