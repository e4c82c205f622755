"""Request and response bodies of the statements and anchors resources."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from reconciliation.formats import StatementFormat
from tradeledger.settlements.schemas import Address


class PeriodRequest(BaseModel):
    """A period of the ledger: whole UTC days, or from a day up to a cut-off (the last indexed block if none).

    The days must be ones the format can state: from 1970-01-02 (sequence numbers count days since 1970-01-01)
    to 9999-12-30, and for MT940 (two-digit years) 1980-01-01 to 2079-12-31; anything else is a 422 naming the
    field and the range.
    """

    date_from: date = Field(description="first business day (UTC) of the period")
    date_to: date | None = Field(
        None,
        description="last business day (UTC) of the period, inclusive; without it and without `cut_off`, the "
        "statement runs up to the last block in the read model (its `period_end` says where)",
    )
    cut_off: datetime | None = Field(
        None,
        description="end of the period (exclusive; whole seconds, with a time zone) for a statement of part of a "
        "day: pass an earlier statement's `period_end` to regenerate it, or the counterparty's to mirror it",
        examples=["2026-11-26T14:05:00Z"],
    )


class StatementRequest(PeriodRequest):
    """Generate a statement of one account and currency: whole UTC days, or up to a cut-off."""

    account: Address = Field(description="the statement account (a member address)")
    currency: str = Field(min_length=3, max_length=3, description="ISO 4217 code", examples=["USD"])
    format: StatementFormat = Field(StatementFormat.CAMT053, description="file format")
    counterparty: Address | None = Field(None, description="restrict to movements with this member (bilateral)")


class StatementView(BaseModel):
    """A generated statement file, its manifest and (once anchored) its anchor."""

    id: str
    account: str
    counterparty: str | None
    currency: str
    period_start: datetime
    period_end: datetime
    format: str
    sequence: int
    statement_id: str
    issuer: str
    file_sha256: str
    file_size: int
    entry_count: int
    opening: str
    closing: str
    merkle_root: str
    history_size: int | None = Field(
        None, description="entries of the account (and counterparty) in the currency booked before the period end"
    )
    history_root: str | None = Field(None, description="RFC 6962 root over those entries (see `/consistency`)")
    manifest_hash: str
    signature: str
    created_at: datetime
    anchor_id: str | None = None
    anchor_status: str | None = Field(None, description="UNILATERAL, PENDING, AGREED or DISPUTED")


class SignedManifest(BaseModel):
    """The manifest (canonical JSON object), its SHA-256 (anchored on chain) and the issuer's EIP-191 signature."""

    manifest: dict[str, Any]
    manifest_hash: str
    signature: str


class InclusionProof(BaseModel):
    """RFC 6962 inclusion proof of one entry in the statement's Merkle tree."""

    statement: str
    entry_id: str
    leaf_index: int
    tree_size: int
    leaf: str = Field(description="0x-hex canonical leaf bytes (tradeledger-entry-v1)")
    leaf_hash: str
    merkle_root: str
    audit_path: list[str] = Field(description="sibling hashes from the leaf up (RFC 6962 / RFC 9162)")
    algorithm: str = "rfc6962-sha256"


class ConsistencyProof(BaseModel):
    """RFC 6962 consistency proof: the later statement's history tree extends the earlier one's.

    A history tree holds every entry of the account, currency (and counterparty) booked before the statement's
    period end; both roots are in the statements' signed manifests. Check it with
    `reconciliation.merkle.verify_consistency(old_size, new_size, old_root, new_root, proof)` or
    `reconciliation.manifest.verify_history(earlier_manifest, later_manifest, proof)`.
    """

    statement: str
    from_statement: str
    old_size: int
    old_root: str
    new_size: int
    new_root: str
    proof: list[str] = Field(description="RFC 6962 / RFC 9162 consistency proof nodes")
    algorithm: str = "rfc6962-sha256"


class AnchorView(BaseModel):
    """A statement anchored on ReconciliationAnchor and its bilateral status."""

    anchor_id: str
    account: str
    counterparty: str | None
    currency: str
    period_start: int
    period_end: int
    merkle_root: str
    entry_count: int
    total_debits: str
    total_credits: str
    manifest_hash: str
    anchored_at: int
    mirror_anchor_id: str | None
    status: str
    tx_hash: str
    block_number: int


class FigureDifference(BaseModel):
    """A figure an anchor holds that the statement rebuilt from the chain does not have."""

    field: str = Field(description="merkle_root, entry_count, total_debits or total_credits")
    anchored: str
    chain: str


class AnchorCheck(BaseModel):
    """One anchor of the pair against the statement rebuilt from the chain's `Posted` logs."""

    anchor_id: str
    account: str
    merkle_root: str
    entry_count: int
    total_debits: str
    total_credits: str
    matches_chain: bool
    differences: list[FigureDifference]
    statement: str | None = Field(description="the statement generated on this instance that was anchored, if any")


class EntryDifference(BaseModel):
    """One field of one ledger entry on which this instance's read model and the chain disagree."""

    entry_id: str
    field: str = Field(
        description="the posting field (amount, debit_account, block_timestamp...), or `entry` when the entry is "
        "missing on one side"
    )
    read_model: str | None = Field(description="the read model's value (null: no such entry in the read model)")
    chain: str | None = Field(description="the `Posted` log's value (null: no such log for the account)")
    tx_hash: str | None = Field(description="where the log is on chain, if it is")
    log_index: int | None = None


class ReadModelCheck(BaseModel):
    """This instance's entries of the pair and period (what its statements are built from) against the chain."""

    merkle_root: str
    entry_count: int
    matches_chain: bool
    differences: list[EntryDifference]


class AnchorReconciliationView(BaseModel):
    """An anchor, its mirror and this instance's read model, each compared with the chain's `Posted` logs.

    The counterparty's entries are not on chain, only its root, count and totals; the chain's logs are, so the
    side whose anchor differs from them is the side in error, and an altered read model is named entry by entry.
    """

    anchor_id: str
    mirror_anchor_id: str | None
    status: str = Field(description="UNILATERAL, PENDING, AGREED or DISPUTED, as the contract holds it")
    account: str
    counterparty: str | None
    currency: str
    period_start: datetime
    period_end: datetime
    chain_block: int = Field(description="the block through which the chain's logs were read")
    chain_merkle_root: str
    chain_entry_count: int
    anchors: list[AnchorCheck]
    read_model: ReadModelCheck
    findings: list[str] = Field(description="what the comparison shows, in words")


class VerificationRequest(BaseModel):
    """A statement file and its signed manifest, to check against the chain alone (what `audit verify` does)."""

    file_base64: str = Field(
        min_length=1, max_length=4_000_000, description="the statement file's bytes, base64 (standard alphabet)"
    )
    manifest: dict[str, Any] = Field(
        description="the signed manifest document as `GET /v1/statements/{id}/manifest` answers it"
    )


class EntryCheck(BaseModel):
    """One entry of the file (or of the chain, for a dropped one) and what the chain says of it."""

    entry_id: str
    status: str = Field(description="`verified`, `changed`, `added` (not on chain) or `dropped` (not in the file)")
    file_amount: int | None = Field(None, description="minor units, as the file states it")
    chain_amount: int | None = Field(None, description="minor units, as the Posted log states it")
    direction: str | None = None
    detail: str = ""


class VerificationView(BaseModel):
    """The verdict on a file: verified only when no problem was found."""

    verified: bool
    statement: str
    account: str
    currency: str
    entry_count: int
    file_sha256: str
    chain_id: int
    problems: list[str]
    entries: list[EntryCheck]
