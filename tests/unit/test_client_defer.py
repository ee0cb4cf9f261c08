"""Defer mode of ``Client`` (client.md §10): send now, ``recv()`` later."""

from __future__ import annotations

import asyncio

from support.raw import raw_server, read_head, respond, script, send, sleep

from swoole_compat.coroutine.http import Client

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-A: 1\r\n\r\nok"


def now() -> float:
    """The running loop's clock."""
    return asyncio.get_running_loop().time()


async def test_set_defer_and_recv() -> None:
    """The request method returns True right after writing; recv() fills the properties."""
    async with raw_server(script(read_head(), sleep(0.6), send(OK), sleep(0.5))) as srv:
        cli = Client("127.0.0.1", srv.port)
        assert cli.getDefer() is False
        assert cli.setDefer() is True
        assert cli.getDefer() is True
        start = now()
        assert await cli.get("/d") is True
        assert now() - start < 0.4
        assert cli.statusCode == 0 and cli.body == b"" and cli.headers is None
        await asyncio.sleep(0.02)
        assert srv.requests and srv.requests[0].startswith(b"GET /d HTTP/1.1\r\n")
        assert await cli.recv() is True
        assert cli.statusCode == 200
        assert cli.body == b"ok"
        assert cli.headers == {"content-length": "2", "x-a": "1"}
        assert cli.connected is True
        cli.close()


async def test_defer_via_set_and_keep_alive_pairs() -> None:
    """``set({'defer': True})`` works too; several send/recv pairs share one connection; the
    error properties are reset by each request."""
    async with raw_server(respond(OK)) as srv:
        cli = Client("127.0.0.1", srv.port)
        assert cli.set({"defer": True}) is True
        assert cli.getDefer() is True
        for n in range(3):
            cli.errCode = 99
            assert await cli.post(f"/p{n}", {"n": n}) is True
            assert cli.errCode == 0
            assert await cli.recv() is True
            assert cli.body == b"ok"
        assert srv.connections == 1
        cli.setDefer(False)
        assert cli.getDefer() is False
        assert await cli.get("/blocking") is True
        assert cli.body == b"ok"
        cli.close()


async def test_recv_timeout_override_extends_budget() -> None:
    """recv(timeout) overrides the ``timeout`` option (longer here)."""
    async with raw_server(script(read_head(), sleep(0.3), send(OK), sleep(0.5))) as srv:
        cli = Client("127.0.0.1", srv.port)
        cli.set({"defer": True, "timeout": 0.1})
        assert await cli.get("/") is True
        assert await cli.recv(2) is True
        assert cli.body == b"ok"
        cli.close()


async def test_recv_without_override_uses_option() -> None:
    """recv() without an argument uses the ``timeout`` option: -2/110, connection closed."""
    async with raw_server(script(read_head(), sleep(2.0))) as srv:
        cli = Client("127.0.0.1", srv.port)
        cli.set({"defer": True, "timeout": 0.2})
        assert await cli.get("/") is True
        start = now()
        assert await cli.recv() is False
        assert 0.15 <= now() - start < 1.0
        assert cli.errCode == 110 and cli.statusCode == -2
        assert cli.connected is False


async def test_recv_nothing_pending_leaves_errcode() -> None:
    """recv() with nothing pending (connected) → False, errCode untouched."""
    async with raw_server(respond(OK)) as srv:
        cli = Client("127.0.0.1", srv.port)
        cli.setDefer()
        assert await cli.get("/") is True
        assert await cli.recv() is True
        cli.errCode = 1234
        assert await cli.recv() is False  # already received
        assert cli.errCode == 1234
        assert cli.statusCode == 200 and cli.body == b"ok"
        cli.close()


async def test_recv_not_connected_5001() -> None:
    """recv() while not connected → 5001: before any request, after a failed connect, after a
    response that closed the connection."""
    cli = Client("127.0.0.1", 1)
    cli.setDefer()
    assert await cli.recv() is False
    assert cli.errCode == 5001 and cli.errMsg == "Client no connection"

    async with raw_server() as srv:
        port = srv.port
        await srv.kill()
    dead = Client("127.0.0.1", port)
    dead.setDefer()
    assert await dead.get("/") is False
    assert dead.errCode == 111
    assert await dead.recv() is False
    assert dead.errCode == 5001  # the source, not upstream's outdated timeout_before_connect test
    assert dead.statusCode == -1

    closing = b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok"
    async with raw_server(respond(closing)) as srv:
        cli = Client("127.0.0.1", srv.port)
        cli.setDefer()
        assert await cli.get("/") is True
        assert await cli.recv() is True
        assert cli.connected is False
        assert await cli.recv() is False
        assert cli.errCode == 5001
        assert cli.statusCode == 200


async def test_defer_does_not_retry_502_503() -> None:
    """§10: in defer mode max_retries retries do not happen."""
    unavailable = b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n"
    async with raw_server(respond(unavailable)) as srv:
        cli = Client("127.0.0.1", srv.port)
        cli.set({"defer": True, "max_retries": 2})
        assert await cli.get("/") is True
        assert await cli.recv() is True
        assert cli.statusCode == 503
        await asyncio.sleep(0.05)
        assert len(srv.requests) == 1
        cli.close()


async def test_defer_recv_failure_reset() -> None:
    """A reset while recv() reads → False, -3/104, closed."""
    async with raw_server(script(read_head(), sleep(0.05))) as srv:
        cli = Client("127.0.0.1", srv.port)
        cli.setDefer()
        assert await cli.get("/") is True
        assert await cli.recv() is False
        assert cli.errCode == 104 and cli.statusCode == -3
        assert cli.connected is False


async def test_recv_after_response_already_arrived() -> None:
    """recv() called after the whole response is already buffered returns it at once."""
    async with raw_server(respond(OK)) as srv:
        cli = Client("127.0.0.1", srv.port)
        cli.setDefer()
        assert await cli.get("/1") is True
        await asyncio.sleep(0.1)
        start = now()
        assert await cli.recv(1) is True
        assert now() - start < 0.2
        assert cli.body == b"ok"
        cli.close()
