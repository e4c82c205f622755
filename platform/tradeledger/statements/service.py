"""Statements from the ledger: build, write, sign, store, prove and anchor.

Files are deterministic: the same ledger, account, currency, period, counterparty and format always give the
same bytes (the header's creation time is the period end, the sequence number follows from the closing
date), so regenerating a statement reproduces the file, its manifest and its Merkle root exactly. That holds
only for a closed period: one that ended before the last block in the read model. A statement of a period
still open is refused (`period_not_closed`). A request without an end (no `date_to`, no `cut_off`), and the
intraday formats (camt.052 reports, camt.054 notifications), are cut at that block's time instead, and so are
final for the shorter period they state: asking again with that end as `cut_off` gives the same file.

Each manifest also carries the statement's history tree: the RFC 6962 tree over every entry of the account,
currency (and counterparty) booked before the period end, the statement's own entries last. It depends on
the ledger alone, not on which statements were generated before, and a later statement's history tree extends
an earlier one's: the consistency proof between them shows that no earlier entry was rewritten.

A statement costs what its own period holds, not the account's history: each one saves the history tree's
frontier (and the balance) at its start and end (`HistoryFrontier`), and the next one resumes from the latest
frontier before its start, reading only the entries after it. Each also stores the complete subtrees of the
history tree it closed (`HistorySubtree`), so a consistency proof between two statements reads the O(log n)
subtrees it needs; only when they are missing, or no longer give both signed roots, or the later statement's
last entry is no longer where it was (a reorg), does it rebuild the history from the read model.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from reconciliation.canonical import RootingLines, encode_entry, entry_leaf_hash
from reconciliation.currency import UnknownCurrencyError, exponent
from reconciliation.entries import Direction, LedgerEntry
from reconciliation.formats import StatementFormat, write_statement
from reconciliation.manifest import Manifest, build_manifest
from reconciliation.merkle import MerkleTree, StoredTree, StreamingRoot, leaf_hash, subtrees_for_consistency
from reconciliation.statements import Period, Statement, StatementLine
from tradeledger.anchors.models import StatementAnchor
from tradeledger.chain.abi import ZERO_ADDRESS, checksum
from tradeledger.chain.ledger import block_time
from tradeledger.chain.manifests import sign_manifest_as
from tradeledger.chain.rpc import JsonRpc
from tradeledger.chain.txmanager import ContractCall, KeyRing, SignerNotHostedError
from tradeledger.codec import InvalidValueError, currency_bytes
from tradeledger.errors import ChainUnavailableError, ForbiddenError, NotFoundError, TradeLedgerError
from tradeledger.members.access import can_see, visible_accounts
from tradeledger.members.models import MemberKind
from tradeledger.operations import Pending, Submission, write_in_database, write_then_view
from tradeledger.statements import repository
from tradeledger.statements.models import NO_COUNTERPARTY, GeneratedStatement, HistoryFrontier
from tradeledger.statements.schemas import (
    AnchorView,
    ConsistencyProof,
    InclusionProof,
    SignedManifest,
    StatementRequest,
    StatementView,
)
from tradeledger.store.base import utcnow

if TYPE_CHECKING:  # the runtime composes the domains: importing it here would be a cycle
    from tradeledger.runtime import Platform

STATEMENTS_DIR = "statements"  # under the data directory; files are named by their SHA-256
EPOCH = date(1970, 1, 1)
MAX_PERIOD_DAYS = 366
CONTRACT = "ReconciliationAnchor"
INTRADAY_FORMATS = frozenset({StatementFormat.CAMT052, StatementFormat.CAMT054})
MEDIA_TYPES = {"xml": "application/xml", "sta": "text/plain; charset=utf-8", "csv": "text/csv; charset=utf-8"}


class StatementNotFoundError(NotFoundError):
    code = "statement_not_found"


class AnchorNotFoundError(NotFoundError):
    code = "anchor_not_found"


class EntryNotInStatementError(NotFoundError):
    code = "entry_not_in_statement"


class LedgerChangedError(TradeLedgerError):
    """The read model no longer gives the statement's root (a reorg rolled postings back): regenerate it."""

    code = "ledger_changed"
    http_status = 409
    title = "Ledger changed since the statement was generated"


class PeriodNotClosedError(TradeLedgerError):
    """The read model cannot hold every entry of the period yet, so the statement would not be final."""

    code = "period_not_closed"
    http_status = 409
    title = "Period not closed"


