"""Port of tests/swoole_http_client_coro/websocket/priority.phpt (swoole-src a281145a1): "swoole_http_client_coro/websocket: control frame priority - 1".

The server sends TEXT fin=0, then a PING ('PING') in the middle of the message, then four
CONTINUATION fin=0 and a final CONTINUATION FIN. With ``open_websocket_ping_frame`` the first
``recv()`` returns the PING and the second the whole message data1 + 4×data2 + data3: the
fragment buffer survives while the control frame is surfaced.

Port: faithful

Deviations: the Swoole WebSocket server becomes the WSF fixture. Added: with
``open_websocket_ping_frame`` the client does not answer the PING itself (no PONG arrives).
"""

from __future__ import annotations

import asyncio
import os

from support.ws import OP_CONT, OP_PING, OP_TEXT, WSConnection, WSMessage

from swoole_compat import SWOOLE_WEBSOCKET_OPCODE_PING, SWOOLE_WEBSOCKET_OPCODE_TEXT
from swoole_compat.coroutine.http import Client

DATA1 = os.urandom(10 * 1024).hex()
DATA2 = os.urandom(20 * 2048).hex()
DATA3 = os.urandom(40 * 4096).hex()


async def test_control_frame_priority(ws_server, assert_bag) -> None:
    async def handler(conn: WSConnection) -> None:
        message = await conn.recv_message()
        if not assert_bag.check(isinstance(message, WSMessage), f"expected a message, got {message!r}"):
            return
        assert_bag.eq(message.payload, b"Hello World!!!")
        await conn.send_frame(OP_TEXT, DATA1, fin=False)
        await conn.send_frame(OP_PING, "PING")
        for _ in range(4):
            await conn.send_frame(OP_CONT, DATA2, fin=False)
        await conn.send_frame(OP_CONT, DATA3, fin=True)
        await conn.wait_closed(timeout=None)

    srv = await ws_server(handler)
    client = Client("127.0.0.1", srv.port)
    client.set({"open_websocket_ping_frame": True})
    ret = await client.upgrade("/")
    assert ret
    await client.push("Hello World!!!")
    frame = await client.recv()
    assert frame.opcode == SWOOLE_WEBSOCKET_OPCODE_PING
    assert frame.data == b"PING"
    frame = await client.recv()
    assert frame.data == (DATA1 + DATA2 + DATA2 + DATA2 + DATA2 + DATA3).encode()
    assert frame.opcode == SWOOLE_WEBSOCKET_OPCODE_TEXT and frame.finish is True
    await asyncio.sleep(0.05)
    client.close()
    while srv.conns[0].closed_first is None:
        await asyncio.sleep(0.005)
    assert [f.opcode for f in srv.conns[0].received_frames] == [OP_TEXT]
