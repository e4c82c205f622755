"""Breaks: what reconciliation reports when books and ledger disagree.

The categories are the project's break enum (reference notes §1.7), so that a break found here, a break
anchored on chain and a break shown to an auditor all use one vocabulary. Every break carries both sides'
ids, references and amounts, the difference, the rule and tolerance it was judged by, and an id derived
only from its content, so re-running the same inputs yields the same break ids (a break's status history
can then follow it across runs).
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass

__all__ = [
    "AmountMismatchSubtype",
    "Break",
    "BreakCategory",
    "BreakKey",
    "BreakStatus",
    "Side",
    "break_id",
]


class BreakCategory(enum.StrEnum):
    """The break enum of the reference notes §1.7.

    `MISSING_IN_BOOKS` is an alias of `MISSING_IN_COUNTERPARTY`: in a books-vs-ledger run the books are
    the counterparty side.
    """

    MISSING_IN_COUNTERPARTY = "MISSING_IN_COUNTERPARTY"
    MISSING_IN_BOOKS = "MISSING_IN_COUNTERPARTY"  # an alias: same value
    MISSING_IN_LEDGER = "MISSING_IN_LEDGER"
    AMOUNT_MISMATCH = "AMOUNT_MISMATCH"
    CURRENCY_MISMATCH = "CURRENCY_MISMATCH"
    DUPLICATE = "DUPLICATE"
    TIMING = "TIMING"
    SPLIT_INCOMPLETE = "SPLIT_INCOMPLETE"
    REVERSAL_OR_RETURN = "REVERSAL_OR_RETURN"
    BALANCE_DRIFT = "BALANCE_DRIFT"
    SEQUENCE_GAP = "SEQUENCE_GAP"


class AmountMismatchSubtype(enum.StrEnum):
    """Why the amounts of a referenced pair differ (see `MismatchPolicy` in the engine).

    FEE: a small absolute difference, as charges deducted by a bank on the way.
    FX: a difference proportional to the amount, as a conversion at another rate.
    PARTIAL: the books hold less than the ledger, beyond fee and FX sizes (a partial payment).
    OTHER: the books hold more than the ledger, beyond fee and FX sizes.
    """

    FEE = "FEE"
    FX = "FX"
    PARTIAL = "PARTIAL"
    OTHER = "OTHER"


class Side(enum.StrEnum):
    """Which side holds the item at fault."""

    LEDGER = "LEDGER"
    BOOKS = "BOOKS"
    BOTH = "BOTH"


class BreakStatus(enum.StrEnum):
    """Lifecycle of a break; the engine only creates OPEN breaks, people move them on."""

    OPEN = "open"
    ASSIGNED = "assigned"
    RESOLVED = "resolved"


BreakKey = tuple[str, str, tuple[int, ...], tuple[str, ...], str]
"""(category, subtype or "", sorted ledger entry ids, sorted book line ids, extra): what a break is about,
independent of the wording of its detail; used to compare found and expected breaks."""


def break_id(key: BreakKey) -> str:
    """Deterministic id of a break: a hash of its key, so the same inputs give the same ids."""
    category, subtype, ledger_ids, line_ids, extra = key
    text = "\x1f".join([category, subtype, ",".join(map(str, ledger_ids)), "\x1e".join(line_ids), extra])
    return "BRK-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


@dataclass(frozen=True, slots=True)
class Break:
    """One break.

    Amounts are signed minor units (credit positive), summed per side, so `difference` = books - ledger
    reads as "how much more the books show"; for a currency mismatch the sides are in different
    currencies and `difference` is None.

    Attributes:
        break_id: deterministic id (see `break_id`).
        category: the break category.
        subtype: for AMOUNT_MISMATCH, the subtype.
        side: the side at fault.
        ledger_entry_ids: ledger entries involved, sorted.
        ledger_references: their business references.
        book_line_ids: book lines involved, sorted.
        book_references: their business (or, when empty, own) references.
        currency: the currency of the amounts (the ledger's for a currency mismatch).
        book_currency: the books' currency when it differs from `currency`.
        ledger_amount: signed sum of the ledger side, or None when that side is empty.
        book_amount: signed sum of the book side, or None when that side is empty.
        difference: book_amount - ledger_amount (missing sides count as 0), None across currencies.
        rule: the rule (or check) that judged the break.
        tolerance: the tolerance that rule applied, as text.
        detail: one sentence for a person.
        extra: category-specific identity (the currency of a balance drift, the range of a gap).
        status: OPEN when produced by the engine.
    """

    break_id: str
    category: BreakCategory
    subtype: AmountMismatchSubtype | None
    side: Side
    ledger_entry_ids: tuple[int, ...]
    ledger_references: tuple[str, ...]
    book_line_ids: tuple[str, ...]
    book_references: tuple[str, ...]
    currency: str | None
    book_currency: str | None
    ledger_amount: int | None
    book_amount: int | None
    difference: int | None
    rule: str
    tolerance: str
    detail: str
    extra: str = ""
    status: BreakStatus = BreakStatus.OPEN

    @property
    def key(self) -> BreakKey:
        """What the break is about (see `BreakKey`)."""
        return (
            self.category.value,
            self.subtype.value if self.subtype else "",
            self.ledger_entry_ids,
            self.book_line_ids,
            self.extra,
        )
