"""A lean JSON-RPC client with batching, and the classification of node error strings.

The transaction manager and the indexer talk to the node through this rather than through web3's middleware
stack: kept HTTP connections, JSON-RPC batches, no retries but one (a request on a kept connection the node
closed while idle goes once more on a new one), and errors that keep their data (revert payloads) and say whether
retrying makes sense.
"""

from __future__ import annotations

import base64
import enum
import itertools
import json
import threading
from collections.abc import Mapping, Sequence
from functools import partial
from http.client import HTTPConnection, HTTPException, HTTPSConnection, RemoteDisconnected
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import unquote, urlsplit

import orjson

from tradeledger.errors import ChainUnavailableError

if TYPE_CHECKING:
    from web3.providers.base import BaseProvider

RPC_TIMEOUT_S = 10.0
JSON_CONTENT = {"Content-Type": "application/json"}
MAX_IDLE_CONNECTIONS = 16  # kept open between calls: about one per thread that calls the node
# what a request on a kept connection meets when the node closed it while idle
STALE_CONNECTION = (RemoteDisconnected, ConnectionResetError, BrokenPipeError, ConnectionAbortedError)


class RpcError(Exception):
    """An error object returned by the node for one call."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(f"{message} (code {code})")
        self.code = code
        self.message = message
        self.data = data

    @property
    def revert_data(self) -> bytes | None:
        """The revert payload of an `execution reverted` error, if the node sent one."""
        data = self.data
        if isinstance(data, dict):
            data = data.get("data")
        if isinstance(data, str) and data.startswith("0x"):
            try:
                return bytes.fromhex(data[2:])
            except ValueError:
                return None
        return None


class SendFailure(enum.StrEnum):
    """What an `eth_sendRawTransaction` error means for the transaction we sent (besu and geth wording)."""

    NONCE_TOO_LOW = "nonce_too_low"  # probably ours already: look the stored hash up
    ALREADY_KNOWN = "already_known"  # ours, in the pool: treat as sent
    REPLACEMENT_UNDERPRICED = "replacement_underpriced"  # another tx holds this nonce in the pool
    INSUFFICIENT_FUNDS = "insufficient_funds"
    REVERTED = "execution_reverted"
    INVALID = "invalid_transaction"  # rejected for good (intrinsic gas, chain id, size...)
    UNKNOWN = "unknown"  # bounded retries, then a final failure


_SEND_FAILURE_PATTERNS: tuple[tuple[SendFailure, tuple[str, ...]], ...] = (
    (SendFailure.NONCE_TOO_LOW, ("nonce too low", "nonce_too_low", "noncetoolow", "nonce is too low", "oldnonce")),
    (
        SendFailure.ALREADY_KNOWN,
        ("already known", "known transaction", "already imported", "alreadyknown", "already_known", "already in pool"),
    ),
    (
        SendFailure.REPLACEMENT_UNDERPRICED,
        ("replacement transaction underpriced", "transaction_replacement_underpriced", "replacement underpriced"),
    ),
    (SendFailure.INSUFFICIENT_FUNDS, ("insufficient funds", "upfront_cost_exceeds_balance", "lackoffunds")),
    (SendFailure.REVERTED, ("execution reverted",)),
    (
        SendFailure.INVALID,
        ("intrinsic gas too low", "intrinsic_gas_exceeds_gas_limit", "invalid chain id", "wrong_chain_id",
         "invalid signature", "invalid_signature", "exceeds block gas limit", "exceeds_block_gas_limit",
         "oversized data", "gas limit reached", "max fee per gas less than block base fee", "gas_price_too_low",
         "transaction underpriced"),
    ),
)  # fmt: skip


def classify_send_error(message: str) -> SendFailure:
    """Map a node's error message for eth_sendRawTransaction to what it means for us."""
    lowered = message.lower().replace(" ", " ")
    for failure, patterns in _SEND_FAILURE_PATTERNS:
        if any(pattern in lowered for pattern in patterns):
            return failure
    return SendFailure.UNKNOWN


