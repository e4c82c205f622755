"""`GET /v1/me/member` (the member a key acts for) and `POST /v1/audit/verifications` (a file against the chain)
at the edges; the whole path (a real statement verified, a tampered copy caught entry by entry) runs in
tests/console."""

from __future__ import annotations

import base64

from tests.api.conftest import TRADER, Consortium, problem
from tests.members import AUDITOR


def test_me_names_the_keys_member(consortium: Consortium) -> None:
    trader = consortium.client("trader").get("/v1/me/member")
    assert trader.status_code == 200, trader.text
    assert (trader.json()["address"], trader.json()["kind"]) == (TRADER.address, "TRADER")
    auditor = consortium.client("auditor").get("/v1/me/member").json()
    assert (auditor["address"], auditor["kind"]) == (AUDITOR.address, "AUDITOR")


def test_me_needs_a_key(consortium: Consortium) -> None:
    answer = consortium.client("trader").get("/v1/me/member", headers={"Authorization": "Bearer nope"})
    assert answer.status_code == 401
    assert problem(answer)["code"]


def test_verification_refuses_what_it_cannot_check_as_422(consortium: Consortium) -> None:
    auditor = consortium.client("auditor")  # read-only: it may verify, with no Idempotency-Key
    not_base64 = auditor.post("/v1/audit/verifications", json={"file_base64": "%%%", "manifest": {}})
    assert not_base64.status_code == 422, not_base64.text
    assert "file_base64" in str(problem(not_base64)["detail"])
    file = base64.b64encode(b"a,b\r\n").decode()
    no_manifest = auditor.post("/v1/audit/verifications", json={"file_base64": file, "manifest": {"manifest": {}}})
    assert no_manifest.status_code == 422, no_manifest.text
    assert problem(no_manifest)["code"] == "verification_input_invalid"
    missing = auditor.post("/v1/audit/verifications", json={"manifest": {}})
    assert missing.status_code == 422
    assert any(e["field"] == "body.file_base64" for e in problem(missing)["errors"])  # type: ignore[union-attr]


def test_me_of_a_key_that_is_no_member_is_404(consortium: Consortium) -> None:
    answer = consortium.client("agent").get("/v1/me/member")
    assert answer.status_code == 404
    assert problem(answer)["code"] == "member_not_found"
