"""camt.053 (BankToCustomerStatement) books importer, streaming.

A camt.053 day file for a busy account holds hundreds of thousands of `Ntry` elements, so the file is
never loaded whole: expat (the parser under `xml.etree`) feeds a small ElementTree per statement, each
`Ntry` is turned into a `BookLine` when it closes and then dropped, and memory stays flat. Expat is used
directly rather than `ElementTree.iterparse` because it reports line numbers, and an error that says
"line 48213, Ntry/Amt" is what lets a person fix a file. Namespaces are ignored (matched on local names),
so .001.02 to .001.13 files read alike; a DOCTYPE is refused, which rules out entity expansion attacks.
"""

from __future__ import annotations

import xml.parsers.expat
from datetime import date
from operator import attrgetter
from pathlib import Path
from typing import IO
from xml.etree.ElementTree import Element

from reconciliation.entries import Direction
from reconciliation.matching._amounts import check_currency, parse_minor
from reconciliation.matching.books import (
    BookImportError,
    BookLine,
    BookStatement,
    EntryStatus,
    ImportedBooks,
    SourceLocation,
    refuse_repeated_ids,
)

__all__ = ["import_camt053"]

_LINE = "\x00line"  # attribute key holding an element's line; NUL cannot occur in XML names
_DIRECTIONS = {"CRDT": Direction.CREDIT, "DBIT": Direction.DEBIT}
_STATUSES = {status.value: status for status in EntryStatus}
_NOT_PROVIDED = "NOTPROVIDED"


def import_camt053(source: str | Path | IO[bytes], *, name: str | None = None) -> ImportedBooks:
    """Read every statement and entry of a camt.053 file into `BookLine`s and `BookStatement`s.

    Mapping: `Amt`/`@Ccy` and `CdtDbtInd` give amount, currency and direction; `RvslInd` marks a
    reversal; `Sts` the status; `BookgDt`/`ValDt` the dates (date or date-time); `AcctSvcrRef` (else
    `NtryRef`) the books' own reference; the first `TxDtls/Refs/EndToEndId` the business reference
    (or, when it was cut to 35 characters, the full one our writer keeps in `AddtlTxInf` as `ref=...`);
    `Chrgs` the charges; `AddtlNtryInf` (else the first `RmtInf/Ustrd`) the description. Statements give
    `Id`, the account (`IBAN` or `Othr/Id`), `ElctrncSeqNb` (else `LglSeqNb`) and the OPBD/CLBD balances.

    Args:
        source: a path or a binary stream.
        name: the label used in line ids, sources and errors; defaults to the file name.

    Returns:
        The lines in file order and one `BookStatement` per `Stmt`.

    Raises:
        BookImportError: malformed XML or a missing/invalid field, naming the line and element path.
    """
    if isinstance(source, str | Path):
        path = Path(source)
        with path.open("rb") as stream:
            return _Reader(name or path.name).read(stream)
    return _Reader(name or str(getattr(source, "name", "<stream>"))).read(source)


