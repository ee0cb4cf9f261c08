"""Port of tests/swoole_http_client_coro/ssl_host_name.phpt (swoole-src a281145a1): "swoole_http_client_coro: https client with ssl_host_name".

A TLS GET ``/`` with ``ssl_host_name`` set returns status 200 and a non-empty body.

Port: re-targeted (httpcan.org:443 becomes a local TLS server reached by IP)

Deviations: httpcan.org is re-targeted to a local aiohttp server over TLS (trustme leaf). To show
that the SNI comes from the option and not from the host, the client connects to the IP literal
``127.0.0.1`` (which by itself sends no SNI) with ``ssl_host_name`` = ``httpcan.org``; the server
records the SNI and the test asserts it. Without ``ssl_verify_peer`` the name is not checked
against the certificate (it would not match), exactly as upstream.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from support.tls import SniRecorder

from swoole_compat.coroutine.http import Client


async def test_ssl_host_name(http_server: Any, sni_recorder: SniRecorder) -> None:
    async def index(request: web.Request) -> web.Response:
        return web.Response(text="<html>httpcan</html>", content_type="text/html")

    srv = await http_server(routes=[web.get("/", index)], ssl=sni_recorder.context)
    c = Client("127.0.0.1", srv.port, True)
    c.set({"timeout": 5, "ssl_host_name": "httpcan.org"})
    await c.get("/")
    assert len(c.body) > 0
    assert c.statusCode == 200
    assert c.body == b"<html>httpcan</html>"
    assert sni_recorder.names == ["httpcan.org"]
    # The Host header still follows the constructor host (the option only drives TLS).
    assert srv.requests[0].header("Host") == f"127.0.0.1:{srv.port}"
    c.close()
