"""Port of tests/swoole_http_client_coro/disable_keep_alive.phpt (swoole-src a281145a1): "swoole_http_client_coro: disable keep alive".

With ``keep_alive`` false over TLS, two GETs (``/`` then ``/ch/tech/``) both answer 200; then, with
``timeout`` 0.001, a third GET fails and leaves ``headers`` and ``body`` empty (the previous
response is cleared when a request starts).

Port: re-targeted (news.qq.com:443 becomes a local TLS server)

Deviations: news.qq.com:443 is re-targeted to a local aiohttp server over TLS (trustme leaf for
``localhost``); the third request is delayed 200 ms so that it cannot finish within 1 ms.
Added: each request uses its own connection and carries Swoole's ``Connection: closed`` (sic)
header; the failure reports errCode 110 with statusCode -1 (timed out in the TLS handshake) or
-2 (timed out waiting for the response), or 712 with -1 (timed out resolving ``localhost``).
"""

from __future__ import annotations

import asyncio
import errno

from aiohttp import web

from swoole_compat.coroutine.http import Client

HOST = "localhost"


async def test_disable_keep_alive(http_server, tls_server_context) -> None:
    served: list[str] = []

    async def handler(request: web.Request) -> web.Response:
        if len(served) >= 2:
            await asyncio.sleep(0.2)
        served.append(request.path)
        return web.Response(text=f"<html>tencent news {request.path}</html>", content_type="text/html")

    srv = await http_server(
        web.Application(), routes=[web.get("/", handler), web.get("/ch/tech/", handler)], ssl=tls_server_context
    )

    cli = Client(HOST, srv.port, True)
    cli.set({"timeout": 10, "keep_alive": False})
    cli.setHeaders({"Host": HOST})
    await cli.get("/")
    assert cli.statusCode == 200
    assert cli.body == b"<html>tencent news /</html>"

    assert await cli.get("/ch/tech/") is True
    assert cli.statusCode == 200
    assert cli.body == b"<html>tencent news /ch/tech/</html>"

    # One connection per request, each announcing "Connection: closed" (sic).
    assert srv.connections == 2
    assert [r.conn_index for r in srv.requests] == [0, 1]
    for record in srv.requests:
        assert record.header_all("Connection") == ["closed"]
        assert record.header_all("Host") == [HOST]

    # failed clear
    cli.set({"timeout": 0.001})
    assert await cli.get("/ch/tech/") is False
    assert not cli.headers
    assert not cli.body
    # 1 ms may run out in the name lookup of "localhost" (712, DNS timeout), the connect or TLS
    # handshake (110, -1) or the wait for the response (110, -2).
    assert (cli.errCode, cli.statusCode) in ((errno.ETIMEDOUT, -1), (errno.ETIMEDOUT, -2), (712, -1))
    cli.close()
