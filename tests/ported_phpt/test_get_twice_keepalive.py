"""Port of tests/swoole_http_client_coro/get_twice_keepalive.phpt (swoole-src a281145a1): "swoole_http_client_coro: get twice and keepalive".

Two TLS GETs with a random ``/index.php?email=...`` query on one client, without ``close()``:
both return true with status 200 and the keep-alive connection is reused.

Port: re-targeted (www.baidu.com:443 becomes a local TLS server)

Deviations: www.baidu.com:443 is re-targeted to a local aiohttp server over TLS (trustme leaf for
``localhost``). Added: exactly one TCP connection carried both requests, each announcing
``Connection: keep-alive``.
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


async def test_get_twice_keepalive(http_server, tls_server_context) -> None:
    async def index(request: web.Request) -> web.Response:
        return web.Response(text=f"<html>baidu {request.query['email']}</html>", content_type="text/html")

    srv = await http_server(web.Application(), routes=[web.get("/index.php", index)], ssl=tls_server_context)

    client = Client("localhost", srv.port, True)
    client.set({"timeout": 5})
    paths = []
    for _ in range(N):
        path = random_path()
        paths.append(path)
        assert await client.get(path) is True, (client.errCode, client.errMsg, client.statusCode)
        assert client.getStatusCode() == 200
        assert client.body == f"<html>baidu {path.split('=', 1)[1]}</html>".encode()
    client.close()

    assert [r.target for r in srv.requests] == paths
    assert srv.connections == 1
    assert [r.conn_index for r in srv.requests] == [0] * N
    assert all(r.header_all("Connection") == ["keep-alive"] for r in srv.requests)
