"""Minimal HTTP/1.1 wire handling for the scripted servers (RAW, WSF, proxies).

Deliberately small and byte-exact: heads are kept verbatim (``RawRequest.head``), header names keep
their wire case and order, and nothing is normalised, so tests can assert exactly what the client
sent. Responses are built by hand so tests control every byte.

Reading::

    head = await read_request_head(reader)      # bytes up to and including b"\\r\\n\\r\\n"
    req = await read_request(reader)            # RawRequest with body (Content-Length / chunked)
    req = await try_read_request(reader)        # same, or None on a clean EOF before any byte
    resp = await read_response(reader, "GET")   # RawResponse (for proxies / self-tests)

Building::

    build_response(200, b"hi", [("X-A", "1")])  # status line + headers + Content-Length + body
    swoole_response(b"", headers=[("connection", "close")])  # Swoole's default header order
    chunk(b"abc") + LAST_CHUNK                  # chunked transfer coding pieces
"""

from __future__ import annotations

import asyncio
import base64
import email.utils
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from urllib.parse import parse_qsl, urlsplit

CRLF = b"\r\n"
HEAD_END = b"\r\n\r\n"
LAST_CHUNK = b"0\r\n\r\n"

HeaderList = list[tuple[str, str]]


def _decode(data: bytes) -> str:
    """Decode wire text losslessly."""
    return data.decode("latin-1")


def header_values(headers: Sequence[tuple[str, str]], name: str) -> list[str]:
    """All values of header ``name`` (case-insensitive), in order."""
    lname = name.lower()
    return [v for k, v in headers if k.lower() == lname]


def has_token(headers: Sequence[tuple[str, str]], name: str, token: str) -> bool:
    """True if a comma-separated header ``name`` contains ``token`` (case-insensitive)."""
    token = token.lower()
    for value in header_values(headers, name):
        if token in (t.strip().lower() for t in value.split(",")):
            return True
    return False


def parse_basic_auth(value: str | None) -> tuple[str, str] | None:
    """Decode a ``Basic`` (Proxy-)Authorization value into ``(user, password)``."""
    if not value or not value.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(value[6:].strip(), validate=True).decode("latin-1")
    except ValueError:
        return None
    user, _, password = decoded.partition(":")
    return user, password


class HeaderAccess:
    """Case-insensitive read access to a ``headers`` list of ``(name, value)`` pairs."""

    headers: HeaderList

    def header(self, name: str, default: str | None = None) -> str | None:
        """First value of ``name`` (case-insensitive)."""
        values = header_values(self.headers, name)
        return values[0] if values else default

    def header_all(self, name: str) -> list[str]:
        """Every value of ``name`` (case-insensitive), in order."""
        return header_values(self.headers, name)

    def has_token(self, name: str, token: str) -> bool:
        """True if the comma-separated header ``name`` contains ``token``."""
        return has_token(self.headers, name, token)

    @property
    def header_names(self) -> list[str]:
        """Header names in wire order and case."""
        return [k for k, _ in self.headers]


@dataclass
class RawRequest(HeaderAccess):
    """One request as received."""

    head: bytes
    """The verbatim head, request line to the blank line inclusive."""
    method: str
    target: str
    version: str
    headers: HeaderList
    """``(name, value)`` pairs in wire order and case (latin-1 decoded)."""
    body: bytes = b""
    """The decoded body (chunked coding removed)."""
    raw_body: bytes = b""
    """The body bytes exactly as received (including chunk framing)."""

    @property
    def path(self) -> str:
        """The target's path (absolute-form targets are reduced to their path)."""
        split = urlsplit(self.target)
        return split.path if self.target.startswith(("http://", "https://")) else self.target.split("?", 1)[0]

    @property
    def query(self) -> dict[str, str]:
        """Query parameters (last value wins)."""
        return dict(parse_qsl(urlsplit(self.target).query, keep_blank_values=True))

    @property
    def keep_alive(self) -> bool:
        """HTTP/1.1 default keep-alive unless ``Connection: close``; HTTP/1.0 needs keep-alive."""
        if self.version == "HTTP/1.0":
            return self.has_token("connection", "keep-alive")
        return not self.has_token("connection", "close")