Call = tuple[str, Sequence[Any]]


class JsonRpc(Protocol):
    def call(self, method: str, params: Sequence[Any]) -> Any:
        """The result of one call; raises RpcError for an error object, ChainUnavailableError if unreachable."""

    def batch(self, calls: Sequence[Call]) -> list[Any]:
        """Results in call order; an error object comes back as an RpcError instance in its place."""

    def close(self) -> None:
        """Release the connection."""


def log_filter(query: Mapping[str, Any], first: int, last: int) -> dict[str, Any]:
    """An `eth_getLogs` filter: `query` (address, topics) over blocks first..last."""
    return {**query, "fromBlock": hex(first), "toBlock": hex(last)}


def logs_in_range(rpc: JsonRpc, query: Mapping[str, Any], first: int, last: int) -> list[dict[str, Any]]:
    """`eth_getLogs` of blocks first..last, in halves wherever the node refuses a range.

    Nodes cap a query's block range (Besu: --rpc-max-logs-range) or its results (some providers: 10,000 logs),
    each with its own wording. A refused range is asked again as two halves, down to single blocks: the
    configured range (TRADELEDGER_LOG_RANGE) keeps this rare, and a too-wide setting still works, slower.
    """
    try:
        logs: list[dict[str, Any]] = rpc.call("eth_getLogs", [log_filter(query, first, last)])
    except RpcError:
        if first >= last:
            raise
        middle = (first + last) // 2
        return logs_in_range(rpc, query, first, middle) + logs_in_range(rpc, query, middle + 1, last)
    return logs


def _unwrap(response: dict[str, Any]) -> Any:
    if "error" in response and response["error"] is not None:
        error = response["error"]
        return RpcError(int(error.get("code", 0)), str(error.get("message", "")), error.get("data"))
    return response.get("result")


def _encode(body: Any) -> bytes:
    """A request's JSON: orjson writes a batch of 200 signed transactions several times faster than the standard
    library; a caller's integer beyond its 64 bits (quantities are hex strings, but a parameter may be a number)
    falls back to the standard library."""
    try:
        return orjson.dumps(body)
    except TypeError:
        return json.dumps(body).encode()


