"""WebSocket side of the client (websocket.md): settings, upgrade, push, recv, ping, disconnect.

Kept apart from the HTTP façade so the protocol logic reads on its own; frames are built and
parsed by :mod:`swoole_compat._protocol.frames`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import re

from ..._php import php_float, php_int, php_truthy
from ..._protocol import frames, handshake
from ..._transport import connect as _connect
from ..._transport.errno import ETIMEDOUT, TransportError, strerror
from ..._transport.stream import Stream
from ...constants import (
    PACKAGE_MAX_LENGTH_DEFAULT,
    SWOOLE_ERROR_CLIENT_NO_CONNECTION as SW_ERROR_CLIENT_NO_CONNECTION,
    SWOOLE_ERROR_PACKAGE_LENGTH_TOO_LARGE as SW_ERROR_PACKAGE_LENGTH_TOO_LARGE,
    SWOOLE_ERROR_PHP_FATAL_ERROR as SW_ERROR_PHP_FATAL_ERROR,
    SWOOLE_ERROR_WEBSOCKET_HANDSHAKE_FAILED as SW_ERROR_WEBSOCKET_HANDSHAKE_FAILED,
    SWOOLE_ERROR_WEBSOCKET_PACK_FAILED as SW_ERROR_WEBSOCKET_PACK_FAILED,
    SWOOLE_WEBSOCKET_CLOSE_NORMAL,
    SWOOLE_WEBSOCKET_FLAG_COMPRESS,
    SWOOLE_WEBSOCKET_FLAG_FIN,
    SWOOLE_WEBSOCKET_FLAG_MASK,
    WEBSOCKET_FLAGS_ALL as FLAGS_ALL,
    WEBSOCKET_OPCODE_BINARY,
    WEBSOCKET_OPCODE_CLOSE,
    WEBSOCKET_OPCODE_PING,
    WEBSOCKET_OPCODE_PONG,
    WEBSOCKET_OPCODE_TEXT,
)
from ...errors import CLIENT, php_warning
from ...websocket import construct_frame, pack_frame

ESTATUS_CONNECT_FAILED = -1
ESTATUS_SERVER_RESET = -3
HANDSHAKE_FAILED_MESSAGE = "websocket handshake failed: invalid Upgrade/Connection/Sec-WebSocket-Accept headers"
PUSH_WITHOUT_HANDSHAKE = "websocket handshake failed, cannot push data"
PACK_FAILED_MESSAGE = "websocket frame pack failed"

if TYPE_CHECKING:  # pragma: no cover
    from ..._protocol.response import ResponseReader
    from .client import Client


class Settings:
    """WebSocket options of ``set()`` (client.md §4.2)."""

    __slots__ = (
        "mask",
        "compression",
        "open_close_frame",
        "open_ping_frame",
        "open_pong_frame",
        "subprotocol",
        "live_package_max_length",
        "live_read_timeout",
    )

    def __init__(self) -> None:
        self.mask = True
        self.compression = False
        self.open_close_frame = False
        self.open_ping_frame = False
        self.open_pong_frame = False
        self.subprotocol = ""
        #: (stream, limit) set by a set() on a live connection (see :func:`_package_max_length`).
        self.live_package_max_length: tuple[Stream, int] | None = None
        #: (stream, seconds or None) when a set() on a live connection changed its read timeout.
        self.live_read_timeout: tuple[Stream, float | None] | None = None

    def apply(self, opts: dict[Any, Any], stream: Stream | None = None) -> None:
        if stream is not None:
            # php_swoole_socket_set() on the live socket: a dict without the key resets the
            # limit to 2 MiB (client.md §4.3); the merged ``setting`` counts only at connect.
            self.live_package_max_length = (stream, _size_option(opts.get("package_max_length")))
            # ... and sets "timeout" then "read_timeout" on it (0 ignored, negative = no limit),
            # so the one applied last wins (websocket.md §4.1).
            for key in ("timeout", "read_timeout"):
                if opts.get(key) is not None:
                    seconds = php_float(opts[key])
                    if seconds != 0:
                        self.live_read_timeout = (stream, seconds if seconds > 0 else None)
        if opts.get("websocket_subprotocol") is not None:
            self.subprotocol = str(opts["websocket_subprotocol"])
        # Every set() without websocket_mask turns masking back on (Replicate Q15).
        mask = opts.get("websocket_mask")
        self.mask = php_truthy(mask) if mask is not None else True
        if opts.get("websocket_compression") is not None:
            self.compression = php_truthy(opts["websocket_compression"])
        if opts.get("open_websocket_close_frame") is not None:
            self.open_close_frame = php_truthy(opts["open_websocket_close_frame"])
        if opts.get("open_websocket_ping_frame") is not None:
            self.open_ping_frame = php_truthy(opts["open_websocket_ping_frame"])
        if opts.get("open_websocket_pong_frame") is not None:
            self.open_pong_frame = php_truthy(opts["open_websocket_pong_frame"])


class Session:
    """State of an upgraded connection: the frame reassembler and the negotiated compression."""

    __slots__ = ("assembler", "compression")

    def __init__(self, compression: bool, package_max_length: int) -> None:
        self.assembler = frames.MessageAssembler(package_max_length)
        self.compression = compression


_SIZE_RE = re.compile(r"\s*(\d+)\s*([kKmMgG]?)\s*")
_SIZE_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}


def _size_option(value: Any) -> int:
    """``package_max_length`` as ``php_swoole_parse_to_size`` reads it: strings may carry a
    K/M/G suffix ("64K"), other values are integers; clamped to 32 bits. None, or a value
    that is not positive, means the default (2 MiB)."""
    if value is None:
        return PACKAGE_MAX_LENGTH_DEFAULT
    match = _SIZE_RE.fullmatch(value) if isinstance(value, str) else None
    if match:
        size = int(match.group(1)) * _SIZE_UNITS[match.group(2).lower()]
    else:
        size = php_int(value)
    size = min(size, 0xFFFFFFFF)
    return size if size > 0 else PACKAGE_MAX_LENGTH_DEFAULT


_size_last: tuple[Any, int] = (_SIZE_RE, PACKAGE_MAX_LENGTH_DEFAULT)


def _package_max_length(client: Client) -> int:
    """The frame/message limit of the current connection: the merged ``setting`` applied at
    connect, unless a later ``set()`` on this same connection re-applied the option."""
    global _size_last
    live = client._ws.live_package_max_length
    if live is not None and client._stream is not None and live[0] is client._stream:
        return live[1]
    value = (client.setting or {}).get("package_max_length")
    last = _size_last  # read per recv(): the last (immutable) value's result is kept
    if value is last[0]:
        return last[1]
    size = _size_option(value)
    if type(value) in (int, str, type(None)):
        _size_last = (value, size)
    return size


async def upgrade(client: Client, path: str) -> bool:
    """Send the handshake and enter WebSocket mode on a valid 101 (websocket.md §1)."""
    client._defer = False  # permanently (W2)
    key = handshake.generate_key()
    client.requestHeaders = handshake.apply_upgrade_headers(
        client.requestHeaders if isinstance(client.requestHeaders, dict) else None,
        key,
        compression=client._ws.compression,
    )
    client.requestMethod = "GET"
    return await client._exec(path, upgrade=True)


def on_upgrade_response(client: Client, reader: ResponseReader) -> bool:
    """Called by the façade for a complete 101 carrying the ``websocket`` token."""
    check = handshake.check_upgrade_response(
        reader.status, client.headers, client.requestHeaders, compression_offered=client._ws.compression
    )
    if not check.verified:
        client._set_error(SW_ERROR_WEBSOCKET_HANDSHAKE_FAILED, HANDSHAKE_FAILED_MESSAGE, ESTATUS_SERVER_RESET)
        client._close_connection(reset=True)
        return False
    session = Session(check.compression, _package_max_length(client))
    if reader.trailing_data:
        session.assembler.feed(reader.trailing_data)
    client._ws_session = session
    client._websocket = True
    client._reset_request_state()
    return True


def _not_connected(client: Client) -> bool:
    client.errCode = SW_ERROR_CLIENT_NO_CONNECTION
    client.errMsg = strerror(SW_ERROR_CLIENT_NO_CONNECTION)
    return False


async def _send(client: Client, stream: Stream, frame: bytes) -> bool:
    """Write one frame; on failure set the socket error, statusCode -3 and close."""
    result = _write_nowait(client, stream, frame)
    return await drain_after_push(client) if result is None else result


def _write_nowait(client: Client, stream: Stream, frame: bytes) -> bool | None:
    """Write one frame, bound for writing meanwhile: True when written, False after a failure
    (socket error, statusCode -3, closed), None when the transport is over its high-water mark
    and the caller must finish with :func:`drain_after_push` (still bound until then)."""
    client._bind(False, True)
    try:
        if stream.write_nowait(frame):
            return None
    except TransportError as exc:
        client._set_error(exc.code, exc.message, ESTATUS_SERVER_RESET)
        client._close_connection(reset=True)
        client._unbind(False, True)
        return False
    except BaseException:
        client._unbind(False, True)
        raise
    client._unbind(False, True)
    return True


def _pack(client: Client, data: Any, opcode: Any, flags: Any, code: int, method: str) -> bytes | None:
    session = client._ws_session
    add = 0
    if client._ws.mask:
        add |= SWOOLE_WEBSOCKET_FLAG_MASK
    if session is not None and session.compression:
        add |= SWOOLE_WEBSOCKET_FLAG_COMPRESS
    frame = pack_frame(data, opcode, flags, code, where=f"{CLIENT}::{method}", mask_key=None, add_flags=add, stacklevel=5)
    if frame is None:
        client.errCode = SW_ERROR_WEBSOCKET_PACK_FAILED
        client.errMsg = PACK_FAILED_MESSAGE
    return frame


async def push(client: Client, data: Any, opcode: Any, flags: Any) -> bool:
    """``push()`` (websocket.md §3.1)."""
    result = push_nowait(client, data, opcode, flags)
    return await drain_after_push(client) if result is None else result


async def drain_after_push(client: Client) -> bool:
    """The end of a write whose frame went over the transport's high-water mark: wait for
    it to drain (write_timeout from now), still bound for writing; unbinds."""
    try:
        stream = client._stream
        assert stream is not None
        await stream.drain(client._write_deadline())
    except TransportError as exc:
        client._set_error(exc.code, exc.message, ESTATUS_SERVER_RESET)
        client._close_connection(reset=True)
        return False
    finally:
        client._unbind(False, True)
    return True


def push_nowait(client: Client, data: Any, opcode: Any, flags: Any) -> bool | None:
    """``push()`` up to the write: its result, or None when the caller must finish with
    :func:`drain_after_push` (the connection then stays bound for writing). Synchronous, so
    the usual push() costs one coroutine, not three."""
    stream = client._live_stream()
    if stream is None:
        return _not_connected(client)
    flags = SWOOLE_WEBSOCKET_FLAG_FIN if flags is None else php_int(flags) & FLAGS_ALL  # None: the default
    if not client._websocket:
        php_warning(f"{CLIENT}::push", PUSH_WITHOUT_HANDSHAKE, stacklevel=4)
        client._set_error(SW_ERROR_PHP_FATAL_ERROR, PUSH_WITHOUT_HANDSHAKE, ESTATUS_CONNECT_FAILED)
        return False
    session = client._ws_session
    if (
        flags == SWOOLE_WEBSOCKET_FLAG_FIN
        and (opcode == WEBSOCKET_OPCODE_TEXT or opcode == WEBSOCKET_OPCODE_BINARY)
        and type(opcode) is int
        and type(data) is bytes
        and (session is None or not session.compression)
    ):
        # The common push(): one final TEXT/BINARY frame of bytes, no compression. For these
        # FrameObject::pack only adds the mask: encode directly (same bytes as _pack).
        frame = frames.encode_frame(opcode, data, fin=True, mask=client._ws.mask)
    else:
        packed = _pack(client, data, opcode, flags, SWOOLE_WEBSOCKET_CLOSE_NORMAL, "push")
        if packed is None:
            return False
        frame = packed
    return _write_nowait(client, stream, frame)


async def ping(client: Client, data: Any) -> bool:
    stream = client._live_stream()
    if stream is None:
        return _not_connected(client)
    if not client._websocket:
        return False
    frame = _pack(client, data, WEBSOCKET_OPCODE_PING, SWOOLE_WEBSOCKET_FLAG_FIN, 0, "ping")
    if frame is None:
        return False
    return await _send(client, stream, frame)


async def disconnect(client: Client, code: Any, reason: Any) -> bool:
    """Send CLOSE(code, reason), then always close the connection (websocket.md §3.6)."""
    stream = client._live_stream()
    if stream is None:
        return _not_connected(client)
    if not client._websocket:
        return False
    frame = _pack(client, reason, WEBSOCKET_OPCODE_CLOSE, SWOOLE_WEBSOCKET_FLAG_FIN, php_int(code), "disconnect")
    sent = False
    if frame is not None:
        sent = await _send(client, stream, frame)
    if client._stream is not None:
        client._close_connection(reset=True)
    return sent


async def _auto_reply(stream: Stream, opcode: int, payload: bytes) -> None:
    """PONG for a PING, CLOSE echo for a CLOSE: always masked with a random key (Deviate)."""
    try:
        await stream.write(frames.encode_frame(opcode, payload, fin=True, mask=True))
    except TransportError:
        pass  # upstream ignores the result of automatic replies


IN_PLACE_PAYLOAD_MIN = 256 * 1024
"""Frame payloads with at least this much still to come are received in place."""


async def _payload_in_place(stream: Stream, parser: frames.FrameParser, due: int, deadline: float | None) -> bytes:
    """The rest of the pending frame's payload, received straight into one ``bytes`` with the
    parser's buffered first bytes in front (see ``Stream.read_bytes_in_place``); fed back to
    the parser, it is the frame's payload without a join. ``b""`` when the peer closed first.
    On timeout, error or cancellation the bytes go back to the stream, so a later ``recv()``
    goes on with the same partial frame, as after an ordinary read."""
    head = parser.take_buffered()
    data, _ = await stream.read_bytes_in_place(head, sum(len(p) for p in head), due, deadline)
    return data if data is not None else b""


async def recv(client: Client, timeout: float) -> Any:
    """``recv()`` in WebSocket mode (websocket.md §4)."""
    stream = client._live_stream()
    session = client._ws_session
    if stream is None or session is None:
        return _not_connected(client)
    settings = client._ws
    asm = session.assembler
    limit = _package_max_length(client)
    if limit != asm.package_max_length:
        asm.package_max_length = limit
    if timeout:
        wait: float | None = timeout if timeout > 0 else None
    elif settings.live_read_timeout is not None and settings.live_read_timeout[0] is stream:
        wait = settings.live_read_timeout[1]
    else:
        wait = _connect.io_timeouts(client.setting or {})[1]
    loop = stream.loop
    # One budget per frame (§4.1), restarted when a frame is consumed, not on every read:
    # a peer trickling one frame a byte at a time must not hold recv() forever.
    deadline: float | None = None
    frames_seen = -1
    client._bind(True, False)
    try:
        while True:
            try:
                event = asm.next_event()
            except frames.FrameTooLarge as exc:
                # Swoole prints the socket's own (local) address as "remote_addr".
                local = stream.sockname()
                where = f"{local[0]}:{local[1]}" if isinstance(local, tuple) else str(local or "")
                client._set_error(
                    SW_ERROR_PACKAGE_LENGTH_TOO_LARGE,
                    f"Socket::recv_packet_with_length_protocol() (ERRNO {SW_ERROR_PACKAGE_LENGTH_TOO_LARGE}): "
                    f"packet length is too big, remote_addr={where}, length={exc.length}",
                    ESTATUS_SERVER_RESET,
                )
                client._close_connection(reset=True)
                return False
            except frames.FrameLengthInvalid:
                client._close_connection(reset=True)
                return ""
            if event is None:
                if frames_seen != asm.frames_processed:
                    frames_seen = asm.frames_processed
                    deadline = None if wait is None else loop.time() + wait
                try:
                    due = asm.parser.payload_due()
                    if due >= IN_PLACE_PAYLOAD_MIN and stream.can_fill:
                        data = await _payload_in_place(stream, asm.parser, due, deadline)
                    else:
                        # stream.read(), without its coroutine: wait on the future itself.
                        while (received := stream.read_nowait()) is None:
                            await stream.wait_readable(deadline)
                        data = received
                except TransportError as exc:
                    client._set_error(exc.code, exc.message, ESTATUS_SERVER_RESET)
                    if exc.code != ETIMEDOUT:
                        client._close_connection(reset=True)
                    return False
                if not data:
                    client._close_connection(reset=True)
                    return ""
                asm.feed(data)
                continue
            if isinstance(event, frames.Message):
                return construct_frame(event.opcode, event.payload, event.flags, stream.fd)
            if isinstance(event, frames.ControlFrame):
                opcode, payload = event.opcode, event.payload
                if opcode == WEBSOCKET_OPCODE_PING:
                    if settings.open_ping_frame:
                        return construct_frame(opcode, payload, SWOOLE_WEBSOCKET_FLAG_FIN, stream.fd)
                    await _auto_reply(stream, WEBSOCKET_OPCODE_PONG, payload)
                elif opcode == WEBSOCKET_OPCODE_PONG:
                    if settings.open_pong_frame:
                        return construct_frame(opcode, payload, SWOOLE_WEBSOCKET_FLAG_FIN, stream.fd)
                else:
                    if settings.open_close_frame:
                        return construct_frame(opcode, payload, SWOOLE_WEBSOCKET_FLAG_FIN, stream.fd)
                    await _auto_reply(stream, WEBSOCKET_OPCODE_CLOSE, payload)
                continue
            # ProtocolError: False, errCode and connection untouched
            if event.php_warning:
                php_warning(f"{CLIENT}::recv", event.message, stacklevel=4)
            return False
    finally:
        client._unbind(True, False)
