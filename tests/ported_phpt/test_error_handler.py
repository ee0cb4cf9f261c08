"""Port of tests/swoole_http_client_coro/error_handler.phpt (swoole-src a281145a1): "swoole_http_client_coro: error handler".

MAX_CONCURRENCY_MID defer clients each send ``get('/?c=<c>')`` and then ``recv()`` the random
string for ``c`` (matched through ``$cli->socket->fd``). The server is then shut down, closing
every connection; after 0.2 s each client, back in blocking mode (``setDefer(false)``), fails to
``get('/')`` with statusCode -1 (CONNECT_FAILED) and errCode ECONNREFUSED: the dead keep-alive
connection is noticed and the reconnect is refused.

Port: faithful

Deviations: the Swoole HTTP server (BASE, one worker, onShutdown closing every connection) is an
aiohttp server; shutdown is ``kill()`` (stop listening and abort every connection).
MAX_CONCURRENCY_MID uses the small pressure level. Added: ``get()`` returns true in defer mode,
every request came on its own connection, and no request reached the server after the kill.
"""

from __future__ import annotations

import asyncio
import errno

from aiohttp import web

from support.helpers import MAX_CONCURRENCY_MID, random_data_list
from support.http import close_without_reply

from swoole_compat.coroutine.http import Client

ESTATUS_CONNECT_FAILED = -1


async def test_error_handler(http_server) -> None:
    rdata = random_data_list(MAX_CONCURRENCY_MID)
    counter = 0

    async def handler(request: web.Request) -> web.StreamResponse:
        nonlocal counter
        counter += 1
        if counter <= MAX_CONCURRENCY_MID:
            return web.Response(text=rdata[int(request.query["c"])])
        return close_without_reply(request)

    srv = await http_server(web.Application(), routes=[web.get("/", handler)])

    cli_map: dict[int, Client] = {}
    data_map: dict[int, str] = {}
    for c in range(MAX_CONCURRENCY_MID - 1, -1, -1):
        cli_map[c] = cli = Client("127.0.0.1", srv.port)
        assert cli.setDefer(True) is True
        assert await cli.get(f"/?c={c}") is True
        data_map[cli.socket.fd] = rdata[c]
    assert len(data_map) == MAX_CONCURRENCY_MID
    for cli in cli_map.values():
        assert await cli.recv() is True
        assert cli.body == data_map[cli.socket.fd].encode()

    await srv.kill()
    await asyncio.sleep(0.2)

    # when we enable reconnect, we will get connect error
    for cli in cli_map.values():
        cli.setDefer(False)
        assert not await cli.get("/")
        assert cli.statusCode == ESTATUS_CONNECT_FAILED
        assert cli.errCode == errno.ECONNREFUSED
    assert len(srv.requests) == MAX_CONCURRENCY_MID
    assert srv.connections == MAX_CONCURRENCY_MID
