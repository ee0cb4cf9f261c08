"""Sans-I/O WebSocket frame codec and message reassembly (websocket.md §2–§6).

Nothing here touches a socket or an event loop; the client façade moves the bytes.

Why not wsproto: its ``FrameProtocol`` rejects masked server frames and reserved opcodes,
validates UTF-8, owns the close handshake and cannot emit Swoole's raw opcode/FIN/RSV
combinations, so the encoder, the tolerant decoder and the §4 reassembly loop are written
here by hand (websocket.md §10).

Sending
    ``encode_frame(opcode, payload, fin=..., rsv1=..., mask=..., mask_key=None)`` writes one
    frame on the wire (minimal 7/16/64-bit length; a fresh random key per masked frame unless
    one is given).  ``build_frame(opcode, flags, payload, code)`` applies Swoole's
    ``FrameObject::pack`` rules (limits, forced FIN on control frames, automatic deflate,
    RSV2/RSV3 dropped) and raises :class:`FramePackError` carrying the exact upstream warning
    text.  ``deflate_message`` / ``inflate_message`` are the permessage-deflate transforms.

Receiving
    Drive a :class:`MessageAssembler`::

        asm = MessageAssembler(package_max_length=2 * 1024 * 1024)
        asm.feed(trailing_bytes_after_101)
        while True:
            event = asm.next_event()          # may raise FrameTooLarge / FrameLengthInvalid
            if event is None:
                data = await stream.read()    # b"" → EOF → recv() returns ""
                asm.feed(data)
                continue
            ...

    ``next_event()`` consumes complete frames until one of them produces an event and returns
    it (``None`` = more bytes are needed).  Frames that only extend a fragmented message are
    consumed silently (``frames_processed`` still counts them, so the caller can restart its
    per-frame timer).  Events:

    * :class:`Message` ``(opcode, payload, flags)`` – a complete data message, already
      reassembled and inflated.  ``flags`` are the raw ``SWOOLE_WEBSOCKET_FLAG_*`` bits of the
      (first) frame plus FIN; ``FLAG_COMPRESS`` is *not* added here (``construct_frame`` does).
    * :class:`ControlFrame` ``(opcode, payload)`` – PING, PONG or CLOSE (FIN, ≤ 125 bytes,
      unmasked).  The façade answers PING with PONG and echoes CLOSE (both masked, random key)
      unless the matching ``open_websocket_*_frame`` option is on, drops PONG unless
      ``open_websocket_pong_frame`` is on, and otherwise returns the frame with ``flags=FIN``.
      A control frame may arrive in the middle of a fragmented message; assembly continues.
    * :class:`ProtocolError` ``(kind, message, php_warning)`` – ``recv()`` returns False with
      errCode untouched and the connection kept.  When ``php_warning`` is True the caller must
      emit ``message`` as a PHP warning (``Client::recv()``); otherwise it was already logged
      through ``logger.warning`` (or upstream is silent and ``message`` is informative only).

    Connection-fatal conditions are exceptions raised by ``next_event()``:
    :class:`FrameTooLarge` (errCode 1201, close; ``.length`` is the declared header+payload
    size, checked before any payload is buffered), its subclass :class:`InflatedTooLarge` (a
    compressed message, all fragments, inflating past ``package_max_length``: inflation stops
    at one byte more; a swoole_compat limit) and :class:`FrameLengthInvalid` (a length that
    does not fit a signed 64-bit integer; upstream treats it as EOF).  After any of them, the
    parser keeps raising the same exception.
"""

from __future__ import annotations

import functools
import os
import re
import struct
import threading
import zlib
from collections import deque
from dataclasses import dataclass
from typing import Iterator, NamedTuple, Union

from ..constants import (
    PACKAGE_MAX_LENGTH_DEFAULT,
    SWOOLE_WEBSOCKET_FLAG_COMPRESS,
    SWOOLE_WEBSOCKET_FLAG_FIN,
    SWOOLE_WEBSOCKET_FLAG_MASK,
    SWOOLE_WEBSOCKET_FLAG_RSV1,
    SWOOLE_WEBSOCKET_FLAG_RSV2,
    SWOOLE_WEBSOCKET_FLAG_RSV3,
    WEBSOCKET_OPCODE_CLOSE,
    WEBSOCKET_OPCODE_CONTINUATION,
    WEBSOCKET_OPCODE_PING,
    WEBSOCKET_CLOSE_REASON_MAX,
    WEBSOCKET_CONTROL_FRAME_PAYLOAD_MAX,
    WEBSOCKET_FLAGS_ALL,
    WEBSOCKET_MASK_KEY,
    WEBSOCKET_OPCODE_MAX,
    WEBSOCKET_OPCODE_PONG,
)
from ..errors import logger

