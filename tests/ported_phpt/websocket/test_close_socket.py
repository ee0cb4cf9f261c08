"""Port of tests/swoole_http_client_coro/websocket/close_socket.phpt (swoole-src a281145a1): "swoole_http_client_coro/websocket: close socket".

After a successful upgrade, closing the underlying socket directly (``cli.socket.close()``)
makes the client report "no connection": ``recv()`` and ``push()`` both return False with
errCode ``SWOOLE_ERROR_CLIENT_NO_CONNECTION`` (5001).

Port: faithful

Deviations: the Swoole WebSocket server becomes the WSF fixture (its spurious
``skip_if_offline`` guard is dropped); the asserts also pin errMsg and the server-side view.
"""

from __future__ import annotations

import asyncio

from support.ws import WSConnection, WSMessage

from swoole_compat import SWOOLE_ERROR_CLIENT_NO_CONNECTION
from swoole_compat.coroutine import Socket
from swoole_compat.coroutine.http import Client


async def test_close_socket(ws_server) -> None:
    async def handler(conn: WSConnection) -> None:
        while isinstance(await conn.recv_message(timeout=None), WSMessage):
            await conn.send_text("hello client\n")

    srv = await ws_server(handler)
    async with asyncio.timeout(10):  # timeout -1: a hang must not block the suite
        cli = Client("127.0.0.1", srv.port)
        cli.set({"timeout": -1})
        cli.setHeaders({})
        ret = await cli.upgrade("/")
        assert ret is True and cli.statusCode == 101
        assert isinstance(cli.socket, Socket)
        assert cli.socket.close()
        assert await cli.recv() is False
        assert cli.errCode == SWOOLE_ERROR_CLIENT_NO_CONNECTION
        assert cli.errMsg == "Client no connection"
        cli.errCode = 0
        assert await cli.push("hello server") is False
        assert cli.errCode == SWOOLE_ERROR_CLIENT_NO_CONNECTION
        while srv.conns[0].closed_first is None:
            await asyncio.sleep(0.005)
    assert srv.conns[0].closed_first == "client"
    assert srv.conns[0].received_frames == []  # the push never reached the wire
