"""SWIFT MT940 customer statement writer (block 4 text, CRLF lines, SWIFT X character set).

Field mapping:

- `:20:` statement id (16x); `:25:` short account identifier (35x, see `account_identifier`);
  `:28C:` statement number (sequence modulo 100000, as statement numbers roll over) `/1`.
- `:60F:` opening booked balance (opening date), `:62F:` closing booked balance and `:64:` closing
  available balance (closing date). Available equals booked: a mined entry is final, nothing is held.
- per entry `:61:` value date YYMMDD, entry date MMDD, `C`/`D`, amount with decimal comma, type `NTRF`,
  customer reference = business reference (16x, `NONREF` if empty), `//` + ledger entry id (16x),
  then the posting kind as supplementary details (34x) on a second line;
- per entry `:86:` (up to 6 lines of 65x) the full evidence as `/`-separated codewords:
  `/EREF/<reference>/KIND/<kind>/ENTRY/<entry id>/CPTY/<counterparty>/CHAIN/<id>/BLOCK/<n>/LOG/<i>/TX/<hash>`.

Text outside the X character set is mapped (`swift_text`), and no continuation line starts with `:` or
`-` (which would read as a new tag or the end of the message).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from reconciliation.entries import Direction
from reconciliation.formats.common import BinaryOutput, ChunkedWriter, FormatError, format_minor, swift_text
from reconciliation.statements.model import StatementHeader, StatementLine

LINE_LENGTH = 65
MAX_NARRATIVE_LINES = 6
CRLF = "\r\n"
FIRST_DAY, LAST_DAY = date(1980, 1, 1), date(2079, 12, 31)
"""The days a YYMMDD date states unambiguously, read as `mt_year` reads the two-digit year."""


def mt_year(yy: int) -> int:
    """The year of a YYMMDD date's two digits: 80-99 are 1980-1999, 00-79 are 2000-2079 (the usual pivot)."""
    return 2000 + yy if yy < 80 else 1900 + yy


def mt_amount(amount: int, currency: str) -> str:
    """MT amount (`15d`): digits with a mandatory decimal comma, e.g. `123,45`, `100,` for JPY."""
    text = format_minor(amount, currency, ",")
    if "," not in text:
        text += ","
    if amount < 0 or len(text) > 15:
        raise FormatError(f"amount {amount} {currency} does not fit MT 15d")
    return text


def _balance(tag: str, amount: int, currency: str, day: date) -> str:
    mark = "C" if amount >= 0 else "D"
    return f":{tag}:{mark}{day:%y%m%d}{currency}{mt_amount(abs(amount), currency)}{CRLF}"


def wrap_narrative(text: str, width: int = LINE_LENGTH, max_lines: int = MAX_NARRATIVE_LINES) -> list[str]:
    """Split `text` into at most `max_lines` lines of `width`; text beyond that is cut.

    A continuation line that would start with `:` (read as a new tag) or `-` (read as the end of the
    message) gets a leading space instead. The first line follows the tag, so it needs no such care.
    """
    lines: list[str] = []
    rest = text
    while rest and len(lines) < max_lines:
        prefix = " " if lines and rest[0] in ":-" else ""
        cut = width - len(prefix)
        lines.append(prefix + rest[:cut])
        rest = rest[cut:]
    return lines


def _reference16(value: str, fallback: str = "NONREF") -> str:
    text = swift_text(" ".join(value.split())).replace("//", "-/")
    return text[:16].rstrip(" /") or fallback  # no trailing "/" that would merge into the "//" separator


def _statement_line(line: StatementLine, currency: str, tz_date: date) -> str:
    e = line.entry
    ev = e.evidence
    mark = "C" if e.direction is Direction.CREDIT else "D"
    entry_id = str(e.entry_id)
    if len(entry_id) > 16:
        raise FormatError(f"entry id {entry_id} does not fit the MT940 bank reference (16x)")
    supplementary = swift_text(e.kind)[:34]
    narrative = swift_text(
        f"/EREF/{' '.join(e.reference.split()) or 'NOTPROVIDED'}/KIND/{e.kind}/ENTRY/{entry_id}"
        f"/CPTY/{e.counterparty}/CHAIN/{ev.chain_id}/BLOCK/{ev.block_number}/LOG/{ev.log_index}/TX/{ev.tx_hash}"
    )
    text = (
        f":61:{tz_date:%y%m%d%m%d}{mark}{mt_amount(e.amount, currency)}NTRF"
        f"{_reference16(e.reference)}//{entry_id}{CRLF}"
    )
    if supplementary:
        text += supplementary + CRLF
    return text + ":86:" + CRLF.join(wrap_narrative(narrative)) + CRLF


def write_mt940(
    out: BinaryOutput,
    header: StatementHeader,
    lines: Iterable[StatementLine],
    *,
    max_entries_per_message: int | None = None,
) -> None:
    """Write the statement as MT940, streaming (ASCII, CRLF, each message terminated by `-`).

    Args:
        out: binary file-like object.
        header: the statement header from pass one.
        lines: the statement lines from pass two.
        max_entries_per_message: split the statement into several messages (pages `:28C:n/1`, `n/2`…)
            of at most this many entries, as banks do for long statements: every page but the first opens
            with the intermediate balance `:60M:` and every page but the last closes with `:62M:`. None:
            one message.

    Raises:
        FormatError: an amount or id does not fit its MT field, or more than 99999 pages are needed.
        IntegrityError: the lines do not add up to the header (raised after the last entry).
    """
    if max_entries_per_message is not None and max_entries_per_message < 1:
        raise ValueError("max_entries_per_message must be at least 1")
    writer = ChunkedWriter(out, encoding="ascii")
    currency = header.currency
    tz = header.period.start.tzinfo
    statement_number = header.sequence % 100000

    def opening(page: int, balance: int, day: date) -> str:
        if page > 99999:
            raise FormatError("an MT940 statement has at most 99999 pages")
        return (
            f":20:{_reference16(header.statement_id, 'NOTPROVIDED')}{CRLF}"
            f":25:{swift_text(header.account_id)[:35]}{CRLF}"
            f":28C:{statement_number}/{page}{CRLF}" + _balance("60F" if page == 1 else "60M", balance, currency, day)
        )

    page, on_page = 1, 0
    writer.write(opening(page, header.opening, header.period.opening_date))
    for line in lines:
        day = line.entry.booked_at.astimezone(tz).date()
        if on_page == max_entries_per_message:
            balance_before = line.balance_after - line.entry.signed_amount
            writer.write(_balance("62M", balance_before, currency, day) + "-" + CRLF)
            page, on_page = page + 1, 0
            writer.write(opening(page, balance_before, day))
        writer.write(_statement_line(line, currency, day))
        on_page += 1
    writer.write(
        _balance("62F", header.closing, currency, header.period.closing_date)
        + _balance("64", header.closing, currency, header.period.closing_date)
        + "-"
        + CRLF
    )
    writer.flush()
