"""WSF: a WebSocket server with raw frame control, and its own frame codec.

The codec below is written independently of ``swoole_compat`` (tests must not validate the client
with its own code). The server side sends **unmasked** frames with any FIN/RSV/opcode combination
and receives frames without any automatic handling, so tests can script protocol violations,
pre-compressed fragments, control frames in the middle of a message, etc.

Scenario API::

    async def handler(conn: WSConnection) -> None:
        await conn.send_text("start\\n")                    # one FIN text frame
        msg = await conn.recv_message()                    # reassembled (and inflated) message
        await conn.send_frame(OP_TEXT, b"part", fin=False)  # raw frames: fin/rsv1/rsv2/rsv3
        await conn.send_frame(OP_CONT, b"end")
        frame = await conn.recv_frame()                    # WSFrame: fin, rsv1-3, opcode, masked,
                                                           # mask_key, payload (unmasked), first_byte
        await conn.send_close(1000, b"bye")                # close frame only
        await conn.disconnect()                            # close frame (1000) + TCP close

    async with ws_server(handler, deflate=True) as srv:   # or the ``ws_server`` fixture
        srv.url("/"), srv.port, srv.client_host
        srv.conns[0].events        # [WSEvent(kind, data, time)], kinds: open, recv, send,
                                   # message, eof, server_close
        srv.conns[0].closed_first  # 'client' / 'server': who closed TCP first
        srv.requests               # every HTTP request head received (RawRequest), incl. upgrade

Server options:

* ``deflate=True`` accepts a ``permessage-deflate`` offer (any parameters) by answering
  ``permessage-deflate; client_no_context_takeover; server_no_context_takeover``;
  ``conn.deflate`` tells whether it was negotiated; :meth:`WSConnection.send_message` then
  compresses by default and :meth:`WSConnection.recv_message` inflates RSV1 messages.
* ``http_handler(request) -> bytes | None`` answers plain HTTP requests that arrive on the same
  keep-alive connection before the upgrade (None closes); without it they get a 400 and a close.
* ``first_frames``: bytes (or ``f(conn) -> bytes``) written in the **same write** as the 101.
* ``response_headers``: extra ``(name, value)`` pairs in the 101; ``handshake(request, conn) ->
  bytes`` replaces the whole 101 head (bad accept keys, non-101 answers...).
* ``handler`` defaults to :func:`echo`; see also :func:`silent` and :func:`pushing`.

TLS (``ssl=ctx``), UNIX (``unix=True``) and ``::1`` work as for every
:class:`support.listener.LoopbackServer`.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import inspect
import re
import struct
import zlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Union

from .http1 import RawRequest, build_response, format_head, try_read_request
from .listener import (
    ConnRecord,
    RecordingStreamReader,
    RecordingStreamWriter,
    StreamServer,
    close_writer,
)

__all__ = [
    "DEFLATE_RESPONSE",
    "OP_BINARY",
    "OP_CLOSE",
    "OP_CONT",
    "OP_PING",
    "OP_PONG",
    "OP_TEXT",
    "MessageDeflater",
    "WSConnection",
    "WSEvent",
    "WSFrame",
    "WSMessage",
    "WSServer",
    "accept_key",
    "apply_mask",
    "close_payload",
    "deflate_message",
    "echo",
    "encode_frame",
    "inflate_message",
    "parse_close",
    "parse_frames",
    "pushing",
    "read_frame",
    "silent",
    "switching_protocols",
    "ws_server",
]

OP_CONT = 0
OP_TEXT = 1
OP_BINARY = 2
OP_CLOSE = 8
OP_PING = 9
OP_PONG = 10

WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
DEFLATE_RESPONSE = "permessage-deflate; client_no_context_takeover; server_no_context_takeover"
_DEFLATE_TAIL = b"\x00\x00\xff\xff"


# --------------------------------------------------------------------------- codec


def accept_key(key: str) -> str:
    """``Sec-WebSocket-Accept`` for ``Sec-WebSocket-Key`` ``key`` (RFC 6455 section 4.2.2)."""
    return base64.b64encode(hashlib.sha1((key + WS_GUID).encode("latin-1")).digest()).decode()


def switching_protocols(request_head: bytes) -> bytes:
    """A minimal ``101 Switching Protocols`` head answering the raw upgrade request
    ``request_head`` (for scripted raw servers; :class:`WSServer` writes its own)."""
    key = re.search(rb"Sec-WebSocket-Key: (\S+)", request_head)
    assert key is not None, request_head
    return (
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Accept: " + accept_key(key.group(1).decode()).encode() + b"\r\n\r\n"
    )


def apply_mask(data: bytes, key: bytes) -> bytes:
    """XOR ``data`` with the 4-byte masking ``key`` (masking and unmasking are the same)."""
    if not data:
        return b""
    n = len(data)
    repeated = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(data, "big") ^ int.from_bytes(repeated, "big")).to_bytes(n, "big")


@dataclass
class WSFrame:
    """One frame as on the wire (payload already unmasked)."""

    fin: bool
    rsv1: bool
    rsv2: bool
    rsv3: bool
    opcode: int
    masked: bool
    mask_key: bytes | None
    payload: bytes
    first_byte: int
    """The raw first header byte (e.g. ``0x88`` for an unfragmented, uncompressed close)."""
    wire: bytes = b""
    """The whole frame as received or sent."""

    @property
    def is_control(self) -> bool:
        """True for opcodes 8-15."""
        return self.opcode >= 8

    @property
    def close_code(self) -> int | None:
        """The close code of a close frame (None if absent)."""
        return parse_close(self.payload)[0]

    @property
    def close_reason(self) -> bytes:
        """The close reason of a close frame."""
        return parse_close(self.payload)[1]


def encode_frame(
    opcode: int,
    payload: bytes = b"",
    *,
    fin: bool = True,
    rsv1: bool = False,
    rsv2: bool = False,
    rsv3: bool = False,
    mask_key: bytes | None = None,
) -> bytes:
    """Encode one frame (minimal length encoding; masked only when ``mask_key`` is given)."""
    first = (0x80 if fin else 0) | (0x40 if rsv1 else 0) | (0x20 if rsv2 else 0) | (0x10 if rsv3 else 0)
    first |= opcode & 0x0F
    mask_bit = 0x80 if mask_key is not None else 0
    n = len(payload)
    if n < 126:
        header = struct.pack("!BB", first, mask_bit | n)
    elif n < 65536:
        header = struct.pack("!BBH", first, mask_bit | 126, n)
    else:
        header = struct.pack("!BBQ", first, mask_bit | 127, n)
    if mask_key is not None:
        return header + mask_key + apply_mask(payload, mask_key)
    return header + payload


def _decode_header(first: int, second: int) -> tuple[bool, bool, bool, bool, int, bool, int]:
    """Split the two header bytes."""
    return (
        bool(first & 0x80),
        bool(first & 0x40),
        bool(first & 0x20),
        bool(first & 0x10),
        first & 0x0F,
        bool(second & 0x80),
        second & 0x7F,
    )


async def read_frame(reader: asyncio.StreamReader) -> WSFrame:
    """Read one frame; raises ``asyncio.IncompleteReadError`` at EOF."""
    head = await reader.readexactly(2)
    fin, rsv1, rsv2, rsv3, opcode, masked, length = _decode_header(head[0], head[1])
    wire = bytearray(head)
    if length == 126:
        ext = await reader.readexactly(2)
        wire += ext
        length = struct.unpack("!H", ext)[0]
    elif length == 127:
        ext = await reader.readexactly(8)
        wire += ext
        length = struct.unpack("!Q", ext)[0]
    mask_key = None
    if masked:
        mask_key = await reader.readexactly(4)
        wire += mask_key
    data = await reader.readexactly(length)
    wire += data
    payload = apply_mask(data, mask_key) if mask_key is not None else data
    return WSFrame(fin, rsv1, rsv2, rsv3, opcode, masked, mask_key, payload, head[0], bytes(wire))


def parse_frames(data: bytes) -> tuple[list[WSFrame], bytes]:
    """Parse as many complete frames as ``data`` holds; return ``(frames, leftover)``."""
    frames: list[WSFrame] = []
    pos = 0
    while len(data) - pos >= 2:
        start = pos
        fin, rsv1, rsv2, rsv3, opcode, masked, length = _decode_header(data[pos], data[pos + 1])
        pos += 2
        if length == 126:
            if len(data) - pos < 2:
                return frames, data[start:]
            length = struct.unpack_from("!H", data, pos)[0]
            pos += 2
        elif length == 127:
            if len(data) - pos < 8:
                return frames, data[start:]
            length = struct.unpack_from("!Q", data, pos)[0]
            pos += 8
        mask_key = None
        if masked:
            if len(data) - pos < 4:
                return frames, data[start:]
            mask_key = data[pos : pos + 4]
            pos += 4
        if len(data) - pos < length:
            return frames, data[start:]
        raw = data[pos : pos + length]
        pos += length
        payload = apply_mask(raw, mask_key) if mask_key is not None else raw
        frames.append(WSFrame(fin, rsv1, rsv2, rsv3, opcode, masked, mask_key, payload, data[start], data[start:pos]))
    return frames, data[pos:]


def close_payload(code: int | None = 1000, reason: bytes | str = b"") -> bytes:
    """Payload of a close frame (empty when ``code`` is None)."""
    if code is None:
        return b""
    if isinstance(reason, str):
        reason = reason.encode()
    return struct.pack("!H", code) + reason


def parse_close(payload: bytes) -> tuple[int | None, bytes]:
    """``(code, reason)`` of a close frame payload (code None when shorter than 2 bytes)."""
    if len(payload) < 2:
        return None, b""
    return struct.unpack("!H", payload[:2])[0], payload[2:]


def deflate_message(payload: bytes, *, level: int = -1) -> bytes:
    """permessage-deflate compression of one whole message, without context takeover:
    a fresh raw deflate stream, ``Z_SYNC_FLUSH``, trailing ``00 00 ff ff`` removed."""
    compressor = zlib.compressobj(level, zlib.DEFLATED, -15)
    data = compressor.compress(payload) + compressor.flush(zlib.Z_SYNC_FLUSH)
    return data[:-4] if data.endswith(_DEFLATE_TAIL) else data


def inflate_message(payload: bytes) -> bytes:
    """Inflate one permessage-deflate message with a fresh raw inflater."""
    decompressor = zlib.decompressobj(-15)
    return decompressor.decompress(payload + _DEFLATE_TAIL) + decompressor.flush()


class MessageDeflater:
    """One raw-deflate stream fed piece by piece, for hand-made compressed fragments
    (upstream ``send_more_continue_frame``: ``Z_SYNC_FLUSH`` / ``Z_NO_FLUSH`` / ``Z_FINISH``).

    ``piece = d.compress(data, zlib.Z_SYNC_FLUSH)``; create a new instance per message.
    Pieces may be empty (``Z_NO_FLUSH``).
    """

    def __init__(self, level: int = -1) -> None:
        """Start a fresh raw deflate stream."""
        self._compressor = zlib.compressobj(level, zlib.DEFLATED, -15)

    def compress(self, data: bytes, flush: int = zlib.Z_SYNC_FLUSH) -> bytes:
        """Compress ``data`` and flush with ``flush`` (``Z_NO_FLUSH`` flushes nothing)."""
        out = self._compressor.compress(data)
        if flush != zlib.Z_NO_FLUSH:
            out += self._compressor.flush(flush)
        return out


# --------------------------------------------------------------------------- connection


class WSEvent(NamedTuple):
    """One entry of a connection's event log."""

    kind: str
    """``open`` (data: target), ``recv``/``send`` (WSFrame), ``message`` (WSMessage),
    ``eof`` (None), ``server_close`` (None)."""
    data: Any
    time: float


