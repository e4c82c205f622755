"""Golden files pin every format byte for byte for the fixed data set.

Regenerate after an intended format change with `UPDATE_GOLDEN=1 pytest tests/reconciliation/test_golden.py`
and review the diff: a changed golden file means every bank's and auditor's parser sees a change.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from reconciliation.canonical import RootingLines, encode_entry
from reconciliation.formats import StatementFormat
from reconciliation.manifest import build_manifest
from reconciliation.merkle import StreamingRoot
from reconciliation.statements import Period, Statement
from reconciliation.validation import camt_errors
from tests.reconciliation.data import BANK_A, DAY, fixed_entries, fixed_statement, render

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"


def intraday_statement() -> Statement:
    """The camt.052 case: the entries up to noon, reported at noon."""
    noon = datetime(2026, 3, 2, 12, tzinfo=UTC)
    entries = [e for e in fixed_entries() if e.booked_at < noon]
    return Statement.build(
        lambda: entries,
        account=BANK_A,
        currency="USD",
        period=Period(Period.business_day(DAY).start, noon),
        opening=100_000,
        sequence=42,
    )


CASES = {
    "statement.camt053.xml": (StatementFormat.CAMT053, fixed_statement),
    "statement.camt052.xml": (StatementFormat.CAMT052, intraday_statement),
    "statement.camt054.xml": (StatementFormat.CAMT054, fixed_statement),
    "statement.mt940.sta": (StatementFormat.MT940, fixed_statement),
    "statement.csv": (StatementFormat.CSV, fixed_statement),
    "statement.json": (StatementFormat.JSON, fixed_statement),
}


def check_golden(name: str, data: bytes) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.write_bytes(data)
    assert path.exists(), f"missing golden file {name}: run with UPDATE_GOLDEN=1"
    assert data == path.read_bytes(), f"{name} differs from its golden file (UPDATE_GOLDEN=1 to accept)"


class TestGoldenFiles:
    @pytest.mark.parametrize("name", list(CASES))
    def test_format_matches_golden_file(self, name: str) -> None:
        fmt, make = CASES[name]
        statement = make()
        check_golden(name, render(fmt, statement.header, statement.lines()))

    @pytest.mark.parametrize("name", [n for n in CASES if n.endswith(".xml")])
    def test_golden_camt_files_are_schema_valid(self, name: str) -> None:
        assert camt_errors(GOLDEN / name) == []

    def test_canonical_leaves_match_golden_file(self) -> None:
        text = "".join(encode_entry(e).hex() + "\n" for e in fixed_entries())
        check_golden("leaves.tle1.hex", text.encode("ascii"))

    def test_manifest_matches_golden_file(self, tmp_path: Path) -> None:
        statement = fixed_statement()
        history = StreamingRoot()  # the account's first statement: its history is its own entries
        lines = RootingLines(statement.lines(), history)
        path = tmp_path / "statement.camt053.xml"
        path.write_bytes(render(StatementFormat.CAMT053, statement.header, lines))
        manifest = build_manifest(
            statement.header,
            fmt=StatementFormat.CAMT053.value,
            file=path,
            merkle_root=lines.root,
            tree_size=lines.size,
            issuer="0x1111111111111111111111111111111111111111",
            chain_id=31337,
            history=history,
        )
        check_golden("statement.camt053.manifest.json", manifest.to_bytes() + b"\n")
