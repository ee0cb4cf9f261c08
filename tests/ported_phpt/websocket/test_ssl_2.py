"""Port of tests/swoole_http_client_coro/websocket/ssl_2.phpt (swoole-src a281145a1): "swoole_http_client_coro/websocket: ssl recv [2]".

A TLS WebSocket client upgrades ``/realtime`` on www.bitmex.com (through a SOCKS5 proxy when
``https_proxy`` is set), prints "CONNECT SUCCESS, StatusCode=101", pushes a subscribe JSON and
receives 16 non-empty frames, then prints "FINISH".

Port: re-targeted (www.bitmex.com:443 becomes a local TLS server imitating its feed, directly and
through a loopback SOCKS5 proxy)

Deviations: www.bitmex.com is replaced by a TLS WSF fixture that imitates its realtime feed
(welcome, subscribe acknowledgement, a ``partial`` and a stream of ``update`` frames) with a
trustme certificate for ``www.bitmex.com``. Two variants: direct to 127.0.0.1, and with the
upstream host name ``www.bitmex.com`` through the loopback SOCKS5 fixture, which maps that name to
the WSF server (the client resolves nothing itself; SNI and the Host header carry the name). The
certificate is verified in both (upstream does not verify).
"""

from __future__ import annotations

import json

import pytest

from support.ws import WSConnection, WSMessage

from swoole_compat.coroutine.http import Client
from swoole_compat.websocket import Frame

SUBSCRIBE = '{"op": "subscribe", "args": ["orderBookL2_25:XBTUSD"]}'
UPDATES = 24


async def bitmex_like(conn: WSConnection) -> None:
    await conn.send_text(json.dumps({"info": "Welcome to the BitMEX Realtime API.", "version": "test"}))
    message = await conn.recv_message()
    if not isinstance(message, WSMessage) or json.loads(message.payload) != json.loads(SUBSCRIBE):
        await conn.disconnect(1003, "bad subscribe")
        return
    await conn.send_text(json.dumps({"success": True, "subscribe": "orderBookL2_25:XBTUSD", "request": json.loads(SUBSCRIBE)}))
    await conn.send_text(json.dumps({"table": "orderBookL2_25", "action": "partial", "data": [{"id": i} for i in range(25)]}))
    for i in range(UPDATES):
        await conn.send_text(json.dumps({"table": "orderBookL2_25", "action": "update", "data": [{"id": i, "size": i * 10}]}))
    await conn.wait_closed(timeout=None)


@pytest.mark.parametrize("via_socks5", [False, True], ids=["direct", "socks5"])
async def test_ssl_recv_2(ws_server, socks5_proxy, tls, via_socks5: bool) -> None:
    srv = await ws_server(bitmex_like, ssl=tls.issue_server_context("www.bitmex.com", "127.0.0.1"))
    options = {"timeout": 5, "ssl_verify_peer": True, "ssl_cafile": tls.ca_file}
    if via_socks5:
        socks = await socks5_proxy(resolve={"www.bitmex.com:443": ("127.0.0.1", srv.port)})
        cli = Client("www.bitmex.com", 443, True)
        options.update({"socks5_host": "127.0.0.1", "socks5_port": socks.port, "ssl_host_name": "www.bitmex.com"})
    else:
        cli = Client("127.0.0.1", srv.port, True)
    cli.set(options)
    output = []
    ret = await cli.upgrade("/realtime")
    assert ret is True, (cli.errCode, cli.errMsg)
    output.append(f"CONNECT SUCCESS, StatusCode={cli.getStatusCode()}\n")
    n = 16
    assert await cli.push(SUBSCRIBE) is True
    while n:
        n -= 1
        frame = await cli.recv()
        if not frame or not frame.data:
            output.append(f"ERROR {n} [2]\n")
            break
        assert isinstance(frame, Frame)
        json.loads(frame.data)
    output.append("FINISH\n")
    assert "".join(output) == "CONNECT SUCCESS, StatusCode=101\nFINISH\n"
    cli.close()

    request = srv.requests[0]
    assert request.target == "/realtime"
    if via_socks5:
        assert request.header("Host") == "www.bitmex.com"
        assert socks.handshakes[0].dst_host == "www.bitmex.com" and socks.handshakes[0].dst_port == 443
