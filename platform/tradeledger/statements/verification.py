"""`POST /v1/audit/verifications`: the checks of `tradeledger audit verify` on an uploaded file, with the verdict
per entry, so a person can drop a file on a page and see which lines the chain confirms.

The file and manifest are checked against the chain alone (this instance's node and contracts), never the
service's database: the same `verify_statement` the CLI runs, plus each file entry matched to its `Posted` log.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import tempfile
from pathlib import Path

from reconciliation.entries import LedgerEntry
from reconciliation.formats import StatementFormat
from reconciliation.manifest import ManifestError
from tradeledger.chain.ledger import ChainLedgerReader
from tradeledger.errors import TradeLedgerError
from tradeledger.runtime import Platform
from tradeledger.statements.audit import (
    FileEntry,
    file_entries,
    load_signed_manifest,
    manifest_chain_entries,
    manifest_period,
    verify_statement,
)
from tradeledger.statements.schemas import EntryCheck, VerificationRequest, VerificationView

ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")


class VerificationInputError(TradeLedgerError):
    """The upload is not a file and signed manifest that can be checked at all."""

    code = "verification_input_invalid"
    http_status = 422
    title = "Cannot verify this upload"


def _reader(platform: Platform) -> ChainLedgerReader:
    return ChainLedgerReader(
        platform.transactions.rpc,
        settlement=platform.address("Settlement"),
        anchor=platform.address("ReconciliationAnchor"),
        membership=platform.address("Membership"),
        from_block=platform.deploy_block(),
        log_range=platform.settings.log_range,
    )


def _decoded(request: VerificationRequest) -> bytes:
    try:
        return base64.b64decode(request.file_base64, validate=True)
    except (binascii.Error, ValueError):
        raise VerificationInputError("file_base64 is not base64: send the file's bytes base64-encoded") from None


def entry_checks(listed: list[FileEntry] | None, chain: list[LedgerEntry]) -> list[EntryCheck]:
    """Each entry of the file against the chain's entry of the same id, then the chain's entries the file lacks."""
    on_chain = {entry.entry_id: entry for entry in chain}
    checks = []
    for item in listed or []:
        truth = on_chain.pop(item.entry_id, None)
        if truth is None:
            status, detail = "added", "no Posted log of this account and period has this entry id"
        elif item.amount != truth.amount or item.direction is not truth.direction:
            status = "changed"
            detail = f"file {item.amount} {item.direction.value}, chain {truth.amount} {truth.direction.value}"
        else:
            status, detail = "verified", f"tx {truth.evidence.tx_hash} log {truth.evidence.log_index}"
        checks.append(
            EntryCheck(
                entry_id=str(item.entry_id),
                status=status,
                file_amount=item.amount,
                chain_amount=None if truth is None else truth.amount,
                direction=item.direction.value,
                detail=detail,
            )
        )
    if listed is not None:
        for truth in on_chain.values():
            checks.append(
                EntryCheck(
                    entry_id=str(truth.entry_id),
                    status="dropped",
                    file_amount=None,
                    chain_amount=truth.amount,
                    direction=truth.direction.value,
                    detail=f"on chain (tx {truth.evidence.tx_hash} log {truth.evidence.log_index}), not in the file",
                )
            )
    return checks


def verify_upload(platform: Platform, request: VerificationRequest) -> VerificationView:
    """The verdict on an uploaded statement file and its signed manifest, from the chain alone."""
    data = _decoded(request)
    try:
        manifest, signature = load_signed_manifest(json.dumps(request.manifest).encode("utf-8"))
        fmt = StatementFormat(manifest.format)
        manifest_period(manifest)
        for name in ("account", "counterparty"):
            value = getattr(manifest, name)
            if value is not None and not ADDRESS.fullmatch(str(value)):
                raise ValueError(f"{name} {value!r} is not an address")
    except (ManifestError, ValueError, TypeError) as error:
        raise VerificationInputError(f"manifest: {error}") from None
    reader = _reader(platform)
    with tempfile.TemporaryDirectory(prefix="tradeledger-verify-") as folder:
        path = Path(folder) / f"statement.{fmt.extension}"
        path.write_bytes(data)
        problems = verify_statement(path, manifest, signature, reader)
        try:
            listed = file_entries(path, fmt)
        except (ValueError, KeyError, IndexError, TypeError, UnicodeDecodeError):
            listed = None  # verify_statement has said why
    _, chain = manifest_chain_entries(manifest, reader)
    return VerificationView(
        verified=not problems,
        statement=manifest.statement_id,
        account=manifest.account,
        currency=manifest.currency,
        entry_count=manifest.entry_count,
        file_sha256="0x" + hashlib.sha256(data).hexdigest(),
        chain_id=reader.chain_id,
        problems=problems,
        entries=entry_checks(listed, chain),
    )
