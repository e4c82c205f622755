"""Statements from the ledger through the API: integrity, determinism, formats, signatures, proofs, anchors."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from reconciliation.manifest import Manifest
from reconciliation.merkle import verify_inclusion
from reconciliation.validation import validate_camt
from tests.statements.conftest import BANK, DAY_1, DAY_2, OTHER_BANK, TRADER, Ledger
from tests.statements.helpers import anchor, generate
from tradeledger.chain.manifests import recover_manifest_signer


class TestIntegrity:
    def test_opening_plus_movements_is_closing(self, ledger: Ledger) -> None:
        statement = generate(ledger.client("bank"), BANK.address, DAY_1)
        document = json.loads(ledger.client("bank").get(f"/v1/statements/{statement['id']}/file").content)
        credit_sum = sum(e["amount"]["minor"] for e in document["entries"] if e["direction"] == "CRDT")
        debit_sum = sum(e["amount"]["minor"] for e in document["entries"] if e["direction"] == "DBIT")
        assert int(statement["opening"]) == 1_000_000  # the funding issued before DAY_1
        assert int(statement["opening"]) + credit_sum - debit_sum == int(statement["closing"])
        assert statement["entry_count"] == 4
        assert [e["line_no"] for e in document["entries"]] == [1, 2, 3, 4]

    def test_consecutive_days_chain(self, ledger: Ledger) -> None:
        client = ledger.client("bank")
        first, second = (generate(client, BANK.address, day) for day in (DAY_1, DAY_2))
        assert second["opening"] == first["closing"]
        assert second["sequence"] == first["sequence"] + 1
        balances = client.get(f"/v1/accounts/{BANK.address}/balances").json()["balances"]
        assert second["closing"] == next(b["amount"] for b in balances if b["currency"] == "USD")

    def test_two_day_period_equals_the_days_together(self, ledger: Ledger) -> None:
        client = ledger.client("bank")
        both = generate(client, BANK.address, DAY_1, last_day=DAY_2)
        first, second = (generate(client, BANK.address, day) for day in (DAY_1, DAY_2))
        assert (both["opening"], both["closing"]) == (first["opening"], second["closing"])
        assert both["entry_count"] == first["entry_count"] + second["entry_count"]

    def test_counterparty_restricts_to_the_pair(self, ledger: Ledger) -> None:
        statement = generate(ledger.client("bank"), BANK.address, DAY_1, counterparty=OTHER_BANK.address)
        document = json.loads(ledger.client("bank").get(f"/v1/statements/{statement['id']}/file").content)
        assert {e["counterparty"] for e in document["entries"]} == {OTHER_BANK.address}
        assert statement["entry_count"] == 2


class TestDeterminism:
    @pytest.mark.parametrize("fmt", ["camt.053.001.08", "mt940", "csv", "json"])
    def test_regeneration_is_byte_identical(self, ledger: Ledger, fmt: str) -> None:
        client = ledger.client("bank")
        first, second = (generate(client, BANK.address, DAY_1, fmt) for _ in range(2))
        assert first["id"] != second["id"]
        assert (first["file_sha256"], first["manifest_hash"]) == (second["file_sha256"], second["manifest_hash"])
        files = [client.get(f"/v1/statements/{s['id']}/file") for s in (first, second)]
        assert files[0].content == files[1].content


class TestFormats:
    def test_camt053_is_valid_against_the_xsd(self, ledger: Ledger, tmp_path: Path) -> None:
        statement = generate(ledger.client("bank"), BANK.address, DAY_1, "camt.053.001.08")
        response = ledger.client("bank").get(f"/v1/statements/{statement['id']}/file")
        assert response.headers["content-type"].startswith("application/xml")
        path = tmp_path / "statement.xml"
        path.write_bytes(response.content)
        validate_camt(path, "camt.053.001.08")

    @pytest.mark.parametrize(("fmt", "media_type"), [("mt940", "text/plain"), ("csv", "text/csv")])
    def test_download_media_types(self, ledger: Ledger, fmt: str, media_type: str) -> None:
        statement = generate(ledger.client("bank"), BANK.address, DAY_1, fmt)
        response = ledger.client("bank").get(f"/v1/statements/{statement['id']}/file")
        assert response.headers["content-type"].startswith(media_type)


class TestManifest:
    def test_signature_recovers_to_the_member(self, ledger: Ledger) -> None:
        client = ledger.client("bank")
        statement = generate(client, BANK.address, DAY_1)
        signed = client.get(f"/v1/statements/{statement['id']}/manifest").json()
        manifest = Manifest(**signed["manifest"])
        assert "0x" + manifest.manifest_hash().hex() == signed["manifest_hash"] == statement["manifest_hash"]
        assert manifest.file_sha256 == statement["file_sha256"]
        signer = recover_manifest_signer(manifest.signing_bytes(), bytes.fromhex(signed["signature"][2:]))
        assert signer == BANK.address == manifest.issuer

    def test_inclusion_proof_of_every_entry(self, ledger: Ledger) -> None:
        client = ledger.client("auditor")
        statement = generate(ledger.client("bank"), BANK.address, DAY_1)
        document = json.loads(client.get(f"/v1/statements/{statement['id']}/file").content)
        for entry in document["entries"]:
            proof = client.get(f"/v1/statements/{statement['id']}/entries/{entry['entry_id']}/proof").json()
            assert proof["merkle_root"] == statement["merkle_root"]
            path = [bytes.fromhex(node[2:]) for node in proof["audit_path"]]
            root = bytes.fromhex(proof["merkle_root"][2:])
            leaf_hash = bytes.fromhex(proof["leaf_hash"][2:])
            assert verify_inclusion(leaf_hash, proof["leaf_index"], proof["tree_size"], path, root)

    def test_proof_of_an_entry_outside_the_statement_is_404(self, ledger: Ledger) -> None:
        statement = generate(ledger.client("bank"), BANK.address, DAY_1)
        response = ledger.client("bank").get(f"/v1/statements/{statement['id']}/entries/1/proof")
        assert response.status_code == 404
        assert response.json()["code"] == "entry_not_in_statement"


class TestAccess:
    def test_sponsor_bank_generates_for_its_client_and_the_client_sees_it(self, ledger: Ledger) -> None:
        statement = generate(ledger.client("bank"), TRADER.address, DAY_1)
        assert statement["issuer"] == TRADER.address  # the trader's own key signs (hosted here)
        assert ledger.client("trader").get(f"/v1/statements/{statement['id']}").status_code == 200

    def test_others_get_404_and_auditors_read_but_cannot_write(self, ledger: Ledger) -> None:
        statement = generate(ledger.client("bank"), BANK.address, DAY_1)
        hidden = ledger.client("trader").get(f"/v1/statements/{statement['id']}")
        assert hidden.status_code == 404
        assert ledger.client("auditor").get(f"/v1/statements/{statement['id']}").status_code == 200
        body = {"account": BANK.address, "currency": "USD", "date_from": "2031-03-03", "date_to": "2031-03-03"}
        denied = ledger.client("auditor").post(
            "/v1/statements", json=body, headers={"Idempotency-Key": str(uuid.uuid4())}
        )
        assert denied.status_code == 403
        no_key = ledger.client("bank").post("/v1/statements", json=body)
        assert no_key.status_code == 400

    def test_trader_cannot_request_another_members_statement(self, ledger: Ledger) -> None:
        body = {"account": BANK.address, "currency": "USD", "date_from": "2031-03-03", "date_to": "2031-03-03"}
        response = ledger.client("trader").post(
            "/v1/statements", json=body, headers={"Idempotency-Key": str(uuid.uuid4())}
        )
        assert response.status_code == 403

    @pytest.mark.parametrize(
        "change",
        [{"currency": "XXY"}, {"date_to": "2031-03-01"}, {"account": "0x123"}, {"format": "pdf"}],
    )
    def test_bad_requests_are_422(self, ledger: Ledger, change: dict[str, str]) -> None:
        body = {"account": BANK.address, "currency": "USD", "date_from": "2031-03-03", "date_to": "2031-03-03"}
        response = ledger.client("bank").post(
            "/v1/statements", json=body | change, headers={"Idempotency-Key": str(uuid.uuid4())}
        )
        assert response.status_code == 422, response.text


class TestBilateralAnchors:
    def test_mirror_statements_agree_on_chain(self, ledger: Ledger) -> None:
        mine = generate(ledger.client("bank"), BANK.address, DAY_2, counterparty=OTHER_BANK.address)
        theirs = generate(ledger.client("other_bank"), OTHER_BANK.address, DAY_2, counterparty=BANK.address)
        assert mine["merkle_root"] == theirs["merkle_root"]
        first = anchor(ledger.client("bank"), mine["id"])
        assert first["anchor_status"] == "PENDING"
        second = anchor(ledger.client("other_bank"), theirs["id"])
        assert second["anchor_status"] == "AGREED"
        assert ledger.client("bank").get(f"/v1/statements/{mine['id']}").json()["anchor_status"] == "AGREED"
        anchors = ledger.client("auditor").get("/v1/anchors").json()["items"]
        pair = [a for a in anchors if a["anchor_id"] in {first["anchor_id"], second["anchor_id"]}]
        assert [a["status"] for a in pair] == ["AGREED", "AGREED"]
        assert {a["merkle_root"] for a in pair} == {mine["merkle_root"]}

    def test_only_the_account_anchors_and_only_once(self, ledger: Ledger) -> None:
        statement = generate(ledger.client("bank"), TRADER.address, DAY_2)
        by_sponsor = ledger.client("bank").post(
            f"/v1/statements/{statement['id']}/anchor", headers={"Idempotency-Key": str(uuid.uuid4())}
        )
        assert by_sponsor.status_code == 403
        anchor(ledger.client("trader"), statement["id"])
        again = ledger.client("trader").post(
            f"/v1/statements/{statement['id']}/anchor", headers={"Idempotency-Key": str(uuid.uuid4())}
        )
        assert again.status_code == 409
