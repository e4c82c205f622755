"""Statement manifests: what an issuer signs and anchors on chain, and how an auditor checks a file.

A manifest names one statement file (its SHA-256), what it covers (account, counterparty, currency,
period, sequence), its control totals and the RFC 6962 root over its entries' canonical leaves
(`reconciliation.canonical`). Its canonical JSON bytes (`Manifest.to_bytes`) are hashed to the
*manifest hash* (`Manifest.manifest_hash`), which is both what gets anchored on chain and what the
issuer signs (`Manifest.signing_bytes`; an EVM issuer signs these 32 bytes with EIP-191 `personal_sign`).

Canonical JSON here means: UTF-8, keys sorted, no whitespace (`,` and `:` separators), ASCII-only (other
characters `\\u`-escaped), integers only for counts and sizes, amounts as strings of integer minor units,
hashes as `0x`-prefixed lowercase hex. `Manifest.from_bytes` refuses non-canonical input, so one
manifest has exactly one byte string and one hash.

The library cannot check signatures itself (it imports no `eth_*`): callers pass a verifier callable.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from reconciliation.canonical import ENCODING_NAME, entries_root
from reconciliation.entries import Direction, LedgerEntry
from reconciliation.merkle import StreamingRoot, verify_consistency
from reconciliation.statements.model import StatementHeader

MANIFEST_VERSION = 1
TREE_ALGORITHM = "rfc6962-sha256"

SignatureVerifier = Callable[[bytes, bytes, str], bool]
"""`verifier(signing_bytes, signature, issuer) -> bool`: whether `issuer` signed `signing_bytes`."""


class ManifestError(ValueError):
    """The manifest bytes are malformed or not canonical."""


@dataclass(frozen=True, slots=True)
class Manifest:
    """The signed description of one statement file.

    Attributes:
        format: the file format (`camt.053.001.08`, `mt940`, `csv`, `json`...).
        file_sha256: `0x` + hex SHA-256 of the file bytes.
        file_size: file length in bytes.
        account: statement account address.
        counterparty: the counterparty of a bilateral statement, else None.
        currency: ISO 4217 code.
        period_start: ISO 8601 start of the period (inclusive).
        period_end: ISO 8601 end of the period (exclusive).
        statement_id: the statement reference in the file.
        sequence: the statement's sequence number.
        entry_count: number of entries (= Merkle tree size).
        debit_count: number of debit entries.
        debit_total: sum of debits, minor units, as a decimal string.
        credit_count: number of credit entries.
        credit_total: sum of credits, minor units, as a decimal string.
        opening: opening balance, minor units, as a decimal string.
        closing: closing balance, minor units, as a decimal string.
        merkle_root: `0x` + hex RFC 6962 root over the entries' canonical leaves, in statement order.
        issuer: the signer's address.
        chain_id: the chain the entries come from (None if not stated).
        history_size: leaves in the account's history tree: every entry of the same account, currency
            (and counterparty) from the first one through this statement's last (None if not kept).
        history_root: `0x` + hex root of that history tree. Consecutive manifests' history roots are
            linked by RFC 6962 consistency proofs, which show that no earlier statement was rewritten.
        leaf_encoding: name of the canonical leaf encoding.
        tree_algorithm: the Merkle construction.
        version: manifest schema version.
    """

    format: str
    file_sha256: str
    file_size: int
    account: str
    counterparty: str | None
    currency: str
    period_start: str
    period_end: str
    statement_id: str
    sequence: int
    entry_count: int
    debit_count: int
    debit_total: str
    credit_count: int
    credit_total: str
    opening: str
    closing: str
    merkle_root: str
    issuer: str
    chain_id: int | None = None
    history_size: int | None = None
    history_root: str | None = None
    leaf_encoding: str = ENCODING_NAME
    tree_algorithm: str = TREE_ALGORITHM
    version: int = field(default=MANIFEST_VERSION)

    def to_dict(self) -> dict[str, Any]:
        """The manifest as a plain dict (the JSON object)."""
        return asdict(self)

    def to_bytes(self) -> bytes:
        """Canonical JSON bytes (see the module docstring)."""
        return canonical_json(self.to_dict())

    def manifest_hash(self) -> bytes:
        """SHA-256 of the canonical bytes: the value anchored on chain."""
        return hashlib.sha256(self.to_bytes()).digest()

    def signing_bytes(self) -> bytes:
        """The exact bytes the issuer signs: the 32-byte manifest hash."""
        return self.manifest_hash()

    @classmethod
    def from_bytes(cls, data: bytes) -> Manifest:
        """Parse canonical manifest bytes; refuse unknown fields and non-canonical encodings."""
        try:
            raw = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ManifestError(f"manifest is not JSON: {exc}") from None
        if not isinstance(raw, dict):
            raise ManifestError("manifest is not a JSON object")
        try:
            manifest = cls(**raw)
        except TypeError as exc:
            raise ManifestError(f"manifest fields do not match version {MANIFEST_VERSION}: {exc}") from None
        if manifest.to_bytes() != data:
            raise ManifestError("manifest bytes are not canonical")
        return manifest


def canonical_json(value: Any) -> bytes:
    """Canonical JSON: sorted keys, no whitespace, ASCII only, floats refused."""

    def no_floats(obj: Any) -> Any:
        if isinstance(obj, float):
            raise ManifestError("floats are not allowed in canonical JSON")
        if isinstance(obj, dict):
            return {k: no_floats(v) for k, v in obj.items()}
        if isinstance(obj, list | tuple):
            return [no_floats(v) for v in obj]
        return obj

    return json.dumps(no_floats(value), sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def file_digest(source: str | Path | BinaryIO, chunk_size: int = 1 << 20) -> tuple[str, int]:
    """`("0x" + hex SHA-256, size)` of a file, read in chunks (constant memory)."""
    digest = hashlib.sha256()
    size = 0
    handle: BinaryIO = open(source, "rb") if isinstance(source, str | Path) else source  # noqa: SIM115
    try:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
            size += len(chunk)
    finally:
        if isinstance(source, str | Path):
            handle.close()
    return "0x" + digest.hexdigest(), size


def build_manifest(
    header: StatementHeader,
    *,
    fmt: str,
    file: str | Path | BinaryIO,
    merkle_root: bytes,
    tree_size: int,
    issuer: str,
    chain_id: int | None = None,
    history: StreamingRoot | None = None,
) -> Manifest:
    """The manifest of a written statement file.

    Args:
        header: the statement's header.
        fmt: format name (e.g. `StatementFormat.CAMT053.value`).
        file: the written file (path or binary handle positioned at its start).
        merkle_root: root over the statement's entries (e.g. from `canonical.RootingLines`).
        tree_size: number of leaves behind `merkle_root`; must equal the header's entry count.
        issuer: the signer's address.
        chain_id: the chain the entries come from.
        history: the account's history accumulator, already fed this statement's entries (resume it
            from the previous manifest's `StreamingRoot.frontier()`); None to leave the history out.

    Raises:
        ManifestError: the tree size disagrees with the header.
    """
    if tree_size != header.entry_count:
        raise ManifestError(f"tree size {tree_size} != statement entry count {header.entry_count}")
    sha, size = file_digest(file)
    t = header.totals
    return Manifest(
        format=fmt,
        file_sha256=sha,
        file_size=size,
        account=header.account,
        counterparty=header.counterparty,
        currency=header.currency,
        period_start=header.period.start.isoformat(),
        period_end=header.period.end.isoformat(),
        statement_id=header.statement_id,
        sequence=header.sequence,
        entry_count=t.entry_count,
        debit_count=t.debit_count,
        debit_total=str(t.debit_sum),
        credit_count=t.credit_count,
        credit_total=str(t.credit_sum),
        opening=str(header.opening),
        closing=str(header.closing),
        merkle_root="0x" + merkle_root.hex(),
        issuer=issuer,
        chain_id=chain_id,
        history_size=history.size if history is not None else None,
        history_root="0x" + history.root().hex() if history is not None else None,
    )


def verify_file(file: str | Path | BinaryIO, manifest: Manifest) -> list[str]:
    """Problems found comparing the file with its manifest (empty list: the file is the one described)."""
    sha, size = file_digest(file)
    problems = []
    if sha != manifest.file_sha256:
        problems.append(f"file sha256 {sha} != manifest {manifest.file_sha256}")
    if size != manifest.file_size:
        problems.append(f"file size {size} != manifest {manifest.file_size}")
    return problems


def verify_entries(entries: Iterable[LedgerEntry], manifest: Manifest) -> list[str]:
    """Problems found recomputing root, counts, totals and the balance identity from the entries.

    `entries` are the statement's entries in statement order, e.g. rebuilt from chain logs.
    """
    problems = []
    debit_count = credit_count = debit_total = credit_total = 0

    def counted() -> Iterable[LedgerEntry]:
        nonlocal debit_count, credit_count, debit_total, credit_total
        for entry in entries:
            if entry.direction is Direction.CREDIT:
                credit_count += 1
                credit_total += entry.amount
            else:
                debit_count += 1
                debit_total += entry.amount
            yield entry

    root, size = entries_root(counted())
    if "0x" + root.hex() != manifest.merkle_root:
        problems.append(f"merkle root 0x{root.hex()} != manifest {manifest.merkle_root}")
    checks = (
        ("entry count", size, manifest.entry_count),
        ("debit count", debit_count, manifest.debit_count),
        ("credit count", credit_count, manifest.credit_count),
        ("debit total", str(debit_total), manifest.debit_total),
        ("credit total", str(credit_total), manifest.credit_total),
    )
    problems.extend(f"{name} {got} != manifest {want}" for name, got, want in checks if got != want)
    if int(manifest.opening) + int(manifest.credit_total) - int(manifest.debit_total) != int(manifest.closing):
        problems.append("manifest opening + credits - debits != closing")
    return problems


def verify_history(previous: Manifest, current: Manifest, proof: Sequence[bytes]) -> list[str]:
    """Problems found checking that `current`'s history tree extends `previous`'s (append-only ledger).

    Args:
        previous: an earlier manifest of the same account and currency.
        current: a later one.
        proof: the RFC 6962 consistency proof from `previous.history_size` to `current.history_size`
            (e.g. `MerkleTree.consistency_proof` over the history leaves rebuilt from the chain).
    """
    if previous.history_root is None or current.history_root is None:
        return ["a manifest has no history root"]
    if previous.history_size is None or current.history_size is None:
        return ["a manifest has no history size"]
    problems = []
    if (previous.account, previous.currency, previous.counterparty) != (
        current.account,
        current.currency,
        current.counterparty,
    ):
        problems.append("the manifests are for different accounts, currencies or counterparties")
    if current.sequence <= previous.sequence:
        problems.append(f"sequence {current.sequence} does not follow {previous.sequence}")
    if current.sequence == previous.sequence + 1 and current.opening != previous.closing:
        problems.append(f"opening {current.opening} != previous closing {previous.closing}")
    if not verify_consistency(
        previous.history_size,
        current.history_size,
        bytes.fromhex(previous.history_root[2:]),
        bytes.fromhex(current.history_root[2:]),
        proof,
    ):
        problems.append("the consistency proof does not link the history roots")
    return problems


def verify_signature(manifest: Manifest, signature: bytes, verifier: SignatureVerifier) -> bool:
    """Whether `verifier` accepts `signature` by `manifest.issuer` over `manifest.signing_bytes()`."""
    return bool(verifier(manifest.signing_bytes(), signature, manifest.issuer))


@dataclass(frozen=True, slots=True)
class VerificationReport:
    """Outcome of `verify`: `ok` is True only when no problem was found."""

    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """No problem found."""
        return not self.problems


def verify(
    file: str | Path | BinaryIO,
    manifest_bytes: bytes,
    *,
    signature: bytes | None = None,
    verifier: SignatureVerifier | None = None,
    entries: Iterable[LedgerEntry] | None = None,
    anchored_hash: bytes | None = None,
) -> VerificationReport:
    """Check a statement file end to end, as far as the data passed allows.

    Args:
        file: the statement file.
        manifest_bytes: the manifest exactly as published.
        signature: the issuer's signature over `signing_bytes()` (checked when `verifier` is given).
        verifier: the signature checker (e.g. an EIP-191 recover-and-compare built on eth_account).
        entries: the statement's entries rebuilt independently (e.g. from chain logs), to check the
            root and totals.
        anchored_hash: the manifest hash read from the chain anchor, to compare.
    """
    try:
        manifest = Manifest.from_bytes(manifest_bytes)
    except ManifestError as exc:
        return VerificationReport((str(exc),))
    problems = verify_file(file, manifest)
    if anchored_hash is not None and anchored_hash != manifest.manifest_hash():
        problems.append("manifest hash differs from the on-chain anchor")
    if verifier is not None and (signature is None or not verify_signature(manifest, signature, verifier)):
        problems.append(f"signature is not a valid signature of {manifest.issuer}")
    if entries is not None:
        problems.extend(verify_entries(entries, manifest))
    return VerificationReport(tuple(problems))
