"""Who calls: every /v1 resource but health knows the member, the user acting for it and the user's roles.

A bearer API key (a service account's, or a member key: an administrator service account) or a browser session.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass
from functools import partial
from queue import SimpleQueue
from typing import Annotated, Any, Concatenate, ParamSpec, TypeGuard, TypeVar

from anyio import to_thread
from fastapi import Depends, Request, Response
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param
from pydantic import BaseModel
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from starlette._utils import get_route_path
from starlette.routing import BaseRoute, Match, NoMatchFound, compile_path
from starlette.types import Receive, Scope, Send

from tradeledger.errors import ForbiddenError
from tradeledger.identity.service import AuthenticationError, Caller, caller, caller_with, callers_with
from tradeledger.members.models import MemberKind
from tradeledger.runtime import Platform
from tradeledger.store.db import READ_CONNECTIONS, held_read, in_process, read_session
from tradeledger.store.reads import Rows
from tradeledger.users import access, sessions
from tradeledger.users.access import Actor

bearer = HTTPBearer(auto_error=False, description="an API key created with `tradeledger keys create`")
session_cookie = APIKeyCookie(
    name=sessions.COOKIE,
    auto_error=False,
    description=f"a browser session (POST /v1/sessions); writes also need its CSRF token in {sessions.CSRF_HEADER}",
)
MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
P = ParamSpec("P")
T = TypeVar("T")
_AUTHENTICATED = "tradeledger_caller"  # the request state's entry `remember_caller` writes


@dataclass(frozen=True)
class Principal:
    """The authenticated caller: an API key, the user it belongs to, the user's roles and the member."""

    api_key_id: str
    member: str
    kind: MemberKind | None
    active: bool
    user_id: str = ""
    username: str = ""
    roles: frozenset[str] = frozenset()

    @property
    def is_auditor(self) -> bool:
        return self.kind is MemberKind.AUDITOR

    def actor(self) -> Actor:
        """The user acting, as the domain commands take it."""
        return Actor(self.member, self.kind, self.user_id, self.username, self.roles)


def _platform(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


async def get_platform(request: Request) -> Platform:
    """The app's platform; async, so that FastAPI runs it on the event loop instead of a thread-pool hop."""
    return _platform(request)


def _bearer(credentials: HTTPAuthorizationCredentials | None) -> TypeGuard[HTTPAuthorizationCredentials]:
    """Whether the request's Authorization header holds a bearer token."""
    return credentials is not None and credentials.scheme.lower() == "bearer"


def _token(credentials: HTTPAuthorizationCredentials | None, cookie: str | None) -> tuple[str, bool]:
    """The caller's token, and whether it came in the session cookie."""
    if _bearer(credentials):
        return credentials.credentials, False
    if cookie:
        return cookie, True
    raise AuthenticationError("send an API key as `Authorization: Bearer <key>`, or sign in (POST /v1/sessions)")


def _principal(db: Session, request: Request, token: str, via_cookie: bool) -> Principal:
    return _verified(db, request, caller(db, token), via_cookie)


def _verified(db: Session, request: Request, found: Caller, via_cookie: bool) -> Principal:
    """The caller as a Principal, once a browser session's write has shown its CSRF token."""
    if via_cookie and request.method in MUTATING and not request.url.path.endswith("/sessions/current"):
        sessions.check_csrf(db, found.key_id, request.headers.get(sessions.CSRF_HEADER))
    return _checked(found)


def _checked(found: Caller) -> Principal:
    """The caller as a Principal, unless its user is disabled."""
    if found.username is None or found.user_disabled:
        raise AuthenticationError("the API key's user is disabled")
    return Principal(
        api_key_id=found.key_id,
        member=found.member,
        kind=found.kind,
        active=found.active,
        user_id=found.user_id,
        username=found.username,
        roles=found.roles,
    )


def remember_caller(scope: Scope, token: str, found: Caller) -> None:
    """The caller of this request as the idempotency middleware has just looked `token` up (revocation and expiry
    included): the route's `get_principal` takes it instead of reading the key a second time."""
    scope.setdefault("state", {})[_AUTHENTICATED] = (token, found)


async def get_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    cookie: Annotated[str | None, Depends(session_cookie)],
) -> Principal:
    """The caller, looked up once per request: a keyed write's by the idempotency middleware (`remember_caller`),
    anything else's here, on a thread (a browser session's write also checks its CSRF token in the database)."""
    token, via_cookie = _token(credentials, cookie)
    remembered: tuple[str, Caller] | None = request.scope.get("state", {}).get(_AUTHENTICATED)
    if remembered is not None and remembered[0] == token and not via_cookie:
        return _checked(remembered[1])
    return await to_thread.run_sync(_look_up, request, token, via_cookie)


