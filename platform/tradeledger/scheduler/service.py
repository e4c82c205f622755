"""A small, generic scheduler: jobs due at a time of the chain's clock, submitted once through the write path.

- Providers say what is due: `JobProvider.due(db, now)` returns `DueJob`s (a unique key, the due time in unix
  seconds of the chain's clock, and the contract call to submit) read from the read model. Open-account
  settlements and expiries are one provider (tradeledger.undertakings.schedule); LC maturities can be another.
- The chain decides the time: `now` is the latest block's timestamp, never this machine's clock, so a job is
  submitted when the contract will accept it (the next block's timestamp is not earlier).
- Once and only once: the job's `ScheduledRun` row (primary key = the job key) is written in the same database
  transaction as its outbox row (the transaction manager's `on_stored` hook), so the call is stored and
  broadcast at most once per key, and a crash before that commit leaves nothing, to be submitted on the next
  pass. A key already present is skipped; two schedulers racing on one key collide on the primary key and the
  loser's outbox row is rolled back with it.
- Missed runs catch up: a pass submits every job whose due time has passed, however long ago, so a restart
  after downtime catches up at once. A call the pre-flight refuses (the read model lagging the chain, another
  bank settled first) is logged and left for the next pass.
- A job whose transaction reverted on chain (it passed the pre-flight, then the state changed before it was
  mined: the obligor's balance spent meanwhile, say), or was rejected for good before mining, is retried while
  the provider still lists it as due, with exponential back-off in chain time (`RETRY_BACKOFF_S` doubling after
  each failed attempt) and at most `MAX_ATTEMPTS` attempts in all; each retry and the giving-up are logged.
  Attempt n > 1 has its own run key `<key>#<n>`, so every attempt is still submitted once and only once across
  restarts and racing schedulers.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Iterable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Protocol, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from tradeledger.chain.txmanager import ContractCall
from tradeledger.errors import ChainUnavailableError, TradeLedgerError
from tradeledger.scheduler.models import ScheduledRun
from tradeledger.store.models import ChainTransaction, TxState

log = logging.getLogger(__name__)

SCHEDULER_INTERVAL_S = 1.0
"""How often the scheduler looks for due jobs (the chain's blocks are about a second apart)."""

MAX_ATTEMPTS = 6
"""Attempts of one job in all (the first and five retries) before the scheduler gives up on a job that reverts."""

RETRY_BACKOFF_S = 60
"""Chain seconds after the first revert before the retry; doubled after each further revert (60 s ... 16 min)."""


UNDONE = frozenset({TxState.REVERTED, TxState.FAILED})
"""Final outcomes that did not do the job: reverted on chain, or rejected for good before mining."""

T = TypeVar("T")
_PASSES = itertools.count(1)
_PASS: ContextVar[int | None] = ContextVar("scheduler_pass", default=None)  # the pass `run_once` is making


def once_per_pass(read: Callable[[], T]) -> Callable[[], T]:
    """`read`, called at most once per scheduler pass and its answer shared by the pass's providers (the hosted
    addresses: each of four providers read them again, a third of an idle pass's CPU); outside a pass, at each
    call. A value that changes meanwhile (a member onboarded) is read again by the next pass."""
    cached: tuple[int, T] | None = None

    def shared() -> T:
        nonlocal cached
        current = _PASS.get()
        if current is None:
            return read()
        if cached is None or cached[0] != current:
            cached = (current, read())
        return cached[1]

    return shared


def attempt_key(key: str, attempt: int) -> str:
    """The run key of a job's `attempt` (1-based): the job key itself, then `<key>#<attempt>`."""
    return key if attempt == 1 else f"{key}#{attempt}"


def retry_at(last_chain_time: int, attempts: int) -> int:
    """Chain time from which the attempt after `attempts` reverted ones may be submitted."""
    backoff: int = RETRY_BACKOFF_S << (attempts - 1)
    return last_chain_time + backoff


@dataclass(frozen=True)
class DueJob:
    """One job: `key` names it uniquely for ever (e.g. 'undertaking-settle:7'); `due_at` is chain time."""

    key: str
    due_at: int
    call: ContractCall


class JobProvider(Protocol):
    """Where due jobs come from (a domain's read model)."""

    name: str

    def due(self, db: Session, now: int) -> Iterable[DueJob]:
        """The jobs due at chain time `now` (due_at <= now) that the read model says still need doing."""
        ...


Submit = Callable[[ContractCall, Callable[[Session, list[ChainTransaction]], None]], ChainTransaction]


class Scheduler:
    """Submits the providers' due jobs, each once.

    Args:
        sessions: the service database.
        clock: the chain's clock (the latest block's timestamp, unix seconds).
        submit: the transaction manager's submit (call, on_stored hook).
        providers: where due jobs come from.
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Callable[[], int],
        submit: Submit,
        providers: Sequence[JobProvider],
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.submit = submit
        self.providers = list(providers)
        self._given_up: set[str] = set()  # jobs whose giving-up this scheduler logged already

    def run_once(self) -> int:
        """One pass: submit every due job not yet submitted, and retry those that reverted once their back-off
        has passed; returns how many were submitted. Every provider is read in one session, before anything is
        submitted."""
        now = self.clock()
        token = _PASS.set(next(_PASSES))
        try:
            with self.sessions() as db:
                attempts = [(provider.name, job) for provider in self.providers for job in self._due(db, provider, now)]
        finally:
            _PASS.reset(token)
        return sum(self.submit_job(name, job, now) for name, job in attempts)

    def _due(self, db: Session, provider: JobProvider, now: int) -> list[DueJob]:
        """The provider's due jobs to submit now: those never submitted, and the retries whose back-off has passed."""
        jobs = [job for job in provider.due(db, now) if job.due_at <= now]
        if not jobs:  # the usual pass: nothing due, nothing to look up
            return []
        first: dict[str, TxState] = {
            key: state
            for key, state in db.execute(
                select(ScheduledRun.key, ChainTransaction.state)
                .join(ChainTransaction, ChainTransaction.id == ScheduledRun.transaction_id)
                .where(ScheduledRun.key.in_([job.key for job in jobs]))
            )
        }
        attempts: list[DueJob] = []
        for job in jobs:
            if job.key not in first:
                attempts.append(job)
            elif first[job.key] in UNDONE:
                retry = self._next_attempt(db, job, now)
                if retry is not None:
                    attempts.append(retry)
        return attempts

    def _next_attempt(self, db: Session, job: DueJob, now: int) -> DueJob | None:
        """The retry of a job whose attempts so far all reverted, when its back-off has passed and attempts remain;
        None while the last attempt is in flight or mined, during the back-off, and once the attempts are spent."""
        rows = db.execute(
            select(ScheduledRun.key, ScheduledRun.chain_time, ChainTransaction.state, ChainTransaction.error_code)
            .join(ChainTransaction, ChainTransaction.id == ScheduledRun.transaction_id)
            .where((ScheduledRun.key == job.key) | ScheduledRun.key.startswith(f"{job.key}#"))
        ).all()
        attempts = len(rows)
        last = max(rows, key=lambda row: row.chain_time)
        if any(row.state not in UNDONE for row in rows):
            return None  # an attempt is still in flight (or mined): nothing to retry
        if attempts >= MAX_ATTEMPTS:
            if job.key not in self._given_up:
                self._given_up.add(job.key)
                log.error(
                    "scheduler: %s gave up after %d reverted attempts (last: %s)", job.key, attempts, last.error_code
                )
            return None
        if now < retry_at(last.chain_time, attempts):
            return None
        log.warning(
            "scheduler: %s reverted %d time(s) (last: %s); attempt %d", job.key, attempts, last.error_code, attempts + 1
        )
        return DueJob(attempt_key(job.key, attempts + 1), job.due_at, job.call)

    def submit_job(self, provider: str, job: DueJob, now: int) -> bool:
        """Submit one job with its run record; False when refused (pre-flight, or the key already taken)."""

        def record(db: Session, rows: list[ChainTransaction]) -> None:
            run = ScheduledRun(
                key=job.key, provider=provider, due_at=job.due_at, chain_time=now, transaction_id=rows[0].id
            )
            db.add(run)
            db.flush()  # a key taken by another scheduler fails here, and the outbox row with it

        try:
            row = self.submit(job.call, record)
        except ChainUnavailableError:
            raise
        except (TradeLedgerError, IntegrityError) as error:  # refused by the pre-flight, or the key taken meanwhile
            log.warning("scheduler: %s not submitted: %s", job.key, error)
            return False
        log.info("scheduler: %s submitted as %s (due %d, chain time %d)", job.key, row.tx_hash, job.due_at, now)
        return True
