"""The member directory, banks onboarding and managing their traders, and governance votes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Response
from starlette.concurrency import run_in_threadpool

from tradeledger.api.auth import PlatformDep, PrincipalDep
from tradeledger.api.idempotency import IdempotentRoute
from tradeledger.api.pagination import AddressPath, Cursor, Limit, ObjectId, Page
from tradeledger.api.problems import ASYNC_RESPONSE, ERROR_RESPONSES, NOT_FOUND_RESPONSE
from tradeledger.api.schemas import TransactionView
from tradeledger.api.writes import Accepted, PreferHeader, submit_write, write_then_view
from tradeledger.indexer.queries import event_argument
from tradeledger.members import service
from tradeledger.members.models import MemberKind
from tradeledger.members.schemas import MemberView, OnboardedTrader, OnboardTraderRequest, ProposalRequest, ProposalView
from tradeledger.store.models import ChainTransaction

router = APIRouter(tags=["members"], route_class=IdempotentRoute)
governance = APIRouter(tags=["governance"], route_class=IdempotentRoute)


def _member(platform: PlatformDep, principal: PrincipalDep, address: str) -> MemberView:
    with platform.sessions() as db:
        return MemberView.of(service.visible_member(db, principal.member, principal.kind, address))


@router.get("/members", responses=ERROR_RESPONSES)
def list_members(
    platform: PlatformDep, principal: PrincipalDep, limit: Limit = 50, cursor: str | None = None
) -> Page[MemberView]:
    """Banks and auditors (the consortium's directory), plus the traders the caller may see."""
    with platform.sessions() as db:
        members = service.list_members(db, principal.member, principal.kind, cursor, limit)
    items = [MemberView.of(member) for member in members]
    return Page(items=items, next_cursor=items[-1].address if len(items) == limit else None)


@router.get("/members/{address}", responses={**NOT_FOUND_RESPONSE, **ERROR_RESPONSES})
def get_member(address: AddressPath, platform: PlatformDep, principal: PrincipalDep) -> MemberView:
    """One member."""
    return _member(platform, principal, address)


@router.post("/members/traders", status_code=201, responses={**ASYNC_RESPONSE, **ERROR_RESPONSES})
async def onboard_trader(
    body: OnboardTraderRequest,
    platform: PlatformDep,
    principal: PrincipalDep,
    response: Response,
    prefer: PreferHeader = None,
) -> OnboardedTrader:
    """A bank onboards an SME client: a custodial key is created for it, and an API key returned once."""
    service.require_kind(principal.kind, MemberKind.BANK, action="onboard traders")
    call, business, issued = service.onboard_trader(
        platform.address(service.CONTRACT), principal.member, body.label, platform.settings.custodial_passphrase()
    )

    def onboarded(member: MemberView | None = None) -> OnboardedTrader:
        """The answer (`issued` is filled once the outbox transaction has run); without `member`, the one given
        before the block is indexed, which a retry after a crash gets back with its one-time API key."""
        if member is None:
            member = MemberView(address=issued["address"], kind="TRADER", status="PENDING", sponsor=principal.member)
        return OnboardedTrader(member=member, api_key=issued["api_key"], api_key_id=issued["api_key_id"])

    def location() -> str:
        return f"/v1/members/{issued['address']}"

    await submit_write(platform, call, prefer, response, business, lambda _: Accepted(onboarded(), location()))
    response.headers["Location"] = location()
    if response.status_code == 202:
        return onboarded()
    return onboarded(await run_in_threadpool(_member, platform, principal, issued["address"]))


def _trader_step(step: str) -> Callable[..., Awaitable[MemberView | TransactionView]]:
    async def endpoint(
        address: AddressPath,
        platform: PlatformDep,
        principal: PrincipalDep,
        response: Response,
        prefer: PreferHeader = None,
    ) -> MemberView | TransactionView:
        service.require_kind(principal.kind, MemberKind.BANK, action=f"{step} traders")
        await run_in_threadpool(_member, platform, principal, address)
        call = service.trader_step_call(platform.address(service.CONTRACT), principal.member, address, step)
        return await write_then_view(platform, call, prefer, response, lambda _: _member(platform, principal, address))

    return endpoint


for _step in service.TRADER_STEPS:
    router.add_api_route(
        f"/members/{{address}}/{_step}",
        _trader_step(_step),
        methods=["POST"],
        name=f"{_step}_trader",
        summary=f"The sponsor bank {_step}s one of its traders.",
        responses={**ASYNC_RESPONSE, **NOT_FOUND_RESPONSE, **ERROR_RESPONSES},
        response_model=MemberView | TransactionView,
    )


def _proposal(platform: PlatformDep, principal: PrincipalDep, proposal_id: ObjectId) -> ProposalView:
    with platform.sessions() as db:
        return ProposalView.of(service.visible_proposal(db, principal.kind, proposal_id))


@governance.post("/governance/proposals", status_code=201, responses={**ASYNC_RESPONSE, **ERROR_RESPONSES})
async def create_proposal(
    body: ProposalRequest,
    platform: PlatformDep,
    principal: PrincipalDep,
    response: Response,
    prefer: PreferHeader = None,
) -> ProposalView | TransactionView:
    """A bank proposes to admit, suspend, reinstate or remove a bank or an auditor (its own vote counts)."""
    service.require_kind(principal.kind, MemberKind.BANK, action="propose")
    call = service.propose_call(platform.address(service.CONTRACT), principal.member, body.action, body.subject)

    def created(row: ChainTransaction) -> ProposalView:
        with platform.sessions() as db:
            proposal_id = int(event_argument(db, row.tx_hash, service.CONTRACT, "ProposalCreated", "proposalId"))
        response.headers["Location"] = f"/v1/governance/proposals/{proposal_id}"
        return _proposal(platform, principal, proposal_id)

    return await write_then_view(platform, call, prefer, response, created)


@governance.post(
    "/governance/proposals/{proposal_id}/votes", responses={**ASYNC_RESPONSE, **NOT_FOUND_RESPONSE, **ERROR_RESPONSES}
)
async def vote(
    proposal_id: ObjectId,
    platform: PlatformDep,
    principal: PrincipalDep,
    response: Response,
    prefer: PreferHeader = None,
) -> ProposalView | TransactionView:
    """An active bank votes for a proposal; a majority of active banks executes it."""
    service.require_kind(principal.kind, MemberKind.BANK, action="vote")
    await run_in_threadpool(_proposal, platform, principal, proposal_id)
    call = service.vote_call(platform.address(service.CONTRACT), principal.member, proposal_id)
    return await write_then_view(
        platform, call, prefer, response, lambda _: _proposal(platform, principal, proposal_id)
    )


@governance.get("/governance/proposals", responses=ERROR_RESPONSES)
def list_proposals(
    platform: PlatformDep, principal: PrincipalDep, limit: Limit = 50, cursor: Cursor = None
) -> Page[ProposalView]:
    """Governance proposals (banks and auditors)."""
    with platform.sessions() as db:
        proposals = service.list_proposals(db, principal.kind, int(cursor) if cursor else None, limit)
    items = [ProposalView.of(proposal) for proposal in proposals]
    return Page(items=items, next_cursor=items[-1].proposal_id if len(items) == limit else None)


@governance.get("/governance/proposals/{proposal_id}", responses={**NOT_FOUND_RESPONSE, **ERROR_RESPONSES})
def get_proposal(proposal_id: ObjectId, platform: PlatformDep, principal: PrincipalDep) -> ProposalView:
    """One governance proposal with its vote count."""
    return _proposal(platform, principal, proposal_id)
