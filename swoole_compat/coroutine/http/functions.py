"""``Swoole\\Coroutine\\Http\\request/get/post`` and ``ClientProxy`` (functions.md)."""

from __future__ import annotations

import warnings
from typing import Any

from ..._php import php_parse_url, php_truthy
from ...errors import ClientException, SwooleWarning
from .client import Client

__all__ = ["ClientProxy", "request", "get", "post"]


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


async def request(
    url: str,
    method: str,
    data: Any = None,
    options: dict[Any, Any] | None = None,
    headers: dict[Any, Any] | None = None,
    cookies: dict[Any, Any] | None = None,
) -> ClientProxy:
    """One request on a fresh client; raises :class:`ClientException` when it fails.

    The URL is split by PHP ``parse_url`` (:func:`~swoole_compat._php.php_parse_url`): no
    normalisation, the scheme is compared case-sensitively, control bytes become ``_``, the user
    info and fragment are dropped.
    """
    info = php_parse_url(url)
    scheme = info.get("scheme") if info is not None else None
    if not php_truthy(scheme):  # PHP empty(): false from parse_url, no scheme, or "0"
        raise ClientException("The URL given is illegal [no scheme]", 0)
    if scheme == "http":
        secure = False
    elif scheme == "https":
        secure = True
    else:
        raise ClientException(f'unknown scheme "{scheme}"', 0)
    assert info is not None
    host = info.get("host")
    if host is None:
        # "http:foo", "https:/x": PHP warns on the missing key, then the constructor refuses null
        warnings.warn('Undefined array key "host"', SwooleWarning, stacklevel=2)
        raise TypeError("Swoole\\Coroutine\\Http\\Client::__construct(): Argument #1 ($host) must be of type string, null given")
    port = int(info["port"]) if "port" in info else (443 if secure else 80)  # type: ignore[call-overload]
    client = Client(str(host), port, secure)
    try:
        client.setMethod(method)
        if php_truthy(data):
            client.setData(data)
        client.set(options or {})
        client.setHeaders(headers or {})
        client.setCookies(cookies or {})
        # swoole_array_default_value(): a present path is used even when empty
        target = str(info["path"]) if "path" in info else "/"
        if php_truthy(info.get("query")):  # PHP !empty(): a query of "0" is dropped too
            target += "?" + str(info["query"])
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
