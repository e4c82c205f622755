"""Two-pass, streaming statement building.

Why two passes: every statement format puts balances and totals *before* the entries (camt `Bal` and
`TxsSummry`, MT940 `:60F:`) while we must never hold a million entries in memory. Pass one
(`plan_statements`) reads the entries once and keeps only counters per period; pass two
(`iter_statements` / `statement_lines`) reads them again, numbers them and checks they still add up to
what pass one saw. The caller supplies the entries twice, typically as a factory that re-runs a query
or re-reads chain logs; a list works too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, time, tzinfo
from itertools import chain, pairwise

from reconciliation.currency import exponent
from reconciliation.entries import Direction, LedgerEntry
from reconciliation.statements.model import (
    IntegrityError,
    StatementError,
    StatementHeader,
    StatementLine,
    Totals,
)
from reconciliation.statements.period import Period, daily_periods

EntrySource = Callable[[], Iterable[LedgerEntry]]
"""A re-iterable source of entries: called once per pass."""


@dataclass(slots=True)
class _Counter:
    debit_count: int = 0
    debit_sum: int = 0
    credit_count: int = 0
    credit_sum: int = 0

    def add(self, entry: LedgerEntry) -> None:
        if entry.direction is Direction.CREDIT:
            self.credit_count += 1
            self.credit_sum += entry.amount
        else:
            self.debit_count += 1
            self.debit_sum += entry.amount

    def totals(self) -> Totals:
        return Totals(self.debit_count, self.debit_sum, self.credit_count, self.credit_sum)


class _Checker:
    """Validates the stream: account, currency, counterparty, amounts, strict (block, log) order."""

    __slots__ = ("_account", "_account_raw", "_counterparty", "_currency", "_last")

    def __init__(self, account: str, currency: str, counterparty: str | None) -> None:
        self._account_raw = account
        self._account = account.lower()
        self._currency = currency
        self._counterparty = counterparty.lower() if counterparty is not None else None
        self._last: tuple[int, int] = (-1, -1)

    def check(self, entry: LedgerEntry) -> None:
        account = entry.account
        if account != self._account_raw and account.lower() != self._account:
            raise StatementError(f"entry {entry.entry_id} is for account {account}, not {self._account}")
        if entry.currency != self._currency:
            raise StatementError(f"entry {entry.entry_id} is in {entry.currency}, not {self._currency}")
        if self._counterparty is not None and entry.counterparty.lower() != self._counterparty:
            raise StatementError(f"entry {entry.entry_id} has counterparty {entry.counterparty}")
        if entry.amount <= 0:
            raise StatementError(f"entry {entry.entry_id} has non-positive amount {entry.amount}")
        if type(entry.direction) is not Direction:
            raise StatementError(f"entry {entry.entry_id} has invalid direction {entry.direction!r}")
        evidence = entry.evidence
        key = (evidence.block_number, evidence.log_index)
        if key <= self._last:
            raise StatementError(
                f"entry {entry.entry_id} at {key} is not after {self._last}: entries must be sorted by "
                "(block number, log index) without duplicates"
            )
        self._last = key


def plan_statements(
    entries: Iterable[LedgerEntry],
    *,
    account: str,
    currency: str,
    periods: Sequence[Period],
    opening: int,
    first_sequence: int = 1,
    counterparty: str | None = None,
) -> list[StatementHeader]:
    """Pass one: the headers of consecutive statements over `periods`, chained balance to balance.

    Periods with no entries still get a statement (with opening = closing), so sequence numbers stay
    gapless and every day's opening equals the previous day's closing.

    Args:
        entries: all entries of the account and currency over the periods, sorted by
            (block number, log index).
        account: the statement account.
        currency: ISO 4217 code (validated).
        periods: consecutive periods, each starting where the previous one ends.
        opening: opening balance of the first period, minor units.
        first_sequence: sequence number of the first statement.
        counterparty: restrict to a bilateral statement; entries must already be filtered.

    Raises:
        StatementError: an entry is out of order, for another account/currency, or outside the periods.
    """
    exponent(currency)
    if not periods:
        raise StatementError("at least one period is required")
    for before, after in pairwise(periods):
        if before.end != after.start:
            raise StatementError(f"periods are not consecutive: {before.end} then {after.start}")
    checker = _Checker(account, currency, counterparty)
    counters = [_Counter() for _ in periods]
    index = 0
    for entry in entries:
        checker.check(entry)
        index = _period_index(periods, index, entry)
        counters[index].add(entry)
    headers: list[StatementHeader] = []
    balance = opening
    for offset, (period, counter) in enumerate(zip(periods, counters, strict=True)):
        header = StatementHeader(
            account=account,
            currency=currency,
            period=period,
            sequence=first_sequence + offset,
            opening=balance,
            totals=counter.totals(),
            counterparty=counterparty,
        )
        headers.append(header)
        balance = header.closing
    return headers


def _period_index(periods: Sequence[Period], index: int, entry: LedgerEntry) -> int:
    """Index of the period holding `entry`, scanning forward only (entries are in time order)."""
    while index < len(periods) and entry.booked_at >= periods[index].end:
        index += 1
    if index == len(periods) or not periods[index].contains(entry.booked_at):
        raise StatementError(
            f"entry {entry.entry_id} booked at {entry.booked_at.isoformat()} is outside the statement "
            f"periods (or not in time order)"
        )
    return index


def build_header(
    entries: Iterable[LedgerEntry],
    *,
    account: str,
    currency: str,
    period: Period,
    opening: int,
    sequence: int = 1,
    counterparty: str | None = None,
) -> StatementHeader:
    """Pass one for a single statement: see `plan_statements`."""
    return plan_statements(
        entries,
        account=account,
        currency=currency,
        periods=[period],
        opening=opening,
        first_sequence=sequence,
        counterparty=counterparty,
    )[0]


def statement_lines(header: StatementHeader, entries: Iterable[LedgerEntry]) -> Iterator[StatementLine]:
    """Pass two for one statement: numbered lines with running balances, checked against `header`.

    Raises:
        StatementError: an entry is invalid or outside the header's period.
        IntegrityError: once the entries are exhausted, if they do not add up to the header (the source
            changed between the passes, or the header came from elsewhere and is wrong).
    """
    check = _Checker(header.account, header.currency, header.counterparty).check
    debit_count = debit_sum = credit_count = credit_sum = 0
    balance = header.opening
    period = header.period
    start, end = period.start, period.end
    credit = Direction.CREDIT
    for line_no, entry in enumerate(entries, start=1):  # the hot loop of pass two: kept inline
        check(entry)
        if not start <= entry.booked_at < end:
            raise StatementError(
                f"entry {entry.entry_id} booked at {entry.booked_at.isoformat()} is outside "
                f"[{start.isoformat()}, {end.isoformat()})"
            )
        amount = entry.amount
        if entry.direction is credit:
            credit_count += 1
            credit_sum += amount
            balance += amount
        else:
            debit_count += 1
            debit_sum += amount
            balance -= amount
        yield StatementLine(line_no, entry, balance)
    counter = _Counter(debit_count, debit_sum, credit_count, credit_sum)
    if counter.totals() != header.totals:
        raise IntegrityError(
            f"statement {header.statement_id}: entries total {counter.totals()} but the header says {header.totals}"
        )


def iter_statements(
    headers: Sequence[StatementHeader], entries: Iterable[LedgerEntry]
) -> Iterator[tuple[StatementHeader, Iterator[StatementLine]]]:
    """Pass two for consecutive statements: one `(header, lines)` pair per header, in a single pass.

    Each `lines` iterator must be consumed (or abandoned) before advancing to the next pair, as with
    `itertools.groupby`; unconsumed lines are skipped but still checked.
    """
    stream = iter(entries)
    pending: list[LedgerEntry] = []
    for header in headers:
        source = _take_period(header.period, stream, pending)
        lines = statement_lines(header, source)
        yield header, lines
        for _ in lines:  # drain what the caller did not consume, so checks run and the stream advances
            pass
    for entry in chain(pending, stream):
        raise StatementError(f"entry {entry.entry_id} booked at {entry.booked_at.isoformat()} is after the last period")


def _take_period(period: Period, stream: Iterator[LedgerEntry], pending: list[LedgerEntry]) -> Iterator[LedgerEntry]:
    """Entries of `stream` booked before `period.end`; the first later entry is parked in `pending`."""
    for entry in chain(_pop_all(pending), stream):
        if entry.booked_at >= period.end:
            pending.append(entry)
            return
        yield entry


def _pop_all(pending: list[LedgerEntry]) -> Iterator[LedgerEntry]:
    while pending:
        yield pending.pop()


@dataclass(frozen=True, slots=True)
class Statement:
    """A statement header plus the source to stream its lines from (the usual way to build one).

    Example:
        >>> statement = Statement.build(lambda: repo.entries(acct, "USD", period), account=acct,
        ...     currency="USD", period=period, opening=prev.closing, sequence=prev.sequence + 1)
        >>> with open("stmt.xml", "wb") as out:
        ...     write_camt053(out, statement.header, statement.lines())
    """

    header: StatementHeader
    source: EntrySource

    @classmethod
    def build(
        cls,
        source: EntrySource,
        *,
        account: str,
        currency: str,
        period: Period,
        opening: int,
        sequence: int = 1,
        counterparty: str | None = None,
    ) -> Statement:
        """Run pass one over `source()` and keep `source` for pass two."""
        header = build_header(
            source(),
            account=account,
            currency=currency,
            period=period,
            opening=opening,
            sequence=sequence,
            counterparty=counterparty,
        )
        return cls(header, source)

    def lines(self) -> Iterator[StatementLine]:
        """Pass two: the numbered, checked lines (calls the source again)."""
        return statement_lines(self.header, self.source())


def daily_statements(
    source: EntrySource,
    *,
    account: str,
    currency: str,
    first_day: date,
    last_day: date,
    opening: int,
    first_sequence: int = 1,
    cutoff: time = time(0),
    tz: tzinfo = UTC,
    counterparty: str | None = None,
) -> Iterator[tuple[StatementHeader, Iterator[StatementLine]]]:
    """Consecutive daily statements from `first_day` to `last_day`, streaming in two passes.

    Pass one runs over `source()` when this is called; each `(header, lines)` pair of pass two comes
    from a second `source()` run. Days without entries still get a statement, so sequence numbers
    have no gaps and each opening equals the previous closing.

    Example:
        >>> for header, lines in daily_statements(source, account=a, currency="USD",
        ...         first_day=d1, last_day=d7, opening=prev.closing, first_sequence=prev.sequence + 1):
        ...     with open(f"{header.statement_id}.xml", "wb") as out:
        ...         write_camt053(out, header, lines)
    """
    headers = plan_statements(
        source(),
        account=account,
        currency=currency,
        periods=list(daily_periods(first_day, last_day, cutoff, tz)),
        opening=opening,
        first_sequence=first_sequence,
        counterparty=counterparty,
    )
    return iter_statements(headers, source())
