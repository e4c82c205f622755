"""Bursts of mixed writes from concurrent clients, each request with its own Idempotency-Key, retried with that
key until it gets a final answer.

A client retries the same request (same key, same body) on a connection error, a 5xx, a 409 "in flight" and a
202 (it polls the operation URL until the transaction is final), for at most REQUEST_DEADLINE_S; a 2xx is an
acknowledgement, a 4xx a refusal. Each kind of write has its own worker thread: deposits (a bank to its trader,
the settlement agent to a bank), transfers (two workers), LC steps (apply, issue, advise, confirm) and financings
(register an invoice, finance it). Every reference, LC number and invoice number is unique to its request, so the
checks can find each write on chain and in the outbox.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import Enum
from itertools import groupby
from typing import Any

import httpx

from tests.chaos.ledger import ChainView, Log
from tests.chaos.processes import Member
from tradeledger.demo.trade import _invoice, _lc_terms
from tradeledger.errors import ChainUnavailableError

REQUEST_DEADLINE_S = 90.0
HTTP_TIMEOUT_S = 75.0  # a write may wait a minute for its block (today's bound) before it answers
RETRY_PAUSE_S = 0.3
ASYNC_SHARE = 0.2  # of deposits, transfers and financings, sent with `Prefer: respond-async`
FINAL_TX_STATES = {"mined", "reverted", "failed"}


class Outcome(Enum):
    ACKNOWLEDGED = "acknowledged"  # a 2xx (a 202 included: the write was accepted)
    REFUSED = "refused"  # a 4xx
    UNRESOLVED = "unresolved"  # no final answer within REQUEST_DEADLINE_S


@dataclass
class Request:
    """One intended write and everything the client saw of it."""

    number: int
    round: int
    kind: str  # deposit, transfer, lc_apply, lc_issue, lc_advise, lc_confirm, document, financing
    party: str  # the caller's handle
    path: str
    body: dict[str, Any] | None
    key: str
    reference: str | None = None  # the Posted reference of money movements
    amount: int | None = None
    respond_async: bool = False
    status: int | None = None  # the final answer's status
    answer: dict[str, Any] = field(default_factory=dict)
    outcome: Outcome = Outcome.UNRESOLVED
    tx_hash: str | None = None  # of a TransactionView answer or a polled operation
    operation_state: str | None = None  # where a 202's operation ended
    object_id: int | None = None  # the LC or document a creation made
    target_id: int | None = None  # the LC or document a step acts on
    history: list[str] = field(default_factory=list)

    def describe(self) -> str:
        what = f"request #{self.number} (round {self.round}) {self.kind} by {self.party} POST {self.path}"
        details = [f"Idempotency-Key {self.key}"]
        if self.reference:
            details.append(f"reference {self.reference}, amount {self.amount}")
        if self.object_id is not None:
            details.append(f"created id {self.object_id}")
        if self.status is not None:
            details.append(f"answered {self.status}")
        if self.tx_hash:
            details.append(f"tx {self.tx_hash}")
        return f"{what} [{'; '.join(details)}; seen: {_runs(self.history) or '-'}]"


@dataclass
class Workload:
    """The clients of one platform: its members' keys, the URL, a counter of requests, what they sent."""

    api_url: str
    members: dict[str, Member]
    chain: ChainView
    run: str  # unique to this drill: in every reference and key
    agent_deposits: bool = True  # False when the agent cannot deposit to a bank through the API (a 404)
    requests: list[Request] = field(default_factory=list)
    _count: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def new(self, round_no: int, kind: str, party: str, path: str, body: dict[str, Any] | None) -> Request:
        with self._lock:
            self._count += 1
            number = self._count
        request = Request(number, round_no, kind, party, path, body, key=f"chaos-{self.run}-{number}")
        with self._lock:
            self.requests.append(request)
        return request

    def reference(self, number: int) -> str:
        return f"CH{self.run}N{number}"

    def money(self, round_no: int, kind: str, payer: str, payee: str, amount: int, rng: random.Random) -> Request:
        """A deposit (`payer` the issuer of `payee`'s account) or a transfer, with its own reference."""
        to = self.members[payee].address
        path = f"/v1/accounts/{to}/deposits" if kind == "deposit" else "/v1/settlements/transfers"
        request = self.new(round_no, kind, payer, path, None)
        request.reference, request.amount = self.reference(request.number), amount
        request.body = {"currency": "USD", "amount": amount, "reference": request.reference}
        if kind == "transfer":
            request.body["to"] = to
        request.respond_async = rng.random() < ASYNC_SHARE
        return request

    # -- one request to its final answer ---------------------------------------------------------------------

    def send(self, client: httpx.Client, request: Request, deadline_s: float = REQUEST_DEADLINE_S) -> Request:
        deadline = time.monotonic() + deadline_s
        headers = {"Authorization": f"Bearer {self.members[request.party].api_key}", "Idempotency-Key": request.key}
        if request.respond_async:
            headers["Prefer"] = "respond-async"
        while time.monotonic() < deadline:
            try:
                response = client.post(request.path, json=request.body, headers=headers)
            except httpx.TransportError as error:
                request.history.append(type(error).__name__)
                time.sleep(RETRY_PAUSE_S)
                continue
            status = response.status_code
            answer = _json(response)
            if status >= 500 or (status == 409 and answer.get("code") == "idempotency_request_in_flight"):
                request.history.append(f"{status}:{answer.get('code', '')}")
                time.sleep(RETRY_PAUSE_S)
                continue
            request.status, request.answer = status, answer
            request.history.append(str(status))
            if status >= 400:
                request.outcome = Outcome.REFUSED
                return request
            request.outcome = Outcome.ACKNOWLEDGED
            if "tx_hash" in answer and "state" in answer and "nonce" in answer:  # a TransactionView
                request.tx_hash = str(answer["tx_hash"])
            location = response.headers.get("location")
            if status == 202:
                self._follow(client, request, headers, location, deadline)
            self._created(client, request, headers, location, deadline)
            return request
        return request

    def _follow(self, client: httpx.Client, request: Request, headers: dict[str, str], location: str | None,
                deadline: float) -> None:  # fmt: skip
        """Poll a 202's operation URL until its transaction is final (or the deadline)."""
        if location is None:
            request.history.append("202-without-Location")
            return
        while time.monotonic() < deadline:
            try:
                response = client.get(location, headers={"Authorization": headers["Authorization"]})
            except httpx.TransportError as error:
                request.history.append(f"poll:{type(error).__name__}")
                time.sleep(RETRY_PAUSE_S)
                continue
            answer = _json(response)
            if response.status_code == 200:
                request.tx_hash = str(answer.get("tx_hash") or request.tx_hash)
                if answer.get("state") in FINAL_TX_STATES:
                    request.operation_state = str(answer["state"])
                    request.history.append(f"op:{request.operation_state}")
                    return
            elif response.status_code < 500:
                request.history.append(f"poll:{response.status_code}")
                return
            time.sleep(RETRY_PAUSE_S)
        request.history.append("poll:deadline")

    def _created(self, client: httpx.Client, request: Request, headers: dict[str, str], location: str | None,
                 deadline: float) -> None:  # fmt: skip
        """The LC or document a creation made: from the answer, or (a 202) from its transaction's logs.

        An operation answered "mined" whose receipt the node does not have was mined in a block the node lost
        (killed, it restarted from its last save): the service sends the same bytes again, and its operation
        goes back to open until they are mined anew. The client follows it until the chain has the receipt, as
        a client of a chain without finality must; it never takes "mined" alone for the chain's word."""
        field_name, event = {"lc_apply": ("lc_id", "LetterOfCreditApplied"),
                             "document": ("document_id", "DocumentRegistered")}.get(request.kind, ("", ""))  # fmt: skip
        if not field_name:
            return
        if field_name in request.answer:
            request.object_id = int(request.answer[field_name])
            return
        while request.tx_hash and request.operation_state == "mined":
            logs = self._receipt_logs(request.tx_hash)
            if logs is not None:
                arg = "lcId" if request.kind == "lc_apply" else "documentId"
                request.object_id = next((int(log.args[arg]) for log in logs if log.name == event), None)
                return
            request.history.append("receipt:missing")
            if location is None or time.monotonic() >= deadline:
                return
            time.sleep(RETRY_PAUSE_S)
            self._follow(client, request, headers, location, deadline)

    def _receipt_logs(self, tx_hash: str) -> list[Log] | None:
        """The transaction's logs, or None while the node has no receipt for it or is down (restarting)."""
        try:
            return self.chain.receipt_logs(tx_hash)
        except ChainUnavailableError:
            return None

    # -- the workers ------------------------------------------------------------------------------------------

    def burst(self, round_no: int, seed: int, until: float, budget: int) -> list[Request]:
        """Run the workers until the monotonic time `until` or until they have begun `budget` flows (a flow: one
        write, or the steps of an LC or a financing), and wait for every request to end; this round's requests."""
        first = len(self.requests)
        remaining = [budget]
        workers: list[Callable[[httpx.Client, random.Random], bool]] = [
            lambda c, r: self._deposit(c, r, round_no), lambda c, r: self._transfer(c, r, round_no),
            lambda c, r: self._transfer(c, r, round_no), lambda c, r: self._lc(c, r, round_no),
            lambda c, r: self._financing(c, r, round_no),
        ]  # fmt: skip

        def work(index: int, flow: Callable[[httpx.Client, random.Random], bool]) -> None:
            rng = random.Random(f"{seed}-{round_no}-{index}")
            with httpx.Client(base_url=self.api_url, timeout=HTTP_TIMEOUT_S) as client:
                while time.monotonic() < until:
                    with self._lock:
                        if remaining[0] <= 0:
                            return
                        remaining[0] -= 1
                    flow(client, rng)

        threads = [threading.Thread(target=work, args=(i, w), name=f"chaos-client-{i}") for i, w in enumerate(workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        with self._lock:
            return self.requests[first:]

    def _deposit(self, client: httpx.Client, rng: random.Random, round_no: int) -> bool:
        pairs = [("BANK_A", "IMPORTER"), ("BANK_B", "EXPORTER")]
        if self.agent_deposits:
            pairs.append(("AGENT", rng.choice(["BANK_A", "BANK_B", "BANK_C"])))
        payer, payee = rng.choice(pairs)
        request = self.send(client, self.money(round_no, "deposit", payer, payee, rng.randint(1, 99_999), rng))
        return request.outcome is Outcome.ACKNOWLEDGED

    def _transfer(self, client: httpx.Client, rng: random.Random, round_no: int) -> bool:
        payer, payee = rng.choice([("BANK_A", "BANK_B"), ("BANK_B", "BANK_C"), ("BANK_C", "BANK_A"),
                                   ("IMPORTER", "EXPORTER"), ("EXPORTER", "BANK_B")])  # fmt: skip
        request = self.send(client, self.money(round_no, "transfer", payer, payee, rng.randint(1, 9_999), rng))
        return request.outcome is Outcome.ACKNOWLEDGED

    def _lc(self, client: httpx.Client, rng: random.Random, round_no: int) -> bool:
        """Apply (the importer), issue (Bank A), advise and confirm (Bank B): each step after the previous one's
        acknowledgement."""
        m = self.members
        apply = self.new(round_no, "lc_apply", "IMPORTER", "/v1/lcs", None)
        apply.body = {
            "terms": _lc_terms(f"{self.run[:2]}{apply.number}", _today(), f"{rng.randint(1_000, 50_000)}.00"),
            "beneficiary": m["EXPORTER"].address, "issuing_bank": m["BANK_A"].address,
            "advising_bank": m["BANK_B"].address, "confirming_bank": m["BANK_B"].address,
            "available_with_bank": m["BANK_A"].address,
        }  # fmt: skip
        self.send(client, apply)
        if apply.outcome is not Outcome.ACKNOWLEDGED or apply.object_id is None:
            return False
        for kind, party in (("lc_issue", "BANK_A"), ("lc_advise", "BANK_B"), ("lc_confirm", "BANK_B")):
            step = self.new(round_no, kind, party, f"/v1/lcs/{apply.object_id}/{kind.removeprefix('lc_')}", None)
            step.target_id = apply.object_id
            if self.send(client, step).outcome is not Outcome.ACKNOWLEDGED:
                return False
        return True

    def _financing(self, client: httpx.Client, rng: random.Random, round_no: int) -> bool:
        """Bank B registers an invoice of its client the exporter, then finances 80% of it."""
        m = self.members
        document = self.new(round_no, "document", "BANK_B", "/v1/documents", None)
        face_value = rng.randint(1_000_00, 90_000_00)
        document.body = {
            "kind": "invoice", "fields": _invoice(self.run, str(document.number), _today(), face_value),
            "owner": m["EXPORTER"].address, "currency": "USD", "face_value": face_value,
        }  # fmt: skip
        self.send(client, document)
        if document.outcome is not Outcome.ACKNOWLEDGED or document.object_id is None:
            return False
        financing = self.new(round_no, "financing", "BANK_B", f"/v1/documents/{document.object_id}/financings", None)
        financing.target_id = document.object_id
        financing.reference, financing.amount = self.reference(financing.number), face_value * 8 // 10
        financing.body = {"amount": financing.amount, "reference": financing.reference}
        financing.respond_async = rng.random() < ASYNC_SHARE
        return self.send(client, financing).outcome is Outcome.ACKNOWLEDGED


def _runs(history: list[str]) -> str:
    """What a client saw, repeats folded: `ReadTimeout 503:chain_unavailable x3 200`."""
    runs = [(answer, len(list(group))) for answer, group in groupby(history)]
    return " ".join(answer if count == 1 else f"{answer} x{count}" for answer, count in runs)


def _today() -> date:
    return datetime.now(UTC).date()


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
