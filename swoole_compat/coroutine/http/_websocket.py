"""WebSocket side of the façade (websocket.md): settings, the upgrade check, frames to push,
and what ``recv()`` returns.

This module talks to the connection (:class:`swoole_compat._connection.HTTPConnection`), never
to the HTTP part of the façade: each function takes the connection and the WebSocket state and
returns an outcome that :class:`~swoole_compat.coroutine.http.client.Client` turns into PHP
results (``errCode``, ``statusCode``, closing). Frames are built and parsed by
:mod:`swoole_compat._protocol.frames`.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from ..._connection import HTTPConnection
from ..._php import php_float, php_int, php_truthy
from ..._protocol import frames, handshake
from ..._transport.errno import ETIMEDOUT, TransportError
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
    WEBSOCKET_OPCODE_TEXT,
)
from ...errors import CLIENT
from ...websocket import construct_frame, pack_frame

ESTATUS_CONNECT_FAILED = -1
ESTATUS_SERVER_RESET = -3
HANDSHAKE_FAILED_MESSAGE = "websocket handshake failed: invalid Upgrade/Connection/Sec-WebSocket-Accept headers"
PUSH_WITHOUT_HANDSHAKE = "websocket handshake failed, cannot push data"
PACK_FAILED_MESSAGE = "websocket frame pack failed"

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
        #: (connection, limit) set by a set() on a live connection (see :func:`package_max_length`).
        self.live_package_max_length: tuple[HTTPConnection, int] | None = None
        #: (connection, seconds or None) when a set() on a live connection changed its read timeout.
        self.live_read_timeout: tuple[HTTPConnection, float | None] | None = None

    def apply(self, opts: dict[Any, Any], stream: HTTPConnection | None = None) -> None:
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
    """State of an upgraded connection: the frame reassembler and the negotiated compression.

    The reassembler's partial message is the client's (upstream's ``continue_frame_buffer`` is
    a member of the client, kept across reconnects): pass the previous session's assembler
    to keep it; only its frame parser (the connection's bytes) is new."""

    __slots__ = ("assembler", "compression")

    def __init__(
        self, compression: bool, package_max_length: int, assembler: frames.MessageAssembler | None = None
    ) -> None:
        if assembler is None:
            assembler = frames.MessageAssembler(package_max_length)
        else:
            assembler.parser = frames.FrameParser(package_max_length)
            assembler.package_max_length = package_max_length
        self.assembler = assembler
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


def package_max_length(settings: Settings, conn: HTTPConnection | None, setting: dict[Any, Any] | None) -> int:
    """The frame/message limit of the current connection: the merged ``setting`` applied at
    connect, unless a later ``set()`` on this same connection re-applied the option."""
    global _size_last
    live = settings.live_package_max_length
    if live is not None and conn is not None and live[0] is conn:
        return live[1]
    value = (setting or {}).get("package_max_length")
    last = _size_last  # read per recv(): the last (immutable) value's result is kept
    if value is last[0]:
        return last[1]
    size = _size_option(value)
    if type(value) in (int, str, type(None)):
        _size_last = (value, size)
    return size


def upgrade_headers(request_headers: Any, compression: bool) -> dict[Any, Any]:
    """``Client::upgrade``: the request headers with the handshake headers and a new key."""
    return handshake.apply_upgrade_headers(
        request_headers if isinstance(request_headers, dict) else None,
        handshake.generate_key(),
        compression=compression,
    )


def verify_upgrade(
    headers: Any,
    request_headers: Any,
    *,
    compression_offered: bool,
    extensions: list[str],
    limit: int,
    trailing: bytes,
    assembler: frames.MessageAssembler | None = None,
) -> Session | None:
    """``recv_response`` with the ``websocket`` flag set: ``websocket_verify_server_handshake``
    (whatever the status: the flag says a 101 was seen on this connection), then the session,
    else None. ``extensions`` are the ``sec-websocket-extensions`` values the parser saw while
    the flag was set; ``assembler`` carries a partial message over from an earlier session."""
    if not handshake.verify_server_handshake(request_headers, headers):
        return None
    compression = compression_offered and handshake.deflate_in_extensions(extensions)
    session = Session(compression, limit, assembler)
    if trailing:
        session.assembler.feed(trailing)
    return session


class Outcome(NamedTuple):
    """What a WebSocket call returns and what it does to the client.

    ``error`` is ``(errCode, errMsg, statusCode)`` to set (None: leave them), ``close`` whether
    the connection is closed, ``warning`` a PHP warning to emit first."""

    value: Any
    error: tuple[int, str, int] | None = None
    close: bool = False
    warning: str | None = None


def pack(
    session: Session | None,
    settings: Settings,
    data: Any,
    opcode: Any,
    flags: Any,
    code: int,
    method: str,
    stacklevel: int = 4,
) -> bytes | None:
    """``FrameObject::pack`` with the client's mask and negotiated compression; None when it
    fails (the warning is already emitted; the caller sets 8505 "websocket frame pack failed")."""
    add = 0
    if settings.mask:
        add |= SWOOLE_WEBSOCKET_FLAG_MASK
    if session is not None and session.compression:
        add |= SWOOLE_WEBSOCKET_FLAG_COMPRESS
    return pack_frame(data, opcode, flags, code, where=f"{CLIENT}::{method}", mask_key=None, add_flags=add, stacklevel=stacklevel)


def push_frame(session: Session | None, settings: Settings, data: Any, opcode: Any, flags: int) -> bytes | None:
    """The frame ``push()`` writes (None: packing failed)."""
    if (
        flags == SWOOLE_WEBSOCKET_FLAG_FIN
        and (opcode == WEBSOCKET_OPCODE_TEXT or opcode == WEBSOCKET_OPCODE_BINARY)
        and type(opcode) is int
        and type(data) is bytes
        and (session is None or not session.compression)
    ):
        # The common push(): one final TEXT/BINARY frame of bytes, no compression. For these
        # FrameObject::pack only adds the mask: encode directly (same bytes as pack()).
        return frames.encode_frame(opcode, data, fin=True, mask=settings.mask)
    return pack(session, settings, data, opcode, flags, SWOOLE_WEBSOCKET_CLOSE_NORMAL, "push", stacklevel=5)


def _too_large_message(conn: HTTPConnection, length: int) -> str:
    # Swoole prints the socket's own address as "remote_addr" (the client's ephemeral port).
    peer = conn.stream.sockname()
    where = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer or "")
    return (
        f"Socket::recv_packet_with_length_protocol() (ERRNO {SW_ERROR_PACKAGE_LENGTH_TOO_LARGE}): "
        f"packet length is too big, remote_addr={where}, length={length}"
    )


