"""Demand guarantees, counter-guarantees (URDG 758) and standby credits (ISP98): application or direct issue,
advice, amendments with the beneficiary's consent, demands with their supporting statements, examination
(payment, rejection, preclusion, "extend or pay"), demands under counter-guarantees, reductions and releases,
expiry by date or event, and the settlement of the guarantor's reimbursement claims."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Response

from tradeledger.api.auth import PlatformDep, PrincipalDep
from tradeledger.api.idempotency import IdempotentRoute
from tradeledger.api.pagination import Cursor, Limit, ObjectId, Page
from tradeledger.api.problems import ASYNC_RESPONSE, ERROR_RESPONSES, NOT_FOUND_RESPONSE
from tradeledger.api.schemas import TransactionView
from tradeledger.api.writes import PreferHeader, answer, held_answer, submission
from tradeledger.guarantees import service
from tradeledger.guarantees.schemas import (
    AcceptGuaranteeAmendmentRequest,
    CounterDemandRequest,
    DemandRequest,
    DirectIssue,
    ExpiryEventRequest,
    GuaranteeAmendmentRequest,
    GuaranteeApplication,
    GuaranteeView,
    ReductionRequest,
    RejectionRequest,
    SuspensionRequest,
)
from tradeledger.members.models import MemberKind
from tradeledger.members.service import require_kind
from tradeledger.users.schemas import RequestView

router = APIRouter(tags=["guarantees and standbys"], route_class=IdempotentRoute)
WRITE_RESPONSES = {**ASYNC_RESPONSE, **NOT_FOUND_RESPONSE, **ERROR_RESPONSES}
GuaranteeResult = GuaranteeView | TransactionView
HeldResult = GuaranteeView | TransactionView | RequestView  # issue and pay may be held for approval


@router.post("/guarantees", status_code=201, responses={**ASYNC_RESPONSE, **ERROR_RESPONSES})
def apply_for_guarantee(
    body: GuaranteeApplication, platform: PlatformDep, principal: PrincipalDep, response: Response,
    prefer: PreferHeader = None,
) -> GuaranteeResult:  # fmt: skip
    """The applicant applies to a bank for a demand guarantee (URDG 758) or a standby (ISP98)."""
    applied = service.apply(platform, principal.member, principal.kind, body, submission(prefer))
    return answer(applied, response, lambda view: f"/v1/guarantees/{view.guarantee_id}")


@router.post("/guarantees/direct", status_code=201, responses={**ASYNC_RESPONSE, **ERROR_RESPONSES})
def issue_guarantee_directly(
    body: DirectIssue, platform: PlatformDep, principal: PrincipalDep, response: Response,
    prefer: PreferHeader = None,
) -> GuaranteeResult:  # fmt: skip
    """The guarantor issues a guarantee or standby directly for its client, without an instructing application:
    it is ISSUED at once (URDG 4). The caller must be the guarantor named; the applicant an active trader."""
    require_kind(principal.kind, MemberKind.BANK, action="issue guarantees")
    issued = service.issue_directly(platform, principal.member, principal.kind, body, submission(prefer))
    return answer(issued, response, lambda view: f"/v1/guarantees/{view.guarantee_id}")


@router.post("/guarantees/reimbursement-claims/{claim_id}/settle", responses=WRITE_RESPONSES)
def settle_guarantee_reimbursement_claim(
    claim_id: ObjectId, platform: PlatformDep, principal: PrincipalDep, response: Response, prefer: PreferHeader = None
) -> HeldResult:
    """The applicant pays the guarantor's open reimbursement claim through the ledger; the leg carries the demand's
    statement reference (UT<id>-D<demand>-REIMB). Held for approval (202 with the request) when a policy of its
    member covers the claim's amount (`guarantees.settle_claim`)."""
    settled = service.settle_claim(
        platform, principal.member, principal.kind, claim_id, submission(prefer, actor=principal.actor())
    )
    return held_answer(settled, response)


@router.get("/guarantees", responses=ERROR_RESPONSES)
def list_guarantees(
    platform: PlatformDep, principal: PrincipalDep, limit: Limit = 50, cursor: Cursor = None
) -> Page[GuaranteeView]:
    """Guarantees, counter-guarantees and standbys the caller is a party to (a bank: also its clients')."""
    items = service.list_guarantees(platform, principal.member, principal.kind, int(cursor) if cursor else None, limit)
    return Page(items=items, next_cursor=items[-1].guarantee_id if len(items) == limit else None)


@router.get("/guarantees/{guarantee_id}", responses={**NOT_FOUND_RESPONSE, **ERROR_RESPONSES})
def get_guarantee(guarantee_id: ObjectId, platform: PlatformDep, principal: PrincipalDep) -> GuaranteeView:
    """One undertaking with its amendments and demands (documents, statements and discrepancies as hashes)."""
    return service.guarantee_view(platform, principal.member, principal.kind, guarantee_id)


