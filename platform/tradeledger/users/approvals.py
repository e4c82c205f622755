"""Maker-checker: approval policies, held requests, and decisions that send a request once its policy is met.

A write covered by a policy of its user's member is not sent: the domain command stores it as a pending
request (`hold`) and the client gets 202 with the request. Checkers approve or reject it, each once, never
their own. The approval that meets the policy runs the operation's SAME domain command, through the same
transaction manager: its pre-flight (eth_call) runs first, so an approval of a request the chain would refuse is
refused, and nothing of it is recorded; otherwise that approval, the request's new state, the hash of its
approval trail and its answer commit in the one database transaction that stores the signed transaction (the
outbox row). A crash before that commit leaves the request pending with the approvals before it (the checker's
retry runs again); a crash after it leaves a stored transaction, which the transaction manager sends (or sends
again) on start: never lost, never sent twice. Concurrent approvals are serialized on the request's row (a row
lock; SQLite serializes its writers) and the one-decision-per-user unique constraint.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from tradeledger.codec import InvalidValueError
from tradeledger.errors import ForbiddenError, NotFoundError, TradeLedgerError
from tradeledger.operations import Pending, Submission
from tradeledger.store.base import utcnow
from tradeledger.store.db import transaction
from tradeledger.store.models import ChainTransaction
from tradeledger.users import repository
from tradeledger.users.access import Actor
from tradeledger.users.models import Approval, ApprovalPolicy, ApprovalRequest, Decision, RequestStatus
from tradeledger.users.schemas import PolicyRequest, PolicyView, RequestView
from tradeledger.users.service import record

if TYPE_CHECKING:  # the runtime composes the domains: importing it here would be a cycle
    from tradeledger.runtime import Platform

Sender = Callable[["Platform", ApprovalRequest, Submission], object]
"""Runs a held request's domain command with the given submission (its result is read back as the request)."""

_SENDERS: dict[str, Sender] = {}


def register(operation: str, sender: Sender) -> None:
    """Make `operation` holdable: a domain module registers how an approved request of it is sent."""
    _SENDERS[operation] = sender


def operations() -> list[str]:
    return sorted(_SENDERS)


class ApprovalRequestNotFoundError(NotFoundError):
    code = "approval_request_not_found"


class RequestNotPendingError(TradeLedgerError):
    code = "approval_request_not_pending"
    http_status = 409
    title = "Request already decided"


class AlreadyDecidedError(TradeLedgerError):
    code = "approval_already_decided"
    http_status = 409
    title = "Already decided"


class SelfApprovalError(ForbiddenError):
    code = "self_approval"


@dataclass(frozen=True)
class Held:
    """A write held for approval: its request, as the client sees it (answered 202, Location the request)."""

    request: RequestView

    @property
    def location(self) -> str:
        return f"/v1/approvals/{self.request.id}"


def view(db: Session, row: ApprovalRequest) -> RequestView:
    return RequestView.of(row, repository.approvals(db, row.id))


# -- policies -----------------------------------------------------------------------------------------------


def _create_policy(db: Session, actor: Actor, request: PolicyRequest) -> ApprovalPolicy:
    if request.operation not in _SENDERS:
        raise InvalidValueError(
            f"operation: {request.operation!r} is not one of {', '.join(operations())}", code="unknown_operation"
        )
    policy = ApprovalPolicy(
        id=str(uuid.uuid4()), member=actor.member, operation=request.operation, currency=request.currency,
        threshold=request.threshold, approvals=request.approvals,
        approver_roles=sorted({role.value for role in request.approver_roles}), created_by=actor.user_id,
    )  # fmt: skip
    db.add(policy)
    db.flush()
    record(db, actor, "policy.create", f"{policy.operation} {policy.currency} above {policy.threshold}: "
           f"{policy.approvals} of {', '.join(policy.approver_roles)}", policy.id)  # fmt: skip
    return policy


def create_policy(
    platform: Platform, actor: Actor, request: PolicyRequest, answer: Callable[[Session, PolicyView], None] | None
) -> PolicyView:
    """An administrator adds a policy; `answer` commits with it (the request's idempotency record)."""
    with transaction(platform.sessions) as db:
        created = PolicyView.of(_create_policy(db, actor, request))
        if answer is not None:
            answer(db, created)
    return created


def applicable(db: Session, member: str, operation: str, amount: int, currency: str) -> ApprovalPolicy | None:
    """The strictest of the member's policies on `operation` whose threshold `amount` exceeds."""
    found = [p for p in repository.policies(db, member, operation) if p.currency == currency and amount > p.threshold]
    return max(found, key=lambda p: (p.approvals, p.threshold), default=None)


def policies(platform: Platform, member: str) -> list[PolicyView]:
    with platform.sessions() as db:
        return [PolicyView.of(row) for row in repository.policies(db, member)]


def queue(
    platform: Platform, member: str, status: RequestStatus | None, after: str | None, limit: int
) -> list[RequestView]:
    with platform.sessions() as db:
        return [view(db, row) for row in repository.requests(db, member, status, after, limit)]


def request_view(platform: Platform, member: str, request_id: str) -> RequestView:
    with platform.sessions() as db:
        row = db.get(ApprovalRequest, request_id)
        if row is None or row.member != member:
            raise ApprovalRequestNotFoundError(f"no approval request {request_id}")
        return view(db, row)


# -- holding a write ----------------------------------------------------------------------------------------


