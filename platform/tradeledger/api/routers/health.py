"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from tradeledger.api.problems import Problem
from tradeledger.errors import ChainUnavailableError
from tradeledger.runtime import Platform

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str = Field(examples=["ok"])
    chain_id: int = Field(description="chain id the node reports")
    block_number: int = Field(description="latest block number of the node")
    indexed_block: int = Field(description="last block whose events are in the read model")
    pending_transactions: int = Field(description="submitted transactions not yet final")


def _platform(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


@router.get("/health", responses={503: {"model": Problem, "description": "chain node unreachable"}})
def health(request: Request) -> Health:
    """The service is up; reports the chain it is connected to and how far the read model has caught up."""
    platform = _platform(request)
    try:
        chain_id, block_number = platform.chain.chain_id(), platform.chain.block_number()
    except Exception as error:
        raise ChainUnavailableError(f"the chain node does not answer ({type(error).__name__})") from None
    return Health(
        status="ok",
        chain_id=chain_id,
        block_number=block_number,
        indexed_block=platform.indexer.indexed_through(),
        pending_transactions=platform.transactions.pending_count(),
    )


@router.get("/ready", responses={503: {"model": Problem, "description": "not ready to serve requests"}})
def ready(request: Request) -> Health:
    """The service can take requests: chain reachable and the indexer running."""
    status = health(request)
    indexer_error = _platform(request).indexer_error()
    if indexer_error is not None:
        raise ChainUnavailableError(f"the indexer halted: {indexer_error}")
    return status
