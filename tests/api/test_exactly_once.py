"""Exactly once over HTTP, on a dev chain of this module's own, on SQLite and PostgreSQL: the idempotency record
commits with the request's effect, retries compare the request's meaning, a write that cannot be confirmed in
time answers 202, and /v1/health and /v1/ready say why the service is degraded.

The tests run in file order on one chain; the last one rewinds the node and leaves it behind the database.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, create_engine, delete, event, func, select, update
from sqlalchemy.pool import QueuePool
from starlette.types import Receive, Scope, Send

from tests.conftest import POSTGRES_URL, _fresh_postgres_database
from tests.idempotency import age_incomplete_records, refused_completion, refused_rewrite
from tests.members import BANK, Consortium, api_keys, found
from tradeledger.api import idempotency
from tradeledger.api.app import create_app
from tradeledger.api.idempotency import READ_ONLY_POSTS, IdempotencyMiddleware, request_fingerprint
from tradeledger.chain.keys import dev_account
from tradeledger.codec import reference_bytes
from tradeledger.config import load_settings
from tradeledger.identity import instances
from tradeledger.identity.models import ApiKey, IdempotencyRecord, ServiceInstance
from tradeledger.identity.service import authenticate, create_api_key, revoke_api_key
from tradeledger.runtime import Platform, open_platform
from tradeledger.settlements.models import LedgerPosting
from tradeledger.store.base import utcnow
from tradeledger.store.db import make_engine, session_factory, transaction
from tradeledger.store.models import ChainTransaction, SignerNonce
from tradeledger.users.models import ApprovalPolicy, ApprovalRequest, AuditEntry

TRADER = dev_account(3)
WRITE_TIMEOUT_S = 5.0
DEPOSITS = f"/v1/accounts/{TRADER.address}/deposits"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Consortium]:
    """BANK sponsors TRADER; API keys for both. Writes answer 202 after WRITE_TIMEOUT_S."""
    drop = None
    url = None
    if request.param == "postgresql":
        if not POSTGRES_URL:
            pytest.skip("TRADELEDGER_TEST_DATABASE_URL is not set")
        url, drop = _fresh_postgres_database(POSTGRES_URL, migrated=True)
    data = Path(tmp_path_factory.mktemp("exactly-once")) / "data"
    settings = load_settings(data_dir=data, database_url=url, write_timeout_s=WRITE_TIMEOUT_S, _env_file=None)
    platform = open_platform(settings)
    try:
        found(platform, traders=(TRADER,))
        yield Consortium(platform, api_keys(platform, {"bank": BANK, "trader": TRADER}))
    finally:
        platform.close()
        if drop is not None:
            drop()


def _deposit(reference: str, amount: int = 100) -> dict[str, Any]:
    return {"currency": "USD", "amount": amount, "reference": reference}


def _postings(platform: Platform, reference: str) -> int:
    """Ledger entries on chain (as indexed) that carry `reference`."""
    platform.indexer.catch_up()
    with platform.sessions() as db:
        return int(
            db.scalar(
                select(func.count())
                .select_from(LedgerPosting)
                .where(LedgerPosting.reference == "0x" + reference_bytes(reference).hex())
            )
            or 0
        )


def _outbox_rows(platform: Platform) -> int:
    with platform.sessions() as db:
        return int(db.scalar(select(func.count()).select_from(ChainTransaction)) or 0)


def _mined(world: Consortium, client: TestClient, location: str) -> dict[str, Any]:
    """The operation at `location` once final (this platform runs no confirmer of its own: wait for it here)."""
    world.platform.transactions.wait(location.rsplit("/", 1)[1], timeout=60)
    operation: dict[str, Any] = client.get(location).json()
    return operation


def _client(world: Consortium, who: str) -> TestClient:
    client = TestClient(create_app(world.platform), raise_server_exceptions=False)
    client.headers["Authorization"] = f"Bearer {world.tokens[who]}"
    return client


class TestCrashBetweenEffectAndAnswer:
    def test_a_retry_after_a_failed_completion_gets_the_202_not_a_second_payment(self, world: Consortium) -> None:
        bank = _client(world, "bank")
        headers = {"Idempotency-Key": "lost-answer-1"}
        with refused_completion(world.platform):
            first = bank.post(DEPOSITS, json=_deposit("LOST-ANSWER-1"), headers=headers)
        assert first.status_code == 503, first.text  # the effect committed, the answer could not be recorded
        assert first.json()["code"] == "idempotency_record_unavailable"
        rows = _outbox_rows(world.platform)
        age_incomplete_records(
            world.platform.sessions
        )  # as after a crash, long ago: the record is still never run again

        retry = bank.post(DEPOSITS, json=_deposit("LOST-ANSWER-1"), headers=headers)
        assert retry.status_code == 202, retry.text
        operation = retry.json()
        assert retry.headers["location"] == f"/v1/transactions/{operation['id']}"
        assert operation["function"] == "issue" and operation["signer"] == BANK.address
        assert _mined(world, bank, retry.headers["location"])["state"] == "mined"
        assert _outbox_rows(world.platform) == rows
        assert _postings(world.platform, "LOST-ANSWER-1") == 1

    def test_a_202_asked_for_is_final_with_the_outbox_row(self, world: Consortium) -> None:
        """`Prefer: respond-async`: the 202 stored with the outbox row is the request's answer, completed there;
        nothing is left to commit after the effect, so a database that refuses any later change of the record
        does not turn it into a 503, and a retry gets the same bytes."""
        bank = _client(world, "bank")
        headers = {"Idempotency-Key": "asked-202-1", "Prefer": "respond-async"}
        with refused_rewrite(world.platform):
            first = bank.post(DEPOSITS, json=_deposit("ASKED-202-1"), headers=headers)
        assert first.status_code == 202, first.text
        with world.platform.sessions() as db:
            record = db.scalars(select(IdempotencyRecord).where(IdempotencyRecord.key == "asked-202-1")).one()
            assert record.completed and record.status == 202
            assert record.transaction_id == first.json()["id"]
        retry = bank.post(DEPOSITS, json=_deposit("ASKED-202-1"), headers=headers)
        assert (retry.status_code, retry.content, retry.headers["location"]) == (
            202, first.content, first.headers["location"],
        )  # fmt: skip
        assert _mined(world, bank, first.headers["location"])["state"] == "mined"
        assert _postings(world.platform, "ASKED-202-1") == 1

    def test_a_new_key_is_inserted_without_reading_its_record_first(
        self, world: Consortium, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A new key's look-up is the caller and the insert (a round trip each on a server); only a key that
        already has a record reads it, and its retry still gets the stored 202."""
        reads: list[dict[str, Any]] = []
        find = idempotency._find
        monkeypatch.setattr(idempotency, "_find", lambda db, keyed: reads.append(keyed) or find(db, keyed))
        bank = _client(world, "bank")
        headers = {"Idempotency-Key": "insert-first-1", "Prefer": "respond-async"}
        first = bank.post(DEPOSITS, json=_deposit("INSERT-FIRST-1"), headers=headers)
        assert first.status_code == 202, first.text
        assert reads == []
        retry = bank.post(DEPOSITS, json=_deposit("INSERT-FIRST-1"), headers=headers)
        assert (retry.status_code, retry.content) == (202, first.content)
        assert [keyed["key"] for keyed in reads] == ["insert-first-1"]
        assert _mined(world, bank, first.headers["location"])["state"] == "mined"
        assert _postings(world.platform, "INSERT-FIRST-1") == 1

    def test_the_onboarded_traders_api_key_survives_a_failed_completion(self, world: Consortium) -> None:
        bank = _client(world, "bank")
        headers = {"Idempotency-Key": "lost-onboarding-1"}
        with refused_completion(world.platform):
            first = bank.post("/v1/members/traders", json={"label": "Lost Tea Co."}, headers=headers)
        assert first.status_code == 503, first.text
        retry = bank.post("/v1/members/traders", json={"label": "Lost Tea Co."}, headers=headers)
        assert retry.status_code == 202, retry.text
        onboarded = retry.json()
        assert retry.headers["location"] == f"/v1/members/{onboarded['member']['address']}"
        trader = _client(world, "bank")
        trader.headers["Authorization"] = f"Bearer {onboarded['api_key']}"
        assert trader.get(f"/v1/members/{onboarded['member']['address']}").status_code == 200

    def test_a_database_only_write_commits_its_answer_with_its_rows(self, world: Consortium) -> None:
        """A statement is written once: its answer is in the record before the record is completed."""
        world.platform.closed_until()
        bank = _client(world, "bank")
        today = utcnow().date().isoformat()
        body = {"account": BANK.address, "currency": "USD", "format": "json", "date_from": today}
        headers = {"Idempotency-Key": "lost-statement-1"}
        with refused_completion(world.platform):
            first = bank.post("/v1/statements", json=body, headers=headers)
        assert first.status_code == 503, first.text
        age_incomplete_records(world.platform.sessions)
        retry = bank.post("/v1/statements", json=body, headers=headers)
        assert retry.status_code == 201, retry.text
        assert retry.headers["location"] == f"/v1/statements/{retry.json()['id']}"
        assert len(bank.get("/v1/statements").json()["items"]) == 1


