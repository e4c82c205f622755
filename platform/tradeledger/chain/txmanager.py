"""The crash-safe transaction manager: outbox, database nonces, sign-and-store before broadcast, a confirmer.

Every request follows one path (the Chainlink / FireFly pattern, reliability checklist B):

1. pre-flight `eth_estimateGas`: a revert becomes a named custom error and no nonce is spent;
2. in one database transaction (the caller's, so the outbox row commits with the business row): allocate the
   signer's next nonce under a per-signer lock, sign locally, store the raw bytes and the hash;
3. broadcast the stored bytes; "already known" / "nonce too low" are resolved by looking the stored hash up;
4. the confirmer records receipts (status 0 is a failed operation), re-sends stored bytes that were never
   accepted or were dropped from the pool, and gap-fills the nonce of a transaction rejected for good.

A crash anywhere leaves either nothing (before the commit of step 2) or a stored signed transaction that the
next `recover()` sends again, byte for byte: one request never becomes two transactions.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from tradeledger.chain.abi import load_abi, standard_revert_reason
from tradeledger.chain.rpc import JsonRpc, RpcError, SendFailure, classify_send_error
from tradeledger.chain.signing import LegacySigner
from tradeledger.errors import (
    ChainUnavailableError,
    ContractRefusedError,
    ContractRevertError,
    TradeLedgerError,
    TransactionRejectedError,
    TransactionRevertedError,
)
from tradeledger.store.base import utcnow
from tradeledger.store.db import transaction
from tradeledger.store.models import FINAL_TX_STATES, ChainTransaction, SignerNonce, TxState

log = logging.getLogger(__name__)

GAS_HEADROOM_PERCENT = 25
GAS_HEADROOM_FIXED = 20_000
MAX_SEND_ATTEMPTS = 5  # an unknown send error is retried this often, then the nonce is gap-filled
SELF_TRANSFER_GAS = 21_000


class SignerNotHostedError(TradeLedgerError):
    """The caller's member key is not held by this instance: it cannot sign for it."""

    code = "signer_not_hosted"
    http_status = 403
    title = "Signer not hosted here"


