"""Port of tests/swoole_http_client_coro/websocket/open_websocket_frame.phpt (swoole-src a281145a1): "swoole_http_client_coro/websocket: open websocket frame".

With ``open_websocket_ping_frame``, ``open_websocket_pong_frame`` and
``open_websocket_close_frame`` all on, after one push ``recv()`` returns the server's PING, then
its PONG, then its CLOSE, then ``''`` once the server has closed the connection.

Port: faithful

Deviations: the Swoole WebSocket server becomes the WSF fixture. Upstream compares the last
result loosely with ``''``; here it must be exactly the empty ``str`` (websocket.md §4.3), and the
frames' fields are checked too.
"""

from __future__ import annotations

from support.ws import WSConnection, WSMessage

from swoole_compat import (
    SWOOLE_WEBSOCKET_OPCODE_CLOSE,
    SWOOLE_WEBSOCKET_OPCODE_PING,
    SWOOLE_WEBSOCKET_OPCODE_PONG,
)
from swoole_compat.coroutine.http import Client
from swoole_compat.websocket import CloseFrame, Frame


async def test_open_websocket_frame(ws_server, assert_bag) -> None:
    async def handler(conn: WSConnection) -> None:
        message = await conn.recv_message()
        if not assert_bag.check(isinstance(message, WSMessage), f"expected a message, got {message!r}"):
            return
        assert_bag.eq(message.payload, b"Hello World!!!")
        await conn.send_ping()
        await conn.send_pong()
        await conn.disconnect()

    srv = await ws_server(handler)
    client = Client("127.0.0.1", srv.port)
    client.set(
        {
            "open_websocket_ping_frame": True,
            "open_websocket_pong_frame": True,
            "open_websocket_close_frame": True,
        }
    )
    ret = await client.upgrade("/")
    assert ret
    fd = client.socket.fd
    await client.push("Hello World!!!")
    frame = await client.recv()
    assert isinstance(frame, Frame) and frame.opcode == SWOOLE_WEBSOCKET_OPCODE_PING
    assert (frame.data, frame.flags, frame.finish, frame.fd) == (b"", 1, True, fd)
    frame = await client.recv()
    assert isinstance(frame, Frame) and frame.opcode == SWOOLE_WEBSOCKET_OPCODE_PONG
    assert (frame.data, frame.flags, frame.finish) == (b"", 1, True)
    frame = await client.recv()
    assert isinstance(frame, CloseFrame) and frame.opcode == SWOOLE_WEBSOCKET_OPCODE_CLOSE
    assert (frame.code, frame.reason, frame.data) == (1000, b"", b"")
    frame = await client.recv()
    assert frame == "" and isinstance(frame, str)
    assert client.connected is False
    assert client.errCode == 0 and client.statusCode == 101
