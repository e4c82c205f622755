"""How many connections each service process may open on a PostgreSQL server: one budget, shared by the processes.

PostgreSQL refuses a backend past `max_connections` ("sorry, too many clients already"), and every process of the
service has pools of its own (store.db) and LISTEN connections beside them (store.wakeups): at the pools' default
ceilings one process may open 64 connections, so two processes could ask more of a server with the default 100 than
it allows, and the requests whose connection it refused would fail. The budget is what the server lets this role
open on this database (`max_connections` less the slots reserved for superusers and for `pg_use_reserved_connections`,
and no more than the role's or the database's CONNECTION LIMIT), less a margin for operators, migrations and
one-shot commands; or TRADELEDGER_DATABASE_CONNECTIONS. It is divided evenly among the processes that share it, and
each process sizes its pools to its share: a request that finds its pool at the ceiling waits for a connection to
come back instead of being refused by the server. A share too small for a process to work is refused at start.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from tradeledger.errors import ConfigurationError
from tradeledger.store.db import MAIN_POOL, READ_CONNECTIONS, READS_POOL, Pool

# Kept free for an operator's psql, a migration, a one-shot `tradeledger` command or a backup beside the service.
OPERATOR_MARGIN = 5
# The least each pool may have for a process to work: writes, the follower, the heartbeat and the idempotency
# records each take a connection of the main pool at times; each read thread holds one of the reads' pool for good
# (store.db.held_read), and approval checks and claims need one more there.
MIN_MAIN = 4
MIN_READS = READ_CONNECTIONS + 2

_LIMITS = text(
    "SELECT current_setting('max_connections')::int, current_setting('superuser_reserved_connections')::int, "
    "coalesce(current_setting('reserved_connections', true), '0')::int, r.rolsuper, r.rolconnlimit, d.datconnlimit "
    "FROM pg_roles r, pg_database d WHERE r.rolname = current_user AND d.datname = current_database()"
)


@dataclass(frozen=True)
class ServerLimits:
    """What a PostgreSQL server lets this service's role open on its database."""

    max_connections: int
    reserved: int  # superuser_reserved_connections, and reserved_connections (PostgreSQL 16)
    connection_limit: int | None = None  # the role's or the database's CONNECTION LIMIT, the lower (superusers: none)

    @property
    def available(self) -> int:
        """Connections this role may open while nothing else is connected."""
        open_to_all = self.max_connections - self.reserved
        return open_to_all if self.connection_limit is None else min(open_to_all, self.connection_limit)

    def describe(self) -> str:
        limit = "" if self.connection_limit is None else f", CONNECTION LIMIT {self.connection_limit}"
        return f"max_connections {self.max_connections} less {self.reserved} reserved{limit}"

    def to_allow(self, total: int) -> str:
        """What to raise on the server for the service to get `total` connections (with OPERATOR_MARGIN beside)."""
        if self.connection_limit is not None and self.connection_limit < self.max_connections - self.reserved:
            return f"the CONNECTION LIMIT to {total + OPERATOR_MARGIN}"
        return f"the server's max_connections to {total + OPERATOR_MARGIN + self.reserved}"


def server_limits(url: str) -> ServerLimits:
    """The limits of the server behind `url`, read on one connection of its own (closed before any pool opens)."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            row = connection.execute(_LIMITS).one()
    except OperationalError as error:
        raise ConfigurationError(f"database {engine.url.render_as_string()} is unreachable: {error.orig}") from None
    finally:
        engine.dispose()
    max_connections, superusers, reserved, superuser, role_limit, database_limit = row
    limits = [limit for limit in (role_limit, database_limit) if limit >= 0 and not superuser]
    return ServerLimits(max_connections, superusers + reserved, min(limits) if limits else None)


@dataclass(frozen=True)
class ConnectionBudget:
    """The connections the service's processes may hold together, and what one process of them opens at most."""

    limits: ServerLimits
    total: int
    configured: bool  # TRADELEDGER_DATABASE_CONNECTIONS, rather than the server's limits less OPERATOR_MARGIN
    processes: int
    listeners: int  # this process's LISTEN connections, beside its pools
    main: Pool
    reads: Pool

    @property
    def share(self) -> int:
        return self.total // self.processes

    @property
    def ceiling(self) -> int:
        """The most connections this process opens: its pools' and its listeners'."""
        return self.main.ceiling + self.reads.ceiling + self.listeners

    def describe_total(self) -> str:
        """The budget and where it comes from."""
        source = "TRADELEDGER_DATABASE_CONNECTIONS" if self.configured else f"{OPERATOR_MARGIN} kept for operators"
        return f"PostgreSQL connections: {self.total} for the service ({self.limits.describe()}; {source})"

    def describe(self) -> str:
        """One line for the operator: the budget, where it comes from, and this process's ceiling."""
        return (
            f"{self.describe_total()}: at most {self.ceiling} for {_each(self.processes)} "
            f"(pools {self.main.ceiling} + {self.reads.ceiling}, {self.listeners} listening)"
        )


def _each(processes: int) -> str:
    return "its one process" if processes == 1 else f"each of its {processes} processes"


def connection_budget(
    limits: ServerLimits, *, configured: int | None, processes: int, listeners: int
) -> ConnectionBudget:
    """The budget, and the pools of one of `processes` processes with `listeners` LISTEN connections of its own.

    Each pool keeps its default ceiling when the share allows both (the budget never grows a pool); otherwise the
    share left after the listeners is split between them in the defaults' proportion, each keeping at least its
    minimum. Raises ConfigurationError, naming the numbers, when the budget is more than the server allows or a
    share is less than a process needs."""
    if configured is not None and configured > limits.available:
        raise ConfigurationError(
            f"TRADELEDGER_DATABASE_CONNECTIONS={configured} is more than the PostgreSQL server lets this service "
            f"open: {limits.available} ({limits.describe()})"
        )
    total = configured if configured is not None else max(limits.available - OPERATOR_MARGIN, 0)
    budget = ConnectionBudget(limits, total, configured is not None, processes, listeners, MAIN_POOL, READS_POOL)
    pooled = budget.share - listeners
    if pooled >= MAIN_POOL.ceiling + READS_POOL.ceiling:
        return budget
    needed = MIN_MAIN + MIN_READS + listeners
    if pooled < MIN_MAIN + MIN_READS:
        fix = (
            f"raise TRADELEDGER_DATABASE_CONNECTIONS to {needed * processes}"
            if configured is not None
            else f"raise {limits.to_allow(needed * processes)}"
        )
        raise ConfigurationError(
            f"{budget.describe_total()}: {budget.share} for {_each(processes)}, which needs at least {needed}: "
            f"run fewer API workers, or {fix}"
        )
    reads = max(MIN_READS, pooled * READS_POOL.ceiling // (MAIN_POOL.ceiling + READS_POOL.ceiling))
    main = pooled - reads
    return replace(budget, main=MAIN_POOL.capped(main), reads=READS_POOL.capped(reads))