@contextmanager
def statements() -> Iterator[list[str]]:
    """The SQL of every statement sent on any engine meanwhile (the reads' pool too): SQLite's as SQLAlchemy sends
    them, PostgreSQL's as psycopg sends them (also those run on the driver's cursor: store.reads.fetch)."""
    sent: list[str] = []

    def record(conn: Connection, _cursor: object, statement: str, *_: object) -> None:
        if conn.dialect.name != "postgresql":
            sent.append(" ".join(statement.split()))

    def sending(method: Callable[..., Any]) -> Callable[..., Any]:
        def send(cursor: psycopg.Cursor[Any], query: Any, *args: Any, **kwargs: Any) -> Any:
            sent.append(" ".join(str(query).split()))
            return method(cursor, query, *args, **kwargs)

        return send

    execute, executemany = psycopg.Cursor.execute, psycopg.Cursor.executemany
    event.listen(Engine, "before_cursor_execute", record)
    psycopg.Cursor.execute, psycopg.Cursor.executemany = sending(execute), sending(executemany)  # type: ignore[method-assign]
    try:
        yield sent
    finally:
        psycopg.Cursor.execute, psycopg.Cursor.executemany = execute, executemany  # type: ignore[method-assign]
        event.remove(Engine, "before_cursor_execute", record)


