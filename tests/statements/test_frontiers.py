"""Statements resume the account's history from saved frontiers, with exactly the results of a full recomputation."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select, update

from tests.statements.conftest import DAY_1, DAY_2, EAST_BANK, WEST_BANK, Ledger
from tests.statements.helpers import generate
from tradeledger.statements.models import HistoryFrontier
from tradeledger.store.db import transaction

SAME = ("file_sha256", "merkle_root", "history_size", "history_root", "opening", "closing", "manifest_hash")


def _frontiers(west: Ledger) -> int:
    with west.platform.sessions() as db:
        return int(db.scalar(select(func.count()).select_from(HistoryFrontier)) or 0)


def _same(statement: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(statement[key] for key in SAME)


class TestFrontiers:
    def test_each_statement_saves_its_start_and_end(self, instance: Ledger) -> None:
        client = instance.client("bank")
        generate(client, WEST_BANK.address, DAY_1)
        assert _frontiers(instance) == 2
        generate(client, WEST_BANK.address, DAY_2)  # starts where DAY_1 ended
        assert _frontiers(instance) == 3
        generate(client, WEST_BANK.address, DAY_2, "camt.053.001.08")
        assert _frontiers(instance) == 3

    def test_a_resumed_statement_equals_one_recomputed_from_the_first_entry(self, instance: Ledger) -> None:
        client = instance.client("bank")
        resumed = [generate(client, WEST_BANK.address, day) for day in (DAY_1, DAY_2)]
        with transaction(instance.platform.sessions) as db:
            db.execute(delete(HistoryFrontier))
        recomputed = [generate(client, WEST_BANK.address, day) for day in (DAY_2, DAY_1)][::-1]  # no frontier before
        assert [_same(s) for s in resumed] == [_same(s) for s in recomputed]
        assert resumed[1]["opening"] == resumed[0]["closing"]

    def test_a_frontier_whose_last_block_was_replaced_is_dropped(self, instance: Ledger) -> None:
        """As after a reorg: the saved last entry is no longer in the read model where it was."""
        client = instance.client("bank")
        before = generate(client, WEST_BANK.address, DAY_2)
        replaced = "0x" + "ab" * 32
        with transaction(instance.platform.sessions) as db:
            db.execute(update(HistoryFrontier).values(last_block_hash=replaced))
        again = generate(client, WEST_BANK.address, DAY_2)
        assert _same(again) == _same(before)
        with instance.platform.sessions() as db:
            hashes = set(db.scalars(select(HistoryFrontier.last_block_hash)))
        assert replaced not in hashes
        assert _frontiers(instance) == 2

    def test_statements_of_a_counterparty_keep_their_own_frontiers(self, instance: Ledger) -> None:
        client = instance.client("bank")
        whole = generate(client, WEST_BANK.address, DAY_2)
        pair = generate(client, WEST_BANK.address, DAY_2, counterparty=EAST_BANK.address)
        assert pair["history_size"] < whole["history_size"]
        assert _frontiers(instance) == 4
