"""Open-account trade: invoices on the ledger with their match reports, and bank payment undertakings
(URBPO 750). The seller issues invoices, the buyer records data matches and the obligor bank accepts
mismatches here; undertakings and discounts are made on the PaymentUndertakings contract directly for now; the
read model shows them all."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from tradeledger.api.auth import PlatformDep, PrincipalDep
from tradeledger.api.idempotency import IdempotentRoute
from tradeledger.api.pagination import Cursor, Limit, ObjectId, Page
from tradeledger.api.problems import ASYNC_RESPONSE, ERROR_RESPONSES, NOT_FOUND_RESPONSE
from tradeledger.api.schemas import TransactionView
from tradeledger.api.writes import PreferHeader, answer, submission
from tradeledger.codec import ADDRESS_PATTERN
from tradeledger.invoices import service as invoices
from tradeledger.invoices.schemas import InvoiceRequest, InvoiceView, MatchRequest
from tradeledger.members.models import MemberKind
from tradeledger.members.service import require_kind
from tradeledger.undertakings import service as undertakings
from tradeledger.undertakings.models import UndertakingState
from tradeledger.undertakings.schemas import PaymentUndertakingView

router = APIRouter(tags=["open account"], route_class=IdempotentRoute)
OrderFilter = Annotated[int | None, Query(ge=0, lt=2**256, description="only those of this order (its on-chain id)")]
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


@router.post(
    "/payment-undertakings/{undertaking_id}/accept-mismatch",
    responses={**ASYNC_RESPONSE, **NOT_FOUND_RESPONSE, **ERROR_RESPONSES},
)
def accept_mismatch(
    undertaking_id: ObjectId, platform: PlatformDep, principal: PrincipalDep, response: Response,
    prefer: PreferHeader = None,
) -> PaymentUndertakingView | TransactionView:  # fmt: skip
    """The obligor bank accepts the data mismatch of the order's invoice in force (URBPO 750), naming the report's
    hash the read model holds: the undertaking then settles on its due date as if the data had matched."""
    require_kind(principal.kind, MemberKind.BANK, action="accept a mismatch")
    accepted = undertakings.accept_mismatch(
        platform, principal.member, principal.kind, undertaking_id, submission(prefer)
    )
    return answer(accepted, response)