def _look_up(request: Request, token: str, via_cookie: bool) -> Principal:
    with _platform(request).sessions() as db:
        return _principal(db, request, token, via_cookie)


_Outcome = tuple[Any, BaseException | None]  # an answer, or the error to raise instead
_Work = tuple[asyncio.AbstractEventLoop, "list[asyncio.Future[Any]]", Callable[[], list[_Outcome]]]


class ReadThreads:
    """Threads that run reads for the event loop: reads put on a queue, their answers set on the loop's futures.

    `loop.run_in_executor` does the same through a `concurrent.futures.Future` chained to an asyncio one: a
    condition variable taken and released a dozen times a read, callbacks copying the outcome from one future to
    the other; measured at 15-19 µs of CPU a hop against 8-10 here (32 tasks at a time, uvloop). Several reads may
    make one hop (`run_all`): one thread's wake-up and one hand-back to the loop for all. The threads start with
    the first read and are daemons: they hold no transaction (a read writes nothing), so the process need not wait
    for them to exit. A read whose request was cancelled meanwhile still runs; its answer is dropped.
    """

    def __init__(self, count: int, name: str) -> None:
        self._count = count
        self._name = name
        self._work: SimpleQueue[_Work] = SimpleQueue()
        self._started = False
        self._starting = threading.Lock()

    def run(self, read: Callable[[], T]) -> asyncio.Future[T]:
        """`read()` on one of the threads, as a future of the running loop."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self.run_all(loop, [future], partial(_alone, read))
        return future

    def run_all(
        self, loop: asyncio.AbstractEventLoop, futures: list[asyncio.Future[Any]], reads: Callable[[], list[_Outcome]]
    ) -> None:
        """`reads()` on one of the threads: the outcome of each read, in order, set on its future of `loop` (an
        error `reads` raises on every one)."""
        if not self._started:
            self._start()
        self._work.put((loop, futures, reads))

    def _start(self) -> None:
        with self._starting:
            if not self._started:
                for index in range(self._count):
                    threading.Thread(target=self._serve, name=f"{self._name}_{index}", daemon=True).start()
                self._started = True

    def _serve(self) -> None:
        while True:
            loop, futures, reads = self._work.get()
            try:
                outcomes = reads()
            except BaseException as raised:  # handed to the awaiting requests, as an executor's future does
                outcomes = [(None, raised)] * len(futures)
            with suppress(RuntimeError):  # the loop was closed meanwhile: nobody waits for the answers
                loop.call_soon_threadsafe(_settle, futures, outcomes)


def _alone(read: Callable[[], Any]) -> list[_Outcome]:
    return [(read(), None)]


def _settle(futures: list[asyncio.Future[Any]], outcomes: list[_Outcome]) -> None:
    for future, (answer, error) in zip(futures, outcomes, strict=True):
        if future.cancelled():
            continue
        if error is None:
            future.set_result(answer)
        elif isinstance(error, StopIteration):  # a future refuses it, as a coroutine's task does: a 500
            future.set_exception(RuntimeError(f"a read raised {error!r}"))
        else:
            future.set_exception(error)


# Reads waiting on a database server run on threads of their own: anyio's pool is held by writes waiting for
# their blocks, and a read queued behind them is what a p99 under the write load measures. One connection each.
_READ_THREADS = ReadThreads(READ_CONNECTIONS, "tradeledger-reads")


@dataclass(frozen=True)
class Reader:
    """A frequent read's caller, not yet checked: `answer` checks it and runs the read's query in one session.

    FastAPI runs a sync dependency and a sync endpoint each on a thread of its pool, and validates what a sync
    endpoint returns on a third: three hops between the event loop and the pool, each costing more CPU than the
    balance query itself. On SQLite the caller's key and the read are a few look-ups in this process's memory
    map, so `answer` runs them on the event loop; on PostgreSQL each statement waits for the server, and on the
    event loop those waits would add up request after request instead of overlapping, so it takes one hop to a
    thread of the reads' own. Either way one session out of a transaction (`store.db.read_session`; on a read
    thread on the connection it holds, `store.db.held_read`), and the view encoded once (no second validation pass).
    """

    request: Request
    token: str
    via_cookie: bool

    async def answer(
        self,
        query: Callable[Concatenate[Session, str, MemberKind | None, P], BaseModel],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> Response:
        """The caller checked (401 otherwise), then `query(db, member, kind, ...)`'s view as JSON."""

        def read(db: Session) -> BaseModel:
            principal = _principal(db, self.request, self.token, self.via_cookie)
            return query(db, principal.member, principal.kind, *args, **kwargs)

        return await self._respond(read)

    async def answer_with(
        self,
        rows: Rows,
        view: Callable[Concatenate[Session, str, MemberKind | None, list[tuple[Any, ...]], P], BaseModel],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> Response:
        """The caller checked (401 otherwise) and `rows`, a query that does not depend on who asks, read in one
        statement (`identity.service.caller_with`: one round trip on PostgreSQL, not two), then `view(db, member,
        kind, rows, ...)` as JSON. On PostgreSQL the reads of this kind that arrive together (in one turn of the
        event loop) make one hop and read in one statement (`_ReadsTogether`), each answered or refused alone."""

        def shown(db: Session, member: str, kind: MemberKind | None, read_rows: list[tuple[Any, ...]]) -> BaseModel:
            return view(db, member, kind, read_rows, *args, **kwargs)

        asked = _Asked(self, rows, shown)
        engine = _platform(self.request).engine
        if in_process(engine):
            with read_session(engine) as db:
                return _answered(db, asked, caller_with(db, self.token, rows))
        return await _TOGETHER.add(engine, asked)

    async def _respond(self, read: Callable[[Session], BaseModel]) -> Response:
        engine = _platform(self.request).engine
        if in_process(engine):
            with read_session(engine) as db:
                return _encoded(read(db))
        return await _READ_THREADS.run(partial(_held_answer, engine, read))


def _held_answer(engine: Engine, read: Callable[[Session], BaseModel]) -> Response:
    """On a read thread: `read` on the thread's own connection (`store.db.held_read`), its view as JSON."""
    return _encoded(held_read(engine, read))


@dataclass(frozen=True)
class _Asked:
    """One request's `Reader.answer_with`: its caller, its rows' query, and its view of them once the caller passed."""

    reader: Reader
    rows: Rows
    view: Callable[[Session, str, MemberKind | None, list[tuple[Any, ...]]], BaseModel]


def _answered(db: Session, asked: _Asked, found: tuple[Caller, list[tuple[Any, ...]]]) -> Response:
    """`asked`'s answer once its caller and rows were read: the caller checked, the view as JSON."""
    principal = _verified(db, asked.reader.request, found[0], asked.reader.via_cookie)
    return _encoded(asked.view(db, principal.member, principal.kind, found[1]))


class _ReadsTogether:
    """`Reader.answer_with`'s reads on a database server, gathered while the event loop runs the requests that
    arrived together, then sent to a read thread in one hop (`ReadThreads.run_all`) at the end of that turn of
    the loop (or at `limit` reads). On the thread one statement reads every caller and its rows
    (`identity.service.callers_with`), then each read is checked and answered on its own: a refused caller, an
    account not shown, any error of its view is its request's alone. Per read, a hop and a round trip cost the
    read threads more CPU than the read's own work, and each hand-over of the interpreter lock between the threads
    and the loop more still."""

    def __init__(self, threads: ReadThreads, limit: int) -> None:
        self._threads = threads
        self._limit = limit
        self._gathering: dict[tuple[asyncio.AbstractEventLoop, Engine], list[tuple[asyncio.Future[Any], _Asked]]] = {}

    def add(self, engine: Engine, asked: _Asked) -> asyncio.Future[Response]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Response] = loop.create_future()
        key = (loop, engine)
        gathered = self._gathering.get(key)
        if gathered is None:
            gathered = self._gathering[key] = []
            loop.call_soon(self._send, key)
        gathered.append((future, asked))
        if len(gathered) >= self._limit:
            self._send(key)
        return future

    def _send(self, key: tuple[asyncio.AbstractEventLoop, Engine]) -> None:
        gathered = self._gathering.pop(key, None)
        if gathered:
            loop, engine = key
            reads = partial(_held_answers, engine, [asked for _, asked in gathered])
            self._threads.run_all(loop, [future for future, _ in gathered], reads)


