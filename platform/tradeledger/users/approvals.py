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
from typing import TYPE_CHECKING, Literal, Protocol, TypeVar, cast

from pydantic import BaseModel
from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tradeledger.codec import InvalidValueError
from tradeledger.errors import ForbiddenError, NotFoundError, TradeLedgerError
from tradeledger.members.models import Member, MemberKind
from tradeledger.operations import Pending, Submission
from tradeledger.store.base import table_of, utcnow
from tradeledger.store.db import read_sessions, transaction
from tradeledger.store.models import ChainTransaction
from tradeledger.users import repository
from tradeledger.users.access import Actor
from tradeledger.users.models import Approval, ApprovalPolicy, ApprovalRequest, Decision, RequestStatus, User
from tradeledger.users.schemas import ApprovalView, PolicyRequest, PolicyView, RequestView, TrailCheck
from tradeledger.users.service import record

if TYPE_CHECKING:  # the runtime composes the domains: importing it here would be a cycle
    from tradeledger.runtime import Platform

Sender = Callable[["Platform", ApprovalRequest, Submission], object]
"""Runs a held request's domain command with the given submission (its result is read back as the request)."""

_SENDERS: dict[str, Sender] = {}
Measure = Callable[[Session], tuple[int, str]]
"""The amount (minor units) and currency a policy compares, read when a write has a user to hold it for."""


class MoneyBody(Protocol):
    """A request body that states an amount (minor units) and its currency."""

    @property
    def amount(self) -> int: ...

    @property
    def currency(self) -> str: ...


def register(operation: str, sender: Sender) -> None:
    """Make `operation` holdable: a domain module registers how an approved request of it is sent."""
    _SENDERS[operation] = sender


def acting(platform: Platform, request: ApprovalRequest) -> tuple[str, MemberKind | None]:
    """The member a held request acts for, and its kind: a sender runs the command as that member (its user's
    roles and the policy were checked when the request was held)."""
    with platform.sessions() as db:
        member = db.get(Member, request.member)
    return request.member, member.kind if member is not None else None


def stated(body: MoneyBody) -> Measure:
    """The measure of a write whose body states its amount and currency."""
    return lambda _: (body.amount, body.currency)


def arguments(body: BaseModel | None = None, **ids: int | str) -> dict[str, str]:
    """A held request's arguments: the object ids of the operation, and its body as JSON (sent as it was)."""
    found = {name: str(value) for name, value in ids.items()}
    if body is not None:
        found["body"] = body.model_dump_json()
    return found


BodyT = TypeVar("BodyT", bound=BaseModel)


def body_of(request: ApprovalRequest, model: type[BodyT]) -> BodyT:
    """The body a held request was made with."""
    return model.model_validate_json(request.target["body"])


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


POLICY_CHANGE, NO_CURRENCY = "approvals.policy", "XXX"
"""A change of a member's approval policies is itself holdable: a policy on `approvals.policy` in XXX (ISO 4217's
"no currency") with threshold 0 holds every change, measured as 1 XXX."""
PolicyChange = Literal["create", "update", "delete"]


class PolicyNotFoundError(NotFoundError):
    code = "approval_policy_not_found"


class PolicyExistsError(TradeLedgerError):
    code = "approval_policy_exists"
    http_status = 409
    title = "Policy exists"


class PolicyInUseError(TradeLedgerError):
    code = "approval_policy_in_use"
    http_status = 409
    title = "Policy in use"


def _policy(db: Session, member: str, policy_id: str | None) -> ApprovalPolicy:
    found = db.get(ApprovalPolicy, policy_id) if policy_id else None
    if found is None or found.member != member:
        raise PolicyNotFoundError(f"no approval policy {policy_id}")
    return found


def _checked(db: Session, member: str, change: PolicyChange, policy_id: str | None, body: PolicyRequest | None) -> None:
    """Refuse a change that cannot apply before it is held or applied: an unknown operation or policy."""
    if body is not None and body.operation not in _SENDERS:
        raise InvalidValueError(
            f"operation: {body.operation!r} is not one of {', '.join(operations())}", code="unknown_operation"
        )
    if change != "create":
        _policy(db, member, policy_id)


def _described(policy: ApprovalPolicy) -> str:
    return (f"{policy.operation} {policy.currency} above {policy.threshold}: {policy.approvals} of "
            f"{', '.join(policy.approver_roles)}")  # fmt: skip


