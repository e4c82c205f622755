"""The benchmarks' fresh PostgreSQL databases never pile up: dropped after a run, and those of killed runs before
the next one."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from sqlalchemy import create_engine

from tests.conftest import POSTGRES_URL

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(POSTGRES_URL is None, reason="TRADELEDGER_TEST_DATABASE_URL names no server")


def _benchkit() -> ModuleType:
    spec = importlib.util.spec_from_file_location("benchkit", ROOT / "scripts" / "benchkit.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _databases(prefix: str) -> set[str]:
    assert POSTGRES_URL is not None
    admin = create_engine(POSTGRES_URL)
    with admin.connect() as connection:
        names = connection.exec_driver_sql(
            "SELECT datname FROM pg_database WHERE datname LIKE %(p)s", {"p": f"{prefix}%"}
        ).scalars()
        found = set(names)
    admin.dispose()
    return found


def _admin(statement: str) -> None:
    assert POSTGRES_URL is not None
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(statement)
    admin.dispose()


def test_a_killed_runs_database_is_dropped_by_the_next_run_and_a_running_ones_kept() -> None:
    assert POSTGRES_URL is not None
    prefix = f"bench_kit{os.getpid()}"
    gone = subprocess.Popen([sys.executable, "-c", "pass"])  # its process id: a run that is gone
    gone.wait()
    abandoned, running = f"{prefix}_{gone.pid}_dead", f"{prefix}_{os.getpid()}_live"
    for name in (abandoned, running):
        _admin(f'CREATE DATABASE "{name}"')
    with _benchkit().fresh_postgres(POSTGRES_URL, prefix) as url:
        assert _databases(prefix) == {running, url.rsplit("/", 1)[1]}
    assert _databases(prefix) == {running}  # its own dropped afterwards, the live process's kept
    _admin(f'DROP DATABASE "{running}"')


def test_a_run_that_fails_drops_its_database() -> None:
    assert POSTGRES_URL is not None
    prefix = f"bench_kitfail{os.getpid()}"
    with pytest.raises(RuntimeError), _benchkit().fresh_postgres(POSTGRES_URL, prefix):
        assert _databases(prefix)
        raise RuntimeError("the benchmark failed")
    assert _databases(prefix) == set()
