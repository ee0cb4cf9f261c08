"""Port of tests/swoole_http_client_coro/http_proxy.phpt (swoole-src a281145a1): "swoole_http_client_coro: http client with http_proxy".

A TLS GET to www.baidu.com:443 through an HTTP proxy (``http_proxy_host``/``http_proxy_port``)
succeeds and the body contains "百度".

Port: re-targeted (the HTTP proxy and www.baidu.com:443 become a loopback CONNECT proxy and TLS
server)

Deviations: the proxy is the local recording CONNECT proxy (``support.proxy``), which maps
``www.baidu.test:443`` to a local aiohttp TLS server serving a UTF-8 page. The host is renamed
to the reserved ``.test`` domain so that even a client bug could not reach the internet; the
client never resolves it (the proxy does). Added asserts: the exact CONNECT
request bytes, the tunnel target, the SNI (the host name) and the Host header inside the tunnel.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from support.tls import SniRecorder

from swoole_compat.coroutine.http import Client

PAGE = "<html><title>百度一下，你就知道</title></html>"


async def test_http_proxy(http_server: Any, connect_proxy: Any, sni_recorder: SniRecorder) -> None:
    async def index(request: web.Request) -> web.Response:
        return web.Response(text=PAGE, content_type="text/html", charset="utf-8")

    srv = await http_server(routes=[web.get("/", index)], ssl=sni_recorder.context)
    proxy = await connect_proxy(resolve={"www.baidu.test:443": ("127.0.0.1", srv.port)})

    domain = "www.baidu.test"
    cli = Client(domain, 443, True)
    cli.set({"timeout": 5, "http_proxy_host": "127.0.0.1", "http_proxy_port": proxy.port})
    result = await cli.get("/")
    assert result is True, (cli.errCode, cli.errMsg)
    assert "百度".lower() in cli.body.decode().lower()  # stripos

    assert cli.statusCode == 200
    assert len(proxy.requests) == 1
    connect = proxy.requests[0]
    assert connect.head == (
        b"CONNECT www.baidu.test:443 HTTP/1.1\r\n"
        b"Host: www.baidu.test:443\r\n"
        b"User-Agent: Swoole/6.2.1\r\n"
        b"Proxy-Connection: Keep-Alive\r\n"
        b"\r\n"
    )
    assert connect.upstream == ("127.0.0.1", srv.port)
    assert sni_recorder.names == [domain]
    inner = srv.requests[0]
    assert inner.target == "/"  # origin form inside the tunnel
    assert inner.header("Host") == domain
    assert inner.header("Proxy-Authorization") is None
    cli.close()
