"""The ledger entry: one side of a Settlement `Posted` event as seen from one account.

Everything in `reconciliation` consumes these: the statement writers, the Merkle tree and the books matcher.
`tradeledger` builds them from its read model; an auditor can build them straight from chain logs.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime


class Direction(enum.StrEnum):
    """Credit or debit from the statement account's point of view (camt CdtDbtInd)."""

    CREDIT = "CRDT"
    DEBIT = "DBIT"


@dataclass(frozen=True, slots=True)
class ChainEvidence:
    """Where the entry was emitted: enough to fetch the log back from any node."""

    chain_id: int
    block_number: int
    block_hash: str
    tx_hash: str
    log_index: int


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """A ledger movement on one account, in exact integer minor units.

    Attributes:
        entry_id: the Settlement contract's `entryId` (unique per chain; AcctSvcrRef in camt).
        account: the account the statement is for (checksummed address).
        counterparty: the other account of the movement (checksummed address; the zero address for
            issuance and redemption).
        currency: ISO 4217 alphabetic code.
        amount: positive minor units.
        direction: CREDIT or DEBIT for `account`.
        kind: the posting kind name as emitted (e.g. `LC_HONOUR`).
        reference: the business reference (EndToEndId), e.g. an LC or financing reference.
        booked_at: the block timestamp, timezone-aware UTC.
        evidence: the chain location of the `Posted` log.
    """

    entry_id: int
    account: str
    counterparty: str
    currency: str
    amount: int
    direction: Direction
    kind: str
    reference: str
    booked_at: datetime
    evidence: ChainEvidence

    @property
    def signed_amount(self) -> int:
        """Amount with the sign of its effect on the account's balance."""
        return self.amount if self.direction is Direction.CREDIT else -self.amount
