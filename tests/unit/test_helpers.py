"""The helper functions ``request``/``get``/``post`` and ``ClientProxy`` (functions.md).

Hosts other than loopback are reached through a recording raw server acting as a plain HTTP
proxy (``http_proxy_host``/``port`` in ``options``): the absolute-form request line then shows
exactly which host, port and target the helper derived from the URL, without leaving loopback.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from support.raw import RawServer, raw_server, read_head, respond, script, send, sleep

from swoole_compat import SwooleWarning
from swoole_compat.coroutine.http import Client, ClientException, ClientProxy, get, post, request

try:
    import brotli  # noqa: F401

    AE = "gzip, deflate, br"
except ImportError:  # pragma: no cover
    AE = "gzip, deflate"

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


def via(proxy: RawServer, **extra: Any) -> dict[str, Any]:
    """Options sending the request through ``proxy`` (absolute form, plain TCP)."""
    return {"http_proxy_host": "127.0.0.1", "http_proxy_port": proxy.port, "timeout": 2, **extra}


# --------------------------------------------------------------------------- observed bytes


async def test_get_observed_request_bytes() -> None:
    """functions.md §2: the observed get() request (fragment dropped, timeout option, header,
    cookie)."""
    async with raw_server(respond(OK)) as srv:
        result = await get(f"http://127.0.0.1:{srv.port}/p?q=1#frag", {"timeout": 2}, {"X-H": "v"}, {"c": "d e"})
        assert isinstance(result, ClientProxy)
        assert srv.received(0) == (
            f"GET /p?q=1 HTTP/1.1\r\nHost: 127.0.0.1:{srv.port}\r\nX-H: v\r\nConnection: keep-alive\r\n"
            f"Accept-Encoding: {AE}\r\nCookie: c=d+e\r\n\r\n"
        ).encode()


async def test_post_observed_request_bytes() -> None:
    """functions.md §2: the observed post() request (empty ``Cookie:`` line, urlencoded body)."""
    async with raw_server(respond(OK)) as srv:
        await post(f"http://127.0.0.1:{srv.port}", {"a": "b"})
        assert srv.received(0) == (
            f"POST / HTTP/1.1\r\nHost: 127.0.0.1:{srv.port}\r\nConnection: keep-alive\r\n"
            f"Accept-Encoding: {AE}\r\nCookie: \r\nContent-Type: application/x-www-form-urlencoded\r\n"
            "Content-Length: 3\r\n\r\na=b"
        ).encode()


@pytest.mark.parametrize("data", ["0", 0, 0.0, "", b"", b"0", False, None, [], {}])
async def test_php_falsy_data_sends_no_body(data: Any) -> None:
    """§2 step 5: PHP-falsy data → no setData(): ``POST /x`` without Content-Length."""
    async with raw_server(respond(OK)) as srv:
        await post(f"http://127.0.0.1:{srv.port}/x", data)
        assert srv.received(0) == (
            f"POST /x HTTP/1.1\r\nHost: 127.0.0.1:{srv.port}\r\nConnection: keep-alive\r\n"
            f"Accept-Encoding: {AE}\r\nCookie: \r\n\r\n"
        ).encode()


@pytest.mark.parametrize(("data", "body"), [("1", b"1"), (" ", b" "), ("0.0", b"0.0"), (1, b"1"), ([0], b"0=0")])
async def test_php_truthy_data_sends_body(data: Any, body: bytes) -> None:
    """Truthy data (``"0.0"`` is truthy in PHP) is sent."""
    async with raw_server(respond(OK)) as srv:
        await post(f"http://127.0.0.1:{srv.port}/x", data)
        assert srv.received(0).endswith(f"Content-Length: {len(body)}\r\n\r\n".encode() + body)


async def test_request_method_verbatim_and_data() -> None:
    """§2 step 4: the method is sent verbatim; request() with data and a custom method."""
    async with raw_server(respond(OK)) as srv:
        await request(f"http://127.0.0.1:{srv.port}/r", "put", "payload")
        assert srv.received(0).startswith(b"put /r HTTP/1.1\r\n")
        assert srv.received(0).endswith(b"Content-Length: 7\r\n\r\npayload")


# --------------------------------------------------------------------------- URL table (§3)


@pytest.mark.parametrize(
    ("url", "line", "host"),
    [
        ("http://h", "GET http://h:80/ HTTP/1.1", "h"),
        ("http://h:0/", "GET http://h:80/ HTTP/1.1", "h"),
        ("http://h/?", "GET http://h:80/ HTTP/1.1", "h"),
        ("http://u:p@h/", "GET http://h:80/ HTTP/1.1", "h"),
        ("http://h:8080/a/b?x=1&y=2#f", "GET http://h:8080/a/b?x=1&y=2 HTTP/1.1", "h:8080"),
        ("http://h/a%20b/./c?", "GET http://h:80/a%20b/./c HTTP/1.1", "h"),
        # The library tests !empty($info['query']): PHP's empty("0") is true, so "?0" is dropped.
        ("http://h/p?0", "GET http://h:80/p HTTP/1.1", "h"),
        ("http://h/p?00", "GET http://h:80/p?00 HTTP/1.1", "h"),
        ("http://h?x=1", "GET http://h:80/?x=1 HTTP/1.1", "h"),
        ("http://h#frag?x", "GET http://h:80/ HTTP/1.1", "h"),
    ],
)
async def test_url_parsing_through_proxy(url: str, line: str, host: str) -> None:
    """§3: host, default port, default path ``/``, empty query dropped, credentials ignored,
    path used as written."""
    async with raw_server(respond(OK)) as proxy:
        result = await get(url, via(proxy))
        assert result.getStatusCode() == 200
        head = proxy.requests[0]
        assert head.startswith(f"{line}\r\nHost: {host}\r\n".encode()), head
        assert b"Authorization" not in head


async def test_https_url_uses_tls(tls_server_context: Any) -> None:
    """§3: ``https://…:port/a/b?x=1&y=2#f`` → TLS, target ``/a/b?x=1&y=2``."""
    async with raw_server(respond(OK), ssl=tls_server_context) as srv:
        result = await get(f"https://127.0.0.1:{srv.port}/a/b?x=1&y=2#f")
        assert result.getStatusCode() == 200 and result.getBody() == b"ok"
        assert srv.requests[0].startswith(f"GET /a/b?x=1&y=2 HTTP/1.1\r\nHost: 127.0.0.1:{srv.port}\r\n".encode())


