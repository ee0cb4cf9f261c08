"""Port of tests/swoole_http_client_coro/websocket/continue_frame_finish_flag.phpt (swoole-src a281145a1): "swoole_http_client_coro/websocket: continue frame finish flag".

The client sends one message in three fragments (TEXT fin=0, CONTINUATION fin=0, CONTINUATION
FIN); the server checks the reassembled message (TEXT, finished) and answers with the same
three-fragment pattern; ``recv()`` returns one frame holding the whole data, opcode TEXT,
``finish`` True.

Port: faithful

Deviations: the Swoole WebSocket server becomes the WSF fixture; its ``Assert`` calls go to the
assertion bag, and the raw fragments the client sent are checked too (opcode/FIN/mask bits).
"""

from __future__ import annotations

import os

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
FULL = (DATA1 + DATA2 + DATA3).encode()


async def test_continue_frame_finish_flag(ws_server, assert_bag) -> None:
    async def handler(conn: WSConnection) -> None:
        message = await conn.recv_message()
        if not assert_bag.check(isinstance(message, WSMessage), f"expected a message, got {message!r}"):
            return
        assert_bag.check(message.payload == FULL, "server: reassembled data differs")
        assert_bag.eq(message.opcode, OP_TEXT, "server: opcode")
        assert_bag.eq(message.frames[-1].fin, True, "server: finish")
        await conn.send_frame(OP_TEXT, DATA1, fin=False)
        await conn.send_frame(OP_CONT, DATA2, fin=False)
        await conn.send_frame(OP_CONT, DATA3, fin=True)
        await conn.wait_closed(timeout=None)

    srv = await ws_server(handler)
    client = Client("127.0.0.1", srv.port)
    client.set({"timeout": 5})
    ret = await client.upgrade("/")
    assert ret
    assert await client.push(DATA1, SWOOLE_WEBSOCKET_OPCODE_TEXT, 0) is True
    assert await client.push(DATA2, SWOOLE_WEBSOCKET_OPCODE_CONTINUATION, 0) is True
    assert await client.push(DATA3, SWOOLE_WEBSOCKET_OPCODE_CONTINUATION, SWOOLE_WEBSOCKET_FLAG_FIN) is True
    frame = await client.recv()
    assert frame.data == FULL
    assert frame.opcode == SWOOLE_WEBSOCKET_OPCODE_TEXT
    assert frame.finish is True
    assert frame.flags == SWOOLE_WEBSOCKET_FLAG_FIN
    client.close()

    sent = srv.conns[0].messages[0].frames
    assert [(f.opcode, f.fin, f.masked, f.rsv1) for f in sent] == [
        (OP_TEXT, False, True, False),
        (OP_CONT, False, True, False),
        (OP_CONT, True, True, False),
    ]
    assert [f.payload for f in sent] == [DATA1.encode(), DATA2.encode(), DATA3.encode()]
