"""Port of tests/swoole_http_client_coro/unixsocket.phpt (swoole-src a281145a1): "swoole_http_client_coro: http unix-socket".

MAX_CONCURRENCY clients connect to an HTTP server on a UNIX stream socket, the host written as
``unix:`` plus 0-2 extra slashes plus the absolute socket path (leading slashes collapse to
one), and each performs MAX_REQUESTS GETs whose body is ``Hello Swoole!``.

Port: faithful

Deviations: the Swoole server on ``/tmp/unix-sock-test.sock`` becomes an aiohttp server on a
short private UNIX path (listen backlog 512, Swoole's default); the three slash spellings are
cycled over the clients instead of drawn at random, so each is always exercised. Added asserts:
status 200, one connection per client (keep-alive over UNIX sockets) and the ``Host`` header
(the socket path).
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from swoole_compat.coroutine.http import Client

SWOOLE_BACKLOG = 512  # upstream SW_BACKLOG, the server's default


async def test_unixsocket(http_server, pressure) -> None:
    async def hello(request: web.Request) -> web.Response:
        return web.Response(text="Hello Swoole!")

    # Swoole's default listen backlog (512) holds MAX_CONCURRENCY simultaneous connects; a
    # UNIX connect beyond the backlog fails at once (EAGAIN) instead of waiting.
    app = web.Application()
    srv = await http_server(app, routes=[web.get("/", hello)], unix=True, backlog=SWOOLE_BACKLOG)
    path = srv.path
    assert path.startswith("/")

    async def one(c: int) -> None:
        client = Client("unix:" + "/" * (c % 3) + path)
        for _ in range(pressure.MAX_REQUESTS):
            assert await client.get("/"), f"statusCode={client.statusCode}, error={client.errCode}"
            assert client.body == b"Hello Swoole!"
            assert client.statusCode == 200
        client.close()

    await asyncio.gather(*(one(c) for c in range(pressure.MAX_CONCURRENCY)))
    assert len(srv.requests) == pressure.MAX_CONCURRENCY * pressure.MAX_REQUESTS
    assert srv.connections == pressure.MAX_CONCURRENCY
    assert {r.header("Host") for r in srv.requests} == {path}
