"""Submitted chain transactions as operations: the one write path every domain command submits through, and
the operations their submitter (and its sponsor bank, and auditors) may follow."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, TypeVar

from anyio import to_thread
from sqlalchemy.orm import Session

from tradeledger.chain.txmanager import ContractCall, StoredHook, WritePendingError
from tradeledger.errors import NotFoundError
from tradeledger.indexer.queries import event_argument
from tradeledger.members.access import can_see
from tradeledger.members.models import MemberKind
from tradeledger.store.db import transaction
from tradeledger.store.models import ChainTransaction

if TYPE_CHECKING:  # the runtime composes the domains: importing it here would be a cycle
    from tradeledger.runtime import Platform
    from tradeledger.users.access import Actor
    from tradeledger.users.schemas import RequestView

ViewT = TypeVar("ViewT")
Answer = Callable[[Session, ViewT], None] | None
"""What commits with a database-only command's rows: the API stores the request's answer there."""


class TransactionNotFoundError(NotFoundError):
    code = "transaction_not_found"


@dataclass(frozen=True)
class Submission:
    """How a caller submits a write: answer at once (`respond_async`), and what must commit with its outbox row
    (the API stores the request's provisional answer there, so a retry after any crash gets it)."""

    respond_async: bool = False
    on_stored: StoredHook | None = None
    actor: Actor | None = None  # the user submitting, whose member's approval policies apply (none: no user)
    business: Callable[[Session], None] | None = None  # the submitter's own rows, in the outbox transaction
    on_held: Callable[[Session, RequestView], None] | None = None  # stores the answer of a write held for approval
    note: bytes = b""  # appended to the call's data (an approved request's trail hash), on chain with it
    # whether the actor's member had any approval policy when the request was received (the API reads it with the
    # request's idempotency record); None: not known, the approval check reads it
    policies: bool | None = None


@dataclass(frozen=True)
class Pending:
    """A write stored (and sent) whose block is not in the read model yet, because the caller asked not to wait
    or it took longer than the bound: it confirms later, followed as the operation `row`."""

    row: ChainTransaction


Written = ChainTransaction | Pending
"""A write whose view is the operation itself: mined (its block indexed), or pending."""


def submit(
    platform: Platform,
    call: ContractCall,
    submission: Submission,
    business: Callable[[Session], None] | None = None,
) -> Written:
    """Submit `call` (with `business`'s rows in its outbox transaction); the mined row once its block is in the
    read model, else Pending."""
    if submission.business is not None:
        business = _both(submission.business, business)
    if submission.note:
        call = replace(call, note=submission.note)
    try:
        row = platform.execute(
            call, respond_async=submission.respond_async, business=business, on_stored=submission.on_stored
        )
    except WritePendingError as pending:
        return Pending(pending.row)
    return Pending(row) if submission.respond_async else row


OutcomeT = TypeVar("OutcomeT")


async def submit_settled(
    platform: Platform, command: Callable[[Submission], OutcomeT | Written], submission: Submission
) -> OutcomeT | Written:
    """Run `command` (a domain command whose answer is its operation) on a worker thread, as far as storing its
    write, then wait for the write's block on the event loop: the same outcome as the command waiting itself
    (the mined row once its block is in the read model, Pending past the bound), but no thread of the pool is
    held while the block is mined and indexed, so concurrent writes do not starve the other requests of threads.
    """
    outcome = await to_thread.run_sync(command, replace(submission, respond_async=True))
    if submission.respond_async or not isinstance(outcome, Pending):
        return outcome  # asked not to wait, or nothing submitted (held for approval)
    try:
        return await platform.settled(outcome.row)
    except WritePendingError as pending:
        return Pending(pending.row)


def _both(first: Callable[[Session], None], then: Callable[[Session], None] | None) -> Callable[[Session], None]:
    def both(db: Session) -> None:
        first(db)
        if then is not None:
            then(db)

    return both


def write_then_view(
    platform: Platform,
    call: ContractCall,
    submission: Submission,
    view: Callable[[ChainTransaction], ViewT],
    business: Callable[[Session], None] | None = None,
) -> ViewT | Pending:
    """Submit, then read the written object back as the read model shows it (read-your-writes)."""
    outcome = submit(platform, call, submission, business)
    return outcome if isinstance(outcome, Pending) else view(outcome)


def write_in_database(platform: Platform, change: Callable[[Session], ViewT], record: Answer[ViewT]) -> ViewT:
    """A database-only write and its view: `record` commits with its rows (the API stores the request's answer
    there, so a retry after a crash gets it and nothing is written twice)."""
    with transaction(platform.sessions) as db:
        view = change(db)
        if record is not None:
            record(db, view)
        return view


def created_id(platform: Platform, row: ChainTransaction, contract: str, event: str, argument: str) -> int:
    """The id of the object a mined transaction created, as the event it emitted (now indexed) names it."""
    with platform.sessions() as db:
        return int(event_argument(db, row, contract, event, argument))


def transaction_view(
    platform: Platform, viewer: str, viewer_kind: MemberKind | None, transaction_id: str
) -> ChainTransaction:
    """A transaction the viewer may follow (its signer's, the signer's sponsor bank, auditors); else 404."""
    with platform.sessions() as db:
        return visible_transaction(db, viewer, viewer_kind, transaction_id)


def visible_transaction(
    db: Session, viewer: str, viewer_kind: MemberKind | None, transaction_id: str
) -> ChainTransaction:
    row = db.get(ChainTransaction, transaction_id)
    if row is None or not can_see(db, viewer, viewer_kind, [row.signer]):
        raise TransactionNotFoundError(f"no transaction {transaction_id}")
    return row
