"""Port of tests/swoole_http_client_coro/websocket/auto_pong.phpt (swoole-src a281145a1): "swoole_http_client_coro/websocket: auto pong".

The server (``open_websocket_pong_frame``) answers every frame it gets with a text frame plus a
PING carrying that frame's data; the client loops ``push`` / ``recv`` with default settings, so
every PING is answered inside ``recv()`` with a PONG echoing the payload and never surfaces. After
1000 PONGs the server disconnects and the client's loop ends on a falsy ``recv()``.

Port: faithful

Deviations: the Swoole server becomes the WSF fixture; its ``Assert::true`` on the 1000 collected
frames becomes asserts on the recorded frames (opcode, echoed payload, masking).
"""

from __future__ import annotations

import asyncio

from support.ws import OP_PING, OP_PONG, OP_TEXT, WSConnection, WSFrame

from swoole_compat import SWOOLE_WEBSOCKET_OPCODE_TEXT
from swoole_compat.coroutine.http import Client
from swoole_compat.websocket import Frame

PONGS = 1000


async def test_auto_pong(ws_server) -> None:
    pongs: list[WSFrame] = []

    async def handler(conn: WSConnection) -> None:
        while True:
            frame = await conn.recv_frame(timeout=5)
            if frame is None:
                return
            if len(pongs) == PONGS:
                await conn.disconnect()
                return
            if frame.opcode == OP_PONG:
                pongs.append(frame)
            await conn.send_text("hello world")
            await conn.send_frame(OP_PING, frame.payload)

    srv = await ws_server(handler)
    cli = Client("127.0.0.1", srv.port)
    cli.set({"timeout": 5})
    assert await cli.upgrade("/") is True and cli.statusCode == 101
    assert await cli.push("hello world", SWOOLE_WEBSOCKET_OPCODE_TEXT) is True
    texts = 0
    async with asyncio.timeout(20):
        while frame := await cli.recv():
            assert isinstance(frame, Frame)
            # PINGs are answered automatically and never returned; PONGs are not sent to us
            assert frame.opcode == OP_TEXT and frame.data == b"hello world"
            texts += 1
            await cli.push("hello world", SWOOLE_WEBSOCKET_OPCODE_TEXT)
    # the loop ends when the server has closed: "" at EOF (or False if a push hit the reset)
    assert frame in ("", False), frame
    assert cli.connected is False

    assert len(pongs) == PONGS
    for pong in pongs:
        assert pong.opcode == OP_PONG
        assert pong.fin and not (pong.rsv1 or pong.rsv2 or pong.rsv3)
        assert pong.masked  # automatic replies are masked (W13: Deviate)
        assert pong.payload == b"hello world"
    assert texts >= PONGS
