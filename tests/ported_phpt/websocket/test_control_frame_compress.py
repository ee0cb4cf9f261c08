"""Port of tests/swoole_http_client_coro/websocket/control_frame_compress.phpt (swoole-src a281145a1): "swoole_http_client_coro/websocket: control frame can not compress".

With permessage-deflate negotiated, the client pushes a ``CloseFrame`` (code 1000, reason
'hahahahaha', ``flags`` 0) and passes ``RSV1 | COMPRESS`` as the second argument. The server
must receive a close frame with FIN=1 and RSV1=0: control frames are never compressed, and for a
Frame object the opcode/flags come from the object (the extra argument is ignored).

Port: faithful

Deviations: the Swoole WebSocket server (compression + ``open_websocket_close_frame``) becomes
the WSF fixture with ``deflate=True``; its flag asserts become asserts on the raw first byte
(0x88) and the decoded close payload.
"""

from __future__ import annotations

import asyncio

from support.ws import OP_CLOSE, WSConnection, WSFrame

from swoole_compat import (
    SWOOLE_WEBSOCKET_CLOSE_NORMAL,
    SWOOLE_WEBSOCKET_FLAG_COMPRESS,
    SWOOLE_WEBSOCKET_FLAG_RSV1,
    SWOOLE_WEBSOCKET_OPCODE_CLOSE,
)
from swoole_compat.coroutine.http import Client
from swoole_compat.websocket import CloseFrame


async def test_control_frame_is_not_compressed(ws_server) -> None:
    received: list[WSFrame] = []

    async def handler(conn: WSConnection) -> None:
        while (frame := await conn.recv_frame(timeout=None)) is not None:
            received.append(frame)

    srv = await ws_server(handler, deflate=True)
    client = Client("127.0.0.1", srv.port)
    client.set({"websocket_compression": True})
    ret = await client.upgrade("/")
    assert ret
    assert client.statusCode == 101
    assert srv.conns[0].deflate is True  # compression really was negotiated
    assert "permessage-deflate" in client.headers["sec-websocket-extensions"]

    close_frame = CloseFrame()
    close_frame.opcode = SWOOLE_WEBSOCKET_OPCODE_CLOSE
    close_frame.code = SWOOLE_WEBSOCKET_CLOSE_NORMAL
    close_frame.reason = "hahahahaha"
    close_frame.flags = 0
    assert await client.push(close_frame, SWOOLE_WEBSOCKET_FLAG_RSV1 | SWOOLE_WEBSOCKET_FLAG_COMPRESS) is True
    async with asyncio.timeout(3):
        while not received:
            await asyncio.sleep(0.005)
    client.close()

    frame = received[0]
    assert frame.first_byte == 0x88
    assert frame.rsv1 is False and frame.fin is True
    assert frame.opcode == OP_CLOSE
    assert frame.masked is True
    assert frame.close_code == 1000
    assert frame.close_reason == b"hahahahaha"
