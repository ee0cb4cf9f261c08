"""Port of tests/swoole_http_client_coro/websocket/bug_02.phpt (swoole-src a281145a1): "swoole_http_client_coro/websocket: bug use client in server".

The server welcomes the client on open, prints every message and answers it with
"server-reply: " + the message with "server" replaced by "client", and prints
"client-1 is closed" when the client goes away. The client (``timeout`` -1) receives the
welcome, then five times pushes "hello server\\n" (``flags=True``) and receives the reply with
``recv(1)``, then closes. The combined output of both sides must match the upstream EXPECT.

Port: faithful

Deviations: the Swoole WebSocket server (PROCESS mode) becomes the WSF fixture; both sides
append to one output list instead of sharing stdout; the client's pause between rounds is 0.02 s
instead of 0.1 s.
"""

from __future__ import annotations

import asyncio

from support.ws import WSConnection, WSMessage

from swoole_compat import SWOOLE_WEBSOCKET_OPCODE_TEXT
from swoole_compat.coroutine.http import Client

EXPECT = (
    "server: hello, welcome\n"
    + "client: hello server\nserver-reply: hello client\n" * 5
    + "client-1 is closed\n"
)


async def test_client_in_server_output(ws_server) -> None:
    output: list[str] = []
    closed = asyncio.Event()

    async def handler(conn: WSConnection) -> None:
        await conn.send_text("server: hello, welcome\n")
        while True:
            message = await conn.recv_message(timeout=None)
            if not isinstance(message, WSMessage):
                break
            output.append(f"client: {message.text}")
            reply = message.text.replace("server", "client")
            await conn.send_text(f"server-reply: {reply}")
        output.append(f"client-{conn.index + 1} is closed\n")
        closed.set()

    srv = await ws_server(handler)
    async with asyncio.timeout(10):
        cli = Client("127.0.0.1", srv.port)
        cli.set({"timeout": -1})
        ret = await cli.upgrade("/")
        assert ret
        output.append((await cli.recv()).data.decode())
        for _ in range(5):
            assert await cli.push("hello server\n", SWOOLE_WEBSOCKET_OPCODE_TEXT, True) is True
            output.append((await cli.recv(1)).data.decode())
            await asyncio.sleep(0.02)
        assert cli.close() is True
        await closed.wait()

    assert "".join(output) == EXPECT
    conn = srv.conns[0]
    assert conn.closed_first == "client"
    assert all(f.fin and f.masked and f.first_byte == 0x81 for f in conn.received_frames)
