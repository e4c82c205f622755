"""A demand guarantee over HTTP: apply, issue, demands with statements, rejection, "extend or pay", payment,
and who may see and do what."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.api.conftest import BANK, OTHER_BANK, OTHER_TRADER, TRADER, Consortium, problem

TODAY = datetime.now(UTC).date()


def guarantee(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "rules": "urdg758",
        "beneficiary": OTHER_TRADER.address,
        "guarantor": BANK.address,
        "currency": "USD",
        "amount": 50_000,
        "expiry_date": (TODAY + timedelta(days=90)).isoformat(),
        "terms": {"kind": "performance guarantee", "contract": "EPC-2031-7", "underlying": "supply of turbines"},
    }
    data.update(overrides)
    return data


def _balance(consortium: Consortium, address: str) -> int:
    balances = consortium.client("bank").get(f"/v1/accounts/{address}/balances").json()["balances"]
    return sum(int(b["amount"]) for b in balances if b["currency"] == "USD")


def test_guarantee_from_application_to_payment(consortium: Consortium) -> None:
    applicant, bank, beneficiary = (
        consortium.client("trader"),
        consortium.client("bank"),
        consortium.client("other_trader"),
    )
    applied = applicant.post(
        "/v1/guarantees", json=guarantee(advising_party=OTHER_BANK.address), headers={"Idempotency-Key": "g-1"}
    )
    assert applied.status_code == 201, applied.text
    body = applied.json()
    assert (body["state"], body["rules"], body["applicant"], body["amount"]) == (
        "APPLIED",
        "URDG_758",
        TRADER.address,
        "50000",
    )
    path = f"/v1/guarantees/{body['guarantee_id']}"
    assert bank.post(f"{path}/issue", headers={"Idempotency-Key": "g-1-i"}).json()["state"] == "ISSUED"
    advised = consortium.client("other_bank").post(f"{path}/advise", headers={"Idempotency-Key": "g-1-a"})
    assert advised.json()["state"] == "ADVISED", advised.text

    # URDG 15(a): no statement of breach, no demand
    bare = beneficiary.post(f"{path}/demands", json={"amount": 1_000}, headers={"Idempotency-Key": "g-1-d0"})
    assert bare.status_code == 422 and problem(bare)["code"] == "undertakings_demand_unsupported"

    statement = {"breach": "turbines not delivered by 2031-03-01", "signed_by": "beneficiary"}
    first = beneficiary.post(
        f"{path}/demands",
        json={"amount": 10_000, "statement": statement, "documents": [{"kind": "notice", "ref": "N-1"}]},
        headers={"Idempotency-Key": "g-1-d1"},
    )
    assert first.status_code == 200, first.text
    demand = first.json()["demands"][0]
    assert demand["state"] == "PRESENTED" and len(demand["document_hashes"]) == 1 and demand["statement_hash"]
    rejected = bank.post(
        f"{path}/demands/{demand['demand_id']}/reject",
        json={"discrepancies": ["STATEMENT_NOT_SIGNED", "AMOUNT_EXCEEDS"]},
        headers={"Idempotency-Key": "g-1-r"},
    )
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["demands"][0]["state"] == "REJECTED"
    assert len(rejected.json()["demands"][0]["discrepancies"]) == 2

    # URDG 23: extend or pay; the guarantor suspends, then grants the extension
    extend_to = (TODAY + timedelta(days=200)).isoformat()
    second = beneficiary.post(
        f"{path}/demands",
        json={"amount": 20_000, "statement": statement, "extend_to": extend_to},
        headers={"Idempotency-Key": "g-1-d2"},
    )
    demand_id = second.json()["demands"][1]["demand_id"]
    until = (TODAY + timedelta(days=10)).isoformat()
    suspended = bank.post(
        f"{path}/demands/{demand_id}/suspend", json={"until": until}, headers={"Idempotency-Key": "g-1-s"}
    )
    assert suspended.status_code == 200, suspended.text
    assert suspended.json()["demands"][1]["state"] == "SUSPENDED"
    extended = bank.post(f"{path}/demands/{demand_id}/extend", headers={"Idempotency-Key": "g-1-e"})
    assert extended.json()["demands"][1]["state"] == "WITHDRAWN"
    assert extended.json()["expiry"] > body["expiry"]

    third = beneficiary.post(
        f"{path}/demands", json={"amount": 15_000, "statement": statement}, headers={"Idempotency-Key": "g-1-d3"}
    )
    demand_id = third.json()["demands"][2]["demand_id"]
    before = _balance(consortium, OTHER_TRADER.address)
    paid = bank.post(f"{path}/demands/{demand_id}/pay", headers={"Idempotency-Key": "g-1-p"})
    assert paid.status_code == 200, paid.text
    assert paid.json()["demands"][2]["state"] == "PAID" and paid.json()["outstanding"] == "35000"
    assert _balance(consortium, OTHER_TRADER.address) == before + 15_000
    again = bank.post(f"{path}/demands/{demand_id}/pay", headers={"Idempotency-Key": "g-1-p2"})
    assert again.status_code == 409 and problem(again)["code"] == "undertakings_invalid_demand_state"

    assert consortium.client("outsider").get(path).status_code == 404
    assert consortium.client("auditor").get(path).status_code == 200
    listed = applicant.get("/v1/guarantees").json()["items"]
    assert body["guarantee_id"] in {item["guarantee_id"] for item in listed}


def test_trader_cannot_issue_and_standby_needs_expiry(consortium: Consortium) -> None:
    trader = consortium.client("trader")
    created = trader.post("/v1/guarantees", json=guarantee(), headers={"Idempotency-Key": "g-2"}).json()
    issued = trader.post(f"/v1/guarantees/{created['guarantee_id']}/issue", headers={"Idempotency-Key": "g-2-i"})
    assert issued.status_code == 403 and problem(issued)["code"] == "forbidden"
    standby = trader.post(
        "/v1/guarantees", json=guarantee(rules="isp98", expiry_date=None), headers={"Idempotency-Key": "g-3"}
    )
    assert standby.status_code == 422 and problem(standby)["code"] == "undertakings_invalid_expiry"
    bad = trader.post("/v1/guarantees", json=guarantee(currency="ZZZ"), headers={"Idempotency-Key": "g-4"})
    assert bad.status_code == 422
