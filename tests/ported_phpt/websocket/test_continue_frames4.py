"""Port of tests/swoole_http_client_coro/websocket/continue_frames4.phpt (swoole-src a281145a1): "swoole_http_client_coro/websocket: client continue frames - 4".

Two rounds on one connection: after '111' the server sends data1+data2+data3 as three fragments,
after '222' data3+data2+data1. Each ``recv()`` returns exactly its own message: the fragment
buffer is reset between messages.

Port: faithful

Deviations: the Swoole WebSocket server becomes the WSF fixture.
"""

from __future__ import annotations

import os

from support.ws import OP_CONT, OP_TEXT, WSConnection, WSMessage

from swoole_compat import SWOOLE_WEBSOCKET_FLAG_FIN, SWOOLE_WEBSOCKET_OPCODE_TEXT
from swoole_compat.coroutine.http import Client

DATA1 = os.urandom(10 * 1024).hex()
DATA2 = os.urandom(20 * 2048).hex()
DATA3 = os.urandom(40 * 4096).hex()


async def test_client_continue_frames_two_rounds(ws_server) -> None:
    async def handler(conn: WSConnection) -> None:
        while isinstance(message := await conn.recv_message(timeout=None), WSMessage):
            parts = (DATA1, DATA2, DATA3) if message.payload == b"111" else (DATA3, DATA2, DATA1)
            await conn.send_frame(OP_TEXT, parts[0], fin=False)
            await conn.send_frame(OP_CONT, parts[1], fin=False)
            await conn.send_frame(OP_CONT, parts[2], fin=True)

    srv = await ws_server(handler)
    results = []
    client = Client("127.0.0.1", srv.port)
    client.set({"timeout": 5})
    ret = await client.upgrade("/")
    assert ret
    await client.push("111", SWOOLE_WEBSOCKET_OPCODE_TEXT, SWOOLE_WEBSOCKET_FLAG_FIN)
    results.append(await client.recv())
    assert results[0].data == (DATA1 + DATA2 + DATA3).encode()
    await client.push("222", SWOOLE_WEBSOCKET_OPCODE_TEXT, SWOOLE_WEBSOCKET_FLAG_FIN)
    results.append(await client.recv())
    assert results[1].data == (DATA3 + DATA2 + DATA1).encode()
    assert results[0].data != results[1].data
    client.close()
    assert [m.payload for m in srv.conns[0].messages] == [b"111", b"222"]
