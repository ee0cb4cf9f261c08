"""Port of tests/swoole_http_client_coro/websocket/timeout.phpt (swoole-src a281145a1): "swoole_http_client_coro/websocket: websocket client & server".

After receiving "start\\n" and pushing a message the server never answers: ``recv(0.1)`` returns
False with errCode ``SOCKET_ETIMEDOUT`` twice (errCode reset by hand in between); a timeout does
not close the connection.

Port: faithful

Deviations: the Swoole WebSocket server becomes the WSF fixture in silent mode. Added per
websocket.md §4.3 (W11): errMsg, statusCode -3, ``connected`` still True, a generous timing
bound, and a final round trip proving the connection is still usable.
"""

from __future__ import annotations

import asyncio
import errno

from support.ws import WSConnection, WSMessage

from swoole_compat import SOCKET_ETIMEDOUT
from swoole_compat.coroutine.http import Client


async def test_recv_timeout_keeps_connection(ws_server) -> None:
    async def handler(conn: WSConnection) -> None:
        await conn.send_text("start\n")
        while isinstance(message := await conn.recv_message(timeout=None), WSMessage):
            if message.payload == b"please answer":
                await conn.send_text("answer\n")

    srv = await ws_server(handler)
    cli = Client("127.0.0.1", srv.port)
    ret = await cli.upgrade("/")
    assert ret
    assert (await cli.recv()).data == b"start\n"
    await cli.push("hello server")

    loop = asyncio.get_running_loop()
    for _ in range(2):
        start = loop.time()
        assert await cli.recv(0.1) is False
        elapsed = loop.time() - start
        assert 0.09 <= elapsed < 1.5
        assert cli.errCode == SOCKET_ETIMEDOUT == errno.ETIMEDOUT
        assert cli.errMsg == "Connection timed out"
        assert cli.statusCode == -3
        assert cli.connected is True
        cli.errCode = 0

    assert await cli.push("please answer") is True
    assert (await cli.recv(2)).data == b"answer\n"
    cli.close()
    assert [m.payload for m in srv.conns[0].messages] == [b"hello server", b"please answer"]
