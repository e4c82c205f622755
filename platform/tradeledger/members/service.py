"""Members: the directory, banks onboarding their traders (custodial key + API key), governance votes."""

from __future__ import annotations

from collections.abc import Callable

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
    db: Session, viewer: str, viewer_kind: MemberKind | None, after: str | None, limit: int
) -> list[Member]:
    accounts = visible_accounts(db, viewer, viewer_kind)
    if accounts is not None and viewer_kind is MemberKind.TRADER:
        own = repository.get(db, viewer)
        accounts = accounts | ({own.sponsor} if own and own.sponsor else set())
    return repository.page(db, accounts, after, limit)


def onboard_trader(
    membership: str, bank: str, label: str, passphrase: str
) -> tuple[ContractCall, Callable[[Session], None], dict[str, str]]:
    """A new custodial key for the trader, its onboarding call, and the rows to commit with the outbox row.

    Returns the call, the business writes (hosted keystore + the trader's API key) and, once those ran, the
    key's id and token in `issued`.
    """
    account, keystore = new_custodial_key(passphrase)
    issued: dict[str, str] = {}

    def business(db: Session) -> None:
        db.add(HostedAccount(address=account.address, label=label, keystore=keystore))
        key, token = create_api_key(db, account.address, f"{label} (onboarded by {bank})")
        issued.update(api_key_id=key.id, api_key=token, address=account.address)

    return ContractCall(CONTRACT, membership, "onboardTrader", (account.address,), bank), business, issued


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
    db: Session, viewer_kind: MemberKind | None, after: int | None, limit: int
) -> list[GovernanceProposal]:
    if viewer_kind not in (MemberKind.BANK, MemberKind.AUDITOR):
        return []
    return repository.proposals(db, after, limit)