class _Reader:
    """Expat callbacks that build one `Stmt` subtree at a time and consume its `Ntry` children."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.result = ImportedBooks()
        # no namespace processing: names arrive as `Ntry` or `prefix:Ntry`, and we match local names
        self.parser = xml.parsers.expat.ParserCreate()
        self.parser.buffer_text = True
        self.parser.StartElementHandler = self._start
        self.parser.EndElementHandler = self._end
        self.parser.CharacterDataHandler = self._text
        self.parser.StartDoctypeDeclHandler = self._doctype
        self.stack: list[Element] = []
        self.statement: Element | None = None
        self.entries_in_statement = 0

    def read(self, stream: IO[bytes]) -> ImportedBooks:
        try:
            self.parser.ParseFile(stream)
        except xml.parsers.expat.ExpatError as error:
            raise BookImportError(
                self.label, error.lineno, "xml", xml.parsers.expat.errors.messages[error.code]
            ) from None
        if self.statement is not None or not self.result.statements:
            raise BookImportError(self.label, self.parser.CurrentLineNumber, "Stmt", "no complete Stmt in the file")
        refuse_repeated_ids(self.result.lines, attrgetter("line_id"), self.label, "Stmt/Id")  # a statement twice
        refuse_repeated_ids(self.result.lines, attrgetter("reference"), self.label, "Ntry/AcctSvcrRef")
        return self.result

    # -- expat callbacks ---------------------------------------------------------------------------

    def _doctype(self, *_: object) -> None:
        raise BookImportError(self.label, self.parser.CurrentLineNumber, "DOCTYPE", "DTDs are not accepted")

    def _start(self, qualified: str, attributes: dict[str, str]) -> None:
        local = qualified.rpartition(":")[2]
        if self.statement is None and local != "Stmt":
            return
        if attributes:
            attributes = {key.rpartition(":")[2]: value for key, value in attributes.items()}
        attributes[_LINE] = str(self.parser.CurrentLineNumber)
        element = Element(local, attributes)
        if self.statement is None:
            self.statement = element
            self.entries_in_statement = 0
        else:
            self.stack[-1].append(element)
        self.stack.append(element)

    def _text(self, data: str) -> None:
        if self.stack:
            element = self.stack[-1]
            element.text = (element.text or "") + data

    def _end(self, _qualified: str) -> None:
        if not self.stack:
            return
        element = self.stack.pop()
        if element.tag == "Ntry":
            self.entries_in_statement += 1
            self.result.lines.append(self._entry(element))
            self.stack[-1].remove(element)  # keep memory flat: the entry is consumed
        elif element.tag == "Stmt":
            self.result.statements.append(self._statement(element))
            self.statement = None

    # -- field helpers -----------------------------------------------------------------------------

    def _error(self, element: Element, field: str, reason: str) -> BookImportError:
        return BookImportError(self.label, int(element.get(_LINE, "0")), field, reason)

    @staticmethod
    def _text_of(element: Element, path: str) -> str:
        found = element.find(path)
        return (found.text or "").strip() if found is not None else ""

    def _amount(self, parent: Element, path: str, field: str) -> tuple[int, str]:
        amount = parent.find(path)
        if amount is None:
            raise self._error(parent, field, "element missing")
        currency_code = amount.get("Ccy", "")
        try:
            currency = check_currency(currency_code)
            return parse_minor((amount.text or "").strip(), currency), currency
        except ValueError as error:
            raise self._error(amount, field, str(error)) from None

    def _direction(self, parent: Element, field: str) -> Direction:
        marker = self._text_of(parent, "CdtDbtInd")
        if marker not in _DIRECTIONS:
            found = parent.find("CdtDbtInd")
            raise self._error(found if found is not None else parent, field, f"expected CRDT or DBIT, got {marker!r}")
        return _DIRECTIONS[marker]

    def _date(self, parent: Element, path: str, field: str) -> date | None:
        holder = parent.find(path)
        if holder is None:
            return None
        text = self._text_of(holder, "Dt") or self._text_of(holder, "DtTm")[:10]
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise self._error(holder, field, f"{text!r} is not an ISO date") from None

    # -- records -----------------------------------------------------------------------------------

    def _entry(self, entry: Element) -> BookLine:
        assert self.statement is not None
        amount, currency = self._amount(entry, "Amt", "Ntry/Amt")
        if amount <= 0:
            raise self._error(entry, "Ntry/Amt", "amount must be positive (the sign is in CdtDbtInd)")
        direction = self._direction(entry, "Ntry/CdtDbtInd")
        status_text = self._text_of(entry, "Sts/Cd") or self._text_of(entry, "Sts/Prtry") or self._text_of(entry, "Sts")
        if status_text not in _STATUSES:
            raise self._error(entry, "Ntry/Sts", f"unknown entry status {status_text!r}")
        booking_date = self._date(entry, "BookgDt", "Ntry/BookgDt")
        value_date = self._date(entry, "ValDt", "Ntry/ValDt")
        if booking_date is None and value_date is None:
            raise self._error(entry, "Ntry/BookgDt", "neither a booking nor a value date")
        end_to_end = self._text_of(entry, "NtryDtls/TxDtls/Refs/EndToEndId")
        # EndToEndId is Max35Text; our own writer puts a longer reference in full in AddtlTxInf as `ref=...`
        full = self._text_of(entry, "NtryDtls/TxDtls/AddtlTxInf")
        if full.startswith("ref=") and end_to_end and full[4:].startswith(end_to_end):
            end_to_end = full[4:]
        charges = self._charges(entry, currency)
        statement_id = self._text_of(self.statement, "Id")
        return BookLine(
            line_id=f"{statement_id}/{self.entries_in_statement}",
            account=self._account(self.statement),
            currency=currency,
            amount=amount,
            direction=direction,
            booking_date=booking_date or value_date,  # type: ignore[arg-type]
            value_date=value_date,
            reference=self._text_of(entry, "AcctSvcrRef") or self._text_of(entry, "NtryRef"),
            business_reference="" if end_to_end == _NOT_PROVIDED else end_to_end,
            description=self._text_of(entry, "AddtlNtryInf") or self._text_of(entry, "NtryDtls/TxDtls/RmtInf/Ustrd"),
            source=SourceLocation(self.label, int(entry.get(_LINE, "0"))),
            status=_STATUSES[status_text],
            reversal=self._text_of(entry, "RvslInd").lower() in {"true", "1"},
            charges=charges,
            statement_number=self._sequence(self.statement),
        )

    def _charges(self, entry: Element, currency: str) -> int | None:
        charges = entry.find("Chrgs")
        if charges is None:
            return None
        if charges.find("TtlChrgsAndTaxAmt") is not None:
            amount, charge_currency = self._amount(charges, "TtlChrgsAndTaxAmt", "Ntry/Chrgs/TtlChrgsAndTaxAmt")
            return amount if charge_currency == currency else None
        total = 0
        for record in charges.findall("Rcrd"):
            amount, charge_currency = self._amount(record, "Amt", "Ntry/Chrgs/Rcrd/Amt")
            if charge_currency == currency:
                total += amount
        return total or None

    def _account(self, statement: Element) -> str:
        return self._text_of(statement, "Acct/Id/IBAN") or self._text_of(statement, "Acct/Id/Othr/Id")

    def _sequence(self, statement: Element) -> int | None:
        for path in ("ElctrncSeqNb", "LglSeqNb"):
            text = self._text_of(statement, path)
            if text:
                if not text.isdigit():
                    found = statement.find(path)
                    raise self._error(
                        found if found is not None else statement, f"Stmt/{path}", f"{text!r} is not a number"
                    )
                return int(text)
        return None

    def _statement(self, statement: Element) -> BookStatement:
        statement_id = self._text_of(statement, "Id")
        if not statement_id:
            raise self._error(statement, "Stmt/Id", "element missing or empty")
        balances: dict[str, tuple[int, str]] = {}
        for balance in statement.findall("Bal"):
            code = self._text_of(balance, "Tp/CdOrPrtry/Cd") or self._text_of(balance, "Tp/Cd")
            amount, balance_currency = self._amount(balance, "Amt", "Stmt/Bal/Amt")
            sign = 1 if self._direction(balance, "Stmt/Bal/CdtDbtInd") is Direction.CREDIT else -1
            balances.setdefault(code, (sign * amount, balance_currency))
        opening = balances.get("OPBD") or balances.get("PRCD")
        closing = balances.get("CLBD")
        known = opening or closing
        currency = known[1] if known else (self._text_of(statement, "Acct/Ccy") or None)
        return BookStatement(
            statement_id=statement_id,
            account=self._account(statement),
            currency=currency,
            sequence_number=self._sequence(statement),
            opening_balance=opening[0] if opening else None,
            closing_balance=closing[0] if closing else None,
            source=SourceLocation(self.label, int(statement.get(_LINE, "0"))),
        )
