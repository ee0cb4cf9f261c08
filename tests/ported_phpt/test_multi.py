"""Port of tests/swoole_http_client_coro/multi.phpt (swoole-src a281145a1): "swoole_http_client_coro: multi http client".

Two TLS clients for two different hosts, both in defer mode: both ``get('/')`` calls return true
right after sending, then both ``recv()`` succeed; one body contains "baidu", the other
"Tencent". Both clients are closed and "OK" is printed.

Port: re-targeted (www.baidu.com:443 and www.qq.com:443 become two local TLS servers)

Deviations: www.baidu.com:443 and www.qq.com:443 are re-targeted to two local aiohttp servers
over TLS (trustme leaf valid for ``localhost`` and ``127.0.0.1``, used as the two host names);
they answer gzip-compressed HTML since the request asks for ``Accept-Encoding: gzip``. Added: the
requests carried the user headers, both were in flight before the first ``recv()`` (statusCode 0,
empty body), and the bodies are exact.
"""

from __future__ import annotations

from aiohttp import web

from support.http import compressed_response

from swoole_compat.coroutine.http import Client

BAIDU = b"<html><title>baidu</title>" + b"." * 2048 + b"</html>"
QQ = b"<html><title>Tencent QQ</title>" + b"." * 2048 + b"</html>"
HEADERS = {
    "User-Agent": "Chrome/49.0.2587.3",
    "Accept": "text/html,application/xhtml+xml,application/xml",
    "Accept-Encoding": "gzip",
}


def site(page: bytes):
    async def handler(request: web.Request) -> web.Response:
        return compressed_response(request, page)

    return [web.get("/", handler)]


async def test_multi(http_server, tls_server_context, tls) -> None:
    srv1 = await http_server(web.Application(), routes=site(BAIDU), ssl=tls_server_context)
    srv2 = await http_server(web.Application(), routes=site(QQ), ssl=tls.server_context())

    cli1 = Client("localhost", srv1.port, True)
    cli1.set({"timeout": 10})
    cli1.setHeaders({"Host": "localhost", **HEADERS})
    cli1.setDefer(1)

    cli2 = Client("127.0.0.1", srv2.port, True)
    cli2.set({"timeout": 10})
    cli2.setHeaders({"Host": "127.0.0.1", **HEADERS})
    cli2.setDefer(1)

    ret1 = await cli1.get("/")
    ret2 = await cli2.get("/")
    assert ret1 and ret2, (cli1.errCode, cli1.errMsg, cli2.errCode, cli2.errMsg)
    assert (cli1.statusCode, cli1.body, cli2.statusCode, cli2.body) == (0, b"", 0, b"")

    assert await cli1.recv() is True
    assert await cli2.recv() is True
    assert b"baidu" in cli1.body
    assert b"Tencent" in cli2.body
    assert (cli1.body, cli2.body) == (BAIDU, QQ)
    assert cli1.headers["content-encoding"] == cli2.headers["content-encoding"] == "gzip"
    assert cli1.close() is True
    assert cli2.close() is True

    for srv, host in ((srv1, "localhost"), (srv2, "127.0.0.1")):
        assert len(srv.requests) == 1
        seen = srv.requests[0]
        assert seen.header_all("Host") == [host]
        assert seen.header_all("Accept-Encoding") == ["gzip"]
        assert seen.header_all("User-Agent") == [HEADERS["User-Agent"]]
