"""Engines, sessions and migrations: SQLite by default (a file under the data directory), PostgreSQL by URL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from tradeledger.errors import ConfigurationError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def database_url(configured: str | None, data_dir: Path) -> str:
    """The configured URL, or a SQLite file under the data directory."""
    if configured:
        return configured
    data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(data_dir / 'tradeledger.db').resolve()}"


def _tune_sqlite(dbapi_connection: Any, _: Any) -> None:
    # WAL lets readers proceed while one writer commits; the busy timeout queues writers (several service
    # processes may share the file) instead of failing them; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
    # pysqlite's own transaction handling defers BEGIN; we issue it ourselves (see _begin_sqlite).
    dbapi_connection.isolation_level = None


def _begin_sqlite(connection: Any) -> None:
    # BEGIN IMMEDIATE takes the write lock up front, so read-then-write sequences (nonce allocation,
    # checkpoints) are serialized across processes exactly as PostgreSQL's row and advisory locks do.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str) -> Engine:
    """An engine for `url`, tuned for concurrent service processes."""
    try:
        if url.startswith("sqlite"):
            engine = create_engine(url, connect_args={"timeout": 30})
            event.listen(engine, "connect", _tune_sqlite)
            event.listen(engine, "begin", _begin_sqlite)
            return engine
        return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
    except (ArgumentError, ImportError) as error:
        raise ConfigurationError(f"TRADELEDGER_DATABASE_URL={url!r} is not usable: {error}") from None


def migrate(engine: Engine) -> None:
    """Bring the schema to the latest Alembic revision (the service migrates on start)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except OperationalError as error:
        raise ConfigurationError(f"database {engine.url.render_as_string()} is unreachable: {error.orig}") from None


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    with factory() as session, session.begin():
        yield session
