"""Ledger entries to statements: periods, two-pass streaming building, headers and numbered lines."""

from reconciliation.statements.builder import (
    EntrySource,
    Statement,
    build_header,
    daily_statements,
    iter_statements,
    plan_statements,
    statement_lines,
)
from reconciliation.statements.model import (
    IntegrityError,
    StatementError,
    StatementHeader,
    StatementLine,
    Totals,
    account_identifier,
)
from reconciliation.statements.period import Period, PeriodError, daily_periods

__all__ = [
    "EntrySource",
    "IntegrityError",
    "Period",
    "PeriodError",
    "Statement",
    "StatementError",
    "StatementHeader",
    "StatementLine",
    "Totals",
    "account_identifier",
    "build_header",
    "daily_periods",
    "daily_statements",
    "iter_statements",
    "plan_statements",
    "statement_lines",
]
