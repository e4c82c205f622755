"""Books-vs-ledger reconciliation runs: import a member's books, match them to its ledger, store every break.

A run reads the account's ledger entries of one currency over a closed period from the read model (the same
queries statements use), imports the books file strictly with the library's importers, runs the matching
engine, and stores the run and all of its breaks in the caller's one transaction: a books file with a bad line
is refused before anything is written. Breaks then move open → assigned → resolved (and back to open), one
history row per move.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import IO, TYPE_CHECKING, Any, NotRequired, Protocol, TypedDict, Unpack

from sqlalchemy.orm import Session

from reconciliation.entries import LedgerEntry
from reconciliation.matching import (
    DEFAULT_RULES,
    AmountCriterion,
    BalanceInputs,
    BookImportError,
    Break,
    BreakCategory,
    BreakStatus,
    CsvMapping,
    DateWindow,
    ImportedBooks,
    MatchRule,
    ReconcileConfig,
    import_camt053,
    import_csv,
    import_mt940,
    reconcile,
)
from tradeledger.chain.abi import checksum
from tradeledger.codec import InvalidValueError
from tradeledger.errors import ForbiddenError, NotFoundError, TradeLedgerError
from tradeledger.members.access import can_see, visible_accounts
from tradeledger.members.models import MemberKind
from tradeledger.operations import write_in_database
from tradeledger.reconciliations import repository
from tradeledger.reconciliations.models import BreakStatusChange, ReconciliationBreak, ReconciliationRun
from tradeledger.reconciliations.schemas import (
    OWN_CSV_STATEMENT,
    BooksFileView,
    BooksFormat,
    BreakDetail,
    BreakView,
    RulesView,
    RuleView,
    RunRequest,
    RunView,
    SideCounts,
    StatusChangeView,
    Tolerances,
)
from tradeledger.statements import repository as ledger
from tradeledger.statements.schemas import PeriodRequest, StatementRequest
from tradeledger.statements.service import StatementSpec, final_spec, settle_target
from tradeledger.statements.service import spec_of as statement_spec_of
from tradeledger.store.base import utcnow

if TYPE_CHECKING:  # the runtime composes the domains: importing it here would be a cycle
    from tradeledger.runtime import Platform

BREAKS_PER_INSERT = 5_000
MAX_FILE_NAME = 255


class RunNotFoundError(NotFoundError):
    code = "reconciliation_not_found"


class BreakNotFoundError(NotFoundError):
    code = "break_not_found"


class BooksFileInvalidError(TradeLedgerError):
    """The books file cannot be read; the message names the file, line and column. Nothing was stored."""

    code = "books_file_invalid"
    http_status = 422
    title = "Books file rejected"


class BreakTransitionError(TradeLedgerError):
    """The break's current status does not allow the change asked for."""

    code = "break_transition_invalid"
    http_status = 409
    title = "Break status does not allow this"


class Progress(Protocol):
    """Where a long run reports what it is doing (the CLI draws progress bars; the API reports nothing)."""

    def start(self, stage: str, total: int | None) -> None:
        """A new stage begins; `total` units of work, or None when it cannot be known."""

    def advance(self, amount: int) -> None:
        """`amount` more units of the current stage are done."""


class _Silent:
    def start(self, stage: str, total: int | None) -> None:
        pass

    def advance(self, amount: int) -> None:
        pass


NO_PROGRESS: Progress = _Silent()


@dataclass(frozen=True)
class RunSpec:
    """What a run covers and how it matches (validated).

    Attributes:
        ledger: the account, currency and period (as a statement of them would cover).
        books_format: the format of the books file.
        mapping: for CSV books, the column mapping (the request's, else tradeledger's own CSV statement).
        tolerances: the tolerances asked for.
        rules: DEFAULT_RULES with those tolerances.
    """

    ledger: StatementSpec
    books_format: BooksFormat
    mapping: CsvMapping | None
    tolerances: Tolerances
    rules: tuple[MatchRule, ...]


