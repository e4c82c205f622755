"""Requests and read-model alterations shared by the statement tests."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from tradeledger.runtime import Platform
from tradeledger.settlements.models import LedgerPosting
from tradeledger.store.db import transaction


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


def alter_amount(platform: Platform, debit: str, credit: str, amount: int, new_amount: int) -> LedgerPosting:
    """An UPDATE of one posting's amount in the platform's read model, as a tampering insider would make it;
    returns the posting as it was (as the chain holds it)."""
    with transaction(platform.sessions) as db:
        sides = LedgerPosting.debit_account == debit, LedgerPosting.credit_account == credit
        posting = db.scalars(select(LedgerPosting).where(*sides, LedgerPosting.amount == amount)).one()
        db.expunge(posting)
        db.execute(update(LedgerPosting).where(LedgerPosting.entry_id == posting.entry_id).values(amount=new_amount))
    return posting


def replace_blocks_from(platform: Platform, block_number: int, block_hash: str) -> None:
    """Give every posting from `block_number` on another block hash in the read model, as the indexer's rebuild
    after a reorg that replaced those blocks does."""
    with transaction(platform.sessions) as db:
        db.execute(
            update(LedgerPosting).where(LedgerPosting.block_number >= block_number).values(block_hash=block_hash)
        )
