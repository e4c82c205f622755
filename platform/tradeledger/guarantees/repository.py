"""Queries of the guarantee read model."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from tradeledger.guarantees.models import (
    Undertaking,
    UndertakingAmendment,
    UndertakingClaim,
    UndertakingDemand,
    UndertakingDemandDocument,
    UndertakingDiscrepancy,
    UndertakingReductionStep,
)


def get(db: Session, undertaking_id: int) -> Undertaking | None:
    return db.get(Undertaking, undertaking_id)


def claim(db: Session, claim_id: int) -> UndertakingClaim | None:
    return db.get(UndertakingClaim, claim_id)


def amendments(db: Session, undertaking_id: int) -> list[UndertakingAmendment]:
    query = select(UndertakingAmendment).where(UndertakingAmendment.undertaking_id == undertaking_id)
    return list(db.scalars(query.order_by(UndertakingAmendment.amendment_id)))


def demands(db: Session, undertaking_id: int) -> list[UndertakingDemand]:
    query = select(UndertakingDemand).where(UndertakingDemand.undertaking_id == undertaking_id)
    return list(db.scalars(query.order_by(UndertakingDemand.demand_id)))


def reduction_steps(db: Session, undertaking_id: int) -> list[UndertakingReductionStep]:
    query = select(UndertakingReductionStep).where(UndertakingReductionStep.undertaking_id == undertaking_id)
    return list(db.scalars(query.order_by(UndertakingReductionStep.step)))


def documents(db: Session, undertaking_id: int) -> dict[int, list[str]]:
    """Each demand's document hashes, in their order."""
    query = select(UndertakingDemandDocument).where(UndertakingDemandDocument.undertaking_id == undertaking_id)
    found: dict[int, list[str]] = {}
    for row in db.scalars(query.order_by(UndertakingDemandDocument.demand_id, UndertakingDemandDocument.position)):
        found.setdefault(row.demand_id, []).append(row.document_hash)
    return found


def discrepancies(db: Session, undertaking_id: int) -> dict[int, list[str]]:
    """Each rejected demand's discrepancies, in the order of the notice."""
    query = select(UndertakingDiscrepancy).where(UndertakingDiscrepancy.undertaking_id == undertaking_id)
    found: dict[int, list[str]] = {}
    for row in db.scalars(query.order_by(UndertakingDiscrepancy.demand_id, UndertakingDiscrepancy.position)):
        found.setdefault(row.demand_id, []).append(row.code)
    return found


def page(db: Session, accounts: set[str] | None, after: int | None, limit: int) -> list[Undertaking]:
    query = select(Undertaking).order_by(Undertaking.undertaking_id).limit(limit)
    if accounts is not None:
        parties = (Undertaking.applicant, Undertaking.beneficiary, Undertaking.guarantor, Undertaking.advising_party)
        query = query.where(or_(*(column.in_(accounts) for column in parties)))
    if after is not None:
        query = query.where(Undertaking.undertaking_id > after)
    return list(db.scalars(query))
