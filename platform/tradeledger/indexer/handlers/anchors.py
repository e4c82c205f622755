"""Projections of ReconciliationAnchor: anchored statements and the agreement or dispute of a pair."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy.orm import Session

from tradeledger.anchors.models import AnchorReconciliation, ReconciliationStatus, StatementAnchor
from tradeledger.indexer.fetcher import EventRecord
from tradeledger.indexer.handlers._support import (
    currency,
    evidence,
    existing,
    hex32,
    optional_address,
    require,
    seconds,
    stamp,
)
from tradeledger.indexer.projections import Row, projector

RECONCILIATION_ANCHOR = "ReconciliationAnchor"

projector.owns(StatementAnchor, AnchorReconciliation)


@projector.inserts(RECONCILIATION_ANCHOR, "StatementAnchored")
def statement_anchored(record: EventRecord) -> Iterator[Row]:
    args = record.args
    (
        period_start,
        period_end,
        account,
        counterparty,
        code,
        merkle_root,
        entry_count,
        total_debits,
        total_credits,
        manifest_hash,
    ) = args["statement"]
    # the decoder leaves addresses inside structs in lower case and gives the indexed ones in EIP-55 form: compare
    # them without case and keep the indexed ones (EIP-55 hashes the address: a hash per anchor was most of it)
    require(account.lower() == args["account"].lower(), record, "statement account differs from the indexed one")
    require(counterparty.lower() == args["counterparty"].lower(), record, "statement counterparty differs")
    account, counterparty = args["account"], optional_address(args["counterparty"])
    yield (
        StatementAnchor,
        {
            "anchor_id": args["anchorId"],
            "account": account,
            "counterparty": counterparty,
            "currency": currency(code),
            "period_start": period_start,
            "period_end": period_end,
            "merkle_root": hex32(merkle_root),
            "entry_count": entry_count,
            "total_debits": total_debits,
            "total_credits": total_credits,
            "manifest_hash": hex32(manifest_hash),
            "anchored_at": seconds(record),
            "mirror_anchor_id": None,
            "status": ReconciliationStatus.PENDING if counterparty else ReconciliationStatus.UNILATERAL,
            **evidence(record),
        },
    )


def _reconciled(db: Session, record: EventRecord, outcome: ReconciliationStatus, mirror_root: str) -> None:
    args = record.args
    anchor = existing(db, StatementAnchor, args["anchorId"], record)
    mirror = existing(db, StatementAnchor, args["mirrorAnchorId"], record)
    for row, other in ((anchor, mirror), (mirror, anchor)):
        require(row.status is ReconciliationStatus.PENDING, record, f"anchor {row.anchor_id} is {row.status.name}")
        row.mirror_anchor_id = other.anchor_id
        row.status = outcome
        stamp(row, record)
    db.add(
        AnchorReconciliation(
            anchor_id=anchor.anchor_id,
            mirror_anchor_id=mirror.anchor_id,
            outcome=outcome,
            merkle_root=anchor.merkle_root,
            mirror_merkle_root=mirror_root,
            **evidence(record),
        )
    )


@projector.on(RECONCILIATION_ANCHOR, "ReconciliationAgreed")
def reconciliation_agreed(db: Session, record: EventRecord) -> None:
    _reconciled(db, record, ReconciliationStatus.AGREED, hex32(record.args["merkleRoot"]))


@projector.on(RECONCILIATION_ANCHOR, "ReconciliationDisputed")
def reconciliation_disputed(db: Session, record: EventRecord) -> None:
    _reconciled(db, record, ReconciliationStatus.DISPUTED, hex32(record.args["mirrorMerkleRoot"]))
