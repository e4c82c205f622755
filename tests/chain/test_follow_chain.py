"""The transaction manager follows the chain, not its own memory (issue #15).

A node that loses blocks (a dev chain killed between two state saves, a reorg) must not lose what the service
acknowledged, nor wedge the signer: every transaction recorded as mined in a lost block is sent again from the
outbox, byte for byte, and the signer's later nonces proceed.
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

import tradeledger.indexer.handlers  # noqa: F401 - registers the projections
from tests.chain.test_txmanager import posted_amounts
from tests.members import AGENT as SETTLEMENT_AGENT
from tests.members import BANK, found, issue
from tradeledger.chain.backends import DevChain, state_inconsistency
from tradeledger.chain.devnet import AGENT, DeployedChain, deploy_scenario, make_manager
from tradeledger.chain.devnet import BANK as FOUNDING_BANK
from tradeledger.chain.keys import dev_account
from tradeledger.chain.txmanager import ContractCall, TransactionManager
from tradeledger.config import Settings
from tradeledger.errors import ChainUnavailableError
from tradeledger.indexer.indexer import Indexer
from tradeledger.runtime import open_platform
from tradeledger.settlements.models import AccountBalance
from tradeledger.store.models import ChainTransaction, SignerNonce, TxState

SAVE_WAIT_S = 15.0


def _wait_for_state_save(chain: DevChain) -> None:
    """Return right after anvil rewrote its state file: the next save is a whole interval away."""

    def stamp() -> int:
        return chain.state_file.stat().st_mtime_ns if chain.state_file.exists() else 0

    before = stamp()
    deadline = time.monotonic() + SAVE_WAIT_S
    while stamp() == before:
        assert time.monotonic() < deadline, "anvil did not save its state"
        time.sleep(0.01)


def _save_through(chain: DevChain, head: int) -> bytes:
    """The first save of anvil's that holds block `head` (and so everything mined so far), whole and consistent
    as the start checks a save: anvil rewrites the file in place, so a read can catch one half written, and a save
    whose writing is seen to begin may have been taken before the latest blocks."""
    deadline = time.monotonic() + SAVE_WAIT_S
    copy = chain.chain_dir / "anvil-state.copy.json"
    while time.monotonic() < deadline:
        saved = chain.state_file.read_bytes() if chain.state_file.exists() else b""
        try:
            saved_head = max(int(block["header"]["number"], 16) for block in json.loads(saved)["blocks"])
        except (ValueError, KeyError):
            saved_head = -1  # none yet, or cut short
        copy.write_bytes(saved)
        if saved_head >= head and state_inconsistency(copy) is None:
            copy.unlink()
            return saved
        time.sleep(0.05)
    raise AssertionError(f"anvil saved no whole state holding block {head} in {SAVE_WAIT_S:.0f} s")


def _posted(deployed: DeployedChain, *amounts: int) -> list[int]:
    """Which of these (unique) amounts the chain has posted, once per posting."""
    return sorted(amount for amount in posted_amounts(deployed, 0) if amount in amounts)


def _node_nonce(deployed: DeployedChain) -> int:
    return int(deployed.w3.eth.get_transaction_count(AGENT.address, "latest"))


def _database_nonce(manager: TransactionManager) -> int:
    with manager.sessions() as db:
        row = db.get(SignerNonce, AGENT.address)
        assert row is not None
        return row.next_nonce


def _states(manager: TransactionManager, ids: list[str]) -> list[TxState]:
    with manager.sessions() as db:
        return [row.state for row in db.scalars(select(ChainTransaction).where(ChainTransaction.id.in_(ids)))]


@pytest.fixture
def interval_chain(tmp_path: Path) -> Iterator[DeployedChain]:
    """A dev chain of the test's own, mining every 250 ms and saving its state every few seconds, as `make run`."""
    with DevChain(tmp_path / "chain") as chain:
        yield deploy_scenario(chain)


