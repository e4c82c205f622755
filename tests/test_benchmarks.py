"""Every benchmark runs at its --quick size and reports a correct result (speed is judged by `make bench`), and
the report reads them all against their targets."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import POSTGRES_URL

ROOT = Path(__file__).resolve().parents[1]


BENCHMARKS = {  # script -> the JSON file `make bench` has it write
    "bench_write_path.py": "write_path",
    "bench_api.py": "api",
    "bench_reconcile.py": "reconcile",
    "bench_statements.py": "statements",
    "bench_indexer.py": "indexer",
    "bench_devchain.py": "devchain",
}


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder the quick runs write their JSON into, as `make bench` does into out/bench."""
    return tmp_path_factory.mktemp("bench")


def _run(script: str, results: Path, *options: str, name: str | None = None) -> dict[str, object]:
    json_path = results / f"{name or BENCHMARKS[script]}.json"
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / script), "--quick", "--json", str(json_path), *options],
        cwd=results, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    assert lines, result.stdout[-2000:]
    document: dict[str, object] = json.loads(lines[-1])
    assert json.loads(json_path.read_text()) == document
    return document


@pytest.mark.slow
def test_write_path_quick(results: Path) -> None:
    """Every path ran to the end; the script itself fails unless every managed transaction is recorded mined. Each
    path started on a chain holding none of the other paths' transactions: on one shared chain the later paths ran
    on a longer history, which costs anvil more CPU per transaction."""
    figures = _run("bench_write_path.py", results)
    assert set(figures["agent_transactions_at_start"].values()) == {0}, figures  # type: ignore[union-attr]
    paths = ("raw_ceiling_tx_s", "transaction_manager_tx_s", "worker_and_engine_tx_s", "naive_web3_tx_s")
    assert all(float(figures[key]) > 0 for key in paths)  # type: ignore[arg-type]
    assert figures["count"] == 200, figures
    levels = figures["sqlite_synchronous"]
    assert isinstance(levels, dict) and set(levels) == {"FULL", "NORMAL"}, figures
    assert all(level["submit_s"] > 0 and level["submit_p99_ms"] >= level["submit_p50_ms"] for level in levels.values())
    # the raw ceiling and the service's path ran as interleaved repetitions, each on a chain of its own: the
    # figures reported are their medians, the ratio the ratio of those medians, and every run is kept
    raws, engines = figures["raw_ceiling_runs"], figures["worker_and_engine_runs"]
    assert isinstance(raws, list) and isinstance(engines, list) and len(raws) == len(engines) == figures["repeats"] == 2
    assert {f"{path}_{n}" for path in ("raw_ceiling", "worker_and_engine") for n in (0, 1)} <= set(
        figures["agent_transactions_at_start"]  # type: ignore[arg-type]
    )
    raw_median = statistics.median(run["tx_s"] for run in raws)
    engine_median = statistics.median(run["tx_s"] for run in engines)
    assert figures["raw_ceiling_tx_s"] == pytest.approx(raw_median), figures
    assert figures["worker_and_engine_tx_s"] == pytest.approx(engine_median), figures
    assert figures["worker_and_engine_vs_raw"] == pytest.approx(engine_median / raw_median), figures
    # how often the node held a transaction back (the manager's recovery from it stalls the run): counted per run
    assert all(isinstance(run["hold_backs"], int) for run in engines), figures
    assert isinstance(figures["engine_process_hold_backs"], int), figures


def _check_api(figures: dict[str, object], database: str) -> None:
    assert figures["balances_checked"] is True and figures["writes"] == 60, figures
    assert figures["database"] == database, figures
    measured = ("write", "async_write", "balance_read", "feed_read", "loaded_write", "loaded_balance_read")
    assert all(float(figures[f"{phase}_ops_s"]) > 0 for phase in measured), figures  # type: ignore[arg-type]
    assert float(figures["transaction_manager_tx_s"]) > 0, figures  # type: ignore[arg-type]
    # the asynchronous writes and the manager ran as interleaved repetitions (the second round on the service
    # started again): the figures reported are their medians, the ratio the ratio of those medians
    api_runs, manager_runs = figures["async_write_runs"], figures["transaction_manager_runs"]
    assert isinstance(api_runs, list) and isinstance(manager_runs, list), figures
    assert len(api_runs) == len(manager_runs) == figures["repeats"] == 2, figures
    api_median = statistics.median(run["ops_s"] for run in api_runs)
    manager_median = statistics.median(run["tx_s"] for run in manager_runs)
    assert all(run["ops_s"] > 0 for run in api_runs) and all(run["tx_s"] > 0 for run in manager_runs), figures
    assert figures["async_write_ops_s"] == pytest.approx(api_median), figures
    assert figures["transaction_manager_tx_s"] == pytest.approx(manager_median), figures
    assert figures["api_async_writes_vs_manager"] == pytest.approx(api_median / manager_median), figures
    # the database server's CPU per 202 write and per manager transfer: measured on PostgreSQL, none on SQLite
    spent = [figures["async_write_database_cpu_ms"], figures["transaction_manager_database_cpu_ms"]]
    spent += [run["database_cpu_ms"] for run in [*api_runs, *manager_runs]]
    assert all(cpu > 0 for cpu in spent) if database == "postgresql" else spent == [0.0] * 6, figures


