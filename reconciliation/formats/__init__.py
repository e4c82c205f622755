"""Statement writers: camt.052/053/054, MT940, CSV 对账文件 and JSON, all streaming and deterministic."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from datetime import date

from reconciliation.formats import swift
from reconciliation.formats.camt import write_camt052, write_camt053, write_camt054
from reconciliation.formats.common import BinaryOutput, FormatError, format_minor
from reconciliation.formats.csvfile import write_csv
from reconciliation.formats.jsonfile import write_json
from reconciliation.formats.swift import write_mt940
from reconciliation.statements.model import StatementHeader, StatementLine

LAST_DAY = date(9999, 12, 30)
Writer = Callable[[BinaryOutput, StatementHeader, Iterable[StatementLine]], None]


class StatementFormat(enum.StrEnum):
    """File formats, valued by the name used in manifests and APIs."""

    CAMT053 = "camt.053.001.08"
    CAMT052 = "camt.052.001.08"
    CAMT054 = "camt.054.001.08"
    MT940 = "mt940"
    CSV = "csv"
    JSON = "json"

    @property
    def extension(self) -> str:
        """Conventional file extension."""
        return {"mt940": "sta", "csv": "csv", "json": "json"}.get(self.value, "xml")

    @property
    def days(self) -> tuple[date, date]:
        """The first and last business day a statement in the format can state: MT940's two-digit years cover
        a hundred years; the others' four-digit years end with 9999-12-30, the last day whose end (the next
        midnight) is an instant."""
        return (swift.FIRST_DAY, swift.LAST_DAY) if self is StatementFormat.MT940 else (date.min, LAST_DAY)

    @property
    def writer(self) -> Writer:
        """The writer function of the format."""
        return _WRITERS[self]


_WRITERS: dict[StatementFormat, Writer] = {
    StatementFormat.CAMT053: write_camt053,
    StatementFormat.CAMT052: write_camt052,
    StatementFormat.CAMT054: write_camt054,
    StatementFormat.MT940: write_mt940,
    StatementFormat.CSV: write_csv,
    StatementFormat.JSON: write_json,
}


def write_statement(
    out: BinaryOutput, fmt: StatementFormat, header: StatementHeader, lines: Iterable[StatementLine]
) -> None:
    """Write the statement in `fmt` (see each writer for the layout)."""
    _WRITERS[fmt](out, header, lines)


__all__ = [
    "BinaryOutput",
    "FormatError",
    "StatementFormat",
    "Writer",
    "format_minor",
    "write_camt052",
    "write_camt053",
    "write_camt054",
    "write_csv",
    "write_json",
    "write_mt940",
    "write_statement",
]
