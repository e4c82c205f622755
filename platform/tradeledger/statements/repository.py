"""Queries for statements: the postings of an account, generated statements, anchors, the indexed head."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, delete, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from reconciliation.entries import ChainEvidence, LedgerEntry
from reconciliation.merkle import Subtree
from tradeledger.anchors.models import StatementAnchor
from tradeledger.settlements.models import LedgerPosting
from tradeledger.statements.entries import ledger_entry
from tradeledger.statements.models import GeneratedStatement, HistoryFrontier, HistorySubtree
from tradeledger.store.bulk import insert_rows
from tradeledger.store.models import IndexerCheckpoint


def _touches(account: str, counterparty: str | None) -> ColumnElement[bool]:
    if counterparty is None:
        return or_(LedgerPosting.debit_account == account, LedgerPosting.credit_account == account)
    return or_(
        and_(LedgerPosting.debit_account == account, LedgerPosting.credit_account == counterparty),
        and_(LedgerPosting.credit_account == account, LedgerPosting.debit_account == counterparty),
    )


def _postings(
    db: Session,
    *,
    account: str,
    currency: str,
    start: datetime | None,
    end: datetime,
    counterparty: str | None,
    after: tuple[int, int] | None,
) -> Iterator[LedgerPosting]:
    """The account's postings booked in `[start, end)` (from the first one if `start` is None), and after the
    posting at (block number, log index) `after` if given, in (block number, log index) order, streamed."""
    query = select(LedgerPosting).where(
        _touches(account, counterparty), LedgerPosting.currency == currency, LedgerPosting.block_timestamp < end
    )
    if start is not None:
        query = query.where(LedgerPosting.block_timestamp >= start)
    if after is not None:
        block, log = after
        later_log = and_(LedgerPosting.block_number == block, LedgerPosting.log_index > log)
        query = query.where(or_(LedgerPosting.block_number > block, later_log))
    query = query.order_by(LedgerPosting.block_number, LedgerPosting.log_index).execution_options(yield_per=1000)
    return iter(db.scalars(query))


def entries(
    db: Session,
    *,
    account: str,
    currency: str,
    start: datetime | None,
    end: datetime,
    counterparty: str | None,
    chain_id: int,
    after: tuple[int, int] | None = None,
) -> Iterator[LedgerEntry]:
    """The account's entries booked in `[start, end)` (see `_postings`), as statements show them."""
    postings = _postings(
        db, account=account, currency=currency, start=start, end=end, counterparty=counterparty, after=after
    )
    for posting in postings:
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


def frontiers(
    db: Session, *, chain_id: int, account: str, currency: str, counterparty: str, cut: datetime
) -> list[HistoryFrontier]:
    """The account's last saved history frontiers at or before `cut`, latest first."""
    query = select(HistoryFrontier).where(
        HistoryFrontier.chain_id == chain_id,
        HistoryFrontier.account == account,
        HistoryFrontier.counterparty == counterparty,
        HistoryFrontier.currency == currency,
        HistoryFrontier.cut <= cut,
    )
    return list(db.scalars(query.order_by(HistoryFrontier.cut.desc()).limit(8)))


def save_frontier(db: Session, frontier: HistoryFrontier) -> None:
    """Record a frontier, replacing the one saved at the same key and cut: the one just computed comes from the
    read model as it is now (the same ledger gives the same frontier; a reorg since may not)."""
    query = select(HistoryFrontier).where(
        HistoryFrontier.chain_id == frontier.chain_id,
        HistoryFrontier.account == frontier.account,
        HistoryFrontier.counterparty == frontier.counterparty,
        HistoryFrontier.currency == frontier.currency,
        HistoryFrontier.cut == frontier.cut,
    )
    saved = db.scalar(query)
    if saved is not None:
        for column in HistoryFrontier.__table__.columns:
            if column.key != "id":
                setattr(saved, column.key, getattr(frontier, column.key))
        return
    try:
        with db.begin_nested():
            db.add(frontier)
    except IntegrityError:  # a concurrent statement saved it first, from the same ledger
        pass


