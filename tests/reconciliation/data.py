"""A small fixed data set (bank A's USD day with bank B, a trader and an issuance) and test helpers."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

from reconciliation.entries import ChainEvidence, Direction, LedgerEntry
from reconciliation.formats import StatementFormat, write_statement
from reconciliation.statements import Period, Statement, StatementHeader, StatementLine

BANK_A = "0x1111111111111111111111111111111111111111"
BANK_B = "0x2222222222222222222222222222222222222222"
TRADER = "0xAbCdEf0123456789aBcDeF0123456789AbCdEf01"
ZERO = "0x0000000000000000000000000000000000000000"
CHAIN_ID = 31337
DAY = date(2026, 3, 2)


def tx_hash(block: int, log: int) -> str:
    """A deterministic fake transaction hash."""
    return "0x" + hashlib.sha256(f"tx:{block}:{log}".encode()).hexdigest()


def block_hash(block: int) -> str:
    """A deterministic fake block hash."""
    return "0x" + hashlib.sha256(f"block:{block}".encode()).hexdigest()


def entry(
    entry_id: int,
    *,
    block: int,
    log: int = 0,
    amount: int = 10_000,
    direction: Direction = Direction.CREDIT,
    account: str = BANK_A,
    counterparty: str = BANK_B,
    currency: str = "USD",
    kind: str = "LC_HONOUR",
    reference: str = "LC-2026-0001",
    at: datetime | None = None,
) -> LedgerEntry:
    """One entry; `at` defaults to 10 minutes per block after DAY 00:00 UTC."""
    booked = at or datetime.combine(DAY, datetime.min.time(), tzinfo=UTC) + timedelta(minutes=10 * block)
    return LedgerEntry(
        entry_id=entry_id,
        account=account,
        counterparty=counterparty,
        currency=currency,
        amount=amount,
        direction=direction,
        kind=kind,
        reference=reference,
        booked_at=booked,
        evidence=ChainEvidence(CHAIN_ID, block, block_hash(block), tx_hash(block, log), log),
    )


def fixed_entries() -> list[LedgerEntry]:
    """BANK_A's USD entries over DAY: credits, debits, tricky text, an issuance from the zero address."""
    return [
        entry(1, block=3, amount=150_000, reference="LC-2026-0001", kind="LC_HONOUR"),
        entry(2, block=3, log=2, amount=2_550, direction=Direction.DEBIT, kind="FEE", reference="FEE/0001"),
        entry(
            3,
            block=7,
            amount=99_999,
            direction=Direction.DEBIT,
            counterparty=TRADER,
            kind="FINANCING_DISBURSE",
            reference='=HYPERLINK("http://x")&<tag> 融资-Ünïcode',
        ),
        entry(4, block=20, amount=1, counterparty=ZERO, kind="ISSUE", reference=""),
        entry(
            5,
            block=140,
            log=1,
            amount=4_200_000,
            kind="SETTLEMENT",
            reference="A-very-long-business-reference-that-exceeds-35-characters-0042",
        ),
    ]


def fixed_statement() -> Statement:
    """The golden statement: BANK_A, USD, DAY, opening 1,000.00, sequence 42."""
    entries = fixed_entries()
    return Statement.build(
        lambda: entries,
        account=BANK_A,
        currency="USD",
        period=Period.business_day(DAY),
        opening=100_000,
        sequence=42,
    )


def render(fmt: StatementFormat, header: StatementHeader, lines: Iterable[StatementLine]) -> bytes:
    """The bytes a writer produces."""
    buffer = io.BytesIO()
    write_statement(buffer, fmt, header, lines)
    return buffer.getvalue()