class StatementsNotComparableError(TradeLedgerError):
    code = "statements_not_comparable"
    http_status = 422
    title = "Statements not comparable"


class StatementAlreadyAnchoredError(TradeLedgerError):
    code = "statement_already_anchored"
    http_status = 409
    title = "Already anchored"


@dataclass(frozen=True)
class StatementSpec:
    """What a statement covers (validated)."""

    account: str
    currency: str
    period: Period
    format: StatementFormat
    counterparty: str | None
    to_head: bool = False  # no end was asked for: the period runs up to the last indexed block

    @property
    def sequence(self) -> int:
        """Days from 1970-01-01 to the closing date: consecutive daily statements get consecutive numbers."""
        return (self.period.closing_date - EPOCH).days


def _invalid(field: str, reason: str) -> InvalidValueError:
    return InvalidValueError(f"{field}: {reason}", field=field)


def spec_of(request: StatementRequest) -> StatementSpec:
    """Validate a request: addresses, ISO 4217 currency, a period of whole UTC days that the format can state."""
    account = checksum(request.account)  # the schema took 0x and 40 hex digits: only the case changes
    counterparty = None if request.counterparty is None else checksum(request.counterparty)
    if counterparty == account:
        raise _invalid("counterparty", "must differ from the account")
    try:
        exponent(request.currency)
    except UnknownCurrencyError as error:
        raise _invalid("currency", str(error)) from None
    first, last = _days(request.format)
    for field, day in (("date_from", request.date_from), ("date_to", request.date_to)):
        if day is not None and not first <= day <= last:
            raise _invalid(
                field, f"{day} is outside the days a {request.format} statement can state: {first} to {last}"
            )
    if request.date_to is not None and request.date_to < request.date_from:
        raise _invalid("date_to", f"{request.date_to} is before date_from {request.date_from}")
    start = _midnight(request.date_from)
    last_day_end = None if request.date_to is None else _midnight(request.date_to) + timedelta(days=1)
    longest = min(MAX_PERIOD_DAYS, (last - request.date_from).days + 1)  # never past the last day: no overflow
    end = last_day_end or start + timedelta(days=longest)
    if request.cut_off is not None:
        end = _cut_off(request.cut_off, start, last_day_end, last)
    if end - start > timedelta(days=MAX_PERIOD_DAYS):
        raise _invalid(
            "date_to" if request.cut_off is None else "cut_off", f"a statement covers at most {MAX_PERIOD_DAYS} days"
        )
    to_head = request.date_to is None and request.cut_off is None
    return StatementSpec(account, request.currency, Period(start, end), request.format, counterparty, to_head)


def _days(fmt: StatementFormat) -> tuple[date, date]:
    """The business days a statement may cover: those the format can state, from the first day whose sequence
    number (days since 1970-01-01) is positive; anchors hold the period as uint64 seconds since then too."""
    first, last = fmt.days
    return max(first, EPOCH + timedelta(days=1)), last


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _cut_off(cut_off: datetime, start: datetime, last_day_end: datetime | None, last: date) -> datetime:
    """A cut-off as the end of a period: an instant in whole seconds (as anchors record it) after its start,
    on or before the end of the last day the format can state."""
    if cut_off.tzinfo is None:
        raise _invalid("cut_off", f"{cut_off.isoformat()} needs a time zone (e.g. Z for UTC)")
    if cut_off.microsecond:
        raise _invalid("cut_off", f"{cut_off.isoformat()} must be in whole seconds")
    latest = _midnight(last) + timedelta(days=1)
    if cut_off <= start:  # aware instants compare whatever their offsets, before a conversion could overflow
        raise _invalid("cut_off", f"{cut_off.isoformat()} is not after the period's start {start.isoformat()}")
    if cut_off > latest:
        raise _invalid(
            "cut_off",
            f"{cut_off.isoformat()} is after {latest.isoformat()}, the end of the last day the format can state",
        )
    cut_off = cut_off.astimezone(UTC)
    if last_day_end is not None and cut_off > last_day_end:
        raise _invalid("cut_off", f"{cut_off.isoformat()} is after the end of date_to")
    return cut_off


