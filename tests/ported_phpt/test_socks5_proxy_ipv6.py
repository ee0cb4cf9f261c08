"""Port of tests/swoole_http_client_coro/socks5_proxy_ipv6.phpt (swoole-src a281145a1): "swoole_http_client_coro: socks5 proxy with IPv6".

The client host is an IPv6 literal (upstream: the AAAA record of www.qq.com), reached over TLS
through a SOCKS5 proxy with ``ssl_host_name`` = the domain and a ``Host`` header; the JSON body has
``code == 403``.

Port: re-targeted (the SOCKS5 proxy and www.qq.com's IPv6 address become a loopback SOCKS5 server
and a TLS server on ::1)

Deviations: the domain is renamed ``www.qq.test``; the IPv6 literal is ``::1`` and the target
is a local aiohttp TLS server listening on ``::1`` (skipped when IPv6 loopback is unavailable);
the proxy is the local recording SOCKS5 server on 127.0.0.1 (an IPv4 proxy, as upstream's
default ``SOCKS5_PROXY_HOST``). Added: the proxy received the IPv6 literal as a domain name
(address type 3, Swoole always lets the proxy resolve), the SNI is ``ssl_host_name``, and a
variant with the proxy itself on ``::1``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from aiohttp import web
from support.tls import SniRecorder

from swoole_compat.coroutine.http import Client

DOMAIN = "www.qq.test"


@pytest.mark.parametrize("proxy_host", ["127.0.0.1", "::1"])
async def test_socks5_proxy_ipv6(
    http_server: Any, socks5_proxy: Any, sni_recorder: SniRecorder, ipv6_host: str, proxy_host: str
) -> None:
    async def index(request: web.Request) -> web.Response:
        return web.json_response({"code": 403, "msg": "forbidden"})

    srv = await http_server(routes=[web.get("/", index)], ssl=sni_recorder.context, host=ipv6_host)
    socks = await socks5_proxy(host=proxy_host)

    client = Client(ipv6_host, srv.port, True)
    client.setHeaders({"Host": DOMAIN})
    client.set({"ssl_host_name": DOMAIN, "socks5_host": proxy_host, "socks5_port": socks.port, "timeout": 5})
    assert await client.get("/") is True, (client.errCode, client.errMsg)
    body = json.loads(client.body)
    assert body["code"] == 403
    client.close()

    [record] = socks.handshakes
    assert record.greeting == b"\x05\x01\x00"
    assert record.request == b"\x05\x01\x00\x03\x03::1" + srv.port.to_bytes(2, "big")
    assert (record.atyp, record.dst_host, record.dst_port) == (3, "::1", srv.port)
    assert sni_recorder.names == [DOMAIN]
    assert srv.requests[0].header("Host") == DOMAIN
    assert srv.requests[0].peer[0] == "::1"
