"""Queries of the letter-of-credit read model."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from tradeledger.lcs.models import (
    ClaimState,
    LcAmendment,
    LcDeferredPayment,
    LcInterbankClaim,
    LcPresentation,
    LcProceedsLeg,
    LcReimbursementClaim,
    LcTransfer,
    LcTransferredDocument,
    LcTransferredPresentation,
    LetterOfCredit,
    TransferState,
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


def transfers(db: Session, lc_id: int) -> list[LcTransfer]:
    return list(db.scalars(select(LcTransfer).where(LcTransfer.lc_id == lc_id).order_by(LcTransfer.transfer_id)))


def transferred_presentations(db: Session, lc_id: int) -> list[LcTransferredPresentation]:
    query = select(LcTransferredPresentation).where(LcTransferredPresentation.lc_id == lc_id)
    return list(db.scalars(query.order_by(LcTransferredPresentation.transferred_presentation_id)))


def transferred_documents(db: Session, lc_id: int, transferred_presentation_id: int) -> list[str]:
    """The document hashes a second beneficiary presented, in their order (forwarded as presented, Art 38i)."""
    query = select(LcTransferredDocument.document_hash).where(
        LcTransferredDocument.lc_id == lc_id,
        LcTransferredDocument.transferred_presentation_id == transferred_presentation_id,
    )
    return list(db.scalars(query.order_by(LcTransferredDocument.position)))


def proceeds_legs(db: Session, lc_id: int) -> dict[int, list[LcProceedsLeg]]:
    """The honour legs paid to second beneficiaries and assignees under one credit, by presentation id."""
    legs: dict[int, list[LcProceedsLeg]] = {}
    for leg in db.scalars(select(LcProceedsLeg).where(LcProceedsLeg.lc_id == lc_id).order_by(LcProceedsLeg.kind)):
        legs.setdefault(leg.presentation_id, []).append(leg)
    return legs


def second_beneficiaries(db: Session, lc_id: int) -> list[str]:
    """Whom the credit was transferred to, the bank's consent given (Art 38a): a request alone discloses nothing."""
    query = select(LcTransfer.second_beneficiary).where(
        LcTransfer.lc_id == lc_id, LcTransfer.state == TransferState.TRANSFERRED
    )
    return list(db.scalars(query))


def claim(db: Session, claim_id: int) -> LcReimbursementClaim | None:
    return db.get(LcReimbursementClaim, claim_id)


def claims_page(
    db: Session, accounts: set[str] | None, state: ClaimState | None, after: int | None, limit: int
) -> list[LcReimbursementClaim]:
    """Reimbursement claims on applicants with a party among `accounts` (all for None), by claim id."""
    query = select(LcReimbursementClaim).order_by(LcReimbursementClaim.claim_id).limit(limit)
    if accounts is not None:
        query = query.where(
            or_(LcReimbursementClaim.issuing_bank.in_(accounts), LcReimbursementClaim.applicant.in_(accounts))
        )
    if state is not None:
        query = query.where(LcReimbursementClaim.state == state)
    if after is not None:
        query = query.where(LcReimbursementClaim.claim_id > after)
    return list(db.scalars(query))


def page(db: Session, accounts: set[str] | None, after: int | None, limit: int) -> list[LetterOfCredit]:
    query = select(LetterOfCredit).order_by(LetterOfCredit.lc_id).limit(limit)
    if accounts is not None:
        parties = (
            LetterOfCredit.applicant, LetterOfCredit.beneficiary, LetterOfCredit.issuing_bank,
            LetterOfCredit.advising_bank, LetterOfCredit.confirming_bank,
        )  # fmt: skip
        transferred = select(LcTransfer.lc_id).where(
            LcTransfer.second_beneficiary.in_(accounts), LcTransfer.state == TransferState.TRANSFERRED
        )
        query = query.where(or_(*(column.in_(accounts) for column in parties), LetterOfCredit.lc_id.in_(transferred)))
    if after is not None:
        query = query.where(LetterOfCredit.lc_id > after)
    return list(db.scalars(query))
