"""Projections of Settlement: one ledger posting per `Posted`, balances and supplies updated incrementally,
and external payments.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session, class_mapper

from tradeledger.indexer.fetcher import EventRecord
from tradeledger.indexer.handlers._support import (
    currency,
    evidence,
    existing,
    hex32,
    inconsistent,
    optional_address,
    require,
    stamp,
)
from tradeledger.indexer.projections import Row, projector
from tradeledger.settlements.models import (
    AccountBalance,
    CurrencySupply,
    ExternalPayment,
    ExternalPaymentState,
    ExternalRail,
    LedgerPosting,
    PostingKind,
)
from tradeledger.store.base import table_of
from tradeledger.store.bulk import insert_rows

SETTLEMENT = "Settlement"

projector.owns(LedgerPosting, AccountBalance, CurrencySupply, ExternalPayment)

_SUPPLY_KINDS = (PostingKind.ISSUE, PostingKind.REDEEM)


LOAD_CHUNK = 500
"""Accounts per SELECT when a batch loads the balances it moves."""


_KINDS = {kind.value: kind for kind in PostingKind}


def _posting(record: EventRecord) -> dict[str, Any]:
    args = record.args
    kind = _KINDS[args["kind"]]
    debit, credit = optional_address(args["debitAccount"]), optional_address(args["creditAccount"])
    # checked inline, not through `require`: its message would be formatted for every posting
    if debit is None and kind is not PostingKind.ISSUE:
        raise inconsistent(record, f"{kind.name} without a debit account")
    if credit is None and kind is not PostingKind.REDEEM:
        raise inconsistent(record, f"{kind.name} without a credit account")
    return {
        "entry_id": args["entryId"],
        "debit_account": debit,
        "credit_account": credit,
        "currency": currency(args["currency"]),
        "amount": args["amount"],
        "kind": kind,
        "reference": hex32(args["ref"]),
        "block_hash": record.block_hash,
        "tx_index": record.tx_index,
        "block_number": record.block_number,  # evidence(record), spelled out: a call per posting costs
        "tx_hash": record.tx_hash,
        "log_index": record.log_index,
        "block_timestamp": record.block_timestamp,
    }


class _Totals:
    """Running totals of a table's rows over a batch: loaded once, moved in memory, written back once per row
    with the last event that moved it as its evidence.

    Plain column values are read, never ORM objects: the writes are bulk statements, which would leave objects
    in the session's identity map stale for the next batch.
    """

    def __init__(self, db: Session, model: type[AccountBalance | CurrencySupply], keys: set[tuple[str, ...]]) -> None:
        self.db = db
        self.model = model
        self.rows: dict[tuple[str, ...], dict[str, Any]] = {}
        self.new: set[tuple[str, ...]] = set()
        self.last: dict[tuple[str, ...], EventRecord] = {}  # per row, the last event that moved it
        mapper = class_mapper(model)
        self.primary = [column.name for column in mapper.primary_key]
        owners = sorted({key[0] for key in keys})
        for offset in range(0, len(owners), LOAD_CHUNK):
            query = select(*mapper.columns).where(mapper.primary_key[0].in_(owners[offset : offset + LOAD_CHUNK]))
            for row in db.execute(query).mappings():
                key = tuple(row[column] for column in self.primary)
                if key in keys:
                    self.rows[key] = dict(row)

    def stored(self, record: EventRecord, key: tuple[str, ...]) -> dict[str, Any] | None:
        """The row's values as of the events before `record` (None if it has none yet), to change in place;
        `record` becomes its last entry and evidence."""
        row = self.rows.get(key)
        if row is not None:
            self.last[key] = record
        return row

    def get(self, record: EventRecord, key: tuple[str, ...], start: dict[str, int]) -> dict[str, Any]:
        """Like `stored`, and a row the table does not have yet starts from `start`."""
        row = self.rows.get(key)
        if row is None:
            row = self.rows[key] = {**start, **dict(zip(self.primary, key, strict=True))}
            self.new.add(key)
        self.last[key] = record
        return row

    def write(self) -> None:
        """Insert the new rows, update the others by primary key (one executemany each)."""
        for key, record in self.last.items():
            self.rows[key].update(last_entry_id=record.args["entryId"], **evidence(record))
        table = table_of(self.model)
        inserts = [row for key, row in self.rows.items() if key in self.new]
        insert_rows(self.db, self.model, inserts)
        updates = [
            {f"b_{name}": value for name, value in row.items()} for key, row in self.rows.items() if key not in self.new
        ]
        if updates:
            changed: dict[str, Any] = {c.name: bindparam(f"b_{c.name}") for c in table.c if c.name not in self.primary}
            match = [table.c[name] == bindparam(f"b_{name}") for name in self.primary]
            self.db.execute(update(table).where(*match).values(changed), updates)


@projector.on_batch(SETTLEMENT, "Posted")
def posted(db: Session, records: Sequence[EventRecord]) -> None:
    """One posting per event, inserted in bulk; balances and supplies moved in memory in chain order (each step
    checked as the contract checks it), then written once per row."""
    postings = [_posting(record) for record in records]
    touched: set[tuple[str, ...]] = {
        (p[side], p["currency"]) for p in postings for side in ("debit_account", "credit_account") if p[side]
    }
    balances = _Totals(db, AccountBalance, touched)
    supplies = _Totals(db, CurrencySupply, {(p["currency"],) for p in postings if p["kind"] in _SUPPLY_KINDS})
    for record, posting in zip(records, postings, strict=True):
        amount, code, kind = posting["amount"], posting["currency"], posting["kind"]
        if (debit := posting["debit_account"]) is not None:
            held = balances.stored(record, (debit, code))
            if held is None:
                raise inconsistent(record, f"{debit} is debited {amount} {code} without a balance")
            if held["balance"] < amount:
                raise inconsistent(record, f"{debit} holds {held['balance']} {code}, debited {amount}")
            held["balance"] -= amount
        if (credit := posting["credit_account"]) is not None:
            balances.get(record, (credit, code), {"balance": 0})["balance"] += amount
        if kind in _SUPPLY_KINDS:
            supply = supplies.get(record, (code,), {"total_issued": 0, "total_redeemed": 0})
            supply["total_issued" if kind is PostingKind.ISSUE else "total_redeemed"] += amount
    insert_rows(db, LedgerPosting, postings)
    balances.write()
    supplies.write()


@projector.inserts(SETTLEMENT, "ExternalPaymentRecorded")
def external_payment_recorded(record: EventRecord) -> Iterator[Row]:
    args = record.args
    yield (
        ExternalPayment,
        {
            "payment_id": args["paymentId"],
            "payer": args["payer"],
            "payee": args["payee"],
            "currency": currency(args["currency"]),
            "amount": args["amount"],
            "rail": ExternalRail(args["rail"]),
            "rail_reference": hex32(args["railReference"]),
            "reference": hex32(args["ref"]),
            "state": ExternalPaymentState.RECORDED,
            "recorded_at": record.block_timestamp,
            "decided_at": None,
            **evidence(record),
        },
    )


def _decide(db: Session, record: EventRecord, state: ExternalPaymentState) -> None:
    payment = existing(db, ExternalPayment, record.args["paymentId"], record)
    require(payment.state is ExternalPaymentState.RECORDED, record, f"payment is {payment.state.name}")
    payment.state = state
    payment.decided_at = record.block_timestamp
    stamp(payment, record)


@projector.on(SETTLEMENT, "ExternalPaymentConfirmed")
def external_payment_confirmed(db: Session, record: EventRecord) -> None:
    _decide(db, record, ExternalPaymentState.CONFIRMED)


@projector.on(SETTLEMENT, "ExternalPaymentRejected")
def external_payment_rejected(db: Session, record: EventRecord) -> None:
    _decide(db, record, ExternalPaymentState.REJECTED)
