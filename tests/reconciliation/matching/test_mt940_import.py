"""MT940 importer: :61:/:86: mapping, SWIFT envelopes, reversals, and errors naming line and subfield.

The `mt-940` package (dev extra) reads the same files as a second opinion on amounts, dates and marks.
"""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest

from reconciliation.entries import Direction
from reconciliation.matching import BookImportError, EntryStatus, reconcile
from reconciliation.matching.mt940_import import import_mt940
from tests.reconciliation.matching.factories import entry

STATEMENT = """\
:20:STMT-0302
:25:DE89370400440532013000
:28C:00042/001
:60F:C260301EUR1000,00
:61:2603020302C1234,56NTRFE2E-1//BANK-REF-1
:86:166?00SEPA-GUTSCHRIFT?20EREF+E2E-0001-WITH-A-LONG-REFERENCE?21SVWZ+Invoice 7
:61:260302D10,NCHGNONREF
:86:Charges March
:61:2603020303RC5,00NTRFREF-9//BANK-9
:61:260302ED7,NTRFEXPECTED
:62F:C260302EUR2219,56
-
"""


def read(text: str, name: str = "stmt.sta"):  # type: ignore[no-untyped-def]
    return import_mt940(io.BytesIO(text.encode()), name=name)


class TestMapping:
    def test_statement_lines(self) -> None:
        books = read(STATEMENT)
        credit, charge, reversal, expected = books.lines
        assert (credit.amount, credit.currency, credit.direction) == (123_456, "EUR", Direction.CREDIT)
        assert (credit.value_date, credit.booking_date) == (date(2026, 3, 2), date(2026, 3, 2))
        assert credit.business_reference == "E2E-0001-WITH-A-LONG-REFERENCE"  # from EREF+, not the 16x ref
        assert (credit.reference, credit.statement_number, credit.line_id) == ("BANK-REF-1", 42, "STMT-0302/42/001/1")
        assert credit.source is not None and (credit.source.file, credit.source.line) == ("stmt.sta", 5)
        assert (charge.amount, charge.direction, charge.business_reference, charge.description) == (
            1_000,
            Direction.DEBIT,
            "",
            "Charges March",
        )
        assert (reversal.direction, reversal.reversal, reversal.booking_date) == (
            Direction.DEBIT,
            True,
            date(2026, 3, 3),
        )
        assert (reversal.business_reference, reversal.reference) == ("REF-9", "BANK-9")
        assert (expected.status, expected.direction, expected.amount) == (EntryStatus.PENDING, Direction.DEBIT, 700)

    def test_statement_balances(self) -> None:
        (statement,) = read(STATEMENT).statements
        assert (statement.statement_id, statement.account, statement.sequence_number) == (
            "STMT-0302",
            "DE89370400440532013000",
            42,
        )
        assert (statement.currency, statement.opening_balance, statement.closing_balance) == ("EUR", 100_000, 221_956)

    def test_swift_envelope_and_several_messages(self) -> None:
        second = STATEMENT.replace("STMT-0302", "STMT-0303").replace("00042/001", "00043/001").replace("//", "//B")
        wrapped = "{1:F01BANKDEFFAXXX0000000000}{2:O9401200260302BANKDEFFXXXX00000000002603021200N}{4:\n"
        text = wrapped + STATEMENT.replace("\n-\n", "\n-}\n") + second
        books = read(text)
        assert [s.sequence_number for s in books.statements] == [42, 43]
        assert len(books.lines) == 8
        assert books.lines[0].source is not None and books.lines[0].source.line == 6

    def test_year_wrap_of_the_entry_date(self) -> None:
        text = STATEMENT.replace(":61:2603020302C1234,56", ":61:2512310101C1234,56")
        assert read(text).lines[0].booking_date == date(2026, 1, 1)

    def test_exponents(self) -> None:
        jpy = (
            STATEMENT.replace("EUR1000,00", "JPY1000,").replace("C1234,56", "C1500,").replace("EUR2219,56", "JPY2500,")
        )
        dropped = (":61:260302D", ":86:Ch", ":61:2603020303RC", ":61:260302ED")
        text = "\n".join(line for line in jpy.splitlines() if not line.startswith(dropped))
        (only,) = read(text + "\n").lines
        assert (only.amount, only.currency) == (1_500, "JPY")

    def test_agrees_with_the_mt940_package(self) -> None:
        mt940 = pytest.importorskip("mt940")
        plain = STATEMENT.replace(":61:260302ED7,NTRFEXPECTED\n", "")  # ED is MT942-only
        theirs = mt940.models.Transactions(options=mt940.Options(reversal_sign=True))  # SWIFT: RC is a debit
        theirs.parse(plain)
        ours = read(plain).lines
        assert len(theirs) == len(ours)
        for their, our in zip(theirs, ours, strict=True):
            signed = Decimal(our.signed_amount).scaleb(-2)
            assert their.data["amount"].amount == signed
            assert their.data["date"] == our.value_date

    def test_imported_lines_reconcile(self) -> None:
        books = read(STATEMENT)
        result = reconcile([entry(1, 123_456, currency="EUR", reference="E2E-0001-WITH-A-LONG-REFERENCE")], books)
        assert [m.book_line_ids for m in result.matches] == [("STMT-0302/42/001/1",)]


