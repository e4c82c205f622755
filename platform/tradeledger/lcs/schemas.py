"""Request and response bodies of the letter-of-credit resources."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tradeledger.documents.schemas import DocumentFieldsRequest
from tradeledger.lcs.models import (
    AMEND_AVAILABILITY,
    AMEND_TENOR,
    LcAmendment,
    LcDeferredPayment,
    LcInterbankClaim,
    LcPresentation,
    LcProceedsLeg,
    LcReimbursementClaim,
    LcTransfer,
    LcTransferredPresentation,
    LetterOfCredit,
)
from tradeledger.lcs.terms import MAX_TENOR_DAYS, AvailableBy, ChainDate, LetterOfCreditTerms, TenorBasis
from tradeledger.settlements.schemas import Address, MinorUnits

EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
TENORLESS = (AvailableBy.PAYMENT, AvailableBy.NEGOTIATION)
"""Availabilities that pay at sight or negotiate sight drafts: no tenor (Art 6b)."""


class ApplyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    terms: LetterOfCreditTerms = Field(description="the full MT700-like terms: kept off chain, hashed on chain")
    beneficiary: Address
    issuing_bank: Address
    advising_bank: Address
    confirming_bank: Address | None = None
    available_with_bank: Address


class AmendmentChanges(BaseModel):
    """Only the fields given change (MT707); the narrative stays off chain."""

    model_config = ConfigDict(extra="forbid")

    amount: MinorUnits | None = None
    expiry_date: ChainDate | None = None
    latest_shipment_date: ChainDate | None = None
    tolerance_plus_bps: int | None = Field(None, ge=0, le=10_000)
    tolerance_minus_bps: int | None = Field(None, ge=0, le=10_000)
    presentation_period_days: int | None = Field(None, ge=1, le=365)
    partial_drawings_allowed: bool | None = None
    available_by: AvailableBy | None = Field(
        None,
        description="41a: how the credit becomes available (Art 6b); BY PAYMENT and BY NEGOTIATION drop the tenor. "
        "Refused once a drawing was honoured or is being examined under the old terms",
    )
    tenor_days: int | None = Field(
        None, strict=True, ge=1, le=MAX_TENOR_DAYS, description="42C / 42P: the tenor of deferred payment or acceptance"
    )
    tenor_basis: TenorBasis | None = Field(None, description="what the tenor runs from (with or without tenor_days)")

    @model_validator(mode="after")
    def _tenor_only_for_deferred(self) -> AmendmentChanges:
        """Art 6b: sight payment and negotiation take no tenor; mixed payment has no on-chain form."""
        if self.available_by is AvailableBy.MIXED_PAYMENT:
            raise ValueError("available_by: BY MIXED PYMT (42M) is not supported")
        if self.available_by in TENORLESS and (self.tenor_days is not None or self.tenor_basis is not None):
            raise ValueError(f"tenor_days: {self.available_by.value} takes no tenor")
        return self


class AmendmentRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    changes: AmendmentChanges
    narrative: dict[str, Any] = Field(default_factory=dict, description="the MT707 narrative fields, off chain")


class AcceptAmendmentRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    accepted_fields: int | None = Field(
        None,
        ge=0,
        le=255,
        description="bit flags of the changes accepted; anything short of all is a rejection (Art 10e)",
    )


class PresentationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    documents: list[DocumentFieldsRequest] = Field(
        min_length=1, max_length=8, description="fingerprinted, never sent on chain"
    )
    amount: MinorUnits
    shipment_date: ChainDate
    quantity: int | None = Field(
        None, gt=0, description="quantity of the goods the documents show; checked against the credit's (Art 30a, 30b)"
    )
    record_id: int | None = Field(
        None,
        gt=0,
        lt=2**256,
        description="a transferable record (eBL) the beneficiary controls, presented with the documents: its control "
        "passes to the available-with bank, and its title to the applicant with the payment (title against payment)",
    )


class RefusalRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    discrepancies: list[str] = Field(
        min_length=1,
        max_length=32,
        description="every discrepancy, as codes (Art 16c ii)",
        examples=[["LATE_SHIPMENT"]],
    )
    disposition: Literal["hold_pending_instructions", "hold_pending_waiver", "returning", "per_previous_instructions"]


class PrepaymentRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    discount: int = Field(
        default=0,
        strict=True,
        ge=0,
        lt=10**30,
        description="what the nominated bank keeps for paying before maturity, in minor units, below the amount (Art "
        "12b); the beneficiary receives the rest now",
    )


class ReimbursementRefusalRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    discrepancies: list[str] = Field(
        min_length=1,
        max_length=32,
        description="every discrepancy the issuing bank finds in the forwarded documents (Art 16c ii, 16d)",
        examples=[["LATE_SHIPMENT"]],
    )


class AmendmentConfirmationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    extend: bool = Field(description="true: the confirmation covers the amendment; false: declined (Art 10b)")


class HolidaysRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dates: list[ChainDate] = Field(min_length=1, max_length=64)
    closed: bool = True


class TransferRequest(BaseModel):
    """What the first beneficiary asks the transferring bank to transfer (Art 38b, 38d); the chain checks that the
    terms only reduce the credit's as 38(g) allows."""

    model_config = ConfigDict(extra="forbid")

    second_beneficiary: Address
    amount: MinorUnits = Field(description="the transferred amount, at most what is left to transfer (38g)")
    expiry_date: ChainDate | None = Field(None, description="earlier than the credit's, or omitted for the credit's")
    latest_shipment_date: ChainDate | None = Field(None, description="earlier, or omitted for the credit's own")
    presentation_period_days: int | None = Field(None, ge=1, le=365, description="shorter, or omitted for the credit's")
    terms: dict[str, Any] = Field(
        default_factory=dict,
        description="the transferred credit's other terms (unit price, insurance cover, the first beneficiary's name "
        "for the applicant's, 38g/38h): kept off chain, hashed on chain",
    )


class TransferDecisionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    consent: bool = Field(description="true: the bank transfers and is committed to the extent consented (38a)")


class TransferredPresentationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    documents: list[DocumentFieldsRequest] = Field(
        min_length=1, max_length=8, description="the second beneficiary's documents: fingerprinted, never sent on chain"
    )
    amount: MinorUnits = Field(description="the second beneficiary's invoice amount")
    shipment_date: ChainDate


class SubstitutionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    documents: list[DocumentFieldsRequest] = Field(
        min_length=1,
        max_length=8,
        description="the full set after substitution: the first beneficiary's invoice (and draft) in place of the "
        "second's, the other documents as presented (Art 38h); fingerprinted, never sent on chain",
    )
    amount: MinorUnits = Field(description="the first beneficiary's invoice amount: at least the second's (38h, 38i)")


class ProceedsAssignmentRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    assignee: Address = Field(description="an active member the share of the proceeds is paid to (Art 39)")
    share_bps: int = Field(ge=1, le=10_000, description="the share of what the beneficiary receives, in basis points")


class TransferView(BaseModel):
    """A transfer of (part of) the credit to a second beneficiary (Art 38) with its reduced terms (38g)."""

    transfer_id: str
    second_beneficiary: str
    transferring_bank: str
    terms_hash: str
    amount: str
    expiry: int
    latest_shipment: int
    presentation_period_days: int = Field(description="0: the credit's own")
    state: str = Field(description="REQUESTED, TRANSFERRED (the bank consented, 38a) or DECLINED")
    presented: str = Field(description="what the second beneficiary has presented under it so far")

    @classmethod
    def of(cls, transfer: LcTransfer) -> TransferView:
        return cls(
            transfer_id=str(transfer.transfer_id),
            second_beneficiary=transfer.second_beneficiary,
            transferring_bank=transfer.transferring_bank,
            terms_hash=transfer.terms_hash,
            amount=str(transfer.amount),
            expiry=transfer.expiry,
            latest_shipment=transfer.latest_shipment,
            presentation_period_days=transfer.presentation_period_days,
            state=transfer.state.name,
            presented=str(transfer.presented),
        )


