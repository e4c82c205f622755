"""Postings to `reconciliation` ledger entries: one rule for the read model and for chain logs alike.

The service builds entries from `ledger_postings`, an auditor from `Posted` logs; both go through
`ledger_entry` so that the same posting gives the same entry, the same canonical leaf and the same root.
"""

from __future__ import annotations

from datetime import datetime

from reconciliation.entries import ChainEvidence, Direction, LedgerEntry
from tradeledger.chain.abi import ZERO_ADDRESS
from tradeledger.codec import reference_text
from tradeledger.settlements.models import PostingKind


def ledger_entry(
    account: str,
    *,
    entry_id: int,
    debit: str | None,
    credit: str | None,
    currency: str,
    amount: int,
    kind: int,
    reference: bytes | str,
    booked_at: datetime,
    evidence: ChainEvidence,
) -> LedgerEntry:
    """The posting as seen from `account` (which must be its debit or credit side)."""
    debit = debit if debit and int(debit, 16) else ZERO_ADDRESS
    credit = credit if credit and int(credit, 16) else ZERO_ADDRESS
    if credit.lower() == account.lower():
        direction, counterparty = Direction.CREDIT, debit
    elif debit.lower() == account.lower():
        direction, counterparty = Direction.DEBIT, credit
    else:
        raise ValueError(f"entry {entry_id} does not touch {account}")
    return LedgerEntry(
        entry_id=entry_id,
        account=account,
        counterparty=counterparty,
        currency=currency,
        amount=amount,
        direction=direction,
        kind=PostingKind(kind).name,
        reference=reference_text(reference),
        booked_at=booked_at,
        evidence=evidence,
    )