def _held_answers(engine: Engine, asked: list[_Asked]) -> list[_Outcome]:
    """On a read thread: each of `asked`'s answers or errors, read on the thread's own connection."""
    return held_read(engine, partial(_answers, asked))


def _answers(asked: list[_Asked], db: Session) -> list[_Outcome]:
    try:
        found: list[Any] = callers_with(db, [(one.reader.token, one.rows) for one in asked])
    except DBAPIError as error:
        if error.connection_invalidated or len(asked) == 1:
            raise  # lost: `held_read` reads them all once more on a new connection
        found = [None] * len(asked)  # each read alone, so that each fails alone
    outcomes: list[_Outcome] = []
    for one, read in zip(asked, found, strict=True):
        try:
            if isinstance(read, AuthenticationError):
                raise read
            outcomes.append((_answered(db, one, read or caller_with(db, one.reader.token, one.rows)), None))
        except Exception as error:  # handed to its own request, as a read alone raises it
            if isinstance(error, DBAPIError) and error.connection_invalidated:
                raise  # lost: `held_read` reads them all once more on a new connection
            outcomes.append((None, error))
    return outcomes


# At most this many reads make one hop and one statement: a statement that stalls holds no more reads than this
_TOGETHER = _ReadsTogether(_READ_THREADS, 32)


