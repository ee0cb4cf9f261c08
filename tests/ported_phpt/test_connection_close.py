"""Port of tests/swoole_http_client_coro/connection_close.phpt (swoole-src a281145a1): "swoole_http_client_coro: connection close".

``get('/close')`` (the server adds ``connection: close`` and closes) and then ``get('/keep_alive')``
on the same client both succeed; each ``getHeaders()`` is exactly Swoole's five headers in
Swoole's order, and ``errMsg`` is ``""`` after ``close()``.

Port: faithful

Deviations: the Swoole HTTP server is a RAW script that writes Swoole's response layout
(``support.http1.swoole_response``: user headers first, then ``Server``, ``Date``,
``Connection``, ``Content-Type``, ``Content-Length``) because the test asserts the exact header
order, which aiohttp does not reproduce; like Swoole it closes the connection after a
``Connection: close`` response. Added: the second request reconnects (two connections).
"""

from __future__ import annotations

import re

from support.http1 import try_read_request
from support.listener import close_writer
from support.raw import swoole_response

from swoole_compat.coroutine.http import Client

DATE = re.compile(r"^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$")


async def test_connection_close(raw_server) -> None:
    async def handler(reader, writer) -> None:
        while True:
            request = await try_read_request(reader)
            if request is None:
                return
            if request.path == "/close":
                # $response->header('connection', 'close'); $response->end();
                writer.write(swoole_response(b"", headers=[("connection", "close")]))
                await writer.drain()
                close_writer(writer)
                return
            writer.write(swoole_response(b""))
            await writer.drain()

    srv = await raw_server(handler)
    client = Client("127.0.0.1", srv.port)

    assert await client.get("/close") is True
    headers = client.getHeaders()
    assert list(headers) == ["connection", "server", "date", "content-type", "content-length"]
    assert headers["connection"] == "close"
    assert headers["server"] == "swoole-http-server"
    assert DATE.match(headers["date"])
    assert headers["content-type"] == "text/html"
    assert headers["content-length"] == "0"

    assert await client.get("/keep_alive") is True
    headers = client.getHeaders()
    assert list(headers) == ["server", "date", "connection", "content-type", "content-length"]
    assert headers["server"] == "swoole-http-server"
    assert DATE.match(headers["date"])
    assert headers["connection"] == "keep-alive"
    assert headers["content-type"] == "text/html"
    assert headers["content-length"] == "0"
    assert client.close() is True

    assert client.errMsg == ""
    assert client.statusCode == 200
    assert client.body == b""
    # The "Connection: close" response ended the first connection; the second request reconnected.
    assert srv.connections == 2
    assert [head.split(b" ", 2)[1] for head in srv.requests] == [b"/close", b"/keep_alive"]
