"""Port of tests/swoole_http_client_coro/defer_02.phpt (swoole-src a281145a1): "swoole_http_client_coro: defer concurrency".

MAX_CONCURRENCY clients in defer mode each send ``get('/?n=<n>')``, which returns true as soon as
the request is written; afterwards each ``recv()`` gets status 200 and the 1-8 KiB random string
the server holds for ``n``.

Port: faithful

Deviations: the Swoole HTTP server (BASE, one worker) is an aiohttp server; MAX_CONCURRENCY uses
the small pressure level. Added: before ``recv()`` a deferred client has statusCode 0 and an
empty body; ``recv()`` returns true.
"""

from __future__ import annotations

import random

from aiohttp import web

from support.helpers import MAX_CONCURRENCY, safe_random

from swoole_compat.coroutine.http import Client


async def test_defer_02(http_server) -> None:
    random_data = [safe_random(random.randint(1024, 8192)) for _ in range(MAX_CONCURRENCY)]

    async def handler(request: web.Request) -> web.Response:
        return web.Response(text=random_data[int(request.query["n"])])

    srv = await http_server(web.Application(), routes=[web.get("/", handler)])

    clients: dict[int, Client] = {}
    # normal
    for n in range(MAX_CONCURRENCY - 1, -1, -1):
        cli = Client("127.0.0.1", srv.port)
        cli.set({"timeout": 1})
        assert cli.setDefer() is True
        clients[n] = cli
        retval = await cli.get(f"/?n={n}")
        assert retval is True, cli.errCode
        assert cli.statusCode == 0
        assert cli.body == b""
    for n in range(MAX_CONCURRENCY - 1, -1, -1):
        cli = clients[n]
        assert await cli.recv() is True
        assert cli.statusCode == 200
        assert cli.body == random_data[n].encode()
        cli.close()
    assert srv.connections == MAX_CONCURRENCY