async def test_bracketed_ipv6_url_fails_dns() -> None:
    """§3 / D12: brackets are kept in the host → ClientException 711."""
    with pytest.raises(ClientException) as info:
        await get("http://[::1]:8080/")
    assert info.value.code == 711
    assert str(info.value) == "DNS Lookup resolve failed"


@pytest.mark.parametrize("url", ["/path", "h/path", "http:///x", "http://h:99999/", "", "://h/"])
async def test_illegal_url(url: str) -> None:
    """§4: ``The URL given is illegal [no scheme]`` code 0."""
    with pytest.raises(ClientException) as info:
        await get(url)
    assert info.value.code == 0
    assert str(info.value) == "The URL given is illegal [no scheme]"


@pytest.mark.parametrize(("url", "scheme"), [("ftp://h/", "ftp"), ("HTTP://h/", "HTTP"), ("ws://h/", "ws")])
async def test_unknown_scheme(url: str, scheme: str) -> None:
    """§4: ``unknown scheme "<scheme>"`` code 0 (case-sensitive)."""
    with pytest.raises(ClientException) as info:
        await get(url)
    assert info.value.code == 0
    assert str(info.value) == f'unknown scheme "{scheme}"'


@pytest.mark.parametrize("url", ["http:foo", "https:/x"])
async def test_missing_host_is_type_error(url: str) -> None:
    """§3: no host → TypeError (PHP passes null to the constructor)."""
    with pytest.raises(TypeError, match=r"must be of type string, null given"), pytest.warns(SwooleWarning, match="Undefined array key"):
        await get(url)


# --------------------------------------------------------------------------- failures (§4)


async def test_connection_refused_raises_client_errmsg() -> None:
    """§2 step 10: execute() False → ClientException(errMsg, errCode)."""
    async with raw_server() as srv:
        port = srv.port
        await srv.kill()
    with pytest.raises(ClientException) as info:
        await get(f"http://127.0.0.1:{port}/")
    assert info.value.code == 111
    assert str(info.value) == "Connection refused"


async def test_timeout_option_and_exception() -> None:
    """Options reach set(): a 0.2 s timeout raises ClientException 110."""
    async with raw_server(script(read_head(), sleep(2.0))) as srv:
        with pytest.raises(ClientException) as info:
            await get(f"http://127.0.0.1:{srv.port}/", {"timeout": 0.2})
        assert info.value.code == 110
        assert str(info.value) == "Connection timed out"


