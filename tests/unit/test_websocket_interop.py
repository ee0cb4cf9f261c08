"""WebSocket interoperability: the client against independent, well-kept servers on loopback.

Servers: ``aiohttp.web.WebSocketResponse`` (served by :mod:`support.http`, with and without
``compress=True``), the ``websockets`` package (``websockets.asyncio.server.serve``), and, for
bytes no conforming server sends or for byte-exact capture, the RAW scripted server of
:mod:`support.raw`.  Nothing here uses the client's own frame codec to check the client: the
wire checks parse frames with the small independent parser at the top of this module.

Covered: text/binary echo, 1 MiB messages, fragmented push sequences, ping/pong in both
directions, server-initiated close (default echo and ``open_websocket_close_frame``),
permessage-deflate negotiated vs not, an upgrade refused with 403, a bad
``Sec-WebSocket-Accept``, ``package_max_length``, ``recv()`` timeouts, UNIX sockets, TLS, and the
exact wire bytes of websocket.md §1 (handshake request) and §3.3 (observed frames; the client
masks with a random key per frame on the connection (W3/D17), so frames are unmasked with the key
found in each frame and header bits + payload are compared).
"""

from __future__ import annotations

import asyncio
import base64
import errno
import hashlib
import os
import re
import struct
import warnings
import zlib
from typing import Any

import pytest
from aiohttp import WSMsgType, web

from support.listener import reset_writer
from support.raw import read_request_head

from swoole_compat import SwooleWarning
from swoole_compat.coroutine.http import Client
from swoole_compat.websocket import CloseFrame, Frame

try:  # the ``websockets`` package is a test extra; only its tests need it
    from websockets.asyncio import server as websockets_server
except ImportError:  # pragma: no cover - depends on the environment
    websockets_server = None

requires_websockets = pytest.mark.skipif(websockets_server is None, reason="the websockets package is not installed")

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
FIN, COMPRESS, RSV1, RSV2, RSV3, MASK = 1, 2, 4, 8, 16, 32
OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0, 1, 2, 8, 9, 10
MIB = 1024 * 1024


# --------------------------------------------------------------------------- independent helpers


def wire_frames(data: bytes) -> list[dict[str, Any]]:
    """Split ``data`` into frames: first byte, mask bit, key, length form, unmasked payload."""
    out = []
    pos = 0
    while pos < len(data):
        b0, b1 = data[pos], data[pos + 1]
        pos += 2
        length = b1 & 0x7F
        if length == 126:
            (length,) = struct.unpack_from("!H", data, pos)
            pos += 2
        elif length == 127:
            (length,) = struct.unpack_from("!Q", data, pos)
            pos += 8
        key = None
        if b1 & 0x80:
            key = data[pos : pos + 4]
            pos += 4
        raw = data[pos : pos + length]
        assert len(raw) == length, "truncated frame on the wire"
        pos += length
        payload = bytes(c ^ key[i % 4] for i, c in enumerate(raw)) if key else raw
        out.append({"b0": b0, "b1": b1, "key": key, "payload": payload, "raw": raw})
    return out


def accept_for(key: bytes) -> bytes:
    return base64.b64encode(hashlib.sha1(key + GUID).digest())


def request_key(head: bytes) -> bytes:
    match = re.search(rb"\r\nSec-WebSocket-Key: ([^\r]*)\r\n", head)
    assert match, head
    return match.group(1)


def handshake_then_hold(*, extensions: bytes | None = None, accept: bytes | None = None, extra: bytes = b""):
    """RAW handler: answer the upgrade with a hand-built 101, then read until the client closes."""

    async def handler(reader, writer):
        head = await read_request_head(reader)
        value = accept if accept is not None else accept_for(request_key(head))
        lines = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        lines += b"Sec-WebSocket-Accept: " + value + b"\r\n"
        if extensions is not None and b"permessage-deflate" in head:
            lines += b"Sec-WebSocket-Extensions: " + extensions + b"\r\n"
        writer.write(lines + extra + b"\r\n")
        await writer.drain()
        while await reader.read(65536):
            pass

    return handler


