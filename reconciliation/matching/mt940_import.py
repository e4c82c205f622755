"""SWIFT MT940 books importer (stdlib only).

MT940 is line-oriented: `:TAG:` lines, continuation lines, one or more messages per file, sometimes
wrapped in SWIFT blocks (`{1:...}{2:...}{4:` ... `-}`). A small parser of our own keeps the library free
of heavy dependencies and lets every error name its line and tag subfield (the `mt-940` package, in
the dev extras, is used by the tests to prove we read files the same way).

Mapping of `:61:` (value date, entry date, D/C mark, amount, type, customer reference, `//` bank
reference) and `:86:`: the business reference is the `EREF+` (German structured :86:) or `/EREF/` value
when present, because the 16-character :61: customer reference truncates a 35-character EndToEndId;
otherwise the customer reference unless it is NONREF. RC/RD marks are reversals (of a credit: a debit;
of a debit: a credit); MT942's EC/ED expected entries are PENDING.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from operator import attrgetter
from pathlib import Path
from typing import IO

from reconciliation.entries import Direction
from reconciliation.formats.swift import mt_year
from reconciliation.matching._amounts import check_currency, decoded_lines, parse_minor
from reconciliation.matching.books import (
    BookImportError,
    BookLine,
    BookStatement,
    EntryStatus,
    ImportedBooks,
    SourceLocation,
    refuse_repeated_ids,
)

__all__ = ["import_mt940"]

_TAG = re.compile(r":(\d{2}[A-Z]?):")
_BALANCE = re.compile(r"(?P<mark>[CD])(?P<date>\d{6})(?P<currency>[A-Z]{3})(?P<amount>\d[\d,]*)")
_LINE61 = re.compile(
    r"(?P<value>\d{6})(?P<entry>\d{4})?(?P<mark>RC|RD|EC|ED|C|D)(?P<funds>[A-Z])?"
    r"(?P<amount>\d[\d,]{0,14})(?P<type>[NSF][A-Z0-9]{3})(?P<rest>.*)"
)
# The EREF value runs to the next known codeword: references contain "/" themselves (FEE/0001).
_CODEWORDS = (
    "EREF|KREF|MREF|CRED|DEBT|REMI|PURP|ORDP|BENM|IREF|CREF|SVWZ|ABWA|ABWE|NAME|ADDR|KIND|ENTRY|CPTY|CHAIN|BLOCK|LOG|TX"
)
_EREF = re.compile(rf"EREF\+([^?]+)|/EREF/(.+?)(?=/(?:{_CODEWORDS})/|$)")
_NOT_PROVIDED = {"NOTPROVIDED", "NONREF"}
_MARKS: dict[str, tuple[Direction, bool, EntryStatus]] = {
    "C": (Direction.CREDIT, False, EntryStatus.BOOKED),
    "D": (Direction.DEBIT, False, EntryStatus.BOOKED),
    "RC": (Direction.DEBIT, True, EntryStatus.BOOKED),  # reversal of a credit
    "RD": (Direction.CREDIT, True, EntryStatus.BOOKED),  # reversal of a debit
    "EC": (Direction.CREDIT, False, EntryStatus.PENDING),
    "ED": (Direction.DEBIT, False, EntryStatus.PENDING),
}


def import_mt940(source: str | Path | IO[bytes], *, name: str | None = None, encoding: str = "utf-8") -> ImportedBooks:
    """Read every MT940 message of a file into `BookLine`s and `BookStatement`s.

    Args:
        source: a path or a binary stream.
        name: the label used in line ids, sources and errors; defaults to the file name.
        encoding: text encoding (SWIFT's character set is a subset of ASCII; banks also send Latin-1).

    Returns:
        The lines in file order and one `BookStatement` per message (:20: ... :62F:).

    Raises:
        BookImportError: a malformed tag or subfield, naming the line and the tag/subfield.
    """
    if isinstance(source, str | Path):
        path = Path(source)
        with path.open("rb") as stream:
            return _parse(stream, name or path.name, encoding)
    return _parse(source, name or str(getattr(source, "name", "<stream>")), encoding)


@dataclass(slots=True)
class _Field:
    tag: str
    value: str
    line: int


@dataclass(slots=True)
class _Message:
    fields: list[_Field] = field(default_factory=list)
    line: int = 0


def _messages(stream: IO[bytes], label: str, encoding: str) -> list[_Message]:
    """Split the file into messages of (tag, value, line) fields, joining continuation lines."""
    messages: list[_Message] = []
    current = _Message()
    for line_no, raw in enumerate(decoded_lines(stream, encoding, label), start=1):
        line = raw.rstrip("\r\n")
        if line.startswith("{"):
            if "{4:" not in line:
                continue
            line = line.split("{4:", 1)[1]
            if not line:
                continue
        if line.strip() in {"-", "-}"}:
            if current.fields:
                messages.append(current)
            current = _Message()
            continue
        match = _TAG.match(line)
        if match:
            tag = match.group(1)
            if tag == "20" and any(f.tag == "20" for f in current.fields):
                messages.append(current)
                current = _Message()
            if not current.fields:
                current.line = line_no
            current.fields.append(_Field(tag, line[match.end() :], line_no))
        elif current.fields:
            current.fields[-1].value += "\n" + line
        elif line.strip():
            raise BookImportError(label, line_no, "tag", f"expected a :TAG: line, got {line[:20]!r}")
    if current.fields:
        messages.append(current)
    return messages


def _parse(stream: IO[bytes], label: str, encoding: str) -> ImportedBooks:
    result = ImportedBooks()
    messages = _messages(stream, label, encoding)
    if not messages:
        raise BookImportError(label, 0, ":20:", "no MT940 message in the file")
    bank_references: dict[str, int] = {}
    for message in messages:
        _Statement(label, message, result, bank_references).read()
    refuse_repeated_ids(result.lines, attrgetter("line_id"), label, ":20:/:28C:")  # a statement page twice
    return result


class _Statement:
    """One message: header tags, balances, and the :61:/:86: pairs."""

    def __init__(self, label: str, message: _Message, result: ImportedBooks, bank_references: dict[str, int]) -> None:
        self.label = label
        self.message = message
        self.result = result
        self.bank_references = bank_references  # of the whole file: a `//` reference names one entry
        self.reference = ""
        self.account = ""
        self.number: int | None = None
        self.page = ""
        self.currency: str | None = None
        self.opening: int | None = None
        self.closing: int | None = None
        self.count = 0

    def error(self, item: _Field, subfield: str, reason: str) -> BookImportError:
        return BookImportError(self.label, item.line, f":{item.tag}: {subfield}".strip(), reason)

    def read(self) -> None:
        fields = self.message.fields
        for position, item in enumerate(fields):
            value = item.value.strip()
            if item.tag == "20":
                self.reference = value
            elif item.tag in {"25", "25P"}:
                self.account = value.splitlines()[0] if value else ""
            elif item.tag == "28C":
                self._sequence(item, value)
            elif item.tag in {"60F", "60M"}:
                balance = self._balance(item, value)
                if self.opening is None:
                    self.opening = balance
            elif item.tag in {"62F", "62M"}:
                self.closing = self._balance(item, value)
            elif item.tag == "61":
                following = fields[position + 1] if position + 1 < len(fields) else None
                details = following.value if following is not None and following.tag == "86" else ""
                self.result.lines.append(self._line(item, details))
        if not self.reference:
            raise BookImportError(self.label, self.message.line, ":20:", "transaction reference missing")
        self.result.statements.append(
            BookStatement(
                statement_id=self.reference,
                account=self.account,
                currency=self.currency,
                sequence_number=self.number,
                opening_balance=self.opening,
                closing_balance=self.closing,
                source=SourceLocation(self.label, self.message.line),
            )
        )

    def _sequence(self, item: _Field, value: str) -> None:
        number, _, page = value.partition("/")
        if not number.isdigit() or (page and not page.isdigit()):
            raise self.error(item, "statement number", f"expected 5n[/5n], got {value!r}")
        self.number, self.page = int(number), page

    def _balance(self, item: _Field, value: str) -> int:
        match = _BALANCE.fullmatch(value)
        if not match:
            raise self.error(item, "balance", f"expected 1!a6!n3!a15d, got {value!r}")
        try:
            currency = check_currency(match["currency"])
            amount = parse_minor(match["amount"], currency, decimal_separator=",")
        except ValueError as error:
            raise self.error(item, "amount", str(error)) from None
        if self.currency is None:
            self.currency = currency
        elif currency != self.currency:
            raise self.error(item, "currency", f"{currency} differs from the statement currency {self.currency}")
        return amount if match["mark"] == "C" else -amount

    def _line(self, item: _Field, details: str) -> BookLine:
        first, _, supplementary = item.value.partition("\n")
        match = _LINE61.match(first.strip())
        if not match:
            raise self.error(item, "statement line", f"cannot read {first.strip()!r}")
        if self.currency is None:
            raise self.error(item, "currency", "statement line before any :60F:/:60M: balance gives the currency")
        value_date = self._date(item, match["value"])
        booking_date = value_date
        if match["entry"]:
            booking_date = self._entry_date(item, value_date, match["entry"])
        try:
            amount = parse_minor(match["amount"], self.currency, decimal_separator=",")
        except ValueError as error:
            raise self.error(item, "amount", str(error)) from None
        if amount <= 0:
            raise self.error(item, "amount", "amount must be positive (the sign is in the D/C mark)")
        direction, reversal, status = _MARKS[match["mark"]]
        customer, _, bank = match["rest"].partition("//")
        customer = customer.strip()
        if bank.strip():
            seen_on = self.bank_references.setdefault(bank.strip(), item.line)
            if seen_on != item.line:
                raise self.error(
                    item, "bank reference", f"duplicate id {bank.strip()!r}: line {seen_on} has it already"
                )
        # :86: lines are a 65-character wrap, not separators: join them before looking for EREF
        eref = _EREF.search("".join(details.splitlines()))
        business = (eref.group(1) or eref.group(2)).strip() if eref else customer
        if business in _NOT_PROVIDED:
            business = ""
        self.count += 1
        page = f"/{self.page}" if self.page else ""
        return BookLine(
            line_id=f"{self.reference}/{self.number if self.number is not None else ''}{page}/{self.count}",
            account=self.account,
            currency=self.currency,
            amount=amount,
            direction=direction,
            booking_date=booking_date,
            value_date=value_date,
            reference=bank.strip() or ("" if customer == "NONREF" else customer),
            business_reference=business,
            description=" ".join(part.strip() for part in [supplementary, details] if part.strip()),
            source=SourceLocation(self.label, item.line),
            status=status,
            reversal=reversal,
            statement_number=self.number,
        )

    def _date(self, item: _Field, text: str) -> date:
        year, month, day = int(text[:2]), int(text[2:4]), int(text[4:6])
        try:
            return date(mt_year(year), month, day)
        except ValueError:
            raise self.error(item, "value date", f"{text!r} is not a YYMMDD date") from None

    def _entry_date(self, item: _Field, value_date: date, text: str) -> date:
        month, day = int(text[:2]), int(text[2:])
        year = value_date.year
        if value_date.month == 12 and month == 1:
            year += 1
        elif value_date.month == 1 and month == 12:
            year -= 1
        try:
            return date(year, month, day)
        except ValueError:
            raise self.error(item, "entry date", f"{text!r} is not an MMDD date") from None
