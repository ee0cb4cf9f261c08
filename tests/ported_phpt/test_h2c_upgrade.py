"""Port of tests/swoole_http_client_coro/h2c_upgrade.phpt (swoole-src a281145a1): "swoole_http_client_coro: upgrade bug".

A TLS GET with a lower-case ``host`` header (it must replace the automatic Host, not be sent
beside it) and browser-like headers, against a server that advertises ``Upgrade: h2,h2c`` with
``Connection: Upgrade`` on an ordinary 200 response: the response is handled as a normal one and
the body contains the host name.

Port: re-targeted (httpbingo.org:443 becomes a local TLS server sending Upgrade: h2,h2c)

Deviations: httpbingo.org:443 is re-targeted to a local aiohttp TLS server (trustme certificate
for ``localhost``) answering 200 + ``Upgrade: h2,h2c`` + ``Connection: Upgrade`` with a gzip body
that echoes the Host header. Added: exactly one Host header (the user's value) reached the
server, and the connection stays usable for a second request (it was not switched to anything).
"""

from __future__ import annotations

from aiohttp import web

from support.http import compressed_response

from swoole_compat.coroutine.http import Client

HOST = "localhost"
HEADERS = {
    "host": HOST,  # wrong case auto fix
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,image/webp,image/apng,*/*;q=0.8",
    "Accept-Language": "zh-CN,zh;q=0.9",
    "User-Agent": (
        "Mozilla/5.0 (Windows NT 10.0; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/63.0.3239.26 Safari/537.36 Core/1.63.5478.400 QQBrowser/10.1.1550.400"
    ),
    "Accept-Encoding": "gzip",
}


async def test_h2c_upgrade(http_server, tls_server_context) -> None:
    async def index(request: web.Request) -> web.Response:
        page = f"<html><body>Welcome to {request.headers.get('Host', '')}!</body></html>".encode()
        response = compressed_response(request, page)
        response.headers["Upgrade"] = "h2,h2c"
        response.headers["Connection"] = "Upgrade"
        return response

    srv = await http_server(web.Application(), routes=[web.get("/", index)], ssl=tls_server_context)
    cli = Client(HOST, srv.port, True)
    cli.set({"timeout": 10})
    cli.setHeaders(dict(HEADERS))
    ret = await cli.get("/")
    assert ret is True
    assert cli.statusCode == 200
    assert f"Welcome to {HOST}!".encode() in cli.body
    assert cli.headers["upgrade"] == "h2,h2c"
    assert cli.headers["connection"] == "Upgrade"
    assert cli.headers["content-encoding"] == "gzip"

    request = srv.requests[0]
    assert request.header_all("Host") == [HOST]
    assert request.headers[0] == ("Host", HOST)  # the user's value, on the Host line in first position

    # Still a plain HTTP/1.1 keep-alive connection.
    assert cli.connected is True
    assert await cli.get("/") is True
    assert cli.statusCode == 200
    assert srv.connections == 1
    cli.close()
