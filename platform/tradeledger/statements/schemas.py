"""Request and response bodies of the statements and anchors resources."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from reconciliation.formats import StatementFormat


class StatementRequest(BaseModel):
    """Generate a statement of one account and currency over whole UTC days."""

    account: str = Field(description="the statement account (a member address)", examples=["0x..."])
    currency: str = Field(min_length=3, max_length=3, description="ISO 4217 code", examples=["USD"])
    date_from: date = Field(description="first business day (UTC) of the period")
    date_to: date = Field(description="last business day (UTC) of the period, inclusive")
    format: StatementFormat = Field(StatementFormat.CAMT053, description="file format")
    counterparty: str | None = Field(None, description="restrict to movements with this member (bilateral)")


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
