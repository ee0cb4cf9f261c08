"""Hypothesis strategies for hostile input: HTTP responses and WebSocket frame streams.

Used by ``tests/unit/test_fuzz.py`` (a short run inside the suite) and ``tools/fuzz.py`` (a long
run). Like the rest of :mod:`support`, nothing here imports ``swoole_compat``: the inputs are
built from the protocol texts, not from the client's code.

Every strategy draws a *structured* input (a plausible response or frame sequence with
adversarial values: lying lengths, broken chunk sizes, corrupt or bomb-like compressed bodies,
oversize declared frames...) and then optionally *mutates* the bytes (flips, cuts, insertions,
duplications), so both the deep paths and the parser's edges get exercised. :func:`cuts` draws
the read boundaries the bytes arrive with.
"""

from __future__ import annotations

import gzip
import struct
import zlib
from typing import Any

import brotli
from hypothesis import strategies as st

__all__ = [
    "BOMB_SIZE",
    "cut",
    "cuts",
    "frame_stream",
    "mutated",
    "response_bytes",
    "set_cookie_values",
    "ws_frame",
]

BOMB_SIZE = 4 << 20
"""Decoded size of the precomputed bombs (4 MiB of zeros in a few KiB)."""

_ZEROS = bytes(BOMB_SIZE)
_BOMBS = {
    "gzip": gzip.compress(_ZEROS, 9, mtime=0),
    "deflate": zlib.compress(_ZEROS, 9),
    "br": brotli.compress(_ZEROS),
}
_ENCODINGS = [b"gzip", b"deflate", b"br", b"zstd", b"GZIP", b"gzip, br", b"identity", b"x-unknown"]

# --------------------------------------------------------------------------- byte mutations


@st.composite
def mutated(draw: st.DrawFn, data: bytes, max_ops: int = 4) -> bytes:
    """``data`` after up to ``max_ops`` random edits (flip, delete, insert, duplicate, cut)."""
    buf = bytearray(data)
    for _ in range(draw(st.integers(0, max_ops))):
        op = draw(st.sampled_from(["flip", "delete", "insert", "duplicate", "truncate", "byte"]))
        pos = draw(st.integers(0, len(buf))) if buf else 0
        if op == "flip" and pos < len(buf):
            buf[pos] ^= 1 << draw(st.integers(0, 7))
        elif op == "byte" and pos < len(buf):
            buf[pos] = draw(st.sampled_from([0, 10, 13, 32, 48, 58, 59, 127, 255]))
        elif op == "delete":
            del buf[pos : pos + draw(st.integers(1, 16))]
        elif op == "insert":
            buf[pos:pos] = draw(st.sampled_from([b"\r\n", b"\n", b"\r\n\r\n", b"0\r\n\r\n", b":", b"\x00"]) | st.binary(max_size=12))
        elif op == "duplicate" and pos < len(buf):
            buf[pos:pos] = buf[pos : pos + draw(st.integers(1, 64))]
        elif op == "truncate":
            del buf[pos:]
    return bytes(buf)


def cuts(max_cuts: int = 12) -> st.SearchStrategy[list[int]]:
    """Sizes of successive reads (the rest of the bytes arrives in one last read)."""
    return st.lists(st.integers(1, 300) | st.integers(1, 70000), max_size=max_cuts)


def cut(data: bytes, sizes: list[int]) -> list[bytes]:
    """``data`` split into reads of ``sizes`` bytes (and one read with the rest, if any)."""
    out = []
    pos = 0
    for size in sizes:
        if pos >= len(data):
            break
        out.append(data[pos : pos + size])
        pos += size
    if pos < len(data):
        out.append(data[pos:])
    return out


# --------------------------------------------------------------------------- HTTP responses

_SEP = st.sampled_from([b"\r\n"] * 6 + [b"\n"])
_TOKEN = st.from_regex(rb"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,16}", fullmatch=True)
_PRINTABLE = st.from_regex(rb"[ -~]{0,40}", fullmatch=True)


def _status_line() -> st.SearchStrategy[bytes]:
    version = st.sampled_from([b"HTTP/1.1"] * 6 + [b"HTTP/1.0", b"HTTP/2.0", b"HTTP/0.9", b"http/1.1", b"HTTP/1.1 ", b"HTTP/11", b"ICY"])
    code = st.sampled_from([b"200"] * 6 + [b"204", b"304", b"101", b"100", b"103", b"404", b"502", b"999", b"000", b"20", b"2000", b"abc"])
    reason = st.sampled_from([b" OK", b"", b" ", b" Weird \xff reason", b" \x00", b" " + b"r" * 300])
    structured = st.builds(lambda v, c, r: v + b" " + c + r, version, code, reason)
    return st.sampled_from([b"HTTP/1.1 200 OK"] * 3 + [b"HTTP/1.0 200 OK"]) | structured | st.binary(max_size=24)


