"""Read model of the Undertakings contract: demand guarantees and counter-guarantees (URDG 758) and standby
credits (ISP98), their amendments, demands with documents and rejection notices, and reimbursement claims.

`UndertakingCreated` carries the terms as applied for; `UndertakingIssued` the effective expiry (URDG 25(c));
accepted amendments, granted "extend or pay" extensions and a standby's automatic extensions (ISP98 2.06(a)) change
the amount and the expiry. Optional addresses
and hashes that are zero on chain are NULL here.
"""

from __future__ import annotations

import enum

from sqlalchemy import Boolean, ForeignKey, ForeignKeyConstraint, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from tradeledger.store.base import Base, Uint256
from tradeledger.store.columns import ADDRESS, CURRENCY, HASH, ChainEvidence, Uint64, enum_column


class Rules(enum.IntEnum):
    """IUndertakings.Rules."""

    URDG_758 = 0
    ISP98 = 1


class UndertakingState(enum.IntEnum):
    """IUndertakings.UndertakingState."""

    NONE = 0
    APPLIED = 1
    ISSUED = 2
    ADVISED = 3
    EXHAUSTED = 4
    EXPIRED = 5
    RELEASED = 6
    DECLINED = 7


class AmendmentState(enum.IntEnum):
    """IUndertakings.AmendmentState."""

    NONE = 0
    ISSUED = 1
    ACCEPTED = 2
    REJECTED = 3


class DemandState(enum.IntEnum):
    """IUndertakings.DemandState."""

    NONE = 0
    PRESENTED = 1
    SUSPENDED = 2
    PAID = 3
    REJECTED = 4
    WITHDRAWN = 5


class ClaimState(enum.IntEnum):
    """IUndertakings.ClaimState."""

    NONE = 0
    OPEN = 1
    SETTLED = 2


class Undertaking(ChainEvidence, Base):
    """A guarantee, counter-guarantee or standby with its current terms and utilisation, as `getUndertaking`."""

    __tablename__ = "undertakings"

    undertaking_id: Mapped[int] = mapped_column(Uint256, primary_key=True)
    rules: Mapped[Rules] = mapped_column(enum_column(Rules))
    direct: Mapped[bool] = mapped_column(Boolean)
    applicant: Mapped[str] = mapped_column(String(ADDRESS), index=True)
    beneficiary: Mapped[str] = mapped_column(String(ADDRESS), index=True)
    guarantor: Mapped[str] = mapped_column(String(ADDRESS), index=True)
    advising_party: Mapped[str | None] = mapped_column(String(ADDRESS), index=True)
    terms_hash: Mapped[str] = mapped_column(String(HASH))
    currency: Mapped[str] = mapped_column(String(CURRENCY))
    amount: Mapped[int] = mapped_column(Uint256)
    expiry: Mapped[int] = mapped_column(Uint64)
    expiry_event: Mapped[str | None] = mapped_column(String(HASH))
    examination_days: Mapped[int] = mapped_column(Integer)
    statement_excluded: Mapped[bool] = mapped_column(Boolean)
    reducible: Mapped[bool] = mapped_column(Boolean)
    counter_guarantee_of: Mapped[int | None] = mapped_column(Uint256, index=True)
    counter_guarantee_id: Mapped[int | None] = mapped_column(Uint256)
    state: Mapped[UndertakingState] = mapped_column(enum_column(UndertakingState), index=True)
    issued_at: Mapped[int | None] = mapped_column(Uint64)
    paid: Mapped[int] = mapped_column(Uint256)
    reduced: Mapped[int] = mapped_column(Uint256)
    reserved: Mapped[int] = mapped_column(Uint256)
    amendment_count: Mapped[int] = mapped_column(Integer)
    demand_count: Mapped[int] = mapped_column(Integer)
    open_demand_count: Mapped[int] = mapped_column(Integer)
    expiry_event_document: Mapped[str | None] = mapped_column(String(HASH))
    extension_days: Mapped[int] = mapped_column(Integer)
    non_extension_notice_days: Mapped[int] = mapped_column(Integer)
    final_expiry: Mapped[int | None] = mapped_column(Uint64)
    non_extension_noticed: Mapped[bool] = mapped_column(Boolean)
    reductions_recorded: Mapped[int] = mapped_column(Integer)


class UndertakingReductionStep(ChainEvidence, Base):
    """One step of an undertaking's reduction schedule (URDG 25(a)(ii), ISP98 2.06): from the start of UTC day `day`
    the amount is reduced by `amount`; `recorded_at` is when the contract announced it (none: not yet)."""

    __tablename__ = "undertaking_reduction_steps"

    undertaking_id: Mapped[int] = mapped_column(Uint256, ForeignKey("undertakings.undertaking_id"), primary_key=True)
    step: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[int] = mapped_column(Uint64, index=True)
    amount: Mapped[int] = mapped_column(Uint256)
    recorded_at: Mapped[int | None] = mapped_column(Uint64)


