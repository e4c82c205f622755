"""Open-account invoices and bank payment undertakings over HTTP (read): the invoice with its match report (every
comparison and every mismatch), the undertaking, filters, and who may see them. The trade itself is made on the
real contracts (no write routes yet): the seller invoices, the buyer records a mismatch whose report is held off
chain, the buyer's bank establishes an undertaking to the seller's bank."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from tests.api.conftest import BANK, OTHER_BANK, OTHER_TRADER, TRADER, Consortium, problem, without_id
from tests.members import call
from tradeledger.indexer.queries import event_argument
from tradeledger.invoices import service as invoices
from tradeledger.invoices.matching import (
    EvidenceKind,
    InvoiceData,
    Line,
    MovementEvidence,
    OrderData,
    Tolerances,
    match,
)

AMOUNT = 1_000
DAY = 24 * 3600


def _created(consortium: Consortium, tx_hash: str, contract: str, event: str, argument: str) -> str:
    with consortium.platform.sessions() as db:
        return str(event_argument(db, tx_hash, contract, event, argument))


def open_account_trade(consortium: Consortium, key: str) -> dict[str, str]:
    """TRADER orders from OTHER_TRADER on open account; the invoice over-ships one line, so the buyer records a
    mismatch (its report held off chain); TRADER's bank undertakes to pay OTHER_BANK. Returns the ids."""
    platform, buyer = consortium.platform, consortium.client("trader")
    soon = (datetime.now(UTC) + timedelta(days=20)).date()
    order = buyer.post(
        "/v1/orders",
        json={"seller": OTHER_TRADER.address, "amount": AMOUNT, "currency": "USD", "terms": {"goods": "tea"},
              "latest_shipment": soon.isoformat(), "payment_terms": "open_account", "due_date": soon.isoformat()},
        headers={"Idempotency-Key": f"{key}-order"},
    ).json()  # fmt: skip
    order_id = order["order_id"]
    accepted = consortium.client("other_trader").post(
        f"/v1/orders/{order_id}/accept", headers={"Idempotency-Key": f"{key}-accept"}
    )
    assert accepted.status_code == 200, accepted.text
    now = platform.chain_time()
    data = (AMOUNT, 110, os.urandom(32), os.urandom(32), now)
    issued = call(platform, "Invoices", "issueInvoice", (int(order_id), data), OTHER_TRADER.address)
    invoice_id = _created(consortium, issued, "Invoices", "InvoiceIssued", "invoiceId")
    report = match(
        OrderData(key, TRADER.address, OTHER_TRADER.address, "USD", AMOUNT, soon, (Line("TEA", Decimal(100), 10),)),
        InvoiceData("INV-1", key, TRADER.address, OTHER_TRADER.address, "USD", AMOUNT, date.today(),
                    (Line("TEA", Decimal(110), 10),)),
        MovementEvidence(EvidenceKind.DELIVERY_CONFIRMATION, "0x" + "33" * 32, date.today(), {"TEA": Decimal(110)}),
        Tolerances(),
    )  # fmt: skip
    with platform.transaction() as db:
        digest = invoices.keep_report(db, report, TRADER.address)
    call(platform, "Invoices", "recordMatch", (int(invoice_id), False, bytes.fromhex(digest[2:])), TRADER.address)
    args = (int(order_id), OTHER_BANK.address, AMOUNT, now + 10 * DAY, now + 20 * DAY, os.urandom(32))
    established = call(platform, "PaymentUndertakings", "establish", args, BANK.address)
    undertaking_id = _created(consortium, established, "PaymentUndertakings", "UndertakingEstablished", "undertakingId")
    return {"order_id": order_id, "invoice_id": invoice_id, "undertaking_id": undertaking_id}


@pytest.fixture(scope="module")
def trade(consortium: Consortium) -> dict[str, str]:
    return open_account_trade(consortium, "oa-read")


