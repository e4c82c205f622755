"""The institution's own books, as lines to match against the ledger.

A `BookLine` is what an importer (CSV with a column mapping, camt.053, MT940) makes of one line of the
institution's core-banking or ERP export. It mirrors `LedgerEntry` closely enough to be compared field by
field (currency, positive integer minor units, direction, references, dates) and keeps where it came from,
so that every break can point a person at the exact line of the exact file.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

from reconciliation.entries import Direction

__all__ = [
    "BookImportError",
    "BookLine",
    "BookStatement",
    "EntryStatus",
    "ImportedBooks",
    "SourceLocation",
    "refuse_repeated_ids",
]


class EntryStatus(enum.StrEnum):
    """Booking status of a book line (camt `Sts`; MT942 expected entries are PENDING).

    Only BOOKED lines take part in matching: a pending or informational line is money in transit, and
    matching it would hide a timing difference rather than report it.
    """

    BOOKED = "BOOK"
    PENDING = "PDNG"
    INFO = "INFO"
    FUTURE = "FUTR"


@dataclass(frozen=True, slots=True)
class SourceLocation:
    """Where a book line was read: a file name (or any label) and its 1-based line number."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True, slots=True)
class BookLine:
    """One movement in the institution's own books, in exact integer minor units.

    Attributes:
        line_id: unique id of the line within the import (a voucher line id, or `<statement>:<n>`).
        account: the books' account identifier (IBAN, GL account, ...); informational, not matched.
        currency: ISO 4217 alphabetic code.
        amount: positive minor units; the sign lives in `direction`, as in camt.053.
        direction: CREDIT or DEBIT for the account.
        booking_date: the date the books booked the line (camt BookgDt, MT940 :61: entry date).
        value_date: the value date (camt ValDt, MT940 :61: value date), when known.
        reference: the books' own reference (voucher number, camt AcctSvcrRef, MT940 `//` bank reference).
        business_reference: the business reference shared with the ledger (camt EndToEndId, MT940
            customer reference or `EREF+` in :86:); what the ledger entry carries as `reference`.
        description: free text (camt AddtlNtryInf, MT940 :86:).
        source: file and line the line was read from.
        status: BOOKED unless the source says pending / info / future.
        reversal: the source flags the line as a reversal or return (camt RvslInd, MT940 RC/RD).
        charges: charges the source says were deducted (camt Chrgs), in minor units, when known.
        statement_number: the sequence number of the statement the line came from (camt
            ElctrncSeqNb/LglSeqNb, MT940 :28C:), when known; feeds the sequence-gap check.
    """

    line_id: str
    account: str
    currency: str
    amount: int
    direction: Direction
    booking_date: date
    value_date: date | None = None
    reference: str = ""
    business_reference: str = ""
    description: str = ""
    source: SourceLocation | None = None
    status: EntryStatus = EntryStatus.BOOKED
    reversal: bool = False
    charges: int | None = None
    statement_number: int | None = None

    def __post_init__(self) -> None:
        if self.amount <= 0:
            raise ValueError(f"book line {self.line_id!r}: amount must be positive minor units, got {self.amount}")

    @property
    def signed_amount(self) -> int:
        """Amount with the sign of its effect on the account's balance."""
        return self.amount if self.direction is Direction.CREDIT else -self.amount


@dataclass(frozen=True, slots=True)
class BookStatement:
    """Statement-level facts an importer found (camt `Stmt`, MT940 message), used by the checks.

    Attributes:
        statement_id: camt `Stmt/Id` or MT940 `:20:`.
        account: the statement's account identifier.
        currency: the statement currency (of its balances).
        sequence_number: camt ElctrncSeqNb / LglSeqNb or MT940 :28C: statement number.
        opening_balance: signed minor units (camt OPBD, MT940 :60F:/:60M:), when present.
        closing_balance: signed minor units (camt CLBD, MT940 :62F:/:62M:), when present.
        source: where the statement starts.
    """

    statement_id: str
    account: str
    currency: str | None
    sequence_number: int | None
    opening_balance: int | None
    closing_balance: int | None
    source: SourceLocation


@dataclass(slots=True)
class ImportedBooks:
    """What an importer returns: the lines, plus any statement-level facts for the balance checks."""

    lines: list[BookLine] = field(default_factory=list)
    statements: list[BookStatement] = field(default_factory=list)


class BookImportError(ValueError):
    """A book file could not be read; names the file, the line and the field so a person can fix it.

    Attributes:
        file: the file name (or label) being imported.
        line: 1-based line number in that file (0 when the problem is the file as a whole).
        field: the column, XML element or MT940 tag/subfield at fault.
        reason: what is wrong.
    """

    def __init__(self, file: str, line: int, field: str, reason: str) -> None:
        self.file = file
        self.line = line
        self.field = field
        self.reason = reason
        super().__init__(f"{file}, line {line}, field {field!r}: {reason}")


def refuse_repeated_ids(lines: Sequence[BookLine], key: Callable[[BookLine], str], file: str, field: str) -> None:
    """Refuse a file in which two lines carry the same id (`key` of a line; empty ids are not checked).

    Why refuse rather than match: an id names one line; the same id twice is a doubled or corrupt export, and a
    run over it would report whatever the doubling happens to look like. The error names the file, the second
    line, the id and the line that had it first.

    Raises:
        BookImportError: naming the repeated id and both lines.
    """
    seen: set[str] = set()
    for line in lines:
        value = key(line)
        if not value:
            continue
        if value in seen:
            first = next(other for other in lines if key(other) == value)
            raise BookImportError(
                file, _line_no(line), field, f"duplicate id {value!r}: line {_line_no(first)} has it already"
            )
        seen.add(value)


def _line_no(line: BookLine) -> int:
    return 0 if line.source is None else line.source.line
