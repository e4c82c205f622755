"""Queries for statements: the postings of an account, its opening balance, generated statements, anchors."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from reconciliation.entries import ChainEvidence, LedgerEntry
from tradeledger.anchors.models import StatementAnchor
from tradeledger.settlements.models import LedgerPosting
from tradeledger.statements.entries import ledger_entry
from tradeledger.statements.models import GeneratedStatement


def _touches(account: str, counterparty: str | None) -> ColumnElement[bool]:
    if counterparty is None:
        return or_(LedgerPosting.debit_account == account, LedgerPosting.credit_account == account)
    return or_(
        and_(LedgerPosting.debit_account == account, LedgerPosting.credit_account == counterparty),
        and_(LedgerPosting.credit_account == account, LedgerPosting.debit_account == counterparty),
    )


def entries(
    db: Session,
    *,
    account: str,
    currency: str,
    start: datetime,
    end: datetime,
    counterparty: str | None,
    chain_id: int,
) -> Iterator[LedgerEntry]:
    """The account's entries booked in `[start, end)`, in (block number, log index) order."""
    query = (
        select(LedgerPosting)
        .where(
            _touches(account, counterparty),
            LedgerPosting.currency == currency,
            LedgerPosting.block_timestamp >= start,
            LedgerPosting.block_timestamp < end,
        )
        .order_by(LedgerPosting.block_number, LedgerPosting.log_index)
        .execution_options(yield_per=1000)
    )
    for posting in db.scalars(query):
        yield ledger_entry(
            account,
            entry_id=posting.entry_id,
            debit=posting.debit_account,
            credit=posting.credit_account,
            currency=posting.currency,
            amount=posting.amount,
            kind=int(posting.kind),
            reference=posting.reference,
            booked_at=posting.block_timestamp,
            evidence=ChainEvidence(
                chain_id=chain_id,
                block_number=posting.block_number,
                block_hash=posting.block_hash.lower(),
                tx_hash=posting.tx_hash.lower(),
                log_index=posting.log_index,
            ),
        )


def balance_before(db: Session, *, account: str, currency: str, before: datetime, counterparty: str | None) -> int:
    """Credits minus debits of the account booked before `before` (with one counterparty, if given)."""
    query = select(LedgerPosting.credit_account, LedgerPosting.amount).where(
        _touches(account, counterparty), LedgerPosting.currency == currency, LedgerPosting.block_timestamp < before
    )
    balance = 0
    for credit, amount in db.execute(query.execution_options(yield_per=5000)):
        balance += amount if credit == account else -amount
    return balance


def statement(db: Session, statement_id: int) -> GeneratedStatement | None:
    return db.get(GeneratedStatement, statement_id)


def statements(db: Session, accounts: set[str] | None, after: int | None, limit: int) -> list[GeneratedStatement]:
    query = select(GeneratedStatement).order_by(GeneratedStatement.id).limit(limit)
    if accounts is not None:
        query = query.where(GeneratedStatement.account.in_(accounts))
    if after is not None:
        query = query.where(GeneratedStatement.id > after)
    return list(db.scalars(query))


def anchor(db: Session, anchor_id: int) -> StatementAnchor | None:
    return db.get(StatementAnchor, anchor_id)


def anchor_by_manifest(db: Session, manifest_hash: str) -> StatementAnchor | None:
    return db.scalar(select(StatementAnchor).where(StatementAnchor.manifest_hash == manifest_hash).limit(1))


def anchors(db: Session, accounts: set[str] | None, after: int | None, limit: int) -> list[StatementAnchor]:
    query = select(StatementAnchor).order_by(StatementAnchor.anchor_id).limit(limit)
    if accounts is not None:
        query = query.where(or_(StatementAnchor.account.in_(accounts), StatementAnchor.counterparty.in_(accounts)))
    if after is not None:
        query = query.where(StatementAnchor.anchor_id > after)
    return list(db.scalars(query))
