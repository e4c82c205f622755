"""Bilateral reconciliation of an anchored pair, checked against the chain's `Posted` logs.

When two banks' mirror anchors disagree, neither sees the other's entries: the chain holds only the
counterparty's root, count and totals. Both see the chain itself, though. So an instance compares

1. every anchor of the pair with the statement rebuilt from the `Posted` logs, read straight from the node
   by `ChainLedgerReader` (what `tradeledger audit verify` stands on): the side whose anchor differs from the
   chain is the side in error;
2. its own read model, entry by entry and field by field, with those logs: an entry altered in its database,
   or a log missing from it, is named with both values.

The instance whose database was altered finds the altered entries; the honest counterparty finds its read
model and its anchor matching the chain and the other anchor not.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from reconciliation.canonical import debit_credit, entries_root
from reconciliation.entries import LedgerEntry
from reconciliation.statements import Period
from tradeledger.anchors.models import ReconciliationStatus
from tradeledger.chain.abi import ZERO_ADDRESS, checksum
from tradeledger.chain.ledger import ChainAnchor, ChainLedgerReader, ChainPosting
from tradeledger.codec import reference_text
from tradeledger.members.models import MemberKind
from tradeledger.settlements.models import LedgerPosting, PostingKind
from tradeledger.statements import repository
from tradeledger.statements.audit import chain_entries
from tradeledger.statements.schemas import (
    AnchorCheck,
    AnchorReconciliationView,
    EntryDifference,
    FigureDifference,
    ReadModelCheck,
)
from tradeledger.statements.service import CONTRACT, PeriodNotClosedError, indexed_until, visible_anchor

if TYPE_CHECKING:  # the runtime composes the domains: importing it here would be a cycle
    from tradeledger.runtime import Platform


def _as_logged(row: LedgerPosting, chain_id: int) -> ChainPosting:
    """The read model's posting in the shape of a `Posted` log, to compare the two field by field."""
    return ChainPosting(
        entry_id=row.entry_id,
        debit_account=row.debit_account or ZERO_ADDRESS,
        credit_account=row.credit_account or ZERO_ADDRESS,
        currency=row.currency,
        amount=row.amount,
        kind=int(row.kind),
        reference=bytes.fromhex(row.reference.removeprefix("0x")),
        chain_id=chain_id,
        block_number=row.block_number,
        block_hash=row.block_hash,
        block_timestamp=row.block_timestamp,
        tx_hash=row.tx_hash,
        log_index=row.log_index,
    )


def _fields(posting: ChainPosting) -> dict[str, str]:
    """The fields a statement entry is built from, as text (addresses checksummed, hashes lower case)."""
    return {
        "debit_account": checksum(posting.debit_account),
        "credit_account": checksum(posting.credit_account),
        "currency": posting.currency,
        "amount": str(posting.amount),
        "kind": PostingKind(posting.kind).name,
        "reference": reference_text(posting.reference),
        "block_number": str(posting.block_number),
        "block_hash": posting.block_hash.lower(),
        "block_timestamp": posting.block_timestamp.astimezone(UTC).isoformat(),
        "tx_hash": posting.tx_hash.lower(),
        "log_index": str(posting.log_index),
    }


def entry_differences(
    entry_ids: Iterable[int], read_model: Mapping[int, ChainPosting], chain: Mapping[int, ChainPosting]
) -> list[EntryDifference]:
    """Every field of every entry in `entry_ids` on which the read model and the chain's logs disagree."""
    found = []
    for entry_id in sorted(entry_ids):
        row, log = read_model.get(entry_id), chain.get(entry_id)
        tx_hash, log_index = (None, None) if log is None else (log.tx_hash, log.log_index)
        if row is None or log is None:
            found.append(
                EntryDifference(
                    entry_id=str(entry_id),
                    field="entry",
                    read_model=None if row is None else "present",
                    chain=None if log is None else "present",
                    tx_hash=tx_hash,
                    log_index=log_index,
                )
            )
            continue
        mine, truth = _fields(row), _fields(log)
        found.extend(
            EntryDifference(
                entry_id=str(entry_id),
                field=field,
                read_model=mine[field],
                chain=truth[field],
                tx_hash=tx_hash,
                log_index=log_index,
            )
            for field in mine
            if mine[field] != truth[field]
        )
    return found


def _check_anchor(db: Session, anchor: ChainAnchor, chain_root: str, entries: list[LedgerEntry]) -> AnchorCheck:
    """The anchor's figures against the chain's, the totals seen from the anchor's own account."""
    account = anchor.account.lower()
    debit_total = sum(e.amount for e in entries if debit_credit(e)[0].lower() == account)
    credit_total = sum(e.amount for e in entries if debit_credit(e)[1].lower() == account)
    figures = [
        ("merkle_root", "0x" + anchor.merkle_root.hex(), chain_root),
        ("entry_count", str(anchor.entry_count), str(len(entries))),
        ("total_debits", str(anchor.total_debits), str(debit_total)),
        ("total_credits", str(anchor.total_credits), str(credit_total)),
    ]
    differences = [FigureDifference(field=f, anchored=a, chain=c) for f, a, c in figures if a != c]
    statement = repository.statement_by_manifest(db, "0x" + anchor.manifest_hash.hex())
    return AnchorCheck(
        anchor_id=str(anchor.anchor_id),
        account=anchor.account,
        merkle_root="0x" + anchor.merkle_root.hex(),
        entry_count=anchor.entry_count,
        total_debits=str(anchor.total_debits),
        total_credits=str(anchor.total_credits),
        matches_chain=not differences,
        differences=differences,
        statement=None if statement is None else str(statement.id),
    )