def indexed_until(db: Session, rpc: JsonRpc, chain_id: int) -> datetime | None:
    """The time of the last block in the read model (None before the first): every entry booked earlier is in it.

    Why the chain's clock and not the wall clock: block timestamps never decrease, so no block still to come
    can book an entry before this instant, whatever the clocks of the machines say.

    Raises:
        ChainUnavailableError: the node no longer holds that block (a reorg the indexer has yet to roll back).
    """
    head = repository.indexed_head(db, chain_id)
    if head is None:
        return None
    at = block_time(rpc, head.block_hash)
    if at is None:
        raise ChainUnavailableError(
            f"the last indexed block {head.block_number} is no longer on the node (a reorg): retry once re-indexed"
        )
    return at


def settle_target(spec: StatementSpec, arrived: datetime) -> datetime | None:
    """How far the chain should have closed before a period is cut at the last indexed block: the second after
    the request arrived, so that "up to now" includes everything booked before the request, even in the
    request's own second (a block can share its timestamp with the next). None for a period with a fixed end.
    """
    if not (spec.to_head or spec.format in INTRADAY_FORMATS):
        return None
    return min(arrived.replace(microsecond=0) + timedelta(seconds=1), spec.period.end)


def final_spec(spec: StatementSpec, closed_before: datetime | None) -> StatementSpec:
    """The spec of a final statement: a period closed before `closed_before` (see `indexed_until`), or, for a
    request without an end or an intraday report, the period cut there.

    Raises:
        PeriodNotClosedError: the period has not closed yet (or, when it is to be cut, not begun).
    """
    if closed_before is not None and spec.period.end <= closed_before:
        return spec
    cut = spec.to_head or spec.format in INTRADAY_FORMATS
    if cut and closed_before is not None and closed_before > spec.period.start:
        return replace(spec, period=Period(spec.period.start, closed_before))
    indexed = "no block yet" if closed_before is None else f"the block of {closed_before.isoformat()}"
    raise PeriodNotClosedError(
        f"the period ends {spec.period.end.isoformat()} but the ledger is indexed through {indexed}: only a period "
        "closed on chain is final (without date_to and cut_off the period runs up to that block, as camt.052 and "
        "camt.054 reports always do)"
    )


def _entries(
    db: Session,
    spec: StatementSpec,
    chain_id: int,
    start: datetime | None,
    end: datetime,
    after: tuple[int, int] | None = None,
) -> Iterator[LedgerEntry]:
    return repository.entries(
        db,
        account=spec.account,
        currency=spec.currency,
        start=start,
        end=end,
        counterparty=spec.counterparty,
        chain_id=chain_id,
        after=after,
    )


@dataclass(frozen=True)
class Mark:
    """Where an entry is in the ledger: enough to resume after it and to see whether a reorg replaced it."""

    entry_id: int
    block_number: int
    log_index: int
    block_hash: str
    booked_at: datetime

    @classmethod
    def of(cls, entry: LedgerEntry) -> Mark:
        e = entry.evidence
        return cls(entry.entry_id, e.block_number, e.log_index, e.block_hash, entry.booked_at)


@dataclass
class History:
    """The account's history tree and balance over its entries booked before a cut, and the last of them."""

    tree: StreamingRoot
    credits: int = 0
    debits: int = 0
    last: Mark | None = None

    def add(self, entry: LedgerEntry) -> None:
        """Book the next entry (hashing it into the tree)."""
        self.tree.add_leaf(encode_entry(entry))
        self.counted(entry)

    def counted(self, entry: LedgerEntry) -> None:
        """Book the next entry whose leaf the tree already holds."""
        if entry.direction is Direction.CREDIT:
            self.credits += entry.amount
        else:
            self.debits += entry.amount
        self.last = Mark.of(entry)

    @property
    def balance(self) -> int:
        return self.credits - self.debits

    def row(self, spec: StatementSpec, chain_id: int, cut: datetime) -> HistoryFrontier:
        """The row that lets a later statement resume at `cut` (see `HistoryFrontier`)."""
        last = self.last
        return HistoryFrontier(
            chain_id=chain_id,
            account=spec.account,
            counterparty=spec.counterparty or NO_COUNTERPARTY,
            currency=spec.currency,
            cut=cut,
            size=self.tree.size,
            frontier=b"".join(self.tree.frontier()),
            credits=self.credits,
            debits=self.debits,
            last_entry_id=None if last is None else last.entry_id,
            last_block_number=None if last is None else last.block_number,
            last_log_index=None if last is None else last.log_index,
            last_block_hash=None if last is None else last.block_hash,
            last_booked_at=None if last is None else last.booked_at,
        )


