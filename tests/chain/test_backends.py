"""The three chain backends, and start-up failing fast with a message that says what to do."""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from eth_account import Account
from web3 import Web3

from tradeledger.chain.backends import (
    ANVIL_BINARY,
    DEV_BLOCK_TIME_S,
    DEV_CHAIN_ID,
    STATE_INTERVAL_S,
    DevChain,
    MemoryChain,
    UrlChain,
    advance_dev_clock,
    open_backend,
    state_inconsistency,
)
from tradeledger.chain.devnet import deploy_scenario
from tradeledger.errors import ChainUnavailableError, ConfigurationError

SENDER = Account.from_key(Web3.keccak(text="tradeledger-test:backends"))
BURN = "0x000000000000000000000000000000000000dEaD"


def _saved_head(state_file: Path, at_least: int) -> int:
    """The head of the first complete save that holds block `at_least` (a save in progress does not parse)."""
    deadline = time.monotonic() + 60
    while True:
        with contextlib.suppress(OSError, ValueError):
            head = int(json.loads(state_file.read_bytes())["best_block_number"])
            if head >= at_least:
                return head
        assert time.monotonic() < deadline, f"no save holds block {at_least}"
        time.sleep(0.05)


def _miner_lock_held(lock_file: Path) -> bool:
    """Whether a dev chain's miner holds the lock (the test's own attempt to take it fails)."""
    with lock_file.open("a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(lock, fcntl.LOCK_UN)
        return False


def _free_transfer(nonce: int) -> bytes:
    """A zero-value, zero-gas-price transaction from an account holding no ether: only a gas-free chain mines it."""
    return bytes(
        SENDER.sign_transaction(
            {"nonce": nonce, "to": BURN, "value": 0, "gas": 21000, "gasPrice": 0, "chainId": DEV_CHAIN_ID}
        ).raw_transaction
    )


def _send_free_transfer(w3: Web3, nonce: int) -> int:
    """A free transfer (`_free_transfer`), mined; returns its block's timestamp."""
    receipt = w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(_free_transfer(nonce)), timeout=10)
    assert receipt["status"] == 1
    return int(w3.eth.get_block(receipt["blockNumber"])["timestamp"])


