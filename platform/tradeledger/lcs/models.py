"""Read model of documentary credits (LetterOfCredit): credits, amendments, presentations with their documents
and discrepancies, reimbursement claims, cancellation consents and the banks' registered holidays.

`LetterOfCreditApplied` carries the credit's on-chain terms as stored (a presentation period of 0 already
replaced by the Art 14c default of 21 days); accepted amendments change them. `confirming_bank` is NULL when no
confirmation is requested and `latest_shipment` NULL when none is stated (zero on chain).
"""

from __future__ import annotations

import enum

from sqlalchemy import BigInteger, Boolean, ForeignKey, ForeignKeyConstraint, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column

from tradeledger.store.base import Base, Uint256
from tradeledger.store.columns import ADDRESS, CURRENCY, HASH, ChainEvidence, Uint64, enum_column


class LcState(enum.IntEnum):
    """ILetterOfCredit.LcState."""

    NONE = 0
    APPLIED = 1
    ISSUED = 2
    ADVISED = 3
    CONFIRMED = 4
    FULLY_DRAWN = 5
    EXPIRED = 6
    CANCELLED = 7
    DECLINED = 8
    WITHDRAWN = 9
    CLOSED = 10


class AmendmentState(enum.IntEnum):
    """ILetterOfCredit.AmendmentState."""

    NONE = 0
    ISSUED = 1
    ACCEPTED = 2
    REJECTED = 3


class PresentationState(enum.IntEnum):
    """ILetterOfCredit.PresentationState."""

    NONE = 0
    PRESENTED = 1
    REFUSED = 2
    WAIVED = 3
    HONOURED = 4
    RETURNED = 5


class Disposition(enum.IntEnum):
    """ILetterOfCredit.Disposition (of refused documents)."""

    NONE = 0
    HOLD_PENDING_INSTRUCTIONS = 1
    HOLD_PENDING_WAIVER = 2
    RETURNING = 3
    PER_PREVIOUS_INSTRUCTIONS = 4


class ClaimState(enum.IntEnum):
    """ILetterOfCredit.ClaimState."""

    NONE = 0
    OPEN = 1
    SETTLED = 2


class AmendmentConfirmation(enum.IntEnum):
    """ILetterOfCredit.AmendmentConfirmation (Art 10b)."""

    NONE = 0
    EXTENDED = 1
    DECLINED = 2


class InterbankClaimState(enum.IntEnum):
    """ILetterOfCredit.InterbankClaimState (Art 7c)."""

    NONE = 0
    OPEN = 1
    REIMBURSED = 2
    REFUSED = 3
    LAPSED = 4  # the nominated bank did not pay its matured undertaking; the issuing bank honoured (Art 7a)


class Availability(enum.IntEnum):
    """ILetterOfCredit.Availability (Art 6b)."""

    SIGHT_PAYMENT = 0
    DEFERRED_PAYMENT = 1
    ACCEPTANCE = 2
    NEGOTIATION = 3


class TenorBasis(enum.IntEnum):
    """ILetterOfCredit.TenorBasis: the day a deferred payment or acceptance tenor runs from."""

    PRESENTATION = 0
    SHIPMENT = 1


class DeferredState(enum.IntEnum):
    """ILetterOfCredit.DeferredState."""

    NONE = 0
    INCURRED = 1
    PREPAID = 2
    PAID = 3
    DEFAULTED = 4  # the nominated obligor did not pay by the end of the maturity day; the issuing bank did (Art 7a)


class Party(enum.IntEnum):
    """ILetterOfCredit.Party."""

    APPLICANT = 0
    BENEFICIARY = 1
    ISSUING_BANK = 2
    ADVISING_BANK = 3
    CONFIRMING_BANK = 4
    AVAILABLE_WITH_BANK = 5


CONSENT_FLAGS = {Party.ISSUING_BANK: 1, Party.CONFIRMING_BANK: 2, Party.BENEFICIARY: 4}
"""Bits of `LetterOfCredit.cancellation_consents`, as the contract keeps them."""


