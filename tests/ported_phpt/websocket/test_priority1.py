"""Port of tests/swoole_http_client_coro/websocket/priority1.phpt (swoole-src a281145a1): "swoole_http_client_coro/websocket: control frame priority - 2".

The server sends TEXT fin=0 and two CONTINUATION fin=0, then disconnects (CLOSE + TCP close) in
the middle of the message. With ``open_websocket_close_frame`` ``recv()`` returns the CLOSE frame,
then ``''``.

Port: faithful

Deviations: the Swoole WebSocket server becomes the WSF fixture. Upstream compares the last
result loosely with ``''``; here it must be exactly the empty ``str``.
"""

from __future__ import annotations

import os

from support.ws import OP_CONT, OP_TEXT, WSConnection, WSMessage

from swoole_compat import SWOOLE_WEBSOCKET_OPCODE_CLOSE
from swoole_compat.coroutine.http import Client
from swoole_compat.websocket import CloseFrame

DATA1 = os.urandom(10 * 1024).hex()
DATA2 = os.urandom(20 * 2048).hex()


async def test_control_frame_priority_close(ws_server, assert_bag) -> None:
    async def handler(conn: WSConnection) -> None:
        message = await conn.recv_message()
        if not assert_bag.check(isinstance(message, WSMessage), f"expected a message, got {message!r}"):
            return
        assert_bag.eq(message.payload, b"Hello World!!!")
        await conn.send_frame(OP_TEXT, DATA1, fin=False)
        await conn.send_frame(OP_CONT, DATA2, fin=False)
        await conn.send_frame(OP_CONT, DATA2, fin=False)
        await conn.disconnect()

    srv = await ws_server(handler)
    client = Client("127.0.0.1", srv.port)
    client.set({"open_websocket_close_frame": True})
    ret = await client.upgrade("/")
    assert ret
    await client.push("Hello World!!!")
    frame = await client.recv()
    assert isinstance(frame, CloseFrame)
    assert frame.opcode == SWOOLE_WEBSOCKET_OPCODE_CLOSE
    assert frame.code == 1000
    frame = await client.recv()
    assert frame == "" and isinstance(frame, str)
    assert client.connected is False
