"""Port of tests/swoole_http_client_coro/websocket/ssl_1.phpt (swoole-src a281145a1): "swoole_http_client_coro/websocket: ssl recv".

A WebSocket echo over TLS: 16 rounds of ``base64(random_bytes(rand(1, 16 KiB)))`` pushed and
received back as frames with identical data.

Port: re-targeted (echo.websocket.org:443 becomes a local TLS echo server; upstream is always
skipped)

Deviations: upstream targets echo.websocket.org and is always skipped ("unavailable, waiting for
review"); here it is a real test against the WSF echo fixture over TLS with a trustme certificate
for 127.0.0.1, and the client verifies it (``ssl_verify_peer`` + ``ssl_cafile``).
"""

from __future__ import annotations

import base64
import os
import random

from support.ws import echo

from swoole_compat.coroutine.http import Client
from swoole_compat.websocket import Frame


async def test_ssl_recv(ws_server, tls) -> None:
    srv = await ws_server(echo, ssl=tls.server_context())
    cli = Client("127.0.0.1", srv.port, True)
    cli.set({"timeout": 5, "ssl_verify_peer": True, "ssl_cafile": tls.ca_file})
    ret = await cli.upgrade("/")
    assert ret is True, (cli.errCode, cli.errMsg)
    assert cli.statusCode == 101
    n = 16
    while n:
        n -= 1
        data = base64.b64encode(os.urandom(random.randint(1, 16 * 1024))).decode()
        assert await cli.push(data) is True
        frame = await cli.recv()
        assert isinstance(frame, Frame)
        assert frame.data == data.encode()
    assert await cli.disconnect() is True
    assert len(srv.conns[0].messages) == 16
    assert all(f.masked for f in srv.conns[0].received_frames)
