"""Request serialisation, byte-exact as Swoole writes it (client.md §6).

Requests are written by hand rather than by h11: Swoole sends things h11 refuses or rewrites
(``Connection: closed``, duplicate ``Content-Type``, verbatim lower-case methods, targets with
spaces). Header values are checked for CR, LF and NUL, which Swoole does not do: letting them
through would allow header injection, so safety wins (documented in docs/deviations.md).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

from .._php import http_build_query, php_array_key, php_bytes, php_str
from . import multipart
from ..errors import ClientException
from .cookies import cookie_header_value

HEADER_MAX_SIZE = 65536
_FORBIDDEN = ("\r", "\n", "\0")


class UnsafeRequest(ValueError):
    """A method, target, header name/value or cookie would break the request framing."""


class QueryBuildFailed(Exception):
    """A non-empty array body whose ``http_build_query`` produced nothing (every entry None or
    an empty nested array): upstream warns ``http_build_query failed`` and fails the call."""


def _check(text: str, what: str) -> str:
    for ch in _FORBIDDEN:
        if ch in text:
            raise UnsafeRequest(f"{what} must not contain CR, LF or NUL: {text[:60]!r}")
    return text


def check_text(text: str, what: str) -> str:
    """``text`` unchanged, or :class:`UnsafeRequest` when it holds CR, LF or NUL."""
    return _check(text, what)


def _check_name(name: str) -> str:
    """A header name as Swoole writes it, verbatim (an empty name gives ``: value``), unless it
    holds CR, LF, NUL or a colon, which would forge or split header lines."""
    _check(name, "header name")
    if ":" in name:
        raise UnsafeRequest(f"invalid header name: {name[:60]!r}")
    return name


@dataclass
class RequestSpec:
    """Everything the serialiser reads; the façade fills it from the client's properties."""

    method: str
    path: str
    host_header: str  # default Host value (used unless the user gave Host/host)
    headers: dict[Any, Any] | None = None
    body: Any = None
    uploads: Any = None
    cookies: Any = None
    basic_auth: str = ""
    keep_alive: bool = True
    accept_encoding: str | None = "gzip, deflate, br"  # None when http_compression is off
    proxy_absolute: str | None = None  # "http://host:port" prefix for plain-HTTP proxying
    proxy_authorization: str | None = None
    where: str = ""


@dataclass
class BuiltRequest:
    head: bytes  # request line, headers and the blank line
    body: list[multipart.Piece] = field(default_factory=list)
    disables_keep_alive: bool = False  # a user ``Connection: close`` header was sent

    @property
    def header_out(self) -> str:
        """What ``getHeaderOut()`` returns: the head without its terminating blank line."""
        return self.head[:-4].decode("utf-8", "surrogateescape")


def basic_auth_value(username: str, password: str) -> str:
    """``Basic base64(user:password)``. CR, LF or NUL in either part raise :class:`UnsafeRequest`
    (RFC 7617 forbids control characters there; Swoole encodes them blindly)."""
    _check(username, "basic auth username")
    _check(password, "basic auth password")
    return "Basic " + base64.b64encode(f"{username}:{password}".encode("utf-8", "surrogateescape")).decode("ascii")


def build(spec: RequestSpec) -> BuiltRequest:
    """Serialise ``spec``; raises :class:`UnsafeRequest`, cookie-size ``ClientException``,
    or :class:`multipart.NotAnArray`. The caller enforces the 64 KiB head limit."""
    method = _check(spec.method, "method")
    target = _check(spec.path, "request target")
    if spec.proxy_absolute is not None:
        target = spec.proxy_absolute + target
    lines = [f"{method} {target} HTTP/1.1"]
    headers = spec.headers if isinstance(spec.headers, dict) else None
    host = spec.host_header
    if headers is not None:
        if "Host" in headers:
            host = php_str(headers["Host"])
        elif "host" in headers:
            host = php_str(headers["host"])
    lines.append("Host: " + _check(host, "Host header"))
    has_connection = has_accept_encoding = has_content_length = False
    disables_keep_alive = False
    if headers:
        for key, value in headers.items():
            # HASH_KEY_IS_STRING != keytype: integer keys, and the integer-like strings PHP
            # stores as integers ("123", not "0123"), are skipped, as are null values.
            if not isinstance(key, str) or value is None or type(php_array_key(key)) is int:
                continue
            lower = key.lower()
            if lower == "host":
                continue
            if lower == "content-length":
                has_content_length = True
                continue
            text = php_str(value, spec.where)
            _check_name(key)
            _check(text, f"value of header {key!r}")
            if lower == "connection":
                has_connection = True
                if text.lower() == "close":
                    disables_keep_alive = True
            elif lower == "accept-encoding":
                has_accept_encoding = True
            lines.append(f"{key}: {text}")
    if spec.proxy_authorization:
        lines.append("Proxy-Authorization: " + _check(spec.proxy_authorization, "proxy credentials"))
    if spec.basic_auth:
        lines.append("Authorization: " + _check(spec.basic_auth, "basic auth"))
    if not has_connection:
        # "closed" (sic) is the literal Swoole sends (Replicate Q2).
        lines.append("Connection: keep-alive" if spec.keep_alive and not disables_keep_alive else "Connection: closed")
    if spec.accept_encoding and not has_accept_encoding:
        lines.append("Accept-Encoding: " + spec.accept_encoding)
    try:
        return _build_body(spec, lines, has_content_length, disables_keep_alive)
    except (ClientException, multipart.NotAnArray, QueryBuildFailed) as exc:
        # the user "Connection: close" header was already processed when these fail upstream
        exc.disables_keep_alive = disables_keep_alive  # type: ignore[union-attr]
        raise


def _build_body(spec: RequestSpec, lines: list[str], has_content_length: bool, disables_keep_alive: bool) -> BuiltRequest:
    if isinstance(spec.cookies, dict):
        lines.append("Cookie: " + _check(cookie_header_value(spec.cookies), "cookie"))

    body = spec.body
    uploads = spec.uploads
    pieces: list[multipart.Piece] = []
    if uploads:
        boundary = multipart.new_boundary()
        try:
            pieces, length = multipart.build(boundary, body, uploads, spec.where)
        except multipart.UnsafeField as exc:
            raise UnsafeRequest(str(exc)) from None
        lines.append(f"Content-Type: multipart/form-data; boundary={boundary}")
        lines.append(f"Content-Length: {length}")
    elif body is not None:
        payload: bytes | multipart.AsciiText
        if isinstance(body, (dict, list)):
            lines.append("Content-Type: application/x-www-form-urlencoded")
            query = http_build_query(body) if body else ""
            if body and not query:
                raise QueryBuildFailed()
            payload = multipart.AsciiText(query) if query.isascii() else query.encode("ascii")
        elif type(body) is str and body.isascii():
            # Its UTF-8 bytes are its characters: sent without encoding it whole first.
            payload = multipart.AsciiText(body)
        else:
            payload = php_bytes(body, spec.where)
        size = len(payload.text) if isinstance(payload, multipart.AsciiText) else len(payload)
        lines.append(f"Content-Length: {size}")
        if size:
            pieces = [payload]
    elif has_content_length:
        lines.append("Content-Length: 0")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8", "surrogateescape")
    return BuiltRequest(head, pieces, disables_keep_alive)
