"""The scheduler's provider for payables: the buyer's payment collected at maturity, exactly once per attempt.

A collection is signed by the financier when this instance hosts its key, else by the buyer, else by the supplier
of an unfinanced payable (the contract lets the buyer and the payee collect); a payable none of whose parties is
hosted here is another instance's job. A collection that finds the buyer short does not revert: the payable is
OVERDUE and the next attempt is a new job (keyed by that overdue time) a day of chain time later, for as long as
the buyer's funds stay short.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from sqlalchemy.orm import Session

from tradeledger.chain.txmanager import ContractCall
from tradeledger.payables import repository
from tradeledger.payables.models import Payable, PayableState
from tradeledger.scheduler.service import DueJob

CONTRACT = "PayablesFinance"
OVERDUE_RETRY_S = 86_400
"""Chain seconds between collections of an overdue payable."""


class PayableJobs:
    """Collections due: at maturity, then a day after each collection that found the buyer short."""

    name = "payables"

    def __init__(self, address: str, hosted: Callable[[], set[str]]) -> None:
        self.address = address
        self.hosted = hosted

    def due(self, db: Session, now: int) -> Iterator[DueJob]:
        hosted = self.hosted()
        for payable in repository.collectable(db):
            payee = payable.financier if payable.financier is not None else payable.supplier
            signer = next((party for party in (payable.financier, payable.buyer, payee) if party in hosted), None)
            if signer is None:
                continue
            if payable.state is PayableState.OVERDUE and payable.overdue_at is not None:
                key, due_at = f"payable-collect:{payable.payable_id}@{payable.overdue_at}", payable.overdue_at
                due_at += OVERDUE_RETRY_S
            else:
                key, due_at = f"payable-collect:{payable.payable_id}", payable.maturity
            if due_at <= now:
                yield self._job(key, due_at, payable, signer)

    def _job(self, key: str, due_at: int, payable: Payable, signer: str) -> DueJob:
        call = ContractCall(CONTRACT, self.address, "collect", (payable.payable_id,), signer)
        return DueJob(key, due_at, call)
