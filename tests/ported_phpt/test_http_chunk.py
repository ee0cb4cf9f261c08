"""Port of tests/swoole_http_client_coro/http_chunk.phpt (swoole-src a281145a1): "swoole_http_client_coro: http chunk".

A server handler ``write()``s 8 base64 chunks (of 256-4096 random bytes each) with 1-5 ms pauses
and never calls ``end()``; the client's ``get('/')`` succeeds and ``getBody()`` is the
concatenation of the chunks (chunked transfer coding removed).

Port: faithful

Deviations: the Swoole coroutine HTTP server is an aiohttp server streaming the same chunks with
chunked encoding (``chunked_handler``). Added: the response really was chunked (no
Content-Length) and the status is 200.
"""

from __future__ import annotations

import base64
import os
import random

from aiohttp import web

from support.http import chunked_handler

from swoole_compat.coroutine.http import Client

N = 8


async def test_http_chunk(http_server) -> None:
    chunks = [base64.b64encode(os.urandom(random.randint(256, 4096))) for _ in range(N)]
    body = b"".join(chunks)

    srv = await http_server(web.Application(), routes=[web.get("/", chunked_handler(chunks, (0.001, 0.005)))])

    cli = Client("127.0.0.1", srv.port)
    assert await cli.get("/") is True
    assert cli.getBody() == body
    assert cli.statusCode == 200
    assert cli.headers["transfer-encoding"] == "chunked"
    assert "content-length" not in cli.headers
    cli.close()
