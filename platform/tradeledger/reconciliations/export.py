"""A run's breaks as a file: CSV (Excel-friendly, like the CSV statements) or JSON (the API's own views).

Both stream from the database in batches, so exporting a run with a million breaks needs no more memory than
exporting one with ten.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from reconciliation.formats import format_minor
from reconciliation.formats.csvfile import header_cell, safe_cell
from tradeledger.members.models import MemberKind
from tradeledger.reconciliations import repository
from tradeledger.reconciliations.models import ReconciliationBreak, ReconciliationRun
from tradeledger.reconciliations.schemas import ExportFormat
from tradeledger.reconciliations.service import break_view, run_view, visible_run

if TYPE_CHECKING:  # the runtime composes the domains: importing it here would be a cycle
    from tradeledger.runtime import Platform

MEDIA_TYPES = {ExportFormat.CSV: "text/csv; charset=utf-8", ExportFormat.JSON: "application/json"}

EXPORT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "差错编号"),
    ("run_id", "对账批次"),
    ("reference", "差错参考号"),
    ("category", "差错类型"),
    ("subtype", "子类型"),
    ("side", "差错方"),
    ("status", "状态"),
    ("assignee", "经办人"),
    ("currency", "币种"),
    ("ledger_amount", "账本金额"),
    ("book_currency", "账簿币种"),
    ("book_amount", "账簿金额"),
    ("difference", "差额"),
    ("ledger_entry_ids", "分录号"),
    ("ledger_references", "账本业务参考号"),
    ("book_line_ids", "账簿行号"),
    ("book_references", "账簿参考号"),
    ("rule", "匹配规则"),
    ("tolerance", "容差"),
    ("scope", "范围"),
    ("detail", "说明"),
    ("updated_at", "更新时间"),
)


def decimal_text(amount: int | None, currency: str | None) -> str:
    """Signed minor units as an exact decimal of the currency; empty when there is no amount."""
    return "" if amount is None or currency is None else format_minor(amount, currency)


def _csv_row(row: ReconciliationBreak) -> list[str]:
    texts = [
        str(row.id),
        str(row.run_id),
        row.reference,
        row.category,
        row.subtype or "",
        row.side.value,
        row.status.value,
        row.assignee or "",
        row.currency or "",
        decimal_text(row.ledger_amount, row.currency),
        row.book_currency or "",
        decimal_text(row.book_amount, row.book_currency or row.currency),
        decimal_text(row.difference, row.currency),
        " ".join(row.ledger_entry_ids),
        " ".join(row.ledger_references),
        " ".join(row.book_line_ids),
        " ".join(row.book_references),
        row.rule,
        row.tolerance,
        row.scope,
        row.detail,
        row.updated_at.isoformat(),
    ]
    return [safe_cell(text) for text in texts]


@dataclass(frozen=True)
class Download:
    """A run's breaks as a file: its chunks (read in a session of their own as they are sent), type and name."""

    chunks: Iterator[bytes]
    media_type: str
    filename: str


def download(
    platform: Platform, viewer: str, viewer_kind: MemberKind | None, run_id: int, fmt: ExportFormat
) -> Download:
    """Every break of a run the viewer may see (404 before anything is sent), streamed as CSV or JSON."""
    with platform.sessions() as db:
        run = visible_run(db, viewer, viewer_kind, run_id)

    def chunks() -> Iterator[bytes]:
        with platform.sessions() as db:
            yield from export(db, run, fmt)

    return Download(chunks(), MEDIA_TYPES[fmt], export_name(run, fmt))


def export(db: Session, run: ReconciliationRun, fmt: ExportFormat) -> Iterator[bytes]:
    """The run's breaks as a file, in chunks: CSV (UTF-8 with BOM and bilingual headers, Excel-friendly, amounts
    as exact decimals, formula-like cells neutralised) or JSON (the run's summary and every break)."""
    if fmt is ExportFormat.CSV:
        yield from _export_csv(repository.all_breaks(db, run.id))
        return
    yield b'{"run":' + run_view(db, run).model_dump_json().encode() + b',"breaks":['
    for index, row in enumerate(repository.all_breaks(db, run.id)):
        yield (b"," if index else b"") + break_view(row).model_dump_json().encode()
    yield b"]}"


def _export_csv(rows: Iterator[ReconciliationBreak]) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow([header_cell(english, chinese) for english, chinese in EXPORT_COLUMNS])
    for index, row in enumerate(rows, start=1):
        writer.writerow(_csv_row(row))
        if index % 1000 == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def export_name(run: ReconciliationRun, fmt: ExportFormat) -> str:
    return f"reconciliation-{run.id}-breaks.{fmt.value}"