def test_invoice_shows_every_comparison_and_the_mismatch(consortium: Consortium, trade: dict[str, str]) -> None:
    response = consortium.client("trader").get(f"/v1/invoices/{trade['invoice_id']}")
    assert response.status_code == 200, response.text
    invoice = response.json()
    assert (invoice["state"], invoice["order_id"], invoice["amount"], invoice["quantity_total"]) == (
        "MISMATCHED", trade["order_id"], str(AMOUNT), "110",
    )  # fmt: skip
    report: dict[str, Any] = invoice["match_report"]
    assert (report["matched"], report["accepted"], report["recorded_by"]) == (False, False, TRADER.address)
    fields = [c["field"] for c in report["comparisons"]]
    assert {"buyer", "seller", "currency", "invoice.amount", "line[TEA].quantity"} <= set(fields)
    assert [m["field"] for m in report["mismatches"]] == ["invoice.amount = sum(lines)", "line[TEA].quantity"]
    quantity = next(m for m in report["mismatches"] if m["field"] == "line[TEA].quantity")
    assert (quantity["expected"], quantity["actual"], quantity["tolerance"]) == ("100", "110", "exact")


def test_undertaking_names_both_banks_and_the_terms(consortium: Consortium, trade: dict[str, str]) -> None:
    body = consortium.client("other_bank").get(f"/v1/payment-undertakings/{trade['undertaking_id']}").json()
    assert (body["state"], body["order_id"], body["amount"], body["currency"]) == (
        "ESTABLISHED", trade["order_id"], str(AMOUNT), "USD",
    )  # fmt: skip
    assert (body["obligor_bank"], body["recipient_bank"], body["payee"]) == (
        BANK.address, OTHER_BANK.address, OTHER_TRADER.address,
    )  # fmt: skip
    assert body["due_date"] < body["expiry"] and body["pending_amendment"] is None


@pytest.mark.parametrize("who", ["trader", "other_trader", "bank", "other_bank", "auditor"])
def test_every_party_and_the_auditor_see_them(consortium: Consortium, trade: dict[str, str], who: str) -> None:
    client = consortium.client(who)
    assert client.get(f"/v1/invoices/{trade['invoice_id']}").status_code == 200
    assert client.get(f"/v1/payment-undertakings/{trade['undertaking_id']}").status_code == 200
    listed = client.get("/v1/invoices", params={"order_id": trade["order_id"]}).json()["items"]
    assert [item["invoice_id"] for item in listed] == [trade["invoice_id"]]
    undertakings = client.get("/v1/payment-undertakings", params={"order_id": trade["order_id"]}).json()["items"]
    assert [item["undertaking_id"] for item in undertakings] == [trade["undertaking_id"]]


def test_an_outsider_gets_the_404_of_a_missing_one(consortium: Consortium, trade: dict[str, str]) -> None:
    outsider = consortium.client("outsider")
    for path, key in (("/v1/invoices", "invoice_id"), ("/v1/payment-undertakings", "undertaking_id")):
        hidden, missing = outsider.get(f"{path}/{trade[key]}"), outsider.get(f"{path}/987654321")
        assert hidden.status_code == missing.status_code == 404
        assert without_id(hidden.text, trade[key]) == without_id(missing.text, "987654321")
        assert problem(hidden)["code"] in ("invoice_not_found", "payment_undertaking_not_found")
        assert outsider.get(path, params={"order_id": trade["order_id"]}).json()["items"] == []


def test_filters(consortium: Consortium, trade: dict[str, str]) -> None:
    auditor = consortium.client("auditor")
    mine = auditor.get("/v1/invoices", params={"account": OTHER_TRADER.address, "limit": 200}).json()["items"]
    assert trade["invoice_id"] in {item["invoice_id"] for item in mine}
    assert all(OTHER_TRADER.address in (item["seller"], item["buyer"]) for item in mine)
    settled = auditor.get("/v1/payment-undertakings", params={"state": "SETTLED", "order_id": trade["order_id"]})
    assert settled.json()["items"] == []


def test_bad_filters_are_named_422s(consortium: Consortium) -> None:
    client = consortium.client("trader")
    for path, params in (
        ("/v1/invoices", {"account": "0x12"}),
        ("/v1/invoices", {"order_id": "-1"}),
        ("/v1/payment-undertakings", {"state": "PAID"}),
    ):
        response = client.get(path, params=params)
        assert response.status_code == 422, (path, response.text)
        assert next(iter(params)) in response.text
        problem(response)


def _accepted_order(
    consortium: Consortium, key: str, payment_terms: str = "open_account", terms: dict[str, Any] | None = None
) -> str:
    soon = (datetime.now(UTC) + timedelta(days=20)).date().isoformat()
    order = consortium.client("trader").post(
        "/v1/orders",
        json={"seller": OTHER_TRADER.address, "amount": AMOUNT, "currency": "USD", "terms": terms or {"goods": "tea"},
              "latest_shipment": soon, "payment_terms": payment_terms,
              **({"due_date": soon} if payment_terms == "open_account" else {})},
        headers={"Idempotency-Key": f"{key}-order"},
    ).json()  # fmt: skip
    path = f"/v1/orders/{order['order_id']}/accept"
    assert consortium.client("other_trader").post(path, headers={"Idempotency-Key": f"{key}-accept"}).status_code == 200
    return str(order["order_id"])


