"""RAW: the scripted TCP server, for bytes no real server would send.

Use it for malformed, slow, trickled, reset or byte-exact responses, exact header order/case,
hand-built WebSocket handshakes, "accept and hold" and "close without reply". A handler coroutine
runs once per accepted connection::

    async def handler(reader, writer):
        head = await read_request_head(reader)          # bytes up to b"\\r\\n\\r\\n"
        writer.write(b"HTTP/1.1 200 OK\\r\\nContent-Length: 2\\r\\n\\r\\nOK")
        await writer.drain()
        # returning closes the connection (FIN)

    async with raw_server(handler) as srv:              # or the ``raw_server`` fixture:
        ...                                             #   srv = await raw_server(handler)
        srv.port, srv.client_host, srv.connections
        srv.requests          # every head read with read_request_head(), in order (bytes)
        srv.records[0].received                         # all bytes of connection 0
        await srv.kill()                                # next connect is refused

Options (see :class:`support.listener.LoopbackServer`): ``host="::1"``, ``unix=True``,
``ssl=ctx``, ``ssl_delay=0.1`` (accept, wait, then TLS), ``bag``.

Ready-made handlers and building blocks:

* :func:`hold` - "accept and hold": read (and record) until the client closes, never answer.
* :func:`close_without_reply` - read one request head, then close.
* :func:`close_immediately`, :func:`reset_immediately` - FIN / RST right after accept.
* :func:`respond` - keep-alive loop answering each request with fixed bytes or a callback.
* :func:`script` - a small DSL: ``script(read_head(), send(b"..."), sleep(0.1), close())``.
* :func:`trickle` - write data in pieces with pauses.
* ``close_writer(writer)`` (FIN, sent at once) / ``reset_writer(writer)`` (RST), from
  :mod:`support.listener`.
* ``read_request_head`` / ``read_request`` / ``swoole_response`` / ``build_response`` are
  re-exported from :mod:`support.http1`.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import Any, Union

from .helpers import pick_delay
from .http1 import (
    LAST_CHUNK,
    RawRequest,
    build_response,
    chunk,
    read_request,
    read_request_head,
    swoole_response,
    try_read_request,
)
from .listener import (
    ConnRecord,
    RecordingStreamReader,
    RecordingStreamWriter,
    StreamServer,
    close_writer,
    reset_writer,
)

__all__ = [
    "LAST_CHUNK",
    "RawHandler",
    "RawRequest",
    "RawServer",
    "build_response",
    "chunk",
    "close",
    "close_immediately",
    "close_without_reply",
    "close_writer",
    "hold",
    "raw_server",
    "read_head",
    "read_request",
    "read_request_head",
    "read_req",
    "reset",
    "reset_immediately",
    "reset_writer",
    "respond",
    "script",
    "send",
    "sleep",
    "swoole_response",
    "trickle",
    "trickling",
    "try_read_request",
]

RawHandler = Callable[[RecordingStreamReader, RecordingStreamWriter], Awaitable[None]]
Delay = Union[float, tuple[float, float]]
Responder = Callable[[RawRequest], Union[bytes, None, Awaitable[Union[bytes, None]]]]


class RawServer(StreamServer):
    """The RAW server: runs ``handler(reader, writer)`` for every accepted connection."""

    name = "raw server"

    def __init__(self, handler: RawHandler | None = None, **options: Any) -> None:
        """``handler`` defaults to :func:`hold`; ``options`` go to ``LoopbackServer``."""
        super().__init__(**options)
        self.handler: RawHandler = handler or hold
        self.requests: list[bytes] = []

    async def handle_stream(
        self, reader: RecordingStreamReader, writer: RecordingStreamWriter, record: ConnRecord
    ) -> None:
        """Run the handler; heads read with ``read_request_head`` go to ``self.requests``."""
        reader.on_head = self.requests.append
        await self.handler(reader, writer)

    def received(self, index: int = -1) -> bytes:
        """All bytes received on connection ``index`` (default: the last one)."""
        return bytes(self.records[index].received)


def raw_server(handler: RawHandler | None = None, **options: Any) -> RawServer:
    """Create a :class:`RawServer`; use as ``async with raw_server(h) as srv``."""
    return RawServer(handler, **options)


async def trickle(writer: asyncio.StreamWriter, data: bytes, piece: int = 1, delay: Delay = 0.001) -> None:
    """Write ``data`` ``piece`` bytes at a time, draining and sleeping ``delay`` between pieces.

    ``delay`` may be a ``(low, high)`` tuple for a random pause each time.
    """
    for offset in range(0, len(data), piece):
        writer.write(data[offset : offset + piece])
        await writer.drain()
        if offset + piece < len(data):
            await asyncio.sleep(pick_delay(delay))


async def hold(reader: RecordingStreamReader, writer: RecordingStreamWriter) -> None:
    """Accept and hold: read and record everything until the client closes; never answer."""
    while await reader.read(65536):
        pass


async def close_without_reply(reader: RecordingStreamReader, writer: RecordingStreamWriter) -> None:
    """Read one request head, then close the connection without answering."""
    await read_request_head(reader)
    close_writer(writer)


async def close_immediately(reader: RecordingStreamReader, writer: RecordingStreamWriter) -> None:
    """Close (FIN) right after accepting."""
    close_writer(writer)


async def reset_immediately(reader: RecordingStreamReader, writer: RecordingStreamWriter) -> None:
    """Reset (RST) right after accepting."""
    reset_writer(writer)


def respond(response: bytes | Responder, *, keep_alive: bool = True) -> RawHandler:
    """A keep-alive HTTP loop answering every request.

    ``response`` is the raw bytes to send, or a (sync or async) callback ``f(RawRequest)``
    returning bytes to send, or None to close the connection without answering. The loop ends
    after one request when ``keep_alive`` is False or the request says ``Connection: close``.
    """

    async def handler(reader: RecordingStreamReader, writer: RecordingStreamWriter) -> None:
        while True:
            request = await try_read_request(reader)
            if request is None:
                return
            data = response(request) if callable(response) else response
            if inspect.isawaitable(data):
                data = await data
            if data is None:
                close_writer(writer)
                return
            writer.write(data)
            await writer.drain()
            if not keep_alive or not request.keep_alive:
                return

    return handler


# --------------------------------------------------------------------------- script DSL

Step = Callable[[RecordingStreamReader, RecordingStreamWriter], Awaitable[Any]]


def script(*steps: Step) -> RawHandler:
    """Run ``steps`` in order on each connection, e.g.
    ``script(read_head(), send(b"HTTP/1.1 200 OK\\r\\n"), sleep(0.1), close())``.
    Any coroutine function ``f(reader, writer)`` is a valid step."""

    async def handler(reader: RecordingStreamReader, writer: RecordingStreamWriter) -> None:
        for step in steps:
            await step(reader, writer)

    return handler


def read_head() -> Step:
    """Step: read one request head (recorded in ``srv.requests``)."""

    async def step(reader: RecordingStreamReader, writer: RecordingStreamWriter) -> bytes:
        return await read_request_head(reader)

    return step


def read_req() -> Step:
    """Step: read one whole request (head and body)."""

    async def step(reader: RecordingStreamReader, writer: RecordingStreamWriter) -> RawRequest:
        return await read_request(reader)

    return step


def send(data: bytes) -> Step:
    """Step: write ``data`` in one write and drain."""

    async def step(reader: RecordingStreamReader, writer: RecordingStreamWriter) -> None:
        writer.write(data)
        await writer.drain()

    return step


def trickling(data: bytes, piece: int = 1, delay: Delay = 0.001) -> Step:
    """Step: :func:`trickle` ``data``."""

    async def step(reader: RecordingStreamReader, writer: RecordingStreamWriter) -> None:
        await trickle(writer, data, piece, delay)

    return step


def sleep(seconds: Delay) -> Step:
    """Step: pause (a float, or a random value from a ``(low, high)`` tuple)."""

    async def step(reader: RecordingStreamReader, writer: RecordingStreamWriter) -> None:
        await asyncio.sleep(pick_delay(seconds))

    return step


def close() -> Step:
    """Step: close the connection (FIN)."""

    async def step(reader: RecordingStreamReader, writer: RecordingStreamWriter) -> None:
        close_writer(writer)

    return step


def reset() -> Step:
    """Step: reset the connection (RST)."""

    async def step(reader: RecordingStreamReader, writer: RecordingStreamWriter) -> None:
        reset_writer(writer)

    return step
