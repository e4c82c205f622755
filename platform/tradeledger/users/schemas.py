"""What the API takes and shows for users, API keys, approval policies, approval requests and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from tradeledger.users.models import (
    Approval,
    ApprovalPolicy,
    ApprovalRequest,
    AuditEntry,
    Decision,
    RequestStatus,
    Role,
    User,
    UserKind,
)

Username = Annotated[str, Field(min_length=1, max_length=120, pattern=r"^[A-Za-z0-9._@+-]+$")]
Roles = Annotated[list[Role], Field(min_length=1, max_length=len(Role))]
MIN_PASSWORD = 12


class UserRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: Username
    kind: UserKind = UserKind.PERSON
    roles: Roles
    password: str | None = Field(
        None, min_length=MIN_PASSWORD, max_length=256, description="a person's password (service accounts: none)"
    )


class RolesRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    roles: Roles


class KeyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str = Field(min_length=1, max_length=120)


class UserView(BaseModel):
    id: str
    member: str
    username: str
    kind: UserKind
    roles: list[str]
    totp_enabled: bool
    disabled: bool
    created_at: datetime

    @classmethod
    def of(cls, user: User) -> UserView:
        return cls(
            id=user.id, member=user.member, username=user.username, kind=user.kind, roles=sorted(user.roles),
            totp_enabled=user.totp_secret is not None, disabled=user.disabled_at is not None,
            created_at=user.created_at,
        )  # fmt: skip


class CreatedKey(BaseModel):
    id: str
    user_id: str
    label: str
    prefix: str
    token: str = Field(description="the bearer token: shown in this answer only, stored hashed (argon2id)")


class PolicyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    operation: str = Field(description="an operation that can be held for approval, e.g. `lc.honour`")
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    threshold: int = Field(ge=0, lt=2**256, description="amounts above this (minor units) need the approvals")
    approvals: int = Field(ge=1, le=3, description="how many distinct users must approve")
    approver_roles: list[Role] = Field(default_factory=lambda: [Role.CHECKER], min_length=1, max_length=len(Role))


class PolicyView(BaseModel):
    id: str
    operation: str
    currency: str
    threshold: int
    approvals: int
    approver_roles: list[str]
    created_at: datetime

    @classmethod
    def of(cls, row: ApprovalPolicy) -> PolicyView:
        return cls(
            id=row.id, operation=row.operation, currency=row.currency, threshold=row.threshold,
            approvals=row.approvals, approver_roles=row.approver_roles, created_at=row.created_at,
        )  # fmt: skip


class DecisionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field("", max_length=2000)


class RejectionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=2000)


class ApprovalView(BaseModel):
    user_id: str
    decision: Decision
    reason: str
    at: datetime

    @classmethod
    def of(cls, row: Approval) -> ApprovalView:
        return cls(user_id=row.user_id, decision=row.decision, reason=row.reason, at=row.created_at)


class RequestView(BaseModel):
    id: str
    operation: str
    target: dict[str, str]
    amount: int
    currency: str
    maker: str
    status: RequestStatus
    approvals_required: int
    approver_roles: list[str]
    approvals: list[ApprovalView]
    reason: str | None
    transaction_id: str | None
    trail_hash: str | None = Field(description="sha-256 of the approval trail, stored with the transaction")
    created_at: datetime

    @classmethod
    def of(cls, row: ApprovalRequest, approvals: list[Approval]) -> RequestView:
        return cls(
            id=row.id, operation=row.operation, target=row.target, amount=row.amount, currency=row.currency,
            maker=row.maker, status=row.status, approvals_required=row.approvals_required,
            approver_roles=row.approver_roles, approvals=[ApprovalView.of(a) for a in approvals], reason=row.reason,
            transaction_id=row.transaction_id, trail_hash=row.trail_hash, created_at=row.created_at,
        )  # fmt: skip


class AuditView(BaseModel):
    id: int
    at: datetime
    user_id: str | None
    username: str | None
    action: str
    request: str | None
    outcome: str

    @classmethod
    def of(cls, row: AuditEntry) -> AuditView:
        return cls(
            id=row.id, at=row.at, user_id=row.user_id, username=row.username, action=row.action,
            request=row.request, outcome=row.outcome,
        )  # fmt: skip


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    member: str = Field(pattern=r"^0x[0-9a-fA-F]{40}$", description="the member's address")
    username: Username
    password: str = Field(min_length=1, max_length=256)
    totp_code: str | None = Field(None, pattern=r"^[0-9]{6}$", description="required once a second factor is on")


class SessionView(BaseModel):
    user: UserView
    csrf_token: str = Field(description="send it as X-CSRF-Token with every write of this session")
    expires_at: datetime


class TotpEnrolment(BaseModel):
    secret: str = Field(description="base32; shown once")
    uri: str = Field(description="otpauth:// URI for an authenticator app (as a QR code)")


class TotpConfirmation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=r"^[0-9]{6}$")


class SecurityPolicyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    require_totp: bool


class SecurityPolicyView(BaseModel):
    require_totp: bool


class TrailCheck(BaseModel):
    """An approved request's trail recomputed from the records and compared with the hash its transaction carries
    on chain (the last 32 bytes of the transaction's input, after the contract call's arguments)."""

    request_id: str
    member: str
    operation: str
    status: RequestStatus
    approvals_required: int
    approvals: list[ApprovalView]
    maker: str
    transaction_hash: str | None
    block_number: int | None = Field(description="the block that holds the transaction; none until mined")
    recomputed_hash: str = Field(description="sha-256 of the trail as the records show it now")
    stored_hash: str | None = Field(description="the hash stored with the transaction when it was sent")
    on_chain_hash: str | None = Field(description="the hash the transaction carries on chain (read from the node)")
    policy_met: bool = Field(description="as many approvals as required, none by the maker, each by a different user")
    verified: bool = Field(description="policy met, and the recomputed, stored and on-chain hashes are all equal")
