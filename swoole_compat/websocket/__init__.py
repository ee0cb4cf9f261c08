"""``Swoole\\WebSocket\\Frame`` and ``Swoole\\WebSocket\\CloseFrame`` (websocket.md §5).

Also the pieces the client's ``push()``/``recv()`` share with them:

* :func:`frame_object` – read a ``Frame`` (or plain data + opcode/flags) the way upstream's
  ``FrameObject`` constructor does;
* :func:`pack_frame` – ``FrameObject::pack`` with PHP warnings; ``Frame.pack`` uses the fixed
  ``258E`` key, ``push()`` passes ``mask_key=None`` for a random key per frame (D17);
* :func:`construct_frame` – build the ``Frame``/``CloseFrame`` returned by ``recv()`` and
  ``Frame.unpack`` (``WebSocket::construct_frame``).
"""

from __future__ import annotations

import struct
from typing import Any, NamedTuple

from .._php import php_bytes, php_int, php_truthy
from .._protocol.frames import (
    FIXED_MASK_KEY,
    FLAGS_ALL,
    OPCODE_MAX,
    FramePackError,
    IncompleteFrame,
    InflateError,
    build_frame,
    decode_frame,
    inflate_message,
    invalid_control_message,
)
from ..constants import (
    SWOOLE_WEBSOCKET_CLOSE_NORMAL,
    SWOOLE_WEBSOCKET_FLAG_COMPRESS,
    SWOOLE_WEBSOCKET_FLAG_FIN,
    SWOOLE_WEBSOCKET_FLAG_RSV1,
    WEBSOCKET_OPCODE_CLOSE,
    WEBSOCKET_OPCODE_TEXT,
)
from ..errors import FRAME, logger, php_warning

__all__ = ["Frame", "CloseFrame", "FrameObject", "frame_object", "pack_frame", "construct_frame"]

_MISSING: Any = object()


class Frame:
    """A WebSocket frame.  Plain public attributes, as the PHP class has public properties.

    ``data`` holds the payload (received frames: ``bytes``; user frames may hold ``str`` or
    anything PHP-string-convertible).  ``finish`` is None on user-built frames, meaning "FIN
    comes from ``flags``".  ``bytes(frame)`` is upstream's ``__toString()`` (D14).
    """

    def __init__(
        self,
        *,
        fd: int = 0,
        data: Any = b"",
        opcode: int = WEBSOCKET_OPCODE_TEXT,
        flags: int = SWOOLE_WEBSOCKET_FLAG_FIN,
        finish: bool | None = None,
    ) -> None:
        self.fd = fd
        self.data = data
        self.opcode = opcode
        self.flags = flags
        self.finish = finish

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({fields})"

    def __bytes__(self) -> bytes:
        # __toString packs the object with its own fields (opcode/flags arguments unused).
        return pack_frame(self, where=f"{FRAME}::__toString", mask_key=FIXED_MASK_KEY) or b""

    @staticmethod
    def pack(data: Any, opcode: int = WEBSOCKET_OPCODE_TEXT, flags: int = SWOOLE_WEBSOCKET_FLAG_FIN) -> bytes:
        """``Frame::pack``: serialise ``data`` (a ``Frame`` or a string) into wire bytes.

        No automatic mask or compression: ``flags`` decide; a masked frame uses the fixed key
        ``258E`` (byte-compatible with upstream).  A non-``Frame`` CLOSE gets code 0 (W16).
        On failure a PHP warning is emitted and ``b""`` returned.
        """
        return pack_frame(data, opcode, flags, 0, where=f"{FRAME}::pack", mask_key=FIXED_MASK_KEY) or b""

    @staticmethod
    def unpack(data: Any) -> Frame | bool:
        """``Frame::unpack``: decode the first frame in ``data`` (extra bytes ignored).

        Returns a ``Frame``/``CloseFrame`` (``fd`` 0), or False: fewer than 2 bytes (silent),
        incomplete frame or invalid control frame (logged), inflate failure (PHP warning).
        A masked compressed frame is unmasked before inflating (deviation W15).
        """
        buf = php_bytes(data)
        if len(buf) < 2:
            return False
        try:
            raw = decode_frame(buf)
        except IncompleteFrame as exc:
            logger.warning(str(exc))
            return False
        msg = invalid_control_message(raw)
        if msg is not None:
            logger.warning(msg)
            return False
        payload = raw.payload
        if raw.rsv1:
            try:
                payload = inflate_message(payload)
            except InflateError as exc:
                php_warning(f"{FRAME}::unpack", str(exc))
                return False
        return construct_frame(raw.opcode, payload, raw.flags)


class CloseFrame(Frame):
    """A CLOSE frame: ``opcode`` 8, ``code`` (default 1000) and ``reason``."""

    def __init__(
        self,
        *,
        fd: int = 0,
        data: Any = b"",
        opcode: int = WEBSOCKET_OPCODE_CLOSE,
        flags: int = SWOOLE_WEBSOCKET_FLAG_FIN,
        finish: bool | None = None,
        code: int = SWOOLE_WEBSOCKET_CLOSE_NORMAL,
        reason: Any = b"",
    ) -> None:
        super().__init__(fd=fd, data=data, opcode=opcode, flags=flags, finish=finish)
        self.code = code
        self.reason = reason


