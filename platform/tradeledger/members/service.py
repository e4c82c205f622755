"""Members: the directory, banks onboarding their traders (custodial key + API key), governance votes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from tradeledger.chain.abi import checksum
from tradeledger.chain.keys import new_custodial_key
from tradeledger.chain.txmanager import ContractCall
from tradeledger.errors import ForbiddenError, NotFoundError
from tradeledger.identity.models import HostedAccount
from tradeledger.identity.service import create_api_key
from tradeledger.members import repository
from tradeledger.members.access import can_see, visible_accounts
from tradeledger.members.models import GovernanceProposal, Member, MemberKind, ProposalAction
from tradeledger.members.schemas import MemberView, OnboardedTrader, ProposalRequest, ProposalView
from tradeledger.operations import Pending, Submission, created_id, submit, write_then_view
from tradeledger.store.models import ChainTransaction

if TYPE_CHECKING:  # the runtime composes the domains: importing it here would be a cycle
    from tradeledger.runtime import Platform

CONTRACT = "Membership"


class MemberNotFoundError(NotFoundError):
    code = "member_not_found"


class ProposalNotFoundError(NotFoundError):
    code = "proposal_not_found"


def require_kind(kind: MemberKind | None, *allowed: MemberKind, action: str) -> None:
    if kind not in allowed:
        names = " or ".join(a.name.lower() for a in allowed)
        raise ForbiddenError(f"only a {names} may {action}")


def visible_member(db: Session, viewer: str, viewer_kind: MemberKind | None, address: str) -> Member:
    try:
        member = repository.get(db, checksum(address))
    except ValueError:
        member = None
    if member is None or (
        member.kind is MemberKind.TRADER and not can_see(db, viewer, viewer_kind, [member.address, member.sponsor])
    ):
        raise MemberNotFoundError(f"no member {address}")
    return member


def list_members(
    platform: Platform, viewer: str, viewer_kind: MemberKind | None, after: str | None, limit: int
) -> list[MemberView]:
    with platform.sessions() as db:
        accounts = visible_accounts(db, viewer, viewer_kind)
        if accounts is not None and viewer_kind is MemberKind.TRADER:
            own = repository.get(db, viewer)
            accounts = accounts | ({own.sponsor} if own and own.sponsor else set())
        members = repository.page(db, accounts, after, limit)
        return [MemberView.of(member, repository.member_name(db, member.address)) for member in members]


@dataclass(frozen=True)
class Onboarding:
    """A trader being onboarded: its custodial address from the start, its one-time API key in `issued` once
    the outbox transaction that stores it has run."""

    sponsor: str
    address: str
    label: str
    issued: dict[str, str]

    def answer(self, member: MemberView | None = None) -> OnboardedTrader:
        """The answer; without `member`, the one given before the block is indexed, which a retry after a crash
        gets back with its one-time API key."""
        if member is None:
            member = MemberView(
                address=self.address, name=self.label, kind="TRADER", status="PENDING", sponsor=self.sponsor
            )
        return OnboardedTrader(member=member, api_key=self.issued["api_key"], api_key_id=self.issued["api_key_id"])


@dataclass(frozen=True)
class Onboarded:
    """The onboarding's answer, and whether its block is still to be indexed."""

    answer: OnboardedTrader
    pending: bool


def onboard_trader(
    platform: Platform,
    bank: str,
    bank_kind: MemberKind | None,
    label: str,
    submission: Callable[[Onboarding], Submission],
) -> Onboarded:
    """A bank onboards an SME client: a new custodial key, its hosted keystore and API key committed with the
    onboarding call's outbox row, the trader read back once indexed."""
    account, keystore = new_custodial_key(platform.settings.custodial_passphrase())
    onboarding = Onboarding(sponsor=bank, address=account.address, label=label, issued={})

    def business(db: Session) -> None:
        db.add(HostedAccount(address=account.address, label=label, keystore=keystore))
        key, token = create_api_key(db, account.address, f"{label} (onboarded by {bank})")
        onboarding.issued.update(api_key_id=key.id, api_key=token)

    call = ContractCall(CONTRACT, platform.address(CONTRACT), "onboardTrader", (account.address,), bank)
    outcome = submit(platform, call, submission(onboarding), business)
    if isinstance(outcome, Pending):
        return Onboarded(onboarding.answer(), pending=True)
    return Onboarded(onboarding.answer(member_view(platform, bank, bank_kind, account.address)), pending=False)


