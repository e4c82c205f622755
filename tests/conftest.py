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


# Under pytest-xdist (`make test` runs `-n 2 --dist loadgroup`), each worker builds its own session fixtures. A test
# that uses a session- or package-scoped fixture of a folder's conftest (a deployed platform, a scenario chain, a
# posted ledger) joins that folder's group, so the folder's shared world is still built once; every other test
# file is a group of its own, free to run beside the rest. The heaviest groups are queued first, so that no worker
# starts one of them while the other is about to run out of work.
HEAVY_FIRST = ("tests/webhooks", "tests/chaos", "tests/api", "tests/contracts", "tests/cli", "tests/chain")


def _xdist_group(item: pytest.Item) -> str:
    path = Path(str(item.path)).resolve().relative_to(Path(__file__).resolve().parents[1]).as_posix()
    fixtures = getattr(item, "_fixtureinfo", None)
    for definitions in fixtures.name2fixturedefs.values() if fixtures is not None else ():
        definition = definitions[-1]
        if definition.scope in ("session", "package") and definition.baseid.startswith("tests/"):
            return definition.baseid  # the folder whose conftest shares the fixture
    return path


# The groups above are not applied: on a worker (the only process that collects) xdist sets numprocesses to None, so
# the hook below returns at once; and were the marks set, xdist 3.8's worker appends a group to the legacy `_nodeid`,
# which pytest 9's structured node ids no longer read (pytest-xdist#1386, open). `--dist loadgroup` hands out every
# test on its own. Until the groups work, a module whose tests need each other's results is kept on one worker by its
# path: the benchmarks' report reads the JSON its sibling tests wrote, and ran the quick benchmarks again (some 3
# minutes) when those had run on the other worker.
WHOLE_MODULES = ("tests/test_benchmarks.py",)


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    """`--dist loadgroup`, with the WHOLE_MODULES kept whole (xdist's own scope for every other test)."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling  # only the xdist controller calls this hook

    class WholeModules(LoadGroupScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return module if module in WHOLE_MODULES else str(super()._split_scope(nodeid))

    return WholeModules(config, log)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not getattr(config.option, "numprocesses", None):
        return  # not under xdist: collection order as always
    groups = {item.nodeid: _xdist_group(item) for item in items}
    # a file stays in one group: its tests may share module fixtures and build on each other in order
    shared = {
        Path(str(item.path)): groups[item.nodeid] for item in reversed(items) if not groups[item.nodeid].endswith(".py")
    }
    groups = {item.nodeid: shared.get(Path(str(item.path)), groups[item.nodeid]) for item in items}
    for item in items:
        item.add_marker(pytest.mark.xdist_group(groups[item.nodeid]))

    def weight(item: pytest.Item) -> int:
        group = groups[item.nodeid]
        return next((n for n, heavy in enumerate(HEAVY_FIRST) if group.startswith(heavy)), len(HEAVY_FIRST))

    items.sort(key=weight)  # stable: the order within a group stays the collection order