@dataclass(frozen=True)
class HistoryKey:
    """Whose history tree: the key columns of `HistorySubtree` (and of `HistoryFrontier`)."""

    chain_id: int
    account: str
    counterparty: str
    currency: str

    def subtrees(self) -> ColumnElement[bool]:
        """The subtrees of this history tree."""
        return and_(
            HistorySubtree.chain_id == self.chain_id,
            HistorySubtree.account == self.account,
            HistorySubtree.counterparty == self.counterparty,
            HistorySubtree.currency == self.currency,
        )


def save_subtrees(db: Session, key: HistoryKey, subtrees: Collection[Subtree]) -> None:
    """Record the subtrees a statement closed, replacing those stored at the same places (the ones just computed
    come from the read model as it is now). What one pass over consecutive entries closes is, at each level, a
    run of consecutive positions: one DELETE of that run per level."""
    if not subtrees:
        return
    runs: dict[int, tuple[int, int]] = {}
    for level, index, _ in subtrees:
        low, high = runs.get(level, (index, index))
        runs[level] = (min(low, index), max(high, index))
    for level, (low, high) in runs.items():
        at = (HistorySubtree.level == level) & HistorySubtree.position.between(low, high)
        db.execute(delete(HistorySubtree).where(key.subtrees(), at))
    names = {"chain_id": key.chain_id, "account": key.account, "counterparty": key.counterparty,
             "currency": key.currency}  # fmt: skip
    rows = [{**names, "level": level, "position": index, "hash": digest} for level, index, digest in subtrees]
    try:
        with db.begin_nested():
            insert_rows(db, HistorySubtree, rows)
    except IntegrityError:  # a concurrent statement stored them first, from the same ledger (a gap costs a rebuild)
        pass


def subtrees(db: Session, key: HistoryKey, places: Collection[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
    """The stored subtrees among `places` ((level, position) pairs), by place: one primary-key lookup per level
    (a row-value IN over both columns made SQLite scan every subtree of the account)."""
    levels: dict[int, list[int]] = {}
    for level, position in places:
        levels.setdefault(level, []).append(position)
    found: dict[tuple[int, int], bytes] = {}
    for level, positions in sorted(levels.items()):
        query = select(HistorySubtree.position, HistorySubtree.hash).where(
            key.subtrees(), HistorySubtree.level == level, HistorySubtree.position.in_(positions)
        )
        found.update(((level, position), digest) for position, digest in db.execute(query))
    return found


def postings_by_id(db: Session, entry_ids: Collection[int]) -> dict[int, LedgerPosting]:
    """The postings with these entry ids, wherever they are booked."""
    found: dict[int, LedgerPosting] = {}
    ids = sorted(entry_ids)
    for first in range(0, len(ids), 500):
        query = select(LedgerPosting).where(LedgerPosting.entry_id.in_(ids[first : first + 500]))
        found.update((posting.entry_id, posting) for posting in db.scalars(query))
    return found


def indexed_head(db: Session, chain_id: int) -> IndexerCheckpoint | None:
    """The last block the indexer applied to the read model (None before its first batch)."""
    return db.get(IndexerCheckpoint, chain_id)


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


def statement_by_manifest(db: Session, manifest_hash: str) -> GeneratedStatement | None:
    """The first statement generated here with this manifest (the one behind an anchor), if any."""
    query = select(GeneratedStatement).where(GeneratedStatement.manifest_hash == manifest_hash)
    return db.scalar(query.order_by(GeneratedStatement.id).limit(1))


def anchor_by_manifest(db: Session, manifest_hash: str) -> StatementAnchor | None:
    return db.scalar(select(StatementAnchor).where(StatementAnchor.manifest_hash == manifest_hash).limit(1))


def anchors(db: Session, accounts: set[str] | None, after: int | None, limit: int) -> list[StatementAnchor]:
    query = select(StatementAnchor).order_by(StatementAnchor.anchor_id).limit(limit)
    if accounts is not None:
        query = query.where(or_(StatementAnchor.account.in_(accounts), StatementAnchor.counterparty.in_(accounts)))
    if after is not None:
        query = query.where(StatementAnchor.anchor_id > after)
    return list(db.scalars(query))
