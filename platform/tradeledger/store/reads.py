"""Frequent reads: two independent queries in one statement (on a database server one round trip instead of two),
and a select run on the driver's cursor without SQLAlchemy's per-statement work."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Connection, Dialect, Select, select, true
from sqlalchemy.engine.interfaces import DBAPIModule
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

_PRESENT = "tradeledger_present"  # the column that tells a row of the second query from the outer join's NULLs


@dataclass(frozen=True)
class Rows:
    """A query and its parameters, whose rows do not depend on anything read in the same request before it."""

    statement: Select[Any]
    params: Mapping[str, Any]


@cache
def beside(one: Select[Any], rows: Select[Any]) -> Select[Any]:
    """`one` (a query of one row at most) beside each row of `rows`, in one statement. Built once per pair: both
    are module-level queries with bound parameters, whose names must differ."""
    first = one.subquery()
    second = rows.add_columns(true().label(_PRESENT)).subquery()
    return select(first, second).select_from(first.outerjoin(second, true()))


def split(found: Sequence[Sequence[Any]], width: int) -> tuple[tuple[Any, ...] | None, list[tuple[Any, ...]]]:
    """The first query's row (None if it had none) and the rows of the second (in no particular order: the join
    keeps no order of its subquery), from what `beside` found; `width` is the first query's number of columns."""
    if not found:
        return None, []
    return tuple(found[0][:width]), [tuple(row[width:-1]) for row in found if row[-1] is not None]


Processor = Callable[[Any], Any]


@dataclass
class _Compiled:
    """A select as one dialect's driver takes it: its SQL, its parameters' order (for a positional paramstyle) and
    the column types' conversions of what the driver returns (known once the driver has described a result)."""

    sql: str
    positions: Sequence[str] | None
    bind: Mapping[str, Processor]
    defaults: Mapping[str, Any]
    results: list[Processor | None] | None = None

    def parameters(self, params: Mapping[str, Any]) -> Any:
        values = {**self.defaults, **params}
        for name, process in self.bind.items():
            values[name] = process(values[name])
        return values if self.positions is None else [values[name] for name in self.positions]


_COMPILED: dict[tuple[Select[Any], type[Dialect]], _Compiled] = {}  # module-level selects: a few entries


def _compiled(statement: Select[Any], dialect: Dialect) -> _Compiled:
    """The select compiled for the dialect, once (two threads compiling it at once store the same thing)."""
    key = (statement, type(dialect))
    found = _COMPILED.get(key)
    if found is not None:
        return found
    compiled = statement.compile(dialect=dialect)
    if compiled.post_compile_params:
        raise ValueError("fetch runs selects with plain bound parameters only (no expanding IN)")
    binds = {name: param.type.dialect_impl(dialect).bind_processor(dialect) for name, param in compiled.binds.items()}
    found = _COMPILED[key] = _Compiled(
        sql=compiled.string,
        positions=list(compiled.positiontup or ()) if compiled.positional else None,
        bind={name: process for name, process in binds.items() if process is not None},
        defaults={name: param.effective_value for name, param in compiled.binds.items() if not param.required},
    )
    return found


def fetch(db: Session, statement: Select[Any], params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
    """The rows of a Core select, run on the session's connection (in whatever transaction it has) straight on the
    driver's cursor: the statement compiled once per dialect, its values converted by its columns' types as
    SQLAlchemy converts them. On PostgreSQL SQLAlchemy's execution of one balance read cost more CPU than the
    driver's own (psycopg builds a description of every column of every result for it, and the result's metadata,
    the execution context and the cursor wrapper come on top); the driver alone takes a third of it. Errors are
    SQLAlchemy's, as from `Session.execute` (a lost connection invalidated); cursor events do not see it."""
    bound = db.bind  # a session bound to a connection (store.db.read_session) runs everything on it
    connection = bound if isinstance(bound, Connection) else db.connection()
    compiled = _compiled(statement, connection.dialect)
    values = compiled.parameters(params)
    cursor = connection.connection.cursor()
    try:
        cursor.execute(compiled.sql, values)
        rows = cursor.fetchall()
        results = compiled.results
        if results is None:
            results = compiled.results = _result_processors(statement, connection.dialect, cursor.description)
    except connection.dialect.loaded_dbapi.Error as error:
        raise _wrapped(connection, compiled.sql, values, error, cursor) from error
    finally:
        cursor.close()
    if not any(results):
        return [tuple(row) for row in rows]
    return [
        tuple(v if process is None else process(v) for v, process in zip(row, results, strict=True)) for row in rows
    ]


def _result_processors(statement: Select[Any], dialect: Dialect, description: Any) -> list[Processor | None]:
    """Each column's conversion, as SQLAlchemy picks it: by its type and the driver's type code for the column."""
    return [
        column.type.dialect_impl(dialect).result_processor(dialect, described[1])
        for column, described in zip(statement.selected_columns, description, strict=True)
    ]


def _wrapped(connection: Connection, sql: str, values: Any, error: DBAPIModule.Error, cursor: Any) -> BaseException:
    """The driver's error as SQLAlchemy raises it, the connection invalidated if the error says it is lost (the
    pool then replaces it, and api.problems answers 503 as for any lost database)."""
    dialect = connection.dialect
    lost = dialect.is_disconnect(error, connection.connection.dbapi_connection, cursor)
    if lost:
        connection.invalidate(error)
    return DBAPIError.instance(
        sql, values, error, dialect.loaded_dbapi.Error, connection_invalidated=lost, dialect=dialect
    )
