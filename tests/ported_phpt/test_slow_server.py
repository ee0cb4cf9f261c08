"""Port of tests/swoole_http_client_coro/slow_server.phpt (swoole-src a281145a1): "swoole_http_client_coro: slow server".

A raw server writes a complete response (``Server: nginx``, ``Content-Type: text/html``,
``Connection: close``, ``Content-Length: N``, ``X-Server: swoole``, then a base64 body) in 5-byte
pieces with 100 microsecond pauses. The client gets 200, a body larger than 5 KiB, the headers
``server``/``x-server``/``content-type``, and ``content-length`` equal to the body length.

Port: faithful

Deviations: the body is base64 of 3900-4800 random bytes, i.e. 5.2-6.4 KB (upstream up to 64 KiB
of random bytes), so the ~1300 trickled pieces stay around a second; the body is compared with
what was sent.
"""

from __future__ import annotations

import base64
import os
import random

from support.raw import read_request_head, trickle

from swoole_compat.coroutine.http import Client


async def test_slow_server(raw_server) -> None:
    html = base64.b64encode(os.urandom(random.randint(3900, 4800)))

    async def handler(reader, writer) -> None:
        await read_request_head(reader)
        data = (
            b"HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: text/html\r\nConnection: close\r\n"
            b"Content-Length: %d\r\nX-Server: swoole\r\n\r\n" % len(html)
        ) + html
        await trickle(writer, data, piece=5, delay=0.0001)

    srv = await raw_server(handler)
    cli = Client("127.0.0.1", srv.port)
    cli.set({"timeout": 10})
    cli.setHeaders({"Connection": "close", "Accept": "*/*"})
    ret = await cli.get("/")
    assert ret is True
    assert cli.statusCode == 200
    assert len(cli.body) > 1024 * 5
    assert cli.headers["server"] == "nginx"
    assert cli.headers["x-server"] == "swoole"
    assert cli.headers["content-type"] == "text/html"
    assert int(cli.headers["content-length"]) == len(cli.body)
    assert cli.body == html
    cli.close()
