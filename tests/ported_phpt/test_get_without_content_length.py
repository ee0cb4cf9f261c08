"""Port of tests/swoole_http_client_coro/get_without_content_length.phpt (swoole-src a281145a1): "swoole_http_client_coro: http GET without Content-Length header".

The client sends ``Connection: close`` and ``Accept: */*``; the server answers 200 with neither
Content-Length nor chunked coding and ``Connection: close``, then writes 6 pieces of 1-2 KiB
0.1 s apart and closes. ``get()`` is true, statusCode 200, and the body (delimited by EOF) is
larger than 5 KiB.

Port: faithful

Deviations: the raw Swoole server is a RAW script (a real server would add framing); the body is
compared byte for byte with what was sent, and the request head is checked for the user's
``Connection: close`` (no second Connection header).
"""

from __future__ import annotations

import asyncio
import random

from support.raw import read_request_head

from swoole_compat.coroutine.http import Client


async def test_get_without_content_length(raw_server) -> None:
    sent: list[bytes] = []

    async def handler(reader, writer) -> None:
        await read_request_head(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n")
        await writer.drain()
        for _ in range(6):
            await asyncio.sleep(0.1)
            piece = b"A" * random.randint(1024, 2048)
            sent.append(piece)
            writer.write(piece)
            await writer.drain()
        # returning closes the connection

    srv = await raw_server(handler)
    cli = Client("127.0.0.1", srv.port)
    cli.set({"timeout": 10})
    cli.setHeaders({"Connection": "close", "Accept": "*/*"})
    ret = await cli.get("/")
    assert ret is True
    assert cli.statusCode == 200
    assert len(cli.body) > 1024 * 5
    assert cli.body == b"".join(sent)
    assert cli.errCode == 0
    assert "content-length" not in cli.headers
    assert cli.headers["connection"] == "close"
    assert cli.connected is False

    head = srv.requests[0].decode("latin-1")
    lines = head.split("\r\n")
    assert lines[0] == "GET / HTTP/1.1"
    assert [line for line in lines if line.lower().startswith("connection:")] == ["Connection: close"]
    assert "Accept: */*" in lines