__all__ = [
    "FLAGS_ALL",
    "FIXED_MASK_KEY",
    "CONTROL_FRAME_PAYLOAD_MAX",
    "CLOSE_REASON_MAX",
    "OPCODE_MAX",
    "DEFAULT_PACKAGE_MAX_LENGTH",
    "mask_payload",
    "encode_frame",
    "build_frame",
    "FramePackError",
    "deflate_message",
    "inflate_message",
    "InflateError",
    "InflatedTooLarge",
    "RawFrame",
    "FrameError",
    "FrameTooLarge",
    "FrameLengthInvalid",
    "FrameParser",
    "IncompleteFrame",
    "decode_frame",
    "invalid_control_message",
    "frame_total_length",
    "Message",
    "ControlFrame",
    "ProtocolError",
    "Event",
    "MessageAssembler",
    "ERR_INVALID_CONTROL_FRAME",
    "ERR_ORPHAN_CONTINUATION",
    "ERR_FRAGMENT_OPCODE",
    "ERR_MESSAGE_TOO_LARGE",
    "ERR_INFLATE_FAILED",
    "is_control_opcode",
]

# Short local names for the internal limits of constants.md §10.
FLAGS_ALL = WEBSOCKET_FLAGS_ALL  # FIN | COMPRESS | RSV1 | RSV2 | RSV3 | MASK
FIXED_MASK_KEY = WEBSOCKET_MASK_KEY  # b"258E": used by Frame.pack only (W3 / D17)
CONTROL_FRAME_PAYLOAD_MAX = WEBSOCKET_CONTROL_FRAME_PAYLOAD_MAX
CLOSE_REASON_MAX = WEBSOCKET_CLOSE_REASON_MAX
OPCODE_MAX = WEBSOCKET_OPCODE_MAX
DEFAULT_PACKAGE_MAX_LENGTH = PACKAGE_MAX_LENGTH_DEFAULT

_FIN = SWOOLE_WEBSOCKET_FLAG_FIN
_COMPRESS = SWOOLE_WEBSOCKET_FLAG_COMPRESS
_RSV1 = SWOOLE_WEBSOCKET_FLAG_RSV1
_RSV2 = SWOOLE_WEBSOCKET_FLAG_RSV2
_RSV3 = SWOOLE_WEBSOCKET_FLAG_RSV3
_MASK = SWOOLE_WEBSOCKET_FLAG_MASK

_SIGNED64_LIMIT = 1 << 63
_SYNC_TAIL = b"\x00\x00\xff\xff"
_PACK_16 = struct.Struct("!H")
_PACK_64 = struct.Struct("!Q")


def is_control_opcode(opcode: int) -> bool:
    """CLOSE, PING and PONG (the only opcodes upstream treats as control frames)."""
    return opcode in (WEBSOCKET_OPCODE_CLOSE, WEBSOCKET_OPCODE_PING, WEBSOCKET_OPCODE_PONG)


# ---------------------------------------------------------------------------------------------
# Masking
# ---------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=256)
def _xor_table(k: int) -> bytes:
    return bytes(b ^ k for b in range(256))


def py_mask_payload(payload: bytes | bytearray | memoryview, key: bytes) -> bytes:
    """XOR ``payload`` with the 4-byte ``key`` repeated (masking and unmasking are the same).

    The pure-Python fallback of the C ``apply_mask``: one ``bytes.translate`` per key byte
    over a stride-4 slice, which runs in C: 1-2 ms per MiB, several times faster than an
    ``int.from_bytes`` XOR and far from a per-byte Python loop (the extension takes ~0.1 ms).
    """
    if len(key) != 4:
        raise ValueError("masking key must be 4 bytes")
    if not payload:
        return b""
    buf = bytearray(payload)
    for i in range(4):
        buf[i::4] = buf[i::4].translate(_xor_table(key[i]))
    return bytes(buf)


def py_encode_masked(head: bytes, key: bytes, payload: bytes | bytearray | memoryview) -> bytes:
    """``head + key + mask_payload(payload, key)`` (fallback of the C ``encode_masked``)."""
    return b"".join((head, key, py_mask_payload(payload, key)))


def py_unmask_join(parts: list[bytes | memoryview], key: bytes) -> bytes:
    """``mask_payload(b"".join(parts), key)`` (fallback of the C ``unmask_join``)."""
    if len(key) != 4:
        raise ValueError("masking key must be 4 bytes")
    return py_mask_payload(parts[0] if len(parts) == 1 else b"".join(parts), key)


# The C extension (swoole_compat/_speedups.c, built when a compiler is available) reads the
# payload once and writes the masked bytes straight into the result, 8 bytes at a time.
# SWOOLE_COMPAT_NO_SPEEDUPS=1 forces the pure-Python versions (same results).
from .._accel import apply_mask as c_mask_payload  # noqa: E402
from .._accel import encode_masked as c_encode_masked  # noqa: E402
from .._accel import unmask_join as c_unmask_join  # noqa: E402