async def receive(conn: HTTPConnection, session: Session, settings: Settings, wait: float | None) -> Outcome:
    """``recv()`` in WebSocket mode (websocket.md §4, ``Client::recv_websocket_frame``)."""
    try:
        event = await conn.receive_frame(
            session.assembler,
            wait,
            return_ping=settings.open_ping_frame,
            return_pong=settings.open_pong_frame,
            return_close=settings.open_close_frame,
        )
    except frames.FrameTooLarge as exc:
        message = _too_large_message(conn, exc.length)
        return Outcome(False, (SW_ERROR_PACKAGE_LENGTH_TOO_LARGE, message, ESTATUS_SERVER_RESET), close=True)
    except frames.FrameLengthInvalid:
        return Outcome("", close=True)
    except TransportError as exc:
        return Outcome(False, (exc.code, exc.message, ESTATUS_SERVER_RESET), close=exc.code != ETIMEDOUT)
    if event is None:
        return Outcome("", close=True)  # the peer closed
    fd = conn.fd
    if isinstance(event, frames.Message):
        return Outcome(construct_frame(event.opcode, event.payload, event.flags, fd))
    if isinstance(event, frames.ControlFrame):
        return Outcome(construct_frame(event.opcode, event.payload, SWOOLE_WEBSOCKET_FLAG_FIN, fd))
    # ProtocolError: False, errCode and connection untouched
    return Outcome(False, warning=event.message if event.php_warning else None)


__all__ = [
    "Settings",
    "Session",
    "Outcome",
    "package_max_length",
    "upgrade_headers",
    "verify_upgrade",
    "pack",
    "push_frame",
    "receive",
    "HANDSHAKE_FAILED_MESSAGE",
    "PUSH_WITHOUT_HANDSHAKE",
    "PACK_FAILED_MESSAGE",
    "SW_ERROR_CLIENT_NO_CONNECTION",
    "SW_ERROR_WEBSOCKET_HANDSHAKE_FAILED",
    "SW_ERROR_WEBSOCKET_PACK_FAILED",
    "SW_ERROR_PHP_FATAL_ERROR",
    "ESTATUS_CONNECT_FAILED",
    "ESTATUS_SERVER_RESET",
    "FLAGS_ALL",
    "WEBSOCKET_OPCODE_PING",
    "WEBSOCKET_OPCODE_CLOSE",
    "php_float",
    "php_int",
]
