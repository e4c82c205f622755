"""Canonical hashing and storage of off-chain terms."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy.orm import Session

from tradeledger.terms.models import OffChainDocument


def canonical_json(document: Any) -> str:
    """Sorted keys, no whitespace, UTF-8 kept: the same terms always give the same bytes and hash."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def terms_hash(document: Any) -> str:
    """0x-hex sha-256 of the canonical JSON, the value the contracts store as the terms hash."""
    return "0x" + hashlib.sha256(canonical_json(document).encode("utf-8")).hexdigest()


def store_terms(db: Session, kind: str, document: Any, submitted_by: str) -> str:
    """Keep the terms under their hash (idempotent) and return the hash."""
    digest = terms_hash(document)
    store_canonical(db, kind, canonical_json(document), digest, submitted_by)
    return digest


def store_canonical(db: Session, kind: str, canonical: str, digest: str, submitted_by: str) -> None:
    """Keep an already canonicalised document (e.g. LC terms with their own schema tag) under its hash."""
    if db.get(OffChainDocument, digest) is None:
        db.add(OffChainDocument(hash=digest, kind=kind, canonical_json=canonical, submitted_by=submitted_by))


def load_terms(db: Session, digest: str) -> Any | None:
    row = db.get(OffChainDocument, digest)
    return None if row is None else json.loads(row.canonical_json)