async def wait_for(predicate, timeout: float = 3.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not predicate():
        assert loop.time() < end, "condition not reached in time"
        await asyncio.sleep(0.005)


def client_for(port: int, host: str = "127.0.0.1", ssl: bool = False, **options: Any) -> Client:
    cli = Client(host, port, ssl)
    cli.set({"timeout": 5, **options})
    return cli


# --------------------------------------------------------------------------- aiohttp application


class AioLog:
    def __init__(self) -> None:
        self.messages: list[tuple[Any, Any]] = []
        self.close_codes: list[int | None] = []
        self.closes: list[tuple[int, str]] = []  # CLOSE frames received: (code, reason)
        self.pongs: list[bytes] = []
        self.extensions: list[str | None] = []


def aiohttp_routes(log: AioLog) -> list[web.RouteDef]:
    async def echo(request: web.Request) -> web.StreamResponse:
        # autoclose=False: a CLOSE is handed to us before aiohttp answers it (the client may be
        # gone by then; the support server cancels handlers of lost connections).
        ws = web.WebSocketResponse(
            compress=request.query.get("compress") == "1", max_msg_size=4 * MIB, autoclose=False
        )
        await ws.prepare(request)
        log.extensions.append(ws.headers.get("Sec-WebSocket-Extensions"))
        while True:
            msg = await ws.receive()
            log.messages.append((msg.type, msg.data))
            if msg.type == WSMsgType.TEXT:
                await ws.send_str(msg.data)
            elif msg.type == WSMsgType.BINARY:
                await ws.send_bytes(msg.data)
            else:
                if msg.type == WSMsgType.CLOSE:
                    log.closes.append((msg.data, msg.extra))
                break
        await ws.close()
        return ws

    async def server_ping(request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(autoping=False)
        await ws.prepare(request)
        await ws.ping(b"server-ping")
        msg = await ws.receive(timeout=3)
        log.messages.append((msg.type, msg.data))
        if msg.type == WSMsgType.PONG:
            log.pongs.append(msg.data)
            await ws.send_str("pong:" + msg.data.decode())
        await ws.close()
        return ws

    async def server_close(request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(timeout=3)
        await ws.prepare(request)
        await ws.send_str("about to close")
        await ws.close(code=4000, message=b"bye")
        log.close_codes.append(ws.close_code)
        return ws

    async def sized(request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                await ws.send_bytes(b"s" * int(msg.data))
        return ws

    async def forbidden(request: web.Request) -> web.StreamResponse:
        return web.Response(status=403, text="forbidden\n")

    return [
        web.get("/echo", echo),
        web.get("/server-ping", server_ping),
        web.get("/server-close", server_close),
        web.get("/sized", sized),
        web.get("/forbidden", forbidden),
    ]


# --------------------------------------------------------------------------- aiohttp: echo


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "deflate"])
async def test_aiohttp_text_and_binary_echo(http_server, compress: bool) -> None:
    log = AioLog()
    srv = await http_server(routes=aiohttp_routes(log))
    cli = client_for(srv.port, websocket_compression=compress)
    assert await cli.upgrade("/echo?compress=1") is True
    assert cli.statusCode == 101
    assert cli.errCode == 0 and cli.errMsg == ""
    assert cli.body == b""
    assert cli.headers["upgrade"].lower() == "websocket"
    negotiated = "permessage-deflate" in (cli.headers.get("sec-websocket-extensions") or "")
    assert negotiated is compress

    text = "héllo wörld " * 50
    assert await cli.push(text) is True
    frame = await cli.recv()
    assert isinstance(frame, Frame) and not isinstance(frame, CloseFrame)
    assert frame.opcode == OP_TEXT
    assert frame.data == text.encode()
    assert frame.finish is True
    assert frame.fd == cli.socket.fd
    # aiohttp compresses every message once deflate is negotiated: RSV1 -> flags 7.
    assert frame.flags == (FIN | RSV1 | COMPRESS if compress else FIN)

    blob = bytes(range(256)) * 40
    assert await cli.push(blob, OP_BINARY) is True
    frame = await cli.recv()
    assert frame.opcode == OP_BINARY
    assert frame.data == blob

    assert await cli.push(b"") is True  # empty text message
    frame = await cli.recv()
    assert frame.opcode == OP_TEXT and frame.data == b""

    assert cli.close() is True
    assert [t for t, _ in log.messages[:3]] == [WSMsgType.TEXT, WSMsgType.BINARY, WSMsgType.TEXT]
    assert log.messages[0][1] == text
    assert log.messages[1][1] == blob


async def test_aiohttp_compression_not_negotiated_when_not_offered_or_not_accepted(http_server) -> None:
    log = AioLog()
    srv = await http_server(routes=aiohttp_routes(log))
    # client does not offer, server would compress
    cli = client_for(srv.port)
    assert await cli.upgrade("/echo?compress=1") and cli.statusCode == 101
    assert "Sec-Websocket-Extensions" not in cli.requestHeaders
    assert "sec-websocket-extensions" not in cli.headers
    await cli.push("a" * 1000)
    frame = await cli.recv()
    assert frame.flags == FIN and frame.data == b"a" * 1000
    cli.close()

    # client offers, server does not accept
    cli = client_for(srv.port, websocket_compression=True)
    assert await cli.upgrade("/echo") and cli.statusCode == 101
    assert cli.requestHeaders["Sec-Websocket-Extensions"] == (
        "permessage-deflate; client_no_context_takeover; server_no_context_takeover"
    )
    assert "sec-websocket-extensions" not in cli.headers
    await cli.push("b" * 1000)
    frame = await cli.recv()
    assert frame.flags == FIN and frame.data == b"b" * 1000
    cli.close()
    offered = [r.header("Sec-WebSocket-Extensions") for r in srv.requests]
    assert offered == [None, "permessage-deflate; client_no_context_takeover; server_no_context_takeover"]


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "deflate"])
async def test_aiohttp_large_messages_1mib(http_server, compress: bool) -> None:
    log = AioLog()
    srv = await http_server(routes=aiohttp_routes(log))
    cli = client_for(srv.port, websocket_compression=compress)
    assert await cli.upgrade("/echo?compress=1") and cli.statusCode == 101
    blob = os.urandom(MIB)  # incompressible: deflated it is slightly larger, still < 2 MiB
    assert await cli.push(blob, OP_BINARY) is True
    frame = await cli.recv()
    assert frame.opcode == OP_BINARY and frame.data == blob
    text = ("0123456789abcdef" * (MIB // 16)).encode()
    assert await cli.push(text) is True
    frame = await cli.recv()
    assert frame.opcode == OP_TEXT and frame.data == text
    cli.close()
    assert log.messages[0] == (WSMsgType.BINARY, blob)


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "deflate"])
async def test_aiohttp_fragmented_push_sequences(http_server, compress: bool) -> None:
    log = AioLog()
    srv = await http_server(routes=aiohttp_routes(log))
    cli = client_for(srv.port, websocket_compression=compress, open_websocket_pong_frame=True)
    assert await cli.upgrade("/echo?compress=1") and cli.statusCode == 101
    # TEXT fin=0, CONT fin=0, CONT FIN
    assert await cli.push("frag-1 ", OP_TEXT, 0) is True
    assert await cli.push("frag-2 ", OP_CONT, 0) is True
    assert await cli.push("frag-3", OP_CONT, FIN) is True
    frame = await cli.recv()
    assert frame.opcode == OP_TEXT and frame.data == b"frag-1 frag-2 frag-3"

    # BINARY in 5 pieces of 64 KiB with a PING in the middle (control frames may interleave)
    pieces = [os.urandom(65536) for _ in range(5)]
    assert await cli.push(pieces[0], OP_BINARY, False) is True
    assert await cli.push(pieces[1], OP_CONT, 0) is True
    assert await cli.ping("mid") is True
    for piece in pieces[2:4]:
        assert await cli.push(piece, OP_CONT, 0) is True
    assert await cli.push(pieces[4], OP_CONT, True) is True
    first = await cli.recv()
    assert first.opcode == OP_PONG and first.data == b"mid"
    frame = await cli.recv()
    assert frame.opcode == OP_BINARY and frame.data == b"".join(pieces)

    # Frame objects drive opcode/finish themselves
    assert await cli.push(Frame(data="obj-1;", opcode=OP_TEXT, finish=False)) is True
    assert await cli.push(Frame(data="obj-2", opcode=OP_CONT, flags=FIN)) is True
    frame = await cli.recv()
    assert frame.data == b"obj-1;obj-2"
    cli.close()
    data = [m for t, m in log.messages if t in (WSMsgType.TEXT, WSMsgType.BINARY)]
    assert data == ["frag-1 frag-2 frag-3", b"".join(pieces), "obj-1;obj-2"]


