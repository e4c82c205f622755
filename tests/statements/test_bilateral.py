"""Two banks, two service instances, one chain: each instance has its own data directory, database and key.

Their mirror statements agree on chain. Then one posting is altered in WEST_BANK's database: its next statement
of the pair is anchored as a dispute, its own instance names the altered entry (read model against the chain's
`Posted` log), and EAST_BANK's honest instance shows its own side matching the chain and the other side not.
WEST_BANK's instance runs on PostgreSQL when TRADELEDGER_TEST_DATABASE_URL is set, EAST_BANK's on SQLite.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select
from typer.testing import CliRunner

from tests.conftest import POSTGRES_URL, _fresh_postgres_database
from tests.statements.conftest import DAY_1, DAY_2, EAST_BANK, WEST_BANK, Ledger, attach_instance
from tests.statements.helpers import alter_amount, anchor, generate
from tradeledger.cli import app
from tradeledger.settlements.models import LedgerPosting
from tradeledger.store.db import transaction

ALTERATION = 100  # minor units added to the altered posting's amount in WEST_BANK's database


@dataclass
class Pair:
    east: Ledger
    west: Ledger
    agreed: tuple[dict[str, Any], dict[str, Any]]  # DAY_1 statements, east's then west's, both anchored
    disputed: tuple[dict[str, Any], dict[str, Any]]  # DAY_2 statements, anchored after the alteration
    altered: LedgerPosting  # the posting as the chain holds it

    def reconciliation(self, side: Ledger, statement: dict[str, Any]) -> dict[str, Any]:
        response = side.client("bank").get(f"/v1/anchors/{statement['anchor_id']}/reconciliation")
        assert response.status_code == 200, response.text
        view: dict[str, Any] = response.json()
        return view


def _statements(pair: tuple[Ledger, Ledger], day: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    east, west = pair
    mine = generate(east.client("bank"), EAST_BANK.address, day, counterparty=WEST_BANK.address)
    theirs = generate(west.client("bank"), WEST_BANK.address, day, counterparty=EAST_BANK.address)
    anchored = anchor(east.client("bank"), mine["id"]), anchor(west.client("bank"), theirs["id"])
    for instance in pair:
        instance.platform.indexer.catch_up()  # no background indexer here: see the other side's anchor
    return anchored


@pytest.fixture(scope="module")
def pair(ledger: Ledger, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    with ExitStack() as stack:
        west_database = None
        if POSTGRES_URL:
            west_database, drop = _fresh_postgres_database(POSTGRES_URL, migrated=True)
            stack.callback(drop)
        east = attach_instance(ledger, tmp_path_factory.mktemp("east"), EAST_BANK)
        stack.callback(east.platform.close)
        west = attach_instance(ledger, tmp_path_factory.mktemp("west"), WEST_BANK, west_database)
        stack.callback(west.platform.close)
        agreed = _statements((east, west), DAY_1)
        altered = alter_amount(west.platform, EAST_BANK.address, WEST_BANK.address, 8_000, 8_000 + ALTERATION)  # DAY_2
        disputed = _statements((east, west), DAY_2)
        yield Pair(east, west, agreed, disputed, altered)


class TestSeparateInstances:
    def test_each_instance_hosts_only_its_own_bank_key(self, pair: Pair) -> None:
        assert pair.east.platform.keys.addresses() == [EAST_BANK.address]
        assert pair.west.platform.keys.addresses() == [WEST_BANK.address]
        assert pair.east.platform.settings.data_dir != pair.west.platform.settings.data_dir

    def test_mirror_statements_agree_on_chain(self, pair: Pair) -> None:
        east, west = pair.agreed
        assert east["merkle_root"] == west["merkle_root"]
        assert east["history_root"] == west["history_root"]
        assert (east["anchor_status"], west["anchor_status"]) == ("PENDING", "AGREED")
        seen_by_east = pair.east.client("bank").get(f"/v1/statements/{east['id']}").json()
        assert seen_by_east["anchor_status"] == "AGREED"

    @pytest.mark.parametrize("side", ["east", "west"])
    def test_an_agreed_pair_matches_the_chain_on_both_sides(self, pair: Pair, side: str) -> None:
        view = pair.reconciliation(getattr(pair, side), pair.agreed[0])
        assert view["status"] == "AGREED"
        assert view["chain_merkle_root"] == pair.agreed[0]["merkle_root"]
        assert [a["matches_chain"] for a in view["anchors"]] == [True, True]
        assert view["read_model"] == {
            "merkle_root": view["chain_merkle_root"],
            "entry_count": 2,
            "matches_chain": True,
            "differences": [],
        }


class TestAlteredDatabase:
    def test_the_altered_side_anchors_a_dispute(self, pair: Pair) -> None:
        east, west = pair.disputed
        assert east["merkle_root"] != west["merkle_root"]
        assert west["anchor_status"] == "DISPUTED"
        seen_by_east = pair.east.client("bank").get(f"/v1/statements/{east['id']}").json()
        assert seen_by_east["anchor_status"] == "DISPUTED"

    def test_the_altered_instance_names_the_altered_entry(self, pair: Pair) -> None:
        view = pair.reconciliation(pair.west, pair.disputed[1])
        assert view["status"] == "DISPUTED"
        assert view["read_model"]["matches_chain"] is False
        assert view["read_model"]["differences"] == [
            {
                "entry_id": str(pair.altered.entry_id),
                "field": "amount",
                "read_model": str(8_000 + ALTERATION),
                "chain": "8000",
                "tx_hash": pair.altered.tx_hash,
                "log_index": pair.altered.log_index,
            }
        ]
        west, east = view["anchors"][0], view["anchors"][1]  # this anchor first, then its mirror
        assert (west["account"], west["statement"]) == (WEST_BANK.address, pair.disputed[1]["id"])
        assert west["matches_chain"] is False
        assert east["matches_chain"] is True and east["statement"] is None  # generated on the other instance
        assert any(f"differs from the chain in entry {pair.altered.entry_id}:" in f for f in view["findings"])

    def test_the_honest_instance_finds_the_fault_on_the_other_side(self, pair: Pair) -> None:
        view = pair.reconciliation(pair.east, pair.disputed[0])
        assert view["read_model"]["matches_chain"] is True
        east, west = view["anchors"]
        assert (east["account"], east["matches_chain"]) == (EAST_BANK.address, True)
        assert (west["account"], west["matches_chain"]) == (WEST_BANK.address, False)
        # WEST_BANK was credited the altered amount: its anchored credits and root are not the chain's
        assert {d["field"]: (d["anchored"], d["chain"]) for d in west["differences"]} == {
            "merkle_root": (pair.disputed[1]["merkle_root"], view["chain_merkle_root"]),
            "total_credits": (str(8_000 + ALTERATION), "8000"),
        }
        assert view["chain_merkle_root"] == pair.disputed[0]["merkle_root"]
        assert f"anchor {west['anchor_id']} of {WEST_BANK.address} differs from the chain" in " ".join(view["findings"])

    def test_audit_verify_rejects_the_altered_statement_file(self, pair: Pair, tmp_path: Path) -> None:
        client = pair.west.client("bank")
        statement = pair.disputed[1]["id"]
        file, manifest = tmp_path / "west.json", tmp_path / "west.manifest.json"
        file.write_bytes(client.get(f"/v1/statements/{statement}/file").content)
        manifest.write_text(client.get(f"/v1/statements/{statement}/manifest").text, encoding="utf-8")
        rpc = pair.west.platform.settings.chain
        deployment = str(pair.west.platform.settings.deployment_file)
        result = CliRunner().invoke(
            app, ["audit", "verify", str(file), str(manifest), "--rpc", rpc, "--deployment", deployment]
        )
        assert result.exit_code == 1
        assert f"entry {pair.altered.entry_id}: amount changed - file 8100, chain 8000" in result.output


class TestMissingEntry:
    def test_a_log_missing_from_the_read_model_is_named(self, ledger: Ledger, pair: Pair, tmp_path: Path) -> None:
        """A third instance of WEST_BANK (it signs nothing on chain), whose database lost a DAY_1 posting."""
        instance = attach_instance(ledger, tmp_path, WEST_BANK)
        try:
            with transaction(instance.platform.sessions) as db:
                dropped = db.scalars(
                    select(LedgerPosting).where(
                        LedgerPosting.debit_account == WEST_BANK.address, LedgerPosting.amount == 1_250
                    )
                ).one()
                db.execute(delete(LedgerPosting).where(LedgerPosting.entry_id == dropped.entry_id))
            response = instance.client("bank").get(f"/v1/anchors/{pair.agreed[1]['anchor_id']}/reconciliation")
            assert response.status_code == 200, response.text
            view = response.json()
        finally:
            instance.platform.close()
        assert view["status"] == "AGREED"  # the chain's verdict stands: both anchors match it
        assert [a["matches_chain"] for a in view["anchors"]] == [True, True]
        assert view["read_model"]["entry_count"] == 1
        assert [
            (d["entry_id"], d["field"], d["read_model"], d["chain"]) for d in view["read_model"]["differences"]
        ] == [(str(dropped.entry_id), "entry", None, "present")]