def _mark(row: HistoryFrontier) -> Mark | None:
    """The last entry before the row's cut (None: no entry before it)."""
    number, log, block, at = row.last_block_number, row.last_log_index, row.last_block_hash, row.last_booked_at
    if row.last_entry_id is None or number is None or log is None or block is None or at is None:
        return None
    return Mark(row.last_entry_id, number, log, block, at)


def _saved(db: Session, row: HistoryFrontier) -> History | None:
    """The history saved in `row`, if the read model still holds its last entry where it was; else None (a reorg
    replaced that block, and so perhaps any later one) and the row is deleted."""
    last = _mark(row)
    if last is not None:
        posting = repository.postings_by_id(db, [last.entry_id]).get(last.entry_id)
        where = (last.block_number, last.log_index, last.block_hash)
        if posting is None or (posting.block_number, posting.log_index, posting.block_hash.lower()) != where:
            db.delete(row)
            return None
    raw = row.frontier
    tree = StreamingRoot.resume(row.size, [raw[i : i + 32] for i in range(0, len(raw), 32)], keep_subtrees=True)
    return History(tree, row.credits, row.debits, last)


def history_before(db: Session, spec: StatementSpec, chain_id: int, cut: datetime) -> tuple[History, bool]:
    """The history of the entries booked before `cut`, resumed from the latest frontier saved at or before it
    that still holds (reading only the entries after that frontier's last one), else from the first entry;
    and whether a frontier was saved at `cut` itself."""
    history, at_cut = History(StreamingRoot(keep_subtrees=True)), False
    for row in repository.frontiers(
        db,
        chain_id=chain_id,
        account=spec.account,
        currency=spec.currency,
        counterparty=spec.counterparty or NO_COUNTERPARTY,
        cut=cut,
    ):
        saved = _saved(db, row)
        if saved is not None:
            history, at_cut = saved, row.cut == cut
            break
    last = history.last
    after = None if last is None else (last.block_number, last.log_index)
    for entry in _entries(db, spec, chain_id, None if last is None else last.booked_at, cut, after):
        history.add(entry)
        at_cut = False
    return history, at_cut


def build(db: Session, spec: StatementSpec, chain_id: int) -> tuple[Statement, History]:
    """Pass one over the read model: the history before the period (opening balance and history tree so far,
    see `history_before`), then the header of the period (totals, closing). Pass two (`Statement.lines`)
    extends the history."""
    history, at_start = history_before(db, spec, chain_id, spec.period.start)
    if not at_start:
        _save(db, history, spec, chain_id, spec.period.start)
    statement = Statement.build(
        lambda: _entries(db, spec, chain_id, spec.period.start, spec.period.end),
        account=spec.account,
        currency=spec.currency,
        period=spec.period,
        opening=history.balance,
        sequence=spec.sequence,
        counterparty=spec.counterparty,
    )
    return statement, history


def _booked(lines: Iterable[StatementLine], history: History) -> Iterator[StatementLine]:
    """The lines, counted into `history` as they pass (`RootingLines` adds their leaves to its tree)."""
    for line in lines:
        history.counted(line.entry)
        yield line


def _issuer(keys: KeyRing, account: str, requester: str) -> str:
    """The account's own key signs when this instance hosts it, else the requesting member's (its sponsor)."""
    for candidate in (account, requester):
        try:
            keys.get(candidate)
        except SignerNotHostedError:
            continue
        return candidate
    raise SignerNotHostedError(f"this instance holds no key for {account} nor {requester} to sign the manifest")