STEP_DOCS = {
    "issue": "The guarantor issues the undertaking; it is bound from now on (URDG 4).",
    "decline": "The guarantor declines the application.",
    "advise": "The advising party advises the undertaking to the beneficiary (URDG 10).",
    "release": "The beneficiary releases the guarantor from its liability (URDG 25(a)(iii)).",
    "expire": "Mark an undertaking expired once its last day for demands has passed (URDG 25, ISP98 3.13).",
    "extend-automatically": "Record an automatic extension of the expiry by its stated period (ISP98 2.06(a)); "
    "any party may, once the last day for the issuer's notice of non-extension has passed without one.",
    "notice-non-extension": "The issuer gives notice of non-extension (ISP98 2.06(a)); the standby then expires "
    "on its current expiry date. Refused after the last day for notice the standby states.",
    "record-reductions": "Record the steps of the reduction schedule whose date has come (URDG 25(a)(ii), ISP98 "
    "2.06); any party may. Each took effect on its date whether recorded or not; the scheduler records them.",
}
BANK_STEPS = frozenset({"issue", "decline", "advise", "pay", "extend", "notice-non-extension"})


def _step(step: str) -> Callable[..., HeldResult]:
    def endpoint(
        guarantee_id: ObjectId, platform: PlatformDep, principal: PrincipalDep, response: Response,
        prefer: PreferHeader = None,
    ) -> HeldResult:  # fmt: skip
        if step in BANK_STEPS:
            require_kind(principal.kind, MemberKind.BANK, action=f"{step} a guarantee")
        done = service.run_step(
            platform, principal.member, principal.kind, guarantee_id, step, submission(prefer, actor=principal.actor())
        )
        return held_answer(done, response)

    return endpoint


def _add(path: str, endpoint: Callable[..., HeldResult], name: str, doc: str) -> None:
    router.add_api_route(
        path,
        endpoint,
        methods=["POST"],
        name=name,
        summary=doc.split(";", maxsplit=1)[0].split(" (", maxsplit=1)[0],
        description=doc,
        responses=WRITE_RESPONSES,
        response_model=HeldResult,
    )


for _step_name, _doc in STEP_DOCS.items():
    _add(
        f"/guarantees/{{guarantee_id}}/{_step_name}",
        _step(_step_name),
        f"{_step_name.replace('-', '_')}_guarantee",
        _doc,
    )


@router.post("/guarantees/{guarantee_id}/demands", responses=WRITE_RESPONSES)
def demand(
    guarantee_id: ObjectId, body: DemandRequest, platform: PlatformDep, principal: PrincipalDep, response: Response,
    prefer: PreferHeader = None,
) -> GuaranteeResult:  # fmt: skip
    """The beneficiary demands payment with its statement of breach (URDG 15) and documents, hashed on chain."""
    demanded = service.demand(platform, principal.member, principal.kind, guarantee_id, body, submission(prefer))
    return answer(demanded, response)


DEMAND_STEP_DOCS = {
    "pay": "The guarantor pays a complying demand; the applicant reimburses it (or owes a claim).",
    "enforce-payment": "The beneficiary enforces payment after the deadline (URDG 24(f)) or a suspension (23(d)).",
    "extend": "The guarantor grants the extension an extend-or-pay demand asked for; the demand is withdrawn.",
}


def _demand_step(step: str) -> Callable[..., HeldResult]:
    def endpoint(
        guarantee_id: ObjectId, demand_id: ObjectId, platform: PlatformDep, principal: PrincipalDep,
        response: Response, prefer: PreferHeader = None,
    ) -> HeldResult:  # fmt: skip
        if step in BANK_STEPS:
            require_kind(principal.kind, MemberKind.BANK, action=f"{step} a demand")
        done = service.demand_step(
            platform, principal.member, principal.kind, guarantee_id, demand_id, step,
            submission(prefer, actor=principal.actor()),
        )  # fmt: skip
        return held_answer(done, response)

    return endpoint


for _step_name, _doc in DEMAND_STEP_DOCS.items():
    _add(
        f"/guarantees/{{guarantee_id}}/demands/{{demand_id}}/{_step_name}",
        _demand_step(_step_name),
        f"{_step_name.replace('-', '_')}_demand",
        _doc,
    )


@router.post("/guarantees/{guarantee_id}/demands/{demand_id}/reject", responses=WRITE_RESPONSES)
def reject_demand(
    guarantee_id: ObjectId, demand_id: ObjectId, body: RejectionRequest, platform: PlatformDep,
    principal: PrincipalDep, response: Response, prefer: PreferHeader = None,
) -> GuaranteeResult:  # fmt: skip
    """The guarantor's one rejection notice listing every discrepancy, by the deadline (URDG 24(d))."""
    require_kind(principal.kind, MemberKind.BANK, action="reject demands")
    rejected = service.reject(
        platform, principal.member, principal.kind, guarantee_id, demand_id, body, submission(prefer)
    )
    return answer(rejected, response)


