"""The README's receiver, run as written: it accepts what the service signs, and refuses forged, altered or stale
requests."""

from __future__ import annotations

import threading
from datetime import timedelta
from http.server import HTTPServer
from typing import Any

import httpx

from tests.readme import README
from tradeledger.store.base import utcnow
from tradeledger.webhooks.delivery import signed_headers
from tradeledger.webhooks.service import new_secret

OPENING = "```python\nfrom http.server import BaseHTTPRequestHandler, HTTPServer\n"
SERVE = 'HTTPServer(("127.0.0.1", 9000), Receiver).serve_forever()\n'


def _readme_receiver(secret: str) -> type[Any]:
    text = README.read_text(encoding="utf-8")
    start = text.index(OPENING) + len("```python\n")
    code = text[start : text.index("```", start)]
    assert code.count('"whsec_..."') == 1 and code.endswith(SERVE)
    namespace: dict[str, Any] = {}
    exec(compile(code.replace('"whsec_..."', repr(secret)).removesuffix(SERVE), str(README), "exec"), namespace)
    receiver: type[Any] = namespace["Receiver"]
    return receiver


def test_the_readme_receiver_checks_signatures_and_timestamps() -> None:
    secret = new_secret()
    server = HTTPServer(("127.0.0.1", 0), _readme_receiver(secret))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    body = '{"data":{"id":"1"},"timestamp":"2026-12-03T08:00:00Z","type":"Settlement.Posted"}'
    try:
        now = utcnow()
        assert httpx.post(url, content=body, headers=signed_headers(secret, "msg_1", body, now)).status_code == 204
        forged = signed_headers(new_secret(), "msg_2", body, now)
        assert httpx.post(url, content=body, headers=forged).status_code == 400
        altered = signed_headers(secret, "msg_3", body, now)
        assert httpx.post(url, content=body.replace('"1"', '"2"'), headers=altered).status_code == 400
        stale = signed_headers(secret, "msg_4", body, now - timedelta(minutes=6))
        assert httpx.post(url, content=body, headers=stale).status_code == 400
    finally:
        server.shutdown()
        server.server_close()
