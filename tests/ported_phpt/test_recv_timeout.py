"""Port of tests/swoole_http_client_coro/recv_timeout.phpt (swoole-src a281145a1): "swoole_http_client_coro: recv timeout".

MAX_CONCURRENCY_MID concurrent defer clients send ``get('/')`` to a server that accepts and never
answers. Each has a random ``timeout`` setting of 0.1-0.5 s; ``recv()`` without an argument fails
after about that setting, ``recv(t)`` (t random 0.1-0.5 s) after about ``t``: the argument
overrides the setting. Every ``recv()`` returns false with errCode ETIMEDOUT.

Port: faithful

Deviations: the in-process coroutine socket that accepts and holds connections is a RAW "accept
and hold" server; MAX_CONCURRENCY_MID uses the small pressure level. Clients alternate between
``recv()`` and ``recv(t)`` (upstream picks at random) so both branches always run, and ``t`` is
drawn at least 1.5x away from the setting so the two timeouts are distinguishable. Timing uses
upstream's +/-10 % window (widened only through ``SWOOLE_COMPAT_TIME_TOLERANCE``). Added:
statusCode -2 (REQUEST_TIMEOUT), empty body, and every request reached the server.
"""

from __future__ import annotations

import asyncio
import errno
import random
import time

from support.helpers import MAX_CONCURRENCY_MID, time_approximate
from support.raw import hold

from swoole_compat.coroutine.http import Client

ESTATUS_REQUEST_TIMEOUT = -2


def distinct_timeout(other: float) -> float:
    while True:
        value = random.randint(100, 500) / 1000
        if max(value, other) / min(value, other) >= 1.5:
            return value


async def test_recv_timeout(raw_server) -> None:
    srv = await raw_server(hold)
    port = srv.port

    async def one_client(use_setting: bool) -> None:
        cli = Client("127.0.0.1", port)
        cli.setDefer()
        config_timeout = random.randint(100, 500) / 1000
        cli.set({"timeout": config_timeout})
        assert await cli.get("/") is True
        arg_timeout = distinct_timeout(config_timeout)
        s = time.monotonic()
        if use_setting:
            ret = await asyncio.wait_for(cli.recv(), 2)
            elapsed = time.monotonic() - s
            assert time_approximate(config_timeout, elapsed), f"expect {config_timeout}, got {elapsed}"
        else:
            ret = await asyncio.wait_for(cli.recv(arg_timeout), 2)
            elapsed = time.monotonic() - s
            assert time_approximate(arg_timeout, elapsed), f"expect {arg_timeout}, got {elapsed}"
        assert not ret
        assert cli.errCode == errno.ETIMEDOUT
        assert cli.statusCode == ESTATUS_REQUEST_TIMEOUT
        assert cli.body == b""

    await asyncio.gather(*(one_client(c % 2 == 0) for c in range(MAX_CONCURRENCY_MID)))

    assert srv.connections == MAX_CONCURRENCY_MID
    assert len(srv.records) == MAX_CONCURRENCY_MID
    assert all(record.received.startswith(b"GET / HTTP/1.1\r\n") for record in srv.records)