# --------------------------------------------------------------------------- aiohttp: control frames


async def test_aiohttp_client_ping_pong(http_server) -> None:
    log = AioLog()
    srv = await http_server(routes=aiohttp_routes(log))
    # default: the PONG is dropped silently, recv() returns the next data frame
    cli = client_for(srv.port)
    assert await cli.upgrade("/echo") and cli.statusCode == 101
    assert await cli.ping("are you there") is True
    assert await cli.push("after ping") is True
    frame = await cli.recv()
    assert frame.opcode == OP_TEXT and frame.data == b"after ping"
    cli.close()

    # open_websocket_pong_frame: the PONG is returned with the PING payload
    cli = client_for(srv.port, open_websocket_pong_frame=True)
    assert await cli.upgrade("/echo") and cli.statusCode == 101
    assert await cli.ping(b"\x00binary\xff") is True
    frame = await cli.recv()
    assert frame.opcode == OP_PONG
    assert frame.data == b"\x00binary\xff"
    assert frame.flags == FIN and frame.finish is True
    assert await cli.ping() is True  # empty payload
    frame = await cli.recv()
    assert frame.opcode == OP_PONG and frame.data == b""
    cli.close()


async def test_aiohttp_server_ping_is_answered_automatically(http_server) -> None:
    log = AioLog()
    srv = await http_server(routes=aiohttp_routes(log))
    cli = client_for(srv.port)
    assert await cli.upgrade("/server-ping") and cli.statusCode == 101
    frame = await cli.recv()  # the PING is consumed and answered inside recv()
    assert frame.opcode == OP_TEXT and frame.data == b"pong:server-ping"
    # then the server closes: CLOSE is echoed, EOF gives ""
    assert await cli.recv() == ""
    assert cli.connected is False
    assert log.pongs == [b"server-ping"]


async def test_aiohttp_server_initiated_close_default_echo(http_server) -> None:
    log = AioLog()
    srv = await http_server(routes=aiohttp_routes(log))
    cli = client_for(srv.port)
    assert await cli.upgrade("/server-close") and cli.statusCode == 101
    frame = await cli.recv()
    assert frame.data == b"about to close"
    result = await cli.recv()
    assert result == "" and isinstance(result, str)
    assert cli.connected is False and cli.socket is None
    assert cli.errCode == 0 and cli.statusCode == 101
    # after the peer closed: no connection
    assert await cli.recv() is False
    assert cli.errCode == 5001
    assert await cli.push("late") is False and cli.errCode == 5001
    # aiohttp's close() returned after our echo: the code it saw is the one we echoed
    assert log.close_codes == [4000]


async def test_aiohttp_server_initiated_close_open_close_frame(http_server) -> None:
    log = AioLog()
    srv = await http_server(routes=aiohttp_routes(log))
    cli = client_for(srv.port, open_websocket_close_frame=True)
    assert await cli.upgrade("/server-close") and cli.statusCode == 101
    assert (await cli.recv()).data == b"about to close"
    frame = await cli.recv()
    assert isinstance(frame, CloseFrame)
    assert frame.opcode == OP_CLOSE
    assert frame.code == 4000
    assert frame.reason == b"bye"
    assert frame.flags == FIN and frame.finish is True
    assert cli.connected is True
    # answer with a CLOSE through push(): no client state changes (websocket.md §3.1) ...
    assert await cli.push(CloseFrame(code=4000, reason="ack")) is True
    assert cli.connected is True
    # ... aiohttp completes its close handshake and closes TCP: EOF gives ""
    assert await cli.recv() == ""
    assert cli.connected is False
    assert log.close_codes == [4000]


async def test_aiohttp_client_disconnect_and_push_close(http_server) -> None:
    log = AioLog()
    srv = await http_server(routes=aiohttp_routes(log))
    cli = client_for(srv.port)
    assert await cli.upgrade("/echo") and cli.statusCode == 101
    assert await cli.disconnect(4321, "done") is True
    assert cli.connected is False
    assert cli.errCode == 0
    await wait_for(lambda: log.closes)
    assert log.closes == [(4321, "done")]
    assert await cli.disconnect() is False and cli.errCode == 5001


# --------------------------------------------------------------------------- aiohttp: failures


async def test_aiohttp_upgrade_refused_403(http_server) -> None:
    log = AioLog()
    srv = await http_server(routes=aiohttp_routes(log))
    cli = client_for(srv.port)
    assert await cli.upgrade("/forbidden") is True  # W1: True for any complete response
    assert cli.statusCode == 403
    assert cli.body == b"forbidden\n"
    assert cli.errCode == 0
    assert cli.connected is True
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert await cli.push("nope") is False
    assert [str(w.message) for w in caught if issubclass(w.category, SwooleWarning)] == [
        "Swoole\\Coroutine\\Http\\Client::push(): websocket handshake failed, cannot push data"
    ]
    assert cli.errCode == 503
    assert cli.errMsg == "websocket handshake failed, cannot push data"
    assert cli.statusCode == -1
    assert cli.connected is True
    # ping()/disconnect() outside WebSocket mode: False, silently, nothing changes
    cli.errCode = 0
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert await cli.ping("x") is False
        assert await cli.disconnect() is False
        # recv() outside WebSocket mode without a pending defer request: False
        assert await cli.recv() is False
    assert caught == []
    assert cli.errCode == 0 and cli.statusCode == -1 and cli.connected is True
    # the HTTP connection is still usable
    assert await cli.get("/get") is True and cli.statusCode == 200
    cli.close()
    assert srv.connections == 1


async def test_aiohttp_package_max_length_oversize_frame(http_server) -> None:
    log = AioLog()
    srv = await http_server(routes=aiohttp_routes(log))
    cli = client_for(srv.port, package_max_length=65536)
    assert await cli.upgrade("/sized") and cli.statusCode == 101
    # 65532 payload bytes + 4 header bytes == 65536: exactly at the limit, accepted
    await cli.push("65532")
    frame = await cli.recv()
    assert len(frame.data) == 65532
    # one more byte: the frame is too big -> False, 1201, -3, closed
    await cli.push("65533")
    assert await cli.recv() is False
    assert cli.errCode == 1201
    assert cli.statusCode == -3
    assert cli.connected is False
    assert await cli.recv() is False and cli.errCode == 5001


