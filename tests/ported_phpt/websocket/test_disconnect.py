"""Port of tests/swoole_http_client_coro/websocket/disconnect.phpt (swoole-src a281145a1): "swoole_http_client_coro/websocket: test disconnect function".

``disconnect(SWOOLE_WEBSOCKET_CLOSE_NORMAL, 'close it')`` returns True and ``connected`` becomes
false. The server (``open_websocket_close_frame``) sees a CLOSE frame with reason 'close it', and
its onClose reports reactorId 0, i.e. the client closed the TCP connection first.

Port: faithful

Deviations: the Swoole WebSocket server becomes the WSF fixture; the three ``var_dump`` lines
become asserts (opcode, reason, "client closed first" from the connection record).
"""

from __future__ import annotations

import asyncio

from support.ws import OP_CLOSE, WSConnection, WSFrame

from swoole_compat import SWOOLE_WEBSOCKET_CLOSE_NORMAL, SWOOLE_WEBSOCKET_OPCODE_CLOSE
from swoole_compat.coroutine.http import Client


async def test_disconnect(ws_server) -> None:
    frames: list[WSFrame] = []
    done = asyncio.Event()

    async def handler(conn: WSConnection) -> None:
        while (frame := await conn.recv_frame(timeout=None)) is not None:
            frames.append(frame)
        done.set()

    srv = await ws_server(handler)
    client = Client("127.0.0.1", srv.port)
    client.set({"timeout": 5})
    ret = await client.upgrade("/")
    assert ret and client.statusCode == 101
    assert await client.disconnect(SWOOLE_WEBSOCKET_CLOSE_NORMAL, "close it") is True
    assert client.connected == 0
    assert client.errCode == 0
    async with asyncio.timeout(3):
        await done.wait()

    assert len(frames) == 1
    frame = frames[0]
    assert frame.opcode == SWOOLE_WEBSOCKET_OPCODE_CLOSE == OP_CLOSE  # bool(true)
    assert frame.close_reason == b"close it"  # bool(true)
    assert frame.close_code == 1000
    assert frame.first_byte == 0x88 and frame.masked
    assert srv.conns[0].closed_first == "client"  # int(0): closed by the client
