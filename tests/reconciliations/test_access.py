"""Who may reconcile and read what, and Idempotency-Key on multipart uploads."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import without_id
from tests.posted_ledger import BANK, OUTSIDER, TRADER, Ledger
from tests.reconciliations.helpers import MAPPING, books_csv, breaks, created, post, upload
from tests.reconciliations.test_runs import statement_file

TRADER_BOOKS = books_csv("T1,03.03.2031,100.00,USD,INV-2031-001", "T9,04.03.2031,1.00,USD,UNKNOWN-REF")
MISSING = "987654321"


@pytest.fixture(scope="module")
def traders_run(ledger: Ledger) -> dict[str, Any]:
    """A run on the trader's account, made by the trader itself; one of its breaks."""
    run = created(upload(ledger.client("trader"), TRADER.address, TRADER_BOOKS, mapping=MAPPING))
    return {**run, "break_id": breaks(ledger.client("trader"), run["id"])[0]["id"]}


def _reads(run: dict[str, Any], run_id: str | None = None, break_id: str | None = None) -> list[str]:
    base = f"/v1/reconciliations/{run_id or run['id']}"
    return [base, f"{base}/breaks", f"{base}/breaks/{break_id or run['break_id']}", f"{base}/export?format=json"]


def _writes(
    run: dict[str, Any], run_id: str | None = None, break_id: str | None = None
) -> list[tuple[str, dict[str, str]]]:
    base = f"/v1/reconciliations/{run_id or run['id']}/breaks/{break_id or run['break_id']}"
    return [(f"{base}/assign", {"assignee": "x"}), (f"{base}/resolve", {"note": "x"}), (f"{base}/reopen", {})]


class TestAccess:
    def test_the_owner_and_its_sponsor_bank_reconcile_and_read(
        self, ledger: Ledger, traders_run: dict[str, Any]
    ) -> None:
        by_bank = created(upload(ledger.client("bank"), TRADER.address, TRADER_BOOKS, mapping=MAPPING))
        assert by_bank["created_by"] == BANK.address
        for who in ("trader", "bank"):
            client = ledger.client(who)
            for run in (traders_run, by_bank):
                assert client.get(f"/v1/reconciliations/{run['id']}").status_code == 200

    @pytest.mark.parametrize("who", ["outsider", "other_bank"])
    def test_others_get_the_same_404_as_for_nothing(
        self, ledger: Ledger, traders_run: dict[str, Any], who: str
    ) -> None:
        client = ledger.client(who)
        for hidden, absent in zip(_reads(traders_run), _reads(traders_run, MISSING, MISSING), strict=True):
            seen, missing = client.get(hidden), client.get(absent)
            assert (seen.status_code, missing.status_code) == (404, 404), hidden
            assert without_id(seen.text, traders_run["id"]) == without_id(missing.text, MISSING)
        for (hidden, body), (absent, _) in zip(
            _writes(traders_run), _writes(traders_run, MISSING, MISSING), strict=True
        ):
            seen, missing = post(client, hidden, body), post(client, absent, body)
            assert (seen.status_code, missing.status_code) == (404, 404), hidden
            assert without_id(seen.text, traders_run["id"]) == without_id(missing.text, MISSING)
        listed = client.get("/v1/reconciliations", params={"limit": 200}).json()["items"]
        assert traders_run["id"] not in {run["id"] for run in listed}

    @pytest.mark.parametrize("who", ["outsider", "other_bank"])
    def test_others_may_not_reconcile_the_account(self, ledger: Ledger, who: str) -> None:
        response = upload(ledger.client(who), TRADER.address, TRADER_BOOKS, mapping=MAPPING)
        assert (response.status_code, response.json()["code"]) == (403, "forbidden")

    def test_the_auditor_reads_everything_and_writes_nothing(self, ledger: Ledger, traders_run: dict[str, Any]) -> None:
        client = ledger.client("auditor")
        for path in _reads(traders_run):
            assert client.get(path).status_code == 200, path
        listed = client.get("/v1/reconciliations", params={"account": TRADER.address, "limit": 200}).json()["items"]
        assert traders_run["id"] in {run["id"] for run in listed}
        assert all(run["account"] == TRADER.address for run in listed)
        for path, body in _writes(traders_run):
            assert post(client, path, body).status_code == 403, path
        refused = upload(client, TRADER.address, TRADER_BOOKS, mapping=MAPPING)
        assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")

    def test_a_trader_filtering_on_another_account_sees_nothing(
        self, ledger: Ledger, traders_run: dict[str, Any]
    ) -> None:
        client = ledger.client("outsider")
        for account in (TRADER.address, OUTSIDER.address):
            listed = client.get("/v1/reconciliations", params={"account": account})
            assert listed.json() == {"items": [], "next_cursor": None}
        assert client.get("/v1/reconciliations", params={"account": "nope"}).status_code == 422


class TestIdempotency:
    def test_a_retried_upload_with_another_multipart_boundary_replays_the_first_answer(self, ledger: Ledger) -> None:
        client = ledger.client("bank")
        key = str(uuid.uuid4())
        before = len(client.get("/v1/reconciliations", params={"limit": 200}).json()["items"])
        first = _upload_with_boundary(client, key, "first-boundary-1234", TRADER_BOOKS)
        second = _upload_with_boundary(client, key, "second-boundary-5678", TRADER_BOOKS)
        assert first.status_code == second.status_code == 201
        assert first.content == second.content
        assert second.headers["location"] == first.headers["location"]
        assert len(client.get("/v1/reconciliations", params={"limit": 200}).json()["items"]) == before + 1
        other_file = _upload_with_boundary(client, key, "third", TRADER_BOOKS + b"T3,03.03.2031,1.00,USD,X\n")
        assert (other_file.status_code, other_file.json()["code"]) == (422, "idempotency_key_reused")

    def test_a_write_without_a_key_is_refused(self, ledger: Ledger) -> None:
        response = ledger.client("bank").post(
            "/v1/reconciliations", data={"account": TRADER.address}, files={"books": ("b.csv", TRADER_BOOKS)}
        )
        assert (response.status_code, response.json()["code"]) == (400, "idempotency_key_missing")

    def test_books_larger_than_the_api_body_limit_are_accepted(self, ledger: Ledger) -> None:
        statement = statement_file(ledger, BANK.address, "csv")
        padding = b"".join(f"# {'x' * 90}\r\n".encode() for _ in range(4_000))  # comment lines: skipped
        books = statement[:3] + padding + statement[3:]
        assert len(books) > 256 * 1024
        run = created(upload(ledger.client("bank"), BANK.address, books))
        assert sum(run["breaks_by_category"].values()) == 0


def _upload_with_boundary(client: TestClient, key: str, boundary: str, books: bytes) -> httpx.Response:
    return client.post(
        "/v1/reconciliations",
        data={"account": TRADER.address, "currency": "USD", "date_from": "2031-03-03", "date_to": "2031-03-04",
              "format": "csv", "mapping": json.dumps(MAPPING)},
        files={"books": ("books.csv", books, "text/csv")},
        headers={"Idempotency-Key": key, "Content-Type": f"multipart/form-data; boundary={boundary}"},
    )  # fmt: skip
