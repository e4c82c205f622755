"""A write's read-your-writes wait runs on the event loop in a running service: it holds no thread of the pool
while its block is mined and indexed, and still answers only once the read model has its block."""

from __future__ import annotations

import asyncio
import contextvars
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from anyio import to_thread

from tests.members import AGENT, BANK, found, issue
from tradeledger.chain.keys import dev_account
from tradeledger.config import load_settings
from tradeledger.members.models import MemberKind
from tradeledger.operations import Pending, Submission, Written, run_on_loop, submit_settled, wait_on_loop
from tradeledger.runtime import Platform, open_platform
from tradeledger.settlements import service
from tradeledger.settlements.schemas import CashMovementRequest
from tradeledger.store.db import in_process
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

    def test_stored_without_a_thread_on_sqlite(self, running: Platform) -> None:
        """On SQLite a write's command runs on the event loop and awaits its outbox row: with the pool's only thread
        held elsewhere, the write is still stored and answered."""
        if not in_process(running.engine):
            pytest.skip("on PostgreSQL the command runs on a thread of the pool")

        async def scenario() -> Written | Held:
            to_thread.current_default_thread_limiter().total_tokens = 1
            release = threading.Event()
            holder = asyncio.ensure_future(to_thread.run_sync(release.wait))
            await asyncio.sleep(0.05)  # the holder has the only thread
            try:
                write = submit_settled(running, _deposit(running, "WAIT-NO-THREAD"), Submission(respond_async=True))
                return await asyncio.wait_for(write, 20)
            finally:
                release.set()
                await holder

        outcome = asyncio.run(scenario())
        assert isinstance(outcome, Pending)
        assert outcome.row.state is TxState.REQUESTED
        assert _submitted(running, "WAIT-NO-THREAD") == 1


CALLER = contextvars.ContextVar("caller", default="nobody")


class TestRunOnLoop:
    """The bridge that runs a synchronous command on the event loop, its waits awaited."""

    def test_waits_for_another_thread_without_blocking_the_loop(self) -> None:
        async def scenario() -> tuple[int, list[str]]:
            loop = asyncio.get_running_loop()
            answered = loop.create_future()
            ticks: list[str] = []

            def command(base: int) -> int:
                return base + wait_on_loop(answered)

            async def ticker() -> None:  # runs while the command waits: the loop is free
                ticks.append("tick")
                threading.Thread(target=lambda: loop.call_soon_threadsafe(answered.set_result, 2)).start()

            loop.call_soon(lambda: asyncio.ensure_future(ticker()))
            return await run_on_loop(command, 40), ticks

        assert asyncio.run(scenario()) == (42, ["tick"])

    def test_errors_reach_the_command_and_its_caller(self) -> None:
        async def failing() -> None:
            raise ValueError("the awaited failed")

        def command(_: None) -> str:
            try:
                wait_on_loop(failing())
            except ValueError as error:
                return f"caught: {error}"
            return "not raised"

        def raising(_: None) -> None:
            raise KeyError("the command failed")

        assert asyncio.run(run_on_loop(command, None)) == "caught: the awaited failed"
        with pytest.raises(KeyError, match="the command failed"):
            asyncio.run(run_on_loop(raising, None))

    def test_runs_in_a_copy_of_the_callers_context(self) -> None:
        def command(_: None) -> str:
            seen = CALLER.get()
            CALLER.set("the command")
            return seen

        async def scenario() -> tuple[str, str]:
            CALLER.set("the request")
            seen = await run_on_loop(command, None)
            return seen, CALLER.get()

        assert asyncio.run(scenario()) == ("the request", "the request")

    def test_wait_outside_refused(self) -> None:
        async def never() -> None:
            raise AssertionError("not awaited")

        awaitable = never()
        with pytest.raises(RuntimeError, match="outside run_on_loop"):
            wait_on_loop(awaitable)
        awaitable.close()
