"""The crash-safe transaction manager: outbox, database nonces, sign-and-store before broadcast, a confirmer.

Every request follows one path (the Chainlink / FireFly pattern, reliability checklist B):

1. pre-flight (`preflight.py`): a revert becomes a named custom error and no nonce is spent;
2. in one database transaction, the request's business rows and its outbox rows: the signer's next nonces are
   allocated under a per-signer lock, the calls signed locally, the raw bytes and hashes stored;
3. broadcast the stored bytes; "already known" is acceptance, "nonce too low" is resolved by the receipt of
   the stored hash (reliability checklist B4);
4. receipts are recorded as blocks mine them, read by block (`receipts.py`), never one call per transaction;
   the confirmer re-sends stored bytes the node does not hold (its pending nonce count says so) and gap-fills
   the nonce of a transaction rejected for good. Nothing here asks the node for a transaction by hash
   (`eth_getTransactionByHash` is not among the methods checklist D5 allows the service).

Concurrent requests of one signer go through these steps together (group commit): pre-flight batches, then one
database transaction and nonce range and one broadcast batch per group of what they passed, while each request
keeps its own outcome. The next requests are pre-flighted while the previous group is stored.

A crash anywhere leaves either nothing (before the commit of step 2) or a stored signed transaction that the
next `recover()` sends again, byte for byte: one request never becomes two transactions.

A manager that does not sign (`signs=False`: API workers, and `serve` once its own engine runs) stops after step
1: it commits the request's outbox rows REQUESTED (call data and gas limit, no nonce) with its business rows, and
the engine, the one process that signs, claims them (`claim_requested`): nonces, signatures and the SIGNED state
in one transaction, then step 3 as above. A worker killed after its commit leaves rows the engine still claims;
an engine killed after the claim's commit leaves SIGNED rows that `recover()` sends byte for byte; killed before
it, the rows are still REQUESTED and no nonce was taken.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
import zlib
from collections import deque
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import islice
from typing import Any

from eth_account.signers.local import LocalAccount
from sqlalchemy import ColumnElement, and_, bindparam, false, func, insert, or_, select, text, update
from sqlalchemy.orm import Session, configure_mappers, sessionmaker

from tradeledger.chain.abi import checksum, load_abi
from tradeledger.chain.preflight import Preflight
from tradeledger.chain.receipts import ReceiptWatch
from tradeledger.chain.rpc import JsonRpc, RpcError, SendFailure, classify_send_error
from tradeledger.chain.signing import LegacySigner
from tradeledger.errors import (
    ChainUnavailableError,
    TradeLedgerError,
    TransactionRejectedError,
    TransactionRevertedError,
)
from tradeledger.loops import PollingLoop
from tradeledger.store.base import table_of, utcnow
from tradeledger.store.db import read_session, transaction
from tradeledger.store.models import FINAL_TX_STATES, ChainTransaction, SignerNonce, TxState
from tradeledger.store.wakeups import announce

log = logging.getLogger(__name__)

MAX_SEND_ATTEMPTS = 5  # an unknown send error is retried this often, then the nonce is gap-filled
SELF_TRANSFER_GAS = 21_000
GROUP_MAX_CALLS = 200  # per group commit: one JSON-RPC batch below Besu's limits, one bounded transaction
WRITER_LINGER_S = 5.0  # a signer's writer thread ends after this long without requests
PIPELINE_DEPTH = 2  # stored groups waiting for the sender: stored and signed, not yet sent
# The confirmer's pass re-sends what was never accepted, was dropped or is held back; receipts are recorded as
# blocks mine them (the receipt watch), so it need not run often.
CONFIRMER_INTERVAL_S = 1.0
UNSENT_GRACE = timedelta(seconds=2)  # a writer sends what it stored within milliseconds; older, it was left behind
IN_CLAUSE_LIMIT = 500
# A re-send of transactions the chain lost waits, where the signer changes, for the previous signer's last one to be
# mined (a barrier), at most this long; what is left is sent by the next confirmer pass, in the same order.
BARRIER_TIMEOUT_S = 30.0
BARRIER_POLL_S = 0.05
# At start, our transactions mined this close to the node's head have their blocks checked against the node:
# the dev chain loses at most its last few seconds of blocks on a crash, a QBFT chain none.
RECENT_BLOCKS = 1024
SEND_ORDER = (ChainTransaction.created_at, ChainTransaction.nonce)  # re-sends keep the order of first submission
OPEN_TX_STATES = (TxState.SIGNED, TxState.SENT)
OUTBOX = table_of(ChainTransaction)  # executemany updates, past the ORM
OUTBOX_ROW_OPEN = or_(*(OUTBOX.c.state == state for state in OPEN_TX_STATES))  # executemany takes no IN lists
REQUESTED_OLDEST_FIRST = (  # what a claim signs, and what the broadcast of a claimed row reads (7 µs a row less
    # than the whole row, whose time stamps and state the driver's results are converted for). Read before the
    # claim's write transaction, without a lock: CLAIM_SIGNED takes only rows still REQUESTED.
    select(OUTBOX.c.id, OUTBOX.c.signer, OUTBOX.c.to_address, OUTBOX.c.calldata, OUTBOX.c.gas_limit, OUTBOX.c.attempts)
    .where(OUTBOX.c.state == TxState.REQUESTED)
    .order_by(OUTBOX.c.created_at, OUTBOX.c.call_index)
    .limit(GROUP_MAX_CALLS)
)
# The executemany updates of the hot path, built once with every changing value bound: built per call (with the
# time as a literal), SQLAlchemy spent more per row matching the new statement's parameters to its cached
# compilation than SQLite spent updating the row (profiled: 7 of every 8 µs of a claim's update).
CLAIM_SIGNED = (  # a row no longer REQUESTED (claimed by another engine meanwhile) is left alone; the claim sees it
    update(OUTBOX)
    .where(OUTBOX.c.id == bindparam("row_id"), OUTBOX.c.state == TxState.REQUESTED)
    .values(
        nonce=bindparam("signed_nonce"),
        state=TxState.SIGNED,
        raw_tx=bindparam("raw"),
        tx_hash=bindparam("signed_hash"),
        updated_at=bindparam("now"),
    )
)
RECORD_SENT = (  # a row final meanwhile (mined!) stays final. One statement for a send batch's accepted rows: as an
    # executemany, SQLAlchemy built and bound each row's parameters (half the claim sender's database time, py-spy)
    update(OUTBOX)
    .where(OUTBOX.c.id.in_(bindparam("row_ids", expanding=True)), OUTBOX_ROW_OPEN)
    .values(
        state=TxState.SENT,
        attempts=OUTBOX.c.attempts + 1,
        error_code=None,
        error_detail=None,
        updated_at=bindparam("now"),
    )
)
OPEN_BY_HASH = (  # the receipt watch's look-up of the mined hashes that are ours, past the ORM's statement handling
    select(OUTBOX.c.tx_hash, OUTBOX.c.id).where(
        OUTBOX.c.tx_hash.in_(bindparam("hashes", expanding=True)), OUTBOX_ROW_OPEN
    )
)
SIGNER_NONCES = table_of(SignerNonce)
NEXT_NONCES = select(SIGNER_NONCES.c.signer, SIGNER_NONCES.c.next_nonce).where(  # what a claim expects to take
    SIGNER_NONCES.c.signer.in_(bindparam("signers", expanding=True))
)
TAKE_NONCES = (  # a signer's next nonces in one statement: loaded and flushed through the ORM, a fifth of a claim's CPU
    update(SIGNER_NONCES)
    .where(SIGNER_NONCES.c.signer == bindparam("nonce_signer"))
    .values(next_nonce=SIGNER_NONCES.c.next_nonce + bindparam("taken"))
    .returning(SIGNER_NONCES.c.next_nonce)
)
# PostgreSQL: every signer's lock and next nonces of a claim in one statement, not a lock and an update per signer
# (two round trips each, held under the locks). The CTE's aggregate takes the signers' advisory locks in the order
# given (sorted: the order `_lock_signer` callers take them in) and runs to its end before the update's join yields
# a row, so each nonce row is updated under its signer's lock. A signer without a nonce row gets none here.
TAKE_SIGNERS_NONCES = text(
    "WITH locked AS MATERIALIZED (SELECT count(pg_advisory_xact_lock(lock_key)) AS signers"
    " FROM unnest(CAST(:lock_keys AS bigint[])) AS lock_key)"
    " UPDATE signer_nonces SET next_nonce = signer_nonces.next_nonce + taking.taken"
    " FROM unnest(CAST(:signers AS text[]), CAST(:taken AS bigint[])) AS taking(signer, taken), locked"
    " WHERE signer_nonces.signer = taking.signer RETURNING signer_nonces.signer, signer_nonces.next_nonce"
)
RECORD_RECEIPT = (  # lost_block stays: what it made is pending until its new block is indexed
    update(OUTBOX)
    .where(OUTBOX.c.id == bindparam("row_id"), OUTBOX_ROW_OPEN)
    .values(
        state=bindparam("outcome"),
        block_number=bindparam("number"),
        block_hash=bindparam("hash"),
        tx_index=bindparam("index"),
        updated_at=bindparam("now"),
    )
)


def _outbox_rows(values: Iterable[dict[str, Any]]) -> list[ChainTransaction]:
    """Row objects of outbox rows written past the ORM, made as the ORM makes the rows it loads (an instance
    without `__init__`, its attributes put in place): the declarative constructor sets each attribute through the
    instrumentation's events: 32 µs a row against 4 here (a third of the API side's lane under cProfile)."""
    configure_mappers()  # a process whose first row is made here: its attributes are instrumented from this call on
    new_instance = ChainTransaction.__mapper__.class_manager.new_instance
    rows = []
    for row_values in values:
        row = new_instance()
        row.__dict__.update(row_values)
        rows.append(row)
    return rows


def _signer_lock_key(signer: str) -> int:
    """The key of a signer's PostgreSQL advisory lock, which its nonces are taken under."""
    return zlib.crc32(signer.encode())


