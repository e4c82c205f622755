"""The scheduler's record of what it submitted: one row per job key, committed with the job's outbox row."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from tradeledger.store.base import Base, UtcDateTime, utcnow
from tradeledger.store.columns import Uint64


class ScheduledRun(Base):
    """A job the scheduler submitted. The key is unique: a job is submitted once and only once, whatever
    restarts or concurrent schedulers happen (the row commits in the same database transaction as the job's
    outbox row, so a crash leaves both or neither)."""

    __tablename__ = "scheduled_runs"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    provider: Mapped[str] = mapped_column(String(64), index=True)
    due_at: Mapped[int] = mapped_column(Uint64)
    chain_time: Mapped[int] = mapped_column(Uint64)
    transaction_id: Mapped[str] = mapped_column(ForeignKey("chain_transactions.id"), index=True)
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