class TestApprovalCheckAndAnswerStatements:
    """A write's approval check reads nothing more when its member has no policy at all (the record's insert said
    so), and on PostgreSQL its 202 and its audit entry are one statement of the outbox transaction."""

    def _audit(self, world: Consortium, key: str) -> list[str]:
        with world.platform.sessions() as db:
            return list(db.scalars(select(AuditEntry.outcome).where(AuditEntry.request == key)))

    def test_a_member_without_policies_is_not_checked_again_and_its_answer_is_audited(self, world: Consortium) -> None:
        bank = _client(world, "bank")
        assert bank.get(f"/v1/accounts/{BANK.address}/balances").status_code == 200  # its token verified here
        headers = {"Idempotency-Key": "no-policy-1", "Prefer": "respond-async"}
        with statements() as sent:
            first = bank.post(DEPOSITS, json=_deposit("NO-POLICY-1"), headers=headers)
        assert first.status_code == 202, first.text
        inserts = [sql for sql in sent if "INSERT INTO idempotency_records" in sql]
        assert len(inserts) == 1 and "approval_policies" in inserts[0]  # the member's policies, with the record
        assert not [sql for sql in sent if sql.startswith("SELECT") and "approval_policies" in sql]
        together = world.platform.engine.dialect.name == "postgresql"
        # on PostgreSQL the caller's key is read in the insert's statement (one round trip, not two); SQLite's look-up
        # of it runs past SQLAlchemy, unseen here
        assert [sql for sql in sent if "FROM api_keys" in sql] == (inserts if together else [])
        answers = [sql for sql in sent if "UPDATE idempotency_records" in sql]
        audits = [sql for sql in sent if "INSERT INTO audit_entries" in sql]
        assert len(answers) == len(audits) == 1
        assert (answers == audits) is together  # one statement on PostgreSQL (one round trip), two on SQLite
        assert self._audit(world, "no-policy-1") == [f"202 committed as transaction {first.json()['id']}"]
        retry = bank.post(DEPOSITS, json=_deposit("NO-POLICY-1"), headers=headers)
        assert (retry.status_code, retry.content) == (202, first.content)
        assert _mined(world, bank, first.headers["location"])["state"] == "mined"
        assert _postings(world.platform, "NO-POLICY-1") == 1

    def test_a_member_with_a_policy_is_checked_and_held_from_the_next_request_on(self, world: Consortium) -> None:
        """A policy committed before a request is received applies to it: the record's insert sees it."""
        policy = ApprovalPolicy(id="policy-exactly-once", member=BANK.address, operation="settlements.deposit",
                                currency="USD", threshold=1_000, approvals=1, approver_roles=["checker"],
                                created_by="test")  # fmt: skip
        with transaction(world.platform.sessions) as db:
            db.add(policy)
        bank = _client(world, "bank")
        try:
            with statements() as sent:
                below = bank.post(DEPOSITS, json=_deposit("POLICY-BELOW-1"),
                                  headers={"Idempotency-Key": "policy-below-1", "Prefer": "respond-async"})  # fmt: skip
            assert below.status_code == 202 and below.headers["location"].startswith("/v1/transactions/"), below.text
            assert [sql for sql in sent if sql.startswith("SELECT") and "approval_policies" in sql]
            above = bank.post(DEPOSITS, json=_deposit("POLICY-ABOVE-1", amount=5_000),
                              headers={"Idempotency-Key": "policy-above-1", "Prefer": "respond-async"})  # fmt: skip
            assert above.status_code == 202 and above.headers["location"].startswith("/v1/approvals/"), above.text
            assert self._audit(world, "policy-above-1") == ["202 committed"]
            assert _mined(world, bank, below.headers["location"])["state"] == "mined"
        finally:
            with transaction(world.platform.sessions) as db:
                db.execute(delete(ApprovalRequest).where(ApprovalRequest.policy_id == policy.id))
                db.execute(delete(ApprovalPolicy).where(ApprovalPolicy.id == policy.id))
        assert _postings(world.platform, "POLICY-ABOVE-1") == 0