HAVE_SPEEDUPS = c_mask_payload is not None
mask_payload = c_mask_payload if c_mask_payload is not None else py_mask_payload
_encode_masked = c_encode_masked if c_encode_masked is not None else py_encode_masked
_unmask_join = c_unmask_join if c_unmask_join is not None else py_unmask_join


# ---------------------------------------------------------------------------------------------
# Encoding
# ---------------------------------------------------------------------------------------------


class _KeyPool(threading.local):
    """Masking keys cut from ``os.urandom`` blocks: one system call per 1024 frames instead of
    one per frame. Per thread (coroutines cannot interleave inside ``_random_key``), and
    refilled in a forked child so parent and child never share keys."""

    def __init__(self) -> None:
        self.block = b""
        self.pos = 0


_KEY_BLOCK = 4096
_keys = _KeyPool()


def _random_key() -> bytes:
    """A fresh 4-byte masking key from the operating system's CSPRNG (RFC 6455 §5.3)."""
    pool = _keys
    pos = pool.pos
    if pos >= len(pool.block):
        pool.block = os.urandom(_KEY_BLOCK)
        pos = 0
    pool.pos = pos + 4
    return pool.block[pos : pos + 4]


def _reset_keys_after_fork() -> None:
    global _keys
    _keys = _KeyPool()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_keys_after_fork)


def _header(opcode: int, length: int, *, fin: bool, rsv1: bool, rsv2: bool, rsv3: bool, mask: bool) -> bytes:
    b0 = (0x80 if fin else 0) | (0x40 if rsv1 else 0) | (0x20 if rsv2 else 0) | (0x10 if rsv3 else 0) | opcode
    mbit = 0x80 if mask else 0
    # Minimal length encoding, as websocket::encode writes it.
    if length < 126:
        return bytes((b0, mbit | length))
    if length <= 0xFFFF:
        return bytes((b0, mbit | 126)) + _PACK_16.pack(length)
    return bytes((b0, mbit | 127)) + _PACK_64.pack(length)


def encode_frame(
    opcode: int,
    payload: bytes,
    *,
    fin: bool,
    rsv1: bool = False,
    rsv2: bool = False,
    rsv3: bool = False,
    mask: bool,
    mask_key: bytes | None = None,
) -> bytes:
    """Serialise one frame exactly (no validation of control-frame rules).

    ``opcode`` must be 0..15.  With ``mask`` and no ``mask_key`` a fresh key is drawn from
    ``os.urandom`` (D17: every frame sent on a live connection gets its own key).
    """
    if not 0 <= opcode <= 15:
        raise ValueError(f"opcode {opcode} does not fit in 4 bits")
    if not isinstance(payload, bytes):
        payload = bytes(payload)
    length = len(payload)
    if length < 126 and not (rsv1 or rsv2 or rsv3):
        head = bytes(((0x80 if fin else 0) | opcode, (0x80 if mask else 0) | length))  # _header, inlined
    else:
        head = _header(opcode, length, fin=fin, rsv1=rsv1, rsv2=rsv2, rsv3=rsv3, mask=mask)
    if not mask:
        return head + payload
    key = _random_key() if mask_key is None else bytes(mask_key)
    if len(key) != 4:
        raise ValueError("masking key must be 4 bytes")
    # Header, key and masked payload are written into one buffer: no intermediate copies.
    return _encode_masked(head, key, payload)


class FramePackError(ValueError):
    """A frame could not be packed; ``str(exc)`` is the exact upstream PHP warning text."""


def build_frame(
    opcode: int,
    flags: int,
    payload: bytes,
    code: int = 0,
    *,
    mask_key: bytes | None = None,
) -> bytes:
    """``FrameObject::pack`` + ``websocket::encode`` (websocket.md §3.2).

    ``opcode`` is truncated to 8 bits and ``flags`` to ``FLAGS_ALL`` (upstream stores them in
    ``uint8_t``), ``code`` to 16 bits.  Control frames get FIN forced and are never
    compressed (a caller's RSV1 is kept, upstream's macro quirk); FIN data frames with ``FLAG_COMPRESS`` and a non-empty payload are deflated and
    get RSV1; RSV2/RSV3 are never written.  ``mask_key`` is used when ``FLAG_MASK`` is set
    (``None`` → random per frame; ``Frame.pack`` passes ``FIXED_MASK_KEY``).

    Raises :class:`FramePackError` with the PHP warning text on an invalid opcode or an
    oversize control payload.
    """
    opcode &= 0xFF
    flags &= FLAGS_ALL
    code &= 0xFFFF
    payload = bytes(payload)
    length = len(payload)
    if opcode > OPCODE_MAX:
        raise FramePackError(f"opcode must be between 0 and {OPCODE_MAX}")
    if opcode == WEBSOCKET_OPCODE_CLOSE and length > CLOSE_REASON_MAX:
        raise FramePackError(f"the max length of close reason is {CLOSE_REASON_MAX}")
    if is_control_opcode(opcode) and length > CONTROL_FRAME_PAYLOAD_MAX:
        raise FramePackError(
            f"websocket control frame payload must not exceed {CONTROL_FRAME_PAYLOAD_MAX} bytes"
        )

    compress = bool(flags & _COMPRESS) and length > 0
    if is_control_opcode(opcode):
        # Upstream means to clear COMPRESS and RSV1, but its sw_unset_bit macro expands to
        # ``flags &= ~FLAG_COMPRESS | FLAG_RSV1``: only COMPRESS goes, a caller's RSV1 stays on
        # the wire (a PONG pushed with flags 6 is 0xCA). Control payloads are never compressed.
        flags = (flags & ~_COMPRESS) | _FIN
        compress = False
    elif opcode == WEBSOCKET_OPCODE_CONTINUATION or not flags & _FIN:
        # Fragments go out uncompressed; a caller-given RSV1 is left as is (observed).
        compress = False

    if compress:
        payload = deflate_message(payload)
        flags |= _RSV1

    if opcode == WEBSOCKET_OPCODE_CLOSE:
        payload = _PACK_16.pack(code) + payload
        flags |= _FIN

    return encode_frame(
        opcode,
        payload,
        fin=bool(flags & _FIN),
        rsv1=bool(flags & _RSV1),
        mask=bool(flags & _MASK),
        mask_key=mask_key,
    )


