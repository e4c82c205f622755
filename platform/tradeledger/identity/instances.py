"""Which service processes are alive, and which of their requests still run.

Each process registers at start and keeps a heartbeat in the database. An idempotency record without an answer
belongs to the request that runs under it. While that request runs, a retry is a duplicate in flight (409); once
it has ended without an answer (its process died, or its own completion failed because the database went away
while the process lived on), nothing of it committed and a retry may run it again.

How the end is known: a dead process by its stale heartbeat; a live one's finished request by `serving`, the
records this process's requests run under right now (in memory: the process is the only one that can know).
A request of this process that is not being served is released at once; the heartbeat deletes the answerless
records this process's ended requests left (`release_orphans`), so that other processes see them gone too.
A record deleted under a request still running costs nothing but that request: its effect's transaction stores
its answer only if its record is still there (`InFlight.store_answer`), else it rolls back.
"""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

from sqlalchemy import delete, update
from sqlalchemy.orm import Session, sessionmaker

from tradeledger.identity.models import IdempotencyRecord, ServiceInstance
from tradeledger.store.base import utcnow
from tradeledger.store.db import transaction

HEARTBEAT_S = 2.0
STALE_AFTER = timedelta(seconds=10)  # five missed heartbeats: the process is gone

_serving: dict[str, set[int]] = {}  # instance -> ids of the records its requests run under now
_orphans: dict[str, set[int]] = {}  # instance -> ids of records its ended requests could not complete
_lock = threading.Lock()


def register(sessions: sessionmaker[Session]) -> str:
    """A new instance id, alive from now."""
    instance = str(uuid.uuid4())
    with transaction(sessions) as db:
        db.add(ServiceInstance(id=instance))
    return instance


def heartbeat(sessions: sessionmaker[Session], instance: str) -> None:
    """Say this process lives, and let go of the records its ended requests could not release themselves."""
    with transaction(sessions) as db:
        db.execute(update(ServiceInstance).where(ServiceInstance.id == instance).values(seen_at=utcnow()))
    release_orphans(sessions, instance)


def deregister(sessions: sessionmaker[Session], instance: str) -> None:
    with transaction(sessions) as db:
        db.execute(delete(ServiceInstance).where(ServiceInstance.id == instance))
    with _lock:
        _serving.pop(instance, None)
        _orphans.pop(instance, None)


def alive(db: Session, instance: str) -> bool:
    row = db.get(ServiceInstance, instance)
    return row is not None and utcnow() - row.seen_at <= STALE_AFTER


def begin_serving(instance: str, record_id: int) -> None:
    """A request of `instance` runs under `record_id` from now (call it before the record commits)."""
    with _lock:
        _serving.setdefault(instance, set()).add(record_id)


def end_serving(instance: str, record_id: int, *, completed: bool) -> None:
    """The request under `record_id` has ended; if its record could not be `completed` (answered, or deleted for a
    retry), the heartbeat releases it (`release_orphans`)."""
    with _lock:
        _serving.get(instance, set()).discard(record_id)
        if completed:  # answered or deleted: whatever record has this id now is no orphan of ours
            _orphans.get(instance, set()).discard(record_id)
        else:
            _orphans.setdefault(instance, set()).add(record_id)


def serving(instance: str, record_id: int) -> bool:
    """Whether a request of `instance` (this process) still runs under `record_id`."""
    with _lock:
        return record_id in _serving.get(instance, ())


def release_orphans(sessions: sessionmaker[Session], instance: str) -> int:
    """Delete the records `instance`'s ended requests could not complete, if they still have no answer (one that
    holds an answer is never run again: its effect committed); returns how many were deleted. By primary key:
    nothing to scan while there are none. Read inside the writing transaction, so that an id SQLite gave again
    to a newer request's record (it may reuse the highest) is seen served and kept."""
    with _lock:
        if not _orphans.get(instance):
            return 0
    with transaction(sessions) as db:
        with _lock:
            orphans = sorted(_orphans.get(instance, set()) - _serving.get(instance, set()))
        released = db.execute(
            delete(IdempotencyRecord).where(
                IdempotencyRecord.id.in_(orphans),
                IdempotencyRecord.owner == instance,
                IdempotencyRecord.status.is_(None),
            )
        )
        count = int(released.rowcount)  # type: ignore[attr-defined]
    with _lock:
        _orphans.get(instance, set()).difference_update(orphans)
    return count
