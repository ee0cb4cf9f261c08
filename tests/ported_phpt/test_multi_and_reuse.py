"""Port of tests/swoole_http_client_coro/multi_and_reuse.phpt (swoole-src a281145a1): "swoole_http_client_coro: reuse defer client".

Two TLS clients in defer mode (two hosts): each sends ``get('/')``, then both ``recv(10)``; both
answer 200 with a body containing "baidu" / "tencent" (case-insensitive). Both clients are then
reused for new paths (``/duty/`` and ``/ch/tech/``) with the same result.

Port: re-targeted (www.baidu.com:443 and news.qq.com:443 become two local TLS servers)

Deviations: www.baidu.com:443 and news.qq.com:443 are re-targeted to two local aiohttp servers
over TLS (trustme leaf valid for ``localhost`` and ``127.0.0.1``, used as the two host names);
they answer gzip-compressed HTML. Added: each client used exactly one connection for both
requests, and each server saw the paths in order.
"""

from __future__ import annotations

from aiohttp import web

from support.http import compressed_response

from swoole_compat.coroutine.http import Client


def site(marker: str, paths: list[str]):
    async def handler(request: web.Request) -> web.Response:
        return compressed_response(request, f"<html><title>{marker}</title>{request.path}</html>".encode())

    return [web.get(path, handler) for path in paths]


def create_defer_cli(host: str, port: int, ssl: bool = False) -> Client:
    cli = Client(host, port, ssl)
    cli.set({"timeout": 10})
    cli.setHeaders(
        {
            "Host": host,
            "User-Agent": "Chrome/49.0.2587.3",
            "Accept": "text/html,application/xhtml+xml,application/xml",
            "Accept-Encoding": "gzip",
        }
    )
    cli.setDefer(True)
    return cli


async def test_multi_and_reuse(http_server, tls_server_context, tls) -> None:
    baidu_srv = await http_server(web.Application(), routes=site("Baidu", ["/", "/duty/"]), ssl=tls_server_context)
    qq_srv = await http_server(
        web.Application(), routes=site("Tencent News", ["/", "/ch/tech/"]), ssl=tls.server_context()
    )

    baidu = create_defer_cli("localhost", baidu_srv.port, True)
    qq = create_defer_cli("127.0.0.1", qq_srv.port, True)

    # first
    assert await baidu.get("/") is True
    assert await qq.get("/") is True
    assert await baidu.recv(10) is True
    assert await qq.recv(10) is True
    assert baidu.statusCode == 200
    assert b"baidu" in baidu.body.lower()
    assert qq.statusCode == 200
    assert b"tencent" in qq.body.lower()

    # reuse
    assert await baidu.get("/duty/") is True
    assert await qq.get("/ch/tech/") is True
    assert await baidu.recv(10) is True
    assert await qq.recv(10) is True
    assert baidu.statusCode == 200
    assert b"baidu" in baidu.body.lower()
    assert baidu.body.endswith(b"/duty/</html>")
    assert qq.statusCode == 200
    assert b"tencent" in qq.body.lower()
    assert qq.body.endswith(b"/ch/tech/</html>")
    baidu.close()
    qq.close()

    assert [r.path for r in baidu_srv.requests] == ["/", "/duty/"]
    assert [r.path for r in qq_srv.requests] == ["/", "/ch/tech/"]
    assert baidu_srv.connections == 1
    assert qq_srv.connections == 1
