"""Status of a submitted chain transaction (the operation URL of asynchronous writes)."""

from __future__ import annotations

from fastapi import APIRouter

from tradeledger.api.auth import PlatformDep, PrincipalDep
from tradeledger.api.idempotency import IdempotentRoute
from tradeledger.api.problems import ERROR_RESPONSES, NOT_FOUND_RESPONSE
from tradeledger.api.schemas import TransactionView
from tradeledger.operations import transaction_view

router = APIRouter(tags=["transactions"], route_class=IdempotentRoute)


@router.get("/transactions/{transaction_id}", responses={**NOT_FOUND_RESPONSE, **ERROR_RESPONSES})
def get_transaction(transaction_id: str, platform: PlatformDep, principal: PrincipalDep) -> TransactionView:
    """Where a submitted transaction stands: signed, sent, mined, reverted or failed."""
    return TransactionView.of(transaction_view(platform, principal.member, principal.kind, transaction_id))
