"""Port of tests/swoole_http_client_coro/timeout_when_recv.phpt (swoole-src a281145a1): "swoole_http_client_coro: timeout in recv".

A defer client with ``timeout`` 0.1 and the header ``hello: swoole`` sends ``get('/')``; the server
checks the header, sleeps 2 s, then answers. ``recv()`` fails and ``body`` stays empty.

Port: faithful

Deviations: the Swoole HTTP server (BASE) is an aiohttp server; its header check goes to the
assertion bag. Added: ``recv()`` fails after about 0.1 s (+/-50 %, bounded at 3 s overall) with
errCode ETIMEDOUT and statusCode -2 (REQUEST_TIMEOUT), and the connection is closed.
"""

from __future__ import annotations

import asyncio
import errno
import time

from aiohttp import web

from support.helpers import time_approximate

from swoole_compat.coroutine.http import Client

ESTATUS_REQUEST_TIMEOUT = -2


async def test_timeout_when_recv(http_server, assert_bag) -> None:
    seen = asyncio.Event()

    async def handler(request: web.Request) -> web.Response:
        assert_bag.same(request.headers.get("hello"), "swoole")
        seen.set()
        await asyncio.sleep(2)
        return web.Response(text="ok!")

    srv = await http_server(web.Application(), routes=[web.get("/", handler)])

    cli = Client("127.0.0.1", srv.port)
    cli.set({"timeout": 0.1})
    cli.setHeaders({"hello": "swoole"})
    cli.setDefer()
    assert await cli.get("/") is True
    s = time.monotonic()
    assert not await asyncio.wait_for(cli.recv(), 3)
    elapsed = time.monotonic() - s
    assert not cli.body
    assert cli.errCode == errno.ETIMEDOUT
    assert cli.statusCode == ESTATUS_REQUEST_TIMEOUT
    assert time_approximate(0.1, elapsed, 0.5), elapsed
    assert cli.connected is False

    assert seen.is_set()
    assert len(srv.requests) == 1
    assert srv.requests[0].header_all("hello") == ["swoole"]
