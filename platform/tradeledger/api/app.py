"""The FastAPI application factory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.telemetry import TelemetryConfig

from tradeledger import __version__
from tradeledger.api import planning
from tradeledger.api.idempotency import IdempotencyMiddleware
from tradeledger.api.problems import BodyLimitMiddleware, install_problem_handlers, problem_openapi
from tradeledger.api.routers import (
    approvals,
    documents,
    events,
    guarantees,
    health,
    lcs,
    members,
    openaccount,
    orders,
    payables,
    reconciliations,
    records,
    sessions,
    settlements,
    statements,
    transactions,
    users,
    webhooks,
)
from tradeledger.runtime import Platform

API_PREFIX = "/v1"
CONSOLE_PATH = "/console"
# The web console's build (`make console`): platform/console/dist beside this package in a source checkout.
CONSOLE_DIST = Path(__file__).resolve().parents[2] / "console" / "dist"
MAX_BODY_BYTES = 256 * 1024  # the largest legitimate body (LC terms with documents) is a few KiB
# FastAPI's native OpenTelemetry asks OpenTelemetry for its tracer, meter and logger providers on every request
# (each look-up reads os.environ) to learn whether anyone configured them: about 19 µs of the event loop per
# request. The service ships no OpenTelemetry SDK and configures no provider, so the answer is always no.
TELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}


def create_app(platform: Platform) -> FastAPI:
    """The API bound to an open platform; the caller owns the platform's lifetime."""

    app = FastAPI(
        telemetry=TELEMETRY,
        title="tradeledger",
        version=__version__,
        summary="Consortium trade-finance ledger: orders, UCP 600 letters of credit, financings, settlements "
        "and reconciliation files.",
    )
    app.state.platform = platform
    planning.plan(app)
    install_problem_handlers(
        app, resending=lambda: platform.transactions.resending_count(platform.indexer.indexed_through())
    )
    # FastAPI tries the routers in this order, each route's pattern in turn: the most frequent reads (balances,
    # the event feed) first, which no other router's paths overlap, so that they are not matched last
    for router in (
        settlements.router,
        events.router,
        health.router,
        lcs.router,
        documents.router,
        members.router,
        members.governance,
        orders.router,
        reconciliations.router,
        statements.router,
        transactions.router,
        webhooks.router,
        guarantees.router,
        openaccount.router,
        payables.router,
        records.router,
        records.public,
        users.router,
        approvals.router,
        sessions.router,
    ):
        app.include_router(router, prefix=API_PREFIX)
    # before every other route: a balance read in its usual shape skips FastAPI's routing and dependencies
    app.router.routes[:0] = settlements.direct_reads(API_PREFIX)
    mount_console(app)
    app.add_middleware(IdempotencyMiddleware, sessions=lambda: platform.sessions, instance=lambda: platform.instance)
    app.add_middleware(  # outermost: before anything reads the body
        BodyLimitMiddleware,
        limit=MAX_BODY_BYTES,
        larger={
            f"{API_PREFIX}/reconciliations": reconciliations.MAX_BOOKS_BYTES,
            f"{API_PREFIX}/verify": records.MAX_DOCUMENT_BYTES,
        },
    )
    default_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = problem_openapi(default_openapi())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def mount_console(app: FastAPI, dist: Path = CONSOLE_DIST) -> bool:
    """Serve the built web console at /console (a client of /v1 only); without a build, the API alone."""
    if not (dist / "index.html").is_file():
        return False
    app.mount(CONSOLE_PATH, StaticFiles(directory=dist, html=True), name="console")
    return True
