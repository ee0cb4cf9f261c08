"""One HTTP response parsed as Swoole parses it: llhttp 9.3.0 and Swoole's callbacks (sans I/O).

Swoole 6.2 (``ext-src/swoole_http_client_coro.cc``) feeds its read buffer to the llhttp release
it vendors, strict (no lenient flag), through five callbacks: ``on_header_field``,
``on_header_value``, ``on_headers_complete``, ``on_body`` and ``on_message_complete``. Its
receive loop (``Client::recv_response``) first waits until the buffer holds ``\\r\\n\\r\\n``,
then runs the parser over everything buffered, and from then on over each read.
:class:`ResponseParser` is that loop's parsing half, with the same callbacks over the PyPI
``llhttp`` package (a binding of exactly that llhttp release): bytes go in through
:meth:`ResponseParser.feed` and :meth:`ResponseParser.feed_eof`; body pieces come out (transfer
decoded, not content decoded); the head is exposed as Swoole sees it. A failure raises
:class:`ResponseError` with the Swoole ``errCode``; what the callbacks delivered before it stays.

Header values are kept as llhttp delivers them (trailing spaces and tabs kept, leading ones
dropped); a value cut by a parse error keeps the part delivered before the error, as Swoole's
``on_header_value`` adds whatever it was given. The I/O half (reads, timeouts, what a failure
does to the connection) is :meth:`swoole_compat._connection.http11.HTTPConnection.receive_response`.
"""

from __future__ import annotations

import ctypes
from typing import Any

import llhttp

from .handshake import token_list_contains

SW_ERROR_HTTP_INVALID_PROTOCOL = 7102
ECONNRESET = 104
HEAD_MAX_SIZE = 65536
"""Swoole's read buffer (``SW_BUFFER_SIZE_BIG``): a head whose end is not within it is 7102."""
TRAILER_MAX_SIZE = 65536
"""Bytes of chunked trailers (names and values) kept at most (safety deviation S18)."""
WEBSOCKET_HEADER_LEN = 2
"""``SW_WEBSOCKET_HEADER_LEN``: bytes after a 101 head are kept only when more than this arrived."""

_HEAD_END = b"\r\n\r\n"
_IN_PLACE = -2  # _feed_len while feed_body_in_place() parses: on_body keeps nothing


