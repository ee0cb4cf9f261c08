"""Port of tests/swoole_http_client_coro/defer.phpt (swoole-src a281145a1): "swoole_http_client_coro: error handler".

(The upstream title is misleading: ``setDefer()`` is never called.) With ``timeout`` 1, the first
MAX_REQUESTS ``get('/')`` calls succeed with the next random string. The next MAX_REQUESTS fail,
because the server now closes the connection without replying (no automatic retry). After the
server is killed, MAX_REQUESTS more fail with errCode ECONNREFUSED and statusCode -1
(CONNECT_FAILED). The failing-on-receive phase must take more than twice as long as the
connection-refused phase.

Port: faithful

Deviations: the Swoole HTTP server (BASE, one worker, counter, ``co::sleep(0.1 / MAX_REQUESTS)``
before each answer) is an aiohttp server; "kill" closes the listener and aborts the connections.
MAX_REQUESTS uses the small pressure level. The ratio factor (2) can be lowered through
``SWOOLE_COMPAT_DEFER_RATIO`` on slow machines. Added: each receive failure reports statusCode -3
with errCode ECONNRESET, and every failed request did reach the server.
"""

from __future__ import annotations

import asyncio
import errno
import os
import time

from aiohttp import web

from support.helpers import MAX_REQUESTS, random_data_list
from support.http import close_without_reply

from swoole_compat.coroutine.http import Client

ESTATUS_CONNECT_FAILED = -1
ESTATUS_SERVER_RESET = -3
RATIO = float(os.environ.get("SWOOLE_COMPAT_DEFER_RATIO", "2"))


async def test_defer(http_server) -> None:
    data = random_data_list(MAX_REQUESTS)
    served = iter(data)
    counter = 0

    async def handler(request: web.Request) -> web.StreamResponse:
        nonlocal counter
        counter += 1
        if counter <= MAX_REQUESTS:
            await asyncio.sleep(0.1 / MAX_REQUESTS)
            return web.Response(text=next(served))
        return close_without_reply(request)

    srv = await http_server(web.Application(), routes=[web.get("/", handler)])

    cli = Client("127.0.0.1", srv.port)
    cli.set({"timeout": 1})

    # normal
    for expected in data:
        assert await cli.get("/") is True
        assert cli.body == expected.encode()

    # failed when recv response
    retry_time = time.monotonic()
    for _ in range(MAX_REQUESTS):
        assert not await cli.get("/")
        assert cli.statusCode == ESTATUS_SERVER_RESET
        assert cli.errCode == errno.ECONNRESET
    retry_time = time.monotonic() - retry_time
    assert len(srv.requests) == 2 * MAX_REQUESTS

    await srv.kill()

    # failed when connect
    failed_time = time.monotonic()
    for _ in range(MAX_REQUESTS):
        assert not await cli.get("/")
        assert cli.errCode == errno.ECONNREFUSED
        assert cli.statusCode == ESTATUS_CONNECT_FAILED, cli.statusCode
    failed_time = time.monotonic() - failed_time

    assert retry_time > failed_time * RATIO, (retry_time, failed_time)
