"""The transaction manager against a real dev chain, on SQLite and PostgreSQL (reliability checklist B)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.chain.conftest import AGENT, BANK, DeployedChain, deploy_scenario, make_manager
from tradeledger.chain.abi import load_abi
from tradeledger.chain.backends import DevChain
from tradeledger.chain.rpc import SendFailure, classify_send_error
from tradeledger.chain.txmanager import ContractCall
from tradeledger.errors import ChainUnavailableError, ContractRevertError
from tradeledger.store.models import ChainTransaction, SignerNonce, TxState

POSTED_TOPIC = next(t for t, e in load_abi("Settlement").events.items() if e.name == "Posted")


def posted_count(deployed: DeployedChain, from_block: int) -> int:
    logs = deployed.w3.eth.get_logs(
        {
            "address": deployed.addresses["Settlement"],
            "fromBlock": from_block,
            "toBlock": "latest",
            "topics": [POSTED_TOPIC],
        }
    )
    return len(logs)


def all_rows(manager: object) -> list[ChainTransaction]:
    with manager.sessions() as db:  # type: ignore[attr-defined]
        return list(db.scalars(select(ChainTransaction).order_by(ChainTransaction.nonce)))


class TestConcurrentSubmissions:
    def test_submit_1000_from_10_clients_one_signer(self, chain_snapshot: DeployedChain, database_url: str) -> None:
        """B1: contiguous nonces, every request mined exactly once, no nonce error reaching a client."""
        manager = make_manager(database_url, chain_snapshot.url)
        first_nonce = chain_snapshot.w3.eth.get_transaction_count(AGENT.address)
        start_block = chain_snapshot.w3.eth.block_number + 1

        def client(index: int) -> list[str]:
            return [manager.submit(chain_snapshot.issue(index * 1000 + i + 1)).id for i in range(100)]

        with ThreadPoolExecutor(10) as pool:
            ids = [tx_id for batch in pool.map(client, range(10)) for tx_id in batch]
        for tx_id in ids:
            manager.wait(tx_id, timeout=120)
        rows = all_rows(manager)
        assert len(rows) == len(set(ids)) == 1000
        assert [row.nonce for row in rows] == list(range(first_nonce, first_nonce + 1000))
        assert {row.state for row in rows} == {TxState.MINED}
        assert {row.error_code for row in rows} == {None}
        assert chain_snapshot.w3.eth.get_transaction_count(AGENT.address) == first_nonce + 1000
        assert posted_count(chain_snapshot, start_block) == 1000


PROCESS_CHILD = textwrap.dedent(
    """
    import sys
    from concurrent.futures import ThreadPoolExecutor
    from tests.chain.conftest import make_manager
    from tradeledger.chain.txmanager import ContractCall

    database_url, rpc_url, settlement, bank, agent, offset, count = sys.argv[1:8]
    manager = make_manager(database_url, rpc_url)
    def one(i):
        call = ContractCall("Settlement", settlement, "issue", (bank, b"USD", int(offset) + i + 1, bytes(32)), agent)
        return manager.wait(manager.submit(call).id, timeout=120).id
    with ThreadPoolExecutor(4) as pool:
        print(len(set(pool.map(one, range(int(count))))))
    """
)


class TestSharedDatabase:
    def test_three_processes_one_signer_one_database(self, chain_snapshot: DeployedChain, database_url: str) -> None:
        """B2: three service processes share the database; nonces stay contiguous across them."""
        make_manager(database_url, chain_snapshot.url)  # migrate once before the processes race
        first_nonce = chain_snapshot.w3.eth.get_transaction_count(AGENT.address)
        start_block = chain_snapshot.w3.eth.block_number + 1
        counts = [334, 333, 333]
        children = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    PROCESS_CHILD,
                    database_url,
                    chain_snapshot.url,
                    chain_snapshot.addresses["Settlement"],
                    BANK.address,
                    AGENT.address,
                    str(index * 1000),
                    str(count),
                ],
                cwd=Path(__file__).resolve().parents[2],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for index, count in enumerate(counts)
        ]
        outputs = [child.communicate(timeout=300) for child in children]
        assert [child.returncode for child in children] == [0, 0, 0], [err[-2000:] for _, err in outputs]
        assert [int(out) for out, _ in outputs] == counts
        manager = make_manager(database_url, chain_snapshot.url)
        rows = all_rows(manager)
        assert [row.nonce for row in rows] == list(range(first_nonce, first_nonce + 1000))
        assert {row.state for row in rows} == {TxState.MINED}
        assert chain_snapshot.w3.eth.get_transaction_count(AGENT.address) == first_nonce + 1000
        assert posted_count(chain_snapshot, start_block) == 1000


class TestPreflight:
    def test_submit_revert_is_named_and_spends_no_nonce(self, chain_snapshot: DeployedChain, database_url: str) -> None:
        """B7: a call the contract refuses never gets a nonce; the next request takes the same one."""
        manager = make_manager(database_url, chain_snapshot.url)
        with pytest.raises(ContractRevertError) as refused:
            manager.submit(chain_snapshot.issue(signer=BANK))  # a bank is not the settlement agent
        assert refused.value.contract == "Settlement"
        assert refused.value.code != "contract_revert" and refused.value.http_status in (403, 409, 422)
        assert all_rows(manager) == []
        nonce = chain_snapshot.w3.eth.get_transaction_count(AGENT.address)
        row = manager.wait(manager.submit(chain_snapshot.issue()).id)
        assert row.nonce == nonce


class TestUnreachableNode:
    def test_submit_fails_fast_then_proceeds_when_node_returns(self, tmp_path: Path, database_url: str) -> None:
        """A stopped node: 503-class error, nothing written; after restart the same manager proceeds."""
        chain = DevChain(tmp_path / "chain")
        chain.start()
        assert chain.rpc_url is not None
        port = int(chain.rpc_url.rsplit(":", 1)[1])
        deployed = deploy_scenario(chain)
        manager = make_manager(database_url, chain.rpc_url)
        chain.stop()
        with pytest.raises(ChainUnavailableError, match="unreachable"):
            manager.submit(deployed.issue())
        assert all_rows(manager) == []
        restarted = DevChain(tmp_path / "chain", port=port)
        restarted.start()
        try:
            row = manager.wait(manager.submit(deployed.issue()).id)
            assert row.state is TxState.MINED
        finally:
            restarted.stop()


class TestDroppedTransaction:
    def test_dropped_transaction_is_rebroadcast_and_later_nonces_proceed(
        self, chain_snapshot: DeployedChain, database_url: str
    ) -> None:
        """B6: the pool loses a sent transaction; the confirmer re-sends the stored bytes."""
        rpc = chain_snapshot.w3.provider
        manager = make_manager(database_url, chain_snapshot.url, resend_after=timedelta(0))
        rpc.make_request("evm_setIntervalMining", [0])  # type: ignore[arg-type]
        rpc.make_request("evm_setAutomine", [False])  # type: ignore[arg-type]
        try:
            dropped = manager.submit(chain_snapshot.issue(7))
            assert dropped.state is TxState.SENT
            rpc.make_request("anvil_dropTransaction", [dropped.tx_hash])  # type: ignore[arg-type]
            assert chain_snapshot.w3.eth.get_transaction_count(AGENT.address, "pending") == dropped.nonce
            manager.confirm_pending()  # sees no receipt and no pooled transaction: sends the bytes again
            later = manager.submit(chain_snapshot.issue(8))
        finally:
            rpc.make_request("evm_setAutomine", [True])  # type: ignore[arg-type]
            rpc.make_request("evm_mine", [])  # type: ignore[arg-type]
            rpc.make_request("evm_setIntervalMining", [1])  # type: ignore[arg-type]
        assert manager.wait(dropped.id).state is TxState.MINED
        assert manager.wait(later.id).nonce == dropped.nonce + 1


CRASH_CHILD = textwrap.dedent(
    """
    import os, signal, sys
    from tests.chain.conftest import DeployedChain, make_manager
    from tradeledger.chain import txmanager
    from tradeledger.chain.txmanager import ContractCall, TransactionManager

    database_url, rpc_url, window, settlement = sys.argv[1:5]
    def die(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGKILL)
    def after(original):
        def wrapped(self, *args, **kwargs):
            result = original(self, *args, **kwargs)
            die()
            return result
        return wrapped
    if window == "after-nonce-allocation":
        TransactionManager._sign = die
    elif window == "after-sign-and-store":
        TransactionManager.broadcast = die
    elif window == "after-send":
        TransactionManager._record_send = die
    elif window == "after-receipt":
        TransactionManager._record_receipts = die
    manager = make_manager(database_url, rpc_url)
    call = ContractCall("Settlement", settlement, "issue",
                        (sys.argv[5], b"USD", 5, bytes(32)), sys.argv[6])
    row = manager.submit(call)
    manager.wait(row.id)
    sys.exit(3)  # not reached: every window kills the process first
    """
)

WINDOWS = ["after-nonce-allocation", "after-sign-and-store", "after-send", "after-receipt"]


class TestCrashWindows:
    @pytest.mark.parametrize("window", WINDOWS)
    def test_sigkill_in_window_then_restart(
        self, window: str, chain_snapshot: DeployedChain, database_url: str
    ) -> None:
        """B4: after a SIGKILL in each window and a restart, one mined transaction per accepted request, no gap."""
        first_nonce = chain_snapshot.w3.eth.get_transaction_count(AGENT.address)
        start_block = chain_snapshot.w3.eth.block_number + 1
        child = subprocess.run(
            [sys.executable, "-c", CRASH_CHILD, database_url, chain_snapshot.url, window,
             chain_snapshot.addresses["Settlement"], BANK.address, AGENT.address],
            cwd=Path(__file__).resolve().parents[2], capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert child.returncode == -9, child.stderr

        manager = make_manager(database_url, chain_snapshot.url)
        manager.recover()
        accepted = all_rows(manager)
        for row in accepted:
            manager.wait(row.id)
        follow_up = manager.wait(manager.submit(chain_snapshot.issue(9)).id)

        expected_accepted = 0 if window == "after-nonce-allocation" else 1
        assert len(accepted) == expected_accepted
        assert follow_up.nonce == first_nonce + expected_accepted  # no gap, no reuse
        assert chain_snapshot.w3.eth.get_transaction_count(AGENT.address) == first_nonce + expected_accepted + 1
        assert posted_count(chain_snapshot, start_block) == expected_accepted + 1
        with manager.sessions() as db:
            assert db.scalar(select(func.count()).select_from(ChainTransaction)) == expected_accepted + 1
            assert db.get(SignerNonce, AGENT.address).next_nonce == first_nonce + expected_accepted + 1  # type: ignore[union-attr]


class TestSendErrorClassification:
    @pytest.mark.parametrize(
        ("message", "failure"),
        [
            ("nonce too low", SendFailure.NONCE_TOO_LOW),
            ("Nonce too low", SendFailure.NONCE_TOO_LOW),
            ("NONCE_TOO_LOW", SendFailure.NONCE_TOO_LOW),
            ("nonce too low: next nonce 5, tx nonce 3", SendFailure.NONCE_TOO_LOW),
            ("already known", SendFailure.ALREADY_KNOWN),
            ("known transaction: 0xabc", SendFailure.ALREADY_KNOWN),
            ("Known transaction", SendFailure.ALREADY_KNOWN),
            ("transaction already imported", SendFailure.ALREADY_KNOWN),
            ("replacement transaction underpriced", SendFailure.REPLACEMENT_UNDERPRICED),
            ("TRANSACTION_REPLACEMENT_UNDERPRICED", SendFailure.REPLACEMENT_UNDERPRICED),
            ("insufficient funds for gas * price + value", SendFailure.INSUFFICIENT_FUNDS),
            ("execution reverted: custom error 0x12345678", SendFailure.REVERTED),
            ("intrinsic gas too low", SendFailure.INVALID),
            ("INVALID_SIGNATURE", SendFailure.INVALID),
            ("the moon is in the wrong phase", SendFailure.UNKNOWN),
        ],
    )
    def test_classify_send_error(self, message: str, failure: SendFailure) -> None:
        """B9: besu and geth wordings map to one class each; an unknown string is UNKNOWN (bounded retries)."""
        assert classify_send_error(message) is failure


def test_contract_call_encodes_with_eth_abi(chain_snapshot: DeployedChain) -> None:
    call = chain_snapshot.issue(42)
    web3_encoded = chain_snapshot.w3.eth.contract(abi=load_abi("Settlement").abi).encode_abi("issue", list(call.args))
    assert "0x" + call.calldata().hex() == web3_encoded
    assert isinstance(call, ContractCall)


def test_signing_uses_coincurve() -> None:
    """Local signing runs on libsecp256k1 (coincurve), not eth-keys' pure-Python fallback."""
    from eth_keys.backends import get_backend

    assert type(get_backend()).__name__ == "CoinCurveECCBackend"
