"""Projections of Settlement: one ledger posting per `Posted`, balances and supplies updated incrementally,
and external payments.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session, class_mapper

from tradeledger.chain.abi import ZERO_ADDRESS
from tradeledger.indexer.fetcher import EventRecord
from tradeledger.indexer.handlers._support import (
    currency,
    evidence,
    existing,
    hex32,
    inconsistent,
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
from tradeledger.store.bulk import insert_columns, insert_rows

SETTLEMENT = "Settlement"

projector.owns(LedgerPosting, AccountBalance, CurrencySupply, ExternalPayment)

_SUPPLY_KINDS = (PostingKind.ISSUE, PostingKind.REDEEM)


LOAD_CHUNK = 500
"""Accounts per SELECT when a batch loads the balances it moves."""


_KINDS = {kind.value: kind for kind in PostingKind}


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
    checked as the contract checks it), then written once per row.

    The postings are built column by column, the records' own fields transposed at once, as the driver takes
    them: a dictionary per posting, transposed again for the driver, was most of this handler's Python."""
    _, numbers, hashes, times, tx_hashes, tx_indexes, log_indexes, *_, arguments = zip(*records, strict=True)
    kinds = [_KINDS[args["kind"]] for args in arguments]
    debtors = [None if (account := args["debitAccount"]) == ZERO_ADDRESS else account for args in arguments]
    creditors = [None if (account := args["creditAccount"]) == ZERO_ADDRESS else account for args in arguments]
    codes = [currency(args["currency"]) for args in arguments]
    amounts = [args["amount"] for args in arguments]
    touched: set[tuple[str, ...]] = {
        (a, code) for side in (debtors, creditors) for a, code in zip(side, codes, strict=True) if a is not None
    }
    balances = _Totals(db, AccountBalance, touched)
    supplies = _Totals(
        db, CurrencySupply, {(code,) for code, kind in zip(codes, kinds, strict=True) if kind in _SUPPLY_KINDS}
    )
    for record, debit, credit, code, amount, kind in zip(
        records, debtors, creditors, codes, amounts, kinds, strict=True
    ):
        if debit is not None:
            held = balances.stored(record, (debit, code))
            if held is None:
                raise inconsistent(record, f"{debit} is debited {amount} {code} without a balance")
            if held["balance"] < amount:
                raise inconsistent(record, f"{debit} holds {held['balance']} {code}, debited {amount}")
            held["balance"] -= amount
        elif kind is not PostingKind.ISSUE:
            raise inconsistent(record, f"{kind.name} without a debit account")
        if credit is not None:
            balances.get(record, (credit, code), {"balance": 0})["balance"] += amount
        elif kind is not PostingKind.REDEEM:
            raise inconsistent(record, f"{kind.name} without a credit account")
        if kind in _SUPPLY_KINDS:
            supply = supplies.get(record, (code,), {"total_issued": 0, "total_redeemed": 0})
            supply["total_issued" if kind is PostingKind.ISSUE else "total_redeemed"] += amount
    postings = {
        "entry_id": [args["entryId"] for args in arguments],
        "debit_account": debtors,
        "credit_account": creditors,
        "currency": codes,
        "amount": amounts,
        "kind": kinds,
        "reference": [hex32(args["ref"]) for args in arguments],
        "block_hash": hashes,
        "tx_index": tx_indexes,
        "block_number": numbers,
        "tx_hash": tx_hashes,
        "log_index": log_indexes,
        "block_timestamp": times,
    }
    insert_columns(db, LedgerPosting, postings)
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
