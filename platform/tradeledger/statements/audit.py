"""Auditor-grade verification of a statement file against the chain alone (never the service's database).

`verify_statement` checks, and reports every problem it finds as one line:

1. the manifest is canonical, and the file's SHA-256 and size are the manifest's;
2. the manifest's EIP-191 signature recovers to its issuer, an active bank or trader in Membership that is the
   account itself or its sponsor bank;
3. ReconciliationAnchor holds an anchor for the statement whose manifest hash, Merkle root, count and totals
   are the manifest's;
4. the statement rebuilt from the `Posted` logs (opening = Σ earlier postings, entries of the period) has the
   manifest's root, counts, totals, balances and history tree, every entry in the file matches the log it came from (no
   entry added, dropped or changed), and rewriting it gives the file byte for byte.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from reconciliation.canonical import entries_root
from reconciliation.entries import ChainEvidence, Direction, LedgerEntry
from reconciliation.formats import StatementFormat, write_statement
from reconciliation.manifest import Manifest, ManifestError, canonical_json, verify_entries, verify_file
from reconciliation.statements import Period, Statement
from tradeledger.chain.ledger import ChainLedgerReader, ChainPosting
from tradeledger.chain.manifests import recover_manifest_signer
from tradeledger.members.models import MemberKind, MemberStatus
from tradeledger.statements.entries import ledger_entry


@dataclass(frozen=True)
class FileEntry:
    """What a statement file says about one entry."""

    entry_id: int
    amount: int
    direction: Direction


def load_signed_manifest(data: bytes, signature: str | None = None) -> tuple[Manifest, bytes | None]:
    """A manifest and its signature from a signed-manifest document (`GET /v1/statements/{id}/manifest`)
    or from canonical manifest bytes plus a separate `signature`.

    Raises:
        ManifestError: neither form, or a manifest that is not canonical.
    """
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ManifestError(f"manifest is not JSON: {error}") from None
    if isinstance(document, dict) and isinstance(document.get("manifest"), dict):
        try:
            manifest = Manifest(**document["manifest"])
        except TypeError as error:
            raise ManifestError(f"manifest fields are wrong: {error}") from None
        manifest = Manifest.from_bytes(canonical_json(manifest.to_dict()))
        signature = signature or document.get("signature")
    else:
        manifest = Manifest.from_bytes(data)
    raw = None
    if signature:
        try:
            raw = bytes.fromhex(signature.removeprefix("0x"))
        except ValueError:
            raise ManifestError("signature is not hex") from None
    return manifest, raw


def _seconds(iso: str) -> int:
    return int(datetime.fromisoformat(iso).timestamp())


def manifest_period(manifest: Manifest) -> Period:
    return Period(datetime.fromisoformat(manifest.period_start), datetime.fromisoformat(manifest.period_end))


def chain_entries(
    postings: Iterable[ChainPosting], *, account: str, currency: str, counterparty: str | None, period: Period
) -> tuple[list[LedgerEntry], list[LedgerEntry]]:
    """(entries before the period, entries of the period) of the account in the currency (with the counterparty
    only, if given), from chain logs that include every posting of the account."""
    pair = None if counterparty is None else counterparty.lower()
    earlier, entries = [], []
    for posting in postings:
        if posting.currency != currency:
            continue
        if pair is not None and pair not in (posting.debit_account.lower(), posting.credit_account.lower()):
            continue
        entry = ledger_entry(
            account,
            entry_id=posting.entry_id,
            debit=posting.debit_account,
            credit=posting.credit_account,
            currency=posting.currency,
            amount=posting.amount,
            kind=posting.kind,
            reference=posting.reference,
            booked_at=posting.block_timestamp,
            evidence=ChainEvidence(
                posting.chain_id, posting.block_number, posting.block_hash, posting.tx_hash, posting.log_index
            ),
        )
        if posting.block_timestamp < period.start:
            earlier.append(entry)
        elif period.contains(posting.block_timestamp):
            entries.append(entry)
    return earlier, entries


def manifest_chain_entries(
    manifest: Manifest, reader: ChainLedgerReader
) -> tuple[list[LedgerEntry], list[LedgerEntry]]:
    """`chain_entries` of the manifest's account, currency, counterparty and period, read from the chain."""
    return chain_entries(
        reader.postings_of(manifest.account),
        account=manifest.account,
        currency=manifest.currency,
        counterparty=manifest.counterparty,
        period=manifest_period(manifest),
    )


def file_entries(path: Path, fmt: StatementFormat) -> list[FileEntry] | None:
    """The entries a statement file lists (id, amount, direction), or None for formats not read back."""
    if fmt is StatementFormat.JSON:
        document = json.loads(path.read_bytes().decode("utf-8"))
        return [
            FileEntry(int(e["entry_id"]), int(e["amount"]["minor"]), Direction(e["direction"]))
            for e in document["entries"]
        ]
    if fmt is StatementFormat.CSV:
        rows = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"))))
        header = rows[0]
        column = {cell[cell.rfind("(") + 1 : -1]: i for i, cell in enumerate(header)}
        found = []
        for row in rows[1:]:
            if not row or row[0].endswith("(statement_id)"):
                break
            entry_id, amount = int(row[column["entry_id"]]), int(row[column["amount_minor"]])
            found.append(FileEntry(entry_id, amount, Direction(row[column["direction"]])))
        return found
    if fmt is StatementFormat.CAMT053:
        from reconciliation.matching.camt_import import import_camt053

        books = import_camt053(path)
    elif fmt is StatementFormat.MT940:
        from reconciliation.matching.mt940_import import import_mt940

        books = import_mt940(path)
    else:
        return None
    return [FileEntry(int(line.reference), line.amount, line.direction) for line in books.lines]