@pytest.mark.slow
def test_api_quick(results: Path) -> None:
    """Every write answered with a mined transaction and the banks' balances moved by exactly the transfers of
    both rounds (the script fails otherwise); every read answered 200 with balances or events."""
    _check_api(_run("bench_api.py", results), "sqlite")


@pytest.mark.slow
@pytest.mark.skipif(POSTGRES_URL is None, reason="TRADELEDGER_TEST_DATABASE_URL names no PostgreSQL server")
def test_api_quick_on_postgresql(results: Path) -> None:
    """The same run on a fresh PostgreSQL database, as `make bench` reports it beside SQLite."""
    assert POSTGRES_URL is not None
    figures = _run("bench_api.py", results, "--postgres", "--postgres-url", POSTGRES_URL, name="api_postgresql")
    _check_api(figures, "postgresql")


@pytest.mark.slow
def test_reconcile_quick(results: Path) -> None:
    figures = _run("bench_reconcile.py", results)
    assert figures.get("precision") == 1.0 and figures.get("recall") == 1.0, figures


@pytest.mark.slow
def test_statements_quick(results: Path) -> None:
    figures = _run("bench_statements.py", results)
    assert figures["entries"] == 20_000 and str(figures["merkle_root"]).startswith("0x"), figures
    history = figures["history"]
    assert isinstance(history, list) and [run["earlier_postings"] for run in history] == [1_000, 10_000], figures
    assert all(run["consistency_proof_s"] > 0 and run["consistency_proof_rebuilt_s"] > 0 for run in history), figures


@pytest.mark.slow
def test_indexer_quick(results: Path) -> None:
    """The script itself checks each run against the chain (raw events = eth_getLogs, balances = balanceOf)."""
    figures = _run("bench_indexer.py", results)
    sqlite = figures["sqlite"]
    assert isinstance(sqlite, dict) and sqlite["events_s"] > 0 and sqlite["rebuild_s"] > 0, figures
    assert sqlite["fetch_cpu_us_per_event"] >= 0, figures  # 0 at this size: the catch-up fetches in a thread
    assert isinstance(figures["events"], int) and figures["events"] > 5_000, figures
    assert figures.get("postgresql") or figures["postgresql_skipped"], figures
    postgresql = figures.get("postgresql")
    if isinstance(postgresql, dict):  # the test suite's server runs on this machine: its backends' CPU is read
        assert postgresql["server_cpu_us_per_event"] > 0, figures


@pytest.mark.slow
def test_devchain_quick(results: Path) -> None:
    """The script itself fails unless every restart kept the head, block 1, the first receipt and its logs."""
    figures = _run("bench_devchain.py", results)
    points = figures["points"]
    assert isinstance(points, list) and len(points) == 2 and all(point["history_kept"] for point in points), figures
    assert points[1]["state_mb"] > points[0]["state_mb"] > 0, figures
    week = figures["week"]
    assert isinstance(week, dict) and week["modest_load"]["state_mb"] > week["idle"]["state_mb"] > 0, figures


def test_the_report_reads_every_benchmark_against_its_target(results: Path) -> None:
    for script, name in BENCHMARKS.items():
        if not (results / f"{name}.json").exists():  # its own test was not run (`-k`, `-m "not slow"`)
            _run(script, results)
    if POSTGRES_URL is not None and not (results / "api_postgresql.json").exists():
        _run("bench_api.py", results, "--postgres", "--postgres-url", POSTGRES_URL, name="api_postgresql")
    report = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "bench_report.py"), str(results), "--markdown"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert report.returncode == 0, report.stderr
    targets = json.loads((results / "results.json").read_text())["targets"]
    api_runs_not_made = 3 if POSTGRES_URL is None else 2  # `make bench` also runs both databases with 2 API workers
    assert len(targets) == 29, targets
    assert sum(row["measured"] is None for row in targets) == 4 * api_runs_not_made, targets
    assert sum(line.startswith("| ") for line in report.stdout.splitlines()) == len(targets) + 1  # header + rows
