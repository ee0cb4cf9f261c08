"""Port of tests/swoole_http_client_coro/204.phpt (swoole-src a281145a1): "swoole_http_client_coro: http 204 no content".

``post('/status/204', [])`` with custom Host/User-Agent/Accept/Accept-Encoding headers returns
true, statusCode 204 and an empty body (no body is read after a 204).

Port: re-targeted (httpbin.org becomes the local httpbin-like app)

Deviations: httpbin.org is re-targeted to the local httpbin-like app (HB); the request bytes the
server received are asserted too (empty urlencoded form: ``Content-Type:
application/x-www-form-urlencoded`` + ``Content-Length: 0``; the user's Host replaces the
automatic one), and a second request on the same keep-alive connection checks that nothing was
left unread after the 204. A RAW case adds a 204 that (wrongly) advertises ``Content-Length: 5``:
the client must not wait for those bytes.
"""

from __future__ import annotations

import asyncio

from support.raw import read_request_head

from swoole_compat.coroutine.http import Client

DOMAIN = "httpbin.org"
HEADERS = {
    "Host": DOMAIN,
    "User-Agent": "Chrome/49.0.2587.3",
    "Accept": "text/html,application/xhtml+xml,application/xml",
    "Accept-Encoding": "gzip",
}


async def test_204_no_content(httpbin) -> None:
    cli = Client("127.0.0.1", httpbin.port)
    cli.set({"timeout": 5})
    cli.setHeaders(dict(HEADERS))
    assert await cli.post("/status/204", []) is True
    assert cli.statusCode == 204
    assert cli.body == b""
    assert cli.errCode == 0

    request = httpbin.requests[-1]
    assert request.method == "POST"
    assert request.target == "/status/204"
    assert request.header_all("Host") == [DOMAIN]
    assert request.header_all("Accept-Encoding") == ["gzip"]
    assert request.header_all("User-Agent") == [HEADERS["User-Agent"]]
    assert request.header_all("Content-Type") == ["application/x-www-form-urlencoded"]
    assert request.header_all("Content-Length") == ["0"]

    # The 204 left nothing behind on the connection: the next request reuses it and gets its own answer.
    assert await cli.post("/status/204", []) is True
    assert cli.statusCode == 204
    assert cli.body == b""
    assert await cli.get("/status/200") is True
    assert cli.statusCode == 200
    assert httpbin.connections == 1
    assert [r.conn_index for r in httpbin.requests] == [0, 0, 0]
    cli.close()


async def test_204_ignores_content_length(raw_server) -> None:
    async def handler(reader, writer) -> None:
        while True:
            try:
                head = await read_request_head(reader)
            except asyncio.IncompleteReadError:
                return
            if head.startswith(b"POST /status/204 "):
                writer.write(b"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n")
            else:
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nnext")
            await writer.drain()

    srv = await raw_server(handler)
    cli = Client("127.0.0.1", srv.port)
    cli.set({"timeout": 2})
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await cli.post("/status/204", []) is True
    assert loop.time() - started < 1.0
    assert cli.statusCode == 204
    assert cli.body == b""
    assert await cli.get("/next") is True
    assert cli.body == b"next"
    assert srv.connections == 1
    cli.close()
