"""Port of tests/swoole_http_client_coro/get.phpt (swoole-src a281145a1): "swoole_http_client_coro: http client".

The client is used inside an HTTP server's request handler: the handler fetches an HTTPS site
with custom User-Agent/Accept/``Accept-Encoding: gzip`` headers, checks that ``$cli->socket`` is a
coroutine Socket, and answers "OK\\n" (or "ERROR:<errCode>\\n"); the outer ``httpGetBody()`` must
return "OK\\n".

Port: re-targeted (the HTTPS site fetched inside the handler becomes a second local TLS server)

Deviations: https://www.gov.cn/ is re-targeted to a second local aiohttp server over TLS
(trustme certificate for ``localhost``) that answers gzip-compressed HTML; ``Coroutine\\Socket``
is ``swoole_compat.coroutine.Socket``. The inner server also records that it got exactly the
user's Host header and the gzip-only Accept-Encoding, and the decoded body is checked in the
handler.
"""

from __future__ import annotations

from aiohttp import web

from support.helpers import http_get_body
from support.http import compressed_response

from swoole_compat.coroutine import Socket
from swoole_compat.coroutine.http import Client

DOMAIN = "localhost"
TEST_USER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/137.0.0.0 Safari/537.36"
)
PAGE = b"<!DOCTYPE html><html><head><title>gov.cn</title></head><body>" + b"x" * 4096 + b"</body></html>"


async def test_get(http_server, tls_server_context, assert_bag) -> None:
    async def site(request: web.Request) -> web.Response:
        return compressed_response(request, PAGE)

    remote = await http_server(web.Application(), routes=[web.get("/", site)], ssl=tls_server_context)

    async def handler(request: web.Request) -> web.Response:
        cli = Client(DOMAIN, remote.port, True)
        cli.set({"timeout": 10})
        cli.setHeaders(
            {
                "Host": DOMAIN,
                "User-Agent": TEST_USER_AGENT,
                "Accept": "text/html,application/xhtml+xml,application/xml",
                "Accept-Encoding": "gzip",
            }
        )
        ret = await cli.get("/")
        assert_bag.check(isinstance(cli.socket, Socket), f"cli.socket is {cli.socket!r}, not a Socket")
        if not ret:
            return web.Response(text=f"ERROR:{cli.errCode}\n")
        assert_bag.same(cli.statusCode, 200)
        assert_bag.same(cli.headers.get("content-encoding"), "gzip")
        assert_bag.same(cli.body, PAGE)
        cli.close()
        return web.Response(text="OK\n")

    outer = await http_server(web.Application(), routes=[web.get("/", handler)])
    assert await http_get_body(f"http://127.0.0.1:{outer.port}/") == b"OK\n"

    assert len(remote.requests) == 1
    seen = remote.requests[0]
    assert seen.header_all("Host") == [DOMAIN]
    assert seen.header_all("Accept-Encoding") == ["gzip"]
    assert seen.header_all("User-Agent") == [TEST_USER_AGENT]
