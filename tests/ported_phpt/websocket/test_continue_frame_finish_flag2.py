"""Port of tests/swoole_http_client_coro/websocket/continue_frame_finish_flag2.phpt (swoole-src a281145a1): "swoole_http_client_coro/websocket: continue frame finish flag - 2".

Same checks as ``continue_frame_finish_flag``: three client fragments are reassembled by the
server, which answers with three fragments; ``recv()`` returns one finished TEXT frame with the
whole data.

Port: faithful

Deviations: upstream's Coroutine HTTP server (``$response->upgrade()``/``recv()``/``push()``)
becomes the WSF fixture. To keep this duplicate useful, the server reads the client's fragments
one frame at a time and trickles its own fragments in 8 KiB pieces with short pauses, so the
client reassembles frames that arrive split across many reads.
"""

from __future__ import annotations

import asyncio
import os

from support.ws import OP_CONT, OP_TEXT, WSConnection, encode_frame

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


async def test_continue_frame_finish_flag_coroutine_server(ws_server, assert_bag) -> None:
    async def handler(conn: WSConnection) -> None:
        frames = [await conn.recv_frame() for _ in range(3)]
        if not assert_bag.check(all(frames), "server: connection closed early"):
            return
        assert_bag.eq([(f.opcode, f.fin) for f in frames], [(OP_TEXT, False), (OP_CONT, False), (OP_CONT, True)])
        assert_bag.check(b"".join(f.payload for f in frames) == FULL, "server: reassembled data differs")
        wire = (
            encode_frame(OP_TEXT, DATA1.encode(), fin=False)
            + encode_frame(OP_CONT, DATA2.encode(), fin=False)
            + encode_frame(OP_CONT, DATA3.encode(), fin=True)
        )
        for pos in range(0, len(wire), 8192):
            await conn.send_raw(wire[pos : pos + 8192])
            await asyncio.sleep(0.0005)
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
    assert frame.opcode == SWOOLE_WEBSOCKET_OPCODE_TEXT
    assert frame.finish is True
    client.close()
