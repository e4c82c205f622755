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
  bank settled first) is logged and left for the next pass; a job whose stored transaction later reverts is
  not retried (its key is taken): the outbox row shows the error.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from tradeledger.chain.txmanager import ContractCall
from tradeledger.errors import ChainUnavailableError, TradeLedgerError
from tradeledger.scheduler.models import ScheduledRun
from tradeledger.store.models import ChainTransaction

log = logging.getLogger(__name__)

SCHEDULER_INTERVAL_S = 1.0
"""How often the scheduler looks for due jobs (the chain's blocks are about a second apart)."""


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

    def run_once(self) -> int:
        """One pass: submit every due job not yet submitted; returns how many were submitted."""
        now = self.clock()
        submitted = 0
        for provider in self.providers:
            with self.sessions() as db:
                jobs = [job for job in provider.due(db, now) if job.due_at <= now]
                taken = set(db.scalars(select(ScheduledRun.key).where(ScheduledRun.key.in_([job.key for job in jobs]))))
            for job in jobs:
                if job.key not in taken and self.submit_job(provider.name, job, now):
                    submitted += 1
        return submitted

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
