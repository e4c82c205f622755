"""Bulk INSERT straight through the driver's executemany, for the indexer's hot path.

SQLAlchemy's executemany builds and processes a parameter dictionary per row through several layers; on the
indexer's tens of thousands of rows per batch that cost about twice what SQLite spends storing them (py-spy).
Here each value is converted by its column's own type (`TypeEngine.bind_processor`, exactly what SQLAlchemy
applies), values repeated across rows (a block's timestamp, a currency) are converted once, and the rows go
to the DBAPI cursor in one `executemany` on the session's connection, inside its transaction. On PostgreSQL
(psycopg) they go as one `COPY ... FROM STDIN` instead: an executemany is one INSERT executed per row by the
server, where COPY parses and stores the whole batch in one statement (profile: the server's answers to the
pipelined INSERTs were the largest part of the indexer's time on PostgreSQL). The COPY is binary when every
column's type has a binary form psycopg writes from the values SQLAlchemy's processors give: formatting the rows
as text was a quarter of the indexer's writing thread, and binary takes half of that.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from psycopg.postgres import types as postgres_types
from sqlalchemy import Dialect, Table, bindparam, insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from tradeledger.store.base import Base, table_of

Processor = Callable[[Any], Any] | None


@lru_cache(maxsize=256)
def _statement(table: Table, columns: tuple[str, ...], dialect: Dialect) -> tuple[str, tuple[str, ...], bool]:
    """The INSERT's SQL for `dialect`, the parameter order and whether the driver takes them by position."""
    compiled = insert(table).values({name: bindparam(name) for name in columns}).compile(dialect=dialect)
    order = tuple(compiled.positiontup or ()) if dialect.positional else columns
    return compiled.string, order, dialect.positional


BINARY_COPY_TYPES = frozenset({"int2", "int4", "int8", "numeric", "varchar", "text", "timestamptz", "bool", "bytea"})
"""PostgreSQL types whose binary COPY form psycopg writes from the values the columns' processors give (ints,
Decimals, strings, aware datetimes, booleans, bytes); a table with a column of another type (JSON) is copied as
text."""


@lru_cache(maxsize=256)
def _copy_statement(table: Table, columns: tuple[str, ...], dialect: Dialect) -> tuple[str, list[str] | None]:
    """The COPY's SQL and, for a binary COPY, the columns' PostgreSQL type names (None: a text COPY)."""
    quote = dialect.identifier_preparer
    names = ", ".join(quote.quote(name) for name in columns)
    sql = f"COPY {quote.format_table(table)} ({names}) FROM STDIN"
    types = []
    for name in columns:  # e.g. NUMERIC(78, 0) -> numeric, TIMESTAMP WITH TIME ZONE -> timestamptz
        declared = dialect.type_compiler_instance.process(table.c[name].type.dialect_impl(dialect))
        info = postgres_types.get(declared.split("(")[0].strip().lower())
        if info is None or info.name not in BINARY_COPY_TYPES:
            return sql, None
        types.append(info.name)
    return f"{sql} (FORMAT BINARY)", types


@lru_cache(maxsize=1024)
def _processor(table: Table, column: str, dialect: Dialect) -> Processor:
    return table.c[column].type.dialect_impl(dialect).bind_processor(dialect)


def insert_rows(db: Session, model: type[Base], rows: Sequence[Mapping[str, Any]]) -> None:
    """INSERT `rows` (dictionaries with the same keys: column names) into `model`'s table in one executemany."""
    if rows:
        insert_columns(db, model, {name: [row[name] for row in rows] for name in rows[0]})


def insert_columns(db: Session, model: type[Base], columns: Mapping[str, Sequence[Any]]) -> None:
    """INSERT rows given column by column (column name -> the rows' values, all of one length) into `model`'s
    table in one executemany: for callers that hold the values by column already, without a dictionary per row."""
    if not columns or not next(iter(columns.values())):
        return
    table = table_of(model)
    connection = db.connection()
    dialect = connection.dialect
    if dialect.name == "postgresql" and dialect.driver == "psycopg":
        names = tuple(columns)
        values = [_converted(columns[name], _processor(table, name, dialect)) for name in names]
        sql, types = _copy_statement(table, names, dialect)
        cursor = connection.connection.cursor()
        try:
            with cursor.copy(sql) as copy:
                if types is not None:
                    copy.set_types(types)
                for row in zip(*values, strict=True):
                    copy.write_row(row)
        except dialect.loaded_dbapi.Error as error:  # as SQLAlchemy raises it: a duplicate is an IntegrityError
            raise DBAPIError.instance(sql, None, error, dialect.loaded_dbapi.Error, dialect=dialect) from error
        finally:
            cursor.close()
        return
    sql, order, positional = _statement(table, tuple(columns), dialect)
    values = [_converted(columns[name], _processor(table, name, dialect)) for name in order]
    rows: list[Any] = list(zip(*values, strict=True))
    if not positional:
        rows = [dict(zip(order, row, strict=True)) for row in rows]
    connection.exec_driver_sql(sql, rows)


def _converted(values: Sequence[Any], processor: Processor) -> Sequence[Any]:
    """One column's values as the driver takes them, each distinct value converted once."""
    if processor is None:
        return values
    seen: dict[Any, Any] = {}
    try:
        for value in values:
            if value not in seen:
                seen[value] = processor(value)
    except TypeError:  # unhashable values (a JSON column's lists): each one converted
        return [processor(value) for value in values]
    return [seen[value] for value in values]
