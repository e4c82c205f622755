"""Two independent queries in one statement: on a database server one round trip instead of two."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Row, Select, select, true

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


def split(found: Sequence[Row[Any]], width: int) -> tuple[tuple[Any, ...] | None, list[tuple[Any, ...]]]:
    """The first query's row (None if it had none) and the rows of the second (in no particular order: the join
    keeps no order of its subquery), from what `beside` found; `width` is the first query's number of columns."""
    if not found:
        return None, []
    return tuple(found[0][:width]), [tuple(row[width:-1]) for row in found if row[-1] is not None]
