"""Port of tests/swoole_http_client_coro/websocket/upgrade_after_get.phpt (swoole-src a281145a1): "swoole_http_client_coro/websocket: client & server".

The same client first GETs '/' (the server's onRequest answers "OK\\n"), then calls
``upgrade('/')`` on the kept-alive connection; ``recv(2)`` returns "msg 1\\n" (pushed on open),
and after ``push('hello')`` ``recv(2)`` returns "msg 2\\n" (pushed 0.1 s after each message).

Port: faithful

Deviations: the Swoole WebSocket server with onRequest becomes the WSF fixture with an
``http_handler`` answering plain requests Swoole-style on the same connection (the spurious
``skip_if_offline`` guard is dropped). Added: both requests used one connection, and the user
headers were sent with both.
"""

from __future__ import annotations

import asyncio

from support.http1 import swoole_response
from support.ws import WSConnection, WSMessage

from swoole_compat.coroutine.http import Client


async def test_upgrade_after_get(ws_server) -> None:
    async def on_request(request) -> bytes:
        return swoole_response(b"OK\n")

    async def handler(conn: WSConnection) -> None:
        await conn.send_text("msg 1\n")
        while isinstance(await conn.recv_message(timeout=None), WSMessage):
            await asyncio.sleep(0.1)
            await conn.send_text("msg 2\n")

    srv = await ws_server(handler, http_handler=on_request)
    output = []
    client = Client("127.0.0.1", srv.port, False)
    client.setHeaders(
        {
            "User-Agent": "Chrome/49.0.2587.3",
            "Accept": "text/html,application/xhtml+xml,application/xml",
            "Accept-Encoding": "gzip",
        }
    )
    assert await client.get("/")
    output.append(client.getBody())
    assert client.statusCode == 200

    assert await client.upgrade("/")
    assert client.statusCode == 101

    output.append((await client.recv(2)).data)
    await client.push("hello")
    output.append((await client.recv(2)).data)
    client.close()

    assert b"".join(output) == b"OK\nmsg 1\nmsg 2\n"
    assert srv.connections == 1
    get, upgrade = srv.requests
    assert (get.method, get.target) == ("GET", "/")
    assert not get.has_token("upgrade", "websocket")
    assert upgrade.has_token("upgrade", "websocket")
    for request in (get, upgrade):
        assert request.header("User-Agent") == "Chrome/49.0.2587.3"
        assert request.header("Accept-Encoding") == "gzip"
    assert [m.payload for m in srv.conns[0].messages] == [b"hello"]
