"""Request and response bodies of the guarantee resources (demand guarantees, counter-guarantees and standbys)."""

from __future__ import annotations

from itertools import pairwise
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tradeledger.guarantees.models import (
    Undertaking,
    UndertakingAmendment,
    UndertakingDemand,
    UndertakingReductionStep,
)
from tradeledger.lcs.terms import ChainDate
from tradeledger.settlements.schemas import Address, MinorUnits


class GuaranteeAmendmentView(BaseModel):
    amendment_id: str
    fields: int = Field(description="bit flags of the changes: 1 amount, 2 expiry")
    amount: str
    expiry: int
    state: str
    partial_acceptance: bool | None = Field(description="rejected by accepting only part of it (URDG 11(e))")

    @classmethod
    def of(cls, amendment: UndertakingAmendment) -> GuaranteeAmendmentView:
        return cls(
            amendment_id=str(amendment.amendment_id),
            fields=amendment.fields,
            amount=str(amendment.amount),
            expiry=amendment.expiry,
            state=amendment.state.name,
            partial_acceptance=amendment.partial_acceptance,
        )


class DemandView(BaseModel):
    demand_id: str
    amount: str
    state: str
    statement_hash: str | None = Field(description="hash of the supporting statement (URDG 15)")
    document_hashes: list[str]
    presented_at: int
    deadline: int = Field(description="last second to pay or reject, unix seconds (URDG 20, ISP98 5.01)")
    extend_to: int | None = Field(description='"extend or pay": the expiry asked for instead (URDG 23)')
    suspended_until: int | None
    discrepancies: list[str]
    precluded: bool
    under_demand_id: str | None = Field(description="the demand under the guarantee this one relays (URDG 15(b))")
    claim_id: str | None
    statement_references: list[str] = Field(
        description="the references its settlement legs carry in statements (UT<id>-D<demand>-PAY|REIMB), once booked"
    )

    @classmethod
    def of(
        cls, demand: UndertakingDemand, documents: list[str], discrepancies: list[str], references: list[str]
    ) -> DemandView:
        return cls(
            demand_id=str(demand.demand_id),
            amount=str(demand.amount),
            state=demand.state.name,
            statement_hash=demand.statement_hash,
            document_hashes=documents,
            presented_at=demand.presented_at,
            deadline=demand.deadline,
            extend_to=demand.extend_to,
            suspended_until=demand.suspended_until,
            discrepancies=discrepancies,
            precluded=demand.precluded,
            under_demand_id=None if demand.under_demand_id is None else str(demand.under_demand_id),
            claim_id=None if demand.claim_id is None else str(demand.claim_id),
            statement_references=references,
        )


MAX_REDUCTION_STEPS = 24  # Undertakings.MAX_REDUCTION_STEPS


class ReductionStepView(BaseModel):
    step: int
    day: int = Field(description="the UTC day (unix seconds / 86400) from whose start the amount is reduced")
    amount: str = Field(description="the reduction, in minor units (URDG 25(a)(ii))")
    recorded_at: int | None = Field(description="when the contract recorded it, unix seconds (none: not yet)")

    @classmethod
    def of(cls, step: UndertakingReductionStep) -> ReductionStepView:
        return cls(step=step.step, day=step.day, amount=str(step.amount), recorded_at=step.recorded_at)


