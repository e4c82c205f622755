"""Every request routed by the app's RouteTable to the route FastAPI's routing chooses, and every route's
dependencies solved by its plan (api.planning) to what FastAPI's own solving gives: the same values and errors in
the same order, the same exception, and the same answer byte for byte, for every shape of caller and input (no key,
a bearer key of each kind, a revoked one, `Basic`, a browser session with and without its CSRF token, bad bodies,
bad parameters, trailing slashes, paths no route has)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Annotated, Any

import httpx
import pytest
from fastapi import Depends, FastAPI, Header, Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import get_dependant, request_params_to_args, solve_dependencies
from fastapi.testclient import TestClient
from starlette.routing import Match

from tradeledger.api import auth, idempotency, planning
from tradeledger.api.app import _SELECTED, RouteTable, create_app
from tradeledger.identity.service import AuthenticationError, Caller
from tradeledger.members.models import MemberKind
from tradeledger.users import sessions
from tradeledger.users.sessions import CsrfError

BANK = "0x" + "B1" * 20
CALLERS = {  # token: the caller it is, as `identity.service.caller` would find it
    "admin": Caller("k1", BANK, "u1", "ada", frozenset({"administrator"}), False, MemberKind.BANK, True),
    "viewer": Caller("k2", BANK, "u2", "vic", frozenset({"viewer"}), False, MemberKind.BANK, True),
    "auditor": Caller("k3", BANK, "u3", "aud", frozenset({"auditor"}), False, MemberKind.AUDITOR, True),
    "disabled": Caller("k4", BANK, "u4", "dis", frozenset({"administrator"}), True, MemberKind.BANK, True),
}
HEADERS: list[dict[str, str]] = [
    {},
    *({"Authorization": f"Bearer {token}"} for token in CALLERS),
    {"Authorization": "Bearer revoked"},
    {"Authorization": "Basic admin"},
    {"Authorization": "Bearer "},
    {"Cookie": f"{sessions.COOKIE}=admin"},
    {"Cookie": f"{sessions.COOKIE}=admin", sessions.CSRF_HEADER: "csrf"},
    {"Authorization": "Bearer admin", "Prefer": "respond-async"},
    {"Authorization": "Bearer admin", "Prefer": ""},
]
BODIES = [b"", b"{}", b"not json", b'{"amount": "x", "currency": 7}', b"[]"]


def _caller(_db: Any, token: str) -> Caller:
    if token not in CALLERS:
        raise AuthenticationError("unknown, expired or revoked API key")
    return CALLERS[token]


def _check_csrf(_db: Any, _key_id: str, presented: str | None) -> None:
    if presented != "csrf":
        raise CsrfError("a write in a browser session needs the session's CSRF token")


@contextmanager
def _nothing() -> Iterator[None]:
    yield None


def _opened() -> Iterator[int]:
    yield 1


def _opening(value: Annotated[int, Depends(_opened)]) -> int:
    return value


@pytest.fixture
def apps(monkeypatch: pytest.MonkeyPatch) -> tuple[FastAPI, FastAPI]:
    """The service's app with its route table and plans and without them, on a platform that answers nothing (a
    route that gets past its dependencies fails alike in both: the comparison is of what comes before); the
    idempotency middleware left out (it needs a database, and runs before any route)."""
    monkeypatch.setattr(auth, "caller", _caller)
    monkeypatch.setattr(sessions, "check_csrf", _check_csrf)
    platform = SimpleNamespace(transactions=None, indexer=None, sessions=_nothing, instance=None)
    made = []
    for planned in (True, False):
        app = create_app(platform)  # type: ignore[arg-type]
        app.user_middleware = [m for m in app.user_middleware if m.cls is not idempotency.IdempotencyMiddleware]
        if not planned:
            planning._PLANNED.discard(app)
            app.router.routes[:] = [route for route in app.router.routes if not isinstance(route, RouteTable)]
        made.append(app)
    return made[0], made[1]


def _requests(app: FastAPI) -> Iterator[tuple[str, str, dict[str, str], bytes]]:
    """Every operation the app documents, in every shape: each caller with an empty object; as the administrator,
    each body (a write's), a malformed path parameter, bad query parameters and a trailing slash."""
    admin = {"Authorization": "Bearer admin"}
    for path, operations in app.openapi()["paths"].items():
        url = re.sub(r"\{[^}]+\}", BANK, path)
        for method in (method.upper() for method in operations):
            for headers in HEADERS:
                yield method, url, headers, b"{}"
            for body in BODIES if method != "GET" else ():
                yield method, url, admin, body
            malformed = re.sub(r"\{[^}]+\}", "x%0A", path) + "?limit=0&as_of=x&format=x&from=x"
            for odd in (malformed, url + "/", url + "?cursor=%00"):
                yield method, odd, admin, b"{}"
    for nowhere in ("/v1", "/v1/", "/v1/nope", "/v1/accounts", f"/v1/accounts/{BANK}", "/v2/health", "/v1//health"):
        for method in ("GET", "POST", "DELETE"):
            yield method, nowhere, admin, b"{}"


def _answers(app: FastAPI, requests: list[tuple[str, str, dict[str, str], bytes]]) -> list[httpx.Response]:
    """The app's answer to each request, in order, over httpx's ASGI transport on one event loop: what a TestClient
    sends, without its hand-over of every message of a request between two threads, which was most of a sweep's
    time (thousands of requests; the app sees the same scope but for the client's address)."""

    async def sweep() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return [
                await client.request(method, url, headers=headers, content=body, follow_redirects=False)
                for method, url, headers, body in requests
            ]

    return asyncio.run(sweep())


def test_the_table_chooses_the_route_fastapi_routing_chooses(apps: tuple[FastAPI, FastAPI]) -> None:
    planned_app, _ = apps
    (table,) = [route for route in planned_app.router.routes if isinstance(route, RouteTable)]
    included = [route for route in planned_app.router.routes if hasattr(route, "effective_route_contexts")]
    chosen = 0
    for method, url, _, _ in _requests(planned_app):
        path, _, query = url.partition("?")
        scope = {"type": "http", "method": method, "path": path, "root_path": "", "query_string": query.encode()}
        expected = None  # the effective route FastAPI's routing would handle it by (routers in order, first full)
        for router in included:
            match, _, _, effective = router._match(dict(scope))
            if match is Match.FULL:
                expected = effective
                break
        match, child_scope = table.matches(scope)
        assert (child_scope.get(_SELECTED), match) == (expected, Match.FULL if expected else Match.NONE), (method, url)
        chosen += expected is not None
    assert chosen > 200


def _comparable(solved: Any) -> Any:
    """A solved result as two solvings of one request can equal: its response by status and headers."""
    values = {
        name: (value.status_code, value.headers.raw) if isinstance(value, Response) else value
        for name, value in solved.values.items()
    }
    return values, solved.errors, solved.response.status_code, solved.response.headers.raw


def test_every_route_is_planned_and_solved_as_fastapi_solves_it(
    apps: tuple[FastAPI, FastAPI], monkeypatch: pytest.MonkeyPatch
) -> None:
    planned_app, _ = apps
    compared: set[int] = set()
    differed: list[tuple[str, str, Any, Any]] = []  # asserted after: an assertion in the app would be a 500

    async def both(*, request: Request, dependant: Dependant, **kwargs: Any) -> Any:
        """FastAPI's solving and the plan's, of the same request: compared, then FastAPI's answer given."""
        plan = planning.plan_for(dependant)
        assert plan is not None, dependant.path
        outcomes = []
        for solve in (planning._SOLVE_BY_FASTAPI, planning._solve):
            try:
                outcomes.append(_comparable(await solve(request=request, dependant=dependant, **kwargs)))
            except Exception as error:
                outcomes.append((type(error), str(error)))
        if outcomes[0] != outcomes[1]:
            differed.append((request.method, str(request.url), *outcomes))
        compared.add(id(dependant))
        return await planning._SOLVE_BY_FASTAPI(request=request, dependant=dependant, **kwargs)

    monkeypatch.setattr(planning, "_SOLVE_BY_FASTAPI", planning._SOLVE_BY_FASTAPI)
    monkeypatch.setattr("fastapi.routing.solve_dependencies", both)
    _answers(planned_app, list(_requests(planned_app)))
    assert differed == []
    routes = sum(len(methods) for methods in planned_app.openapi()["paths"].values())
    assert len(compared) >= routes - 1  # the direct balance read's route is solved only for its other shapes


def test_every_answer_is_the_same_byte_for_byte(apps: tuple[FastAPI, FastAPI]) -> None:
    planned_app, fastapi_app = apps
    requests = list(_requests(planned_app))
    planned, declared = _answers(planned_app, requests), _answers(fastapi_app, requests)
    for request, got, expected in zip(requests, planned, declared, strict=True):
        assert (got.status_code, got.headers, got.content) == (
            expected.status_code, expected.headers, expected.content
        ), request  # fmt: skip
    assert {307, 401, 403, 422} <= {got.status_code for got in planned}
    assert planned_app.openapi() == fastapi_app.openapi()


def test_a_generator_or_an_override_is_left_to_fastapi(
    apps: tuple[FastAPI, FastAPI], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert planning.plan_for(get_dependant(path="/x", call=_opening)) is None
    planned_app, _ = apps
    by_fastapi: list[str] = []

    async def counted(**kwargs: Any) -> Any:
        by_fastapi.append(kwargs["request"].url.path)
        return await solve_dependencies(**kwargs)

    monkeypatch.setattr(planning, "_SOLVE_BY_FASTAPI", counted)
    admin = {"Authorization": "Bearer admin"}
    with TestClient(planned_app, raise_server_exceptions=False) as client:
        assert client.get("/v1/transactions/t1", headers=admin).status_code == 500  # the platform answers nothing
        assert by_fastapi == []
        planned_app.dependency_overrides[auth.get_principal] = lambda: auth._checked(CALLERS["viewer"])
        assert client.get("/v1/transactions/t1").status_code == 500  # no key: the override answers for it
    assert by_fastapi == ["/v1/transactions/t1"]


def test_a_plain_text_header_is_read_without_fastapi_validating_it(
    apps: tuple[FastAPI, FastAPI], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write's `Prefer` is the header's text (or None) as FastAPI solves it (above), read straight from the
    headers: FastAPI's parameter validation is not asked for it."""
    planned_app, _ = apps
    validated: list[list[str]] = []
    solved: list[dict[str, Any]] = []

    def counted(fields: Any, received: Any) -> Any:
        validated.append([field.name for field in fields])
        return request_params_to_args(fields, received)

    async def kept(**kwargs: Any) -> Any:
        answer = await planning._solve(**kwargs)
        solved.append(answer.values)
        return answer

    monkeypatch.setattr(planning, "request_params_to_args", counted)
    monkeypatch.setattr("fastapi.routing.solve_dependencies", kept)
    transfer = ("POST", "/v1/settlements/transfers", {"Authorization": "Bearer admin"}, b"{}")
    _answers(planned_app, [transfer, (*transfer[:2], {**transfer[2], "Prefer": "Respond-Async"}, b"{}")])
    assert [values.get("prefer", "absent") for values in solved] == [None, "Respond-Async"]
    assert all("prefer" not in names for names in validated)
    assert planning.plan_for(get_dependant(path="/x", call=_numbered)).texts == ()  # validated: left to FastAPI


def _numbered(
    count: Annotated[int | None, Header()] = None, tag: Annotated[str | None, Header(max_length=3)] = None
) -> None:
    return None
