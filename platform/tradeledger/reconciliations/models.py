"""Books-vs-ledger reconciliation runs, their breaks and each break's status history (service-owned).

Not projections: the service writes a run and all of its breaks in one transaction when a member uploads its
books; people then move breaks through open → assigned → resolved, one `BreakStatusChange` row per move.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Dialect, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator, TypeEngine

from reconciliation.matching import BreakStatus, Side
from tradeledger.store.base import Base, UtcDateTime, utcnow
from tradeledger.store.columns import ADDRESS, CURRENCY, HASH, enum_column

_SIGNED_DIGITS = 80


class SignedMinorUnits(TypeDecorator[int]):
    """An exact signed integer of any size a sum of uint256 amounts can reach (a break's sides and difference).

    NUMERIC(80, 0) on PostgreSQL; on SQLite, whose NUMERIC affinity would round through float, the decimal text.
    Breaks are never ordered or filtered by amount, so the text form needs no padding.
    """

    impl = String(_SIGNED_DIGITS + 1)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(Numeric(_SIGNED_DIGITS, 0))
        return dialect.type_descriptor(String(_SIGNED_DIGITS + 1))

    def process_bind_param(self, value: int | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if abs(value) >= 10**_SIGNED_DIGITS:
            raise ValueError(f"{value} has more than {_SIGNED_DIGITS} digits")
        return value if dialect.name == "postgresql" else str(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> int | None:
        return None if value is None else int(value)


BIG_ID = BigInteger().with_variant(Integer, "sqlite")
"""A 64-bit key that SQLite still auto-increments (it does so only for an INTEGER PRIMARY KEY)."""


class ReconciliationRun(Base):
    """One reconciliation of an account's ledger entries of one currency over whole UTC days against a books file.

    The summary counts are fixed when the run is stored; only its breaks' statuses change afterwards.
    """

    __tablename__ = "reconciliation_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account: Mapped[str] = mapped_column(String(ADDRESS), index=True)
    currency: Mapped[str] = mapped_column(String(CURRENCY))
    period_start: Mapped[datetime] = mapped_column(UtcDateTime)
    period_end: Mapped[datetime] = mapped_column(UtcDateTime)
    books_format: Mapped[str] = mapped_column(String(16))
    books_file_name: Mapped[str] = mapped_column(String(255))
    books_file_sha256: Mapped[str] = mapped_column(String(HASH))
    books_file_size: Mapped[int] = mapped_column(BigInteger)
    csv_mapping: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    rules: Mapped[dict[str, Any]] = mapped_column(JSON)
    ledger_entries: Mapped[int] = mapped_column(BigInteger)
    book_lines: Mapped[int] = mapped_column(BigInteger)
    book_lines_out_of_scope: Mapped[int] = mapped_column(BigInteger)
    matched_ledger_entries: Mapped[int] = mapped_column(BigInteger)
    matched_book_lines: Mapped[int] = mapped_column(BigInteger)
    matches_by_rule: Mapped[dict[str, int]] = mapped_column(JSON)
    breaks_by_category: Mapped[dict[str, int]] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(ADDRESS))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ReconciliationBreak(Base):
    """One break of a run, as the matching engine reported it, plus its current status.

    `reference` is the engine's content-derived break id (`BRK-...`): the same inputs give the same reference,
    so a break can be recognised across runs. Amounts are signed minor units (credit positive).
    """

    __tablename__ = "reconciliation_breaks"
    __table_args__ = (UniqueConstraint("run_id", "reference"),)

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("reconciliation_runs.id"))
    reference: Mapped[str] = mapped_column(String(32))
    # the category's value, not an Enum column: BreakCategory has an alias (MISSING_IN_BOOKS)
    category: Mapped[str] = mapped_column(String(32))
    subtype: Mapped[str | None] = mapped_column(String(16))
    side: Mapped[Side] = mapped_column(enum_column(Side))
    status: Mapped[BreakStatus] = mapped_column(enum_column(BreakStatus))
    assignee: Mapped[str | None] = mapped_column(String(128))
    currency: Mapped[str | None] = mapped_column(String(CURRENCY))
    book_currency: Mapped[str | None] = mapped_column(String(CURRENCY))
    ledger_amount: Mapped[int | None] = mapped_column(SignedMinorUnits)
    book_amount: Mapped[int | None] = mapped_column(SignedMinorUnits)
    difference: Mapped[int | None] = mapped_column(SignedMinorUnits)
    ledger_entry_ids: Mapped[list[str]] = mapped_column(JSON)
    ledger_references: Mapped[list[str]] = mapped_column(JSON)
    book_line_ids: Mapped[list[str]] = mapped_column(JSON)
    book_references: Mapped[list[str]] = mapped_column(JSON)
    rule: Mapped[str] = mapped_column(String(64))
    tolerance: Mapped[str] = mapped_column(String(255))
    scope: Mapped[str] = mapped_column(Text)
    detail: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class BreakStatusChange(Base):
    """One move of a break through its lifecycle: who, when, from which status to which, and why."""

    __tablename__ = "reconciliation_break_changes"

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True, autoincrement=True)
    break_id: Mapped[int] = mapped_column(ForeignKey("reconciliation_breaks.id"), index=True)
    from_status: Mapped[BreakStatus] = mapped_column(enum_column(BreakStatus))
    to_status: Mapped[BreakStatus] = mapped_column(enum_column(BreakStatus))
    assignee: Mapped[str | None] = mapped_column(String(128))
    note: Mapped[str | None] = mapped_column(Text)
    changed_by: Mapped[str] = mapped_column(String(ADDRESS))
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
