"""Deterministic synthetic books and ledger with a known set of injected breaks.

It lives in the library, not only under tests, because three users need the same data: the tests (100%
precision and recall on 100,000 lines), the benchmark (`scripts/bench_reconcile.py`, a million a side)
and the demo walk-through, which reconciles books with injected breaks. Everything follows from the
seed, so a failure can be reproduced exactly.

The ledger is shaped like the chain's: entry ids increase with time, one account, several currencies
(exponents 0, 2 and 3). The books are the institution's view of the same movements, booked the same day
or the next. Then `breaks_per_category` items of every break category are injected, plus as many
benign differences the rules must absorb (rounding, splits, batches, a lost reference); the expected
breaks are returned as `BreakKey`s to compare with what the engine finds.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from reconciliation.entries import ChainEvidence, Direction, LedgerEntry
from reconciliation.matching._runtime import gc_paused
from reconciliation.matching.books import BookLine
from reconciliation.matching.breaks import AmountMismatchSubtype, BreakCategory, BreakKey
from reconciliation.matching.engine import BalanceInputs, MismatchPolicy, ReconcileConfig
from reconciliation.matching.rules import DEFAULT_RULES

__all__ = ["BENIGN_SCENARIOS", "BREAK_SCENARIOS", "SyntheticDataset", "generate"]

CURRENCIES: tuple[tuple[str, int], ...] = (("USD", 40), ("EUR", 25), ("CNY", 20), ("JPY", 10), ("BHD", 5))
KINDS = ("LC_HONOUR", "FINANCING_DISBURSEMENT", "FINANCING_REPAYMENT", "OPEN_ACCOUNT_PAYMENT", "TRANSFER")
ACCOUNT = "0x5B38Da6a701c568545dCfcB03FcB875f56beddC4"
BOOKS_ACCOUNT = "DE89370400440532013000"
CHAIN_ID = 31337
DATE_WINDOW_DAYS = 2  # the default rules' window; timing breaks are placed beyond it

BREAK_SCENARIOS = (
    "missing_in_books",
    "missing_in_ledger",
    "fee",
    "fx",
    "partial",
    "currency_mismatch",
    "duplicate_books",
    "duplicate_ledger",
    "timing",
    "split_incomplete",
    "reversal_books",
    "reversal_ledger",
    "entry_gap",
)
BENIGN_SCENARIOS = ("rounding", "split", "batch", "lost_reference")


@dataclass(slots=True)
class SyntheticDataset:
    """A generated run: inputs, the configuration to run them with, and the breaks that must be found.

    Attributes:
        ledger: ledger entries in entry-id order.
        books: book lines.
        config: default rules, balance inputs and the entry-sequence check (the ledger is complete).
        expected: the key of every injected break.
        injected: scenario name → number injected.
    """

    ledger: list[LedgerEntry]
    books: list[BookLine]
    config: ReconcileConfig
    expected: list[BreakKey]
    injected: dict[str, int] = field(default_factory=dict)


# (line_id, currency, amount, direction, booking day ordinal, reference, business reference, kind, reversal)
_Spec = tuple[str, str, int, Direction, int, str, str, str, bool]


class _Builder:
    """Accumulates entries, book-line specs and expected breaks; one method per scenario.

    Book lines are kept as specs until the end because their statement numbers depend on the set of
    booking days, which is only known once every scenario has run.
    """

    def __init__(self, size: int, seed: int, start: date, days: int) -> None:
        self.rng = random.Random(seed)
        self.seed = seed
        self.size = size
        self.days = days
        self.start_ordinal = start.toordinal()
        self.start_ts = datetime(start.year, start.month, start.day, tzinfo=UTC).timestamp()
        self.ledger: list[LedgerEntry] = []
        self.specs: list[_Spec] = []
        self.expected: list[BreakKey] = []
        self.next_id = 1
        self.used_amounts: set[int] = set()
        self.counterparties = [f"0x{self.rng.getrandbits(160):040x}" for _ in range(16)]
        self.currency_names = tuple(name for name, _ in CURRENCIES)
        self.currency_table = [name for name, weight in CURRENCIES for _ in range(weight)]
        self._block_hash = ("", -1)

    # -- primitives --------------------------------------------------------------------------------

    def currency(self) -> str:
        return self.currency_table[int(self.rng.random() * len(self.currency_table))]

    def fresh_amount(self, low: int, high: int) -> int:
        """An amount no other injected item uses, so that no two leftovers can match by accident."""
        while True:
            amount = self.rng.randint(low, high)
            if amount not in self.used_amounts:
                self.used_amounts.add(amount)
                return amount

    def entry(
        self, position: int, currency: str, amount: int, direction: Direction, reference: str, kind: str | None = None
    ) -> LedgerEntry:
        rng = self.rng
        entry_id = self.next_id
        self.next_id += 1
        day = position * self.days // self.size
        timestamp = self.start_ts + day * 86_400 + int(rng.random() * 86_400)
        block = 1_000 + entry_id // 4
        if self._block_hash[1] != block:
            self._block_hash = (f"0x{self.seed:08x}{block:056x}", block)
        entry = LedgerEntry(
            entry_id=entry_id,
            account=ACCOUNT,
            counterparty=self.counterparties[entry_id % 16],
            currency=currency,
            amount=amount,
            direction=direction,
            kind=kind or KINDS[entry_id % len(KINDS)],
            reference=reference,
            booked_at=datetime.fromtimestamp(timestamp, UTC),
            evidence=ChainEvidence(CHAIN_ID, block, self._block_hash[0], f"0x{entry_id:064x}", entry_id % 4),
        )
        self.ledger.append(entry)
        return entry

    def day_of(self, entry: LedgerEntry) -> int:
        return self.start_ordinal + int((entry.booked_at.timestamp() - self.start_ts) // 86_400)

    def line(
        self,
        line_id: str,
        currency: str,
        amount: int,
        direction: Direction,
        day: int,
        business_reference: str,
        kind: str = "",
        reversal: bool = False,
    ) -> str:
        self.specs.append(
            (line_id, currency, amount, direction, day, f"V{line_id}", business_reference, kind, reversal)
        )
        return line_id

    def mirror(self, entry: LedgerEntry, position: int, *, lag: int | None = None) -> str:
        """The books' ordinary line for `entry`: same everything, booked the same day or the next."""
        if lag is None:
            lag = 1 if self.rng.random() < 0.2 else 0
        return self.line(
            f"BK{position:08d}", entry.currency, entry.amount, entry.direction,
            self.day_of(entry) + lag, entry.reference, entry.kind,
        )  # fmt: skip

    def reference(self, position: int) -> str:
        return f"E2E-{self.seed}-{position:08d}"

    def direction(self) -> Direction:
        return Direction.CREDIT if self.rng.random() < 0.5 else Direction.DEBIT

    def expect(
        self,
        category: BreakCategory,
        ledger_ids: tuple[int, ...] = (),
        line_ids: tuple[str, ...] = (),
        subtype: AmountMismatchSubtype | None = None,
        extra: str = "",
    ) -> None:
        self.expected.append(
            (
                category.value,
                subtype.value if subtype else "",
                tuple(sorted(ledger_ids)),
                tuple(sorted(line_ids)),
                extra,
            )
        )

    # -- scenarios ---------------------------------------------------------------------------------

    def normal(self, position: int) -> None:
        rng = self.rng
        amount = 100 + int(rng.random() * 99_999_900)
        entry = self.entry(position, self.currency(), amount, self.direction(), self.reference(position))
        self.mirror(entry, position)

    def injected_entry(self, position: int, low: int, high: int, currency: str | None = None) -> LedgerEntry:
        return self.entry(
            position,
            currency or self.currency(),
            self.fresh_amount(low, high),
            self.direction(),
            self.reference(position),
        )

    def missing_in_books(self, position: int) -> None:
        entry = self.injected_entry(position, 100, 100_000_000)
        self.expect(BreakCategory.MISSING_IN_COUNTERPARTY, (entry.entry_id,))

    def missing_in_ledger(self, position: int) -> None:
        day = self.start_ordinal + position * self.days // self.size
        line_id = self.line(
            f"BK{position:08d}", self.currency(), self.fresh_amount(100, 100_000_000), self.direction(), day,
            f"NOLEDGER-{self.seed}-{position:08d}",
        )  # fmt: skip
        self.expect(BreakCategory.MISSING_IN_LEDGER, line_ids=(line_id,))

    def _amount_break(
        self, position: int, entry: LedgerEntry, book_amount: int, subtype: AmountMismatchSubtype
    ) -> None:
        self.used_amounts.add(book_amount)
        line_id = self.line(
            f"BK{position:08d}", entry.currency, book_amount, entry.direction, self.day_of(entry), entry.reference
        )
        self.expect(BreakCategory.AMOUNT_MISMATCH, (entry.entry_id,), (line_id,), subtype)

    def fee(self, position: int) -> None:
        entry = self.injected_entry(position, 2_000_000, 50_000_000)
        fee = self.rng.randint(entry.amount // 10_000 + 1, MismatchPolicy().fee_max_minor)
        self._amount_break(position, entry, entry.amount - fee, AmountMismatchSubtype.FEE)

    def fx(self, position: int) -> None:
        entry = self.injected_entry(position, 10_000_000, 100_000_000)
        limit = entry.amount * MismatchPolicy().fx_max_bps // 10_000
        difference = self.rng.randint(MismatchPolicy().fee_max_minor + 1, limit)
        sign = 1 if self.rng.random() < 0.5 else -1
        self._amount_break(position, entry, entry.amount + sign * difference, AmountMismatchSubtype.FX)

    def partial(self, position: int) -> None:
        entry = self.injected_entry(position, 1_000_000, 100_000_000)
        self._amount_break(
            position, entry, entry.amount * self.rng.randint(20, 80) // 100, AmountMismatchSubtype.PARTIAL
        )

    def currency_mismatch(self, position: int) -> None:
        entry = self.injected_entry(position, 100, 100_000_000)
        other = self.rng.choice([c for c in self.currency_names if c != entry.currency])
        line_id = self.line(
            f"BK{position:08d}", other, entry.amount, entry.direction, self.day_of(entry), entry.reference
        )
        self.expect(BreakCategory.CURRENCY_MISMATCH, (entry.entry_id,), (line_id,))

    def duplicate_books(self, position: int) -> None:
        entry = self.injected_entry(position, 100, 100_000_000)
        original = self.mirror(entry, position, lag=0)
        copy = self.line(
            f"{original}-DUP", entry.currency, entry.amount, entry.direction, self.day_of(entry), entry.reference
        )
        self.expect(BreakCategory.DUPLICATE, line_ids=(copy,))

    def duplicate_ledger(self, position: int) -> None:
        entry = self.injected_entry(position, 100, 100_000_000)
        self.mirror(entry, position)
        copy = LedgerEntry(
            entry_id=self.next_id, account=entry.account, counterparty=entry.counterparty, currency=entry.currency,
            amount=entry.amount, direction=entry.direction, kind=entry.kind, reference=entry.reference,
            booked_at=entry.booked_at, evidence=ChainEvidence(CHAIN_ID, entry.evidence.block_number,
            entry.evidence.block_hash, f"0x{self.next_id:064x}", entry.evidence.log_index + 1),
        )  # fmt: skip
        self.next_id += 1
        self.ledger.append(copy)
        self.expect(BreakCategory.DUPLICATE, (copy.entry_id,))

    def timing(self, position: int) -> None:
        entry = self.injected_entry(position, 100, 100_000_000)
        offset = self.rng.randint(DATE_WINDOW_DAYS + 1, DATE_WINDOW_DAYS + 5)
        line_id = self.mirror(entry, position, lag=offset if self.rng.random() < 0.7 else -offset)
        self.expect(BreakCategory.TIMING, (entry.entry_id,), (line_id,))

    def _parts(self, total: int, count: int) -> list[int]:
        """Split `total` into `count` parts of comparable size (none within a rounding tolerance of it)."""
        while True:
            weights = self.rng.sample(range(10, 100), count)
            parts = [total * weight // sum(weights) for weight in weights[:-1]]
            parts.append(total - sum(parts))
            if len(set(parts)) == count:  # equal parts would be told apart only by line id
                return parts

    def split_incomplete(self, position: int) -> None:
        entry = self.injected_entry(position, 1_000_000, 100_000_000)
        parts = self._parts(entry.amount, self.rng.randint(3, 5))
        parts.pop(self.rng.randrange(len(parts)))
        day = self.day_of(entry)
        line_ids = tuple(
            self.line(f"BK{position:08d}-{n}", entry.currency, part, entry.direction, day, entry.reference)
            for n, part in enumerate(parts)
        )
        self.expect(BreakCategory.SPLIT_INCOMPLETE, (entry.entry_id,), line_ids)

    def reversal_books(self, position: int) -> None:
        entry = self.injected_entry(position, 100, 100_000_000)
        self.mirror(entry, position, lag=0)
        opposite = Direction.DEBIT if entry.direction is Direction.CREDIT else Direction.CREDIT
        line_id = self.line(
            f"BK{position:08d}-RV", entry.currency, entry.amount, opposite, self.day_of(entry) + 1,
            entry.reference, "RETURN", reversal=position % 2 == 0,
        )  # fmt: skip
        self.expect(BreakCategory.REVERSAL_OR_RETURN, line_ids=(line_id,))

    def reversal_ledger(self, position: int) -> None:
        entry = self.injected_entry(position, 100, 100_000_000)
        self.mirror(entry, position, lag=0)
        opposite = Direction.DEBIT if entry.direction is Direction.CREDIT else Direction.CREDIT
        reversal = self.entry(position, entry.currency, entry.amount, opposite, entry.reference, kind="REVERSAL")
        self.expect(BreakCategory.REVERSAL_OR_RETURN, (reversal.entry_id,))

    def entry_gap(self, position: int) -> None:
        width = self.rng.randint(1, 3)
        self.expect(BreakCategory.SEQUENCE_GAP, extra=f"entry_id:{self.next_id}-{self.next_id + width - 1}")
        self.next_id += width
        self.normal(position)

    def rounding(self, position: int) -> None:
        entry = self.injected_entry(position, 100, 100_000_000)
        self.line(
            f"BK{position:08d}", entry.currency, entry.amount + self.rng.choice((-1, 1)), entry.direction,
            self.day_of(entry), entry.reference,
        )  # fmt: skip

    def split(self, position: int) -> None:
        entry = self.injected_entry(position, 1_000_000, 100_000_000)
        day = self.day_of(entry)
        for n, part in enumerate(self._parts(entry.amount, self.rng.randint(2, 4))):
            self.line(f"BK{position:08d}-{n}", entry.currency, part, entry.direction, day, entry.reference)

    def batch(self, position: int) -> None:
        currency, direction, reference = self.currency(), self.direction(), self.reference(position)
        entries = [
            self.entry(position, currency, self.fresh_amount(100, 10_000_000), direction, reference)
            for _ in range(self.rng.randint(2, 4))
        ]
        total = sum(e.amount for e in entries)
        self.line(f"BK{position:08d}", currency, total, direction, self.day_of(entries[-1]), reference)

    def lost_reference(self, position: int) -> None:
        entry = self.injected_entry(position, 100, 100_000_000)
        self.line(f"BK{position:08d}", entry.currency, entry.amount, entry.direction, self.day_of(entry), "")


def generate(
    size: int,
    *,
    seed: int = 0,
    breaks_per_category: int | None = None,
    start: date = date(2026, 1, 1),
    days: int = 28,
) -> SyntheticDataset:
    """Generate about `size` ledger entries and their book lines with injected breaks.

    Args:
        size: number of ledger positions (a few scenarios add or drop an entry or a line).
        seed: the only source of randomness.
        breaks_per_category: how many of each break scenario (and each benign scenario) to inject;
            default one per 10,000 positions, at least one.
        start: first booking day.
        days: number of booking days the ledger spans.

    Returns:
        The dataset, with the expected breaks of every category: missing on either side, amount
        mismatches (fee, FX, partial), currency mismatch, duplicates on either side, timing, incomplete
        splits, reversals on either side, entry-id gaps, statement-number gaps and balance drift.
    """
    per_category = breaks_per_category if breaks_per_category is not None else max(1, size // 10_000)
    scenarios = [*BREAK_SCENARIOS, *BENIGN_SCENARIOS]
    reserved = 10  # the first positions stay ordinary so every gap has an entry before it
    needed = per_category * len(scenarios)
    if size < reserved + needed + days:
        raise ValueError(f"size {size} is too small for {per_category} injections of {len(scenarios)} scenarios")
    with gc_paused():
        builder = _Builder(size, seed, start, days)
        positions = builder.rng.sample(range(reserved, size - 1), needed)
        plan: dict[int, Callable[[int], None]] = {}
        for n, position in enumerate(positions):
            name = scenarios[n // per_category]
            plan[position] = getattr(builder, name)
        for position in range(size):
            action = plan.get(position)
            if action is None:
                builder.normal(position)
            else:
                action(position)
        books = _books(builder, per_category)
    balances = _balances(builder, per_category)
    injected = {name: per_category for name in scenarios}
    injected["statement_gap"] = min(per_category, max(1, days // 7))
    injected["balance_drift"] = min(per_category, len(CURRENCIES))
    config = ReconcileConfig(rules=DEFAULT_RULES, balances=balances, check_entry_sequence=True)
    return SyntheticDataset(builder.ledger, books, config, builder.expected, injected)


def _books(builder: _Builder, per_category: int) -> list[BookLine]:
    """Build the book lines, numbering statements by booking day with a few numbers skipped."""
    booking_days = sorted({spec[4] for spec in builder.specs})
    gaps = set(builder.rng.sample(range(1, len(booking_days)), min(per_category, max(1, builder.days // 7))))
    numbers: dict[int, int] = {}
    number = 0
    for index, day in enumerate(booking_days):
        number += 1
        if index in gaps:
            builder.expect(BreakCategory.SEQUENCE_GAP, extra=f"statement:{BOOKS_ACCOUNT}:{number}-{number}")
            number += 1
        numbers[day] = number
    dates = {day: date.fromordinal(day) for day in booking_days}
    return [
        BookLine(
            line_id=line_id,
            account=BOOKS_ACCOUNT,
            currency=currency,
            amount=amount,
            direction=direction,
            booking_date=dates[day],
            value_date=dates[day],
            reference=reference,
            business_reference=business_reference,
            description=kind,
            reversal=reversal,
            statement_number=numbers[day],
        )
        for line_id, currency, amount, direction, day, reference, business_reference, kind, reversal in builder.specs
    ]


def _balances(builder: _Builder, per_category: int) -> BalanceInputs:
    """Opening balances per currency; the books' opening is off for a few currencies (balance drift)."""
    rng = builder.rng
    currencies = sorted(builder.currency_names)
    ledger_opening = {currency: rng.randint(10**9, 10**12) for currency in currencies}
    books_opening = dict(ledger_opening)
    for currency in rng.sample(currencies, min(per_category, len(currencies))):
        books_opening[currency] += rng.choice((-1, 1)) * rng.randint(1, 10**6)
        builder.expect(BreakCategory.BALANCE_DRIFT, extra=f"balance:{currency}")
    return BalanceInputs(ledger_opening=ledger_opening, books_opening=books_opening)
