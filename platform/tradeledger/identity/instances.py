"""Which service processes are alive: each registers at start and keeps a heartbeat in the database.

An idempotency record without an answer belongs to the process that runs its request. If that process died
(killed, out of memory), a retry may run the request again at once, since nothing of it committed; while it
lives, the retry is a duplicate in flight. A process that stops gracefully deregisters.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import delete, update
from sqlalchemy.orm import Session, sessionmaker

from tradeledger.identity.models import ServiceInstance
from tradeledger.store.base import utcnow
from tradeledger.store.db import transaction

HEARTBEAT_S = 2.0
STALE_AFTER = timedelta(seconds=10)  # five missed heartbeats: the process is gone


def register(sessions: sessionmaker[Session]) -> str:
    """A new instance id, alive from now."""
    instance = str(uuid.uuid4())
    with transaction(sessions) as db:
        db.add(ServiceInstance(id=instance))
    return instance


def heartbeat(sessions: sessionmaker[Session], instance: str) -> None:
    with transaction(sessions) as db:
        db.execute(update(ServiceInstance).where(ServiceInstance.id == instance).values(seen_at=utcnow()))


def deregister(sessions: sessionmaker[Session], instance: str) -> None:
    with transaction(sessions) as db:
        db.execute(delete(ServiceInstance).where(ServiceInstance.id == instance))


def alive(db: Session, instance: str) -> bool:
    row = db.get(ServiceInstance, instance)
    return row is not None and utcnow() - row.seen_at <= STALE_AFTER
