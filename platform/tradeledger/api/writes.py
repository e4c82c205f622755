"""How the API answers the one write path (tradeledger.operations): the domain command submits and reads back.

A write answers 202 with the operation URL in `Location` when the client sends `Prefer: respond-async`, and
when its block is not in the read model within the bound (`TRADELEDGER_WRITE_TIMEOUT_S`): never a silent
minute. That 202 answer is also what the request's idempotency record stores in the transaction that stores
the outbox row, so a retry after any crash gets it instead of running the request again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import Header, Response, status
from pydantic import BaseModel
from sqlalchemy.orm import Session

from tradeledger.api import idempotency
from tradeledger.api.schemas import TransactionView
from tradeledger.chain.txmanager import StoredHook
from tradeledger.operations import Pending, Submission, Written
from tradeledger.store.models import ChainTransaction
from tradeledger.users.access import Actor
from tradeledger.users.approvals import Held
from tradeledger.users.schemas import RequestView

ViewT = TypeVar("ViewT")
PreferHeader = Annotated[
    str | None, Header(description="`respond-async`: answer 202 at once with the operation URL in Location")
]


@dataclass(frozen=True)
class Accepted:
    """What a chain write answers before its block is in the read model: 202, a body and where to look."""

    body: BaseModel
    location: str

    def answer(self) -> idempotency.Answer:
        body = self.body.model_dump_json().encode()
        return idempotency.Answer(status.HTTP_202_ACCEPTED, body, location=self.location)


def operation(row: ChainTransaction) -> Accepted:
    """The usual 202: the transaction itself, polled at /v1/transactions/{id}."""
    return Accepted(TransactionView.of(row), operation_location(row))


def operation_location(row: ChainTransaction) -> str:
    """Where the operation of `row` is polled."""
    return f"/v1/transactions/{row.id}"


def _link_record(accepted: Callable[[ChainTransaction], Accepted], final: bool) -> StoredHook | None:
    """The outbox transaction's hook that stores the request's 202 in its idempotency record (`final`: the client
    asked for that 202, so it is the request's answer, not a provisional one)."""
    record = idempotency.in_flight()  # read here, in the request's context: the hook runs on the writer thread
    if record is None:
        return None

    def link(db: Session, rows: list[ChainTransaction]) -> None:
        record.store_answer(db, accepted(rows[0]).answer(), transaction_id=rows[0].id, final=final)

    return link


def _held_answer(db: Session, request: RequestView) -> None:
    """A write held for approval answers 202 with its approval request, stored with the request's row."""
    idempotency.answer_with(db, request, status.HTTP_202_ACCEPTED, f"/v1/approvals/{request.id}")


def submission(
    prefer: str | None, accepted: Callable[[ChainTransaction], Accepted] = operation, actor: Actor | None = None
) -> Submission:
    """How this request submits its write (call it in the request's context): at once when it prefers
    `respond-async`, and with `accepted(row)` stored as its idempotency record's answer beside the outbox row;
    as `actor`, whose member's approval policies apply to it (the write may be held for approval)."""
    respond_async = prefer is not None and "respond-async" in prefer.lower()
    record = idempotency.in_flight()  # its member's policies, as the record's insert read them
    caller = record.audit if record is not None else None
    policies = record.policies if record and caller and actor and caller.member == actor.member else None
    return Submission(
        respond_async=respond_async, on_stored=_link_record(accepted, respond_async), actor=actor, on_held=_held_answer,
        policies=policies,
    )  # fmt: skip


def held_answer(outcome: ViewT | Pending | Held, response: Response) -> ViewT | TransactionView | RequestView:
    """`answer`, or the 202 of a write held for approval with its request's URL in Location."""
    if isinstance(outcome, Held):
        response.status_code = status.HTTP_202_ACCEPTED
        response.headers["Location"] = outcome.location
        return outcome.request
    return answer(outcome, response)


def answer(
    outcome: ViewT | Pending, response: Response, location: Callable[[ViewT], str] | None = None
) -> ViewT | TransactionView:
    """The command's view (with `location(view)` as Location, for a created object), or the pending operation's
    202 with its URL in Location."""
    if isinstance(outcome, Pending):
        response.status_code = status.HTTP_202_ACCEPTED
        response.headers["Location"] = operation_location(outcome.row)  # not a second view of the row for it
        return TransactionView.of(outcome.row)
    if location is not None:
        response.headers["Location"] = location(outcome)
    return outcome


def operation_answer(outcome: Written, response: Response) -> TransactionView:
    """A write whose view is the operation itself: the same body whether it is mined or pending."""
    view = answer(outcome, response)
    return view if isinstance(view, TransactionView) else TransactionView.of(view)


def held_operation_answer(outcome: Written | Held, response: Response) -> TransactionView | RequestView:
    """`operation_answer`, or the 202 of a write held for approval."""
    return held_answer(outcome, response) if isinstance(outcome, Held) else operation_answer(outcome, response)
