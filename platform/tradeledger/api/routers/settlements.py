"""Accounts, balances and transfers on the settlement ledger."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Response

from tradeledger.api.auth import READER_SECURITY, DirectRead, PlatformDep, PrincipalDep, Reader, ReaderDep
from tradeledger.api.idempotency import IdempotentRoute
from tradeledger.api.pagination import AddressPath, Cursor, Limit, ObjectId, Page
from tradeledger.api.problems import ASYNC_RESPONSE, ERROR_RESPONSES, NOT_FOUND_RESPONSE
from tradeledger.api.schemas import TransactionView
from tradeledger.api.writes import PreferHeader, answer, held_answer, held_operation_answer, submission
from tradeledger.codec import ADDRESS_PATTERN
from tradeledger.settlements import service
from tradeledger.settlements.schemas import (
    AccountBalances,
    CashMovementRequest,
    ExternalPaymentRequest,
    ExternalPaymentView,
    TransferRequest,
)
from tradeledger.users.approvals import Held
from tradeledger.users.schemas import RequestView

router = APIRouter(tags=["settlements"], route_class=IdempotentRoute)


@router.post("/settlements/transfers", responses={**ASYNC_RESPONSE, **ERROR_RESPONSES})
async def create_transfer(
    body: TransferRequest,
    platform: PlatformDep,
    principal: PrincipalDep,
    response: Response,
    prefer: PreferHeader = None,
) -> TransactionView | RequestView:
    """Move money from the caller's own account to another member's account (held for approval above a policy's
    threshold)."""
    moved = await service.transfer_settled(
        platform, principal.member, body, submission(prefer, actor=principal.actor())
    )
    return held_operation_answer(moved, response)


def _cash_endpoint(movement: str) -> Callable[..., TransactionView | RequestView]:
    def endpoint(
        address: AddressPath,
        body: CashMovementRequest,
        platform: PlatformDep,
        principal: PrincipalDep,
        response: Response,
        prefer: PreferHeader = None,
    ) -> TransactionView | RequestView:
        moved = service.move_cash(
            platform, principal.member, principal.kind, address, movement, body,
            submission(prefer, actor=principal.actor()),
        )  # fmt: skip
        return held_operation_answer(moved, response)

    return endpoint


CASH_DOCS = {
    "deposits": "Credit an account with fiat received off chain: the settlement agent credits banks, a sponsor "
    "bank its traders.",
    "withdrawals": "Debit an account for fiat paid out off chain (the same issuers).",
}
for _movement, _doc in CASH_DOCS.items():
    router.add_api_route(
        f"/accounts/{{address}}/{_movement}",
        _cash_endpoint(_movement),
        methods=["POST"],
        name=f"account_{_movement}",
        summary=_doc.split(":")[0].split(" (")[0],
        description=_doc,
        responses={**ASYNC_RESPONSE, **NOT_FOUND_RESPONSE, **ERROR_RESPONSES},
        response_model=TransactionView | RequestView,
    )


@router.get(
    "/accounts/{address}/balances",
    response_model=AccountBalances,
    responses={**NOT_FOUND_RESPONSE, **ERROR_RESPONSES},
    openapi_extra=READER_SECURITY,
)
async def get_balances(address: AddressPath, reader: ReaderDep) -> Response:
    """Balances of an account, per currency, in exact minor units."""
    return await _balances(reader, address)


async def _balances(reader: Reader, address: str) -> Response:
    return await reader.answer_with(service.balance_rows(address), service.balances, address)


def direct_reads(prefix: str) -> list[DirectRead]:
    """`get_balances` in its usual shape, answered without FastAPI's request handling (api.app puts it first)."""
    return [DirectRead(prefix + "/accounts/{address}/balances", ADDRESS_PATTERN, _balances, "get_balances_direct")]


@router.post("/settlements/external-payments", status_code=201, responses={**ASYNC_RESPONSE, **ERROR_RESPONSES})
def record_external_payment(
    body: ExternalPaymentRequest,
    platform: PlatformDep,
    principal: PrincipalDep,
    response: Response,
    prefer: PreferHeader = None,
) -> ExternalPaymentView | TransactionView | RequestView:
    """The payer records a payment made on an outside rail; it is a break until the payee confirms it (held for
    approval above a policy's threshold)."""
    recorded = service.record_external_payment(
        platform, principal.member, principal.kind, body, submission(prefer, actor=principal.actor())
    )
    if isinstance(recorded, Held):
        return held_answer(recorded, response)
    return answer(recorded, response, lambda view: f"/v1/settlements/external-payments/{view.payment_id}")


@router.get("/settlements/external-payments", responses=ERROR_RESPONSES)
def list_external_payments(
    platform: PlatformDep, principal: PrincipalDep, limit: Limit = 50, cursor: Cursor = None
) -> Page[ExternalPaymentView]:
    """External payments the caller paid or receives (a bank: also its clients'; an auditor: all)."""
    after = int(cursor) if cursor else None
    items = service.list_external_payments(platform, principal.member, principal.kind, after, limit)
    return Page(items=items, next_cursor=items[-1].payment_id if len(items) == limit else None)


@router.get("/settlements/external-payments/{payment_id}", responses={**NOT_FOUND_RESPONSE, **ERROR_RESPONSES})
def get_external_payment(payment_id: ObjectId, platform: PlatformDep, principal: PrincipalDep) -> ExternalPaymentView:
    """One external payment."""
    return service.payment_view(platform, principal.member, principal.kind, payment_id)


def _payment_step(step: str) -> Callable[..., ExternalPaymentView | TransactionView]:
    def endpoint(
        payment_id: ObjectId,
        platform: PlatformDep,
        principal: PrincipalDep,
        response: Response,
        prefer: PreferHeader = None,
    ) -> ExternalPaymentView | TransactionView:
        stepped = service.external_payment_step(
            platform, principal.member, principal.kind, payment_id, step, submission(prefer)
        )
        return answer(stepped, response)

    return endpoint


for _step in service.EXTERNAL_PAYMENT_STEPS:
    router.add_api_route(
        f"/settlements/external-payments/{{payment_id}}/{_step}",
        _payment_step(_step),
        methods=["POST"],
        name=f"{_step}_external_payment",
        summary=f"The payee {_step}s that the external payment arrived.",
        responses={**ASYNC_RESPONSE, **NOT_FOUND_RESPONSE, **ERROR_RESPONSES},
        response_model=ExternalPaymentView | TransactionView,
    )