class TestRefusedCaller:
    @pytest.mark.parametrize("change", ["revoked", "expired"])
    def test_a_key_refused_since_its_last_write_is_refused_at_once_and_writes_nothing(
        self, world: Consortium, change: str
    ) -> None:
        """The look-up reads the key's row with every write (on PostgreSQL in the insert's statement): a key revoked
        or expired after a write of this process answers 401 at its next write, which leaves no record, no row."""
        with transaction(world.platform.sessions) as db:
            key, token = create_api_key(db, BANK.address, f"refused-{change}")
        client = TestClient(create_app(world.platform), raise_server_exceptions=False)
        client.headers["Authorization"] = f"Bearer {token}"
        async_ = {"Prefer": "respond-async"}
        first = client.post(DEPOSITS, json=_deposit(f"REFUSED-{change}-1"),
                            headers={"Idempotency-Key": f"refused-{change}-1", **async_})  # fmt: skip
        assert first.status_code == 202, first.text
        with transaction(world.platform.sessions) as db:
            if change == "revoked":
                revoke_api_key(db, key.id)
            else:
                db.execute(update(ApiKey).where(ApiKey.id == key.id).values(expires_at=utcnow() - timedelta(seconds=1)))
        rows = _outbox_rows(world.platform)
        refused = client.post(DEPOSITS, json=_deposit(f"REFUSED-{change}-2"),
                              headers={"Idempotency-Key": f"refused-{change}-2", **async_})  # fmt: skip
        assert refused.status_code == 401, refused.text
        assert _outbox_rows(world.platform) == rows
        with world.platform.sessions() as db:
            assert db.scalar(select(func.count()).where(IdempotencyRecord.api_key_id == key.id)) == 1
        assert _mined(world, _client(world, "bank"), first.headers["location"])["state"] == "mined"