@st.composite
def _header_value(draw: st.DrawFn, name: bytes, body_len: int) -> bytes:
    lname = name.lower()
    if lname == b"content-length":
        n = draw(st.sampled_from([body_len] * 4 + [body_len + 1, max(body_len - 1, 0), 0, 1 << 40]))
        return draw(st.sampled_from([b"%d" % n] * 4 + [b" %d " % n, b"%d, %d" % (n, n), b"-1", b"0x10", b"", b"1" * 40]))
    if lname == b"transfer-encoding":
        return draw(st.sampled_from([b"chunked"] * 3 + [b"Chunked", b"gzip, chunked", b"chunked, gzip", b"identity", b""]))
    if lname == b"content-encoding":
        return draw(st.sampled_from(_ENCODINGS))
    if lname == b"connection":
        return draw(st.sampled_from([b"close", b"keep-alive", b"Upgrade", b"close, upgrade", b"Keep-Alive, TE"]))
    if lname == b"upgrade":
        return draw(st.sampled_from([b"websocket", b"h2c", b"WebSocket, h2c"]))
    if lname == b"content-type":
        return draw(st.sampled_from([b"text/html", b"text/event-stream", b"application/json"]))
    if lname == b"set-cookie":
        return draw(set_cookie_values()).encode("utf-8", "surrogateescape")
    return draw(st.one_of(_PRINTABLE, _PRINTABLE, _PRINTABLE, st.binary(max_size=40)))


_KNOWN_NAMES = [
    b"Content-Length", b"Transfer-Encoding", b"Content-Encoding", b"Connection", b"Set-Cookie",
    b"Upgrade", b"Content-Type", b"Sec-WebSocket-Extensions", b"set-cookie", b"CONTENT-LENGTH",
]