class LetterOfCredit(ChainEvidence, Base):
    """A credit with its current (amended) terms, state and utilisation, as `getCredit` returns it."""

    __tablename__ = "letters_of_credit"

    lc_id: Mapped[int] = mapped_column(Uint256, primary_key=True)
    applicant: Mapped[str] = mapped_column(String(ADDRESS), index=True)
    beneficiary: Mapped[str] = mapped_column(String(ADDRESS), index=True)
    issuing_bank: Mapped[str] = mapped_column(String(ADDRESS), index=True)
    advising_bank: Mapped[str] = mapped_column(String(ADDRESS), index=True)
    confirming_bank: Mapped[str | None] = mapped_column(String(ADDRESS), index=True)
    available_with_bank: Mapped[str] = mapped_column(String(ADDRESS), index=True)
    terms_hash: Mapped[str] = mapped_column(String(HASH))
    currency: Mapped[str] = mapped_column(String(CURRENCY))
    amount: Mapped[int] = mapped_column(Uint256)
    tolerance_plus_bps: Mapped[int] = mapped_column(Integer)
    tolerance_minus_bps: Mapped[int] = mapped_column(Integer)
    presentation_period_days: Mapped[int] = mapped_column(Integer)
    partial_drawings_allowed: Mapped[bool] = mapped_column(Boolean)
    expiry: Mapped[int] = mapped_column(Uint64)
    latest_shipment: Mapped[int | None] = mapped_column(Uint64)
    state: Mapped[LcState] = mapped_column(enum_column(LcState), index=True)
    cancellation_consents: Mapped[int] = mapped_column(Integer)
    presentation_count: Mapped[int] = mapped_column(BigInteger)
    amendment_count: Mapped[int] = mapped_column(BigInteger)
    open_presentation_count: Mapped[int] = mapped_column(BigInteger)
    honoured_count: Mapped[int] = mapped_column(BigInteger)
    drawn: Mapped[int] = mapped_column(Uint256)
    reserved: Mapped[int] = mapped_column(Uint256)
    applied_at: Mapped[int] = mapped_column(Uint64)
    last_presentation_day: Mapped[int | None] = mapped_column(Uint64)
    availability: Mapped[Availability] = mapped_column(enum_column(Availability))
    tenor_days: Mapped[int] = mapped_column(Integer)
    tenor_basis: Mapped[TenorBasis] = mapped_column(enum_column(TenorBasis))
    transferable: Mapped[bool] = mapped_column(Boolean, server_default=false())
    """The credit states it is transferable (Art 38b)."""
    assignee: Mapped[str | None] = mapped_column(String(ADDRESS), index=True)
    """Whom the beneficiary assigned a share of its proceeds to (Art 39), if anyone."""
    assigned_share_bps: Mapped[int | None] = mapped_column(Integer)


class LcAmendment(ChainEvidence, Base):
    """An amendment (MT707): the changes flagged in `fields` take effect only when the beneficiary accepts."""

    __tablename__ = "lc_amendments"

    lc_id: Mapped[int] = mapped_column(Uint256, ForeignKey("letters_of_credit.lc_id"), primary_key=True)
    amendment_id: Mapped[int] = mapped_column(Uint256, primary_key=True)
    issuing_bank: Mapped[str] = mapped_column(String(ADDRESS))
    amendment_hash: Mapped[str] = mapped_column(String(HASH))
    fields: Mapped[int] = mapped_column(Integer)
    tolerance_plus_bps: Mapped[int] = mapped_column(Integer)
    tolerance_minus_bps: Mapped[int] = mapped_column(Integer)
    presentation_period_days: Mapped[int] = mapped_column(Integer)
    partial_drawings_allowed: Mapped[bool] = mapped_column(Boolean)
    expiry: Mapped[int] = mapped_column(Uint64)
    latest_shipment: Mapped[int] = mapped_column(Uint64)
    amount: Mapped[int] = mapped_column(Uint256)
    state: Mapped[AmendmentState] = mapped_column(enum_column(AmendmentState))
    partial_acceptance: Mapped[bool | None] = mapped_column(Boolean)
    issued_at: Mapped[int] = mapped_column(Uint64)
    decided_at: Mapped[int | None] = mapped_column(Uint64)
    advised: Mapped[bool] = mapped_column(Boolean)
    confirmation: Mapped[AmendmentConfirmation] = mapped_column(enum_column(AmendmentConfirmation))


