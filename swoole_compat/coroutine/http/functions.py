"""``Swoole\\Coroutine\\Http\\request/get/post`` and ``ClientProxy`` (functions.md)."""

from __future__ import annotations

import re
from typing import Any

from ..._php import php_truthy
from ...errors import ClientException
from .client import Client

__all__ = ["ClientProxy", "request", "get", "post"]

# scheme ":" then "//" authority, the rest; PHP's parse_url keeps the scheme's case.
_URL = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*):(?P<rest>.*)$", re.S)


class ClientProxy:
    """The immutable result of :func:`request`: body, status, headers and cookies."""

    __slots__ = ("_body", "_status", "_headers", "_cookies")

    def __init__(self, body: bytes, statusCode: int, headers: dict[Any, Any] | None, cookies: dict[Any, Any] | None) -> None:  # noqa: N803
        self._body = body
        self._status = statusCode
        self._headers = headers if headers is not None else {}
        self._cookies = cookies if cookies is not None else {}

    def getBody(self) -> bytes:
        return self._body

    def getStatusCode(self) -> int:
        return self._status

    def getHeaders(self) -> dict[Any, Any]:
        return self._headers

    def getCookies(self) -> dict[Any, Any]:
        return self._cookies

    body = property(getBody)
    statusCode = property(getStatusCode)
    headers = property(getHeaders)
    cookies = property(getCookies)

    def __repr__(self) -> str:
        return f"<ClientProxy statusCode={self._status} body={len(self._body)} bytes>"


class _ParsedUrl:
    __slots__ = ("scheme", "host", "port", "path", "query")

    def __init__(self) -> None:
        self.scheme = ""
        self.host: str | None = None
        self.port: int | None = None
        self.path = ""
        self.query = ""


def _parse_url(url: str) -> _ParsedUrl | None:
    """The parts of PHP ``parse_url`` the helpers use; None where PHP returns false."""
    parsed = _ParsedUrl()
    match = _URL.match(url)
    if not match:
        return None
    parsed.scheme = match.group("scheme")
    rest = match.group("rest")
    rest = rest.split("#", 1)[0]
    if rest.startswith("//"):
        rest = rest[2:]
        cut = len(rest)
        for sep in "/?":
            pos = rest.find(sep)
            if pos != -1:
                cut = min(cut, pos)
        authority, rest = rest[:cut], rest[cut:]
        if "@" in authority:
            authority = authority.rsplit("@", 1)[1]
        if authority.startswith("["):
            end = authority.find("]")
            if end == -1:
                return None
            host, port_text = authority[: end + 1], authority[end + 1 :]
            if port_text and not port_text.startswith(":"):
                return None
            port_text = port_text[1:]
        else:
            host, _, port_text = authority.partition(":")
        if not host:
            return None
        if port_text:
            if not port_text.isdigit() or int(port_text) > 65535:
                return None
            parsed.port = int(port_text)
        parsed.host = host
    path, sep, query = rest.partition("?")
    parsed.path = path
    parsed.query = query
    return parsed


async def request(
    url: str,
    method: str,
    data: Any = None,
    options: dict[Any, Any] | None = None,
    headers: dict[Any, Any] | None = None,
    cookies: dict[Any, Any] | None = None,
) -> ClientProxy:
    """One request on a fresh client; raises :class:`ClientException` when it fails."""
    parsed = _parse_url(url)
    if parsed is None or not parsed.scheme:
        raise ClientException("The URL given is illegal [no scheme]", 0)
    if parsed.scheme not in ("http", "https"):
        raise ClientException(f'unknown scheme "{parsed.scheme}"', 0)
    secure = parsed.scheme == "https"
    if parsed.host is None:
        raise TypeError("Swoole\\Coroutine\\Http\\Client::__construct(): Argument #1 ($host) must be of type string, null given")
    client = Client(parsed.host, parsed.port if parsed.port is not None else (443 if secure else 80), secure)
    try:
        client.setMethod(method)
        if php_truthy(data):
            client.setData(data)
        client.set(options or {})
        client.setHeaders(headers or {})
        client.setCookies(cookies or {})
        target = parsed.path or "/"
        if php_truthy(parsed.query):  # PHP !empty(): a query of "0" is dropped too
            target += "?" + parsed.query
        if not await client.execute(target):
            raise ClientException(client.errMsg, client.errCode)
        return ClientProxy(client.getBody(), client.getStatusCode(), client.getHeaders() or {}, client.getCookies() or {})
    finally:
        client.close()


async def post(
    url: str,
    data: Any,
    options: dict[Any, Any] | None = None,
    headers: dict[Any, Any] | None = None,
    cookies: dict[Any, Any] | None = None,
) -> ClientProxy:
    return await request(url, "POST", data, options, headers, cookies)


async def get(
    url: str,
    options: dict[Any, Any] | None = None,
    headers: dict[Any, Any] | None = None,
    cookies: dict[Any, Any] | None = None,
) -> ClientProxy:
    return await request(url, "GET", None, options, headers, cookies)