@router.post("/guarantees/{guarantee_id}/demands/{demand_id}/suspend", responses=WRITE_RESPONSES)
def suspend_demand(
    guarantee_id: ObjectId, demand_id: ObjectId, body: SuspensionRequest, platform: PlatformDep,
    principal: PrincipalDep, response: Response, prefer: PreferHeader = None,
) -> GuaranteeResult:  # fmt: skip
    """The guarantor suspends payment of an "extend or pay" demand, up to 30 calendar days (URDG 23(a))."""
    require_kind(principal.kind, MemberKind.BANK, action="suspend demands")
    suspended = service.suspend(
        platform, principal.member, principal.kind, guarantee_id, demand_id, body, submission(prefer)
    )
    return answer(suspended, response)


@router.post("/guarantees/{guarantee_id}/amendments", responses=WRITE_RESPONSES)
def issue_guarantee_amendment(
    guarantee_id: ObjectId, body: GuaranteeAmendmentRequest, platform: PlatformDep, principal: PrincipalDep,
    response: Response, prefer: PreferHeader = None,
) -> GuaranteeResult:  # fmt: skip
    """The guarantor amends the amount or the expiry; bound now, the undertaking changes only once the beneficiary
    consents to every change (URDG 11, ISP98 2.06(c))."""
    require_kind(principal.kind, MemberKind.BANK, action="amend guarantees")
    amended = service.issue_amendment(
        platform, principal.member, principal.kind, guarantee_id, body, submission(prefer)
    )
    return answer(amended, response)


@router.post("/guarantees/{guarantee_id}/amendments/{amendment_id}/accept", responses=WRITE_RESPONSES)
def accept_guarantee_amendment(
    guarantee_id: ObjectId, amendment_id: ObjectId, body: AcceptGuaranteeAmendmentRequest, platform: PlatformDep,
    principal: PrincipalDep, response: Response, prefer: PreferHeader = None,
) -> GuaranteeResult:  # fmt: skip
    """The beneficiary consents to an amendment: to all of it, or it is a rejection (URDG 11(e))."""
    accepted = service.accept_amendment(
        platform, principal.member, principal.kind, guarantee_id, amendment_id, body, submission(prefer)
    )
    return answer(accepted, response)


@router.post("/guarantees/{guarantee_id}/amendments/{amendment_id}/reject", responses=WRITE_RESPONSES)
def reject_guarantee_amendment(
    guarantee_id: ObjectId, amendment_id: ObjectId, platform: PlatformDep, principal: PrincipalDep,
    response: Response, prefer: PreferHeader = None,
) -> GuaranteeResult:  # fmt: skip
    """The beneficiary refuses an amendment; the undertaking keeps its terms."""
    rejected = service.reject_amendment(
        platform, principal.member, principal.kind, guarantee_id, amendment_id, submission(prefer)
    )
    return answer(rejected, response)


@router.post("/guarantees/{guarantee_id}/reductions", responses=WRITE_RESPONSES)
def reduce_guarantee(
    guarantee_id: ObjectId, body: ReductionRequest, platform: PlatformDep, principal: PrincipalDep,
    response: Response, prefer: PreferHeader = None,
) -> GuaranteeResult:  # fmt: skip
    """Reduce the amount: the guarantor on a reduction event the undertaking provides for (URDG 13), or the
    beneficiary by its signed release of part of it (URDG 25); never below what is under demand."""
    reduced = service.reduce(platform, principal.member, principal.kind, guarantee_id, body, submission(prefer))
    return answer(reduced, response)


@router.post("/guarantees/{guarantee_id}/expiry-event", responses=WRITE_RESPONSES)
def record_guarantee_expiry_event(
    guarantee_id: ObjectId, body: ExpiryEventRequest, platform: PlatformDep, principal: PrincipalDep,
    response: Response, prefer: PreferHeader = None,
) -> GuaranteeResult:  # fmt: skip
    """The guarantor records the stated expiry event, evidenced by a document: the undertaking expires (URDG 25);
    demands presented before it stay payable."""
    require_kind(principal.kind, MemberKind.BANK, action="record expiry events")
    expired = service.expire_on_event(
        platform, principal.member, principal.kind, guarantee_id, body, submission(prefer)
    )
    return answer(expired, response)


@router.post("/guarantees/{guarantee_id}/demands/{demand_id}/counter-demand", responses=WRITE_RESPONSES)
def demand_under_counter_guarantee(
    guarantee_id: ObjectId, demand_id: ObjectId, body: CounterDemandRequest, platform: PlatformDep,
    principal: PrincipalDep, response: Response, prefer: PreferHeader = None,
) -> GuaranteeResult:  # fmt: skip
    """The guarantor, having paid this demand, demands under the counter-guarantee supporting the guarantee, once
    and for no more than it paid (URDG 15(b)); the answer is the counter-guarantee with its new demand."""
    require_kind(principal.kind, MemberKind.BANK, action="demand under counter-guarantees")
    demanded = service.counter_demand(
        platform, principal.member, principal.kind, guarantee_id, demand_id, body, submission(prefer)
    )
    return answer(demanded, response)
