"""Port of tests/swoole_http_client_coro/websocket/continue_frames2.phpt (swoole-src a281145a1): "swoole_http_client_coro/websocket: client continue frames - 2".

The server answers with TEXT fin=0, CONTINUATION fin=0, then a **new TEXT fin=0** in the middle
of the message, then CONTINUATION FIN. ``recv()`` logs the warning "All fragments of a message,
except for the initial frame, must use the continuation frame opcode(0).", returns False and
does not close the connection.

Port: faithful

Deviations: the Swoole WebSocket server becomes the WSF fixture; the EXPECTF line becomes a check
of the ``swoole_compat`` WARNING log record. Added per websocket.md §4.2/§4.3 (W12, Replicate):
errCode/statusCode stay unchanged, the connection stays open, and the partial buffer is kept, so
the next ``recv()`` completes the original message with the final CONTINUATION.
"""

from __future__ import annotations

import logging
import os

import pytest

from support.ws import OP_CONT, OP_TEXT, WSConnection, WSMessage

from swoole_compat import (
    SWOOLE_WEBSOCKET_FLAG_FIN,
    SWOOLE_WEBSOCKET_OPCODE_CONTINUATION,
    SWOOLE_WEBSOCKET_OPCODE_TEXT,
)
from swoole_compat.coroutine.http import Client

DATA1 = os.urandom(10 * 1024).hex()
DATA2 = os.urandom(20 * 2048).hex()
DATA3 = os.urandom(40 * 4096).hex()
WARNING = "All fragments of a message, except for the initial frame, must use the continuation frame opcode(0)."


@pytest.mark.expect_swoole_warnings(r"^All fragments of a message")
async def test_client_continue_frames_fragment_opcode(ws_server, assert_bag, swoole_log) -> None:
    async def handler(conn: WSConnection) -> None:
        message = await conn.recv_message()
        if not assert_bag.check(isinstance(message, WSMessage), f"expected a message, got {message!r}"):
            return
        assert_bag.check(message.payload == (DATA1 + DATA2 + DATA3).encode(), "server: data differs")
        await conn.send_frame(OP_TEXT, DATA1, fin=False)
        await conn.send_frame(OP_CONT, DATA2, fin=False)
        await conn.send_frame(OP_TEXT, DATA1, fin=False)
        await conn.send_frame(OP_CONT, DATA3, fin=True)
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
    assert swoole_log.warnings[0].levelno == logging.WARNING
    # a protocol error: no error properties change, the connection stays open
    assert client.errCode == 0 and client.errMsg == ""
    assert client.statusCode == 101
    assert client.connected is True
    # W12: the partial message (DATA1 + DATA2) was kept; the final CONTINUATION completes it
    frame = await client.recv()
    assert frame.opcode == SWOOLE_WEBSOCKET_OPCODE_TEXT
    assert frame.data == (DATA1 + DATA2 + DATA3).encode()
    assert frame.finish is True
    client.close()
