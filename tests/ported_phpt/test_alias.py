"""Port of tests/swoole_http_client_coro/alias.phpt (swoole-src a281145a1): "swoole_http_client_coro: alias".

Over TLS with ``ssl_host_name``, the getter aliases work: ``getBody()`` contains the site marker,
``getStatusCode()`` is 200, ``getHeaders()`` has more than 5 entries and ``getCookies()`` more
than 2; each getter returns its property.

Port: re-targeted (www.baidu.com:443 becomes a local TLS server)

Deviations: www.baidu.com:443 is re-targeted to a local aiohttp TLS server (trustme certificate
for ``localhost``) that sends 3 cookies, extra headers and a body containing ``baidu.com``; the
SNI sent (``ssl_host_name``) is asserted.
"""

from __future__ import annotations

from aiohttp import web

from support.helpers import safe_random

from swoole_compat.coroutine.http import Client

DOMAIN = "localhost"


async def test_alias(http_server, sni_recorder) -> None:
    async def index(request: web.Request) -> web.Response:
        response = web.Response(
            text="<html><head><title>baidu.com</title></head><body>www.baidu.com</body></html>",
            content_type="text/html",
        )
        response.headers["X-Powered-By"] = "swoole-compat-tests"
        response.headers["Cache-Control"] = "private"
        response.set_cookie("BAIDUID", "ABC123FG1", path="/")
        response.set_cookie("BIDUPSID", "ABC123", path="/")
        response.set_cookie("PSTM", "1700000000", path="/")
        return response

    srv = await http_server(web.Application(), routes=[web.get("/", index)], ssl=sni_recorder.context)
    cli = Client(DOMAIN, srv.port, True)
    cli.set({"timeout": 10, "ssl_host_name": DOMAIN})
    safe_random(16)  # upstream draws a random value it never uses
    assert await cli.get("/") is True
    assert b"baidu.com" in cli.getBody()
    assert cli.getStatusCode() == 200
    assert len(cli.getHeaders()) > 5
    assert len(cli.getCookies()) > 2

    # The getters are aliases of the public properties.
    assert cli.getBody() is cli.body
    assert cli.getStatusCode() == cli.statusCode
    assert cli.getHeaders() is cli.headers
    assert cli.getCookies() is cli.cookies
    assert cli.getCookies() == {"BAIDUID": "ABC123FG1", "BIDUPSID": "ABC123", "PSTM": "1700000000"}
    assert sni_recorder.names == [DOMAIN]
    cli.close()
