"""Port of tests/swoole_http_client_coro/websocket/1.phpt (swoole-src a281145a1): "swoole_http_client_coro/websocket: client & server".

With ``timeout`` -1 and empty request headers the client upgrades, receives the "start\\n" the
server pushes on open, then five times pushes "hello server" and receives "hello client\\n" (the
server answers each message after 0.1 s).

Port: faithful

Deviations: the Swoole WebSocket server becomes the WSF fixture; its DNS lookup of TEST_DOMAIN_1
before pushing "start\\n" is dropped (offline; irrelevant to the client), so the upstream
``skip_if_offline`` / ``skip_if_darwin_todo`` guards are gone. The client's pause between rounds
is 0.02 s instead of 0.1 s. The printed output becomes asserts, plus checks of what the server
received.
"""

from __future__ import annotations

import asyncio

from support.ws import OP_TEXT, WSConnection, WSMessage

from swoole_compat.coroutine.http import Client
from swoole_compat.websocket import Frame


async def test_websocket_client_and_server(ws_server, assert_bag) -> None:
    async def handler(conn: WSConnection) -> None:
        await conn.send_text("start\n")
        while True:
            message = await conn.recv_message(timeout=None)
            if not isinstance(message, WSMessage):
                return
            assert_bag.eq(message.payload, b"hello server", "server received")
            await asyncio.sleep(0.1)
            await conn.send_text("hello client\n")

    srv = await ws_server(handler)
    output: list[bytes] = []
    async with asyncio.timeout(10):  # timeout -1 means the client itself would wait forever
        cli = Client("127.0.0.1", srv.port)
        cli.set({"timeout": -1})
        cli.setHeaders({})
        assert await cli.upgrade("/") is True
        assert cli.statusCode == 101
        frame = await cli.recv()
        assert isinstance(frame, Frame)
        output.append(frame.data)
        for _ in range(5):
            assert await cli.push("hello server") is True
            frame = await cli.recv()
            assert isinstance(frame, Frame)
            assert frame.opcode == OP_TEXT and frame.finish is True
            output.append(frame.data)
            await asyncio.sleep(0.02)
        cli.close()

    assert b"".join(output) == b"start\n" + b"hello client\n" * 5
    conn = srv.conns[0]
    assert [m.payload for m in conn.messages] == [b"hello server"] * 5
    # every client frame is a masked, unfragmented text frame
    assert all(f.masked and f.fin and f.first_byte == 0x81 for f in conn.received_frames)
    # setHeaders([]) + upgrade(): only the handshake headers were sent
    request = srv.requests[0]
    assert [name for name, _ in request.headers] == [
        "Host",
        "Connection",
        "Upgrade",
        "Sec-WebSocket-Version",
        "Sec-WebSocket-Key",
        "Accept-Encoding",
    ]
