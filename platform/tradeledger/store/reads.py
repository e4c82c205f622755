"""Frequent reads: two independent queries in one statement (on a database server one round trip instead of two),
the same pair for several requests in one statement (`beside_each`, PostgreSQL), and a select run on the driver's
cursor without SQLAlchemy's per-statement work."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any
from typing import cast as cast_type

from sqlalchemy import Connection, Dialect, Select, Text, bindparam, cast, func, literal_column, select, true
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine.interfaces import DBAPIModule
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import BindParameter, ColumnElement

from tradeledger.store.db import may_write, note_written

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


_ASKED, _ORDINAL = "tradeledger_asked", "tradeledger_n"  # the asked parameters' rows, numbered from 1
_FIRST = "tradeledger_first"  # the column that tells a row of the first query from the outer join's NULLs


@dataclass(frozen=True)
class Each:
    """`beside_each`'s statement, and its parameters' names: each takes a list, one value per request."""

    statement: Select[Any]
    names: tuple[str, ...]

    def params(self, asked: Sequence[Mapping[str, Any]]) -> dict[str, str]:
        """The statement's parameters for the requests that asked `asked` (each one's parameters by name): each an
        array's text, which the statement casts (psycopg's dumping of a list cost more than the rest of the
        statement's parameters and sending together)."""
        return {name: _array_text([one[name] for one in asked]) for name in self.names}


def _array_text(values: Sequence[Any]) -> str:
    """A PostgreSQL array's text form of `values` (each as its `str`, quoted; None as NULL)."""
    return "{" + ",".join("NULL" if value is None else _quoted(str(value)) for value in values) + "}"


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@cache
def beside_each(one: Select[Any], rows: Select[Any]) -> Each:
    """`beside(one, rows)` for several requests at once, in one statement (PostgreSQL): each request's parameters
    are a row of an `unnest` of arrays, numbered in order, and `one` and `rows` are read for each of them as
    lateral subqueries, their bound parameters replaced by that row's columns. One round trip and one execution
    of a prepared plan for all, whatever their number, where each request's statement alone cost its own; what
    each request gets is what `beside` would have found for it (`split_each`).

    The plan stays the one prepared: each array is a scalar subquery, so the planner estimates the rows of the
    `unnest` alike for every call, and the prepared statement's generic plan costs what a call's own would (given
    the arrays, it planned anew for each call: a custom plan cheaper for one request than the generic plan for its
    guess of 10, at about 0.3 ms of the server's CPU a plan). Each subquery is kept apart (`OFFSET 0`: not merged
    into the outer join), so that it stays what it is alone, index look-ups for each request's row, whatever the
    tables' sizes make of a join."""
    types = {}
    for statement in (one, rows):
        for parameter in visitors.iterate(statement):
            if isinstance(parameter, BindParameter):
                types[parameter.key] = parameter.type
    arrays = (
        select(cast(bindparam(name, type_=Text()), ARRAY(kind))).scalar_subquery() for name, kind in types.items()
    )
    asked = func.unnest(*arrays).table_valued(*types, with_ordinality=_ORDINAL).render_derived(name=_ASKED)
    columns: dict[str, ColumnElement[Any]] = {name: asked.c[name] for name in types}

    def correlated(statement: Select[Any], present: str) -> Any:
        def replace(element: Any, **_: Any) -> Any:
            return columns.get(element.key) if isinstance(element, BindParameter) else None

        kept_apart = statement.add_columns(true().label(present)).offset(literal_column("0"))
        correlated = cast_type(Select[Any], visitors.replacement_traverse(kept_apart, {}, replace))
        return correlated.lateral()

    first, second = correlated(one, _FIRST), correlated(rows, _PRESENT)
    return Each(
        select(asked.c[_ORDINAL], first, second).select_from(asked.outerjoin(first, true()).outerjoin(second, true())),
        tuple(types),
    )


def split_each(
    found: Sequence[Sequence[Any]], count: int, width: int
) -> list[tuple[tuple[Any, ...] | None, list[tuple[Any, ...]]]]:
    """What `split` would give for each of the `count` requests of a `beside_each` statement, in their order, from
    the rows it found; `width` is the first query's number of columns."""
    each: list[tuple[tuple[Any, ...] | None, list[tuple[Any, ...]]]] = [(None, []) for _ in range(count)]
    for row in found:
        first, rows = each[row[0] - 1]
        if first is None and row[width + 1] is not None:
            first = tuple(row[1 : width + 1])
            each[row[0] - 1] = first, rows
        if row[-1] is not None:
            rows.append(tuple(row[width + 2 : -1]))
    return [(first, rows if first is not None else []) for first, rows in each]


Processor = Callable[[Any], Any]


@dataclass
class _Compiled:
    """A select as one dialect's driver takes it: its SQL, its parameters' order (for a positional paramstyle) and
    the column types' conversions of what the driver returns (known once the driver has described a result)."""

    sql: str
    positions: Sequence[str] | None
    bind: Mapping[str, Processor]
    defaults: Mapping[str, Any]
    writes: bool = False  # a data-modifying CTE (an answer, a record's insert): the transaction wrote
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
        writes=may_write(compiled),
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
    if compiled.writes:  # past SQLAlchemy's execution, which would have noted it: a rollback must not commit it
        note_written(connection)
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
    converted = [(index, process) for index, process in enumerate(results) if process is not None]
    if not converted:
        return [tuple(row) for row in rows]
    found: list[tuple[Any, ...]] = []
    for row in rows:  # only the columns whose type converts (a wide row of a `beside_each` has a few)
        values = list(row)
        for index, process in converted:
            values[index] = process(values[index])
        found.append(tuple(values))
    return found


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