def batched(items: Iterable[str], size: int) -> Iterator[list[str]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


class _ClaimedElsewhere(Exception):
    """A claim found a row it read as REQUESTED signed or failed by the time it held the lock: rolled back."""


class SignerNotHostedError(TradeLedgerError):
    """The caller's member key is not held by this instance: it cannot sign for it."""

    code = "signer_not_hosted"
    http_status = 403
    title = "Signer not hosted here"


class WritePendingError(ChainUnavailableError):
    """A write was stored and sent but is not in the read model within the bound: it stays pending (its outbox
    row is committed) and confirms later. The API answers it 202 with the operation URL."""

    code = "write_pending"
    title = "Write still pending"

    def __init__(self, message: str, row: ChainTransaction) -> None:
        super().__init__(message)
        self.row = row


@dataclass(frozen=True)
class ContractCall:
    """A state-changing call of a platform contract by one hosted signer."""

    contract: str
    address: str
    function: str
    args: tuple[Any, ...]
    signer: str
    note: bytes = b""  # after the ABI-encoded arguments: the contract ignores it; it is on chain with the transaction

    def calldata(self) -> bytes:
        return load_abi(self.contract).function(self.function).encode_call(self.args) + self.note


class KeyRing:
    """The hosted signing keys, by checksummed address. Only this process signs with them.

    Keys not loaded up front are asked of `resolver` (hosted members' keystores, decrypted on first use).
    """

    def __init__(
        self, accounts: Iterable[LocalAccount] = (), resolver: Callable[[str], LocalAccount | None] | None = None
    ) -> None:
        self._accounts: dict[str, LocalAccount] = {}
        self._resolver = resolver
        self._lock = threading.Lock()
        for account in accounts:
            self.add(account)

    def add(self, account: LocalAccount) -> None:
        self._accounts[checksum(account.address)] = account

    def get(self, address: str) -> LocalAccount:
        checksummed = checksum(address)
        account = self._accounts.get(checksummed)
        if account is None and self._resolver is not None:
            with self._lock:
                account = self._accounts.get(checksummed) or self._resolver(checksummed)
                if account is not None:
                    self._accounts[checksummed] = account
        if account is None:
            raise SignerNotHostedError(f"this instance holds no key for {address}")
        return account

    def addresses(self) -> list[str]:
        return list(self._accounts)


StoredHook = Callable[[Session, list[ChainTransaction]], None]
"""Run in the transaction that stores a request's outbox rows, after them: what else must commit with them."""


@dataclass(eq=False)
class _Request:
    """One caller's submission: its calls, its business rows and its `on_stored` commit in one transaction."""

    calls: Sequence[ContractCall]
    calldata: list[bytes]
    business: Callable[[Session], None] | None
    on_stored: StoredHook | None = None
    gas_limits: list[int] = field(default_factory=list)
    rows: list[ChainTransaction] = field(default_factory=list)
    error: BaseException | None = None
    done: threading.Event = field(default_factory=threading.Event)


class _Checked:
    """Requests that passed pre-flight, waiting for the store stage, which takes all of them at once."""

    def __init__(self) -> None:
        self._requests: deque[_Request] = deque()
        self._changed = threading.Condition()
        self._closed = False
        self._storing = False  # the store stage has taken requests and not stored them yet

    def put(self, requests: list[_Request]) -> None:
        with self._changed:
            self._requests.extend(requests)
            self._changed.notify()

    def close(self) -> None:
        with self._changed:
            self._closed = True
            self._changed.notify()

    def idle(self) -> bool:
        """Nothing checked waits for the store stage, nor is being stored."""
        with self._changed:
            return not self._requests and not self._storing

    def take(self) -> list[_Request] | None:
        """Every request checked so far, oldest first (up to GROUP_MAX_CALLS calls), once there is one; None once
        closed and empty. The store stage calls `stored` once it has stored them."""
        with self._changed:
            self._changed.wait_for(lambda: bool(self._requests) or self._closed)
            if not self._requests:
                return None
            self._storing = True
            return _take(self._requests)

    def stored(self) -> None:
        with self._changed:
            self._storing = False


def _take(requests: deque[_Request]) -> list[_Request]:
    """The oldest requests of `requests`, as many as fit in GROUP_MAX_CALLS calls (at least one)."""
    group = [requests.popleft()]
    calls = len(group[0].calls)
    while requests and calls + len(requests[0].calls) <= GROUP_MAX_CALLS:
        group.append(requests.popleft())
        calls += len(group[-1].calls)
    return group


class _Lane:
    """The writer of one signer (or one set of signers): pre-flights and commits whatever is queued, in groups.

    Callers queue their request and sleep until it is done. Three threads, one stage each, in the requests' order:
    the checker takes everything queued (up to GROUP_MAX_CALLS calls) and pre-flights it as one batch, releasing at
    once the requests it refuses; the writer takes everything checked so far and stores it (nonces, signatures,
    outbox rows, one commit); the sender broadcasts the stored groups and releases their callers. So the node
    checks the next requests while the writer waits for the database with the previous ones, and under load the
    groups grow by themselves; a lone request is a group of one. The threads end after a while idle.

    Why the writer takes all that is checked rather than one checked batch: its commit is the path's serial stage
    (one database writer lock), whose cost is mostly per commit; a pre-flight batch per commit made both stages'
    groups smaller, and the commits more (BENCHMARKS.md, manager4's three-stage lane).
    """

    def __init__(
        self,
        name: str,
        check: Callable[[list[_Request]], list[_Request]],
        store: Callable[[list[_Request]], list[ChainTransaction]],
        send: Callable[[list[_Request], list[ChainTransaction]], None],
    ) -> None:
        self._name = name
        self._check_group = check
        self._store = store
        self._send = send
        self._queue: deque[_Request] = deque()
        self._ready = threading.Condition()
        self._thread: threading.Thread | None = None

    def run(self, request: _Request) -> None:
        """Queue `request` and return once it is stored and sent, or has failed."""
        with self._ready:
            self._queue.append(request)
            if self._thread is None:
                self._thread = threading.Thread(target=self._check, name=f"{self._name} checker", daemon=True)
                self._thread.start()
            self._ready.notify()
        request.done.wait()

    def _check(self) -> None:
        checked = _Checked()
        writer = threading.Thread(target=self._write, args=(checked,), name=f"{self._name} writer", daemon=True)
        writer.start()
        try:
            while True:
                with self._ready:
                    if not self._queue and not self._ready.wait_for(lambda: bool(self._queue), WRITER_LINGER_S):
                        if checked.idle():  # else the next checker's writer could commit before this one's last group
                            self._thread = None
                            return
                        continue
                    group = _take(self._queue)
                checked.put(self._check_group(group))
        finally:
            checked.close()

    def _write(self, checked: _Checked) -> None:
        stored: queue.Queue[tuple[list[_Request], list[ChainTransaction]] | None] = queue.Queue(PIPELINE_DEPTH)
        sender = threading.Thread(target=self._send_stored, args=(stored,), name=f"{self._name} sender", daemon=True)
        sender.start()
        try:
            while (group := checked.take()) is not None:
                stored.put((group, self._store(group)))
                checked.stored()
        finally:
            stored.put(None)

    def _send_stored(self, stored: queue.Queue[tuple[list[_Request], list[ChainTransaction]] | None]) -> None:
        while (item := stored.get()) is not None:
            self._send(*item)


class TransactionManager:
    """Submits contract calls exactly once and tracks them to a final state."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        rpc: JsonRpc,
        keys: KeyRing,
        *,
        chain_id: int,
        gas_price: int,
        resend_after: timedelta = timedelta(seconds=15),
        held_after: timedelta = timedelta(seconds=3),
        evict_from_pool: Callable[[str], bool] | None = None,
        signs: bool = True,
    ) -> None:
        self.sessions = sessions
        self.signs = signs  # False: requests are stored REQUESTED and an engine (`claim_requested`) signs them
        self._signed = threading.Condition()  # notified once a claim in this process committed its signatures
        self.rpc = rpc
        self.keys = keys
        self.chain_id = chain_id
        self.gas_price = gas_price
        self.resend_after = resend_after
        self.held_after = held_after
        self.evict_from_pool = evict_from_pool
        self.preflight = Preflight(rpc)
        self.receipts = ReceiptWatch(rpc, self._open_rows, self._record_receipts, self._scan_from)
        self._signers: dict[str, LegacySigner] = {}
        self._lanes: dict[frozenset[str], _Lane] = {}
        self._lanes_lock = threading.Lock()
        self._confirmer: PollingLoop | None = None
        self._in_order = threading.Lock()  # one ordered re-send at a time: another would overtake its barriers
        self._tip: tuple[int, str] | None = None  # the highest block a receipt of ours was recorded from
        self._below_before: set[str] = set()  # open rows below their signer's mined nonce count in the last pass
        self._held_seen: dict[str, int] = {}  # row id -> the head when a pass first found it held back
        # an engine whose API workers wait in other processes: outcomes are announced to them (store.wakeups)
        self.announce_outcomes = False

    # -- the whole path --------------------------------------------------------------------------------------

    def submit(
        self,
        call: ContractCall,
        business: Callable[[Session], None] | None = None,
        on_stored: StoredHook | None = None,
    ) -> ChainTransaction:
        """Pre-flight, store and broadcast one call.

        `business` writes the request's own rows in the same database transaction as the outbox row: either
        both commit or neither does, and nothing is sent for an uncommitted request. `on_stored` runs in that
        transaction too, after the outbox row is written, and is given it (the caller links its records to it).
        """
        return self.submit_many([call], business, on_stored)[0]

    def submit_many(
        self,
        calls: Sequence[ContractCall],
        business: Callable[[Session], None] | None = None,
        on_stored: StoredHook | None = None,
    ) -> list[ChainTransaction]:
        """Several calls as one request: all of them are stored (with `business`'s rows) or none is.

        Concurrent requests of the same signer are committed together: pre-flight batches, then one database
        transaction with one nonce range, one broadcast batch. Each request still succeeds or fails alone: a
        pre-flight revert or a raising `business` fails only its own request, with its own error.
        """
        signers = frozenset(checksum(call.signer) for call in calls)
        for signer in signers:  # load hosted keys before any lock is taken (and refuse unknown signers early)
            self.keys.get(signer)
        if not calls:
            return []
        request = _Request(calls, [call.calldata() for call in calls], business, on_stored)
        self._lane(signers).run(request)
        if request.error is not None:
            raise request.error
        return request.rows

    def _lane(self, signers: frozenset[str]) -> _Lane:
        with self._lanes_lock:
            lane = self._lanes.get(signers)
            if lane is None:
                lane = self._lanes[signers] = _Lane(
                    f"tx {','.join(sorted(signers))}", self._check_group, self._store_group, self._send_group
                )
            return lane

    def _check_group(self, group: list[_Request]) -> list[_Request]:
        """Step 1 for a group: the requests that passed pre-flight; the rest get their own error (the node
        unreachable: all of them) and are released at once."""
        try:
            live = self._preflight(group)
        except Exception as error:  # the node failed the group as a whole
            for request in group:
                request.error = error
            live = []
        for request in group:
            if request.error is not None:
                request.done.set()
        return live

    def _store_group(self, group: list[_Request]) -> list[ChainTransaction]:
        """Step 2 for pre-flighted requests: stored; a request whose business rows fail gets its own error."""
        try:
            return self._store(group)
        except Exception as error:  # the database failed the group as a whole
            for request in group:
                if request.error is None:
                    request.error = error
            return []

    def _send_group(self, group: list[_Request], rows: list[ChainTransaction]) -> None:
        """Step 3 for a group, then its callers are released."""
        try:
            if rows and self.signs:
                self.broadcast(rows)
        except Exception as error:
            for request in group:
                if request.error is None:
                    request.error = error
        finally:
            for request in group:
                if request.error is None and not request.rows:
                    request.error = TradeLedgerError("the submission was interrupted", code="submission_interrupted")
                request.done.set()

    # -- step 1: pre-flight --------------------------------------------------------------------------------

    def _preflight(self, group: list[_Request]) -> list[_Request]:
        """The requests every call of which passed pre-flight, each with its gas limits; the rest get their error."""
        checked = self.preflight.gas_limits(
            [
                (call, calldata)
                for request in group
                for call, calldata in zip(request.calls, request.calldata, strict=True)
            ]
        )
        live: list[_Request] = []
        position = 0
        for request in group:
            outcome = checked[position : position + len(request.calls)]
            position += len(request.calls)
            gas_limits = [result for result in outcome if not isinstance(result, TradeLedgerError)]
            if len(gas_limits) < len(outcome):
                request.error = next(result for result in outcome if isinstance(result, TradeLedgerError))
                continue
            request.gas_limits = gas_limits
            live.append(request)
        return live

    # -- step 2: nonce, sign, store ------------------------------------------------------------------------

    def _store(self, group: list[_Request]) -> list[ChainTransaction]:
        """One database transaction: each request's business rows, then one nonce range and the signed rows."""
        if not group:
            return []
        with transaction(self.sessions) as db:
            stored: list[_Request] = []
            for request in group:
                if request.business is not None:
                    try:
                        with db.begin_nested():  # a savepoint: a failing request leaves the others' rows alone
                            request.business(db)
                            db.flush()
                    except Exception as error:
                        request.error = error
                        continue
                stored.append(request)
            rows = (self.prepare if self.signs else self.request)(
                db,
                [call for request in stored for call in request.calls],
                [calldata for request in stored for calldata in request.calldata],
                [gas for request in stored for gas in request.gas_limits],
            )
            position = 0
            for request in stored:
                request.rows = rows[position : position + len(request.calls)]
                position += len(request.calls)
                if request.on_stored is not None:  # a failure fails the group: its rows are already written
                    request.on_stored(db, request.rows)
        return rows

    def _lock_signer(self, db: Session, signer: str) -> None:
        if db.get_bind().dialect.name == "postgresql":
            db.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _signer_lock_key(signer)})
        # SQLite: every transaction began with BEGIN IMMEDIATE and holds the database write lock already.

    def allocate_nonces(self, db: Session, signer: str, count: int = 1) -> range:
        """The signer's next `count` nonces, taken under the per-signer lock inside the caller's transaction."""
        self._lock_signer(db, signer)
        connection = db.connection()
        after = connection.execute(TAKE_NONCES, {"nonce_signer": signer, "taken": count}).scalar()
        if after is None:  # the signer's first transaction here: the node says where its nonces are
            after = int(self.rpc.call("eth_getTransactionCount", [signer, "pending"]), 16) + count
            connection.execute(insert(SIGNER_NONCES).values(signer=signer, next_nonce=after))
        return range(after - count, after)

    def _sign(self, signer: str, nonce: int, to: str, data: bytes, gas: int) -> tuple[str, str]:
        legacy = self._signers.get(signer)
        if legacy is None:
            legacy = self._signers[signer] = LegacySigner(bytes(self.keys.get(signer).key), self.chain_id)
        raw, tx_hash = legacy.sign(nonce, self.gas_price, gas, bytes.fromhex(to[2:]), 0, data)
        return "0x" + raw.hex(), "0x" + tx_hash.hex()

    def _sign_requested_row(self, row: Mapping[str, Any], nonce: int) -> tuple[str, str]:
        """A requested outbox row (as `REQUESTED_OLDEST_FIRST` reads it) signed at `nonce`."""
        return self._sign(row["signer"], nonce, row["to_address"], bytes.fromhex(row["calldata"][2:]), row["gas_limit"])

    def _assign_nonces(self, db: Session, signers: Sequence[str]) -> list[int]:
        """A nonce for each of these (checksummed) signers' transactions, in the caller's database transaction:
        one signer's get consecutive nonces in the order given, under its lock."""
        by_signer: dict[str, list[int]] = {}
        for index, signer in enumerate(signers):
            by_signer.setdefault(signer, []).append(index)
        ordered = sorted(by_signer.items())  # a fixed lock order: no deadlock between requests
        taken: dict[str, range] = {}
        if ordered and db.get_bind().dialect.name == "postgresql":
            rows = db.connection().execute(
                TAKE_SIGNERS_NONCES,
                {
                    "lock_keys": [_signer_lock_key(signer) for signer, _ in ordered],
                    "signers": [signer for signer, _ in ordered],
                    "taken": [len(indexes) for _, indexes in ordered],
                },
            )
            taken = {signer: range(after - len(by_signer[signer]), after) for signer, after in rows}
        nonces = [0] * len(signers)
        for signer, indexes in ordered:
            # a signer's first transaction here (no nonce row, nothing taken above) asks the node under its lock:
            # the statement's aggregate took every lock of the claim or none, so they are still taken in order
            found = taken.get(signer)
            for index, nonce in zip(indexes, found or self.allocate_nonces(db, signer, len(indexes)), strict=True):
                nonces[index] = nonce
        return nonces

    def _outbox_values(
        self, calls: Sequence[ContractCall], calldata: Sequence[bytes], gas_limits: Sequence[int], state: TxState
    ) -> list[dict[str, Any]]:
        """The outbox rows of these calls, in `state`, with what every state has (no nonce, no signature)."""
        now = utcnow()
        return [
            {
                "id": str(uuid.uuid4()),
                "chain_id": self.chain_id,
                "signer": checksum(call.signer),
                "to_address": checksum(call.address),
                "contract": call.contract,
                "function": call.function,
                "gas_limit": gas_limit,
                "calldata": "0x" + data.hex(),
                "call_index": index,
                "state": state,
                "attempts": 0,
                "created_at": now,
                "updated_at": now,
            }
            for index, (call, data, gas_limit) in enumerate(zip(calls, calldata, gas_limits, strict=True))
        ]

    def prepare(
        self, db: Session, calls: Sequence[ContractCall], calldata: Sequence[bytes], gas_limits: Sequence[int]
    ) -> list[ChainTransaction]:
        """Allocate, sign and store transactions in the caller's database transaction (not yet sent).

        Calls of one signer get consecutive nonces under one lock, in the order given.
        """
        values = self._outbox_values(calls, calldata, gas_limits, TxState.SIGNED)
        nonces = self._assign_nonces(db, [row["signer"] for row in values])
        for row, nonce, data in zip(values, nonces, calldata, strict=True):
            row["nonce"] = nonce
            row["raw_tx"], row["tx_hash"] = self._sign(row["signer"], nonce, row["to_address"], data, row["gas_limit"])
        if values:
            db.connection().execute(insert(OUTBOX), values)  # one executemany, past the unit of work's bookkeeping
        return _outbox_rows(values)

    def request(
        self, db: Session, calls: Sequence[ContractCall], calldata: Sequence[bytes], gas_limits: Sequence[int]
    ) -> list[ChainTransaction]:
        """Store pre-flighted calls REQUESTED in the caller's database transaction, for the engine to sign
        (`claim_requested`), and wake the engine once it commits."""
        values = self._outbox_values(calls, calldata, gas_limits, TxState.REQUESTED)
        if values:
            db.connection().execute(insert(OUTBOX), values)
            announce(db, requested=True)
        return _outbox_rows(values)

    def claim_requested(self, send: Callable[[list[ChainTransaction]], None] | None = None) -> int:
        """The engine's side of API workers' writes: sign the REQUESTED rows, oldest first, in groups of up to
        GROUP_MAX_CALLS (nonces, signatures and the SIGNED state committed together), and broadcast each group.
        Returns how many rows were claimed.

        `send` broadcasts a claimed group; by default here, before the next group is claimed. The engine's
        `Claimer` hands it to its own sender thread instead, so that the next group is claimed and signed while
        this one is on its way (a crash in between leaves SIGNED rows, which `recover()` sends byte for byte).
        A signer this process holds no key for fails its rows (no nonce was taken for them).

        The writer lock (SQLite's one writer, or the signer's lock on PostgreSQL) is held for the statements only:
        the requested rows and the signers' next nonces are read before it, and the rows signed at the nonces those
        predict (signing was two thirds of a claim's CPU, spent holding the lock that every other writer waits
        for). Under the lock the nonces are taken as before; a row whose nonce is not the predicted one (another
        process took some meanwhile: a one-shot command signing in its request) is signed again there, so the
        nonces stay consecutive in the order claimed whatever happened in between. Nothing requested: no write
        transaction at all."""
        claimed = 0
        engine = self.sessions.kw["bind"]
        while True:
            # out of a transaction (the reads' pool): no BEGIN and COMMIT round trips for two selects whose nonces
            # are only a prediction (checked under the lock below)
            with read_session(engine) as db:
                connection = db.connection()
                requested = [dict(row) for row in connection.execute(REQUESTED_OLDEST_FIRST).mappings()]
                if not requested:
                    return claimed
                signers = sorted({row["signer"] for row in requested})
                nonces = connection.execute(NEXT_NONCES, {"signers": signers})
                expected = {signer: int(nonce) for signer, nonce in nonces}
            presigned = self._presign(requested, expected)
            try:
                with transaction(self.sessions) as db:
                    signed = self._sign_requested(db, requested, presigned)
            except _ClaimedElsewhere:  # rolled back, nothing taken: read what is left and claim again
                log.warning("requested rows were claimed by another engine meanwhile: reading them again")
                continue
            with self._signed:
                self._signed.notify_all()
            if signed:
                (send or self.broadcast)(signed)
            claimed += len(requested)
            if len(requested) < GROUP_MAX_CALLS:
                return claimed

    def _presign(self, requested: list[dict[str, Any]], expected: dict[str, int]) -> dict[str, tuple[int, str, str]]:
        """row id -> (nonce, raw, hash): each hosted row signed at the nonce its signer's next nonce `expected`
        predicts (consecutive in the order given), before any lock is taken. A signer without a nonce row yet
        (its first transaction here) is left to the claim."""
        presigned: dict[str, tuple[int, str, str]] = {}
        following = dict(expected)
        for row in requested:
            signer = row["signer"]
            if signer not in following:
                continue
            try:
                self.keys.get(signer)
            except SignerNotHostedError:
                del following[signer]
                continue
            nonce = following[signer]
            following[signer] = nonce + 1
            presigned[row["id"]] = (nonce, *self._sign_requested_row(row, nonce))
        return presigned

    def _sign_requested(
        self,
        db: Session,
        requested: list[dict[str, Any]],
        presigned: dict[str, tuple[int, str, str]] | None = None,
    ) -> list[ChainTransaction]:
        """Nonces, signatures and the SIGNED state of the requested rows this process holds a key for, the others
        failed, in the caller's transaction: one executemany each, past the unit of work (a claim is hundreds of
        rows, and their ORM bookkeeping cost more than signing them). A row `presigned` at the nonce it takes here
        keeps that signature; any other is signed here. Raises _ClaimedElsewhere (the caller rolls back) if a row
        is no longer REQUESTED. Returns the signed rows with what their broadcast reads."""
        now = utcnow()
        hosted: list[dict[str, Any]] = []
        unhosted: list[dict[str, Any]] = []
        for row in requested:
            try:
                self.keys.get(row["signer"])
            except SignerNotHostedError as error:
                unhosted.append({"row_id": row["id"], "code": error.code, "detail": error.message})
                continue
            hosted.append(row)
        nonces = self._assign_nonces(db, [row["signer"] for row in hosted])
        ready = presigned or {}
        for row, nonce in zip(hosted, nonces, strict=True):
            signature = ready.get(row["id"])
            if signature is not None and signature[0] == nonce:
                raw_tx, tx_hash = signature[1:]
            else:
                raw_tx, tx_hash = self._sign_requested_row(row, nonce)
            row.update(nonce=nonce, raw_tx=raw_tx, tx_hash=tx_hash, state=TxState.SIGNED, updated_at=now)
        connection = db.connection()
        if hosted:
            result = connection.execute(
                CLAIM_SIGNED,
                [
                    {"row_id": row["id"], "signed_nonce": row["nonce"], "raw": row["raw_tx"],
                     "signed_hash": row["tx_hash"], "now": now}
                    for row in hosted
                ],
            )  # fmt: skip
            if result.rowcount != len(hosted):
                raise _ClaimedElsewhere
        if unhosted:
            connection.execute(
                update(OUTBOX)
                .where(OUTBOX.c.id == bindparam("row_id"), OUTBOX.c.state == TxState.REQUESTED)
                .values(
                    state=TxState.FAILED, error_code=bindparam("code"), error_detail=bindparam("detail"), updated_at=now
                ),
                unhosted,
            )
            if self.announce_outcomes:
                announce(db)
        return _outbox_rows(hosted)

    # -- step 3: broadcast ---------------------------------------------------------------------------------

    def broadcast(self, rows: Sequence[ChainTransaction]) -> None:
        """Send the stored bytes of these transactions in one JSON-RPC batch and record what the node said,
        in the database and on `rows`.

        No database lock is held while the node answers. A node that cannot be reached leaves them SIGNED:
        `recover()` or the confirmer sends them later.
        """
        pending = [row for row in rows if row.state in OPEN_TX_STATES]
        if not pending:
            return
        try:
            results = self.rpc.batch([("eth_sendRawTransaction", [row.raw_tx]) for row in pending])
            too_low = [
                row
                for row, result in zip(pending, results, strict=True)
                if isinstance(result, RpcError) and classify_send_error(result.message) is SendFailure.NONCE_TOO_LOW
            ]
            # B4: the nonce is used; by this very transaction if the node has its receipt (mined while no block
            # scan followed the chain: before a crash, or before this process started)
            found = self.rpc.batch([("eth_getTransactionReceipt", [row.tx_hash]) for row in too_low])
        except ChainUnavailableError as error:
            log.warning("broadcast deferred, node unreachable: %s", error)
            return
        mined = [(row.id, receipt) for row, receipt in zip(too_low, found, strict=True) if isinstance(receipt, dict)]
        self._record_sends(list(zip(pending, results, strict=True)), {row_id for row_id, _ in mined})
        if mined:
            self._record_receipts(mined)
            recorded = dict(mined)
            for row in too_low:
                if row.id in recorded:
                    receipt = recorded[row.id]
                    row.state = TxState.MINED if int(receipt["status"], 16) == 1 else TxState.REVERTED
                    row.block_number, row.block_hash = int(receipt["blockNumber"], 16), receipt["blockHash"]
                    row.tx_index = int(receipt["transactionIndex"], 16)

    def broadcast_in_chain_order(self, rows: Sequence[ChainTransaction]) -> None:
        """Send stored bytes again in the order the chain had mined them, one signer's run at a time.

        Transactions of different signers can depend on each other (A credits B, B pays it on); one batch lets the
        node order them as it likes, and a dependent one lands first and reverts (seen: 12 of 135 after a large
        loss). So rows the chain lost go out in their original (block, index) order, and where the signer changes
        the next run waits until the previous run's last transaction is mined. Same bytes, same nonces.
        """
        runs = self._runs_in_chain_order(rows)
        if len(runs) <= 1:
            self.broadcast(rows)
            return
        if not self._in_order.acquire(blocking=False):
            return  # another thread is re-sending in order: this pass would overtake its barriers
        try:
            log.warning(
                "sending %d transactions the chain lost again in their original order: %d runs of one signer",
                len(rows), len(runs),
            )  # fmt: skip
            for number, run in enumerate(runs):
                self.broadcast(run)
                live = [row for row in run if row.state in OPEN_TX_STATES]  # a refused one's filler comes later
                if number + 1 < len(runs) and live and not self._mined(live[-1]):
                    log.warning(
                        "re-send in order paused: %s (nonce %d of %s) not mined after %.0f s; the confirmer resumes",
                        live[-1].tx_hash, live[-1].nonce, live[-1].signer, BARRIER_TIMEOUT_S,
                    )  # fmt: skip
                    return
        finally:
            self._in_order.release()

    @staticmethod
    def _runs_in_chain_order(rows: Sequence[ChainTransaction]) -> list[list[ChainTransaction]]:
        """`rows` in re-send order, cut where the signer changes.

        Lost rows come in the chain's original (block, index) order, the rest after them in their order of
        submission (a request is pre-flighted, so stored, only after what it depends on was mined); each signer's
        rows then take that signer's places in nonce order (a signer's nonces must go out ascending whatever the
        positions say, e.g. a gap-filler stored later for an earlier nonce).
        """

        def place(row: ChainTransaction) -> tuple[int, int, int, float, int]:
            if row.lost_block is not None:
                return (0, row.lost_block, row.tx_index or 0, 0.0, row.signed_nonce)
            return (1, 0, 0, row.created_at.timestamp() if row.created_at else 0.0, row.signed_nonce)

        slots = sorted(rows, key=place)
        by_nonce: dict[str, deque[ChainTransaction]] = {}
        for row in sorted(rows, key=lambda row: row.signed_nonce):
            by_nonce.setdefault(row.signer, deque()).append(row)
        runs: list[list[ChainTransaction]] = []
        for slot in slots:
            row = by_nonce[slot.signer].popleft()
            if runs and runs[-1][-1].signer == row.signer:
                runs[-1].append(row)
            else:
                runs.append([row])
        return runs

    def _mined(self, row: ChainTransaction) -> bool:
        """Wait (bounded) until the receipt watch has recorded `row` final; False if it is not in time."""
        deadline = time.monotonic() + BARRIER_TIMEOUT_S
        with self.receipts.waiting(row.signed_hash, row.id) as recorded:
            while self.get(row.id).state not in FINAL_TX_STATES:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                recorded.wait(min(left, BARRIER_POLL_S))
                recorded.clear()
        return True

    @staticmethod
    def _accepted(result: Any, hash_known: bool) -> bool:
        """Accepted now, or earlier (a re-send after a crash or a timeout): it is ours and it is out there."""
        failure = classify_send_error(result.message) if isinstance(result, RpcError) else None
        return (
            failure is None
            or failure is SendFailure.ALREADY_KNOWN
            or (failure is SendFailure.NONCE_TOO_LOW and hash_known)
        )

    def _record_sends(self, outcomes: Sequence[tuple[ChainTransaction, Any]], known: set[str]) -> None:
        verdicts = [(row, result, self._accepted(result, row.id in known)) for row, result in outcomes]
        accepted = [row for row, _, ok in verdicts if ok]
        refused = [(row, result) for row, result, ok in verdicts if not ok]
        with transaction(self.sessions) as db:
            if accepted:  # one statement a chunk for the common case; a row final meanwhile (mined!) stays final
                now = utcnow()
                for chunk in batched((row.id for row in accepted), IN_CLAUSE_LIMIT):
                    db.connection().execute(RECORD_SENT, {"row_ids": chunk, "now": now})
            settled: list[ChainTransaction] = []
            for row, result in refused:
                stored = db.get(ChainTransaction, row.id, with_for_update=True)
                if stored is not None and stored.state not in FINAL_TX_STATES:
                    self._record_send(db, stored, result)
                    settled.append(stored)
            if self.announce_outcomes and any(row.state is TxState.FAILED for row in settled):
                announce(db)
        for row in accepted:  # what the database has now, put in place as `_outbox_rows` makes rows: the
            # instrumentation's events of four attribute sets a row took a tenth of the claim sender's CPU (cProfile)
            state = TxState.SENT if row.state is TxState.SIGNED else row.state
            row.__dict__.update(state=state, attempts=row.attempts + 1, error_code=None, error_detail=None)
        by_id = {row.id: row for row in settled}
        for row, _ in refused:
            if row.id in by_id:
                stored = by_id[row.id]
                row.state, row.attempts = stored.state, stored.attempts
                row.error_code, row.error_detail = stored.error_code, stored.error_detail
        self.receipts.notify(row.signed_hash for row in settled if row.state is TxState.FAILED)

    def _record_send(self, db: Session, row: ChainTransaction, result: RpcError) -> None:
        """A refused send: retried a few times if the reason is unknown, else failed and its nonce gap-filled."""
        row.attempts += 1
        failure = classify_send_error(result.message)
        row.error_code, row.error_detail = failure.value, result.message
        if failure is SendFailure.NONCE_TOO_LOW:
            row.state = TxState.FAILED
            row.error_code = "nonce_used_elsewhere"
            log.error("ALERT: nonce %d of %s was consumed by a transaction we did not sign", row.nonce, row.signer)
            return
        if failure in (SendFailure.UNKNOWN, SendFailure.REPLACEMENT_UNDERPRICED) and row.attempts < MAX_SEND_ATTEMPTS:
            log.warning("send of %s failed (%s), attempt %d: %s", row.tx_hash, failure, row.attempts, result.message)
            return
        self._fail_and_gap_fill(db, row)

    def _fail_and_gap_fill(self, db: Session, row: ChainTransaction) -> None:
        """Mark a transaction rejected for good and fill its nonce with a no-op so later nonces proceed."""
        row.state = TxState.FAILED
        db.flush()  # the live (signer, nonce) slot is free before the filler takes it
        tx_hash = self._gap_fill(db, row.signer, row.signed_nonce, row.id)
        log.error(
            "transaction %s rejected (%s); nonce %d gap-filled by %s", row.tx_hash, row.error_code, row.nonce, tx_hash
        )

    def _gap_fill(
        self,
        db: Session,
        signer: str,
        nonce: int,
        of: str | None,
        position: tuple[int | None, int | None] = (None, None),
    ) -> str:
        """Store a signed no-op (a self-transfer of nothing) for `nonce`; returns its hash. `position` is the lost
        (block, index) of the transaction it replaces, so an ordered re-send puts the filler where that one was."""
        raw, tx_hash = self._sign(signer, nonce, signer, b"", SELF_TRANSFER_GAS)
        db.add(
            ChainTransaction(
                id=str(uuid.uuid4()),
                chain_id=self.chain_id,
                signer=signer,
                to_address=signer,
                contract="",
                function="gap-fill",
                nonce=nonce,
                gas_limit=SELF_TRANSFER_GAS,
                raw_tx=raw,
                tx_hash=tx_hash,
                state=TxState.SIGNED,
                attempts=0,
                gap_fill_of=of,
                lost_block=position[0],
                tx_index=position[1],
            )
        )
        db.flush()
        return tx_hash

    def get(self, tx_id: str) -> ChainTransaction:
        with self.sessions() as db:
            row = db.get(ChainTransaction, tx_id)
        if row is None:
            raise TradeLedgerError(f"no transaction {tx_id}", code="transaction_not_found")
        return row

    # -- step 4: confirmation and recovery ----------------------------------------------------------------

    def start(self) -> None:
        """The service's background work: follow new blocks (receipts are recorded whether or not anyone waits)
        and run the confirmer (re-sends)."""
        self.receipts.start()
        if self._confirmer is None:
            self._confirmer = PollingLoop("tx-confirmer", self.confirm_pending, interval=CONFIRMER_INTERVAL_S)
            self._confirmer.start()

    def stop(self) -> None:
        if self._confirmer is not None:
            self._confirmer.stop()
            self._confirmer = None
        self.receipts.stop()

    def wait(self, tx_id: str, timeout: float = 60.0) -> ChainTransaction:
        """Block until the transaction is final; raises if it reverted or was rejected.

        The receipt watch wakes this thread when a block mines the transaction. Whenever it has waited a
        re-send interval, it runs a confirmer pass (re-sending what the node dropped).
        """
        deadline = time.monotonic() + timeout
        row = self._signed_row(tx_id, deadline, timeout)
        if row.state in FINAL_TX_STATES:
            return self._outcome(row)
        next_recovery = time.monotonic() + self.resend_after.total_seconds()
        with self.receipts.waiting(row.signed_hash, row.id) as recorded:
            while True:
                row = self.get(tx_id)  # read after registering: a receipt recorded from now on wakes us
                if row.state in FINAL_TX_STATES:
                    return self._outcome(row)
                now = time.monotonic()
                if now > deadline:
                    raise ChainUnavailableError(
                        f"transaction {row.tx_hash} is not mined after {timeout:.0f} s; it stays pending"
                    )
                if now >= next_recovery:  # no receipt for long: re-send it if the node dropped it
                    self.confirm_pending()
                    next_recovery = now + self.resend_after.total_seconds()
                recorded.wait(max(0.0, min(deadline, next_recovery) - now))
                recorded.clear()

    def _signed_row(self, tx_id: str, deadline: float, timeout: float) -> ChainTransaction:
        """The row once it is past REQUESTED: signed by the claim of this process's engine, which wakes us."""
        with self._signed:
            while (row := self.get(tx_id)).state is TxState.REQUESTED:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise ChainUnavailableError(f"transaction {tx_id} is not signed after {timeout:.0f} s")
                self._signed.wait(min(left, CONFIRMER_INTERVAL_S))
        return row

    @staticmethod
    def _outcome(row: ChainTransaction) -> ChainTransaction:
        if row.state is TxState.REVERTED:
            raise TransactionRevertedError(f"transaction {row.tx_hash} ({row.contract}.{row.function}) reverted")
        if row.state is TxState.FAILED:
            raise TransactionRejectedError(f"transaction {row.tx_hash} was rejected: {row.error_detail}")
        return row

    def confirm_pending(self) -> int:
        """One confirmer pass: the block scan caught up, re-sends of unsent or dropped bytes. Returns how many
        became final.

        No receipt is looked up per transaction: the signers' nonce counts are read first (two calls a signer),
        then the receipt watch scans every block through the head. An open row whose nonce the node counted as
        used before that scan was mined where no scan looked (before this process started, or while no watch
        ran): its bytes go out again and the node's "nonce too low" is resolved by its receipt (B4). It must be
        found so on two passes in a row: a node counts a new block's nonces a moment before it serves the block
        (anvil under load: a whole block of ours was sent again and its receipts looked up one by one, where the
        next scan records them). The rest are unmined; those the node does not hold (at or above the signer's
        pending count) are sent again.

        What the node lost is looked for (`reopen_lost`, up to RECENT_BLOCKS block look-ups) only with a reason,
        never on every pass while a write waits: the node no longer has the block of our latest receipt (one RPC
        a pass, `_tip_lost`), a signer's nonce gap (`_release_held`, through `reconcile_nonces`), the indexer's
        roll-back (`on_rollback`), and at start (`recover`)."""
        if self._tip_lost() and self._reopened_lost():
            return 0  # the next pass sends what was reopened, in the chain's order
        signers = self._open_signers()
        if not signers:
            return self.receipts.poll()
        read_at = utcnow()
        counts, head = self._nonce_counts(signers)  # before the scan: a nonce used by then is in a block it reads
        finalised = self.receipts.poll()
        now = utcnow()
        wanted: list[ColumnElement[bool]] = [ChainTransaction.state.in_(OPEN_TX_STATES)]
        if not self._any_aged(now):  # under load, hundreds open and all young: load only those mined unseen
            used = [and_(ChainTransaction.signer == signer, ChainTransaction.nonce < mined)
                    for signer, (mined, _) in counts.items()]  # fmt: skip
            wanted.append(or_(*used) if used else false())
        with self.sessions() as db:  # rows signed since the counts were read hold nonces above them: none is unseen
            open_rows = list(db.scalars(select(ChainTransaction).where(*wanted)))
        open_rows.sort(key=lambda row: (row.created_at, row.nonce))
        below = {row.id for row in open_rows if row.signer in counts and row.signed_nonce < counts[row.signer][0]}
        unseen = [row for row in open_rows if row.id in below and row.id in self._below_before]
        if unseen:
            log.warning("%d of our transactions were mined where no block scan looked: resolving them", len(unseen))
            self.broadcast(unseen)
            finalised += sum(row.state in FINAL_TX_STATES for row in unseen)
        self._below_before = below.difference(row.id for row in unseen)
        unmined = [row for row in open_rows if row.id not in below]
        resend = [
            row
            for row in unmined
            if now - row.updated_at >= (UNSENT_GRACE if row.state is TxState.SIGNED else self.resend_after)
        ]
        if not resend or not self._resend_dropped(resend, unmined, counts):
            self._release_held(unmined, counts, head, read_at)
        return finalised

    def _any_aged(self, now: datetime) -> bool:
        """Whether any open row is old enough for the confirmer to act on it: signed and not sent within
        UNSENT_GRACE, or sent and unmined for as long as a re-send or a held-back check waits. If none is, a pass
        needs only the rows mined where no scan looked, not every open row (an ORM load of each, every second)."""
        sent_before = now - min(self.resend_after, self.held_after)
        aged = or_(
            and_(ChainTransaction.state == TxState.SIGNED, ChainTransaction.updated_at <= now - UNSENT_GRACE),
            and_(ChainTransaction.state == TxState.SENT, ChainTransaction.updated_at <= sent_before),
        )
        with self.sessions() as db:
            return db.scalar(select(ChainTransaction.id).where(aged).limit(1)) is not None

    def _open_signers(self) -> list[str]:
        """The signers with open rows. Asked of the database as such: a pass loaded every open row's id and asked
        again with all of them bound (thousands under load, every second)."""
        query = select(ChainTransaction.signer).where(ChainTransaction.state.in_(OPEN_TX_STATES)).distinct()
        with self.sessions() as db:
            return sorted(db.scalars(query))

    def _nonce_counts(self, signers: Sequence[str]) -> tuple[dict[str, tuple[int, int]], int | None]:
        """signer -> (mined, pending) nonce counts, as the node has them now (signers it did not answer for are
        left out), and the node's head block number (None if it did not answer), in one batch."""
        *answers, head = self.rpc.batch(
            [
                *(("eth_getTransactionCount", [signer, tag]) for signer in signers for tag in ("latest", "pending")),
                ("eth_blockNumber", []),
            ]
        )
        counts = {
            signer: (int(mined, 16), int(pending, 16))
            for signer, mined, pending in zip(signers, answers[::2], answers[1::2], strict=True)
            if isinstance(mined, str) and isinstance(pending, str)
        }
        return counts, int(head, 16) if isinstance(head, str) else None

    def _scan_from(self, head: int) -> int:
        """Where a receipt watch without a cursor starts: past the head when nothing is open; else at the highest
        block a receipt was recorded from (every open row's block is above it, unless a scan missed it: the
        confirmer finds those), at most RECENT_BLOCKS back."""
        if not self._open_signers():
            return head + 1
        tip = self._recorded_tip()
        start = max(0, head - RECENT_BLOCKS)
        return start if tip is None else min(head, max(start, tip[0]))

    def _tip_lost(self) -> bool:
        """Whether the node no longer has the block our latest recorded receipt came from: a node that restarted
        from an older save under a running service (one RPC a pass; nothing else would notice if the indexer
        had not reached that block yet and the signer wrote no more). A block's hash commits to its parent's, so
        while the node has that one, it has every block our receipts came from below it. Before any receipt of
        this process (at start, after a loss), the reference is the outbox's highest recorded block."""
        tip = self._tip or self._recorded_tip()
        if tip is None:
            return False
        block = self.rpc.call("eth_getBlockByNumber", [hex(tip[0]), False])
        if isinstance(block, dict) and block.get("hash") == tip[1]:
            if self._tip is None:
                self._tip = tip
            return False
        self._tip = None
        return True

    def _recorded_tip(self) -> tuple[int, str] | None:
        """The highest block the outbox holds a receipt from, with its hash."""
        with self.sessions() as db:
            found = db.execute(
                select(ChainTransaction.block_number, ChainTransaction.block_hash)
                .where(
                    ChainTransaction.state.in_((TxState.MINED, TxState.REVERTED)),
                    ChainTransaction.block_number.is_not(None),
                    ChainTransaction.block_hash.is_not(None),
                )
                .order_by(ChainTransaction.block_number.desc())
                .limit(1)
            ).first()
        if found is None or found[0] is None or found[1] is None:
            return None
        return int(found[0]), str(found[1])

    def _reopened_lost(self) -> bool:
        """Whether the node lost blocks that mined our transactions (which are reopened now).

        Asked before anything is sent again: a transaction the node dropped may depend on another signer's that
        a lost block had mined (a node restarted from an older state loses both); sent before that one is put
        back, it reverts."""
        head = int(self.rpc.call("eth_blockNumber", []), 16)
        with transaction(self.sessions) as db:
            return self.reopen_lost(db, max(0, head - RECENT_BLOCKS)) > 0

    def _open_rows(self, tx_hashes: Collection[str]) -> dict[str, str]:
        """tx hash -> row id of the open outbox rows among `tx_hashes`."""
        found: dict[str, str] = {}
        with self.sessions() as db:
            connection = db.connection()
            for chunk in batched(tx_hashes, IN_CLAUSE_LIMIT):
                found.update(
                    (str(tx_hash), row_id) for tx_hash, row_id in connection.execute(OPEN_BY_HASH, {"hashes": chunk})
                )
        return found

    def _record_receipts(self, receipts: Sequence[tuple[str, dict[str, Any]]]) -> int:
        """Store receipts, given as (row id, receipt), in one executemany; returns how many rows became final."""
        if not receipts:
            return 0
        now = utcnow()
        with transaction(self.sessions) as db:
            result = db.connection().execute(
                RECORD_RECEIPT,
                [
                    {
                        "now": now,
                        "row_id": row_id,
                        "outcome": TxState.MINED if int(receipt["status"], 16) == 1 else TxState.REVERTED,
                        "number": int(receipt["blockNumber"], 16),
                        "hash": receipt["blockHash"],
                        "index": int(receipt["transactionIndex"], 16),
                    }
                    for row_id, receipt in receipts
                ],
            )
            if self.announce_outcomes:
                announce(db)
        self.receipts.notify(str(receipt["transactionHash"]) for _, receipt in receipts)
        highest = max(receipts, key=lambda item: int(item[1]["blockNumber"], 16))[1]
        if self._tip is None or int(highest["blockNumber"], 16) >= self._tip[0]:
            self._tip = (int(highest["blockNumber"], 16), str(highest["blockHash"]))
        return max(result.rowcount, 0)

    def _resend_dropped(
        self, rows: list[ChainTransaction], unmined: Sequence[ChainTransaction], counts: dict[str, tuple[int, int]]
    ) -> bool:
        """Re-broadcast the stored bytes of transactions the node does not hold (never sent, or dropped); True if
        there were any. The node holds a signer's transactions up to its pending nonce count (they are mined or
        pooled without a gap): from that nonce on, it holds none that will be mined, and they go out again
        (a re-send of one the node still keeps queued is answered "already known": no harm).

        With them goes every other unmined transaction the node does not hold, whatever its age: a node that
        restarted dropped all of them, and one signer's may depend on another's (an LC issued by the bank after
        the trader's application was mined in a block the node lost before we saw its receipt). Sent in one
        ordered pass (see `broadcast_in_chain_order`), not signer by signer as each comes of age."""
        chosen = {row.id for row in rows}
        candidates = [*rows, *(row for row in unmined if row.id not in chosen)]
        missing = [row for row in candidates if row.signer not in counts or row.signed_nonce >= counts[row.signer][1]]
        if missing:
            log.warning("re-broadcasting %d transactions the node does not hold", len(missing))
            self.broadcast_in_chain_order(missing)
        with transaction(self.sessions) as db:  # touch the rest so the next check waits a full interval
            for chunk in batched((row.id for row in rows), IN_CLAUSE_LIMIT):
                for row in db.scalars(select(ChainTransaction).where(ChainTransaction.id.in_(chunk))):
                    row.updated_at = utcnow()
        return bool(missing)

    def _release_held(
        self,
        unmined: Sequence[ChainTransaction],
        counts: Mapping[str, tuple[int, int]],
        head: int | None,
        read_at: datetime,
    ) -> None:
        """A signer's next transaction, sent and executable (every earlier nonce is mined), that the node does not
        count as pending will never be mined: its pool lost it or holds it back (see `anvil_eviction`). Where the
        node has a way, evict the signer's pooled transactions and send the stored bytes again in nonce order;
        otherwise say so loudly.

        Found so by this pass's `counts` (read at `read_at`, the node's head then `head`) and the pass before, with
        a block mined in between (`_held_through_a_block`), or by a row sent `held_after` ago and unmined."""
        if self._in_order.locked():
            return  # a re-send in chain order is under way: sending a signer's rows at once would overtake it
        released: set[str] = set()
        for row in self._held_through_a_block(counts, head, read_at):
            self._send_held_again(row)
            released.add(row.signer)
        lowest: dict[str, ChainTransaction] = {}
        for row in unmined:
            if row.signer not in lowest or row.signed_nonce < lowest[row.signer].signed_nonce:
                lowest[row.signer] = row
        now = utcnow()
        suspects = [
            row
            for row in lowest.values()
            if row.state is TxState.SENT and now - row.updated_at >= self.held_after and row.signer not in released
        ]
        if not suspects:
            return
        answers = self.rpc.batch(
            [("eth_getTransactionCount", [row.signer, tag]) for row in suspects for tag in ("latest", "pending")]
        )
        gaps: list[str] = []
        for row, mined, pending in zip(suspects, answers[::2], answers[1::2], strict=True):
            if int(pending, 16) < row.signed_nonce:
                gaps.append(row.signer)  # nothing the node holds leads up to it: an earlier nonce went missing
                continue
            if [mined, pending] == [hex(row.signed_nonce)] * 2:  # else not next yet, or pending: it will be mined
                self._send_held_again(row)
        if gaps:
            self.reconcile_nonces(gaps)

    def _held_through_a_block(
        self, counts: Mapping[str, tuple[int, int]], head: int | None, read_at: datetime
    ) -> list[ChainTransaction]:
        """The rows the node has held back through a whole block: the signer's next nonce, sent before this pass
        read the node, which counted it neither as mined nor as pending on this pass and on an earlier one,
        and has mined a block since that earlier one. A pool takes an executable transaction for its next block,
        so two reads with a block in between rule out any passing state (the pool promoting it, a block being
        pruned); it also needs no fixed wait: in a stall only the clock's blocks are mined (one a second on the
        dev chain), and `held_after` (3 s) cost each stall its wait (BENCHMARKS.md, engine16)."""
        idle = {signer: mined for signer, (mined, pending) in counts.items() if mined == pending}
        if not idle or head is None:
            self._held_seen = {}
            return []
        with self.sessions() as db:
            suspects = list(
                db.scalars(
                    select(ChainTransaction).where(
                        ChainTransaction.state == TxState.SENT,
                        ChainTransaction.updated_at < read_at,
                        or_(*(and_(ChainTransaction.signer == signer, ChainTransaction.nonce == nonce)
                              for signer, nonce in idle.items())),
                    )
                )
            )  # fmt: skip
        first_seen = {row.id: self._held_seen.get(row.id, head) for row in suspects}
        self._held_seen = {row_id: seen for row_id, seen in first_seen.items() if seen >= head}
        return [row for row in suspects if first_seen[row.id] < head]

    def _send_held_again(self, row: ChainTransaction) -> None:
        """Evict `row`'s signer's pooled transactions, where the node has a way, and send its open rows again in
        nonce order; otherwise alert."""
        if self.evict_from_pool is None or not self.evict_from_pool(row.signer):
            log.error("ALERT: the node holds %s's executable transaction %s back (nonce %d)", row.signer, row.tx_hash,
                      row.nonce)  # fmt: skip
            return
        with self.sessions() as db:
            held = list(
                db.scalars(
                    select(ChainTransaction)
                    .where(ChainTransaction.signer == row.signer, ChainTransaction.state.in_(OPEN_TX_STATES))
                    .order_by(ChainTransaction.nonce)
                )
            )
        log.warning(
            "the node held back %s's transactions from nonce %d: sending %d again", row.signer, row.nonce, len(held)
        )
        self.broadcast(held)

    def recover(self) -> None:
        """At start-up: put back what the node lost, reconcile nonces with it, send whatever a crash left signed
        but unsent, and confirm the rest."""
        self.reconcile_nonces()
        with self.sessions() as db:
            unsent = list(
                db.scalars(
                    select(ChainTransaction).where(ChainTransaction.state == TxState.SIGNED).order_by(*SEND_ORDER)
                )
            )
        if unsent:
            log.info("recovering %d stored transactions", len(unsent))
            self.broadcast_in_chain_order(unsent)
        self.confirm_pending()

    # -- following the chain -------------------------------------------------------------------------------

    def reopen_lost(self, db: Session, after_block: int) -> int:
        """Reopen our transactions recorded as mined above `after_block` in blocks the chain no longer has.

        The chain, not the outbox, says what is final: after a reorg, or a node restarted from an older state
        (the dev chain saves its state every few seconds), a transaction whose block is gone goes back to SIGNED
        with its stored bytes, which the confirmer sends again: same hash, same nonce, same request. A reverted
        one is not sent again (its caller was told it failed): its nonce is filled with a no-op instead.
        Runs in the caller's transaction, so the indexer's roll-back and this decision commit together.
        Returns how many were reopened.
        """
        mined_after = (ChainTransaction.state.in_((TxState.MINED, TxState.REVERTED)),
                       ChainTransaction.block_number > after_block)  # fmt: skip
        recorded = {
            number: block_hash
            for number, block_hash in db.execute(
                select(ChainTransaction.block_number, ChainTransaction.block_hash).where(*mined_after).distinct()
            )
            if number is not None
        }
        if not recorded:
            return 0
        canonical = self._block_hashes(sorted(recorded))
        lost = [number for number, block_hash in recorded.items() if canonical.get(number) != block_hash]
        if not lost:
            return 0
        # a block's hash commits to its parent's: from the first block that differs, every later one is gone too
        rows = list(
            db.scalars(
                select(ChainTransaction)
                .where(*mined_after[:1], ChainTransaction.block_number >= min(lost))
                .with_for_update()
            )
        )
        self._reopen(db, rows)
        log.warning(
            "the chain no longer has blocks %d..%d that mined %d of our transactions (a reorg, or a node restarted "
            "from an older state): sending them again from the outbox",
            min(lost), max(recorded), len(rows),
        )  # fmt: skip
        return len(rows)

    def _block_hashes(self, numbers: Sequence[int]) -> dict[int, str]:
        """The node's hash of each of these blocks it has."""
        found: dict[int, str] = {}
        for chunk in batched((hex(number) for number in numbers), IN_CLAUSE_LIMIT):
            for block in self.rpc.batch([("eth_getBlockByNumber", [number, False]) for number in chunk]):
                if isinstance(block, dict):
                    found[int(block["number"], 16)] = str(block["hash"])
        return found

    def _reopen(self, db: Session, rows: Sequence[ChainTransaction]) -> None:
        stale = utcnow() - UNSENT_GRACE  # the confirmer's next pass sends them
        lost = [row.block_number for row in rows if row.block_number is not None]
        if lost:  # sent again, they may be mined at the same heights: the receipt watch reads those blocks again
            self.receipts.rewind(min(lost))
        for row in rows:
            if row.state is TxState.REVERTED:
                row.state = TxState.FAILED
                row.error_code = "reverted_block_lost"
                row.error_detail = f"reverted in block {row.block_number}, which the chain lost; nonce gap-filled"
                db.flush()
                self._gap_fill(db, row.signer, row.signed_nonce, row.id, position=(row.block_number, row.tx_index))
                continue
            row.lost_block = row.block_number  # with tx_index: where it was, the order it is sent again in
            row.state, row.block_number, row.block_hash, row.updated_at = TxState.SIGNED, None, None, stale

    def reconcile_nonces(self, signers: Collection[str] | None = None) -> None:
        """Make each signer's nonces agree with the node: at start, and whenever a gap is seen.

        Every nonce from the node's mined count up to the database's next nonce must belong to a transaction the
        node will mine: one recorded as mined that the node has not mined is reopened (its block was lost), a
        nonce without a live transaction is filled with a no-op. A node ahead of the database (nonces used
        elsewhere) moves the database on, loudly. No request is signed a second time.

        First, whatever the node lost is reopened for every signer (`reopen_lost`), not only for the signers whose
        gap was seen: another signer's lost transactions may be what theirs depend on, and all of them must go
        out again together, in the chain's order (see `broadcast_in_chain_order`).
        """
        head = int(self.rpc.call("eth_blockNumber", []), 16)
        with transaction(self.sessions) as db:
            self.reopen_lost(db, max(0, head - RECENT_BLOCKS))
        with self.sessions() as db:
            query = select(SignerNonce.signer)
            if signers is not None:
                query = query.where(SignerNonce.signer.in_(list(signers)))
            known = list(db.scalars(query))
        if not known:
            return
        counts = self.rpc.batch(
            [("eth_getTransactionCount", [signer, tag]) for signer in known for tag in ("latest", "pending")]
        )
        for signer, latest, pending in zip(known, counts[::2], counts[1::2], strict=True):
            if isinstance(latest, RpcError) or isinstance(pending, RpcError):
                continue
            with transaction(self.sessions) as db:
                self._reconcile_signer(db, signer, int(latest, 16), int(pending, 16))

    def _reconcile_signer(self, db: Session, signer: str, mined: int, pending: int) -> None:
        self._lock_signer(db, signer)
        nonces = db.get(SignerNonce, signer, with_for_update=True)
        if nonces is None:
            return
        if pending > nonces.next_nonce:
            log.error(
                "ALERT: the node counts %d transactions of %s, the database %d: nonces used outside this service",
                pending, signer, nonces.next_nonce,
            )  # fmt: skip
            nonces.next_nonce = pending
            return
        live = {
            row.nonce: row
            for row in db.scalars(
                select(ChainTransaction)
                .where(
                    ChainTransaction.signer == signer,
                    ChainTransaction.nonce >= mined,
                    ChainTransaction.state != TxState.FAILED,
                )
                .with_for_update()
            )
        }
        lost = [row for row in live.values() if row.state in (TxState.MINED, TxState.REVERTED)]
        self._reopen(db, lost)
        missing = [nonce for nonce in range(mined, nonces.next_nonce) if nonce not in live]
        for nonce in missing:
            self._gap_fill(db, signer, nonce, None)
        if lost or missing:
            log.warning(
                "nonces of %s reconciled with the node (mined %d, next %d): %d reopened, %d gap-filled",
                signer, mined, nonces.next_nonce, len(lost), len(missing),
            )  # fmt: skip

    def pending_count(self) -> int:
        with self.sessions() as db:
            return int(
                db.scalar(
                    select(func.count()).select_from(ChainTransaction).where(ChainTransaction.state.in_(OPEN_TX_STATES))
                )
                or 0
            )

    def resending_count(self, indexed_through: int) -> int:
        """How many transactions whose blocks the chain lost are not back in the read model (indexed through block
        `indexed_through`): sent again and not mined yet, or mined again above it. Until they are, what they made
        is missing from the read model (reads answer "pending on chain", not 404)."""
        unindexed = and_(ChainTransaction.state == TxState.MINED, ChainTransaction.block_number > indexed_through)
        query = select(func.count()).where(
            ChainTransaction.lost_block.is_not(None), or_(ChainTransaction.state.in_(OPEN_TX_STATES), unindexed)
        )
        with self.sessions() as db:
            return int(db.scalar(query) or 0)
