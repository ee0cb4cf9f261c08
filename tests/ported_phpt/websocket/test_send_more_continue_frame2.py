"""Port of tests/swoole_http_client_coro/websocket/send_more_continue_frame2.phpt (swoole-src a281145a1): "swoole_http_client_coro/websocket: send more continue frames - coroutine websocket server".

Same as ``send_more_continue_frame``: three fragmented messages made of pieces of one raw-deflate
stream each (RSV1 on the first frame only) are decompressed by ``recv()`` into data1 + data2 ×3 +
data3, data2 + data1 + data3 and data3 + data2 + data1.

Port: faithful

Deviations: upstream's Coroutine HTTP server becomes the WSF fixture (``deflate=True``); PHP's
``deflate_add`` becomes ``support.ws.MessageDeflater``. To keep this duplicate useful, all frames
of the three messages are written in **one** TCP write, so the client parses several messages
(including empty NO_FLUSH fragments) out of the same buffered data.
"""

from __future__ import annotations

import os
import zlib

from support.ws import OP_CONT, OP_TEXT, MessageDeflater, WSConnection, WSMessage, encode_frame

from swoole_compat import SWOOLE_WEBSOCKET_FLAG_FIN, SWOOLE_WEBSOCKET_OPCODE_TEXT
from swoole_compat.coroutine.http import Client

DATA1 = os.urandom(10 * 1024).hex().encode()
DATA2 = os.urandom(20 * 2048).hex().encode()
DATA3 = os.urandom(40 * 4096).hex().encode()

SYNC, NO_FLUSH, FINISH = zlib.Z_SYNC_FLUSH, zlib.Z_NO_FLUSH, zlib.Z_FINISH
MESSAGES = [
    [(DATA1, SYNC), (DATA2, SYNC), (DATA2, SYNC), (DATA2, SYNC), (DATA3, FINISH)],
    [(DATA2, NO_FLUSH), (DATA1, NO_FLUSH), (DATA3, FINISH)],
    [(DATA3, NO_FLUSH), (DATA2, NO_FLUSH), (DATA1, FINISH)],
]


def wire_of(message: list[tuple[bytes, int]]) -> bytes:
    deflater = MessageDeflater()
    out = b""
    for i, (data, flush) in enumerate(message):
        piece = deflater.compress(data, flush)
        out += encode_frame(OP_TEXT if i == 0 else OP_CONT, piece, fin=i == len(message) - 1, rsv1=i == 0)
    return out


async def test_send_more_continue_frames_coroutine_server(ws_server, assert_bag) -> None:
    async def handler(conn: WSConnection) -> None:
        message = await conn.recv_message()
        if not assert_bag.check(isinstance(message, WSMessage), f"expected a message, got {message!r}"):
            return
        assert_bag.eq(message.payload, b"111", "server: message")
        await conn.send_raw(b"".join(wire_of(m) for m in MESSAGES))
        await conn.wait_closed(timeout=None)

    srv = await ws_server(handler, deflate=True)
    client = Client("127.0.0.1", srv.port)
    client.set({"websocket_compression": True})
    ret = await client.upgrade("/")
    assert ret
    await client.push("111", SWOOLE_WEBSOCKET_OPCODE_TEXT, SWOOLE_WEBSOCKET_FLAG_FIN)
    frame = await client.recv()
    assert frame.data == DATA1 + DATA2 + DATA2 + DATA2 + DATA3
    frame = await client.recv()
    assert frame.data == DATA2 + DATA1 + DATA3
    frame = await client.recv()
    assert frame.data == DATA3 + DATA2 + DATA1
    client.close()