def _compare_entries(listed: list[FileEntry], chain: list[LedgerEntry]) -> list[str]:
    problems = []
    on_chain = {e.entry_id: e for e in chain}
    in_file = {e.entry_id: e for e in listed}
    for entry in chain:
        if entry.entry_id not in in_file:
            ev = entry.evidence
            problems.append(
                f"entry {entry.entry_id}: dropped - on chain (tx {ev.tx_hash} log {ev.log_index}) but not in the file"
            )
    for item in listed:
        truth = on_chain.get(item.entry_id)
        if truth is None:
            problems.append(f"entry {item.entry_id}: added - in the file but no such Posted log for this statement")
            continue
        if item.amount != truth.amount:
            problems.append(f"entry {item.entry_id}: amount changed - file {item.amount}, chain {truth.amount}")
        if item.direction is not truth.direction:
            problems.append(
                f"entry {item.entry_id}: direction changed - file {item.direction.value}, chain {truth.direction.value}"
            )
    return problems


def verify_statement(file: Path, manifest: Manifest, signature: bytes | None, reader: ChainLedgerReader) -> list[str]:
    """Every problem found checking `file` and `manifest` against the chain (empty: verified)."""
    problems = [f"file: {p}" for p in verify_file(file, manifest)]
    if manifest.chain_id is not None and manifest.chain_id != reader.chain_id:
        problems.append(f"chain: manifest is for chain {manifest.chain_id}, the node is chain {reader.chain_id}")
    problems.extend(_signature_problems(manifest, signature, reader))
    problems.extend(_anchor_problems(manifest, reader))
    earlier, entries = manifest_chain_entries(manifest, reader)
    problems.extend(f"entries: {p} (entries rebuilt from chain)" for p in verify_entries(entries, manifest))
    opening = sum(entry.signed_amount for entry in earlier)
    if str(opening) != manifest.opening:
        problems.append(f"entries: opening balance {manifest.opening} in the manifest, {opening} on chain")
    problems.extend(_history_problems(manifest, [*earlier, *entries]))
    fmt = StatementFormat(manifest.format)
    try:
        listed = file_entries(file, fmt)
    except (ValueError, KeyError, IndexError, TypeError) as error:
        problems.append(f"file: cannot read its entries ({error})")
        listed = None
    if listed is not None:
        problems.extend(_compare_entries(listed, entries))
    rebuilt = _rewrite(manifest, fmt, opening, entries)
    if rebuilt is not None and rebuilt != file.read_bytes():
        problems.append("file: differs from the statement rebuilt from the chain")
    return problems


def _history_problems(manifest: Manifest, history: list[LedgerEntry]) -> list[str]:
    if manifest.history_root is None:
        return []
    root, size = entries_root(history)
    if ("0x" + root.hex(), size) == (manifest.history_root, manifest.history_size):
        return []
    return [
        f"entries: history tree of {manifest.history_size} entries with root {manifest.history_root} in the "
        f"manifest, {size} entries with root 0x{root.hex()} on chain"
    ]


def _rewrite(manifest: Manifest, fmt: StatementFormat, opening: int, entries: list[LedgerEntry]) -> bytes | None:
    try:
        statement = Statement.build(
            lambda: entries,
            account=manifest.account,
            currency=manifest.currency,
            period=manifest_period(manifest),
            opening=opening,
            sequence=manifest.sequence,
            counterparty=manifest.counterparty,
        )
        out = io.BytesIO()
        write_statement(out, fmt, statement.header, statement.lines())
    except ValueError:
        return None
    return out.getvalue()


def _signature_problems(manifest: Manifest, signature: bytes | None, reader: ChainLedgerReader) -> list[str]:
    if signature is None:
        return ["signature: missing"]
    signer = recover_manifest_signer(manifest.signing_bytes(), signature)
    if signer is None:
        return ["signature: malformed"]
    if signer.lower() != manifest.issuer.lower():
        return [f"signature: forged - recovers to {signer}, not the issuer {manifest.issuer}"]
    kind, status, _ = reader.member(signer)
    problems = []
    if status != MemberStatus.ACTIVE or kind not in (MemberKind.BANK, MemberKind.TRADER):
        problems.append(f"signature: signer {signer} is not an active bank or trader in Membership")
    if signer.lower() != manifest.account.lower():
        _, _, sponsor = reader.member(manifest.account)
        if sponsor.lower() != signer.lower():
            problems.append(f"signature: signer {signer} is neither the account {manifest.account} nor its sponsor")
    return problems


def _anchor_problems(manifest: Manifest, reader: ChainLedgerReader) -> list[str]:
    anchor = reader.find_anchor(
        _seconds(manifest.period_start),
        _seconds(manifest.period_end),
        manifest.account,
        manifest.counterparty,
        manifest.currency,
    )
    if anchor is None:
        return ["anchor: the statement is not anchored on ReconciliationAnchor"]
    checks: list[tuple[str, Any, Any]] = [
        ("manifest hash", "0x" + anchor.manifest_hash.hex(), "0x" + manifest.manifest_hash().hex()),
        ("merkle root", "0x" + anchor.merkle_root.hex(), manifest.merkle_root),
        ("entry count", anchor.entry_count, manifest.entry_count),
        ("total debits", str(anchor.total_debits), manifest.debit_total),
        ("total credits", str(anchor.total_credits), manifest.credit_total),
    ]
    return [
        f"anchor: {name} differs - anchor {anchor.anchor_id} on chain has {chain}, the manifest {mine}"
        for name, chain, mine in checks
        if chain != mine
    ]
