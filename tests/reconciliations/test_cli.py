"""`tradeledger reconcile ...`: run (progress, then a summary), list, breaks, export, assign, resolve, reopen."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from tests.posted_ledger import BANK, TRADER, Ledger
from tests.reconciliations.helpers import MAPPING
from tests.reconciliations.test_runs import EXPECTED, INJECTED, statement_file
from tradeledger import cli
from tradeledger.cli import app

PERIOD = ["--currency", "USD", "--from", "2031-03-03", "--to", "2031-03-04"]


@pytest.fixture(autouse=True)
def data_dir(ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    """The commands work on the test platform's data directory (and attach to its running dev chain), on a
    terminal wide enough for their tables not to fold."""
    monkeypatch.setenv("TRADELEDGER_DATA_DIR", str(ledger.platform.settings.data_dir))
    monkeypatch.setattr(cli.console, "width", 240)


def _cli(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def _ok(*args: str) -> str:
    result = _cli(*args)
    assert result.exit_code == 0, result.output
    return result.output


def _refused(*args: str) -> str:
    """The command fails with exit status 1 and one line on stderr, never a traceback."""
    result = _cli(*args)
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error ["), result.stderr
    return lines[0]


def _run_id(output: str) -> str:
    found = re.search(r"reconciliation run (\d+)", output)
    assert found is not None, output
    return found.group(1)


@pytest.fixture(scope="module")
def injected_run(ledger: Ledger, tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("cli")
    (folder / "books.csv").write_bytes(INJECTED)
    (folder / "mapping.json").write_text(json.dumps(MAPPING), encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TRADELEDGER_DATA_DIR", str(ledger.platform.settings.data_dir))
        patch.setattr(cli.console, "width", 240)
        output = _ok("reconcile", "run", "--account", BANK.address, *PERIOD, "--books", str(folder / "books.csv"),
                     "--format", "csv", "--mapping", f"@{folder / 'mapping.json'}")  # fmt: skip
    for category, *_ in EXPECTED:
        assert re.search(rf"│ {category}\s+│ 1\s+│", output), output
    return _run_id(output)


class TestRun:
    def test_own_statement_reconciles_clean_with_progress_and_a_summary(self, ledger: Ledger, tmp_path: Path) -> None:
        books = tmp_path / "statement.csv"
        books.write_bytes(statement_file(ledger, TRADER.address, "csv"))
        output = _ok("reconcile", "run", "--account", TRADER.address, *PERIOD, "--books", str(books), "--format", "csv")
        assert "importing statement.csv" in output and "matching" in output and "storing breaks" in output
        assert "3: 3 matched, 0 unmatched" in output
        assert re.search(r"│ breaks\s+│ 0\s+│", output), output
        run = ledger.client("trader").get(f"/v1/reconciliations/{_run_id(output)}").json()
        assert (run["created_by"], run["books_file"]["name"]) == (TRADER.address, "statement.csv")

    def test_a_sponsor_bank_runs_for_its_client(self, ledger: Ledger, tmp_path: Path) -> None:
        books = tmp_path / "statement.xml"
        books.write_bytes(statement_file(ledger, TRADER.address, "camt.053.001.08"))
        output = _ok("reconcile", "run", "--account", TRADER.address, *PERIOD, "--books", str(books),
                     "--format", "camt.053", "--as", BANK.address, "--date-window", "0")  # fmt: skip
        run = ledger.client("bank").get(f"/v1/reconciliations/{_run_id(output)}").json()
        assert (run["created_by"], run["rules"]["date_window_days"]) == (BANK.address, 0)

    @pytest.mark.parametrize(("args", "message"), [
        (["--currency", "ABC"], "unknown ISO 4217 currency code 'ABC'"),
        (["--format", "xlsx"], "--format: Input should be 'csv', 'camt.053' or 'mt940'"),
        (["--date-window", "-1"], "--date-window: Input should be greater than or equal to 0"),
        (["--books", "/nonexistent/books.csv"], "--books: cannot read /nonexistent/books.csv"),
        (["--mapping", "@/nonexistent/mapping.json"], "--mapping: cannot read /nonexistent/mapping.json"),
        (["--mapping", '{"booking_date": "Date"}'], "--mapping: Value error, declare either an amount column"),
        (["--as", "nobody"], "--as 'nobody' is not an address"),
    ])  # fmt: skip
    def test_bad_input_is_one_line_and_exit_1(
        self, ledger: Ledger, tmp_path: Path, args: list[str], message: str
    ) -> None:
        books = tmp_path / "statement.csv"
        books.write_bytes(statement_file(ledger, TRADER.address, "csv"))
        options = {"--account": TRADER.address, "--currency": "USD", "--from": "2031-03-03", "--books": str(books),
                   "--format": "csv"}  # fmt: skip
        options.update(dict(zip(args[::2], args[1::2], strict=True)))
        assert message in _refused("reconcile", "run", *[part for pair in options.items() for part in pair])

    def test_a_malformed_books_file_names_line_and_column_and_stores_nothing(
        self, ledger: Ledger, tmp_path: Path
    ) -> None:
        books = tmp_path / "gl.csv"
        books.write_bytes(INJECTED.replace(b"123.00", b"12x.00"))
        mapping = json.dumps(MAPPING)
        before = ledger.client("auditor").get("/v1/reconciliations", params={"limit": 200}).json()["items"]
        line = _refused("reconcile", "run", "--account", BANK.address, *PERIOD, "--books", str(books),
                        "--format", "csv", "--mapping", mapping)  # fmt: skip
        assert "[books_file_invalid]: gl.csv, line 6, column 'Amount': '12x.00' is not a decimal amount" in line
        after = ledger.client("auditor").get("/v1/reconciliations", params={"limit": 200}).json()["items"]
        assert after == before


class TestReading:
    def test_list_shows_the_run(self, injected_run: str) -> None:
        output = _ok("reconcile", "list", "--account", BANK.address)
        assert re.search(rf"│ {injected_run}\s+│", output), output
        assert TRADER.address not in output

    def test_breaks_with_filters(self, injected_run: str) -> None:
        output = _ok("reconcile", "breaks", injected_run, "--category", "amount_mismatch")
        assert "AMOUNT_MISMATCH FEE" in output and "123.45" in output and "-0.45" in output
        assert f"breaks of run {injected_run} (1 of 1)" in output
        assert "(0 of 0)" in _ok("reconcile", "breaks", injected_run, "--status", "resolved")
        shown = _ok("reconcile", "breaks", injected_run, "--limit", "2")
        assert f"(2 of {len(EXPECTED)})" in shown and f"{len(EXPECTED) - 2} more" in shown

    @pytest.mark.parametrize("args", [
        ["breaks", "999999"], ["breaks", "1", "--category", "LOST"], ["breaks", "1", "--status", "closed"],
        ["export", "999999", "--out", "x.csv"], ["export", "1", "--format", "xlsx", "--out", "x.csv"],
    ])  # fmt: skip
    def test_bad_input_is_one_line_and_exit_1(self, args: list[str]) -> None:
        _refused("reconcile", *args)

    @pytest.mark.parametrize("fmt", ["csv", "json"])
    def test_export(self, ledger: Ledger, injected_run: str, tmp_path: Path, fmt: str) -> None:
        out = tmp_path / f"breaks.{fmt}"
        assert f"wrote {len(EXPECTED)} breaks" in _ok("reconcile", "export", injected_run, "--format", fmt,
                                                     "--out", str(out))  # fmt: skip
        api = ledger.client("bank").get(f"/v1/reconciliations/{injected_run}/export", params={"format": fmt})
        if fmt == "json":
            assert json.loads(out.read_bytes()) == json.loads(api.content)
        else:
            assert out.read_bytes().startswith(b"\xef\xbb\xbf")
            assert len(list(csv.reader(io.StringIO(out.read_text("utf-8-sig"))))) == len(EXPECTED) + 1
            assert out.read_bytes() == api.content
        assert not list(tmp_path.glob("*.part"))


class TestStatusChanges:
    def test_assign_resolve_reopen(self, ledger: Ledger, injected_run: str) -> None:
        client = ledger.client("bank")
        target = client.get(f"/v1/reconciliations/{injected_run}/breaks", params={"category": "TIMING"}).json()
        break_id = target["items"][0]["id"]
        assert f"break {break_id} is assigned (assigned to alice)" in _ok(
            "reconcile", "assign", break_id, "--to", "alice", "--note", "call the bank"
        )
        assert f"break {break_id} is resolved" in _ok("reconcile", "resolve", break_id, "--note", "value dated")
        refused = _refused("reconcile", "resolve", break_id, "--note", "again")
        assert refused.startswith("error [break_transition_invalid]: ")
        assert f"break {break_id} is open" in _ok("reconcile", "reopen", break_id, "--as", BANK.address)
        history = client.get(f"/v1/reconciliations/{injected_run}/breaks/{break_id}").json()["history"]
        assert [(h["to_status"], h["note"], h["changed_by"]) for h in history] == [
            ("assigned", "call the bank", BANK.address),
            ("resolved", "value dated", BANK.address),
            ("open", None, BANK.address),
        ]

    @pytest.mark.parametrize("args", [
        ["resolve", "999999", "--note", "x"], ["resolve", "1", "--note", "   "], ["assign", "1", "--to", ""],
        ["reopen", "1", "--as", "0x12"],
    ])  # fmt: skip
    def test_bad_input_is_one_line_and_exit_1(self, injected_run: str, args: list[str]) -> None:
        _refused("reconcile", *args)