@dataclass(frozen=True)
class Books:
    """An imported books file: its name, SHA-256 and size as uploaded, and what the importer read."""

    name: str
    sha256: str
    size: int
    imported: ImportedBooks


@dataclass(frozen=True)
class RunInputs:
    """What the engine compares: the ledger entries, the book lines in scope, and its configuration."""

    ledger: Sequence[LedgerEntry]
    books: ImportedBooks
    config: ReconcileConfig
    out_of_scope: int = 0


def rules_of(tolerances: Tolerances) -> tuple[MatchRule, ...]:
    """DEFAULT_RULES with the asked tolerances: the tolerant amount rule's tolerance, and the date window of every
    reference rule (the last-resort amount-only rule keeps its same-day window)."""
    window = DateWindow.symmetric(tolerances.date_window_days)
    tolerant = AmountCriterion(tolerances.amount_tolerance_minor, tolerances.amount_tolerance_bps)
    return tuple(
        replace(
            rule,
            date_window=window if rule.reference is not None and rule.date_window is not None else rule.date_window,
            amount=tolerant if rule.amount is not None and not rule.amount.exact else rule.amount,
        )
        for rule in DEFAULT_RULES
    )


def spec_of(request: RunRequest) -> RunSpec:
    """Validate a request: address, ISO 4217 currency and whole UTC days as for statements; a mapping only for CSV."""
    period = request.model_dump(include={"account", "currency", *PeriodRequest.model_fields})
    statement = statement_spec_of(StatementRequest.model_validate(period))
    if request.mapping is not None and request.format is not BooksFormat.CSV:
        raise InvalidValueError(f"a column mapping applies to csv books, not {request.format}")
    mapping = (request.mapping or OWN_CSV_STATEMENT) if request.format is BooksFormat.CSV else None
    tolerances = Tolerances.model_validate(request.model_dump(include=set(Tolerances.model_fields)))
    return RunSpec(statement, request.format, mapping, tolerances, rules_of(tolerances))


class _Metered(io.RawIOBase):
    """A read-only view of a binary stream that reports every byte read (progress through a large file)."""

    def __init__(self, raw: IO[bytes], advance: Callable[[int], None]) -> None:
        self._raw = raw
        self._advance = advance

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._raw.read(len(buffer))
        buffer[: len(data)] = data
        self._advance(len(data))
        return len(data)