class LcPresentation(ChainEvidence, Base):
    """A presentation of documents under a credit, its examination outcome and settlement entries."""

    __tablename__ = "lc_presentations"

    lc_id: Mapped[int] = mapped_column(Uint256, ForeignKey("letters_of_credit.lc_id"), primary_key=True)
    presentation_id: Mapped[int] = mapped_column(Uint256, primary_key=True)
    beneficiary: Mapped[str] = mapped_column(String(ADDRESS))
    amount: Mapped[int] = mapped_column(Uint256)
    shipment_date: Mapped[int] = mapped_column(Uint64)
    presented_at: Mapped[int] = mapped_column(Uint64)
    presentation_day: Mapped[int] = mapped_column(Uint64)
    deadline: Mapped[int] = mapped_column(Uint64)
    document_count: Mapped[int] = mapped_column(Integer)
    reused_document_count: Mapped[int] = mapped_column(Integer)
    discrepancy_count: Mapped[int] = mapped_column(Integer)
    state: Mapped[PresentationState] = mapped_column(enum_column(PresentationState), index=True)
    disposition: Mapped[Disposition] = mapped_column(enum_column(Disposition))
    precluded: Mapped[bool] = mapped_column(Boolean)
    honour_entry_id: Mapped[int | None] = mapped_column(Uint256, unique=True)
    reimbursement_entry_id: Mapped[int | None] = mapped_column(Uint256, unique=True)
    claim_id: Mapped[int | None] = mapped_column(Uint256, unique=True)
    record_id: Mapped[int | None] = mapped_column(Uint256, index=True)
    """The transferable record the presentation carries (title against payment), if any."""


