"""The transaction manager against a real dev chain, on SQLite and PostgreSQL (reliability checklist B)."""

from __future__ import annotations

import secrets
import string
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tradeledger.chain.abi import load_abi
from tradeledger.chain.backends import DevChain
from tradeledger.chain.devnet import AGENT, BANK, DeployedChain, deploy_scenario, make_manager
from tradeledger.chain.rpc import SendFailure, classify_send_error
from tradeledger.chain.txmanager import ContractCall, TransactionManager
from tradeledger.errors import ChainUnavailableError, ContractRevertError
from tradeledger.identity.models import HostedAccount
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


NON_MEMBER = "0x" + "11" * 20


def hosted_row(index: int) -> HostedAccount:
    """A business row of request `index` (any table would do: this one has a natural unique key)."""
    return HostedAccount(address=f"0x{index:040x}", label=f"request {index}", keystore="{}")


def hosted_indexes(manager: TransactionManager) -> set[int]:
    with manager.sessions() as db:
        return {int(address, 16) for address in db.scalars(select(HostedAccount.address))}


def posted_amounts(deployed: DeployedChain, from_block: int) -> list[int]:
    logs = deployed.w3.eth.get_logs(
        {"address": deployed.addresses["Settlement"], "fromBlock": from_block, "toBlock": "latest",
         "topics": [POSTED_TOPIC]}
    )  # fmt: skip
    settlement = load_abi("Settlement")
    return [
        int(settlement.decode_log([bytes(t) for t in log["topics"]], bytes(log["data"]))[1]["amount"]) for log in logs
    ]


class TestOnStored:
    """The hook a caller links its own records with runs in the transaction that stores the outbox row."""

    def test_it_sees_the_stored_row_and_commits_with_it(self, chain_snapshot: DeployedChain, database_url: str) -> None:
        manager = make_manager(database_url, chain_snapshot.url)
        seen: list[str] = []

        def link(db: Session, rows: list[ChainTransaction]) -> None:
            seen.extend(row.id for row in rows)
            db.add(hosted_row(7_001))

        row = manager.submit(chain_snapshot.issue(1), on_stored=link)
        assert seen == [row.id]
        assert hosted_indexes(manager) == {7_001}
        assert manager.wait(row.id, timeout=60).state is TxState.MINED

    def test_when_it_fails_nothing_is_stored_or_sent(self, chain_snapshot: DeployedChain, database_url: str) -> None:
        manager = make_manager(database_url, chain_snapshot.url)
        nonce = chain_snapshot.w3.eth.get_transaction_count(AGENT.address)

        def refuse(db: Session, rows: list[ChainTransaction]) -> None:
            db.add(hosted_row(7_002))
            raise ValueError("the caller's record is gone")

        with pytest.raises(ValueError, match="record is gone"):
            manager.submit(chain_snapshot.issue(2), on_stored=refuse)
        assert all_rows(manager) == [] and hosted_indexes(manager) == set()
        with manager.sessions() as db:
            assert db.get(SignerNonce, AGENT.address) is None  # the nonce it would have taken is still free
        assert manager.wait(manager.submit(chain_snapshot.issue(3)).id, timeout=60).nonce == nonce


