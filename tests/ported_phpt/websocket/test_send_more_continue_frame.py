"""Port of tests/swoole_http_client_coro/websocket/send_more_continue_frame.phpt (swoole-src a281145a1): "swoole_http_client_coro/websocket: send more continue frames - websocket server".

With permessage-deflate negotiated, the server sends three fragmented messages whose payloads
are consecutive pieces of one raw-deflate stream per message: the first frame is TEXT with RSV1,
the continuations carry no RSV1. Message 1 = data1 (sync flush), data2 ×3 (sync flush), data3
(finish); message 2 = data2, data1 (no flush), data3 (finish); message 3 = data3, data2 (no
flush), data1 (finish). Each ``recv()`` returns the decompressed concatenation.

Port: faithful

Deviations: the Swoole WebSocket server becomes the WSF fixture (``deflate=True``); PHP's
``deflate_init``/``deflate_add`` become ``support.ws.MessageDeflater`` (a new raw deflate stream per
message, as PHP resets its context after ``ZLIB_FINISH``). Each frame goes out in its own write.
Added: the client's '111' arrived compressed (RSV1) and the returned frames carry
FIN|RSV1|COMPRESS.
"""

from __future__ import annotations

import os
import zlib

from support.ws import OP_CONT, OP_TEXT, MessageDeflater, WSConnection, WSMessage

from swoole_compat import (
    SWOOLE_WEBSOCKET_FLAG_COMPRESS,
    SWOOLE_WEBSOCKET_FLAG_FIN,
    SWOOLE_WEBSOCKET_FLAG_RSV1,
    SWOOLE_WEBSOCKET_OPCODE_TEXT,
)
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


def compressed_frames(message: list[tuple[bytes, int]]) -> list[tuple[int, bytes, bool, bool]]:
    """(opcode, payload, fin, rsv1) of each frame of one message, as upstream's server pushes them."""
    deflater = MessageDeflater()
    frames = []
    for i, (data, flush) in enumerate(message):
        piece = deflater.compress(data, flush)
        last = i == len(message) - 1
        frames.append((OP_TEXT if i == 0 else OP_CONT, piece, last, i == 0))
    return frames


async def test_send_more_continue_frames(ws_server, assert_bag) -> None:
    async def handler(conn: WSConnection) -> None:
        message = await conn.recv_message()
        if not assert_bag.check(isinstance(message, WSMessage), f"expected a message, got {message!r}"):
            return
        assert_bag.eq(message.payload, b"111", "server: message")
        assert_bag.check(message.compressed, "server: the client's message was not compressed")
        for spec in MESSAGES:
            for opcode, payload, fin, rsv1 in compressed_frames(spec):
                await conn.send_frame(opcode, payload, fin=fin, rsv1=rsv1)
        await conn.wait_closed(timeout=None)

    srv = await ws_server(handler, deflate=True)
    client = Client("127.0.0.1", srv.port)
    client.set({"websocket_compression": True})
    ret = await client.upgrade("/")
    assert ret
    assert srv.conns[0].deflate is True
    await client.push("111", SWOOLE_WEBSOCKET_OPCODE_TEXT, SWOOLE_WEBSOCKET_FLAG_FIN)
    expected = [DATA1 + DATA2 + DATA2 + DATA2 + DATA3, DATA2 + DATA1 + DATA3, DATA3 + DATA2 + DATA1]
    for data in expected:
        frame = await client.recv()
        assert frame.data == data
        assert frame.opcode == SWOOLE_WEBSOCKET_OPCODE_TEXT
        assert frame.flags == SWOOLE_WEBSOCKET_FLAG_FIN | SWOOLE_WEBSOCKET_FLAG_RSV1 | SWOOLE_WEBSOCKET_FLAG_COMPRESS
    client.close()