class HttpJsonRpc:
    """JSON-RPC over keep-alive HTTP/1.1 connections of the standard library's client; thread-safe: a call takes
    an idle connection, or opens one, and gives it back.

    Not httpx: its layers (request and response models, the connection pool's bookkeeping, cookies) cost 440 µs
    of CPU a call against 108 here (`eth_blockNumber` on anvil, loaded 2-core machine), and the service makes
    hundreds of calls a second under load (pre-flights, sends, the receipt watch, the indexer).
    """

    def __init__(self, url: str, timeout: float = RPC_TIMEOUT_S) -> None:
        self.url = url
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL of a JSON-RPC node: {url!r}")
        self._connect = partial(
            HTTPSConnection if parts.scheme == "https" else HTTPConnection, parts.hostname, parts.port, timeout=timeout
        )
        self._target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self._headers = dict(JSON_CONTENT)
        if parts.username is not None:  # credentials in the URL, as httpx took them
            credentials = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
            self._headers["Authorization"] = "Basic " + base64.b64encode(credentials).decode()
        self._idle: list[HTTPConnection] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def _next_id(self) -> int:
        with self._lock:
            return next(self._ids)

    def _post(self, body: Any) -> Any:
        content = _encode(body)
        with self._lock:
            kept = self._idle.pop() if self._idle else None
        try:
            try:
                data = self._exchange(kept or self._connect(), content)
            except STALE_CONNECTION:
                if kept is None:
                    raise
                # The node closed an idle kept connection: once more on a new one. Every method the service calls
                # may be repeated (a transaction sent twice is the same bytes: "already known").
                data = self._exchange(self._connect(), content)
            # orjson parses the node's answers (eth_getLogs ranges of thousands of logs) several times faster;
            # JSON-RPC carries quantities as hex strings, so no integer there outgrows its 64 bits
            return orjson.loads(data)
        except (OSError, HTTPException, ValueError) as error:
            raise ChainUnavailableError(
                f"chain node {self.url} is unreachable: {type(error).__name__}: {error}"
            ) from None

    def _exchange(self, connection: HTTPConnection, content: bytes) -> bytes:
        """One request and its whole answer; the connection is kept for the next call where both ends allow."""
        try:
            connection.request("POST", self._target, content, self._headers)
            response = connection.getresponse()
            data = response.read()
        except BaseException:
            connection.close()
            raise
        with self._lock:
            keep = not response.will_close and len(self._idle) < MAX_IDLE_CONNECTIONS
            if keep:
                self._idle.append(connection)
        if not keep:
            connection.close()
        if not 200 <= response.status < 300:
            raise HTTPException(f"HTTP {response.status} {response.reason}")
        return data

    def call(self, method: str, params: Sequence[Any]) -> Any:
        result = _unwrap(
            self._post({"jsonrpc": "2.0", "id": self._next_id(), "method": method, "params": list(params)})
        )
        if isinstance(result, RpcError):
            raise result
        return result

    def batch(self, calls: Sequence[Call]) -> list[Any]:
        if not calls:
            return []
        first = self._next_id()
        body = [{"jsonrpc": "2.0", "id": first + i, "method": m, "params": list(p)} for i, (m, p) in enumerate(calls)]
        with self._lock:  # reserve the id range used above
            self._ids = itertools.count(max(next(self._ids), first + len(calls)))
        responses = self._post(body)
        if not isinstance(responses, list):
            error = _unwrap(responses)
            raise error if isinstance(error, RpcError) else ChainUnavailableError("malformed batch response")
        by_id = {r.get("id"): _unwrap(r) for r in responses}
        return [by_id.get(first + i, RpcError(-32603, "missing response in batch")) for i in range(len(calls))]

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()


def _to_json_rpc(value: Any) -> Any:
    """web3's formatted results back into JSON-RPC's wire form (hex quantities and data)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return hex(value)
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, Mapping):
        return {key: _to_json_rpc(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_json_rpc(item) for item in value]
    return value


class ProviderJsonRpc:
    """JSON-RPC through a web3 provider (the in-process eth-tester chain), one call at a time.

    Calls go through web3's request manager, whose formatters speak eth-tester's Python types, and the
    results are turned back into wire form so callers see one format whatever the backend. web3 is imported
    here, not with the module: the indexer's fetch process imports the module for HttpJsonRpc alone, and web3
    would take about a second of CPU of its start.
    """

    def __init__(self, provider: BaseProvider) -> None:
        from web3 import Web3

        self._w3 = Web3(provider)
        self._lock = threading.Lock()  # py-evm is not thread-safe

    def call(self, method: str, params: Sequence[Any]) -> Any:
        from web3.exceptions import ContractLogicError, Web3RPCError

        try:
            with self._lock:
                result = self._w3.manager.request_blocking(method, list(params))  # type: ignore[arg-type]
        except ContractLogicError as error:
            data = error.data if isinstance(error.data, str) else None
            raise RpcError(3, str(error.message or error), data) from None
        except Web3RPCError as error:
            response = error.rpc_response or {}
            detail: Any = response.get("error") or {}
            code = int(detail.get("code", -32000)) if isinstance(detail, dict) else -32000
            raise RpcError(code, str(error.message or error)) from None
        except Exception as error:  # eth-tester raises its own failures (TransactionFailed, ValidationError)
            raise RpcError(-32000, str(error)) from None
        return _to_json_rpc(result)

    def batch(self, calls: Sequence[Call]) -> list[Any]:
        results: list[Any] = []
        for method, params in calls:
            try:
                results.append(self.call(method, params))
            except RpcError as error:
                results.append(error)
        return results

    def close(self) -> None:
        pass
