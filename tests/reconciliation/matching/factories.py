"""Small builders for ledger entries and book lines, so each test states only what it is about."""

from __future__ import annotations

from datetime import UTC, date, datetime

from reconciliation.entries import ChainEvidence, Direction, LedgerEntry
from reconciliation.matching.books import BookLine, EntryStatus

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
D0 = T0.date()
CREDIT = Direction.CREDIT
DEBIT = Direction.DEBIT


def entry(
    entry_id: int = 1,
    amount: int = 10_000,
    *,
    currency: str = "USD",
    direction: Direction = CREDIT,
    reference: str = "REF-1",
    kind: str = "TRANSFER",
    booked_at: datetime = T0,
) -> LedgerEntry:
    return LedgerEntry(
        entry_id=entry_id,
        account="0x5B38Da6a701c568545dCfcB03FcB875f56beddC4",
        counterparty="0xAb8483F64d9C6d1EcF9b849Ae677dD3315835cb2",
        currency=currency,
        amount=amount,
        direction=direction,
        kind=kind,
        reference=reference,
        booked_at=booked_at,
        evidence=ChainEvidence(1337, 10 + entry_id, "0x" + "ab" * 32, f"0x{entry_id:064x}", 0),
    )


def line(
    line_id: str = "L1",
    amount: int = 10_000,
    *,
    currency: str = "USD",
    direction: Direction = CREDIT,
    reference: str = "REF-1",
    booking_date: date = D0,
    value_date: date | None = None,
    status: EntryStatus = EntryStatus.BOOKED,
    reversal: bool = False,
    charges: int | None = None,
    statement_number: int | None = None,
    account: str = "BOOKS-1",
) -> BookLine:
    return BookLine(
        line_id=line_id,
        account=account,
        currency=currency,
        amount=amount,
        direction=direction,
        booking_date=booking_date,
        value_date=value_date,
        reference=f"V-{line_id}",
        business_reference=reference,
        status=status,
        reversal=reversal,
        charges=charges,
        statement_number=statement_number,
    )
