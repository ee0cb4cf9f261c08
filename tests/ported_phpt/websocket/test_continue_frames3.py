"""Port of tests/swoole_http_client_coro/websocket/continue_frames3.phpt (swoole-src a281145a1): "swoole_http_client_coro/websocket: client continue frames - 3".

The server answers with a lone CONTINUATION frame (fin=0): ``recv()`` logs "A continuation frame
cannot stand alone and MUST be preceded by an initial frame whose opcode indicates either text or
binary data." and returns False.

Port: faithful

Deviations: the Swoole WebSocket server becomes the WSF fixture; the EXPECTF line becomes a check
of the ``swoole_compat`` WARNING log record. Added per websocket.md §4.3: error properties are
unchanged, the connection stays open, and a following normal TEXT frame is received.
"""

from __future__ import annotations

import os

import pytest

from support.ws import OP_CONT, WSConnection, WSMessage

from swoole_compat import (
    SWOOLE_WEBSOCKET_FLAG_FIN,
    SWOOLE_WEBSOCKET_OPCODE_CONTINUATION,
    SWOOLE_WEBSOCKET_OPCODE_TEXT,
)
from swoole_compat.coroutine.http import Client

DATA1 = os.urandom(10 * 1024).hex()
DATA2 = os.urandom(20 * 2048).hex()
DATA3 = os.urandom(40 * 4096).hex()
WARNING = (
    "A continuation frame cannot stand alone and MUST be preceded by an initial frame whose opcode "
    "indicates either text or binary data."
)


@pytest.mark.expect_swoole_warnings(r"^A continuation frame cannot stand alone")
async def test_client_continue_frames_orphan_continuation(ws_server, assert_bag, swoole_log) -> None:
    async def handler(conn: WSConnection) -> None:
        message = await conn.recv_message()
        if not assert_bag.check(isinstance(message, WSMessage), f"expected a message, got {message!r}"):
            return
        assert_bag.check(message.payload == (DATA1 + DATA2 + DATA3).encode(), "server: data differs")
        await conn.send_frame(OP_CONT, DATA2, fin=False)
        await conn.send_text("next")
        await conn.wait_closed(timeout=None)

    srv = await ws_server(handler)
    client = Client("127.0.0.1", srv.port)
    client.set({"timeout": 5})
    ret = await client.upgrade("/")
    assert ret
    await client.push(DATA1, SWOOLE_WEBSOCKET_OPCODE_TEXT, 0)
    await client.push(DATA2, SWOOLE_WEBSOCKET_OPCODE_CONTINUATION, 0)
    await client.push(DATA3, SWOOLE_WEBSOCKET_OPCODE_CONTINUATION, SWOOLE_WEBSOCKET_FLAG_FIN)
    frame = await client.recv()
    assert frame is False
    assert [r.getMessage() for r in swoole_log.warnings] == [WARNING]
    assert client.errCode == 0 and client.statusCode == 101
    assert client.connected is True
    frame = await client.recv()
    assert frame.opcode == SWOOLE_WEBSOCKET_OPCODE_TEXT and frame.data == b"next"
    client.close()