def _encode_body(payload: bytes, encoding: bytes | None, how: str) -> bytes:
    enc = (encoding or b"").split(b",")[0].strip().lower().decode("latin-1")
    if how == "bomb" and enc in _BOMBS:
        return _BOMBS[enc]
    if how == "raw" or enc not in ("gzip", "deflate", "br"):
        return payload
    if enc == "gzip":
        data = gzip.compress(payload, 6, mtime=0)
    elif enc == "deflate":
        data = zlib.compress(payload) if how != "raw-deflate" else zlib.compress(payload)[2:-4]
    else:
        data = brotli.compress(payload)
    if how == "truncated":
        return data[: len(data) // 2]
    if how == "trailing":
        return data + b"junk after the stream"
    return data


@st.composite
def _chunked(draw: st.DrawFn, body: bytes, sep: bytes, clean: bool = False) -> bytes:
    out = []
    pos = 0
    while pos < len(body):
        size = draw(st.integers(1, max(1, len(body) - pos)) | st.just(max(1, len(body) - pos)))
        piece = body[pos : pos + size]
        pos += size
        shown = b"%x" % size if clean else draw(st.sampled_from([b"%x" % size] * 4 + [b"%X" % size, b"%08x" % size, b"%x;ext=1" % size, b"%x " % size, b"%x" % (size + 1), b"g", b"f" * 20, b"-1"]))
        out.append(shown + sep + piece + sep)
    last = draw(st.sampled_from([b"0" + sep + sep] * 4 + [b"0" + sep + b"X-Trailer: 1" + sep + b"Set-Cookie: t=1" + sep + sep, b"0" + sep, b"", b"00;x" + sep + sep]))
    return b"".join(out) + last


@st.composite
def response_bytes(draw: st.DrawFn, mutate: bool = True) -> bytes:
    """One (possibly hostile) HTTP/1.x response, sometimes followed by extra bytes."""
    sep = draw(_SEP)
    raw_payload = draw(st.binary(max_size=600) | st.builds(lambda n, b: b * n, st.integers(0, 5000), st.sampled_from([b"a", b"\x00", b"ab"])))
    framing = draw(st.sampled_from(["length", "length", "chunked", "chunked", "close", "none"]))
    encoding = draw(st.none() | st.sampled_from([b"gzip", b"deflate", b"br"]) | st.sampled_from(_ENCODINGS))
    how = draw(st.sampled_from(["ok", "ok", "ok", "bomb", "bomb", "raw", "truncated", "trailing", "raw-deflate"]))
    body = _encode_body(raw_payload, encoding, how)

    # Half the responses are well-formed apart from their body, so the deep paths (decoders,
    # limits, cookies) are reached; the others are hostile from the first byte.
    clean = draw(st.booleans())
    lines = [draw(st.sampled_from([b"HTTP/1.1 200 OK", b"HTTP/1.0 200 OK", b"HTTP/1.1 404 Not Found"]) if clean else _status_line())]
    names: list[bytes] = []
    if encoding is not None:
        names.append(b"Content-Encoding")
    if framing == "length":
        names.append(b"Content-Length")
    elif framing == "chunked":
        names.append(b"Transfer-Encoding")
    extra = _TOKEN if clean else st.one_of(_TOKEN, _TOKEN, _TOKEN, st.sampled_from(_KNOWN_NAMES), st.binary(min_size=1, max_size=12))
    names += draw(st.lists(extra, max_size=6))
    names = draw(st.permutations(names))
    for name in names:
        if name.lower() == b"content-encoding" and encoding is not None:
            value = encoding
        elif name.lower() == b"transfer-encoding" and framing == "chunked":
            value = b"chunked"
        elif clean and name.lower() == b"content-length":
            value = b"%d" % len(body)
        elif clean:
            value = draw(_PRINTABLE)
        else:
            value = draw(_header_value(name, len(body)))
        colon = b": " if clean else draw(st.sampled_from([b": "] * 8 + [b":", b" : ", b":\t"]))
        lines.append(name + colon + value)
    head = sep.join(lines) + sep + sep
    if framing == "chunked":
        body = draw(_chunked(body, sep, clean))
    data = head + body
    if draw(st.integers(0, 5)) == 0:
        data += draw(st.sampled_from([b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nbad", b"\x00" * 64]) | st.binary(max_size=64))
    if mutate and draw(st.booleans()):
        data = draw(mutated(data))
    return data


def set_cookie_values() -> st.SearchStrategy[str]:
    """Raw ``Set-Cookie`` values: structured ones and arbitrary text (never CR/LF)."""
    structured = st.builds(
        lambda k, v, attrs: f"{k}={v}{attrs}",
        st.text(max_size=12).filter(lambda s: "\r" not in s and "\n" not in s),
        st.text(max_size=30).filter(lambda s: "\r" not in s and "\n" not in s),
        st.sampled_from(["", "; Path=/", "; HttpOnly; Secure", ";", "; Max-Age=-1", "=%", "%zz"]),
    )
    plain = st.text(max_size=40).filter(lambda s: "\r" not in s and "\n" not in s)
    return structured | plain | st.sampled_from(["", "=", "==", ";", "%", "%2", "%0A", "a=%ff%fe", "a=b=c"])


# --------------------------------------------------------------------------- WebSocket frames

HUGE_LENGTHS = [1 << 63, (1 << 64) - 1, (1 << 63) - 1, (1 << 63) - 9, 1 << 62, 1 << 32, (2 << 20) + 1, 0xFFFF]


@st.composite
def ws_frame(draw: st.DrawFn) -> bytes:
    """One frame: any opcode, FIN/RSV bits, mask, payload and a (possibly lying) length field."""
    opcode = draw(st.sampled_from([0, 1, 2, 8, 9, 10]) | st.integers(0, 15))
    fin = draw(st.booleans() | st.just(True))
    rsv = draw(st.integers(0, 7))
    masked = draw(st.booleans())
    kind = draw(st.sampled_from(["binary", "binary", "deflated", "close", "big"]))
    if kind == "deflated":
        comp = zlib.compressobj(6, zlib.DEFLATED, -15)
        payload = comp.compress(draw(st.binary(max_size=200)) + bytes(draw(st.integers(0, 5000)))) + comp.flush(zlib.Z_SYNC_FLUSH)
        payload = payload[:-4] if draw(st.booleans()) else payload
        rsv |= 4
    elif kind == "close":
        payload = struct.pack("!H", draw(st.integers(0, 0xFFFF))) + draw(st.binary(max_size=130))
    elif kind == "big":
        payload = bytes(draw(st.integers(126, 70000)))
    else:
        payload = draw(st.binary(max_size=300))
    b0 = (0x80 if fin else 0) | (rsv << 4) | opcode
    length_mode = draw(st.sampled_from(["minimal"] * 6 + ["16", "64", "short", "long", "huge"]))
    n = len(payload)
    if length_mode == "short":
        n = max(0, n - draw(st.integers(1, 10)))
    elif length_mode == "long":
        n += draw(st.integers(1, 10))
    elif length_mode == "huge":
        n = draw(st.sampled_from(HUGE_LENGTHS))
    mbit = 0x80 if masked else 0
    if length_mode == "16" and n <= 0xFFFF:
        head = bytes((b0, mbit | 126)) + struct.pack("!H", n)
    elif length_mode in ("64", "huge") or n > 0xFFFF:
        head = bytes((b0, mbit | 127)) + struct.pack("!Q", n)
    elif n < 126:
        head = bytes((b0, mbit | n))
    else:
        head = bytes((b0, mbit | 126)) + struct.pack("!H", n)
    if masked:
        key = draw(st.binary(min_size=4, max_size=4))
        payload = bytes(b ^ key[i % 4] for i, b in enumerate(payload)) if len(payload) <= 400 else payload
        head += key
    return head + payload


@st.composite
def frame_stream(draw: st.DrawFn, mutate: bool = True) -> bytes:
    """A sequence of frames (fragmented messages, interleaved control frames, garbage)."""
    parts: list[Any] = draw(st.lists(ws_frame() | st.binary(max_size=16), max_size=8))
    data = b"".join(parts)
    if mutate and draw(st.booleans()):
        data = draw(mutated(data))
    return data