def hold(
    platform: Platform, submission: Submission, operation: str, target: dict[str, str], amount: int, currency: str
) -> Held | None:
    """Called by `operation`'s domain command before it builds anything: store the write as a pending request if a
    policy of the submitter's member covers it (and answer that), else None: the command goes on."""
    actor = submission.actor
    if actor is None:
        return None
    with transaction(platform.sessions) as db:
        policy = applicable(db, actor.member, operation, amount, currency)
        if policy is None:
            return None
        row = ApprovalRequest(
            id=str(uuid.uuid4()), member=actor.member, operation=operation, target=target, amount=amount,
            currency=currency, maker=actor.user_id, policy_id=policy.id, approvals_required=policy.approvals,
            approver_roles=policy.approver_roles, status=RequestStatus.PENDING,
        )  # fmt: skip
        db.add(row)
        record(db, actor, f"{operation}.request", f"held for {policy.approvals} approval(s)", row.id)
        db.flush()
        held = Held(view(db, row))
        if submission.on_held is not None:
            submission.on_held(db, held.request)
    return held


# -- decisions ----------------------------------------------------------------------------------------------


def _decidable(db: Session, actor: Actor, request_id: str) -> ApprovalRequest:
    """The request, locked, if `actor` may decide on it now."""
    row = repository.locked_request(db, actor.member, request_id)
    if row is None:
        raise ApprovalRequestNotFoundError(f"no approval request {request_id}")
    if row.status is not RequestStatus.PENDING:
        raise RequestNotPendingError(f"request {request_id} is {row.status.value} already")
    if row.maker == actor.user_id:
        raise SelfApprovalError("nobody decides on their own request")
    if not actor.roles & set(row.approver_roles):
        raise ForbiddenError(f"deciding on this request needs one of the roles {', '.join(row.approver_roles)}")
    if any(approval.user_id == actor.user_id for approval in repository.approvals(db, row.id)):
        raise AlreadyDecidedError(f"you have decided on request {request_id} already")
    return row


def trail_hash(row: ApprovalRequest, approvals: list[Approval]) -> str:
    """sha-256 of the canonical JSON of the request and every decision on it, in order."""
    trail = {
        "request": row.id, "member": row.member, "operation": row.operation, "target": row.target,
        "amount": str(row.amount), "currency": row.currency, "maker": row.maker, "policy": row.policy_id,
        "approvals": [{"user": a.user_id, "decision": a.decision.value, "reason": a.reason,
                       "at": a.created_at.isoformat()} for a in approvals],
    }  # fmt: skip
    return "0x" + hashlib.sha256(json.dumps(trail, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


Record = Callable[[Session, RequestView], None]


def reject(platform: Platform, actor: Actor, request_id: str, reason: str, answer: Record | None) -> RequestView:
    """A checker rejects the request: it never reaches the chain."""
    with transaction(platform.sessions) as db:
        row = _decidable(db, actor, request_id)
        db.add(Approval(request_id=row.id, user_id=actor.user_id, decision=Decision.REJECTED, reason=reason,
                        created_at=utcnow()))  # fmt: skip
        row.status, row.reason, row.decided_at = RequestStatus.REJECTED, reason, utcnow()
        record(db, actor, "approval.reject", f"rejected: {reason}", row.id)
        db.flush()
        result = view(db, row)
        if answer is not None:
            answer(db, result)
    return result


def approve(
    platform: Platform, actor: Actor, request_id: str, reason: str, respond_async: bool, answer: Record | None
) -> RequestView | Pending:
    """A checker approves the request; the approval that meets its policy sends it (see the module's doc): the
    request, or Pending (its transaction's row) when that is not in the read model yet."""
    with transaction(platform.sessions) as db:
        row = _decidable(db, actor, request_id)
        if len(repository.approvals(db, row.id)) + 1 < row.approvals_required:
            db.add(Approval(request_id=row.id, user_id=actor.user_id, decision=Decision.APPROVED, reason=reason,
                            created_at=utcnow()))  # fmt: skip
            record(db, actor, "approval.approve", "approved", row.id)
            db.flush()
            result = view(db, row)
            if answer is not None:
                answer(db, result)
            return result
        operation = row.operation
    return _send(platform, actor, request_id, operation, reason, respond_async, answer)


def _send(
    platform: Platform, actor: Actor, request_id: str, operation: str, reason: str, respond_async: bool,
    answer: Record | None,
) -> RequestView | Pending:  # fmt: skip
    """The last approval: the operation's domain command, with this approval recorded in its outbox transaction."""
    sent: list[RequestView] = []

    def last_approval(db: Session) -> None:  # in the outbox transaction, before the signed row (a savepoint)
        row = _decidable(db, actor, request_id)  # again: a concurrent last approval may have come first
        if len(repository.approvals(db, row.id)) + 1 < row.approvals_required:
            raise RequestNotPendingError(f"request {request_id} changed meanwhile; retry")
        db.add(Approval(request_id=row.id, user_id=actor.user_id, decision=Decision.APPROVED, reason=reason,
                        created_at=utcnow()))  # fmt: skip
        row.status, row.decided_at = RequestStatus.SENT, utcnow()
        db.flush()
        row.trail_hash = trail_hash(row, repository.approvals(db, row.id))
        record(db, actor, "approval.approve", f"approved; sent, approval trail {row.trail_hash}", row.id)

    def stored(db: Session, rows: list[ChainTransaction]) -> None:  # after the signed row: link it, answer
        row = db.get(ApprovalRequest, request_id)
        assert row is not None
        row.transaction_id = rows[0].id
        db.flush()
        sent.append(view(db, row))
        if answer is not None:
            answer(db, sent[0])

    with platform.sessions() as db:
        held = db.get(ApprovalRequest, request_id)
        assert held is not None
        db.expunge(held)
    submission = Submission(respond_async=respond_async, business=last_approval, on_stored=stored)
    outcome = _SENDERS[operation](platform, held, submission)
    return outcome if isinstance(outcome, Pending) else sent[0]
