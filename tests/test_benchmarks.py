"""Every benchmark runs at its --quick size and reports a correct result (speed is judged by `make bench`)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(script: str, tmp_path: Path) -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / script), "--quick"],
        cwd=tmp_path, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    assert lines, result.stdout[-2000:]
    document: dict[str, object] = json.loads(lines[-1])
    return document


@pytest.mark.slow
def test_write_path_quick(tmp_path: Path) -> None:
    """Every path ran to the end; the script itself fails unless every managed transaction is recorded mined."""
    figures = _run("bench_write_path.py", tmp_path)
    assert all(float(figures[key]) > 0 for key in ("raw_ceiling_tx_s", "transaction_manager_tx_s", "naive_web3_tx_s"))  # type: ignore[arg-type]
    assert figures["count"] == 200, figures


@pytest.mark.slow
def test_api_quick(tmp_path: Path) -> None:
    """Every write answered with a mined transaction and the banks' balances moved by exactly the transfers
    (the script fails otherwise); reads answered too."""
    figures = _run("bench_api.py", tmp_path)
    assert figures["balances_checked"] is True and figures["writes"] == 60, figures
    assert all(float(figures[key]) > 0 for key in ("write_ops_s", "read_ops_s", "transaction_manager_tx_s"))  # type: ignore[arg-type]


@pytest.mark.slow
def test_reconcile_quick(tmp_path: Path) -> None:
    figures = _run("bench_reconcile.py", tmp_path)
    assert figures.get("precision") == 1.0 and figures.get("recall") == 1.0, figures


@pytest.mark.slow
def test_statements_quick(tmp_path: Path) -> None:
    figures = _run("bench_statements.py", tmp_path)
    assert figures["entries"] == 20_000 and str(figures["merkle_root"]).startswith("0x"), figures


@pytest.mark.slow
def test_indexer_quick(tmp_path: Path) -> None:
    """The script itself checks each run against the chain (raw events = eth_getLogs, balances = balanceOf)."""
    figures = _run("bench_indexer.py", tmp_path)
    sqlite = figures["sqlite"]
    assert isinstance(sqlite, dict) and sqlite["events_s"] > 0 and sqlite["rebuild_s"] > 0, figures
    assert isinstance(figures["events"], int) and figures["events"] > 5_000, figures
    assert figures.get("postgresql") or figures["postgresql_skipped"], figures
