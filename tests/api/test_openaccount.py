"""Open-account invoices and bank payment undertakings over HTTP: the invoice with its match report (every
comparison and every mismatch), the undertaking, filters, and who may see them; the writes: invoices issued,
matched and corrected by a new version, the undertaking established by the buyer's bank, its mismatch accepted,
and its discount by the recipient bank. The shared read trade is made on the real contracts directly: the seller
invoices, the buyer records a mismatch whose report is held off chain, the buyer's bank establishes an undertaking
to the seller's bank."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from tests.api.conftest import BANK, OTHER_BANK, OTHER_TRADER, TRADER, Consortium, problem, without_id
from tests.members import AGENT, call, issue
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
from tradeledger.store.models import ChainTransaction

AMOUNT = 1_000
DAY = 24 * 3600


def _created(consortium: Consortium, mined: ChainTransaction, contract: str, event: str, argument: str) -> str:
    with consortium.platform.sessions() as db:
        return str(event_argument(db, mined, contract, event, argument))


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


def accepted_order(
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
    order_id = accepted_order(consortium, "oa-issue")
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
    order_id = accepted_order(consortium, "oa-refuse")
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
    lc_order = accepted_order(consortium, "oa-refuse-lc", payment_terms="letter_of_credit")
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
    order_id = accepted_order(consortium, key, terms=terms)
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


def _undertaking_body(order_id: str, amount: int = AMOUNT, due_in: int = 10, expiry_in: int = 20) -> dict[str, Any]:
    today = date.today()
    return {"order_id": order_id, "recipient_bank": OTHER_BANK.address, "amount": amount,
            "due_date": (today + timedelta(days=due_in)).isoformat(),
            "expiry": (today + timedelta(days=expiry_in)).isoformat(), "terms": {"rules": "URBPO 750"}}  # fmt: skip


class TestEstablish:
    """The buyer's bank establishes the undertaking over the API (URBPO 750: the obligor bank commits itself)."""

    def test_the_buyers_bank_establishes_it_on_the_accepted_order(self, consortium: Consortium) -> None:
        order_id = accepted_order(consortium, "oa-est")
        body = _undertaking_body(order_id)
        made = consortium.client("bank").post("/v1/payment-undertakings", json=body,
                                              headers={"Idempotency-Key": "oa-est-1"})  # fmt: skip
        assert made.status_code == 201, made.text
        view = made.json()
        assert made.headers["Location"] == f"/v1/payment-undertakings/{view['undertaking_id']}"
        assert (view["state"], view["order_id"], view["amount"], view["currency"]) == (
            "ESTABLISHED", order_id, str(AMOUNT), "USD",
        )  # fmt: skip
        assert (view["obligor_bank"], view["recipient_bank"], view["payee"]) == (
            BANK.address, OTHER_BANK.address, OTHER_TRADER.address,
        )  # fmt: skip
        due = datetime.fromtimestamp(view["due_date"], UTC)
        assert (due.date().isoformat(), due.hour, due.minute) == (body["due_date"], 23, 59)  # all of the due day
        again = consortium.client("bank").post("/v1/payment-undertakings", json=body,
                                               headers={"Idempotency-Key": "oa-est-2"})  # fmt: skip
        assert again.status_code == 422, again.text  # one live undertaking per order
        assert problem(again)["code"] == "payment_undertakings_invalid_order"
        for step in ("pay", "cancel"):  # the order's payment belongs to the undertaking now
            refused = consortium.client("trader").post(f"/v1/orders/{order_id}/{step}",
                                                       headers={"Idempotency-Key": f"oa-est-{step}"})  # fmt: skip
            assert refused.status_code == 409, refused.text
            assert problem(refused)["code"] == "trade_orders_covered_by_undertaking"

    def test_refusals_are_named(self, consortium: Consortium) -> None:
        order_id = accepted_order(consortium, "oa-est-refuse")
        body = _undertaking_body(order_id)
        trader = consortium.client("trader").post("/v1/payment-undertakings", json=body,
                                                  headers={"Idempotency-Key": "oa-estr-t"})  # fmt: skip
        assert trader.status_code == 403 and problem(trader)["code"] == "forbidden", trader.text
        other = consortium.client("other_bank")  # not a party to the order: the 404 of a missing one
        hidden = other.post("/v1/payment-undertakings", json=body, headers={"Idempotency-Key": "oa-estr-h"})
        missing = other.post("/v1/payment-undertakings", json={**body, "order_id": "987654321"},
                             headers={"Idempotency-Key": "oa-estr-m"})  # fmt: skip
        assert hidden.status_code == missing.status_code == 404
        assert without_id(hidden.text, order_id) == without_id(missing.text, "987654321")
        to_itself = consortium.client("bank").post("/v1/payment-undertakings",
                                                   json={**body, "recipient_bank": BANK.address},
                                                   headers={"Idempotency-Key": "oa-estr-s"})  # fmt: skip
        assert problem(to_itself)["code"] == "payment_undertakings_invalid_recipient", to_itself.text
        past = consortium.client("bank").post("/v1/payment-undertakings", json=_undertaking_body(order_id, due_in=-2),
                                              headers={"Idempotency-Key": "oa-estr-p"})  # fmt: skip
        assert past.status_code == 422 and problem(past)["code"] == "payment_undertakings_invalid_terms", past.text
        lc_order = accepted_order(consortium, "oa-estr-lc", payment_terms="letter_of_credit")
        on_lc = consortium.client("bank").post("/v1/payment-undertakings", json=_undertaking_body(lc_order),
                                               headers={"Idempotency-Key": "oa-estr-lc"})  # fmt: skip
        assert problem(on_lc)["code"] == "payment_undertakings_invalid_order", on_lc.text


