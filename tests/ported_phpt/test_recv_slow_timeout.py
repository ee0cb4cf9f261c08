"""Port of tests/swoole_http_client_coro/recv_slow_timeout.phpt (swoole-src a281145a1): "swoole_http_client_coro: recv_all data from slow server".

MAX_CONCURRENCY_LOW concurrent clients with ``timeout`` 1 request ``/`` from a server that sends a
~290-byte response head one byte at a time with random 10-800 ms pauses, so it never finishes in
time although no pause reaches the timeout. Each ``get()`` fails after about 1 s with errCode
ETIMEDOUT and statusCode -2 (REQUEST_TIMEOUT): ``timeout`` is a total deadline for the response,
not an idle timeout.

Port: faithful

Deviations: the raw coroutine socket server is a RAW script (same bytes, same pauses);
MAX_CONCURRENCY_LOW uses the small pressure level. Timing uses upstream's +/-10 % window (widened
only through ``SWOOLE_COMPAT_TIME_TOLERANCE``); every ``get()`` is bounded at 3 s so that an
idle-timeout implementation fails fast instead of hanging. Added: the server had sent some, but
not all, of the head when the client gave up, and ``body`` is empty.
"""

from __future__ import annotations

import asyncio
import errno
import random
import time

from support.helpers import MAX_CONCURRENCY_LOW, time_approximate
from support.raw import read_request_head

from swoole_compat.coroutine.http import Client

ESTATUS_REQUEST_TIMEOUT = -2
DATA = (
    b"HTTP/1.1 200 OK\r\n"
    b"Connection: keep-alive\r\n"
    b"Server: gunicorn/19.9.0\r\n"
    b"Date: Wed, 26 Dec 2018 23:56:51 GMT\r\n"
    b"Content-Type: text/html; charset=utf-8\r\n"
    b"Content-Length: 10122\r\n"
    b"Access-Control-Allow-Origin: *\r\n"
    b"Access-Control-Allow-Credentials: true\r\n"
    b"Via: 1.1 vegur\r\n"
    b"\r\n"
)


async def test_recv_slow_timeout(raw_server) -> None:
    sent: list[int] = []

    async def handler(reader, writer) -> None:
        await read_request_head(reader)
        index = len(sent)
        sent.append(0)
        for n in range(len(DATA)):
            writer.write(DATA[n : n + 1])
            await writer.drain()
            sent[index] += 1
            await asyncio.sleep(random.randint(10, 800) / 1000)

    srv = await raw_server(handler)

    async def one_client() -> None:
        cli = Client("127.0.0.1", srv.port)
        cli.set({"timeout": 1})
        s = time.monotonic()
        ret = await asyncio.wait_for(cli.get("/"), 3)
        s = time.monotonic() - s
        assert ret is False
        assert cli.errCode == errno.ETIMEDOUT
        assert cli.statusCode == ESTATUS_REQUEST_TIMEOUT
        assert time_approximate(1, s), f"expect 1, got {s}"
        assert cli.body == b""
        cli.close()

    await asyncio.gather(*(one_client() for _ in range(MAX_CONCURRENCY_LOW)))

    assert srv.connections == MAX_CONCURRENCY_LOW
    assert len(sent) == MAX_CONCURRENCY_LOW
    assert all(0 < n < len(DATA) for n in sent), sent