# ---------------------------------------------------------------------------------------------
# permessage-deflate
# ---------------------------------------------------------------------------------------------


def deflate_message(payload: bytes) -> bytes:
    """Compress one message (``WebSocket::message_compress``): fresh raw deflate (no context
    takeover), default level, memLevel 8, ``Z_SYNC_FLUSH``, trailing ``00 00 ff ff`` stripped.
    """
    comp = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15, 8, zlib.Z_DEFAULT_STRATEGY)
    out = comp.compress(payload) + comp.flush(zlib.Z_SYNC_FLUSH)
    # A sync flush always ends with the empty stored block; upstream drops its last 4 bytes.
    return out[:-4] if out.endswith(_SYNC_TAIL) else out


class InflateError(ValueError):
    """Inflating a message failed; ``str(exc)`` is the PHP warning text
    (``inflate() failed, Error: <zError>[<status>]``)."""


_ZERROR = {
    -1: "file error",
    -2: "stream error",
    -3: "data error",
    -4: "insufficient memory",
    -5: "buffer error",
    -6: "incompatible version",
}
_ZSTATUS_RE = re.compile(r"Error (-?\d+)")


def inflate_message(data: bytes, max_size: int | None = None) -> bytes:
    """Decompress one message (``WebSocket::message_uncompress``).

    A fresh raw inflater per message; the ``00 00 ff ff`` tail is *not* appended because
    upstream does not append it either (websocket.md §4.2; with a sync-flushed stream the
    output is identical, and a truncated stream yields its partial output as upstream does).
    Data after the end of a final block is ignored (upstream stops at ``Z_STREAM_END``).

    ``max_size`` (the connection's ``package_max_length``; None or 0 = no limit) bounds the
    output: zlib is asked for at most ``max_size + 1`` bytes, so a bomb never inflates further,
    and one byte more than ``max_size`` raises :class:`InflatedTooLarge` (a swoole_compat
    limit: upstream inflates without bound, docs/deviations.md S16).
    """
    if not data:
        # zlib's inflate() reports Z_BUF_ERROR when it can make no progress; upstream treats
        # that as failure, whereas Python's zlib silently accepts it.
        raise InflateError(f"inflate() failed, Error: {_ZERROR[-5]}[-5]")
    try:
        if not max_size or max_size < 0:
            return zlib.decompressobj(-15).decompress(data)
        out = zlib.decompressobj(-15).decompress(data, max_size + 1)
    except zlib.error as exc:
        m = _ZSTATUS_RE.search(str(exc))
        status = int(m.group(1)) if m else -3
        reason = _ZERROR.get(status, "unknown error")
        raise InflateError(f"inflate() failed, Error: {reason}[{status}]") from None
    if len(out) > max_size:
        raise InflatedTooLarge(len(out), max_size)
    return out


# ---------------------------------------------------------------------------------------------
# Decoding
# ---------------------------------------------------------------------------------------------


class RawFrame(NamedTuple):
    """One decoded frame; ``payload`` is already unmasked."""

    fin: bool
    rsv1: bool
    rsv2: bool
    rsv3: bool
    opcode: int
    masked: bool
    payload: bytes

    @property
    def flags(self) -> int:
        """``Frame::get_flags()``: FIN/RSV1/RSV2/RSV3/MASK as ``SWOOLE_WEBSOCKET_FLAG_*`` bits."""
        return (
            (_FIN if self.fin else 0)
            | (_RSV1 if self.rsv1 else 0)
            | (_RSV2 if self.rsv2 else 0)
            | (_RSV3 if self.rsv3 else 0)
            | (_MASK if self.masked else 0)
        )