@dataclass
class WSMessage:
    """A reassembled data message."""

    opcode: int
    payload: bytes
    frames: list[WSFrame] = field(default_factory=list)
    compressed: bool = False

    @property
    def text(self) -> str:
        """The payload decoded as UTF-8."""
        return self.payload.decode("utf-8")


class WSConnection:
    """Server side of one upgraded connection (see module doc)."""

    def __init__(
        self,
        server: WSServer,
        reader: RecordingStreamReader,
        writer: RecordingStreamWriter,
        record: ConnRecord,
        request: RawRequest,
        deflate: bool,
    ) -> None:
        """Wrap the streams of an accepted upgrade ``request``."""
        self.server = server
        self.reader = reader
        self.writer = writer
        self.record = record
        self.request = request
        self.deflate = deflate
        self.events: list[WSEvent] = []
        self.eof = False
        self._loop = asyncio.get_running_loop()

    # ---------------------------------------------------------------- log

    def log(self, kind: str, data: Any = None) -> None:
        """Append an event."""
        self.events.append(WSEvent(kind, data, self._loop.time()))

    def events_of(self, kind: str) -> list[Any]:
        """The data of every event of ``kind``, in order."""
        return [e.data for e in self.events if e.kind == kind]

    @property
    def received_frames(self) -> list[WSFrame]:
        """Every frame received so far."""
        return self.events_of("recv")

    @property
    def messages(self) -> list[WSMessage]:
        """Every message reassembled by :meth:`recv_message` so far."""
        return self.events_of("message")

    @property
    def closed_first(self) -> str | None:
        """``'client'`` / ``'server'``: which side closed TCP first (None while open)."""
        return self.record.closed_first

    @property
    def index(self) -> int:
        """Accept index of the underlying connection."""
        return self.record.index

    # ---------------------------------------------------------------- sending

    async def send_raw(self, data: bytes) -> None:
        """Write arbitrary bytes and drain."""
        self.writer.write(data)
        await self.writer.drain()

    async def send_frame(
        self,
        opcode: int,
        payload: bytes | str = b"",
        *,
        fin: bool = True,
        rsv1: bool = False,
        rsv2: bool = False,
        rsv3: bool = False,
        mask_key: bytes | None = None,
    ) -> bytes:
        """Send one frame exactly as described (unmasked unless ``mask_key``); return its bytes."""
        if isinstance(payload, str):
            payload = payload.encode()
        wire = encode_frame(opcode, payload, fin=fin, rsv1=rsv1, rsv2=rsv2, rsv3=rsv3, mask_key=mask_key)
        self.log("send", parse_frames(wire)[0][0])
        await self.send_raw(wire)
        return wire

    async def send_text(self, data: str | bytes, *, fin: bool = True) -> bytes:
        """One uncompressed text frame."""
        return await self.send_frame(OP_TEXT, data, fin=fin)

    async def send_binary(self, data: bytes, *, fin: bool = True) -> bytes:
        """One uncompressed binary frame."""
        return await self.send_frame(OP_BINARY, data, fin=fin)

    async def send_ping(self, payload: bytes | str = b"") -> bytes:
        """A ping frame."""
        return await self.send_frame(OP_PING, payload)

    async def send_pong(self, payload: bytes | str = b"") -> bytes:
        """A pong frame."""
        return await self.send_frame(OP_PONG, payload)

    async def send_close(self, code: int | None = 1000, reason: bytes | str = b"") -> bytes:
        """A close frame (no TCP close)."""
        return await self.send_frame(OP_CLOSE, close_payload(code, reason))

    async def send_message(
        self,
        payload: bytes | str,
        opcode: int = OP_TEXT,
        *,
        compress: bool | None = None,
        fragments: int | Sequence[int] = 1,
    ) -> None:
        """Send a whole message, optionally compressed (default: if negotiated) and fragmented.

        ``fragments`` is a count of near-equal pieces or explicit piece sizes (of the payload as
        sent, i.e. after compression). RSV1 goes on the first frame only.
        """
        if isinstance(payload, str):
            payload = payload.encode()
        use_deflate = self.deflate if compress is None else compress
        body = deflate_message(payload) if use_deflate else payload
        if isinstance(fragments, int):
            count = max(1, fragments)
            step = -(-len(body) // count) if body else 0
            sizes = [step] * (count - 1)
        else:
            sizes = list(fragments)[:-1]
        pieces = []
        pos = 0
        for size in sizes:
            pieces.append(body[pos : pos + size])
            pos += size
        pieces.append(body[pos:])
        for i, piece in enumerate(pieces):
            await self.send_frame(
                opcode if i == 0 else OP_CONT,
                piece,
                fin=i == len(pieces) - 1,
                rsv1=use_deflate and i == 0,
            )

    # ---------------------------------------------------------------- receiving

    async def recv_frame(self, timeout: float | None = 5.0) -> WSFrame | None:
        """Next frame, raw (no automatic pong/close); None at EOF. ``TimeoutError`` on timeout."""
        try:
            frame = await asyncio.wait_for(read_frame(self.reader), timeout)
        except asyncio.IncompleteReadError:
            if not self.eof:
                self.eof = True
                self.log("eof")
            return None
        self.log("recv", frame)
        return frame

    async def recv_message(
        self, timeout: float | None = 5.0, *, auto_pong: bool = True
    ) -> WSMessage | WSFrame | None:
        """Next data message (fragments reassembled, RSV1 messages inflated).

        Pings are answered with a pong of the same payload when ``auto_pong`` and skipped; pongs
        are skipped; a close frame is returned as is (the caller decides how to answer); None at
        EOF. ``timeout`` bounds the wait for each frame.
        """
        frames: list[WSFrame] = []
        while True:
            frame = await self.recv_frame(timeout)
            if frame is None:
                return None
            if frame.opcode == OP_PING:
                if auto_pong:
                    await self.send_pong(frame.payload)
                continue
            if frame.opcode == OP_PONG:
                continue
            if frame.opcode == OP_CLOSE:
                return frame
            frames.append(frame)
            if frame.fin:
                break
        payload = b"".join(f.payload for f in frames)
        compressed = frames[0].rsv1
        if compressed:
            payload = inflate_message(payload)
        message = WSMessage(frames[0].opcode, payload, frames, compressed)
        self.log("message", message)
        return message

    async def wait_closed(self, timeout: float | None = 5.0) -> None:
        """Read (and log) frames until the client closes TCP."""
        while await self.recv_frame(timeout) is not None:
            pass

    # ---------------------------------------------------------------- closing

    def close(self) -> None:
        """Close TCP from the server side (FIN)."""
        if not self.writer.transport.is_closing():
            self.log("server_close")
        close_writer(self.writer)

    async def disconnect(self, code: int = 1000, reason: bytes | str = b"") -> None:
        """Swoole ``$server->disconnect()``: close frame, then close TCP."""
        await self.send_close(code, reason)
        self.close()


# --------------------------------------------------------------------------- server

WSHandler = Callable[[WSConnection], Awaitable[None]]
HttpResponder = Callable[[RawRequest], Union[bytes, None, Awaitable[Union[bytes, None]]]]


class WSServer(StreamServer):
    """The WSF server (see module doc)."""

    name = "ws server"

    def __init__(
        self,
        handler: WSHandler | None = None,
        *,
        deflate: bool = False,
        http_handler: HttpResponder | None = None,
        response_headers: Sequence[tuple[str, str]] = (),
        first_frames: bytes | Callable[[WSConnection], bytes] | None = None,
        handshake: Callable[[RawRequest, WSConnection], bytes] | None = None,
        **options: Any,
    ) -> None:
        """See the module docstring; ``options`` go to ``LoopbackServer``."""
        super().__init__(**options)
        self.handler: WSHandler = handler or echo
        self.deflate = deflate
        self.http_handler = http_handler
        self.response_headers = list(response_headers)
        self.first_frames = first_frames
        self.handshake = handshake
        self.conns: list[WSConnection] = []
        self.requests: list[RawRequest] = []

    def url(self, path: str = "/") -> str:
        """``ws://`` (or ``wss://``) URL of ``path``."""
        return self.url_for("wss" if self.ssl is not None else "ws", path)

    async def handle_stream(
        self, reader: RecordingStreamReader, writer: RecordingStreamWriter, record: ConnRecord
    ) -> None:
        """Serve plain requests until an upgrade, answer it, then run the handler."""
        while True:
            request = await try_read_request(reader)
            if request is None:
                return
            self.requests.append(request)
            if request.has_token("upgrade", "websocket"):
                break
            if self.http_handler is None:
                writer.write(build_response(400, b"not a websocket request\n", [("Connection", "close")]))
                await writer.drain()
                return
            answer = self.http_handler(request)
            if inspect.isawaitable(answer):
                answer = await answer
            if answer is None:
                return
            writer.write(answer)
            await writer.drain()
            if not request.keep_alive:
                return
        offered = any("permessage-deflate" in v.lower() for v in request.header_all("sec-websocket-extensions"))
        conn = WSConnection(self, reader, writer, record, request, self.deflate and offered)
        self.conns.append(conn)
        if self.handshake is not None:
            head = self.handshake(request, conn)
        else:
            key = request.header("sec-websocket-key")
            if not key:
                writer.write(build_response(400, b"missing Sec-WebSocket-Key\n", [("Connection", "close")]))
                await writer.drain()
                return
            headers = [
                ("Upgrade", "websocket"),
                ("Connection", "Upgrade"),
                ("Sec-WebSocket-Accept", accept_key(key)),
                ("Sec-WebSocket-Version", "13"),
            ]
            if conn.deflate:
                headers.append(("Sec-WebSocket-Extensions", DEFLATE_RESPONSE))
            headers += self.response_headers
            head = format_head("HTTP/1.1 101 Switching Protocols", headers)
        extra = self.first_frames(conn) if callable(self.first_frames) else (self.first_frames or b"")
        if extra:
            for frame in parse_frames(extra)[0]:
                conn.log("send", frame)
        writer.write(head + extra)
        await writer.drain()
        conn.log("open", request.target)
        await self.handler(conn)


def ws_server(handler: WSHandler | None = None, **options: Any) -> WSServer:
    """Create a :class:`WSServer`; use as ``async with ws_server(h) as srv``."""
    return WSServer(handler, **options)


# --------------------------------------------------------------------------- handlers


async def echo(conn: WSConnection) -> None:
    """Echo every message (same opcode; compressed when negotiated); answer a close frame with
    the same code and close TCP; auto-pong pings."""
    while True:
        item = await conn.recv_message(timeout=None)
        if item is None:
            return
        if isinstance(item, WSFrame):
            await conn.send_close(item.close_code, item.close_reason)
            conn.close()
            return
        await conn.send_message(item.payload, item.opcode)


async def silent(conn: WSConnection) -> None:
    """Never answer anything; log frames until the client closes TCP."""
    await conn.wait_closed(timeout=None)


def pushing(*messages: bytes | str, then: WSHandler | None = None) -> WSHandler:
    """A handler that pushes ``messages`` (text, uncompressed single frames) on open, then runs
    ``then`` (default :func:`silent`)."""

    async def handler(conn: WSConnection) -> None:
        for message in messages:
            await conn.send_text(message)
        await (then or silent)(conn)

    return handler
