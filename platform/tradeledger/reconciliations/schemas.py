"""Request and response bodies of the reconciliations resource (runs, breaks, status changes)."""

from __future__ import annotations

import enum
from dataclasses import fields
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, Field, Json, StringConstraints

from reconciliation.formats.csvfile import DETAIL_COLUMNS, SUMMARY_COLUMNS, header_cell
from reconciliation.matching import (
    DEFAULT_RULES,
    AmountMismatchSubtype,
    BreakCategory,
    BreakStatus,
    CsvMapping,
    Side,
)
from tradeledger.settlements.schemas import Address
from tradeledger.statements.schemas import PeriodRequest


class BooksFormat(enum.StrEnum):
    """Formats of the books file a run reads."""

    CSV = "csv"
    CAMT053 = "camt.053"
    MT940 = "mt940"


class ExportFormat(enum.StrEnum):
    """Formats of a run's breaks export."""

    CSV = "csv"
    JSON = "json"


def _statement_column(name: str) -> str:
    return header_cell(name, dict(DETAIL_COLUMNS)[name])


OWN_CSV_STATEMENT = CsvMapping(
    line_id=_statement_column("entry_id"),
    booking_date=_statement_column("booked_at"),
    date_format="%Y-%m-%dT%H:%M:%S%z",
    value_date=_statement_column("value_date"),
    value_date_format="%Y-%m-%d",
    amount=_statement_column("amount"),
    direction=_statement_column("direction"),
    currency=_statement_column("currency"),
    reference=_statement_column("entry_id"),
    business_reference=_statement_column("reference"),
    description=_statement_column("kind"),
    strip_chars="\t '",  # the writer guards formula-like cells with a leading apostrophe
    stop_at=header_cell(*SUMMARY_COLUMNS[0]),  # the summary block follows the detail rows
)
"""The default CSV mapping: tradeledger's own CSV statement (`GET /v1/statements/{id}/file` of a csv statement)."""

_MAPPING_KEYS = frozenset(field.name for field in fields(CsvMapping))


def _known_keys(value: Any) -> Any:
    """A misspelt key would silently fall back to a default column: refuse it instead."""
    if isinstance(value, dict) and (unknown := sorted(set(value) - _MAPPING_KEYS)):
        raise ValueError(f"unknown mapping keys {unknown}; known keys: {sorted(_MAPPING_KEYS)}")
    return value


BooksMapping = Annotated[CsvMapping, BeforeValidator(_known_keys)]

_ROUNDING = max((rule.amount for rule in DEFAULT_RULES if rule.amount), key=lambda a: (a.absolute, a.basis_points))
_WINDOW = next(rule.date_window for rule in DEFAULT_RULES if rule.reference and rule.date_window)

Note = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class Tolerances(BaseModel):
    """How far books and ledger may differ and still match; the defaults are the library's DEFAULT_RULES."""

    amount_tolerance_minor: int = Field(
        _ROUNDING.absolute, ge=0, le=10**15, description="tolerated amount difference in minor units (rounding)"
    )
    amount_tolerance_bps: int = Field(
        _ROUNDING.basis_points, ge=0, le=10_000, description="tolerated amount difference in basis points"
    )
    date_window_days: int = Field(
        _WINDOW.days_after, ge=0, le=31, description="days the books' date may differ from the ledger's, either way"
    )


class RunRequest(Tolerances, PeriodRequest):
    """Reconcile an account's ledger entries of one currency over a period against a books file.

    Book lines in other currencies are left out of the run (and counted), unless their business reference
    names a ledger entry of the run: those are currency mismatches.
    """

    account: Address = Field(description="the reconciled account (a member address)")
    currency: str = Field(min_length=3, max_length=3, description="ISO 4217 code", examples=["USD"])
    format: BooksFormat = Field(description="format of the books file")
    mapping: Json[BooksMapping] | None = Field(
        None,
        description="CSV only: a JSON object naming the columns of the file's header row and its conventions "
        "(keys as in the CsvMapping schema, e.g. "
        '`{"booking_date": "Date", "amount": "Amount", "fixed_currency": "USD", "business_reference": "Ref"}`). '
        "Omit it to read tradeledger's own CSV statement.",
    )


class SideCounts(BaseModel):
    """Items of one side of a run and how many a matching rule took."""

    total: int
    matched: int
    unmatched: int


class BooksFileView(BaseModel):
    """The books file a run read."""

    format: BooksFormat
    name: str
    sha256: str = Field(description="0x-hex SHA-256 of the file as uploaded")
    size: int = Field(description="bytes")
    lines_out_of_scope: int = Field(description="lines in other currencies, left out of the run")


class RuleView(BaseModel):
    """One matching rule as applied."""

    name: str
    strategy: str
    tolerance: str


class RulesView(Tolerances):
    """The tolerances a run was given and the rules they made, in the order they were tried."""

    rules: list[RuleView]


class RunView(BaseModel):
    """A reconciliation run: what it compared, the rules it applied, what matched and the breaks by category."""

    id: str
    account: str
    currency: str
    period_start: datetime
    period_end: datetime
    books_file: BooksFileView
    ledger_entries: SideCounts
    book_lines: SideCounts
    matches_by_rule: dict[str, int] = Field(description="`rule (strategy)` → matches")
    breaks_by_category: dict[str, int] = Field(description="every category, zeros included")
    breaks_by_status: dict[str, int] = Field(description="open, assigned and resolved breaks now")
    rules: RulesView
    csv_mapping: dict[str, Any] | None = Field(description="the CSV mapping the books were read with")
    created_by: str
    created_at: datetime


class BreakView(BaseModel):
    """One break: both sides' items, references and signed amounts (minor units, credit positive), the difference
    (books - ledger), the rule and tolerance that judged it, and its current status."""

    id: str
    run_id: str
    reference: str = Field(description="the engine's content-derived id: the same inputs give the same reference")
    category: BreakCategory
    subtype: AmountMismatchSubtype | None = Field(description="for AMOUNT_MISMATCH: FEE, FX, PARTIAL or OTHER")
    side: Side = Field(description="the side at fault")
    status: BreakStatus
    assignee: str | None
    currency: str | None
    book_currency: str | None = Field(description="the books' currency when it differs")
    ledger_amount: str | None = Field(description="signed minor units, as a decimal string")
    book_amount: str | None = Field(description="signed minor units, as a decimal string")
    difference: str | None = Field(description="book_amount - ledger_amount; null across currencies")
    ledger_entry_ids: list[str]
    ledger_references: list[str]
    book_line_ids: list[str]
    book_references: list[str]
    rule: str
    tolerance: str
    scope: str = Field(description="what a statement-level break is about (a currency, a range of numbers)")
    detail: str
    updated_at: datetime


class StatusChangeView(BaseModel):
    """One move of a break through its lifecycle."""

    from_status: BreakStatus
    to_status: BreakStatus
    assignee: str | None
    note: str | None
    changed_by: str
    changed_at: datetime


class BreakDetail(BreakView):
    """A break and its status history, oldest first."""

    history: list[StatusChangeView]


class AssignRequest(BaseModel):
    """Assign an open (or reassign an assigned) break to someone."""

    assignee: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)] = Field(
        description="who works on it (a person, a team)"
    )
    note: Note | None = None


class ResolveRequest(BaseModel):
    """Resolve an open or assigned break; the note says how."""

    note: Note


class ReopenRequest(BaseModel):
    """Reopen a resolved break."""

    note: Note | None = None