class GuaranteeView(BaseModel):
    guarantee_id: str
    rules: str = Field(description="URDG_758 (demand guarantee, counter-guarantee) or ISP98 (standby)")
    state: str
    applicant: str
    beneficiary: str
    guarantor: str
    advising_party: str | None
    counter_guarantee_of: str | None
    counter_guarantee_id: str | None
    currency: str
    amount: str
    paid: str
    reduced: str
    outstanding: str = Field(description="what remains payable: amount less payments and recorded reductions")
    current_amount: str = Field(
        description="the amount less the steps of the reduction schedule recorded so far (the scheduler records "
        "each on its day)"
    )
    reduction_schedule: list[ReductionStepView] = Field(
        description="reductions on stated dates (URDG 25(a)(ii), ISP98 2.06), in order"
    )
    expiry: int
    extension_days: int = Field(description="the automatic extension's period in days (0: none; ISP98 2.06(a))")
    non_extension_notice_days: int = Field(description="days before expiry by which the issuer gives notice")
    final_expiry: int | None = Field(description="no automatic extension beyond this, unix seconds (none: no limit)")
    non_extension_noticed: bool = Field(description="the issuer gave notice of non-extension: it expires as it is")
    terms_hash: str
    amendments: list[GuaranteeAmendmentView]
    demands: list[DemandView]
    tx_hash: str
    block_number: int

    @classmethod
    def of(
        cls,
        row: Undertaking,
        amendments: list[GuaranteeAmendmentView],
        demands: list[DemandView],
        schedule: list[UndertakingReductionStep],
    ) -> GuaranteeView:
        recorded = sum(step.amount for step in schedule if step.recorded_at is not None)
        return cls(
            guarantee_id=str(row.undertaking_id),
            rules=row.rules.name,
            state=row.state.name,
            applicant=row.applicant,
            beneficiary=row.beneficiary,
            guarantor=row.guarantor,
            advising_party=row.advising_party,
            counter_guarantee_of=None if row.counter_guarantee_of is None else str(row.counter_guarantee_of),
            counter_guarantee_id=None if row.counter_guarantee_id is None else str(row.counter_guarantee_id),
            currency=row.currency,
            amount=str(row.amount),
            paid=str(row.paid),
            reduced=str(row.reduced),
            outstanding=str(max(row.amount - row.paid - row.reduced, 0)),
            current_amount=str(max(row.amount - recorded, 0)),
            reduction_schedule=[ReductionStepView.of(step) for step in schedule],
            expiry=row.expiry,
            extension_days=row.extension_days,
            non_extension_notice_days=row.non_extension_notice_days,
            final_expiry=row.final_expiry,
            non_extension_noticed=row.non_extension_noticed,
            terms_hash=row.terms_hash,
            amendments=amendments,
            demands=demands,
            tx_hash=row.tx_hash,
            block_number=row.block_number,
        )


class ReductionStepRequest(BaseModel):
    """One step of a reduction schedule: on `date` (from its start, UTC) the amount is reduced by `amount`."""

    model_config = ConfigDict(extra="forbid")

    date: ChainDate
    amount: MinorUnits


class GuaranteeApplication(BaseModel):
    """An undertaking applied for by the applicant (a trader); the full terms stay off chain under their hash."""

    model_config = ConfigDict(extra="forbid")

    rules: Literal["urdg758", "isp98"] = Field(description="URDG 758 (demand guarantee) or ISP98 (standby)")
    beneficiary: Address
    guarantor: Address
    advising_party: Address | None = None
    currency: str = Field(min_length=3, max_length=3, description="ISO 4217 code")
    amount: MinorUnits
    expiry_date: ChainDate | None = Field(None, description="none: three years after issue (URDG 25(c))")
    expiry_event: str | None = Field(None, max_length=500, description="the expiry event, kept off chain (hashed)")
    examination_days: int = Field(0, ge=0, le=7, description="ISP98 only: 3 to 7 business days (0 = 3)")
    statement_excluded: bool = Field(False, description="the guarantee excludes the statement of URDG 15(a)")
    reducible: bool = Field(False, description="the guarantee provides for reductions on stated events (URDG 13)")
    counter_guarantee_of: int | None = Field(None, ge=1, description="the guarantee this counter-guarantee supports")
    extension_days: int = Field(
        0, ge=0, le=65_535, description="the expiry extends automatically by this many days (ISP98 2.06(a); a "
        "guarantee's own terms under URDG 758 Art 1(a))",
    )  # fmt: skip
    non_extension_notice_days: int = Field(
        0, ge=0, le=65_535, description="with an extension: the issuer's notice of non-extension is due this many "
        "days before the expiry (at least 1, fewer than the extension's days)",
    )  # fmt: skip
    final_expiry_date: ChainDate | None = Field(None, description="with an extension: none beyond this date")
    reduction_schedule: list[ReductionStepRequest] = Field(
        default_factory=list, max_length=MAX_REDUCTION_STEPS,
        description="reductions on stated dates, in increasing dates after today, together at most the amount "
        "(URDG 13, 25(a)(ii); ISP98 2.06)",
    )  # fmt: skip
    terms: dict[str, Any] = Field(description="the full terms: kept off chain, hashed on chain")

    @model_validator(mode="after")
    def _reduction_schedule(self) -> GuaranteeApplication:
        """The contract's rule, answered 422 first: strictly increasing dates, together no more than the amount."""
        dates = [step.date for step in self.reduction_schedule]
        if any(later <= earlier for earlier, later in pairwise(dates)):
            raise ValueError("reduction_schedule dates must be strictly increasing")
        if sum(step.amount for step in self.reduction_schedule) > self.amount:
            raise ValueError("reduction_schedule reduces by more than the amount")
        return self

    @model_validator(mode="after")
    def _automatic_extension(self) -> GuaranteeApplication:
        """ISP98 2.06(a) lets a standby extend itself; URDG 758 applies subject to the guarantee's own terms (Art 1(a))
        and forbids none, so a guarantee may state one too. The contract checks the same; this answers 422 first."""
        if self.extension_days == 0:
            if self.non_extension_notice_days or self.final_expiry_date:
                raise ValueError("non_extension_notice_days and final_expiry_date need extension_days")
            return self
        if not 1 <= self.non_extension_notice_days < self.extension_days:
            raise ValueError("non_extension_notice_days must be at least 1 and fewer than extension_days")
        if self.final_expiry_date is not None and (
            self.expiry_date is None or self.final_expiry_date <= self.expiry_date
        ):
            raise ValueError("final_expiry_date must come after expiry_date")
        return self


