"""The member directory, banks onboarding and managing their traders, and governance votes."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Response, status

from tradeledger.api.auth import PlatformDep, PrincipalDep
from tradeledger.api.idempotency import IdempotentRoute
from tradeledger.api.pagination import AddressPath, Cursor, Limit, ObjectId, Page
from tradeledger.api.problems import ASYNC_RESPONSE, ERROR_RESPONSES, NOT_FOUND_RESPONSE
from tradeledger.api.schemas import TransactionView
from tradeledger.api.writes import Accepted, PreferHeader, answer, submission
from tradeledger.members import service
from tradeledger.members.models import MemberKind
from tradeledger.members.schemas import MemberView, OnboardedTrader, OnboardTraderRequest, ProposalRequest, ProposalView
from tradeledger.operations import Submission

router = APIRouter(tags=["members"], route_class=IdempotentRoute)
governance = APIRouter(tags=["governance"], route_class=IdempotentRoute)


@router.get("/me/member", responses={**NOT_FOUND_RESPONSE, **ERROR_RESPONSES})
def get_my_member(platform: PlatformDep, principal: PrincipalDep) -> MemberView:
    """The member the caller's API key acts for (what a client shows and which workspace it opens); 404 for a key
    of the operator or the settlement agent, which are not members."""
    return service.member_view(platform, principal.member, principal.kind, principal.member)


@router.get("/members", responses=ERROR_RESPONSES)
def list_members(
    platform: PlatformDep, principal: PrincipalDep, limit: Limit = 50, cursor: str | None = None
) -> Page[MemberView]:
    """Banks and auditors (the consortium's directory), plus the traders the caller may see."""
    items = service.list_members(platform, principal.member, principal.kind, cursor, limit)
    return Page(items=items, next_cursor=items[-1].address if len(items) == limit else None)


@router.get("/members/{address}", responses={**NOT_FOUND_RESPONSE, **ERROR_RESPONSES})
def get_member(address: AddressPath, platform: PlatformDep, principal: PrincipalDep) -> MemberView:
    """One member."""
    return service.member_view(platform, principal.member, principal.kind, address)


@router.post("/members/traders", status_code=201, responses={**ASYNC_RESPONSE, **ERROR_RESPONSES})
def onboard_trader(
    body: OnboardTraderRequest,
    platform: PlatformDep,
    principal: PrincipalDep,
    response: Response,
    prefer: PreferHeader = None,
) -> OnboardedTrader:
    """A bank onboards an SME client: a custodial key is created for it, and an API key returned once."""
    service.require_kind(principal.kind, MemberKind.BANK, action="onboard traders")

    def submit_as(onboarding: service.Onboarding) -> Submission:
        return submission(prefer, lambda _: Accepted(onboarding.answer(), f"/v1/members/{onboarding.address}"))

    onboarded = service.onboard_trader(platform, principal.member, principal.kind, body.label, submit_as)
    response.headers["Location"] = f"/v1/members/{onboarded.answer.member.address}"
    if onboarded.pending:
        response.status_code = status.HTTP_202_ACCEPTED
    return onboarded.answer


def _trader_step(step: str) -> Callable[..., MemberView | TransactionView]:
    def endpoint(
        address: AddressPath,
        platform: PlatformDep,
        principal: PrincipalDep,
        response: Response,
        prefer: PreferHeader = None,
    ) -> MemberView | TransactionView:
        service.require_kind(principal.kind, MemberKind.BANK, action=f"{step} traders")
        stepped = service.trader_step(platform, principal.member, principal.kind, address, step, submission(prefer))
        return answer(stepped, response)

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


@governance.post("/governance/proposals", status_code=201, responses={**ASYNC_RESPONSE, **ERROR_RESPONSES})
def create_proposal(
    body: ProposalRequest,
    platform: PlatformDep,
    principal: PrincipalDep,
    response: Response,
    prefer: PreferHeader = None,
) -> ProposalView | TransactionView:
    """A bank proposes to admit, suspend, reinstate or remove a bank or an auditor (its own vote counts)."""
    service.require_kind(principal.kind, MemberKind.BANK, action="propose")
    created = service.propose(platform, principal.member, principal.kind, body, submission(prefer))
    return answer(created, response, lambda view: f"/v1/governance/proposals/{view.proposal_id}")


@governance.post(
    "/governance/proposals/{proposal_id}/votes", responses={**ASYNC_RESPONSE, **NOT_FOUND_RESPONSE, **ERROR_RESPONSES}
)
def vote(
    proposal_id: ObjectId,
    platform: PlatformDep,
    principal: PrincipalDep,
    response: Response,
    prefer: PreferHeader = None,
) -> ProposalView | TransactionView:
    """An active bank votes for a proposal; a majority of active banks executes it."""
    service.require_kind(principal.kind, MemberKind.BANK, action="vote")
    voted = service.vote(platform, principal.member, principal.kind, proposal_id, submission(prefer))
    return answer(voted, response)


@governance.get("/governance/proposals", responses=ERROR_RESPONSES)
def list_proposals(
    platform: PlatformDep, principal: PrincipalDep, limit: Limit = 50, cursor: Cursor = None
) -> Page[ProposalView]:
    """Governance proposals (banks and auditors)."""
    items = service.list_proposals(platform, principal.kind, int(cursor) if cursor else None, limit)
    return Page(items=items, next_cursor=items[-1].proposal_id if len(items) == limit else None)


@governance.get("/governance/proposals/{proposal_id}", responses={**NOT_FOUND_RESPONSE, **ERROR_RESPONSES})
def get_proposal(proposal_id: ObjectId, platform: PlatformDep, principal: PrincipalDep) -> ProposalView:
    """One governance proposal with its vote count."""
    return service.proposal_view(platform, principal.kind, proposal_id)
