"""The HTTP server's protocol (api.server): uvicorn's, each response in one write, nothing lost or reordered."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from tradeledger.api.server import HELD_BYTES, OneWriteHttp

CHUNKS = [b"first;", b"second;", b"third"]
LARGE_CHUNKS = [bytes([index]) * (HELD_BYTES // 4) for index in range(64)]  # 16 times the most a turn holds


async def _small(_: Request) -> Response:
    return PlainTextResponse("balances")


async def _streamed(_: Request) -> Response:
    async def chunks() -> Any:
        for chunk in CHUNKS:
            await asyncio.sleep(0.01)  # each chunk in a turn of the event loop of its own
            yield chunk

    return StreamingResponse(chunks())


async def _large(_: Request) -> Response:
    async def chunks() -> Any:
        for chunk in LARGE_CHUNKS:
            yield chunk  # no await: every chunk sent in the same turn of the event loop

    return StreamingResponse(chunks())


class _Recorded:
    """The connection's real transport, with the writes it was asked for recorded."""

    def __init__(self, transport: asyncio.Transport, writes: list[bytes]) -> None:
        self._transport, self._writes = transport, writes

    def write(self, data: bytes) -> None:
        self._writes.append(bytes(data))
        self._transport.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


WRITES: list[bytes] = []


class _RecordedHttp(OneWriteHttp):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(_Recorded(transport, WRITES))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    app = Starlette(routes=[Route("/small", _small), Route("/streamed", _streamed), Route("/large", _large)])
    config = uvicorn.Config(app, host="127.0.0.1", port=0, http=_RecordedHttp, log_level="warning", lifespan="off")
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [listening]}, daemon=True)
        thread.start()
        while not server.started:
            threading.Event().wait(0.01)
        yield listening.getsockname()[1]
        server.should_exit = True
        thread.join(timeout=10)


def _read_response(connection: socket.socket, buffered: bytearray) -> tuple[bytes, bytes]:
    """One response's head and body (by Content-Length, or chunked) from the connection."""
    while b"\r\n\r\n" not in buffered:
        buffered += connection.recv(65536)
    head, _, rest = bytes(buffered).partition(b"\r\n\r\n")
    buffered[:] = rest
    if b"transfer-encoding: chunked" in head.lower():
        while not buffered.endswith(b"0\r\n\r\n"):
            buffered += connection.recv(65536)
        body, buffered[:] = bytes(buffered), b""
        return head, body
    length = int(next(line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:"))[15:])
    while len(buffered) < length:
        buffered += connection.recv(65536)
    body = bytes(buffered[:length])
    buffered[:] = buffered[length:]
    return head, body


def test_each_small_response_leaves_in_one_write_on_a_kept_alive_connection(port: int) -> None:
    WRITES.clear()
    with socket.create_connection(("127.0.0.1", port)) as connection:
        buffered = bytearray()
        for _ in range(3):
            connection.sendall(b"GET /small HTTP/1.1\r\nHost: x\r\n\r\n")
            head, body = _read_response(connection, buffered)
            assert head.startswith(b"HTTP/1.1 200 OK") and body == b"balances"
        connection.sendall(b"GET /small HTTP/1.1\r\nHost: x\r\n\r\n" * 2)  # pipelined: both answered, in order
        assert [_read_response(connection, buffered)[1] for _ in range(2)] == [b"balances", b"balances"]
    assert len(WRITES) == 5  # one write per response: its head and body together
    assert all(write.startswith(b"HTTP/1.1 200 OK") and write.endswith(b"\r\n\r\nbalances") for write in WRITES)


def test_a_streamed_response_arrives_whole_and_in_order(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port)) as connection:
        connection.sendall(b"GET /streamed HTTP/1.1\r\nHost: x\r\n\r\n")
        head, body = _read_response(connection, bytearray())
    assert head.startswith(b"HTTP/1.1 200 OK")
    assert b"".join(body.split(b"\r\n")[1::2]) == b"".join(CHUNKS)


def test_a_closing_connection_gets_its_whole_response_first(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port)) as connection:
        connection.sendall(b"GET /small HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    assert received.startswith(b"HTTP/1.1 200 OK") and received.endswith(b"\r\n\r\nbalances")


def test_a_body_sent_without_yielding_leaves_as_it_grows_not_at_the_turns_end(port: int) -> None:
    WRITES.clear()
    with socket.create_connection(("127.0.0.1", port)) as connection:
        connection.sendall(b"GET /large HTTP/1.1\r\nHost: x\r\n\r\n")
        _, body = _read_response(connection, bytearray())
    assert b"".join(body.split(b"\r\n")[1::2]) == b"".join(LARGE_CHUNKS)
    assert max(len(write) for write in WRITES) < 2 * HELD_BYTES  # held up to HELD_BYTES, then written
