"""What must hold after every round, with the service back up and settled.

- settled: the service is ready, no transaction of its outbox is open, the indexer has reached the head;
- acknowledged_on_chain_once: every write that got a 2xx is on chain exactly once (its Posted reference, its
  LC's or document's events, found by the transaction the API answered where it answered one);
- refused_left_no_trace: a write that got a 4xx did not happen (no Posted with its reference, no outbox row of
  its LC step): a client told "refused" would send it again under a new key;
- signed_once: no request was signed twice: at most one outbox row (gap-fills aside) per calldata, and exactly
  one for each acknowledged request;
- nonces_contiguous: per signer, the live outbox rows' nonces are 0..n-1 (the deployer's from its first) with n
  the node's nonce, and every one is mined in the block the node has at that height;
- read_model_equals_logs: raw events = eth_getLogs, projections = the contracts' getters
  (tests/indexer/checks.py);
- balances_sum_to_supply: per currency, the balances of every account the ledger posted to sum to issued minus
  redeemed, and none is negative.

Each failure names the request (number, kind, caller, Idempotency-Key), and the drill adds the round and fault.
"""

from __future__ import annotations

import time
import traceback
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import rlp
from sqlalchemy import select

from tests.chaos.ledger import ChainView, Log
from tests.chaos.processes import ServedPlatform
from tests.chaos.workload import Outcome, Request
from tests.indexer.checks import assert_projections_equal_getters, assert_raw_events_equal_logs
from tradeledger.codec import reference_bytes
from tradeledger.store.db import session_factory
from tradeledger.store.models import ChainTransaction, TxState

SETTLE_TIMEOUT_S = 60.0
POSTING_KINDS = {"deposit": 0, "transfer": 2, "financing": 5}  # Settlement.PostingKind of each money movement
LC_STEP_EVENTS = {"lc_issue": "LetterOfCreditIssued", "lc_advise": "LetterOfCreditAdvised",
                  "lc_confirm": "LetterOfCreditConfirmed"}  # fmt: skip
GAP_FILL = "gap-fill"
MAX_LISTED = 12  # failures listed per check; the count says how many more


@dataclass
class Check:
    name: str
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures

    def fail(self, message: str) -> None:
        self.failures.append(message)

    def summary(self) -> str:
        shown = self.failures[:MAX_LISTED]
        more = len(self.failures) - len(shown)
        return "\n".join([f"check {self.name} FAILED ({len(self.failures)}):", *(f"  - {f}" for f in shown),
                          *([f"  - ... and {more} more"] if more else [])])  # fmt: skip


@dataclass(frozen=True)
class Settled:
    ok: bool
    indexed_block: int
    detail: str


def settle(served: ServedPlatform, chain: ChainView, timeout: float = SETTLE_TIMEOUT_S) -> Settled:
    """Wait for the service to be ready, its outbox empty of open transactions and its indexer at the head."""
    deadline = time.monotonic() + timeout
    target: int | None = None
    health: dict[str, Any] = {}
    detail = "no answer from /v1/ready"
    while time.monotonic() < deadline:
        try:
            response = httpx.get(f"{served.api_url}/v1/ready", timeout=10)
            health = response.json()
        except (httpx.TransportError, ValueError) as error:
            detail = f"/v1/ready: {type(error).__name__}"
            time.sleep(0.5)
            continue
        if response.status_code != 200:
            detail = f"/v1/ready answered {response.status_code}: {health}"
        elif health["pending_transactions"] > 0:
            detail = f"{health['pending_transactions']} transactions still open in the outbox"
            target = None
        else:
            target = chain.head() if target is None else target
            if health["indexed_block"] >= target:
                return Settled(True, int(health["indexed_block"]), "settled")
            detail = f"indexer at block {health['indexed_block']}, head {target}"
        time.sleep(0.5)
    return Settled(False, int(health.get("indexed_block", -1)), f"not settled after {timeout:.0f} s: {detail}")


