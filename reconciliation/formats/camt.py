"""ISO 20022 camt.053 / camt.052 / camt.054 (version .001.08) writers, streaming and deterministic.

What goes where (all valid against the official XSDs vendored in `reconciliation/schemas`):

- `Acct/Id/Othr/Id`: the short account identifier (base32 of the address, scheme `EVM-B32`; see
  `account_identifier`), and `Acct/Prxy/Id` the full checksummed address (proxy type `EVM`). A bilateral
  statement names the counterparty the same way in `RltdAcct`.
- Balances: camt.053 `OPBD` (dated the opening date) and `CLBD` (the closing date); camt.052 `OPBD` and
  `ITBD` (interim booked, at the creation time); camt.054 carries none (the schema has no `Bal`).
- `TxsSummry`: counts and sums of all, credit and debit entries, and the net entry.
- Each `Ntry`: `NtryRef` = line number, `Amt` with `Ccy` and the currency's exponent, `Sts/Cd` = `BOOK`
  (a mined log is final on the consortium chain), `BookgDt/DtTm` = block time, `ValDt/Dt`,
  `AcctSvcrRef` = ledger entry id, `BkTxCd/Prtry` = posting kind (issuer `TRADELEDGER`), and the
  evidence twice: structured in `TxDtls/Refs/Prtry` (`CHAIN_ID`, `BLOCK_NUMBER`, `LOG_INDEX`; the
  66-character tx hash fits no `Max35Text`) and in full in `AddtlNtryInf`
  (`chain=… block=… log=… tx=0x… blockhash=0x… entry=… kind=…`).
- `TxDtls/Refs/EndToEndId` = business reference (cut to 35 characters; the full reference then goes to
  `AddtlTxInf`), `RltdPties` the counterparty account (debtor account of a credit, creditor account
  of a debit).

Files are byte-identical for the same inputs: no wall clock (`CreDtTm` is the header's `created_at`),
fixed element order and formatting.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta, tzinfo
from typing import Any

from reconciliation.currency import exponent
from reconciliation.entries import Direction, LedgerEntry
from reconciliation.formats.common import (
    BinaryOutput,
    ChunkedWriter,
    FormatError,
    evidence_text,
    format_minor,
    max_text,
    xml_text,
)
from reconciliation.statements.model import StatementHeader, StatementLine, account_identifier

BANK_TX_CODE_ISSUER = "TRADELEDGER"
ACCOUNT_SCHEME = "EVM-B32"
PROXY_TYPE = "EVM"


class CamtMessage(enum.StrEnum):
    """The camt messages we write, valued by their XSD namespace suffix."""

    CAMT052 = "camt.052.001.08"
    CAMT053 = "camt.053.001.08"
    CAMT054 = "camt.054.001.08"

    @property
    def namespace(self) -> str:
        """The XML namespace of the message."""
        return f"urn:iso:std:iso:20022:tech:xsd:{self.value}"


_ROOT = {
    CamtMessage.CAMT052: ("BkToCstmrAcctRpt", "Rpt", "RptPgntn", "AddtlRptInf"),
    CamtMessage.CAMT053: ("BkToCstmrStmt", "Stmt", "StmtPgntn", "AddtlStmtInf"),
    CamtMessage.CAMT054: ("BkToCstmrDbtCdtNtfctn", "Ntfctn", "NtfctnPgntn", "AddtlNtfctnInf"),
}


def _dt(value: datetime) -> str:
    return value.isoformat()


def _amount(amount: int, currency: str) -> str:
    if amount < 0 or len(str(amount)) > 18:
        raise FormatError(f"amount {amount} does not fit ISO 20022 (non-negative, 18 digits at most)")
    return format_minor(amount, currency)


def _cdt_dbt(amount: int) -> str:
    return "CRDT" if amount >= 0 else "DBIT"


def _account(tag: str, address: str, account_id: str, currency: str, indent: str) -> str:
    i = indent
    return (
        f"{i}<{tag}>\n"
        f"{i}  <Id><Othr><Id>{xml_text(account_id)}</Id><SchmeNm><Prtry>{ACCOUNT_SCHEME}</Prtry></SchmeNm>"
        f"</Othr></Id>\n"
        f"{i}  <Ccy>{currency}</Ccy>\n"
        f"{i}  <Prxy><Tp><Prtry>{PROXY_TYPE}</Prtry></Tp><Id>{xml_text(address)}</Id></Prxy>\n"
        f"{i}</{tag}>\n"
    )


def _balance(code: str, amount: int, currency: str, date_xml: str) -> str:
    return (
        "      <Bal>\n"
        f"        <Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp>\n"
        f'        <Amt Ccy="{currency}">{_amount(abs(amount), currency)}</Amt>\n'
        f"        <CdtDbtInd>{_cdt_dbt(amount)}</CdtDbtInd>\n"
        f"        <Dt>{date_xml}</Dt>\n"  # DateAndDateTime2Choice: `<Dt>` or `<DtTm>` inside
        "      </Bal>\n"
    )


def _summary(header: StatementHeader) -> str:
    t = header.totals
    c = header.currency
    return (
        "      <TxsSummry>\n"
        f"        <TtlNtries><NbOfNtries>{t.entry_count}</NbOfNtries>"
        f"<Sum>{_amount(t.credit_sum + t.debit_sum, c)}</Sum>"
        f"<TtlNetNtry><Amt>{_amount(abs(t.net), c)}</Amt><CdtDbtInd>{_cdt_dbt(t.net)}</CdtDbtInd></TtlNetNtry>"
        "</TtlNtries>\n"
        f"        <TtlCdtNtries><NbOfNtries>{t.credit_count}</NbOfNtries><Sum>{_amount(t.credit_sum, c)}</Sum>"
        "</TtlCdtNtries>\n"
        f"        <TtlDbtNtries><NbOfNtries>{t.debit_count}</NbOfNtries><Sum>{_amount(t.debit_sum, c)}</Sum>"
        "</TtlDbtNtries>\n"
        "      </TxsSummry>\n"
    )


_CREDIT = Direction.CREDIT


class _EntryRenderer:
    """Renders `Ntry` elements.

    Fragments that repeat across entries (counterparty parties, kind codes, block dates) are cached in
    small bounded dicts: at a million entries the renderer is the hot loop, and memory must stay flat.
    """

    __slots__ = ("_ccy_attr", "_currency", "_dates", "_frac_format", "_kinds", "_parties", "_scale", "_tz")

    _CACHE_LIMIT = 4096

    def __init__(self, currency: str, tz: tzinfo | None) -> None:
        self._currency = currency
        self._ccy_attr = f'<Amt Ccy="{currency}">'
        digits = exponent(currency)
        self._scale = 10**digits
        self._frac_format = f"0{digits}d"
        self._tz = tz
        self._parties: dict[tuple[str, bool], str] = {}
        self._kinds: dict[str, tuple[str, str]] = {}
        self._dates: dict[datetime, str] = {}

    def _cached(self, cache: dict[Any, Any], key: Any, make: Callable[[], Any]) -> Any:
        found = cache.get(key)
        if found is None:
            if len(cache) >= self._CACHE_LIMIT:
                cache.clear()
            found = cache[key] = make()
        return found

    def _party(self, counterparty: str, direction: Direction) -> str:
        tag = "DbtrAcct" if direction is Direction.CREDIT else "CdtrAcct"
        return (
            f"            <RltdPties><{tag}><Id><Othr><Id>{xml_text(account_identifier(counterparty))}</Id>"
            f"<SchmeNm><Prtry>{ACCOUNT_SCHEME}</Prtry></SchmeNm></Othr></Id>"
            f"<Prxy><Tp><Prtry>{PROXY_TYPE}</Prtry></Tp><Id>{xml_text(counterparty)}</Id></Prxy></{tag}>"
            "</RltdPties>\n"
        )

    @staticmethod
    def _kind(kind: str) -> tuple[str, str]:
        """(the `BkTxCd` element, the kind as escaped text for `AddtlNtryInf`)."""
        code = xml_text(max_text(kind, 35))
        fragment = f"        <BkTxCd><Prtry><Cd>{code}</Cd><Issr>{BANK_TX_CODE_ISSUER}</Issr></Prtry></BkTxCd>\n"
        return fragment, xml_text(kind)

    def _booking_dates(self, booked_at: datetime) -> str:
        return (
            f"        <BookgDt><DtTm>{_dt(booked_at)}</DtTm></BookgDt>\n"
            f"        <ValDt><Dt>{booked_at.astimezone(self._tz).date().isoformat()}</Dt></ValDt>\n"
        )

    @staticmethod
    def _evidence(e: LedgerEntry, kind_text: str) -> str:
        """`evidence_text` as XML; skips the generic escaping when the hashes are plain 0x-hex."""
        ev = e.evidence
        tx, block = ev.tx_hash, ev.block_hash
        if len(tx) <= 66 and len(block) <= 66 and len(kind_text) <= 200 and tx.isalnum() and block.isalnum():
            return (
                f"chain={ev.chain_id} block={ev.block_number} log={ev.log_index} tx={tx} "
                f"blockhash={block} entry={e.entry_id} kind={kind_text}"
            )
        return xml_text(max_text(evidence_text(e), 500))

    def render(self, line: StatementLine) -> str:
        e = line.entry
        ev = e.evidence
        minor = e.amount
        if minor < 0 or minor >= 10**18:
            raise FormatError(f"amount {minor} does not fit ISO 20022 (non-negative, 18 digits at most)")
        if self._scale == 1:
            amount = str(minor)
        else:
            whole, frac = divmod(minor, self._scale)
            amount = f"{whole}.{frac:{self._frac_format}}"
        entry_id = str(e.entry_id)
        if len(entry_id) > 35:
            raise FormatError(f"entry id {entry_id} is longer than 35 characters (AcctSvcrRef)")
        raw_reference = e.reference
        reference = max_text(raw_reference, 35)
        extra = ""
        if reference != raw_reference:
            full_reference = " ".join(raw_reference.split())
            if full_reference and reference != full_reference:
                extra = f"            <AddtlTxInf>{xml_text(max_text('ref=' + full_reference, 500))}</AddtlTxInf>\n"
        is_credit = e.direction is _CREDIT
        indicator = "CRDT" if is_credit else "DBIT"
        dates = self._dates.get(e.booked_at) or self._cached(
            self._dates, e.booked_at, lambda: self._booking_dates(e.booked_at)
        )
        kind, kind_text = self._kinds.get(e.kind) or self._cached(self._kinds, e.kind, lambda: self._kind(e.kind))
        party_key = (e.counterparty, is_credit)
        party = self._parties.get(party_key) or self._cached(
            self._parties, party_key, lambda: self._party(e.counterparty, e.direction)
        )
        amt = self._ccy_attr + amount
        return (
            f"      <Ntry>\n"
            f"        <NtryRef>{line.line_no}</NtryRef>\n"
            f"        {amt}</Amt>\n"
            f"        <CdtDbtInd>{indicator}</CdtDbtInd>\n"
            "        <Sts><Cd>BOOK</Cd></Sts>\n"
            f"{dates}"
            f"        <AcctSvcrRef>{entry_id}</AcctSvcrRef>\n"
            f"{kind}"
            "        <NtryDtls>\n"
            "          <TxDtls>\n"
            "            <Refs>\n"
            f"              <AcctSvcrRef>{entry_id}</AcctSvcrRef>\n"
            f"              <EndToEndId>{xml_text(reference)}</EndToEndId>\n"
            f"              <Prtry><Tp>CHAIN_ID</Tp><Ref>{ev.chain_id}</Ref></Prtry>\n"
            f"              <Prtry><Tp>BLOCK_NUMBER</Tp><Ref>{ev.block_number}</Ref></Prtry>\n"
            f"              <Prtry><Tp>LOG_INDEX</Tp><Ref>{ev.log_index}</Ref></Prtry>\n"
            "            </Refs>\n"
            f"            {amt}</Amt>\n"
            f"            <CdtDbtInd>{indicator}</CdtDbtInd>\n"
            f"{party}"
            f"{extra}"
            "          </TxDtls>\n"
            "        </NtryDtls>\n"
            f"        <AddtlNtryInf>{self._evidence(e, kind_text)}</AddtlNtryInf>\n"
            "      </Ntry>\n"
        )


def _message_id(header: StatementHeader, message: CamtMessage) -> str:
    """A message id unique per account, message type and statement (`Max35Text`)."""
    return f"{header.account_id[:12]}{message.value[5:8]}{header.statement_id}"[:35]


def _group_header(out: ChunkedWriter, header: StatementHeader, message: CamtMessage) -> None:
    root = _ROOT[message][0]
    out.write(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<Document xmlns="{message.namespace}">\n'
        f"  <{root}>\n"
        "    <GrpHdr>\n"
        f"      <MsgId>{xml_text(_message_id(header, message))}</MsgId>\n"
        f"      <CreDtTm>{_dt(header.created_at)}</CreDtTm>\n"
        "    </GrpHdr>\n"
    )


def _report_head(
    header: StatementHeader, message: CamtMessage, report_id: str, sequence: int | None, created: datetime
) -> str:
    _, tag, pagination, _ = _ROOT[message]
    period = header.period
    head = (
        f"    <{tag}>\n"
        f"      <Id>{xml_text(report_id)}</Id>\n"
        f"      <{pagination}><PgNb>1</PgNb><LastPgInd>true</LastPgInd></{pagination}>\n"
        + (
            f"      <ElctrncSeqNb>{sequence}</ElctrncSeqNb>\n      <LglSeqNb>{sequence}</LglSeqNb>\n"
            if sequence
            else ""
        )
        + f"      <CreDtTm>{_dt(created)}</CreDtTm>\n"
        f"      <FrToDt><FrDtTm>{_dt(period.start)}</FrDtTm>"
        f"<ToDtTm>{_dt(period.end - timedelta(microseconds=1))}</ToDtTm></FrToDt>\n"
    )
    head += _account("Acct", header.account, header.account_id, header.currency, "      ")
    if header.counterparty is not None:
        head += _account(
            "RltdAcct",
            header.counterparty,
            account_identifier(header.counterparty),
            header.currency,
            "      ",
        )
    return head


def _additional_info(header: StatementHeader) -> str:
    scope = f" counterparty={header.counterparty}" if header.counterparty else ""
    return (
        f"account={header.account}{scope} currency={header.currency} "
        f"period=[{_dt(header.period.start)},{_dt(header.period.end)}) statement={header.statement_id} "
        f"sequence={header.sequence} entries={header.entry_count}"
    )


def write_camt053(out: BinaryOutput, header: StatementHeader, lines: Iterable[StatementLine]) -> None:
    """Write a camt.053.001.08 end-of-period statement (OPBD/CLBD balances), streaming.

    Args:
        out: binary file-like object (written in ~1 MiB chunks, not closed).
        header: the statement header from pass one.
        lines: the statement lines from pass two (consumed once).

    Raises:
        FormatError: a value does not fit the schema (e.g. an amount of more than 18 digits).
        IntegrityError: the lines do not add up to the header (raised after the last entry).
    """
    _write_report(out, header, lines, CamtMessage.CAMT053)


def write_camt052(out: BinaryOutput, header: StatementHeader, lines: Iterable[StatementLine]) -> None:
    """Write a camt.052.001.08 intraday account report (OPBD and ITBD at `header.created_at`).

    For an intraday report build the header over a period ending at the report time.
    """
    _write_report(out, header, lines, CamtMessage.CAMT052)


def _write_report(
    out: BinaryOutput, header: StatementHeader, lines: Iterable[StatementLine], message: CamtMessage
) -> None:
    root, tag, _, info_tag = _ROOT[message]
    writer = ChunkedWriter(out)
    _group_header(writer, header, message)
    head = _report_head(header, message, header.statement_id, header.sequence, header.created_at)
    opening_date = f"<Dt>{header.period.opening_date.isoformat()}</Dt>"
    head += _balance("OPBD", header.opening, header.currency, opening_date)
    if message is CamtMessage.CAMT053:
        closing_date = f"<Dt>{header.period.closing_date.isoformat()}</Dt>"
        head += _balance("CLBD", header.closing, header.currency, closing_date)
    else:
        head += _balance("ITBD", header.closing, header.currency, f"<DtTm>{_dt(header.created_at)}</DtTm>")
    head += _summary(header)
    writer.write(head)
    render = _EntryRenderer(header.currency, header.period.start.tzinfo).render
    batch: list[str] = []
    for line in lines:  # batches of entries per write call: fewer calls in the hot loop
        batch.append(render(line))
        if len(batch) == 256:
            writer.write("".join(batch))
            batch.clear()
    writer.write("".join(batch))
    writer.write(
        f"      <{info_tag}>{xml_text(max_text(_additional_info(header), 500))}</{info_tag}>\n"
        f"    </{tag}>\n"
        f"  </{root}>\n"
        "</Document>\n"
    )
    writer.flush()


def write_camt054(out: BinaryOutput, header: StatementHeader, lines: Iterable[StatementLine]) -> None:
    """Write camt.054.001.08 debit/credit notifications: one `Ntfctn` per movement, one document.

    Each notification is identified `<statement id>-<line no>` and dated by the block time (it carries
    no electronic sequence number: those number statements), so a real-time feed can emit one document
    per entry (pass a single line) and a daily batch all of them. With no lines, one notification
    without entries says so (the schema needs at least one `Ntfctn`).
    """
    message = CamtMessage.CAMT054
    root, tag, _, info_tag = _ROOT[message]
    writer = ChunkedWriter(out)
    _group_header(writer, header, message)
    renderer = _EntryRenderer(header.currency, header.period.start.tzinfo)
    written = 0
    for line in lines:
        writer.write(_report_head(header, message, f"{header.statement_id}-{line.line_no}", None, line.entry.booked_at))
        writer.write(renderer.render(line))
        info = f"entry={line.entry.entry_id} balance_after={format_minor(line.balance_after, header.currency)}"
        writer.write(f"      <{info_tag}>{xml_text(info)}</{info_tag}>\n    </{tag}>\n")
        written += 1
    if not written:  # the schema needs at least one Ntfctn: say "nothing moved" explicitly
        writer.write(_report_head(header, message, header.statement_id, header.sequence, header.created_at))
        info = f"no movements; {_additional_info(header)}"
        writer.write(f"      <{info_tag}>{xml_text(max_text(info, 500))}</{info_tag}>\n    </{tag}>\n")
    writer.write(f"  </{root}>\n</Document>\n")
    writer.flush()
