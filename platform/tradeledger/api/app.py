"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from fastapi.telemetry import TelemetryConfig
from starlette._utils import get_route_path
from starlette.routing import BaseRoute, Match, NoMatchFound
from starlette.types import Receive, Scope, Send

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
    # before the routers, whose routes it matches in one pass: the first that matches in full is what FastAPI's
    # routing would choose (the app's other routes, the documentation's and the console's, are off /v1)
    app.router.routes.insert(0, RouteTable(app.router.routes))
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


_SELECTED = "tradeledger.route"  # the scope's entry where a RouteTable's match leaves the route it found


class RouteTable(BaseRoute):
    """The included routers' routes matched once, by the path's first segment, not each router's in turn twice.

    FastAPI 0.165 keeps an included router as one route (`_IncludedRouter`): a request is matched against each
    router's routes in turn, by a walk that also saves and restores FastAPI's entries of the scope for each route,
    then the router that matched matches it again to handle it. In process that cost 56 µs a request to the first
    router's routes (a transfer) and 340 µs to the eleventh's (an operation's poll). Here each route is matched as
    FastAPI's inclusion made it (its effective route: the prefixed path, the same handler), only among the routes
    whose first segment after the prefix is the request's or a parameter, in the routers' order: the first full
    match is the route FastAPI's routing would choose. Whatever matches in part or not at all (405, a trailing
    slash's redirect, 404) falls through to FastAPI's routing, which also documents every route as before.
    """

    def __init__(self, routes: Iterable[BaseRoute]) -> None:
        chosen: list[Any] = []  # FastAPI's effective routes, in the order its routing tries them
        for route in routes:  # the included routers'; the others (the docs', the console's) are off /v1
            if hasattr(route, "effective_route_contexts"):
                chosen.extend(route.effective_route_contexts())
        assert all(isinstance(route.original_route, APIRoute) for route in chosen), "a router holds other routes"
        self._routes = {
            first: [route for route in chosen if _first_segment(route.path_format) in (first, None)]
            for first in {_first_segment(route.path_format) for route in chosen}
        }
        self._any = self._routes.pop(None, [])  # routes whose first segment is a parameter

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http":
            return Match.NONE, {}
        for route in self._routes.get(_first_segment(get_route_path(scope)), self._any):
            match, child_scope = route.matches(scope)
            if match is Match.FULL:
                return match, {**child_scope, "route": route.original_route, _SELECTED: route}
        return Match.NONE, {}

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await scope[_SELECTED].app(scope, receive, send)

    def url_path_for(self, name: str, /, **path_params: Any) -> Any:
        raise NoMatchFound(name, path_params)  # named by the routers' routes


def _first_segment(path: str) -> str | None:
    """The segment after the API's prefix (`/v1/<first>/...`); None for a parameter."""
    first = path.removeprefix(API_PREFIX + "/").split("/", 1)[0]
    return None if first.startswith("{") else first


def mount_console(app: FastAPI, dist: Path = CONSOLE_DIST) -> bool:
    """Serve the built web console at /console (a client of /v1 only); without a build, the API alone."""
    if not (dist / "index.html").is_file():
        return False
    app.mount(CONSOLE_PATH, StaticFiles(directory=dist, html=True), name="console")
    return True
