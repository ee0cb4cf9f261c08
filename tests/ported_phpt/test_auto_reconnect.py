"""Port of tests/swoole_http_client_coro/auto_reconnect.phpt (swoole-src a281145a1): "swoole_http_client_coro: auto reconnect".

With ``timeout`` -1 (no limit), MAX_REQUESTS sequential ``get('/')`` calls 5 ms apart all succeed
and return the next random string, although the server closes the connection 1 ms after every
response: the liveness check before each send must notice the dead keep-alive connection and
reconnect silently.

Port: faithful

Deviations: the Swoole HTTP server (BASE, one worker) is an aiohttp server whose handler answers,
waits 1 ms and closes the connection; MAX_REQUESTS uses the small pressure level. Server and
client share one event loop, so a stall of the loop could let the client's 5 ms pause end in the
same iteration as the server's 1 ms pause, before the server socket is really closed; the client
therefore also waits, after its 5 ms pause, until the server has closed the connection, which is
the ordering upstream relies on. Added: errCode 0 after each request, and one TCP connection per
request.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from support.helpers import MAX_REQUESTS, random_data_list

from swoole_compat.coroutine.http import Client


async def test_auto_reconnect(http_server) -> None:
    data = random_data_list(MAX_REQUESTS)
    served = iter(data)
    closed = asyncio.Event()

    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.Response(text=next(served))
        await response.prepare(request)
        await response.write_eof()
        await asyncio.sleep(0.001)
        request.transport.close()  # $server->close($request->fd)
        await asyncio.sleep(0)  # the transport closes its socket on the next loop iteration
        closed.set()
        return response

    srv = await http_server(web.Application(), routes=[web.get("/", handler)])

    cli = Client("127.0.0.1", srv.port)
    cli.set({"timeout": -1})
    for expected in data:
        assert await cli.get("/") is True, (cli.errCode, cli.errMsg, cli.statusCode)
        assert cli.statusCode == 200
        assert cli.errCode == 0
        assert cli.body == expected.encode()
        await asyncio.sleep(0.005)
        await asyncio.wait_for(closed.wait(), 1)
        closed.clear()
    cli.close()

    assert len(srv.requests) == MAX_REQUESTS
    # Every request came on a fresh connection: the server had closed the previous one.
    assert srv.connections == MAX_REQUESTS
    assert [r.conn_index for r in srv.requests] == list(range(MAX_REQUESTS))