class Checks:
    """The checks of one moment: the chain's logs and the service's outbox read once, then compared."""

    def __init__(self, served: ServedPlatform, chain: ChainView) -> None:
        self.served = served
        self.chain = chain
        self.engine = served.engine()
        self.sessions = session_factory(self.engine)
        self.logs = chain.logs()
        with self.sessions() as db:
            self.rows = list(db.scalars(select(ChainTransaction).order_by(ChainTransaction.signer,
                                                                           ChainTransaction.nonce)))  # fmt: skip
        self.calldata = {row.id: _calldata(row.raw_tx) for row in self.rows}
        self.notes: list[str] = []  # what held, yet a reader of the round should know

    def close(self) -> None:
        self.engine.dispose()

    def run(self, requests: list[Request], settled: Settled) -> list[Check]:
        acknowledged = [r for r in requests if r.outcome is Outcome.ACKNOWLEDGED]
        refused = [r for r in requests if r.outcome is Outcome.REFUSED]
        checks = [Check("settled", [] if settled.ok else [settled.detail])]
        for name, check in (
            ("acknowledged_on_chain_once", lambda c: self.acknowledged_once(c, acknowledged)),
            ("refused_left_no_trace", lambda c: self.refused_no_trace(c, refused)),
            ("signed_once", lambda c: self.signed_once(c, acknowledged)),
            ("nonces_contiguous", self.nonces_contiguous),
            ("read_model_equals_logs", lambda c: self.read_model(c, settled.indexed_block)),
            ("balances_sum_to_supply", self.balances),
        ):
            checks.append(_guarded(name, check))
        return checks

    # -- every acknowledged write on chain exactly once ------------------------------------------------------

    def _by(self, name: str, key: Callable[[Log], Any]) -> dict[Any, list[Log]]:
        found: dict[Any, list[Log]] = defaultdict(list)
        for log in self.logs:
            if log.name == name:
                found[key(log)].append(log)
        return found

    def acknowledged_once(self, check: Check, acknowledged: list[Request]) -> None:
        posted = self._by("Posted", lambda log: log.args["ref"])
        applied = self._by("LetterOfCreditApplied", lambda log: log.args["lcId"])
        applied_terms = Counter(log.args["terms"]["termsHash"] for logs in applied.values() for log in logs)
        registered = self._by("DocumentRegistered", lambda log: log.args["documentId"])
        reused = {*self._by("FingerprintReused", lambda log: log.args["documentId"]),
                  *self._by("FingerprintReused", lambda log: log.args["priorDocumentId"])}  # fmt: skip
        financed = self._by("DocumentFinanced", lambda log: log.args["documentId"])
        steps = {kind: self._by(event, lambda log: log.args["lcId"]) for kind, event in LC_STEP_EVENTS.items()}
        for request in acknowledged:
            what = request.describe()
            if request.operation_state in ("reverted", "failed"):
                check.fail(f"{what}: answered 202, then its transaction {request.operation_state}")
            if request.kind in POSTING_KINDS:
                assert request.reference is not None
                found = posted.get(reference_bytes(request.reference), [])
                expected = (POSTING_KINDS[request.kind], request.amount)
                if len(found) != 1 or (found[0].args["kind"], found[0].args["amount"]) != expected:
                    check.fail(f"{what}: {len(found)} Posted with its reference on chain "
                               f"{[(log.args['kind'], log.args['amount'], log.tx_hash) for log in found]}")  # fmt: skip
                    continue
                if request.kind == "financing" and len(financed.get(request.target_id, [])) != 1:
                    check.fail(f"{what}: {len(financed.get(request.target_id, []))} DocumentFinanced on chain")
                self._same_transaction(check, request, found[0])
            elif request.kind in ("lc_apply", "document"):
                events, event = (applied, "LetterOfCreditApplied") if request.kind == "lc_apply" else (
                    registered, "DocumentRegistered")  # fmt: skip
                self._resolve_created(request, event)
                found = events.get(request.object_id, []) if request.object_id is not None else []
                if len(found) != 1:
                    check.fail(f"{what}: {len(found)} {event} events on chain for it"
                               + ("" if request.object_id is not None else
                                  f" (none in its transaction {request.tx_hash})"))  # fmt: skip
                    continue
                if request.kind == "lc_apply" and applied_terms[found[0].args["terms"]["termsHash"]] != 1:
                    check.fail(f"{what}: applied {applied_terms[found[0].args['terms']['termsHash']]} times on chain")
                if request.kind == "document" and request.object_id in reused:
                    check.fail(f"{what}: registered again as another document (FingerprintReused)")
                self._same_transaction(check, request, found[0])
            else:
                found = steps[request.kind].get(request.target_id, [])
                if len(found) != 1:
                    check.fail(f"{what}: {len(found)} {LC_STEP_EVENTS[request.kind]} events on chain for LC "
                               f"{request.target_id}")  # fmt: skip

    def refused_no_trace(self, check: Check, refused: list[Request]) -> None:
        """A refused write must not have happened: a client told 4xx writes again under a new key."""
        posted = Counter(log.args["ref"] for log in self.logs if log.name == "Posted")
        for request in refused:
            if request.reference is not None and posted[reference_bytes(request.reference)]:
                check.fail(f"{request.describe()}: refused, yet {posted[reference_bytes(request.reference)]} Posted "
                           "with its reference on chain")  # fmt: skip
            rows = self._signed_for(request) if request.kind in LC_STEP_EVENTS else None
            if rows:
                check.fail(f"{request.describe()}: refused, yet signed in the outbox "
                           f"{[(row.nonce, row.state.value, row.tx_hash) for row in rows]}")  # fmt: skip

    def _resolve_created(self, request: Request, event: str) -> None:
        """The LC or document the request's own transaction created on the settled chain; the id its client read
        stands only where it knows no transaction.

        The dev chain has no finality across a kill: it restarts from its last save, and the service sends what
        the lost blocks had mined again, same bytes, same hash. Mined after newer writes, a creation gets a later
        count than its client read (QBFT, in production, is final at once). That is noted, not failed: the
        write itself, found by its transaction, must still be on chain exactly once."""
        if request.tx_hash is None:
            return
        on_chain = self._created_by(request.tx_hash, event)
        if on_chain is not None and request.object_id is not None and on_chain != request.object_id:
            self.notes.append(f"{request.describe()}: read {request.object_id} before the node lost its block; "
                              f"{on_chain} on the settled chain")  # fmt: skip
        request.object_id = on_chain if on_chain is not None else request.object_id

    def _created_by(self, tx_hash: str | None, event: str) -> int | None:
        """The LC or document the `event` of this transaction on chain created, if it is there."""
        arg = "lcId" if event == "LetterOfCreditApplied" else "documentId"
        return next((int(log.args[arg]) for log in self.logs if log.tx_hash == tx_hash and log.name == event), None)

    @staticmethod
    def _same_transaction(check: Check, request: Request, log: Log) -> None:
        if request.tx_hash and log.tx_hash != request.tx_hash:
            check.fail(f"{request.describe()}: on chain in transaction {log.tx_hash}, not the one answered")

    # -- no request signed twice -----------------------------------------------------------------------------

    def _signed_for(self, request: Request) -> list[ChainTransaction] | None:
        """The outbox rows (gap-fills aside) that carry an acknowledged request's call, or None if the request
        left nothing on chain to recognise them by (acknowledged_on_chain_once reports it)."""
        if request.reference is not None:  # the reference is an argument of the call
            function = {"deposit": "issue", "transfer": "transfer", "financing": "finance"}[request.kind]
            marker = reference_bytes(request.reference)
            return self._rows("Settlement" if function != "finance" else "DocumentRegistry", function,
                              lambda data: marker in data)  # fmt: skip
        if request.kind in LC_STEP_EVENTS:  # issue(lcId), advise(lcId), confirm(lcId)
            assert request.target_id is not None
            word = request.target_id.to_bytes(32, "big")
            return self._rows("LetterOfCredit", request.kind.removeprefix("lc_"), lambda data: data[4:36] == word)
        event = "LetterOfCreditApplied" if request.kind == "lc_apply" else "DocumentRegistered"
        created = next((log for log in self.logs if log.name == event and request.object_id in (
            log.args.get("lcId"), log.args.get("documentId"))), None)  # fmt: skip
        if created is None:
            return None
        if request.kind == "lc_apply":
            terms_hash = created.args["terms"]["termsHash"]
            return self._rows("LetterOfCredit", "applyForCredit", lambda data: terms_hash in data)
        fingerprint = created.args["fingerprints"][0]
        return self._rows("DocumentRegistry", "registerDocument", lambda data: fingerprint in data)

    def _rows(self, contract: str, function: str, matches: Callable[[bytes], bool]) -> list[ChainTransaction]:
        rows = (row for row in self.rows if row.contract == contract and row.function == function)
        return [row for row in rows if matches(self.calldata[row.id])]

    def signed_once(self, check: Check, acknowledged: list[Request]) -> None:
        by_call: dict[tuple[str, bytes], list[ChainTransaction]] = defaultdict(list)
        for row in self.rows:
            if row.function != GAP_FILL:
                by_call[row.to_address.lower(), self.calldata[row.id]].append(row)
        doubled = {call: rows for call, rows in by_call.items() if len(rows) > 1}
        for request in acknowledged:
            rows = self._signed_for(request)
            if rows is None:
                continue
            if len(rows) != 1:
                states = [(row.nonce, row.state.value, row.tx_hash) for row in rows]
                check.fail(f"{request.describe()}: {len(rows)} signed transactions in the outbox {states}")
            for row in rows:
                doubled.pop((row.to_address.lower(), self.calldata[row.id]), None)
        for rows in doubled.values():
            check.fail(f"{rows[0].contract}.{rows[0].function} signed {len(rows)} times with the same calldata: "
                       f"{[(row.signer, row.nonce, row.state.value) for row in rows]}")  # fmt: skip

    # -- nonces ------------------------------------------------------------------------------------------------

    def nonces_contiguous(self, check: Check) -> None:
        live: dict[str, list[ChainTransaction]] = defaultdict(list)
        for row in self.rows:
            if row.state is not TxState.FAILED:
                live[row.signer].append(row)
        signers = sorted(live)
        counts = self.chain.rpc.batch([("eth_getTransactionCount", [s, tag]) for s in signers
                                       for tag in ("latest", "pending")])  # fmt: skip
        receipts = self.chain.rpc.batch([("eth_getTransactionReceipt", [row.tx_hash]) for s in signers
                                         for row in live[s]])  # fmt: skip
        by_hash = {r["transactionHash"]: r for r in receipts if isinstance(r, dict)}
        for signer, latest, pending in zip(signers, counts[::2], counts[1::2], strict=True):
            rows = live[signer]
            nonces = [row.nonce for row in rows]
            first = nonces[0] if signer.lower() == self.chain.deployer.lower() else 0
            node = int(latest, 16)
            if nonces != list(range(first, first + len(nonces))):
                gaps = sorted(set(range(first, max(nonces) + 1)) - set(nonces))
                check.fail(f"signer {signer}: outbox nonces not contiguous from {first}: missing {gaps[:10]}")
            if max(nonces) + 1 != node or int(pending, 16) != node:
                check.fail(f"signer {signer}: outbox next nonce {max(nonces) + 1}, node's nonce {node} "
                           f"(pending {int(pending, 16)})")  # fmt: skip
            for row in rows:
                receipt = by_hash.get(row.tx_hash)
                if row.state not in (TxState.MINED, TxState.REVERTED):
                    check.fail(f"signer {signer} nonce {row.nonce} ({row.contract}.{row.function}): still "
                               f"{row.state.value}")  # fmt: skip
                elif receipt is None:
                    check.fail(
                        f"signer {signer} nonce {row.nonce} ({row.contract}.{row.function}): outbox says "
                        f"{row.state.value} in block {row.block_number}, the node has no such transaction"
                    )
                elif receipt["blockHash"] != row.block_hash:
                    check.fail(f"signer {signer} nonce {row.nonce}: outbox says block {row.block_number} "
                               f"{row.block_hash}, the node mined it in {int(receipt['blockNumber'], 16)} "
                               f"{receipt['blockHash']}")  # fmt: skip

    # -- the read model ----------------------------------------------------------------------------------------

    def read_model(self, check: Check, indexed_block: int) -> None:
        world = self.chain.world()
        try:
            assert_raw_events_equal_logs(world, self.sessions, through=indexed_block)
            assert_projections_equal_getters(world, self.sessions)
        except AssertionError as error:
            where = traceback.extract_tb(error.__traceback__)[-1]
            check.fail(f"read model differs from eth_getLogs replay at {Path(where.filename).name}:{where.lineno} "
                       f"({where.line}): {str(error)[:800] or repr(error)}")  # fmt: skip

    def balances(self, check: Check) -> None:
        accounts: dict[bytes, set[str]] = defaultdict(set)
        for log in self.logs:
            if log.name == "Posted":
                for side in ("debitAccount", "creditAccount"):
                    if int(log.args[side], 16):
                        accounts[log.args["currency"]].add(log.args[side])
        world = self.chain.world()
        for currency, holders in accounts.items():
            balances = {a: int(world.call("Settlement", "balanceOf", a, currency)) for a in sorted(holders)}
            supply = world.call("Settlement", "totalIssued", currency) - world.call("Settlement", "totalRedeemed",
                                                                                     currency)  # fmt: skip
            negative = {a: b for a, b in balances.items() if b < 0}
            if sum(balances.values()) != supply or negative:
                check.fail(f"{currency.decode()}: balances sum to {sum(balances.values())}, issued - redeemed is "
                           f"{supply}; negative: {negative}")  # fmt: skip


def _guarded(name: str, run: Callable[[Check], None]) -> Check:
    """A check that cannot even be evaluated (the node does not answer) fails with the reason."""
    check = Check(name)
    try:
        run(check)
    except Exception as error:
        check.fail(f"could not be evaluated: {type(error).__name__}: {str(error)[:500]}")
    return check


def _calldata(raw_tx: str) -> bytes:
    """The data field of a stored legacy transaction: RLP [nonce, gasPrice, gas, to, value, data, v, r, s]."""
    fields = rlp.decode(bytes.fromhex(raw_tx.removeprefix("0x")))
    return bytes(fields[5])
