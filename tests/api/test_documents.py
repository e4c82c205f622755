"""Documents and financings over HTTP: fingerprints, one financing per document, duplicates refused."""

from __future__ import annotations

import hashlib

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.api.conftest import BANK, TRADER, Consortium, problem
from tradeledger.cli import app
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
    consortium: Consortium, key: str, fields: dict[str, object], face_value: int = 40_000, record_id: int | None = None
) -> dict[str, object]:
    body = {"kind": "invoice", "fields": fields, "owner": TRADER.address, "currency": "USD", "face_value": face_value}
    if record_id is not None:
        body["record_id"] = record_id
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


class TestFinancingAgainstARecord:
    """Issue #18: financing a document linked to a transferable record pledges the record to the financier in the
    same transaction; the full repayment gives it back; a pledged record cannot back a second financing."""

    def test_pledged_by_financing_refused_twice_released_by_repayment(self, consortium: Consortium) -> None:
        bank, trader = consortium.client("bank"), consortium.client("trader")
        bill = b"%PDF-1.7 bill of lading COSU6300001, 800 bales of cotton"
        digest = "0x" + hashlib.sha256(bill).hexdigest()
        issued = bank.post("/v1/records", json={"document_hash": digest, "holder": TRADER.address, "to_order": False},
                           headers={"Idempotency-Key": "rec-fin-r"})  # fmt: skip
        assert issued.status_code == 201, issued.text
        record_id = issued.json()["record_id"]
        fields = {**INVOICE, "invoice_number": "CI-PLEDGE-1", "seller_id": "S-PLEDGE", "buyer_id": "B-PLEDGE"}
        document = _register(consortium, "rec-fin-d1", fields, record_id=int(record_id))
        assert (document["record_id"], document["record_pledged"]) == (record_id, False)
        unknown = consortium.client("bank").post(
            "/v1/documents", headers={"Idempotency-Key": "rec-fin-unknown"},
            json={"kind": "invoice", "fields": {**fields, "invoice_number": "CI-PLEDGE-0"}, "owner": TRADER.address,
                  "currency": "USD", "face_value": 1_000, "record_id": 999_999},
        )  # fmt: skip
        assert unknown.status_code == 404 and problem(unknown)["code"] == "document_registry_unknown_record"

        path = f"/v1/documents/{document['document_id']}"
        financed = bank.post(f"{path}/financings", json={"amount": 20_000, "reference": "FIN-EBL-1"},
                             headers={"Idempotency-Key": "rec-fin-f1"})  # fmt: skip
        assert financed.status_code == 200, financed.text
        assert (financed.json()["state"], financed.json()["record_pledged"]) == ("FINANCED", True)
        record = bank.get(f"/v1/records/{record_id}").json()
        assert (record["state"], record["holder"], record["controller"]) == ("PLEDGED", TRADER.address, BANK.address)
        assert record["history"][-1]["action"] == "pledged_by_financing"

        # a second document backed by the same record: its financing is refused, naming the one that holds it
        other = _register(consortium, "rec-fin-d2", {**fields, "invoice_number": "CI-PLEDGE-2", "seller_id": "S-2",
                                                      "buyer_id": "B-2"}, record_id=int(record_id))  # fmt: skip
        second = bank.post(
            f"/v1/documents/{other['document_id']}/financings", json={"amount": 5_000, "reference": "FIN-EBL-2"},
            headers={"Idempotency-Key": "rec-fin-f2"},
        )  # fmt: skip
        assert second.status_code == 409, second.text
        assert problem(second)["code"] == "document_registry_invalid_record_state"
        assert f"already financed as FIN-EBL-1 (document {document['document_id']})" in str(problem(second)["detail"])

        repaid = trader.post(f"{path}/repayments", json={"amount": 20_000, "reference": "REP-EBL-1"},
                             headers={"Idempotency-Key": "rec-fin-r1"})  # fmt: skip
        assert repaid.status_code == 200, repaid.text
        assert (repaid.json()["state"], repaid.json()["record_pledged"]) == ("REPAID", False)
        record = trader.get(f"/v1/records/{record_id}").json()
        assert (record["state"], record["controller"]) == ("HELD", TRADER.address)
        assert [c["action"] for c in record["history"]] == ["issued", "pledged_by_financing",
                                                             "financing_pledge_released"]  # fmt: skip

        # anyone verifies it and sees the pledge by financing, with the financier's name, nothing commercial
        public = TestClient(consortium.app).get(f"/v1/verify/{digest}").json()["transferable_record"]
        history = [(c["action"], c["state"]) for c in public["history"]]
        assert history == [("issued", "held"), ("pledged_by_financing", "pledged"),
                           ("financing_pledge_released", "held")]  # fmt: skip
        assert BANK.address.lower() not in str(public).lower() and "FIN-EBL" not in str(public)

        # and so does the CLI, against the chain alone
        platform = consortium.platform
        args = ["records", "verify", "--rpc", platform.chain.backend.rpc_url, "--deployment",
                str(platform.settings.deployment_file), digest]  # fmt: skip
        verified = CliRunner().invoke(app, args)
        assert verified.exit_code == 0, verified.output
        lines = [line.split() for line in verified.output.splitlines() if line.startswith("  ")]
        assert [(line[2], line[3], line[-1]) for line in lines] == [
            ("RecordIssued", "issued", TRADER.address),
            ("RecordPledged", "pledged_by_financing", BANK.address),
            ("RecordPledgeReleased", "financing_pledge_released", TRADER.address),
        ]