async def test_malformed_response_raises_7102() -> None:
    """An invalid response → ClientException 7102."""
    async with raw_server(script(read_head(), send(b"garbage\r\n\r\n"), sleep(0.3))) as srv:
        with pytest.raises(ClientException) as info:
            await get(f"http://127.0.0.1:{srv.port}/")
        assert info.value.code == 7102


async def test_max_retries_exhaustion_raises_empty_exception() -> None:
    """§2 step 10: 502/503 retries exhausted → ClientException('', 0)."""
    unavailable = b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n"
    async with raw_server(respond(unavailable)) as srv:
        with pytest.raises(ClientException) as info:
            await get(f"http://127.0.0.1:{srv.port}/", {"max_retries": 1})
        assert info.value.code == 0
        assert str(info.value) == ""
        assert len(srv.requests) == 2


async def test_http_error_status_is_not_an_exception() -> None:
    """A 404 returns a ClientProxy with status 404."""
    not_found = b"HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\nnope"
    async with raw_server(respond(not_found)) as srv:
        result = await get(f"http://127.0.0.1:{srv.port}/missing")
        assert result.getStatusCode() == 404
        assert result.getBody() == b"nope"


# --------------------------------------------------------------------------- ClientProxy (§5)


async def test_client_proxy_contents() -> None:
    """§5: body bytes (decoded), status, headers (lower-case, lists), cookies passed in plus the
    server's."""
    import gzip

    packed = gzip.compress(b"hello proxy")
    response = (
        b"HTTP/1.1 201 Created\r\nSet-Cookie: s=1\r\nX-Dup: a\r\nX-Dup: b\r\nContent-Encoding: gzip\r\n"
        + f"Content-Length: {len(packed)}\r\n\r\n".encode()
        + packed
    )
    async with raw_server(respond(response)) as srv:
        result = await post(f"http://127.0.0.1:{srv.port}/c", {"k": "v"}, None, None, {"c": "d e"})
    assert result.getBody() == b"hello proxy"
    assert isinstance(result.getBody(), bytes)
    assert result.getStatusCode() == 201
    assert result.getHeaders()["x-dup"] == ["a", "b"]
    assert result.getHeaders()["set-cookie"] == "s=1"
    assert result.getCookies() == {"c": "d e", "s": "1"}
    assert result.body == result.getBody()
    assert result.statusCode == 201
    assert result.headers is result.getHeaders()
    assert result.cookies is result.getCookies()
    assert not hasattr(result, "__await__")


def test_client_proxy_none_headers_and_cookies() -> None:
    """ClientProxy(None headers/cookies) → empty dicts."""
    proxy = ClientProxy(b"b", 200, None, None)
    assert proxy.getHeaders() == {} and proxy.getCookies() == {}
    assert proxy.getBody() == b"b" and proxy.getStatusCode() == 200


async def test_headers_none_becomes_empty_dict() -> None:
    """§2 step 10: a response without header lines → getHeaders() == {}."""
    async with raw_server(script(read_head(), send(b"HTTP/1.0 200 OK\r\n\r\nbare"))) as srv:
        result = await get(f"http://127.0.0.1:{srv.port}/")
    assert result.getHeaders() == {}
    assert result.getBody() == b"bare"
    assert result.getCookies() == {}


async def test_each_call_uses_a_new_client_and_closes_it() -> None:
    """§1: no connection reuse between calls; the client is closed before returning."""
    async with raw_server(respond(OK)) as srv:
        await get(f"http://127.0.0.1:{srv.port}/1")
        await get(f"http://127.0.0.1:{srv.port}/2")
        await asyncio.sleep(0.05)
        assert srv.connections == 2
        assert all(record.peer_closed_at is not None for record in srv.records)


async def test_write_func_option_leaves_body_empty() -> None:
    """§6: ``write_func`` works through options; the proxy body is then empty."""
    seen: list[bytes] = []
    async with raw_server(respond(OK)) as srv:
        result = await get(f"http://127.0.0.1:{srv.port}/", {"write_func": lambda cli, data: seen.append(data)})
    assert seen == [b"ok"]
    assert result.getBody() == b""


def test_exports() -> None:
    """The helpers are exported next to the client."""
    from swoole_compat.coroutine import http

    assert http.get is get and http.post is post and http.request is request
    assert http.Client is Client