class TestDevChain:
    def test_start_serves_loopback_with_dev_chain_id(self, tmp_path: Path) -> None:
        with DevChain(tmp_path) as chain:
            assert chain.rpc_url is not None and chain.rpc_url.startswith("http://127.0.0.1:")
            assert chain.web3().eth.chain_id == DEV_CHAIN_ID

    def test_gas_is_free(self, tmp_path: Path) -> None:
        with DevChain(tmp_path) as chain:
            w3 = chain.web3()
            assert w3.eth.get_balance(SENDER.address) == 0
            _send_free_transfer(w3, 0)

    def test_a_burst_from_one_signer_is_mined_whole(self, tmp_path: Path) -> None:
        """The mining mode's reason to be: 1,000 transactions sent in JSON-RPC batches of 200 are all mined (on
        arrival, anvil 1.7.1 left such bursts in its pool and stopped answering)."""
        with DevChain(tmp_path) as chain:
            rpc = chain.rpc()
            raws = [
                SENDER.sign_transaction(
                    {"nonce": n, "to": BURN, "value": 0, "gas": 21000, "gasPrice": 0, "chainId": DEV_CHAIN_ID}
                ).raw_transaction.to_0x_hex()
                for n in range(1000)
            ]
            for offset in range(0, len(raws), 200):
                answers = rpc.batch([("eth_sendRawTransaction", [raw]) for raw in raws[offset : offset + 200]])
                assert all(isinstance(answer, str) for answer in answers)
            deadline = time.monotonic() + 60
            while int(rpc.call("eth_getTransactionCount", [SENDER.address, "latest"]), 16) < len(raws):
                assert time.monotonic() < deadline, "the burst was not mined"
                time.sleep(0.05)

    def test_an_idle_chain_keeps_its_clock_going(self, tmp_path: Path) -> None:
        """Blocks come without transactions, so "up to now" statements close without waiting for business."""
        with DevChain(tmp_path) as chain:
            w3 = chain.web3()
            first = w3.eth.get_block("latest")
            deadline = time.monotonic() + 10
            while w3.eth.get_block("latest")["timestamp"] <= first["timestamp"]:
                assert time.monotonic() < deadline, "no new block on an idle dev chain"
                time.sleep(0.05)

    def test_state_survives_a_restart(self, tmp_path: Path) -> None:
        with DevChain(tmp_path) as chain:
            w3 = chain.web3()
            _send_free_transfer(w3, 0)
            _send_free_transfer(w3, 1)
            head = w3.eth.get_block("latest")
        with DevChain(tmp_path) as chain:
            w3 = chain.web3()
            assert w3.eth.get_transaction_count(SENDER.address) == 2
            assert w3.eth.get_block(head["number"])["hash"] == head["hash"]
            _send_free_transfer(w3, 2)

    def test_a_clock_moved_forward_never_goes_back_not_even_across_a_restart(self, tmp_path: Path) -> None:
        """`advance_dev_clock` is how a walk reaches a due date; anvil saves blocks but not its clock's offset, so a
        restarted chain would stamp its blocks with the wall clock again, before the ones it loaded."""
        two_days = 2 * 24 * 3600
        with DevChain(tmp_path) as chain:
            assert chain.rpc_url is not None
            target = int(time.time()) + two_days
            assert advance_dev_clock(chain.rpc_url, target) == target
            assert advance_dev_clock(chain.rpc_url, target - two_days) >= target  # never back
            before_restart = _send_free_transfer(chain.web3(), 0)
        with DevChain(tmp_path) as chain:
            assert _send_free_transfer(chain.web3(), 1) > before_restart >= target

    def test_a_chain_that_does_not_persist_starts_afresh(self, tmp_path: Path) -> None:
        with DevChain(tmp_path, persist=False) as chain:
            _send_free_transfer(chain.web3(), 0)
        assert not (tmp_path / "chain" / "anvil-state.json").exists()
        with DevChain(tmp_path, persist=False) as chain:
            assert chain.web3().eth.get_transaction_count(SENDER.address) == 0

    def test_detached_chain_is_attached_to_and_stopped(self, tmp_path: Path) -> None:
        detached = DevChain(tmp_path, detach=True)
        detached.start()
        try:
            record = detached.running()
            assert record is not None
            with DevChain(tmp_path) as attached:
                assert attached.rpc_url == record.url
            assert detached.running() is not None, "stopping an attached chain must leave it running"
        finally:
            assert detached.stop_detached()
        assert detached.running() is None

    def test_the_miner_mines_what_is_sent_and_nothing_else_one_process_at_a_time(self, tmp_path: Path) -> None:
        """A block comes when a transaction waits, not on every tick (anvil's own interval, an hour here, only keeps
        the clock going); of two processes attached to one chain one mines, the other takes over when it goes; a
        chain whose mining is switched off mines nothing."""
        detached = DevChain(tmp_path, detach=True)
        detached.start()
        try:
            with DevChain(tmp_path) as attached:
                rpc = attached.rpc()
                rpc.call("evm_setIntervalMining", [3600])
                head = int(rpc.call("eth_blockNumber", []), 16)
                time.sleep(8 * DEV_BLOCK_TIME_S)
                assert int(rpc.call("eth_blockNumber", []), 16) == head, "an idle tick mined a block"
                assert _miner_lock_held(attached.miner_lock)
                _send_free_transfer(attached.web3(), 0)
                detached.stop()  # its miner lets go; the chain runs on, detached
                _send_free_transfer(attached.web3(), 1)
                assert _miner_lock_held(attached.miner_lock)
                assert int(rpc.call("eth_blockNumber", []), 16) == head + 2, "a block per transaction, no other"
                rpc.call("evm_setIntervalMining", [0])
                w3 = attached.web3()
                unmined = w3.eth.send_raw_transaction(_free_transfer(2))
                time.sleep(8 * DEV_BLOCK_TIME_S)
                assert int(rpc.call("eth_blockNumber", []), 16) == head + 2, "mined with mining switched off"
                rpc.call("evm_setIntervalMining", [1])
                assert w3.eth.wait_for_transaction_receipt(unmined, timeout=10)["status"] == 1
        finally:
            assert detached.stop_detached()

    def test_missing_anvil_says_to_run_npm_ci(self, tmp_path: Path) -> None:
        with pytest.raises(ConfigurationError, match="npm ci"):
            DevChain(tmp_path, anvil=tmp_path / "no-anvil").start()

    def test_missing_node_says_to_install_it(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("PATH", str(tmp_path))
        with pytest.raises(ConfigurationError, match=r"Node\.js/npm is not installed.*TRADELEDGER_CHAIN=memory"):
            DevChain(tmp_path, anvil=tmp_path / "no-anvil").start()

    def test_corrupt_state_fails_with_the_log_location(self, tmp_path: Path) -> None:
        (tmp_path / "chain").mkdir()
        (tmp_path / "chain" / "anvil-state.json").write_text("{not json}")
        with pytest.raises(ChainUnavailableError, match="did not start"):
            DevChain(tmp_path).start()

    def test_a_chain_killed_with_sigkill_restarts_from_its_last_save(self, tmp_path: Path) -> None:
        """The contracts, the transactions, their receipts and logs, and the blocks up to the last save come
        back with the same hashes; what was lost is at most the blocks of one save interval."""
        chain = DevChain(tmp_path)
        chain.start()
        try:
            deployed = deploy_scenario(chain)
            w3 = chain.web3()
            _send_free_transfer(w3, 0)
            saved = _saved_head(chain.state_file, at_least=w3.eth.block_number)
            saved_hash = w3.eth.get_block(saved)["hash"]
            head_at_kill = w3.eth.block_number
            record = chain.running()
            assert record is not None
            os.kill(record.pid, signal.SIGKILL)
        finally:
            chain.stop()
        assert head_at_kill - saved <= STATE_INTERVAL_S / DEV_BLOCK_TIME_S, "killed later than the save found"
        with DevChain(tmp_path) as restarted:
            w3 = restarted.web3()
            assert w3.eth.block_number >= saved
            assert w3.eth.get_block(saved)["hash"] == saved_hash
            assert w3.eth.get_transaction_count(SENDER.address) == 1
            settlement = Web3.to_checksum_address(deployed.addresses["Settlement"])
            assert len(w3.eth.get_code(settlement)) > 0
            membership = Web3.to_checksum_address(deployed.addresses["Membership"])
            logs = w3.eth.get_logs({"fromBlock": 0, "toBlock": saved, "address": membership})
            assert logs and all(w3.eth.get_transaction_receipt(log["transactionHash"])["status"] == 1 for log in logs)
            _send_free_transfer(w3, 1)

    def test_a_save_cut_short_restarts_from_the_previous_start(
        self, tmp_path: Path, caplog: pytest.LogCaptureFixture
    ) -> None:
        """anvil rewrites its file in place: a kill in the middle of a save leaves the first part of the JSON."""
        with DevChain(tmp_path) as chain:
            _send_free_transfer(chain.web3(), 0)
        chain = DevChain(tmp_path)
        with chain:
            _send_free_transfer(chain.web3(), 1)
        saved = chain.state_file.read_bytes()
        chain.state_file.write_bytes(saved[: len(saved) // 2])
        with caplog.at_level(logging.WARNING), DevChain(tmp_path) as restarted:
            assert restarted.web3().eth.get_transaction_count(SENDER.address) == 1
            _send_free_transfer(restarted.web3(), 1)
        assert "cut short" in caplog.text
        assert (tmp_path / "chain" / "anvil-state.torn.json").stat().st_size == len(saved) // 2

    def test_a_save_with_accounts_ahead_of_their_blocks_restarts_from_the_previous_start(
        self, tmp_path: Path, caplog: pytest.LogCaptureFixture
    ) -> None:
        """anvil writes accounts and blocks at different moments: a complete save can hold a nonce whose block it
        lost. Loaded, the node would refuse the stored bytes of that transaction as 'nonce too low' for ever."""
        with DevChain(tmp_path) as chain:
            _send_free_transfer(chain.web3(), 0)
        chain = DevChain(tmp_path)
        with chain:
            _send_free_transfer(chain.web3(), 1)
        state = json.loads(chain.state_file.read_bytes())
        assert state_inconsistency(chain.state_file) is None
        lost = next(
            saved["block_number"]
            for saved in state["transactions"]
            if saved["info"]["from"].lower() == SENDER.address.lower() and saved["info"]["nonce"] == 1
        )
        state["blocks"] = [block for block in state["blocks"] if int(block["header"]["number"], 16) < lost]
        state["transactions"] = [saved for saved in state["transactions"] if saved["block_number"] < lost]
        state["best_block_number"] = lost - 1  # the blocks as of an earlier moment than the accounts
        chain.state_file.write_text(json.dumps(state))
        assert "has nonce 2 but its saved transactions imply 1" in (state_inconsistency(chain.state_file) or "")
        with caplog.at_level(logging.WARNING), DevChain(tmp_path) as restarted:
            assert restarted.web3().eth.get_transaction_count(SENDER.address) == 1
            _send_free_transfer(restarted.web3(), 1)  # the lost transaction's bytes, again
        assert "nonce 2 but its saved transactions imply 1" in caplog.text
        assert (tmp_path / "chain" / "anvil-state.torn.json").exists()


class TestMemoryChain:
    def test_runs_in_process_and_funds_gas(self) -> None:
        with MemoryChain() as chain:
            w3 = chain.web3()
            assert chain.rpc_url is None
            chain.fund_gas([SENDER.address])
            assert w3.eth.get_balance(SENDER.address) >= MemoryChain.GAS_ALLOWANCE_WEI // 2
            block = w3.eth.block_number
            fee = w3.eth.gas_price
            signed = SENDER.sign_transaction(
                {
                    "nonce": 0,
                    "to": BURN,
                    "value": 0,
                    "gas": 21000,
                    "gasPrice": fee,
                    "chainId": w3.eth.chain_id,
                }
            )
            assert (
                w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(signed.raw_transaction))["status"] == 1
            )
            assert w3.eth.block_number > block


@pytest.fixture
def external_anvil(tmp_path: Path) -> str:
    """An anvil started outside the service, known to it only by URL."""
    with DevChain(tmp_path) as chain:
        assert chain.rpc_url is not None
        yield chain.rpc_url


class TestUrlChain:
    def test_reaches_an_external_node(self, external_anvil: str) -> None:
        with UrlChain(external_anvil) as chain:
            assert chain.web3().eth.chain_id == DEV_CHAIN_ID

    def test_unreachable_url_says_so(self) -> None:
        with pytest.raises(
            ChainUnavailableError, match=r"TRADELEDGER_CHAIN=http://127\.0\.0\.1:9: no chain node answers"
        ):
            UrlChain("http://127.0.0.1:9").start()


class TestOpenBackend:
    @pytest.mark.parametrize(
        ("setting", "backend"),
        [
            ("dev", DevChain),
            ("memory", MemoryChain),
            ("http://127.0.0.1:8545", UrlChain),
            ("https://node.example", UrlChain),
        ],
    )
    def test_setting_selects_backend(self, setting: str, backend: type, tmp_path: Path) -> None:
        assert isinstance(open_backend(setting, tmp_path), backend)

    @pytest.mark.parametrize("setting", ["besu", "ftp://127.0.0.1", "", "ws://127.0.0.1:8546"])
    def test_bad_setting_names_the_variable(self, setting: str, tmp_path: Path) -> None:
        with pytest.raises(ConfigurationError, match="TRADELEDGER_CHAIN="):
            open_backend(setting, tmp_path)


def test_anvil_binary_comes_from_node_modules() -> None:
    assert ANVIL_BINARY.is_file() and os.access(ANVIL_BINARY, os.X_OK)
    assert subprocess.run([str(ANVIL_BINARY), "--version"], capture_output=True, check=True, timeout=30).returncode == 0


def test_dev_chain_quotes_zero_gas_price(tmp_path: Path) -> None:
    """Hosted members hold no ether: the dev chain must quote a gas price of 0, as a free-gas Besu does."""
    with DevChain(tmp_path) as chain:
        assert chain.web3().eth.gas_price == 0
