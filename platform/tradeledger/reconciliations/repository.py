"""Queries for reconciliation runs, their breaks and the breaks' status history."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import Select, func, insert, select
from sqlalchemy.orm import Session

from reconciliation.matching import BreakStatus
from tradeledger.reconciliations.models import BreakStatusChange, ReconciliationBreak, ReconciliationRun


def run(db: Session, run_id: int) -> ReconciliationRun | None:
    return db.get(ReconciliationRun, run_id)


def runs(db: Session, accounts: set[str] | None, after: int | None, limit: int) -> list[ReconciliationRun]:
    query = select(ReconciliationRun).order_by(ReconciliationRun.id).limit(limit)
    if accounts is not None:
        query = query.where(ReconciliationRun.account.in_(accounts))
    if after is not None:
        query = query.where(ReconciliationRun.id > after)
    return list(db.scalars(query))


def add_breaks(db: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert many breaks in one executemany (the ORM's unit of work would build an object per row)."""
    if rows:
        db.execute(insert(ReconciliationBreak), list(rows))


def break_row(db: Session, break_id: int, *, for_update: bool = False) -> ReconciliationBreak | None:
    """One break; `for_update` locks its row so that two status changes cannot interleave."""
    query = select(ReconciliationBreak).where(ReconciliationBreak.id == break_id)
    return db.scalar(query.with_for_update() if for_update else query)


def _filtered(query: Select[Any], run_id: int, category: str | None, status: BreakStatus | None) -> Select[Any]:
    query = query.where(ReconciliationBreak.run_id == run_id)
    if category is not None:
        query = query.where(ReconciliationBreak.category == category)
    if status is not None:
        query = query.where(ReconciliationBreak.status == status)
    return query


def breaks(
    db: Session,
    run_id: int,
    *,
    category: str | None = None,
    status: BreakStatus | None = None,
    after: int | None = None,
    limit: int,
) -> list[ReconciliationBreak]:
    query = _filtered(select(ReconciliationBreak), run_id, category, status)
    if after is not None:
        query = query.where(ReconciliationBreak.id > after)
    return list(db.scalars(query.order_by(ReconciliationBreak.id).limit(limit)))


def count_breaks(db: Session, run_id: int, *, category: str | None = None, status: BreakStatus | None = None) -> int:
    query = _filtered(select(func.count()).select_from(ReconciliationBreak), run_id, category, status)
    return db.scalar(query) or 0


def all_breaks(db: Session, run_id: int) -> Iterator[ReconciliationBreak]:
    """Every break of the run in id order, fetched in batches (an export may hold millions)."""
    query = select(ReconciliationBreak).where(ReconciliationBreak.run_id == run_id).order_by(ReconciliationBreak.id)
    yield from db.scalars(query.execution_options(yield_per=1000))


def status_counts(db: Session, run_id: int) -> dict[BreakStatus, int]:
    query = (
        select(ReconciliationBreak.status, func.count())
        .where(ReconciliationBreak.run_id == run_id)
        .group_by(ReconciliationBreak.status)
    )
    return {status: count for status, count in db.execute(query)}


def history(db: Session, break_id: int) -> list[BreakStatusChange]:
    query = select(BreakStatusChange).where(BreakStatusChange.break_id == break_id).order_by(BreakStatusChange.id)
    return list(db.scalars(query))
