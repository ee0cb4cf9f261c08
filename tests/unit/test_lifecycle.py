"""Connection lifecycle as Swoole 6.2.1 has it (issue "Connection lifecycle ..."): close() from
another coroutine, defer-mode pipelining, TLS options changed on a live connection, the
continuation buffer kept by the client, and HTTP requests on an upgraded client.

Scripted loopback servers only (the cases need exact request/response timing).
"""

from __future__ import annotations

import asyncio
import warnings
from typing import Any

import pytest
from support.raw import read_request_head
from support.ws import encode_frame, switching_protocols

from swoole_compat import SwooleWarning
from swoole_compat.coroutine.http import Client


async def test_close_from_another_coroutine_while_get_waits(raw_server: Any) -> None:
    """``Client::close`` → ``Socket::close`` with a bound coroutine: the waiting ``get()`` is
    cancelled (False, 125 "Operation canceled", -3); close() fails with 10019 "Coroutine socket
    close wait", statusCode -3, connected false; the next request opens a new connection."""

    async def handler(reader: Any, writer: Any) -> None:
        await read_request_head(reader)
        if srv.connections == 1:
            await asyncio.sleep(5)  # never answers the first request
            return
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        await writer.drain()
        await reader.read()

    srv = await raw_server(handler)
    cli = Client("127.0.0.1", srv.port)
    cli.set({"timeout": 3})
    seen: dict[str, Any] = {}

    async def waiter() -> None:
        seen["ok"] = await cli.get("/")
        seen["state"] = (cli.errCode, cli.errMsg, cli.statusCode)

    task = asyncio.create_task(waiter())
    await srv.wait_connections(1)
    await asyncio.sleep(0.1)
    closed = cli.close()
    assert closed is False
    assert (cli.statusCode, cli.errCode, cli.errMsg, cli.connected) == (-3, 10019, "Coroutine socket close wait", False)
    loop = asyncio.get_running_loop()
    start = loop.time()
    await task
    assert loop.time() - start < 1.0  # at once, not at the 3 s timeout
    assert seen == {"ok": False, "state": (125, "Operation canceled", -3)}
    assert cli.connected is False
    assert await cli.get("/") is True
    assert (cli.statusCode, cli.body, srv.connections) == (200, b"ok", 2)
    cli.close()


async def test_defer_pipelining_desync(raw_server: Any) -> None:
    """Defer mode, a second ``get()`` while the first reply is unread: both requests go out on
    one connection; ``recv()`` returns the first response, a second ``recv()`` returns False
    without touching the state; after ``setDefer(false)`` the next ``get()`` goes out on the
    same connection and returns the response still pending from the second request."""

    async def handler(reader: Any, writer: Any) -> None:
        for body in (b"one", b"two", b"three"):
            head = await read_request_head(reader)
            if not head:
                return
            if body == b"two":
                await asyncio.sleep(0.2)  # in a later read than the first response
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
            await writer.drain()
        await reader.read()

    srv = await raw_server(handler)
    cli = Client("127.0.0.1", srv.port)
    cli.set({"defer": True, "timeout": 2})
    assert await cli.get("/1") is True
    assert await cli.get("/2") is True
    assert await cli.recv() is True
    assert (cli.statusCode, cli.body) == (200, b"one")
    await asyncio.sleep(0.4)  # the second response arrives meanwhile
    assert await cli.recv() is False
    assert (cli.statusCode, cli.body, cli.errCode) == (200, b"one", 0)
    cli.setDefer(False)
    assert await cli.get("/3") is True
    assert (cli.statusCode, cli.body) == (200, b"two")
    assert srv.connections == 1
    await asyncio.sleep(0.1)  # the server reads the third head after our get() returned
    assert [h.split(b" ")[1] for h in srv.requests] == [b"/1", b"/2", b"/3"]
    cli.close()


async def test_tls_option_change_opens_a_new_connection(raw_server: Any, tls_server_context: Any, ca_file: str) -> None:
    """``set()`` with a TLS option on a connected HTTPS client: the next request makes a new
    connection (and handshake), so the new options apply."""

    async def handler(reader: Any, writer: Any) -> None:
        while await read_request_head(reader):
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            await writer.drain()

    srv = await raw_server(handler, ssl=tls_server_context)
    cli = Client("127.0.0.1", srv.port, True)
    assert await cli.get("/") is True and cli.statusCode == 200
    assert await cli.get("/") is True and srv.connections == 1  # reused while nothing changes
    cli.set({"timeout": 3})
    assert await cli.get("/") is True and srv.connections == 1  # a non-TLS option keeps it
    cli.set({"ssl_verify_peer": True, "ssl_cafile": ca_file, "ssl_host_name": "localhost"})
    assert cli.connected is True  # closed at the next request, not by set()
    assert await cli.get("/") is True and cli.statusCode == 200
    assert srv.connections == 2
    cli.set({"ssl_host_name": "no-such-name.invalid"})
    assert await cli.get("/") is False
    assert (cli.statusCode, cli.errCode) == (-1, 1014)  # the new name is checked: a new handshake
    cli.close()