class TestErrors:
    @pytest.mark.parametrize(
        ("bad", "good", "field", "line", "reason"),
        [
            (":61:2603020302C1234,567NTRF", ":61:2603020302C1234,56NTRF", ":61: amount", 5, "more decimals than EUR"),
            (":61:2613020302C1234,56NTRF", ":61:2603020302C1234,56NTRF", ":61: value date", 5, "not a YYMMDD date"),
            (":61:2603021302C1234,56NTRF", ":61:2603020302C1234,56NTRF", ":61: entry date", 5, "not an MMDD date"),
            (":61:2603020302X1234,56NTRF", ":61:2603020302C1234,56NTRF", ":61: statement line", 5, "cannot read"),
            (":61:260302C0,NMSC", ":61:260302D10,NCHG", ":61: amount", 7, "must be positive"),
            (":60F:C260301EUR1000.00", ":60F:C260301EUR1000,00", ":60F: balance", 4, "expected 1!a6!n3!a15d"),
            (":60F:C260301XYZ1000,00", ":60F:C260301EUR1000,00", ":60F: amount", 4, "unknown ISO 4217"),
            (":62F:C260302USD2219,56", ":62F:C260302EUR2219,56", ":62F: currency", 11, "differs from the statement"),
            (":28C:4A", ":28C:00042/001", ":28C: statement number", 3, "expected 5n[/5n]"),
        ],
    )
    def test_bad_subfield_names_line_and_field(self, bad: str, good: str, field: str, line: int, reason: str) -> None:
        assert good in STATEMENT
        with pytest.raises(BookImportError) as caught:
            read(STATEMENT.replace(good, bad))
        assert (caught.value.file, caught.value.line, caught.value.field) == ("stmt.sta", line, field)
        assert reason in caught.value.reason

    def test_line_before_any_balance(self) -> None:
        text = STATEMENT.replace(":60F:C260301EUR1000,00\n", "")
        with pytest.raises(BookImportError, match=r"line 4, field ':61: currency'"):
            read(text)

    def test_garbage_before_the_first_tag(self) -> None:
        with pytest.raises(BookImportError, match=r"line 1, field 'tag'"):
            read("hello\n" + STATEMENT)

    def test_missing_reference(self) -> None:
        with pytest.raises(BookImportError, match=r"field ':20:'"):
            read(STATEMENT.replace(":20:STMT-0302\n", ""))

    def test_empty_file(self) -> None:
        with pytest.raises(BookImportError, match="no MT940 message"):
            read("")

    def test_bad_encoding_names_the_line(self) -> None:
        payload = STATEMENT.encode().replace(b"Charges March", b"Charges M\xe4rz")
        with pytest.raises(BookImportError) as caught:
            import_mt940(io.BytesIO(payload), name="stmt.sta")
        assert (caught.value.line, caught.value.field) == (8, "encoding")
        assert import_mt940(io.BytesIO(payload), encoding="latin-1").lines[1].description == "Charges März"
