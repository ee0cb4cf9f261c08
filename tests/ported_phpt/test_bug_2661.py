"""Port of tests/swoole_http_client_coro/bug_2661.phpt (swoole-src a281145a1): "swoole_http_client_coro: #2611 bound error with dns resolve and cross close".

Ten coroutines share one TLS client (each ``get()`` then ``close()`` then pushes its path to a
channel) while ten others pop that channel. The first caller is still resolving/connecting when
the others call ``get()``: they must hit the concurrency guard ("Socket#... has already been bound
to another coroutine#..., reading or writing of the same socket in coroutine#... at the same time
is not allowed") instead of corrupting the shared socket.

Port: re-targeted (www.zhe800.com:443 becomes a local TLS server on localhost)

Deviations: www.zhe800.com:443 is re-targeted to a local aiohttp TLS server on ``localhost``
(still a DNS name, so the first caller goes through name resolution) that answers after 50 ms.
Upstream expects the first uncaught ``Swoole\\Error`` to kill the PHP process; here every refused
task raises ``SwooleError`` (code 10002) on its own, so the port asserts that all nine concurrent
users are refused, the first request completes, exactly one pop receives its path (the others
time out after 0.5 s instead of 1 s) and nothing hangs. The socket number in the message is
matched as upstream's ``%d``: while the first caller is still connecting the Python client has no
socket yet and reports -1.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import re
import time

from aiohttp import web

from swoole_compat import SwooleError
from swoole_compat.coroutine import getcid
from swoole_compat.coroutine.http import Client

SW_ERROR_CO_HAS_BEEN_BOUND = 10002
LENGTH = 10
MESSAGE = re.compile(
    r"Socket#(-?\d+) has already been bound to another coroutine#(\d+), "
    r"reading or writing of the same socket in coroutine#(\d+) at the same time is not allowed"
)


async def test_bug_2661(http_server, tls_server_context) -> None:
    async def subscribe(request: web.Request) -> web.Response:
        await asyncio.sleep(0.05)
        return web.Response(text="ok")

    srv = await http_server(
        web.Application(), routes=[web.get("/email_subscribe", subscribe)], ssl=tls_server_context
    )
    client = Client("localhost", srv.port, True)
    channel: asyncio.Queue[str] = asyncio.Queue(LENGTH)
    cids: list[int] = []
    pushed: list[tuple[str, int]] = []

    async def foo(ch: asyncio.Queue[str], cli: Client) -> None:
        cids.append(getcid())
        rand = random.randint(100000, 999999999)
        path = f"/email_subscribe?email={rand}@{hashlib.md5(str(time.time()).encode()).hexdigest()[:8]}.com"
        assert await cli.get(path) is True
        assert cli.statusCode == 200
        pushed.append((path, getcid()))  # upstream: echo "push is $path $cid"
        cli.close()
        await ch.put(path)

    async def popper(ch: asyncio.Queue[str]) -> str | bool:
        try:
            return await asyncio.wait_for(ch.get(), 0.5)
        except asyncio.TimeoutError:
            return False  # Channel::pop(timeout) returns false

    foos = [asyncio.ensure_future(foo(channel, client)) for _ in range(LENGTH)]
    pops = [asyncio.ensure_future(popper(channel)) for _ in range(LENGTH)]
    results = await asyncio.wait_for(asyncio.gather(*foos, return_exceptions=True), 3)
    popped = await asyncio.wait_for(asyncio.gather(*pops), 3)

    owner_cid = cids[0]
    assert results[0] is None  # the first caller completed get() + close() + push
    errors = results[1:]
    assert all(isinstance(e, SwooleError) for e in errors), errors
    for index, error in enumerate(errors, 1):
        assert error.code == SW_ERROR_CO_HAS_BEEN_BOUND
        match = MESSAGE.fullmatch(error.message)
        assert match, error.message
        assert int(match.group(2)) == owner_cid
        assert int(match.group(3)) == cids[index]

    assert len(pushed) == 1 and pushed[0][1] == owner_cid
    assert [p for p in popped if p is not False] == [pushed[0][0]]
    assert popped.count(False) == LENGTH - 1
    assert [r.target for r in srv.requests] == [pushed[0][0]]
    assert client.connected is False
