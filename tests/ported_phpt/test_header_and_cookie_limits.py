"""Port of tests/swoole_http_client_coro/header_and_cookie_limits.phpt (swoole-src a281145a1): "swoole_http_client_coro: header and cookie limits".

A 64 KiB request header value makes ``get()`` throw ``Client\\Exception`` (HEADER_THROWN); a
cookie ``token`` of 4097 bytes makes it throw as well (COOKIE_THROWN).

Port: faithful

Deviations: the pcntl-forked Swoole server is an aiohttp app answering "OK". The exception
messages, the code SW_ERROR_INVALID_PARAMS (505, from the C++ source; the catalogue's 504 is
wrong) and the post-exception state are asserted (header case: connection closed; cookie case:
connection kept; nothing was sent in either case), plus the exact boundaries (a 4096-byte
``key=value`` entry and a 65536-byte head are accepted).
"""

from __future__ import annotations

import pytest
from aiohttp import web

from support.raw import build_response, respond

from swoole_compat.coroutine.http import Client, ClientException

SW_ERROR_INVALID_PARAMS = 505


async def _ok(request: web.Request) -> web.Response:
    return web.Response(text="OK")


async def test_header_limit(http_server) -> None:
    srv = await http_server(web.Application(), routes=[web.get("/", _ok)])
    header_client = Client("127.0.0.1", srv.port)
    header_client.set({"timeout": 3})
    header_client.setHeaders({"X-Big-Header": "a" * (64 * 1024)})
    with pytest.raises(ClientException) as info:
        await header_client.get("/")
    assert info.value.message == "HTTP/1 header block is too large"
    assert info.value.code == SW_ERROR_INVALID_PARAMS
    assert header_client.connected is False
    assert header_client.statusCode == 0
    assert srv.requests == []


async def test_cookie_limit(http_server) -> None:
    srv = await http_server(web.Application(), routes=[web.get("/", _ok)])
    cookie_client = Client("127.0.0.1", srv.port)
    cookie_client.set({"timeout": 3})
    cookie_client.setCookies({"token": "b" * 4097})
    with pytest.raises(ClientException) as info:
        await cookie_client.get("/")
    assert info.value.message == "HTTP cookie header is too large"
    assert info.value.code == SW_ERROR_INVALID_PARAMS
    assert cookie_client.statusCode == 0
    assert srv.requests == []

    # The connection is kept; a cookie of exactly 4096 bytes (key + "=" + value) goes through.
    cookie_client.setCookies({"token": "b" * (4096 - len("token") - 1)})
    assert await cookie_client.get("/") is True
    assert cookie_client.body == b"OK"
    assert srv.requests[-1].header_all("Cookie") == ["token=" + "b" * 4090]
    assert srv.connections == 1
    cookie_client.close()


async def test_header_block_boundary(raw_server) -> None:
    # aiohttp refuses header fields over 8190 bytes, so a RAW server answers this one.
    srv = await raw_server(respond(build_response(200, b"OK")))
    client = Client("127.0.0.1", srv.port)
    client.set({"timeout": 3})
    base = (
        f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{srv.port}\r\nX-Big-Header: \r\n"
        "Connection: keep-alive\r\nAccept-Encoding: gzip, deflate, br\r\n\r\n"
    )
    client.setHeaders({"X-Big-Header": "a" * (65536 - len(base))})
    assert await client.get("/") is True  # a head of exactly 65536 bytes is allowed
    assert client.body == b"OK"
    assert len(srv.requests[-1]) == 65536

    client.setHeaders({"X-Big-Header": "a" * (65536 - len(base) + 1)})
    with pytest.raises(ClientException, match="^HTTP/1 header block is too large$"):
        await client.get("/")
    assert client.connected is False
    assert len(srv.requests) == 1
