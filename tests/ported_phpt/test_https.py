"""Port of tests/swoole_http_client_coro/https.phpt (swoole-src a281145a1): "swoole_http_client_coro: https client".

A TLS GET with custom request headers (Host, User-Agent, Accept, Accept-Encoding: gzip) succeeds;
upstream prints OK, or ERROR and the errCode.

Port: re-targeted (www.baidu.com:443 becomes a local TLS server)

Deviations: www.baidu.com:443 is re-targeted to a local aiohttp server over TLS (trustme leaf for
localhost); the client keeps upstream's default of no certificate verification. Added asserts:
the status, the body, the exact headers the server received and the TLS-ness of the connection.
"""

from __future__ import annotations

import ssl
from typing import Any

from aiohttp import web

from swoole_compat.coroutine.http import Client

HEADERS = {
    "Host": "www.baidu.com",
    "User-Agent": "Chrome/49.0.2587.3",
    "Accept": "text/html,application/xhtml+xml,application/xml",
    "Accept-Encoding": "gzip",
}


async def test_https(http_server: Any, tls_server_context: ssl.SSLContext) -> None:
    async def index(request: web.Request) -> web.Response:
        return web.Response(text="<html>baidu</html>", content_type="text/html")

    srv = await http_server(routes=[web.get("/", index)], ssl=tls_server_context)
    cli = Client("localhost", srv.port, True)
    cli.set({"timeout": 5})
    cli.setHeaders(HEADERS)
    ret = await cli.get("/")
    assert ret is True, f"ERROR {cli.errCode} {cli.errMsg}"  # upstream: echo "OK"
    assert cli.errCode == 0
    assert cli.statusCode == 200
    assert cli.body == b"<html>baidu</html>"
    assert cli.getPeerCert() is not False  # the connection really is TLS
    assert cli.close() is True

    assert len(srv.requests) == 1
    seen = srv.requests[0]
    assert seen.method == "GET"
    assert seen.target == "/"
    assert seen.headers == [
        ("Host", "www.baidu.com"),
        ("User-Agent", "Chrome/49.0.2587.3"),
        ("Accept", "text/html,application/xhtml+xml,application/xml"),
        ("Accept-Encoding", "gzip"),
        ("Connection", "keep-alive"),
    ]
