"""Port of tests/swoole_http_client_coro/head_method.phpt (swoole-src a281145a1): "swoole_http_client_coro: http client with HEAD method".

``setMethod('HEAD')`` followed by ``get('/')`` gives statusCode 200 and non-empty headers. Quirk:
``get()`` forces the method to GET, so upstream really sends a GET.

Port: re-targeted (www.baidu.com:80 becomes a local server)

Deviations: www.baidu.com:80 is re-targeted to a local aiohttp server. The quirk is asserted (the
server sees GET), and a real HEAD is added (``setMethod('HEAD')`` + ``execute('/')``): the response
advertises a non-zero Content-Length, the body stays empty, nothing hangs, and the keep-alive
connection remains usable.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from swoole_compat.coroutine.http import Client

PAGE = b"<html><body>" + b"baidu " * 100 + b"</body></html>"


async def test_head_method(http_server) -> None:
    async def index(request: web.Request) -> web.Response:
        return web.Response(body=PAGE, content_type="text/html")

    srv = await http_server(web.Application(), routes=[web.route("*", "/", index)])
    cli = Client("127.0.0.1", srv.port)
    cli.set({"timeout": 10})
    cli.setMethod("HEAD")
    await cli.get("/")
    assert cli.statusCode == 200
    assert len(cli.headers) > 0
    # get() overrode the method: a GET went out and the body was read.
    assert srv.requests[-1].method == "GET"
    assert cli.requestMethod == "GET"
    assert cli.body == PAGE
    cli.close()


async def test_real_head_request(http_server) -> None:
    async def index(request: web.Request) -> web.Response:
        return web.Response(body=PAGE, content_type="text/html")

    srv = await http_server(web.Application(), routes=[web.route("*", "/", index)])
    cli = Client("127.0.0.1", srv.port)
    cli.set({"timeout": 10})
    cli.setMethod("HEAD")
    assert await asyncio.wait_for(cli.execute("/"), 3) is True
    assert srv.requests[-1].method == "HEAD"
    assert cli.statusCode == 200
    assert int(cli.headers["content-length"]) == len(PAGE)
    assert cli.body == b""

    # Nothing was left unread: the next request on the same connection gets its own response.
    assert await cli.get("/") is True
    assert cli.body == PAGE
    assert srv.connections == 1
    cli.close()