class FrameError(Exception):
    """Connection-level framing failure (the façade closes the connection)."""


class FrameTooLarge(FrameError):
    """Declared frame size (header + payload) exceeds ``package_max_length`` → errCode 1201."""

    def __init__(self, length: int, limit: int) -> None:
        super().__init__(f"packet length is too big, length={length}")
        self.length = length
        self.limit = limit


class InflatedTooLarge(FrameTooLarge):
    """A compressed message inflates past ``package_max_length`` → errCode 1201, close, as for
    an over-long frame. ``.length`` is the inflated size reached (``limit + 1``: inflating
    stopped there), ``.limit`` the limit."""

    def __init__(self, length: int, limit: int) -> None:
        super().__init__(length, limit)
        self.args = (f"inflated message length is too big, length>={length}",)


class FrameLengthInvalid(FrameError):
    """Declared length does not fit a signed 64-bit integer; upstream treats this as EOF."""

    def __init__(self, payload_length: int) -> None:
        super().__init__(f"invalid payload length {payload_length}")
        self.payload_length = payload_length


class _Header(NamedTuple):
    b0: int
    b1: int
    header_len: int
    payload_len: int


def _parse_header(head: bytes) -> _Header | int:
    """Parse a frame header from the start of ``head``.

    Returns the header, or the number of header bytes needed when ``head`` is too short
    (like ``get_package_length_impl`` the whole header, mask key included, must be present).
    """
    if len(head) < 2:
        return 2
    b0, b1 = head[0], head[1]
    len7 = b1 & 0x7F
    header_len = 2 + (2 if len7 == 126 else 8 if len7 == 127 else 0) + (4 if b1 & 0x80 else 0)
    if len(head) < header_len:
        return header_len
    if len7 == 126:
        payload_len = _PACK_16.unpack_from(head, 2)[0]
    elif len7 == 127:
        payload_len = _PACK_64.unpack_from(head, 2)[0]
    else:
        payload_len = len7
    return _Header(b0, b1, header_len, payload_len)


def frame_total_length(data: bytes) -> int:
    """``get_package_length_impl`` for a buffer starting with a frame.

    Returns header + payload length, 0 when the header itself is incomplete, or a negative
    value (upstream's signed overflow) when the declared length does not fit in 63 bits.
    """
    h = _parse_header(data[:14])
    if isinstance(h, int):
        return 0
    if h.payload_len >= _SIGNED64_LIMIT:
        return -1
    total = h.header_len + h.payload_len
    # ssize_t addition wraps in C; keep the negative result so callers see "invalid".
    return total - (1 << 64) if total >= _SIGNED64_LIMIT else total


def _raw_frame(h: _Header, body: bytes) -> RawFrame:
    masked = bool(h.b1 & 0x80)
    if masked and h.payload_len:
        payload = mask_payload(memoryview(body)[4:], body[:4])
    elif masked:
        payload = b""
    else:
        payload = body
    return _make_frame(h.b0, masked, payload)


def _make_frame(b0: int, masked: bool, payload: bytes) -> RawFrame:
    # Positional: a NamedTuple built from keywords costs noticeably more per frame.
    return RawFrame(bool(b0 & 0x80), bool(b0 & 0x40), bool(b0 & 0x20), bool(b0 & 0x10), b0 & 0x0F, masked, payload)


class IncompleteFrame(FrameError):
    """``decode_frame`` got fewer bytes than the frame declares (``need`` as upstream prints
    it: 0 when the header is incomplete, the unsigned wrap of a negative length)."""

    def __init__(self, need: int, have: int) -> None:
        super().__init__(f"incomplete packet, expected length is {need}, actual length is {have}")
        self.need = need
        self.have = have


def decode_frame(data: bytes) -> RawFrame:
    """Decode the single frame at the start of ``data``; trailing bytes are ignored
    (``websocket::decode`` as used by ``Frame::unpack``).

    Raises :class:`IncompleteFrame`; its ``str()`` is upstream's log text.
    """
    data = bytes(data)
    total = frame_total_length(data)
    if total <= 0 or len(data) < total:
        raise IncompleteFrame(total & 0xFFFFFFFFFFFFFFFF, len(data))
    h = _parse_header(data[:14])
    assert not isinstance(h, int)
    key_len = 4 if h.b1 & 0x80 else 0
    return _raw_frame(h, data[h.header_len - key_len : total])


def invalid_control_message(frame: RawFrame) -> str | None:
    """The upstream log text if ``frame`` is a control frame without FIN or with more than
    125 payload bytes (``websocket::parse_frame`` rejects those), else None."""
    if is_control_opcode(frame.opcode) and (not frame.fin or len(frame.payload) > CONTROL_FRAME_PAYLOAD_MAX):
        return (
            f"invalid websocket control frame received: opcode={frame.opcode}, "
            f"fin={int(frame.fin)}, payload_length={len(frame.payload)}"
        )
    return None


