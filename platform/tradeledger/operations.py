"""Submitted chain transactions as operations their submitter (and its sponsor bank, and auditors) may follow."""

from __future__ import annotations

from sqlalchemy.orm import Session

from tradeledger.errors import NotFoundError
from tradeledger.members.access import can_see
from tradeledger.members.models import MemberKind
from tradeledger.store.models import ChainTransaction


class TransactionNotFoundError(NotFoundError):
    code = "transaction_not_found"


def visible_transaction(
    db: Session, viewer: str, viewer_kind: MemberKind | None, transaction_id: str
) -> ChainTransaction:
    row = db.get(ChainTransaction, transaction_id)
    if row is None or not can_see(db, viewer, viewer_kind, [row.signer]):
        raise TransactionNotFoundError(f"no transaction {transaction_id}")
    return row
