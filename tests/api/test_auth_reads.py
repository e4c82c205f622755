"""A balance read checks its caller and reads its rows in one statement (one round trip on PostgreSQL), and every
check of the caller still holds: the rows are read before it and returned only once it passes."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from functools import partial
from types import SimpleNamespace
from typing import Any, Self

import httpx
import psycopg
import pytest
from fastapi import FastAPI, Response
from fastapi.testclient import TestClient
from sqlalchemy import Engine, bindparam, delete, event, func, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from tradeledger.api import auth
from tradeledger.api.app import API_PREFIX, create_app
from tradeledger.api.auth import ReaderDep
from tradeledger.api.problems import install_problem_handlers
from tradeledger.api.routers import settlements
from tradeledger.chain.abi import checksum
from tradeledger.identity.models import ApiKey
from tradeledger.identity.service import (
    AuthenticationError,
    CallerRows,
    caller,
    caller_with,
    callers_with,
    create_api_key,
    revoke_api_key,
)
from tradeledger.members.models import Member, MemberKind, MemberStatus
from tradeledger.settlements import service
from tradeledger.settlements.models import AccountBalance
from tradeledger.settlements.service import AccountNotFoundError
from tradeledger.store.base import table_of, utcnow
from tradeledger.store.db import make_engine, read_sessions, session_factory, transaction
from tradeledger.store.reads import Rows, beside, split
from tradeledger.users.models import User

BANK = checksum("0x" + "b1" * 20)
STRANGER = checksum("0x" + "c2" * 20)
BALANCES = [("USD", 700, 7), ("EUR", 250, 9), ("CNY", 31, 3)]  # stored in no currency order


def _evidence() -> dict[str, Any]:
    return {"block_number": 1, "tx_hash": "0x" + "00" * 32, "log_index": 0, "block_timestamp": utcnow()}


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    with transaction(session_factory(engine)) as db:
        for address in (BANK, STRANGER):
            db.add(
                Member(
                    address=address,
                    kind=MemberKind.BANK,
                    status=MemberStatus.ACTIVE,
                    admitted_at=utcnow(),
                    **_evidence(),
                )
            )
        for currency, amount, entry in BALANCES:
            db.add(AccountBalance(account=BANK, currency=currency, balance=amount, last_entry_id=entry, **_evidence()))
    yield engine
    engine.dispose()


def _key(engine: Engine, member: str = BANK) -> tuple[str, str]:
    with transaction(session_factory(engine)) as db:
        key, token = create_api_key(db, member, "reader")
    return key.id, token


def _statements(reads: sessionmaker[Session]) -> list[str]:
    """The statements the reads' sessions send from now on (no BEGIN: they read out of a transaction), as the
    driver runs them: `store.reads.fetch` runs its selects on the driver's cursor, which SQLAlchemy's cursor events
    do not see."""
    sent: list[str] = []

    class Counted(psycopg.Cursor[Any]):
        def execute(self, query: Any, *args: Any, **kwargs: Any) -> Self:
            sent.append(str(query))
            return super().execute(query, *args, **kwargs)

    def watch(driver: Any, _record: Any, _proxy: Any) -> None:
        if isinstance(driver, sqlite3.Connection):
            driver.set_trace_callback(sent.append)
        else:
            driver.cursor_factory = Counted

    event.listen(reads.kw["bind"], "checkout", watch)
    return sent


def test_a_verified_callers_read_is_one_statement(engine: Engine) -> None:
    _, token = _key(engine)
    reads = read_sessions(engine)
    with reads() as db:
        caller(db, token)  # verified: remembered in this process
    sent = _statements(reads)
    with reads() as db:
        found, rows = caller_with(db, token, service.balance_rows(BANK))
        view = service.balances(db, found.member, found.kind, rows, BANK)
    assert len(sent) == 1  # the key, its user, its member and the balances in one statement
    assert found.member == BANK and found.kind is MemberKind.BANK and not found.user_disabled
    assert [(b.currency, b.amount, b.last_entry_id) for b in view.balances] == [
        ("CNY", "31", "3"), ("EUR", "250", "9"), ("USD", "700", "7")
    ]  # fmt: skip


def test_a_new_token_is_verified_then_read(engine: Engine) -> None:
    _, token = _key(engine)
    with read_sessions(engine)() as db:
        found, rows = caller_with(db, token, service.balance_rows(BANK))
    assert found.member == BANK and sorted(rows) == sorted(BALANCES)


@pytest.mark.parametrize("change", ["revoked", "expired", "deleted", "wrong token"])
def test_a_caller_that_no_longer_passes_reads_nothing(engine: Engine, change: str) -> None:
    key_id, token = _key(engine)
    reads = read_sessions(engine)
    with reads() as db:
        assert caller_with(db, token, service.balance_rows(BANK))[1]  # verified and remembered
    with transaction(session_factory(engine)) as db:
        if change == "revoked":
            revoke_api_key(db, key_id)
        elif change == "expired":
            db.execute(update(ApiKey).where(ApiKey.id == key_id).values(expires_at=utcnow() - timedelta(seconds=1)))
        elif change == "deleted":
            db.execute(delete(ApiKey).where(ApiKey.id == key_id))
    asked = token if change != "wrong token" else token[:-4] + "AAAA"
    with reads() as db, pytest.raises(AuthenticationError):
        caller_with(db, asked, service.balance_rows(BANK))


def test_a_disabled_user_is_returned_as_disabled(engine: Engine) -> None:
    """api.auth refuses a disabled user's caller (`_checked`), whichever way it was read."""
    key_id, token = _key(engine)
    with transaction(session_factory(engine)) as db:
        user_id = db.get_one(ApiKey, key_id).user_id
        db.execute(update(User).where(User.id == user_id).values(disabled_at=utcnow()))
    with read_sessions(engine)() as db:
        assert caller_with(db, token, service.balance_rows(BANK))[0].user_disabled


