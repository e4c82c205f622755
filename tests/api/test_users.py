"""Users inside a member: an administrator adds people and service accounts with roles; each role may take
exactly its kinds of action (the role x operation matrix); keys are argon2id hashes; member keys are
administrator service accounts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.api.conftest import Consortium, problem
from tradeledger.api.app import create_app
from tradeledger.identity.models import ApiKey
from tradeledger.users.models import User

ROLES = ("administrator", "maker", "checker", "viewer", "auditor", "examiner", "treasury")


def add_user(consortium: Consortium, member: str, username: str, roles: list[str], key: str) -> str:
    """A service account of `member` with `roles`; its API key token."""
    admin = consortium.client(member)
    created = admin.post(
        "/v1/users", json={"username": username, "kind": "service", "roles": roles}, headers={"Idempotency-Key": key}
    )
    assert created.status_code == 201, created.text
    issued = admin.post(
        f"/v1/users/{created.json()['id']}/api-keys", json={"label": username}, headers={"Idempotency-Key": key + "k"}
    )
    assert issued.status_code == 201, issued.text
    token: str = issued.json()["token"]
    return token


def client_for(consortium: Consortium, token: str) -> TestClient:
    client = TestClient(create_app(consortium.platform))
    client.headers["Authorization"] = f"Bearer {token}"
    return client


@pytest.fixture(scope="module")
def staff(consortium: Consortium) -> dict[str, str]:
    """One service account of the founding bank per role: the role's name -> its token."""
    return {role: add_user(consortium, "bank", f"matrix-{role}", [role], f"matrix-user-{role}") for role in ROLES}


SOON = (datetime.now(UTC) + timedelta(days=5)).date().isoformat()
# (action, method, path, body): the role check answers 403 before the body is looked at; an allowed role gets
# past it to the body's validation (422) or the object lookup (404): nothing is written by this table.
OPERATIONS = {
    "read": ("GET", "/v1/lcs", None),
    "write": ("POST", "/v1/orders", {}),
    "examine": ("POST", "/v1/lcs/987654321/presentations/1/refuse", {}),
    "move_money": ("POST", "/v1/settlements/transfers", {}),
    "administer": ("POST", "/v1/users", {}),
    "read_audit": ("GET", "/v1/audit-log", None),
    "decide": ("POST", "/v1/approvals/no-such-request/approve", {}),
}
# The expected matrix, written out (not derived from the code under test): role -> actions it may take.
MAY = {
    "administrator": {"read", "write", "examine", "move_money", "administer", "read_audit", "decide"},
    "maker": {"read", "write", "examine", "move_money"},
    "checker": {"read", "decide"},
    "viewer": {"read"},
    "auditor": {"read", "read_audit"},
    "examiner": {"read", "examine"},
    "treasury": {"read", "move_money"},
}


def test_role_by_operation_matrix(consortium: Consortium, staff: dict[str, str]) -> None:
    wrong: list[str] = []
    for role, token in staff.items():
        client = client_for(consortium, token)
        for action, (method, path, body) in OPERATIONS.items():
            headers = {"Idempotency-Key": f"matrix-{role}-{action}"}
            response = client.get(path) if method == "GET" else client.post(path, json=body, headers=headers)
            allowed = response.status_code != 403
            if allowed != (action in MAY[role]):
                wrong.append(f"{role} {action}: {response.status_code} {response.text[:120]}")
            if not allowed:
                assert problem(response)["code"] == "forbidden"
    assert wrong == []


class TestUsers:
    def test_member_keys_are_administrator_service_accounts(self, consortium: Consortium) -> None:
        me = consortium.client("trader").get("/v1/me")
        assert me.status_code == 200, me.text
        assert me.json()["roles"] == ["administrator"] and me.json()["kind"] == "service"

    def test_keys_are_stored_as_argon2id_hashes_only(self, consortium: Consortium, staff: dict[str, str]) -> None:
        with consortium.platform.sessions() as db:
            stored = db.scalars(select(ApiKey.secret_hash)).all()
        assert stored and all(value.startswith("$argon2id$") for value in stored)
        assert not any(token in value for token in staff.values() for value in stored)

    def test_a_disabled_user_is_locked_out_at_once(self, consortium: Consortium) -> None:
        token = add_user(consortium, "bank", "leaver", ["viewer"], "leaver")
        assert client_for(consortium, token).get("/v1/me").status_code == 200
        user_id = client_for(consortium, token).get("/v1/me").json()["id"]
        disabled = consortium.client("bank").post(f"/v1/users/{user_id}/disable", headers={"Idempotency-Key": "bye"})
        assert disabled.status_code == 200 and disabled.json()["disabled"]
        assert client_for(consortium, token).get("/v1/me").status_code == 401

    def test_users_of_another_member_are_not_found(self, consortium: Consortium, staff: dict[str, str]) -> None:
        viewer = client_for(consortium, staff["viewer"]).get("/v1/me").json()["id"]
        other = consortium.client("other_bank")
        assert other.get(f"/v1/users/{viewer}").status_code == 404
        roles = other.post(f"/v1/users/{viewer}/roles", json={"roles": ["administrator"]},
                           headers={"Idempotency-Key": "steal"})  # fmt: skip
        assert roles.status_code == 404

    def test_bank_roles_are_for_banks_only(self, consortium: Consortium) -> None:
        refused = consortium.client("trader").post(
            "/v1/users", json={"username": "ex", "kind": "service", "roles": ["examiner"]},
            headers={"Idempotency-Key": "trader-examiner"},
        )  # fmt: skip
        assert refused.status_code == 422 and problem(refused)["code"] == "role_not_for_member"

    def test_a_person_needs_a_password_and_names_are_unique(self, consortium: Consortium) -> None:
        admin = consortium.client("bank")
        no_password = admin.post("/v1/users", json={"username": "ann", "roles": ["maker"]},
                                 headers={"Idempotency-Key": "ann-0"})  # fmt: skip
        assert no_password.status_code == 422 and problem(no_password)["code"] == "password_required"
        body = {"username": "ann", "roles": ["maker"], "password": "correct horse battery"}
        assert admin.post("/v1/users", json=body, headers={"Idempotency-Key": "ann-1"}).status_code == 201
        again = admin.post("/v1/users", json=body, headers={"Idempotency-Key": "ann-2"})
        assert again.status_code == 409 and problem(again)["code"] == "username_taken"
        with consortium.platform.sessions() as db:
            ann = db.scalars(select(User).where(User.username == "ann")).one()
        assert ann.password_hash is not None and ann.password_hash.startswith("$argon2id$")
