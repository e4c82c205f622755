"""Shared fixtures: real chains (a managed anvil, in-process py-evm) and settings on a temporary data dir."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from tradeledger.chain.backends import DevChain, MemoryChain
from tradeledger.config import Settings, load_settings


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


def _fresh_postgres_database(base_url: str) -> tuple[str, Callable[[], None]]:
    """A new, empty database on the test server; returns its URL and a function that drops it."""
    name = f"tl_{uuid.uuid4().hex[:16]}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = make_url(base_url).set(database=name).render_as_string(hide_password=False)

    def drop() -> None:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()

    return url, drop


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database on SQLite always, and on PostgreSQL when TRADELEDGER_TEST_DATABASE_URL is set."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'tradeledger.db'}"
        return
    if not POSTGRES_URL:
        pytest.skip("TRADELEDGER_TEST_DATABASE_URL is not set")
    url, drop = _fresh_postgres_database(POSTGRES_URL)
    yield url
    drop()