class TestNodeRestartedFromOlderState:
    def test_blocks_lost_in_a_sigkill_are_sent_again_at_restart(self, tmp_path: Path, database_url: str) -> None:
        """The dev chain and the service die together after three acknowledged writes; at restart the manager
        finds their blocks gone, sends the stored bytes again (same hashes), and the signer's next write goes
        through: the 'power loss' case of the issue, which lost 3 of 3 writes and wedged the signer.

        The node restarts from its last save before the writes, whenever its next save came: waiting for a save
        and hoping that the writes and the kill fit in one save interval failed on a busy machine (a later save
        held some of the writes, or the kill cut it short and the chain started from nothing)."""
        chain = DevChain(tmp_path / "chain")
        chain.start()
        deployed = deploy_scenario(chain)
        manager = make_manager(database_url, deployed.url)
        last_save = _save_through(chain, deployed.w3.eth.block_number)
        acknowledged = [manager.wait(manager.submit(deployed.issue(amount)).id) for amount in (1101, 1102, 1103)]
        assert chain._process is not None
        os.kill(chain._process.pid, signal.SIGKILL)  # the node dies; what it saved after `last_save` is lost
        chain._process.wait()
        manager.rpc.close()
        chain.state_file.write_bytes(last_save)

        with DevChain(tmp_path / "chain") as again:
            restarted_chain = DeployedChain(again, again.web3(), deployed.addresses)
            assert _node_nonce(restarted_chain) == acknowledged[0].nonce, "the node kept blocks past its last save"
            restarted = make_manager(database_url, restarted_chain.url)
            restarted.recover()
            for row in acknowledged:
                assert restarted.wait(row.id, timeout=30).tx_hash == row.tx_hash
            after = restarted.wait(restarted.submit(restarted_chain.issue(1104)).id, timeout=30)
            assert after.nonce == acknowledged[-1].nonce + 1
            assert _posted(restarted_chain, 1101, 1102, 1103, 1104) == [1101, 1102, 1103, 1104]
            assert _database_nonce(restarted) == _node_nonce(restarted_chain)


class TestBlocksLostUnderARunningService:
    def test_indexer_roll_back_reopens_what_the_lost_blocks_mined(
        self, interval_chain: DeployedChain, database_url: str
    ) -> None:
        """The node goes back to an older state while the service runs: the indexer's roll-back and the
        manager's view are one decision, so the read model and the outbox agree again once the bytes are re-sent."""
        manager = make_manager(database_url, interval_chain.url)
        indexer = Indexer(
            manager.sessions,
            manager.rpc,
            chain_id=manager.chain_id,
            contracts=interval_chain.addresses,
            start_block=0,
            on_rollback=manager.reopen_lost,
        )
        indexer.catch_up()
        snapshot = interval_chain.w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
        acknowledged = [manager.wait(manager.submit(interval_chain.issue(amount)).id) for amount in (2201, 2202)]
        indexer.catch_up()
        credited = _balance(manager)
        interval_chain.w3.provider.make_request("evm_revert", [snapshot])  # type: ignore[arg-type]

        indexer.run_once()  # sees its checkpoint's block gone: rolls back, and the manager reopens
        assert _states(manager, [row.id for row in acknowledged]) == [TxState.SIGNED] * 2
        time.sleep(2.1)  # reopened rows are sent by the confirmer's next pass (UNSENT_GRACE)
        manager.confirm_pending()
        for row in acknowledged:
            assert manager.wait(row.id, timeout=30).state is TxState.MINED
        indexer.catch_up()
        assert _posted(interval_chain, 2201, 2202) == [2201, 2202]
        assert _balance(manager) == credited

    def test_a_gap_below_the_next_write_is_reconciled_with_the_node(
        self, interval_chain: DeployedChain, database_url: str
    ) -> None:
        """Without an indexer to notice: the next write's nonce is above anything the node holds; the confirmer
        sees the gap, reopens the lost transactions, and everything is mined (it hung 60 s, then 503, before)."""
        manager = make_manager(database_url, interval_chain.url, held_after=timedelta(0))
        snapshot = interval_chain.w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
        acknowledged = [manager.wait(manager.submit(interval_chain.issue(amount)).id) for amount in (3301, 3302)]
        interval_chain.w3.provider.make_request("evm_revert", [snapshot])  # type: ignore[arg-type]

        stuck = manager.submit(interval_chain.issue(3303))
        assert stuck.nonce == acknowledged[-1].nonce + 1
        manager.confirm_pending()  # the held-back check sees the gap: reconcile reopens the two
        time.sleep(2.1)
        manager.confirm_pending()  # and this pass sends them
        for row in [*acknowledged, stuck]:
            assert manager.wait(row.id, timeout=30).state is TxState.MINED
        assert _posted(interval_chain, 3301, 3302, 3303) == [3301, 3302, 3303]
        assert _database_nonce(manager) == _node_nonce(interval_chain)


