"""A small JSON-RPC endpoint on loopback that tests start: it answers each call with a function of theirs.

Serves recorded PoA blocks (tests/chain/fixtures) and stands in for a misconfigured node in front of anvil.
Single calls and batches, one thread per connection.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tradeledger.chain.rpc import RpcError

Answer = Callable[[str, Sequence[Any]], Any]
"""The result of one call, or an RpcError raised for the node's error object."""


def _response(answer: Answer, request: dict[str, Any]) -> dict[str, Any]:
    reply: dict[str, Any] = {"jsonrpc": "2.0", "id": request.get("id")}
    try:
        reply["result"] = answer(str(request["method"]), list(request.get("params") or []))
    except RpcError as error:
        reply["error"] = {"code": error.code, "message": error.message}
        if error.data is not None:
            reply["error"]["data"] = error.data
    return reply


@contextmanager
def serving(
    answer: Answer, *, status: int = 200, close_after_each: bool = False, clients: list[int] | None = None
) -> Iterator[str]:
    """A JSON-RPC endpoint on a free loopback port for the duration of the block; yields its URL.

    `status`: the HTTP status of every answer. `close_after_each`: each connection is closed after its answer
    without saying so, as a node closes a kept connection left idle too long. `clients` collects the client port of
    each connection served."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            if clients is not None and self.client_address[1] not in clients:
                clients.append(self.client_address[1])
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            reply: Any = [_response(answer, r) for r in body] if isinstance(body, list) else _response(answer, body)
            data = json.dumps(reply).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            self.close_connection = close_after_each

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's signature
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="jsonrpc-endpoint", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
