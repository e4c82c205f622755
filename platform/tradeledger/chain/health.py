"""What the outbox and the node say about the service's health: stuck signers, a node behind the database.

Queries only; `Platform.problems` adds the indexer's side and `/v1/health` and `/v1/ready` report them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from tradeledger.chain.rpc import JsonRpc
from tradeledger.store.base import utcnow
from tradeledger.store.models import ChainTransaction, SignerNonce, TxState

OPEN_STATES = (TxState.SIGNED, TxState.SENT)


@dataclass(frozen=True)
class HealthProblem:
    """One reason the service is degraded: a stable name and what was seen."""

    name: str
    reason: str


def stuck_signers(sessions: sessionmaker[Session], rpc: JsonRpc, open_for: timedelta) -> list[HealthProblem]:
    """Signers whose writes do not get through: an outbox transaction open longer than `open_for`, or a
    database next nonce above the node's pending count with no stored transaction to fill the gap (every
    later transaction of that signer waits for a nonce nobody will send)."""
    now = utcnow()
    with sessions() as db:
        oldest = db.execute(
            select(ChainTransaction.signer, func.min(ChainTransaction.created_at), func.count())
            .where(ChainTransaction.state.in_(OPEN_STATES))
            .group_by(ChainTransaction.signer)
        ).all()
        allocated = db.execute(select(SignerNonce.signer, SignerNonce.next_nonce)).all()
    problems = [
        HealthProblem(
            "signer_stuck",
            f"{signer} has {count} open transactions, the oldest stored {int((now - since).total_seconds())} s ago",
        )
        for signer, since, count in oldest
        if now - since > open_for
    ]
    counts = rpc.batch([("eth_getTransactionCount", [signer, "pending"]) for signer, _ in allocated])
    gaps = {
        signer: (int(count, 16), next_nonce)
        for (signer, next_nonce), count in zip(allocated, counts, strict=True)
        if isinstance(count, str) and next_nonce > int(count, 16)
    }
    if gaps:
        with sessions() as db:
            filled = {
                (signer, nonce)
                for signer, nonce in db.execute(
                    select(ChainTransaction.signer, ChainTransaction.nonce).where(
                        ChainTransaction.signer.in_(gaps), ChainTransaction.state.in_(OPEN_STATES)
                    )
                )
            }
        problems += [
            HealthProblem(
                "signer_stuck",
                f"{signer}: the database's next nonce is {next_nonce} but the node counts {node}, "
                f"and no stored transaction holds nonce {node}",
            )
            for signer, (node, next_nonce) in gaps.items()
            if (signer, node) not in filled
        ]
    return problems


def highest_mined_block(sessions: sessionmaker[Session]) -> int | None:
    """The highest block the outbox records one of its transactions in."""
    with sessions() as db:
        return db.scalar(
            select(func.max(ChainTransaction.block_number)).where(
                ChainTransaction.state.in_((TxState.MINED, TxState.REVERTED))
            )
        )
