"""Port of tests/swoole_http_client_coro/ssl_verify_peer_1.phpt (swoole-src a281145a1): "swoole_http_client_coro: ssl_verify_peer [1]".

Against a server with a self-signed certificate: ``ssl_verify_peer`` + ``ssl_allow_self_signed``
succeeds (body "OK"); with ``ssl_allow_self_signed`` false the request fails with statusCode -1 and
errCode SWOOLE_ERROR_SSL_VERIFY_FAILED (1014).

Port: faithful

Deviations: upstream's ``examples/ssl/ssl.crt`` (CN rango, expired in 2021) is replaced by a
self-signed leaf generated at test time (``support.tls``, via ``cryptography``). The upstream
``log_level`` lowering that hides the NOTICE is not needed (NOTICE maps to INFO). Python verifies
inside the handshake, so the allowed case needs a second handshake (deviation S2); only the
result is asserted, as upstream. Added: errMsg, connected state, and that the rejected client
never sent a request.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from swoole_compat.coroutine.http import Client

SWOOLE_ERROR_SSL_VERIFY_FAILED = 1014

HEADERS = {
    "Host": "localhost",
    "User-Agent": "Chrome/49.0.2587.3",
    "Accept": "text/html,application/xhtml+xml,application/xml",
    "Accept-Encoding": "gzip",
}


async def test_ssl_verify_peer_1(http_server: Any, self_signed_context: Any) -> None:
    async def index(request: web.Request) -> web.Response:
        return web.Response(text="OK")

    srv = await http_server(routes=[web.get("/", index)], ssl=self_signed_context)

    # allow_self_signed
    client = Client("127.0.0.1", srv.port, True)
    client.set({"ssl_verify_peer": True, "ssl_allow_self_signed": True})
    client.setHeaders(HEADERS)
    result = await client.get("/")
    assert result is True, (client.errCode, client.errMsg)
    assert client.getBody() == b"OK"
    assert client.getStatusCode() == 200
    assert len(srv.requests) == 1
    client.close()

    # no allow_self_signed
    client = Client("127.0.0.1", srv.port, True)
    client.set({"ssl_verify_peer": True, "ssl_allow_self_signed": False})
    client.setHeaders(HEADERS)
    result = await client.get("/")
    assert result is False
    assert client.getStatusCode() == -1
    assert client.errCode == SWOOLE_ERROR_SSL_VERIFY_FAILED
    assert client.errMsg == "SSL verify failed"
    assert client.connected is False
    assert len(srv.requests) == 1  # nothing was sent by the rejected client
