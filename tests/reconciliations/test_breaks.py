"""Break status history (open → assigned → resolved, reopen), refused transitions, and exports."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest

from tests.idempotency import age_incomplete_records, refused_completion
from tests.posted_ledger import BANK, Ledger
from tests.reconciliations.helpers import MAPPING, breaks, created, post, upload
from tests.reconciliations.test_runs import EXPECTED, INJECTED
from tradeledger.reconciliations.export import EXPORT_COLUMNS


@pytest.fixture
def run(ledger: Ledger) -> dict[str, Any]:
    """A fresh run of the injected books (its breaks all open)."""
    return created(upload(ledger.client("bank"), BANK.address, INJECTED, mapping=MAPPING))


def _path(run: dict[str, Any], break_id: str, action: str = "") -> str:
    return f"/v1/reconciliations/{run['id']}/breaks/{break_id}" + (f"/{action}" if action else "")


class TestLifecycle:
    def test_open_assigned_reassigned_resolved_reopened_each_recorded(
        self, ledger: Ledger, run: dict[str, Any]
    ) -> None:
        client = ledger.client("bank")
        target = breaks(client, run["id"], category="AMOUNT_MISMATCH")[0]["id"]
        steps = [
            ("assign", {"assignee": "alice@bank", "note": "check the charges"}, "assigned", "alice@bank"),
            ("assign", {"assignee": "bob@bank"}, "assigned", "bob@bank"),
            ("resolve", {"note": "  45 cents of correspondent charges, booked to fees  "}, "resolved", "bob@bank"),
            ("reopen", {"note": "auditor asked for the invoice"}, "open", None),
            ("resolve", {"note": "invoice attached"}, "resolved", None),
        ]
        for action, body, status, assignee in steps:
            response = post(client, _path(run, target, action), body)
            assert response.status_code == 200, response.text
            assert (response.json()["status"], response.json()["assignee"]) == (status, assignee)
        history = client.get(_path(run, target)).json()["history"]
        assert [(h["from_status"], h["to_status"], h["assignee"], h["note"]) for h in history] == [
            ("open", "assigned", "alice@bank", "check the charges"),
            ("assigned", "assigned", "bob@bank", None),
            ("assigned", "resolved", "bob@bank", "45 cents of correspondent charges, booked to fees"),
            ("resolved", "open", None, "auditor asked for the invoice"),
            ("open", "resolved", None, "invoice attached"),
        ]
        assert {h["changed_by"] for h in history} == {BANK.address}
        assert [h["changed_at"] for h in history] == sorted(h["changed_at"] for h in history)
        summary = client.get(f"/v1/reconciliations/{run['id']}").json()
        assert summary["breaks_by_status"] == {"open": len(EXPECTED) - 1, "assigned": 0, "resolved": 1}
        assert len(breaks(client, run["id"], status="resolved")) == 1

    def test_a_transition_whose_answer_was_not_recorded_is_not_made_twice(
        self, ledger: Ledger, run: dict[str, Any]
    ) -> None:
        """The answer commits with the status change: a retry long after gets it, and the history one entry."""
        client = ledger.client("bank")
        target = breaks(client, run["id"])[0]["id"]
        headers = {"Idempotency-Key": f"resolve-once-{run['id']}"}
        with refused_completion(ledger.platform):
            first = client.post(_path(run, target, "resolve"), json={"note": "once"}, headers=headers)
        assert first.status_code == 503, first.text
        age_incomplete_records(ledger.platform.sessions)
        retry = client.post(_path(run, target, "resolve"), json={"note": "once"}, headers=headers)
        assert retry.status_code == 200, retry.text
        assert retry.json()["status"] == "resolved"
        history = client.get(_path(run, target)).json()["history"]
        assert [(h["from_status"], h["to_status"]) for h in history] == [("open", "resolved")]

    @pytest.mark.parametrize(("setup", "action", "body"), [
        ([], "reopen", {}),
        ([("resolve", {"note": "done"})], "resolve", {"note": "again"}),
        ([("resolve", {"note": "done"})], "assign", {"assignee": "carol"}),
        ([("assign", {"assignee": "carol"})], "reopen", {}),
    ], ids=["reopen-open", "resolve-resolved", "assign-resolved", "reopen-assigned"])  # fmt: skip
    def test_invalid_transitions_are_409_and_change_nothing(
        self,
        ledger: Ledger,
        run: dict[str, Any],
        setup: list[tuple[str, dict[str, str]]],
        action: str,
        body: dict[str, str],
    ) -> None:
        client = ledger.client("bank")
        target = breaks(client, run["id"])[0]["id"]
        for step, step_body in setup:
            assert post(client, _path(run, target, step), step_body).status_code == 200
        before = client.get(_path(run, target)).json()
        response = post(client, _path(run, target, action), body)
        assert response.status_code == 409
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "break_transition_invalid"
        assert client.get(_path(run, target)).json() == before

    @pytest.mark.parametrize(("action", "body"), [
        ("resolve", {}), ("resolve", {"note": "   "}), ("assign", {"note": "who?"}), ("assign", {"assignee": ""}),
    ])  # fmt: skip
    def test_a_resolution_needs_a_note_and_an_assignment_someone(
        self, ledger: Ledger, run: dict[str, Any], action: str, body: dict[str, str]
    ) -> None:
        client = ledger.client("bank")
        target = breaks(client, run["id"])[0]["id"]
        response = post(client, _path(run, target, action), body)
        assert response.status_code == 422
        assert client.get(_path(run, target)).json()["history"] == []

    def test_unknown_break_is_404(self, ledger: Ledger, run: dict[str, Any]) -> None:
        response = post(ledger.client("bank"), _path(run, "999999", "resolve"), {"note": "x"})
        assert (response.status_code, response.json()["code"]) == (404, "break_not_found")


class TestExport:
    def test_csv_is_excel_friendly_and_holds_every_break(self, ledger: Ledger, run: dict[str, Any]) -> None:
        client = ledger.client("bank")
        target = breaks(client, run["id"], category="TIMING")[0]["id"]
        post(client, _path(run, target, "assign"), {"assignee": "alice"})
        response = client.get(f"/v1/reconciliations/{run['id']}/export", params={"format": "csv"})
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/csv; charset=utf-8"
        assert f'filename="reconciliation-{run["id"]}-breaks.csv"' in response.headers["content-disposition"]
        assert response.content.startswith(b"\xef\xbb\xbf")
        assert b"\r\n" in response.content
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert rows[0] == [f"{chinese}({english})" for english, chinese in EXPORT_COLUMNS]
        records = [dict(zip([english for english, _ in EXPORT_COLUMNS], row, strict=True)) for row in rows[1:]]
        assert len(records) == len(EXPECTED)
        by_category = {record["category"]: record for record in records}
        fee = by_category["AMOUNT_MISMATCH"]
        assert (fee["subtype"], fee["ledger_amount"], fee["book_amount"], fee["difference"]) == (
            "FEE", "123.45", "123.00", "-0.45"
        )  # fmt: skip
        currency = by_category["CURRENCY_MISMATCH"]
        assert (currency["currency"], currency["ledger_amount"], currency["book_currency"]) == ("USD", "-40.00", "EUR")
        assert (currency["book_amount"], currency["difference"]) == ("-40.00", "")
        assert by_category["MISSING_IN_LEDGER"]["book_references"] == "'=SUM(A1)"  # no formula in Excel
        assert (by_category["TIMING"]["status"], by_category["TIMING"]["assignee"]) == ("assigned", "alice")

    def test_json_is_the_summary_and_the_breaks_as_the_api_shows_them(
        self, ledger: Ledger, run: dict[str, Any]
    ) -> None:
        client = ledger.client("auditor")
        response = client.get(f"/v1/reconciliations/{run['id']}/export", params={"format": "json"})
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        document = json.loads(response.content)
        assert document["run"] == client.get(f"/v1/reconciliations/{run['id']}").json()
        assert document["breaks"] == breaks(client, run["id"])

    def test_unknown_format_is_422(self, ledger: Ledger, run: dict[str, Any]) -> None:
        response = ledger.client("bank").get(f"/v1/reconciliations/{run['id']}/export", params={"format": "xlsx"})
        assert response.status_code == 422
