"""The scheduler's provider for payment undertakings: settlement on the due date and expiry without a match.

A job is signed by the obligor bank when this instance hosts its key, else by the recipient bank (the contract
lets either submit); an undertaking neither of whose banks is hosted here is another instance's job.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from tradeledger.chain.txmanager import ContractCall
from tradeledger.invoices.models import Invoice, InvoiceState
from tradeledger.scheduler.service import DueJob
from tradeledger.undertakings.models import PaymentUndertaking, UndertakingState

CONTRACT = "PaymentUndertakings"


class UndertakingJobs:
    """Due settlements (due date reached, data matched or mismatch accepted by the obligor bank by expiry) and
    expiries (expiry passed, neither by then)."""

    name = "payment-undertakings"

    def __init__(self, address: str, hosted: Callable[[], set[str]]) -> None:
        self.address = address
        self.hosted = hosted

    def due(self, db: Session, now: int) -> Iterator[DueJob]:
        hosted = self.hosted()
        open_ones = db.scalars(
            select(PaymentUndertaking)
            .where(PaymentUndertaking.state == UndertakingState.ESTABLISHED)
            .order_by(PaymentUndertaking.undertaking_id)
        )
        for undertaking in open_ones:
            signer = next((b for b in (undertaking.obligor_bank, undertaking.recipient_bank) if b in hosted), None)
            if signer is None:
                continue
            matched_at = self._matched_at(db, undertaking)
            matched_in_time = matched_at is not None and matched_at <= undertaking.expiry
            if matched_in_time and undertaking.due_date <= now:
                yield self._job("settle", undertaking, undertaking.due_date, signer)
            elif not matched_in_time and undertaking.expiry < now:
                yield self._job("expire", undertaking, undertaking.expiry + 1, signer)

    def _job(self, function: str, undertaking: PaymentUndertaking, due_at: int, signer: str) -> DueJob:
        call = ContractCall(CONTRACT, self.address, function, (undertaking.undertaking_id,), signer)
        return DueJob(f"undertaking-{function}:{undertaking.undertaking_id}", due_at, call)

    @staticmethod
    def _matched_at(db: Session, undertaking: PaymentUndertaking) -> int | None:
        """When the undertaking's data matched, as the contract decides it: the order's current invoice MATCHED, or
        the obligor bank accepted that invoice's mismatch (the buyer's acceptance alone does not count); else None."""
        current = db.scalars(
            select(Invoice).where(Invoice.order_id == undertaking.order_id).order_by(Invoice.version.desc()).limit(1)
        ).first()
        if current is None:
            return None
        if current.state == InvoiceState.MATCHED:
            return current.matched_at
        accepted = undertaking.mismatch_invoice_id == current.invoice_id
        return undertaking.mismatch_accepted_at if accepted else None
