"""A real webhook receiver: http.server on loopback in a thread, checking every request's signature as the README's
receiver does, and told how to answer the next requests (fail, hang past the sender's timeout, or accept)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook, WebhookVerificationError

OK, FAIL, HANG = "ok", "fail", "hang"


@dataclass(frozen=True)
class Received:
    message_id: str
    payload: dict[str, Any]


class Receiver:
    """Accepts by default; `plan` lists how to answer the next requests; `delay` slows every answer down."""

    def __init__(self, secret: str = "", hang_s: float = 0.0) -> None:
        self.secret = secret
        self.hang_s = hang_s
        self.plan: list[str] = []
        self.delay = 0.0
        self.accepted: list[Received] = []  # answered 2xx, in arrival order (retries of a message included)
        self.requests = 0
        self.bad_signatures = 0
        self.lock = threading.Lock()
        self.port = 0
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                receiver.answer(self, body)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Down: connections are refused until `start` again (on the same port)."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def answer(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        with self.lock:
            self.requests += 1
            behaviour = self.plan.pop(0) if self.plan else OK
        try:
            payload = Webhook(self.secret).verify(body, dict(handler.headers.items()))
        except (WebhookVerificationError, ValueError):
            with self.lock:
                self.bad_signatures += 1
            handler.send_response(400)
            handler.end_headers()
            return
        time.sleep(self.hang_s if behaviour == HANG else self.delay)
        if behaviour == FAIL:
            handler.send_response(500)
            handler.end_headers()
            return
        with self.lock:  # processed, even when the sender gave up waiting (HANG): a duplicate is its own retry
            self.accepted.append(Received(handler.headers["webhook-id"], payload))
        handler.send_response(204)
        handler.end_headers()

    def messages(self) -> list[Received]:
        """Accepted messages, each once (de-duplicated by webhook-id as a receiver should), in first-arrival order."""
        with self.lock:
            seen: dict[str, Received] = {}
            for message in self.accepted:
                seen.setdefault(message.message_id, message)
            return list(seen.values())

    def event_ids(self) -> list[int]:
        return [int(m.payload["data"]["id"]) for m in self.messages() if not m.payload["type"].startswith("statement.")]


def wait_until(condition: Callable[[], bool], timeout: float = 60.0, what: str = "condition") -> None:
    """Poll `condition` until true; bounded."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached in {timeout:.0f} s")
        time.sleep(0.05)
