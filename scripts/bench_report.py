"""The benchmarks' results against their targets (DESIGN.md §9, issues #10, #15 and #22): one table, one JSON file.

Reads the JSON each benchmark of `make bench` wrote into a folder (`out/bench` by default), prints every target
with the figure measured and whether it is met, and writes `results.json` there. `--markdown` prints the table
as Markdown, for BENCHMARKS.md.

    .venv/bin/python scripts/bench_report.py out/bench [--markdown]
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

Results = dict[str, dict[str, Any]]


@dataclass(frozen=True)
class Target:
    benchmark: str  # the JSON file's stem
    name: str
    measured: Callable[[dict[str, Any]], float]
    shown: Callable[[float], str]
    goal: str
    met: Callable[[float], bool]


def _ratio(value: float) -> str:
    return f"{value:.0%}"


def _times(value: float) -> str:
    return f"{value:,.0f}x"


def _rate(value: float) -> str:
    return f"{value:,.0f}/s"


def _milliseconds(value: float) -> str:
    return f"{value:,.1f} ms"


def _next_day_at_a_million(figures: dict[str, Any]) -> float:
    """The next day's statement after 1,000,000 earlier postings (NaN when the run stopped short, as --quick does)."""
    runs = [run for run in figures.get("history", []) if run["earlier_postings"] == 1_000_000]
    return float(runs[0]["next_day_s"]) if runs else float("nan")


API_RUNS = {  # bench_api.py's JSON files in `make bench`: the database and the process model of each
    "api": "SQLite, one process",
    "api_postgresql": "PostgreSQL, one process",
    "api_workers": "SQLite, 2 API workers + engine",
}


def _api_targets(run: str, model: str) -> tuple[Target, ...]:
    """Issue #22's API targets for one bench_api.py run."""
    return (  # like for like: the manager's threads return once the outbox row is durable, as a 202 does
        Target(run, f"API writes until mined / transaction manager ({model})",
               lambda r: r["api_async_writes_vs_manager"], _ratio, ">= 50%", lambda v: v >= 0.5),
        Target(run, f"API writes read-your-writes / transaction manager ({model}, reported)",
               lambda r: r["api_writes_vs_manager"], _ratio, "report", lambda v: v > 0),
        Target(run, f"balance reads, idle ({model})", lambda r: r["balance_read_ops_s"], _rate, ">= 2,000/s",
               lambda v: v >= 2000),
        Target(run, f"balance read p99 under the write load ({model})", lambda r: r["loaded_balance_read_p99_ms"],
               _milliseconds, "<= 50 ms", lambda v: v <= 50),
    )  # fmt: skip


TARGETS = (
    Target("write_path", "transaction manager (the engine signs, as served) / raw ceiling",
           lambda r: r["worker_and_engine_vs_raw"], _ratio, ">= 80%", lambda v: v >= 0.8),
    Target("write_path", "transaction manager signing in the request / raw ceiling (reported)",
           lambda r: r["manager_vs_raw"], _ratio, "report", lambda v: v > 0),
    Target("write_path", "transaction manager / naive web3", lambda r: r["manager_vs_naive"], _times, ">= 50x",
           lambda v: v >= 50),
    Target("write_path", "submissions at SQLite synchronous FULL / NORMAL (reported)",
           lambda r: r["sqlite_synchronous"]["FULL"]["submit_s"] / r["sqlite_synchronous"]["NORMAL"]["submit_s"],
           _ratio, "report", lambda v: v > 0),
    *(target for run, model in API_RUNS.items() for target in _api_targets(run, model)),
    Target("indexer", "indexer into SQLite", lambda r: r["sqlite"]["events_s"], _rate, ">= 20,000 events/s",
           lambda v: v >= 20_000),
    Target("indexer", "indexer into PostgreSQL", lambda r: r["postgresql"]["events_s"] if r.get("postgresql") else 0.0,
           _rate, ">= 20,000 events/s", lambda v: v >= 20_000),
    Target("reconcile", "1M vs 1M reconciliation, wall", lambda r: r["reconcile_s"], lambda v: f"{v:.2f} s",
           "<= 10 s", lambda v: v <= 10),
    Target("reconcile", "1M vs 1M reconciliation, peak memory", lambda r: r["peak_rss_mib"],
           lambda v: f"{v:,.0f} MiB", "<= 2,048 MiB", lambda v: v <= 2048),
    Target("reconcile", "injected breaks found (precision x recall)", lambda r: r["precision"] * r["recall"],
           _ratio, "exactly", lambda v: v == 1),
    Target("statements", "1M-entry camt.053, wall", lambda r: r["total_s"], lambda v: f"{v:.1f} s", "<= 30 s",
           lambda v: v <= 30),
    Target("statements", "1M-entry camt.053, peak memory", lambda r: r["maxrss_mib"], lambda v: f"{v:,.0f} MiB",
           "<= 512 MiB", lambda v: v <= 512),
    Target("devchain", "dev chain state save after a week idle (extrapolated)", lambda r: r["week"]["idle"]["save_s"],
           lambda v: f"{v:,.1f} s", "< the 5 s save interval", lambda v: v < 5),
    Target("statements", "one day's statement, 1,000,000 earlier postings", _next_day_at_a_million,
           lambda v: f"{v:.2f} s", "<= 1 s", lambda v: v <= 1),
)  # fmt: skip


def rows(results: Results) -> list[dict[str, Any]]:
    """Every target with its figure, or `missing` when its benchmark did not run."""
    found = []
    for target in TARGETS:
        figures = results.get(target.benchmark)
        if figures is None:
            found.append({"target": target.name, "goal": target.goal, "measured": None, "met": None, "load": None})
            continue
        value = target.measured(figures)
        found.append({
            "target": target.name,
            "goal": target.goal,
            "measured": target.shown(value),
            "met": target.met(value),
            "load": _load(figures),
        })  # fmt: skip
    return found


def load(folder: Path) -> Results:
    results = {}
    for name in ("write_path", *API_RUNS, "indexer", "reconcile", "statements", "devchain"):
        path = folder / f"{name}.json"
        if path.is_file():
            results[name] = json.loads(path.read_text().strip().splitlines()[-1])
    return results


def _load(figures: dict[str, Any]) -> str | None:
    """The 1-minute load average when the benchmark started, for the benchmarks that record it."""
    load = figures.get("load_average")
    return f"{load[0]:.1f}" if load else None


def _verdict(met: bool | None) -> str:
    return "missing" if met is None else ("met" if met else "NOT met")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("folder", type=Path, nargs="?", default=Path("out/bench"))
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    options = parser.parse_args()
    results = load(options.folder)
    table_rows = rows(results)
    (options.folder / "results.json").write_text(
        json.dumps({"targets": table_rows, "benchmarks": results}, indent=2) + "\n"
    )
    if options.markdown:
        print("| target | goal | measured | | load at start |\n|---|---|---|---|---:|")
        for row in table_rows:
            print(
                f"| {row['target']} | {row['goal']} | {row['measured'] or '-'} | {_verdict(row['met'])} "
                f"| {row['load'] or '-'} |"
            )
        return
    table = Table(title=f"benchmarks against their targets ({options.folder})")
    for column in ("target", "goal", "measured", "verdict", "load at start"):
        table.add_column(column)
    for row in table_rows:
        table.add_row(row["target"], row["goal"], row["measured"] or "-", _verdict(row["met"]), row["load"] or "-")
    Console().print(table)


if __name__ == "__main__":
    main()
