"""Request and response bodies of the member and governance resources."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from tradeledger.members.models import GovernanceProposal, Member
from tradeledger.settlements.schemas import Address

ProposalActionName = Literal[
    "admit_bank", "suspend_bank", "reinstate_bank", "remove_bank",
    "admit_auditor", "suspend_auditor", "reinstate_auditor", "remove_auditor",
]  # fmt: skip


class MemberView(BaseModel):
    address: str
    name: str = Field(
        description="what this instance calls the member (the label its bank or operator gave it, off chain)",
        examples=["Bank A (founding)"],
    )
    kind: str = Field(examples=["TRADER"])
    status: str = Field(examples=["ACTIVE"])
    sponsor: str | None = Field(description="the bank responsible for a trader's KYC")

    @classmethod
    def of(cls, member: Member, name: str) -> MemberView:
        return cls(
            address=member.address, name=name, kind=member.kind.name, status=member.status.name, sponsor=member.sponsor
        )


class OnboardTraderRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str = Field(min_length=1, max_length=120, description="the bank's own name for its client (off chain)")


class OnboardedTrader(BaseModel):
    member: MemberView
    api_key: str = Field(description="the trader's API key: shown in this response only")
    api_key_id: str


class ProposalRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: ProposalActionName
    subject: Address


class ProposalView(BaseModel):
    proposal_id: str
    action: str
    state: str
    subject: str
    proposer: str
    votes: int

    @classmethod
    def of(cls, proposal: GovernanceProposal) -> ProposalView:
        return cls(
            proposal_id=str(proposal.proposal_id),
            action=proposal.action.name.lower(),
            state=proposal.state.name,
            subject=proposal.subject,
            proposer=proposal.proposer,
            votes=proposal.votes,
        )
