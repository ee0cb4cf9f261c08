"""Port of tests/swoole_http_client_coro/lowercase_header.phpt (swoole-src a281145a1): "swoole_http_client_coro: lowercase header".

The server sends ``Hello-world: swoole`` (case preserved). With ``lowercase_header`` false the
headers have the key ``Hello-world`` and not ``hello-world``; by default only ``hello-world``.

Port: faithful

Deviations: the Swoole HTTP server (``header(..., format=false)``) is an aiohttp handler, which
writes header names in the case given; the values are asserted too.
"""

from __future__ import annotations

from aiohttp import web

from swoole_compat.coroutine.http import Client


async def test_lowercase_header(http_server) -> None:
    async def index(request: web.Request) -> web.Response:
        response = web.Response(body=b"")
        response.headers["Hello-world"] = "swoole"
        return response

    srv = await http_server(web.Application(), routes=[web.get("/", index)])

    cli = Client("127.0.0.1", srv.port, False)
    cli.set({"timeout": 10, "lowercase_header": False})
    assert await cli.get("/")
    assert "Hello-world" in cli.getHeaders()
    assert "hello-world" not in cli.getHeaders()
    assert cli.getHeaders()["Hello-world"] == "swoole"
    cli.close()

    cli = Client("127.0.0.1", srv.port, False)
    assert await cli.get("/")
    assert "Hello-world" not in cli.getHeaders()
    assert "hello-world" in cli.getHeaders()
    assert cli.getHeaders()["hello-world"] == "swoole"
    assert all(name == name.lower() for name in cli.getHeaders())
    cli.close()
