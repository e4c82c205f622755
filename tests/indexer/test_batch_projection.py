"""The bulk projection paths: events applied a batch at a time give the read model that applying them one by one
gives, and the balances equal a plain model of the ledger; an overdraft stops both at the same event.

Hypothesis draws postings among a few accounts and currencies (`Posted`, a batch handler: several per batch
touching the same balance, amounts beyond int64, now and then one that overdraws), interleaved with external
payments recorded (an insert handler) and later confirmed or rejected (one-at-a-time handlers that read the
recorded row, sometimes in the same batch), and cuts them into batches of random sizes, each its own
transaction as the indexer commits them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session, sessionmaker

from tests.indexer.checks import dump_tables
from tests.indexer.conftest import Database
from tradeledger.indexer import handlers  # noqa: F401 - registers every projection
from tradeledger.indexer.fetcher import EventRecord
from tradeledger.indexer.projections import ProjectionError, projector
from tradeledger.settlements.models import PostingKind
from tradeledger.store.db import transaction

ACCOUNTS = ["0x" + f"{n:02x}" * 20 for n in (0x11, 0x22, 0x33)]
ZERO = "0x" + "00" * 20
CURRENCIES = {"USD": "0x555344", "EUR": "0x455552"}
SETTLEMENT_TABLES = ("ledger_postings", "account_balances", "currency_supplies", "external_payments")
START = datetime(2026, 1, 5, tzinfo=UTC)


@st.composite
def ledger_events(draw: st.DrawFn) -> list[EventRecord]:
    count = draw(st.integers(1, 30))
    records: list[EventRecord] = []
    entry_id = payment_id = 0
    held: dict[tuple[str, str], int] = defaultdict(int)  # what the accounts hold so far, to draw mostly valid debits
    recorded: list[tuple[int, str]] = []  # external payments not decided yet: (id, payee)
    for index in range(count):
        common = {
            "chain_id": 1337,
            "block_number": 10 + index // 3,
            "block_hash": f"0x{10 + index // 3:064x}",
            "block_timestamp": START + timedelta(seconds=index // 3),
            "tx_hash": f"0x{index + 1:064x}",
            "tx_index": index % 3,
            "log_index": index,
            "address": "0x" + "ee" * 20,
            "contract": "Settlement",
        }
        name = draw(st.sampled_from(sorted(CURRENCIES)))
        code = CURRENCIES[name]
        amount = draw(st.integers(1, 500) | st.just(2**200))
        if recorded and draw(st.integers(0, 9)) == 0:  # decided later, in the same batch or another one
            payment, payee = recorded.pop(draw(st.integers(0, len(recorded) - 1)))
            event = draw(st.sampled_from(["ExternalPaymentConfirmed", "ExternalPaymentRejected"]))
            records.append(EventRecord(**common, event=event, args={"paymentId": payment, "payee": payee}))
            continue
        if draw(st.integers(0, 9)) == 0:
            payment_id += 1
            payer, payee = draw(st.permutations(ACCOUNTS))[:2]
            recorded.append((payment_id, payee))
            args = {"paymentId": payment_id, "payer": payer, "payee": payee, "currency": code, "amount": amount,
                    "rail": 0, "railReference": "0x" + "ab" * 32, "ref": "0x" + "cd" * 32}  # fmt: skip
            records.append(EventRecord(**common, event="ExternalPaymentRecorded", args=args))
            continue
        funded = [account for account in ACCOUNTS if held[(account, name)] > 0]
        kind = draw(st.sampled_from(list(PostingKind))) if funded else PostingKind.ISSUE
        debit, credit = draw(st.permutations(ACCOUNTS))[:2]
        if kind is not PostingKind.ISSUE:
            debit = draw(st.sampled_from(funded))
            credit = draw(st.sampled_from([account for account in ACCOUNTS if account != debit]))
            if draw(st.integers(0, 19)):  # mostly within the balance; now and then an overdraft
                amount = draw(st.integers(1, held[(debit, name)]))
            held[(debit, name)] -= amount
        if kind is not PostingKind.REDEEM:
            held[(credit, name)] += amount
        entry_id += 1
        args = {
            "entryId": entry_id,
            "debitAccount": ZERO if kind is PostingKind.ISSUE else debit,
            "creditAccount": ZERO if kind is PostingKind.REDEEM else credit,
            "currency": code,
            "amount": amount,
            "kind": int(kind),
            "ref": f"0x{entry_id:064x}",
        }
        records.append(EventRecord(**common, event="Posted", args=args))
    return records


def ledger_model(records: Sequence[EventRecord]) -> tuple[dict[tuple[str, str], int], str | None]:
    """Balances by (account, currency) after the events, and the event that overdraws, if one does."""
    balances: dict[tuple[str, str], int] = defaultdict(int)
    for record in records:
        if record.event != "Posted":
            continue
        args, code = record.args, bytes.fromhex(record.args["currency"][2:]).decode()
        if args["debitAccount"] != ZERO:
            if balances[(args["debitAccount"], code)] < args["amount"]:
                return dict(balances), f"log {record.log_index}"
            balances[(args["debitAccount"], code)] -= args["amount"]
        if args["creditAccount"] != ZERO:
            balances[(args["creditAccount"], code)] += args["amount"]
    return dict(balances), None


def project(sessions: sessionmaker[Session], batches: Sequence[Sequence[EventRecord]]) -> dict[str, Any] | str:
    """The settlement tables after applying `batches` (each one transaction), or the error that stopped it."""
    with transaction(sessions) as db:
        projector.clear(db)
    try:
        for batch in batches:
            with transaction(sessions) as db:
                projector.apply_all(db, batch)
    except ProjectionError as error:
        return error.message
    dump = dump_tables(sessions)
    return {table: dump[table] for table in SETTLEMENT_TABLES}


def one_by_one(sessions: sessionmaker[Session], records: Sequence[EventRecord]) -> dict[str, Any] | str:
    """Every event through `Projector.apply`, in one session and transaction (as a one-off replay would)."""
    with transaction(sessions) as db:
        projector.clear(db)
    try:
        with transaction(sessions) as db:
            for record in records:
                projector.apply(db, record)
    except ProjectionError as error:
        return error.message
    dump = dump_tables(sessions)
    return {table: dump[table] for table in SETTLEMENT_TABLES}


class TestPostedBatches:
    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(records=ledger_events(), cuts=st.lists(st.integers(0, 30), max_size=5))
    def test_batches_equal_one_by_one_and_the_model(
        self, database: Database, records: list[EventRecord], cuts: list[int]
    ) -> None:
        bounds = sorted({0, len(records), *(cut for cut in cuts if cut < len(records))})
        batches = [records[start:end] for start, end in pairwise(bounds)]
        batched = project(database.sessions, batches)
        assert batched == one_by_one(database.sessions, records)
        balances, overdraft = ledger_model(records)
        if overdraft is not None:
            assert isinstance(batched, str) and overdraft in batched, batched
            return
        assert not isinstance(batched, str), batched
        assert {(row[0], row[1]): row[2] for row in batched["account_balances"]} == balances

    @pytest.mark.parametrize("batch", [False, True])
    def test_debit_without_a_balance_stops_the_indexer(self, database: Database, batch: bool) -> None:
        credit = {"entryId": 1, "debitAccount": ZERO, "creditAccount": ACCOUNTS[0], "currency": CURRENCIES["USD"],
                  "amount": 10, "kind": int(PostingKind.ISSUE), "ref": "0x" + "01" * 32}  # fmt: skip
        overdraw = {**credit, "entryId": 2, "debitAccount": ACCOUNTS[0], "creditAccount": ACCOUNTS[1],
                    "amount": 11, "kind": int(PostingKind.TRANSFER)}  # fmt: skip
        unknown = {**overdraw, "entryId": 2, "debitAccount": ACCOUNTS[2], "amount": 1}
        for args, message in ((overdraw, "holds 10 USD, debited 11"), (unknown, "debited 1 USD without a balance")):
            records = [
                EventRecord(
                    1337, 7, "0x" + "ab" * 32, START, f"0x{i:064x}", 0, i, "0x" + "ee" * 20, "Settlement", "Posted", a
                )
                for i, a in enumerate((credit, args))
            ]
            outcome = project(database.sessions, [records]) if batch else one_by_one(database.sessions, records)
            assert isinstance(outcome, str) and message in outcome and "log 1" in outcome, outcome

    @pytest.mark.parametrize("batch", [False, True])
    def test_the_first_inconsistent_posting_in_chain_order_stops_the_indexer(
        self, database: Database, batch: bool
    ) -> None:
        """A batch reports the event one-by-one application stops at, even when a later one is wrong another way."""
        credit = {"entryId": 1, "debitAccount": ZERO, "creditAccount": ACCOUNTS[0], "currency": CURRENCIES["USD"],
                  "amount": 10, "kind": int(PostingKind.ISSUE), "ref": "0x" + "01" * 32}  # fmt: skip
        overdraw = {**credit, "entryId": 2, "debitAccount": ACCOUNTS[0], "creditAccount": ACCOUNTS[1],
                    "amount": 11, "kind": int(PostingKind.TRANSFER)}  # fmt: skip
        undebited = {**overdraw, "entryId": 3, "debitAccount": ZERO, "amount": 1}
        records = [
            EventRecord(
                1337, 7, "0x" + "ab" * 32, START, f"0x{i:064x}", 0, i, "0x" + "ee" * 20, "Settlement", "Posted", a
            )
            for i, a in enumerate((credit, overdraw, undebited))
        ]
        outcome = project(database.sessions, [records]) if batch else one_by_one(database.sessions, records)
        assert isinstance(outcome, str) and "holds 10 USD, debited 11" in outcome and "log 1" in outcome, outcome
