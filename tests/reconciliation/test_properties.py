"""Property tests: for random ledgers, every statement adds up in every format and chains day to day."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from pathlib import Path

import mt940
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciliation.canonical import RootingLines, encode_entry, entries_root, entry_leaf_hash, mirror
from reconciliation.entries import Direction, LedgerEntry
from reconciliation.formats import StatementFormat
from reconciliation.formats.csvfile import SUMMARY_COLUMNS
from reconciliation.merkle import MerkleTree, StreamingRoot, verify_consistency
from reconciliation.statements import daily_periods, iter_statements, plan_statements
from reconciliation.validation import camt_errors
from tests.reconciliation.data import BANK_A, BANK_B, DAY, TRADER, ZERO, entry, render

CURRENCIES = {"USD": 2, "JPY": 0, "BHD": 3}
DAYS = 3


@st.composite
def ledgers(draw: st.DrawFn) -> tuple[str, int, list[LedgerEntry]]:
    """A currency, an opening balance and up to 25 sorted entries spread over DAYS days."""
    currency = draw(st.sampled_from(sorted(CURRENCIES)))
    opening = draw(st.integers(-(10**12), 10**12))
    count = draw(st.integers(0, 25))
    offsets = sorted(draw(st.lists(st.integers(0, DAYS * 86_400 - 1), min_size=count, max_size=count)))
    start = datetime.combine(DAY, datetime.min.time(), tzinfo=UTC)
    entries = []
    for i, offset in enumerate(offsets):
        entries.append(
            entry(
                i + 1,
                block=i + 1,
                log=draw(st.integers(0, 3)),
                amount=draw(st.integers(1, 10**13)),
                direction=draw(st.sampled_from([Direction.CREDIT, Direction.DEBIT])),
                counterparty=draw(st.sampled_from([BANK_B, TRADER, ZERO])),
                currency=currency,
                kind=draw(st.sampled_from(["LC_HONOUR", "FEE", "融资", "A&B<C>"])),
                reference=draw(st.text(max_size=40)),
                at=start + timedelta(seconds=offset),
            )
        )
    return currency, opening, entries


def plan(currency: str, opening: int, entries: list[LedgerEntry]):  # type: ignore[no-untyped-def]
    periods = list(daily_periods(DAY, DAY + timedelta(days=DAYS - 1)))
    return plan_statements(entries, account=BANK_A, currency=currency, periods=periods, opening=opening)


class TestBalanceIdentities:
    @settings(max_examples=80, deadline=None)
    @given(ledgers())
    def test_daily_chain_adds_up(self, ledger: tuple[str, int, list[LedgerEntry]]) -> None:
        currency, opening, entries = ledger
        headers = plan(currency, opening, entries)
        assert [h.sequence for h in headers] == list(range(1, DAYS + 1))
        assert headers[0].opening == opening
        for before, after in pairwise(headers):
            assert after.opening == before.closing
        assert headers[-1].closing == opening + sum(e.signed_amount for e in entries)
        numbered = 0
        for header, lines in iter_statements(headers, entries):
            got = list(lines)
            numbered += len(got)
            assert [line.line_no for line in got] == list(range(1, header.entry_count + 1))
            assert header.opening + sum(line.entry.signed_amount for line in got) == header.closing
            assert sum(line.entry.amount for line in got if line.entry.direction is Direction.DEBIT) == (
                header.totals.debit_sum
            )
        assert numbered == len(entries)

    @settings(max_examples=40, deadline=None)
    @given(ledgers())
    def test_csv_json_and_mt940_read_back_to_the_same_totals(self, ledger: tuple[str, int, list[LedgerEntry]]) -> None:
        currency, opening, entries = ledger
        exp = Decimal(10) ** -CURRENCIES[currency]
        for header, lines in iter_statements(plan(currency, opening, entries), entries):
            items = list(lines)
            closing = header.closing * exp
            rows = list(csv.reader(io.StringIO(render(StatementFormat.CSV, header, iter(items)).decode("utf-8-sig"))))
            summary = dict(zip([en for en, _ in SUMMARY_COLUMNS], rows[-1], strict=True))
            assert Decimal(summary["closing_balance"]) == closing
            assert len(rows) == len(items) + 3
            doc = json.loads(render(StatementFormat.JSON, header, iter(items)))
            assert doc["summary"]["closing_balance"]["minor"] == header.closing
            if abs(header.opening) < 10**12 and abs(header.closing) < 10**12:  # MT 15d limit
                parsed = mt940.parse(render(StatementFormat.MT940, header, iter(items)).decode("ascii"))
                assert parsed.data["final_closing_balance"].amount.amount == closing
                assert len(parsed.transactions) == len(items)


class TestCamtValidity:
    @settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(ledgers())
    def test_random_statements_validate(self, tmp_path: Path, ledger: tuple[str, int, list[LedgerEntry]]) -> None:
        currency, opening, entries = ledger
        headers = plan(currency, opening, entries)
        for fmt in (StatementFormat.CAMT053, StatementFormat.CAMT052, StatementFormat.CAMT054):
            header, lines = next(iter(iter_statements(headers, entries)))
            path = tmp_path / f"{fmt.value}.xml"
            path.write_bytes(render(fmt, header, lines))
            assert camt_errors(path, fmt.value) == []


class TestBilateralRoots:
    @settings(max_examples=40, deadline=None)
    @given(ledgers())
    def test_mirror_side_has_the_same_root(self, ledger: tuple[str, int, list[LedgerEntry]]) -> None:
        _, _, entries = ledger
        assert entries_root(entries) == entries_root(mirror(e) for e in entries)
        headers = plan(ledger[0], ledger[1], entries)
        for _header, lines in iter_statements(headers, entries):
            rooting = RootingLines(lines)
            items = [line.entry for line in rooting]
            assert (rooting.root, rooting.size) == entries_root(items)


class TestHistoryFrontier:
    """A history root continued from saved frontiers, cut after cut, is the one recomputed from every entry."""

    @settings(max_examples=150, deadline=None)
    @given(ledgers(), st.data())
    def test_resumed_roots_equal_the_full_recomputation(
        self, ledger: tuple[str, int, list[LedgerEntry]], data: st.DataObject
    ) -> None:
        _, _, entries = ledger
        cuts = sorted(data.draw(st.lists(st.integers(0, len(entries)), max_size=6)))
        full = MerkleTree(entry_leaf_hash(e) for e in entries)
        history, done, saved = StreamingRoot(), 0, []
        for cut in [*cuts, len(entries)]:
            for e in entries[done:cut]:
                history.add_leaf(encode_entry(e))
            done = cut
            size, stored = history.size, b"".join(history.frontier())  # what a frontier row holds
            history = StreamingRoot.resume(size, [stored[i : i + 32] for i in range(0, len(stored), 32)])
            assert (history.root(), history.size) == entries_root(entries[:cut])
            assert history.root() == full.root(cut)
            saved.append((cut, history.root()))
        for (old_size, old_root), (new_size, new_root) in pairwise(saved):
            proof = full.consistency_proof(old_size, new_size)
            assert verify_consistency(old_size, new_size, old_root, new_root, proof)