FACE = 1_000_000  # USD 10,000.00


def _registered_invoice(consortium: Consortium, key: str, owner: str, face: int = FACE) -> str:
    """The seller's invoice the financier (the other bank) registers in the duplicate-financing guard: its id."""
    fields = {"seller_id": f"LEI-{key}", "buyer_id": "DE-HRB-1234", "invoice_number": f"OA-{key}",
              "issue_date": date.today().isoformat(), "amount": face, "currency": "USD"}  # fmt: skip
    body = {"kind": "invoice", "fields": fields, "owner": owner, "currency": "USD", "face_value": face}
    registered = consortium.client("other_bank").post("/v1/documents", json=body,
                                                      headers={"Idempotency-Key": f"{key}-doc"})  # fmt: skip
    assert registered.status_code == 201, registered.text
    return str(registered.json()["document_id"])


def _usd(consortium: Consortium, account: str) -> int:
    balances = consortium.client("auditor").get(f"/v1/accounts/{account}/balances").json()["balances"]
    return int(next((b["amount"] for b in balances if b["currency"] == "USD"), 0))


@pytest.fixture(scope="module")
def established(consortium: Consortium) -> dict[str, str]:
    """A USD 10,000.00 undertaking due 30 days after the chain's today; the other bank funded to discount it."""
    issue(consortium.platform, OTHER_BANK, 2 * FACE, "FUND-OA-DISCOUNT", issuer=AGENT)
    order_id = accepted_order(consortium, "oa-disc")
    chain_today = datetime.fromtimestamp(consortium.platform.chain_time(), UTC).date()
    body = {**_undertaking_body(order_id, amount=FACE),
            "due_date": (chain_today + timedelta(days=30)).isoformat()}  # fmt: skip
    made = consortium.client("bank").post("/v1/payment-undertakings", json=body,
                                          headers={"Idempotency-Key": "oa-disc-est"})  # fmt: skip
    assert made.status_code == 201, made.text
    return {"undertaking_id": made.json()["undertaking_id"], "order_id": order_id}