@dataclass
class RawResponse(HeaderAccess):
    """One response as received."""

    head: bytes
    version: str
    status: int
    reason: str
    headers: HeaderList
    body: bytes = b""
    raw_body: bytes = b""
    until_eof: bool = False
    """True when the body was delimited by the connection close."""

    @property
    def raw(self) -> bytes:
        """The whole message as received."""
        return self.head + self.raw_body


def parse_head(head: bytes) -> tuple[list[str], HeaderList]:
    """Split a head into its start-line parts (max 3) and ``(name, value)`` pairs.

    Anything after the first blank line (a body) is ignored.
    Values are stripped of surrounding whitespace; names are kept verbatim. A line without a
    colon is kept as ``(line, "")`` so malformed heads can still be inspected.
    """
    end = head.find(HEAD_END)
    text = _decode(head if end < 0 else head[:end])
    lines = text.split("\r\n")
    start = lines[0].split(" ", 2)
    headers: HeaderList = []
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        headers.append((name, value.strip()) if sep else (line, ""))
    return start, headers


async def read_request_head(reader: asyncio.StreamReader) -> bytes:
    """Read up to and including the first ``\\r\\n\\r\\n``.

    Raises ``asyncio.IncompleteReadError`` on EOF (``exc.partial == b""`` for a clean EOF). If
    the reader has an ``on_head`` callback (RAW/WSF/proxy readers), it is called with the head.
    """
    head = await reader.readuntil(HEAD_END)
    callback = getattr(reader, "on_head", None)
    if callback is not None:
        callback(head)
    return head


async def _read_chunked(reader: asyncio.StreamReader) -> tuple[bytes, bytes]:
    """Read a chunked body; return ``(decoded, raw)``. Trailers are consumed and kept in raw."""
    body = bytearray()
    raw = bytearray()
    while True:
        line = await reader.readuntil(CRLF)
        raw += line
        size = int(line.split(b";", 1)[0].strip() or b"0", 16)
        if size == 0:
            while True:
                trailer = await reader.readuntil(CRLF)
                raw += trailer
                if trailer == CRLF:
                    return bytes(body), bytes(raw)
        data = await reader.readexactly(size + 2)
        raw += data
        body += data[:-2]


async def read_body(
    reader: asyncio.StreamReader, headers: Sequence[tuple[str, str]], *, until_eof: bool = False
) -> tuple[bytes, bytes]:
    """Read a message body framed by ``headers``; return ``(decoded, raw)``.

    Chunked wins over Content-Length; without either, read to EOF only if ``until_eof``.
    """
    if has_token(headers, "transfer-encoding", "chunked"):
        return await _read_chunked(reader)
    lengths = header_values(headers, "content-length")
    if lengths:
        data = await reader.readexactly(int(lengths[0]))
        return data, data
    if until_eof:
        data = await reader.read()
        return data, data
    return b"", b""


async def read_request(reader: asyncio.StreamReader, *, with_body: bool = True) -> RawRequest:
    """Read one request (head and, if ``with_body``, its body)."""
    head = await read_request_head(reader)
    start, headers = parse_head(head)
    method, target, version = (start + ["", "", ""])[:3]
    request = RawRequest(head=head, method=method, target=target, version=version, headers=headers)
    if with_body:
        request.body, request.raw_body = await read_body(reader, headers)
    return request


async def try_read_request(reader: asyncio.StreamReader, *, with_body: bool = True) -> RawRequest | None:
    """Like :func:`read_request` but return None on a clean EOF before the first byte."""
    try:
        return await read_request(reader, with_body=with_body)
    except asyncio.IncompleteReadError as exc:
        if exc.partial:
            raise
        return None