class TransferredPresentationView(BaseModel):
    """A second beneficiary's presentation to the transferring bank (38k) and the presentation it became."""

    transferred_presentation_id: str
    transfer_id: str
    second_beneficiary: str
    amount: str
    shipment_date: int
    presented_at: int
    substitution_deadline: int | None = Field(description="end of the demanded substitution, unix seconds (38i)")
    state: str = Field(description="PRESENTED, DEMANDED, SUBSTITUTED (38h) or FORWARDED as presented (38i)")
    presentation_id: str | None = Field(description="the presentation under the credit it became")

    @classmethod
    def of(cls, presented: LcTransferredPresentation) -> TransferredPresentationView:
        return cls(
            transferred_presentation_id=str(presented.transferred_presentation_id),
            transfer_id=str(presented.transfer_id),
            second_beneficiary=presented.second_beneficiary,
            amount=str(presented.amount),
            shipment_date=presented.shipment_date,
            presented_at=presented.presented_at,
            substitution_deadline=presented.substitution_deadline,
            state=presented.state.name,
            presentation_id=None if presented.presentation_id is None else str(presented.presentation_id),
        )


class ProceedsLegView(BaseModel):
    """An honour leg paid to someone other than the beneficiary (Art 38h/i, 39)."""

    kind: str = Field(description="SECOND_BENEFICIARY or ASSIGNEE")
    payee: str
    amount: str
    settlement_entry_id: str | None = Field(description="None when the assignee is the honouring bank itself")

    @classmethod
    def of(cls, leg: LcProceedsLeg) -> ProceedsLegView:
        return cls(
            kind=leg.kind.name,
            payee=leg.payee,
            amount=str(leg.amount),
            settlement_entry_id=None if leg.entry_id is None else str(leg.entry_id),
        )


class InterbankClaimView(BaseModel):
    """A nominated bank's claim on the issuing bank for a drawing it honoured and forwarded (Art 7c)."""

    nominated_bank: str
    amount: str
    deadline: int = Field(description="end of the issuing bank's own examination, unix seconds (Art 14b, 16d)")
    state: str
    precluded: bool
    settlement_entry_id: str | None

    @classmethod
    def of(cls, claim: LcInterbankClaim) -> InterbankClaimView:
        return cls(
            nominated_bank=claim.nominated_bank,
            amount=str(claim.amount),
            deadline=claim.deadline,
            state=claim.state.name,
            precluded=claim.precluded,
            settlement_entry_id=None if claim.settlement_entry_id is None else str(claim.settlement_entry_id),
        )


class ReimbursementClaimView(BaseModel):
    """The issuing bank's claim on the applicant for a drawing it honoured that the applicant's funds did not cover
    (UCP 600 Art 7c: the honour never waits for the applicant); the applicant settles it."""

    claim_id: str
    lc_id: str
    presentation_id: str
    issuing_bank: str = Field(description="the creditor")
    applicant: str = Field(description="the debtor")
    currency: str
    amount: str = Field(description="minor units")
    state: str = Field(description="OPEN or SETTLED")
    opened_at: int = Field(description="chain seconds")
    settled_at: int | None = Field(description="chain seconds, once settled")
    settlement_entry_id: str | None

    @classmethod
    def of(cls, claim: LcReimbursementClaim) -> ReimbursementClaimView:
        return cls(
            claim_id=str(claim.claim_id),
            lc_id=str(claim.lc_id),
            presentation_id=str(claim.presentation_id),
            issuing_bank=claim.issuing_bank,
            applicant=claim.applicant,
            currency=claim.currency,
            amount=str(claim.amount),
            state=claim.state.name,
            opened_at=claim.opened_at,
            settled_at=claim.settled_at,
            settlement_entry_id=None if claim.settlement_entry_id is None else str(claim.settlement_entry_id),
        )