class TestLostBlocksLookedForWithAReason:
    def test_a_held_write_costs_one_block_look_up_a_pass_and_a_loss_is_still_found(
        self, interval_chain: DeployedChain, database_url: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A write the node does not mine for a while (held) used to make every confirmer pass look up each block
        our receipts came from (up to 1,024). Now a pass asks the node for one block, the latest one ours came
        from; a node that lost blocks is still noticed by it, and what they mined is reopened and mined again."""
        manager = make_manager(database_url, interval_chain.url, held_after=timedelta(0))
        snapshot = interval_chain.w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
        acknowledged = [manager.wait(manager.submit(interval_chain.issue(amount)).id) for amount in (6601, 6602)]
        looked_up: list[int] = []
        reopen_lost = manager.reopen_lost
        monkeypatch.setattr(manager, "reopen_lost", lambda db, after: looked_up.append(after) or reopen_lost(db, after))

        interval_chain.w3.provider.make_request("evm_setIntervalMining", [0])  # type: ignore[arg-type]
        held = manager.submit(interval_chain.issue(6603))
        for _ in range(3):
            manager.confirm_pending()
        assert _states(manager, [held.id]) == [TxState.SENT]
        assert looked_up == []  # held, with no reason to think the node lost anything

        interval_chain.w3.provider.make_request("evm_revert", [snapshot])  # type: ignore[arg-type]
        interval_chain.w3.provider.make_request("evm_setIntervalMining", [1])  # type: ignore[arg-type]
        manager.confirm_pending()  # the block of our latest receipt is gone: what the lost blocks mined is reopened
        assert len(looked_up) == 1
        assert _states(manager, [row.id for row in acknowledged]) == [TxState.SIGNED] * 2
        time.sleep(2.1)  # UNSENT_GRACE
        manager.confirm_pending()
        for row in [*acknowledged, held]:
            assert manager.wait(row.id, timeout=30).state is TxState.MINED
        assert _posted(interval_chain, 6601, 6602, 6603) == [6601, 6602, 6603]


class TestResentInTheChainsOrder:
    AMOUNTS = (5101, 5102, 5103)

    def test_a_cross_signer_chain_lost_with_its_blocks_is_mined_again_in_order(
        self, interval_chain: DeployedChain, database_url: str
    ) -> None:
        """The agent credits the bank, the bank pays it on to its trader, three times: each transfer depends on
        the agent's credit just before it. The node loses all six blocks under a running service; the bank's next
        write finds a gap below its nonce. Every signer's lost transactions are reopened together (not only the
        bank's, whose transfers then reverted for want of the credits) and sent again in the chain's original
        order, one signer's run at a time: each succeeds, in order, with its original hash."""
        manager = make_manager(database_url, interval_chain.url, held_after=timedelta(0))
        bank = FOUNDING_BANK.address

        def call(contract: str, function: str, *args: object) -> ContractCall:
            return ContractCall(contract, interval_chain.addresses[contract], function, args, bank)

        manager.wait(manager.submit(call("Membership", "onboardTrader", dev_account(3).address)).id)
        snapshot = interval_chain.w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
        acknowledged = []
        for amount in self.AMOUNTS:
            pay_on = call("Settlement", "transfer", dev_account(3).address, b"USD", amount, bytes(32))
            acknowledged += [manager.wait(manager.submit(interval_chain.issue(amount)).id)]
            acknowledged += [manager.wait(manager.submit(pay_on).id)]
        assert [row.signer for row in acknowledged] == [AGENT.address, bank] * len(self.AMOUNTS)
        interval_chain.w3.provider.make_request("evm_revert", [snapshot])  # type: ignore[arg-type]

        stuck = manager.submit(call("Membership", "onboardTrader", dev_account(4).address))
        manager.confirm_pending()  # the bank's gap is seen: what the node lost is reopened, for every signer
        time.sleep(2.1)  # UNSENT_GRACE
        manager.confirm_pending()  # sent again in order, waiting for each run of one signer to be mined
        resent = [manager.wait(row.id, timeout=30) for row in [*acknowledged, stuck]]
        assert [row.tx_hash for row in resent[:-1]] == [row.tx_hash for row in acknowledged]
        positions = [(row.block_number or 0, row.tx_index or 0) for row in resent]
        assert positions == sorted(positions)
        assert _posted(interval_chain, *self.AMOUNTS) == sorted(self.AMOUNTS * 2)  # credited, then paid on

    def test_each_signers_nonces_keep_their_order_among_the_runs(self) -> None:
        """A gap-filler stored later for an earlier nonce, or a row never mined, still goes out in nonce order:
        each signer's rows take that signer's places in the chain's order, lowest nonce first."""

        def row(signer: str, nonce: int, lost: tuple[int, int] | None) -> ChainTransaction:
            block, index = lost or (None, None)
            return ChainTransaction(signer=signer, nonce=nonce, lost_block=block, tx_index=index,
                                    created_at=datetime(2026, 1, 1, tzinfo=UTC))  # fmt: skip

        rows = [row("A", 7, None), row("B", 3, (10, 1)), row("A", 5, (10, 0)), row("A", 6, (11, 0)),
                row("B", 4, (12, 0))]  # fmt: skip
        runs = TransactionManager._runs_in_chain_order(rows)
        assert [[(r.signer, r.nonce) for r in run] for run in runs] == [
            [("A", 5)],
            [("B", 3)],
            [("A", 6)],
            [("B", 4)],
            [("A", 7)],
        ]
        dropped = [row("A", 1, None), row("A", 2, None)]  # one signer's: one batch
        assert TransactionManager._runs_in_chain_order(dropped) == [dropped]


def _balance(manager: TransactionManager) -> list[tuple[str, str, int]]:
    with manager.sessions() as db:
        return sorted((row.account, row.currency, row.balance) for row in db.scalars(select(AccountBalance)))


class TestManagedDevChainDies:
    def test_the_service_starts_its_dev_chain_again_and_puts_back_what_it_lost(self, settings: Settings) -> None:
        """Only the node dies (an OOM kill): the running service starts it again on the same port from its last
        saved state, re-sends what the node lost, and takes writes again without a restart of its own."""
        platform = open_platform(settings)
        platform.start()
        try:
            found(platform, traders=())
            backend = platform.chain.backend
            assert isinstance(backend, DevChain)
            _wait_for_state_save(backend)
            issue(platform, BANK, 4401, "BEFORE-KILL", issuer=SETTLEMENT_AGENT)
            assert backend._process is not None
            killed = backend._process.pid
            os.kill(killed, signal.SIGKILL)

            deadline = time.monotonic() + 30
            while True:  # a client retrying: 503 (nothing written) while the node is down
                try:
                    issue(platform, BANK, 4402, "AFTER-KILL", issuer=SETTLEMENT_AGENT)
                    break
                except ChainUnavailableError:
                    assert time.monotonic() < deadline, "the dev chain did not come back"
                    time.sleep(0.2)
            assert backend._process is not None and backend._process.pid != killed
            for _ in range(300):  # the indexer notices the lost blocks and catches up with the re-sent write
                with platform.sessions() as db:
                    balance = db.get(AccountBalance, (BANK.address, "USD"))
                if balance is not None and balance.balance == 4401 + 4402:
                    break
                time.sleep(0.1)
            assert balance is not None and balance.balance == 4401 + 4402
        finally:
            platform.close()