class FrameParser:
    """Incremental, tolerant frame decoder (``websocket::parse_frame`` + ``decode``).

    Accepts masked and unmasked frames, any opcode 0–15, any RSV bits and non-minimal length
    encodings; control-frame rules are checked by :class:`MessageAssembler`.  The size check
    uses the declared length as soon as the header is complete, before any payload is
    buffered.  Received chunks are kept as-is in a deque: a payload is copied exactly once
    (slice or join), never by re-growing a buffer.
    """

    def __init__(self, max_frame_size: int | None = DEFAULT_PACKAGE_MAX_LENGTH) -> None:
        #: Limit on header + payload bytes of one frame; ``None`` disables it.
        self.max_frame_size = max_frame_size
        self._chunks: deque[bytes] = deque()
        self._offset = 0  # consumed bytes of self._chunks[0]
        self._size = 0  # unconsumed bytes in total
        self._pending: _Header | None = None  # header consumed, waiting for its body
        self._error: FrameError | None = None

    @property
    def buffered(self) -> int:
        """Bytes received but not yet returned as part of a frame."""
        pending = self._pending
        if pending is None:
            return self._size
        # The mask key of a pending frame is still in the buffer (counted by _size).
        return self._size + pending.header_len - (4 if pending.b1 & 0x80 else 0)

    def feed(self, data: bytes | bytearray | memoryview) -> None:
        """Append received bytes (``bytes`` are kept without copying)."""
        if data:
            chunk = bytes(data)
            self._chunks.append(chunk)
            self._size += len(chunk)

    def _peek(self, n: int) -> bytes:
        first = self._chunks[0]
        off = self._offset
        if len(first) - off >= n:
            return first[off : off + n]
        parts = []
        need = n
        for i, chunk in enumerate(self._chunks):
            start = off if i == 0 else 0
            piece = chunk[start : start + need]
            parts.append(piece)
            need -= len(piece)
            if need <= 0:
                break
        return b"".join(parts)

    def _take(self, n: int) -> bytes:
        """Consume exactly ``n`` (≤ ``self._size``) bytes with at most one copy."""
        if n == 0:
            return b""
        self._size -= n
        first = self._chunks[0]
        off = self._offset
        avail = len(first) - off
        if n <= avail:
            if n == avail:
                self._chunks.popleft()
                self._offset = 0
                return first if off == 0 else first[off:]
            self._offset = off + n
            return first[off : off + n]
        parts: list[bytes | memoryview] = [memoryview(first)[off:]]
        self._chunks.popleft()
        need = n - avail
        while need:
            chunk = self._chunks[0]
            if len(chunk) <= need:
                parts.append(chunk)
                self._chunks.popleft()
                need -= len(chunk)
                self._offset = 0
            else:
                parts.append(memoryview(chunk)[:need])
                self._offset = need
                need = 0
        return b"".join(parts)

    def _take_parts(self, n: int) -> list[bytes | memoryview]:
        """Consume exactly ``n`` (1 ≤ n ≤ ``self._size``) bytes as views of the received
        chunks, without joining them (the unmasking joins and unmasks in one pass)."""
        self._size -= n
        chunks = self._chunks
        parts: list[bytes | memoryview] = []
        off = self._offset
        while n:
            chunk = chunks[0]
            avail = len(chunk) - off
            if avail <= n:
                parts.append(chunk if off == 0 else memoryview(chunk)[off:])
                chunks.popleft()
                off = 0
                n -= avail
            else:
                parts.append(memoryview(chunk)[off : off + n])
                off += n
                n = 0
        self._offset = off
        return parts

    def next_frame(self) -> RawFrame | None:
        """Return the next complete frame, ``None`` if more bytes are needed.

        Raises :class:`FrameTooLarge` / :class:`FrameLengthInvalid` (sticky).
        """
        if self._error is not None:
            raise self._error
        h = self._pending
        if h is None:
            size = self._size
            if size < 2:
                return None
            # Fast path: an unmasked frame with a 7- or 16-bit length lying wholly in the first
            # received chunk (the usual server frame): sliced out directly. Anything else,
            # including a frame over the size limit, takes the general path below.
            first = self._chunks[0]
            off = self._offset
            flen = len(first)
            if flen - off >= 4:
                len7 = first[off + 1]  # the MASK bit is bit 7: a masked frame is >= 128 here
                if len7 < 126:
                    start, end = off + 2, off + 2 + len7
                elif len7 == 126:
                    start = off + 4
                    end = start + (first[off + 2] << 8 | first[off + 3])
                else:
                    end = flen + 1
                max_size = self.max_frame_size
                if end <= flen and (max_size is None or end - off <= max_size):
                    b0 = first[off]
                    if end == flen:
                        self._chunks.popleft()
                        self._offset = 0
                    else:
                        self._offset = end
                    self._size = size - (end - off)
                    return RawFrame(
                        b0 & 0x80 != 0, b0 & 0x40 != 0, b0 & 0x20 != 0, b0 & 0x10 != 0, b0 & 0x0F, False, first[start:end]
                    )
            parsed = _parse_header(self._peek(min(self._size, 14)))
            if isinstance(parsed, int):
                return None
            h = parsed
            total = h.header_len + h.payload_len
            if total >= _SIGNED64_LIMIT:
                self._fail(FrameLengthInvalid(h.payload_len))
            if self.max_frame_size is not None and total > self.max_frame_size:
                self._fail(FrameTooLarge(total, self.max_frame_size))
            # Keep the mask key with the body; drop the fixed part of the header.
            key_len = 4 if h.b1 & 0x80 else 0
            self._take(h.header_len - key_len)
            self._pending = h
        key_len = 4 if h.b1 & 0x80 else 0
        need = key_len + h.payload_len
        if self._size < need:
            return None
        self._pending = None
        if key_len and h.payload_len:
            # Masked payload: unmasked straight out of the received chunks, one copy in all.
            key = self._take(4)
            return _make_frame(h.b0, True, _unmask_join(self._take_parts(h.payload_len), key))
        return _raw_frame(h, self._take(need))

    def payload_due(self) -> int:
        """Payload bytes of the current frame still to come, when the caller may receive them
        itself (an unmasked frame whose header is parsed and whose payload is incomplete):
        it takes the payload's first bytes with :meth:`take_buffered` and feeds the whole
        payload back as one chunk, which :meth:`next_frame` then returns without a copy.
        0 otherwise."""
        h = self._pending
        if h is None or h.b1 & 0x80 or self._error is not None:
            return 0
        return max(h.payload_len - self._size, 0)

    def take_buffered(self) -> list[bytes | memoryview]:
        """Consume every buffered byte (views of the received chunks); see :meth:`payload_due`."""
        return self._take_parts(self._size) if self._size else []

    def _fail(self, exc: FrameError) -> None:
        # Upstream clears its read buffer and closes; drop what we hold and stay failed.
        self._chunks.clear()
        self._offset = self._size = 0
        self._pending = None
        self._error = exc
        raise exc

    def __iter__(self) -> Iterator[RawFrame]:
        """Yield every complete frame currently buffered."""
        while (frame := self.next_frame()) is not None:
            yield frame