class DeferredPaymentView(BaseModel):
    """The undertaking honour incurred under a deferred payment or acceptance credit (Art 7a, 12b), paid at maturity."""

    obligor: str = Field(description="the bank that incurred it: the issuing bank or the nominated bank that honoured")
    amount: str
    maturity_date: date = Field(description="the day it is paid: a banking day of the obligor, fixed at honour")
    state: str = Field(
        description="INCURRED, PREPAID (by the nominated bank, Art 12b), PAID, or DEFAULTED (the nominated bank did "
        "not pay at maturity and the issuing bank honoured, Art 7a)"
    )
    discount: str = Field(description="what a prepaying nominated bank kept, in minor units")
    settlement_entry_id: str | None = Field(
        description="the ledger entry of the beneficiary's leg of the payment or prepayment (none when the second "
        "beneficiary and the assignee took all of it)"
    )

    @classmethod
    def of(cls, deferred: LcDeferredPayment) -> DeferredPaymentView:
        return cls(
            obligor=deferred.obligor,
            amount=str(deferred.amount),
            maturity_date=date.fromordinal(EPOCH_ORDINAL + deferred.maturity_day),
            state=deferred.state.name,
            discount=str(deferred.discount),
            settlement_entry_id=None if deferred.entry_id is None else str(deferred.entry_id),
        )


class PresentationView(BaseModel):
    presentation_id: str
    amount: str
    shipment_date: int
    presented_at: int
    deadline: int = Field(description="examination deadline, unix seconds (Art 14b)")
    state: str
    disposition: str
    precluded: bool
    reused_document_count: int
    claim_id: str | None
    record_id: str | None = Field(None, description="the transferable record (eBL) presented, title against payment")
    interbank_claim: InterbankClaimView | None = None
    deferred_payment: DeferredPaymentView | None = None
    proceeds_legs: list[ProceedsLegView] = Field(
        default_factory=list, description="what the honour paid the second beneficiary and the assignee (Art 38, 39)"
    )

    @classmethod
    def of(
        cls,
        presentation: LcPresentation,
        interbank: LcInterbankClaim | None = None,
        deferred: LcDeferredPayment | None = None,
        legs: list[LcProceedsLeg] | None = None,
    ) -> PresentationView:
        return cls(
            presentation_id=str(presentation.presentation_id),
            amount=str(presentation.amount),
            shipment_date=presentation.shipment_date,
            presented_at=presentation.presented_at,
            deadline=presentation.deadline,
            state=presentation.state.name,
            disposition=presentation.disposition.name,
            precluded=presentation.precluded,
            reused_document_count=presentation.reused_document_count,
            claim_id=None if presentation.claim_id is None else str(presentation.claim_id),
            record_id=None if presentation.record_id is None else str(presentation.record_id),
            interbank_claim=None if interbank is None else InterbankClaimView.of(interbank),
            deferred_payment=None if deferred is None else DeferredPaymentView.of(deferred),
            proceeds_legs=[ProceedsLegView.of(leg) for leg in legs or []],
        )


class AmendmentView(BaseModel):
    amendment_id: str
    fields: int
    state: str
    advised: bool = Field(description="the advising bank advised it (Art 9d)")
    confirmation: str = Field(description="NONE, EXTENDED or DECLINED by the confirming bank (Art 10b)")
    availability: str | None = Field(description="the new availability (Art 6b), if the amendment changes it")
    tenor_days: int | None = Field(description="the new tenor days, if the amendment changes the tenor")
    tenor_basis: str | None = Field(description="what the new tenor runs from, if the amendment changes the tenor")

    @classmethod
    def of(cls, amendment: LcAmendment) -> AmendmentView:
        tenor = bool(amendment.fields & AMEND_TENOR)
        return cls(
            amendment_id=str(amendment.amendment_id),
            fields=amendment.fields,
            state=amendment.state.name,
            advised=amendment.advised,
            confirmation=amendment.confirmation.name,
            availability=amendment.availability.name if amendment.fields & AMEND_AVAILABILITY else None,
            tenor_days=amendment.tenor_days if tenor else None,
            tenor_basis=amendment.tenor_basis.name if tenor else None,
        )


