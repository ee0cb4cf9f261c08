"""One client connection: the stream, its receive buffer, and the receive loops (I/O only).

:class:`HTTPConnection` owns a connected :class:`~swoole_compat._transport.stream.Stream` and
moves bytes for the façade: a request out (:meth:`HTTPConnection.send_request`), a response in
(:meth:`HTTPConnection.receive_response`, the loop of Swoole's ``Client::recv_response`` over a
:class:`~swoole_compat._protocol.response.ResponseParser`), WebSocket frames in and out
(:meth:`HTTPConnection.receive_frame`, the loop of ``websocket::recv_frame``, with its automatic
PONG and CLOSE replies). It raises the transport's and the protocol's exceptions and knows
nothing of PHP: what a failure means for ``statusCode``, ``errCode`` and the client's properties
is decided by the façade (``swoole_compat.coroutine.http``).
"""

from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Protocol, Sequence

from .._protocol import frames
from .._protocol.response import ResponseParser
from .._transport.errno import TransportError
from .._transport.stream import Stream
from ..constants import WEBSOCKET_OPCODE_CLOSE, WEBSOCKET_OPCODE_PING, WEBSOCKET_OPCODE_PONG
from .body import write_request

IN_PLACE_BODY_MIN = 256 * 1024
"""Content-Length bodies with at least this much still to come are received in place
(:meth:`Stream.read_bytes_in_place`); below it, joining the few received chunks costs less
than switching the transport's protocol twice."""

IN_PLACE_PAYLOAD_MIN = 256 * 1024
"""Frame payloads with at least this much still to come are received in place."""


class ResponseCallbacks(Protocol):
    """What the façade does with one response while :meth:`HTTPConnection.receive_response`
    reads it."""

    def on_head(self, parser: ResponseParser) -> None:
        """The head is parsed (called once, before any body piece)."""

    def on_pieces(self, pieces: list[bytes]) -> Awaitable[None] | None:
        """Body pieces, in order (an awaitable when delivering them needs to wait)."""

    def in_place_prefix(self, due: int) -> Sequence[bytes] | None:
        """The body pieces kept so far when the next ``due`` bytes may be received in place
        into one ``bytes`` after them, else None."""

    def in_place_done(self, body: bytes) -> None:
        """The whole body so far is ``body`` (the prefix and the bytes received in place)."""


