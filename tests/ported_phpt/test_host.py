"""Port of tests/swoole_http_client_coro/host.phpt (swoole-src a281145a1): "swoole_http_client_coro: host".

``httpGetBody('http://H:P/get')`` against an httpbin on a non-80 port: the ``Host`` header the
server echoes carries that port.

Port: re-targeted (HTTPBIN becomes the local httpbin-like app on a random port)

Deviations: the HTTPBIN server is the local httpbin-like app (HB) on a random port, so the
upstream skip (port 80) never applies. Added (catalogue row 31): no port suffix for the default
ports, 80 without TLS and 443 with TLS. Those ports cannot be listened on by an unprivileged test,
so the clients target ``127.0.0.1:80`` / ``localhost:443`` through the recording HTTP proxy, which
maps them to the local servers; the Host line is checked in ``getHeaderOut()`` and at the server.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from support.helpers import http_get_body

from swoole_compat.coroutine.http import Client


async def test_host(httpbin) -> None:
    body = json.loads(await http_get_body(f"http://127.0.0.1:{httpbin.port}/get"))
    assert urlsplit("//" + body["headers"]["Host"]).port == httpbin.port
    assert body["headers"]["Host"] == f"127.0.0.1:{httpbin.port}"


async def test_host_without_default_port_80(httpbin, connect_proxy) -> None:
    proxy = await connect_proxy(resolve={"127.0.0.1:80": ("127.0.0.1", httpbin.port)})
    cli = Client("127.0.0.1", 80)
    cli.set({"timeout": 5, "http_proxy_host": "127.0.0.1", "http_proxy_port": proxy.port})
    assert await cli.get("/get") is True
    assert cli.statusCode == 200
    assert json.loads(cli.body)["headers"]["Host"] == "127.0.0.1"
    assert cli.getHeaderOut().split("\r\n")[1] == "Host: 127.0.0.1"
    assert [r.target for r in proxy.requests] == ["http://127.0.0.1:80/get"]
    cli.close()


async def test_host_without_default_port_443(httpbin_tls, connect_proxy) -> None:
    proxy = await connect_proxy(resolve={"localhost:443": ("127.0.0.1", httpbin_tls.port)})
    cli = Client("localhost", 443, True)
    cli.set({"timeout": 5, "http_proxy_host": "127.0.0.1", "http_proxy_port": proxy.port})
    assert await cli.get("/get") is True
    assert cli.statusCode == 200
    assert json.loads(cli.body)["headers"]["Host"] == "localhost"
    assert cli.getHeaderOut().split("\r\n")[1] == "Host: localhost"
    assert [(r.method, r.target) for r in proxy.requests] == [("CONNECT", "localhost:443")]
    cli.close()


async def test_host_with_non_default_port_over_tls(httpbin_tls) -> None:
    cli = Client("localhost", httpbin_tls.port, True)
    cli.set({"timeout": 5})
    assert await cli.get("/get") is True
    assert json.loads(cli.body)["headers"]["Host"] == f"localhost:{httpbin_tls.port}"
    cli.close()