async def test_aiohttp_package_max_length_follows_socket_option_rules(http_server) -> None:
    """client.md §4.3: the option is applied to the socket at connect (merged ``setting``) and by
    every ``set()`` on a live connection, where a dict without it resets the limit to 2 MiB; size
    strings ("64K") are accepted like ``php_swoole_parse_to_size``."""
    log = AioLog()
    srv = await http_server(routes=aiohttp_routes(log))
    # before connecting: the merged setting counts, a later set() without the key keeps it
    cli = client_for(srv.port, package_max_length=65536)
    cli.set({"timeout": 5})
    assert await cli.upgrade("/sized") and cli.statusCode == 101
    await cli.push("65533")
    assert await cli.recv() is False and cli.errCode == 1201

    # on a live connection: set() without the key resets to 2 MiB ...
    cli = client_for(srv.port, package_max_length=65536)
    assert await cli.upgrade("/sized") and cli.statusCode == 101
    cli.set({"timeout": 5})
    await cli.push("100000")
    assert len((await cli.recv()).data) == 100000
    # ... and set() with a size string applies it at once
    cli.set({"package_max_length": "64K"})
    await cli.push("65532")
    assert len((await cli.recv()).data) == 65532
    await cli.push("65533")
    assert await cli.recv() is False
    assert (cli.errCode, cli.statusCode, cli.connected) == (1201, -3, False)


async def test_aiohttp_default_package_max_length_is_2mib(http_server) -> None:
    log = AioLog()
    srv = await http_server(routes=aiohttp_routes(log))
    cli = client_for(srv.port)
    assert await cli.upgrade("/sized") and cli.statusCode == 101
    await cli.push(str(2 * MIB - 10))  # 64-bit length form: 10 header bytes
    frame = await cli.recv()
    assert len(frame.data) == 2 * MIB - 10
    await cli.push(str(2 * MIB - 9))
    assert await cli.recv() is False
    assert (cli.errCode, cli.statusCode, cli.connected) == (1201, -3, False)


async def test_aiohttp_recv_timeout_keeps_connection(http_server) -> None:
    log = AioLog()
    srv = await http_server(routes=aiohttp_routes(log))
    cli = client_for(srv.port)
    assert await cli.upgrade("/echo") and cli.statusCode == 101
    loop = asyncio.get_running_loop()
    start = loop.time()
    assert await cli.recv(0.2) is False
    elapsed = loop.time() - start
    assert 0.15 <= elapsed < 2.0
    assert cli.errCode == 110
    assert cli.errMsg == "Connection timed out"
    assert cli.statusCode == -3
    assert cli.connected is True
    # the connection is still fully usable
    assert await cli.push("still here") is True
    frame = await cli.recv(2)
    assert frame.data == b"still here"
    # the configured timeout applies when recv() gets none
    cli.set({"timeout": 0.2})
    assert await cli.recv() is False
    assert cli.errCode == 110 and cli.connected is True
    cli.close()


async def test_aiohttp_recv_timeout_is_the_read_timeout_applied_last(http_server) -> None:
    """websocket.md §4.1: without an argument ``recv()`` waits for the socket read timeout, set
    by whichever of ``timeout`` / ``read_timeout`` was applied last (at connect the merged
    ``setting`` applies ``timeout`` first, then ``read_timeout``)."""
    log = AioLog()
    srv = await http_server(routes=aiohttp_routes(log))
    loop = asyncio.get_running_loop()

    async def timed_recv(cli: Client) -> float:
        start = loop.time()
        assert await cli.recv() is False
        assert (cli.errCode, cli.statusCode, cli.connected) == (110, -3, True)
        return loop.time() - start

    # at connect: read_timeout wins over timeout whatever the order of the set() calls
    cli = client_for(srv.port, read_timeout=0.2)
    cli.set({"timeout": 30})
    assert await cli.upgrade("/echo") and cli.statusCode == 101
    assert 0.15 <= await timed_recv(cli) < 2.0
    # on the live connection: a later "timeout" replaces the read timeout ...
    cli.set({"read_timeout": 30})
    cli.set({"timeout": 0.3})
    assert 0.25 <= await timed_recv(cli) < 2.0
    # ... a set() with neither key keeps it, and 0 is ignored
    cli.set({"open_websocket_pong_frame": True, "timeout": 0})
    assert 0.25 <= await timed_recv(cli) < 2.0
    cli.close()


# --------------------------------------------------------------------------- aiohttp: transports


