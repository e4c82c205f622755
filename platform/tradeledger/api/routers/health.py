"""Liveness and readiness, with the reasons the service is degraded."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from tradeledger.api.problems import Problem
from tradeledger.errors import ChainUnavailableError, NotReadyError
from tradeledger.runtime import Platform

router = APIRouter(tags=["health"])


class HealthProblemView(BaseModel):
    name: str = Field(
        description="signer_stuck, indexer_behind, indexer_halted or node_behind_database", examples=["signer_stuck"]
    )
    reason: str = Field(description="what was seen")


class Health(BaseModel):
    status: str = Field(description="ok, or degraded when `problems` lists anything", examples=["ok"])
    chain_id: int = Field(description="chain id the node reports")
    block_number: int = Field(description="latest block number of the node")
    chain_time: int = Field(description="the latest block's timestamp (unix seconds): the clock due dates obey")
    indexed_block: int = Field(description="last block whose events are in the read model")
    pending_transactions: int = Field(description="submitted transactions not yet final")
    problems: list[HealthProblemView] = Field(description="why the service is degraded, if it is")


def _platform(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


@router.get("/health", responses={503: {"model": Problem, "description": "chain node unreachable"}})
def health(request: Request) -> Health:
    """The service is up; reports the chain it is connected to, how far the read model has caught up, and
    what degrades it (a stuck signer, an indexer behind the node, a node behind the database)."""
    platform = _platform(request)
    try:
        chain_id, block_number, chain_time = (
            platform.chain.chain_id(),
            platform.chain.block_number(),
            platform.chain_time(),
        )
    except Exception as error:
        raise ChainUnavailableError(f"the chain node does not answer ({type(error).__name__})") from None
    problems = [HealthProblemView(name=p.name, reason=p.reason) for p in platform.problems(block_number)]
    return Health(
        status="degraded" if problems else "ok",
        chain_id=chain_id,
        block_number=block_number,
        chain_time=chain_time,
        indexed_block=platform.indexer.indexed_through(),
        pending_transactions=platform.transactions.pending_count(),
        problems=problems,
    )


@router.get("/ready", responses={503: {"model": Problem, "description": "not ready: `errors` names each problem"}})
def ready(request: Request) -> Health:
    """The service can take requests: chain reachable, and nothing that `/v1/health` reports as degraded."""
    status = health(request)
    if status.problems:
        raise NotReadyError(
            "; ".join(f"{problem.name}: {problem.reason}" for problem in status.problems),
            errors=[problem.model_dump() for problem in status.problems],
        )
    return status
