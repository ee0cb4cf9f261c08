"""Port of tests/swoole_http_client_coro/write_func_2.phpt (swoole-src a281145a1): "swoole_http_client_coro: write func 1".

A server writes 16 random base64 chunks with 10-50 ms pauses; the ``write_func`` callback checks
each one and calls ``$client->close()`` after the 8th. The close is deferred (the client is
inside the callback), so ``get('/')`` returns false with ``statusCode`` -3 (SERVER_RESET).

Port: faithful

Deviations: the Swoole coroutine HTTP server becomes an aiohttp chunked streaming route. Added
asserts: ``close()`` inside the callback returns True, no chunk after the 8th is delivered,
errCode 0 / errMsg "" (client.md §7.7), the connection is closed afterwards and a later request
reconnects.
"""

from __future__ import annotations

import base64
import os
import random

from aiohttp import web

from support.http import chunked_handler

from swoole_compat import SWOOLE_HTTP_CLIENT_ESTATUS_SERVER_RESET
from swoole_compat.coroutine.http import Client

N = 16


async def test_write_func_2(http_server) -> None:
    chunks = [base64.b64encode(os.urandom(random.randint(256, 4096))) for _ in range(N)]
    srv = await http_server(web.Application(), routes=[web.get("/", chunked_handler(chunks, (0.01, 0.05)))])

    cli = Client("127.0.0.1", srv.port)
    index = 0
    close_results: list[bool] = []

    def write_func(client: Client, data: bytes) -> None:
        nonlocal index
        assert chunks[index] == data
        index += 1
        if index == N // 2:
            # reset connection
            close_results.append(client.close())

    assert cli.set({"write_func": write_func}) is True
    assert await cli.get("/") is False
    assert cli.getStatusCode() == SWOOLE_HTTP_CLIENT_ESTATUS_SERVER_RESET
    assert close_results == [True]
    assert index == N // 2
    assert cli.errCode == 0
    assert cli.errMsg == ""
    assert cli.body == b""
    assert cli.connected is False

    # the client is usable again (a new connection)
    index = 0
    assert cli.set({"write_func": lambda client, data: None}) is True
    assert await cli.get("/") is True
    assert cli.statusCode == 200
    assert srv.connections == 2
    cli.close()
