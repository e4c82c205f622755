"""Accounts, balances and transfers on the settlement ledger."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Response
from starlette.concurrency import run_in_threadpool

from tradeledger.api.auth import PlatformDep, PrincipalDep
from tradeledger.api.idempotency import IdempotentRoute
from tradeledger.api.pagination import AddressPath, Cursor, Limit, ObjectId, Page
from tradeledger.api.problems import ASYNC_RESPONSE, ERROR_RESPONSES, NOT_FOUND_RESPONSE
from tradeledger.api.schemas import TransactionView
from tradeledger.api.writes import PreferHeader, submit_write, write_then_view
from tradeledger.indexer.queries import event_argument
from tradeledger.settlements import service
from tradeledger.settlements.schemas import (
    AccountBalances,
    Balance,
    CashMovementRequest,
    ExternalPaymentRequest,
    ExternalPaymentView,
    TransferRequest,
)
from tradeledger.store.models import ChainTransaction

router = APIRouter(tags=["settlements"], route_class=IdempotentRoute)


@router.post("/settlements/transfers", responses={**ASYNC_RESPONSE, **ERROR_RESPONSES})
async def create_transfer(
    body: TransferRequest,
    platform: PlatformDep,
    principal: PrincipalDep,
    response: Response,
    prefer: PreferHeader = None,
) -> TransactionView:
    """Move money from the caller's own account to another member's account."""
    call = service.transfer_call(platform.address("Settlement"), principal.member, body)
    return TransactionView.of(await submit_write(platform, call, prefer, response))


def _cash_endpoint(movement: str) -> Callable[..., Awaitable[TransactionView]]:
    async def endpoint(
        address: AddressPath,
        body: CashMovementRequest,
        platform: PlatformDep,
        principal: PrincipalDep,
        response: Response,
        prefer: PreferHeader = None,
    ) -> TransactionView:
        with platform.sessions() as db:
            account = service.visible_account(db, principal.member, principal.kind, address)
        call = service.cash_call(platform.address("Settlement"), principal.member, account, movement, body)
        return TransactionView.of(await submit_write(platform, call, prefer, response))

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
        response_model=TransactionView,
    )


@router.get("/accounts/{address}/balances", responses={**NOT_FOUND_RESPONSE, **ERROR_RESPONSES})
def get_balances(address: AddressPath, platform: PlatformDep, principal: PrincipalDep) -> AccountBalances:
    """Balances of an account, per currency, in exact minor units."""
    with platform.sessions() as db:
        rows = service.balances(db, principal.member, principal.kind, address)
    return AccountBalances(
        account=address,
        balances=[
            Balance(currency=r.currency, amount=str(r.balance), last_entry_id=str(r.last_entry_id)) for r in rows
        ],
    )


def _payment(platform: PlatformDep, principal: PrincipalDep, payment_id: ObjectId) -> ExternalPaymentView:
    with platform.sessions() as db:
        return service.external_payment_view(
            service.visible_external_payment(db, principal.member, principal.kind, payment_id)
        )


@router.post("/settlements/external-payments", status_code=201, responses={**ASYNC_RESPONSE, **ERROR_RESPONSES})
async def record_external_payment(
    body: ExternalPaymentRequest,
    platform: PlatformDep,
    principal: PrincipalDep,
    response: Response,
    prefer: PreferHeader = None,
) -> ExternalPaymentView | TransactionView:
    """The payer records a payment made on an outside rail; it is a break until the payee confirms it."""
    call = service.external_payment_call(platform.address("Settlement"), principal.member, body)

    def created(row: ChainTransaction) -> ExternalPaymentView:
        with platform.sessions() as db:
            payment_id = int(event_argument(db, row.tx_hash, "Settlement", "ExternalPaymentRecorded", "paymentId"))
        response.headers["Location"] = f"/v1/settlements/external-payments/{payment_id}"
        return _payment(platform, principal, payment_id)

    return await write_then_view(platform, call, prefer, response, created)


@router.get("/settlements/external-payments", responses=ERROR_RESPONSES)
def list_external_payments(
    platform: PlatformDep, principal: PrincipalDep, limit: Limit = 50, cursor: Cursor = None
) -> Page[ExternalPaymentView]:
    """External payments the caller paid or receives (a bank: also its clients'; an auditor: all)."""
    with platform.sessions() as db:
        payments = service.list_external_payments(
            db, principal.member, principal.kind, int(cursor) if cursor else None, limit
        )
        items = [service.external_payment_view(payment) for payment in payments]
    return Page(items=items, next_cursor=items[-1].payment_id if len(items) == limit else None)


@router.get("/settlements/external-payments/{payment_id}", responses={**NOT_FOUND_RESPONSE, **ERROR_RESPONSES})
def get_external_payment(payment_id: ObjectId, platform: PlatformDep, principal: PrincipalDep) -> ExternalPaymentView:
    """One external payment."""
    return _payment(platform, principal, payment_id)


def _payment_step(step: str) -> Callable[..., Awaitable[ExternalPaymentView | TransactionView]]:
    async def endpoint(
        payment_id: ObjectId,
        platform: PlatformDep,
        principal: PrincipalDep,
        response: Response,
        prefer: PreferHeader = None,
    ) -> ExternalPaymentView | TransactionView:
        await run_in_threadpool(_payment, platform, principal, payment_id)
        call = service.external_payment_step_call(platform.address("Settlement"), principal.member, payment_id, step)
        return await write_then_view(
            platform, call, prefer, response, lambda _: _payment(platform, principal, payment_id)
        )

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