class ResponseError(Exception):
    """The response failed; ``code`` is the Swoole ``errCode`` (7102 malformed, 104 cut short)."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


class _LLHTTPState(ctypes.Structure):
    """The start of pyllhttp's parser object: the Python object header, then ``llhttp_t``
    (``llhttp.h``, ``struct llhttp__internal_s``). Read for ``upgrade``, which Swoole's
    ``on_message_complete`` tests and the binding does not expose."""

    _fields_ = [
        ("ob_refcnt", ctypes.c_ssize_t),
        ("ob_type", ctypes.c_void_p),
        ("_index", ctypes.c_int32),
        ("_span_pos0", ctypes.c_void_p),
        ("_span_cb0", ctypes.c_void_p),
        ("error", ctypes.c_int32),
        ("reason", ctypes.c_void_p),
        ("error_pos", ctypes.c_void_p),
        ("data", ctypes.c_void_p),
        ("_current", ctypes.c_void_p),
        ("content_length", ctypes.c_uint64),
        ("type", ctypes.c_uint8),
        ("method", ctypes.c_uint8),
        ("http_major", ctypes.c_uint8),
        ("http_minor", ctypes.c_uint8),
        ("header_state", ctypes.c_uint8),
        ("lenient_flags", ctypes.c_uint16),
        ("upgrade", ctypes.c_uint8),
        ("finish", ctypes.c_uint8),
        ("flags", ctypes.c_uint16),
        ("status_code", ctypes.c_uint16),
    ]


F_SKIPBODY = 0x40


def _llhttp_upgrade_flag(parser: llhttp.Response) -> int:
    return int(_LLHTTPState.from_address(id(parser)).upgrade)


def _llhttp_skip_body(parser: llhttp.Response) -> None:
    """What an ``on_headers_complete`` returning 1 does (the binding drops return values)."""
    _LLHTTPState.from_address(id(parser)).flags |= F_SKIPBODY


def _upgrade_from_headers(parser: ResponseParser) -> int:
    """``parser->upgrade`` for a response, from the head (llhttp__before_headers_complete):
    a 101 with an ``Upgrade`` header and the ``upgrade`` token in ``Connection``."""
    return int(parser._saw_upgrade_header and parser._connection_upgrade and parser.status_code == 101)


def _probe_layout() -> bool:
    """True when the struct above matches the installed binding (checked once, on a known
    response): ``data`` points back at the Python object, and status and flag read right."""

    class _Probe(llhttp.Response):
        def on_message_complete(self) -> None:
            self.pause()

    try:
        probe = _Probe()
        probe.execute(b"HTTP/1.1 101 X\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
        state = _LLHTTPState.from_address(id(probe))
        if state.data != id(probe) or state.status_code != 101 or state.upgrade != 1:
            return False
        plain = _Probe()
        plain.execute(b"HTTP/1.1 101 X\r\nUpgrade: websocket\r\n\r\n")
        return _LLHTTPState.from_address(id(plain)).upgrade == 0
    except Exception:  # pragma: no cover - another binding layout
        return False


_READ_UPGRADE_FLAG = _probe_layout()


def _istarts(value: bytes, prefix: bytes) -> bool:
    """``SW_STR_ISTARTS_WITH``: an ASCII case-insensitive prefix test (strncasecmp)."""
    return value[: len(prefix)].lower() == prefix


_SPECIAL_NAMES = frozenset(
    ("upgrade", "sec-websocket-extensions", "set-cookie", "content-encoding", "transfer-encoding", "connection", "content-type")
)
"""The names ``http_parser_on_header_value`` looks at (exact, after lower-casing if on)."""


class ResponseParser(llhttp.Response):
    """Parses one response; a fresh parser per response (``swoole_llhttp_parser_init``).

    Public state, filled as parsing goes: ``status_code`` (0 until the head is parsed), ``headers`` (``dict``,
    None while no header was delivered; a repeated name becomes a ``list``), ``set_cookies``
    (raw ``Set-Cookie`` values, in order), ``encoding`` (``gzip``/``deflate``/``br``/``zstd``
    or None: the first matching ``Content-Encoding``... as Swoole's ``compress_method``, set by
    a matching value and left alone by any other), ``connection_close`` (None, or whether the
    last ``Connection`` value starts with ``close``), ``event_stream``, ``websocket`` (a 101
    whose ``upgrade`` header lists ``websocket``), ``ws_extensions``, ``head_done``,
    ``complete`` (``on_message_complete`` ran), ``status_published`` (Swoole updated
    ``statusCode`` and ``body``: False for a 101 that upgrades to something other than
    WebSocket), ``trailing_data`` (WebSocket bytes that came with a 101).
    """

    __slots__ = (
        "_is_head", "_lowercase", "status_code", "headers", "set_cookies", "encoding", "connection_close",
        "event_stream", "chunked", "websocket", "ws_extensions", "head_done", "complete", "status_published",
        "trailing_data", "_head_buf", "_head_scan", "_head_bytes", "body_bytes", "_names", "_values",
        "_in_field", "_pieces", "_feed_data", "_feed_len", "_finishing", "_saw_upgrade_header",
        "_connection_upgrade", "_upgrade", "_trailer_bytes",
    )  # fmt: skip

    def __init__(self, method: str, *, lowercase: bool = True, websocket: bool = False) -> None:
        # Swoole resolves the method with strncasecmp: any ASCII casing of HEAD skips the body.
        self._is_head = method.isascii() and method.upper() == "HEAD"
        self._lowercase = lowercase
        self.status_code = 0
        self.headers: dict[str, Any] | None = None
        self.set_cookies: list[str] = []
        self.encoding: str | None = None
        self.connection_close: bool | None = None
        self.event_stream = False
        self.chunked = False
        # The client's ``websocket`` flag as it stands (set by a 101 earlier on the connection).
        self.websocket = websocket
        self.ws_extensions: list[str] = []
        self.head_done = False
        self.complete = False
        self.status_published = False
        self.trailing_data = b""
        # Receive-loop state (Client::recv_response): the head is buffered until it holds
        # \r\n\r\n; ``body_bytes`` counts what was parsed after that (``total_bytes``).
        self._head_buf: bytearray | None = bytearray()
        self._head_scan = 0
        self._head_bytes = 0
        self.body_bytes = 0
        # Callback state: names and values delivered, not yet in ``headers``; whether the
        # last callback was a name (the next value piece starts its value).
        self._names: list[bytes] = []
        self._values: list[bytes] = []
        self._in_field = False
        self._pieces: list[bytes] = []
        self._feed_data: Any = None
        self._feed_len = -1
        self._finishing = False
        self._saw_upgrade_header = False
        self._connection_upgrade = False
        self._upgrade = False
        self._trailer_bytes = 0

    # -- llhttp callbacks (Swoole's http_parser_on_*) ---------------------------------------
    # Names and values are collected as llhttp delivers them and added to ``headers`` in one
    # pass (_commit_headers) when the head or a trailer section ends, or parsing fails: the
    # same headers, in the same order, as Swoole's per-callback ``add_header``, at a fraction
    # of the calls. A name or value split across reads (a trailer) is joined, not added twice.
    def on_header_field(self, data: memoryview) -> None:
        """``http_parser_on_header_field``: remember the name until its value arrives."""
        if self._in_field:  # the name goes on in this read
            names = self._names
            names[-1] += data.tobytes()
            if len(names[-1]) > TRAILER_MAX_SIZE:
                raise ResponseError(SW_ERROR_HTTP_INVALID_PROTOCOL)  # safety (S18)
        else:
            self._names.append(data.tobytes())
            self._in_field = True

    def on_header_value(self, data: memoryview) -> None:
        """``http_parser_on_header_value``: the value of the last name."""
        if self._in_field:
            self._values.append(data.tobytes())
            self._in_field = False
        else:  # the value goes on in this read
            values = self._values
            values[-1] += data.tobytes()
            if len(values[-1]) > TRAILER_MAX_SIZE:
                raise ResponseError(SW_ERROR_HTTP_INVALID_PROTOCOL)  # safety (S18)

    def on_headers_complete(self) -> int:
        """``http_parser_on_headers_complete``: HEAD responses (and 204) have no body."""
        if self._values:
            self._commit_headers()
        self.status_code = self.status or 0
        self.head_done = True
        if self._is_head or self.status_code == 204:
            if _READ_UPGRADE_FLAG:
                _llhttp_skip_body(self)
            elif self._is_head:  # pragma: no cover - another binding layout
                self.on_message_complete()
        return 0

    def on_body(self, data: memoryview) -> None:
        """``http_parser_on_body``: a body piece (the caller decodes, stores or streams it)."""
        size = data.nbytes
        if size == self._feed_len:
            self._pieces.append(self._feed_data)  # the whole input: no copy
        elif self._feed_len != _IN_PLACE:
            self._pieces.append(data.tobytes())

    def on_message_complete(self) -> None:
        """``http_parser_on_message_complete``: the response ends here; parsing pauses."""
        if self._values:
            self._commit_headers()  # a chunked trailer section
        status = self.status or 0
        if 100 <= status < 200 and status != 101:
            # Deviation Q12: an interim response is skipped, the final one parsed next.
            self._forget_interim_head()
            return
        self.complete = True
        upgrade = _llhttp_upgrade_flag(self) if _READ_UPGRADE_FLAG else _upgrade_from_headers(self)
        self._upgrade = bool(upgrade)
        # parser.upgrade && !websocket: "not support, continue" without statusCode/body.
        self.status_published = not (upgrade and not self.websocket)
        if not self._finishing:
            self.pause()

    # -- header bookkeeping -------------------------------------------------------------------
    def _commit_headers(self) -> None:
        """Swoole's ``add_header`` plus the checks of ``on_header_value``, for every header
        delivered since the last call (a name without a value yet stays pending)."""
        names = self._names
        values = self._values
        count = len(values)
        if len(names) > count:  # a name whose value has not started (cut by an error)
            self._names = names[count:]
            names = names[:count]
        else:
            self._names = []
        self._values = []
        if self.head_done:
            # Chunked trailers arrive with the body, beyond the 64 KiB read buffer that bounds
            # a head: an endless trailer section would grow ``headers`` until the timeout
            # (Swoole adds each piece). Safety deviation S18: trailers share one 64 KiB budget.
            self._trailer_bytes += sum(map(len, names)) + sum(map(len, values))
            if self._trailer_bytes > TRAILER_MAX_SIZE:
                raise ResponseError(SW_ERROR_HTTP_INVALID_PROTOCOL)
        if not values:
            return
        # One decode for all names and one for all values (NUL cannot occur in either: llhttp
        # rejects it), split back apart; names are tokens (ASCII), so str.lower() is C tolower.
        keys = b"\x00".join(names).decode("latin-1")
        if self._lowercase:
            keys = keys.lower()
        key_list = keys.split("\x00")
        value_list = b"\x00".join(values).decode("utf-8", "surrogateescape").split("\x00")
        headers = self.headers
        if headers is None:
            if len(set(key_list)) == len(key_list):
                headers = self.headers = dict(zip(key_list, value_list))
                if not _SPECIAL_NAMES.isdisjoint(key_list) or not _READ_UPGRADE_FLAG:
                    self._specials(key_list, values, value_list)
                return
            headers = self.headers = {}
        for name, value in zip(key_list, value_list):
            prev = headers.get(name)
            if prev is None:
                headers[name] = value
            elif type(prev) is list:
                prev.append(value)
            else:
                headers[name] = [prev, value]
        self._specials(key_list, values, value_list)

    def _specials(self, key_list: list[str], raw_values: list[bytes], value_list: list[str]) -> None:
        special = _SPECIAL_NAMES
        for index, name in enumerate(key_list):
            if not _READ_UPGRADE_FLAG:  # pragma: no cover - another binding layout
                self._note_llhttp_flags(name, value_list[index])
            # Swoole compares the (possibly lower-cased) name with lower-case literals: with
            # lowercase_header off, "Set-Cookie" is not "set-cookie" (Replicate Q8).
            if name in special:
                self._special(name, raw_values[index], value_list[index])

    def _note_llhttp_flags(self, name: str, value: str) -> None:
        """llhttp's own Upgrade/Connection flags (for ``parser->upgrade``), case-insensitive."""
        lname = name.lower()
        if lname == "upgrade":
            self._saw_upgrade_header = True
        elif lname == "connection" and token_list_contains(value, "upgrade"):
            self._connection_upgrade = True

    def _special(self, name: str, raw_value: bytes, value: str) -> None:
        """The ``else if`` chain of ``http_parser_on_header_value`` for one header."""
        if name == "upgrade":
            if self.status == 101 and token_list_contains(value, "websocket"):
                self.websocket = True
        elif name == "sec-websocket-extensions":
            # Only while the websocket flag is set (after the Upgrade line, in a 101).
            if self.websocket:
                self.ws_extensions.append(value)
        elif name == "set-cookie":
            self.set_cookies.append(value)
        elif name == "content-encoding":
            if _istarts(raw_value, b"br"):
                self.encoding = "br"
            elif _istarts(raw_value, b"gzip"):
                self.encoding = "gzip"
            elif _istarts(raw_value, b"deflate"):
                self.encoding = "deflate"
            elif _istarts(raw_value, b"zstd"):
                self.encoding = "zstd"
        elif name == "transfer-encoding":
            if _istarts(raw_value, b"chunked"):
                self.chunked = True
        elif name == "connection":
            self.connection_close = _istarts(raw_value, b"close")
        elif name == "content-type":
            self.event_stream = _istarts(raw_value, b"text/event-stream")

    def _forget_interim_head(self) -> None:
        self.headers = None
        self.set_cookies = []
        self.encoding = None
        self.connection_close = None
        self.event_stream = False
        self.chunked = False
        self.ws_extensions = []
        self.head_done = False
        self.status_code = 0
        self._saw_upgrade_header = self._connection_upgrade = False

    # -- feeding (the parsing half of Client::recv_response) -------------------------------------
    def feed(self, data: bytes) -> list[bytes]:
        """Parse ``data`` (one read); return the body pieces it completed.

        Until the buffered bytes hold ``\\r\\n\\r\\n`` nothing is parsed; a head whose end is
        not within the first :data:`HEAD_MAX_SIZE` bytes raises 7102. Bytes after the end of
        the response are not parsed (those of a WebSocket 101 go to ``trailing_data``).
        Raises :class:`ResponseError`.
        """
        buf = self._head_buf
        if buf is not None:
            if not buf and data.find(_HEAD_END, 0, HEAD_MAX_SIZE) >= 0:
                self._head_buf = None  # the whole head in the first read: parse it as it is
                return self._execute(data)
            buf += data
            end = buf.find(_HEAD_END, self._head_scan, HEAD_MAX_SIZE)
            if end < 0:
                if len(buf) >= HEAD_MAX_SIZE:
                    raise ResponseError(SW_ERROR_HTTP_INVALID_PROTOCOL)  # "Http header too large"
                self._head_scan = max(0, len(buf) - 3)
                return []
            self._head_buf = None
            data = bytes(buf)
        return self._execute(data)

    def _execute(self, data: Any) -> list[bytes]:
        self.body_bytes += len(data)
        self._feed_data = data
        self._feed_len = len(data)
        pieces = self._pieces
        try:
            parsed = self.execute(data)
        except llhttp.Error:
            self._fail_keep_partial()
            raise ResponseError(SW_ERROR_HTTP_INVALID_PROTOCOL) from None
        except ResponseError:
            self._names, self._values = [], []  # a safety limit: the oversized header is not kept
            raise
        finally:
            self._feed_data = None
            self._feed_len = -1
        self._pieces = []
        if not self.head_done:
            # Interim heads skipped (Q12) and the final head share the 64 KiB (S13).
            self._head_bytes += len(data)
            if self._head_bytes > HEAD_MAX_SIZE:
                raise ResponseError(SW_ERROR_HTTP_INVALID_PROTOCOL)
        if self.complete:
            if self._upgrade and self.websocket and len(data) > parsed + WEBSOCKET_HEADER_LEN:
                self.trailing_data = bytes(data[parsed:])
            return pieces
        if self.event_stream and self.head_done and self.message_needs_eof:
            # Replicate Q20: text/event-stream without framing completes after this read.
            pieces += self._finish()
        return pieces

    def _fail_keep_partial(self) -> None:
        """A parse error: a header whose value was (partly) delivered is kept, as Swoole's
        ``on_header_value`` had already added it."""
        if self._values:
            self._commit_headers()

    def _finish(self) -> list[bytes]:
        """``llhttp_finish``; its result is ignored, as Swoole ignores it."""
        self._finishing = True
        try:
            self.finish()
        except llhttp.Error:
            pass
        except SystemError:  # pragma: no cover - a callback paused during finish
            pass
        pieces, self._pieces = self._pieces, []
        return pieces

    def feed_eof(self) -> list[bytes]:
        """The peer closed. Swoole: with bytes parsed after the head and a message that does
        not keep the connection alive (``llhttp_should_keep_alive``), finish the parser and
        succeed — complete or not (a body cut short is ``truncated``); otherwise 104."""
        if self.body_bytes > 0 and not self.should_keep_alive:
            return self._finish()
        raise ResponseError(ECONNRESET)

    @property
    def truncated(self) -> bool:
        """Ended by EOF without ``on_message_complete``: Swoole returns true with ``statusCode``
        and ``body`` left as the request reset them (0 and empty)."""
        return not self.complete

    # -- large bodies received in place --------------------------------------------------------
    def body_due(self) -> int:
        """Bytes still due of a Content-Length body being received (0 otherwise)."""
        if not self.head_done or self.complete or self.chunked:
            return 0
        return self.content_length or 0

    def feed_body_in_place(self, body: bytes, start: int) -> None:
        """``body[start:]`` was received straight into ``body`` (whose first ``start`` bytes are
        the pieces returned before): parse it and keep ``body`` as the one body piece."""
        view = memoryview(body)[start:]
        self._feed_data = None
        self._feed_len = _IN_PLACE
        try:
            self.execute(view)
        except llhttp.Error:
            raise ResponseError(SW_ERROR_HTTP_INVALID_PROTOCOL) from None
        finally:
            view.release()
            self._feed_len = -1
        self.body_bytes += len(body) - start
        self._pieces = []