def test_rows_the_caller_may_not_see_are_not_shown(engine: Engine) -> None:
    _, token = _key(engine, STRANGER)
    with read_sessions(engine)() as db:
        found, rows = caller_with(db, token, service.balance_rows(BANK))
        assert rows  # read beside the caller, and dropped by the view
        with pytest.raises(AccountNotFoundError):
            service.balances(db, found.member, found.kind, rows, BANK)


def test_beside_keeps_a_first_row_without_rows_and_no_row_without_a_first(engine: Engine) -> None:
    """An account without balances still finds its caller; no caller, no rows."""
    members = table_of(Member)
    member = select(members.c.address, members.c.kind).where(members.c.address == bindparam("who"))
    statement = beside(member, service.balance_rows(BANK).statement)
    assert beside(member, service.balance_rows(STRANGER).statement) is statement  # built once
    with read_sessions(engine)() as db:
        assert split(db.execute(statement, {"who": STRANGER, "account": STRANGER}).all(), 2) == (
            (STRANGER, MemberKind.BANK),
            [],
        )
        assert split(db.execute(statement, {"who": "nobody", "account": BANK}).all(), 2) == (None, [])
        first, rows = split(db.execute(statement, {"who": BANK, "account": BANK}).all(), 2)
    assert first == (BANK, MemberKind.BANK) and sorted(rows) == sorted(BALANCES)


