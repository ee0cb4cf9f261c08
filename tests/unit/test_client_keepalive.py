"""Connection management of ``Client``: keep-alive, reconnection, close flags, retries, the
concurrency guard and cancellation (client.md §5.1, §7.9, §8.2, §8.5, §11).
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
from aiohttp import web
from support.http import http_server
from support.blackhole import Blackhole
from support.listener import reset_writer
from support.raw import RawRequest, raw_server, read_head, read_request_head, respond, script, send, sleep

from swoole_compat import SwooleError
from swoole_compat.coroutine.http import Client

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


def response(status: str = "200 OK", *lines: str, body: bytes = b"ok") -> bytes:
    """A Content-Length response with extra header ``lines``."""
    extra = "".join(f"{line}\r\n" for line in lines)
    return f"HTTP/1.1 {status}\r\n{extra}Content-Length: {len(body)}\r\n\r\n".encode() + body


def connection_line(head: bytes) -> bytes | None:
    """The ``Connection`` line of a request head."""
    match = re.search(rb"\r\nConnection: ([^\r]*)\r\n", head)
    return match.group(1) if match else None


# --------------------------------------------------------------------------- reuse and reconnect


async def test_keep_alive_reuses_one_connection() -> None:
    """§8.2: consecutive requests share one connection (aiohttp server)."""

    async def hello(request: web.Request) -> web.Response:
        return web.Response(text=f"hello {request.query.get('n', '')}")

    async with http_server(routes=[web.get("/hello", hello)]) as srv:
        cli = Client("127.0.0.1", srv.port)
        for n in range(5):
            assert await cli.get(f"/hello?n={n}") is True
            assert cli.body == f"hello {n}".encode()
            assert cli.connected is True
        assert srv.connections == 1
        assert {r.conn_index for r in srv.requests} == {0}
        assert all(r.header("Connection") == "keep-alive" for r in srv.requests)
        cli.close()


@pytest.mark.parametrize("how", ["close", "reset"])
async def test_silent_reconnect_after_idle_close(how: str) -> None:
    """§8.2: a connection closed (or reset) by the server while idle is replaced transparently;
    the request succeeds with errCode 0."""

    async def once(reader: Any, writer: Any) -> None:
        await read_request_head(reader)
        writer.write(OK)
        await writer.drain()
        await asyncio.sleep(0.02)
        if how == "reset":
            reset_writer(writer)

    async with raw_server(once) as srv:
        cli = Client("127.0.0.1", srv.port)
        assert await cli.get("/1") is True
        await asyncio.sleep(0.1)  # the server closes meanwhile
        assert await cli.get("/2") is True
        assert cli.errCode == 0 and cli.errMsg == ""
        assert cli.statusCode == 200 and cli.body == b"ok"
        assert srv.connections == 2
        cli.close()


async def test_reconnect_fails_when_server_gone() -> None:
    """A dead idle connection whose reconnect is refused → False, 111, statusCode -1."""
    async with raw_server(respond(OK)) as srv:
        cli = Client("127.0.0.1", srv.port)
        assert await cli.get("/1") is True
        await srv.kill()
        await asyncio.sleep(0.05)
        assert await cli.get("/2") is False
        assert cli.errCode == 111 and cli.statusCode == -1
        assert cli.connected is False
        # §5 step 2: the previous response is cleared before connecting.
        assert cli.headers is None and cli.body == b"" and cli.set_cookie_headers is None


async def test_reconnect_after_connection_close_and_after_close() -> None:
    """§7.9/§8.5: ``Connection: close`` from the server closes the client; so does close();
    the next request reconnects in both cases."""
    answers = iter([response("200 OK", "Connection: close"), response("200 OK", "Connection: keep-alive")])
    async with raw_server(respond(lambda _: next(answers))) as srv:
        cli = Client("127.0.0.1", srv.port)
        assert await cli.get("/1") is True
        assert cli.connected is False and cli.socket is None
        assert cli.close() is False  # nothing left to close
        assert await cli.get("/2") is True
        assert cli.connected is True
        assert srv.connections == 2
        cli.close()
    async with raw_server(respond(OK)) as srv:
        cli = Client("127.0.0.1", srv.port)
        assert await cli.get("/a") is True
        assert cli.connected is True and cli.socket is not None
        assert cli.close() is True
        assert cli.connected is False and cli.socket is None
        assert cli.close() is False
        assert cli.statusCode == 200 and cli.body == b"ok"  # close() leaves the properties
        assert await cli.get("/b") is True
        assert cli.connected is True
        assert srv.connections == 2
        cli.close()


async def test_sticky_server_close_flag_q18() -> None:
    """Q18: once a server answered ``Connection: close``, responses without a Connection header
    also close the client; a later ``Connection: keep-alive`` response clears the flag."""
    answers = iter(
        [
            response("200 OK", "Connection: close"),
            OK,
            OK,
            response("200 OK", "Connection: keep-alive"),
            OK,
            OK,
        ]
    )
    async with raw_server(respond(lambda _: next(answers))) as srv:
        cli = Client("127.0.0.1", srv.port)
        states = []
        for n in range(6):
            assert await cli.get(f"/{n}") is True
            states.append(cli.connected)
        assert states == [False, False, False, True, True, True]
        assert srv.connections == 4
        cli.close()


async def test_keep_alive_false_sends_closed_and_closes() -> None:
    """Q2: ``keep_alive`` False → ``Connection: closed`` and the client closes after every
    response."""
    async with raw_server(respond(OK)) as srv:
        cli = Client("127.0.0.1", srv.port)
        cli.set({"keep_alive": False})
        for n in range(3):
            assert await cli.get(f"/{n}") is True
            assert cli.connected is False
        assert srv.connections == 3
        assert [connection_line(h) for h in srv.requests] == [b"closed"] * 3


async def test_user_connection_close_is_permanent_q3() -> None:
    """Q3: a user ``Connection: close`` header disables keep-alive for good (``closed`` later)."""
    async with raw_server(respond(OK)) as srv:
        cli = Client("127.0.0.1", srv.port)
        cli.setHeaders({"Connection": "CLOSE"})
        assert await cli.get("/1") is True
        assert cli.connected is False
        cli.setHeaders({})
        assert await cli.get("/2") is True
        assert cli.connected is False
        cli.setHeaders({"Connection": "keep-alive"})
        assert await cli.get("/3") is True
        assert cli.connected is False  # still closes: keep_alive stays False
        assert [connection_line(h) for h in srv.requests] == [b"CLOSE", b"closed", b"keep-alive"]
        assert srv.connections == 3


# --------------------------------------------------------------------------- max_retries


@pytest.mark.parametrize("status", ["503 Service Unavailable", "502 Bad Gateway"])
async def test_max_retries_exhausted_on_502_503(status: str) -> None:
    """Q11 / §5.1: always 502/503 with max_retries 2 → 3 requests (each on a new connection),
    False, statusCode 502/503, errCode 0, the last body, connection closed."""
    bodies = iter([b"first", b"second", b"third", b"extra"])
    async with raw_server(respond(lambda _: response(status, body=next(bodies)))) as srv:
        cli = Client("127.0.0.1", srv.port)
        cli.set({"max_retries": 2})
        assert await cli.get("/") is False
        assert len(srv.requests) == 3
        assert srv.connections == 3
        assert cli.statusCode == int(status[:3])
        assert cli.errCode == 0
        assert cli.body == b"third"
        assert cli.connected is False


async def test_max_retries_succeeds_after_503() -> None:
    """A 503 then a 200 → True after two requests."""
    answers = iter([response("503 Service Unavailable"), response(body=b"fine")])
    async with raw_server(respond(lambda _: next(answers))) as srv:
        cli = Client("127.0.0.1", srv.port)
        cli.set({"max_retries": 3})
        assert await cli.get("/") is True
        assert cli.statusCode == 200 and cli.body == b"fine"
        assert len(srv.requests) == 2
        cli.close()


async def test_no_retry_without_max_retries() -> None:
    """max_retries 0 → a 503 is an ordinary result (True)."""
    async with raw_server(respond(response("503 Service Unavailable"))) as srv:
        cli = Client("127.0.0.1", srv.port)
        assert await cli.get("/") is True
        assert cli.statusCode == 503
        assert len(srv.requests) == 1
        cli.close()


@pytest.mark.parametrize(
    "steps",
    [
        [sleep(0.01)],  # close without reply
        [send(b"HTTP/1.1 200 OK\r\nBad Header\r\n\r\n"), sleep(0.3)],
        [sleep(1.0)],  # timeout
    ],
    ids=["reset", "malformed", "timeout"],
)
async def test_failed_request_is_not_retried(steps: list[Any]) -> None:
    """§5.1: max_retries does not retry send failures, timeouts, resets or parse errors."""
    async with raw_server(script(read_head(), *steps)) as srv:
        cli = Client("127.0.0.1", srv.port)
        cli.set({"max_retries": 3, "timeout": 0.3})
        assert await cli.get("/") is False
        assert cli.statusCode in (-2, -3)
        await asyncio.sleep(0.05)
        assert len(srv.requests) == 1
        assert srv.connections == 1


async def test_max_retries_multiplies_connect_attempts(blackhole: Blackhole) -> None:
    """§5.1: each request tries to connect max_retries + 1 times (3 connect timeouts here)."""
    cli = Client(blackhole.host, blackhole.port)
    cli.set({"max_retries": 2, "connect_timeout": 0.2})
    loop = asyncio.get_running_loop()
    start = loop.time()
    assert await cli.get("/") is False
    elapsed = loop.time() - start
    assert cli.errCode == 110 and cli.statusCode == -1
    assert 0.55 <= elapsed < 1.5


# --------------------------------------------------------------------------- concurrency guard


async def test_concurrency_guard_second_task_raises() -> None:
    """§11: a second task using a busy client gets SwooleError 10002; the first completes."""
    handler = script(read_head(), sleep(0.3), send(OK), sleep(0.5))
    async with raw_server(handler) as srv:
        cli = Client("127.0.0.1", srv.port)
        first = asyncio.create_task(cli.get("/slow"))
        await asyncio.sleep(0.1)
        with pytest.raises(SwooleError) as info:
            await cli.get("/second")
        assert info.value.code == 10002
        assert re.fullmatch(
            r"Socket#\d+ has already been bound to another coroutine#\d+, "
            r"(reading|writing|reading or writing) of the same socket in coroutine#\d+ at the same time is not allowed",
            str(info.value),
        ), str(info.value)
        assert await first is True
        assert cli.statusCode == 200 and cli.body == b"ok"
        assert len(srv.requests) == 1
        cli.close()


async def test_concurrency_guard_defer_recv() -> None:
    """§11: recv() from another task while a recv() is reading raises as well."""
    handler = script(read_head(), sleep(0.3), send(OK), sleep(0.5))
    async with raw_server(handler) as srv:
        cli = Client("127.0.0.1", srv.port)
        cli.setDefer()
        assert await cli.get("/") is True
        reader = asyncio.create_task(cli.recv())
        await asyncio.sleep(0.1)
        with pytest.raises(SwooleError) as info:
            await cli.recv()
        assert info.value.code == 10002
        assert await reader is True
        assert cli.body == b"ok"
        cli.close()


# --------------------------------------------------------------------------- cancellation


async def test_cancellation_mid_request_leaves_client_reusable() -> None:
    """Cancelling a task inside a request closes the connection; the next request reconnects."""

    def answer(request: RawRequest) -> Any:
        async def slow() -> bytes:
            if request.target == "/slow":
                await asyncio.sleep(2.0)
            return OK

        return slow()

    async with raw_server(respond(answer)) as srv:
        cli = Client("127.0.0.1", srv.port)
        assert await cli.get("/warm") is True
        task = asyncio.create_task(cli.get("/slow"))
        await asyncio.sleep(0.1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert cli.connected is False
        assert cli.socket is None
        assert await cli.get("/after") is True
        assert cli.statusCode == 200 and cli.body == b"ok"
        assert cli.errCode == 0
        assert srv.connections == 2
        cli.close()


async def test_timeout_via_wait_for_is_cancellation() -> None:
    """asyncio.wait_for around a request behaves like cancellation: the client stays usable."""
    handler = script(read_head(), sleep(1.0), send(OK))
    async with raw_server(handler) as srv:
        cli = Client("127.0.0.1", srv.port)
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(cli.get("/"), 0.1)
        assert cli.connected is False
    async with raw_server(respond(OK)) as other:
        cli2 = Client("127.0.0.1", other.port)
        assert await cli2.get("/") is True
        cli2.close()
