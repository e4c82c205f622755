"""Maker-checker on honours: policy thresholds, four eyes, no self-approval, concurrent approvals, rejection,
an approval the chain would refuse, and a crash between the last approval and sending.

The second bank holds the policies here (and they are removed after the module), so that the founding bank's
honours in other modules are not held.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import DBAPIError

from tests.api.conftest import BANK, OTHER_BANK, TRADER, Consortium, problem
from tests.api.test_lcs import INVOICE, TODAY, application
from tests.api.test_users import add_user, client_for
from tests.members import AGENT, issue
from tradeledger.api.app import create_app
from tradeledger.chain.txmanager import TransactionManager
from tradeledger.store.models import ChainTransaction
from tradeledger.users.approvals import trail_hash
from tradeledger.users.models import Approval, ApprovalPolicy, ApprovalRequest, AuditEntry, RequestStatus

Team = dict[str, Any]
Paths = dict[str, str]
ROLES = {"maker": ["maker"], "checker1": ["checker"], "checker2": ["checker"], "checker3": ["checker"],
         "viewer": ["viewer"]}  # fmt: skip


@pytest.fixture(scope="module")
def team(consortium: Consortium) -> Iterator[dict[str, Any]]:
    """The second bank's maker, checkers and viewer (clients by name), funded, with two policies on honours in
    USD: above 5,000 one checker, above 10,000 two."""
    issue(consortium.platform, OTHER_BANK, 1_000_000, "FUND-OTHER-BANK", issuer=AGENT)
    # the applicant reimburses every honour here: fund it for them, so the trader's balance other modules use stays
    issue(consortium.platform, TRADER, sum(DRAWINGS.values()), "FUND-MC-APPLICANT", issuer=BANK)
    clients = {name: client_for(consortium, add_user(consortium, "other_bank", f"mc-{name}", roles, f"mc-{name}"))
               for name, roles in ROLES.items()}  # fmt: skip
    admin = consortium.client("other_bank")
    for threshold, approvals in ((5_000, 1), (10_000, 2)):
        created = admin.post(
            "/v1/approval-policies",
            json={"operation": "lc.honour", "currency": "USD", "threshold": threshold, "approvals": approvals},
            headers={"Idempotency-Key": f"mc-policy-{threshold}"},
        )
        assert created.status_code == 201, created.text
    yield clients
    with consortium.platform.transaction() as db:
        requests = select(ApprovalRequest.id).where(ApprovalRequest.member == OTHER_BANK.address)
        db.execute(delete(Approval).where(Approval.request_id.in_(requests)))
        db.execute(delete(ApprovalRequest).where(ApprovalRequest.member == OTHER_BANK.address))
        db.execute(delete(ApprovalPolicy).where(ApprovalPolicy.member == OTHER_BANK.address))


_credits = iter(range(1, 100))


DRAWINGS = {"below": 4_999, "at": 5_000, "above": 5_001, "strict": 10_001, "four_eyes": 12_000, "self": 6_000,
            "rejected": 7_000, "refused": 8_000, "together": 11_000, "race": 10_500, "crash": 5_500,
            "trail": 5_200, "verify": 5_300, "audit": 5_400}  # fmt: skip


@pytest.fixture(scope="module")
def drawings(consortium: Consortium, team: dict[str, Any]) -> dict[str, str]:
    """One credit with a complying presentation per test (the drawing named): their paths."""
    return dict(zip(DRAWINGS, presented(consortium, *DRAWINGS.values()), strict=True))


def presented(consortium: Consortium, *drawings: int) -> list[str]:
    """A credit the second bank issues (amount 2,000.00 USD) with one complying presentation per drawing: their
    honour paths."""
    number = next(_credits)
    bank = consortium.client("other_bank")
    body = application(lc_number=f"LC-MC-{number}", amount="2000.00")
    body.update(issuing_bank=OTHER_BANK.address, advising_bank=OTHER_BANK.address,
                available_with_bank=OTHER_BANK.address)  # fmt: skip
    lc = consortium.client("trader").post("/v1/lcs", json=body, headers={"Idempotency-Key": f"mc-lc-{number}"})
    assert lc.status_code == 201, lc.text
    path = f"/v1/lcs/{lc.json()['lc_id']}"
    assert bank.post(f"{path}/issue", headers={"Idempotency-Key": f"mc-{number}-i"}).status_code == 200
    paths = []
    for index, amount in enumerate(drawings):
        invoice = {**INVOICE, "fields": {**INVOICE["fields"], "invoice_number": f"MC-{number}-{index}"}}
        shown = consortium.client("other_trader").post(
            f"{path}/presentations",
            json={"documents": [invoice], "amount": amount, "shipment_date": TODAY.isoformat()},
            headers={"Idempotency-Key": f"mc-{number}-p{index}"},
        )
        assert shown.status_code == 200, shown.text
        paths.append(f"{path}/presentations/{shown.json()['presentations'][-1]['presentation_id']}")
    return paths


def honour(client: Any, path: str, key: str) -> Any:
    return client.post(f"{path}/honour", headers={"Idempotency-Key": key})


def decide(client: Any, request_id: str, verb: str, key: str, reason: str = "ok") -> Any:
    return client.post(f"/v1/approvals/{request_id}/{verb}", json={"reason": reason}, headers={"Idempotency-Key": key})


def honours_sent(consortium: Consortium) -> int:
    with consortium.platform.sessions() as db:
        return int(db.scalar(select(func.count()).where(ChainTransaction.signer == OTHER_BANK.address,
                                                        ChainTransaction.function == "honour")) or 0)  # fmt: skip


def state(consortium: Consortium, path: str) -> str:
    lc_path, presentation_id = path.split("/presentations/")
    credit = consortium.client("other_bank").get(lc_path).json()
    found = next(p for p in credit["presentations"] if str(p["presentation_id"]) == presentation_id)
    return str(found["state"])


class TestThresholds:
    @pytest.mark.parametrize(("name", "held"), [("below", False), ("at", False), ("above", True)])
    def test_amounts_above_the_threshold_are_held(
        self,
        consortium: Consortium,
        team: Team,
        drawings: Paths,
        name: str,
        held: bool,
    ) -> None:
        path, amount = drawings[name], DRAWINGS[name]
        answered = honour(team["maker"], path, f"mc-edge-{amount}")
        assert answered.status_code == (202 if held else 200), answered.text
        if held:
            request = answered.json()
            assert answered.headers["location"] == f"/v1/approvals/{request['id']}"
            assert (request["status"], request["approvals_required"], request["amount"]) == ("pending", 1, amount)
        assert state(consortium, path) == ("PRESENTED" if held else "HONOURED")

    def test_the_strictest_policy_applies(self, consortium: Consortium, team: Team, drawings: Paths) -> None:
        path = drawings["strict"]
        assert honour(team["maker"], path, "mc-strict").json()["approvals_required"] == 2


class TestFourEyes:
    def test_two_checkers_send_it_once_and_nobody_approves_their_own(
        self, consortium: Consortium, team: Team, drawings: Paths
    ) -> None:
        path = drawings["four_eyes"]
        request = honour(team["maker"], path, "mc-4e").json()
        queue = team["checker1"].get("/v1/approvals", params={"status": "pending"}).json()["items"]
        assert request["id"] in {item["id"] for item in queue}
        own = decide(team["maker"], request["id"], "approve", "mc-4e-own")
        assert own.status_code == 403, own.text  # a maker cannot approve at all
        viewer = decide(team["viewer"], request["id"], "approve", "mc-4e-viewer")
        assert viewer.status_code == 403
        sent_before = honours_sent(consortium)
        first = decide(team["checker1"], request["id"], "approve", "mc-4e-1")
        assert first.status_code == 200 and first.json()["status"] == "pending", first.text
        again = decide(team["checker1"], request["id"], "approve", "mc-4e-1b")
        assert again.status_code == 409 and problem(again)["code"] == "approval_already_decided"
        assert honours_sent(consortium) == sent_before and state(consortium, path) == "PRESENTED"
        second = decide(team["checker2"], request["id"], "approve", "mc-4e-2")
        assert second.status_code == 200, second.text
        done = second.json()
        assert done["status"] == "sent" and done["transaction_id"] and done["trail_hash"].startswith("0x")
        assert [a["decision"] for a in done["approvals"]] == ["approved", "approved"]
        assert state(consortium, path) == "HONOURED" and honours_sent(consortium) == sent_before + 1
        late = decide(team["checker3"], request["id"], "approve", "mc-4e-3")
        assert late.status_code == 409 and problem(late)["code"] == "approval_request_not_pending"

    def test_a_checker_cannot_approve_a_request_they_made(
        self, consortium: Consortium, team: Team, drawings: Paths
    ) -> None:
        """An administrator who also checks makes a request, then tries to approve it."""
        admin = client_for(consortium, add_user(consortium, "other_bank", "mc-both", ["maker", "checker"], "mc-both"))
        path = drawings["self"]
        request = honour(admin, path, "mc-self").json()
        refused = decide(admin, request["id"], "approve", "mc-self-a")
        assert refused.status_code == 403 and problem(refused)["code"] == "self_approval"

    def test_a_rejected_request_never_reaches_the_chain(
        self, consortium: Consortium, team: Team, drawings: Paths
    ) -> None:
        path = drawings["rejected"]
        request = honour(team["maker"], path, "mc-rej").json()
        sent_before = honours_sent(consortium)
        no_reason = team["checker1"].post(f"/v1/approvals/{request['id']}/reject", json={},
                                          headers={"Idempotency-Key": "mc-rej-0"})  # fmt: skip
        assert no_reason.status_code == 422
        rejected = decide(team["checker1"], request["id"], "reject", "mc-rej-1", reason="beneficiary on watch list")
        assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
        assert rejected.json()["reason"] == "beneficiary on watch list"
        after = decide(team["checker2"], request["id"], "approve", "mc-rej-2")
        assert after.status_code == 409
        assert honours_sent(consortium) == sent_before and state(consortium, path) == "PRESENTED"

    def test_an_approval_the_chain_would_refuse_is_refused_and_not_recorded(
        self, consortium: Consortium, team: Team, drawings: Paths
    ) -> None:
        path = drawings["refused"]
        request = honour(team["maker"], path, "mc-pre").json()
        refused = consortium.client("other_bank").post(
            f"{path}/refuse", json={"discrepancies": ["LATE_SHIPMENT"], "disposition": "returning"},
            headers={"Idempotency-Key": "mc-pre-r"},
        )  # fmt: skip
        assert refused.status_code == 200, refused.text
        sent_before = honours_sent(consortium)
        approved = decide(team["checker1"], request["id"], "approve", "mc-pre-a")
        assert 400 <= approved.status_code < 500 and str(problem(approved)["code"]).startswith("letter_of_credit_")
        now = team["checker1"].get(f"/v1/approvals/{request['id']}").json()
        assert now["status"] == "pending" and now["approvals"] == []
        assert honours_sent(consortium) == sent_before


class TestConcurrentApprovals:
    def test_two_at_once_where_two_are_needed_send_it_once(
        self, consortium: Consortium, team: Team, drawings: Paths
    ) -> None:
        path = drawings["together"]
        request = honour(team["maker"], path, "mc-cc").json()
        sent_before = honours_sent(consortium)
        with ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(lambda who: decide(team[who], request["id"], "approve", f"mc-cc-{who}"),
                                    ["checker1", "checker2"]))  # fmt: skip
        assert sorted(a.status_code for a in answers) == [200, 200], [a.text for a in answers]
        final = team["checker1"].get(f"/v1/approvals/{request['id']}").json()
        assert final["status"] == "sent" and len(final["approvals"]) == 2
        assert honours_sent(consortium) == sent_before + 1 and state(consortium, path) == "HONOURED"

    def test_two_last_approvals_at_once_send_it_once(self, consortium: Consortium, team: Team, drawings: Paths) -> None:
        path = drawings["race"]
        request = honour(team["maker"], path, "mc-race").json()
        assert decide(team["checker1"], request["id"], "approve", "mc-race-1").status_code == 200
        sent_before = honours_sent(consortium)
        with ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(lambda who: decide(team[who], request["id"], "approve", f"mc-race-{who}"),
                                    ["checker2", "checker3"]))  # fmt: skip
        assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
        assert honours_sent(consortium) == sent_before + 1 and state(consortium, path) == "HONOURED"


class TestCrashAfterTheLastApproval:
    def test_stored_with_its_approval_then_sent_once_on_restart(
        self, consortium: Consortium, team: Team, drawings: Paths, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The process dies after the last approval and the signed transaction committed, before it was sent:
        on restart (the transaction manager's recovery) it is sent, once; the checker's retry sends nothing."""
        path = drawings["crash"]
        request = honour(team["maker"], path, "mc-crash").json()
        sent_before = honours_sent(consortium)

        def crash(self: TransactionManager, rows: list[ChainTransaction]) -> None:
            raise RuntimeError("the process died before broadcasting")

        checker = TestClient(create_app(consortium.platform), raise_server_exceptions=False)
        checker.headers["Authorization"] = team["checker1"].headers["Authorization"]
        with monkeypatch.context() as patch:
            patch.setattr(TransactionManager, "broadcast", crash)
            died = decide(checker, request["id"], "approve", "mc-crash-1")
        assert died.status_code >= 200  # whatever the client heard, the decision and the transaction are stored
        stored = team["checker1"].get(f"/v1/approvals/{request['id']}").json()
        assert stored["status"] == "sent" and stored["transaction_id"], stored
        assert state(consortium, path) == "PRESENTED"
        consortium.platform.transactions.recover()  # what a restarted service does first
        consortium.platform.wait_indexed(
            consortium.platform.transactions.wait(stored["transaction_id"]).block_number or 0
        )
        assert state(consortium, path) == "HONOURED" and honours_sent(consortium) == sent_before + 1
        retry = decide(checker, request["id"], "approve", "mc-crash-1")
        assert retry.status_code < 500
        assert honours_sent(consortium) == sent_before + 1