async def test_aiohttp_over_unix_socket(http_server) -> None:
    log = AioLog()
    srv = await http_server(routes=aiohttp_routes(log), unix=True)
    cli = Client(srv.client_host)
    cli.set({"timeout": 5})
    assert await cli.upgrade("/echo") is True
    assert cli.statusCode == 101
    assert await cli.push("over unix") is True
    frame = await cli.recv()
    assert frame.data == b"over unix"
    blob = os.urandom(300_000)
    assert await cli.push(blob, OP_BINARY) is True
    assert (await cli.recv()).data == blob
    assert await cli.disconnect() is True
    await wait_for(lambda: log.closes)
    assert log.closes == [(1000, "")]


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "deflate"])
async def test_aiohttp_over_tls(http_server, tls, compress: bool) -> None:
    log = AioLog()
    srv = await http_server(routes=aiohttp_routes(log), ssl=tls.server_context())
    cli = client_for(
        srv.port,
        ssl=True,
        ssl_verify_peer=True,
        ssl_cafile=tls.ca_file,
        ssl_host_name="localhost",
        websocket_compression=compress,
    )
    assert await cli.upgrade("/echo?compress=1") is True
    assert cli.statusCode == 101
    for size in (1, 125, 126, 65535, 65536, 200_000):
        data = os.urandom(size // 2 + 1).hex()[:size]
        assert await cli.push(data) is True
        frame = await cli.recv()
        assert frame.data == data.encode()
    assert await cli.disconnect() is True
    await wait_for(lambda: log.closes)
    assert log.closes == [(1000, "")]


# --------------------------------------------------------------------------- websockets package


async def _websockets_echo(ws) -> None:
    async for message in ws:
        await ws.send(message)


async def _websockets_ping_then_close(ws) -> None:
    waiter = await ws.ping(b"ws-ping")
    await asyncio.wait_for(waiter, 3)  # our automatic PONG must be valid (masked, same payload)
    await ws.send("pong received")
    await ws.close(4001, "bye from websockets")


def _port_of(server) -> int:
    return next(iter(server.sockets)).getsockname()[1]


@requires_websockets
@pytest.mark.parametrize("compression", [None, "deflate"], ids=["plain", "deflate"])
async def test_websockets_echo(compression: str | None) -> None:
    async with websockets_server.serve(
        _websockets_echo, "127.0.0.1", 0, compression=compression, max_size=4 * MIB, ping_interval=None
    ) as server:
        cli = client_for(_port_of(server), websocket_compression=True)
        assert await cli.upgrade("/") is True and cli.statusCode == 101
        negotiated = "permessage-deflate" in (cli.headers.get("sec-websocket-extensions") or "")
        assert negotiated is (compression == "deflate")
        text = "websockets " * 100
        assert await cli.push(text) is True
        frame = await cli.recv()
        assert frame.opcode == OP_TEXT and frame.data == text.encode()
        assert bool(frame.flags & RSV1) is negotiated
        blob = os.urandom(MIB)
        assert await cli.push(blob, OP_BINARY) is True
        frame = await cli.recv()
        assert frame.opcode == OP_BINARY and frame.data == blob
        # fragmented
        assert await cli.push("a", OP_TEXT, 0) and await cli.push("b", OP_CONT, 0)
        assert await cli.push("c", OP_CONT, FIN)
        assert (await cli.recv()).data == b"abc"
        # client ping: websockets answers, the pong is dropped by default
        assert await cli.ping("x") is True
        assert await cli.push("after") and (await cli.recv()).data == b"after"
        assert await cli.disconnect(1000, "bye") is True
        assert cli.connected is False


@requires_websockets
async def test_websockets_server_ping_and_close() -> None:
    async with websockets_server.serve(
        _websockets_ping_then_close, "127.0.0.1", 0, ping_interval=None, close_timeout=3
    ) as server:
        cli = client_for(_port_of(server))
        assert await cli.upgrade("/") and cli.statusCode == 101
        frame = await cli.recv()
        assert frame.data == b"pong received"
        # default: CLOSE echoed automatically, websockets closes TCP, recv() gives ""
        assert await cli.recv() == ""
        assert cli.connected is False

        cli = client_for(_port_of(server), open_websocket_close_frame=True, open_websocket_ping_frame=True)
        assert await cli.upgrade("/") and cli.statusCode == 101
        frame = await cli.recv()
        assert frame.opcode == OP_PING and frame.data == b"ws-ping"
        assert await cli.push(Frame(opcode=OP_PONG, data=frame.data)) is True
        assert (await cli.recv()).data == b"pong received"
        frame = await cli.recv()
        assert isinstance(frame, CloseFrame)
        assert (frame.code, frame.reason) == (4001, b"bye from websockets")
        assert await cli.push(CloseFrame(code=frame.code, reason=frame.reason)) is True
        assert await cli.recv() == ""


@requires_websockets
async def test_websockets_rejects_nothing_we_send_masked() -> None:
    """websockets fails the connection on an unmasked client frame; with the default
    ``websocket_mask`` every client frame is masked, so this long mixed session survives."""
    async with websockets_server.serve(_websockets_echo, "127.0.0.1", 0, ping_interval=None) as server:
        cli = client_for(_port_of(server))
        assert await cli.upgrade("/") and cli.statusCode == 101
        for i in range(50):
            payload = os.urandom(i * 37)
            assert await cli.push(payload, OP_BINARY)
            assert (await cli.recv()).data == payload
        cli.close()


# --------------------------------------------------------------------------- raw: handshake failures


@pytest.mark.parametrize(
    "response",
    [
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n",
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: {accept}\r\n\r\n",
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Accept: {accept_lower}\r\n\r\n",
    ],
    ids=["wrong-accept", "no-accept", "no-connection", "accept-wrong-case"],
)
async def test_raw_bad_handshake(raw_server, response: bytes) -> None:
    async def handler(reader, writer):
        head = await read_request_head(reader)
        accept = accept_for(request_key(head))
        writer.write(response.replace(b"{accept}", accept).replace(b"{accept_lower}", accept.lower()))
        await writer.drain()
        while await reader.read(65536):
            pass

    srv = await raw_server(handler)
    cli = client_for(srv.port)
    assert await cli.upgrade("/") is False
    assert cli.statusCode == -3
    assert cli.errCode == 8504
    assert cli.errMsg == "websocket handshake failed: invalid Upgrade/Connection/Sec-WebSocket-Accept headers"
    assert cli.connected is False
    assert await cli.push("x") is False and cli.errCode == 5001
    await wait_for(lambda: srv.records[0].peer_closed_at is not None)


async def test_raw_101_without_websocket_token(raw_server) -> None:
    async def handler(reader, writer):
        await read_request_head(reader)
        writer.write(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n")
        await writer.drain()
        while await reader.read(65536):
            pass

    srv = await raw_server(handler)
    cli = client_for(srv.port)
    assert await cli.upgrade("/") is True
    assert cli.statusCode == 0
    assert cli.errCode == 0
    assert cli.connected is True
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        assert await cli.push("x") is False
    assert (cli.errCode, cli.statusCode) == (503, -1)
    cli.close()


# --------------------------------------------------------------------------- raw: exact wire bytes


async def test_wire_handshake_request_bytes(raw_server) -> None:
    """websocket.md §1: the observed handshake request, byte for byte (the key is random)."""
    srv = await raw_server(handshake_then_hold())
    cli = client_for(srv.port)
    cli.setHeaders({"X-A": "b", "Connection": "foo"})
    assert await cli.upgrade("/ws") is True and cli.statusCode == 101
    cli.close()
    head = srv.requests[0]
    key = request_key(head)
    assert re.fullmatch(rb"[A-Za-z0-9+/]{22}==", key), key
    expected = (
        b"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nX-A: b\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
        b"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: %s\r\nAccept-Encoding: gzip, deflate, br\r\n\r\n"
        % (srv.port, key)
    )
    assert head == expected
    assert len(base64.b64decode(key)) == 16
    # W2: the headers were assigned into requestHeaders (existing key keeps its position)
    assert list(cli.requestHeaders.items()) == [
        ("X-A", "b"),
        ("Connection", "Upgrade"),
        ("Upgrade", "websocket"),
        ("Sec-WebSocket-Version", "13"),
        ("Sec-WebSocket-Key", key.decode()),
    ]
    assert cli.requestMethod == "GET"


async def test_wire_handshake_request_bytes_with_compression(raw_server) -> None:
    srv = await raw_server(handshake_then_hold(extensions=b"permessage-deflate"))
    cli = client_for(srv.port, websocket_compression=True)
    assert await cli.upgrade("/") is True and cli.statusCode == 101
    cli.close()
    head = srv.requests[0]
    key = request_key(head)
    expected = (
        b"GET / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
        b"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: %s\r\n"
        b"Sec-Websocket-Extensions: permessage-deflate; client_no_context_takeover; server_no_context_takeover\r\n"
        b"Accept-Encoding: gzip, deflate, br\r\n\r\n" % (srv.port, key)
    )
    assert head == expected
    assert "permessage-deflate" in cli.headers["sec-websocket-extensions"]


def _after_head(received: bytes) -> bytes:
    return received.split(b"\r\n\r\n", 1)[1]


async def test_wire_observed_frames_session(raw_server) -> None:
    """websocket.md §3.3: the frames of the observed session (header bits + unmasked payload;
    unmasked frames byte for byte)."""
    srv = await raw_server(handshake_then_hold())
    cli = Client("127.0.0.1", srv.port)
    assert await cli.upgrade("/") is True and cli.statusCode == 101
    assert await cli.push("abc") is True
    cli.set({"websocket_mask": False})
    assert await cli.push("abc", OP_BINARY) is True
    cli.set({"timeout": 5})  # W4: mask re-enabled
    assert await cli.push("x", OP_TEXT, False) is True
    assert await cli.push("y", OP_CONT, FIN | RSV1 | RSV2) is True
    assert await cli.push(Frame(data="fr", opcode=OP_BINARY, finish=False), 9, 0) is True
    assert await cli.push("z", 256) is True
    assert await cli.ping("pg") is True
    assert await cli.disconnect(1001, "gone") is True
    assert cli.connected is False
    await wait_for(lambda: srv.records[0].peer_closed_at is not None)
    frames = wire_frames(_after_head(bytes(srv.records[0].received)))
    got = [(f["b0"], f["b1"], f["payload"]) for f in frames]
    assert got == [
        (0x81, 0x83, b"abc"),
        (0x82, 0x03, b"abc"),
        (0x01, 0x81, b"x"),
        (0xC0, 0x81, b"y"),
        (0x02, 0x82, b"fr"),
        (0x80, 0x81, b"z"),
        (0x89, 0x82, b"pg"),
        (0x88, 0x86, b"\x03\xe9gone"),
    ]
    assert frames[1]["raw"] == b"abc" and frames[1]["key"] is None
    assert _after_head(bytes(srv.records[0].received))[9:14] == bytes.fromhex("8203616263")
    keys = [f["key"] for f in frames if f["key"] is not None]
    assert len(keys) == 7
    # D17: a fresh random key per frame on the connection, not upstream's fixed "258E"
    assert len(set(keys)) > 1
    assert keys.count(b"258E") < len(keys)


async def test_wire_observed_frame_with_deflate(raw_server) -> None:
    srv = await raw_server(handshake_then_hold(extensions=b"permessage-deflate"))
    cli = client_for(srv.port, websocket_compression=True)
    assert await cli.upgrade("/") is True and cli.statusCode == 101
    assert await cli.push("hello hello hello hello") is True
    # fragments are never compressed, even when negotiated (W7)
    assert await cli.push("hello hello", OP_TEXT, 0) is True
    assert await cli.push(" hello", OP_CONT, FIN) is True
    # control frames neither
    assert await cli.ping("ping ping ping ping") is True
    cli.close()
    await wait_for(lambda: srv.records[0].peer_closed_at is not None)
    frames = wire_frames(_after_head(bytes(srv.records[0].received)))
    assert [(f["b0"], f["b1"]) for f in frames] == [(0xC1, 0x8B), (0x01, 0x8B), (0x80, 0x86), (0x89, 0x93)]
    # observed upstream bytes c18b 32353845 f87df58cfb62f005153438, unmasked with "258E"
    assert frames[0]["payload"] == bytes.fromhex("ca48cdc9c957c840270100")
    assert zlib.decompressobj(-15).decompress(frames[0]["payload"] + b"\x00\x00\xff\xff") == b"hello hello hello hello"
    assert frames[1]["payload"] == b"hello hello"
    assert frames[2]["payload"] == b" hello"
    assert frames[3]["payload"] == b"ping ping ping ping"


async def test_wire_frames_sent_right_after_101_are_received(raw_server) -> None:
    """Bytes following the 101 head in the same write are WebSocket data (W14: kept, even short)."""
    unmasked = b"\x81\x02hi" + b"\x82\x00" + b"\x81\x05there"

    async def handler(reader, writer):
        head = await read_request_head(reader)
        writer.write(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Accept: " + accept_for(request_key(head)) + b"\r\n\r\n" + unmasked
        )
        await writer.drain()
        while await reader.read(65536):
            pass

    srv = await raw_server(handler)
    cli = client_for(srv.port)
    assert await cli.upgrade("/") is True and cli.statusCode == 101
    assert (await cli.recv()).data == b"hi"
    frame = await cli.recv()
    assert (frame.opcode, frame.data) == (OP_BINARY, b"")
    assert (await cli.recv()).data == b"there"
    cli.close()


# --------------------------------------------------------------------------- raw: unusual server frames


def send_after_handshake(frames: bytes, *, hold: bool = True):
    """RAW handler: a valid 101, then ``frames`` in a separate write, then hold (or close)."""

    async def handler(reader, writer):
        head = await read_request_head(reader)
        writer.write(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Accept: " + accept_for(request_key(head)) + b"\r\n\r\n"
        )
        await writer.drain()
        await asyncio.sleep(0.01)
        writer.write(frames)
        await writer.drain()
        if hold:
            while await reader.read(65536):
                pass

    return handler


def server_frame(first: int, payload: bytes, key: bytes | None = None) -> bytes:
    """An independent frame encoder for the raw server side."""
    n = len(payload)
    mask_bit = 0x80 if key else 0
    if n < 126:
        head = bytes((first, mask_bit | n))
    elif n < 65536:
        head = bytes((first, mask_bit | 126)) + struct.pack("!H", n)
    else:
        head = bytes((first, mask_bit | 127)) + struct.pack("!Q", n)
    if key:
        return head + key + bytes(c ^ key[i % 4] for i, c in enumerate(payload))
    return head + payload


async def test_raw_server_frames_masked_rsv1_reserved_and_short_close(raw_server) -> None:
    deflated = zlib.compressobj(-1, zlib.DEFLATED, -15)
    body = deflated.compress(b"inflated without negotiation") + deflated.flush(zlib.Z_SYNC_FLUSH)
    frames = (
        server_frame(0x82, b"masked binary", key=b"\x01\x02\x03\x04")  # masked server frame
        + server_frame(0xC1, body[:-4])  # RSV1 without negotiation (W8)
        + server_frame(0x83, b"opcode three")  # reserved non-control opcode
        + server_frame(0x81, b"x" * 70000)  # 64-bit length form
        + server_frame(0x88, b"\x03")  # 1-byte close payload
    )
    srv = await raw_server(send_after_handshake(frames))
    cli = client_for(srv.port, open_websocket_close_frame=True)
    assert await cli.upgrade("/") and cli.statusCode == 101
    frame = await cli.recv()
    assert (frame.opcode, frame.data, frame.flags, frame.finish) == (OP_BINARY, b"masked binary", FIN | MASK, True)
    frame = await cli.recv()
    assert (frame.opcode, frame.data, frame.flags) == (OP_TEXT, b"inflated without negotiation", FIN | RSV1 | COMPRESS)
    frame = await cli.recv()
    assert (frame.opcode, frame.data) == (3, b"opcode three")
    frame = await cli.recv()
    assert frame.data == b"x" * 70000
    frame = await cli.recv()
    assert isinstance(frame, CloseFrame) and (frame.code, frame.reason) == (1000, b"")
    cli.close()


@pytest.mark.expect_swoole_warnings(r"^invalid websocket control frame received: opcode=9, fin=0, payload_length=4$")
async def test_raw_invalid_control_frame_is_a_protocol_error(raw_server, swoole_log) -> None:
    frames = server_frame(0x09, b"frag") + server_frame(0x81, b"after")
    srv = await raw_server(send_after_handshake(frames))
    cli = client_for(srv.port)
    assert await cli.upgrade("/") and cli.statusCode == 101
    assert await cli.recv() is False
    assert (cli.errCode, cli.statusCode, cli.connected) == (0, 101, True)
    assert len(swoole_log.warnings) == 1
    assert (await cli.recv()).data == b"after"
    cli.close()


async def test_raw_auto_replies_are_masked_and_echo_payload(raw_server) -> None:
    frames = server_frame(0x89, b"ping-1") + server_frame(0x8A, b"unsolicited pong") + server_frame(0x81, b"m")
    frames += server_frame(0x88, b"\x0f\xa0going")
    srv = await raw_server(send_after_handshake(frames))
    cli = client_for(srv.port)
    assert await cli.upgrade("/") and cli.statusCode == 101
    assert (await cli.recv()).data == b"m"  # PING answered, PONG dropped
    # the CLOSE is echoed and reading goes on: the server holds, so recv() times out
    assert await cli.recv(0.2) is False and cli.errCode == 110 and cli.connected is True
    cli.close()
    await wait_for(lambda: srv.records[0].peer_closed_at is not None)
    replies = wire_frames(_after_head(bytes(srv.records[0].received)))
    assert [(f["b0"], f["b1"] & 0x80, f["payload"]) for f in replies] == [
        (0x8A, 0x80, b"ping-1"),
        (0x88, 0x80, b"\x0f\xa0going"),
    ]


async def test_raw_pack_failures_on_a_live_connection(raw_server) -> None:
    srv = await raw_server(handshake_then_hold())
    cli = client_for(srv.port)
    assert await cli.upgrade("/") and cli.statusCode == 101
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert await cli.push("x", 11) is False
        assert (cli.errCode, cli.errMsg, cli.statusCode) == (8505, "websocket frame pack failed", 101)
        cli.errCode = 0
        assert await cli.push("x", -1) is False and cli.errCode == 8505
        cli.errCode = 0
        assert await cli.ping("p" * 126) is False and cli.errCode == 8505
        assert cli.connected is True
        assert await cli.push("still fine") is True
        cli.errCode = 0
        assert await cli.disconnect(1000, "r" * 124) is False
        assert cli.errCode == 8505
        assert cli.connected is False
    texts = [str(w.message) for w in caught if issubclass(w.category, SwooleWarning)]
    assert texts == [
        "Swoole\\Coroutine\\Http\\Client::push(): opcode must be between 0 and 10",
        "Swoole\\Coroutine\\Http\\Client::push(): opcode must be between 0 and 10",
        "Swoole\\Coroutine\\Http\\Client::ping(): websocket control frame payload must not exceed 125 bytes",
        "Swoole\\Coroutine\\Http\\Client::disconnect(): the max length of close reason is 123",
    ]
    await wait_for(lambda: srv.records[0].peer_closed_at is not None)
    sent = wire_frames(_after_head(bytes(srv.records[0].received)))
    assert [(f["b0"], f["payload"]) for f in sent] == [(0x81, b"still fine")]


async def test_raw_keep_alive_off_does_not_close_websocket(raw_server) -> None:
    srv = await raw_server(send_after_handshake(server_frame(0x81, b"still open")))
    cli = client_for(srv.port, keep_alive=False)
    assert await cli.upgrade("/") and cli.statusCode == 101
    assert cli.connected is True
    assert (await cli.recv()).data == b"still open"
    assert await cli.push("x") is True
    cli.close()
    assert b"Connection: Upgrade\r\n" in srv.requests[0]
    assert b"Connection: close" not in srv.requests[0]


async def test_raw_peer_reset_recv_and_push_fail(raw_server) -> None:
    async def reset_after_handshake(reader, writer):
        head = await read_request_head(reader)
        writer.write(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Accept: " + accept_for(request_key(head)) + b"\r\n\r\n"
        )
        await writer.drain()
        await reader.readexactly(7)  # the client's first frame: push("a") masked = 7 bytes
        reset_writer(writer)  # RST

    srv = await raw_server(reset_after_handshake)
    cli = client_for(srv.port)
    assert await cli.upgrade("/") and cli.statusCode == 101
    assert await cli.push("a") is True
    assert await cli.recv() is False
    assert cli.errCode == errno.ECONNRESET
    assert cli.statusCode == -3
    assert cli.connected is False
    assert await cli.push("b") is False and cli.errCode == 5001

    # a push into a reset connection fails with the socket error, statusCode -3, and closes
    srv2 = await raw_server(reset_after_handshake)
    cli = client_for(srv2.port)
    assert await cli.upgrade("/") and cli.statusCode == 101
    assert await cli.push("a") is True
    await wait_for(lambda: srv2.records[0].server_closed_at is not None)
    await asyncio.sleep(0.05)
    for _ in range(50):
        if not await cli.push("b" * 1000):
            break
        await asyncio.sleep(0.01)
    assert cli.errCode in (errno.ECONNRESET, errno.EPIPE)
    assert cli.statusCode == -3
    assert cli.connected is False


async def test_raw_eof_in_the_middle_of_a_frame_gives_empty_string(raw_server) -> None:
    frame = server_frame(0x82, b"z" * 1000)
    srv = await raw_server(send_after_handshake(frame[:500], hold=False))
    cli = client_for(srv.port)
    assert await cli.upgrade("/") and cli.statusCode == 101
    result = await cli.recv()
    assert result == "" and isinstance(result, str)
    assert (cli.connected, cli.errCode, cli.statusCode) == (False, 0, 101)


async def test_raw_length_beyond_signed_64_bits_is_treated_as_eof(raw_server) -> None:
    srv = await raw_server(send_after_handshake(b"\x82\x7f\xff\xff\xff\xff\xff\xff\xff\xff" + b"x" * 10))
    cli = client_for(srv.port)
    assert await cli.upgrade("/") and cli.statusCode == 101
    assert await cli.recv() == ""
    assert cli.connected is False and cli.errCode == 0


async def test_raw_reassembled_message_too_large_is_silent_and_keeps_buffer(raw_server, swoole_log) -> None:
    part = b"p" * 40000
    frames = server_frame(0x01, part) + server_frame(0x80, part) + server_frame(0x80, b"tail")
    srv = await raw_server(send_after_handshake(frames))
    cli = client_for(srv.port, package_max_length=65536)
    assert await cli.upgrade("/") and cli.statusCode == 101
    assert await cli.recv() is False
    assert (cli.errCode, cli.statusCode, cli.connected) == (0, 101, True)
    assert swoole_log.warnings == []
    # W12: the partial buffer was kept; the next final continuation completes it
    frame = await cli.recv()
    assert frame.data == part + b"tail"
    cli.close()


async def test_raw_inflate_failure_is_a_warning_and_keeps_connection(raw_server) -> None:
    frames = server_frame(0xC1, b"\xff\xff\xff") + server_frame(0x41, b"\xff\xff") + server_frame(0x80, b"\xff")
    frames += server_frame(0x81, b"fine")
    srv = await raw_server(send_after_handshake(frames))
    cli = client_for(srv.port)
    assert await cli.upgrade("/") and cli.statusCode == 101
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert await cli.recv() is False  # single compressed frame
        assert await cli.recv() is False  # fragmented compressed message: buffer dropped
    assert [str(w.message) for w in caught] == [
        "Swoole\\Coroutine\\Http\\Client::recv(): inflate() failed, Error: data error[-3]"
    ] * 2
    assert (cli.errCode, cli.statusCode, cli.connected) == (0, 101, True)
    assert (await cli.recv()).data == b"fine"
    cli.close()


@pytest.mark.parametrize(
    ("glued", "expected"),
    [(b"\x89\x00", b"hi"), (b"\x81\x01a", b"a")],
    ids=["2 bytes: lost", "3 bytes: kept"],
)
async def test_raw_bytes_glued_to_the_101(raw_server, glued: bytes, expected: bytes) -> None:
    """``recv_response``: bytes after the 101 head are kept only when more than
    ``SW_WEBSOCKET_HEADER_LEN`` (2) arrived with it (websocket.md §1.2, observed on 6.2.1): an
    empty PING glued to the 101 is lost (no PONG answers it, the next frame is returned); a
    3-byte frame is WebSocket data."""
    got_after_handshake = []

    async def handler(reader, writer):
        head = await read_request_head(reader)
        writer.write(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Accept: " + accept_for(request_key(head)) + b"\r\n\r\n" + glued
        )
        await writer.drain()
        try:
            got_after_handshake.append(await asyncio.wait_for(reader.read(65536), 0.3))
        except asyncio.TimeoutError:
            pass
        writer.write(b"\x81\x02hi")
        await writer.drain()
        while await reader.read(65536):
            pass

    srv = await raw_server(handler)
    cli = client_for(srv.port)
    assert await cli.upgrade("/") and cli.statusCode == 101
    frame = await cli.recv(2)
    assert (frame.opcode, frame.data, frame.finish) == (OP_TEXT, expected, True)
    assert got_after_handshake == []  # no PONG was sent for a lost PING
    cli.close()


async def test_wire_upgrade_after_post_sends_persisted_body(raw_server) -> None:
    """websocket.md §1 step 4 (quirk): ``upgrade()`` runs the normal request algorithm, so a
    body persisted by an earlier ``post()`` goes out with the GET handshake."""

    async def handler(reader, writer):
        await read_request_head(reader)
        await reader.readexactly(3)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        await writer.drain()
        await handshake_then_hold()(reader, writer)

    srv = await raw_server(handler)
    cli = client_for(srv.port)
    assert await cli.post("/p", "abc") is True and cli.body == b"ok"
    assert await cli.upgrade("/ws") is True and cli.statusCode == 101
    assert cli.requestMethod == "GET"
    cli.close()
    await wait_for(lambda: srv.records[0].peer_closed_at is not None)
    assert srv.connections == 1
    upgrade_head = srv.requests[1]
    assert upgrade_head.startswith(b"GET /ws HTTP/1.1\r\n")
    assert upgrade_head.endswith(b"Content-Length: 3\r\n\r\n")
    assert bytes(srv.records[0].received).endswith(upgrade_head + b"abc")
