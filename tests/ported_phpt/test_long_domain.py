"""Port of tests/swoole_http_client_coro/long_domain.phpt (swoole-src a281145a1): "swoole_http_client_coro: long domain".

Three concurrent GETs to domain names with 60+-character labels (``Host`` set to the domain,
browser-like headers): each returns 200 with a non-empty body.

Port: re-targeted (the three long internet names resolve to a local server through a patched
getaddrinfo)

Deviations: upstream exercises real DNS of long names on the internet. Offline, the resolver
(``socket.getaddrinfo``, which the event loop's ``getaddrinfo`` calls) is monkeypatched to map
exactly these three names to 127.0.0.1, where a local aiohttp server listens on a random port
(upstream uses the default port 80). The port asserts that each name went through resolution
and that its Host header reached the server intact.
"""

from __future__ import annotations

import asyncio
import socket

from aiohttp import web

from swoole_compat.coroutine.http import Client

DOMAINS = [
    "888888888888888888888888888888888888888888888888888888888888888.com",
    "www.abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijk.com",
    "www.mamashuojiusuannizhucedeyumingzaichanggoogledounengsousuochulai.cn",
]


async def http_get(domain: str, port: int) -> None:
    cli = Client(domain, port)
    cli.set({"timeout": 5})
    cli.setHeaders(
        {
            "Host": domain,
            "User-Agent": "Chrome/49.0.2587.3",
            "Accept": "text/html,application/xhtml+xml,application/xml",
            "Accept-Encoding": "gzip",
        }
    )
    assert await cli.get("/") is True, (domain, cli.errCode, cli.errMsg)
    assert cli.statusCode == 200
    assert cli.body
    assert cli.body == f"welcome to {domain}".encode()
    cli.close()


async def test_long_domain(http_server, monkeypatch) -> None:
    async def index(request: web.Request) -> web.Response:
        return web.Response(text=f"welcome to {request.headers['Host']}")

    srv = await http_server(web.Application(), routes=[web.get("/", index)])

    real_getaddrinfo = socket.getaddrinfo
    resolved: list[str] = []

    def fake_getaddrinfo(host, port, *args, **kwargs):  # type: ignore[no-untyped-def]
        name = host.decode() if isinstance(host, bytes) else host
        if name in DOMAINS:
            resolved.append(name)
            return real_getaddrinfo("127.0.0.1", port, *args, **kwargs)
        return real_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)

    await asyncio.wait_for(asyncio.gather(*(http_get(domain, srv.port) for domain in DOMAINS)), 3)

    assert sorted(resolved) == sorted(DOMAINS)
    assert sorted(r.header("Host") for r in srv.requests) == sorted(DOMAINS)
    assert all(len(r.header_all("Host")) == 1 for r in srv.requests)
    assert srv.connections == 3