class TestCrashedProcess:
    """An answerless record is a request whose process has not committed anything yet: run it again once that
    process is dead (at once after a crash and restart), never while it lives (another API worker)."""

    def _in_flight(self, world: Consortium, key: str, body: dict[str, Any], owner: str) -> None:
        fingerprint = request_fingerprint("POST", DEPOSITS, b"", "application/json", json.dumps(body).encode())
        with transaction(world.platform.sessions) as db:
            api_key = authenticate(db, world.tokens["bank"])
            db.add(IdempotencyRecord(api_key_id=api_key.id, key=key, fingerprint=fingerprint, owner=owner,
                                     created_at=utcnow() - timedelta(minutes=1)))  # fmt: skip

    def test_a_dead_process_request_runs_again_at_once(self, world: Consortium) -> None:
        with transaction(world.platform.sessions) as db:
            db.add(ServiceInstance(id="killed-process", seen_at=utcnow() - timedelta(minutes=1)))
        body = _deposit("CRASHED-1")
        self._in_flight(world, "crashed-1", body, owner="killed-process")
        response = _client(world, "bank").post(DEPOSITS, json=body, headers={"Idempotency-Key": "crashed-1"})
        assert response.status_code == 200, response.text
        assert _postings(world.platform, "CRASHED-1") == 1

    def test_a_live_process_request_stays_in_flight(self, world: Consortium) -> None:
        other_worker = instances.register(world.platform.sessions)
        body = _deposit("LIVE-1")
        self._in_flight(world, "live-1", body, owner=other_worker)
        instances.heartbeat(world.platform.sessions, other_worker)  # live: it beats every 2 s, however slow this test
        response = _client(world, "bank").post(DEPOSITS, json=body, headers={"Idempotency-Key": "live-1"})
        assert response.status_code == 409
        assert response.json()["code"] == "idempotency_request_in_flight"
        assert _postings(world.platform, "LIVE-1") == 0


class TestDatabaseGoneUnderALiveProcess:
    """Issue #15's PostgreSQL restart: the database went away while the process lived on. A request it failed is
    answered 503, never 500; and once the database is back, the retry runs a request whose record could not be
    completed, instead of answering 409 "in flight" for good (the process that owns the record is alive)."""

    def test_a_request_whose_record_could_not_be_completed_runs_again(self, world: Consortium) -> None:
        bank = _client(world, "bank")
        headers = {"Idempotency-Key": "db-gone-1"}
        body = {**_deposit("DB-GONE-1"), "currency": "XTS"}  # refused (a testing code, not money): nothing commits
        with refused_completion(world.platform):
            first = bank.post(DEPOSITS, json=body, headers=headers)
        assert first.status_code == 503 and first.json()["code"] == "idempotency_record_unavailable", first.text
        retry = bank.post(DEPOSITS, json=body, headers=headers)
        assert retry.status_code == 422, retry.text  # run again: the route's own answer, not 409 in flight
        again = bank.post(DEPOSITS, json=body, headers=headers)
        assert (again.status_code, again.content) == (422, retry.content)  # and now recorded

    def test_the_heartbeat_releases_only_records_no_request_serves(self, world: Consortium) -> None:
        """Another API worker sees such a record released by its owner's heartbeat; a record whose id a newer
        request runs under (SQLite may give an id again) stays."""
        platform = world.platform
        with transaction(platform.sessions) as db:
            api_key = authenticate(db, world.tokens["bank"])
            records = [IdempotencyRecord(api_key_id=api_key.id, key=f"orphan-{n}", fingerprint="0" * 64,
                                         owner=platform.instance) for n in (1, 2)]  # fmt: skip
            db.add_all(records)
            db.flush()
            orphan, served = (record.id for record in records)
        for record_id in (orphan, served):  # both requests ended without completing their records
            instances.begin_serving(platform.instance, record_id)
            instances.end_serving(platform.instance, record_id, completed=False)
        instances.begin_serving(platform.instance, served)  # a newer request runs under `served`
        try:
            instances.heartbeat(platform.sessions, platform.instance)
            with platform.sessions() as db:
                assert db.get(IdempotencyRecord, orphan) is None
                assert db.get(IdempotencyRecord, served) is not None
        finally:
            instances.end_serving(platform.instance, served, completed=True)
        assert instances.release_orphans(platform.sessions, platform.instance) == 0


