"""Shared fixtures: real chains (a managed anvil, in-process py-evm) and settings on a temporary data dir."""

from __future__ import annotations

import os
import shutil
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from tradeledger.chain.backends import DevChain, MemoryChain
from tradeledger.config import Settings, load_settings
from tradeledger.store.db import make_engine, migrate


@pytest.fixture(scope="session")
def dev_chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevChain]:
    """One managed anvil for the session; tests isolate themselves with evm_snapshot / evm_revert."""
    chain = DevChain(tmp_path_factory.mktemp("dev-chain"))
    chain.start()
    yield chain
    chain.stop()


@pytest.fixture
def memory_chain() -> Iterator[MemoryChain]:
    chain = MemoryChain()
    chain.start()
    yield chain
    chain.stop()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings on a fresh data directory, immune to the developer's environment and .env."""
    return load_settings(data_dir=tmp_path / "data", _env_file=None)


POSTGRES_URL = os.environ.get("TRADELEDGER_TEST_DATABASE_URL")


class _MigratedTemplates:
    """A database at the latest migration, made once per test process and copied for every test that asks for a
    fresh one: an Alembic upgrade from nothing costs seconds on PostgreSQL, a copy of the migrated template a
    fraction of that (CREATE DATABASE ... TEMPLATE; a file copy on SQLite). Every copy is still its own database,
    at head: the service's own `migrate` on it finds nothing to do, as it does on every restart."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._sqlite: Path | None = None
        self._postgres: str | None = None
        self._lock = threading.Lock()

    def sqlite_file(self) -> Path:
        with self._lock:
            if self._sqlite is None:
                path = self.folder / "template.db"
                engine = make_engine(f"sqlite:///{path}")
                migrate(engine)
                engine.dispose()  # the last connection closes: the WAL is checkpointed into the file
                self._sqlite = path
            return self._sqlite

    def postgres_name(self, base_url: str) -> str:
        with self._lock:
            if self._postgres is None:
                name = f"tl_template_{uuid.uuid4().hex[:12]}"
                admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
                with admin.connect() as connection:
                    connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
                admin.dispose()
                engine = make_engine(make_url(base_url).set(database=name).render_as_string(hide_password=False))
                migrate(engine)
                engine.dispose()  # CREATE DATABASE ... TEMPLATE needs the template without connections
                self._postgres = name
            return self._postgres

    def drop(self) -> None:
        if self._postgres is not None and POSTGRES_URL:
            admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{self._postgres}" WITH (FORCE)')
            admin.dispose()


_templates: _MigratedTemplates | None = None


@pytest.fixture(scope="session", autouse=True)
def _migrated_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    global _templates  # noqa: PLW0603 - one per test process; helpers outside fixtures reach it too
    _templates = _MigratedTemplates(tmp_path_factory.mktemp("templates"))
    yield
    _templates.drop()
    _templates = None


def _fresh_postgres_database(base_url: str, *, migrated: bool = False) -> tuple[str, Callable[[], None]]:
    """A new database on the test server (empty, or at the latest migration when `migrated`); returns its URL and
    a function that drops it."""
    name = f"tl_{uuid.uuid4().hex[:16]}"
    template = ""
    if migrated:
        assert _templates is not None, "migrated databases are made while the test session runs"
        template = f' TEMPLATE "{_templates.postgres_name(base_url)}"'
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"{template}')
    url = make_url(base_url).set(database=name).render_as_string(hide_password=False)

    def drop() -> None:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()

    return url, drop


def fresh_sqlite_database(folder: Path, *, migrated: bool = False) -> str:
    """The URL of a new SQLite file in `folder` (none yet, or a copy of the migrated template when `migrated`)."""
    path = folder / "tradeledger.db"
    if migrated:
        assert _templates is not None, "migrated databases are made while the test session runs"
        shutil.copyfile(_templates.sqlite_file(), path)
    return f"sqlite:///{path}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database at the latest migration on SQLite always, and on PostgreSQL when
    TRADELEDGER_TEST_DATABASE_URL is set (copies of a template migrated once per session)."""
    if request.param == "sqlite":
        yield fresh_sqlite_database(tmp_path, migrated=True)
        return
    if not POSTGRES_URL:
        pytest.skip("TRADELEDGER_TEST_DATABASE_URL is not set")
    url, drop = _fresh_postgres_database(POSTGRES_URL, migrated=True)
    yield url
    drop()


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database (no tables at all): for the tests of the migrations themselves."""
    if request.param == "sqlite":
        yield fresh_sqlite_database(tmp_path)
        return
    if not POSTGRES_URL:
        pytest.skip("TRADELEDGER_TEST_DATABASE_URL is not set")
    url, drop = _fresh_postgres_database(POSTGRES_URL)
    yield url
    drop()


# Under pytest-xdist (`make test` runs `-n 2 --dist loadgroup`), each worker builds its own session, package and
# module fixtures. The scheduler below hands a worker a whole unit of tests: a folder whose conftest shares a world
# among its tests (a deployed platform, a scenario chain, a posted ledger), so that world is built once; otherwise a
# file, so that its module fixtures are built once and its tests run in their order (the benchmarks' report reads the
# JSON its sibling tests wrote). tests/contracts shares a world too, but reverts it around every test and holds a
# third of the suite's time: its files go one by one. xdist's own `xdist_group` marks are not used: under pytest 9,
# xdist 3.8 ignores them (pytest-xdist#1386), and `--dist loadgroup` alone handed out every test on its own.
SHARED_WORLDS = ("tests/api", "tests/consortium", "tests/indexer", "tests/reconciliations", "tests/statements",
                 "tests/webhooks")  # fmt: skip


# The units that took longest in a full run (2026-12-07, two workers, load 8-17: each 45-800 s of test time), longest
# first. They are handed out before the rest, which follow by test count: by test count alone, the few long tests of
# tests/test_benchmarks.py and of the contracts' state machines started last, one worker running them alone for
# minutes after the other had finished.
LONGEST_FIRST = ("tests/api", "tests/contracts/test_invariants.py", "tests/test_benchmarks.py",
                 "tests/cli/test_processes.py", "tests/cli/test_main_job.py", "tests/chain/test_txmanager.py",
                 "tests/chaos/test_drill.py", "tests/users/test_crash_after_approval.py",
                 "tests/contracts/test_letter_of_credit_stateful.py", "tests/contracts/test_standbys_stateful.py",
                 "tests/webhooks", "tests/cli/test_serve_crash.py", "tests/indexer", "tests/chain/test_follow_chain.py",
                 "tests/console/test_console.py", "tests/cli/test_serve.py", "tests/chain/test_compiler.py",
                 "tests/chain/test_engine_signs.py", "tests/cli/test_configuration_errors.py", "tests/test_layout.py",
                 "tests/chain/test_nodecheck.py", "tests/contracts/test_role_matrix.py", "tests/statements",
                 "tests/consortium", "tests/chain/test_backends.py", "tests/chain/test_abi.py",
                 "tests/contracts/test_slither.py", "tests/contracts/test_payables_stateful.py",
                 "tests/contracts/test_letter_of_credit_title_stateful.py",
                 "tests/contracts/test_transferable_records_stateful.py")  # fmt: skip


def scheduling_unit(nodeid: str) -> str:
    """The folder or file that `nodeid` is handed out with."""
    path = nodeid.split("::", 1)[0]
    return next((folder for folder in SHARED_WORLDS if path.startswith(folder + "/")), path)


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    """`--dist loadgroup` by `scheduling_unit`: the `LONGEST_FIRST` units first, then the rest by test count."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling  # only the xdist controller calls this hook

    class ByUnit(LoadScopeScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            return scheduling_unit(nodeid)

        def _assign_work_unit(self, node: object) -> None:
            waiting = next((unit for unit in LONGEST_FIRST if unit in self.workqueue), None)
            if waiting is not None:
                self.workqueue.move_to_end(waiting, last=False)
            super()._assign_work_unit(node)

    return ByUnit(config, log)
