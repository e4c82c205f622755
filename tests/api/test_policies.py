"""Approval policies edited by the member's administrators: created, changed, removed, each with its audit entry; and
held for a second administrator when the member's policy on `approvals.policy` says so."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import delete, select

from tests.api.conftest import OTHER_BANK, Consortium, problem
from tests.api.test_users import add_user, client_for
from tradeledger.users.models import Approval, ApprovalPolicy, ApprovalRequest


def _policy(threshold: int, approvals: int = 1, operation: str = "settlements.transfer", currency: str = "USD") -> (
    dict[str, Any]
):  # fmt: skip
    return {"operation": operation, "currency": currency, "threshold": threshold, "approvals": approvals}


@pytest.fixture
def admin(consortium: Consortium) -> Iterator[Any]:
    """The second bank's administrator (its member key); every policy the test leaves is removed after it."""
    yield consortium.client("other_bank")
    with consortium.platform.transaction() as db:
        mine = select(ApprovalPolicy.id).where(ApprovalPolicy.member == OTHER_BANK.address)
        requests = select(ApprovalRequest.id).where(ApprovalRequest.policy_id.in_(mine))
        db.execute(delete(Approval).where(Approval.request_id.in_(requests)))
        db.execute(delete(ApprovalRequest).where(ApprovalRequest.policy_id.in_(mine)))
        db.execute(delete(ApprovalPolicy).where(ApprovalPolicy.member == OTHER_BANK.address))


def test_created_changed_and_removed_with_audit_entries(consortium: Consortium, admin: Any) -> None:
    created = admin.post("/v1/approval-policies", json=_policy(1_000), headers={"Idempotency-Key": "pol-e-1"})
    assert created.status_code == 201, created.text
    path = f"/v1/approval-policies/{created.json()['id']}"
    changed = admin.put(path, json=_policy(2_000, approvals=2), headers={"Idempotency-Key": "pol-e-2"})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["threshold"], changed.json()["approvals"]) == (2_000, 2)
    assert [p["threshold"] for p in admin.get("/v1/approval-policies").json()] == [2_000]
    unknown = admin.put(path, json=_policy(2_000, operation="lc.nothing"), headers={"Idempotency-Key": "pol-e-3"})
    assert unknown.status_code == 422 and problem(unknown)["code"] == "unknown_operation"
    missing = admin.put("/v1/approval-policies/nope", json=_policy(1), headers={"Idempotency-Key": "pol-e-4"})
    assert missing.status_code == 404 and problem(missing)["code"] == "approval_policy_not_found"
    removed = admin.delete(path, headers={"Idempotency-Key": "pol-e-5"})
    assert removed.status_code == 200, removed.text
    assert admin.get("/v1/approval-policies").json() == []
    log = admin.get("/v1/audit-log/export", params={"format": "json"}).json()
    entries = [(e["action"], e["outcome"]) for e in log if e["request"] == created.json()["id"]]
    assert entries == [
        ("policy.create", "settlements.transfer USD above 1000: 1 of checker"),
        ("policy.update", "settlements.transfer USD above 2000: 2 of checker"),
        ("policy.delete", "settlements.transfer USD above 2000: 2 of checker"),
    ]
    viewer = client_for(consortium, add_user(consortium, "other_bank", "pol-viewer", ["viewer"], "pol-viewer"))
    assert (
        viewer.post("/v1/approval-policies", json=_policy(5), headers={"Idempotency-Key": "pol-e-6"}).status_code == 403
    )


def test_a_policy_change_waits_for_a_second_administrator(consortium: Consortium, admin: Any) -> None:
    rule = {**_policy(0, operation="approvals.policy", currency="XXX"), "approver_roles": ["administrator"]}
    assert admin.post("/v1/approval-policies", json=rule, headers={"Idempotency-Key": "pol-4e-0"}).status_code == 201
    held = admin.post("/v1/approval-policies", json=_policy(9_000), headers={"Idempotency-Key": "pol-4e-1"})
    assert held.status_code == 202, held.text
    request = held.json()
    assert (request["operation"], request["status"]) == ("approvals.policy", "pending")
    assert len(admin.get("/v1/approval-policies").json()) == 1  # not applied yet
    own = admin.post(f"/v1/approvals/{request['id']}/approve", json={"reason": "mine"},
                     headers={"Idempotency-Key": "pol-4e-2"})  # fmt: skip
    assert own.status_code == 403 and problem(own)["code"] == "self_approval"
    second = client_for(consortium, add_user(consortium, "other_bank", "pol-admin-2", ["administrator"], "pol-a2"))
    approved = second.post(f"/v1/approvals/{request['id']}/approve", json={"reason": "agreed"},
                           headers={"Idempotency-Key": "pol-4e-3"})  # fmt: skip
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "sent" and approved.json()["transaction_id"] is None
    assert {p["threshold"] for p in admin.get("/v1/approval-policies").json()} == {0, 9_000}
    trail = admin.get(f"/v1/approvals/{request['id']}/trail").json()
    assert trail["verified"] and trail["on_chain_hash"] is None  # a database-only change: its trail is stored
