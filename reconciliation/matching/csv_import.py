"""CSV books importer driven by a declared column mapping.

Every institution exports its books differently (a signed amount or debit/credit columns, a D/C column,
day-first dates, a decimal comma, GBK or UTF-8 with a BOM, WeChat's backtick-prefixed cells, Alipay's
trailing TABs, `#` comment and summary lines). Rather than guess, the caller declares the layout once in a
`CsvMapping`; the importer then reads the file strictly and stops at the first bad cell with the file,
line and column, because a silently skipped or rounded line would become a wrong break later.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from operator import attrgetter
from pathlib import Path
from types import MappingProxyType
from typing import IO

from reconciliation.entries import Direction
from reconciliation.matching._amounts import check_currency, decoded_lines, parse_minor
from reconciliation.matching.books import (
    BookImportError,
    BookLine,
    EntryStatus,
    ImportedBooks,
    SourceLocation,
    refuse_repeated_ids,
)

__all__ = ["DEFAULT_DIRECTION_VALUES", "CsvMapping", "import_csv"]

DEFAULT_DIRECTION_VALUES: Mapping[str, Direction] = MappingProxyType(
    {
        "C": Direction.CREDIT,
        "CR": Direction.CREDIT,
        "CRDT": Direction.CREDIT,
        "CREDIT": Direction.CREDIT,
        "D": Direction.DEBIT,
        "DR": Direction.DEBIT,
        "DBIT": Direction.DEBIT,
        "DEBIT": Direction.DEBIT,
    }
)
_TRUE = frozenset({"1", "TRUE", "YES", "Y", "X"})
_FALSE = frozenset({"", "0", "FALSE", "NO", "N"})
_STATUSES: Mapping[str, EntryStatus] = MappingProxyType(
    {
        **{status.value: status for status in EntryStatus},
        **{status.name: status for status in EntryStatus},
    }
)


@dataclass(frozen=True, slots=True)
class CsvMapping:
    """How to read one institution's CSV books: column names (from the header row) and conventions.

    Exactly one way of giving the amount must be declared: `amount` (one column, signed unless
    `direction` is given) or `debit` + `credit` (two unsigned columns, one of them filled per row). The
    currency is either a `currency` column or a `fixed_currency` for single-currency exports.

    Attributes:
        booking_date: column holding the booking date.
        date_format: `datetime.strptime` format of the booking date (and of the value date unless
            `value_date_format` is given); a date-time format is fine, its date part is kept.
        amount: signed (or, with `direction`, unsigned) amount column.
        debit: debit amount column (used with `credit`).
        credit: credit amount column (used with `debit`).
        direction: column holding a credit/debit marker, read through `direction_values`.
        direction_values: marker (upper-cased) → direction.
        credit_is_positive: for a signed `amount`, whether a positive amount is a credit.
        currency: column holding the ISO 4217 code.
        fixed_currency: the currency of every row, when the file has no currency column.
        line_id: column holding a unique line id; default `<file>:<line>`.
        account: column holding the account; default `fixed_account`.
        fixed_account: the account of every row when there is no account column.
        value_date: optional value-date column.
        value_date_format: `strptime` format of the value date, when it differs from `date_format`.
        reference: the books' own reference column (voucher number).
        business_reference: the column holding the reference shared with the ledger (EndToEndId).
        description: free-text column.
        reversal: optional column whose truthy value (1/true/yes/y/x) marks a reversal or return.
        status: optional status column (BOOK/PDNG/INFO/FUTR or BOOKED/PENDING/...); default BOOKED.
        delimiter: field delimiter.
        encoding: text encoding; the default `utf-8-sig` also accepts a UTF-8 byte-order mark.
        decimal_separator: "." or ",".
        thousands_separator: grouping character to strip from amounts, if any.
        strip_chars: characters stripped from both ends of every cell (WeChat's backtick, Alipay's TAB).
        comment_prefix: rows whose first cell starts with this are skipped (Alipay `#` lines).
        stop_at: a first-cell value that ends the detail rows (e.g. a summary header such as 总交易单数).
    """

    booking_date: str
    date_format: str = "%Y-%m-%d"
    amount: str | None = None
    debit: str | None = None
    credit: str | None = None
    direction: str | None = None
    direction_values: Mapping[str, Direction] = field(default_factory=lambda: DEFAULT_DIRECTION_VALUES)
    credit_is_positive: bool = True
    currency: str | None = None
    fixed_currency: str | None = None
    line_id: str | None = None
    account: str | None = None
    fixed_account: str = ""
    value_date: str | None = None
    value_date_format: str | None = None
    reference: str | None = None
    business_reference: str | None = None
    description: str | None = None
    reversal: str | None = None
    status: str | None = None
    delimiter: str = ","
    encoding: str = "utf-8-sig"
    decimal_separator: str = "."
    thousands_separator: str | None = None
    strip_chars: str = "`\t "
    comment_prefix: str | None = "#"
    stop_at: str | None = None

    def __post_init__(self) -> None:
        has_amount = self.amount is not None
        has_split = self.debit is not None or self.credit is not None
        if has_amount == has_split:
            raise ValueError("declare either an amount column or debit and credit columns, not both or neither")
        if has_split and (self.debit is None or self.credit is None):
            raise ValueError("debit and credit columns must be declared together")
        if has_split and self.direction is not None:
            raise ValueError("a direction column is redundant with debit/credit columns")
        if (self.currency is None) == (self.fixed_currency is None):
            raise ValueError("declare exactly one of a currency column or a fixed currency")
        if self.fixed_currency is not None:
            check_currency(self.fixed_currency)
        if self.decimal_separator not in {".", ","}:
            raise ValueError("decimal separator must be '.' or ','")

    def required_columns(self) -> list[str]:
        """Every column name the mapping reads, in a stable order."""
        names = [
            self.booking_date,
            self.amount,
            self.debit,
            self.credit,
            self.direction,
            self.currency,
            self.line_id,
            self.account,
            self.value_date,
            self.reference,
            self.business_reference,
            self.description,
            self.reversal,
            self.status,
        ]
        return [name for name in names if name is not None]


def import_csv(source: str | Path | IO[bytes], mapping: CsvMapping, *, name: str | None = None) -> ImportedBooks:
    """Read CSV books into `BookLine`s according to `mapping`.

    Args:
        source: a path, or a binary stream (decoded with `mapping.encoding`).
        mapping: the declared layout.
        name: the file label used in line ids, sources and errors; defaults to the file name.

    Returns:
        The lines in file order (CSV books carry no statement-level balances).

    Raises:
        BookImportError: a missing column, a bad cell (naming line and column), or undecodable text.
    """
    if isinstance(source, str | Path):
        path = Path(source)
        label = name or path.name
        with path.open("rb") as stream:
            return _read(stream, mapping, label)
    return _read(source, mapping, name or str(getattr(source, "name", "<stream>")))


def _read(stream: IO[bytes], mapping: CsvMapping, label: str) -> ImportedBooks:
    text = decoded_lines(stream, mapping.encoding, label)
    reader = csv.reader(text, delimiter=mapping.delimiter, strict=True)
    result = ImportedBooks()
    rows = _rows(reader, label)
    header: dict[str, int] | None = None
    for line_no, cells in rows:
        cleaned = [cell.strip(mapping.strip_chars) for cell in cells]
        if not any(cleaned):
            continue
        if mapping.comment_prefix and cleaned[0].startswith(mapping.comment_prefix):
            continue
        if header is None:
            header = {column: index for index, column in enumerate(cleaned)}
            missing = [column for column in mapping.required_columns() if column not in header]
            if missing:
                raise BookImportError(label, line_no, missing[0], f"column missing from header {cleaned}")
            continue
        if mapping.stop_at is not None and cleaned[0] == mapping.stop_at:
            break
        result.lines.append(_line(cleaned, header, mapping, label, line_no))
    if header is None:
        raise BookImportError(label, 0, "header", "file has no header row")
    if mapping.line_id is not None:
        refuse_repeated_ids(result.lines, attrgetter("line_id"), label, mapping.line_id)
    return result


def _rows(reader: Iterator[list[str]], label: str) -> Iterator[tuple[int, list[str]]]:
    """Yield (first physical line number, cells), turning CSV errors into BookImportError."""
    line_num = getattr(reader, "line_num", 0)
    while True:
        start = line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise BookImportError(label, start, "csv", str(error)) from None
        line_num = getattr(reader, "line_num", start)
        yield start, cells


class _Row:
    """Cell access by column name that raises BookImportError naming the line and column."""

    __slots__ = ("cells", "header", "label", "line_no")

    def __init__(self, cells: list[str], header: dict[str, int], label: str, line_no: int) -> None:
        self.cells = cells
        self.header = header
        self.label = label
        self.line_no = line_no

    def get(self, column: str | None) -> str:
        if column is None:
            return ""
        index = self.header[column]
        return self.cells[index] if index < len(self.cells) else ""

    def error(self, column: str, reason: str) -> BookImportError:
        return BookImportError(self.label, self.line_no, column, reason)

    def required(self, column: str) -> str:
        value = self.get(column)
        if not value:
            raise self.error(column, "value is empty")
        return value

    def day(self, column: str, date_format: str) -> date:
        value = self.required(column)
        try:
            return datetime.strptime(value, date_format).date()
        except ValueError:
            raise self.error(column, f"{value!r} does not match date format {date_format!r}") from None

    def minor(self, column: str, currency: str, mapping: CsvMapping) -> int:
        value = self.required(column)
        try:
            return parse_minor(
                value,
                currency,
                decimal_separator=mapping.decimal_separator,
                thousands_separator=mapping.thousands_separator,
            )
        except ValueError as error:
            raise self.error(column, str(error)) from None


def _line(cells: list[str], header: dict[str, int], mapping: CsvMapping, label: str, line_no: int) -> BookLine:
    row = _Row(cells, header, label, line_no)
    if len(cells) > len(header):
        raise row.error("row", f"{len(cells)} cells but the header has {len(header)} columns")
    if mapping.currency is not None:
        try:
            currency = check_currency(row.required(mapping.currency))
        except ValueError as error:
            raise row.error(mapping.currency, str(error)) from None
    else:
        assert mapping.fixed_currency is not None  # __post_init__ guarantees it
        currency = mapping.fixed_currency.upper()
    amount, direction = _amount_and_direction(row, mapping, currency)
    status = EntryStatus.BOOKED
    if mapping.status is not None and row.get(mapping.status):
        raw = row.get(mapping.status).upper()
        if raw not in _STATUSES:
            raise row.error(mapping.status, f"unknown status {raw!r}")
        status = _STATUSES[raw]
    reversal = False
    if mapping.reversal is not None:
        raw = row.get(mapping.reversal).upper()
        if raw not in _TRUE | _FALSE:
            raise row.error(mapping.reversal, f"{raw!r} is not a yes/no value")
        reversal = raw in _TRUE
    value_date = None
    if mapping.value_date is not None and row.get(mapping.value_date):
        value_date = row.day(mapping.value_date, mapping.value_date_format or mapping.date_format)
    return BookLine(
        line_id=row.get(mapping.line_id) or f"{label}:{line_no}",
        account=row.get(mapping.account) or mapping.fixed_account,
        currency=currency,
        amount=amount,
        direction=direction,
        booking_date=row.day(mapping.booking_date, mapping.date_format),
        value_date=value_date,
        reference=row.get(mapping.reference),
        business_reference=row.get(mapping.business_reference),
        description=row.get(mapping.description),
        source=SourceLocation(label, line_no),
        status=status,
        reversal=reversal,
    )


def _amount_and_direction(row: _Row, mapping: CsvMapping, currency: str) -> tuple[int, Direction]:
    if mapping.amount is not None:
        value = row.minor(mapping.amount, currency, mapping)
        if mapping.direction is not None:
            marker = row.required(mapping.direction).upper()
            if marker not in mapping.direction_values:
                raise row.error(mapping.direction, f"unknown credit/debit marker {marker!r}")
            if value < 0:
                raise row.error(mapping.amount, "negative amount together with a direction column is ambiguous")
            direction = mapping.direction_values[marker]
        else:
            positive = Direction.CREDIT if mapping.credit_is_positive else Direction.DEBIT
            negative = Direction.DEBIT if mapping.credit_is_positive else Direction.CREDIT
            direction = positive if value >= 0 else negative
        if value == 0:
            raise row.error(mapping.amount, "amount is zero")
        return abs(value), direction
    assert mapping.debit is not None and mapping.credit is not None  # __post_init__ guarantees it
    debit = row.minor(mapping.debit, currency, mapping) if row.get(mapping.debit) else 0
    credit = row.minor(mapping.credit, currency, mapping) if row.get(mapping.credit) else 0
    if debit < 0 or credit < 0:
        column = mapping.debit if debit < 0 else mapping.credit
        raise row.error(column, "debit and credit columns take unsigned amounts")
    if (debit == 0) == (credit == 0):
        column = mapping.debit if debit == 0 else mapping.credit
        raise row.error(column, "exactly one of the debit and credit columns must hold a non-zero amount")
    return (debit, Direction.DEBIT) if debit else (credit, Direction.CREDIT)
