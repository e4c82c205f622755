"""One API worker process of `tradeledger serve --workers N` (or `--role api`): uvicorn imports this module in
each worker it spawns and calls `create_worker_app`. The worker serves the API on the engine's chain and
database; the engine (another process) confirms, re-sends and indexes (see tradeledger.processes)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from tradeledger.api.app import create_app
from tradeledger.config import load_settings
from tradeledger.runtime import freeze_long_lived, open_platform

FACTORY = f"{__name__}:create_worker_app"


def create_worker_app() -> FastAPI:
    """The API of one worker, its platform opened in the `api` role and closed when the worker stops."""
    platform = open_platform(load_settings(), deploy_if_missing=False, role="api")
    try:
        platform.start()
        app = create_app(platform)
    except BaseException:
        platform.close()
        raise
    freeze_long_lived()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            platform.close()

    app.router.lifespan_context = lifespan
    return app