def _unavailable_answer(engine: Engine, reference: str) -> dict[str, Any]:
    """What the idempotency middleware answers when its own look-up cannot reach the database: a 503 problem,
    and the route is never reached."""
    reached: list[str] = []

    async def route(scope: Scope, receive: Receive, send: Send) -> None:
        reached.append(scope["path"])

    app = IdempotencyMiddleware(route, sessions=lambda: session_factory(engine), instance=lambda: "this-process")
    headers = {"Authorization": "Bearer some-key", "Idempotency-Key": reference.lower()}
    response = TestClient(app, raise_server_exceptions=False).post(DEPOSITS, json=_deposit(reference), headers=headers)
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "database_unavailable"
    assert reached == []
    problem: dict[str, Any] = response.json()
    return problem


def test_an_unreachable_database_answers_503_not_500(tmp_path: Path) -> None:
    """The idempotency look-up itself fails (the database refuses connections): 503 problem+json, retryable."""
    engine = make_engine(f"sqlite:///{tmp_path / 'no-such-folder' / 'tradeledger.db'}")
    _unavailable_answer(engine, "DB-DOWN-1")
    engine.dispose()


def test_a_pool_with_no_free_connection_answers_503_not_500(tmp_path: Path) -> None:
    """Under load every pooled connection can stay busy for the pool's whole timeout: SQLAlchemy's pool raises its
    own TimeoutError (no driver error behind it). That is the database unavailable too, 503 and retryable."""
    engine = create_engine(f"sqlite:///{tmp_path / 'tradeledger.db'}", poolclass=QueuePool, pool_size=1,
                           max_overflow=0, pool_timeout=0.05)  # fmt: skip
    with engine.connect():  # the pool's only connection, held by another request
        problem = _unavailable_answer(engine, "POOL-BUSY-1")
    engine.dispose()
    assert "TimeoutError" in problem["detail"]


class TestMeaningNotBytes:
    def test_reordered_keys_and_spacing_are_the_same_request(self, world: Consortium) -> None:
        bank = _client(world, "bank")
        headers = {"Idempotency-Key": "canonical-1", "Content-Type": "application/json"}
        compact = json.dumps(_deposit("CANONICAL-1"), separators=(",", ":")).encode()
        spaced = json.dumps(dict(reversed(list(_deposit("CANONICAL-1").items()))), indent=4).encode()
        first = bank.post(DEPOSITS, content=compact, headers=headers)
        again = bank.post(DEPOSITS, content=spaced, headers=headers)
        assert first.status_code == again.status_code == 200, again.text
        assert again.content == first.content
        other = bank.post(DEPOSITS, content=json.dumps(_deposit("CANONICAL-1", 101)).encode(), headers=headers)
        assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
        assert _postings(world.platform, "CANONICAL-1") == 1