def file_name(name: str | None) -> str:
    """The last component of an uploaded file's name (clients may send a path), bounded in length."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    return base[-MAX_FILE_NAME:] or "books"


def import_books(spec: RunSpec, stream: IO[bytes], name: str, progress: Progress = NO_PROGRESS) -> Books:
    """Hash and import a books file (a seekable binary stream), strictly, before any database work.

    Raises:
        BooksFileInvalidError: an undecodable line, a missing column, a bad cell or an unknown currency; the
            message names the file, the line and the column (or XML element / MT940 tag).
    """
    digest = hashlib.sha256()
    stream.seek(0)
    for chunk in iter(lambda: stream.read(1 << 20), b""):
        digest.update(chunk)
    size = stream.tell()
    stream.seek(0)
    progress.start(f"importing {name}", size)
    metered = io.BufferedReader(_Metered(stream, progress.advance))
    try:
        if spec.books_format is BooksFormat.CSV:
            assert spec.mapping is not None  # spec_of gives CSV books a mapping
            imported = import_csv(metered, spec.mapping, name=name)
        elif spec.books_format is BooksFormat.CAMT053:
            imported = import_camt053(metered, name=name)
        else:
            imported = import_mt940(metered, name=name)
    except BookImportError as error:
        raise BooksFileInvalidError(
            f"{error.file}, line {error.line}, column {error.field!r}: {error.reason}; nothing was imported"
        ) from None
    return Books(name, "0x" + digest.hexdigest(), size, imported)


def _in_scope(books: ImportedBooks, currency: str, entries: Sequence[LedgerEntry]) -> tuple[ImportedBooks, int]:
    """The book lines of the run's currency, plus those of another currency whose business reference names a
    ledger entry of the run (a currency mismatch to report); other lines belong to another currency's run.
    Statements stay whole: their numbers feed the sequence check, whatever their currency."""
    references = {entry.reference for entry in entries if entry.reference}
    lines = [
        line
        for line in books.lines
        if line.currency == currency or (line.business_reference and line.business_reference in references)
    ]
    return ImportedBooks(lines, books.statements), len(books.lines) - len(lines)


def _balances(spec: RunSpec, books: ImportedBooks, opening: int) -> BalanceInputs | None:
    """The balance check's inputs when the books declare a balance of the run's currency (camt.053, MT940);
    None for books without balances (CSV), which give nothing to check."""
    currency = spec.ledger.currency
    declared = BalanceInputs.from_statements({currency: opening}, books.statements)
    books_opening = {c: v for c, v in declared.books_opening.items() if c == currency}
    books_closing = {c: v for c, v in (declared.books_closing or {}).items() if c == currency}
    if not books_opening and not books_closing:
        return None
    return BalanceInputs({currency: opening}, books_opening, books_closing, cutoff=spec.ledger.period.closing_date)


def create_run(
    db: Session,
    *,
    spec: RunSpec,
    books: Books,
    chain_id: int,
    closed_before: datetime | None,
    actor: str,
    actor_kind: MemberKind | None,
    progress: Progress = NO_PROGRESS,
) -> ReconciliationRun:
    """Reconcile the account's ledger of the period against imported books and store the run (the caller commits).

    Args:
        db: the request's session; the run and its breaks are added to its transaction.
        spec: what the run covers.
        books: the imported books file.
        chain_id: the chain the ledger entries come from.
        closed_before: the time of the last indexed block: the period must have closed by then, or is cut
            there when it has no end (as for statements, `final_spec`).
        actor: the member running it: the account itself, or its sponsor bank.
        actor_kind: the member's kind.
        progress: where to report matching and storing.
    """
    if not can_see(db, actor, actor_kind, [spec.ledger.account]):
        raise ForbiddenError(f"{actor} may not reconcile the account {spec.ledger.account}")
    spec = replace(spec, ledger=final_spec(spec.ledger, closed_before))
    account, currency, period = spec.ledger.account, spec.ledger.currency, spec.ledger.period
    entries = list(
        ledger.entries(
            db,
            account=account,
            currency=currency,
            start=period.start,
            end=period.end,
            counterparty=None,
            chain_id=chain_id,
        )
    )
    opening = ledger.balance_before(db, account=account, currency=currency, before=period.start, counterparty=None)
    lines, out_of_scope = _in_scope(books.imported, currency, entries)
    config = ReconcileConfig(rules=spec.rules, balances=_balances(spec, books.imported, opening))
    return record(db, spec=spec, books=books, inputs=RunInputs(entries, lines, config, out_of_scope), actor=actor,
                  progress=progress)  # fmt: skip


def record(
    db: Session, *, spec: RunSpec, books: Books, inputs: RunInputs, actor: str, progress: Progress = NO_PROGRESS
) -> ReconciliationRun:
    """Run the matching engine on `inputs` and add the run and every break to the session (the caller commits).

    Args:
        db: the session.
        spec: what the run covers (stored with it).
        books: the books file (its name, hash and size are stored).
        inputs: the ledger entries, book lines and configuration to run.
        actor: who runs it.
        progress: where to report matching and storing.
    """
    progress.start("matching", None)
    result = reconcile(inputs.ledger, inputs.books, inputs.config)
    summary = result.summary
    run = ReconciliationRun(
        account=spec.ledger.account,
        currency=spec.ledger.currency,
        period_start=spec.ledger.period.start,
        period_end=spec.ledger.period.end,
        books_format=spec.books_format.value,
        books_file_name=books.name,
        books_file_sha256=books.sha256,
        books_file_size=books.size,
        csv_mapping=None if spec.mapping is None else _mapping_document(spec.mapping),
        rules=_rules_document(spec.tolerances, inputs.config.rules),
        ledger_entries=summary.ledger_entries,
        book_lines=summary.book_lines,
        book_lines_out_of_scope=inputs.out_of_scope,
        matched_ledger_entries=summary.matched_ledger_entries,
        matched_book_lines=summary.matched_book_lines,
        matches_by_rule=summary.matches_by_rule,
        breaks_by_category=summary.breaks_by_category,
        created_by=actor,
    )
    db.add(run)
    db.flush()
    progress.start("storing breaks", len(result.breaks))
    now = utcnow()
    for start in range(0, len(result.breaks), BREAKS_PER_INSERT):
        batch = result.breaks[start : start + BREAKS_PER_INSERT]
        repository.add_breaks(db, [_break_row(run.id, found, now) for found in batch])
        progress.advance(len(batch))
    return run


def _mapping_document(mapping: CsvMapping) -> dict[str, Any]:
    """The mapping as JSON (it validates back into the same mapping)."""
    document = {field.name: getattr(mapping, field.name) for field in fields(CsvMapping)}
    document["direction_values"] = {marker: direction.value for marker, direction in mapping.direction_values.items()}
    return document


def _rules_document(tolerances: Tolerances, rules: Sequence[MatchRule]) -> dict[str, Any]:
    applied = [RuleView(name=r.name, strategy=r.strategy.value, tolerance=r.describe_tolerance()) for r in rules]
    return RulesView(**tolerances.model_dump(), rules=applied).model_dump(mode="json")


def _break_row(run_id: int, found: Break, now: datetime) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "reference": found.break_id,
        "category": found.category.value,
        "subtype": None if found.subtype is None else found.subtype.value,
        "side": found.side,
        "status": BreakStatus.OPEN,
        "assignee": None,
        "currency": found.currency,
        "book_currency": found.book_currency,
        "ledger_amount": found.ledger_amount,
        "book_amount": found.book_amount,
        "difference": found.difference,
        "ledger_entry_ids": [str(entry_id) for entry_id in found.ledger_entry_ids],
        "ledger_references": list(found.ledger_references),
        "book_line_ids": list(found.book_line_ids),
        "book_references": list(found.book_references),
        "rule": found.rule,
        "tolerance": found.tolerance,
        "scope": found.extra,
        "detail": found.detail,
        "updated_at": now,
    }


# -- reading -----------------------------------------------------------------------------------------------


def visible_run(db: Session, viewer: str, viewer_kind: MemberKind | None, run_id: int) -> ReconciliationRun:
    """A run the viewer may see (the account's owner, its sponsor bank, auditors); else 404."""
    row = repository.run(db, run_id)
    if row is None or not can_see(db, viewer, viewer_kind, [row.account]):
        raise RunNotFoundError(f"no reconciliation run {run_id}")
    return row


def visible_break(
    db: Session, viewer: str, viewer_kind: MemberKind | None, run_id: int, break_id: int, *, for_update: bool = False
) -> ReconciliationBreak:
    """A break of a run the viewer may see; else 404 (the run's 404 first, so a hidden run betrays nothing)."""
    visible_run(db, viewer, viewer_kind, run_id)
    row = repository.break_row(db, break_id, for_update=for_update)
    if row is None or row.run_id != run_id:
        raise BreakNotFoundError(f"no break {break_id} in reconciliation run {run_id}")
    return row


def list_runs(
    db: Session, viewer: str, viewer_kind: MemberKind | None, account: str | None, after: int | None, limit: int
) -> list[ReconciliationRun]:
    """Runs of the accounts the viewer sees, optionally of one account only."""
    accounts = visible_accounts(db, viewer, viewer_kind)
    if account is not None:
        account = checksum(account)  # the query took 0x and 40 hex digits, in any case
        accounts = {account} if accounts is None or account in accounts else set()
    return repository.runs(db, accounts, after, limit)


def list_breaks(
    db: Session,
    run: ReconciliationRun,
    category: BreakCategory | None,
    status: BreakStatus | None,
    after: int | None,
    limit: int,
) -> list[ReconciliationBreak]:
    """A page of the run's breaks, optionally of one category and one status."""
    value = None if category is None else category.value
    return repository.breaks(db, run.id, category=value, status=status, after=after, limit=limit)


def runs(
    platform: Platform, viewer: str, viewer_kind: MemberKind | None, account: str | None, after: int | None,
    limit: int,
) -> list[RunView]:  # fmt: skip
    with platform.sessions() as db:
        return [run_view(db, row) for row in list_runs(db, viewer, viewer_kind, account, after, limit)]


def run_detail(platform: Platform, viewer: str, viewer_kind: MemberKind | None, run_id: int) -> RunView:
    with platform.sessions() as db:
        return run_view(db, visible_run(db, viewer, viewer_kind, run_id))


def breaks(
    platform: Platform, viewer: str, viewer_kind: MemberKind | None, run_id: int, category: BreakCategory | None,
    status: BreakStatus | None, after: int | None, limit: int,
) -> list[BreakView]:  # fmt: skip
    """A page of the breaks of a run the viewer may see."""
    with platform.sessions() as db:
        run = visible_run(db, viewer, viewer_kind, run_id)
        return [break_view(row) for row in list_breaks(db, run, category, status, after, limit)]


def break_of(
    platform: Platform, viewer: str, viewer_kind: MemberKind | None, run_id: int, break_id: int
) -> BreakDetail:
    with platform.sessions() as db:
        return break_detail(db, visible_break(db, viewer, viewer_kind, run_id, break_id))


def run_view(db: Session, row: ReconciliationRun) -> RunView:
    statuses = repository.status_counts(db, row.id)
    return RunView(
        id=str(row.id),
        account=row.account,
        currency=row.currency,
        period_start=row.period_start,
        period_end=row.period_end,
        books_file=BooksFileView(
            format=BooksFormat(row.books_format),
            name=row.books_file_name,
            sha256=row.books_file_sha256,
            size=row.books_file_size,
            lines_out_of_scope=row.book_lines_out_of_scope,
        ),
        ledger_entries=_counts(row.ledger_entries, row.matched_ledger_entries),
        book_lines=_counts(row.book_lines, row.matched_book_lines),
        matches_by_rule=row.matches_by_rule,
        breaks_by_category=row.breaks_by_category,
        breaks_by_status={status.value: statuses.get(status, 0) for status in BreakStatus},
        rules=RulesView.model_validate(row.rules),
        csv_mapping=row.csv_mapping,
        created_by=row.created_by,
        created_at=row.created_at,
    )


def _counts(total: int, matched: int) -> SideCounts:
    return SideCounts(total=total, matched=matched, unmatched=total - matched)


def _amount(value: int | None) -> str | None:
    return None if value is None else str(value)


def break_view(row: ReconciliationBreak) -> BreakView:
    return BreakView(
        id=str(row.id),
        run_id=str(row.run_id),
        reference=row.reference,
        category=row.category,  # type: ignore[arg-type]  # validated into BreakCategory
        subtype=row.subtype,  # type: ignore[arg-type]
        side=row.side,
        status=row.status,
        assignee=row.assignee,
        currency=row.currency,
        book_currency=row.book_currency,
        ledger_amount=_amount(row.ledger_amount),
        book_amount=_amount(row.book_amount),
        difference=_amount(row.difference),
        ledger_entry_ids=row.ledger_entry_ids,
        ledger_references=row.ledger_references,
        book_line_ids=row.book_line_ids,
        book_references=row.book_references,
        rule=row.rule,
        tolerance=row.tolerance,
        scope=row.scope,
        detail=row.detail,
        updated_at=row.updated_at,
    )


def break_detail(db: Session, row: ReconciliationBreak) -> BreakDetail:
    history = [
        StatusChangeView(
            from_status=change.from_status,
            to_status=change.to_status,
            assignee=change.assignee,
            note=change.note,
            changed_by=change.changed_by,
            changed_at=change.changed_at,
        )
        for change in repository.history(db, row.id)
    ]
    return BreakDetail(**break_view(row).model_dump(), history=history)


# -- status changes ----------------------------------------------------------------------------------------

_FROM_OPEN_OR_ASSIGNED = frozenset({BreakStatus.OPEN, BreakStatus.ASSIGNED})
TRANSITIONS: dict[str, tuple[frozenset[BreakStatus], BreakStatus]] = {
    "assign": (_FROM_OPEN_OR_ASSIGNED, BreakStatus.ASSIGNED),
    "resolve": (_FROM_OPEN_OR_ASSIGNED, BreakStatus.RESOLVED),
    "reopen": (frozenset({BreakStatus.RESOLVED}), BreakStatus.OPEN),
}
"""action → (statuses it applies to, status it leads to). Reassigning an assigned break is an assignment too."""


def change_status(
    db: Session,
    *,
    run_id: int,
    break_id: int,
    action: str,
    actor: str,
    actor_kind: MemberKind | None,
    note: str | None,
    assignee: str | None = None,
) -> ReconciliationBreak:
    """Move a break (locked for the change) and record who moved it, from where to where, and why.

    Args:
        db: the request's session (the caller commits).
        run_id: the run the break belongs to.
        break_id: the break.
        action: `assign`, `resolve` or `reopen` (see TRANSITIONS).
        actor: the member making the change; must see the run.
        actor_kind: its kind.
        note: why; required by the request schema for `resolve`.
        assignee: for `assign`, who works on the break.

    Raises:
        BreakTransitionError: the break's status does not allow the action.
    """
    row = visible_break(db, actor, actor_kind, run_id, break_id, for_update=True)
    allowed, target = TRANSITIONS[action]
    if row.status not in allowed:
        names = " or ".join(sorted(status.value for status in allowed))
        raise BreakTransitionError(f"break {break_id} is {row.status.value}: only a break that is {names} can {action}")
    if target is BreakStatus.ASSIGNED:
        row.assignee = assignee
    elif target is BreakStatus.OPEN:
        row.assignee = None
    db.add(
        BreakStatusChange(
            break_id=row.id,
            from_status=row.status,
            to_status=target,
            assignee=row.assignee,
            note=note,
            changed_by=actor,
        )
    )
    row.status = target
    row.updated_at = utcnow()
    db.flush()
    return row


def start_run(
    platform: Platform,
    spec: RunSpec,
    books: Books,
    actor: str,
    actor_kind: MemberKind | None,
    record: Callable[[Session, RunView], None] | None = None,
    progress: Progress = NO_PROGRESS,
) -> RunView:
    """Reconcile imported books against the account's ledger once the chain has closed the period, and store the
    run; `record` runs in the transaction that stores it (the API stores the request's answer there)."""
    closed_before = platform.closed_until(settle_target(spec.ledger, utcnow()))
    chain_id = platform.transactions.chain_id

    def run(db: Session) -> RunView:
        created = create_run(
            db, spec=spec, books=books, chain_id=chain_id, closed_before=closed_before, actor=actor,
            actor_kind=actor_kind, progress=progress,
        )  # fmt: skip
        return run_view(db, created)

    return write_in_database(platform, run, record)


class BreakChange(TypedDict):
    """What `change_status` needs besides the session: which break, what to do, who does it, and why."""

    run_id: int
    break_id: int
    action: str
    actor: str
    actor_kind: MemberKind | None
    note: str | None
    assignee: NotRequired[str | None]


def change_break(
    platform: Platform, record: Callable[[Session, BreakDetail], None] | None, **change: Unpack[BreakChange]
) -> BreakDetail:
    """Assign, resolve or reopen a break, and answer with its history; `record` runs in the change's transaction."""
    return write_in_database(platform, lambda db: break_detail(db, change_status(db, **change)), record)
