"""`tradeledger audit verify FILE MANIFEST --rpc URL`: passes on a genuine file, names every tampering."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount
from typer.testing import CliRunner

from reconciliation.manifest import Manifest
from tests.statements.conftest import BANK, DAY_1, OTHER_BANK, OUTSIDER, TRADER, Ledger
from tests.statements.helpers import anchor, generate
from tradeledger.chain.manifests import sign_manifest
from tradeledger.cli import app

FORGED = "0x" + "ab" * 32


@dataclass
class Evidence:
    file: Path
    manifest: Path
    signed: dict[str, object]


def _download(ledger: Ledger, statement_id: str, folder: Path, name: str) -> Evidence:
    client = ledger.client("auditor")
    folder.mkdir(parents=True, exist_ok=True)
    file = folder / name
    file.write_bytes(client.get(f"/v1/statements/{statement_id}/file").content)
    signed = client.get(f"/v1/statements/{statement_id}/manifest").json()
    manifest = folder / f"{name}.manifest.json"
    manifest.write_text(json.dumps(signed), encoding="utf-8")
    return Evidence(file, manifest, signed)


@pytest.fixture(scope="module")
def anchored(ledger: Ledger, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Evidence]:
    """The trader's DAY_1 statement, anchored as JSON; the same statement as camt (anchored: JSON's manifest)."""
    folder = tmp_path_factory.mktemp("evidence")
    statement = generate(ledger.client("bank"), TRADER.address, DAY_1, "json")
    anchor(ledger.client("trader"), statement["id"])
    camt = generate(ledger.client("bank"), TRADER.address, DAY_1, "camt.053.001.08")
    bank = generate(ledger.client("bank"), BANK.address, DAY_1, "camt.053.001.08")
    anchor(ledger.client("bank"), bank["id"])
    return {
        "json": _download(ledger, statement["id"], folder, "trader.json"),
        "camt_unanchored": _download(ledger, camt["id"], folder, "trader.xml"),
        "bank_camt": _download(ledger, bank["id"], folder, "bank.xml"),
    }


def _resigned(evidence: Evidence, signer: LocalAccount, folder: Path, **changes: object) -> Path:
    """The evidence's manifest with `changes`, signed by `signer`, as a signed-manifest file."""
    manifest = Manifest(**dict(evidence.signed["manifest"], **changes))  # type: ignore[call-overload]
    signed = {
        "manifest": manifest.to_dict(),
        "manifest_hash": "0x" + manifest.manifest_hash().hex(),
        "signature": "0x" + sign_manifest(signer, manifest.signing_bytes()).hex(),
    }
    path = folder / "resigned.json"
    path.write_text(json.dumps(signed), encoding="utf-8")
    return path


def _verify(
    ledger: Ledger, evidence: Evidence, file: Path | None = None, manifest: Path | None = None
) -> tuple[int, str]:
    settings = ledger.platform.settings
    rpc = ledger.platform.chain.backend.rpc_url
    assert rpc is not None
    args = ["audit", "verify", str(file or evidence.file), str(manifest or evidence.manifest), "--rpc", rpc]
    result = CliRunner().invoke(app, [*args, "--deployment", str(settings.deployment_file)])
    return result.exit_code, result.output


class TestGenuine:
    @pytest.mark.parametrize("name", ["json", "bank_camt"])
    def test_a_genuine_anchored_file_verifies(self, ledger: Ledger, anchored: dict[str, Evidence], name: str) -> None:
        code, output = _verify(ledger, anchored[name])
        assert code == 0, output
        assert "verified" in output


