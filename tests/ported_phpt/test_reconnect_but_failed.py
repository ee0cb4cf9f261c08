"""Port of tests/swoole_http_client_coro/reconnect_but_failed.phpt (swoole-src a281145a1): "swoole_http_client_coro: reconnect but failed".

The server alternately closes the connection without replying (odd requests) and answers with
the next random string (even requests). With ``timeout`` 1 and the default ``max_retries`` 0,
``get()`` results alternate false/true (``ret == !(n % 2)`` with n counting down from
MAX_REQUESTS-1): a failed request is not retried. After the server is killed, every ``get()``
fails with errCode ECONNREFUSED and statusCode -1 (CONNECT_FAILED).

Port: faithful

Deviations: the Swoole HTTP server (BASE, one worker, counter) is an aiohttp server whose handler
closes the transport instead of answering on odd requests; "kill" closes the listener and aborts
the connections. MAX_REQUESTS uses the small pressure level. Added: each failed request reports
statusCode -3 with errCode ECONNRESET (peer closed before the response), and exactly one request
reached the server per ``get()``.
"""

from __future__ import annotations

import asyncio
import errno

from aiohttp import web

from support.helpers import MAX_REQUESTS, random_data_list
from support.http import close_without_reply

from swoole_compat.coroutine.http import Client

ESTATUS_CONNECT_FAILED = -1
ESTATUS_SERVER_RESET = -3


async def test_reconnect_but_failed(http_server) -> None:
    data = random_data_list(MAX_REQUESTS)
    served = iter(data)
    counter = 0

    async def handler(request: web.Request) -> web.StreamResponse:
        nonlocal counter
        counter += 1
        if counter % 2:
            return close_without_reply(request)
        return web.Response(text=next(served))

    srv = await http_server(web.Application(), routes=[web.get("/", handler)])
    expected = iter(data)

    cli = Client("127.0.0.1", srv.port)
    cli.set({"timeout": 1})
    for n in range(MAX_REQUESTS - 1, -1, -1):
        ret = await cli.get("/")
        assert ret is (not n % 2), (n, cli.errCode, cli.errMsg, cli.statusCode)
        if ret:
            assert cli.statusCode == 200
            assert cli.body == next(expected).encode()
        else:
            assert cli.statusCode == ESTATUS_SERVER_RESET
            assert cli.errCode == errno.ECONNRESET
            assert cli.body == b""
    assert len(srv.requests) == MAX_REQUESTS  # no automatic resend

    await srv.kill()
    await asyncio.sleep(0.1)

    assert not await cli.get("/")
    assert cli.errCode == errno.ECONNREFUSED
    assert cli.statusCode == ESTATUS_CONNECT_FAILED
    for _ in range(MAX_REQUESTS):
        assert not await cli.get("/")
        assert cli.errCode == errno.ECONNREFUSED
        assert cli.statusCode == ESTATUS_CONNECT_FAILED
