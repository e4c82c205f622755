"""Requests shared by the statement tests."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from fastapi.testclient import TestClient


def generate(
    client: TestClient,
    account: str,
    day: date,
    fmt: str = "json",
    *,
    counterparty: str | None = None,
    last_day: date | None = None,
) -> dict[str, Any]:
    body = {
        "account": account,
        "currency": "USD",
        "date_from": day.isoformat(),
        "date_to": (last_day or day).isoformat(),
        "format": fmt,
        "counterparty": counterparty,
    }
    response = client.post("/v1/statements", json=body, headers={"Idempotency-Key": str(uuid.uuid4())})
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def anchor(client: TestClient, statement_id: str) -> dict[str, Any]:
    response = client.post(f"/v1/statements/{statement_id}/anchor", headers={"Idempotency-Key": str(uuid.uuid4())})
    assert response.status_code == 200, response.text
    anchored: dict[str, Any] = response.json()
    return anchored