class TestGroupCommit:
    """Concurrent submissions of one signer are stored and sent as groups; each request keeps its own outcome."""

    def test_each_request_commits_or_fails_alone(self, chain_snapshot: DeployedChain, database_url: str) -> None:
        manager = make_manager(database_url, chain_snapshot.url)
        first_nonce = chain_snapshot.w3.eth.get_transaction_count(AGENT.address)
        start_block = chain_snapshot.w3.eth.block_number + 1
        raises, reverts, duplicate = set(range(5, 240, 10)), set(range(3, 240, 7)) - set(range(5, 240, 10)), (8, 9)
        start = threading.Barrier(24)

        def request(index: int) -> str | BaseException:
            def business(db: Session) -> None:
                if index in raises:
                    raise ValueError(f"request {index} refuses")
                db.add(hosted_row(duplicate[0] if index in duplicate else index))

            account = NON_MEMBER if index in reverts else BANK.address
            try:
                return manager.submit(chain_snapshot.issue(index + 1, account=account), business).id
            except (ValueError, ContractRevertError, IntegrityError) as error:
                return error

        def client(first: int) -> list[tuple[int, str | BaseException]]:
            start.wait()
            return [(index, request(index)) for index in range(first, 240, 24)]

        with ThreadPoolExecutor(24) as pool:
            outcomes = dict(pair for column in pool.map(client, range(24)) for pair in column)
        for index in raises:
            assert isinstance(outcomes[index], ValueError)
        for index in reverts:
            refusal = outcomes[index]
            assert isinstance(refusal, ContractRevertError) and refusal.error == "SettlementInvalidAccount"
        assert sorted(type(outcomes[index]).__name__ for index in duplicate) == ["IntegrityError", "str"]
        accepted = {index for index, outcome in outcomes.items() if isinstance(outcome, str)}
        assert len(accepted) == 240 - len(raises) - len(reverts) - 1
        for index in accepted:
            manager.wait(str(outcomes[index]), timeout=120)

        rows = all_rows(manager)
        assert [row.nonce for row in rows] == list(range(first_nonce, first_nonce + len(accepted)))
        assert {row.state for row in rows} == {TxState.MINED}
        assert len({row.created_at for row in rows}) < len(rows)  # stored in groups, not one by one
        assert hosted_indexes(manager) == (accepted - set(duplicate)) | {duplicate[0]}
        assert sorted(posted_amounts(chain_snapshot, start_block)) == sorted(index + 1 for index in accepted)
        assert chain_snapshot.w3.eth.get_transaction_count(AGENT.address) == first_nonce + len(accepted)

    def test_a_call_needing_more_gas_than_its_shape_learned_gets_its_own_estimate(
        self, chain_snapshot: DeployedChain, database_url: str
    ) -> None:
        """The pre-flight learns one estimate per call shape; a call of that shape that needs more (first writes
        of a new currency's balance and supply) is estimated on its own instead of running out of gas."""
        first_usd = make_manager(database_url, chain_snapshot.url)  # USD's balance and supply written, whatever ran
        first_usd.wait(first_usd.submit(chain_snapshot.issue(1)).id)  # before on the module's chain
        manager = make_manager(database_url, chain_snapshot.url)
        usual = manager.wait(manager.submit(chain_snapshot.issue(1)).id)
        currency = "".join(secrets.choice(string.ascii_uppercase[:20]) for _ in range(3)).encode()  # not USD
        call = chain_snapshot.issue(2)
        heavier = ContractCall(
            call.contract, call.address, call.function, (BANK.address, currency, 2, bytes(32)), call.signer
        )
        first_of_its_kind = manager.wait(manager.submit(heavier).id)
        assert first_of_its_kind.state is TxState.MINED
        assert first_of_its_kind.gas_limit > usual.gas_limit