@dataclass(frozen=True)
class ContractCall:
    """A state-changing call of a platform contract by one hosted signer."""

    contract: str
    address: str
    function: str
    args: tuple[Any, ...]
    signer: str

    def calldata(self) -> bytes:
        return load_abi(self.contract).function(self.function).encode_call(self.args)


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
        self._accounts[to_checksum_address(account.address)] = account

    def get(self, address: str) -> LocalAccount:
        checksummed = to_checksum_address(address)
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
    ) -> None:
        self.sessions = sessions
        self.rpc = rpc
        self.keys = keys
        self.chain_id = chain_id
        self.gas_price = gas_price
        self.resend_after = resend_after
        self._signers: dict[str, LegacySigner] = {}

    # -- step 1: pre-flight --------------------------------------------------------------------------------

    @staticmethod
    def _revert_error(contract: str, error: RpcError) -> TradeLedgerError:
        data = error.revert_data or b""
        decoded = load_abi(contract).decode_error(data)
        if decoded is not None:
            return ContractRevertError(contract, decoded[0], decoded[1])
        reason = standard_revert_reason(data) or error.message
        return ContractRefusedError(f"{contract} refused the call: {reason}")

    # -- step 2: nonce, sign, store ------------------------------------------------------------------------

    def _lock_signer(self, db: Session, signer: str) -> None:
        if db.get_bind().dialect.name == "postgresql":
            db.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": zlib.crc32(signer.encode())})
        # SQLite: every transaction began with BEGIN IMMEDIATE and holds the database write lock already.

    def allocate_nonces(self, db: Session, signer: str, count: int = 1) -> range:
        """The signer's next `count` nonces, taken under the per-signer lock inside the caller's transaction."""
        self._lock_signer(db, signer)
        row = db.get(SignerNonce, signer, with_for_update=True)
        if row is None:
            pending = int(self.rpc.call("eth_getTransactionCount", [signer, "pending"]), 16)
            row = SignerNonce(signer=signer, next_nonce=pending)
            db.add(row)
        first = row.next_nonce
        row.next_nonce = first + count
        return range(first, first + count)

    def _sign(self, signer: str, nonce: int, to: str, data: bytes, gas: int) -> tuple[str, str]:
        legacy = self._signers.get(signer)
        if legacy is None:
            legacy = self._signers[signer] = LegacySigner(bytes(self.keys.get(signer).key), self.chain_id)
        raw, tx_hash = legacy.sign(nonce, self.gas_price, gas, bytes.fromhex(to[2:]), 0, data)
        return "0x" + raw.hex(), "0x" + tx_hash.hex()

    def prepare(self, db: Session, calls: Sequence[ContractCall], gas_limits: Sequence[int]) -> list[ChainTransaction]:
        """Allocate, sign and store transactions in the caller's database transaction (not yet sent).

        Calls of one signer get consecutive nonces under one lock, in the order given.
        """
        rows: list[ChainTransaction] = []
        by_signer: dict[str, list[int]] = {}
        for index, call in enumerate(calls):
            by_signer.setdefault(to_checksum_address(call.signer), []).append(index)
        nonces: dict[int, int] = {}
        for signer, indexes in sorted(by_signer.items()):  # a fixed lock order: no deadlock between requests
            nonces.update(zip(indexes, self.allocate_nonces(db, signer, len(indexes)), strict=True))
        for index, (call, gas_limit) in enumerate(zip(calls, gas_limits, strict=True)):
            signer = to_checksum_address(call.signer)
            raw, tx_hash = self._sign(signer, nonces[index], call.address, call.calldata(), gas_limit)
            rows.append(
                ChainTransaction(
                    id=str(uuid.uuid4()),
                    chain_id=self.chain_id,
                    signer=signer,
                    to_address=to_checksum_address(call.address),
                    contract=call.contract,
                    function=call.function,
                    nonce=nonces[index],
                    gas_limit=gas_limit,
                    raw_tx=raw,
                    tx_hash=tx_hash,
                    state=TxState.SIGNED,
                    attempts=0,
                )
            )
        db.add_all(rows)
        db.flush()
        return rows

    # -- step 3: broadcast ---------------------------------------------------------------------------------

    def broadcast(self, tx_ids: Sequence[str]) -> None:
        """Send the stored bytes of these transactions in one JSON-RPC batch and record what the node said.

        No database lock is held while the node answers. A node that cannot be reached leaves them SIGNED:
        `recover()` or the confirmer sends them later.
        """
        with self.sessions() as db:
            rows = list(db.scalars(select(ChainTransaction).where(ChainTransaction.id.in_(tx_ids))))
        pending = [row for row in rows if row.state in (TxState.SIGNED, TxState.SENT)]
        if not pending:
            return
        try:
            results = self.rpc.batch([("eth_sendRawTransaction", [row.raw_tx]) for row in pending])
            too_low = [
                row
                for row, result in zip(pending, results, strict=True)
                if isinstance(result, RpcError) and classify_send_error(result.message) is SendFailure.NONCE_TOO_LOW
            ]
            found = self.rpc.batch([("eth_getTransactionByHash", [row.tx_hash]) for row in too_low])
        except ChainUnavailableError as error:
            log.warning("broadcast deferred, node unreachable: %s", error)
            return
        known = {row.id: isinstance(result, dict) for row, result in zip(too_low, found, strict=True)}
        outcome = {row.id: result for row, result in zip(pending, results, strict=True)}
        with transaction(self.sessions) as db:
            for row in db.scalars(select(ChainTransaction).where(ChainTransaction.id.in_(list(outcome)))):
                if row.state not in FINAL_TX_STATES:
                    self._record_send(db, row, outcome[row.id], known.get(row.id, False))

    def _record_send(self, db: Session, row: ChainTransaction, result: Any, hash_known: bool) -> None:
        row.attempts += 1
        failure = classify_send_error(result.message) if isinstance(result, RpcError) else None
        if (
            failure is None
            or failure is SendFailure.ALREADY_KNOWN
            or (failure is SendFailure.NONCE_TOO_LOW and hash_known)
        ):
            # accepted now, or earlier (a re-send after a crash or a timeout): it is ours and it is out there
            row.state = TxState.SENT
            row.error_code = row.error_detail = None
            return
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
        raw, tx_hash = self._sign(row.signer, row.nonce, row.signer, b"", SELF_TRANSFER_GAS)
        filler = ChainTransaction(
            id=str(uuid.uuid4()),
            chain_id=self.chain_id,
            signer=row.signer,
            to_address=row.signer,
            contract="",
            function="gap-fill",
            nonce=row.nonce,
            gas_limit=SELF_TRANSFER_GAS,
            raw_tx=raw,
            tx_hash=tx_hash,
            state=TxState.SIGNED,
            attempts=0,
            gap_fill_of=row.id,
        )
        db.add(filler)
        db.flush()
        log.error(
            "transaction %s rejected (%s); nonce %d gap-filled by %s", row.tx_hash, row.error_code, row.nonce, tx_hash
        )

    # -- the whole path --------------------------------------------------------------------------------------

    def submit(self, call: ContractCall, business: Callable[[Session], None] | None = None) -> ChainTransaction:
        """Pre-flight, store and broadcast one call.

        `business` writes the request's own rows in the same database transaction as the outbox row: either
        both commit or neither does, and nothing is sent for an uncommitted request.
        """
        return self.submit_many([call], business)[0]

    def submit_many(
        self, calls: Sequence[ContractCall], business: Callable[[Session], None] | None = None
    ) -> list[ChainTransaction]:
        """Many calls: pre-flights in one RPC batch, one database transaction, one broadcast batch.

        If any pre-flight fails, nothing is stored and its named error is raised.
        """
        for call in calls:  # load hosted keys before any database lock is taken (and refuse unknown signers early)
            self.keys.get(call.signer)
        requests = [
            ("eth_estimateGas", [{"from": c.signer, "to": c.address, "data": "0x" + c.calldata().hex()}]) for c in calls
        ]
        results = self.rpc.batch(requests) if len(calls) > 1 else [self._estimate(requests[0])]
        gases: list[int] = []
        for call, result in zip(calls, results, strict=True):
            if isinstance(result, RpcError):
                raise self._revert_error(call.contract, result)
            estimate = int(result, 16)
            gases.append(estimate + estimate * GAS_HEADROOM_PERCENT // 100 + GAS_HEADROOM_FIXED)
        with transaction(self.sessions) as db:
            if business is not None:
                business(db)
            rows = self.prepare(db, calls, gases)
        ids = [row.id for row in rows]
        self.broadcast(ids)
        with self.sessions() as db:
            by_id = {row.id: row for row in db.scalars(select(ChainTransaction).where(ChainTransaction.id.in_(ids)))}
        return [by_id[tx_id] for tx_id in ids]

    def _estimate(self, request: tuple[str, list[Any]]) -> Any:
        try:
            return self.rpc.call(*request)
        except RpcError as error:
            return error

    def get(self, tx_id: str) -> ChainTransaction:
        with self.sessions() as db:
            row = db.get(ChainTransaction, tx_id)
        if row is None:
            raise TradeLedgerError(f"no transaction {tx_id}", code="transaction_not_found")
        return row

    # -- step 4: confirmation and recovery ----------------------------------------------------------------

    def confirm_pending(self) -> int:
        """One confirmer pass: receipts, re-sends of unsent or dropped bytes. Returns how many became final."""
        with self.sessions() as db:
            open_rows = list(
                db.scalars(select(ChainTransaction).where(ChainTransaction.state.in_([TxState.SIGNED, TxState.SENT])))
            )
        if not open_rows:
            return 0
        receipts = self.rpc.batch([("eth_getTransactionReceipt", [row.tx_hash]) for row in open_rows])
        finalised = self._record_receipts(
            [(row.id, receipt) for row, receipt in zip(open_rows, receipts, strict=True) if isinstance(receipt, dict)]
        )
        now = utcnow()
        resend = [
            row.id
            for row, receipt in zip(open_rows, receipts, strict=True)
            if receipt is None and (row.state is TxState.SIGNED or now - row.updated_at >= self.resend_after)
        ]
        if resend:
            self._resend_dropped(resend)
        return finalised

    def _record_receipts(self, receipts: Sequence[tuple[str, dict[str, Any]]]) -> int:
        if not receipts:
            return 0
        finalised = 0
        by_id = dict(receipts)
        with transaction(self.sessions) as db:
            for row in db.scalars(select(ChainTransaction).where(ChainTransaction.id.in_(list(by_id)))):
                receipt = by_id[row.id]
                if row.state in FINAL_TX_STATES:
                    continue
                row.state = TxState.MINED if int(receipt["status"], 16) == 1 else TxState.REVERTED
                row.block_number = int(receipt["blockNumber"], 16)
                row.block_hash = receipt["blockHash"]
                finalised += 1
        return finalised

    def _resend_dropped(self, tx_ids: list[str]) -> None:
        """Re-broadcast the stored bytes of transactions the node does not hold (never sent, or dropped)."""
        with self.sessions() as db:
            rows = list(db.scalars(select(ChainTransaction).where(ChainTransaction.id.in_(tx_ids))))
        known = self.rpc.batch([("eth_getTransactionByHash", [row.tx_hash]) for row in rows])
        missing = [row.id for row, found in zip(rows, known, strict=True) if not isinstance(found, dict)]
        if missing:
            log.warning("re-broadcasting %d transactions the node does not hold", len(missing))
            self.broadcast(missing)
        with transaction(self.sessions) as db:  # touch the rest so the next check waits a full interval
            for row in db.scalars(select(ChainTransaction).where(ChainTransaction.id.in_(tx_ids))):
                row.updated_at = utcnow()

    def recover(self) -> None:
        """At start-up: send whatever a crash left signed but unsent, and confirm the rest."""
        with self.sessions() as db:
            unsent = list(db.scalars(select(ChainTransaction.id).where(ChainTransaction.state == TxState.SIGNED)))
        if unsent:
            log.info("recovering %d stored transactions", len(unsent))
            self.broadcast(unsent)
        self.confirm_pending()

    def wait(self, tx_id: str, timeout: float = 60.0) -> ChainTransaction:
        """Block until the transaction is final; raises if it reverted or was rejected.

        Polls the receipt with a backoff from 10 ms (a dev-chain block) to 250 ms (a QBFT block period), and
        runs a confirmer pass (re-sending what the node dropped) whenever it has waited a re-send interval.
        """
        deadline = time.monotonic() + timeout
        next_recovery = time.monotonic() + self.resend_after.total_seconds()
        poll = 0.01
        while True:
            if time.monotonic() >= next_recovery:  # no receipt for long: re-send it if the node dropped it
                self.confirm_pending()
                next_recovery = time.monotonic() + self.resend_after.total_seconds()
            row = self.get(tx_id)
            if row.state not in FINAL_TX_STATES:
                receipt = self.rpc.call("eth_getTransactionReceipt", [row.tx_hash])
                if receipt is not None:
                    self._record_receipts([(tx_id, receipt)])
                    row = self.get(tx_id)
            if row.state is TxState.MINED:
                return row
            if row.state is TxState.REVERTED:
                raise TransactionRevertedError(f"transaction {row.tx_hash} ({row.contract}.{row.function}) reverted")
            if row.state is TxState.FAILED:
                raise TransactionRejectedError(f"transaction {row.tx_hash} was rejected: {row.error_detail}")
            if time.monotonic() > deadline:
                raise ChainUnavailableError(
                    f"transaction {row.tx_hash} is not mined after {timeout:.0f} s; it stays pending"
                )
            time.sleep(poll)
            poll = min(poll * 1.5, 0.25)

    def pending_count(self) -> int:
        with self.sessions() as db:
            return int(
                db.scalar(
                    select(func.count())
                    .select_from(ChainTransaction)
                    .where(ChainTransaction.state.in_([TxState.SIGNED, TxState.SENT]))
                )
                or 0
            )
