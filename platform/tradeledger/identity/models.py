"""API keys (stored hashed) and hosted member keys (encrypted keystores)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tradeledger.store.base import Base, UtcDateTime, utcnow
from tradeledger.users import models as users  # noqa: F401 - api_keys.user_id refers to users


class ApiKey(Base):
    """A bearer token of one user (a service account, or a person) of one member; stored hashed with argon2id
    (tradeledger.users.hashing), found by its first characters."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    member: Mapped[str] = mapped_column(String(42), index=True)
    label: Mapped[str] = mapped_column(String(120))
    prefix: Mapped[str] = mapped_column(String(16), index=True)
    secret_hash: Mapped[str] = mapped_column(String(200))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # a browser session's key


class HostedAccount(Base):
    """A member key this instance signs with: an eth-account V3 keystore, encrypted at rest."""

    __tablename__ = "hosted_accounts"

    address: Mapped[str] = mapped_column(String(42), primary_key=True)
    label: Mapped[str] = mapped_column(String(120))
    keystore: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class IdempotencyRecord(Base):
    """The outcome of one mutating request per (API key, Idempotency-Key): replayed on retries.

    The stored answer (status, body, ...) is written in the same database transaction as the request's effect
    (its outbox row, or its own rows), so a record that holds an answer is never run again: `completed` only
    says whether that answer is the final one or the provisional 202 of a chain write still in progress.
    """

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("api_key_id", "key"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    api_key_id: Mapped[str] = mapped_column(ForeignKey("api_keys.id"))
    key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))
    completed: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[int | None] = mapped_column(Integer)
    content_type: Mapped[str | None] = mapped_column(String(120))
    location: Mapped[str | None] = mapped_column(String(500))
    body: Mapped[bytes | None] = mapped_column(LargeBinary)
    transaction_id: Mapped[str | None] = mapped_column(ForeignKey("chain_transactions.id"))
    owner: Mapped[str | None] = mapped_column(String(36))  # the ServiceInstance running it
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ServiceInstance(Base):
    """A running service process, alive while it keeps `seen_at` fresh: an answerless idempotency record whose
    process has died is abandoned at once, while one of a live process (another API worker) never is."""

    __tablename__ = "service_instances"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    seen_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
