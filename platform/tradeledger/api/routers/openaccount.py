"""Open-account trade: invoices on the ledger with their match reports, and bank payment undertakings
(URBPO 750). The seller issues and corrects invoices, the buyer records data matches, the buyer's bank establishes
the undertaking and accepts mismatches, and a financier discounts it; the scheduler settles it on its due date."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from tradeledger.api.auth import PlatformDep, PrincipalDep
from tradeledger.api.idempotency import IdempotentRoute
from tradeledger.api.pagination import Cursor, Limit, ObjectId, Page
from tradeledger.api.problems import ASYNC_RESPONSE, ERROR_RESPONSES, NOT_FOUND_RESPONSE
from tradeledger.api.schemas import TransactionView
from tradeledger.api.writes import PreferHeader, answer, held_answer, submission
from tradeledger.codec import ADDRESS_PATTERN
from tradeledger.invoices import service as invoices
from tradeledger.invoices.schemas import InvoiceCorrectionRequest, InvoiceRequest, InvoiceView, MatchRequest
from tradeledger.members.models import MemberKind
from tradeledger.members.service import require_kind
from tradeledger.undertakings import service as undertakings
from tradeledger.undertakings.models import UndertakingState
from tradeledger.undertakings.schemas import DiscountRequest, DiscountView, EstablishRequest, PaymentUndertakingView
from tradeledger.users.schemas import RequestView

router = APIRouter(tags=["open account"], route_class=IdempotentRoute)
OrderFilter = Annotated[int | None, Query(ge=0, lt=2**256, description="only those of this order (its on-chain id)")]
WRITE_RESPONSES = {**ASYNC_RESPONSE, **NOT_FOUND_RESPONSE, **ERROR_RESPONSES}
StateName = Annotated[str | None, Query(pattern="^(ESTABLISHED|SETTLED|EXPIRED)$", description="only in this state")]


@router.post("/invoices", status_code=201, responses={**ASYNC_RESPONSE, **NOT_FOUND_RESPONSE, **ERROR_RESPONSES})
def issue_invoice(
    body: InvoiceRequest, platform: PlatformDep, principal: PrincipalDep, response: Response,
    prefer: PreferHeader = None,
) -> InvoiceView | TransactionView:  # fmt: skip
    """The seller invoices an accepted open-account order: the full invoice stays off chain under its hash; the
    amount, total quantity, lines' hash and issue date go on chain for the buyer's data match."""
    issued = invoices.issue(platform, principal.member, principal.kind, body, submission(prefer))
    return answer(issued, response, lambda view: f"/v1/invoices/{view.invoice_id}")


@router.get("/invoices", responses=ERROR_RESPONSES)
def list_invoices(
    platform: PlatformDep, principal: PrincipalDep, order_id: OrderFilter = None,
    account: Annotated[str | None, Query(pattern=ADDRESS_PATTERN, description="only with this seller or buyer")] = None,
    limit: Limit = 50, cursor: Cursor = None,
) -> Page[InvoiceView]:  # fmt: skip
    """Invoice versions the caller is a party to: as seller or buyer, as a bank or payee of an undertaking on the
    order (a bank: also its clients'; an auditor: all)."""
    after = int(cursor) if cursor else None
    items = invoices.list_invoices(platform, principal.member, principal.kind, order_id, account, after, limit)
    return Page(items=items, next_cursor=items[-1].invoice_id if len(items) == limit else None)


@router.get("/invoices/{invoice_id}", responses={**NOT_FOUND_RESPONSE, **ERROR_RESPONSES})
def get_invoice(invoice_id: ObjectId, platform: PlatformDep, principal: PrincipalDep) -> InvoiceView:
    """One invoice version with its match report: the outcome and the hash anchored on chain, and every field
    compared with every mismatch when the report is held off chain under that hash."""
    return invoices.invoice_view(platform, principal.member, principal.kind, invoice_id)


@router.post("/invoices/{invoice_id}/match", responses={**ASYNC_RESPONSE, **NOT_FOUND_RESPONSE, **ERROR_RESPONSES})
def record_match(
    invoice_id: ObjectId, body: MatchRequest, platform: PlatformDep, principal: PrincipalDep, response: Response,
    prefer: PreferHeader = None,
) -> InvoiceView | TransactionView:  # fmt: skip
    """The buyer matches an issued invoice against its order's stated lines and tolerances and the transport or
    delivery evidence: every comparison goes in the report, kept off chain; the outcome (a mismatch too) and the
    report's SHA-256 go on chain. A mismatch is then accepted by the obligor bank or corrected by a new version."""
    matched = invoices.record_match(platform, principal.member, principal.kind, invoice_id, body, submission(prefer))
    return answer(matched, response)


@router.post(
    "/invoices/{invoice_id}/corrections", status_code=201, responses=WRITE_RESPONSES,
    summary="Correct an invoice by a new version",
)  # fmt: skip
def correct_invoice(
    invoice_id: ObjectId, body: InvoiceCorrectionRequest, platform: PlatformDep, principal: PrincipalDep,
    response: Response, prefer: PreferHeader = None,
) -> InvoiceView | TransactionView:  # fmt: skip
    """The seller corrects an ISSUED or MISMATCHED invoice by a new version of the same order: the old version is
    SUPERSEDED, the new one (version + 1) is ISSUED and the buyer records its data match again. A mismatch is thus
    either corrected here or accepted by the obligor bank."""
    corrected = invoices.correct(platform, principal.member, principal.kind, invoice_id, body, submission(prefer))
    return answer(corrected, response, lambda view: f"/v1/invoices/{view.invoice_id}")


@router.post(
    "/payment-undertakings", status_code=201, responses=WRITE_RESPONSES,
    summary="Establish a bank payment undertaking",
)  # fmt: skip
def establish_payment_undertaking(
    body: EstablishRequest, platform: PlatformDep, principal: PrincipalDep, response: Response,
    prefer: PreferHeader = None,
) -> PaymentUndertakingView | TransactionView | RequestView:  # fmt: skip
    """The buyer's bank (obligor) irrevocably undertakes to pay the seller's bank `amount` in the order's currency on
    the due date, provided the order's data match (or the obligor accepts the mismatch) by the expiry (URBPO 750);
    the terms stay off chain under their hash. Only the buyer's sponsor bank, on an accepted open-account order
    without a live undertaking; 202 with the approval request when a policy of the bank holds it for approval."""
    require_kind(principal.kind, MemberKind.BANK, action="establish a payment undertaking")
    established = undertakings.establish(
        platform, principal.member, principal.kind, body, submission(prefer, actor=principal.actor())
    )
    if isinstance(established, PaymentUndertakingView):
        response.headers["Location"] = f"/v1/payment-undertakings/{established.undertaking_id}"
    return held_answer(established, response)


@router.post(
    "/payment-undertakings/{undertaking_id}/discounts", responses=WRITE_RESPONSES,
    summary="Discount a payment undertaking (receivables discounting)",
)  # fmt: skip
def discount_payment_undertaking(
    undertaking_id: ObjectId, body: DiscountRequest, platform: PlatformDep, principal: PrincipalDep,
    response: Response, prefer: PreferHeader = None,
) -> DiscountView | TransactionView | RequestView:  # fmt: skip
    """A bank (the recipient bank or another member) pays the seller early: the undertaking's amount less the
    discount of face x rate x days / basis (ACT/360 or ACT/365, days from today to the due date, rounded half up)
    as a financing of the seller's invoice it registered in the document registry (a second financing of that
    invoice is refused anywhere in the consortium); the undertaking's proceeds then go to it at maturity. 409
    names what stands in the way before anything is paid; 202 with the approval request when a policy of the bank
    holds it for approval (the advance is the amount its policy compares)."""
    require_kind(principal.kind, MemberKind.BANK, action="discount a payment undertaking")
    discounted = undertakings.discount_undertaking(
        platform, principal.member, principal.kind, undertaking_id, body, submission(prefer, actor=principal.actor())
    )
    return held_answer(discounted, response)


@router.get("/payment-undertakings", responses=ERROR_RESPONSES)
def list_payment_undertakings(
    platform: PlatformDep, principal: PrincipalDep, order_id: OrderFilter = None, state: StateName = None,
    limit: Limit = 50, cursor: Cursor = None,
) -> Page[PaymentUndertakingView]:  # fmt: skip
    """Bank payment undertakings the caller is a party to: obligor or recipient bank, buyer, seller or the
    financier it was discounted to (a bank: also its clients'; an auditor: all)."""
    after = int(cursor) if cursor else None
    wanted = None if state is None else UndertakingState[state]
    items = undertakings.list_undertakings(platform, principal.member, principal.kind, wanted, order_id, after, limit)
    return Page(items=items, next_cursor=items[-1].undertaking_id if len(items) == limit else None)


@router.get("/payment-undertakings/{undertaking_id}", responses={**NOT_FOUND_RESPONSE, **ERROR_RESPONSES})
def get_payment_undertaking(
    undertaking_id: ObjectId, platform: PlatformDep, principal: PrincipalDep
) -> PaymentUndertakingView:
    """One bank payment undertaking: its amount, due date and expiry, a pending amendment awaiting the other bank's
    consent, the accepted mismatch and the settlement's ledger entries."""
    return undertakings.undertaking_view(platform, principal.member, principal.kind, undertaking_id)


@router.post("/payment-undertakings/{undertaking_id}/accept-mismatch", responses=WRITE_RESPONSES)
def accept_mismatch(
    undertaking_id: ObjectId, platform: PlatformDep, principal: PrincipalDep, response: Response,
    prefer: PreferHeader = None,
) -> PaymentUndertakingView | TransactionView | RequestView:  # fmt: skip
    """The obligor bank accepts the data mismatch of the order's invoice in force (URBPO 750), naming the report's
    hash the read model holds: the undertaking then settles on its due date as if the data had matched. 202 with
    the approval request when a policy of the bank holds it for approval (the undertaking's amount)."""
    require_kind(principal.kind, MemberKind.BANK, action="accept a mismatch")
    accepted = undertakings.accept_mismatch(
        platform, principal.member, principal.kind, undertaking_id, submission(prefer, actor=principal.actor())
    )
    return held_answer(accepted, response)