class HTTPConnection:
    """A connected socket and the loops that read from and write to it.

    Contract: one reader and one writer at a time (the façade binds coroutines, as Swoole does).
    Every method raises :class:`TransportError` for socket errors and timeouts;
    :meth:`receive_response` also raises :class:`~swoole_compat._protocol.response.ResponseError`.
    """

    __slots__ = ("stream",)

    def __init__(self, stream: Stream) -> None:
        self.stream = stream

    # -- state ------------------------------------------------------------------------------------
    @property
    def closed(self) -> bool:
        return self.stream.closed

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        return self.stream.loop

    @property
    def fd(self) -> int:
        return self.stream.fd

    def is_alive(self) -> bool:
        """``Socket::check_liveness``: connected, no error, no EOF seen."""
        return self.stream.is_alive()

    def has_unread_bytes(self) -> bool:
        return self.stream.buffered()

    def liveness_error(self) -> TransportError:
        return self.stream.liveness_error() if not self.stream.closed else TransportError(9)

    def close(self) -> None:
        self.stream.close()

    def cancel(self, exc: TransportError) -> None:
        """Fail the pending and every later read or drain with ``exc`` (``Socket::close``
        while a coroutine is bound: its wait is cancelled; the socket is closed by it)."""
        self.stream.cancel(exc)

    def abort(self) -> None:
        self.stream.abort()

    # -- requests -----------------------------------------------------------------------------
    async def send_request(self, head: bytes, body: Sequence[Any], deadline: float | None) -> None:
        """Write a request head and its body pieces before ``deadline`` (``Socket::send_all`` /
        ``sendfile``): from the caller's buffers, with flow control (:func:`body.write_request`).
        A file that cannot be opened raises :class:`TransportError` with Swoole's ``open(...)``
        message; one that shrank since ``addFile()`` raises 502 "sendfile return zero"."""
        await write_request(self.stream, head, body, deadline)

    # -- responses ----------------------------------------------------------------------------
    async def receive_response(
        self, parser: ResponseParser, deadline: float | None, callbacks: ResponseCallbacks
    ) -> None:
        """Read one response into ``parser`` (Swoole's ``Client::recv_response`` loop).

        Every read goes to the parser, which waits for the end of the head before parsing
        (see :meth:`ResponseParser.feed`); the head goes to ``callbacks.on_head`` once, body
        pieces to ``callbacks.on_pieces``. Returns when the message is complete or the peer
        closed a response that ends there (``ResponseParser.feed_eof``); raises
        :class:`TransportError` (a timeout past ``deadline`` included) and ``ResponseError``.
        Bytes after the end of the response stay unread on the stream only for a WebSocket
        101 (``parser.trailing_data``); the façade decides about the others.
        """
        stream = self.stream
        head_seen = False
        while True:
            # One recv() at a time, as upstream: what follows a response in the same read is
            # not parsed, what came in a later read stays on the stream.
            while (data := stream.read_chunk_nowait()) is None:
                try:
                    await stream.wait_readable(deadline)
                finally:
                    stream.end_wait()
            pieces = parser.feed(data) if data else parser.feed_eof()
            if not head_seen and parser.head_done:
                head_seen = True
                callbacks.on_head(parser)
            if pieces:
                pending = callbacks.on_pieces(pieces)
                if pending is not None:
                    await pending
            if parser.complete or not data:
                return
            due = parser.body_due()
            if due >= IN_PLACE_BODY_MIN and stream.can_fill:
                prefix = callbacks.in_place_prefix(due)
                if prefix is not None:
                    # The rest of a large Content-Length body goes from the socket straight
                    # into the final bytes object (no chunks to join).
                    start = sum(len(p) for p in prefix)
                    body, _received = await stream.read_bytes_in_place(prefix, start, due, deadline)
                    if body is None:
                        parser.feed_eof()  # cut short: 104, or a truncated success
                        return
                    parser.feed_body_in_place(body, start)
                    callbacks.in_place_done(body)
                    if parser.complete:
                        return

    # -- WebSocket ----------------------------------------------------------------------------
    async def receive_frame(
        self,
        assembler: frames.MessageAssembler,
        wait: float | None,
        *,
        return_ping: bool,
        return_pong: bool,
        return_close: bool,
    ) -> frames.Message | frames.ControlFrame | frames.ProtocolError | None:
        """The next event for ``recv()`` (``websocket::recv_frame``): a message, a control frame
        the caller asked to see (``return_*``), a protocol error, or None when the peer closed.

        PING is answered with PONG and CLOSE echoed (masked, random key) unless returned;
        PONG is dropped unless returned. ``wait`` (seconds, None: no limit) is restarted for
        each frame, not for each read, so a peer trickling one frame cannot hold the call
        forever. Raises :class:`frames.FrameTooLarge`, :class:`frames.FrameLengthInvalid` and
        :class:`TransportError` (a partial frame stays buffered after a timeout)."""
        stream = self.stream
        loop = stream.loop
        deadline: float | None = None
        frames_seen = -1
        while True:
            event = assembler.next_event()
            if event is None:
                if frames_seen != assembler.frames_processed:
                    frames_seen = assembler.frames_processed
                    deadline = None if wait is None else loop.time() + wait
                due = assembler.parser.payload_due()
                if due >= IN_PLACE_PAYLOAD_MIN and stream.can_fill:
                    data = await self._payload_in_place(assembler.parser, due, deadline)
                else:
                    while (received := stream.read_nowait()) is None:
                        try:
                            await stream.wait_readable(deadline)
                        finally:
                            stream.end_wait()
                    data = received
                if not data:
                    return None
                assembler.feed(data)
                continue
            if isinstance(event, frames.ControlFrame):
                opcode = event.opcode
                if opcode == WEBSOCKET_OPCODE_PING:
                    if return_ping:
                        return event
                    await self._auto_reply(WEBSOCKET_OPCODE_PONG, event.payload, deadline)
                elif opcode == WEBSOCKET_OPCODE_PONG:
                    if return_pong:
                        return event
                else:
                    if return_close:
                        return event
                    await self._auto_reply(WEBSOCKET_OPCODE_CLOSE, event.payload, deadline)
                continue
            return event

    async def _payload_in_place(self, parser: frames.FrameParser, due: int, deadline: float | None) -> bytes:
        """The rest of the pending frame's payload, received straight into one ``bytes`` with
        the parser's buffered first bytes in front; fed back to the parser, it is the frame's
        payload without a join. ``b""`` when the peer closed first. On timeout, error or
        cancellation the bytes go back to the stream, so a later ``recv()`` goes on with the
        same partial frame."""
        head = parser.take_buffered()
        data, _ = await self.stream.read_bytes_in_place(head, sum(len(p) for p in head), due, deadline)
        return data if data is not None else b""

    async def _auto_reply(self, opcode: int, payload: bytes, deadline: float | None) -> None:
        """PONG for a PING, CLOSE echo for a CLOSE: always masked with a random key (Deviate
        W13). Upstream ignores the result. The write waits only when the transport is over its
        high-water mark (a peer that pings without reading), and never past the frame's
        ``deadline``, so neither memory nor the call's time is unbounded."""
        try:
            if self.stream.write_nowait(frames.encode_frame(opcode, payload, fin=True, mask=True)):
                await self.stream.drain(deadline)
        except TransportError:
            pass

    def write_nowait(self, data: bytes) -> bool:
        """Write ``data`` without waiting: True when the caller must :meth:`drain`."""
        return self.stream.write_nowait(data)

    async def drain(self, deadline: float | None) -> None:
        await self.stream.drain(deadline)


__all__ = ["HTTPConnection", "ResponseCallbacks"]
