"""CSV importer: declared mappings, exact decimals, encodings, and errors that name line and column."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest

from reconciliation.entries import Direction
from reconciliation.matching import BookImportError, CsvMapping, EntryStatus, import_csv
from reconciliation.matching._amounts import parse_minor

SIGNED = CsvMapping(
    booking_date="date",
    amount="amount",
    fixed_currency="USD",
    business_reference="e2e",
    reference="voucher",
    description="memo",
)


def read(text: str, mapping: CsvMapping = SIGNED, *, encoding: str = "utf-8") -> list:  # type: ignore[type-arg]
    return import_csv(io.BytesIO(text.encode(encoding)), mapping, name="books.csv").lines


class TestParseMinor:
    @pytest.mark.parametrize(
        ("text", "currency", "expected"),
        [
            ("0.10", "USD", 10),
            ("0.1", "USD", 10),
            ("0.2", "USD", 20),
            ("-12.5", "USD", -1_250),
            ("1500", "JPY", 1_500),
            ("1500.", "JPY", 1_500),
            ("1.234", "BHD", 1_234),
            ("1.2", "BHD", 1_200),
            ("99999999999999999.99", "USD", 9_999_999_999_999_999_999),
        ],
    )
    def test_exact(self, text: str, currency: str, expected: int) -> None:
        assert parse_minor(text, currency) == expected

    @pytest.mark.parametrize(
        ("text", "currency", "message"),
        [
            ("12.345", "USD", "more decimals than USD allows"),
            ("1500.5", "JPY", "more decimals than JPY allows"),
            ("1.2345", "BHD", "more decimals than BHD allows"),
            ("1e3", "USD", "not a decimal amount"),
            ("NaN", "USD", "not a decimal amount"),
            ("", "USD", "not a decimal amount"),
            ("12,50", "USD", "not a decimal amount"),
        ],
    )
    def test_refused(self, text: str, currency: str, message: str) -> None:
        with pytest.raises(ValueError, match=message):
            parse_minor(text, currency)

    def test_separators(self) -> None:
        assert parse_minor("1.234,56", "EUR", decimal_separator=",", thousands_separator=".") == 123_456
        assert parse_minor("1,234.56", "USD", thousands_separator=",") == 123_456


class TestMappings:
    def test_signed_amount_column_with_bom(self) -> None:
        text = "\ufeffdate,amount,e2e,voucher,memo\n2026-03-02,0.10,E2E-1,V1,fee\n2026-03-03,-1234.50,E2E-2,V2,pay\n"
        first, second = read(text)
        assert (first.amount, first.direction, first.currency) == (10, Direction.CREDIT, "USD")
        assert (second.amount, second.direction, second.booking_date) == (123_450, Direction.DEBIT, date(2026, 3, 3))
        assert (second.business_reference, second.reference, second.description) == ("E2E-2", "V2", "pay")
        assert (second.line_id, str(second.source)) == ("books.csv:3", "books.csv:3")

    def test_debit_and_credit_columns_with_currency_column(self) -> None:
        mapping = CsvMapping(booking_date="d", debit="out", credit="in", currency="ccy", line_id="id")
        text = "id,d,ccy,out,in\nA,2026-03-02,JPY,1500,\nB,2026-03-02,BHD,,1.234\n"
        a, b = read(text, mapping)
        assert (a.line_id, a.amount, a.direction, a.currency) == ("A", 1_500, Direction.DEBIT, "JPY")
        assert (b.line_id, b.amount, b.direction, b.currency) == ("B", 1_234, Direction.CREDIT, "BHD")

    def test_direction_column_day_first_dates_decimal_comma(self) -> None:
        mapping = CsvMapping(
            booking_date="Buchung",
            value_date="Valuta",
            date_format="%d.%m.%Y",
            amount="Betrag",
            direction="S/H",
            direction_values={"S": Direction.DEBIT, "H": Direction.CREDIT},
            fixed_currency="EUR",
            delimiter=";",
            decimal_separator=",",
            thousands_separator=".",
        )
        (only,) = read("Buchung;Valuta;Betrag;S/H\n02.03.2026;04.03.2026;1.234,56;S\n", mapping)
        assert (only.amount, only.direction, only.value_date) == (123_456, Direction.DEBIT, date(2026, 3, 4))

    def test_credit_is_negative_convention(self) -> None:
        mapping = CsvMapping(booking_date="date", amount="amount", fixed_currency="USD", credit_is_positive=False)
        (only,) = read("date,amount\n2026-03-02,5.00\n", mapping)
        assert only.direction is Direction.DEBIT

    def test_wechat_style_gbk_backticks_comments_and_summary(self, tmp_path: Path) -> None:
        mapping = CsvMapping(
            booking_date="交易时间",
            date_format="%Y-%m-%d %H:%M:%S",
            amount="应结订单金额",
            currency="货币种类",
            business_reference="商户订单号",
            encoding="gbk",
            stop_at="总交易单数",
        )
        text = (
            "# 微信支付账单\n"
            "交易时间,商户订单号,货币种类,应结订单金额\n"
            "`2026-03-02 10:00:00,`ORDER-1,`CNY,`5.76\n"
            "总交易单数,应结订单总金额\n"
            "`1,`5.76\n"
        )
        path = tmp_path / "wechat.csv"
        path.write_bytes(text.encode("gbk"))
        (only,) = import_csv(path, mapping).lines
        assert (only.amount, only.currency, only.business_reference) == (576, "CNY", "ORDER-1")
        assert only.source is not None and only.source.file == "wechat.csv" and only.source.line == 3

    def test_status_and_reversal_columns(self) -> None:
        mapping = CsvMapping(booking_date="d", amount="a", fixed_currency="USD", status="st", reversal="rv")
        pending, reversed_line = read("d,a,st,rv\n2026-03-02,1,PDNG,\n2026-03-02,-1,BOOKED,yes\n", mapping)
        assert (pending.status, pending.reversal) == (EntryStatus.PENDING, False)
        assert (reversed_line.status, reversed_line.reversal) == (EntryStatus.BOOKED, True)

    def test_quoted_multiline_cell_keeps_line_numbers(self) -> None:
        text = 'date,amount,e2e,voucher,memo\n2026-03-02,1.00,E1,V1,"two\nlines"\n2026-03-02,2.00,E2,V2,x\n'
        first, second = read(text)
        assert (first.line_id, second.line_id) == ("books.csv:2", "books.csv:4")


class TestMappingValidation:
    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({"amount": "a", "debit": "d", "credit": "c", "fixed_currency": "USD"}, "either an amount"),
            ({"fixed_currency": "USD"}, "either an amount"),
            ({"debit": "d", "fixed_currency": "USD"}, "together"),
            ({"debit": "d", "credit": "c", "direction": "x", "fixed_currency": "USD"}, "redundant"),
            ({"amount": "a"}, "exactly one of a currency"),
            ({"amount": "a", "currency": "c", "fixed_currency": "USD"}, "exactly one of a currency"),
            ({"amount": "a", "fixed_currency": "XXQ"}, "unknown ISO 4217"),
            ({"amount": "a", "fixed_currency": "USD", "decimal_separator": "'"}, "separator"),
        ],
    )
    def test_inconsistent_mapping_is_refused(self, kwargs: dict[str, str], message: str) -> None:
        with pytest.raises(ValueError, match=message):
            CsvMapping(booking_date="d", **kwargs)  # type: ignore[arg-type]


class TestErrors:
    @pytest.mark.parametrize(
        ("row", "field", "reason"),
        [
            ("2026-03-02,12.345,E,V,m", "amount", "more decimals than USD allows"),
            ("2026-03-02,twelve,E,V,m", "amount", "not a decimal amount"),
            ("2026-03-02,,E,V,m", "amount", "value is empty"),
            ("2026-03-02,0.00,E,V,m", "amount", "amount is zero"),
            ("02/03/2026,1.00,E,V,m", "date", "does not match date format"),
            ("2026-02-30,1.00,E,V,m", "date", "does not match date format"),
            ("2026-03-02,1.00,E,V,m,extra", "row", "the header has 5 columns"),
        ],
    )
    def test_bad_cell_names_file_line_and_field(self, row: str, field: str, reason: str) -> None:
        text = f"date,amount,e2e,voucher,memo\n2026-03-02,1.00,E0,V0,ok\n{row}\n"
        with pytest.raises(BookImportError) as caught:
            read(text)
        error = caught.value
        assert (error.file, error.line, error.field) == ("books.csv", 3, field)
        assert reason in error.reason
        assert str(error).startswith(f"books.csv, line 3, field '{field}': ")

    def test_unknown_currency_in_column(self) -> None:
        mapping = CsvMapping(booking_date="d", amount="a", currency="c")
        with pytest.raises(BookImportError, match=r"line 2, field 'c': unknown ISO 4217"):
            read("d,a,c\n2026-03-02,1,ZZZ\n", mapping)

    def test_unknown_direction_marker(self) -> None:
        mapping = CsvMapping(booking_date="d", amount="a", direction="dc", fixed_currency="USD")
        with pytest.raises(BookImportError, match=r"field 'dc': unknown credit/debit marker 'X'"):
            read("d,a,dc\n2026-03-02,1,X\n", mapping)

    def test_negative_amount_with_direction_column(self) -> None:
        mapping = CsvMapping(booking_date="d", amount="a", direction="dc", fixed_currency="USD")
        with pytest.raises(BookImportError, match="ambiguous"):
            read("d,a,dc\n2026-03-02,-1,C\n", mapping)

    @pytest.mark.parametrize(("out", "into"), [("1", "1"), ("", ""), ("-1", "")])
    def test_debit_and_credit_both_or_neither_or_negative(self, out: str, into: str) -> None:
        mapping = CsvMapping(booking_date="d", debit="out", credit="in", fixed_currency="USD")
        with pytest.raises(BookImportError, match="line 2"):
            read(f"d,out,in\n2026-03-02,{out},{into}\n", mapping)

    def test_missing_column_names_the_header_line(self) -> None:
        with pytest.raises(BookImportError) as caught:
            read("# exported\ndate,amount,e2e,voucher\n")
        assert (caught.value.line, caught.value.field) == (2, "memo")

    def test_bad_encoding_names_the_line(self) -> None:
        payload = b"date,amount,e2e,voucher,memo\n" + b"2026-03-02,1.00,E\xff,V,m\n"
        with pytest.raises(BookImportError) as caught:
            import_csv(io.BytesIO(payload), SIGNED, name="books.csv")
        assert caught.value.field == "encoding"

    def test_empty_file(self) -> None:
        with pytest.raises(BookImportError, match="no header row"):
            read("")

    def test_bad_status_and_reversal_values(self) -> None:
        mapping = CsvMapping(booking_date="d", amount="a", fixed_currency="USD", status="st", reversal="rv")
        with pytest.raises(BookImportError, match="field 'st': unknown status"):
            read("d,a,st,rv\n2026-03-02,1,MAYBE,\n", mapping)
        with pytest.raises(BookImportError, match="field 'rv'"):
            read("d,a,st,rv\n2026-03-02,1,,perhaps\n", mapping)
