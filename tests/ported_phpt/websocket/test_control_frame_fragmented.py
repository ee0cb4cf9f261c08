"""Port of tests/swoole_http_client_coro/websocket/control_frame_fragmented.phpt (swoole-src a281145a1): "swoole_http_client_coro/websocket: Control frames must not be fragmented".

With compression negotiated and ``open_websocket_close_frame`` on, the client pushes a
``CloseFrame`` whose ``flags`` are 0 (no FIN) and passes flags 0: the close frame must still go
out with FIN=1 and RSV1=0, since control frames must not be fragmented (or compressed).

Port: faithful

Deviations: the Swoole WebSocket server becomes the WSF fixture with ``deflate=True``; its flag
asserts become asserts on the raw first byte (0x88) and the close payload.
"""

from __future__ import annotations

import asyncio

from support.ws import OP_CLOSE, WSConnection, WSFrame

from swoole_compat import SWOOLE_WEBSOCKET_CLOSE_NORMAL, SWOOLE_WEBSOCKET_OPCODE_CLOSE
from swoole_compat.coroutine.http import Client
from swoole_compat.websocket import CloseFrame


async def test_control_frame_is_never_fragmented(ws_server) -> None:
    received: list[WSFrame] = []

    async def handler(conn: WSConnection) -> None:
        while (frame := await conn.recv_frame(timeout=None)) is not None:
            received.append(frame)

    srv = await ws_server(handler, deflate=True)
    client = Client("127.0.0.1", srv.port)
    client.set(
        {
            "websocket_compression": True,
            "open_websocket_close_frame": True,
        }
    )
    ret = await client.upgrade("/")
    assert ret
    assert client.statusCode == 101 and srv.conns[0].deflate is True

    close_frame = CloseFrame()
    close_frame.opcode = SWOOLE_WEBSOCKET_OPCODE_CLOSE
    close_frame.code = SWOOLE_WEBSOCKET_CLOSE_NORMAL
    close_frame.reason = "hahahahaha"
    close_frame.flags = 0
    assert await client.push(close_frame, 0) is True
    async with asyncio.timeout(3):
        while not received:
            await asyncio.sleep(0.005)
    # push() of a CLOSE changes no client state (websocket.md §3.1)
    assert client.connected is True
    client.close()

    frame = received[0]
    assert frame.first_byte == 0x88
    assert frame.fin is True and frame.rsv1 is False
    assert frame.opcode == OP_CLOSE
    assert (frame.close_code, frame.close_reason) == (1000, b"hahahahaha")