async def read_response(reader: asyncio.StreamReader, method: str = "GET") -> RawResponse:
    """Read one response to a ``method`` request (no body for HEAD, 1xx, 204, 304)."""
    head = await reader.readuntil(HEAD_END)
    start, headers = parse_head(head)
    version, status_text, reason = (start + ["", "", ""])[:3]
    status = int(status_text)
    response = RawResponse(head=head, version=version, status=status, reason=reason, headers=headers)
    if method.upper() == "HEAD" or status < 200 or status in (204, 304):
        return response
    framed = has_token(headers, "transfer-encoding", "chunked") or bool(header_values(headers, "content-length"))
    response.until_eof = not framed
    response.body, response.raw_body = await read_body(reader, headers, until_eof=True)
    return response


def reason_phrase(status: int) -> str:
    """The standard reason phrase for ``status`` (``"Unknown"`` if none)."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def http_date(timestamp: float | None = None) -> str:
    """An IMF-fixdate (``Sun, 06 Nov 1994 08:49:37 GMT``)."""
    return email.utils.formatdate(timestamp, usegmt=True)


def format_head(status_line: str, headers: Iterable[tuple[str, str]]) -> bytes:
    """``status_line`` plus header lines plus the blank line, encoded latin-1."""
    lines = [status_line] + [f"{k}: {v}" for k, v in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def build_response(
    status: int = 200,
    body: bytes = b"",
    headers: Iterable[tuple[str, str]] = (),
    *,
    reason: str | None = None,
    version: str = "HTTP/1.1",
    content_length: bool = True,
) -> bytes:
    """A complete response: headers as given, then ``Content-Length`` (unless disabled or
    already present), then ``body``."""
    header_list = list(headers)
    if content_length and not header_values(header_list, "content-length"):
        header_list.append(("Content-Length", str(len(body))))
    line = f"{version} {status} {reason if reason is not None else reason_phrase(status)}"
    return format_head(line, header_list) + body


def _swoole_name(name: str) -> str:
    """Swoole's ``header()`` name formatting (``content-type`` -> ``Content-Type``)."""
    return "-".join(part[:1].upper() + part[1:].lower() for part in name.split("-"))


def swoole_response(
    body: bytes = b"",
    status: int = 200,
    headers: Iterable[tuple[str, str]] = (),
    *,
    keep_alive: bool = True,
    format_names: bool = True,
    date: str | None = None,
    chunked: bool = False,
) -> bytes:
    """A response laid out like Swoole's HTTP server writes it.

    Order: the user ``headers`` (names formatted ``Xxx-Yyy`` when ``format_names``, as
    ``$response->header($k, $v)`` does), then the defaults the user did not set, in Swoole's order:
    ``Server: swoole-http-server``, ``Date``, ``Connection: keep-alive|close``,
    ``Content-Type: text/html``, then ``Content-Length`` (or ``Transfer-Encoding: chunked`` when
    ``chunked``; the caller then appends chunks and :data:`LAST_CHUNK`).
    """
    user = [(_swoole_name(k) if format_names else k, v) for k, v in headers]
    names = {k.lower() for k, _ in user}
    out = list(user)
    if "server" not in names:
        out.append(("Server", "swoole-http-server"))
    if "date" not in names:
        out.append(("Date", date or http_date()))
    if "connection" not in names:
        out.append(("Connection", "keep-alive" if keep_alive else "close"))
    if "content-type" not in names:
        out.append(("Content-Type", "text/html"))
    if chunked:
        out.append(("Transfer-Encoding", "chunked"))
        return format_head(f"HTTP/1.1 {status} {reason_phrase(status)}", out)
    if "content-length" not in names:
        out.append(("Content-Length", str(len(body))))
    return format_head(f"HTTP/1.1 {status} {reason_phrase(status)}", out) + body


def chunk(data: bytes) -> bytes:
    """One chunk of the chunked transfer coding."""
    return f"{len(data):x}\r\n".encode() + data + CRLF