def member_view(platform: Platform, viewer: str, viewer_kind: MemberKind | None, address: str) -> MemberView:
    """One member the viewer may see."""
    with platform.sessions() as db:
        member = visible_member(db, viewer, viewer_kind, address)
        return MemberView.of(member, repository.member_name(db, member.address))


def trader_step(
    platform: Platform, bank: str, bank_kind: MemberKind | None, trader: str, step: str, submission: Submission
) -> MemberView | Pending:
    """The sponsor bank suspends, reinstates or offboards one of its traders (one it may see)."""
    member_view(platform, bank, bank_kind, trader)
    call = trader_step_call(platform.address(CONTRACT), bank, trader, step)
    return write_then_view(platform, call, submission, lambda _: member_view(platform, bank, bank_kind, trader))


def proposal_view(platform: Platform, viewer_kind: MemberKind | None, proposal_id: int) -> ProposalView:
    """One governance proposal with its vote count."""
    with platform.sessions() as db:
        return ProposalView.of(visible_proposal(db, viewer_kind, proposal_id))


def propose(
    platform: Platform, bank: str, bank_kind: MemberKind | None, request: ProposalRequest, submission: Submission
) -> ProposalView | Pending:
    """A bank proposes a governance action (its own vote counts), read back once indexed."""
    call = propose_call(platform.address(CONTRACT), bank, request.action, request.subject)

    def created(row: ChainTransaction) -> ProposalView:
        return proposal_view(platform, bank_kind, created_id(platform, row, CONTRACT, "ProposalCreated", "proposalId"))

    return write_then_view(platform, call, submission, created)


def vote(
    platform: Platform, bank: str, bank_kind: MemberKind | None, proposal_id: int, submission: Submission
) -> ProposalView | Pending:
    """An active bank votes for a proposal it may see."""
    proposal_view(platform, bank_kind, proposal_id)
    call = vote_call(platform.address(CONTRACT), bank, proposal_id)
    return write_then_view(platform, call, submission, lambda _: proposal_view(platform, bank_kind, proposal_id))


TRADER_STEPS = {"suspend": "suspendTrader", "reinstate": "reinstateTrader", "offboard": "offboardTrader"}


def trader_step_call(membership: str, bank: str, trader: str, step: str) -> ContractCall:
    return ContractCall(CONTRACT, membership, TRADER_STEPS[step], (checksum(trader),), bank)


def propose_call(membership: str, bank: str, action: str, subject: str) -> ContractCall:
    return ContractCall(CONTRACT, membership, "propose", (int(ProposalAction[action.upper()]), checksum(subject)), bank)


def vote_call(membership: str, bank: str, proposal_id: int) -> ContractCall:
    return ContractCall(CONTRACT, membership, "vote", (proposal_id,), bank)


def visible_proposal(db: Session, viewer_kind: MemberKind | None, proposal_id: int) -> GovernanceProposal:
    """Governance is the institutions' business: banks and auditors see it, traders do not."""
    proposal = repository.proposal(db, proposal_id)
    if proposal is None or viewer_kind not in (MemberKind.BANK, MemberKind.AUDITOR):
        raise ProposalNotFoundError(f"no proposal {proposal_id}")
    return proposal


def list_proposals(
    platform: Platform, viewer_kind: MemberKind | None, after: int | None, limit: int
) -> list[ProposalView]:
    if viewer_kind not in (MemberKind.BANK, MemberKind.AUDITOR):
        return []
    with platform.sessions() as db:
        return [ProposalView.of(proposal) for proposal in repository.proposals(db, after, limit)]