def _invoice(order_id: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "order_id": order_id, "number": "INV-7", "issue_date": date.today().isoformat(), "amount": AMOUNT,
        "lines": [{"item": "TEA", "quantity": 100, "unit_price": 10}],
    }  # fmt: skip
    body.update(overrides)
    return body


def test_the_seller_issues_an_invoice(consortium: Consortium) -> None:
    order_id = _accepted_order(consortium, "oa-issue")
    seller = consortium.client("other_trader")
    issued = seller.post("/v1/invoices", json=_invoice(order_id), headers={"Idempotency-Key": "oa-issue-i"})
    assert issued.status_code == 201, issued.text
    invoice = issued.json()
    assert issued.headers["Location"] == f"/v1/invoices/{invoice['invoice_id']}"
    assert (invoice["state"], invoice["version"], invoice["amount"], invoice["quantity_total"], invoice["buyer"]) == (
        "ISSUED", 1, str(AMOUNT), "100", TRADER.address,
    )  # fmt: skip
    assert invoice["match_report"] is None and invoice["invoice_hash"].startswith("0x")
    again = seller.post("/v1/invoices", json=_invoice(order_id), headers={"Idempotency-Key": "oa-issue-i"})
    assert again.json()["invoice_id"] == invoice["invoice_id"]  # the retry gets the stored answer
    second = seller.post("/v1/invoices", json=_invoice(order_id), headers={"Idempotency-Key": "oa-issue-i2"})
    assert second.status_code == 422 and problem(second)["code"] == "invoices_invalid_order", second.text


def test_only_the_seller_of_an_open_account_order_invoices_it(consortium: Consortium) -> None:
    order_id = _accepted_order(consortium, "oa-refuse")
    buyer = consortium.client("trader").post(
        "/v1/invoices", json=_invoice(order_id), headers={"Idempotency-Key": "oa-refuse-b"}
    )
    assert buyer.status_code == 403 and problem(buyer)["code"] == "invoices_not_party", buyer.text
    outsider = consortium.client("outsider")
    hidden = outsider.post("/v1/invoices", json=_invoice(order_id), headers={"Idempotency-Key": "oa-refuse-o"})
    missing = outsider.post("/v1/invoices", json=_invoice("987654321"), headers={"Idempotency-Key": "oa-refuse-m"})
    assert hidden.status_code == missing.status_code == 404
    assert without_id(hidden.text, order_id) == without_id(missing.text, "987654321")
    future = (date.today() + timedelta(days=3)).isoformat()
    late = consortium.client("other_trader").post(
        "/v1/invoices", json=_invoice(order_id, issue_date=future), headers={"Idempotency-Key": "oa-refuse-f"}
    )
    assert late.status_code == 422 and problem(late)["code"] == "invoices_invalid_invoice", late.text
    lc_order = _accepted_order(consortium, "oa-refuse-lc", payment_terms="letter_of_credit")
    on_lc = consortium.client("other_trader").post(
        "/v1/invoices", json=_invoice(lc_order), headers={"Idempotency-Key": "oa-refuse-lci"}
    )
    assert problem(on_lc)["code"] == "invoices_invalid_order", on_lc.text
    nothing = consortium.client("other_trader").post(
        "/v1/invoices", json=_invoice(order_id, lines=[]), headers={"Idempotency-Key": "oa-refuse-e"}
    )
    assert nothing.status_code == 422 and "lines" in nothing.text


ORDERED = {"goods": "tea", "lines": [{"item": "TEA", "quantity": 100, "unit_price": 10}],
           "tolerances": {"quantity_plus_bps": 500, "quantity_minus_bps": 500, "amount_plus_bps": 500}}  # fmt: skip


def _issued(consortium: Consortium, key: str, terms: dict[str, Any], quantity: int = 100) -> str:
    order_id = _accepted_order(consortium, key, terms=terms)
    body = _invoice(order_id, lines=[{"item": "TEA", "quantity": quantity, "unit_price": 10}], amount=quantity * 10)
    issued = consortium.client("other_trader").post("/v1/invoices", json=body, headers={"Idempotency-Key": f"{key}-i"})
    assert issued.status_code == 201, issued.text
    return str(issued.json()["invoice_id"])


