"""camt.053 importer: streaming, field mapping, and errors that name line and element."""

from __future__ import annotations

import io
import tracemalloc
from datetime import date

import pytest

from reconciliation.entries import Direction
from reconciliation.matching import (
    BalanceInputs,
    BookImportError,
    BreakCategory,
    EntryStatus,
    ReconcileConfig,
    reconcile,
)
from reconciliation.matching.camt_import import import_camt053
from tests.reconciliation.matching.factories import entry

NS = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"

ENTRY = """\
      <Ntry>
        <Amt Ccy="{ccy}">{amount}</Amt>
        <CdtDbtInd>{cd}</CdtDbtInd>{extra}
        <Sts><Cd>{status}</Cd></Sts>
        <BookgDt><Dt>2026-03-02</Dt></BookgDt>
        <ValDt><DtTm>2026-03-03T09:00:00Z</DtTm></ValDt>
        <AcctSvcrRef>{svcr}</AcctSvcrRef>
        <BkTxCd/>
        <NtryDtls><TxDtls><Refs><EndToEndId>{e2e}</EndToEndId></Refs>
          <RmtInf><Ustrd>Invoice {svcr}</Ustrd></RmtInf></TxDtls></NtryDtls>
      </Ntry>
"""


def entry_xml(
    amount: str = "1234.56",
    *,
    ccy: str = "USD",
    cd: str = "CRDT",
    status: str = "BOOK",
    svcr: str = "S-1",
    e2e: str = "E2E-1",
    extra: str = "",
) -> str:
    return ENTRY.format(amount=amount, ccy=ccy, cd=cd, status=status, svcr=svcr, e2e=e2e, extra=extra)


def document(entries: str, *, seq: int = 42, opening: str = "1000.00", closing: str = "2234.56") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="{NS}">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>MSG-1</MsgId><CreDtTm>2026-03-03T06:00:00Z</CreDtTm></GrpHdr>
    <Stmt>
      <Id>STMT-1</Id>
      <ElctrncSeqNb>{seq}</ElctrncSeqNb>
      <Acct><Id><IBAN>DE89370400440532013000</IBAN></Id></Acct>
      <Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="USD">{opening}</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-03-01</Dt></Dt></Bal>
      <Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="USD">{closing}</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-03-02</Dt></Dt></Bal>
{entries}    </Stmt>
  </BkToCstmrStmt>
