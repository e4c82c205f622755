"""The scheduler's provider for letters of credit: deferred payments and acceptances paid at maturity.

Honour under a credit available by deferred payment or acceptance incurs the obligor's undertaking and fixes its
maturity day (UCP 600 Art 7a, 12b; `LetterOfCredit.payAtMaturity`); the money moves only then. The chain decides:
a payment is due from the first second of the maturity day by the chain's clock, and the contract checks the same
day again. The maturity day is already a banking day of the obligor (the contract rolled it forward at honour).

Jobs per undertaking, each keyed by the credit and presentation so it is submitted once across restarts:

- `lc-maturity:<lc>:<presentation>`: the obligor pays the beneficiary (`payAtMaturity`), unless a nominated obligor
  prepaid it (Art 12b). Signed by the obligor when this instance hosts its key, else by the beneficiary (who may
  collect a matured undertaking itself).
- `lc-reimburse-at-maturity:<lc>:<presentation>`: the issuing bank reimburses the nominated obligor
  (`reimburseNominatedBank`, Art 7c, 8c: due at maturity, whether or not it prepaid, once it paid the beneficiary).
  It waits for the end of the issuing bank's own examination too, so the scheduler never takes away the bank's
  right to refuse (Art 16d); past it, the nominated bank may collect (Art 16f) and signs when the issuing bank is
  not hosted here.
- `lc-honour-default:<lc>:<presentation>`: a nominated obligor hosted elsewhere has not paid by the end of its
  maturity day: the issuing bank honours in its place (`honourDefaultedUndertaking`, Art 7a iii, iv), signed by
  the issuing bank when hosted here, else by the beneficiary claiming it. Never while the obligor is hosted here:
  its own `lc-maturity` job pays it, and the issuing bank must not pay what the nominated bank is paying.

The maturity payment is the bank's prior commitment, made when the honour was approved: it needs no new approval.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from tradeledger.chain.txmanager import ContractCall
from tradeledger.lcs.models import DeferredState, InterbankClaimState, LcDeferredPayment, LcInterbankClaim
from tradeledger.scheduler.service import DueJob

CONTRACT = "LetterOfCredit"
DAY = 86_400


class LcMaturityJobs:
    """Matured deferred undertakings to pay, nominated banks to reimburse at maturity, and defaults to honour."""

    name = "lc-maturities"

    def __init__(self, address: str, hosted: Callable[[], set[str]]) -> None:
        self.address = address
        self.hosted = hosted

    def due(self, db: Session, now: int) -> Iterator[DueJob]:
        hosted = self.hosted()
        matured = db.scalars(
            select(LcDeferredPayment)
            .where(LcDeferredPayment.state == DeferredState.INCURRED, LcDeferredPayment.maturity_day <= now // DAY)
            .order_by(LcDeferredPayment.lc_id, LcDeferredPayment.presentation_id)
        )
        for deferred in matured:
            signer = next((p for p in (deferred.obligor, deferred.beneficiary) if p in hosted), None)
            if signer is not None:
                yield self._job("lc-maturity", deferred, deferred.maturity_day * DAY, "payAtMaturity", signer)
        owed = db.execute(
            select(LcDeferredPayment, LcInterbankClaim)
            .join(
                LcInterbankClaim,
                (LcInterbankClaim.lc_id == LcDeferredPayment.lc_id)
                & (LcInterbankClaim.presentation_id == LcDeferredPayment.presentation_id),
            )
            .where(LcInterbankClaim.state == InterbankClaimState.OPEN, LcDeferredPayment.maturity_day <= now // DAY)
            .order_by(LcDeferredPayment.lc_id, LcDeferredPayment.presentation_id)
        )
        for deferred, claim in owed:
            if deferred.state is DeferredState.INCURRED:
                yield from self._default(deferred, claim, now, hosted)
                continue
            due_at = max(deferred.maturity_day * DAY, claim.deadline + 1)
            signer = next((p for p in (claim.issuing_bank, claim.nominated_bank) if p in hosted), None)
            if signer is not None and due_at <= now:
                yield self._job("lc-reimburse-at-maturity", deferred, due_at, "reimburseNominatedBank", signer)

    def _default(
        self, deferred: LcDeferredPayment, claim: LcInterbankClaim, now: int, hosted: set[str]
    ) -> Iterator[DueJob]:
        """Art 7a: the issuing bank honours a nominated obligor's undertaking unpaid at the end of its maturity day."""
        due_at = (deferred.maturity_day + 1) * DAY
        signer = next((p for p in (claim.issuing_bank, deferred.beneficiary) if p in hosted), None)
        if signer is not None and deferred.obligor not in hosted and due_at <= now:
            yield self._job("lc-honour-default", deferred, due_at, "honourDefaultedUndertaking", signer)

    def _job(self, kind: str, deferred: LcDeferredPayment, due_at: int, function: str, signer: str) -> DueJob:
        key = (deferred.lc_id, deferred.presentation_id)
        call = ContractCall(CONTRACT, self.address, function, key, signer)
        return DueJob(f"{kind}:{key[0]}:{key[1]}", due_at, call)
