"""What a reconciliation run returns: matches (stored compactly), breaks and a summary."""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from reconciliation.entries import LedgerEntry
from reconciliation.matching.books import BookLine
from reconciliation.matching.breaks import Break
from reconciliation.matching.rules import MatchRule, Strategy

__all__ = ["Match", "MatchSet", "RunResult", "RunSummary"]


@dataclass(frozen=True, slots=True)
class Match:
    """Ledger entries and book lines that a rule accepted as the same movement.

    Attributes:
        rule: the rule's name.
        strategy: the rule's strategy.
        ledger_entry_ids: the ledger side (one entry unless many-to-one).
        book_line_ids: the book side (one line unless one-to-many).
        difference: signed book sum - signed ledger sum, in minor units (non-zero only within a tolerance).
    """

    rule: str
    strategy: Strategy
    ledger_entry_ids: tuple[int, ...]
    book_line_ids: tuple[str, ...]
    difference: int


class MatchSet:
    """All matches of a run, stored as index arrays so a million matches cost megabytes, not objects.

    Iterate it to get `Match` objects built on demand; `len()` is the number of matches.
    """

    def __init__(self, rules: Sequence[MatchRule], ledger: Sequence[LedgerEntry], books: Sequence[BookLine]) -> None:
        self._rules = tuple(rules)
        self._ledger = ledger
        self._books = books
        self._pair_rule = array("H")
        self._pair_ledger = array("q")
        self._pair_book = array("q")
        self._groups: list[tuple[int, tuple[int, ...], tuple[int, ...]]] = []

    def add_pair(self, rule_index: int, ledger_index: int, book_index: int) -> None:
        """Record a one-to-one match by positions in the run's inputs."""
        self._pair_rule.append(rule_index)
        self._pair_ledger.append(ledger_index)
        self._pair_book.append(book_index)

    def add_pairs(self, rule_index: int, ledger_indexes: Sequence[int], book_indexes: Sequence[int]) -> None:
        """Record many one-to-one matches of one rule at once (the hot path of a large run)."""
        self._pair_rule.extend([rule_index] * len(ledger_indexes))
        self._pair_ledger.extend(ledger_indexes)
        self._pair_book.extend(book_indexes)

    def add_group(self, rule_index: int, ledger_indexes: tuple[int, ...], book_indexes: tuple[int, ...]) -> None:
        """Record a one-to-many or many-to-one match by positions in the run's inputs."""
        self._groups.append((rule_index, ledger_indexes, book_indexes))

    def __len__(self) -> int:
        return len(self._pair_rule) + len(self._groups)

    def __iter__(self) -> Iterator[Match]:
        for rule_index, ledger_index, book_index in zip(
            self._pair_rule, self._pair_ledger, self._pair_book, strict=True
        ):
            yield self._build(rule_index, (ledger_index,), (book_index,))
        for rule_index, ledger_indexes, book_indexes in self._groups:
            yield self._build(rule_index, ledger_indexes, book_indexes)

    def _build(self, rule_index: int, ledger_indexes: tuple[int, ...], book_indexes: tuple[int, ...]) -> Match:
        rule = self._rules[rule_index]
        entries = [self._ledger[i] for i in ledger_indexes]
        lines = [self._books[i] for i in book_indexes]
        return Match(
            rule=rule.name,
            strategy=rule.strategy,
            ledger_entry_ids=tuple(entry.entry_id for entry in entries),
            book_line_ids=tuple(line.line_id for line in lines),
            difference=sum(line.signed_amount for line in lines) - sum(entry.signed_amount for entry in entries),
        )

    def counts_by_rule(self) -> dict[str, int]:
        """Number of matches per `rule (strategy)`, in rule order, including rules that matched nothing."""
        counts = [0] * len(self._rules)
        for rule_index in self._pair_rule:
            counts[rule_index] += 1
        for rule_index, _, _ in self._groups:
            counts[rule_index] += 1
        return {f"{rule.name} ({rule.strategy.value})": count for rule, count in zip(self._rules, counts, strict=True)}


@dataclass(frozen=True, slots=True)
class RunSummary:
    """Counts of a run, for a report header and for monitoring.

    Attributes:
        ledger_entries: ledger entries given.
        book_lines: book lines given.
        matched_ledger_entries: ledger entries in some match.
        matched_book_lines: book lines in some match.
        matches_by_rule: `rule (strategy)` → number of matches.
        breaks_by_category: category → number of breaks (every category present, zeros included).
    """

    ledger_entries: int
    book_lines: int
    matched_ledger_entries: int
    matched_book_lines: int
    matches_by_rule: dict[str, int] = field(default_factory=dict)
    breaks_by_category: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RunResult:
    """Matches, breaks (sorted by category, then id) and the summary of one run."""

    matches: MatchSet
    breaks: list[Break]
    summary: RunSummary
