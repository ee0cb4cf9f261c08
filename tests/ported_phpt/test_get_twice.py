"""Port of tests/swoole_http_client_coro/get_twice.phpt (swoole-src a281145a1): "swoole_http_client_coro: get twice".

Two TLS GETs with a random ``/index.php?email=...`` query, each followed by ``close()``, both
return true with status 200: after an explicit close the next request reconnects.

Port: re-targeted (www.baidu.com:443 becomes a local TLS server)

Deviations: www.baidu.com:443 is re-targeted to a local aiohttp server over TLS (trustme leaf for
``localhost``). Added: the server saw both paths verbatim, on two different connections, and
``connected`` follows close().
"""

from __future__ import annotations

import hashlib
import random
import time

from aiohttp import web

from swoole_compat.coroutine.http import Client

N = 2


def random_path() -> str:
    rand = random.randint(100000, 999999999)
    return f"/index.php?email={rand}@{hashlib.md5(str(time.time()).encode()).hexdigest()[:8]}.com"


async def test_get_twice(http_server, tls_server_context) -> None:
    async def index(request: web.Request) -> web.Response:
        return web.Response(text=f"<html>baidu {request.query['email']}</html>", content_type="text/html")

    srv = await http_server(web.Application(), routes=[web.get("/index.php", index)], ssl=tls_server_context)

    client = Client("localhost", srv.port, True)
    client.set({"timeout": 5})
    paths = []
    for _ in range(N):
        path = random_path()
        paths.append(path)
        result = await client.get(path)
        assert result is True, f"ERROR: {client.getStatusCode()} {client.errCode} {client.errMsg}"
        assert client.getStatusCode() == 200
        assert client.body == f"<html>baidu {path.split('=', 1)[1]}</html>".encode()
        assert client.connected is True
        assert client.close() is True
        assert client.connected is False

    assert [r.target for r in srv.requests] == paths
    assert srv.connections == N
    assert [r.conn_index for r in srv.requests] == list(range(N))
