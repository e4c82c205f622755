"""Transferable records over HTTP: exclusive control enforced end to end, the history of control, and public
verification that needs no API key and shows nothing commercial."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.api.conftest import BANK, OTHER_TRADER, TRADER, Consortium, problem
from tradeledger.cli import app

BILL = b"%PDF-1.7 bill of lading MSCU1234567, 2,000 cartons of green tea, shipper Qingdao, USD 40,000"
DIGEST = "0x" + hashlib.sha256(BILL).hexdigest()


def _post(consortium: Consortium, who: str, path: str, key: str, body: dict[str, Any] | None = None) -> Any:
    return consortium.client(who).post(path, json=body, headers={"Idempotency-Key": key})


def _public(consortium: Consortium) -> TestClient:
    return TestClient(consortium.app)  # no Authorization header at all


def _issue(consortium: Consortium, key: str, document_hash: str, to_order: bool = True) -> dict[str, Any]:
    body = {"kind": "bill_of_lading", "document_hash": document_hash, "holder": TRADER.address, "to_order": to_order}
    issued = _post(consortium, "bank", "/v1/records", key, body)
    assert issued.status_code == 201, issued.text
    record: dict[str, Any] = issued.json()
    return record


@pytest.fixture(scope="module")
def public_record(consortium: Consortium) -> dict[str, Any]:
    """A bearer bill of lading the bank issued to the trader, who transferred it to the other trader."""
    record = _issue(consortium, "rec-pub", "0x" + hashlib.sha256(BILL + b" v2").hexdigest(), to_order=False)
    transferred = _post(consortium, "trader", f"/v1/records/{record['record_id']}/transfer", "rec-pub-t",
                        {"to": OTHER_TRADER.address})  # fmt: skip
    assert transferred.status_code == 200, transferred.text
    view: dict[str, Any] = transferred.json()
    return view


class TestRecords:
    def test_endorse_surrender_void_with_history(self, consortium: Consortium) -> None:
        record = _issue(consortium, "rec-1", DIGEST)
        path = f"/v1/records/{record['record_id']}"
        assert (record["state"], record["holder"], record["controller"]) == ("HELD", TRADER.address, TRADER.address)

        # nobody but the controller moves it: the bank that issued it may not endorse it away
        stolen = _post(consortium, "bank", f"{path}/endorse", "rec-1-steal", {"endorsee": BANK.address})
        assert stolen.status_code == 403 and problem(stolen)["code"] == "transferable_records_not_controller"
        # an order document is endorsed, not merely transferred
        refused = _post(consortium, "trader", f"{path}/transfer", "rec-1-t", {"to": OTHER_TRADER.address})
        assert refused.status_code == 409, refused.text  # the record's form, not the values sent

        endorsed = _post(consortium, "trader", f"{path}/endorse", "rec-1-e", {"endorsee": OTHER_TRADER.address})
        assert endorsed.status_code == 200, endorsed.text
        assert endorsed.json()["controller"] == OTHER_TRADER.address and endorsed.json()["endorsements"] == 1
        surrendered = _post(consortium, "other_trader", f"{path}/surrender", "rec-1-s")
        assert (surrendered.json()["state"], surrendered.json()["controller"]) == ("SURRENDERED", BANK.address)
        voided = _post(consortium, "bank", f"{path}/void", "rec-1-v")
        assert voided.status_code == 200 and voided.json()["state"] == "VOID"
        again = _post(consortium, "other_trader", f"{path}/surrender", "rec-1-s2")
        assert again.status_code in (403, 409), again.text

        actions = [(c["action"], c["controller"]) for c in voided.json()["history"]]
        assert actions == [
            ("issued", TRADER.address),
            ("endorsed", OTHER_TRADER.address),
            ("surrendered", BANK.address),
            ("voided", BANK.address),
        ]
        # the first holder still sees the record it once held
        assert consortium.client("trader").get(path).status_code == 200

    def test_second_record_of_one_document_refused(self, consortium: Consortium, public_record: dict[str, Any]) -> None:
        body = {"document_hash": public_record["document_hash"], "holder": TRADER.address}
        duplicate = _post(consortium, "bank", "/v1/records", "rec-dup-2", body)
        assert duplicate.status_code == 409 and "duplicate" in problem(duplicate)["code"]

    def test_bad_input_is_a_problem_naming_the_field(self, consortium: Consortium) -> None:
        bad = _post(consortium, "bank", "/v1/records", "rec-bad", {"document_hash": "0x12", "holder": TRADER.address})
        assert bad.status_code == 422 and "document_hash" in bad.text
        hidden = consortium.client("outsider").get("/v1/records/1")
        assert hidden.status_code == 404 and problem(hidden)["code"] == "record_not_found"


class TestPublicVerification:
    def test_file_and_hash_answer_the_same_without_api_key(
        self, consortium: Consortium, public_record: dict[str, Any]
    ) -> None:
        digest = public_record["document_hash"]
        client = _public(consortium)
        by_hash = client.get(f"/v1/verify/{digest}")
        assert by_hash.status_code == 200, by_hash.text
        by_file = client.post("/v1/verify", files={"document": ("bl.pdf", BILL + b" v2", "application/pdf")})
        assert by_file.status_code == 200, by_file.text
        assert by_file.json() == by_hash.json()
        answer = by_hash.json()
        assert answer["known"] and answer["known_as"] == ["transferable_record"]
        assert answer["transferable_record"]["state"] == "held"
        assert [c["action"] for c in answer["transferable_record"]["history"]] == ["issued", "transferred"]
        assert answer["issued_by"] and answer["transferable_record"]["controller"]

    def test_shows_nothing_commercial(self, consortium: Consortium, public_record: dict[str, Any]) -> None:
        record = public_record
        text = _public(consortium).get(f"/v1/verify/{record['document_hash']}").text
        # no member addresses, no transaction evidence, no amounts or terms: dates, states and names only
        secrets = (TRADER.address, OTHER_TRADER.address, BANK.address, record["tx_hash"], "USD", "amount", "terms")
        for secret in (*secrets, "holder", "record_id"):
            assert secret.lower() not in text.lower(), secret
        assert set(_public(consortium).get(f"/v1/verify/{record['document_hash']}").json()) == {
            "document_hash", "known", "known_as", "first_seen_at", "issued_by", "transferable_record",
        }  # fmt: skip

    def test_unknown_and_malformed_hashes(self, consortium: Consortium) -> None:
        client = _public(consortium)
        unknown = client.get("/v1/verify/0x" + "00" * 32).json()
        assert unknown["known"] is False and unknown["known_as"] == [] and unknown["transferable_record"] is None
        malformed = client.get("/v1/verify/0x1234")
        assert malformed.status_code == 422 and malformed.headers["content-type"] == "application/problem+json"
        empty = client.post("/v1/verify")
        assert empty.status_code == 422 and "document" in empty.text


class TestChainVerification:
    def test_cli_verifies_against_the_chain_alone(
        self, consortium: Consortium, public_record: dict[str, Any], tmp_path: Path
    ) -> None:
        platform = consortium.platform
        document = tmp_path / "bl.pdf"
        document.write_bytes(BILL + b" v2")
        rpc = platform.chain.backend.rpc_url
        args = ["records", "verify", "--rpc", rpc, "--deployment", str(platform.settings.deployment_file)]
        verified = CliRunner().invoke(app, [*args, str(document)])
        assert verified.exit_code == 0, verified.output
        assert f"is record {public_record['record_id']} (bill_of_lading), held" in verified.output
        lines = [line.split() for line in verified.output.splitlines() if line.startswith("  ")]
        assert [(line[2], line[-1]) for line in lines] == [
            ("RecordIssued", TRADER.address),
            ("RecordTransferred", OTHER_TRADER.address),
        ]
        unknown = CliRunner().invoke(app, [*args, "0x" + "00" * 32])
        assert unknown.exit_code == 1 and "not a transferable record" in unknown.output
