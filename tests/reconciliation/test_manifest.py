"""Manifests: canonical bytes, hash, file and entry verification, caller-provided signature checks."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import replace
from pathlib import Path

import pytest

from reconciliation.canonical import RootingLines, encode_entry
from reconciliation.formats import StatementFormat
from reconciliation.manifest import (
    Manifest,
    ManifestError,
    build_manifest,
    canonical_json,
    verify,
    verify_entries,
    verify_file,
    verify_history,
    verify_signature,
)
from reconciliation.merkle import MerkleTree, StreamingRoot
from reconciliation.statements import Totals
from tests.reconciliation.data import BANK_A, fixed_entries, fixed_statement, render

ISSUER = BANK_A
KEY = b"test-key"


def hmac_verifier(message: bytes, signature: bytes, issuer: str) -> bool:
    """A stand-in for an EIP-191 recover-and-compare: HMAC keyed per issuer."""
    return hmac.compare_digest(hmac.new(KEY + issuer.encode(), message, hashlib.sha256).digest(), signature)


def sign(manifest: Manifest) -> bytes:
    return hmac.new(KEY + manifest.issuer.encode(), manifest.signing_bytes(), hashlib.sha256).digest()


@pytest.fixture
def written(tmp_path: Path) -> tuple[Path, Manifest]:
    statement = fixed_statement()
    lines = RootingLines(statement.lines())
    path = tmp_path / "s.xml"
    path.write_bytes(render(StatementFormat.CAMT053, statement.header, lines))
    manifest = build_manifest(
        statement.header,
        fmt="camt.053.001.08",
        file=path,
        merkle_root=lines.root,
        tree_size=lines.size,
        issuer=ISSUER,
        chain_id=31337,
    )
    return path, manifest


class TestCanonicalBytes:
    def test_bytes_are_sorted_compact_ascii_json(self, written: tuple[Path, Manifest]) -> None:
        _, manifest = written
        data = manifest.to_bytes()
        assert data == json.dumps(json.loads(data), sort_keys=True, separators=(",", ":")).encode()
        assert manifest.manifest_hash() == hashlib.sha256(data).digest()
        assert manifest.signing_bytes() == manifest.manifest_hash()
        assert Manifest.from_bytes(data) == manifest

    def test_non_canonical_bytes_are_refused(self, written: tuple[Path, Manifest]) -> None:
        _, manifest = written
        pretty = json.dumps(manifest.to_dict(), indent=2).encode()
        with pytest.raises(ManifestError, match="canonical"):
            Manifest.from_bytes(pretty)
        with pytest.raises(ManifestError):
            Manifest.from_bytes(b"[]")
        with pytest.raises(ManifestError):
            Manifest.from_bytes(canonical_json({**manifest.to_dict(), "extra": 1}))

    def test_floats_are_refused(self) -> None:
        with pytest.raises(ManifestError):
            canonical_json({"amount": 1.5})

    def test_totals_and_root_are_recorded(self, written: tuple[Path, Manifest]) -> None:
        path, manifest = written
        header = fixed_statement().header
        assert manifest.entry_count == 5
        assert manifest.closing == str(header.closing)
        assert manifest.file_size == path.stat().st_size
        assert manifest.merkle_root.startswith("0x") and len(manifest.merkle_root) == 66

    def test_tree_size_must_match_the_header(self, written: tuple[Path, Manifest]) -> None:
        path, _ = written
        with pytest.raises(ManifestError):
            build_manifest(
                fixed_statement().header, fmt="x", file=path, merkle_root=b"\0" * 32, tree_size=4, issuer=ISSUER
            )


class TestVerification:
    def test_untouched_file_and_entries_verify(self, written: tuple[Path, Manifest]) -> None:
        path, manifest = written
        report = verify(
            path,
            manifest.to_bytes(),
            signature=sign(manifest),
            verifier=hmac_verifier,
            entries=fixed_entries(),
            anchored_hash=manifest.manifest_hash(),
        )
        assert report.ok, report.problems

    def test_changed_file_is_detected(self, written: tuple[Path, Manifest]) -> None:
        path, manifest = written
        path.write_bytes(path.read_bytes().replace(b"1500.00", b"1500.01"))
        assert verify_file(path, manifest)
        assert not verify(path, manifest.to_bytes()).ok

    def test_changed_entry_is_detected(self, written: tuple[Path, Manifest]) -> None:
        _, manifest = written
        entries = fixed_entries()
        entries[1] = replace(entries[1], reference="FEE/0002")
        problems = verify_entries(entries, manifest)
        assert any("merkle root" in p for p in problems)
        assert verify_entries(fixed_entries()[:-1], manifest)

    def test_bad_signature_wrong_issuer_and_anchor_mismatch_are_detected(self, written: tuple[Path, Manifest]) -> None:
        path, manifest = written
        assert verify_signature(manifest, sign(manifest), hmac_verifier)
        assert not verify_signature(manifest, b"\0" * 32, hmac_verifier)
        impostor = replace(manifest, issuer="0x3333333333333333333333333333333333333333")
        assert not verify_signature(impostor, sign(manifest), hmac_verifier)
        report = verify(path, manifest.to_bytes(), signature=None, verifier=hmac_verifier, anchored_hash=b"\1" * 32)
        assert len(report.problems) == 2

    def test_tampered_manifest_totals_break_the_balance_identity(self, written: tuple[Path, Manifest]) -> None:
        _, manifest = written
        forged = replace(manifest, closing=str(int(manifest.closing) + 1))
        assert any("closing" in p for p in verify_entries(fixed_entries(), forged))

    def test_malformed_manifest_is_a_failed_report(self, written: tuple[Path, Manifest]) -> None:
        path, _ = written
        assert not verify(path, b"{not json").ok


class TestHistoryChain:
    def test_consecutive_manifests_link_by_a_consistency_proof(self, tmp_path: Path) -> None:
        day1 = fixed_entries()[:3]
        day2 = fixed_entries()[3:]
        path = tmp_path / "f"
        path.write_bytes(b"file")
        header = fixed_statement().header

        history = StreamingRoot()
        for e in day1:
            history.add_leaf(encode_entry(e))
        first = build_manifest(
            replace(header, totals=Totals(2, 102_549, 1, 150_000), sequence=41),
            fmt="csv",
            file=path,
            merkle_root=b"\0" * 32,
            tree_size=3,
            issuer=ISSUER,
            history=history,
        )
        # the next day resumes the accumulator from the stored frontier instead of re-reading day one
        stored = (history.size, history.frontier())
        history = StreamingRoot.resume(*stored)
        for e in day2:
            history.add_leaf(encode_entry(e))
        second = build_manifest(
            replace(header, opening=int(first.closing), totals=Totals(0, 0, 2, 4_200_001), sequence=42),
            fmt="csv",
            file=path,
            merkle_root=b"\0" * 32,
            tree_size=2,
            issuer=ISSUER,
            history=history,
        )
        assert (first.history_size, second.history_size) == (3, 5)
        tree = MerkleTree.from_leaves(encode_entry(e) for e in fixed_entries())
        assert second.history_root == "0x" + tree.root().hex()
        assert verify_history(first, second, tree.consistency_proof(3, 5)) == []

        rewritten = MerkleTree.from_leaves(encode_entry(e) for e in [replace(day1[0], amount=1), *day1[1:], *day2])
        assert verify_history(first, second, rewritten.consistency_proof(3, 5))
        assert verify_history(second, first, tree.consistency_proof(3, 5))
        no_history = replace(second, history_root=None)
        assert verify_history(first, no_history, []) == ["a manifest has no history root"]
