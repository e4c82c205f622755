"""Matching rules: each an AND of criteria, tried in order.

A rule says when a ledger entry and book line(s) are the same movement. Rules are tried from the strictest
to the loosest, so that every match records the weakest evidence it needed (an exact reference-and-amount
match is reported as such even when a looser rule would also have accepted it).

Every rule must give the engine a key to index on (a reference, or an amount) so that a run stays
near-linear: with a million lines a side, comparing every entry to every line is not an option.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "DEFAULT_RULES",
    "AmountCriterion",
    "DateWindow",
    "MatchRule",
    "ReferenceCriterion",
    "Strategy",
]


class Strategy(enum.StrEnum):
    """How many items of each side one match may join.

    ONE_TO_ONE: one ledger entry ↔ one book line.
    ONE_TO_MANY: one ledger entry ↔ several book lines that sum to it (the books split a payment).
    MANY_TO_ONE: several ledger entries ↔ one book line (the books batch-booked several payments).
    """

    ONE_TO_ONE = "one-to-one"
    ONE_TO_MANY = "one-to-many"
    MANY_TO_ONE = "many-to-one"


LedgerReferenceField = Literal["reference", "entry_id"]
BookReferenceField = Literal["business_reference", "reference"]


@dataclass(frozen=True, slots=True)
class ReferenceCriterion:
    """The ledger field equals the book field exactly (empty references never match).

    Attributes:
        ledger_field: `reference` (the business reference / EndToEndId) or `entry_id` (AcctSvcrRef).
        book_field: `business_reference` (shared with the ledger) or `reference` (the books' own).
    """

    ledger_field: LedgerReferenceField = "reference"
    book_field: BookReferenceField = "business_reference"


@dataclass(frozen=True, slots=True)
class AmountCriterion:
    """Amounts equal, or within a tolerance.

    The tolerance is whichever is more lenient of an absolute number of minor units and a number of
    basis points of the ledger amount, compared exactly in integers (|diff| x 10,000 ≤ bps x ledger
    amount): with 1 bps on 100.00 USD, a 0.01 difference is inside and 0.02 is outside. Amounts are in
    the currency's own minor units, so one absolute tolerance means 0.01 USD, 1 JPY or 0.001 BHD.

    Attributes:
        absolute: tolerated difference in minor units (0 = exact).
        basis_points: tolerated difference in basis points of the ledger amount (0 = none).
    """

    absolute: int = 0
    basis_points: int = 0

    def __post_init__(self) -> None:
        if self.absolute < 0 or self.basis_points < 0:
            raise ValueError("tolerances cannot be negative")

    @property
    def exact(self) -> bool:
        """True when no difference at all is tolerated."""
        return self.absolute == 0 and self.basis_points == 0

    def accepts(self, ledger_amount: int, book_amount: int) -> bool:
        """Whether `book_amount` is within tolerance of `ledger_amount` (both positive minor units)."""
        difference = abs(book_amount - ledger_amount)
        return difference <= self.absolute or difference * 10_000 <= self.basis_points * ledger_amount

    def describe(self) -> str:
        """Short human text, e.g. `±1 minor unit or ±5 bps`."""
        if self.exact:
            return "exact"
        parts = []
        if self.absolute:
            parts.append(f"±{self.absolute} minor unit{'s' if self.absolute != 1 else ''}")
        if self.basis_points:
            parts.append(f"±{self.basis_points} bps")
        return " or ".join(parts)


@dataclass(frozen=True, slots=True)
class DateWindow:
    """The book date lies within a window of days around the ledger booking date (UTC day).

    `book day - ledger day` must be in `[-days_before, days_after]`; both ends are inclusive.

    Attributes:
        days_before: how many days the books may precede the ledger.
        days_after: how many days the books may lag the ledger.
        book_date: which book date to compare: `booking` or `value` (falls back to booking when the line
            has no value date).
    """

    days_before: int = 0
    days_after: int = 0
    book_date: Literal["booking", "value"] = "booking"

    def __post_init__(self) -> None:
        if self.days_before < 0 or self.days_after < 0:
            raise ValueError("date window bounds are counts of days and cannot be negative")

    @classmethod
    def symmetric(cls, days: int) -> DateWindow:
        """A window of `days` either side."""
        return cls(days_before=days, days_after=days)

    def accepts(self, ledger_day: int, book_day: int) -> bool:
        """Whether `book_day` (an ordinal) is inside the window around `ledger_day` (an ordinal)."""
        return -self.days_before <= book_day - ledger_day <= self.days_after

    def describe(self) -> str:
        """Short human text, e.g. `-2..+3 days`."""
        return f"-{self.days_before}..+{self.days_after} days"


@dataclass(frozen=True, slots=True)
class MatchRule:
    """A named AND of criteria and the strategy it is applied with.

    Attributes:
        name: stable name reported with every match and break it produces.
        reference: the reference criterion, or None for a rule that matches on amounts and dates.
        amount: the amount criterion (for groups, applied to the group's sum), or None to ignore amounts.
        date_window: the date criterion (for groups, applied to every member), or None to ignore dates.
        same_currency: require equal currencies.
        same_direction: require equal credit/debit directions.
        strategy: one-to-one, one-to-many or many-to-one.
        max_group_size: for group strategies, the largest reference group searched for a subset sum
            (bounds the search at 2^max_group_size subsets; larger groups are only tried whole).
        unreferenced_books_only: only consider book lines without a business reference. A rule that
            matches on amounts alone should not pair a line whose reference names another movement.
    """

    name: str
    reference: ReferenceCriterion | None = None
    amount: AmountCriterion | None = None
    date_window: DateWindow | None = None
    same_currency: bool = True
    same_direction: bool = True
    strategy: Strategy = Strategy.ONE_TO_ONE
    max_group_size: int = 12
    unreferenced_books_only: bool = False

    def __post_init__(self) -> None:
        if self.reference is None and self.amount is None:
            raise ValueError(f"rule {self.name!r} needs a reference or an amount criterion to index on")
        if self.reference is None and not self.same_currency:
            raise ValueError(f"rule {self.name!r} matches on amounts alone, so it must require the same currency")
        if self.strategy is not Strategy.ONE_TO_ONE:
            if self.reference is None:
                raise ValueError(f"rule {self.name!r}: group strategies only search within reference groups")
            if self.amount is None:
                raise ValueError(f"rule {self.name!r}: group strategies need an amount criterion for the sum")
        if self.max_group_size < 2:
            raise ValueError("max_group_size must be at least 2")

    def describe_tolerance(self) -> str:
        """The tolerances this rule applies, for break reports."""
        parts = [f"amount {self.amount.describe()}" if self.amount else "amount ignored"]
        parts.append(f"date {self.date_window.describe()}" if self.date_window else "date ignored")
        return ", ".join(parts)


DEFAULT_RULES: tuple[MatchRule, ...] = (
    MatchRule(
        name="reference-amount-exact",
        reference=ReferenceCriterion(),
        amount=AmountCriterion(),
        date_window=DateWindow.symmetric(2),
    ),
    MatchRule(
        name="reference-amount-rounding",
        reference=ReferenceCriterion(),
        amount=AmountCriterion(absolute=1, basis_points=1),
        date_window=DateWindow.symmetric(2),
    ),
    MatchRule(
        name="reference-split",
        reference=ReferenceCriterion(),
        amount=AmountCriterion(),
        date_window=DateWindow.symmetric(2),
        strategy=Strategy.ONE_TO_MANY,
    ),
    MatchRule(
        name="reference-batch",
        reference=ReferenceCriterion(),
        amount=AmountCriterion(),
        date_window=DateWindow.symmetric(2),
        strategy=Strategy.MANY_TO_ONE,
    ),
    MatchRule(
        name="amount-same-day",
        amount=AmountCriterion(),
        date_window=DateWindow.symmetric(0),
        unreferenced_books_only=True,
    ),
)
"""The default rule set: exact reference matches first, then rounding differences, splits, batches, and
finally lines whose reference the books lost, matched on currency, direction, exact amount and same day."""
