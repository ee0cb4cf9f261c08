"""Response assembly over h11 (client.md §7), sans I/O.

A fresh :class:`ResponseReader` per response: bytes go in through :meth:`ResponseReader.feed`
and :meth:`ResponseReader.feed_eof`, body pieces (transfer-decoded, not content-decoded) come
out, and the head is exposed as Swoole sees it. Failures raise :class:`ResponseError` with the
Swoole ``errCode`` (7102 malformed, 104 cut short); headers parsed before the failure stay.
"""

from __future__ import annotations

import re
from typing import Any

import h11

SW_ERROR_HTTP_INVALID_PROTOCOL = 7102
ECONNRESET = 104
HEAD_MAX_SIZE = 65536

_TOKEN = re.compile(rb"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
# A chunk-size line the chunked fast path handles itself: hex digits and CRLF, nothing else.
# It is a strict subset of h11's chunk-header grammar (``chunk-size [chunk-ext] OWS CRLF``,
# chunk-size being 1 to 20 hex digits), so both read the same size from it; any other line
# (extensions, whitespace, the last chunk, garbage) is left to h11.
_CHUNK_LINE = re.compile(rb"([0-9A-Fa-f]{1,20})\r\n")
_CHUNK_LINE_PREFIX = re.compile(rb"[0-9A-Fa-f]{0,20}\r?")
_CHUNK_LINE_MAX = 22
_STATUS_LINE = re.compile(rb"^HTTP/(\d)\.(\d) (\d{3})(?: .*)?$")
_BLANK_LINE = re.compile(rb"\n\r?\n")  # how h11 finds the end of a head


def _head_lines(buf: bytes) -> list[bytes] | None:
    """The lines of the head at the start of ``buf``, cut where h11 cuts it (None while the
    head is incomplete): the raw checks must see the head h11 parsed, whatever the line ends
    and however the bytes were split into reads."""
    end = _BLANK_LINE.search(buf)
    if end is None:
        return None
    # As h11 does: split at LF, then drop one CR ending a line.
    return [line[:-1] if line.endswith(b"\r") else line for line in buf[: end.start()].split(b"\n")]


def _fake_request(method: bytes, upgrade: bool) -> h11.Request:
    headers = [(b"Host", b"x")]
    if upgrade:
        headers += [(b"Connection", b"Upgrade"), (b"Upgrade", b"websocket")]
    return h11.Request(method=method, target=b"/", headers=headers)


# h11 events are immutable: build the pretend requests once (validating a Request costs more
# than the rest of a small response's parsing). Keyed by (is_head, upgrade_offer).
_FAKE_REQUESTS = {(h, u): _fake_request(b"HEAD" if h else b"GET", u) for h in (False, True) for u in (False, True)}
_END_OF_REQUEST = h11.EndOfMessage()


_SPECIAL_NAMES = frozenset(
    (
        "set-cookie",
        "content-encoding",
        "connection",
        "upgrade",
        "sec-websocket-extensions",
        "content-type",
        "transfer-encoding",
        "content-length",
    )
)


def _new_connection(is_head: bool, upgrade_offer: bool) -> h11.Connection:
    conn = h11.Connection(h11.CLIENT, max_incomplete_event_size=HEAD_MAX_SIZE)
    # h11 must believe a request was sent; only HEAD changes how the response is framed.
    conn.send(_FAKE_REQUESTS[is_head, upgrade_offer])
    conn.send(_END_OF_REQUEST)
    return conn


class _ParsedHead:
    """What parsing one final head produced (see ``_HEAD_MEMO``); never handed out as is."""

    __slots__ = ("headers", "has_lists", "set_cookies", "scalars", "date_key")
    headers: dict[str, Any] | None
    has_lists: bool  # some header has several values (a list to copy)
    set_cookies: tuple[str, ...]
    date_key: str | None  # the header a Date value goes to, when kept under the dated key
    # (status, encoding, connection_close, event_stream, keep_alive_response, has_length,
    # chunked, _length_value, _body_left) of the reader, in that order.
    scalars: tuple[Any, ...]


_HEAD_MEMO: dict[tuple[Any, ...], _ParsedHead] = {}
"""Parsed heads by (exact head bytes, lowercase_header, HEAD request, upgrade offered), and
also by the head without its Date value (see :func:`_dated_key`).

Parsing a head is a pure function of those: a head byte-identical to one parsed before (a
server answering the same resource again; only ``Date`` changes, once a second) is not parsed
again. Only final heads that arrived whole in one read, with a Content-Length, chunked or no
body, are kept; h11 parses every other head, and a memoized one again when the body needs h11
(see :meth:`ResponseReader._h11`). Bounded: cleared when full (plain dict operations only,
safe with event loops in several threads)."""
_HEAD_MEMO_MAX = 64
_HEAD_MEMO_MAX_HEAD = 8192

_DATE_LINE = b"\r\nDate: "
_DATE_VALUE = re.compile(rb"[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?")
"""A ``Date`` value that h11 keeps exactly as it stands: visible ASCII, inner spaces only (a
strict subset of h11's field-value, which also allows tabs, obs-text and surrounding OWS)."""


def _dated_key(key: tuple[bytes, bool, bool, bool]) -> tuple[tuple[Any, ...], bytes] | None:
    """The memo key ``key`` (head, options) with the head's ``Date`` value left out, and that value.

    Servers repeat a response head byte for byte except for ``Date``, which changes once a
    second. Heads equal but for the value of their first ``Date: `` line parse to the same
    results but for that header's value, provided h11 takes the value as it stands (see
    _DATE_VALUE); the memo keeps them under this key. None when the head has no such line.
    """
    head = key[0]
    start = head.find(_DATE_LINE)
    if start < 0:
        return None
    start += len(_DATE_LINE)
    end = head.find(b"\r\n", start)
    value = head[start:end]
    if _DATE_VALUE.fullmatch(value) is None or head[end + 2 : end + 3] in (b" ", b"\t"):
        return None  # not kept verbatim, or continued on the next line (obs-fold)
    return (head[:start], head[end:], key[1], key[2], key[3]), value


class ResponseError(Exception):
    """The response failed; ``code`` is the Swoole ``errCode``."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape")


class ResponseReader:
    """Parses one response. Attributes are filled as parsing progresses:

    ``status`` (int, 0 until the head is parsed), ``headers`` (``dict`` or None while no header
    line was seen), ``set_cookies`` (raw ``Set-Cookie`` values in order), ``encoding``
    (``"gzip"``/``"deflate"``/``"br"``/``"zstd"``/None), ``connection_close`` (None when no
    ``Connection`` header, else whether it starts with ``close``), ``websocket`` (a 101 with a
    ``websocket`` upgrade token), ``ws_extensions`` (``Sec-WebSocket-Extensions`` values),
    ``complete`` and ``head_done``.
    """

    __slots__ = (
        "_conn", "_lowercase", "_head_buf", "_upgrade_offer", "status", "headers", "set_cookies",
        "encoding", "connection_close", "websocket", "ws_extensions", "event_stream", "keep_alive_response",
        "complete", "head_done", "truncated_success", "trailing_data", "chunked", "has_length", "_no_body",
        "_body_left", "_bypass", "_head_skip", "_head_fed", "_length_value", "_chunk_mode", "_chunk_left",
        "_chunk_tail", "_chunk_line", "_memo_key", "_memo_dated", "_memo_head",
    )

    #: Body fast paths and the head memo; False gives the plain h11 pipeline (every byte
    #: through h11), against which tests check that the fast paths change nothing.
    fast_paths = True

    def __init__(self, method: str, *, lowercase: bool = True, upgrade_offer: bool = False) -> None:
        # Upstream resolves the method with http_server::get_method (strncasecmp), so any
        # ASCII casing of "head" counts as HEAD for framing.
        is_head = method.isascii() and method.upper() == "HEAD"
        # The h11 connection is made when first needed (see _h11): a memoized head needs none.
        self._conn: h11.Connection | None = None
        self._lowercase = lowercase
        self._head_buf: bytearray | None = bytearray()
        self._upgrade_offer = bool(upgrade_offer)
        self.status = 0
        self.headers: dict[str, Any] | None = None
        self.set_cookies: list[str] = []
        self.encoding: str | None = None
        self.connection_close: bool | None = None
        self.websocket = False
        self.ws_extensions: list[str] = []
        self.event_stream = False
        self.keep_alive_response = True
        self.complete = False
        self.head_done = False
        self.truncated_success = False
        self.trailing_data = b""
        self.chunked = False
        self.has_length = False
        self._no_body = is_head
        self._body_left: int | None = None  # bytes still due of a Content-Length body
        self._bypass = False  # the rest of a Content-Length body is counted in feed(), not by h11
        self._head_skip = 0  # bytes of _head_buf taken by skipped interim (1xx) heads
        self._head_fed = 0  # bytes of _head_buf given to h11 (heads only, see _feed_head)
        self._length_value: bytes | None = None  # the Content-Length value h11 kept
        # Chunked fast path (see _feed_chunked): active, data left in the current chunk, the
        # CRLF still due after a chunk's data, a chunk-size line cut by the end of a read.
        self._chunk_mode = False
        self._chunk_left = 0
        self._chunk_tail = b""
        self._chunk_line = b""
        self._memo_key: tuple[bytes, bool, bool, bool] | None = None  # a head to memoize once parsed
        self._memo_dated: tuple[Any, ...] | None = None  # its key without the Date value, if any
        self._memo_head: bytes | None = None  # the memoized head used (h11 replays it if needed)

    def _h11(self) -> h11.Connection:
        """The h11 connection, made on first use. After a memoized head, h11 parses that head
        again first (the same bytes give the same event), so it is in the state it would be in
        had it parsed the head itself."""
        conn = self._conn
        if conn is None:
            conn = self._conn = _new_connection(self._no_body, self._upgrade_offer)
            if self._memo_head is not None:
                conn.receive_data(self._memo_head)
                conn.next_event()
        return conn

    # -- header bookkeeping (client.md §7.4) ----------------------------------------------------
    def _add_header(self, raw_name: bytes, raw_value: bytes) -> None:
        name = _text(raw_name.lower() if self._lowercase else raw_name)
        value = _text(raw_value)
        headers = self.headers
        if headers is None:
            headers = self.headers = {}
        if name in headers:
            prev = headers[name]
            if isinstance(prev, list):
                prev.append(value)
            else:
                headers[name] = [prev, value]
        else:
            headers[name] = value
        if name in _SPECIAL_NAMES:
            self._special(name, value)

    def _special(self, name: str, value: str) -> None:
        # Special names compare case-sensitively with the lower-case spelling (Replicate Q8).
        if name == "set-cookie":
            self.set_cookies.append(value)
        elif name == "content-encoding":
            lowered = value.lower()
            if lowered.startswith("br"):
                self.encoding = "br"
            elif lowered.startswith("gzip"):
                self.encoding = "gzip"
            elif lowered.startswith("deflate"):
                self.encoding = "deflate"
            elif lowered.startswith("zstd"):
                self.encoding = "zstd"
            else:
                self.encoding = None
        elif name == "connection":
            self.connection_close = value.lower().startswith("close")
        elif name == "upgrade":
            if self.status == 101 and any(t.strip().lower() == "websocket" for t in value.split(",")):
                self.websocket = True
        elif name == "sec-websocket-extensions":
            self.ws_extensions.append(value)
        elif name == "content-type":
            self.event_stream = value.startswith("text/event-stream")
        elif name == "transfer-encoding":
            self.chunked = value.lower().startswith("chunked")
        elif name == "content-length":
            self.has_length = True

    def _prescan_head(self) -> None:
        """Fill ``headers`` with the valid lines before the first bad one (client.md §7.2)."""
        lines = _head_lines(bytes(self._head_buf or b"")[self._head_skip :])
        if lines is None:
            return  # no complete head: nothing of it is parsed (headers stay None)
        match = _STATUS_LINE.match(lines[0])
        if not match:
            return
        seen_length = seen_chunked = False
        for line in lines[1:]:
            name, sep, value = line.partition(b":")
            if not sep or not _TOKEN.match(name):
                return
            lname = name.lower()
            value = value.strip(b" \t")
            if lname == b"content-length":
                # llhttp (strict, as Swoole uses it) stops at a second Content-Length or a
                # non-digit value ("2, 2"); h11 silently merges equal ones.
                if seen_chunked or seen_length or not value.isdigit():
                    return
                seen_length = True
            elif lname == b"transfer-encoding":
                if seen_length:  # llhttp rejects any Transfer-Encoding after Content-Length
                    return
                seen_chunked = seen_chunked or value.lower().startswith(b"chunked")
            self._add_header(name, value)

    def _length_anomaly(self, kept: bytes | None = None) -> bool:
        """True if the raw head repeats ``Content-Length`` or gives a non-digit value.

        ``kept`` is the value h11 kept (digits): when the head names ``content-length`` once
        and that is followed by exactly ``: <kept>`` CRLF, no line can be anomalous and the
        line-by-line scan is skipped.
        """
        head_buf = self._head_buf
        if head_buf is not None and kept is not None:
            blank = _BLANK_LINE.search(head_buf, self._head_skip)
            if blank is None:
                return False
            low = head_buf[self._head_skip : blank.start() + 1].lower()  # up to the last line's LF
            count = low.count(b"content-length")
            if count == 0 or (count == 1 and b"content-length: " + kept + b"\r\n" in low):
                return False
        lines = _head_lines(bytes(head_buf or b"")[self._head_skip :])
        count = 0
        for line in lines[1:] if lines is not None else ():
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                count += 1
                if count > 1 or not value.strip(b" \t").isdigit():
                    return True
        return False

    def _fail(self, code: int) -> ResponseError:
        if not self.head_done and self.headers is None:
            self._prescan_head()
        return ResponseError(code)

    # -- feeding ----------------------------------------------------------------------------------
    def feed(self, data: bytes) -> list[bytes]:
        """Consume ``data``; return the body pieces it completed. Raises :class:`ResponseError`."""
        if self._bypass:
            return self._feed_body(data)
        if self._chunk_mode:
            return self._feed_chunked(data)
        if self._head_buf is not None:
            self._head_buf += data
            # Upstream reads the head into a 65536-byte buffer: the block must end inside its
            # first 65536 bytes, however the bytes were split into reads (client.md §7.2).
            # Skipped interim heads count too, so endless 1xx responses end with 7102.
            if (
                len(self._head_buf) >= HEAD_MAX_SIZE
                and _BLANK_LINE.search(self._head_buf, self._head_skip, HEAD_MAX_SIZE) is None
            ):
                raise ResponseError(SW_ERROR_HTTP_INVALID_PROTOCOL)
            return self._feed_head() if self.fast_paths else self._feed_all()
        self._h11().receive_data(data)
        return self._drain()

    def _feed_all(self) -> list[bytes]:
        """The plain pipeline (``fast_paths`` off): every received byte goes through h11."""
        assert self._head_buf is not None
        self._h11().receive_data(bytes(memoryview(self._head_buf)[self._head_fed :]))
        self._head_fed = len(self._head_buf)
        return self._drain()

    def _feed_head(self) -> list[bytes]:
        """Give h11 the received bytes up to the end of the next head only.

        The end is found as h11 finds it (the first ``\\n\\r?\\n`` after the bytes it already
        consumed) and h11 never looks past it to parse a head, so it parses exactly what it
        would parse with all the bytes; its buffer is empty afterwards, so the body starts in
        our hands: Content-Length and chunked bodies then skip h11's receive buffer (see
        :meth:`_drain`). Interim (1xx) heads are stepped over one at a time.
        """
        pieces: list[bytes] = []
        while True:
            buf = self._head_buf
            assert buf is not None
            fed = self._head_fed
            # Bytes before fed - 2 were searched already (a match is at most 3 bytes long).
            match = _BLANK_LINE.search(buf, max(self._head_skip, fed - 2))
            end = match.end() if match is not None else len(buf)
            if match is not None and fed == 0 and end <= _HEAD_MEMO_MAX_HEAD and buf.find(b"\r\n\r\n") + 4 == end:
                # A whole head in the first read (no interim head before it), ending with
                # CRLF CRLF where h11 ends it: memoizable (see _HEAD_MEMO).
                key = (bytes(memoryview(buf)[:end]), self._lowercase, self._no_body, self._upgrade_offer)
                memo = _HEAD_MEMO.get(key)
                if memo is not None:
                    return self._apply_memo(memo, key[0])
                dated = _dated_key(key)
                if dated is not None:
                    memo = _HEAD_MEMO.get(dated[0])
                    if memo is not None:
                        return self._apply_memo(memo, key[0], dated[1])
                    self._memo_dated = dated[0]
                self._memo_key = key
            if end > fed:
                self._h11().receive_data(bytes(memoryview(buf)[fed:end]))
                self._head_fed = end
            pieces += self._drain()
            if self._head_buf is None or self.complete or self._head_fed >= len(self._head_buf):
                return pieces

    def body_bytes_due(self) -> int:
        """Bytes of a Content-Length body still to come that the caller may receive itself
        (reporting them with :meth:`body_received`); 0 unless the body is in that state."""
        return (self._body_left or 0) if self._bypass else 0

    def body_received(self, nbytes: int) -> None:
        """``nbytes`` (at most :meth:`body_bytes_due`) more body bytes arrived, received by
        the caller straight into its own buffer: counted as :meth:`feed` would count them."""
        if not self._bypass or nbytes > (self._body_left or 0):
            raise ValueError("body_received(): more bytes than the body has left")
        self._count_body(nbytes)

    def _count_body(self, nbytes: int) -> None:
        """``nbytes`` (at most what is left) more bytes of a Content-Length body arrived."""
        left = self._body_left or 0
        if nbytes < left:
            self._body_left = left - nbytes
            return
        self._body_left = 0
        self._bypass = False
        self.complete = True

    def feed_eof(self) -> list[bytes]:
        """The peer closed. Completes read-until-close bodies; otherwise raises 104, except
        for non-keep-alive responses whose body was cut short (Replicate Q21)."""
        if not self.head_done:
            raise self._fail(ECONNRESET)
        if not self.keep_alive_response and (self.has_length or self.chunked):
            # Swoole ends such a response successfully with statusCode 0 and no body.
            self.truncated_success = True
            self.complete = True
            return []
        self._h11().receive_data(b"")
        try:
            return self._drain()
        except ResponseError as exc:
            if exc.code == SW_ERROR_HTTP_INVALID_PROTOCOL and not self.complete:
                raise ResponseError(ECONNRESET) from None
            raise

    def _feed_body(self, data: bytes) -> list[bytes]:
        """The rest of a Content-Length body once h11 has parsed the head and drained its
        buffer: counting the bytes here spares three copies of each body byte through h11's
        receive buffer. As with h11, bytes after the body are not part of the response; a
        premature EOF still goes through h11 (``feed_eof``), whose length reader is still open."""
        left = self._body_left or 0
        size = len(data)
        if size <= left:
            self._count_body(size)
            return [data]
        self._count_body(left)
        return [data[:left]]

    def _feed_chunked(self, data: bytes) -> list[bytes]:
        """Chunked body bytes, h11 being parked at the start of a chunk-size line.

        Chunk data is cut out of the received bytes here, which spares the copies through
        h11's receive buffer (three per body byte). Only chunk-size lines of hex digits and
        CRLF and the CRLF after each chunk's data are handled here; at any other line (the last
        chunk ``0``, extensions, garbage) the bytes from that line on go to h11, which is in
        the very state it would be in had it parsed the chunks itself (between chunks its
        chunked reader keeps no state), so it parses the end of the body, the trailers, and
        rejects what it rejects, exactly as before. The pieces returned are those h11 would
        return: one per chunk per read.
        """
        pieces: list[bytes] = []
        size = len(data)
        pos = 0
        while pos < size:
            left = self._chunk_left
            if left:
                end = pos + left
                if end >= size:
                    pieces.append(data if pos == 0 else data[pos:])
                    self._chunk_left = end - size
                    if end == size:
                        self._chunk_tail = b"\r\n"
                    return pieces
                pieces.append(data[pos:end])
                self._chunk_left = 0
                self._chunk_tail = b"\r\n"
                pos = end
                continue
            tail = self._chunk_tail
            if tail:
                got = data[pos : pos + len(tail)]
                if got != tail[: len(got)]:
                    # h11: "malformed chunk footer" -> 7102
                    raise ResponseError(SW_ERROR_HTTP_INVALID_PROTOCOL)
                self._chunk_tail = tail[len(got) :]
                pos += len(got)
                continue
            carried = self._chunk_line
            probe = carried + data[pos : pos + _CHUNK_LINE_MAX] if carried else data[pos : pos + _CHUNK_LINE_MAX]
            match = _CHUNK_LINE.match(probe)
            if match is not None:
                chunk_size = int(match.group(1), 16)
                if chunk_size:
                    self._chunk_line = b""
                    self._chunk_left = chunk_size
                    pos += match.end() - len(carried)
                    continue
            elif size - pos + len(carried) < _CHUNK_LINE_MAX and _CHUNK_LINE_PREFIX.fullmatch(probe):
                self._chunk_line = probe  # the line continues in the next read
                return pieces
            # The last chunk or a line this fast path does not take: h11 goes on from here.
            self._chunk_mode = False
            self._chunk_line = b""
            self._h11().receive_data(carried + data[pos:] if carried else data[pos:])
            return pieces + self._drain()
        return pieces

    def _drain(self) -> list[bytes]:
        pieces: list[bytes] = []
        conn = self._h11()
        while not self.complete:
            try:
                event = conn.next_event()
            except h11.RemoteProtocolError as exc:
                # Classified by h11's own message prefix: a substring test would also match the
                # offending header line h11 quotes in other errors (a malformed "Upgrade : x"
                # line must be 7102, not an unsolicited 101).
                message = str(exc)
                if message.startswith("Received server _SWITCH_UPGRADE event without a pending proposal"):
                    self._unsolicited_101()
                    return pieces
                if message.startswith("peer closed connection"):
                    raise self._fail(ECONNRESET) from None
                raise self._fail(SW_ERROR_HTTP_INVALID_PROTOCOL) from None
            kind = type(event)
            if kind is h11.Data:
                pieces.append(event.data)  # type: ignore[union-attr]
                if self._body_left is not None:
                    self._body_left -= len(event.data)  # type: ignore[union-attr]
            elif kind is h11.NEED_DATA:
                if self.event_stream_done():
                    self.complete = True
                elif self._body_left:
                    self._bypass = True
                break
            elif kind is h11.Response:
                rest = self._unfed()
                self._on_head(event)  # type: ignore[arg-type]
                self._body_left = self._identity_length(event)  # type: ignore[arg-type]
                if not self.fast_paths:
                    continue
                if self._memo_key is not None:
                    self._memoize(self._memo_key)
                # h11 has consumed exactly the head: the body's first bytes are in `rest`.
                if self._body_left or self.chunked:
                    return pieces + self._start_body(rest)
                if rest:
                    conn.receive_data(rest)
            elif kind is h11.EndOfMessage:
                for name, value in event.headers.raw_items():  # type: ignore[union-attr]
                    self._add_header(name, value)
                self.complete = True
            elif kind is h11.InformationalResponse:
                if event.status_code == 101:  # type: ignore[union-attr]
                    # Only reachable when an upgrade was offered: h11 switched protocols and
                    # the bytes after the head belong to the WebSocket stream.
                    rest = self._unfed()
                    self._on_head(event)  # type: ignore[arg-type]
                    self.complete = True
                    self.trailing_data = bytes(conn.trailing_data[0]) + rest
                    return pieces
                # Deviation Q12: interim responses are skipped. Their heads are stepped over so
                # the checks of the raw head look at the final one, and they share its 64 KiB.
                self._memo_key = self._memo_dated = None  # this interim head's: the final one is not kept
                if self._head_buf is not None:
                    end = _BLANK_LINE.search(self._head_buf, self._head_skip)
                    self._head_skip = end.end() if end else len(self._head_buf)
                    if self._head_skip >= HEAD_MAX_SIZE:
                        raise ResponseError(SW_ERROR_HTTP_INVALID_PROTOCOL)
                continue
            elif kind is h11.ConnectionClosed:
                raise self._fail(ECONNRESET)
            else:  # PAUSED etc.
                break
        return pieces

    def _start_body(self, rest: bytes) -> list[bytes]:
        """Begin a Content-Length (> 0) or chunked body whose first bytes are ``rest``."""
        if self._body_left:
            # Counted in feed() from its first byte. h11 stays in its body state for a
            # premature EOF (feed_eof), as it would with a drained buffer.
            self._bypass = True
            return self._feed_body(rest) if rest else []
        self._chunk_mode = True
        return self._feed_chunked(rest) if rest else []

    def _memoize(self, key: tuple[bytes, bool, bool, bool]) -> None:
        """Keep what parsing this head produced, if its body framing allows (see _HEAD_MEMO)."""
        if not (self._body_left or self.chunked or self._no_body or self.status in (204, 304)):
            if self._length_value != b"0":
                return  # read-until-close body: h11 reads it
        memo = _ParsedHead()
        headers = self.headers
        memo.has_lists = headers is not None and any(type(v) is list for v in headers.values())
        if memo.has_lists:
            headers = {k: list(v) if type(v) is list else v for k, v in headers.items()}  # type: ignore[union-attr]
        elif headers is not None:
            headers = dict(headers)
        memo.headers = headers
        memo.set_cookies = tuple(self.set_cookies)
        memo.scalars = (
            self.status, self.encoding, self.connection_close, self.event_stream, self.keep_alive_response,
            self.has_length, self.chunked, self._length_value, self._body_left,
        )  # fmt: skip
        memo.date_key = None
        if len(_HEAD_MEMO) >= _HEAD_MEMO_MAX - 1:
            _HEAD_MEMO.clear()
        _HEAD_MEMO[key] = memo
        dated = self._memo_dated
        if dated is not None and headers is not None:
            # Also for the same head with another Date value, if the header the value went
            # to holds it alone (one Date line under that name).
            date_key = "date" if self._lowercase else "Date"
            if type(headers.get(date_key)) is str:
                memo.date_key = date_key
                _HEAD_MEMO[dated] = memo

    def _apply_memo(self, memo: _ParsedHead, head: bytes, date: bytes | None = None) -> list[bytes]:
        """The head is one parsed before (or, with ``date``, one equal to it but for that
        ``Date`` value): take its results (fresh containers) and start the body as after an
        h11 ``Response`` event."""
        buf = self._head_buf
        assert buf is not None
        rest = bytes(memoryview(buf)[len(head) :]) if len(buf) > len(head) else b""
        self._memo_head = head
        self._head_fed = len(head)
        self._head_buf = None
        headers = memo.headers
        if memo.has_lists:
            headers = {k: list(v) if type(v) is list else v for k, v in headers.items()}  # type: ignore[union-attr]
        elif headers is not None:
            headers = headers.copy()
        if date is not None:
            headers[memo.date_key] = date.decode("ascii")  # type: ignore[index]
        self.headers = headers
        self.set_cookies = list(memo.set_cookies)
        (
            self.status, self.encoding, self.connection_close, self.event_stream, self.keep_alive_response,
            self.has_length, self.chunked, self._length_value, self._body_left,
        ) = memo.scalars  # fmt: skip
        self.head_done = True
        if self._body_left or self.chunked:
            return self._start_body(rest)
        self.complete = True  # no body: h11 would end the message at once (no trailers)
        return []

    def _unfed(self) -> bytes:
        """The received bytes after the head just given to h11 (see :meth:`_feed_head`)."""
        buf = self._head_buf
        if buf is None or len(buf) <= self._head_fed:
            return b""
        return bytes(memoryview(buf)[self._head_fed :])

    def _identity_length(self, event: h11.Response) -> int | None:
        """The Content-Length h11 frames this body with, or None (chunked, no body, ...).
        h11 keeps one Content-Length field (equal duplicates merged, digits only)."""
        if not self.has_length or self.chunked or self._length_value is None:
            return None
        return int(self._length_value)

    def event_stream_done(self) -> bool:
        """``text/event-stream`` without framing completes after its first read (Replicate Q20)."""
        return self.head_done and self.event_stream and not self.has_length and not self.chunked

    def _on_head(self, event: h11.Response | h11.InformationalResponse) -> None:
        self.status = event.status_code
        raw = event.headers.raw_items()
        lnames = [name.lower() for name, _ in raw]
        kept = raw[lnames.index(b"content-length")][1] if b"content-length" in lnames else None
        self._length_value = kept
        if self._length_anomaly(kept):
            # Swoole answers 7102 keeping the lines before the offending one (client.md §7.2).
            raise self._fail(SW_ERROR_HTTP_INVALID_PROTOCOL)
        headers = self.headers
        if headers is None:
            if not raw:
                headers = {}  # filled by nothing: self.headers stays None without header lines
            else:
                headers = self.headers = {}
        lowercase = self._lowercase
        seen_length = seen_chunked = False
        tokens: set[bytes] = set()
        # One pass doing what _add_header does per field (names are h11-validated tokens:
        # ASCII, so latin-1 decodes them as utf-8 would).
        for (name, value), lname in zip(raw, lnames):
            if lname == b"content-length":
                seen_length = True
            elif lname == b"transfer-encoding":
                if value.lower().startswith(b"chunked"):
                    seen_chunked = True
            elif lname == b"connection":
                # llhttp_should_keep_alive (used for Q21): its own Connection token flags,
                # whatever the header-name case and independent of lowercase_header.
                tokens.update(token.strip() for token in value.lower().split(b","))
            if seen_length and seen_chunked:
                # h11 lets chunked win; Swoole rejects the response (7102), keeping earlier lines.
                raise ResponseError(SW_ERROR_HTTP_INVALID_PROTOCOL)
            key = (lname if lowercase else name).decode("latin-1")
            text = value.decode("utf-8", "surrogateescape")
            prev = headers.get(key)
            if prev is None:
                headers[key] = text
            elif isinstance(prev, list):
                prev.append(text)
            else:
                headers[key] = [prev, text]
            if key in _SPECIAL_NAMES:
                self._special(key, text)
        # Framing is the parser's business (llhttp_message_needs_eof, Q20/Q21): decided on the
        # raw names, not on the lowercase_header-dependent spelling seen by _special.
        self.has_length = seen_length
        self.chunked = seen_chunked
        self.head_done = True
        self._head_buf = None
        if event.http_version == b"1.0":
            self.keep_alive_response = b"keep-alive" in tokens
        else:
            self.keep_alive_response = b"close" not in tokens
        if self.status in (204, 304) or self._no_body:
            self.has_length = False
            self.chunked = False

    def _unsolicited_101(self) -> None:
        """A 101 nobody asked for (e.g. ``Upgrade: h2c``): status 0, success (Replicate Q13)."""
        self._prescan_head()
        self.status = 0
        self.head_done = True
        self.complete = True
        self._head_buf = None
