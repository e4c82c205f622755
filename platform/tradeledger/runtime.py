"""The running platform: chain session, database, transaction manager and indexer, built from settings.

`serve`, `engine` and `indexer run` start one of these; tests build them on temporary data directories. Its
`role` (tradeledger.processes) says which jobs this process runs: all of them, the engine's, or an API worker's.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from anyio import to_thread
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from tradeledger.chain.health import HealthProblem, highest_mined_block, stuck_signers
from tradeledger.chain.keys import dev_account, keystore_resolver
from tradeledger.chain.receipts import POLL_IDLE_S
from tradeledger.chain.session import ChainSession, open_chain_session
from tradeledger.chain.txmanager import ContractCall, KeyRing, StoredHook, TransactionManager, WritePendingError
from tradeledger.config import Settings
from tradeledger.errors import ChainUnavailableError, ConfigurationError
from tradeledger.guarantees.schedule import GuaranteeExpiryJobs
from tradeledger.identity import instances
from tradeledger.identity.models import HostedAccount
from tradeledger.indexer.indexer import FATAL_INDEXER_ERRORS, Indexer, IndexerConfig
from tradeledger.lcs.schedule import LcMaturityJobs
from tradeledger.loops import PollingLoop
from tradeledger.payables.schedule import PayableJobs
from tradeledger.processes import LISTENERS, READ_GAP_S, Claimer, Follower, Role
from tradeledger.scheduler.service import SCHEDULER_INTERVAL_S, JobProvider, Scheduler, once_per_pass
from tradeledger.statements.service import STATEMENTS_DIR
from tradeledger.store.connections import ConnectionBudget, connection_budget, server_limits
from tradeledger.store.db import database_url, make_engine, migrate, session_factory, transaction
from tradeledger.store.models import ChainTransaction
from tradeledger.store.wakeups import announce_now, wakeups_for
from tradeledger.undertakings.schedule import UndertakingJobs
from tradeledger.users.sessions import prune_login_throttles
from tradeledger.webhooks.delivery import Deliverer
from tradeledger.webhooks.service import Files

log = logging.getLogger(__name__)
DEV_HOSTED_KEYS = 10  # the demo consortium's members on a dev chain
CHAIN_WATCH_INTERVAL_S = 1.0  # how soon a managed dev chain that died is started again
INDEXER_INTERVAL_S = 0.2  # one process: a request waiting for its block wakes the indexer itself
# An engine's API workers wait in other processes, on the database: it looks for new blocks (receipts, events) this
# often instead (an eth_blockNumber each time, some 5% of a core), so a write waits about as long as in one process.
ENGINE_POLL_S = 0.01
# One process: its claimer is woken by this process's requests as they commit (`store.wakeups.announce`), and
# looks for other processes' requested rows (API workers it was not started with) at most this far apart once idle.
CLAIMER_IDLE_S = 0.05


@dataclass
class Platform:
    """Everything a service process runs; `start` launches the background loops, `close` stops them all."""

    settings: Settings
    chain: ChainSession
    engine: Engine
    sessions: sessionmaker[Session]
    keys: KeyRing
    transactions: TransactionManager
    indexer: Indexer
    role: Role = "all"
    connections: ConnectionBudget | None = None  # this process's share of a PostgreSQL server's connections
    webhooks: Deliverer = field(init=False)
    instance: str = field(init=False)  # this process, as idempotency records name their owner
    _heartbeat: PollingLoop = field(init=False)
    _loops: list[PollingLoop] = field(default_factory=list)
    _follower: Follower | None = field(default=None, init=False)  # how requests wait for their writes
    _claimer: Claimer | None = field(default=None, init=False)  # the signer of requested outbox rows (engine, all)
    _indexed: threading.Condition = field(default_factory=threading.Condition, init=False)
    _indexed_through: int = field(default=-1, init=False)  # as last seen by the background indexer

    def __post_init__(self) -> None:
        files = Files(self.keys, self.transactions.chain_id, self.settings.data_dir / STATEMENTS_DIR)
        self.webhooks = Deliverer(self.sessions, self.settings, files, self.closed_until)
        self.instance = instances.register(self.sessions)
        self._heartbeat = PollingLoop("heartbeat", self.housekeeping, interval=instances.HEARTBEAT_S)
        self._heartbeat.start()

    def housekeeping(self) -> None:
        """The heartbeat's round: say this process lives (releasing its orphaned idempotency records), and prune the
        sign-in throttles whose window has passed."""
        instances.heartbeat(self.sessions, self.instance)
        prune_login_throttles(self)

    def start(self) -> None:
        """Recover what a crash left behind, then confirm, re-send and index in the background; an API worker only
        follows the engine's progress in the database."""
        if self.role == "api":
            self._follow()
            return
        self.transactions.recover()
        # requests (of API workers, or of this process: `settled`) wait in the database for the outcomes recorded
        self.transactions.announce_outcomes = True
        if self.role == "engine":  # API workers wait in other processes: follow each block as soon as it is mined
            self.transactions.receipts.idle_poll_s = ENGINE_POLL_S
        self.transactions.start()
        if self.role == "all":  # measured faster than signing in the request's group (BENCHMARKS.md, write path):
            self.transactions.signs = False  # requests go the API workers' way, to this process's claimer
        idle = CLAIMER_IDLE_S if self.role == "all" else None
        self._claimer = Claimer(self.transactions, wakeups_for(self.sessions.kw["bind"], idle=idle))
        self._claimer.start()
        self._indexed_through = self.indexer.indexed_through()
        indexer_interval = ENGINE_POLL_S if self.role == "engine" else INDEXER_INTERVAL_S
        indexer = PollingLoop("indexer", self._index_step, interval=indexer_interval, fatal=FATAL_INDEXER_ERRORS)
        self._loops = [
            indexer,
            PollingLoop("chain-watch", self.chain.backend.revive, interval=CHAIN_WATCH_INTERVAL_S),
            PollingLoop("scheduler", self.scheduler().run_once, interval=SCHEDULER_INTERVAL_S),
        ]
        if self.role == "all":  # this process's requests wait as an API worker's do, with the indexer at hand
            self._follow(indexer)
        for loop in self._loops:
            loop.start()
        self.webhooks.start()

    def _follow(self, indexer: PollingLoop | None = None) -> None:
        """Start the follower that requests wait on; with this process's `indexer` woken when a waited block is
        not indexed yet, and blocks followed closely while requests wait."""
        wakeups = wakeups_for(self.sessions.kw["bind"], every=READ_GAP_S)
        if indexer is None:  # the engine indexes: its checkpoint, in the database
            self._follower = Follower(self.sessions, self.indexer.indexed_through, wakeups)
        else:  # what this process's indexer applied (`_index_step`), without a query per pass
            self._follower = Follower(
                self.sessions, self._indexed_so_far, wakeups, behind=indexer.wake, busy=self._follow_blocks
            )
        self._follower.start()

    def _indexed_so_far(self, _db: Session) -> int:
        return self._indexed_through

    def _follow_blocks(self, waiting: bool) -> None:
        """While requests wait, follow each block as soon as it is mined (as the engine does for its workers)."""
        self.transactions.receipts.idle_poll_s = ENGINE_POLL_S if waiting else POLL_IDLE_S

    def chain_time(self) -> int:
        """The chain's clock: the latest block's timestamp (unix seconds). Due dates are judged by it."""
        block = self.transactions.rpc.call("eth_getBlockByNumber", ["latest", False])
        return int(block["timestamp"], 16)

    def hosted_addresses(self) -> set[str]:
        """Every address this instance signs for: the keys loaded in this process and the hosted members' keystores,
        which are decrypted only on first use. The scheduler must not skip a member whose key no request has
        opened since the last restart."""
        with self.sessions() as db:
            stored = set(db.scalars(select(HostedAccount.address)))
        return stored | set(self.keys.addresses())

    def job_providers(self) -> list[JobProvider]:
        """Where the scheduler's due jobs come from (each domain with dates to keep adds its provider here)."""
        assert self.chain.manifest is not None
        hosted = once_per_pass(self.hosted_addresses)  # read at each pass: members are onboarded at run time
        providers: list[JobProvider] = []
        if "PaymentUndertakings" in self.chain.manifest.contracts:  # absent from deployments made before it
            providers.append(UndertakingJobs(self.address("PaymentUndertakings"), hosted))
        if "Undertakings" in self.chain.manifest.contracts:
            providers.append(GuaranteeExpiryJobs(self.address("Undertakings"), hosted))
        providers.append(LcMaturityJobs(self.address("LetterOfCredit"), hosted))
        if "PayablesFinance" in self.chain.manifest.contracts:
            providers.append(PayableJobs(self.address("PayablesFinance"), hosted))
        return providers

    def scheduler(self) -> Scheduler:
        """Due-date jobs, submitted once each through the transaction manager (see tradeledger.scheduler)."""
        return Scheduler(
            self.sessions,
            self.chain_time,
            lambda call, on_stored: self.transactions.submit(call, None, on_stored),
            self.job_providers(),
        )

    def _index_step(self) -> int:
        """One indexer pass, then wake the requests waiting for the blocks it applied (its checkpoint as the pass
        left it, without reading it back)."""
        applied = self.indexer.run_once()
        indexed_through = self.indexer.through
        if indexed_through != self._indexed_through:
            with self._indexed:
                self._indexed_through = indexed_through
                self._indexed.notify_all()
            announce_now(self.sessions)  # requests wait for it in the database (API workers, this process's too)
        if applied:
            self.webhooks.wake()  # new events to queue: do not wait out the dispatch interval
        return applied

    def transaction(self) -> AbstractContextManager[Session]:
        """One unit of work that writes, for callers that must not import the store (routers)."""
        return transaction(self.sessions)

    def address(self, contract: str) -> str:
        """The deployed address of a platform contract."""
        assert self.chain.manifest is not None
        return self.chain.manifest.address(contract)

    def deploy_block(self) -> int:
        """The block the platform's contracts were deployed from: no platform event is older."""
        assert self.chain.manifest is not None
        return self.chain.manifest.deploy_block

    def execute(
        self,
        call: ContractCall,
        *,
        respond_async: bool = False,
        business: Callable[[Session], None] | None = None,
        on_stored: StoredHook | None = None,
    ) -> ChainTransaction:
        """Submit a call (with the request's own rows and `on_stored`, if any, in the outbox transaction); unless
        asked to answer at once, return once its block is in the read model.

        Raises WritePendingError when that takes longer than `write_timeout_s`, or the node stops answering
        meanwhile: the write is stored, and confirms later.
        """
        submitted = self.transactions.submit(call, business, on_stored)
        if respond_async:
            return submitted
        try:
            if self._follower is not None:  # a service: the follower reads the outcome and the indexer's progress
                return self._follower.settle(submitted.id, timeout=self.settings.write_timeout_s)
            deadline = time.monotonic() + self.settings.write_timeout_s
            mined = self.transactions.wait(submitted.id, timeout=self.settings.write_timeout_s)
            assert mined.block_number is not None
            self.wait_indexed(mined.block_number, timeout=max(deadline - time.monotonic(), 0.0))
        except ChainUnavailableError as error:
            raise WritePendingError(f"{error.message}; it stays pending", submitted) from error
        return mined

    async def settled(self, submitted: ChainTransaction) -> ChainTransaction:
        """`execute`'s wait for a transaction submitted with `respond_async`, on the caller's event loop: it holds
        no thread while the block is mined and indexed (read-your-writes). Raises as `execute` does."""
        try:
            if self._follower is not None:
                return await self._follower.settled(submitted.id, timeout=self.settings.write_timeout_s)
            deadline = time.monotonic() + self.settings.write_timeout_s
            mined = await to_thread.run_sync(self.transactions.wait, submitted.id, self.settings.write_timeout_s)
            assert mined.block_number is not None
            await to_thread.run_sync(self.wait_indexed, mined.block_number, max(deadline - time.monotonic(), 0.0))
        except ChainUnavailableError as error:
            raise WritePendingError(f"{error.message}; it stays pending", submitted) from error
        return mined

    def wait_indexed(self, block_number: int, timeout: float = 30.0) -> None:
        """Read-your-writes: block until the indexer has applied `block_number`."""
        if self._follower is not None and self.role == "api":  # the engine indexes, its checkpoint in the database
            self._follower.wait_indexed(block_number, timeout)
            return
        deadline = time.monotonic() + timeout
        indexer = next((loop for loop in self._loops if loop.name == "indexer"), None)
        if indexer is None:  # no background indexer (a test or a one-shot command): index right here
            self.indexer.catch_up()
            while self.indexer.indexed_through() < block_number:
                self._check_deadline(block_number, deadline, timeout)
                time.sleep(0.05)
                self.indexer.catch_up()
            return
        with self._indexed:
            while self._indexed_through < block_number:
                self._check_deadline(block_number, deadline, timeout)
                indexer.wake()  # it may be sleeping out its interval while the block waits to be indexed
                self._indexed.wait(min(deadline - time.monotonic(), 0.1))

    @staticmethod
    def _check_deadline(block_number: int, deadline: float, timeout: float) -> None:
        if time.monotonic() > deadline:
            raise ChainUnavailableError(f"the read model has not reached block {block_number} after {timeout:.0f} s")

    def closed_until(self, at_least: datetime | None = None, timeout: float = 5.0) -> datetime | None:
        """The time of the last block in the read model: every entry booked before it is there. With
        `at_least`, wait up to `timeout` seconds for the chain to close that instant first (a new block a
        second, on the dev chain and QBFT alike); then answer what has closed, whether or not it got there."""
        from tradeledger.statements.service import indexed_until

        deadline = time.monotonic() + timeout
        poll = 0.02
        while True:
            if not self._loops and self._follower is None:  # no indexer anywhere (a one-shot command): index here
                self.indexer.catch_up()
            with self.sessions() as db:
                closed = indexed_until(db, self.transactions.rpc, self.transactions.chain_id)
            if at_least is None or (closed is not None and closed >= at_least) or time.monotonic() > deadline:
                return closed
            time.sleep(poll)
            poll = min(poll * 1.5, 0.2)

    def indexer_loop(self) -> PollingLoop:
        return PollingLoop("indexer", self.indexer.run_once, fatal=FATAL_INDEXER_ERRORS)

    def indexer_error(self) -> str | None:
        """Why the background indexer stopped, if it did."""
        for loop in self._loops:
            if loop.name == "indexer" and loop.error is not None:
                return loop.error.message
        return None

    def problems(self, head: int) -> list[HealthProblem]:
        """Why the service is degraded, given the node's head block: stuck signers, an indexer that halted or
        is behind the node, a node behind the database (it lost blocks the read model or the outbox hold)."""
        problems = stuck_signers(
            self.sessions, self.transactions.rpc, timedelta(seconds=self.settings.stuck_signer_after_s)
        )
        indexed = self.indexer.indexed_through()
        halted = self.indexer_error()
        if halted is not None:
            problems.append(HealthProblem("indexer_halted", halted))
        if head - indexed > self.settings.indexer_lag_blocks:
            behind = f"the read model is at block {indexed}, {head - indexed} blocks behind the node"
            problems.append(HealthProblem("indexer_behind", behind))
        mined = highest_mined_block(self.sessions)
        if indexed > head or (mined is not None and mined > head):
            problems.append(
                HealthProblem(
                    "node_behind_database",
                    f"the node's head is block {head} but the read model holds block {indexed} and the outbox "
                    f"block {mined}: the node lost blocks (restarted from an older state?)",
                )
            )
        return problems

    def close(self) -> None:
        if self._follower is not None:
            self._follower.stop()
            self._follower = None
        if self._claimer is not None:
            self._claimer.stop()
            self._claimer = None
        for loop in self._loops:
            loop.stop()
        self._loops = []
        self.indexer.close()  # its fetch process, if a long catch-up started one
        self._heartbeat.stop()
        instances.deregister(self.sessions, self.instance)
        self.webhooks.stop()
        self.transactions.stop()
        self.transactions.rpc.close()
        self.engine.dispose()
        self.chain.close()