class TestDiscount:
    """Receivables discounting: the recipient bank pays the seller early, face less face x rate x days / basis."""

    def test_the_recipient_bank_discounts_it_to_the_minor_unit(
        self, consortium: Consortium, established: dict[str, str]
    ) -> None:
        document_id = _registered_invoice(consortium, "oa-disc", OTHER_TRADER.address)
        seller_before = _usd(consortium, OTHER_TRADER.address)
        path = f"/v1/payment-undertakings/{established['undertaking_id']}/discounts"
        body = {"document_id": document_id, "rate_bps": 500, "day_count": "ACT/360", "reference": "OA-DISC-1"}
        done = consortium.client("other_bank").post(path, json=body, headers={"Idempotency-Key": "oa-disc-1"})
        assert done.status_code == 200, done.text
        view = done.json()
        # 1,000,000 x 5 % x 30 / 360 = 4,166.67 -> 4,167 (half up); the seller gets the rest
        assert (view["days"], view["discount"], view["advance"], view["face"]) == (30, "4167", "995833", str(FACE))
        assert _usd(consortium, OTHER_TRADER.address) - seller_before == 995_833
        undertaking = view["undertaking"]
        assert (undertaking["payee"], undertaking["financed_document_id"]) == (OTHER_BANK.address, document_id)
        document = consortium.client("other_bank").get(f"/v1/documents/{document_id}").json()
        assert (document["state"], document["financier"]) == ("FINANCED", OTHER_BANK.address), document
        twice = consortium.client("other_bank").post(path, json=body, headers={"Idempotency-Key": "oa-disc-2"})
        assert twice.status_code == 409 and problem(twice)["code"] == "discount_refused", twice.text

    def test_nothing_is_paid_when_the_document_is_not_the_sellers(
        self, consortium: Consortium, established: dict[str, str]
    ) -> None:
        path = f"/v1/payment-undertakings/{established['undertaking_id']}/discounts"
        foreign = _registered_invoice(consortium, "oa-disc-foreign", TRADER.address)  # the buyer's, not the seller's
        body = {"document_id": foreign, "rate_bps": 500, "day_count": "ACT/365", "reference": "OA-DISC-F"}
        refused = consortium.client("other_bank").post(path, json=body, headers={"Idempotency-Key": "oa-disc-f"})
        assert refused.status_code == 404, refused.text
        trader = consortium.client("other_trader").post(path, json=body, headers={"Idempotency-Key": "oa-disc-t"})
        assert trader.status_code == 403, trader.text
        document = consortium.client("other_bank").get(f"/v1/documents/{foreign}").json()
        assert document["state"] == "REGISTERED"
        bad = consortium.client("other_bank").post(path, json={**body, "day_count": "30/360"},
                                                   headers={"Idempotency-Key": "oa-disc-b"})  # fmt: skip
        assert bad.status_code == 422 and "day_count" in bad.text


class TestCorrection:
    """A mismatch corrected by a new invoice version, which the buyer matches again."""

    def test_the_seller_corrects_a_mismatch_and_the_new_version_matches(self, consortium: Consortium) -> None:
        first = _issued(consortium, "oa-corr", ORDERED, quantity=106)  # one unit beyond the tolerance
        buyer, seller = consortium.client("trader"), consortium.client("other_trader")
        key = {"Idempotency-Key": "oa-c1"}
        mismatched = buyer.post(f"/v1/invoices/{first}/match", json=_evidence(100), headers=key)
        assert mismatched.json()["state"] == "MISMATCHED", mismatched.text
        path = f"/v1/invoices/{first}/corrections"
        body = {"number": "INV-7b", "issue_date": date.today().isoformat(), "amount": 1_000,
                "lines": [{"item": "TEA", "quantity": 100, "unit_price": 10}]}  # fmt: skip
        by_buyer = buyer.post(path, json=body, headers={"Idempotency-Key": "oa-c2"})
        assert by_buyer.status_code == 403 and problem(by_buyer)["code"] == "invoices_not_party", by_buyer.text
        hidden = consortium.client("outsider").post(path, json=body, headers={"Idempotency-Key": "oa-c3"})
        assert hidden.status_code == 404, hidden.text
        corrected = seller.post(path, json=body, headers={"Idempotency-Key": "oa-c4"})
        assert corrected.status_code == 201, corrected.text
        second = corrected.json()
        assert corrected.headers["Location"] == f"/v1/invoices/{second['invoice_id']}"
        assert (second["version"], second["state"], second["supersedes"], second["amount"]) == (
            2, "ISSUED", first, "1000",
        )  # fmt: skip
        old = buyer.get(f"/v1/invoices/{first}").json()
        assert (old["state"], old["superseded_by"]) == ("SUPERSEDED", second["invoice_id"])
        matched = buyer.post(f"/v1/invoices/{second['invoice_id']}/match", json=_evidence(100),
                             headers={"Idempotency-Key": "oa-c5"})  # fmt: skip
        assert matched.status_code == 200 and matched.json()["state"] == "MATCHED", matched.text
        again = seller.post(f"/v1/invoices/{second['invoice_id']}/corrections", json=body,
                            headers={"Idempotency-Key": "oa-c6"})  # fmt: skip
        assert again.status_code == 409 and problem(again)["code"] == "invoices_invalid_state", again.text