def _evidence(quantity: int) -> dict[str, Any]:
    return {"evidence": {"kind": "delivery_confirmation", "document_hash": "0x" + "44" * 32,
                         "event_date": date.today().isoformat(), "quantities": {"TEA": quantity}}}  # fmt: skip


def test_the_buyer_records_a_match_within_tolerance(consortium: Consortium) -> None:
    invoice_id = _issued(consortium, "oa-match", ORDERED, quantity=105)  # +5 %: the tolerance's very edge
    buyer = consortium.client("trader")
    matched = buyer.post(f"/v1/invoices/{invoice_id}/match", json=_evidence(105), headers={"Idempotency-Key": "oa-m"})
    assert matched.status_code == 200, matched.text
    invoice = matched.json()
    assert invoice["state"] == "MATCHED"
    report = invoice["match_report"]
    assert (report["matched"], report["mismatches"], report["recorded_by"]) == (True, [], TRADER.address)
    quantity = next(c for c in report["comparisons"] if c["field"] == "line[TEA].quantity")
    assert (quantity["expected"], quantity["actual"], quantity["tolerance"]) == ("100", "105", "+500/-500 bps")
    again = buyer.post(f"/v1/invoices/{invoice_id}/match", json=_evidence(105), headers={"Idempotency-Key": "oa-m2"})
    assert again.status_code == 409 and problem(again)["code"] == "invoices_invalid_state", again.text


def test_a_mismatch_is_recorded_and_refusals_are_named(consortium: Consortium) -> None:
    invoice_id = _issued(consortium, "oa-mis", ORDERED, quantity=106)  # one unit beyond the tolerance
    path = f"/v1/invoices/{invoice_id}/match"
    seller = consortium.client("other_trader").post(path, json=_evidence(106), headers={"Idempotency-Key": "oa-x1"})
    assert seller.status_code == 403 and problem(seller)["code"] == "invoice_match_not_buyer"
    outsider = consortium.client("outsider")
    hidden = outsider.post(path, json=_evidence(106), headers={"Idempotency-Key": "oa-x2"})
    missing = outsider.post("/v1/invoices/987654321/match", json=_evidence(106), headers={"Idempotency-Key": "oa-x3"})
    assert hidden.status_code == missing.status_code == 404
    assert without_id(hidden.text, invoice_id) == without_id(missing.text, "987654321")
    buyer = consortium.client("trader")
    mismatched = buyer.post(path, json=_evidence(106), headers={"Idempotency-Key": "oa-x4"}).json()
    assert mismatched["state"] == "MISMATCHED"
    fields = [m["field"] for m in mismatched["match_report"]["mismatches"]]
    assert fields == ["invoice.amount", "line[TEA].quantity"], mismatched
    unstated = _issued(consortium, "oa-nolines", {"goods": "tea"})
    refused = buyer.post(f"/v1/invoices/{unstated}/match", json=_evidence(100), headers={"Idempotency-Key": "oa-x5"})
    assert refused.status_code == 422 and problem(refused)["code"] == "match_data_missing", refused.text


def test_the_obligor_bank_accepts_the_mismatch(consortium: Consortium, trade: dict[str, str]) -> None:
    path = f"/v1/payment-undertakings/{trade['undertaking_id']}/accept-mismatch"
    trader = consortium.client("trader").post(path, headers={"Idempotency-Key": "oa-am-t"})
    assert trader.status_code == 403 and problem(trader)["code"] == "forbidden", trader.text
    recipient = consortium.client("other_bank").post(path, headers={"Idempotency-Key": "oa-am-r"})
    assert recipient.status_code == 403, recipient.text
    assert problem(recipient)["code"] == "payment_undertakings_unauthorized"
    accepted = consortium.client("bank").post(path, headers={"Idempotency-Key": "oa-am-b"})
    assert accepted.status_code == 200, accepted.text
    body = accepted.json()
    assert (body["mismatch_invoice_id"], body["state"]) == (trade["invoice_id"], "ESTABLISHED")
    assert body["mismatch_accepted_at"] is not None
    twice = consortium.client("bank").post(path, headers={"Idempotency-Key": "oa-am-b2"})
    assert problem(twice)["code"] == "payment_undertakings_invalid_mismatch", twice.text
