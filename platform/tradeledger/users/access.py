"""Which roles may take which kind of action: the function-level half of a user's access (the object-level half
stays per member, tradeledger.members.access).

A viewer reads; a maker writes; a checker decides on makers' requests; an administrator does all of it and
manages the member's users, keys and policies; banks' examiners examine presentations and their treasury moves
money; auditors (the role) read the audit log with the administrators.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass

from tradeledger.errors import ForbiddenError
from tradeledger.members.models import MemberKind
from tradeledger.users.models import Role


@dataclass(frozen=True)
class Actor:
    """Who acts: a user of a member (as the API authenticated it)."""

    member: str
    member_kind: MemberKind | None
    user_id: str
    username: str
    roles: frozenset[str]


class Action(enum.StrEnum):
    READ = "read"
    WRITE = "write"  # any business write not named below
    EXAMINE = "examine"  # honour, refuse, return documents, enforce preclusion
    MOVE_MONEY = "move_money"  # transfers, payments, deposits, withdrawals
    DECIDE = "decide"  # approve or reject a pending request
    ADMINISTER = "administer"  # users, API keys, approval policies
    READ_AUDIT = "read_audit"  # the member's audit log
    SELF = "self"  # the caller's own second factor


ALLOWED: dict[Action, frozenset[Role]] = {
    Action.READ: frozenset(Role),
    Action.WRITE: frozenset({Role.ADMINISTRATOR, Role.MAKER}),
    Action.EXAMINE: frozenset({Role.ADMINISTRATOR, Role.MAKER, Role.EXAMINER}),
    Action.MOVE_MONEY: frozenset({Role.ADMINISTRATOR, Role.MAKER, Role.TREASURY}),
    Action.DECIDE: frozenset({Role.ADMINISTRATOR, Role.CHECKER}),
    Action.ADMINISTER: frozenset({Role.ADMINISTRATOR}),
    Action.READ_AUDIT: frozenset({Role.ADMINISTRATOR, Role.AUDITOR}),
    Action.SELF: frozenset(Role),
}

_WRITES: list[tuple[re.Pattern[str], Action]] = [
    (re.compile(r"^/v1/(users|approval-policies|security-policy)(/|$)"), Action.ADMINISTER),
    (re.compile(r"^/v1/me/"), Action.SELF),
    (re.compile(r"^/v1/approvals/[^/]+/(approve|reject)$"), Action.DECIDE),
    (re.compile(r"^/v1/lcs/[^/]+/presentations/[^/]+/(honour|refuse|return-documents|enforce-preclusion)$"),
     Action.EXAMINE),
    (re.compile(r"^/v1/(settlements|accounts)(/|$)"), Action.MOVE_MONEY),
]  # fmt: skip


def write_action(path: str) -> Action:
    """The kind of action a mutating request on `path` (as the client sent it) takes."""
    return next((action for pattern, action in _WRITES if pattern.match(path)), Action.WRITE)


def may(roles: Iterable[str], action: Action) -> bool:
    return any(role in ALLOWED[action] for role in roles)


def require(roles: Iterable[str], action: Action) -> None:
    """Refuse (403) a user none of whose roles may take `action`."""
    held = sorted(roles)
    if not may(held, action):
        allowed = ", ".join(sorted(ALLOWED[action]))
        raise ForbiddenError(f"{action.value.replace('_', ' ')} needs one of the roles {allowed}; you hold {held}")
