"""Statements from the ledger through the API: integrity, determinism, formats, signatures, proofs, anchors."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete

from reconciliation.canonical import entry_leaf_hash
from reconciliation.entries import LedgerEntry
from reconciliation.manifest import Manifest, verify_history
from reconciliation.merkle import MerkleTree, verify_consistency, verify_inclusion
from reconciliation.validation import validate_camt
from tests.statements.conftest import (
    BANK,
    DAY_1,
    DAY_2,
    DAY_3,
    EAST_BANK,
    OTHER_BANK,
    TRADER,
    WEST_BANK,
    Ledger,
    attach_instance,
)
from tests.statements.helpers import alter_amount, anchor, generate, replace_blocks_from
from tradeledger.chain.manifests import recover_manifest_signer
from tradeledger.statements import repository, service
from tradeledger.statements.models import HistorySubtree
from tradeledger.store.db import transaction


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


class TestClosedPeriods:
    """A period is closed once the read model holds a block stamped at or after its end (the chain's clock: the
    ledger's days are in 2031, long after the wall clock's today)."""

    @pytest.mark.parametrize("fmt", ["camt.053.001.08", "mt940", "csv", "json"])
    def test_a_statement_of_a_period_still_open_is_refused(self, ledger: Ledger, fmt: str) -> None:
        body = {"account": BANK.address, "currency": "USD", "date_from": DAY_2.isoformat(), "format": fmt}
        response = ledger.client("bank").post(
            "/v1/statements",
            json=body | {"date_to": DAY_3.isoformat()},
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
        assert response.status_code == 409, response.text
        assert response.json()["code"] == "period_not_closed"

    @pytest.mark.parametrize("fmt", ["camt.052.001.08", "camt.054.001.08"])
    def test_an_intraday_report_runs_to_the_last_indexed_block(self, ledger: Ledger, fmt: str) -> None:
        client = ledger.client("bank")
        report = generate(client, BANK.address, DAY_2, fmt, last_day=DAY_3)
        with ledger.platform.sessions() as db:  # what the report was cut at (nothing indexed since)
            chain = ledger.platform.transactions
            indexed = service.indexed_until(db, chain.rpc, chain.chain_id)
        assert indexed is not None and indexed.date() == DAY_3
        assert (report["period_start"], report["period_end"]) == ("2031-03-04T00:00:00Z", _iso(indexed))
        whole_day = generate(client, BANK.address, DAY_2, fmt)
        assert (report["entry_count"], report["closing"]) == (whole_day["entry_count"], whole_day["closing"])

    def test_an_intraday_report_of_a_day_not_begun_is_refused(self, ledger: Ledger) -> None:
        body = {"account": BANK.address, "currency": "USD", "date_from": "2031-03-06", "date_to": "2031-03-06"}
        response = ledger.client("bank").post(
            "/v1/statements",
            json=body | {"format": "camt.052.001.08"},
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
        assert response.status_code == 409
        assert response.json()["code"] == "period_not_closed"


class TestCutOff:
    """A statement without an end runs up to the last indexed block; the end it states, given back as `cut_off`,
    gives the same file again (and lets the counterparty mirror it)."""

    def _post(self, ledger: Ledger, body: dict[str, Any], who: str = "bank") -> Any:
        base = {"account": BANK.address, "currency": "USD", "date_from": DAY_2.isoformat(), "format": "json"}
        return ledger.client(who).post(
            "/v1/statements", json=base | body, headers={"Idempotency-Key": str(uuid.uuid4())}
        )

    def test_without_an_end_it_runs_to_the_last_indexed_block_and_regenerates_by_its_cut_off(
        self, ledger: Ledger
    ) -> None:
        so_far = self._post(ledger, {})
        assert so_far.status_code == 201, so_far.text
        with ledger.platform.sessions() as db:  # what it was cut at (nothing indexed since)
            chain = ledger.platform.transactions
            indexed = service.indexed_until(db, chain.rpc, chain.chain_id)
        assert indexed is not None and so_far.json()["period_end"] == _iso(indexed)
        again = self._post(ledger, {"cut_off": so_far.json()["period_end"]})
        assert again.status_code == 201, again.text
        assert again.json()["file_sha256"] == so_far.json()["file_sha256"]
        whole_day = generate(ledger.client("bank"), BANK.address, DAY_2)  # DAY_2 is closed: DAY_3 has begun
        assert (so_far.json()["entry_count"], so_far.json()["closing"]) == (
            whole_day["entry_count"],
            whole_day["closing"],
        )

    def test_a_cut_off_within_the_day_leaves_out_what_came_after(self, ledger: Ledger) -> None:
        whole_day = generate(ledger.client("bank"), BANK.address, DAY_2)
        morning = self._post(ledger, {"date_to": DAY_2.isoformat(), "cut_off": f"{DAY_2.isoformat()}T06:00:00Z"})
        assert morning.status_code == 201, morning.text
        assert morning.json()["period_end"] == f"{DAY_2.isoformat()}T06:00:00Z"
        assert morning.json()["entry_count"] == 0 < whole_day["entry_count"]  # the day's postings are at 09:00
        assert morning.json()["closing"] == whole_day["opening"]

    def test_the_counterparty_mirrors_a_statement_to_its_cut_off(self, ledger: Ledger) -> None:
        mine = self._post(ledger, {"counterparty": OTHER_BANK.address})
        assert mine.status_code == 201, mine.text
        mirror = {"account": OTHER_BANK.address, "counterparty": BANK.address, "cut_off": mine.json()["period_end"]}
        theirs = self._post(ledger, mirror, who="other_bank")
        assert theirs.status_code == 201, theirs.text
        assert theirs.json()["merkle_root"] == mine.json()["merkle_root"]

    @pytest.mark.parametrize(
        ("change", "named"),
        [
            ({"cut_off": "2031-03-04T06:00:00"}, "time zone"),
            ({"cut_off": "2031-03-04T06:00:00.5Z"}, "whole seconds"),
            ({"cut_off": "2031-03-03T23:00:00Z"}, "not after the period's start"),
            ({"date_to": "2031-03-04", "cut_off": "2031-03-05T01:00:00Z"}, "after the end of date_to"),
        ],
    )
    def test_bad_cut_offs_are_422_naming_the_problem(self, ledger: Ledger, change: dict[str, str], named: str) -> None:
        response = self._post(ledger, change)
        assert response.status_code == 422, response.text
        assert named in response.json()["detail"]

    def test_a_cut_off_after_the_last_indexed_block_is_refused(self, ledger: Ledger) -> None:
        response = self._post(ledger, {"cut_off": "2031-03-09T00:00:00Z"})
        assert response.status_code == 409
        assert response.json()["code"] == "period_not_closed"


def _iso(instant: datetime) -> str:
    return instant.isoformat().replace("+00:00", "Z")


class TestHistory:
    def test_the_history_tree_holds_every_entry_up_to_the_period_end(self, ledger: Ledger) -> None:
        client = ledger.client("bank")
        first, second = (generate(client, BANK.address, day) for day in (DAY_1, DAY_2))
        assert first["history_size"] == 1 + first["entry_count"]  # the funding before DAY_1, then DAY_1
        assert second["history_size"] == first["history_size"] + second["entry_count"]

    def test_the_consistency_proof_links_consecutive_statements(self, ledger: Ledger) -> None:
        client = ledger.client("auditor")
        first, second = (
            generate(ledger.client("bank"), BANK.address, day, "camt.053.001.08") for day in (DAY_1, DAY_2)
        )
        response = client.get(f"/v1/statements/{second['id']}/consistency", params={"from": first["id"]})
        assert response.status_code == 200, response.text
        proof = response.json()
        assert (proof["old_size"], proof["old_root"]) == (first["history_size"], first["history_root"])
        assert (proof["new_size"], proof["new_root"]) == (second["history_size"], second["history_root"])
        nodes = [bytes.fromhex(node[2:]) for node in proof["proof"]]
        old_root, new_root = (bytes.fromhex(proof[key][2:]) for key in ("old_root", "new_root"))
        assert verify_consistency(proof["old_size"], proof["new_size"], old_root, new_root, nodes)
        manifests = [
            Manifest(**client.get(f"/v1/statements/{s['id']}/manifest").json()["manifest"]) for s in (first, second)
        ]
        assert verify_history(manifests[0], manifests[1], nodes) == []
        assert not verify_consistency(proof["old_size"], proof["new_size"], new_root, new_root, nodes)

    def test_the_consistency_proof_comes_from_the_stored_subtrees_without_reading_the_entries(
        self, ledger: Ledger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Each statement stores the subtrees it closed: the proof needs O(log n) of them, not the account's
        entries; without them (statements from before they were stored) it rebuilds the tree, the same proof."""
        instance = attach_instance(ledger, tmp_path, WEST_BANK)
        try:
            client = instance.client("bank")
            first, second = (generate(client, WEST_BANK.address, day) for day in (DAY_1, DAY_2))
            path = f"/v1/statements/{second['id']}/consistency"
            with monkeypatch.context() as patched:
                patched.setattr(service, "_entries", _no_entries)
                stored = client.get(path, params={"from": first["id"]})
            assert stored.status_code == 200, stored.text
            with transaction(instance.platform.sessions) as db:
                db.execute(delete(HistorySubtree))
            rebuilt = client.get(path, params={"from": first["id"]})
        finally:
            instance.platform.close()
        assert rebuilt.status_code == 200, rebuilt.text
        assert stored.json() == rebuilt.json()
        proof = stored.json()
        nodes = [bytes.fromhex(node[2:]) for node in proof["proof"]]
        old_root, new_root = (bytes.fromhex(proof[key][2:]) for key in ("old_root", "new_root"))
        assert verify_consistency(first["history_size"], second["history_size"], old_root, new_root, nodes)

    def test_mirror_statements_share_their_history(self, ledger: Ledger) -> None:
        mine = generate(ledger.client("bank"), BANK.address, DAY_1, counterparty=OTHER_BANK.address)
        theirs = generate(ledger.client("other_bank"), OTHER_BANK.address, DAY_1, counterparty=BANK.address)
        assert (mine["history_size"], mine["history_root"]) == (theirs["history_size"], theirs["history_root"])

    @pytest.mark.parametrize(("earlier", "later"), [((BANK, DAY_2), (BANK, DAY_1)), ((TRADER, DAY_1), (BANK, DAY_2))])
    def test_statements_that_do_not_extend_each_other_are_422(
        self, ledger: Ledger, earlier: tuple[Any, date], later: tuple[Any, date]
    ) -> None:
        client = ledger.client("bank")
        before, after = (generate(client, account.address, day) for account, day in (earlier, later))
        response = client.get(f"/v1/statements/{after['id']}/consistency", params={"from": before["id"]})
        assert response.status_code == 422
        assert response.json()["code"] == "statements_not_comparable"

    def test_an_earlier_entry_changed_breaks_the_proof(self, ledger: Ledger, tmp_path: Path) -> None:
        """On an instance of WEST_BANK's own (it signs nothing on chain), DAY_1's block replaced afterwards as by a
        reorg: one posting of it altered, and every posting from that block on in other blocks. The proof then
        no longer comes from the stored subtrees (the later statement's last entry moved) but from the read
        model, which no longer gives the signed roots."""
        instance = attach_instance(ledger, tmp_path, WEST_BANK)
        try:
            client = instance.client("bank")
            first, second = (generate(client, WEST_BANK.address, day) for day in (DAY_1, DAY_2))
            path = f"/v1/statements/{second['id']}/consistency"
            assert client.get(path, params={"from": first["id"]}).status_code == 200
            altered_posting = alter_amount(instance.platform, EAST_BANK.address, WEST_BANK.address, 5_000, 5_001)
            replace_blocks_from(instance.platform, altered_posting.block_number, "0x" + "cd" * 32)
            response = client.get(path, params={"from": first["id"]})
            assert response.status_code == 409
            assert response.json()["code"] == "ledger_changed"
            assert f"statement {first['id']}'s history root" in response.json()["detail"]
            with instance.platform.sessions() as db:  # the history leaves the altered read model gives
                leaves = repository.entries(
                    db,
                    account=WEST_BANK.address,
                    currency="USD",
                    start=None,
                    end=datetime(DAY_3.year, DAY_3.month, DAY_3.day, tzinfo=UTC),
                    counterparty=None,
                    chain_id=instance.platform.transactions.chain_id,
                )
                altered = MerkleTree(entry_leaf_hash(entry) for entry in leaves)
        finally:
            instance.platform.close()
        assert altered.size == second["history_size"]
        proof = altered.consistency_proof(first["history_size"])
        old_root, new_root = (bytes.fromhex(s["history_root"][2:]) for s in (first, second))
        assert not verify_consistency(first["history_size"], second["history_size"], old_root, new_root, proof)


def _no_entries(*args: object) -> Iterator[LedgerEntry]:
    raise AssertionError("the consistency proof read the account's entries")
