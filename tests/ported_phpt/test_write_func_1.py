"""Port of tests/swoole_http_client_coro/write_func_1.phpt (swoole-src a281145a1): "swoole_http_client_coro: write func 1".

A server writes 8 random base64 chunks (a chunked response) with 10-50 ms pauses; the
``write_func`` callback receives each chunk exactly as written (call i == chunk i) and
``get('/')`` returns true.

Port: faithful

Deviations: the Swoole coroutine HTTP server becomes an aiohttp chunked streaming route. Added
asserts: exactly 8 calls, each with the client object and ``bytes`` data, ``body`` stays empty,
and status 200.
"""

from __future__ import annotations

import base64
import os
import random

from aiohttp import web

from support.http import chunked_handler

from swoole_compat.coroutine.http import Client

N = 8


async def test_write_func_1(http_server) -> None:
    chunks = [base64.b64encode(os.urandom(random.randint(256, 4096))) for _ in range(N)]
    srv = await http_server(web.Application(), routes=[web.get("/", chunked_handler(chunks, (0.01, 0.05)))])

    cli = Client("127.0.0.1", srv.port)
    index = 0
    calls: list[tuple[object, bytes]] = []

    def write_func(client: Client, data: bytes) -> None:
        nonlocal index
        calls.append((client, data))
        assert chunks[index] == data
        index += 1

    assert cli.set({"write_func": write_func}) is True
    assert await cli.get("/") is True
    assert index == N
    assert all(client is cli and type(data) is bytes for client, data in calls)
    assert cli.statusCode == 200
    assert cli.body == b""
    cli.close()