class DirectIssue(GuaranteeApplication):
    """An undertaking the guarantor issues at once on its client's behalf, with no application on chain."""

    applicant: Address = Field(description="the guarantor's client (a trader) whose obligation it supports")


class DemandRequest(BaseModel):
    """A demand with its supporting statement (URDG 15) and documents, both kept off chain under their hashes."""

    model_config = ConfigDict(extra="forbid")

    amount: MinorUnits
    statement: dict[str, Any] | None = Field(None, description="the statement of breach (URDG 15(a)), off chain")
    documents: list[dict[str, Any]] = Field(default_factory=list, max_length=32, description="off chain, hashed")
    extend_to: ChainDate | None = Field(None, description='"extend or pay": the expiry asked for instead (URDG 23)')


class RejectionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    discrepancies: list[str] = Field(min_length=1, max_length=32, description="every discrepancy (URDG 24(d))")


class SuspensionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    until: ChainDate = Field(description="no later than 30 calendar days after the demand (URDG 23(a))")


class CounterDemandRequest(BaseModel):
    """The guarantor's demand under its counter-guarantee after paying a demand under the guarantee (URDG 15(b))."""

    model_config = ConfigDict(extra="forbid")

    amount: MinorUnits = Field(description="no more than the guarantor paid under the guarantee's demand")
    statement: dict[str, Any] | None = Field(
        None, description="the statement that it received a complying demand under the guarantee (URDG 15(b))"
    )
    documents: list[dict[str, Any]] = Field(default_factory=list, max_length=32, description="off chain, hashed")


class GuaranteeAmendmentRequest(BaseModel):
    """The changes an amendment makes; it binds the guarantor once issued, the beneficiary only once it consents."""

    model_config = ConfigDict(extra="forbid")

    amount: MinorUnits | None = Field(None, description="the new amount (never below what is paid, reduced or claimed)")
    expiry_date: ChainDate | None = Field(None, description="the new expiry date")
    narrative: dict[str, Any] = Field(default_factory=dict, description="the amendment's wording, off chain")

    @model_validator(mode="after")
    def _changes_something(self) -> GuaranteeAmendmentRequest:
        if self.amount is None and self.expiry_date is None:
            raise ValueError("an amendment changes the amount, the expiry date or both")
        return self


class AcceptGuaranteeAmendmentRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    accepted_fields: int | None = Field(
        None, ge=0, le=3, description="bit flags accepted (1 amount, 2 expiry); short of all is rejection (URDG 11(e))"
    )


class ReductionRequest(BaseModel):
    """A reduction evidenced by a document kept off chain under its hash: the guarantor's reduction event stated in
    the guarantee (URDG 13), or the beneficiary's signed release of part of the amount (URDG 25)."""

    model_config = ConfigDict(extra="forbid")

    amount: MinorUnits
    document: dict[str, Any] = Field(description="the reduction event's evidence or the signed release, off chain")


class ExpiryEventRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    document: dict[str, Any] = Field(description="the document evidencing the stated expiry event, off chain")
