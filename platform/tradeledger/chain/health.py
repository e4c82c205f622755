"""What the outbox and the node say about the service's health: stuck signers, a node behind the database.

Queries only; `Platform.problems` adds the indexer's side and `/v1/health` and `/v1/ready` report them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from tradeledger.chain.rpc import JsonRpc
from tradeledger.store.base import utcnow
from tradeledger.store.models import ChainTransaction, SignerNonce, TxState

OPEN_STATES = (TxState.REQUESTED, TxState.SIGNED, TxState.SENT)  # requested: stuck too if no engine signs it


@dataclass(frozen=True)
class HealthProblem:
    """One reason the service is degraded: a stable name and what was seen."""

    name: str
    reason: str


def stuck_signers(sessions: sessionmaker[Session], rpc: JsonRpc, open_for: timedelta) -> list[HealthProblem]:
    """Signers whose writes do not get through: an outbox transaction open longer than `open_for`, or a
    database next nonce above the node's pending count with no stored transaction to fill the gap (every
    later transaction of that signer waits for a nonce nobody will send).

    The database is read before the node: a transaction that is open when read and mined by the time the node
    answers has moved the node's count past its nonce, so a write in progress never looks like a gap.
    """
    now = utcnow()
    with sessions() as db:
        allocated = db.execute(select(SignerNonce.signer, SignerNonce.next_nonce)).all()
        open_rows = db.execute(
            select(ChainTransaction.signer, ChainTransaction.nonce, ChainTransaction.created_at).where(
                ChainTransaction.state.in_(OPEN_STATES)
            )
        ).all()
    oldest: dict[str, tuple[datetime, int]] = {}
    for signer, _, created_at in open_rows:
        since, count = oldest.get(signer, (created_at, 0))
        oldest[signer] = (min(since, created_at), count + 1)
    problems = [
        HealthProblem(
            "signer_stuck",
            f"{signer} has {count} open transactions, the oldest stored {int((now - since).total_seconds())} s ago",
        )
        for signer, (since, count) in oldest.items()
        if now - since > open_for
    ]
    filled = {(signer, nonce) for signer, nonce, _ in open_rows}
    counts = rpc.batch([("eth_getTransactionCount", [signer, "pending"]) for signer, _ in allocated])
    for (signer, next_nonce), count in zip(allocated, counts, strict=True):
        node = int(count, 16) if isinstance(count, str) else None
        if node is not None and next_nonce > node and (signer, node) not in filled:
            problems.append(
                HealthProblem(
                    "signer_stuck",
                    f"{signer}: the database's next nonce is {next_nonce} but the node counts {node}, "
                    f"and no stored transaction holds nonce {node}",
                )
            )
    return problems


def highest_mined_block(sessions: sessionmaker[Session]) -> int | None:
    """The highest block the outbox records one of its transactions in."""
    with sessions() as db:
        return db.scalar(
            select(func.max(ChainTransaction.block_number)).where(
                ChainTransaction.state.in_((TxState.MINED, TxState.REVERTED))
            )
        )