</Document>
""".encode()


def read(payload: bytes):  # type: ignore[no-untyped-def]
    return import_camt053(io.BytesIO(payload), name="stmt.xml")


class TestMapping:
    def test_entry_fields(self) -> None:
        books = read(document(entry_xml()))
        (line,) = books.lines
        assert (line.amount, line.currency, line.direction) == (123_456, "USD", Direction.CREDIT)
        assert (line.booking_date, line.value_date) == (date(2026, 3, 2), date(2026, 3, 3))
        assert (line.reference, line.business_reference) == ("S-1", "E2E-1")
        assert (line.account, line.statement_number, line.line_id) == ("DE89370400440532013000", 42, "STMT-1/1")
        assert (line.status, line.reversal, line.description) == (EntryStatus.BOOKED, False, "Invoice S-1")
        assert line.source is not None and (line.source.file, line.source.line) == ("stmt.xml", 13)

    def test_statement_balances_and_sequence(self) -> None:
        (statement,) = read(document(entry_xml())).statements
        assert (statement.statement_id, statement.sequence_number, statement.currency) == ("STMT-1", 42, "USD")
        assert (statement.opening_balance, statement.closing_balance) == (100_000, 223_456)

    def test_debit_reversal_pending_charges_and_exponents(self) -> None:
        charges = '\n        <Chrgs><TtlChrgsAndTaxAmt Ccy="BHD">0.250</TtlChrgsAndTaxAmt></Chrgs>'
        entries = entry_xml(
            "1.234", ccy="BHD", cd="DBIT", extra="\n        <RvslInd>true</RvslInd>" + charges, svcr="S-2"
        ) + entry_xml("1500", ccy="JPY", status="PDNG", e2e="NOTPROVIDED", svcr="S-3")
        bhd, jpy = read(document(entries)).lines
        assert (bhd.amount, bhd.direction, bhd.reversal, bhd.charges) == (1_234, Direction.DEBIT, True, 250)
        assert (jpy.amount, jpy.status, jpy.business_reference, jpy.line_id) == (
            1_500,
            EntryStatus.PENDING,
            "",
            "STMT-1/2",
        )

    def test_version_02_status_and_no_namespace(self) -> None:
        payload = document(entry_xml()).replace(b"<Sts><Cd>BOOK</Cd></Sts>", b"<Sts>BOOK</Sts>")
        payload = payload.replace(f' xmlns="{NS}"'.encode(), b"")
        assert read(payload).lines[0].status is EntryStatus.BOOKED

    def test_imported_lines_reconcile(self) -> None:
        books = read(document(entry_xml()))
        result = reconcile([entry(1, 123_456, reference="E2E-1")], books)
        assert len(result.matches) == 1 and result.breaks == []


class TestStreaming:
    def test_entries_are_dropped_once_read(self) -> None:
        count = 1_000
        payload = document("".join(entry_xml(svcr=f"S-{n}", e2e=f"E-{n}") for n in range(count)))
        tracemalloc.start()
        books = import_camt053(io.BytesIO(payload))
        retained, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert len(books.lines) == count
        # a whole tree of 1,000 entries would add megabytes above what the result itself retains
        assert peak - retained < 512 * 1024


class TestErrors:
    @pytest.mark.parametrize(
        ("entries", "field", "reason", "line"),
        [
            (entry_xml("12.345"), "Ntry/Amt", "more decimals than USD allows", 14),
            (entry_xml("-5.00"), "Ntry/Amt", "must be positive", 13),
            (entry_xml("5,00"), "Ntry/Amt", "not a decimal amount", 14),
            (entry_xml("0.00"), "Ntry/Amt", "must be positive", 13),
            (entry_xml(ccy="XYZ"), "Ntry/Amt", "unknown ISO 4217", 14),
            (entry_xml(cd="CR"), "Ntry/CdtDbtInd", "expected CRDT or DBIT", 15),
            (entry_xml(status="DONE"), "Ntry/Sts", "unknown entry status", 13),
        ],
    )
    def test_bad_field_names_line_and_element(self, entries: str, field: str, reason: str, line: int) -> None:
        with pytest.raises(BookImportError) as caught:
            read(document(entries))
        assert (caught.value.file, caught.value.field, caught.value.line) == ("stmt.xml", field, line)
        assert reason in caught.value.reason

    def test_bad_date(self) -> None:
        payload = document(entry_xml()).replace(b"<Dt>2026-03-02</Dt></BookgDt>", b"<Dt>02.03.2026</Dt></BookgDt>")
        with pytest.raises(BookImportError, match=r"line 17, field 'Ntry/BookgDt': '02.03.2026' is not an ISO date"):
            read(payload)

    def test_malformed_xml(self) -> None:
        with pytest.raises(BookImportError) as caught:
            read(document(entry_xml()).replace(b"</Ntry>", b"</Ntri>"))
        assert (caught.value.field, caught.value.line) == ("xml", 23)

    def test_doctype_is_refused(self) -> None:
        payload = b'<?xml version="1.0"?>\n<!DOCTYPE lol [<!ENTITY a "aaaa">]>\n<Document/>'
        with pytest.raises(BookImportError, match="DTDs are not accepted"):
            read(payload)

    def test_no_statement(self) -> None:
        with pytest.raises(BookImportError, match="no complete Stmt"):
            read(b"<Document><BkToCstmrStmt/></Document>")


class TestBalanceDriftFromAStatement:
    def test_declared_closing_checked_against_the_ledger(self) -> None:
        books = read(document(entry_xml(), opening="1000.00", closing="2234.57"))
        balances = BalanceInputs.from_statements({"USD": 100_000}, books.statements)
        result = reconcile([entry(1, 123_456, reference="E2E-1")], books, ReconcileConfig(balances=balances))
        (drift,) = result.breaks
        assert (drift.category, drift.difference, drift.book_amount) == (BreakCategory.BALANCE_DRIFT, 1, 223_457)
