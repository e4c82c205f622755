"""Benchmark: a camt.053 statement of N synthetic ledger entries written streaming.

Measures wall and CPU time (pass one: header and totals; pass two: numbered lines written as camt.053,
with the Merkle root of the entries computed on the fly unless `--no-merkle`) and peak memory
(ru_maxrss of a fresh worker process, next to the ru_maxrss of a worker that only imports the library:
the difference is what streaming costs). tracemalloc would slow the run down several times, so it is
not used. CPU seconds are reported next to wall seconds because on a shared machine the wall clock also
measures the neighbours (the load average is printed too).

Then "one day's statement of an account with N earlier postings", N growing by 10x (1,000 to 1,000,000;
--quick: to 10,000), through the service on a fresh SQLite database: the first statement (the day before,
with no frontier saved: it reads the whole history) and the next day's (resumed from the frontier the first
one saved: it reads that day only), then the consistency proof between those two statements: from the history
subtrees the statements stored (O(log n) reads), and rebuilt from the read model as it was before they were
stored (the fallback when they are missing).

    .venv/bin/python scripts/bench_statements.py            # 1,000,000 entries
    .venv/bin/python scripts/bench_statements.py --quick    # 20,000 entries (CI)

Prints a table and one JSON line.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

ACCOUNT = "0x1111111111111111111111111111111111111111"
COUNTERPARTIES = [f"0x{i:040x}" for i in range(2, 10)]
KINDS = ["LC_HONOUR", "FINANCING_DISBURSE", "FINANCING_REPAY", "FEE", "SETTLEMENT"]
DAY = date(2026, 3, 2)
ENTRIES_PER_BLOCK = 8
HISTORY_SIZES = (1_000, 10_000, 100_000, 1_000_000)
HISTORY_DAYS = 30  # the earlier postings are spread over the days before DAY
DAY_POSTINGS = 200  # the postings of DAY itself


def synthetic_entries(count: int) -> Iterator[object]:
    """`count` deterministic entries of ACCOUNT in USD over DAY, sorted by (block, log index)."""
    from reconciliation.entries import ChainEvidence, Direction, LedgerEntry

    start = datetime.combine(DAY, datetime.min.time(), tzinfo=UTC)
    step = timedelta(microseconds=86_400_000_000 // max(1, count // ENTRIES_PER_BLOCK + 1))
    block_hash = tx_hash = ""
    booked_at = start
    counterparties = len(COUNTERPARTIES)
    kinds = len(KINDS)
    for i in range(count):
        block, log = divmod(i, ENTRIES_PER_BLOCK)
        if log == 0:  # one transaction per block emitting ENTRIES_PER_BLOCK `Posted` logs
            block_hash = "0x" + hashlib.sha256(b"b%d" % block).hexdigest()
            tx_hash = "0x" + hashlib.sha256(b"t%d" % block).hexdigest()
            booked_at = start + step * block
        yield LedgerEntry(
            entry_id=i + 1,
            account=ACCOUNT,
            counterparty=COUNTERPARTIES[i % counterparties],
            currency="USD",
            amount=1 + (i * 7919) % 10_000_000,
            direction=Direction.CREDIT if i % 3 else Direction.DEBIT,
            kind=KINDS[i % kinds],
            reference=f"LC-2026-{i % 100_000:06d}",
            booked_at=booked_at,
            evidence=ChainEvidence(31337, block + 1, block_hash, tx_hash, log),
        )


def worker(count: int, out_path: str, baseline: bool, merkle: bool) -> dict[str, object]:
    """Run in a fresh process: build and write the statement, report times and ru_maxrss."""
    from reconciliation.canonical import RootingLines
    from reconciliation.formats import write_camt053
    from reconciliation.statements import Period, Statement

    result: dict[str, object] = {"entries": count}
    if not baseline:
        t0 = time.perf_counter()
        statement = Statement.build(
            lambda: synthetic_entries(count),  # type: ignore[arg-type, return-value]
            account=ACCOUNT,
            currency="USD",
            period=Period.business_day(DAY),
            opening=0,
        )
        t1 = time.perf_counter()
        lines = RootingLines(statement.lines()) if merkle else statement.lines()
        with open(out_path, "wb") as out:
            write_camt053(out, statement.header, lines)
        t2 = time.perf_counter()
        result.update(
            pass1_s=round(t1 - t0, 3),
            pass2_write_s=round(t2 - t1, 3),
            total_s=round(t2 - t0, 3),
            file_bytes=os.path.getsize(out_path),
            merkle_root="0x" + lines.root.hex() if isinstance(lines, RootingLines) else None,
            closing_minor=statement.header.closing,
        )
    usage = resource.getrusage(resource.RUSAGE_SELF)
    # CPU seconds next to wall seconds: on a shared machine the wall clock also measures the neighbours
    result["cpu_s"] = round(usage.ru_utime + usage.ru_stime, 3)
    result["maxrss_mib"] = round(usage.ru_maxrss / 1024, 1)
    return result


def history_run(earlier: int, folder: Path) -> dict[str, object]:
    """`earlier` postings of ACCOUNT over the HISTORY_DAYS before DAY and DAY_POSTINGS on DAY in a fresh SQLite
    read model; the seconds of the statement of the day before DAY (no frontier yet) and then of DAY's."""
    from reconciliation.formats import StatementFormat
    from reconciliation.merkle import verify_consistency
    from reconciliation.statements import Period
    from tradeledger.settlements.models import LedgerPosting, PostingKind
    from tradeledger.statements.models import GeneratedStatement, HistorySubtree
    from tradeledger.statements.service import StatementSpec, consistency_proof, write_file
    from tradeledger.store.base import table_of
    from tradeledger.store.db import make_engine, migrate, session_factory, transaction

    engine = make_engine(f"sqlite:///{folder / 'history.db'}")
    migrate(engine)
    sessions = session_factory(engine)
    day_start = datetime.combine(DAY, datetime.min.time(), tzinfo=UTC)
    first = day_start - timedelta(days=HISTORY_DAYS)
    total = earlier + DAY_POSTINGS
    blocks = total // ENTRIES_PER_BLOCK + 1
    step = (day_start - first) / max(1, earlier // ENTRIES_PER_BLOCK + 1)
    day_step = timedelta(days=1) / (DAY_POSTINGS // ENTRIES_PER_BLOCK + 1)
    postings = table_of(LedgerPosting)
    t0 = time.perf_counter()
    for chunk in range(0, total, 20_000):
        rows = []
        for i in range(chunk, min(total, chunk + 20_000)):
            block, log = divmod(i, ENTRIES_PER_BLOCK)
            at = first + step * block if i < earlier else day_start + day_step * ((i - earlier) // ENTRIES_PER_BLOCK)
            other = COUNTERPARTIES[i % len(COUNTERPARTIES)]
            rows.append(
                {
                    "entry_id": i + 1,
                    "debit_account": other if i % 3 else ACCOUNT,
                    "credit_account": ACCOUNT if i % 3 else other,
                    "currency": "USD",
                    "amount": 1 + (i * 7919) % 10_000_000,
                    "kind": PostingKind.TRANSFER,
                    "reference": "0x" + hashlib.sha256(b"r%d" % i).hexdigest(),
                    "block_hash": "0x" + hashlib.sha256(b"b%d" % block).hexdigest(),
                    "tx_index": 0,
                    "block_number": block + 1,
                    "tx_hash": "0x" + hashlib.sha256(b"t%d" % block).hexdigest(),
                    "log_index": log,
                    "block_timestamp": at,
                }
            )
        with transaction(sessions) as db:
            db.execute(postings.insert(), rows)
    loaded = time.perf_counter() - t0
    seconds: list[float] = []
    statements: list[GeneratedStatement] = []
    for day in (DAY - timedelta(days=1), DAY):
        spec = StatementSpec(ACCOUNT, "USD", Period.business_day(day), StatementFormat.CAMT053, None)
        t0 = time.perf_counter()
        with transaction(sessions) as db:
            _, manifest, _ = write_file(db, spec, 31337, folder / "files", ACCOUNT)
        seconds.append(round(time.perf_counter() - t0, 3))
        statements.append(
            GeneratedStatement(
                id=len(statements) + 1,
                account=ACCOUNT,
                counterparty=None,
                currency="USD",
                period_start=spec.period.start,
                period_end=spec.period.end,
                format=spec.format.value,
                manifest=manifest.to_bytes().decode("ascii"),
            )
        )
    for stored in (True, False):  # from the stored subtrees, then rebuilt as before they were stored
        if not stored:
            with transaction(sessions) as db:
                db.execute(table_of(HistorySubtree).delete())
        best = float("inf")
        for _ in range(3 if stored else 1):  # the best of three: the first in a process also compiles its queries
            t0 = time.perf_counter()
            with sessions() as db:
                proof = consistency_proof(db, statements[0], statements[1], 31337)
            best = min(best, time.perf_counter() - t0)
        seconds.append(round(best, 4))
        old_root, new_root = (bytes.fromhex(root[2:]) for root in (proof.old_root, proof.new_root))
        nodes = [bytes.fromhex(node[2:]) for node in proof.proof]
        if not verify_consistency(proof.old_size, proof.new_size, old_root, new_root, nodes):
            raise RuntimeError(f"the consistency proof at {earlier:,} earlier postings does not verify")
    engine.dispose()
    return {
        "earlier_postings": earlier,
        "day_postings": DAY_POSTINGS,
        "blocks": blocks,
        "load_s": round(loaded, 1),
        "first_statement_s": seconds[0],
        "next_day_s": seconds[1],
        "consistency_proof_s": seconds[2],
        "consistency_proof_rebuilt_s": seconds[3],
    }


def history_runs(sizes: tuple[int, ...], console: Console) -> list[dict[str, object]]:
    """`history_run` for each size, each on its own database, printed as a table."""
    from rich.table import Table

    runs = []
    for earlier in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            runs.append(history_run(earlier, Path(tmp)))
    table = Table(title="one day's statement (camt.053) of an account with N earlier postings, SQLite")
    columns = ("N earlier postings", "first statement (reads them all)", "next day's (resumes)",
               "consistency proof (stored subtrees)", "consistency proof (rebuilt)")  # fmt: skip
    for column in columns:
        table.add_column(column, justify="right")
    for run in runs:
        keys = ("first_statement_s", "next_day_s", "consistency_proof_s", "consistency_proof_rebuilt_s")
        table.add_row(f"{run['earlier_postings']:,}", *(f"{run[key]} s" for key in keys))
    console.print(table)
    return runs


def run_worker(count: int, out_path: str, baseline: bool, merkle: bool) -> dict[str, object]:
    """Run `worker` in a fresh interpreter so ru_maxrss is this run's peak only."""
    args = [sys.executable, __file__, "--worker", str(count), "--out", out_path]
    if baseline:
        args.append("--baseline")
    if not merkle:
        args.append("--no-merkle")
    done = subprocess.run(args, check=True, capture_output=True, text=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    """Parse arguments, run the baseline and the measured worker, print a table and JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="20,000 entries")
    parser.add_argument("--validate", action="store_true", help="validate the output against the XSD")
    parser.add_argument("--keep", type=Path, help="keep the camt.053 file at this path")
    parser.add_argument(
        "--no-merkle", action="store_true", help="skip the Merkle root computed while writing (write only)"
    )
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--baseline", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()

    if args.worker is not None:
        print(json.dumps(worker(args.worker, args.out, args.baseline, not args.no_merkle)))
        return

    count = 20_000 if args.quick else args.entries
    with tempfile.TemporaryDirectory() as tmp:
        out_path = str(args.keep or Path(tmp) / "statement.camt053.xml")
        base = run_worker(count, out_path, baseline=True, merkle=False)
        result = run_worker(count, out_path, baseline=False, merkle=not args.no_merkle)
        if args.validate:
            from reconciliation.validation import camt_errors

            t0 = time.perf_counter()
            errors = camt_errors(out_path, "camt.053.001.08")
            result["xsd_valid"] = not errors
            result["validate_s"] = round(time.perf_counter() - t0, 3)
    result["baseline_maxrss_mib"] = base["maxrss_mib"]
    result["baseline_cpu_s"] = base["cpu_s"]
    result["load_avg_1m"] = round(os.getloadavg()[0], 2)
    result["cpus"] = os.cpu_count()
    result["entries_per_s"] = round(count / float(str(result["total_s"])))
    from rich.console import Console
    from rich.table import Table

    console = Console(stderr=True)
    result["history"] = history_runs(HISTORY_SIZES[:2] if args.quick else HISTORY_SIZES, console)

    table = Table(title=f"camt.053 streaming write, {count:,} entries")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key, value in result.items():
        if key == "history":
            continue
        table.add_row(key, f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value))
    console.print(table)
    line = json.dumps({"benchmark": "statements_camt053", **result}, sort_keys=True)
    print(line)
    if args.json:
        args.json.write_text(line + "\n")


if __name__ == "__main__":
    main()