PROCESS_CHILD = textwrap.dedent(
    """
    import sys
    from concurrent.futures import ThreadPoolExecutor
    from tradeledger.chain.devnet import make_manager
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


@pytest.fixture
def manual_chain(tmp_path: Path) -> Iterator[DeployedChain]:
    """A chain of its own that mines only on evm_mine, so that a test can take transactions out of its pool."""
    with DevChain(tmp_path / "manual-chain") as chain:
        deployed = deploy_scenario(chain)
        deployed.w3.provider.make_request("evm_setIntervalMining", [0])  # type: ignore[arg-type]
        yield deployed


def mine(deployed: DeployedChain) -> None:
    deployed.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]


class TestDroppedTransaction:
    def test_dropped_transaction_is_rebroadcast_and_later_nonces_proceed(
        self, manual_chain: DeployedChain, database_url: str
    ) -> None:
        """B6: the pool loses a sent transaction; the confirmer re-sends the stored bytes."""
        manager = make_manager(database_url, manual_chain.url, resend_after=timedelta(0))
        dropped = manager.submit(manual_chain.issue(7))
        assert dropped.state is TxState.SENT
        manual_chain.w3.provider.make_request("anvil_dropTransaction", [dropped.tx_hash])  # type: ignore[arg-type]
        assert manual_chain.w3.eth.get_transaction_count(AGENT.address, "pending") == dropped.nonce
        manager.confirm_pending()  # sees no receipt and no pooled transaction: sends the bytes again
        later = manager.submit(manual_chain.issue(8))
        mine(manual_chain)
        assert manager.wait(dropped.id).state is TxState.MINED
        assert manager.wait(later.id).nonce == dropped.nonce + 1

    def test_next_transaction_the_node_does_not_count_is_sent_again_at_once(
        self, manual_chain: DeployedChain, database_url: str
    ) -> None:
        """The signer's next transaction, which the node no longer counts as pending (its pool lost it, or holds
        it back behind a nonce already mined), is evicted and sent again without waiting a re-send interval."""
        manager = make_manager(database_url, manual_chain.url, held_after=timedelta(0))
        held = manager.submit(manual_chain.issue(9))
        later = manager.submit(manual_chain.issue(10))
        manual_chain.w3.provider.make_request("anvil_removePoolTransactions", [AGENT.address])  # type: ignore[arg-type]
        assert manual_chain.w3.eth.get_transaction_count(AGENT.address, "pending") == held.nonce
        manager.confirm_pending()  # the re-send interval (15 s) has not passed: only the held-back check acts
        assert manual_chain.w3.eth.get_transaction_count(AGENT.address, "pending") == held.nonce + 2
        mine(manual_chain)
        assert manager.wait(held.id).state is TxState.MINED
        assert manager.wait(later.id).nonce == held.nonce + 1

    def test_a_transaction_held_back_through_a_block_is_sent_again_without_waiting_held_after(
        self, manual_chain: DeployedChain, database_url: str
    ) -> None:
        """anvil's pool holds an executable transaction back for good if it checked the nonce while the one before
        was being mined (`anvil_eviction`; here the account's nonce is moved under the pooled transaction). Two
        confirmer passes that find it so, with a block mined between them, evict it and send it again, long before
        `held_after`; without that block, nothing is sent."""
        manager = make_manager(database_url, manual_chain.url, held_after=timedelta(minutes=10))
        first = manager.submit(manual_chain.issue(11))
        mine(manual_chain)
        manager.wait(first.id)
        held = manager.submit(manual_chain.issue(12))
        node = manual_chain.w3.provider.make_request
        node("anvil_removePoolTransactions", [AGENT.address])  # type: ignore[arg-type]
        # pooled while its predecessor's nonce is the account's, it waits for that one to be pooled ...
        node("anvil_setNonce", [AGENT.address, hex(held.nonce - 1)])  # type: ignore[arg-type]
        node("eth_sendRawTransaction", [held.raw_tx])  # type: ignore[arg-type]
        node("anvil_setNonce", [AGENT.address, hex(held.nonce)])  # type: ignore[arg-type]  # ... which is mined

        def counts() -> tuple[int, int]:
            count = manual_chain.w3.eth.get_transaction_count
            return count(AGENT.address, "latest"), count(AGENT.address, "pending")

        assert counts() == (held.nonce, held.nonce)
        mine(manual_chain)
        assert counts() == (held.nonce, held.nonce)  # a block does not mine it: the node holds it back
        manager.confirm_pending()
        manager.confirm_pending()  # found held twice, but no block was mined since the first time
        assert counts() == (held.nonce, held.nonce)
        mine(manual_chain)
        manager.confirm_pending()  # held through a block: evicted and sent again
        assert counts() == (held.nonce, held.nonce + 1)
        mine(manual_chain)
        assert manager.wait(held.id).state is TxState.MINED


def killed_then_recovered(
    program: str, options: list[str], deployed: DeployedChain, database_url: str
) -> tuple[TransactionManager, list[ChainTransaction]]:
    """Run `program` until it SIGKILLs itself, then restart: recover, and wait for every stored transaction."""
    child = subprocess.run(
        [sys.executable, "-c", program, database_url, deployed.url, deployed.addresses["Settlement"], BANK.address,
         AGENT.address, *options],
        cwd=Path(__file__).resolve().parents[2], capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert child.returncode == -9, child.stderr
    manager = make_manager(database_url, deployed.url)
    manager.recover()
    accepted = all_rows(manager)
    for row in accepted:
        manager.wait(row.id)
    return manager, accepted


CRASH_CHILD = textwrap.dedent(
    """
    import os, signal, sys
    from tradeledger.chain.devnet import make_manager
    from tradeledger.chain import txmanager
    from tradeledger.chain.txmanager import ContractCall, TransactionManager

    database_url, rpc_url, settlement, bank, agent, window = sys.argv[1:7]
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
        TransactionManager._record_sends = die
    elif window == "after-receipt":
        TransactionManager._record_receipts = die
    manager = make_manager(database_url, rpc_url)
    call = ContractCall("Settlement", settlement, "issue", (bank, b"USD", 5, bytes(32)), agent)
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
        manager, accepted = killed_then_recovered(CRASH_CHILD, [window], chain_snapshot, database_url)
        follow_up = manager.wait(manager.submit(chain_snapshot.issue(9)).id)

        expected_accepted = 0 if window == "after-nonce-allocation" else 1
        assert len(accepted) == expected_accepted
        assert follow_up.nonce == first_nonce + expected_accepted  # no gap, no reuse
        assert chain_snapshot.w3.eth.get_transaction_count(AGENT.address) == first_nonce + expected_accepted + 1
        assert posted_count(chain_snapshot, start_block) == expected_accepted + 1
        with manager.sessions() as db:
            assert db.scalar(select(func.count()).select_from(ChainTransaction)) == expected_accepted + 1
            assert db.get(SignerNonce, AGENT.address).next_nonce == first_nonce + expected_accepted + 1  # type: ignore[union-attr]


GROUP_CRASH_CHILD = textwrap.dedent(
    """
    import os, signal, sys, threading
    from concurrent.futures import ThreadPoolExecutor
    from tradeledger.chain.devnet import make_manager
    from tradeledger.chain.txmanager import ContractCall, TransactionManager
    from tradeledger.identity.models import HostedAccount

    database_url, rpc_url, settlement, bank, agent = sys.argv[1:6]
    send = TransactionManager.broadcast
    def broadcast(self, rows):
        if len(rows) > 1:  # a group is committed: die before any of it reaches the node
            os.kill(os.getpid(), signal.SIGKILL)
        send(self, rows)
    TransactionManager.broadcast = broadcast
    manager = make_manager(database_url, rpc_url)
    start = threading.Barrier(16)
    def client(first):
        start.wait()
        for index in range(first, 48, 16):
            call = ContractCall("Settlement", settlement, "issue", (bank, b"USD", index + 1, bytes(32)), agent)
            row = HostedAccount(address=f"0x{index:040x}", label=f"request {index}", keystore="{}")
            manager.submit(call, lambda db, row=row: db.add(row))
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(client, range(16)))
    sys.exit(3)  # not reached: the first group of two or more kills the process
    """
)


class TestGroupCrash:
    def test_sigkill_between_group_commit_and_broadcast(self, chain_snapshot: DeployedChain, database_url: str) -> None:
        """B4/F4 for a group: every stored request is sent after the restart, with exactly its business rows."""
        first_nonce = chain_snapshot.w3.eth.get_transaction_count(AGENT.address)
        start_block = chain_snapshot.w3.eth.block_number + 1
        manager, accepted = killed_then_recovered(GROUP_CRASH_CHILD, [], chain_snapshot, database_url)
        amounts = posted_amounts(chain_snapshot, start_block)
        assert len(accepted) >= 2
        assert [row.nonce for row in accepted] == list(range(first_nonce, first_nonce + len(accepted)))
        assert len(amounts) == len(set(amounts)) == len(accepted)  # each stored request mined once
        assert hosted_indexes(manager) == {amount - 1 for amount in amounts}  # with exactly its business rows
        assert chain_snapshot.w3.eth.get_transaction_count(AGENT.address) == first_nonce + len(accepted)


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
