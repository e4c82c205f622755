"""Letters of credit under UCP 600: application, issue, advice, confirmation, amendments (advised, confirmation
extended or declined, accepted by presentation), presentations, examination (honour by the issuing or a nominated
bank, refusal, waiver, preclusion), reimbursement claims (applicant and interbank), cancellation, expiry, closure."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Query, Response

from tradeledger.api.auth import PlatformDep, PrincipalDep
from tradeledger.api.idempotency import IdempotentRoute
from tradeledger.api.pagination import Cursor, Limit, ObjectId, Page
from tradeledger.api.problems import ASYNC_RESPONSE, ERROR_RESPONSES, NOT_FOUND_RESPONSE
from tradeledger.api.schemas import TransactionView
from tradeledger.api.writes import PreferHeader, answer, held_answer, operation_answer, submission
from tradeledger.lcs import service
from tradeledger.lcs.models import ClaimState
from tradeledger.lcs.schemas import (
    AcceptAmendmentRequest,
    AmendmentConfirmationRequest,
    AmendmentRequest,
    ApplyRequest,
    HolidaysRequest,
    LcView,
    PrepaymentRequest,
    PresentationRequest,
    ProceedsAssignmentRequest,
    RefusalRequest,
    ReimbursementClaimView,
    ReimbursementRefusalRequest,
    SubstitutionRequest,
    TransferDecisionRequest,
    TransferredPresentationRequest,
    TransferRequest,
)
from tradeledger.members.models import MemberKind
from tradeledger.members.service import require_kind
from tradeledger.users.schemas import RequestView

router = APIRouter(tags=["letters of credit"], route_class=IdempotentRoute)
WRITE_RESPONSES = {**ASYNC_RESPONSE, **NOT_FOUND_RESPONSE, **ERROR_RESPONSES}
LcResult = LcView | TransactionView
HeldResult = LcView | TransactionView | RequestView


@router.post("/lcs", status_code=201, responses={**ASYNC_RESPONSE, **ERROR_RESPONSES})
def apply_for_credit(
    body: ApplyRequest, platform: PlatformDep, principal: PrincipalDep, response: Response, prefer: PreferHeader = None
) -> LcResult:
    """The applicant (importer) applies for a credit; the MT700-like terms stay off chain, hashed on chain."""
    applied = service.apply(platform, principal.member, principal.kind, body, submission(prefer))
    return answer(applied, response, lambda view: f"/v1/lcs/{view.lc_id}")


@router.get("/lcs", responses=ERROR_RESPONSES)
def list_credits(
    platform: PlatformDep, principal: PrincipalDep, limit: Limit = 50, cursor: Cursor = None
) -> Page[LcView]:
    """Credits the caller is a party to (applicant, beneficiary, issuing, advising, confirming or available-with
    bank), a second beneficiary or the assignee of (a bank: also its clients'; an auditor: all), by credit id."""
    items = service.list_credits(platform, principal.member, principal.kind, int(cursor) if cursor else None, limit)
    return Page(items=items, next_cursor=items[-1].lc_id if len(items) == limit else None)


@router.get("/lcs/reimbursement-claims", responses=ERROR_RESPONSES)
def list_reimbursement_claims(
    platform: PlatformDep, principal: PrincipalDep,
    state: Annotated[str | None, Query(pattern="^(OPEN|SETTLED)$", description="only claims in this state")] = None,
    limit: Limit = 50, cursor: Cursor = None,
) -> Page[ReimbursementClaimView]:  # fmt: skip
    """The issuing banks' reimbursement claims on applicants the caller is creditor or debtor of (a bank: also its
    clients'; an auditor: all), by claim id."""
    wanted = None if state is None else ClaimState[state]
    after = int(cursor) if cursor else None
    items = service.list_claims(platform, principal.member, principal.kind, wanted, after, limit)
    return Page(items=items, next_cursor=items[-1].claim_id if len(items) == limit else None)


@router.get("/lcs/reimbursement-claims/{claim_id}", responses={**NOT_FOUND_RESPONSE, **ERROR_RESPONSES})
def get_reimbursement_claim(
    claim_id: ObjectId, platform: PlatformDep, principal: PrincipalDep
) -> ReimbursementClaimView:
    """One reimbursement claim: its credit and drawing, both parties, the amount and whether it was settled."""
    return service.claim_view(platform, principal.member, principal.kind, claim_id)


@router.get("/lcs/{lc_id}", responses={**NOT_FOUND_RESPONSE, **ERROR_RESPONSES})
def get_credit(lc_id: ObjectId, platform: PlatformDep, principal: PrincipalDep) -> LcView:
    """One credit with its amendments, presentations and verified off-chain terms."""
    return service.credit_view(platform, principal.member, principal.kind, lc_id)


LC_STEP_DOCS = {
    "issue": "The issuing bank issues the credit (MT700); it is irrevocable from now on (Art 3, 7).",
    "decline": "The issuing bank declines the application.",
    "withdraw": "The applicant withdraws its application before issue.",
    "advise": "The advising bank advises the credit to the beneficiary (MT710/730).",
    "confirm": "The confirming bank adds its confirmation (Art 8).",
    "cancel": "Issuer, confirmer and beneficiary each consent; the credit is cancelled when all have (Art 10a).",
    "expire": "Mark a credit expired once its last presentation day has passed (Art 6, 29).",
    "close": "The issuing bank closes a fully drawn or expired credit with nothing open.",
}


BANK_ONLY = frozenset(
    {"issue", "decline", "advise", "confirm", "close", "honour", "return-documents", "reimburse-nominated-bank"}
)


def _lc_step(step: str) -> Callable[..., HeldResult]:
    def endpoint(
        lc_id: ObjectId, platform: PlatformDep, principal: PrincipalDep, response: Response, prefer: PreferHeader = None
    ) -> HeldResult:
        if step in BANK_ONLY:
            require_kind(principal.kind, MemberKind.BANK, action=f"{step} a credit")
        stepped = service.run_step(
            platform, principal.member, principal.kind, lc_id, step, submission(prefer, actor=principal.actor())
        )
        return held_answer(stepped, response)

    return endpoint


for _step, _doc in LC_STEP_DOCS.items():
    router.add_api_route(
        f"/lcs/{{lc_id}}/{_step}",
        _lc_step(_step),
        methods=["POST"],
        name=f"{_step}_credit",
        summary=_doc.split(";")[0],
        description=_doc,
        responses=WRITE_RESPONSES,
        response_model=HeldResult,
    )


@router.post("/lcs/{lc_id}/amendments", responses=WRITE_RESPONSES)
def issue_amendment(
    lc_id: ObjectId, body: AmendmentRequest, platform: PlatformDep, principal: PrincipalDep, response: Response,
    prefer: PreferHeader = None,
) -> HeldResult:  # fmt: skip
    """The issuing bank issues an amendment (MT707); it binds the bank now and the credit only once accepted."""
    require_kind(principal.kind, MemberKind.BANK, action="issue amendments")
    amended = service.issue_amendment(
        platform, principal.member, principal.kind, lc_id, body, submission(prefer, actor=principal.actor())
    )
    return held_answer(amended, response)


@router.post("/lcs/{lc_id}/amendments/{amendment_id}/accept", responses=WRITE_RESPONSES)
def accept_amendment(
    lc_id: ObjectId,
    amendment_id: ObjectId,
    body: AcceptAmendmentRequest,
    platform: PlatformDep,
    principal: PrincipalDep,
    response: Response,
    prefer: PreferHeader = None,
) -> LcResult:
    """The beneficiary accepts an amendment: all of it, or it is a rejection (Art 10e)."""
    accepted = service.accept_amendment(
        platform, principal.member, principal.kind, lc_id, amendment_id, body, submission(prefer)
    )
    return answer(accepted, response)


@router.post("/lcs/{lc_id}/amendments/{amendment_id}/reject", responses=WRITE_RESPONSES)
def reject_amendment(
    lc_id: ObjectId, amendment_id: ObjectId, platform: PlatformDep, principal: PrincipalDep, response: Response,
    prefer: PreferHeader = None,
) -> LcResult:  # fmt: skip
    """The beneficiary rejects an amendment; the credit keeps its terms."""
    rejected = service.reject_amendment(
        platform, principal.member, principal.kind, lc_id, amendment_id, submission(prefer)
    )
    return answer(rejected, response)


@router.post("/lcs/{lc_id}/amendments/{amendment_id}/advise", responses=WRITE_RESPONSES)
def advise_amendment(
    lc_id: ObjectId, amendment_id: ObjectId, platform: PlatformDep, principal: PrincipalDep, response: Response,
    prefer: PreferHeader = None,
) -> LcResult:  # fmt: skip
    """The advising bank advises an amendment to the beneficiary (Art 9d)."""
    require_kind(principal.kind, MemberKind.BANK, action="advise amendments")
    advised = service.advise_amendment(
        platform, principal.member, principal.kind, lc_id, amendment_id, submission(prefer)
    )
    return answer(advised, response)


@router.post("/lcs/{lc_id}/amendments/{amendment_id}/confirmation", responses=WRITE_RESPONSES)
def decide_amendment_confirmation(
    lc_id: ObjectId, amendment_id: ObjectId, body: AmendmentConfirmationRequest, platform: PlatformDep,
    principal: PrincipalDep, response: Response, prefer: PreferHeader = None,
) -> LcResult:  # fmt: skip
    """The confirming bank extends its confirmation to an amendment, or declines and says so (Art 10b)."""
    require_kind(principal.kind, MemberKind.BANK, action="decide on confirming amendments")
    decided = service.decide_amendment_confirmation(
        platform, principal.member, principal.kind, lc_id, amendment_id, body, submission(prefer)
    )
    return answer(decided, response)


@router.post("/lcs/{lc_id}/amendments/{amendment_id}/presentations", responses=WRITE_RESPONSES)
def present_under_amendment(
    lc_id: ObjectId, amendment_id: ObjectId, body: PresentationRequest, platform: PlatformDep,
    principal: PrincipalDep, response: Response, prefer: PreferHeader = None,
) -> LcResult:  # fmt: skip
    """The beneficiary presents documents complying with the credit and a pending amendment: the presentation
    accepts the amendment, which amends the credit at that moment (Art 10c)."""
    presented = service.present(
        platform, principal.member, principal.kind, lc_id, body, submission(prefer), amendment_id=amendment_id
    )
    return answer(presented, response)


@router.post("/lcs/{lc_id}/presentations", responses=WRITE_RESPONSES)
def present_documents(
    lc_id: ObjectId, body: PresentationRequest, platform: PlatformDep, principal: PrincipalDep, response: Response,
    prefer: PreferHeader = None,
) -> LcResult:  # fmt: skip
    """The beneficiary presents documents (fingerprinted; re-use under another credit is flagged) for a drawing."""
    presented = service.present(platform, principal.member, principal.kind, lc_id, body, submission(prefer))
    return answer(presented, response)


@router.post("/lcs/{lc_id}/presentations/{presentation_id}/refuse", responses=WRITE_RESPONSES)
def refuse_presentation(
    lc_id: ObjectId, presentation_id: ObjectId, body: RefusalRequest, platform: PlatformDep, principal: PrincipalDep,
    response: Response, prefer: PreferHeader = None,
) -> LcResult:  # fmt: skip
    """The issuing bank refuses a discrepant presentation: one notice, every discrepancy, the disposition (Art 16)."""
    require_kind(principal.kind, MemberKind.BANK, action="refuse presentations")
    refused = service.refuse(
        platform, principal.member, principal.kind, lc_id, presentation_id, body, submission(prefer)
    )
    return answer(refused, response)


PRESENTATION_STEP_DOCS = {
    "honour": (
        "The issuing bank honours a presentation; the beneficiary is paid and the applicant debited at once. A "
        "nominated bank (the available-with or the confirming bank) may honour instead: it pays and forwards the "
        "documents, and the issuing bank owes it reimbursement (Art 7c, 8, 12)."
    ),
    "reimburse-nominated-bank": (
        "The issuing bank reimburses the nominated bank that honoured; the applicant is debited then (Art 7c). After "
        "the issuing bank's own 5 banking days the nominated bank may collect it itself (Art 16f)."
    ),
    "pay-at-maturity": (
        "The bank that honoured a deferred payment or acceptance credit pays its undertaking at maturity; from the "
        "maturity date the beneficiary may collect it itself (Art 7a). The service's scheduler submits it on the day: "
        "it was committed when the honour was approved, so it needs no new approval."
    ),
    "honour-default": (
        "The issuing bank honours an undertaking a nominated bank incurred (deferred payment, acceptance, usance "
        "negotiation) and did not pay by the end of its maturity day; the beneficiary may claim it itself (Art 7a iii, "
        "iv). The nominated bank's reimbursement claim lapses and the applicant reimburses the issuing bank. The "
        "service's scheduler submits it the day after maturity."
    ),
    "waive": "The applicant waives the discrepancies of a refused presentation (Art 16b).",
    "return-documents": "The issuing bank returns the documents of a refused presentation.",
    "enforce-preclusion": "After the examination deadline the bank can no longer refuse: force honour (Art 16f).",
}


def _presentation_step(step: str) -> Callable[..., HeldResult]:
    def endpoint(
        lc_id: ObjectId, presentation_id: ObjectId, platform: PlatformDep, principal: PrincipalDep, response: Response,
        prefer: PreferHeader = None,
    ) -> HeldResult:  # fmt: skip
        if step in BANK_ONLY:
            require_kind(principal.kind, MemberKind.BANK, action=f"{step} presentations")
        stepped = service.presentation_step(
            platform, principal.member, principal.kind, lc_id, presentation_id, step,
            submission(prefer, actor=principal.actor()),
        )  # fmt: skip
        return held_answer(stepped, response)

    return endpoint


for _step, _doc in PRESENTATION_STEP_DOCS.items():
    router.add_api_route(
        f"/lcs/{{lc_id}}/presentations/{{presentation_id}}/{_step}", _presentation_step(_step), methods=["POST"],
        name=f"{_step.replace('-', '_')}_presentation", summary=_doc.split(";")[0].split(":")[0], description=_doc,
        responses=WRITE_RESPONSES, response_model=HeldResult,
    )  # fmt: skip


@router.post("/lcs/{lc_id}/presentations/{presentation_id}/prepay", responses=WRITE_RESPONSES)
def prepay_presentation(
    lc_id: ObjectId, presentation_id: ObjectId, body: PrepaymentRequest, platform: PlatformDep,
    principal: PrincipalDep, response: Response, prefer: PreferHeader = None,
) -> HeldResult:  # fmt: skip
    """The nominated bank prepays its deferred undertaking before maturity, less its discount (Art 12b).

    The issuing bank reimburses it the full amount at maturity, not earlier (Art 7c). Held for approval when a policy
    of the bank covers `lc.prepay`.
    """
    require_kind(principal.kind, MemberKind.BANK, action="prepay deferred undertakings")
    prepaid = service.prepay(
        platform, principal.member, principal.kind, lc_id, presentation_id, body,
        submission(prefer, actor=principal.actor()),
    )  # fmt: skip
    return held_answer(prepaid, response)


@router.post("/lcs/{lc_id}/presentations/{presentation_id}/refuse-reimbursement", responses=WRITE_RESPONSES)
def refuse_reimbursement(
    lc_id: ObjectId, presentation_id: ObjectId, body: ReimbursementRefusalRequest, platform: PlatformDep,
    principal: PrincipalDep, response: Response, prefer: PreferHeader = None,
) -> LcResult:  # fmt: skip
    """The issuing bank refuses a nominated bank's forwarded documents, within its own 5 banking days (Art 16d)."""
    require_kind(principal.kind, MemberKind.BANK, action="refuse reimbursements")
    refused = service.refuse_reimbursement(
        platform, principal.member, principal.kind, lc_id, presentation_id, body, submission(prefer)
    )
    return answer(refused, response)


@router.post("/lcs/{lc_id}/transfers", responses=WRITE_RESPONSES)
def request_transfer(
    lc_id: ObjectId, body: TransferRequest, platform: PlatformDep, principal: PrincipalDep, response: Response,
    prefer: PreferHeader = None,
) -> LcResult:  # fmt: skip
    """The first beneficiary asks the transferring bank to transfer all or part of a transferable credit to a second
    beneficiary (Art 38b, 38d).

    The transferring bank is the credit's available-with bank. The transferred terms may only be reduced as Art 38(g)
    allows (amount, expiry, latest shipment, presentation period, checked on chain); the other terms stay off chain
    under their hash. A credit that does not state it is transferable is refused (409). On a deferred payment or
    acceptance credit the second beneficiary is paid its share when the undertaking is paid or prepaid.
    """
    requested = service.request_transfer(platform, principal.member, principal.kind, lc_id, body, submission(prefer))
    return answer(requested, response)


@router.post("/lcs/{lc_id}/transfers/{transfer_id}/decision", responses=WRITE_RESPONSES)
def decide_transfer(
    lc_id: ObjectId, transfer_id: ObjectId, body: TransferDecisionRequest, platform: PlatformDep,
    principal: PrincipalDep, response: Response, prefer: PreferHeader = None,
) -> HeldResult:  # fmt: skip
    """The transferring bank consents to a transfer or declines it (Art 38a).

    Its consent commits it to the extent of the transferred amount: held for approval (202 with the request) when a
    policy of the bank covers `lc.transfer`. Once consented, the second beneficiary sees the credit and presents.
    """
    require_kind(principal.kind, MemberKind.BANK, action="decide on transfers")
    decided = service.decide_transfer(
        platform, principal.member, principal.kind, lc_id, transfer_id, body,
        submission(prefer, actor=principal.actor()),
    )  # fmt: skip
    return held_answer(decided, response)


@router.post("/lcs/{lc_id}/transfers/{transfer_id}/presentations", responses=WRITE_RESPONSES)
def present_transferred(
    lc_id: ObjectId, transfer_id: ObjectId, body: TransferredPresentationRequest, platform: PlatformDep,
    principal: PrincipalDep, response: Response, prefer: PreferHeader = None,
) -> LcResult:  # fmt: skip
    """The second beneficiary presents its documents to the transferring bank under the transferred credit (38k).

    The presentation must comply with the transferred terms; it becomes a presentation under the credit when the
    first beneficiary substitutes its invoice (38h) or the transferring bank forwards it as presented (38i).
    """
    presented = service.present_transferred(
        platform, principal.member, principal.kind, lc_id, transfer_id, body, submission(prefer)
    )
    return answer(presented, response)


@router.post(
    "/lcs/{lc_id}/transferred-presentations/{transferred_presentation_id}/substitution", responses=WRITE_RESPONSES
)
def substitute_invoice(
    lc_id: ObjectId, transferred_presentation_id: ObjectId, body: SubstitutionRequest, platform: PlatformDep,
    principal: PrincipalDep, response: Response, prefer: PreferHeader = None,
) -> LcResult:  # fmt: skip
    """The first beneficiary substitutes its invoice (and draft) for the second beneficiary's (Art 38h).

    The documents are presented under the credit for the first beneficiary's invoice amount, at least the second's:
    at honour the second beneficiary is paid its invoice amount and the first beneficiary the difference.
    """
    substituted = service.substitute_invoice(
        platform, principal.member, principal.kind, lc_id, transferred_presentation_id, body, submission(prefer)
    )
    return answer(substituted, response)


TRANSFERRED_STEP_DOCS = {
    "demand-substitution": (
        "The transferring bank demands that the first beneficiary substitute its invoice; it has until the end of the "
        "next banking day (Art 38i)."
    ),
    "forward": (
        "The first beneficiary failed to substitute on demand: the transferring bank forwards the second "
        "beneficiary's documents as presented, and all of that drawing goes to the second beneficiary (Art 38i)."
    ),
}


def _transferred_step(step: str) -> Callable[..., LcResult]:
    def endpoint(
        lc_id: ObjectId, transferred_presentation_id: ObjectId, platform: PlatformDep, principal: PrincipalDep,
        response: Response, prefer: PreferHeader = None,
    ) -> LcResult:  # fmt: skip
        require_kind(principal.kind, MemberKind.BANK, action=f"{step} transferred presentations")
        stepped = service.transferred_step(
            platform, principal.member, principal.kind, lc_id, transferred_presentation_id, step, submission(prefer)
        )
        return answer(stepped, response)

    return endpoint


for _step, _doc in TRANSFERRED_STEP_DOCS.items():
    router.add_api_route(
        f"/lcs/{{lc_id}}/transferred-presentations/{{transferred_presentation_id}}/{_step}", _transferred_step(_step),
        methods=["POST"], name=f"{_step.replace('-', '_')}_transferred_presentation",
        summary=_doc.split(";")[0].split(":")[0], description=_doc, responses=WRITE_RESPONSES, response_model=LcResult,
    )  # fmt: skip


@router.post("/lcs/{lc_id}/proceeds-assignment", responses=WRITE_RESPONSES)
def assign_proceeds(
    lc_id: ObjectId, body: ProceedsAssignmentRequest, platform: PlatformDep, principal: PrincipalDep,
    response: Response, prefer: PreferHeader = None,
) -> LcResult:  # fmt: skip
    """The beneficiary assigns a share of the proceeds it is or may become entitled to (Art 39).

    The right to present stays with the beneficiary. At each honour the assigned share of what the beneficiary
    receives is paid to the assignee in the same transaction. Refused under a deferred payment or acceptance credit.
    """
    assigned = service.assign_proceeds(platform, principal.member, principal.kind, lc_id, body, submission(prefer))
    return answer(assigned, response)


@router.post("/lcs/reimbursement-claims/{claim_id}/settle", responses=WRITE_RESPONSES)
def settle_reimbursement_claim(
    claim_id: ObjectId, platform: PlatformDep, principal: PrincipalDep, response: Response, prefer: PreferHeader = None
) -> HeldResult:
    """The applicant pays the issuing bank's open reimbursement claim; held for approval (202 with the request) when
    a policy of its member covers the claim's amount (`lc.settle_claim`)."""
    settled = service.settle_claim(
        platform, principal.member, principal.kind, claim_id, submission(prefer, actor=principal.actor())
    )
    return held_answer(settled, response)


@router.post("/lcs/holidays", responses={**ASYNC_RESPONSE, **ERROR_RESPONSES})
def set_holidays(
    body: HolidaysRequest,
    platform: PlatformDep,
    principal: PrincipalDep,
    response: Response,
    prefer: PreferHeader = None,
) -> TransactionView:
    """A bank registers the days it is closed; its examination deadlines skip them (Art 14b, 29a)."""
    require_kind(principal.kind, MemberKind.BANK, action="register holidays")
    registered = service.set_holidays(platform, principal.member, body.dates, body.closed, submission(prefer))
    return operation_answer(registered, response)