# ---------------------------------------------------------------------------------------------
# Reassembly (websocket.md §4.2, WebSocket::recv_frame)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Message:
    """A complete data message (TEXT, BINARY or a reserved non-control opcode)."""

    opcode: int
    payload: bytes
    flags: int  # raw FIN/RSV1/RSV2/RSV3/MASK bits; FIN always set


@dataclass(frozen=True, slots=True)
class ControlFrame:
    """A PING, PONG or CLOSE frame (valid: FIN set, payload ≤ 125 bytes, unmasked)."""

    opcode: int
    payload: bytes


# ProtocolError kinds
ERR_INVALID_CONTROL_FRAME = "invalid_control_frame"
ERR_ORPHAN_CONTINUATION = "orphan_continuation"
ERR_FRAGMENT_OPCODE = "fragment_opcode"
ERR_MESSAGE_TOO_LARGE = "message_too_large"
ERR_INFLATE_FAILED = "inflate_failed"

MSG_ORPHAN_CONTINUATION = (
    "A continuation frame cannot stand alone and MUST be preceded by an initial frame whose "
    "opcode indicates either text or binary data."
)
MSG_FRAGMENT_OPCODE = (
    "All fragments of a message, except for the initial frame, must use the continuation "
    "frame opcode(0)."
)


@dataclass(frozen=True, slots=True)
class ProtocolError:
    """A non-fatal protocol error: ``recv()`` returns False, errCode/statusCode unchanged.

    ``php_warning`` True → the caller emits ``message`` as a PHP warning; False → already
    logged via ``logger.warning`` (or, for ``message_too_large``, silent upstream).
    """

    kind: str
    message: str
    php_warning: bool = False


Event = Union[Message, ControlFrame, ProtocolError]


