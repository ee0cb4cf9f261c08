"""Port of tests/swoole_http_client_coro/another_coroutine.phpt (swoole-src a281145a1): "swoole_http_client_coro: illegal another coroutine".

Two coroutines call ``get()`` on one client at the same time: the second caller hits Swoole's
concurrency guard ("Socket#N has already been bound to another coroutine#M, ... of the same socket
... at the same time is not allowed") while the first one's request is in flight.

Port: changed (upstream is always skipped and expects a PHP fatal error in an older message format;
the port checks the SwooleError of the current source's guard)

Deviations: upstream is always skipped (skip_unsupported) and matches a PHP fatal error with a PHP
stack trace in an older message format. The port (catalogue §3.2, client.md §11) checks that the
late task gets ``SwooleError`` (code 10002) whose message names the socket fd and both coroutine
ids in the current source's format, immediately and without writing anything, and that the owner's
request completes undisturbed. The server sleeps 0.1 s, then answers 500 like a Swoole handler that
never calls ``end()`` (upstream then shuts the server down). If the late call comes while the
owner is still connecting, the Python client has no socket yet and the message says ``Socket#-1``.
"""

from __future__ import annotations

import asyncio
import errno
import re

from aiohttp import web

from support.raw import hold

from swoole_compat import SwooleError
from swoole_compat.coroutine import getcid
from swoole_compat.coroutine.http import Client

SW_ERROR_CO_HAS_BEEN_BOUND = 10002


async def test_another_coroutine(http_server) -> None:
    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(0.1)
        return web.Response(status=500, text="<h2>HTTP 500 Internal Server Error</h2>")

    srv = await http_server(web.Application(), routes=[web.get("/", slow)])
    cli = Client("127.0.0.1", srv.port)
    loop = asyncio.get_running_loop()
    cids: dict[str, int] = {}

    async def get(client: Client) -> bool:
        return await client.get("/")

    async def first() -> tuple[bool, float]:
        # upstream: co::sleep(0.001) inside two nested closures, then get($cli)
        cids["late"] = getcid()
        await asyncio.sleep(0.001)
        started = loop.time()
        try:
            return await get(cli), loop.time() - started
        finally:
            cids["late_fd"] = cli.socket.fd if cli.socket is not None else -1

    async def second() -> bool:
        cids["owner"] = getcid()
        return await cli.get("/")

    late = asyncio.ensure_future(first())
    owner = asyncio.ensure_future(second())
    results = await asyncio.wait_for(asyncio.gather(late, owner, return_exceptions=True), 3)

    error = results[0]
    assert isinstance(error, SwooleError), results
    assert error.code == SW_ERROR_CO_HAS_BEEN_BOUND
    match = re.fullmatch(
        r"Socket#(-?\d+) has already been bound to another coroutine#(\d+), "
        r"(reading|writing|reading or writing) of the same socket in coroutine#(\d+) "
        r"at the same time is not allowed",
        error.message,
    )
    assert match, error.message
    # The owner's socket fd, or -1 when the late call came while the owner was still connecting
    # (the Python client creates its socket inside connect; upstream already has an fd then).
    assert int(match.group(1)) == cids["late_fd"]
    assert int(match.group(2)) == cids["owner"]
    assert int(match.group(4)) == cids["late"]
    assert cids["owner"] != cids["late"]

    # The owner's request was not disturbed and got the (500) answer.
    assert results[1] is True
    assert cli.statusCode == 500
    # The late caller was refused before writing anything.
    assert len(srv.requests) == 1
    assert srv.connections == 1

    # Once the owner is done, the client is usable from any task again.
    assert await cli.get("/") is True
    cli.close()


async def test_guard_fails_fast(raw_server) -> None:
    # The refused caller does not wait for the owner's response.
    srv = await raw_server(hold)
    cli = Client("127.0.0.1", srv.port)
    cli.set({"timeout": 0.3})
    owner = asyncio.ensure_future(cli.get("/"))
    await srv.wait_connections(1)
    await asyncio.sleep(0.02)
    loop = asyncio.get_running_loop()
    started = loop.time()
    try:
        await cli.get("/other")
    except SwooleError as exc:
        assert exc.code == SW_ERROR_CO_HAS_BEEN_BOUND
    else:
        raise AssertionError("the concurrent get() was not refused")
    assert loop.time() - started < 0.1
    assert await owner is False  # the held request times out on its own
    assert cli.errCode == errno.ETIMEDOUT
    assert b"/other" not in srv.received(0)