def _rpc(platform: Platform, method: str, *params: object) -> Any:
    return platform.transactions.rpc.call(method, list(params))


@contextmanager
def mining_stopped(platform: Platform) -> Iterator[None]:
    _rpc(platform, "evm_setAutomine", False)
    _rpc(platform, "evm_setIntervalMining", 0)
    try:
        yield
    finally:
        _rpc(platform, "evm_setIntervalMining", 1)


@contextmanager
def stuck_after(platform: Platform, seconds: float) -> Iterator[None]:
    settings = platform.settings
    platform.settings = settings.model_copy(update={"stuck_signer_after_s": seconds})
    try:
        yield
    finally:
        platform.settings = settings


def _problems(client: TestClient) -> dict[str, list[str]]:
    health = client.get("/v1/health")
    assert health.status_code == 200, health.text
    found: dict[str, list[str]] = {}
    for problem in health.json()["problems"]:
        found.setdefault(problem["name"], []).append(problem["reason"])
    assert health.json()["status"] == ("degraded" if found else "ok")
    return found


class TestNoRequestHangs:
    def test_a_write_the_chain_does_not_mine_answers_202_with_the_operation_url(self, world: Consortium) -> None:
        bank = _client(world, "bank")
        headers = {"Idempotency-Key": "unmined-1"}
        with mining_stopped(world.platform):
            response = bank.post(DEPOSITS, json=_deposit("UNMINED-1"), headers=headers)
            assert response.status_code == 202, response.text
            operation = response.json()
            assert response.headers["location"] == f"/v1/transactions/{operation['id']}"
            assert operation["state"] == "sent" and operation["block_number"] is None
            retry = bank.post(DEPOSITS, json=_deposit("UNMINED-1"), headers=headers)
            assert (retry.status_code, retry.content) == (202, response.content)
            with stuck_after(world.platform, 0.001):
                problems = _problems(bank)
                assert any(BANK.address in reason for reason in problems["signer_stuck"]), problems
                ready = bank.get("/v1/ready")
                assert ready.status_code == 503 and ready.headers["content-type"] == "application/problem+json"
                assert "signer_stuck" in {error["name"] for error in ready.json()["errors"]}
        assert _mined(world, bank, response.headers["location"])["state"] == "mined"
        assert _postings(world.platform, "UNMINED-1") == 1

    def test_every_write_documents_its_202(self, world: Consortium) -> None:
        spec = create_app(world.platform).openapi()
        database_only = {"/v1/statements", "/v1/reconciliations"}
        for path, operations in spec["paths"].items():
            post = operations.get("post")
            database_write = path in database_only or "/breaks/" in path or path.startswith("/v1/webhooks/")
            database_write |= path.startswith(("/v1/users", "/v1/approval-policies", "/v1/me/", "/v1/security-policy"))
            database_write |= path in {"/v1/approvals/{request_id}/reject", "/v1/sessions"}
            if post is None or path.removeprefix("/v1") in READ_ONLY_POSTS or database_write:
                continue
            assert "202" in post["responses"], path
            assert "TRADELEDGER_WRITE_TIMEOUT_S" in post["responses"]["202"]["description"], path


