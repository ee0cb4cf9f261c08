"""Large Content-Length bodies received in place (docs/performance.md, "in-place bodies").

When at least 256 KiB of a Content-Length body is still to come, the client lets the socket
receive it straight into the final ``bytes`` (``Stream.read_bytes_in_place`` over the C
extension's ``BytesFill``) instead of joining received chunks. The outcome must not depend on
the path: every scenario below runs twice, in place and with the in-place path switched off
(the chunk-and-join path every body took before), and both runs must give the same
``statusCode``, ``errCode``, body, headers and connection reuse.
"""

from __future__ import annotations

import asyncio
import random
import socket
from typing import Any

import pytest
from aiohttp import web

from support import raw
from swoole_compat import _accel
from swoole_compat._transport import stream as stream_mod
from swoole_compat._transport.errno import ETIMEDOUT, TransportError
from swoole_compat._transport.stream import Stream
from swoole_compat.coroutine.http import Client

needs_extension = pytest.mark.skipif(_accel.BytesFill is None, reason="C extension not built (pip install -e .)")

MiB = 1 << 20
BODY = random.Random(7).randbytes(3 * MiB + 123)


class PathSpy:
    """Counts the calls of the in-place path (``owner.name``: ``Stream.read_bytes_in_place``
    for bodies, ``HTTPConnection._payload_in_place`` for frames); ``enabled=False`` switches it off."""

    def __init__(
        self, monkeypatch: pytest.MonkeyPatch, enabled: bool, owner: Any = Stream, name: str = "read_bytes_in_place"
    ) -> None:
        self.calls = 0
        if not enabled:
            monkeypatch.setattr(stream_mod, "BytesFill", None)
        original = getattr(owner, name)

        async def spy(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            return await original(*args, **kwargs)

        monkeypatch.setattr(owner, name, spy)


def outcome(cli: Client) -> dict[str, Any]:
    headers = dict(cli.headers or {})
    headers.pop("date", None)
    return {
        "statusCode": cli.statusCode,
        "errCode": cli.errCode,
        "body": cli.body,
        "headers": headers,
    }


async def run_both(monkeypatch: pytest.MonkeyPatch, scenario: Any, *spied: Any) -> Any:
    """Run ``scenario()`` in place and then with the path off; return the in-place result
    after checking both agree and that the in-place run used the path (``spied``: the
    ``owner, name`` of :class:`PathSpy`)."""
    results = {}
    for enabled in (True, False):
        with monkeypatch.context() as patch:
            spy = PathSpy(patch, enabled, *spied)
            results[enabled] = await scenario()
            if enabled:
                assert spy.calls >= 1, "the in-place path was not taken"
    assert results[True] == results[False]
    return results[True]


# ------------------------------------------------------------------------------------------
# whole responses from a real server (aiohttp)
# ------------------------------------------------------------------------------------------


@needs_extension
@pytest.mark.parametrize("kind", ["tcp", "unix", "tls"])
async def test_large_bodies_from_aiohttp_with_keep_alive(
    http_server: Any, monkeypatch: pytest.MonkeyPatch, kind: str, tls_server_context: Any
) -> None:
    async def big(request: web.Request) -> web.Response:
        size = int(request.query.get("size", len(BODY)))
        return web.Response(body=BODY[:size], content_type="application/octet-stream")

    options: dict[str, Any] = {"unix": True} if kind == "unix" else {"ssl": tls_server_context} if kind == "tls" else {}
    srv = await http_server(routes=[web.get("/big", big)], **options)

    async def scenario() -> dict[str, Any]:
        before = srv.connections
        cli = Client(srv.client_host, srv.client_port, kind == "tls")
        cli.set({"timeout": 10})
        results = []
        for size in (len(BODY), 256 * 1024 + 1, 100, MiB):
            assert await cli.get(f"/big?size={size}") is True
            assert cli.body == BODY[:size]
            assert type(cli.body) is bytes
            results.append(outcome(cli))
        cli.close()
        results.append(("connections", srv.connections - before))
        return {"runs": results}

    result = await run_both(monkeypatch, scenario)
    assert result["runs"][-1] == ("connections", 1)


@needs_extension
async def test_max_body_size_still_applies(http_server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    async def big(request: web.Request) -> web.Response:
        return web.Response(body=BODY)

    srv = await http_server(routes=[web.get("/big", big)])

    async def scenario() -> dict[str, Any]:
        cli = Client("127.0.0.1", srv.port)
        cli.set({"timeout": 10, "max_body_size": MiB})
        assert await cli.get("/big") is False
        result = outcome(cli)
        cli.set({"max_body_size": 4 * MiB})
        assert await cli.get("/big") is True
        assert cli.body == BODY
        return {"limited": result, "after": outcome(cli)}

    # A body over the limit never takes the in-place path; the second request does.
    result = await run_both(monkeypatch, scenario)
    assert result["limited"]["errCode"] == 1203
    assert result["limited"]["statusCode"] == -3


# ------------------------------------------------------------------------------------------
# scripted servers: bytes split anyhow, cut short, stalled
# ------------------------------------------------------------------------------------------


def head(length: int, *extra: bytes) -> bytes:
    lines = [b"HTTP/1.1 200 OK", b"Content-Length: " + str(length).encode(), *extra]
    return b"\r\n".join(lines) + b"\r\n\r\n"


@needs_extension
@pytest.mark.parametrize("first", [0, 1, 4096, 300 * 1024])
@pytest.mark.parametrize("use_tls", [False, True], ids=["plain", "tls"])
async def test_body_split_into_uneven_writes_then_keep_alive(
    raw_server: Any, monkeypatch: pytest.MonkeyPatch, first: int, use_tls: bool, tls_server_context: Any
) -> None:
    body = BODY[:MiB]
    pieces = [body[first : first + 70_001], body[first + 70_001 : -5], body[-5:]]

    async def handler(reader: Any, writer: Any) -> None:
        for _ in range(2):
            await raw.read_request_head(reader)
            writer.write(head(len(body)) + body[:first])
            await writer.drain()
            for piece in pieces:
                await asyncio.sleep(0.002)
                writer.write(piece)
                await writer.drain()

    srv = await raw_server(handler, ssl=tls_server_context if use_tls else None)

    async def scenario() -> dict[str, Any]:
        before = srv.connections
        cli = Client("127.0.0.1", srv.port, use_tls)
        cli.set({"timeout": 10})
        runs = []
        for _ in range(2):
            assert await cli.get("/") is True
            assert cli.body == body
            runs.append(outcome(cli))
        cli.close()
        return {"runs": runs, "connections": srv.connections - before}

    result = await run_both(monkeypatch, scenario)
    assert result["connections"] == 1


@needs_extension
@pytest.mark.parametrize("connection", [b"keep-alive", b"close"])
@pytest.mark.parametrize("use_tls", [False, True], ids=["plain", "tls"])
async def test_body_cut_short_by_the_server(
    raw_server: Any, monkeypatch: pytest.MonkeyPatch, connection: bytes, use_tls: bool, tls_server_context: Any
) -> None:
    response = head(MiB, b"Connection: " + connection) + BODY[: 600 * 1024]
    srv = await raw_server(
        raw.script(raw.read_head(), raw.send(response[:5000]), raw.sleep(0.01), raw.send(response[5000:]), raw.close()),
        ssl=tls_server_context if use_tls else None,
    )

    async def scenario() -> dict[str, Any]:
        cli = Client("127.0.0.1", srv.port, use_tls)
        cli.set({"timeout": 10})
        result = await cli.get("/")
        return {"result": result, **outcome(cli)}

    result = await run_both(monkeypatch, scenario)
    if connection == b"close":  # Replicate Q21: a cut non-keep-alive response ends with statusCode 0
        assert result["result"] is True and result["statusCode"] == 0 and result["body"] == b""
    else:
        assert result["result"] is False
        assert (result["statusCode"], result["errCode"], result["body"]) == (-3, 104, b"")


@needs_extension
@pytest.mark.parametrize("use_tls", [False, True], ids=["plain", "tls"])
async def test_body_stalls_past_the_timeout(
    raw_server: Any, monkeypatch: pytest.MonkeyPatch, use_tls: bool, tls_server_context: Any
) -> None:
    response = head(MiB) + BODY[: 400 * 1024]
    srv = await raw_server(
        raw.script(raw.read_head(), raw.send(response), raw.sleep(5), raw.close()), ssl=tls_server_context if use_tls else None
    )

    async def scenario() -> dict[str, Any]:
        cli = Client("127.0.0.1", srv.port, use_tls)
        loop = asyncio.get_running_loop()
        start = loop.time()
        cli.set({"timeout": 0.3})
        result = await cli.get("/")
        took = loop.time() - start
        assert 0.25 <= took < 3.0
        return {"result": result, "connected": cli.connected, **outcome(cli)}

    result = await run_both(monkeypatch, scenario)
    assert result["result"] is False
    assert (result["statusCode"], result["errCode"]) == (-2, ETIMEDOUT)
    assert result["connected"] is False


@needs_extension
async def test_close_from_another_coroutine_while_receiving(raw_server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    response = head(MiB) + BODY[: 400 * 1024]
    srv = await raw_server(raw.script(raw.read_head(), raw.send(response), raw.sleep(5), raw.close()))

    async def scenario() -> dict[str, Any]:
        cli = Client("127.0.0.1", srv.port)
        cli.set({"timeout": 10})
        task = asyncio.ensure_future(cli.get("/"))
        await asyncio.sleep(0.2)
        # Socket::close with a bound coroutine: close-wait (10019), the receive is cancelled.
        assert cli.close() is False
        assert (cli.errCode, cli.statusCode, cli.connected) == (10019, -3, False)
        result = await asyncio.wait_for(task, 5)
        return {"result": result, "connected": cli.connected, **outcome(cli)}

    result = await run_both(monkeypatch, scenario)
    assert result["result"] is False
    assert (result["statusCode"], result["errCode"], result["body"]) == (-3, 125, b"")


@needs_extension
async def test_bytes_after_the_body_are_handled_as_before(raw_server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    body = BODY[:MiB]
    second = head(3) + b"abc"

    async def handler(reader: Any, writer: Any) -> None:
        await raw.read_request_head(reader)
        writer.write(head(len(body)))
        await writer.drain()
        await asyncio.sleep(0.01)
        writer.write(body + second)  # the next response arrives before it was asked for
        await writer.drain()
        while await raw.try_read_request(reader) is not None:
            writer.write(second)
            await writer.drain()

    srv = await raw_server(handler)

    async def scenario() -> dict[str, Any]:
        before = srv.connections
        cli = Client("127.0.0.1", srv.port)
        cli.set({"timeout": 10})
        runs = []
        for _ in range(2):
            assert await cli.get("/") is True
            runs.append(outcome(cli))
        cli.close()
        return {"runs": runs, "connections": srv.connections - before}

    result = await run_both(monkeypatch, scenario)
    assert result["runs"][0]["body"] == body
    assert result["runs"][1]["body"] == b"abc"


# ------------------------------------------------------------------------------------------
# Stream.fill and BytesFill
# ------------------------------------------------------------------------------------------


async def _pair() -> tuple[Stream, socket.socket]:
    a, b = socket.socketpair()
    a.setblocking(False)
    b.setblocking(True)
    return await Stream.wrap(a), b


@needs_extension
async def test_fill_takes_buffered_bytes_first_and_leaves_the_rest() -> None:
    stream, peer = await _pair()
    loop = asyncio.get_running_loop()
    try:
        peer.sendall(b"0123456789")
        await asyncio.sleep(0.05)  # received into the stream's buffer
        target = bytearray(300_000)
        view = memoryview(target)
        payload = random.Random(3).randbytes(300_000 - 10)
        sender = loop.run_in_executor(None, peer.sendall, payload + b"NEXT")
        assert await stream.fill(view, loop.time() + 5) == len(target)
        await sender
        view.release()
        assert bytes(target) == b"0123456789" + payload
        # Nothing past the view was consumed; the stream reads on as usual.
        assert await stream.read(loop.time() + 5) == b"NEXT"
        assert stream.can_fill
    finally:
        stream.close()
        peer.close()


@needs_extension
async def test_fill_returns_short_at_eof_and_raises_on_timeout() -> None:
    stream, peer = await _pair()
    loop = asyncio.get_running_loop()
    try:
        view = memoryview(bytearray(1000))
        peer.sendall(b"x" * 10)
        start = loop.time()
        with pytest.raises(TransportError) as info:
            await stream.fill(view, start + 0.2)
        assert info.value.code == ETIMEDOUT
        assert 0.15 <= loop.time() - start < 3
        peer.sendall(b"y" * 20)
        peer.shutdown(socket.SHUT_WR)
        got = await stream.fill(memoryview(bytearray(1000)), loop.time() + 5)
        assert got == 20  # the 10 bytes of the timed-out fill went into its own buffer
    finally:
        stream.close()
        peer.close()


@needs_extension
def test_bytesfill_hands_out_bytes_once_and_only_without_views() -> None:
    fill = _accel.BytesFill(5)
    view = memoryview(fill)
    assert not view.readonly and len(view) == 5
    view[:] = b"hello"
    part = view[1:]
    view.release()
    with pytest.raises(BufferError):
        fill.take()  # a slice is still alive
    part.release()
    data = fill.take()
    assert data == b"hello" and type(data) is bytes
    with pytest.raises(ValueError):
        fill.take()
    with pytest.raises(ValueError):
        memoryview(fill)
    with pytest.raises(ValueError):
        _accel.BytesFill(-1)
    assert _accel.BytesFill(0).take() == b""


@needs_extension
async def test_cancelled_while_receiving_in_place(raw_server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    response = head(MiB) + BODY[: 400 * 1024]
    srv = await raw_server(raw.script(raw.read_head(), raw.send(response), raw.sleep(5), raw.close()))
    spy = PathSpy(monkeypatch, True)
    cli = Client("127.0.0.1", srv.port)
    cli.set({"timeout": 10})
    task = asyncio.ensure_future(cli.get("/"))
    await asyncio.sleep(0.2)
    assert spy.calls == 1  # waiting inside the in-place receive
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert cli.connected is False
    assert cli._conn is None or cli._conn.closed


@needs_extension
@pytest.mark.parametrize("via", ["connect_proxy", "socks5"])
async def test_large_bodies_through_proxies(
    http_server: Any,
    connect_proxy: Any,
    socks5_proxy: Any,
    monkeypatch: pytest.MonkeyPatch,
    tls_server_context: Any,
    via: str,
) -> None:
    """TLS started inside an HTTP CONNECT tunnel (start_tls on the connected socket) and plain
    HTTP over SOCKS5: both transports receive in place."""

    async def big(request: web.Request) -> web.Response:
        return web.Response(body=BODY)

    use_tls = via == "connect_proxy"
    srv = await http_server(routes=[web.get("/big", big)], ssl=tls_server_context if use_tls else None)
    proxy = await (connect_proxy() if use_tls else socks5_proxy())

    async def scenario() -> dict[str, Any]:
        cli = Client("127.0.0.1", srv.port, use_tls)
        if use_tls:
            cli.set({"timeout": 10, "http_proxy_host": "127.0.0.1", "http_proxy_port": proxy.port})
        else:
            cli.set({"timeout": 10, "socks5_host": "127.0.0.1", "socks5_port": proxy.port})
        runs = []
        for _ in range(2):
            assert await cli.get("/big") is True, (cli.errCode, cli.errMsg)
            assert cli.body == BODY
            runs.append(outcome(cli))
        cli.close()
        return {"runs": runs}

    await run_both(monkeypatch, scenario)


# ------------------------------------------------------------------------------------------
# WebSocket: large frame payloads received in place
# ------------------------------------------------------------------------------------------


async def ws_both(monkeypatch: pytest.MonkeyPatch, scenario: Any) -> Any:
    from swoole_compat._connection.http11 import HTTPConnection

    return await run_both(monkeypatch, scenario, HTTPConnection, "_payload_in_place")


def frame_sent_in_two(payload: bytes, split: int, pause: float, *, then_close: bool = False, after: bytes | None = None) -> Any:
    """A WebSocket handler sending one BINARY frame of ``payload``: ``split`` bytes of it,
    a pause, then the rest (or, with ``then_close``, closing instead), then ``after`` as a
    second frame; it waits for the client's next frame before returning."""
    from support.ws import encode_frame

    wire = encode_frame(2, payload)

    async def handler(conn: Any) -> None:
        await conn.send_raw(wire[:split])
        await asyncio.sleep(pause)
        if then_close:
            conn.close()
            return
        await conn.send_raw(wire[split:])
        if after is not None:
            await conn.send_binary(after)
        await conn.recv_frame(timeout=5)

    return handler


def frame_view(frame: Any) -> Any:
    if frame is False or frame == "":
        return frame
    return (frame.opcode, frame.flags, frame.finish, frame.data)


@needs_extension
@pytest.mark.parametrize("deflate", [False, True], ids=["plain", "deflate"])
async def test_ws_large_messages(ws_server: Any, monkeypatch: pytest.MonkeyPatch, deflate: bool) -> None:
    big = BODY[: 2 * MiB]

    async def handler(conn: Any) -> None:
        while True:
            message = await conn.recv_message()
            if message is None:
                return
            size = int(message.text)
            await conn.send_message(big[:size], 2, fragments=[size // 3, size // 3] if size > MiB else 1)
            await conn.send_message(b"small", 2)

    srv = await ws_server(handler, deflate=deflate)

    async def scenario() -> list[Any]:
        cli = Client("127.0.0.1", srv.port)
        cli.set({"timeout": 10, "websocket_compression": deflate, "package_max_length": 8 * MiB})
        assert await cli.upgrade("/") is True
        out = []
        for size in (MiB, 2 * MiB, 300 * 1024, 1000):
            assert await cli.push(str(size)) is True
            frame = await cli.recv()
            assert frame, (size, cli.errCode, cli.errMsg)
            assert frame.data == big[:size]
            out.append(frame_view(frame))
            out.append(frame_view(await cli.recv()))
        cli.close()
        return out

    result = await ws_both(monkeypatch, scenario)
    assert result[-1][3] == b"small"


@needs_extension
async def test_ws_timeout_mid_payload_keeps_the_partial_frame(ws_server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    payload = BODY[:MiB]
    srv = await ws_server(frame_sent_in_two(payload, 300 * 1024, 0.6, after=b"after"))

    async def scenario() -> list[Any]:
        cli = Client("127.0.0.1", srv.port)
        cli.set({"timeout": 10})
        assert await cli.upgrade("/") is True
        first = await cli.recv(0.3)
        state = (first, cli.errCode, cli.connected)
        frame = await cli.recv(5)
        after = await cli.recv(5)
        cli.close()
        return [state, frame_view(frame), frame_view(after)]

    result = await ws_both(monkeypatch, scenario)
    assert result[0] == (False, ETIMEDOUT, True)
    assert result[1][3] == payload and result[2][3] == b"after"


@needs_extension
async def test_ws_cancelled_mid_payload_then_received(ws_server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    payload = BODY[:MiB]
    srv = await ws_server(frame_sent_in_two(payload, 400 * 1024, 0.5))

    async def scenario() -> list[Any]:
        cli = Client("127.0.0.1", srv.port)
        cli.set({"timeout": 10})
        assert await cli.upgrade("/") is True
        task = asyncio.ensure_future(cli.recv(5))
        await asyncio.sleep(0.2)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        frame = await cli.recv(5)
        cli.close()
        return [frame_view(frame)]

    result = await ws_both(monkeypatch, scenario)
    assert result[0][3] == payload


@needs_extension
async def test_ws_peer_closes_mid_payload(ws_server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    srv = await ws_server(frame_sent_in_two(BODY[:MiB], 500 * 1024, 0.05, then_close=True))

    async def scenario() -> list[Any]:
        cli = Client("127.0.0.1", srv.port)
        cli.set({"timeout": 10})
        assert await cli.upgrade("/") is True
        frame = await cli.recv(5)
        return [frame_view(frame), cli.connected, cli.errCode]

    result = await ws_both(monkeypatch, scenario)
    assert result[0] == "" and result[1] is False
