"""Port of tests/swoole_http_client_coro/http_proxy_443.phpt (swoole-src a281145a1): "swoole_http_client_coro: http client with http_proxy".

A TLS GET to mail.qq.com:443 with an explicit ``Host`` header, through an HTTP proxy, succeeds and
the body contains "QQ邮箱".

Port: re-targeted (the HTTP proxy and mail.qq.com:443 become a loopback CONNECT proxy and TLS
server)

Deviations: the proxy is the local recording CONNECT proxy mapping ``mail.qq.test:443`` (the
host renamed to the reserved ``.test`` domain) to a local aiohttp TLS server; the upstream
ProcessManager (an empty child) is dropped. Added: the exact CONNECT bytes and a variant with ``http_proxy_username``/``http_proxy_password`` against a proxy
that demands them (``Proxy-Authorization: Basic`` on the CONNECT only, never inside the tunnel),
as the catalogue suggests.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest
from aiohttp import web

from swoole_compat.coroutine.http import Client

PAGE = "<html><title>登录QQ邮箱</title></html>"


async def _target(http_server: Any, tls_server_context: Any) -> Any:
    async def index(request: web.Request) -> web.Response:
        return web.Response(text=PAGE, content_type="text/html", charset="utf-8")

    return await http_server(routes=[web.get("/", index)], ssl=tls_server_context)


@pytest.mark.parametrize("credentials", [None, ("proxy-user", "s3cret:pw")], ids=["no-auth", "basic-auth"])
async def test_http_proxy_443(
    http_server: Any, connect_proxy: Any, tls_server_context: Any, credentials: tuple[str, str] | None
) -> None:
    srv = await _target(http_server, tls_server_context)
    proxy = await connect_proxy(credentials=credentials, resolve={"mail.qq.test:443": ("127.0.0.1", srv.port)})

    domain = "mail.qq.test"
    cli = Client(domain, 443, True)
    cli.setHeaders({"Host": domain})
    options: dict[str, Any] = {"timeout": 5, "http_proxy_host": "127.0.0.1", "http_proxy_port": proxy.port}
    if credentials:
        options["http_proxy_username"], options["http_proxy_password"] = credentials
    cli.set(options)
    result = await cli.get("/")
    assert result is True, (cli.errCode, cli.errMsg)
    assert "QQ邮箱".lower() in cli.body.decode().lower()

    expected = (
        b"CONNECT mail.qq.test:443 HTTP/1.1\r\n"
        b"Host: mail.qq.test:443\r\n"
        b"User-Agent: Swoole/6.2.1\r\n"
        b"Proxy-Connection: Keep-Alive\r\n"
    )
    if credentials:
        token = base64.b64encode(":".join(credentials).encode()).decode()
        expected += f"Proxy-Authorization: Basic {token}\r\n".encode()
    expected += b"\r\n"
    assert [r.head for r in proxy.requests] == [expected]
    assert proxy.requests[0].authorized is True
    inner = srv.requests[0]
    assert inner.header("Host") == domain
    assert inner.header("Proxy-Authorization") is None
    cli.close()
