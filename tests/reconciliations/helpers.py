"""Requests and books files shared by the reconciliations tests."""

from __future__ import annotations

import json
import uuid
from datetime import date
from typing import Any

import httpx
from fastapi.testclient import TestClient

from tests.posted_ledger import DAY_1, DAY_2

MAPPING = {
    "line_id": "Voucher",
    "booking_date": "Date",
    "date_format": "%d.%m.%Y",
    "amount": "Amount",
    "currency": "Currency",
    "business_reference": "E2E",
}
"""A bank's own CSV layout: a voucher number, day-first dates, a signed amount, the currency and the EndToEndId."""
HEADER = "Voucher,Date,Amount,Currency,E2E"


def books_csv(*rows: str) -> bytes:
    return "\n".join([HEADER, *rows, ""]).encode()


def upload(
    client: TestClient,
    account: str,
    books: bytes,
    fmt: str = "csv",
    *,
    mapping: dict[str, Any] | str | None = None,
    first: date = DAY_1,
    last: date = DAY_2,
    name: str = "books.csv",
    key: str | None = None,
    **fields: str,
) -> httpx.Response:
    """POST /v1/reconciliations as a multipart form, the way curl -F sends it."""
    form = {"account": account, "currency": "USD", "date_from": first.isoformat(), "date_to": last.isoformat(),
            "format": fmt, **fields}  # fmt: skip
    if mapping is not None:
        form["mapping"] = mapping if isinstance(mapping, str) else json.dumps(mapping)
    return client.post(
        "/v1/reconciliations",
        data=form,
        files={"books": (name, books, "application/octet-stream")},
        headers={"Idempotency-Key": key or str(uuid.uuid4())},
    )


def created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    run: dict[str, Any] = response.json()
    return run


def breaks(client: TestClient, run_id: str, **filters: str) -> list[dict[str, Any]]:
    """Every break of the run (following the cursor)."""
    found: list[dict[str, Any]] = []
    cursor = None
    while True:
        params = {**filters, "limit": "2", **({"cursor": cursor} if cursor else {})}
        page = client.get(f"/v1/reconciliations/{run_id}/breaks", params=params)
        assert page.status_code == 200, page.text
        found.extend(page.json()["items"])
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return found


def post(client: TestClient, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
    return client.post(path, json=body or {}, headers={"Idempotency-Key": str(uuid.uuid4())})