class LcPresentationDocument(ChainEvidence, Base):
    """One document hash of a presentation, at its position in the presentation."""

    __tablename__ = "lc_presentation_documents"
    __table_args__ = (
        ForeignKeyConstraint(
            ["lc_id", "presentation_id"], ["lc_presentations.lc_id", "lc_presentations.presentation_id"]
        ),
    )

    lc_id: Mapped[int] = mapped_column(Uint256, primary_key=True)
    presentation_id: Mapped[int] = mapped_column(Uint256, primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_hash: Mapped[str] = mapped_column(String(HASH), index=True)


class LcDiscrepancy(ChainEvidence, Base):
    """One discrepancy code of a refusal notice (MT734), at its position in the notice."""

    __tablename__ = "lc_discrepancies"
    __table_args__ = (
        ForeignKeyConstraint(
            ["lc_id", "presentation_id"], ["lc_presentations.lc_id", "lc_presentations.presentation_id"]
        ),
    )

    lc_id: Mapped[int] = mapped_column(Uint256, primary_key=True)
    presentation_id: Mapped[int] = mapped_column(Uint256, primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(HASH))


class LcReimbursementClaim(ChainEvidence, Base):
    """The issuing bank's open (or settled) claim on the applicant for an honoured drawing."""

    __tablename__ = "lc_reimbursement_claims"
    __table_args__ = (
        ForeignKeyConstraint(
            ["lc_id", "presentation_id"], ["lc_presentations.lc_id", "lc_presentations.presentation_id"]
        ),
    )

    claim_id: Mapped[int] = mapped_column(Uint256, primary_key=True)
    lc_id: Mapped[int] = mapped_column(Uint256, index=True)
    presentation_id: Mapped[int] = mapped_column(Uint256)
    issuing_bank: Mapped[str] = mapped_column(String(ADDRESS), index=True)
    applicant: Mapped[str] = mapped_column(String(ADDRESS), index=True)
    currency: Mapped[str] = mapped_column(String(CURRENCY))
    amount: Mapped[int] = mapped_column(Uint256)
    state: Mapped[ClaimState] = mapped_column(enum_column(ClaimState), index=True)
    settlement_entry_id: Mapped[int | None] = mapped_column(Uint256, unique=True)
    opened_at: Mapped[int] = mapped_column(Uint64)
    settled_at: Mapped[int | None] = mapped_column(Uint64)


class LcInterbankClaim(ChainEvidence, Base):
    """A nominated (or confirming) bank's claim on the issuing bank for a drawing it honoured and forwarded (Art 7c);
    `deadline` ends the issuing bank's own examination, after which it is precluded from refusing (Art 16f)."""

    __tablename__ = "lc_interbank_claims"
    __table_args__ = (
        ForeignKeyConstraint(
            ["lc_id", "presentation_id"], ["lc_presentations.lc_id", "lc_presentations.presentation_id"]
        ),
    )

    lc_id: Mapped[int] = mapped_column(Uint256, primary_key=True)
    presentation_id: Mapped[int] = mapped_column(Uint256, primary_key=True)
    nominated_bank: Mapped[str] = mapped_column(String(ADDRESS), index=True)
    issuing_bank: Mapped[str] = mapped_column(String(ADDRESS), index=True)
    amount: Mapped[int] = mapped_column(Uint256)
    deadline: Mapped[int] = mapped_column(Uint64)
    state: Mapped[InterbankClaimState] = mapped_column(enum_column(InterbankClaimState), index=True)
    precluded: Mapped[bool] = mapped_column(Boolean)
    settlement_entry_id: Mapped[int | None] = mapped_column(Uint256, unique=True)
    discrepancy_count: Mapped[int] = mapped_column(Integer)


class LcDeferredPayment(ChainEvidence, Base):
    """A deferred payment undertaking or acceptance incurred by honour (Art 7a, 12b): `obligor` pays on
    `maturity_day` (UTC day number); `entry_id` is the Settlement entry of its payment or prepayment."""

    __tablename__ = "lc_deferred_payments"
    __table_args__ = (
        ForeignKeyConstraint(
            ["lc_id", "presentation_id"], ["lc_presentations.lc_id", "lc_presentations.presentation_id"]
        ),
    )

    lc_id: Mapped[int] = mapped_column(Uint256, primary_key=True)
    presentation_id: Mapped[int] = mapped_column(Uint256, primary_key=True)
    obligor: Mapped[str] = mapped_column(String(ADDRESS), index=True)
    beneficiary: Mapped[str] = mapped_column(String(ADDRESS), index=True)
    amount: Mapped[int] = mapped_column(Uint256)
    maturity_day: Mapped[int] = mapped_column(Uint64, index=True)
    state: Mapped[DeferredState] = mapped_column(enum_column(DeferredState), index=True)
    discount: Mapped[int] = mapped_column(Uint256)
    entry_id: Mapped[int | None] = mapped_column(Uint256, unique=True)
    incurred_at: Mapped[int] = mapped_column(Uint64)


class TransferState(enum.IntEnum):
    """ILetterOfCreditTransfers.TransferState."""

    NONE = 0
    REQUESTED = 1
    TRANSFERRED = 2
    DECLINED = 3


class TransferredPresentationState(enum.IntEnum):
    """ILetterOfCreditTransfers.TransferredPresentationState."""

    NONE = 0
    PRESENTED = 1
    DEMANDED = 2
    SUBSTITUTED = 3
    FORWARDED = 4


class ProceedsLegKind(enum.IntEnum):
    """Who an extra honour leg pays: the second beneficiary (Art 38h, i) or the assignee (Art 39)."""

    SECOND_BENEFICIARY = 1
    ASSIGNEE = 2


class LcTransfer(ChainEvidence, Base):
    """A transfer of (part of) a credit to a second beneficiary (Art 38) and its reduced terms (38g)."""

    __tablename__ = "lc_transfers"

    lc_id: Mapped[int] = mapped_column(Uint256, ForeignKey("letters_of_credit.lc_id"), primary_key=True)
    transfer_id: Mapped[int] = mapped_column(Uint256, primary_key=True)
    second_beneficiary: Mapped[str] = mapped_column(String(ADDRESS), index=True)
    transferring_bank: Mapped[str] = mapped_column(String(ADDRESS), index=True)
    terms_hash: Mapped[str] = mapped_column(String(HASH))
    amount: Mapped[int] = mapped_column(Uint256)
    expiry: Mapped[int] = mapped_column(Uint64)
    latest_shipment: Mapped[int] = mapped_column(Uint64)
    presentation_period_days: Mapped[int] = mapped_column(Integer)
    state: Mapped[TransferState] = mapped_column(enum_column(TransferState), index=True)
    presented: Mapped[int] = mapped_column(Uint256)


class LcTransferredPresentation(ChainEvidence, Base):
    """A second beneficiary's presentation to the transferring bank (38k) and what became of it (38h, 38i)."""

    __tablename__ = "lc_transferred_presentations"
    __table_args__ = (
        ForeignKeyConstraint(["lc_id", "transfer_id"], ["lc_transfers.lc_id", "lc_transfers.transfer_id"]),
    )

    lc_id: Mapped[int] = mapped_column(Uint256, primary_key=True)
    transferred_presentation_id: Mapped[int] = mapped_column(Uint256, primary_key=True)
    transfer_id: Mapped[int] = mapped_column(Uint256)
    second_beneficiary: Mapped[str] = mapped_column(String(ADDRESS), index=True)
    amount: Mapped[int] = mapped_column(Uint256)
    shipment_date: Mapped[int] = mapped_column(Uint64)
    presented_at: Mapped[int] = mapped_column(Uint64)
    substitution_deadline: Mapped[int | None] = mapped_column(Uint64)
    state: Mapped[TransferredPresentationState] = mapped_column(enum_column(TransferredPresentationState))
    presentation_id: Mapped[int | None] = mapped_column(Uint256)
    """The presentation under the credit it became (substituted or forwarded as presented)."""


class LcTransferredDocument(ChainEvidence, Base):
    """One document hash of a second beneficiary's presentation, at its position."""

    __tablename__ = "lc_transferred_documents"
    __table_args__ = (
        ForeignKeyConstraint(
            ["lc_id", "transferred_presentation_id"],
            ["lc_transferred_presentations.lc_id", "lc_transferred_presentations.transferred_presentation_id"],
        ),
    )

    lc_id: Mapped[int] = mapped_column(Uint256, primary_key=True)
    transferred_presentation_id: Mapped[int] = mapped_column(Uint256, primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_hash: Mapped[str] = mapped_column(String(HASH), index=True)


class LcProceedsLeg(ChainEvidence, Base):
    """An honour leg paid to someone other than the beneficiary: the second beneficiary's share (Art 38h, i) or
    the assignee's (Art 39), each under its own Settlement reference."""

    __tablename__ = "lc_proceeds_legs"
    __table_args__ = (
        ForeignKeyConstraint(
            ["lc_id", "presentation_id"], ["lc_presentations.lc_id", "lc_presentations.presentation_id"]
        ),
    )

    lc_id: Mapped[int] = mapped_column(Uint256, primary_key=True)
    presentation_id: Mapped[int] = mapped_column(Uint256, primary_key=True)
    kind: Mapped[ProceedsLegKind] = mapped_column(enum_column(ProceedsLegKind), primary_key=True)
    payee: Mapped[str] = mapped_column(String(ADDRESS), index=True)
    amount: Mapped[int] = mapped_column(Uint256)
    entry_id: Mapped[int | None] = mapped_column(Uint256, unique=True)
    """None when the assignee is the honouring bank itself: it keeps its share, nothing moves."""


class LcCancellationConsent(ChainEvidence, Base):
    """A party's consent to cancel a credit (Art 10a)."""

    __tablename__ = "lc_cancellation_consents"

    lc_id: Mapped[int] = mapped_column(Uint256, ForeignKey("letters_of_credit.lc_id"), primary_key=True)
    role: Mapped[Party] = mapped_column(enum_column(Party), primary_key=True)
    party: Mapped[str] = mapped_column(String(ADDRESS))


class BankHoliday(ChainEvidence, Base):
    """A bank's registered holiday (UTC day number); `closed` false once the bank removed it."""

    __tablename__ = "bank_holidays"

    bank: Mapped[str] = mapped_column(String(ADDRESS), primary_key=True)
    day: Mapped[int] = mapped_column(Uint64, primary_key=True)
    closed: Mapped[bool] = mapped_column(Boolean)
