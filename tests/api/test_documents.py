"""Documents and financings over HTTP: fingerprints, one financing per document, duplicates refused."""

from __future__ import annotations

from tests.api.conftest import BANK, TRADER, Consortium, problem
from tradeledger.documents.fingerprints import InvoiceFields, canonical_token, fingerprints

INVOICE = {
    "seller_id": "5493001KJTIIGC8Y1R12",
    "buyer_id": "DE-HRB-1234",
    "invoice_number": "INV-2026-042",
    "issue_date": "2026-11-20",
    "amount": 40_000,
    "currency": "USD",
}


def _register(
    consortium: Consortium, key: str, fields: dict[str, object], face_value: int = 40_000
) -> dict[str, object]:
    body = {"kind": "invoice", "fields": fields, "owner": TRADER.address, "currency": "USD", "face_value": face_value}
    response = consortium.client("bank").post("/v1/documents", json=body, headers={"Idempotency-Key": key})
    assert response.status_code == 201, response.text
    document: dict[str, object] = response.json()
    return document


class TestFingerprints:
    def test_altered_copy_still_collides_on_a_subset(self) -> None:
        original = fingerprints("invoice", InvoiceFields.model_validate(INVOICE), b"k")
        altered = fingerprints(
            "invoice",
            InvoiceFields.model_validate({**INVOICE, "invoice_number": "inv 2026/042", "amount": 39_999}),
            b"k",
        )
        assert original[0] != altered[0]  # the full set differs ...
        assert set(original[1:]) & set(altered[1:])  # ... a robust subset still matches

    def test_keyed_not_plain_hash(self) -> None:
        fields = InvoiceFields.model_validate(INVOICE)
        assert fingerprints("invoice", fields, b"one") != fingerprints("invoice", fields, b"two")

    def test_canonical_token(self) -> None:
        assert canonical_token(" inv-2026/０４２ ") == "INV2026042"  # noqa: RUF001 - full-width digits on purpose


class TestFinancing:
    def test_register_finance_duplicate_refused_repay(self, consortium: Consortium) -> None:
        bank = consortium.client("bank")
        document = _register(consortium, "doc-1", INVOICE)
        assert document["state"] == "REGISTERED" and len(document["fingerprints"]) == 4  # type: ignore[arg-type]
        path = f"/v1/documents/{document['document_id']}"
        financed = bank.post(
            f"{path}/financings", json={"amount": 30_000, "reference": "FIN-1"}, headers={"Idempotency-Key": "doc-1-f"}
        )
        assert financed.status_code == 200, financed.text
        assert financed.json()["state"] == "FINANCED" and financed.json()["financier"] == BANK.address

        copy = _register(consortium, "doc-2", {**INVOICE, "invoice_number": "INV 2026 042"})
        duplicate = bank.post(
            f"/v1/documents/{copy['document_id']}/financings",
            json={"amount": 10_000, "reference": "FIN-2"},
            headers={"Idempotency-Key": "doc-2-f"},
        )
        assert duplicate.status_code == 409
        body = problem(duplicate)
        assert body["code"] == "document_registry_already_financed"
        assert f"priorDocumentId={document['document_id']}" in str(body["detail"])
        assert "already financed as FIN-1" in str(body["detail"])

        check = bank.post("/v1/documents/fingerprint-check", json={"kind": "invoice", "fields": INVOICE}).json()
        assert {m["document_id"] for m in check["matches"]} >= {document["document_id"]}

        repaid = consortium.client("trader").post(
            f"{path}/repayments", json={"amount": 30_000, "reference": "REP-1"}, headers={"Idempotency-Key": "doc-1-r"}
        )
        assert repaid.status_code == 200, repaid.text
        assert repaid.json()["state"] == "REPAID" and repaid.json()["outstanding"] == "0"

    def test_financing_above_face_value_is_refused(self, consortium: Consortium) -> None:
        document = _register(
            consortium,
            "doc-3",
            {**INVOICE, "invoice_number": "X-77", "seller_id": "OTHER-SELLER", "buyer_id": "B2"},
            1_000,
        )
        response = consortium.client("bank").post(
            f"/v1/documents/{document['document_id']}/financings",
            json={"amount": 1_001, "reference": "FIN-3"},
            headers={"Idempotency-Key": "doc-3-f"},
        )
        assert (
            response.status_code in (409, 422) and problem(response)["code"] == "document_registry_exceeds_face_value"
        )

    def test_outsider_cannot_see_document(self, consortium: Consortium) -> None:
        document = _register(
            consortium, "doc-4", {**INVOICE, "invoice_number": "Y-1", "seller_id": "S4", "buyer_id": "B4"}
        )
        assert consortium.client("outsider").get(f"/v1/documents/{document['document_id']}").status_code == 404

    def test_bad_fields_name_the_field(self, consortium: Consortium) -> None:
        body = {"kind": "invoice", "fields": {**INVOICE, "issue_date": "not a date"}}
        response = consortium.client("bank").post("/v1/documents/fingerprint-check", json=body)
        assert response.status_code == 422 and "issue_date" in str(problem(response)["detail"])