def write_file(
    db: Session, spec: StatementSpec, chain_id: int, directory: Path, issuer: str
) -> tuple[Statement, Manifest, str]:
    """Write the file of a final statement under `directory` and build its (unsigned) manifest; save the history
    frontiers at the period's start and end for the statements to come. Returns the file's name there."""
    statement, history = build(db, spec, chain_id)
    directory.mkdir(parents=True, exist_ok=True)
    lines = RootingLines(_booked(statement.lines(), history), history.tree)
    handle, scratch = tempfile.mkstemp(dir=directory, suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out:
            write_statement(out, spec.format, statement.header, lines)
        manifest = build_manifest(
            statement.header,
            fmt=spec.format.value,
            file=scratch,
            merkle_root=lines.root,
            tree_size=lines.size,
            issuer=issuer,
            chain_id=chain_id,
            history=history.tree,
        )
        name = f"{manifest.file_sha256[2:]}.{spec.format.extension}"
        os.replace(scratch, directory / name)
    except BaseException:
        Path(scratch).unlink(missing_ok=True)
        raise
    _save(db, history, spec, chain_id, spec.period.end)
    return statement, manifest, name


def _history_key(spec: StatementSpec, chain_id: int) -> repository.HistoryKey:
    return repository.HistoryKey(chain_id, spec.account, spec.counterparty or NO_COUNTERPARTY, spec.currency)


def _save(db: Session, history: History, spec: StatementSpec, chain_id: int, cut: datetime) -> None:
    """Save the history's frontier at `cut` and the complete subtrees it closed since it was last saved."""
    repository.save_frontier(db, history.row(spec, chain_id, cut))
    repository.save_subtrees(db, _history_key(spec, chain_id), history.tree.take_subtrees())


def generate(
    db: Session,
    *,
    keys: KeyRing,
    chain_id: int,
    directory: Path,
    spec: StatementSpec,
    closed_before: datetime | None,
    viewer: str,
    viewer_kind: MemberKind | None,
) -> GeneratedStatement:
    """Write the statement file, build and sign its manifest, and record it (the caller commits).

    Args:
        db: the request's session.
        keys: the hosted signing keys.
        chain_id: the chain the postings come from.
        directory: where statement files are stored (content-addressed by SHA-256).
        spec: what the statement covers.
        closed_before: `indexed_until`: periods ending by then are closed (see `final_spec`).
        viewer: the requesting member; must see the account (owner or sponsor bank).
        viewer_kind: the requesting member's kind.

    Raises:
        PeriodNotClosedError: the period is still open.
    """
    if not can_see(db, viewer, viewer_kind, [spec.account]):
        raise ForbiddenError(f"{viewer} may not request statements of {spec.account}")
    spec = final_spec(spec, closed_before)
    issuer = _issuer(keys, spec.account, viewer)
    statement, manifest, name = write_file(db, spec, chain_id, directory, issuer)
    signature = sign_manifest_as(keys, issuer, manifest.signing_bytes())
    row = GeneratedStatement(
        account=spec.account,
        counterparty=spec.counterparty,
        currency=spec.currency,
        period_start=spec.period.start,
        period_end=spec.period.end,
        format=spec.format.value,
        sequence=statement.header.sequence,
        statement_id=statement.header.statement_id,
        issuer=issuer,
        requested_by=viewer,
        file_name=name,
        file_sha256=manifest.file_sha256,
        file_size=manifest.file_size,
        entry_count=manifest.entry_count,
        merkle_root=manifest.merkle_root,
        manifest=manifest.to_bytes().decode("ascii"),
        manifest_hash="0x" + manifest.manifest_hash().hex(),
        signature="0x" + signature.hex(),
    )
    db.add(row)
    db.flush()
    return row


def visible_statement(
    db: Session, viewer: str, viewer_kind: MemberKind | None, statement_id: int
) -> GeneratedStatement:
    """A statement the viewer may see (the account's owner, its sponsor bank, auditors); else 404."""
    row = repository.statement(db, statement_id)
    if row is None or not can_see(db, viewer, viewer_kind, [row.account]):
        raise StatementNotFoundError(f"no statement {statement_id}")
    return row


def list_statements(
    platform: Platform, viewer: str, viewer_kind: MemberKind | None, after: int | None, limit: int
) -> list[StatementView]:
    with platform.sessions() as db:
        rows = repository.statements(db, visible_accounts(db, viewer, viewer_kind), after, limit)
        return [view(db, row) for row in rows]


@dataclass(frozen=True)
class StatementFile:
    """A statement's file on disk, as it is downloaded."""

    path: Path
    media_type: str
    filename: str


def statement_file(platform: Platform, viewer: str, viewer_kind: MemberKind | None, statement_id: int) -> StatementFile:
    with platform.sessions() as db:
        row = visible_statement(db, viewer, viewer_kind, statement_id)
    path = file_path(platform.settings.data_dir / STATEMENTS_DIR, row)
    return StatementFile(path, media_type(row), f"{row.statement_id}.{path.suffix.lstrip('.')}")


def statement_manifest(
    platform: Platform, viewer: str, viewer_kind: MemberKind | None, statement_id: int
) -> SignedManifest:
    with platform.sessions() as db:
        return signed_manifest(visible_statement(db, viewer, viewer_kind, statement_id))


def entry_proof(
    platform: Platform, viewer: str, viewer_kind: MemberKind | None, statement_id: int, entry_id: int
) -> InclusionProof:
    with platform.sessions() as db:
        row = visible_statement(db, viewer, viewer_kind, statement_id)
        return inclusion_proof(db, row, entry_id, platform.transactions.chain_id)


def history_proof(
    platform: Platform, viewer: str, viewer_kind: MemberKind | None, statement_id: int, earlier: int
) -> ConsistencyProof:
    """That the statement's history tree extends an earlier one's (both visible to the viewer)."""
    with platform.sessions() as db:
        later = visible_statement(db, viewer, viewer_kind, statement_id)
        before = visible_statement(db, viewer, viewer_kind, earlier)
        return consistency_proof(db, before, later, platform.transactions.chain_id)


def manifest_of(row: GeneratedStatement) -> Manifest:
    return Manifest.from_bytes(row.manifest.encode("ascii"))


def file_path(directory: Path, row: GeneratedStatement) -> Path:
    path = directory / row.file_name
    if not path.is_file():
        raise StatementNotFoundError(f"the file of statement {row.id} is missing from the data directory")
    return path


def media_type(row: GeneratedStatement) -> str:
    return MEDIA_TYPES.get(StatementFormat(row.format).extension, "application/json")


def view(db: Session, row: GeneratedStatement) -> StatementView:
    manifest = manifest_of(row)
    anchor = repository.anchor_by_manifest(db, row.manifest_hash)
    return StatementView(
        id=str(row.id),
        account=row.account,
        counterparty=row.counterparty,
        currency=row.currency,
        period_start=row.period_start,
        period_end=row.period_end,
        format=row.format,
        sequence=row.sequence,
        statement_id=row.statement_id,
        issuer=row.issuer,
        file_sha256=row.file_sha256,
        file_size=row.file_size,
        entry_count=row.entry_count,
        opening=manifest.opening,
        closing=manifest.closing,
        merkle_root=row.merkle_root,
        history_size=manifest.history_size,
        history_root=manifest.history_root,
        manifest_hash=row.manifest_hash,
        signature=row.signature,
        created_at=row.created_at,
        anchor_id=None if anchor is None else str(anchor.anchor_id),
        anchor_status=None if anchor is None else anchor.status.name,
    )


def signed_manifest(row: GeneratedStatement) -> SignedManifest:
    return SignedManifest(manifest=manifest_of(row).to_dict(), manifest_hash=row.manifest_hash, signature=row.signature)


def _spec_of_row(row: GeneratedStatement) -> StatementSpec:
    period = Period(row.period_start, row.period_end)
    return StatementSpec(row.account, row.currency, period, StatementFormat(row.format), row.counterparty)


def inclusion_proof(db: Session, row: GeneratedStatement, entry_id: int, chain_id: int) -> InclusionProof:
    """The RFC 6962 audit path of one entry, from the statement's entries rebuilt from the read model."""
    index = None
    leaf = b""
    tree = MerkleTree()
    spec = _spec_of_row(row)
    for position, entry in enumerate(_entries(db, spec, chain_id, spec.period.start, spec.period.end)):
        encoded = encode_entry(entry)
        tree.append_hash(leaf_hash(encoded))
        if entry.entry_id == entry_id:
            index, leaf = position, encoded
    if "0x" + tree.root().hex() != row.merkle_root or tree.size != row.entry_count:
        raise LedgerChangedError(f"the ledger no longer gives statement {row.id}'s root {row.merkle_root}")
    if index is None:
        raise EntryNotInStatementError(f"entry {entry_id} is not in statement {row.id}")
    return InclusionProof(
        statement=str(row.id),
        entry_id=str(entry_id),
        leaf_index=index,
        tree_size=tree.size,
        leaf="0x" + leaf.hex(),
        leaf_hash="0x" + tree.leaf_hash(index).hex(),
        merkle_root=row.merkle_root,
        audit_path=["0x" + node.hex() for node in tree.inclusion_proof(index)],
    )


def _history(row: GeneratedStatement) -> tuple[int, str]:
    manifest = manifest_of(row)
    if manifest.history_size is None or manifest.history_root is None:
        raise StatementsNotComparableError(f"statement {row.id} has no history tree: regenerate it")
    return manifest.history_size, manifest.history_root


def consistency_proof(
    db: Session, earlier: GeneratedStatement, later: GeneratedStatement, chain_id: int
) -> ConsistencyProof:
    """The RFC 6962 proof that `later`'s history tree extends `earlier`'s.

    Both history roots are in signed (and, once anchored, anchored) manifests, so the proof shows that the
    ledger of the account up to `earlier`'s period end is exactly what it was when `earlier` was issued. It
    comes from the history subtrees the statements stored (`_stored_history`: O(log n) reads) while the later
    statement's last entry is where it was; after a reorg, or without them, from the read model's entries.
    Like the statements' frontiers, the stored subtrees trust the read model as it was when they were computed:
    an entry edited in the database in place (no reorg) is found by the rebuild only.

    Raises:
        StatementsNotComparableError: another account, currency or counterparty; `earlier` ends after
            `later`; or a manifest without a history tree.
        LedgerChangedError: the read model no longer gives both signed history roots (an entry changed).
    """
    if (earlier.account, earlier.currency, earlier.counterparty) != (later.account, later.currency, later.counterparty):
        raise StatementsNotComparableError(
            f"statements {earlier.id} and {later.id} differ in account, currency or counterparty"
        )
    if earlier.period_end > later.period_end:
        raise StatementsNotComparableError(f"statement {earlier.id} ends after statement {later.id}")
    old_size, old_root = _history(earlier)
    new_size, new_root = _history(later)
    spec = _spec_of_row(later)
    tree: StoredTree | MerkleTree | None = _stored_history(
        db, spec, chain_id, (old_size, old_root), (new_size, new_root)
    )
    if tree is None:
        tree = MerkleTree(entry_leaf_hash(entry) for entry in _entries(db, spec, chain_id, None, spec.period.end))
    earlier_holds = old_size <= tree.size and "0x" + tree.root(old_size).hex() == old_root
    later_holds = tree.size == new_size and "0x" + tree.root().hex() == new_root
    for row, root, holds in ((earlier, old_root, earlier_holds), (later, new_root, later_holds)):
        if not holds:
            raise LedgerChangedError(
                f"the read model no longer gives statement {row.id}'s history root {root}: an entry booked "
                f"before {row.period_end.isoformat()} changed"
            )
    return ConsistencyProof(
        statement=str(later.id),
        from_statement=str(earlier.id),
        old_size=old_size,
        old_root=old_root,
        new_size=new_size,
        new_root=new_root,
        proof=["0x" + node.hex() for node in tree.consistency_proof(old_size, new_size)],
    )


def _stored_history(
    db: Session, spec: StatementSpec, chain_id: int, old: tuple[int, str], new: tuple[int, str]
) -> StoredTree | None:
    """The history tree up to `spec`'s period end from its stored subtrees: the O(log n) that the consistency
    proof between the signed (size, root) pairs `old` and `new` and both roots need. None unless the frontier
    saved at the period end has the new size and its last entry is still where it was (no reorg since), every
    subtree is stored, and they give both signed roots: then the caller rebuilds the tree from the read model."""
    saved = repository.frontiers(
        db,
        chain_id=chain_id,
        account=spec.account,
        currency=spec.currency,
        counterparty=spec.counterparty or NO_COUNTERPARTY,
        cut=spec.period.end,
    )
    (old_size, old_root), (new_size, new_root) = old, new
    if not saved or saved[0].cut != spec.period.end or saved[0].size != new_size or _saved(db, saved[0]) is None:
        return None
    places = subtrees_for_consistency(old_size, new_size)
    stored = repository.subtrees(db, _history_key(spec, chain_id), places)
    if len(stored) < len(places):
        return None
    tree = StoredTree(new_size, stored)
    holds = "0x" + tree.root(old_size).hex() == old_root and "0x" + tree.root().hex() == new_root
    return tree if holds else None


def _seconds(iso: str) -> int:
    return int(datetime.fromisoformat(iso).timestamp())


def anchor_call(db: Session, anchor_address: str, row: GeneratedStatement, caller: str) -> ContractCall:
    """ReconciliationAnchor.anchor of the statement, signed by the account itself (the contract requires it)."""
    anchored = repository.anchor_by_manifest(db, row.manifest_hash)
    if anchored is not None:
        raise StatementAlreadyAnchoredError(f"statement {row.id} is anchored as {anchored.anchor_id}")
    if caller != row.account:
        raise ForbiddenError(f"only {row.account} anchors its own statements")
    m = manifest_of(row)
    statement = (
        _seconds(m.period_start),
        _seconds(m.period_end),
        m.account,
        m.counterparty or ZERO_ADDRESS,
        currency_bytes(m.currency),
        bytes.fromhex(m.merkle_root[2:]),
        m.entry_count,
        int(m.debit_total),
        int(m.credit_total),
        m.manifest_hash(),
    )
    return ContractCall(CONTRACT, anchor_address, "anchor", (statement,), row.account)


def anchor_view(anchor: StatementAnchor) -> AnchorView:
    return AnchorView(
        anchor_id=str(anchor.anchor_id),
        account=anchor.account,
        counterparty=anchor.counterparty,
        currency=anchor.currency,
        period_start=anchor.period_start,
        period_end=anchor.period_end,
        merkle_root=anchor.merkle_root,
        entry_count=anchor.entry_count,
        total_debits=str(anchor.total_debits),
        total_credits=str(anchor.total_credits),
        manifest_hash=anchor.manifest_hash,
        anchored_at=anchor.anchored_at,
        mirror_anchor_id=None if anchor.mirror_anchor_id is None else str(anchor.mirror_anchor_id),
        status=anchor.status.name,
        tx_hash=anchor.tx_hash,
        block_number=anchor.block_number,
    )


def visible_anchor(db: Session, viewer: str, viewer_kind: MemberKind | None, anchor_id: int) -> StatementAnchor:
    anchor = repository.anchor(db, anchor_id)
    if anchor is None or not can_see(db, viewer, viewer_kind, [anchor.account, anchor.counterparty]):
        raise AnchorNotFoundError(f"no anchor {anchor_id}")
    return anchor


def list_anchors(
    platform: Platform, viewer: str, viewer_kind: MemberKind | None, after: int | None, limit: int
) -> list[AnchorView]:
    with platform.sessions() as db:
        return [anchor_view(a) for a in repository.anchors(db, visible_accounts(db, viewer, viewer_kind), after, limit)]


def anchor_detail(platform: Platform, viewer: str, viewer_kind: MemberKind | None, anchor_id: int) -> AnchorView:
    with platform.sessions() as db:
        return anchor_view(visible_anchor(db, viewer, viewer_kind, anchor_id))


def statement_view(platform: Platform, viewer: str, viewer_kind: MemberKind | None, statement_id: int) -> StatementView:
    """One statement the viewer may see."""
    with platform.sessions() as db:
        return view(db, visible_statement(db, viewer, viewer_kind, statement_id))


def create_statement(
    platform: Platform,
    spec: StatementSpec,
    viewer: str,
    viewer_kind: MemberKind | None,
    record: Callable[[Session, StatementView], None] | None = None,
) -> tuple[StatementView, Path]:
    """Generate and sign a statement once the chain has closed its period; `record` runs in the transaction that
    stores it (the API stores the request's answer there). Returns the view and the file's path."""
    closed_before = platform.closed_until(settle_target(spec, utcnow()))
    directory = platform.settings.data_dir / STATEMENTS_DIR
    chain_id = platform.transactions.chain_id
    files: list[Path] = []

    def create(db: Session) -> StatementView:
        row = generate(
            db, keys=platform.keys, chain_id=chain_id, directory=directory, spec=spec, closed_before=closed_before,
            viewer=viewer, viewer_kind=viewer_kind,
        )  # fmt: skip
        files.append(directory / row.file_name)
        return view(db, row)

    return write_in_database(platform, create, record), files[0]


def anchor(
    platform: Platform, owner: str, owner_kind: MemberKind | None, statement_id: int, submission: Submission
) -> StatementView | Pending:
    """The account owner anchors the statement's root, totals and manifest hash on ReconciliationAnchor."""
    with platform.sessions() as db:
        row = visible_statement(db, owner, owner_kind, statement_id)
        call = anchor_call(db, platform.address(CONTRACT), row, owner)
    return write_then_view(
        platform, call, submission, lambda _: statement_view(platform, owner, owner_kind, statement_id)
    )