def _encoded(view: BaseModel) -> Response:
    return Response(view.model_dump_json().encode(), media_type="application/json")


async def get_reader(request: Request) -> Reader:
    """The caller's credentials, read by the same security schemes as `get_principal`'s but called here rather
    than declared as dependencies: FastAPI's solving of two sub-dependencies cost a fifth of a balance read's
    CPU. A route that takes a Reader declares them for OpenAPI with `READER_SECURITY`. The cookies are parsed only
    for a request without a bearer key (a browser's): Starlette parses them all anew for each request."""
    credentials = await bearer(request)
    token, via_cookie = _token(credentials, None if _bearer(credentials) else await session_cookie(request))
    return Reader(request, token, via_cookie)


def _bearer_token(scope: Scope) -> str | None:
    """The token of the request's Authorization header if it is a bearer key, read as `bearer` reads it."""
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, token = get_authorization_scheme_param(value.decode("latin-1"))
            return token if token and scheme.lower() == "bearer" else None
    return None


_DIRECT_TOKEN = "tradeledger.bearer"  # the scope's entry where a DirectRead's match leaves the bearer token


class DirectRead(BaseRoute):
    """A frequent read's GET in its usual shape (a well-formed path parameter, a bearer key) answered by its Reader
    without FastAPI's request handling; any other request to its path falls through to the route FastAPI declares
    for it (the same `answer`), which documents it in OpenAPI and answers the rest (a session cookie, no key: 401; a
    malformed parameter: 422) as before.

    Placed first among the app's routes (api.app). FastAPI 0.165's routing matched a balance read against each
    included router's routes in turn, twice over (its `_IncludedRouter` matches, then matches again to handle),
    then solved the route's dependencies and built a `Request` for them: about half of the event loop's CPU a
    read. Here the path is one regular expression, the key one header look-up, and errors still reach the app's
    exception handlers (problem+json) as an endpoint's do: the route raises inside Starlette's ExceptionMiddleware.
    """

    def __init__(
        self, path: str, pattern: str, answer: Callable[[Reader, str], Awaitable[Response]], name: str
    ) -> None:
        self.path = path
        self.name = name
        self.answer = answer
        self.path_regex, self.path_format, _ = compile_path(path)
        (self.parameter,) = self.path_regex.groupindex
        self.valid = re.compile(pattern)  # matched whole: `$` would also match before a final newline (%0A)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http" or scope["method"] != "GET":
            return Match.NONE, {}
        found = self.path_regex.match(get_route_path(scope))
        if found is None:
            return Match.NONE, {}
        value = found.group(self.parameter)
        token = _bearer_token(scope) if self.valid.fullmatch(value) else None
        if token is None:
            return Match.NONE, {}
        return Match.FULL, {"path_params": {self.parameter: value}, _DIRECT_TOKEN: token}

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        reader = Reader(Request(scope, receive), scope[_DIRECT_TOKEN], False)
        response = await self.answer(reader, scope["path_params"][self.parameter])
        await response(scope, receive, send)

    def url_path_for(self, name: str, /, **path_params: Any) -> Any:
        raise NoMatchFound(name, path_params)  # named by the route FastAPI declares for the same path


# The security requirements of a route that takes a Reader, as FastAPI writes them for a declared dependency
READER_SECURITY: dict[str, Any] = {"security": [{scheme.scheme_name: []} for scheme in (bearer, session_cookie)]}


PlatformDep = Annotated[Platform, Depends(get_platform)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
ReaderDep = Annotated[Reader, Depends(get_reader)]


async def writing_principal(request: Request, principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
    """Auditors read everything and write nothing, whatever the contracts would say; and a user writes only what
    one of its roles may (a viewer nothing, a maker no approvals). Async: it only checks, and a sync dependency
    costs every write a hop to the thread pool and back."""
    if principal.is_auditor:
        raise ForbiddenError("auditors have read-only access")
    access.require(principal.roles, access.write_action(request.url.path))
    return principal


def reading_principal(action: access.Action) -> Any:
    """A dependency: the caller, if one of its roles may `action` (a read beyond the ordinary)."""

    def check(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
        access.require(principal.roles, action)
        return principal

    return Depends(check)