def freeze_long_lived() -> None:
    """Move what start-up allocated (modules, metadata, ABIs, the engine) out of the cyclic garbage collector's
    reach, as a long-running service process should: the indexer allocates tens of thousands of objects per
    batch, and each full collection would otherwise walk the whole heap again (measured: about a sixth of its
    CPU time). For process entry points only: frozen objects are left out of cyclic collection for good."""
    gc.collect()
    gc.freeze()


def _hosted_keystore(sessions: sessionmaker[Session]) -> Callable[[str], str | None]:
    def lookup(address: str) -> str | None:
        with sessions() as db:
            hosted = db.get(HostedAccount, address)
        return None if hosted is None else hosted.keystore

    return lookup


def open_platform(settings: Settings, *, deploy_if_missing: bool = True, role: Role = "all") -> Platform:
    """Open the chain (deploying on a dev chain when needed), migrate the database, wire the services.

    An API worker (`role="api"`) attaches to the engine's chain and database: it deploys and migrates nothing."""
    import tradeledger.indexer.handlers  # noqa: F401 - registers every projection

    url = database_url(settings.database_url, settings.data_dir)
    connections = database_share(settings, role, url)  # refused before a chain is started or deployed
    chain = open_chain_session(settings, deploy_if_missing=deploy_if_missing and role != "api")
    try:
        if chain.manifest is None:
            raise ConfigurationError(f"no deployment manifest at {settings.deployment_file}: run `tradeledger deploy`")
        engine = make_engine(url, pools=None if connections is None else (connections.main, connections.reads))
        if role != "api":
            migrate(engine)
        sessions = session_factory(engine)
        keys = KeyRing(
            [chain.operator()], resolver=keystore_resolver(_hosted_keystore(sessions), settings.custodial_passphrase)
        )
        if settings.is_dev_chain:
            log.warning("DEV KEYS: hosting the first %d keys of the PUBLIC dev mnemonic", DEV_HOSTED_KEYS)
            for index in range(DEV_HOSTED_KEYS):
                keys.add(dev_account(index))
        if role != "api":
            chain.backend.fund_gas(keys.addresses())
        rpc = chain.backend.rpc()
        chain_id = chain.chain_id()
        transactions = TransactionManager(
            sessions,
            rpc,
            keys,
            chain_id=chain_id,
            gas_price=int(rpc.call("eth_gasPrice", []), 16),
            evict_from_pool=chain.backend.pool_eviction(rpc),
            signs=role != "api",
        )
        indexer = Indexer(
            sessions,
            rpc,
            chain_id=chain_id,
            contracts={name: c.address for name, c in chain.manifest.contracts.items()},
            start_block=chain.manifest.deploy_block,
            config=IndexerConfig(confirmations=settings.confirmations, batch_blocks=settings.log_range),
            on_rollback=transactions.reopen_lost,
        )
    except BaseException:
        chain.close()
        raise
    return Platform(settings, chain, engine, sessions, keys, transactions, indexer, role, connections)


def database_share(settings: Settings, role: Role, url: str | None = None) -> ConnectionBudget | None:
    """A process's share of the PostgreSQL server's connections, among TRADELEDGER_DATABASE_PROCESSES processes
    (this one alone if unset: `serve` and `engine` set it); None for SQLite, which has no server to overload. Raises
    ConfigurationError when it cannot fit (store.connections)."""
    url = url or database_url(settings.database_url, settings.data_dir)
    if not url.startswith("postgresql"):
        return None
    return connection_budget(
        server_limits(url),
        configured=settings.database_connections,
        processes=settings.database_processes or 1,
        listeners=LISTENERS[role],
    )