def _apply(
    db: Session, actor: Actor, change: PolicyChange, policy_id: str | None, body: PolicyRequest | None
) -> ApprovalPolicy:
    """The change, with its audit entry, in the caller's transaction: the policy as it is now (or was, deleted)."""
    _checked(db, actor.member, change, policy_id, body)
    if change == "delete":
        policy = _policy(db, actor.member, policy_id)
        if repository.policy_used(db, policy.id):  # held requests name it in their trails
            raise PolicyInUseError(f"policy {policy.id} held requests: change it (PUT) instead of deleting it")
        db.delete(policy)
        record(db, actor, "policy.delete", _described(policy), policy.id)
        return policy
    assert body is not None
    policy = ApprovalPolicy(id=str(uuid.uuid4()), member=actor.member, created_by=actor.user_id)
    if change == "update":
        policy = _policy(db, actor.member, policy_id)
    policy.operation, policy.currency, policy.threshold = body.operation, body.currency, body.threshold
    policy.approvals, policy.approver_roles = body.approvals, sorted({role.value for role in body.approver_roles})
    db.add(policy)
    try:
        with db.begin_nested():
            db.flush()
    except IntegrityError:
        raise PolicyExistsError(f"the member has a policy on {body.operation} {body.currency} above "
                                f"{body.threshold} already") from None  # fmt: skip
    record(db, actor, f"policy.{change}", _described(policy), policy.id)
    return policy


def change_policy(
    platform: Platform, actor: Actor, change: PolicyChange, policy_id: str | None, body: PolicyRequest | None,
    submission: Submission, answer: Callable[[Session, PolicyView], None] | None,
) -> PolicyView | Held:  # fmt: skip
    """An administrator creates, changes or deletes one of its member's policies; held for approval instead when a
    policy on `approvals.policy` says so (four eyes on the rules of four eyes)."""
    with platform.sessions() as db:
        _checked(db, actor.member, change, policy_id, body)
    target = arguments(body, change=change, policy=policy_id or "")
    held = hold(platform, submission, POLICY_CHANGE, target, lambda _: (1, NO_CURRENCY))
    if held is not None:
        return held
    with transaction(platform.sessions) as db:
        result = PolicyView.of(_apply(db, actor, change, policy_id, body))
        if answer is not None:
            answer(db, result)
    return result


def _send_policy_change(platform: Platform, request: ApprovalRequest, submission: Submission) -> object:
    """An approved policy change: applied as its maker asked, in one database transaction with the last approval
    (no chain transaction: its trail hash is stored with the request only)."""
    member, kind = acting(platform, request)
    body = body_of(request, PolicyRequest) if "body" in request.target else None
    change = cast(PolicyChange, request.target["change"])
    with transaction(platform.sessions) as db:
        maker = db.get(User, request.maker)
        assert maker is not None and submission.business is not None
        submission.business(db)
        actor = Actor(member, kind, maker.id, maker.username, frozenset(maker.roles))
        _apply(db, actor, change, request.target["policy"] or None, body)
        if submission.on_stored is not None:
            submission.on_stored(db, [])
    return None


register(POLICY_CHANGE, _send_policy_change)


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


_POLICIES = table_of(ApprovalPolicy)
# Whether a member has any policy on an operation: one Core statement built once, a quarter of the CPU of the ORM's
# query of the policies themselves (measured 225 against 813 µs at load 5, branch `apiwrites5`), which every write
# paid before it was sent, though most are covered by none
_ANY_POLICY = (
    select(_POLICIES.c.id)
    .where(_POLICIES.c.member == bindparam("member"), _POLICIES.c.operation == bindparam("operation"))
    .limit(1)
)