class TestTampering:
    def test_changed_amount(self, ledger: Ledger, anchored: dict[str, Evidence], tmp_path: Path) -> None:
        original = anchored["json"]
        document = json.loads(original.file.read_bytes())
        victim = document["entries"][0]
        victim["amount"]["minor"] += 1
        tampered = tmp_path / "amount.json"
        tampered.write_text(json.dumps(document), encoding="utf-8")
        code, output = _verify(ledger, original, file=tampered)
        assert code == 1
        assert f"entry {victim['entry_id']}: amount changed" in output
        assert "file: file sha256" in output

    def test_dropped_entry(self, ledger: Ledger, anchored: dict[str, Evidence], tmp_path: Path) -> None:
        original = anchored["json"]
        document = json.loads(original.file.read_bytes())
        dropped = document["entries"].pop()
        tampered = tmp_path / "dropped.json"
        tampered.write_text(json.dumps(document), encoding="utf-8")
        code, output = _verify(ledger, original, file=tampered)
        assert code == 1
        assert f"entry {dropped['entry_id']}: dropped" in output

    def test_added_entry(self, ledger: Ledger, anchored: dict[str, Evidence], tmp_path: Path) -> None:
        original = anchored["json"]
        document = json.loads(original.file.read_bytes())
        extra = dict(document["entries"][0], entry_id="999999")
        document["entries"].append(extra)
        tampered = tmp_path / "added.json"
        tampered.write_text(json.dumps(document), encoding="utf-8")
        code, output = _verify(ledger, original, file=tampered)
        assert code == 1
        assert "entry 999999: added" in output

    def test_forged_signature(self, ledger: Ledger, anchored: dict[str, Evidence], tmp_path: Path) -> None:
        original = anchored["json"]
        manifest = Manifest(**original.signed["manifest"])  # type: ignore[arg-type]
        forged = dict(original.signed, signature="0x" + sign_manifest(OUTSIDER, manifest.signing_bytes()).hex())
        path = tmp_path / "forged.json"
        path.write_text(json.dumps(forged), encoding="utf-8")
        code, output = _verify(ledger, original, manifest=path)
        assert code == 1
        assert f"signature: forged - recovers to {OUTSIDER.address}" in output

    def test_a_manifest_rewritten_and_signed_by_another_member(
        self, ledger: Ledger, anchored: dict[str, Evidence], tmp_path: Path
    ) -> None:
        original = anchored["json"]
        path = _resigned(original, OUTSIDER, tmp_path, issuer=OUTSIDER.address)
        code, output = _verify(ledger, original, manifest=path)
        assert code == 1
        assert "is neither the account" in output
        assert "anchor: manifest hash differs" in output

    def test_a_rewritten_history_root(self, ledger: Ledger, anchored: dict[str, Evidence], tmp_path: Path) -> None:
        original = anchored["json"]
        code, output = _verify(ledger, original, manifest=_resigned(original, TRADER, tmp_path, history_root=FORGED))
        assert code == 1
        size = original.signed["manifest"]["history_size"]  # type: ignore[index]
        assert f"entries: history tree of {size} entries with root {FORGED} in the manifest" in output
        assert "signature" not in output  # the account's own key signed it: only the chain can tell

    def test_anchor_differs(self, ledger: Ledger, anchored: dict[str, Evidence]) -> None:
        code, output = _verify(ledger, anchored["camt_unanchored"])
        assert code == 1
        assert "anchor: manifest hash differs" in output
        assert "merkle root differs" not in output  # same entries, same root: only the manifest differs

    def test_not_anchored(self, ledger: Ledger, tmp_path: Path) -> None:
        statement = generate(ledger.client("other_bank"), OTHER_BANK.address, DAY_1)
        evidence = _download(ledger, statement["id"], tmp_path, "other.json")
        code, output = _verify(ledger, evidence)
        assert code == 1
        assert "anchor: the statement is not anchored" in output


class TestEveryFormatIsReadBack:
    @pytest.mark.parametrize("fmt", ["mt940", "csv", "camt.053.001.08"])
    def test_only_the_anchor_differs_for_another_format_of_the_anchored_statement(
        self, ledger: Ledger, anchored: dict[str, Evidence], tmp_path: Path, fmt: str
    ) -> None:
        statement = generate(ledger.client("bank"), TRADER.address, DAY_1, fmt)
        evidence = _download(ledger, statement["id"], tmp_path, f"trader.{fmt}")
        code, output = _verify(ledger, evidence)
        assert code == 1
        lines = [line for line in output.splitlines() if line.startswith("FAILED")]
        assert len(lines) == 1 and lines[0].startswith("FAILED anchor: manifest hash differs"), output

    def test_a_non_canonical_manifest_is_refused(
        self, ledger: Ledger, anchored: dict[str, Evidence], tmp_path: Path
    ) -> None:
        path = tmp_path / "pretty.json"
        path.write_text(json.dumps(anchored["json"].signed["manifest"], indent=2), encoding="utf-8")
        code, output = _verify(ledger, anchored["json"], manifest=path)
        assert code == 1
        assert "FAILED manifest: manifest bytes are not canonical" in output


class TestStatementsCommands:
    def test_list_and_show(
        self, ledger: Ledger, anchored: dict[str, Evidence], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("TRADELEDGER_DATA_DIR", str(ledger.platform.settings.data_dir))
        listed = CliRunner().invoke(app, ["statements", "list", "--account", TRADER.address])
        assert listed.exit_code == 0, listed.output
        mine = ledger.client("trader").get("/v1/statements").json()["items"]
        assert all(f"│ {item['id']} " in listed.output for item in mine)
        anchored_id = next(item["id"] for item in mine if item["anchor_status"] == "UNILATERAL")
        shown = CliRunner().invoke(app, ["statements", "show", anchored_id])
        assert shown.exit_code == 0, shown.output
        assert '"signed_manifest"' in shown.output and '"anchor_status": "UNILATERAL"' in shown.output
        missing = CliRunner().invoke(app, ["statements", "show", "999999"])
        assert missing.exit_code == 1