class FrameObject(NamedTuple):
    """Upstream's ``FrameObject``: the values ``pack`` works on (``data`` not yet converted)."""

    opcode: int  # uint8
    flags: int  # & FLAGS_ALL
    data: Any  # None or a value to convert to a PHP string
    code: int  # uint16


def frame_object(data: Any, opcode: Any = WEBSOCKET_OPCODE_TEXT, flags: Any = SWOOLE_WEBSOCKET_FLAG_FIN,
                 code: Any = 0) -> FrameObject:
    """The ``FrameObject`` constructor.

    For a ``Frame`` instance the arguments are ignored: ``opcode`` (missing → TEXT), for
    CLOSE ``code`` (None/missing → 1000) and ``reason`` as payload, else ``data``; ``flags``
    (missing → 0) masked with ``FLAGS_ALL``; a non-None ``finish`` sets or clears FIN.
    Otherwise ``opcode``/``flags``/``code`` are taken as given.  Integers are truncated to the
    upstream field widths (opcode 8 bits – W5, code 16 bits).
    """
    if isinstance(data, Frame):
        frame = data
        raw_opcode = getattr(frame, "opcode", _MISSING)
        op = WEBSOCKET_OPCODE_TEXT if raw_opcode is _MISSING else php_int(raw_opcode)
        close_code = 0
        if op & 0xFF == WEBSOCKET_OPCODE_CLOSE:
            raw_code = getattr(frame, "code", None)
            close_code = SWOOLE_WEBSOCKET_CLOSE_NORMAL if raw_code is None else php_int(raw_code)
            payload = getattr(frame, "reason", None)
        else:
            payload = getattr(frame, "data", None)
        raw_flags = getattr(frame, "flags", _MISSING)
        fl = 0 if raw_flags is _MISSING else php_int(raw_flags) & FLAGS_ALL
        finish = getattr(frame, "finish", None)
        if finish is not None:
            fl = fl | SWOOLE_WEBSOCKET_FLAG_FIN if php_truthy(finish) else fl & ~SWOOLE_WEBSOCKET_FLAG_FIN
        return FrameObject(op & 0xFF, fl & FLAGS_ALL, payload, close_code & 0xFFFF)
    return FrameObject(php_int(opcode) & 0xFF, php_int(flags) & FLAGS_ALL, data, php_int(code) & 0xFFFF)


def pack_frame(
    data: Any,
    opcode: Any = WEBSOCKET_OPCODE_TEXT,
    flags: Any = SWOOLE_WEBSOCKET_FLAG_FIN,
    code: Any = 0,
    *,
    where: str,
    mask_key: bytes | None,
    add_flags: int = 0,
    stacklevel: int = 4,
) -> bytes | None:
    """``FrameObject(data, opcode, flags, code).pack()`` → wire bytes, or None after a PHP
    warning ``"<where>(): <text>"``.

    ``add_flags`` is OR-ed in after the object is read (``push()``: ``FLAG_MASK`` when
    ``websocket_mask`` is on, ``FLAG_COMPRESS`` when deflate was negotiated).  ``mask_key``
    None draws a random key per frame; ``Frame.pack`` passes ``FIXED_MASK_KEY``.
    ``push()`` passes ``code=1000`` (a plain CLOSE push sends 1000, W16).
    ``stacklevel`` is forwarded to :func:`php_warning` (4 = the caller of this function's
    caller, i.e. user code calling ``Frame.pack``/``push``).
    """
    fo = frame_object(data, opcode, flags, code)
    if fo.opcode > OPCODE_MAX:
        # Checked before the payload is converted, as upstream does.
        php_warning(where, f"opcode must be between 0 and {OPCODE_MAX}", stacklevel=stacklevel)
        return None
    payload = b"" if fo.data is None else php_bytes(fo.data)
    try:
        return build_frame(fo.opcode, (fo.flags | add_flags) & FLAGS_ALL, payload, fo.code, mask_key=mask_key)
    except FramePackError as exc:
        php_warning(where, str(exc), stacklevel=stacklevel)
        return None


_CLOSE_CODE = struct.Struct("!H")
_object_new = object.__new__


def construct_frame(opcode: int, payload: bytes, flags: int, fd: int = 0) -> Frame:
    """``WebSocket::construct_frame``: a ``CloseFrame`` for opcode 8 (code/reason parsed from
    the payload when it has ≥ 2 bytes; ``data`` stays empty), else a ``Frame`` with
    ``data=payload``.  ``FLAG_COMPRESS`` is added when ``FLAG_RSV1`` is set; ``finish`` is
    ``bool(flags & FIN)``."""
    frame: Frame
    if opcode == WEBSOCKET_OPCODE_CLOSE:
        frame = CloseFrame()
        if len(payload) >= 2:
            frame.code = _CLOSE_CODE.unpack_from(payload)[0]
            if len(payload) > 2:
                frame.reason = bytes(payload[2:])
    else:
        # What Frame(data=...) does, without the keyword-argument call (once per message):
        # the same attributes in the same order.
        frame = _object_new(Frame)
        frame.fd = 0
        frame.data = payload if type(payload) is bytes else bytes(payload)
    if flags & SWOOLE_WEBSOCKET_FLAG_RSV1:
        flags |= SWOOLE_WEBSOCKET_FLAG_COMPRESS
    frame.opcode = opcode
    frame.flags = flags
    frame.finish = bool(flags & SWOOLE_WEBSOCKET_FLAG_FIN)
    frame.fd = fd
    return frame