@pytest.mark.expect_swoole_warnings("must use the continuation frame opcode")
async def test_continuation_buffer_belongs_to_the_client(raw_server: Any) -> None:
    """upstream ``continue_frame_buffer`` is a client member: a fragmented message cut by a
    reconnect stays pending after a new ``upgrade()``; a new data frame then makes ``recv()``
    return False, and the next continuation frame completes the old message."""
    second = asyncio.Event()

    async def handler(reader: Any, writer: Any) -> None:
        head = await read_request_head(reader)
        writer.write(switching_protocols(head))
        if srv.connections == 1:
            writer.write(encode_frame(1, b"hel", fin=False))
            await writer.drain()
            await asyncio.sleep(0.1)
            writer.close()
            return
        await writer.drain()
        await second.wait()
        writer.write(encode_frame(1, b"new", fin=True))
        await writer.drain()
        await asyncio.sleep(0.1)
        writer.write(encode_frame(0, b"lo", fin=True))
        await writer.drain()
        await reader.read()

    srv = await raw_server(handler)
    cli = Client("127.0.0.1", srv.port)
    assert await cli.upgrade("/") is True
    assert await cli.recv(2) == ""  # the peer closed mid-message
    assert cli.connected is False
    assert await cli.upgrade("/") is True
    second.set()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SwooleWarning)
        assert await cli.recv(2) is False  # a data frame while a message is pending
    frame = await cli.recv(2)
    assert (frame.opcode, frame.data, frame.finish) == (1, b"hello", True)
    cli.close()


async def test_http_request_after_upgrade_uses_the_same_connection(raw_server: Any) -> None:
    """After an upgrade, ``get()`` goes out on the same connection (the request still carries
    the handshake headers persisted in ``requestHeaders``, key included); a plain 200 then fails with 8504 (the ``websocket``
    flag stays until the next connect), the body is recorded, and ``push()`` fails with 5001
    without a warning."""
    heads: list[bytes] = []

    async def handler(reader: Any, writer: Any) -> None:
        head = await read_request_head(reader)
        heads.append(head)
        writer.write(switching_protocols(head))
        await writer.drain()
        head = await read_request_head(reader)
        heads.append(head)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        await writer.drain()
        await reader.read()

    srv = await raw_server(handler)
    cli = Client("127.0.0.1", srv.port)
    assert await cli.upgrade("/ws") is True and cli.statusCode == 101
    assert await cli.get("/plain") is False
    assert (cli.statusCode, cli.errCode, cli.body) == (-3, 8504, b"ok")
    assert srv.connections == 1
    keys = [line for head in heads for line in head.split(b"\r\n") if line.startswith(b"Sec-WebSocket-Key:")]
    assert len(keys) == 2 and keys[0] == keys[1]
    assert heads[1].startswith(b"GET /plain ") and b"Upgrade: websocket" in heads[1]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert await cli.push("x") is False
    assert (cli.errCode, cli.statusCode) == (5001, -3)


async def test_get_answered_by_a_websocket_101_fails_the_handshake(raw_server: Any) -> None:
    """``get()`` answered by ``101`` with ``Upgrade: websocket``: the flag is set while parsing,
    the handshake check finds no ``Sec-WebSocket-Key`` sent: 8504, closed; ``push()`` → 5001."""

    async def handler(reader: Any, writer: Any) -> None:
        await read_request_head(reader)
        writer.write(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     b"Sec-WebSocket-Accept: x\r\n\r\n")
        await writer.drain()
        await reader.read()

    srv = await raw_server(handler)
    cli = Client("127.0.0.1", srv.port)
    assert await cli.get("/") is False
    assert (cli.statusCode, cli.errCode, cli.connected) == (-3, 8504, False)
    assert cli.errMsg == "websocket handshake failed: invalid Upgrade/Connection/Sec-WebSocket-Accept headers"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert await cli.push("x") is False
    assert (cli.errCode, cli.statusCode) == (5001, -3)


@pytest.mark.parametrize(("before_upgrade", "compressed"), [(False, True), (True, False)], ids=["after", "before"])
async def test_deflate_accepted_only_after_the_upgrade_header(raw_server: Any, before_upgrade: bool, compressed: bool) -> None:
    """``http_parser_on_header_value``: ``sec-websocket-extensions`` counts only while the
    ``websocket`` flag is set, i.e. after the ``Upgrade: websocket`` line of the 101."""
    from support.ws import accept_key, read_frame
    import re

    frames_seen: list[Any] = []

    async def handler(reader: Any, writer: Any) -> None:
        head = await read_request_head(reader)
        key = re.search(rb"Sec-WebSocket-Key: (\S+)", head).group(1).decode()  # type: ignore[union-attr]
        ext = b"Sec-WebSocket-Extensions: permessage-deflate\r\n"
        lines = [b"Upgrade: websocket\r\n", b"Connection: Upgrade\r\n"]
        lines.insert(0 if before_upgrade else 2, ext)
        writer.write(b"HTTP/1.1 101 Switching Protocols\r\n" + b"".join(lines)
                     + b"Sec-WebSocket-Accept: " + accept_key(key).encode() + b"\r\n\r\n")
        await writer.drain()
        frames_seen.append(await read_frame(reader))
        await reader.read()

    srv = await raw_server(handler)
    cli = Client("127.0.0.1", srv.port)
    cli.set({"websocket_compression": True})
    assert await cli.upgrade("/") is True
    assert await cli.push("hello hello hello") is True
    await srv.wait_connections(1)
    for _ in range(50):
        if frames_seen:
            break
        await asyncio.sleep(0.02)
    assert frames_seen[0].rsv1 is compressed
    cli.close()
