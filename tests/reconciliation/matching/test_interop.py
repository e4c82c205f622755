"""Our importers read our own statement writers' golden files back, and the books reconcile to the ledger.

The golden files (tests/reconciliation/golden) are what `reconciliation.formats` writes for the fixed
data set of tests/reconciliation/data.py; reading them back proves the two halves speak the same format,
and pins what each format loses (MT940's 16x references and SWIFT character set).
"""

from __future__ import annotations

from pathlib import Path

from reconciliation.entries import Direction
from reconciliation.matching import (
    BalanceInputs,
    BreakCategory,
    CsvMapping,
    ReconcileConfig,
    import_csv,
    reconcile,
)
from reconciliation.matching.camt_import import import_camt053
from reconciliation.matching.mt940_import import import_mt940
from tests.reconciliation.data import fixed_entries

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
OPENING = {"USD": 100_000}


class TestOwnCamt053:
    def test_every_entry_matches_and_the_balances_agree(self) -> None:
        books = import_camt053(GOLDEN / "statement.camt053.xml")
        assert [line.reference for line in books.lines] == ["1", "2", "3", "4", "5"]  # AcctSvcrRef = entry id
        assert books.lines[4].business_reference == "A-very-long-business-reference-that-exceeds-35-characters-0042"
        assert books.lines[3].business_reference == ""  # NOTPROVIDED
        balances = BalanceInputs.from_statements(OPENING, books.statements)
        result = reconcile(fixed_entries(), books, ReconcileConfig(balances=balances))
        assert result.breaks == []
        assert result.summary.matched_ledger_entries == 5
        assert result.summary.matches_by_rule["amount-same-day (one-to-one)"] == 1  # the issuance, no reference


class TestOwnMt940:
    def test_lossy_references_are_the_only_breaks(self) -> None:
        books = import_mt940(GOLDEN / "statement.mt940.sta")
        references = [line.business_reference for line in books.lines]
        assert references[0] == "LC-2026-0001"
        assert references[1] == "FEE/0001"  # a "/" inside the reference survives the codeword split
        assert references[3] == ""  # NOTPROVIDED
        assert references[4] == "A-very-long-business-reference-that-exceeds-35-characters-0042"  # rewrapped
        assert [line.direction for line in books.lines][:3] == [Direction.CREDIT, Direction.DEBIT, Direction.DEBIT]
        balances = BalanceInputs.from_statements(OPENING, books.statements)
        result = reconcile(fixed_entries(), books, ReconcileConfig(balances=balances))
        # entry 3's reference is outside the SWIFT X character set, so MT940 cannot carry it
        assert sorted((b.category, b.ledger_entry_ids, b.book_line_ids) for b in result.breaks) == [
            (BreakCategory.MISSING_IN_COUNTERPARTY, (3,), ()),
            (BreakCategory.MISSING_IN_LEDGER, (), (books.lines[2].line_id,)),
        ]


class TestOwnCsv:
    def test_every_entry_matches(self) -> None:
        mapping = CsvMapping(
            line_id="分录号(entry_id)",
            booking_date="记账时间(booked_at)",
            date_format="%Y-%m-%dT%H:%M:%S%z",
            value_date="起息日(value_date)",
            value_date_format="%Y-%m-%d",
            amount="金额(amount)",
            direction="借贷标志(direction)",
            currency="币种(currency)",
            business_reference="业务参考号(reference)",
            description="业务类型(kind)",
            strip_chars="\t '",  # the writer guards formula-like cells with a leading apostrophe
            stop_at="对账单号(statement_id)",  # the summary block follows the detail rows
        )
        books = import_csv(GOLDEN / "statement.csv", mapping)
        assert [line.line_id for line in books.lines] == ["1", "2", "3", "4", "5"]
        result = reconcile(fixed_entries(), books)
        assert result.breaks == []
        assert len(result.matches) == 5