class MessageAssembler:
    """The §4.2 receive loop without I/O: frames in, :data:`Event` values out.

    ``package_max_length`` bounds both one frame (header + payload, fatal) and a reassembled
    message (non-fatal ``message_too_large``); the façade updates it when ``set()`` changes
    the option.  Reassembly state survives across ``next_event()`` calls, as upstream keeps
    ``continue_frame_buffer`` across ``recv()`` calls.
    """

    def __init__(self, package_max_length: int | None = DEFAULT_PACKAGE_MAX_LENGTH) -> None:
        self.parser = FrameParser(package_max_length)
        self._max = package_max_length
        self._parts: list[bytes] | None = None  # fragments of the message being assembled
        self._parts_len = 0
        self._first_opcode = 0
        self._first_flags = 0
        #: Number of frames consumed so far (lets the caller restart a per-frame timer).
        self.frames_processed = 0

    @property
    def package_max_length(self) -> int | None:
        return self._max

    @package_max_length.setter
    def package_max_length(self, value: int | None) -> None:
        self._max = value
        self.parser.max_frame_size = value

    @property
    def in_message(self) -> bool:
        """True while a fragmented message is being assembled."""
        return self._parts is not None

    def reset(self) -> None:
        """Forget any partial message (connection closed / re-upgraded)."""
        self._parts = None
        self._parts_len = 0

    def feed(self, data: bytes | bytearray | memoryview) -> None:
        """Hand received bytes to the frame parser."""
        parser = self.parser
        if type(data) is bytes:
            if data:  # FrameParser.feed, inlined (once per read)
                parser._chunks.append(data)
                parser._size += len(data)
        else:
            parser.feed(data)

    def next_event(self) -> Event | None:
        """Process buffered frames until one yields an event; ``None`` = need more bytes.

        Raises :class:`FrameTooLarge` / :class:`FrameLengthInvalid` from the parser.
        """
        parser = self.parser
        if parser._size < 2 and parser._pending is None and parser._error is None:
            return None  # nothing buffered (what next_frame would say, without the call)
        while (frame := parser.next_frame()) is not None:
            self.frames_processed += 1
            opcode = frame.opcode
            if 0 < opcode < WEBSOCKET_OPCODE_CLOSE and frame.fin and self._parts is None and not frame.rsv1:
                # process_frame's usual case, inlined: a whole uncompressed data message.
                return Message(opcode, frame.payload, frame.flags)
            event = self.process_frame(frame)
            if event is not None:
                return event
        return None

    def _too_large(self, size: int) -> bool:
        return self._max is not None and size > self._max

    def process_frame(self, frame: RawFrame) -> Event | None:
        """Apply one frame to the reassembly state (exposed for tests and for callers that
        parse frames themselves)."""
        opcode = frame.opcode
        payload = frame.payload

        if opcode < WEBSOCKET_OPCODE_CLOSE and opcode and frame.fin and self._parts is None and not frame.rsv1:
            # The usual case: a whole, uncompressed data message in one frame.
            return Message(opcode, payload, frame.flags)
        if is_control_opcode(opcode):
            msg = invalid_control_message(frame)
            if msg is not None:
                # websocket::parse_frame rejects these before recv_frame looks at the opcode.
                logger.warning(msg)
                return ProtocolError(ERR_INVALID_CONTROL_FRAME, msg)
            return ControlFrame(opcode, payload)

        if opcode == WEBSOCKET_OPCODE_CONTINUATION:
            if self._parts is None:
                logger.warning(MSG_ORPHAN_CONTINUATION)
                return ProtocolError(ERR_ORPHAN_CONTINUATION, MSG_ORPHAN_CONTINUATION)
            if self._too_large(self._parts_len + len(payload)):
                # Upstream keeps the partial buffer here (quirk W12).
                return ProtocolError(ERR_MESSAGE_TOO_LARGE, "websocket message is too big")
            if payload:
                self._parts.append(payload)
                self._parts_len += len(payload)
            if not frame.fin:
                return None
            parts = self._parts
            data = parts[0] if len(parts) == 1 else b"".join(parts)
            first_opcode, flags = self._first_opcode, self._first_flags | _FIN
            self.reset()
            if flags & _RSV1:
                try:
                    data = inflate_message(data, self._max)
                except InflatedTooLarge as exc:
                    self.parser._fail(exc)  # fatal, sticky: 1201 and close
                except InflateError as exc:
                    return ProtocolError(ERR_INFLATE_FAILED, str(exc), php_warning=True)
            return Message(first_opcode, data, flags)

        # TEXT, BINARY and reserved non-control opcodes (3–7, 11–15) start a message.
        if self._parts is not None:
            # Upstream returns without touching the buffer: later data frames keep failing
            # until a FIN continuation completes it (quirk W12).
            logger.warning(MSG_FRAGMENT_OPCODE)
            return ProtocolError(ERR_FRAGMENT_OPCODE, MSG_FRAGMENT_OPCODE)
        if frame.fin:
            if frame.rsv1:
                try:
                    payload = inflate_message(payload, self._max)
                except InflatedTooLarge as exc:
                    self.parser._fail(exc)  # fatal, sticky: 1201 and close
                except InflateError as exc:
                    return ProtocolError(ERR_INFLATE_FAILED, str(exc), php_warning=True)
            return Message(opcode, payload, frame.flags)
        if self._too_large(len(payload)):
            return ProtocolError(ERR_MESSAGE_TOO_LARGE, "websocket message is too big")
        self._parts = [payload] if payload else []
        self._parts_len = len(payload)
        self._first_opcode = opcode
        self._first_flags = frame.flags
        return None
