"""The one write path of every resource: submit through the transaction manager, answer after indexing.

`Prefer: respond-async` answers 202 at once with the operation URL in `Location`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import Header, Response, status
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from tradeledger.api.schemas import TransactionView
from tradeledger.chain.txmanager import ContractCall
from tradeledger.runtime import Platform
from tradeledger.store.models import ChainTransaction

ViewT = TypeVar("ViewT")
PreferHeader = Annotated[
    str | None, Header(description="`respond-async`: answer 202 at once with the operation URL in Location")
]


async def submit_write(
    platform: Platform,
    call: ContractCall,
    prefer: str | None,
    response: Response,
    business: Callable[[Session], None] | None = None,
) -> ChainTransaction:
    respond_async = prefer is not None and "respond-async" in prefer.lower()
    row = await run_in_threadpool(platform.execute, call, respond_async=respond_async, business=business)
    if respond_async:
        response.status_code = status.HTTP_202_ACCEPTED
        response.headers["Location"] = f"/v1/transactions/{row.id}"
    return row


async def write_then_view(
    platform: Platform,
    call: ContractCall,
    prefer: str | None,
    response: Response,
    view: Callable[[ChainTransaction], ViewT],
    business: Callable[[Session], None] | None = None,
) -> ViewT | TransactionView:
    """Submit, then answer with the object as the read model shows it (or the operation when asynchronous)."""
    row = await submit_write(platform, call, prefer, response, business)
    if response.status_code == status.HTTP_202_ACCEPTED:
        return TransactionView.of(row)
    return await run_in_threadpool(view, row)
