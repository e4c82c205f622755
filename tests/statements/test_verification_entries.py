"""The per-entry verdict of `POST /v1/audit/verifications`: each file entry against the chain's entry of its id."""

from __future__ import annotations

from datetime import UTC, datetime

from reconciliation.entries import ChainEvidence, Direction, LedgerEntry
from tradeledger.statements.audit import FileEntry
from tradeledger.statements.entries import ledger_entry
from tradeledger.statements.verification import entry_checks

ACCOUNT, OTHER = "0x" + "11" * 20, "0x" + "22" * 20


def _chain(entry_id: int, amount: int) -> LedgerEntry:
    return ledger_entry(
        ACCOUNT, entry_id=entry_id, debit=OTHER, credit=ACCOUNT, currency="USD", amount=amount, kind=1,
        reference=f"REF-{entry_id}".encode().ljust(32, b"\0"), booked_at=datetime(2026, 12, 3, tzinfo=UTC),
        evidence=ChainEvidence(1337, 10 + entry_id, "0x" + "ab" * 32, "0x" + f"{entry_id:064x}", entry_id),
    )  # fmt: skip


def test_each_entry_is_verified_changed_added_or_dropped() -> None:
    chain = [_chain(1, 100), _chain(2, 200), _chain(3, 300)]
    listed = [
        FileEntry(1, 100, Direction.CREDIT),  # as on chain
        FileEntry(2, 999, Direction.CREDIT),  # amount changed
        FileEntry(3, 300, Direction.DEBIT),  # direction changed
        FileEntry(9, 50, Direction.CREDIT),  # no such posting
    ]
    checks = {c.entry_id: c for c in entry_checks(listed, chain)}
    assert {k: c.status for k, c in checks.items()} == {"1": "verified", "2": "changed", "3": "changed", "9": "added"}
    assert (checks["2"].file_amount, checks["2"].chain_amount) == (999, 200)
    assert checks["1"].detail == f"tx 0x{1:064x} log 1"
    dropped = entry_checks(listed[:1], chain)
    assert [(c.entry_id, c.status, c.chain_amount) for c in dropped] == [
        ("1", "verified", 100), ("2", "dropped", 200), ("3", "dropped", 300),
    ]  # fmt: skip


def test_a_file_whose_entries_cannot_be_read_gets_no_entry_verdicts() -> None:
    assert entry_checks(None, [_chain(1, 100)]) == []
