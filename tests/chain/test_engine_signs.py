"""The engine owns signing: an API worker stores pre-flighted requests, the engine assigns nonces, signs and sends.

The crash tests run the worker and the engine as real processes that SIGKILL themselves at each new window, then
start an engine again the way `tradeledger engine` starts (recover, then claim what is requested)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from tests.chain.test_txmanager import posted_amounts
from tradeledger.chain.devnet import AGENT, BANK, OPERATOR, DeployedChain, make_manager
from tradeledger.chain.txmanager import TransactionManager
from tradeledger.errors import ContractRevertError
from tradeledger.store.db import transaction
from tradeledger.store.models import ChainTransaction, SignerNonce, TxState

AMOUNTS = (7_101, 7_102, 7_103)


def outbox(manager: TransactionManager) -> list[ChainTransaction]:
    with manager.sessions() as db:
        return list(
            db.scalars(select(ChainTransaction).order_by(ChainTransaction.created_at, ChainTransaction.call_index))
        )


def engine_restarted(database_url: str, url: str) -> TransactionManager:
    """An engine as it starts: recover what was signed, then claim what was requested."""
    engine = make_manager(database_url, url)
    engine.recover()
    engine.claim_requested()
    return engine


class TestWorkerRequestsEngineSigns:
    def test_a_request_takes_no_nonce_until_the_engine_signs_it(
        self, chain_snapshot: DeployedChain, database_url: str
    ) -> None:
        first_nonce = chain_snapshot.w3.eth.get_transaction_count(AGENT.address)
        start_block = chain_snapshot.w3.eth.block_number + 1
        worker = make_manager(database_url, chain_snapshot.url, signs=False)
        requested = worker.submit_many([chain_snapshot.issue(amount) for amount in AMOUNTS])
        assert {row.state for row in requested} == {TxState.REQUESTED}
        assert {(row.nonce, row.tx_hash, row.raw_tx) for row in requested} == {(None, None, None)}
        assert chain_snapshot.w3.eth.get_transaction_count(AGENT.address, "pending") == first_nonce

        engine = make_manager(database_url, chain_snapshot.url)
        assert engine.claim_requested() == len(AMOUNTS)
        mined = [engine.wait(row.id) for row in requested]
        assert [row.nonce for row in mined] == list(range(first_nonce, first_nonce + len(AMOUNTS)))
        assert posted_amounts(chain_snapshot, start_block) == list(AMOUNTS)  # the request's calls, in its order
        assert engine.claim_requested() == 0

    def test_a_revert_in_the_worker_stores_nothing(self, chain_snapshot: DeployedChain, database_url: str) -> None:
        worker = make_manager(database_url, chain_snapshot.url, signs=False)
        with pytest.raises(ContractRevertError):
            worker.submit(chain_snapshot.issue(7_104, account="0x" + "11" * 20))  # not a member
        assert outbox(worker) == []

    def test_concurrent_requests_of_several_calls_are_signed_in_stored_order(
        self, chain_snapshot: DeployedChain, database_url: str
    ) -> None:
        """Requests stored together, several in one group commit of the lane's writer: the claim gives each
        request's calls consecutive nonces, in the request's order."""
        worker = make_manager(database_url, chain_snapshot.url, signs=False)
        start = threading.Barrier(12)

        def request(first: int) -> list[str]:
            start.wait()
            return [row.id for row in worker.submit_many([chain_snapshot.issue(first + call) for call in range(3)])]

        with ThreadPoolExecutor(12) as pool:
            requests = list(pool.map(request, range(8_000, 8_120, 10)))
        rows = outbox(worker)
        assert len({row.created_at for row in rows}) < len(requests)  # stored in groups, not one by one
        engine = make_manager(database_url, chain_snapshot.url)
        assert engine.claim_requested() == 3 * len(requests)
        for ids in requests:  # mined, each: nothing of this test left in the node's pool for the next one
            nonces = [engine.wait(row_id).nonce for row_id in ids]
            assert nonces == [nonces[0], nonces[0] + 1, nonces[0] + 2]


ENGINE_CRASH_CHILD = textwrap.dedent(
    """
    import os, signal, sys
    from tradeledger.chain.devnet import make_manager
    from tradeledger.chain.txmanager import ContractCall, TransactionManager

    database_url, rpc_url, settlement, bank, agent, window, *amounts = sys.argv[1:]
    def die(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGKILL)
    worker = make_manager(database_url, rpc_url, signs=False)
    worker.submit_many(
        [ContractCall("Settlement", settlement, "issue", (bank, b"USD", int(a), bytes(32)), agent) for a in amounts]
    )
    if window == "worker-after-commit":
        die()
    elif window == "engine-in-claim":  # nonces assigned and rows signed, killed before the claim commits
        TransactionManager._sign_requested = die
    elif window == "engine-after-sign":
        TransactionManager.broadcast = die
    elif window == "engine-after-send":
        TransactionManager._record_sends = die
    make_manager(database_url, rpc_url).claim_requested()
    sys.exit(3)  # not reached: every window kills the process first
    """
)

# The engine's Claimer claims the next group while its sender thread broadcasts the previous one: killed with one
# group sent and the next claimed and signed but not sent.
CLAIMER_CRASH_CHILD = textwrap.dedent(
    """
    import os, signal, sys, time
    from tradeledger.chain.devnet import make_manager
    from tradeledger.chain.txmanager import ContractCall, TransactionManager
    from tradeledger.processes import Claimer
    from tradeledger.store.models import TxState
    from tradeledger.store.wakeups import wakeups_for

    database_url, rpc_url, settlement, bank, agent, first, *rest = sys.argv[1:]
    sent = TransactionManager.broadcast
    groups = []
    def broadcast_first_group_only(self, rows):
        groups.append(rows)
        if len(groups) > 1:
            os.kill(os.getpid(), signal.SIGKILL)
        sent(self, rows)
    TransactionManager.broadcast = broadcast_first_group_only
    call = lambda amount: ContractCall("Settlement", settlement, "issue", (bank, b"USD", int(amount), bytes(32)), agent)
    worker = make_manager(database_url, rpc_url, signs=False)
    engine = make_manager(database_url, rpc_url)
    row = worker.submit(call(first))
    Claimer(engine, wakeups_for(engine.sessions.kw["bind"])).start()
    while engine.get(row.id).state is not TxState.SENT:
        time.sleep(0.01)
    worker.submit_many([call(amount) for amount in rest])
    time.sleep(30)
    sys.exit(3)  # not reached: the second group's broadcast kills the process
    """
)


class TestEngineCrashWindows:
    @pytest.mark.parametrize(
        "window", ["worker-after-commit", "engine-in-claim", "engine-after-sign", "engine-after-send"]
    )
    def test_sigkill_then_engine_restart_sends_each_request_once(
        self, window: str, chain_snapshot: DeployedChain, database_url: str
    ) -> None:
        """A worker killed after its commit, or an engine killed in its claim (the rows signed, not committed):
        the engine still sends, no nonce taken twice. An engine killed after signing (before or after the
        broadcast): the restarted engine sends the same signed bytes, never a second nonce."""
        first_nonce = chain_snapshot.w3.eth.get_transaction_count(AGENT.address)
        start_block = chain_snapshot.w3.eth.block_number + 1
        child = subprocess.run(
            [sys.executable, "-c", ENGINE_CRASH_CHILD, database_url, chain_snapshot.url,
             chain_snapshot.addresses["Settlement"], BANK.address, AGENT.address, window, *map(str, AMOUNTS)],
            cwd=Path(__file__).resolve().parents[2], capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert child.returncode == -9, child.stderr
        before = {row.id: (row.state, row.tx_hash) for row in outbox(make_manager(database_url, chain_snapshot.url))}
        expected_state = TxState.REQUESTED if window in ("worker-after-commit", "engine-in-claim") else TxState.SIGNED
        assert {state for state, _ in before.values()} == {expected_state}

        engine = engine_restarted(database_url, chain_snapshot.url)
        mined = [engine.wait(row_id) for row_id in before]
        assert [row.nonce for row in mined] == list(range(first_nonce, first_nonce + len(AMOUNTS)))
        if expected_state is TxState.SIGNED:  # sent again byte for byte: the hashes signed before the crash
            assert [row.tx_hash for row in mined] == [tx_hash for _, tx_hash in before.values()]
        assert posted_amounts(chain_snapshot, start_block) == list(AMOUNTS)
        assert chain_snapshot.w3.eth.get_transaction_count(AGENT.address) == first_nonce + len(AMOUNTS)

    def test_sigkill_with_a_claimed_group_waiting_for_the_claimers_sender(
        self, chain_snapshot: DeployedChain, database_url: str
    ) -> None:
        """The claimer's pipeline: one group sent, the next claimed and signed but not yet broadcast when the
        engine dies. The restarted engine sends the second group's stored bytes: each request once, in nonce
        order, no nonce signed twice."""
        first_nonce = chain_snapshot.w3.eth.get_transaction_count(AGENT.address)
        start_block = chain_snapshot.w3.eth.block_number + 1
        child = subprocess.run(
            [sys.executable, "-c", CLAIMER_CRASH_CHILD, database_url, chain_snapshot.url,
             chain_snapshot.addresses["Settlement"], BANK.address, AGENT.address, *map(str, AMOUNTS)],
            cwd=Path(__file__).resolve().parents[2], capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert child.returncode == -9, child.stderr
        before = {row.id: (row.state, row.tx_hash) for row in outbox(make_manager(database_url, chain_snapshot.url))}
        assert [state for state, _ in before.values()] == [TxState.SENT, TxState.SIGNED, TxState.SIGNED]

        engine = engine_restarted(database_url, chain_snapshot.url)
        mined = [engine.wait(row_id) for row_id in before]
        assert [row.nonce for row in mined] == list(range(first_nonce, first_nonce + len(AMOUNTS)))
        assert [row.tx_hash for row in mined] == [tx_hash for _, tx_hash in before.values()]
        assert posted_amounts(chain_snapshot, start_block) == list(AMOUNTS)
        assert chain_snapshot.w3.eth.get_transaction_count(AGENT.address) == first_nonce + len(AMOUNTS)


class TestClaimHoldsTheWriterLockForItsStatements:
    """A claim reads the requested rows and the signers' next nonces, and signs, before its write transaction;
    under the writer lock it takes the nonces and writes. Whatever moved in between is caught there."""

    def test_the_rows_are_signed_before_the_writer_lock_is_taken(
        self, chain_snapshot: DeployedChain, database_url: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        worker = make_manager(database_url, chain_snapshot.url, signs=False)
        engine = make_manager(database_url, chain_snapshot.url)
        worker.submit(chain_snapshot.issue(7_201))
        engine.claim_requested()  # the signer's nonce row exists from now on: the next claim can predict
        rows = worker.submit_many([chain_snapshot.issue(amount) for amount in (7_202, 7_203)])
        in_transaction: list[bool] = []
        sign, begin = engine._sign, engine._sign_requested

        def note_sign(*args: Any) -> tuple[str, str]:
            in_transaction.append(inside[0])
            return sign(*args)

        inside = [False]

        def note_transaction(*args: Any) -> list[ChainTransaction]:
            inside[0] = True
            try:
                return begin(*args)
            finally:
                inside[0] = False

        monkeypatch.setattr(engine, "_sign", note_sign)
        monkeypatch.setattr(engine, "_sign_requested", note_transaction)
        assert engine.claim_requested() == 2
        assert in_transaction == [False, False]
        assert [engine.wait(row.id).state for row in rows] == [TxState.MINED] * 2

    def test_a_nonce_taken_meanwhile_is_signed_again_in_the_claim(
        self, chain_snapshot: DeployedChain, database_url: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A one-shot command signs in its request between the claim's read and its transaction: the claim's rows
        take the nonces after it, signed again under the lock, and every nonce is mined once, in order."""
        first_nonce = chain_snapshot.w3.eth.get_transaction_count(AGENT.address)
        worker = make_manager(database_url, chain_snapshot.url, signs=False)
        engine = make_manager(database_url, chain_snapshot.url)
        one_shot = make_manager(database_url, chain_snapshot.url)
        worker.submit(chain_snapshot.issue(7_211))
        engine.claim_requested()
        requested = worker.submit_many([chain_snapshot.issue(amount) for amount in (7_212, 7_213)])
        presign = engine._presign
        between: list[ChainTransaction] = []

        def then_a_one_shot(*args: Any) -> dict[str, tuple[int, str, str]]:
            presigned = presign(*args)
            between.append(one_shot.submit(chain_snapshot.issue(7_214)))
            return presigned

        monkeypatch.setattr(engine, "_presign", then_a_one_shot)
        assert engine.claim_requested() == 2
        mined = [engine.wait(row.id) for row in [*between, *requested]]
        assert [row.nonce for row in mined] == [first_nonce + 1, first_nonce + 2, first_nonce + 3]
        assert chain_snapshot.w3.eth.get_transaction_count(AGENT.address) == first_nonce + 4

    def test_rows_claimed_meanwhile_by_another_engine_are_not_signed_twice(
        self, chain_snapshot: DeployedChain, database_url: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        first_nonce = chain_snapshot.w3.eth.get_transaction_count(AGENT.address)
        worker = make_manager(database_url, chain_snapshot.url, signs=False)
        engine, other = make_manager(database_url, chain_snapshot.url), make_manager(database_url, chain_snapshot.url)
        requested = worker.submit_many([chain_snapshot.issue(amount) for amount in AMOUNTS])
        presign = engine._presign
        claimed_by_other: list[int] = []

        def another_engine_claims(*args: Any) -> dict[str, tuple[int, str, str]]:
            presigned = presign(*args)
            if not claimed_by_other:
                claimed_by_other.append(other.claim_requested())
            return presigned

        monkeypatch.setattr(engine, "_presign", another_engine_claims)
        assert engine.claim_requested() == 0
        assert claimed_by_other == [len(AMOUNTS)]
        mined = [other.wait(row.id) for row in requested]
        assert [row.nonce for row in mined] == list(range(first_nonce, first_nonce + len(AMOUNTS)))
        with engine.sessions() as db:
            assert db.get(SignerNonce, AGENT.address).next_nonce == first_nonce + len(AMOUNTS)


class TestClaimTakesItsSignersNonces:
    def test_each_signer_gets_consecutive_nonces_under_its_lock(
        self, chain_snapshot: DeployedChain, database_url: str
    ) -> None:
        """A claim of several signers, one of them new here (no nonce row yet, the node says where it is): each
        gets consecutive nonces in the order given, its nonce row moves by as many, and on PostgreSQL the claim's
        transaction holds every signer's advisory lock (one statement takes the known signers' locks and nonces)."""
        manager = make_manager(database_url, chain_snapshot.url)
        known = {AGENT.address: 40, BANK.address: 70}
        with transaction(manager.sessions) as db:
            db.add_all(SignerNonce(signer=signer, next_nonce=nonce) for signer, nonce in known.items())
        newcomer = OPERATOR.address
        on_node = chain_snapshot.w3.eth.get_transaction_count(newcomer, "pending")
        signers = [BANK.address, AGENT.address, newcomer, BANK.address, AGENT.address, BANK.address]
        with transaction(manager.sessions) as db:
            nonces = manager._assign_nonces(db, signers)
            if db.get_bind().dialect.name == "postgresql":
                held = set(
                    db.scalars(
                        text(
                            "SELECT objid FROM pg_locks WHERE locktype = 'advisory' AND granted"
                            " AND pid = pg_backend_pid()"
                        )
                    )
                )
                assert held == {zlib.crc32(signer.encode()) for signer in signers}
        assert nonces == [70, 40, on_node, 71, 41, 72]
        with manager.sessions() as db:
            rows = {row.signer: row.next_nonce for row in db.scalars(select(SignerNonce))}
        assert rows == {AGENT.address: 42, BANK.address: 73, newcomer: on_node + 1}
