"""The books-vs-ledger matching engine.

One run: set exact re-deliveries aside as duplicates, apply the rules in order (each only to what is
still unmatched, each through an index on its key, so a run is near-linear in the input size), then
classify everything left over into breaks, and finish with the statement-level checks (balance drift per
currency, sequence gaps). An entry or a line is never in two matches: a match marks both sides taken.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import partial
from itertools import combinations, compress, islice, pairwise
from operator import attrgetter, lt, ne, not_, sub
from types import MappingProxyType
from typing import TypeVar

from reconciliation.entries import Direction, LedgerEntry
from reconciliation.matching._runtime import gc_paused
from reconciliation.matching.books import BookLine, BookStatement, EntryStatus, ImportedBooks
from reconciliation.matching.breaks import (
    AmountMismatchSubtype,
    Break,
    BreakCategory,
    BreakKey,
    Side,
    break_id,
)
from reconciliation.matching.result import MatchSet, RunResult, RunSummary
from reconciliation.matching.rules import (
    DEFAULT_RULES,
    AmountCriterion,
    DateWindow,
    MatchRule,
    ReferenceCriterion,
    Strategy,
)

__all__ = ["BalanceInputs", "MismatchPolicy", "ReconcileConfig", "reconcile"]

_T = TypeVar("_T")

_FREE = 0
_MATCHED = 1
_ASIDE = 2  # not matchable: an exact re-delivery, or a pending book line
_BROKEN = 3  # already reported in a break
_OPEN = frozenset({_FREE, _ASIDE})  # book lines still to classify

_CLASSIFIER_FALLBACK = MatchRule(
    name="reference-amount-exact",
    reference=ReferenceCriterion(),
    amount=AmountCriterion(),
    date_window=DateWindow.symmetric(2),
)


@dataclass(frozen=True, slots=True)
class MismatchPolicy:
    """How to tell apart the kinds of amount mismatch and reversals among leftovers.

    A difference up to the fee limit is a FEE (bank charges are small, fixed-size amounts); beyond it, a
    difference up to `fx_max_bps` of the ledger amount is FX (a conversion at another rate moves the
    amount in proportion); beyond both, less in the books is PARTIAL and more is OTHER. A line whose
    charges (camt Chrgs) equal the difference is always a FEE.

    Attributes:
        fee_max_minor: fee limit in minor units for currencies without an entry in `fee_max_by_currency`.
        fee_max_by_currency: per-currency fee limits in minor units.
        fx_max_bps: FX limit in basis points of the ledger amount.
        reversal_kinds: ledger posting kinds that are reversals or returns.
    """

    fee_max_minor: int = 10_000
    fee_max_by_currency: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    fx_max_bps: int = 300
    reversal_kinds: frozenset[str] = frozenset({"REVERSAL", "RETURN"})

    def fee_max(self, currency: str) -> int:
        """The fee limit of `currency` in minor units."""
        return self.fee_max_by_currency.get(currency, self.fee_max_minor)

    def subtype(
        self, currency: str, ledger_amount: int, book_amount: int, charges: int | None
    ) -> AmountMismatchSubtype:
        """Subtype of an amount mismatch between positive magnitudes of the same currency."""
        difference = abs(book_amount - ledger_amount)
        if charges is not None and difference == charges:
            return AmountMismatchSubtype.FEE
        if difference <= self.fee_max(currency):
            return AmountMismatchSubtype.FEE
        if difference * 10_000 <= self.fx_max_bps * ledger_amount:
            return AmountMismatchSubtype.FX
        return AmountMismatchSubtype.PARTIAL if book_amount < ledger_amount else AmountMismatchSubtype.OTHER


@dataclass(frozen=True, slots=True)
class BalanceInputs:
    """Balances for the per-currency balance check at the cut-off.

    The check reports only drift that the lines do not explain: with the books' closing balance taken
    from their statement (or computed from their opening balance and lines), the drift is
    `books closing - (ledger opening + Σ book lines)`; every item-level break already explains its own
    share of the difference between the two closings, and must not be reported twice.

    Attributes:
        ledger_opening: currency → the ledger's opening balance, signed minor units.
        books_opening: currency → the books' opening balance, signed minor units.
        books_closing: currency → the books' declared closing balance (camt CLBD, MT940 :62F:), if known.
        cutoff: the last day included (UTC); later entries and lines are left out of the sums.
    """

    ledger_opening: Mapping[str, int]
    books_opening: Mapping[str, int]
    books_closing: Mapping[str, int] | None = None
    cutoff: date | None = None

    @classmethod
    def from_statements(
        cls, ledger_opening: Mapping[str, int], statements: Iterable[BookStatement], cutoff: date | None = None
    ) -> BalanceInputs:
        """Take the books' balances from imported statements: per currency, the opening balance of the
        first statement and the closing balance of the last (by sequence number, then file order)."""
        ordered = sorted(
            enumerate(statements),
            key=lambda item: (item[1].sequence_number is None, item[1].sequence_number or 0, item[0]),
        )
        opening: dict[str, int] = {}
        closing: dict[str, int] = {}
        for _, statement in ordered:
            if statement.currency is None:
                continue
            if statement.opening_balance is not None:
                opening.setdefault(statement.currency, statement.opening_balance)
            if statement.closing_balance is not None:
                closing[statement.currency] = statement.closing_balance
        return cls(ledger_opening=ledger_opening, books_opening=opening, books_closing=closing, cutoff=cutoff)


@dataclass(frozen=True, slots=True)
class ReconcileConfig:
    """Everything a run needs besides its inputs.

    Attributes:
        rules: matching rules, tried in order.
        policy: how leftovers are sub-classified.
        balances: opening/closing balances for the balance check; None skips it.
        check_entry_sequence: report gaps in ledger entry ids. Only meaningful when the ledger given is
            the whole ledger (entry ids are global per chain, so one account's entries have gaps).
        check_statement_sequence: report gaps in the books' statement numbers, per account.
    """

    rules: Sequence[MatchRule] = DEFAULT_RULES
    policy: MismatchPolicy = field(default_factory=MismatchPolicy)
    balances: BalanceInputs | None = None
    check_entry_sequence: bool = False
    check_statement_sequence: bool = True


def reconcile(
    ledger: Sequence[LedgerEntry],
    books: Sequence[BookLine] | ImportedBooks,
    config: ReconcileConfig | None = None,
) -> RunResult:
    """Match `books` against `ledger` and report every break.

    Args:
        ledger: the ledger entries of the period (order matters only to break ties between ledger
            entries competing for one book line; the same input always gives the same result).
        books: book lines, or an importer's result (whose statement numbers feed the sequence check).
        config: rules, policy and checks; the defaults suit books that carry the business reference.

    Returns:
        The matches, the breaks sorted by category then id, and a summary.
    """
    config = config or ReconcileConfig()
    statements = books.statements if isinstance(books, ImportedBooks) else []
    lines = books.lines if isinstance(books, ImportedBooks) else books
    with gc_paused():
        run = _Run(ledger, lines, config)
        run.set_aside_redeliveries()
        for rule_index, rule in enumerate(config.rules):
            run.apply(rule_index, rule)
        run.classify_leftovers()
        if config.balances is not None:
            run.check_balances(config.balances)
        if config.check_entry_sequence:
            run.check_entry_sequence()
        if config.check_statement_sequence:
            run.check_statement_sequence([(s.account, s.sequence_number) for s in statements])
        return run.result()


_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def _ledger_days(ledger: Sequence[LedgerEntry]) -> list[int]:
    """UTC day ordinal of every entry's `booked_at`, at C speed when (as the ledger promises) all are UTC."""
    moments = list(map(attrgetter("booked_at"), ledger))
    zones = set(map(attrgetter("tzinfo"), moments))
    if zones <= {UTC}:
        return list(map(date.toordinal, map(datetime.date, moments)))
    if None in zones:
        raise ValueError("ledger entries' booked_at must be timezone-aware (UTC): a naive time has no UTC day")
    return [moment.astimezone(UTC).date().toordinal() for moment in moments]


def _ledger_key_getter(criterion: ReferenceCriterion) -> Callable[[LedgerEntry], str]:
    if criterion.ledger_field == "entry_id":
        return lambda entry: str(entry.entry_id)
    return attrgetter("reference")


def _book_day_getter(window: DateWindow | None) -> Callable[[BookLine], int]:
    if window is not None and window.book_date == "value":
        return lambda line: (line.value_date or line.booking_date).toordinal()
    return lambda line: line.booking_date.toordinal()


def _keys(items: Sequence[_T], positions: list[int], getter: Callable[[_T], str]) -> list[str]:
    """`getter` of the items at `positions`, at C speed when every item is included."""
    if len(positions) == len(items):
        return list(map(getter, items))
    return [getter(items[i]) for i in positions]


def _index(keys: list[str], positions: list[int]) -> dict[str, int | list[int]]:
    """Key → position, or → positions in input order when several items share the key; empty keys left
    out. Built by `dict(zip())` at C speed; only keys seen more than once are revisited."""
    index: dict[str, int | list[int]] = dict(zip(keys, positions, strict=True))
    if len(index) < len(keys):
        # positions that are not the last of their key: all at C speed, then a short Python loop
        earlier = compress(range(len(keys)), map(ne, map(index.__getitem__, keys), positions))
        groups: dict[str, list[int]] = {}
        for i in earlier:
            groups.setdefault(keys[i], []).append(positions[i])
        for key, members in groups.items():
            members.append(index[key])  # type: ignore[arg-type]
            index[key] = members
    index.pop("", None)
    return index


def _accepts_sum(criterion: AmountCriterion, ledger_amount: int, book_total: int) -> bool:
    """One-to-many: the book lines' total against the ledger amount."""
    return criterion.accepts(ledger_amount, book_total)


def _accepts_total(criterion: AmountCriterion, book_amount: int, ledger_total: int) -> bool:
    """Many-to-one: the ledger entries' total against the book amount."""
    return criterion.accepts(ledger_total, book_amount)


def _subset(amounts: Sequence[int], accepts: Callable[[int], bool], max_size: int) -> tuple[int, ...] | None:
    """Positions of a subset (of at least two) whose sum `accepts`: the whole set first, then larger
    subsets before smaller ones, each size in lexicographic order. Groups above `max_size` are only tried
    whole, which bounds the search at 2^max_size sums."""
    count = len(amounts)
    if count < 2:
        return None
    if accepts(sum(amounts)):
        return tuple(range(count))
    if count > max_size:
        return None
    for size in range(count - 1, 1, -1):
        for combo in combinations(range(count), size):
            if accepts(sum(amounts[i] for i in combo)):
                return combo
    return None


class _Run:
    """State of one run: inputs, per-item state, matches and breaks."""

    def __init__(self, ledger: Sequence[LedgerEntry], books: Sequence[BookLine], config: ReconcileConfig) -> None:
        self.ledger = ledger
        self.books = books
        self.config = config
        self.ledger_state = bytearray(len(ledger))
        self.book_state = bytearray(len(books))
        self.ledger_days = _ledger_days(ledger)
        self.matches = MatchSet(config.rules, ledger, books)
        self.breaks: list[Break] = []
        self._break_ids: set[str] = set()
        self._entry_ids: list[int] = []
        self.classifier = next(
            (r for r in config.rules if r.reference is not None and r.strategy is Strategy.ONE_TO_ONE),
            _CLASSIFIER_FALLBACK,
        )

    # -- bookkeeping -------------------------------------------------------------------------------

    def free_ledger(self) -> list[int]:
        return list(compress(range(len(self.ledger_state)), map(not_, self.ledger_state)))

    def free_books(self) -> list[int]:
        return list(compress(range(len(self.book_state)), map(not_, self.book_state)))

    def add_break(
        self,
        category: BreakCategory,
        side: Side,
        ledger_indexes: Sequence[int],
        book_indexes: Sequence[int],
        *,
        rule: str,
        tolerance: str,
        detail: str,
        subtype: AmountMismatchSubtype | None = None,
        extra: str = "",
        amounts: tuple[str | None, int | None, int | None, int | None] | None = None,
    ) -> None:
        """Record a break over inputs by position and mark them broken; amounts default to the sides' sums."""
        entries = sorted((self.ledger[i] for i in ledger_indexes), key=attrgetter("entry_id"))
        lines = sorted((self.books[i] for i in book_indexes), key=attrgetter("line_id"))
        for i in ledger_indexes:
            self.ledger_state[i] = _BROKEN
        for i in book_indexes:
            self.book_state[i] = _BROKEN
        book_currency = None
        if amounts is not None:
            currency, ledger_amount, book_amount, difference = amounts
        else:
            currency = entries[0].currency if entries else lines[0].currency
            ledger_amount = sum(e.signed_amount for e in entries) if entries else None
            book_amount = sum(b.signed_amount for b in lines) if lines else None
            currencies = {e.currency for e in entries} | {b.currency for b in lines}
            if len(currencies) > 1:
                book_currency = next((b.currency for b in lines if b.currency != currency), None)
                difference = None
            else:
                difference = (book_amount or 0) - (ledger_amount or 0)
        key: BreakKey = (
            category.value,
            subtype.value if subtype else "",
            tuple(e.entry_id for e in entries),
            tuple(b.line_id for b in lines),
            extra,
        )
        identifier = break_id(key)
        occurrence = 1
        while identifier in self._break_ids:  # identical re-deliveries share a key; keep ids unique
            occurrence += 1
            key = (*key[:4], f"{extra}#{occurrence}")
            identifier = break_id(key)
        self._break_ids.add(identifier)
        self.breaks.append(
            Break(
                break_id=identifier,
                category=category,
                subtype=subtype,
                side=side,
                ledger_entry_ids=key[2],
                ledger_references=tuple(e.reference for e in entries),
                book_line_ids=key[3],
                book_references=tuple(b.business_reference or b.reference for b in lines),
                currency=currency,
                book_currency=book_currency,
                ledger_amount=ledger_amount,
                book_amount=book_amount,
                difference=difference,
                rule=rule,
                tolerance=tolerance,
                detail=detail,
                extra=key[4],
            )
        )

    # -- before matching ---------------------------------------------------------------------------

    def set_aside_redeliveries(self) -> None:
        """A ledger entry id or book line id seen before is a re-delivery: a DUPLICATE, never matched.
        Pending / info / future book lines are set aside too: they are classified, not matched."""
        entry_ids = list(map(attrgetter("entry_id"), self.ledger))
        if len(set(entry_ids)) != len(entry_ids):
            self._redelivered_entries(entry_ids)
        self._entry_ids = entry_ids  # kept for the sequence check
        line_ids = list(map(attrgetter("line_id"), self.books))
        if len(set(line_ids)) != len(line_ids):
            self._redelivered_lines(line_ids)
        del line_ids
        booked = EntryStatus.BOOKED
        for index in compress(range(len(self.books)), map(booked.__ne__, map(attrgetter("status"), self.books))):
            if self.book_state[index] == _FREE:
                self.book_state[index] = _ASIDE

    def _redelivered_entries(self, entry_ids: list[int]) -> None:
        seen_entries: set[int] = set()
        for index, entry_id in enumerate(entry_ids):
            if entry_id in seen_entries:
                self.add_break(
                    BreakCategory.DUPLICATE, Side.LEDGER, [index], [],
                    rule="duplicate-delivery", tolerance="exact",
                    detail=f"ledger entry {entry_id} delivered more than once",
                )  # fmt: skip
            seen_entries.add(entry_id)

    def _redelivered_lines(self, line_ids: list[str]) -> None:
        seen_lines: set[str] = set()
        for index, line_id in enumerate(line_ids):
            if line_id in seen_lines:
                self.add_break(
                    BreakCategory.DUPLICATE, Side.BOOKS, [], [index],
                    rule="duplicate-delivery", tolerance="exact",
                    detail=f"book line {line_id} delivered more than once",
                )  # fmt: skip
            seen_lines.add(line_id)

    # -- matching ----------------------------------------------------------------------------------

    def apply(self, rule_index: int, rule: MatchRule) -> None:
        """Apply one rule to everything still unmatched."""
        if rule.strategy is Strategy.ONE_TO_ONE:
            if rule.reference is not None:
                self._one_to_one_by_reference(rule_index, rule, rule.reference)
            else:
                self._one_to_one_by_amount(rule_index, rule)
        elif rule.strategy is Strategy.ONE_TO_MANY:
            self._one_to_many(rule_index, rule)
        else:
            self._many_to_one(rule_index, rule)

    def _pair_check(self, rule: MatchRule) -> Callable[[int, int], bool]:
        """The rule's criteria (other than the indexed key) as a predicate on (ledger, book) positions."""
        ledger, books, days = self.ledger, self.books, self.ledger_days
        same_currency, same_direction = rule.same_currency, rule.same_direction
        amount, window = rule.amount, rule.date_window
        book_day = _book_day_getter(window)

        def check(li: int, bi: int) -> bool:
            entry, line = ledger[li], books[bi]
            if same_currency and entry.currency != line.currency:
                return False
            if same_direction and entry.direction is not line.direction:
                return False
            if amount is not None and not amount.accepts(entry.amount, line.amount):
                return False
            return window is None or window.accepts(days[li], book_day(line))

        return check

    def _closest(
        self, li: int, candidates: Iterable[int], check: Callable[[int, int], bool], rule: MatchRule
    ) -> int | None:
        """The free candidate that passes `check` and is closest in amount, then date, then line id."""
        entry = self.ledger[li]
        day = self.ledger_days[li]
        book_day = _book_day_getter(rule.date_window)
        best: tuple[int, int, str] | None = None
        best_index = None
        state = self.book_state
        for bi in candidates:
            if state[bi] != _FREE or not check(li, bi):
                continue
            line = self.books[bi]
            rank = (abs(line.amount - entry.amount), abs(book_day(line) - day), line.line_id)
            if best is None or rank < best:
                best, best_index = rank, bi
        return best_index

    def _one_to_one_by_reference(  # noqa: PLR0915 - the hot loop is inlined on purpose
        self, rule_index: int, rule: MatchRule, criterion: ReferenceCriterion
    ) -> None:
        """Index free book lines by reference, then look every free ledger entry up in it.

        This is the hot path of a run (a million lookups), so the per-pair criteria are inlined here
        rather than called through `_pair_check`; `TestRuleBoundaries` pins that both agree.
        """
        books, ledger, days = self.books, self.ledger, self.ledger_days
        book_state, ledger_state = self.book_state, self.ledger_state
        free_books = self.free_books()
        index = _index(_keys(books, free_books, attrgetter(criterion.book_field)), free_books)
        del free_books
        free_ledger = self.free_ledger()
        ledger_keys = _keys(ledger, free_ledger, _ledger_key_getter(criterion))
        check = self._pair_check(rule)
        same_currency, same_direction = rule.same_currency, rule.same_direction
        amount, window = rule.amount, rule.date_window
        exact_amount = amount is not None and amount.exact
        absolute = amount.absolute if amount else 0
        basis_points = amount.basis_points if amount else 0
        before = window.days_before if window else 0
        after = window.days_after if window else 0
        use_value_date = window is not None and window.book_date == "value"
        matched_ledger: list[int] = []
        matched_books: list[int] = []
        index_get = index.get
        for li, key in zip(free_ledger, ledger_keys, strict=True):
            slot = index_get(key)
            if slot is None:
                continue
            if slot.__class__ is int:
                bi: int = slot  # type: ignore[assignment,unused-ignore]
                if book_state[bi]:
                    continue
                entry, line = ledger[li], books[bi]
                if same_currency and entry.currency != line.currency:
                    continue
                if same_direction and entry.direction is not line.direction:
                    continue
                if exact_amount:
                    if line.amount != entry.amount:
                        continue
                elif amount is not None:
                    difference = abs(line.amount - entry.amount)
                    if difference > absolute and difference * 10_000 > basis_points * entry.amount:
                        continue
                if window is not None:
                    book_date = (line.value_date or line.booking_date) if use_value_date else line.booking_date
                    delta = book_date.toordinal() - days[li]
                    if delta < -before or delta > after:
                        continue
                chosen = bi
            else:
                found = self._closest(li, slot, check, rule)  # type: ignore[arg-type]
                if found is None:
                    continue
                chosen = found
            book_state[chosen] = _MATCHED
            ledger_state[li] = _MATCHED
            matched_ledger.append(li)
            matched_books.append(chosen)
        self.matches.add_pairs(rule_index, matched_ledger, matched_books)

    def _one_to_one_by_amount(self, rule_index: int, rule: MatchRule) -> None:
        amount = rule.amount
        assert amount is not None  # MatchRule guarantees an amount criterion without a reference
        check = self._pair_check(rule)
        books, ledger = self.books, self.ledger
        add_pair = self.matches.add_pair
        free_books = self.free_books()
        if rule.unreferenced_books_only:
            free_books = [bi for bi in free_books if not books[bi].business_reference]
        if amount.exact:
            exact: dict[tuple[str, Direction | None, int], list[int]] = defaultdict(list)
            for bi in free_books:
                line = books[bi]
                exact[(line.currency, line.direction if rule.same_direction else None, line.amount)].append(bi)
            for li in self.free_ledger():
                entry = ledger[li]
                key = (entry.currency, entry.direction if rule.same_direction else None, entry.amount)
                candidates = exact.get(key)
                if candidates:
                    chosen = self._closest(li, candidates, check, rule)
                    if chosen is not None:
                        self.book_state[chosen] = _MATCHED
                        self.ledger_state[li] = _MATCHED
                        add_pair(rule_index, li, chosen)
            return
        by_bucket: dict[tuple[str, Direction | None], list[tuple[int, int]]] = defaultdict(list)
        for bi in free_books:
            line = books[bi]
            by_bucket[(line.currency, line.direction if rule.same_direction else None)].append((line.amount, bi))
        sorted_amounts: dict[tuple[str, Direction | None], tuple[list[int], list[int]]] = {}
        for bucket, pairs in by_bucket.items():
            pairs.sort()
            sorted_amounts[bucket] = ([a for a, _ in pairs], [b for _, b in pairs])
        for li in self.free_ledger():
            entry = ledger[li]
            found = sorted_amounts.get((entry.currency, entry.direction if rule.same_direction else None))
            if found is None:
                continue
            amounts, positions = found
            reach = max(amount.absolute, -(-amount.basis_points * entry.amount // 10_000))
            low = bisect.bisect_left(amounts, entry.amount - reach)
            high = bisect.bisect_right(amounts, entry.amount + reach)
            chosen = self._closest(li, positions[low:high], check, rule)
            if chosen is not None:
                self.book_state[chosen] = _MATCHED
                self.ledger_state[li] = _MATCHED
                add_pair(rule_index, li, chosen)

    def _member_check(self, rule: MatchRule) -> Callable[[int, int], bool]:
        """Per-member criteria of a group match (everything but the amount, which applies to the sum)."""
        per_member = MatchRule(
            name=rule.name,
            reference=rule.reference,
            date_window=rule.date_window,
            same_currency=rule.same_currency,
            same_direction=rule.same_direction,
        )
        return self._pair_check(per_member)

    def _one_to_many(self, rule_index: int, rule: MatchRule) -> None:
        criterion, amount = rule.reference, rule.amount
        assert criterion is not None and amount is not None  # MatchRule guarantees both for groups
        getter = attrgetter(criterion.book_field)
        groups: dict[str, list[int]] = defaultdict(list)
        for bi in self.free_books():
            key = getter(self.books[bi])
            if key:
                groups[key].append(bi)
        groups = {key: members for key, members in groups.items() if len(members) >= 2}
        if not groups:
            return
        check = self._member_check(rule)
        ledger_key = _ledger_key_getter(criterion)
        for li in self.free_ledger():
            entry = self.ledger[li]
            members = groups.get(ledger_key(entry))
            if not members:
                continue
            eligible = sorted(
                (bi for bi in members if self.book_state[bi] == _FREE and check(li, bi)),
                key=lambda bi: self.books[bi].line_id,
            )
            chosen = _subset(
                [self.books[bi].amount for bi in eligible],
                partial(_accepts_sum, amount, entry.amount),
                rule.max_group_size,
            )
            if chosen is None:
                continue
            picked = tuple(eligible[i] for i in chosen)
            for bi in picked:
                self.book_state[bi] = _MATCHED
            self.ledger_state[li] = _MATCHED
            self.matches.add_group(rule_index, (li,), picked)

    def _many_to_one(self, rule_index: int, rule: MatchRule) -> None:
        criterion, amount = rule.reference, rule.amount
        assert criterion is not None and amount is not None  # MatchRule guarantees both for groups
        ledger_key = _ledger_key_getter(criterion)
        groups: dict[str, list[int]] = defaultdict(list)
        for li in self.free_ledger():
            key = ledger_key(self.ledger[li])
            if key:
                groups[key].append(li)
        groups = {key: members for key, members in groups.items() if len(members) >= 2}
        if not groups:
            return
        check = self._member_check(rule)
        getter = attrgetter(criterion.book_field)
        for bi in self.free_books():
            line = self.books[bi]
            members = groups.get(getter(line))
            if not members:
                continue
            eligible = sorted(
                (li for li in members if self.ledger_state[li] == _FREE and check(li, bi)),
                key=lambda li: self.ledger[li].entry_id,
            )
            chosen = _subset(
                [self.ledger[li].amount for li in eligible],
                partial(_accepts_total, amount, line.amount),
                rule.max_group_size,
            )
            if chosen is None:
                continue
            picked = tuple(eligible[i] for i in chosen)
            for li in picked:
                self.ledger_state[li] = _MATCHED
            self.book_state[bi] = _MATCHED
            self.matches.add_group(rule_index, picked, (bi,))

    # -- leftovers ---------------------------------------------------------------------------------

    def classify_leftovers(self) -> None:
        """Turn every unmatched entry and line into exactly one break."""
        criterion = self.classifier.reference
        assert criterion is not None
        ledger_key = _ledger_key_getter(criterion)
        book_key: Callable[[BookLine], str] = attrgetter(criterion.book_field)
        free_ledger = self.free_ledger()
        open_books = list(compress(range(len(self.books)), map(_OPEN.__contains__, self.book_state)))
        keys = {ledger_key(self.ledger[i]) for i in free_ledger} | {book_key(self.books[i]) for i in open_books}
        keys.discard("")
        groups = self._same_reference(keys, ledger_key, book_key)
        self._duplicates(*groups)
        free_ledger = [i for i in free_ledger if self.ledger_state[i] == _FREE]
        open_books = [i for i in open_books if self.book_state[i] in _OPEN]
        self._reversals(free_ledger, open_books, *groups)
        free_ledger = [i for i in free_ledger if self.ledger_state[i] == _FREE]
        open_books = [i for i in open_books if self.book_state[i] in _OPEN]
        self._by_reference(free_ledger, open_books, ledger_key, book_key)

    def _same_reference(
        self, keys: set[str], ledger_key: Callable[[LedgerEntry], str], book_key: Callable[[BookLine], str]
    ) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
        """Every ledger entry and book line (matched or not) whose reference is in `keys`."""
        ledger_groups: dict[str, list[int]] = defaultdict(list)
        book_groups: dict[str, list[int]] = defaultdict(list)
        if not keys:
            return ledger_groups, book_groups
        contains = keys.__contains__
        for li in compress(range(len(self.ledger)), map(contains, map(ledger_key, self.ledger))):
            ledger_groups[ledger_key(self.ledger[li])].append(li)
        for bi in compress(range(len(self.books)), map(contains, map(book_key, self.books))):
            book_groups[book_key(self.books[bi])].append(bi)
        return ledger_groups, book_groups

    def _duplicates(self, ledger_groups: dict[str, list[int]], book_groups: dict[str, list[int]]) -> None:
        """An unmatched item identical (reference, currency, direction, amount, day) to a matched item of
        its own side, or to an earlier unmatched one, is a DUPLICATE of it."""
        rule, tolerance = "duplicate", "identical reference, currency, direction, amount and day"
        for members in ledger_groups.values():
            if len(members) < 2:
                continue
            firsts: dict[tuple[str, Direction, int, int], int] = {}
            for li in sorted(members, key=lambda i: (self.ledger_state[i] != _MATCHED, i)):
                entry = self.ledger[li]
                signature = (entry.currency, entry.direction, entry.amount, self.ledger_days[li])
                original = firsts.setdefault(signature, li)
                if original != li and self.ledger_state[li] == _FREE:
                    self.add_break(
                        BreakCategory.DUPLICATE, Side.LEDGER, [li], [], rule=rule, tolerance=tolerance,
                        detail=f"ledger entry {entry.entry_id} repeats entry {self.ledger[original].entry_id}",
                    )  # fmt: skip
        for members in book_groups.values():
            if len(members) < 2:
                continue
            firsts_b: dict[tuple[str, Direction, int, date], int] = {}
            for bi in sorted(members, key=lambda i: (self.book_state[i] != _MATCHED, i)):
                line = self.books[bi]
                signature_b = (line.currency, line.direction, line.amount, line.booking_date)
                original = firsts_b.setdefault(signature_b, bi)
                if original != bi and self.book_state[bi] in _OPEN:
                    self.add_break(
                        BreakCategory.DUPLICATE, Side.BOOKS, [], [bi], rule=rule, tolerance=tolerance,
                        detail=f"book line {line.line_id} repeats line {self.books[original].line_id}",
                    )  # fmt: skip

    def _reversals(
        self,
        free_ledger: list[int],
        open_books: list[int],
        ledger_groups: dict[str, list[int]],
        book_groups: dict[str, list[int]],
    ) -> None:
        """Unmatched items flagged as reversals/returns, or mirroring (same reference, currency and amount,
        opposite direction) a matched item of their own side, are REVERSAL_OR_RETURN breaks."""
        policy = self.config.policy
        rule, tolerance = "reversal", "same reference, currency and amount, opposite direction"
        for li in free_ledger:
            entry = self.ledger[li]
            if entry.kind.upper() in policy.reversal_kinds:
                self.add_break(
                    BreakCategory.REVERSAL_OR_RETURN, Side.LEDGER, [li], [], rule=rule, tolerance=tolerance,
                    detail=f"ledger {entry.kind} entry {entry.entry_id} has no counterpart in the books",
                )  # fmt: skip
        for bi in open_books:
            line = self.books[bi]
            if line.reversal:
                self.add_break(
                    BreakCategory.REVERSAL_OR_RETURN, Side.BOOKS, [], [bi], rule=rule, tolerance=tolerance,
                    detail=f"book line {line.line_id} is flagged as a reversal/return the ledger does not hold",
                )  # fmt: skip
        for members in ledger_groups.values():
            matched = {
                (e.currency, e.direction, e.amount)
                for e in (self.ledger[i] for i in members if self.ledger_state[i] == _MATCHED)
            }
            for li in members:
                entry = self.ledger[li]
                mirror = (entry.currency, _opposite(entry.direction), entry.amount)
                if self.ledger_state[li] == _FREE and mirror in matched:
                    self.add_break(
                        BreakCategory.REVERSAL_OR_RETURN, Side.LEDGER, [li], [], rule=rule, tolerance=tolerance,
                        detail=f"ledger entry {entry.entry_id} reverses a matched entry the books did not reverse",
                    )  # fmt: skip
        for members in book_groups.values():
            matched = {
                (b.currency, b.direction, b.amount)
                for b in (self.books[i] for i in members if self.book_state[i] == _MATCHED)
            }
            for bi in members:
                line = self.books[bi]
                mirror = (line.currency, _opposite(line.direction), line.amount)
                if self.book_state[bi] in _OPEN and mirror in matched:
                    self.add_break(
                        BreakCategory.REVERSAL_OR_RETURN, Side.BOOKS, [], [bi], rule=rule, tolerance=tolerance,
                        detail=f"book line {line.line_id} reverses a matched line the ledger did not reverse",
                    )  # fmt: skip

    def _by_reference(
        self,
        free_ledger: list[int],
        open_books: list[int],
        ledger_key: Callable[[LedgerEntry], str],
        book_key: Callable[[BookLine], str],
    ) -> None:
        """Pair what is left by reference and say how each pair differs; the rest is missing."""
        ledger_groups: dict[str, list[int]] = defaultdict(list)
        book_groups: dict[str, list[int]] = defaultdict(list)
        for li in free_ledger:
            key = ledger_key(self.ledger[li])
            if key:
                ledger_groups[key].append(li)
            else:
                self._missing_in_books(li)
        for bi in open_books:
            key = book_key(self.books[bi])
            if key:
                book_groups[key].append(bi)
            else:
                self._missing_in_ledger(bi)
        for key in sorted(ledger_groups.keys() | book_groups.keys()):
            entries = ledger_groups.get(key, [])
            lines = book_groups.get(key, [])
            if not lines:
                for li in entries:
                    self._missing_in_books(li)
            elif not entries:
                for bi in lines:
                    self._missing_in_ledger(bi)
            elif len(entries) == 1 and len(lines) == 1:
                self._pair(entries[0], lines[0])
            elif len(entries) == 1 or len(lines) == 1:
                self._split(entries, lines)
            else:
                entries.sort(key=lambda i: (self.ledger[i].currency, self.ledger[i].direction, self.ledger[i].amount))
                lines.sort(key=lambda i: (self.books[i].currency, self.books[i].direction, self.books[i].amount))
                for li, bi in zip(entries, lines, strict=False):
                    self._pair(li, bi)
                for li in entries[len(lines) :]:
                    self._missing_in_books(li)
                for bi in lines[len(entries) :]:
                    self._missing_in_ledger(bi)

    def _missing_in_books(self, li: int) -> None:
        entry = self.ledger[li]
        self.add_break(
            BreakCategory.MISSING_IN_COUNTERPARTY, Side.BOOKS, [li], [],
            rule="unmatched", tolerance="no rule matched",
            detail=f"ledger entry {entry.entry_id} ({entry.reference or 'no reference'}) is not in the books",
        )  # fmt: skip

    def _missing_in_ledger(self, bi: int) -> None:
        line = self.books[bi]
        self.add_break(
            BreakCategory.MISSING_IN_LEDGER, Side.LEDGER, [], [bi],
            rule="unmatched", tolerance="no rule matched",
            detail=f"book line {line.line_id} ({line.business_reference or 'no reference'}) is not in the ledger",
        )  # fmt: skip

    def _split(self, entries: list[int], lines: list[int]) -> None:
        rule = self.classifier
        side = Side.BOOKS if len(entries) == 1 else Side.LEDGER
        what = "book lines" if len(entries) == 1 else "ledger entries"
        self.add_break(
            BreakCategory.SPLIT_INCOMPLETE, side, entries, lines,
            rule=rule.name, tolerance=rule.describe_tolerance(),
            detail=f"{max(len(entries), len(lines))} {what} share a reference but do not sum to their counterpart",
        )  # fmt: skip

    def _pair(self, li: int, bi: int) -> None:
        entry, line = self.ledger[li], self.books[bi]
        rule = self.classifier
        tolerance = rule.describe_tolerance()
        amount = rule.amount or AmountCriterion()
        window = rule.date_window
        book_day = _book_day_getter(window)(line)
        if entry.currency != line.currency:
            self.add_break(
                BreakCategory.CURRENCY_MISMATCH, Side.BOTH, [li], [bi], rule=rule.name, tolerance=tolerance,
                detail=f"ledger {entry.currency} vs books {line.currency} for {entry.reference}",
            )  # fmt: skip
        elif entry.direction is not line.direction:
            category = (
                BreakCategory.REVERSAL_OR_RETURN if entry.amount == line.amount else BreakCategory.AMOUNT_MISMATCH
            )
            subtype = None if category is BreakCategory.REVERSAL_OR_RETURN else AmountMismatchSubtype.OTHER
            self.add_break(
                category, Side.BOTH, [li], [bi], rule=rule.name, tolerance=tolerance, subtype=subtype,
                detail=f"ledger {entry.direction} vs books {line.direction} for {entry.reference}",
            )  # fmt: skip
        elif not amount.accepts(entry.amount, line.amount):
            subtype = self.config.policy.subtype(entry.currency, entry.amount, line.amount, line.charges)
            self.add_break(
                BreakCategory.AMOUNT_MISMATCH, Side.BOTH, [li], [bi], rule=rule.name, tolerance=tolerance,
                subtype=subtype,
                detail=f"amounts differ by {line.amount - entry.amount} minor units ({subtype}) for {entry.reference}",
            )  # fmt: skip
        elif line.status is not EntryStatus.BOOKED or (
            window is not None and not window.accepts(self.ledger_days[li], book_day)
        ):
            days = book_day - self.ledger_days[li]
            self.add_break(
                BreakCategory.TIMING, Side.BOTH, [li], [bi], rule=rule.name, tolerance=tolerance,
                detail=(
                    f"books {line.status.name.lower()} line for {entry.reference}"
                    if line.status is not EntryStatus.BOOKED
                    else f"books dated {days:+d} days from the ledger for {entry.reference}"
                ),
            )  # fmt: skip
        else:  # agrees under the classifying rule, yet no rule took it: report both sides
            self._missing_in_books(li)
            self._missing_in_ledger(bi)

    # -- statement-level checks ----------------------------------------------------------------------

    def check_balances(self, balances: BalanceInputs) -> None:
        """One BALANCE_DRIFT per currency whose books closing is not explained by the lines."""
        cutoff = balances.cutoff.toordinal() if balances.cutoff else None
        ledger_days: Iterable[int] | None = None if cutoff is None else self.ledger_days
        ledger_sums = _signed_sums(self.ledger, ledger_days, cutoff)
        book_days = None if cutoff is None else map(date.toordinal, map(attrgetter("booking_date"), self.books))
        book_sums = _signed_sums(self.books, book_days, cutoff)
        declared = balances.books_closing or {}
        currencies = (
            set(ledger_sums) | set(book_sums) | set(balances.ledger_opening) | set(balances.books_opening)
            | set(declared)
        )  # fmt: skip
        for currency in sorted(currencies):
            ledger_closing = balances.ledger_opening.get(currency, 0) + ledger_sums[currency]
            computed = balances.books_opening.get(currency, 0) + book_sums[currency]
            books_closing = declared.get(currency, computed)
            drift = books_closing - (balances.ledger_opening.get(currency, 0) + book_sums[currency])
            if drift:
                self.add_break(
                    BreakCategory.BALANCE_DRIFT, Side.BOTH, [], [],
                    rule="balance-check", tolerance="exact", extra=f"balance:{currency}",
                    amounts=(currency, ledger_closing, books_closing, drift),
                    detail=(
                        f"{currency}: books closing {books_closing} vs ledger closing {ledger_closing}; "
                        f"{drift} minor units are not explained by any line"
                    ),
                )  # fmt: skip

    def check_entry_sequence(self) -> None:
        """One SEQUENCE_GAP per run of ledger entry ids missing between the lowest and highest id."""
        ids = self._entry_ids or list(map(attrgetter("entry_id"), self.ledger))
        if not all(map(lt, ids, islice(ids, 1, None))):  # usually already ascending and unique
            ids = sorted(set(ids))
        steps = map(sub, islice(ids, 1, None), ids)
        for position in compress(range(len(ids)), map((1).__lt__, steps)):
            low, high = ids[position], ids[position + 1]
            self._gap(f"entry_id:{low + 1}-{high - 1}", f"ledger entry ids {low + 1}..{high - 1} are missing")

    def check_statement_sequence(self, statements: Iterable[tuple[str, int | None]]) -> None:
        """One SEQUENCE_GAP per run of statement numbers missing, per account."""
        numbers: dict[str, set[int]] = defaultdict(set)
        for account, number in statements:
            if number is not None:
                numbers[account].add(number)
        accounts = map(attrgetter("account"), self.books)
        pairs = set(zip(accounts, map(attrgetter("statement_number"), self.books), strict=True))
        for account, number in pairs:
            if number is not None:
                numbers[account].add(number)
        for account in sorted(numbers):
            ordered = sorted(numbers[account])
            for low, high in pairwise(ordered):
                if high - low > 1:
                    self._gap(
                        f"statement:{account}:{low + 1}-{high - 1}",
                        f"statements {low + 1}..{high - 1} of account {account} are missing",
                    )

    def _gap(self, extra: str, detail: str) -> None:
        self.add_break(
            BreakCategory.SEQUENCE_GAP, Side.BOTH, [], [], rule="sequence-check", tolerance="consecutive",
            extra=extra, amounts=(None, None, None, None), detail=detail,
        )  # fmt: skip

    # -- result ------------------------------------------------------------------------------------

    def result(self) -> RunResult:
        order = {category: position for position, category in enumerate(BreakCategory)}
        self.breaks.sort(key=lambda b: (order[b.category], b.break_id))
        by_category = {category.value: 0 for category in BreakCategory}
        for found in self.breaks:
            by_category[found.category.value] += 1
        summary = RunSummary(
            ledger_entries=len(self.ledger),
            book_lines=len(self.books),
            matched_ledger_entries=self.ledger_state.count(_MATCHED),
            matched_book_lines=self.book_state.count(_MATCHED),
            matches_by_rule=self.matches.counts_by_rule(),
            breaks_by_category=by_category,
        )
        return RunResult(matches=self.matches, breaks=self.breaks, summary=summary)


def _signed_sums(
    items: Sequence[LedgerEntry] | Sequence[BookLine], days: Iterable[int] | None, cutoff: int | None
) -> defaultdict[str, int]:
    """Per-currency sum of signed amounts, of the items dated on or before `cutoff` when given."""
    sums: defaultdict[str, int] = defaultdict(int)
    credit = Direction.CREDIT
    columns: Iterable[tuple[str, Direction, int]] = zip(
        map(attrgetter("currency"), items),
        map(attrgetter("direction"), items),
        map(attrgetter("amount"), items),
        strict=True,
    )
    if days is not None and cutoff is not None:
        columns = compress(columns, map(cutoff.__ge__, days))
    for currency, direction, amount in columns:
        sums[currency] += amount if direction is credit else -amount
    return sums


def _opposite(direction: Direction) -> Direction:
    return Direction.DEBIT if direction is Direction.CREDIT else Direction.CREDIT