class TestReadYourWritesAcrossAResend:
    def test_a_document_whose_block_the_node_lost_is_pending_on_chain_not_404(self, world: Consortium) -> None:
        """Answered 201, then the node loses the block (restarted from an older state): until the manager has sent
        the stored bytes again and the block is indexed, reading the document answers 503 pending_on_chain (it
        answered 404, as if the acknowledged write never happened); then 200 with the same document."""
        platform = world.platform
        bank = _client(world, "bank")
        platform.indexer.catch_up()
        snapshot = _rpc(platform, "evm_snapshot")
        fields = {"seller_id": "5493001KJTIIGC8Y1R12", "buyer_id": "DE-HRB-1234", "invoice_number": "INV-RESENT-1",
                  "issue_date": "2026-11-20", "amount": 40_000, "currency": "USD"}  # fmt: skip
        body = {"kind": "invoice", "fields": fields, "owner": TRADER.address, "currency": "USD", "face_value": 40_000}
        created = bank.post("/v1/documents", json=body, headers={"Idempotency-Key": "resent-document-1"})
        assert created.status_code == 201, created.text
        path = f"/v1/documents/{created.json()['document_id']}"
        assert _rpc(platform, "evm_revert", snapshot) is True
        platform.indexer.run_once()  # its checkpoint's block is gone: the read model rolls back, the write reopens

        lost, signed = ChainTransaction.lost_block.is_not(None), ChainTransaction.state == "SIGNED"
        with platform.sessions() as db:
            reopened = list(db.scalars(select(ChainTransaction.id).where(lost, signed)))
        assert reopened
        pending = bank.get(path)
        assert pending.status_code == 503, pending.text
        assert pending.json()["code"] == "pending_on_chain" and "sent again" in pending.json()["detail"]
        time.sleep(2.1)  # UNSENT_GRACE: the confirmer's next pass sends them (this platform runs no confirmer)
        platform.transactions.confirm_pending()
        for row_id in reopened:
            platform.transactions.wait(row_id, timeout=30)
        assert bank.get(path).status_code == 503  # mined again, not indexed yet: still pending, not 404
        platform.indexer.catch_up()
        again = bank.get(path)
        assert again.status_code == 200, again.text
        assert again.json()["document_id"] == created.json()["document_id"]
        assert bank.get("/v1/documents/999999").status_code == 404  # nothing pending: a missing one is 404 again


def _shift_next_nonce(platform: Platform, by: int) -> None:
    with transaction(platform.sessions) as db:
        row = db.get(SignerNonce, BANK.address)
        assert row is not None
        row.next_nonce += by


class TestHealth:
    def test_healthy_when_caught_up(self, world: Consortium) -> None:
        world.platform.indexer.catch_up()
        bank = _client(world, "bank")
        assert _problems(bank) == {}
        assert bank.get("/v1/ready").status_code == 200

    def test_an_indexer_behind_the_node(self, world: Consortium) -> None:
        _rpc(world.platform, "anvil_mine", hex(world.platform.settings.indexer_lag_blocks + 10))
        bank = _client(world, "bank")
        assert "indexer_behind" in _problems(bank)
        assert bank.get("/v1/ready").json()["code"] == "not_ready"
        world.platform.indexer.catch_up()
        assert "indexer_behind" not in _problems(bank)

    def test_a_nonce_gap_nothing_will_fill(self, world: Consortium) -> None:
        """The database's next nonce above the node's count, no stored transaction for the gap (issue #15)."""
        bank = _client(world, "bank")
        world.platform.indexer.catch_up()
        _shift_next_nonce(world.platform, 3)
        try:
            reasons = _problems(bank)["signer_stuck"]
            assert any(BANK.address in reason and "no stored transaction" in reason for reason in reasons), reasons
        finally:
            _shift_next_nonce(world.platform, -3)
        assert _problems(bank) == {}

    def test_a_node_behind_the_database(self, world: Consortium) -> None:
        """Last: the node is rewound below blocks the read model and the outbox hold (a node restarted from an
        older state)."""
        bank = _client(world, "bank")
        snapshot = _rpc(world.platform, "evm_snapshot")
        assert (
            bank.post(DEPOSITS, json=_deposit("REWOUND-1"), headers={"Idempotency-Key": "rewound-1"}).status_code == 200
        )
        _rpc(world.platform, "anvil_mine", hex(10))
        world.platform.indexer.catch_up()
        with mining_stopped(world.platform):
            assert _rpc(world.platform, "evm_revert", snapshot) is True
            reasons = _problems(bank)["node_behind_database"]
            assert "node's head" in reasons[0]
            assert "node_behind_database" in {e["name"] for e in bank.get("/v1/ready").json()["errors"]}
