"""Statement writers: schema validity, read-back by third-party parsers, integrity, escaping, determinism."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, time
from decimal import Decimal
from itertools import pairwise
from pathlib import Path

import mt940
import pytest

from reconciliation.entries import Direction, LedgerEntry
from reconciliation.formats import FormatError, StatementFormat, format_minor
from reconciliation.formats.common import max_text, swift_text, xml_text
from reconciliation.formats.csvfile import DETAIL_COLUMNS, SUMMARY_COLUMNS, header_cell, safe_cell
from reconciliation.formats.swift import mt_amount, wrap_narrative, write_mt940
from reconciliation.statements import Period, Statement
from reconciliation.validation import CamtValidationError, camt_errors, schema_path, validate_camt
from tests.reconciliation.data import (
    BANK_A,
    BANK_B,
    DAY,
    TRADER,
    entry,
    fixed_entries,
    fixed_statement,
    render,
)

CAMT_FORMATS = [StatementFormat.CAMT053, StatementFormat.CAMT052, StatementFormat.CAMT054]


def statement_of(entries: list[LedgerEntry], *, currency: str = "USD", opening: int = 0, **kw: object) -> Statement:
    return Statement.build(
        lambda: entries,
        account=BANK_A,
        currency=currency,
        period=Period.business_day(DAY),
        opening=opening,
        **kw,  # type: ignore[arg-type]
    )


def variants() -> dict[str, Statement]:
    """Statements covering the corners: empty, negative balances, other exponents, bilateral."""
    return {
        "fixed": fixed_statement(),
        "empty": statement_of([]),
        "negative": statement_of([entry(1, block=1, amount=700, direction=Direction.DEBIT)], opening=-12_345),
        "jpy": statement_of([entry(1, block=1, amount=1_000_000, currency="JPY")], currency="JPY"),
        "bhd": statement_of([entry(1, block=1, amount=5, currency="BHD")], currency="BHD", opening=1_234),
        "bilateral": statement_of([e for e in fixed_entries() if e.counterparty == BANK_B], counterparty=BANK_B),
    }


def write(tmp_path: Path, fmt: StatementFormat, statement: Statement) -> Path:
    path = tmp_path / f"out.{fmt.value}.{fmt.extension}"
    path.write_bytes(render(fmt, statement.header, statement.lines()))
    return path


NS = {
    "camt.053.001.08": "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08",
    "camt.052.001.08": "urn:iso:std:iso:20022:tech:xsd:camt.052.001.08",
    "camt.054.001.08": "urn:iso:std:iso:20022:tech:xsd:camt.054.001.08",
}


def signed(el: ET.Element, ns: dict[str, str]) -> Decimal:
    amount = Decimal(el.findtext("c:Amt", namespaces=ns) or "")
    return amount if el.findtext("c:CdtDbtInd", namespaces=ns) == "CRDT" else -amount


class TestCamtSchemaValidity:
    @pytest.mark.parametrize("fmt", CAMT_FORMATS, ids=lambda f: f.value)
    @pytest.mark.parametrize("name", list(variants()))
    def test_output_validates_against_the_vendored_xsd(self, tmp_path: Path, fmt: StatementFormat, name: str) -> None:
        path = write(tmp_path, fmt, variants()[name])
        assert camt_errors(path, fmt.value) == []
        validate_camt(path)  # detects the message from the namespace

    def test_vendored_schemas_are_the_documented_official_files(self) -> None:
        readme = (schema_path("camt.053.001.08").parent / "README.md").read_text(encoding="utf-8")
        for message in ("camt.052.001.08", "camt.053.001.08", "camt.054.001.08"):
            digest = hashlib.sha256(schema_path(message).read_bytes()).hexdigest()
            assert f"`{message}.xsd`" in readme and digest in readme

    def test_a_broken_document_is_reported(self, tmp_path: Path) -> None:
        path = write(tmp_path, StatementFormat.CAMT053, fixed_statement())
        path.write_bytes(path.read_bytes().replace(b"<Cd>BOOK</Cd>", b"<Cd>BOOKED</Cd>", 1))
        with pytest.raises(CamtValidationError) as info:
            validate_camt(path)
        assert info.value.errors


class TestCamt053Content:
    def parse(self, tmp_path: Path, statement: Statement) -> tuple[ET.Element, dict[str, str]]:
        path = write(tmp_path, StatementFormat.CAMT053, statement)
        ns = {"c": NS["camt.053.001.08"]}
        return ET.parse(path).getroot(), ns

    @pytest.mark.parametrize("name", list(variants()))
    def test_opening_plus_entries_equals_closing(self, tmp_path: Path, name: str) -> None:
        root, ns = self.parse(tmp_path, variants()[name])
        stmt = root.find("c:BkToCstmrStmt/c:Stmt", ns)
        assert stmt is not None
        balances = {
            b.findtext("c:Tp/c:CdOrPrtry/c:Cd", namespaces=ns): signed(b, ns) for b in stmt.findall("c:Bal", ns)
        }
        entries = [signed(n, ns) for n in stmt.findall("c:Ntry", ns)]
        assert balances["OPBD"] + sum(entries, Decimal(0)) == balances["CLBD"]
        summary = stmt.find("c:TxsSummry/c:TtlNtries", ns)
        assert summary is not None
        assert int(summary.findtext("c:NbOfNtries", namespaces=ns) or "") == len(entries)
        assert [n.findtext("c:NtryRef", namespaces=ns) for n in stmt.findall("c:Ntry", ns)] == [
            str(i) for i in range(1, len(entries) + 1)
        ]

    def test_each_entry_carries_references_and_chain_evidence(self, tmp_path: Path) -> None:
        root, ns = self.parse(tmp_path, fixed_statement())
        ntries = root.findall("c:BkToCstmrStmt/c:Stmt/c:Ntry", ns)
        for ntry, source in zip(ntries, fixed_entries(), strict=True):
            assert ntry.findtext("c:AcctSvcrRef", namespaces=ns) == str(source.entry_id)
            refs = ntry.find("c:NtryDtls/c:TxDtls/c:Refs", ns)
            assert refs is not None
            e2e = refs.findtext("c:EndToEndId", namespaces=ns) or ""
            assert e2e == (source.reference[:35] or "NOTPROVIDED")
            prtry = {
                p.findtext("c:Tp", namespaces=ns): p.findtext("c:Ref", namespaces=ns)
                for p in refs.findall("c:Prtry", ns)
            }
            assert prtry == {
                "CHAIN_ID": str(source.evidence.chain_id),
                "BLOCK_NUMBER": str(source.evidence.block_number),
                "LOG_INDEX": str(source.evidence.log_index),
            }
            info = ntry.findtext("c:AddtlNtryInf", namespaces=ns) or ""
            assert f"tx={source.evidence.tx_hash}" in info
            assert f"blockhash={source.evidence.block_hash}" in info

    def test_long_reference_is_kept_whole_in_additional_info(self, tmp_path: Path) -> None:
        root, ns = self.parse(tmp_path, fixed_statement())
        last = root.findall("c:BkToCstmrStmt/c:Stmt/c:Ntry", ns)[-1]
        extra = last.findtext("c:NtryDtls/c:TxDtls/c:AddtlTxInf", namespaces=ns)
        assert extra == "ref=" + fixed_entries()[-1].reference

    def test_markup_in_text_is_escaped(self, tmp_path: Path) -> None:
        root, ns = self.parse(tmp_path, fixed_statement())
        third = root.findall("c:BkToCstmrStmt/c:Stmt/c:Ntry", ns)[2]
        assert (
            third.findtext("c:NtryDtls/c:TxDtls/c:Refs/c:EndToEndId", namespaces=ns)
            == fixed_entries()[2].reference[:35]
        )

    def test_account_and_counterparty_addresses_are_in_proxies(self, tmp_path: Path) -> None:
        root, ns = self.parse(tmp_path, variants()["bilateral"])
        stmt = root.find("c:BkToCstmrStmt/c:Stmt", ns)
        assert stmt is not None
        assert stmt.findtext("c:Acct/c:Prxy/c:Id", namespaces=ns) == BANK_A
        assert stmt.findtext("c:RltdAcct/c:Prxy/c:Id", namespaces=ns) == BANK_B

    def test_amount_beyond_18_digits_is_refused(self) -> None:
        statement = statement_of([entry(1, block=1, amount=10**18)])
        with pytest.raises(FormatError):
            render(StatementFormat.CAMT053, statement.header, statement.lines())


class TestCamt052And054:
    def test_052_has_opening_and_interim_booked_balances(self, tmp_path: Path) -> None:
        path = write(tmp_path, StatementFormat.CAMT052, fixed_statement())
        ns = {"c": NS["camt.052.001.08"]}
        codes = [c.text for c in ET.parse(path).getroot().iterfind(".//c:Bal/c:Tp/c:CdOrPrtry/c:Cd", ns)]
        assert codes == ["OPBD", "ITBD"]

    def test_054_has_one_notification_per_movement_and_no_balances(self, tmp_path: Path) -> None:
        path = write(tmp_path, StatementFormat.CAMT054, fixed_statement())
        ns = {"c": NS["camt.054.001.08"]}
        root = ET.parse(path).getroot()
        notifications = root.findall("c:BkToCstmrDbtCdtNtfctn/c:Ntfctn", ns)
        assert [n.findtext("c:Id", namespaces=ns) for n in notifications] == [
            f"S202603020000042-{i}" for i in range(1, 6)
        ]
        assert all(len(n.findall("c:Ntry", ns)) == 1 for n in notifications)
        assert root.findall(".//c:Bal", ns) == []


class TestMt940:
    def parse(self, statement: Statement) -> tuple[str, mt940.models.Transactions]:
        text = render(StatementFormat.MT940, statement.header, statement.lines()).decode("ascii")
        return text, mt940.parse(text)

    @pytest.mark.parametrize("name", list(variants()))
    def test_mt940_package_reads_back_balances_and_entries(self, name: str) -> None:
        statement = variants()[name]
        header = statement.header
        _, parsed = self.parse(statement)
        exp = Decimal(10) ** -{"JPY": 0, "BHD": 3}.get(header.currency, 2)
        assert parsed.data["final_opening_balance"].amount.amount == header.opening * exp
        assert parsed.data["final_closing_balance"].amount.amount == header.closing * exp
        assert parsed.data["available_balance"].amount.amount == header.closing * exp
        assert parsed.data["transaction_reference"] == header.statement_id
        assert parsed.data["statement_number"] == str(header.sequence)
        lines = list(statement.lines())
        assert len(parsed.transactions) == len(lines)
        total = parsed.data["final_opening_balance"].amount.amount
        for tx, line in zip(parsed.transactions, lines, strict=True):
            assert tx.data["amount"].amount == line.entry.signed_amount * exp
            assert tx.data["bank_reference"] == str(line.entry.entry_id)
            assert tx.data["date"] == line.entry.booked_at.date()
            assert line.entry.evidence.tx_hash in tx.data["transaction_details"].replace("\n", "")
            total += tx.data["amount"].amount
        assert total == parsed.data["final_closing_balance"].amount.amount

    def test_lines_respect_swift_charset_and_lengths(self) -> None:
        text, _ = self.parse(fixed_statement())
        assert text.endswith("\r\n-\r\n")
        lines = text.split("\r\n")[:-1]
        allowed = re.compile(r"[A-Za-z0-9/\-?:().,'+ ]*")
        narrative = False
        narrative_lines = 0
        for line in lines:
            assert allowed.fullmatch(line), line
            if line.startswith(":86:"):
                narrative, narrative_lines = True, 0
            elif line.startswith(":"):
                narrative = False
            if narrative:
                narrative_lines += 1
                assert len(line.removeprefix(":86:")) <= 65
                assert narrative_lines <= 6
            elif not line.startswith(":61:"):
                assert len(line) <= 65 + 5

    def test_customer_reference_falls_back_to_nonref(self) -> None:
        _, parsed = self.parse(fixed_statement())
        assert parsed.transactions[3].data["customer_reference"] == "NONREF"


class TestCsv:
    def rows(self, statement: Statement) -> tuple[bytes, list[list[str]]]:
        data = render(StatementFormat.CSV, statement.header, statement.lines())
        return data, list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))

    def test_utf8_bom_and_fixed_headers(self) -> None:
        data, rows = self.rows(fixed_statement())
        assert data.startswith(b"\xef\xbb\xbf")
        assert rows[0] == [header_cell(en, zh) for en, zh in DETAIL_COLUMNS]
        assert rows[-2] == [header_cell(en, zh) for en, zh in SUMMARY_COLUMNS]
        assert rows[-2][0] == "对账单号(statement_id)"

    @pytest.mark.parametrize("name", list(variants()))
    def test_detail_rows_add_up_to_the_summary(self, name: str) -> None:
        _, rows = self.rows(variants()[name])
        detail_keys = [en for en, _ in DETAIL_COLUMNS]
        summary = dict(zip([en for en, _ in SUMMARY_COLUMNS], rows[-1], strict=True))
        details = [dict(zip(detail_keys, row, strict=True)) for row in rows[1:-2]]
        assert len(details) == int(summary["entry_count"])
        net = sum(
            (Decimal(d["amount"]) if d["direction"] == "CRDT" else -Decimal(d["amount"]) for d in details),
            Decimal(0),
        )
        assert Decimal(summary["opening_balance"]) + net == Decimal(summary["closing_balance"])
        debits = [Decimal(d["amount"]) for d in details if d["direction"] == "DBIT"]
        assert sum(debits, Decimal(0)) == Decimal(summary["debit_total"])
        assert [int(d["line_no"]) for d in details] == list(range(1, len(details) + 1))
        if details:
            assert details[-1]["balance_after"] == summary["closing_balance"]

    def test_formula_injection_is_neutralised(self) -> None:
        _, rows = self.rows(fixed_statement())
        reference = rows[3][[en for en, _ in DETAIL_COLUMNS].index("reference")]
        assert reference == "'" + fixed_entries()[2].reference

    @pytest.mark.parametrize(
        ("cell", "expected"),
        [
            ("=SUM(A1)", "'=SUM(A1)"),
            ("+1+2", "'+1+2"),
            ("-2+3", "'-2+3"),
            ("@cmd", "'@cmd"),
            ("\tx", "'\tx"),
            ("-12.50", "-12.50"),
            ("-7", "-7"),
            ("LC-1", "LC-1"),
            ("", ""),
        ],
    )
    def test_safe_cell(self, cell: str, expected: str) -> None:
        assert safe_cell(cell) == expected


class TestJson:
    @pytest.mark.parametrize("name", list(variants()))
    def test_document_adds_up_and_has_no_floats(self, name: str) -> None:
        statement = variants()[name]
        data = render(StatementFormat.JSON, statement.header, statement.lines())

        def no_float(value: str) -> None:
            raise AssertionError(f"float in JSON: {value}")

        doc = json.loads(data, parse_float=no_float)
        assert doc["format"] == "tradeledger.statement"
        opening = doc["summary"]["opening_balance"]["minor"]
        net = sum(e["amount"]["minor"] * (1 if e["direction"] == "CRDT" else -1) for e in doc["entries"])
        assert opening + net == doc["summary"]["closing_balance"]["minor"]
        for e in doc["entries"]:
            assert isinstance(e["entry_id"], str)
            assert format_minor(e["amount"]["minor"], statement.header.currency) == e["amount"]["amount"]


class TestDeterminism:
    @pytest.mark.parametrize("fmt", list(StatementFormat), ids=lambda f: f.value)
    def test_same_inputs_give_identical_bytes(self, fmt: StatementFormat) -> None:
        first, second = fixed_statement(), fixed_statement()
        assert render(fmt, first.header, first.lines()) == render(fmt, second.header, second.lines())

    def test_creation_time_can_be_passed_explicitly(self) -> None:
        statement = fixed_statement()
        header = statement.header
        from dataclasses import replace

        stamped = replace(header, created_at=datetime(2026, 3, 3, 0, 5, tzinfo=UTC))
        data = render(StatementFormat.CAMT053, stamped, statement.lines())
        assert b"<CreDtTm>2026-03-03T00:05:00+00:00</CreDtTm>" in data


class TestTextHelpers:
    @pytest.mark.parametrize(
        ("minor", "currency", "sep", "text"),
        [
            (0, "USD", ".", "0.00"),
            (1, "USD", ".", "0.01"),
            (-1, "USD", ".", "-0.01"),
            (12_345, "USD", ",", "123,45"),
            (100, "JPY", ".", "100"),
            (-100, "JPY", ".", "-100"),
            (5, "BHD", ".", "0.005"),
            (1_000, "BHD", ".", "1.000"),
            (10**17, "EUR", ".", "1000000000000000.00"),
        ],
    )
    def test_format_minor_is_exact(self, minor: int, currency: str, sep: str, text: str) -> None:
        assert format_minor(minor, currency, sep) == text

    @pytest.mark.parametrize(
        ("minor", "currency", "text"),
        [(0, "USD", "0,00"), (100, "JPY", "100,"), (123_456, "BHD", "123,456"), (10**13, "USD", "100000000000,00")],
    )
    def test_mt_amount(self, minor: int, currency: str, text: str) -> None:
        assert mt_amount(minor, currency) == text

    def test_mt_amount_refuses_more_than_15_characters(self) -> None:
        with pytest.raises(FormatError):
            mt_amount(10**15, "USD")

    @pytest.mark.parametrize(
        ("text", "expected"),
        [("LC_HONOUR", "LC-HONOUR"), ("Ünïcode", "Unicode"), ("a&b", "a+b"), ("融资", ".."), ("ok ()", "ok ()")],
    )
    def test_swift_text(self, text: str, expected: str) -> None:
        assert swift_text(text) == expected

    def test_wrap_never_starts_a_line_with_colon_or_dash(self) -> None:
        text = ("x" * 64 + ":") * 3 + "-" * 70
        lines = wrap_narrative(text)
        assert all(line[:1] not in ":-" for line in lines[1:])
        assert all(len(line) <= 65 for line in lines)
        assert len(lines) <= 6

    @pytest.mark.parametrize(
        ("value", "limit", "expected"),
        [("", 35, "NOTPROVIDED"), ("  a  b ", 35, "a b"), ("x" * 40, 35, "x" * 35), ("a\tb\nc", 35, "a b c")],
    )
    def test_max_text(self, value: str, limit: int, expected: str) -> None:
        assert max_text(value, limit) == expected

    def test_xml_text_escapes_and_drops_control_characters(self) -> None:
        assert xml_text('a<b>&"c"\x01') == "a&lt;b&gt;&amp;&quot;c&quot;"


class TestCutoffDates:
    def test_value_dates_follow_the_cutoff_time_zone(self, tmp_path: Path) -> None:
        from zoneinfo import ZoneInfo

        shanghai = ZoneInfo("Asia/Shanghai")
        period = Period.business_day(DAY, time(0), shanghai)
        late_utc = datetime(2026, 3, 1, 17, 0, tzinfo=UTC)  # 2026-03-02 01:00 in Shanghai
        items = [entry(1, block=1, at=late_utc, counterparty=TRADER)]
        statement = Statement.build(lambda: items, account=BANK_A, currency="USD", period=period, opening=0)
        path = write(tmp_path, StatementFormat.CAMT053, statement)
        assert b"<ValDt><Dt>2026-03-02</Dt></ValDt>" in path.read_bytes()
        assert camt_errors(path) == []


class TestMt940Pages:
    def test_long_statement_splits_into_chained_messages(self) -> None:
        statement = fixed_statement()
        buffer = io.BytesIO()
        write_mt940(buffer, statement.header, statement.lines(), max_entries_per_message=2)
        text = buffer.getvalue().decode("ascii")
        messages = [m for m in text.split("\r\n-\r\n") if m]
        assert len(messages) == 3
        assert [re.search(r":28C:(\S+)", m).group(1) for m in messages] == ["42/1", "42/2", "42/3"]  # type: ignore[union-attr]
        assert text.count(":60F:") == 1 and text.count(":62F:") == 1
        assert text.count(":60M:") == 2 and text.count(":62M:") == 2
        # each page closes with the balance the next one opens with
        for before, after in pairwise(messages):
            closing = re.search(r":62M:([^\r]*)", before).group(1)  # type: ignore[union-attr]
            assert re.search(r":60M:([^\r]*)", after).group(1) == closing  # type: ignore[union-attr]
        lines = list(statement.lines())
        assert re.search(r":62M:C\d{6}USD([\d,]+)", messages[0]).group(1) == (  # type: ignore[union-attr]
            mt_amount(lines[1].balance_after, "USD")
        )
        parsed = mt940.parse(text)
        assert len(parsed.transactions) == 5
        total = sum((t.data["amount"].amount for t in parsed.transactions), Decimal(0))
        assert Decimal(statement.header.opening) / 100 + total == Decimal(statement.header.closing) / 100

    def test_one_message_when_the_limit_is_not_reached(self) -> None:
        statement = fixed_statement()
        buffer = io.BytesIO()
        write_mt940(buffer, statement.header, statement.lines(), max_entries_per_message=5)
        assert buffer.getvalue() == render(StatementFormat.MT940, statement.header, statement.lines())

    def test_limit_must_be_positive(self) -> None:
        statement = fixed_statement()
        with pytest.raises(ValueError):
            write_mt940(io.BytesIO(), statement.header, statement.lines(), max_entries_per_message=0)
