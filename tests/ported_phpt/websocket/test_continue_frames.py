"""Port of tests/swoole_http_client_coro/websocket/continue_frames.phpt (swoole-src a281145a1): "swoole_http_client_coro/websocket: client continue frames - 1".

The client sends a three-fragment TEXT message; the server checks the reassembled data and
answers with three fragments; ``recv()`` returns the whole data.

Port: faithful

Deviations: the Swoole WebSocket server becomes the WSF fixture. To differ from
``continue_frame_finish_flag`` (same scenario plus opcode/finish checks), the server writes its
three fragments in a single TCP write.
"""

from __future__ import annotations

import os

from support.ws import OP_CONT, OP_TEXT, WSConnection, WSMessage, encode_frame

from swoole_compat import (
    SWOOLE_WEBSOCKET_FLAG_FIN,
    SWOOLE_WEBSOCKET_OPCODE_CONTINUATION,
    SWOOLE_WEBSOCKET_OPCODE_TEXT,
)
from swoole_compat.coroutine.http import Client

DATA1 = os.urandom(10 * 1024).hex()
DATA2 = os.urandom(20 * 2048).hex()
DATA3 = os.urandom(40 * 4096).hex()
FULL = (DATA1 + DATA2 + DATA3).encode()


async def test_client_continue_frames(ws_server, assert_bag) -> None:
    async def handler(conn: WSConnection) -> None:
        message = await conn.recv_message()
        if not assert_bag.check(isinstance(message, WSMessage), f"expected a message, got {message!r}"):
            return
        assert_bag.check(message.payload == FULL, "server: reassembled data differs")
        await conn.send_raw(
            encode_frame(OP_TEXT, DATA1.encode(), fin=False)
            + encode_frame(OP_CONT, DATA2.encode(), fin=False)
            + encode_frame(OP_CONT, DATA3.encode(), fin=True)
        )
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
    assert frame.data == FULL
    client.close()
