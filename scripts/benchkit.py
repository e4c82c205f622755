"""What the service benchmarks share: the machine's load next to the figures, one JSON line, an optional file."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlalchemy import Connection, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"  # the test suite's server


def arguments(doc: str) -> argparse.ArgumentParser:
    """The options every benchmark has: `--quick` (the test suite's small size) and `--json PATH`."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for the test suite")
    parser.add_argument("--json", type=Path, help="also write the results here")
    return parser


def process_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) that process `pid` has used so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_backends_cpu_s(pids: Iterable[int]) -> dict[int, float]:
    """CPU seconds so far of each of `pids` that is a live PostgreSQL backend on this machine (a server elsewhere
    has none here: a pid of its may name an unrelated local process)."""
    return {pid: process_cpu_s(pid) for pid in pids if _process_name(pid) == "postgres"}


def _process_name(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return None


def tree_cpu_s(pid: int) -> float:
    """CPU seconds used so far by process `pid` and every live process below it (a server's workers)."""
    total = 0.0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            total += process_cpu_s(current)
            for task in Path(f"/proc/{current}/task").iterdir():
                pending.extend(int(child) for child in (task / "children").read_text().split())
        except (FileNotFoundError, ProcessLookupError):  # it exited meanwhile
            continue
    return total


def machine() -> dict[str, object]:
    """The load average when the run starts, and the CPUs: figures of a shared machine mean little without them."""
    return {"load_average": [round(load, 2) for load in os.getloadavg()], "cpus": os.cpu_count()}


def figures_table(title: str, *columns: str) -> Table:
    """A table whose first column names the row and whose other columns are right-aligned figures."""
    table = Table(title=title)
    for index, column in enumerate(columns):
        table.add_column(column, justify="right" if index else "left")
    return table


def report(benchmark: str, table: Table, results: dict[str, object], json_path: Path | None) -> None:
    """Print the table, the machine it ran on and one JSON line; write that line to `json_path` too."""
    console = Console()
    console.print(table)
    load = results.get("load_average")
    console.print(f"load average at the start {load} on {results.get('cpus')} CPUs")
    line = json.dumps({"benchmark": benchmark, **results})
    print(line)
    if json_path is not None:
        json_path.write_text(line + "\n")


@contextmanager
def scratch_dir(prefix: str) -> Iterator[Path]:
    """A directory for one run's chain and databases (tens to hundreds of MB): removed when the run ends, kept and
    named on stderr when it fails, for inspection."""
    directory = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield directory
    except BaseException:
        print(f"the run's chain and databases are kept in {directory}", file=sys.stderr)
        raise
    shutil.rmtree(directory, ignore_errors=True)


@contextmanager
def fresh_postgres(base_url: str, prefix: str) -> Iterator[str]:
    """A new database on the server of `base_url`, dropped afterwards, also when the run fails, is interrupted
    (Ctrl-C) or terminated (SIGTERM ends the benchmark as an exception does).

    Its name carries this process's id, so that a later run can tell the databases of runs that were killed
    without a chance to clean up (SIGKILL, a crash of the machine) and drop them first: those whose process is
    gone and that nobody is connected to. Another benchmark's database, still running, is never touched.
    """
    terminate = signal.signal(signal.SIGTERM, _exit_on_sigterm)
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            _drop_abandoned(connection, prefix)
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        yield make_url(base_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
        signal.signal(signal.SIGTERM, terminate)


def _exit_on_sigterm(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def _drop_abandoned(connection: Connection, prefix: str) -> None:
    """Drop the databases named `<prefix>_<pid>_...` whose process no longer runs and that have no session."""
    names = (
        connection.exec_driver_sql(
            "SELECT datname FROM pg_database d WHERE datname LIKE %(pattern)s"
            " AND NOT EXISTS (SELECT FROM pg_stat_activity a WHERE a.datid = d.oid)",
            {"pattern": prefix.replace("_", r"\_") + r"\_%"},
        )
        .scalars()
        .all()
    )
    for name in names:
        pid = name.removeprefix(f"{prefix}_").split("_", 1)[0]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            # without FORCE: a session that connected since the query above keeps its database
            with suppress(DBAPIError):
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')


def postgres_reachable(base_url: str) -> str | None:
    """None when the server answers, else why not."""
    try:
        engine = create_engine(base_url)
        with engine.connect():
            pass
        engine.dispose()
    except (OperationalError, ImportError) as error:
        return " ".join(str(error).split())[:200]
    return None