def hold(platform: Platform, submission: Submission, operation: str, target: dict[str, str], measure: Measure) -> (
    Held | None
):  # fmt: skip
    """Called by `operation`'s domain command before it builds anything: store the write as a pending request if a
    policy of the submitter's member covers it (and answer that), else None: the command goes on. A write without a
    user (the CLI, the scheduler, an approved request being sent) is never held, nor one whose member had no policy
    at all when the request was received (`Submission.policies`, read by the API with the request's record)."""
    actor = submission.actor
    if actor is None or submission.policies is False:
        return None
    # Most writes are not held: first a read, without the write transaction's lock, and on PostgreSQL out of a
    # transaction (store.db.read_sessions: measured 0.54-0.66 ms of CPU and 2.5-5 ms of wall time a check, against
    # 0.93-1.14 ms and 7.6-18 ms in a transaction of the writers' pool); and most members have no policy on the
    # operation at all, which one Core statement answers (`_ANY_POLICY`)
    with read_sessions(platform.engine)() as db:
        covered = db.connection().execute(_ANY_POLICY, {"member": actor.member, "operation": operation}).first()
        if covered is None or applicable(db, actor.member, operation, *measure(db)) is None:
            return None
    with transaction(platform.sessions) as db:
        amount, currency = measure(db)
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
    """The last approval: the operation's domain command, with this approval recorded in its outbox transaction and
    the hash of the whole trail appended to the transaction's data (on chain with it; see `trail_on_chain`)."""
    sent: list[RequestView] = []
    at = utcnow()
    with platform.sessions() as db:
        held = db.get(ApprovalRequest, request_id)
        assert held is not None
        decisions = repository.approvals(db, request_id)
        db.expunge_all()
    last = Approval(request_id=request_id, user_id=actor.user_id, decision=Decision.APPROVED, reason=reason,
                    created_at=at)  # fmt: skip
    trail = trail_hash(held, [*decisions, last])

    def last_approval(db: Session) -> None:  # in the outbox transaction, before the signed row (a savepoint)
        row = _decidable(db, actor, request_id)  # again: a concurrent decision may have come first
        db.add(Approval(request_id=row.id, user_id=actor.user_id, decision=Decision.APPROVED, reason=reason,
                        created_at=at))  # fmt: skip
        row.status, row.decided_at = RequestStatus.SENT, at
        db.flush()
        row.trail_hash = trail_hash(row, repository.approvals(db, row.id))
        if row.trail_hash != trail:  # the trail the transaction carries is not this one: decided meanwhile
            raise RequestNotPendingError(f"request {request_id} changed meanwhile; retry")
        record(db, actor, "approval.approve", f"approved; sent, approval trail {row.trail_hash}", row.id)

    def stored(db: Session, rows: list[ChainTransaction]) -> None:  # after the signed row: link it, answer
        row = db.get(ApprovalRequest, request_id)
        assert row is not None
        row.transaction_id = rows[0].id if rows else None  # none: a database-only operation (a policy change)
        db.flush()
        sent.append(view(db, row))
        if answer is not None:
            answer(db, sent[0])

    submission = Submission(respond_async=respond_async, business=last_approval, on_stored=stored,
                            note=bytes.fromhex(trail[2:]))  # fmt: skip
    outcome = _SENDERS[operation](platform, held, submission)
    return outcome if isinstance(outcome, Pending) else sent[0]


# -- the auditor's check --------------------------------------------------------------------------------------


def trail_on_chain(platform: Platform, sent: ChainTransaction) -> tuple[str | None, int | None]:
    """The trail hash a mined transaction carries on chain (the last 32 bytes of its input) and its block, as the
    node answers; (None, None) while it is in no block. The block is the one the receipt watch recorded (read by
    block, issue #22): one block look-up with its transactions, no receipt per transaction and nothing asked by the
    transaction's hash (checklist D5). A block the node no longer has, or that no longer holds it, gives
    (None, None): the chain lost it, and the outbox sends it again."""
    if sent.block_number is None or sent.tx_hash is None:
        return None, None
    block = platform.transactions.rpc.call("eth_getBlockByNumber", [hex(sent.block_number), True])
    tx_hash = sent.tx_hash.lower()
    found = next((tx for tx in (block or {}).get("transactions", []) if str(tx["hash"]).lower() == tx_hash), None)
    if found is None:
        return None, None
    data = str(found["input"])
    return "0x" + data[-64:] if len(data) >= 2 + 64 else None, sent.block_number


def check_trail(platform: Platform, viewer: str, viewer_kind: MemberKind | None, request_id: str) -> TrailCheck:
    """Recompute a request's approval trail and compare it with what its transaction carries on chain: the check
    an auditor runs to see that an honour (or any held operation) had its approvals. The member's own requests;
    an auditor member's, every member's."""
    with platform.sessions() as db:
        row = db.get(ApprovalRequest, request_id)
        if row is None or (row.member != viewer and viewer_kind is not MemberKind.AUDITOR):
            raise ApprovalRequestNotFoundError(f"no approval request {request_id}")
        decisions = repository.approvals(db, row.id)
        sent = db.get(ChainTransaction, row.transaction_id) if row.transaction_id else None
        recomputed = trail_hash(row, decisions)
        approvers = [a.user_id for a in decisions if a.decision is Decision.APPROVED]
        policy_met = (row.status is RequestStatus.SENT and len(approvers) >= row.approvals_required
                      and len(set(approvers)) == len(approvers) and row.maker not in approvers)  # fmt: skip
        check = dict(
            request_id=row.id, member=row.member, operation=row.operation, status=row.status,
            approvals_required=row.approvals_required, approvals=[ApprovalView.of(a) for a in decisions],
            maker=row.maker, transaction_hash=sent.tx_hash if sent else None, recomputed_hash=recomputed,
            stored_hash=row.trail_hash,
        )  # fmt: skip
    on_chain, block = trail_on_chain(platform, sent) if sent else (None, None)
    verified = policy_met and recomputed == row.trail_hash and (sent is None or on_chain == recomputed)
    return TrailCheck.model_validate(
        {**check, "on_chain_hash": on_chain, "block_number": block, "policy_met": policy_met, "verified": verified}
    )
