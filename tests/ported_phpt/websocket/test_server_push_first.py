"""Port of tests/swoole_http_client_coro/websocket/server_push_first.phpt (swoole-src a281145a1): "swoole_http_client_coro/websocket: websocket server push first".

Right after the upgrade the server pushes two random base64 messages (one random length shared
by both). ``MAX_CONCURRENCY_LOW`` clients (``timeout`` 5) each ``upgrade('/websocket')`` and
``recv()`` both messages in order; then "DONE".

Port: faithful

Deviations: upstream's Coroutine HTTP server becomes the WSF fixture, run twice: one instance
writes both frames **in the same write as the 101** (so they reach the client together with the
handshake response, W14), the other writes them right after the 101 in separate writes; half of
the clients use each. The random length is 1 KiB–256 KiB instead of 1 KiB–1 MiB (test speed);
``MAX_CONCURRENCY_LOW`` comes from ``support.helpers`` (pressure level).
"""

from __future__ import annotations

import asyncio
import base64
import os
import random

from support.helpers import MAX_CONCURRENCY_LOW
from support.ws import OP_TEXT, WSConnection, encode_frame, pushing

from swoole_compat.coroutine.http import Client


def random_data_array(count: int) -> list[str]:
    """``$pm->initRandomDataArray(n, 0, true)``: one random length, base64 of random bytes."""
    length = random.randint(1024, 256 * 1024)
    return [base64.b64encode(os.urandom(length)).decode() for _ in range(count)]


async def test_server_push_first(ws_server) -> None:
    data = random_data_array(2)

    def first_frames(conn: WSConnection) -> bytes:
        return encode_frame(OP_TEXT, data[0].encode()) + encode_frame(OP_TEXT, data[1].encode())

    async def rest(conn: WSConnection) -> None:
        await conn.wait_closed(timeout=None)

    same_write = await ws_server(rest, first_frames=first_frames)
    separate = await ws_server(pushing(data[0], data[1]))

    async def one_client(port: int) -> bool:
        cli = Client("127.0.0.1", port)
        cli.set({"timeout": 5})
        ret = await cli.upgrade("/websocket")
        assert ret and cli.statusCode == 101
        ret = await cli.recv()
        assert ret.data == data[0].encode()
        ret = await cli.recv()
        assert ret.data == data[1].encode()
        cli.close()
        return True

    ports = [same_write.port if i % 2 == 0 else separate.port for i in range(MAX_CONCURRENCY_LOW)]
    done = await asyncio.gather(*(one_client(port) for port in ports))
    assert done == [True] * MAX_CONCURRENCY_LOW  # "DONE"
    assert same_write.connections + separate.connections == MAX_CONCURRENCY_LOW
    assert all(r.target == "/websocket" for r in same_write.requests + separate.requests)