class UndertakingAmendment(ChainEvidence, Base):
    """An amendment: binding on the guarantor once issued, on the beneficiary once it accepts every change."""

    __tablename__ = "undertaking_amendments"

    undertaking_id: Mapped[int] = mapped_column(Uint256, ForeignKey("undertakings.undertaking_id"), primary_key=True)
    amendment_id: Mapped[int] = mapped_column(Uint256, primary_key=True)
    amendment_hash: Mapped[str] = mapped_column(String(HASH))
    fields: Mapped[int] = mapped_column(Integer)
    amount: Mapped[int] = mapped_column(Uint256)
    expiry: Mapped[int] = mapped_column(Uint64)
    state: Mapped[AmendmentState] = mapped_column(enum_column(AmendmentState))
    partial_acceptance: Mapped[bool | None] = mapped_column(Boolean)
    issued_at: Mapped[int] = mapped_column(Uint64)
    decided_at: Mapped[int | None] = mapped_column(Uint64)


class UndertakingDemand(ChainEvidence, Base):
    """A demand for payment, its examination outcome and the settlement entries of its payment."""

    __tablename__ = "undertaking_demands"

    undertaking_id: Mapped[int] = mapped_column(Uint256, ForeignKey("undertakings.undertaking_id"), primary_key=True)
    demand_id: Mapped[int] = mapped_column(Uint256, primary_key=True)
    beneficiary: Mapped[str] = mapped_column(String(ADDRESS))
    amount: Mapped[int] = mapped_column(Uint256)
    statement_hash: Mapped[str | None] = mapped_column(String(HASH))
    document_count: Mapped[int] = mapped_column(Integer)
    state: Mapped[DemandState] = mapped_column(enum_column(DemandState), index=True)
    presented_at: Mapped[int] = mapped_column(Uint64)
    presentation_day: Mapped[int] = mapped_column(Uint64)
    deadline: Mapped[int] = mapped_column(Uint64)
    extend_to: Mapped[int | None] = mapped_column(Uint64)
    suspended_until: Mapped[int | None] = mapped_column(Uint64)
    discrepancy_count: Mapped[int] = mapped_column(Integer)
    precluded: Mapped[bool] = mapped_column(Boolean)
    relayed: Mapped[bool] = mapped_column(Boolean)
    under_demand_id: Mapped[int | None] = mapped_column(Uint256)
    payment_entry_id: Mapped[int | None] = mapped_column(Uint256, unique=True)
    reimbursement_entry_id: Mapped[int | None] = mapped_column(Uint256, unique=True)
    claim_id: Mapped[int | None] = mapped_column(Uint256, unique=True)


def _demand_key() -> ForeignKeyConstraint:
    """A child row of one demand."""
    return ForeignKeyConstraint(
        ["undertaking_id", "demand_id"], ["undertaking_demands.undertaking_id", "undertaking_demands.demand_id"]
    )


class UndertakingDemandDocument(ChainEvidence, Base):
    """One document hash of a demand, at its position in the demand."""

    __tablename__ = "undertaking_demand_documents"
    __table_args__ = (_demand_key(),)

    undertaking_id: Mapped[int] = mapped_column(Uint256, primary_key=True)
    demand_id: Mapped[int] = mapped_column(Uint256, primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_hash: Mapped[str] = mapped_column(String(HASH), index=True)


class UndertakingDiscrepancy(ChainEvidence, Base):
    """One discrepancy of a rejection notice (URDG 24(d)), at its position in the notice."""

    __tablename__ = "undertaking_discrepancies"
    __table_args__ = (_demand_key(),)

    undertaking_id: Mapped[int] = mapped_column(Uint256, primary_key=True)
    demand_id: Mapped[int] = mapped_column(Uint256, primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(HASH))


class UndertakingClaim(ChainEvidence, Base):
    """The guarantor's open (or settled) reimbursement claim on the applicant for a payment."""

    __tablename__ = "undertaking_claims"

    claim_id: Mapped[int] = mapped_column(Uint256, primary_key=True)
    undertaking_id: Mapped[int] = mapped_column(Uint256, index=True)
    demand_id: Mapped[int] = mapped_column(Uint256)
    guarantor: Mapped[str] = mapped_column(String(ADDRESS), index=True)
    applicant: Mapped[str] = mapped_column(String(ADDRESS), index=True)
    currency: Mapped[str] = mapped_column(String(CURRENCY))
    amount: Mapped[int] = mapped_column(Uint256)
    state: Mapped[ClaimState] = mapped_column(enum_column(ClaimState), index=True)
    settlement_entry_id: Mapped[int | None] = mapped_column(Uint256, unique=True)
    opened_at: Mapped[int] = mapped_column(Uint64)
    settled_at: Mapped[int | None] = mapped_column(Uint64)