def test_a_stalled_read_leaves_the_other_reads_answered(
    engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A PostgreSQL backend that stalls (a lock, a stopped process, a lost host) holds the read waiting on it, never
    the requests behind it: the reads wait for the server on threads of their own, not on the event loop, where
    one stalled statement would stall the whole API for as long (measured: a `kill -STOP` of one backend froze every
    request). On SQLite a read waits on no server and runs on the event loop."""
    if database_url.startswith("sqlite"):
        pytest.skip("a SQLite read waits on no server")
    _, token = _key(engine)
    app = FastAPI()
    app.state.platform = SimpleNamespace(engine=engine)

    @app.get("/balances")
    async def balances(reader: ReaderDep) -> Response:
        return await reader.answer_with(service.balance_rows(BANK), service.balances, BANK)

    stalled, resume = threading.Event(), threading.Event()

    def stalls_once(db: Session, asked: list[tuple[str, Rows]]) -> list[CallerRows | AuthenticationError]:
        if not stalled.is_set():
            stalled.set()
            resume.wait(30)
        return callers_with(db, asked)

    monkeypatch.setattr(auth, "callers_with", stalls_once)
    read = partial(TestClient.get, url="/balances", headers={"Authorization": f"Bearer {token}"})
    with TestClient(app) as client, ThreadPoolExecutor(2) as asking:
        first = asking.submit(read, client)
        assert stalled.wait(10)
        try:
            second = asking.submit(read, client).result(timeout=10)  # answered while the first read stalls
        finally:
            resume.set()
        answers = [first.result(timeout=10), second]
    assert [answer.status_code for answer in answers] == [200, 200]
    assert [len(answer.json()["balances"]) for answer in answers] == [len(BALANCES)] * 2


def _balance_apps(engine: Engine) -> tuple[FastAPI, FastAPI]:
    """The settlements router as api.app includes it, with its direct reads first and without them."""
    apps = []
    for direct in (True, False):
        app = FastAPI()
        app.state.platform = SimpleNamespace(engine=engine)
        install_problem_handlers(app)
        app.include_router(settlements.router, prefix=API_PREFIX)
        if direct:
            app.router.routes[:0] = settlements.direct_reads(API_PREFIX)
        apps.append(app)
    return apps[0], apps[1]


def test_create_app_answers_balance_reads_first_by_their_direct_route() -> None:
    app = create_app(SimpleNamespace(transactions=None, indexer=None, sessions=None, instance=None))  # type: ignore[arg-type]
    first = app.router.routes[0]
    assert isinstance(first, auth.DirectRead) and first.path == f"{API_PREFIX}/accounts/{{address}}/balances"


def test_a_direct_read_answers_as_the_fastapi_route_does(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """Byte for byte, for every shape of request: those in the usual shape (a bearer key, a well-formed address)
    answered by the direct route, the rest by the route FastAPI declares, which also documents it unchanged."""
    revoked_id, revoked = _key(engine)
    with transaction(session_factory(engine)) as db:
        revoke_api_key(db, revoked_id)
    _, token = _key(engine)
    direct_app, fastapi_app = _balance_apps(engine)
    handled: list[str] = []
    handle = auth.DirectRead.handle

    async def counted(route: auth.DirectRead, scope: Any, receive: Any, send: Any) -> None:
        handled.append(scope["path"])
        await handle(route, scope, receive, send)

    monkeypatch.setattr(auth.DirectRead, "handle", counted)
    balances = f"{API_PREFIX}/accounts/{{}}/balances"
    asked: list[tuple[str, dict[str, str], bool]] = [  # path, headers, answered directly
        (balances.format(BANK), {"Authorization": f"Bearer {token}"}, True),
        (balances.format(BANK.lower()), {"Authorization": f"bearer  {token} "}, True),
        (balances.format(STRANGER), {"Authorization": f"Bearer {token}"}, True),  # not its account: 404
        (balances.format(BANK), {"Authorization": f"Bearer {revoked}"}, True),  # 401
        (balances.format(BANK), {"Authorization": f"Bearer {token[:-4]}AAAA"}, True),  # 401
        (balances.format("0x1234"), {"Authorization": f"Bearer {token}"}, False),  # 422
        (balances.format(BANK + "%0A"), {"Authorization": f"Bearer {token}"}, False),  # 422: `$` is no end here
        (balances.format(BANK), {}, False),  # 401
        (balances.format(BANK), {"Authorization": f"Basic {token}"}, False),  # 401
        (balances.format(BANK), {"Authorization": "Bearer "}, False),  # 401
        (balances.format(BANK), {"Cookie": f"{auth.session_cookie.model.name}={token}"}, False),  # a browser's
        (balances.format(BANK) + "/", {"Authorization": f"Bearer {token}"}, False),  # a redirect
    ]
    with TestClient(direct_app) as direct, TestClient(fastapi_app) as declared:
        for path, headers, directly in asked:
            before = len(handled)
            got = direct.get(path, headers=headers, follow_redirects=False)
            assert len(handled) - before == int(directly), path
            expected = declared.get(path, headers=headers, follow_redirects=False)
            assert (got.status_code, got.headers, got.content) == (
                expected.status_code, expected.headers, expected.content
            ), (path, headers)  # fmt: skip
        statuses = [direct.get(path, headers=headers, follow_redirects=False).status_code for path, headers, _ in asked]
        assert statuses == [200, 200, 404, 401, 401, 422, 422, 401, 401, 401, 200, 307]
        assert direct_app.openapi() == fastapi_app.openapi()
        assert direct_app.url_path_for("get_balances", address=BANK) == balances.format(BANK)


def test_balance_reads_are_answered_after_the_server_closed_their_connections(
    engine: Engine, database_url: str
) -> None:
    """The read threads hold their connections from one read to the next (store.db.held_read): after a PostgreSQL
    restart or an idle timeout closed them all, the next reads are answered on new ones, not failed."""
    if database_url.startswith("sqlite"):
        pytest.skip("a SQLite read holds no server connection")
    _, token = _key(engine)
    app, _ = _balance_apps(engine)
    read = partial(
        TestClient.get, url=f"{API_PREFIX}/accounts/{BANK}/balances", headers={"Authorization": f"Bearer {token}"}
    )
    others = text("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
    with TestClient(app) as client, ThreadPoolExecutor(8) as asking:
        assert {answer.status_code for answer in asking.map(read, [client] * 32)} == {200}
        with transaction(session_factory(engine)) as admin:
            held = admin.execute(others).scalars().all()
            for pid in held:
                admin.execute(select(func.pg_terminate_backend(pid)))
        with session_factory(engine)() as db:
            deadline = time.monotonic() + 10
            while set(held) & set(db.execute(others).scalars()):  # the backends exit a moment after they are told
                assert time.monotonic() < deadline
                time.sleep(0.01)
                db.rollback()
        answers = list(asking.map(read, [client] * 32))
    assert [answer.status_code for answer in answers] == [200] * 32
    assert {len(answer.json()["balances"]) for answer in answers} == {len(BALANCES)}


def test_the_read_threads_hand_back_answers_and_errors_and_outlive_a_cancelled_read() -> None:
    threads = auth.ReadThreads(2, "test-reads")
    release = threading.Event()

    def blocked() -> str:
        release.wait(10)
        return "late"

    def fails() -> str:
        raise AccountNotFoundError("no account")

    async def scenario() -> list[str]:
        waiting = asyncio.ensure_future(threads.run(blocked))
        await asyncio.sleep(0.05)
        waiting.cancel()  # its request went away: the answer that comes later is dropped
        answers = await asyncio.gather(*(threads.run(partial(str, n)) for n in range(20)))  # on the other thread
        release.set()
        with pytest.raises(AccountNotFoundError):
            await threads.run(fails)
        with pytest.raises(RuntimeError, match="StopIteration"):
            await threads.run(partial(next, iter(())))
        answers.append(await threads.run(lambda: threading.current_thread().name))
        return answers

    answers = asyncio.run(scenario())
    assert answers[:20] == [str(n) for n in range(20)] and answers[20].startswith("test-reads_")


def _asked_together(app: FastAPI, asked: list[tuple[str, str]]) -> list[httpx.Response]:
    """GETs of (path, bearer token) sent at once to the app, in one event loop: they reach it together."""

    async def send() -> list[httpx.Response]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
            return await asyncio.gather(
                *(client.get(path, headers={"Authorization": f"Bearer {token}"}) for path, token in asked)
            )

    return asyncio.run(send())


def _hops(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of reads each hop to a read thread carries from now on."""
    hops: list[int] = []
    run_all = auth._READ_THREADS.run_all

    def counted(loop: Any, futures: list[Any], reads: Any) -> None:
        hops.append(len(futures))
        run_all(loop, futures, reads)

    monkeypatch.setattr(auth._READ_THREADS, "run_all", counted)
    return hops


def _balances_path(account: str) -> str:
    return f"{API_PREFIX}/accounts/{account}/balances"


def test_reads_that_arrive_together_make_one_hop_and_one_statement(
    engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("a SQLite read runs on the event loop: no hop, no round trip")
    tokens = [_key(engine)[1] for _ in range(3)]
    app, _ = _balance_apps(engine)
    assert [r.status_code for r in _asked_together(app, [(_balances_path(BANK), t) for t in tokens])] == [200] * 3
    sent, hops = _statements(read_sessions(engine)), _hops(monkeypatch)
    engine.dispose()  # the read threads' connections checked out anew, under `_statements`' watch
    answers = _asked_together(app, [(_balances_path(BANK), tokens[n % 3]) for n in range(12)])
    assert [answer.status_code for answer in answers] == [200] * 12
    assert {answer.content for answer in answers} == {answers[0].content}
    assert [(b["currency"], b["amount"]) for b in answers[0].json()["balances"]] == [
        ("CNY", "31"), ("EUR", "250"), ("USD", "700")
    ]  # fmt: skip
    assert hops == [12] and len(sent) == 1  # every caller and every read's balances in one statement
    answers = _asked_together(app, [(_balances_path(BANK), tokens[0]) for _ in range(40)])
    assert [answer.status_code for answer in answers] == [200] * 40 and hops[1:] == [32, 8]  # at most 32 a hop


def test_reads_together_are_each_checked_and_answered_alone(engine: Engine) -> None:
    """Read together (PostgreSQL) or one by one (SQLite), each read gets the answer it gets alone: a revoked or
    expired key, a disabled user, a wrong token refused at once, an account the caller may not see not found, a
    token not verified yet verified, and the others answered."""
    tokens = {name: _key(engine)[1] for name in ("good", "revoked", "expired", "disabled", "new")}
    tokens["stranger"] = _key(engine, STRANGER)[1]
    tokens["wrong"] = tokens["good"][:-4] + "AAAA"
    direct_app, fastapi_app = _balance_apps(engine)
    verified = ["good", "revoked", "expired", "disabled", "stranger"]
    assert {
        r.status_code for r in _asked_together(direct_app, [(_balances_path(BANK), tokens[n]) for n in verified])
    } == {200, 404}
    with transaction(session_factory(engine)) as db:
        keys = {name: caller(db, token).key_id for name, token in tokens.items() if name != "wrong"}
        revoke_api_key(db, keys["revoked"])
        db.execute(
            update(ApiKey).where(ApiKey.id == keys["expired"]).values(expires_at=utcnow() - timedelta(seconds=1))
        )
        user_id = db.get_one(ApiKey, keys["disabled"]).user_id
        db.execute(update(User).where(User.id == user_id).values(disabled_at=utcnow()))
    asked = [(_balances_path(STRANGER if name == "stranger" else BANK), tokens[name]) for name in tokens] * 2
    answers = _asked_together(direct_app, asked)
    with TestClient(fastapi_app) as alone:
        expected = [alone.get(path, headers={"Authorization": f"Bearer {token}"}) for path, token in asked]
    assert [(a.status_code, a.content) for a in answers] == [(e.status_code, e.content) for e in expected]
    assert [answer.status_code for answer in answers[: len(tokens)]] == [200, 401, 401, 401, 200, 200, 401]


def test_a_statement_that_fails_for_reads_together_leaves_each_read_to_its_own(
    engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An error of the one statement that is not a lost connection (those are read again on a new one): each read
    then runs alone, and fails or is answered alone."""
    if database_url.startswith("sqlite"):
        pytest.skip("a SQLite read runs alone")
    good = _key(engine)[1]
    revoked_id, revoked = _key(engine)
    app, _ = _balance_apps(engine)
    asked = [(_balances_path(BANK), token) for token in (good, revoked, good)]
    assert [r.status_code for r in _asked_together(app, asked)] == [200] * 3
    with transaction(session_factory(engine)) as db:
        revoke_api_key(db, revoked_id)

    def fails(db: Session, _asked: list[tuple[str, Rows]]) -> list[CallerRows | AuthenticationError]:
        db.execute(text("SELECT 1/0"))
        raise AssertionError("unreachable")

    monkeypatch.setattr(auth, "callers_with", fails)
    assert [r.status_code for r in _asked_together(app, asked)] == [200, 401, 200]
