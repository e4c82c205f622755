"""A write's read-your-writes wait runs on the event loop in a running service: it holds no thread of the pool
while its block is mined and indexed, and still answers only once the read model has its block."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from anyio import to_thread

from tests.members import AGENT, BANK, found, issue
from tradeledger.chain.keys import dev_account
from tradeledger.config import load_settings
from tradeledger.members.models import MemberKind
from tradeledger.operations import Pending, Submission, Written, submit_settled
from tradeledger.runtime import Platform, open_platform
from tradeledger.settlements import service
from tradeledger.settlements.schemas import CashMovementRequest
from tradeledger.store.models import ChainTransaction, TxState
from tradeledger.users.approvals import Held

TRADER = dev_account(3)
WRITES = 3


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """A started platform (one process: API side and engine), as `tradeledger serve` runs it."""
    settings = load_settings(data_dir=Path(tmp_path_factory.mktemp("write-wait")) / "data", _env_file=None)
    platform = open_platform(settings)
    try:
        found(platform, traders=(TRADER,))
        issue(platform, BANK, 1_000_000, "FUND-BANK", issuer=AGENT)
        platform.start()
        yield platform
    finally:
        platform.close()


def _rpc(platform: Platform, method: str, *params: object) -> None:
    platform.transactions.rpc.call(method, list(params))


def _deposit(platform: Platform, reference: str) -> Callable[[Submission], Written | Held]:
    """The bank's deposit of 1 USD to its trader's account, as the route's command."""
    request = CashMovementRequest(currency="USD", amount=1, reference=reference)
    return lambda submission: service.move_cash(
        platform, BANK.address, MemberKind.BANK, TRADER.address, "deposits", request, submission
    )


def _submitted(platform: Platform, prefix: str) -> int:
    with platform.sessions() as db:
        rows = db.query(ChainTransaction).filter(ChainTransaction.function == "issue").all()
    return sum(1 for row in rows if row.calldata and prefix.encode().hex() in row.calldata)


class TestWaitOnTheEventLoop:
    def test_waiting_writes_hold_no_thread(self, running: Platform) -> None:
        """With one thread in the pool and the chain not mining, every write is still submitted: none holds the
        thread while it waits. Once blocks come, each answers mined, its block already in the read model."""

        async def scenario() -> list[Written | Held]:
            to_thread.current_default_thread_limiter().total_tokens = 1
            writes = [
                asyncio.ensure_future(submit_settled(running, _deposit(running, f"WAIT-{n}"), Submission()))
                for n in range(WRITES)
            ]
            deadline = time.monotonic() + 30
            while await to_thread.run_sync(_submitted, running, "WAIT-") < WRITES:
                assert time.monotonic() < deadline, "a waiting write held the only thread"
                assert not any(write.done() for write in writes)
                await asyncio.sleep(0.05)
            _rpc(running, "evm_setIntervalMining", 1)
            return list(await asyncio.gather(*writes))

        _rpc(running, "evm_setAutomine", False)
        _rpc(running, "evm_setIntervalMining", 0)
        try:
            outcomes = asyncio.run(scenario())
        finally:
            _rpc(running, "evm_setIntervalMining", 1)
        indexed = running.indexer.indexed_through()
        for outcome in outcomes:
            assert isinstance(outcome, ChainTransaction), outcome
            assert outcome.state is TxState.MINED and outcome.block_number is not None
            assert outcome.block_number <= indexed

    def test_respond_async_answers_at_once(self, running: Platform) -> None:
        """`Prefer: respond-async`: the stored operation, not waited for."""
        outcome = asyncio.run(submit_settled(running, _deposit(running, "WAIT-ASYNC"), Submission(respond_async=True)))
        assert isinstance(outcome, Pending)
        assert outcome.row.state is TxState.REQUESTED