class TestAuditLog:
    def test_every_action_and_decision_by_user_exported(
        self, consortium: Consortium, team: Team, drawings: Paths
    ) -> None:
        """A held honour of its own (tests may run in any order): who asked, who approved, what was sent; CSV and
        JSON; readable by the member's administrators (and auditors), not by its viewers; nobody can change it."""
        request = honour(team["maker"], drawings["audit"], "mc-audit").json()
        assert decide(team["viewer"], request["id"], "approve", "mc-audit-viewer").status_code == 403
        assert decide(team["checker2"], request["id"], "approve", "mc-audit-2").json()["status"] == "sent"
        admin = consortium.client("other_bank")
        exported = admin.get("/v1/audit-log/export", params={"format": "csv"})
        assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(exported.text)))
        honour_path = drawings["audit"] + "/honour"
        assert any(r["action"] == f"POST {honour_path}" and r["username"] == "mc-maker" and
                   r["outcome"].startswith("202 committed") for r in rows)  # fmt: skip
        approvals = [r for r in rows if r["action"] == "approval.approve" and r["outcome"].startswith("approved; sent")]
        assert {r["username"] for r in approvals} >= {"mc-checker2"}
        assert any(r["outcome"].startswith("403") and r["username"] == "mc-viewer" for r in rows)
        as_json = admin.get("/v1/audit-log/export", params={"format": "json"}).json()
        assert [entry["id"] for entry in as_json] == [int(r["id"]) for r in rows]
        assert all(r["username"] for r in rows)
        assert team["viewer"].get("/v1/audit-log").status_code == 403
        assert consortium.client("bank").get("/v1/audit-log").json()["items"] != as_json[:50]  # per member
        with pytest.raises(DBAPIError), consortium.platform.transaction() as db:
            db.execute(update(AuditEntry).values(outcome="nothing happened"))
        with pytest.raises(DBAPIError), consortium.platform.transaction() as db:
            db.execute(delete(AuditEntry))

    def test_an_auditor_member_reads_and_exports_any_members_log(self, consortium: Consortium, team: Team) -> None:
        """Read-only, for auditors (the member kind); another member's administrators are refused."""
        other = {"member": OTHER_BANK.address}
        auditor, admin = consortium.client("auditor"), consortium.client("other_bank")
        page = auditor.get("/v1/audit-log", params={**other, "limit": 200})
        assert page.status_code == 200, page.text
        assert page.json()["items"] == admin.get("/v1/audit-log", params={"limit": 200}).json()["items"]
        exported = auditor.get("/v1/audit-log/export", params={**other, "format": "csv"})
        assert exported.status_code == 200 and exported.text == admin.get("/v1/audit-log/export").text
        refused = consortium.client("bank").get("/v1/audit-log", params=other)
        assert refused.status_code == 403 and problem(refused)["code"] == "forbidden"
        bad = auditor.get("/v1/audit-log", params={"member": "bank-b"})
        assert bad.status_code == 422

    def test_the_approval_trail_hash_is_stored_with_its_transaction(
        self, consortium: Consortium, team: Team, drawings: Paths
    ) -> None:
        request = honour(team["maker"], drawings["trail"], "mc-trail").json()  # its own: tests may run in any order
        assert decide(team["checker1"], request["id"], "approve", "mc-trail-1").json()["status"] == "sent"
        with consortium.platform.sessions() as db:
            sent = db.scalars(select(ApprovalRequest).where(ApprovalRequest.status == RequestStatus.SENT)).all()
            assert request["id"] in {row.id for row in sent}
            for request in sent:
                assert request.transaction_id is not None
                trail = db.scalars(select(Approval).where(Approval.request_id == request.id).order_by(Approval.id))
                assert request.trail_hash == trail_hash(request, list(trail))

    def test_an_auditor_checks_the_trail_against_the_chain(
        self, consortium: Consortium, team: Team, drawings: Paths
    ) -> None:
        """The trail's hash rides on chain with the honour (after its call's arguments); the check recomputes it
        from the records, reads the transaction from the node, and fails once the records are altered."""
        request = honour(team["maker"], drawings["verify"], "mc-verify").json()
        assert decide(team["checker1"], request["id"], "approve", "mc-verify-1").json()["status"] == "sent"
        path = f"/v1/approvals/{request['id']}/trail"
        checked = consortium.client("auditor").get(path)  # an auditor member reads every member's
        assert checked.status_code == 200, checked.text
        trail = checked.json()
        assert trail["verified"] and trail["policy_met"] and trail["block_number"], trail
        assert trail["on_chain_hash"] == trail["stored_hash"] == trail["recomputed_hash"]
        assert consortium.client("other_bank").get(path).json()["verified"]  # the member's administrators
        assert team["viewer"].get(path).status_code == 403
        assert consortium.client("bank").get(path).status_code == 404  # another member
        with consortium.platform.transaction() as db:
            approval = db.scalars(select(Approval).where(Approval.request_id == request["id"])).one()
            reason, approval.reason = approval.reason, "approved by nobody"
        try:
            altered = consortium.client("auditor").get(path).json()
            assert not altered["verified"] and altered["recomputed_hash"] != altered["on_chain_hash"]
        finally:
            with consortium.platform.transaction() as db:
                db.execute(update(Approval).where(Approval.request_id == request["id"]).values(reason=reason))
