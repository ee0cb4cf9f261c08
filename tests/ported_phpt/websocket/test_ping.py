"""Port of tests/swoole_http_client_coro/websocket/ping.phpt (swoole-src a281145a1): "swoole_http_client_coro/websocket: test ping function".

``ping('Hello World')`` returns True; with ``open_websocket_pong_frame`` the server's automatic
PONG is returned by ``recv()`` with the data 'Hello World'.

Port: faithful

Deviations: the Swoole WebSocket server becomes the WSF fixture, which answers the PING with a
PONG of the same payload as Swoole's server does; the PING frame it received is checked too.
"""

from __future__ import annotations

from support.ws import OP_PING, WSConnection, WSFrame

from swoole_compat import SWOOLE_WEBSOCKET_OPCODE_PONG
from swoole_compat.coroutine.http import Client


async def test_ping(ws_server) -> None:
    pings: list[WSFrame] = []

    async def handler(conn: WSConnection) -> None:
        while (frame := await conn.recv_frame(timeout=None)) is not None:
            if frame.opcode == OP_PING:
                pings.append(frame)
                await conn.send_pong(frame.payload)

    srv = await ws_server(handler)
    client = Client("127.0.0.1", srv.port)
    client.set({"open_websocket_pong_frame": True})
    ret = await client.upgrade("/")
    assert ret and client.statusCode == 101
    assert await client.ping("Hello World") is True
    frame = await client.recv()
    assert frame.opcode == SWOOLE_WEBSOCKET_OPCODE_PONG
    assert frame.data == b"Hello World"
    client.close()
    assert len(pings) == 1
    assert pings[0].first_byte == 0x89 and pings[0].masked and pings[0].payload == b"Hello World"
