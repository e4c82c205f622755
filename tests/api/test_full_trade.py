"""The trade of DESIGN.md §7 through HTTP alone, one API key per party (what the API can do so far).

Purchase order -> LC application -> issue -> advise -> confirm -> amendment accepted -> presentation with a
discrepancy -> waiver -> honour with settlement -> invoice financing, with a duplicate financing refused.
(Statements, bilateral anchors, books-vs-ledger reconciliation and audit verification join with their
issues.)
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.api.conftest import BANK, OTHER_BANK, OTHER_TRADER, TRADER, Consortium, problem
from tests.api.test_lcs import terms

TODAY = datetime.now(UTC).date()


def test_full_trade_over_http(consortium: Consortium) -> None:
    importer, exporter = consortium.client("trader"), consortium.client("other_trader")
    issuing, confirming = consortium.client("bank"), consortium.client("other_bank")
    step = iter(range(1000))

    def post(client, path: str, body: object | None = None) -> dict:  # type: ignore[no-untyped-def, type-arg]
        response = client.post(path, json=body, headers={"Idempotency-Key": f"trade-{next(step)}"})
        assert response.status_code in (200, 201), (path, response.text)
        return response.json()  # type: ignore[no-any-return]

    order = post(importer, "/v1/orders", {
        "seller": OTHER_TRADER.address, "amount": 20_000, "currency": "USD",
        "terms": {"goods": "1,000 cartons of green tea", "incoterms": "CIF Hamburg"},
        "latest_shipment": (TODAY + timedelta(days=30)).isoformat(), "payment_terms": "letter_of_credit",
    })  # fmt: skip
    post(exporter, f"/v1/orders/{order['order_id']}/accept")

    lc = post(importer, "/v1/lcs", {
        "terms": terms(lc_number="LC-TRADE-1", amount="200.00", confirmation_instructions="CONFIRM",
                       requested_confirmation_party="DEUTDEFF"),
        "beneficiary": OTHER_TRADER.address, "issuing_bank": BANK.address, "advising_bank": BANK.address,
        "confirming_bank": OTHER_BANK.address, "available_with_bank": BANK.address,
    })  # fmt: skip
    path = f"/v1/lcs/{lc['lc_id']}"
    assert post(issuing, f"{path}/issue")["state"] == "ISSUED"
    assert post(issuing, f"{path}/advise")["state"] == "ADVISED"
    assert post(confirming, f"{path}/confirm")["state"] == "CONFIRMED"

    amended = post(issuing, f"{path}/amendments", {"changes": {"amount": 21_000}})
    amendment = amended["amendments"][-1]["amendment_id"]
    assert post(exporter, f"{path}/amendments/{amendment}/accept", {})["amount"] == "21000"

    fields = {
        "seller_id": "300300S39XTBSNH66F17",
        "buyer_id": "529900T8BM49AURSDO55",
        "invoice_number": "CI-TRADE-1",
        "issue_date": TODAY.isoformat(),
        "amount": 20_000,
        "currency": "USD",
    }
    invoice = {"kind": "invoice", "fields": fields}
    presented = post(exporter, f"{path}/presentations", {"documents": [invoice], "amount": 20_000,
                                                        "shipment_date": TODAY.isoformat()})  # fmt: skip
    presentation = f"{path}/presentations/{presented['presentations'][-1]['presentation_id']}"
    post(
        issuing,
        f"{presentation}/refuse",
        {"discrepancies": ["LATE_PRESENTATION"], "disposition": "hold_pending_waiver"},
    )
    post(importer, f"{presentation}/waive")
    exporter_before = _usd(exporter, OTHER_TRADER.address)
    honoured = post(issuing, f"{presentation}/honour")
    assert honoured["presentations"][-1]["state"] == "HONOURED" and honoured["drawn"] == "20000"
    assert _usd(exporter, OTHER_TRADER.address) - exporter_before == 20_000

    financed_invoice = {**fields, "invoice_number": "CI-TRADE-2"}
    document = post(issuing, "/v1/documents", {"kind": "invoice", "fields": financed_invoice, "owner": TRADER.address,
                                               "currency": "USD", "face_value": 20_000})  # fmt: skip
    assert post(issuing, f"/v1/documents/{document['document_id']}/financings",
                {"amount": 15_000, "reference": "FIN-TRADE-1"})["state"] == "FINANCED"  # fmt: skip
    altered_copy = {**financed_invoice, "invoice_number": "ci trade 2"}  # the same invoice, lightly altered
    copy = post(confirming, "/v1/documents", {"kind": "invoice", "owner": TRADER.address, "currency": "USD",
                                              "face_value": 20_000, "fields": altered_copy})  # fmt: skip
    duplicate = confirming.post(
        f"/v1/documents/{copy['document_id']}/financings",
        json={"amount": 15_000, "reference": "FIN-TRADE-2"},
        headers={"Idempotency-Key": "trade-dup"},
    )
    assert duplicate.status_code == 409
    assert problem(duplicate)["code"] == "document_registry_already_financed"
    assert f"priorDocumentId={document['document_id']}" in str(problem(duplicate)["detail"])


def _usd(client, address: str) -> int:  # type: ignore[no-untyped-def]
    balances = client.get(f"/v1/accounts/{address}/balances").json()["balances"]
    return sum(int(b["amount"]) for b in balances if b["currency"] == "USD")