class LcView(BaseModel):
    lc_id: str
    state: str
    audience: Literal["PARTY", "SECOND_BENEFICIARY", "ASSIGNEE"] = Field(
        default="PARTY",
        description="what the viewer sees: PARTY the whole credit; SECOND_BENEFICIARY only what was transferred to it "
        "(Art 38): its amount, expiry, transfers, presentations and legs; no applicant, off-chain terms or other "
        "second beneficiaries; ASSIGNEE the credit's identity, its assignment and the legs paid to it (Art 39)",
    )
    applicant: str | None = Field(description="None in a second beneficiary's or an assignee's view")
    beneficiary: str
    issuing_bank: str
    advising_bank: str
    confirming_bank: str | None
    available_with_bank: str = Field(
        description="the nominated bank the credit is available with (41a): it may honour or negotiate and be "
        "reimbursed by the issuing bank (Art 7c, 12); the transferring bank of a transferable credit (Art 38b)"
    )
    currency: str
    amount: str
    drawn: str
    tolerance_plus_bps: int
    tolerance_minus_bps: int
    expiry: int
    availability: str = Field(description="SIGHT_PAYMENT, DEFERRED_PAYMENT, ACCEPTANCE or NEGOTIATION (Art 6b)")
    tenor_days: int = Field(description="days after tenor_basis a deferred payment or acceptance matures; 0 at sight")
    tenor_basis: str = Field(description="PRESENTATION or SHIPMENT: what the tenor runs from")
    terms_hash: str
    terms_verified: bool | None = Field(description="the off-chain terms held here hash to the on-chain hash")
    terms: dict[str, Any] | None
    transferable: bool = Field(description="the credit states it is transferable (Art 38b)")
    assignee: str | None = Field(description="whom the beneficiary assigned a share of its proceeds to (Art 39)")
    assigned_share_bps: int | None
    amendments: list[AmendmentView]
    presentations: list[PresentationView]
    transfers: list[TransferView]
    transferred_presentations: list[TransferredPresentationView]
    tx_hash: str
    block_number: int

    @classmethod
    def of(
        cls,
        lc: LetterOfCredit,
        terms: dict[str, Any] | None,
        verified: bool | None,
        amendments: list[LcAmendment],
        presentations: list[LcPresentation],
        interbank: dict[int, LcInterbankClaim] | None = None,
        deferred: dict[int, LcDeferredPayment] | None = None,
        transfers: list[LcTransfer] | None = None,
        transferred: list[LcTransferredPresentation] | None = None,
        legs: dict[int, list[LcProceedsLeg]] | None = None,
    ) -> LcView:
        return cls(
            lc_id=str(lc.lc_id),
            state=lc.state.name,
            applicant=lc.applicant,
            beneficiary=lc.beneficiary,
            issuing_bank=lc.issuing_bank,
            advising_bank=lc.advising_bank,
            confirming_bank=lc.confirming_bank,
            available_with_bank=lc.available_with_bank,
            currency=lc.currency,
            amount=str(lc.amount),
            drawn=str(lc.drawn),
            tolerance_plus_bps=lc.tolerance_plus_bps,
            tolerance_minus_bps=lc.tolerance_minus_bps,
            expiry=lc.expiry,
            availability=lc.availability.name,
            tenor_days=lc.tenor_days,
            tenor_basis=lc.tenor_basis.name,
            terms_hash=lc.terms_hash,
            terms_verified=verified,
            terms=terms,
            transferable=lc.transferable,
            assignee=lc.assignee,
            assigned_share_bps=lc.assigned_share_bps,
            amendments=[AmendmentView.of(a) for a in amendments],
            presentations=[
                PresentationView.of(
                    p,
                    (interbank or {}).get(p.presentation_id),
                    (deferred or {}).get(p.presentation_id),
                    (legs or {}).get(p.presentation_id),
                )
                for p in presentations
            ],
            transfers=[TransferView.of(t) for t in transfers or []],
            transferred_presentations=[TransferredPresentationView.of(t) for t in transferred or []],
            tx_hash=lc.tx_hash,
            block_number=lc.block_number,
        )
