"""Port of tests/swoole_http_client_coro/socks5_proxy.phpt (swoole-src a281145a1): "swoole_http_client_coro: socks5 proxy".

A TLS GET to www.google.com:443 with a ``Host`` header through a SOCKS5 proxy (``socks5_host``/
``socks5_port``) answers 200 with a body containing "google.com".

Port: re-targeted (the SOCKS5 proxy and www.google.com:443 become a loopback SOCKS5 server and TLS
server)

Deviations: the proxy is the local recording SOCKS5 server (``support.proxy``), mapping
``www.google.test:443`` (the host renamed to the reserved ``.test`` domain) to a local aiohttp
TLS server. Added, as the catalogue suggests: the
greeting / CONNECT bytes (address type 3, the host name, port 443), the SNI, an RFC 1929
username/password variant (greeting offers only method 2, exact auth bytes) and a wrong-password
variant (statusCode -1, errCode 7005 "Socks5 handshake failed").
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from support.tls import SniRecorder

from swoole_compat.coroutine.http import Client

SW_ERROR_SOCKS5_HANDSHAKE_FAILED = 7005
DOMAIN = "www.google.test"
CONNECT_REQUEST = b"\x05\x01\x00\x03" + bytes([len(DOMAIN)]) + DOMAIN.encode() + (443).to_bytes(2, "big")


async def _target(http_server: Any, context: Any) -> Any:
    async def index(request: web.Request) -> web.Response:
        return web.Response(text='<html><a href="https://www.google.test/">google.com</a></html>', content_type="text/html")

    return await http_server(routes=[web.get("/", index)], ssl=context)


def _client(socks: Any, **extra: Any) -> Client:
    cli = Client(DOMAIN, 443, True)
    cli.setHeaders({"Host": DOMAIN})
    cli.set({"timeout": 5, "socks5_host": "127.0.0.1", "socks5_port": socks.port, **extra})
    return cli


async def test_socks5_proxy(http_server: Any, socks5_proxy: Any, sni_recorder: SniRecorder) -> None:
    srv = await _target(http_server, sni_recorder.context)
    socks = await socks5_proxy(resolve={f"{DOMAIN}:443": ("127.0.0.1", srv.port)})
    cli = _client(socks)
    ret = await cli.get("/")
    assert ret is True, ("ERROR", cli.errCode, cli.errMsg)
    assert cli.statusCode == 200
    assert "google.com" in cli.body.decode().lower()
    cli.close()

    [record] = socks.handshakes
    assert record.greeting == b"\x05\x01\x00"
    assert record.chosen_method == 0x00
    assert record.auth == b""
    assert record.request == CONNECT_REQUEST
    assert (record.atyp, record.dst_host, record.dst_port) == (3, DOMAIN, 443)
    assert record.reply == 0
    assert sni_recorder.names == [DOMAIN]
    assert srv.requests[0].header("Host") == DOMAIN


async def test_socks5_proxy_username_password(http_server: Any, socks5_proxy: Any, tls_server_context: Any) -> None:
    srv = await _target(http_server, tls_server_context)
    socks = await socks5_proxy(credentials=("alice", "pa55"), resolve={f"{DOMAIN}:443": ("127.0.0.1", srv.port)})
    cli = _client(socks, socks5_username="alice", socks5_password="pa55")
    assert await cli.get("/") is True, (cli.errCode, cli.errMsg)
    assert cli.statusCode == 200
    cli.close()

    [record] = socks.handshakes
    assert record.greeting == b"\x05\x01\x02"
    assert record.auth == b"\x01\x05alice\x04pa55"
    assert record.auth_ok is True
    assert record.request == CONNECT_REQUEST


async def test_socks5_proxy_wrong_password(http_server: Any, socks5_proxy: Any, tls_server_context: Any) -> None:
    srv = await _target(http_server, tls_server_context)
    socks = await socks5_proxy(credentials=("alice", "pa55"), resolve={f"{DOMAIN}:443": ("127.0.0.1", srv.port)})
    cli = _client(socks, socks5_username="alice", socks5_password="wrong")
    assert await cli.get("/") is False
    assert cli.statusCode == -1
    assert cli.errCode == SW_ERROR_SOCKS5_HANDSHAKE_FAILED
    assert cli.errMsg == "Socks5 handshake failed"
    assert cli.connected is False
    [record] = socks.handshakes
    assert record.auth_ok is False
    assert record.request == b""  # the CONNECT was never sent
    assert srv.connections == 0
