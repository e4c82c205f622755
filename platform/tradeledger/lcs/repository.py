"""Queries of the letter-of-credit read model."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from tradeledger.lcs.models import (
    LcAmendment,
    LcDeferredPayment,
    LcInterbankClaim,
    LcPresentation,
    LcReimbursementClaim,
    LetterOfCredit,
)


def get(db: Session, lc_id: int) -> LetterOfCredit | None:
    return db.get(LetterOfCredit, lc_id)


def amendments(db: Session, lc_id: int) -> list[LcAmendment]:
    return list(db.scalars(select(LcAmendment).where(LcAmendment.lc_id == lc_id).order_by(LcAmendment.amendment_id)))


def presentations(db: Session, lc_id: int) -> list[LcPresentation]:
    query = select(LcPresentation).where(LcPresentation.lc_id == lc_id).order_by(LcPresentation.presentation_id)
    return list(db.scalars(query))


def interbank_claims(db: Session, lc_id: int) -> dict[int, LcInterbankClaim]:
    """The nominated banks' claims on the issuing bank under one credit, by presentation id."""
    claims = db.scalars(select(LcInterbankClaim).where(LcInterbankClaim.lc_id == lc_id))
    return {claim.presentation_id: claim for claim in claims}


def deferred_payments(db: Session, lc_id: int) -> dict[int, LcDeferredPayment]:
    """The undertakings honour incurred under one credit (deferred payment, acceptance), by presentation id."""
    rows = db.scalars(select(LcDeferredPayment).where(LcDeferredPayment.lc_id == lc_id))
    return {row.presentation_id: row for row in rows}


def claim(db: Session, claim_id: int) -> LcReimbursementClaim | None:
    return db.get(LcReimbursementClaim, claim_id)


def page(db: Session, accounts: set[str] | None, after: int | None, limit: int) -> list[LetterOfCredit]:
    query = select(LetterOfCredit).order_by(LetterOfCredit.lc_id).limit(limit)
    if accounts is not None:
        parties = (
            LetterOfCredit.applicant, LetterOfCredit.beneficiary, LetterOfCredit.issuing_bank,
            LetterOfCredit.advising_bank, LetterOfCredit.confirming_bank,
        )  # fmt: skip
        query = query.where(or_(*(column.in_(accounts) for column in parties)))
    if after is not None:
        query = query.where(LetterOfCredit.lc_id > after)
    return list(db.scalars(query))
