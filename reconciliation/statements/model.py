"""Statement header and numbered lines: what every writer (camt, MT940, CSV, JSON) renders.

The header carries everything a format needs *before* the first entry (balances, counts, totals), which
is why statements are built in two passes over the entries: a first pass computes the header with
O(1) memory, the second pass numbers and streams the lines (see `builder`).
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from reconciliation.entries import LedgerEntry
from reconciliation.statements.period import Period

_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")


class StatementError(ValueError):
    """The entries cannot form the requested statement (wrong account, order, period, amount...)."""


class IntegrityError(StatementError):
    """The second pass over the entries disagrees with the header computed by the first pass.

    Raised at the end of a write: the output already written is inconsistent and must be discarded.
    """


def account_identifier(account: str) -> str:
    """A short, reversible identifier of an EVM address that fits camt `Max34Text` and MT940 `35x`.

    Why: a checksummed address has 42 characters, more than camt `Acct/Id/Othr/Id` (34) and MT940 `:25:`
    (35) allow. The 20 address bytes in RFC 4648 base32 are exactly 32 characters of `[A-Z2-7]`, which
    is also inside the SWIFT X character set. Non-address identifiers of at most 34 characters are kept
    as they are.

    Args:
        account: a `0x`-prefixed 20-byte hex address, or an already short identifier.

    Raises:
        StatementError: the identifier is neither an address nor short enough.
    """
    if _ADDRESS.fullmatch(account):
        return base64.b32encode(bytes.fromhex(account[2:])).decode("ascii")
    if 0 < len(account) <= 34:
        return account
    raise StatementError(f"account {account!r} is neither an EVM address nor an identifier of <= 34 chars")


@dataclass(frozen=True, slots=True)
class Totals:
    """Counts and sums (minor units) of a run of entries: the statement's control totals."""

    debit_count: int = 0
    debit_sum: int = 0
    credit_count: int = 0
    credit_sum: int = 0

    @property
    def entry_count(self) -> int:
        """Number of entries (debits and credits)."""
        return self.debit_count + self.credit_count

    @property
    def net(self) -> int:
        """Credits minus debits: the change of balance over the run."""
        return self.credit_sum - self.debit_sum


@dataclass(frozen=True, slots=True)
class StatementHeader:
    """Everything about a statement except its lines.

    Attributes:
        account: the statement account (checksummed address).
        currency: ISO 4217 code.
        period: the statement period `[start, end)`.
        sequence: electronic sequence number (camt `ElctrncSeqNb`/`LglSeqNb`, MT940 `:28C:`); consecutive
            statements of one account and currency have consecutive numbers.
        opening: opening booked balance in minor units (= the previous statement's closing).
        totals: counts and sums of the entries.
        counterparty: set when the statement is restricted to movements with one counterparty
            (a bilateral statement), else None.
        statement_id: statement reference (camt `Stmt/Id`, MT940 `:20:`); at most 16 SWIFT X characters.
        account_id: short account identifier for formats that cannot hold an address (see
            `account_identifier`).
        created_at: creation timestamp written into the files. Defaults to the period end so that the
            same inputs give byte-identical files (never the wall clock).
    """

    account: str
    currency: str
    period: Period
    sequence: int
    opening: int
    totals: Totals
    counterparty: str | None = None
    statement_id: str = ""
    account_id: str = ""
    created_at: datetime = field(default=datetime.min)

    def __post_init__(self) -> None:
        if self.sequence < 1:
            raise StatementError(f"sequence number must be >= 1, got {self.sequence}")
        if not self.statement_id:
            object.__setattr__(self, "statement_id", f"S{self.period.closing_date:%Y%m%d}{self.sequence % 10**7:07d}")
        if len(self.statement_id) > 16:
            raise StatementError(f"statement id {self.statement_id!r} is longer than 16 characters")
        if not self.account_id:
            object.__setattr__(self, "account_id", account_identifier(self.account))
        if self.created_at == datetime.min:
            object.__setattr__(self, "created_at", self.period.end)
        if self.created_at.tzinfo is None:
            raise StatementError("created_at must be timezone-aware")

    @property
    def closing(self) -> int:
        """Closing booked balance: opening + credits - debits."""
        return self.opening + self.totals.net

    @property
    def entry_count(self) -> int:
        """Number of entries in the statement."""
        return self.totals.entry_count


class StatementLine(NamedTuple):
    """One numbered entry of a statement.

    A named tuple rather than a frozen dataclass: pass two creates one per entry, and a tuple is built
    several times faster, which shows at a million entries.

    Attributes:
        line_no: 1-based position in the statement, without gaps (camt `NtryRef`).
        entry: the ledger entry.
        balance_after: booked balance after this entry, minor units.
    """

    line_no: int
    entry: LedgerEntry
    balance_after: int
