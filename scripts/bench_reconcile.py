"""Benchmark books-vs-ledger reconciliation (DESIGN.md §9): time, peak memory, exactness of the breaks.

    .venv/bin/python scripts/bench_reconcile.py --quick     # 100,000 ledger entries vs ~100,000 book lines
    .venv/bin/python scripts/bench_reconcile.py             # 1,000,000 vs ~1,000,000 (budget: 10 s, 2 GiB)

The data comes from `reconciliation.matching.synthetic`: deterministic from the seed, with a known set of
injected breaks of every category. The script reports generation and reconciliation separately (only
the latter is the engine's figure), wall and CPU time (wall time on a shared machine includes waiting for
a core; CPU time does not), the process's peak RSS (which includes the generated inputs: that is the
memory a real run needs), and precision/recall of the breaks found against the breaks injected. It prints
a table and one JSON line, and exits 1 if precision or recall is below 100%.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from reconciliation.matching import reconcile
from reconciliation.matching.synthetic import generate

QUICK_SIZE = 100_000
FULL_SIZE = 1_000_000
BUDGET_SECONDS = 10.0
BUDGET_RSS_MIB = 2048.0


def _peak_rss_mib() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KiB on Linux


def run(size: int, seed: int) -> dict[str, object]:
    """Generate, reconcile and score one data set; returns the figures."""
    started = time.perf_counter()
    dataset = generate(size, seed=seed)
    generate_s = time.perf_counter() - started
    # Move the generated objects out of the collector's sight, so the measured run does not pay for
    # walking millions of objects it did not create (a real caller's inputs would be as old).
    gc.collect()
    gc.freeze()

    wall, cpu = time.perf_counter(), time.process_time()
    result = reconcile(dataset.ledger, dataset.books, dataset.config)
    reconcile_s = time.perf_counter() - wall
    reconcile_cpu_s = time.process_time() - cpu

    found = [b.key for b in result.breaks]
    expected = set(dataset.expected)
    true_positives = len(set(found) & expected)
    precision = true_positives / len(found) if found else 1.0
    recall = true_positives / len(expected) if expected else 1.0
    peak = _peak_rss_mib()
    return {
        "benchmark": "reconcile",
        "size": size,
        "seed": seed,
        "ledger_entries": len(dataset.ledger),
        "book_lines": len(dataset.books),
        "matches": len(result.matches),
        "generate_s": round(generate_s, 3),
        "reconcile_s": round(reconcile_s, 3),
        "reconcile_cpu_s": round(reconcile_cpu_s, 3),
        "items_per_s": round((len(dataset.ledger) + len(dataset.books)) / reconcile_s),
        "peak_rss_mib": round(peak, 1),
        "expected_breaks": len(expected),
        "found_breaks": len(found),
        "precision": precision,
        "recall": recall,
        "breaks_by_category": result.summary.breaks_by_category,
        "matches_by_rule": result.summary.matches_by_rule,
        "budget_s": BUDGET_SECONDS,
        "budget_rss_mib": BUDGET_RSS_MIB,
        "within_budget": reconcile_s <= BUDGET_SECONDS and peak <= BUDGET_RSS_MIB,
        "cpus": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
    }


def _table(figures: dict[str, object]) -> Table:
    table = Table(title=f"Books vs ledger reconciliation, {figures['size']:,} positions")
    table.add_column("measure")
    table.add_column("value", justify="right")
    rows = [
        ("ledger entries / book lines", f"{figures['ledger_entries']:,} / {figures['book_lines']:,}"),
        ("generate (not the engine)", f"{figures['generate_s']} s"),
        ("reconcile, wall", f"{figures['reconcile_s']} s (budget {BUDGET_SECONDS:g} s)"),
        ("reconcile, CPU", f"{figures['reconcile_cpu_s']} s"),
        ("throughput", f"{figures['items_per_s']:,} items/s"),
        ("peak RSS (whole process)", f"{figures['peak_rss_mib']} MiB (budget {BUDGET_RSS_MIB:g} MiB)"),
        ("matches", f"{figures['matches']:,}"),
        ("breaks expected / found", f"{figures['expected_breaks']} / {figures['found_breaks']}"),
        ("precision / recall", f"{figures['precision']:.2%} / {figures['recall']:.2%}"),
        ("load average (1 min) / CPUs", f"{figures['load_average_1m']} / {figures['cpus']}"),
    ]
    for name, value in rows:
        table.add_row(name, value)
    by_category = figures["breaks_by_category"]
    assert isinstance(by_category, dict)
    for category, count in by_category.items():
        table.add_row(f"  {category}", str(count))
    return table


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_SIZE:,} positions instead of {FULL_SIZE:,}")
    parser.add_argument("--size", type=int, help="number of ledger positions (overrides --quick)")
    parser.add_argument("--seed", type=int, default=20260302)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    size = args.size or (QUICK_SIZE if args.quick else FULL_SIZE)
    figures = run(size, args.seed)
    Console(stderr=True).print(_table(figures))
    line = json.dumps(figures, sort_keys=True)
    print(line)
    if args.json:
        args.json.write_text(line + "\n")
    return 0 if figures["precision"] == 1.0 and figures["recall"] == 1.0 else 1


if __name__ == "__main__":
    sys.exit(main())