def _findings(anchors: list[AnchorCheck], read_model: ReadModelCheck, awaiting_mirror: bool) -> list[str]:
    findings = []
    for check in anchors:
        if check.matches_chain:
            findings.append(f"anchor {check.anchor_id} of {check.account} matches the chain")
        else:
            fields = ", ".join(d.field for d in check.differences)
            findings.append(
                f"anchor {check.anchor_id} of {check.account} differs from the chain ({fields}): that side's "
                f"statement was not built from the ledger as the chain holds it"
            )
    if awaiting_mirror:
        findings.append("the counterparty has not anchored its mirror statement yet")
    if read_model.matches_chain:
        findings.append("this instance's read model matches the chain for the pair and period")
    else:
        ids = sorted({int(d.entry_id) for d in read_model.differences})
        named = f"{'entry' if len(ids) == 1 else 'entries'} {', '.join(map(str, ids))}"
        findings.append(
            f"this instance's read model differs from the chain in {named}: statements built from it are wrong "
            f"until it is rebuilt from the chain"
        )
    return findings


def reconcile(
    db: Session, anchor_id: int, reader: ChainLedgerReader, chain_id: int, closed_before: datetime | None
) -> AnchorReconciliationView:
    """Compare an anchor, its mirror and this instance's read model with the chain (see the module docstring).

    Args:
        db: a read session.
        anchor_id: an anchor the caller may see.
        reader: the chain, read straight from the node.
        chain_id: the chain the read model indexes.
        closed_before: `service.indexed_until`: the read model must cover the whole period.

    Raises:
        PeriodNotClosedError: this instance has not indexed the whole period yet.
    """
    anchor = reader.anchor_of(anchor_id)
    period = Period(datetime.fromtimestamp(anchor.period_start, UTC), datetime.fromtimestamp(anchor.period_end, UTC))
    if closed_before is None or closed_before < period.end:
        raise PeriodNotClosedError(
            f"anchor {anchor_id} covers up to {period.end.isoformat()}, beyond what this instance has indexed"
        )
    counterparty = None if anchor.counterparty == ZERO_ADDRESS else anchor.counterparty
    block = reader.head()
    postings = reader.postings_of(anchor.account, to_block=block)
    _, chain_period = chain_entries(
        postings, account=anchor.account, currency=anchor.currency, counterparty=counterparty, period=period
    )
    chain_root, chain_count = entries_root(chain_period)
    pair = [anchor] if anchor.mirror_anchor_id == 0 else [anchor, reader.anchor_of(anchor.mirror_anchor_id)]
    checks = [_check_anchor(db, a, "0x" + chain_root.hex(), chain_period) for a in pair]

    mine = list(
        repository.entries(
            db,
            account=anchor.account,
            currency=anchor.currency,
            start=period.start,
            end=period.end,
            counterparty=counterparty,
            chain_id=chain_id,
        )
    )
    mine_root, mine_count = entries_root(mine)
    entry_ids = {e.entry_id for e in mine} | {e.entry_id for e in chain_period}
    read = {entry_id: _as_logged(row, chain_id) for entry_id, row in repository.postings_by_id(db, entry_ids).items()}
    differences = entry_differences(entry_ids, read, {p.entry_id: p for p in postings})
    read_model = ReadModelCheck(
        merkle_root="0x" + mine_root.hex(),
        entry_count=mine_count,
        matches_chain=not differences,
        differences=differences,
    )
    return AnchorReconciliationView(
        anchor_id=str(anchor_id),
        mirror_anchor_id=str(anchor.mirror_anchor_id) if anchor.mirror_anchor_id else None,
        status=ReconciliationStatus(anchor.status).name,
        account=anchor.account,
        counterparty=counterparty,
        currency=anchor.currency,
        period_start=period.start,
        period_end=period.end,
        chain_block=block,
        chain_merkle_root="0x" + chain_root.hex(),
        chain_entry_count=chain_count,
        anchors=checks,
        read_model=read_model,
        findings=_findings(checks, read_model, awaiting_mirror=counterparty is not None and len(pair) == 1),
    )


def anchor_reconciliation(
    platform: Platform, viewer: str, viewer_kind: MemberKind | None, anchor_id: int
) -> AnchorReconciliationView:
    """An anchor the viewer may see and its mirror, against the chain's ledger and this instance's read model."""
    reader = ChainLedgerReader(
        platform.transactions.rpc,
        settlement=platform.address("Settlement"),
        anchor=platform.address(CONTRACT),
        membership=platform.address("Membership"),
        from_block=platform.deploy_block(),
        log_range=platform.settings.log_range,
    )
    chain_id = platform.transactions.chain_id
    with platform.sessions() as db:
        visible_anchor(db, viewer, viewer_kind, anchor_id)
        return reconcile(db, anchor_id, reader, chain_id, indexed_until(db, platform.transactions.rpc, chain_id))
