"""Port of tests/swoole_http_client_coro/timeout_before_connect.phpt (swoole-src a281145a1): "swoole_http_client_coro: use timeout and timeout before connect".

A TLS client to an IP with ``timeout`` 0.001 in defer mode: the connection phase (TLS handshake)
cannot finish in time, so ``get('/')`` returns false with errCode ETIMEDOUT and statusCode -1
(CONNECT_FAILED), and the following ``recv()`` returns false. A second client without that
timeout, interleaved with a new failing attempt of the first, succeeds: ``get()`` and ``recv()``
true, errCode 0, status 200 and a body containing "tencent".

Port: changed (www.qq.com:443 becomes a local server that delays its TLS handshake; errCode after
recv() is checked as the source's 5001, where upstream's EXPECT says 110)

Deviations: www.qq.com (by IP) is re-targeted to a RAW server on 127.0.0.1 that accepts, waits
100 ms, and only then starts TLS (trustme leaf), so the first client's handshake deterministically
times out; it then answers one request with a "tencent" page. ``recv()`` after the failed connect
sets errCode 5001 (SW_ERROR_CLIENT_NO_CONNECTION), not 110 as upstream expects: the current
source (``Client::is_available()`` in ``PHP_METHOD(recv)``) reports "no connection" there and
the spec (client.md §10) follows the source, so errCode is checked as 110 right after each
failed ``get()`` and as 5001 after each ``recv()``; statusCode stays -1 throughout.
"""

from __future__ import annotations

import errno

from support.raw import build_response, read_request_head

from swoole_compat.coroutine.http import Client

ESTATUS_CONNECT_FAILED = -1
SW_ERROR_CLIENT_NO_CONNECTION = 5001
PAGE = b"<html><head><title>tencent</title></head><body>www.qq.test</body></html>"


async def test_timeout_before_connect(raw_server, tls_server_context) -> None:
    async def handler(reader, writer) -> None:
        await read_request_head(reader)
        writer.write(build_response(200, PAGE, [("Content-Type", "text/html")]))
        await writer.drain()

    srv = await raw_server(handler, ssl=tls_server_context, ssl_delay=0.1)
    host = "www.qq.test"
    request_headers = {"Host": host}

    ip = "127.0.0.1"
    cli1 = Client(ip, srv.port, True)
    cli1.setHeaders(request_headers)
    cli1.set({"timeout": 0.001})
    cli1.setDefer(True)
    assert await cli1.get("/") is False
    assert cli1.errCode == errno.ETIMEDOUT
    assert cli1.statusCode == ESTATUS_CONNECT_FAILED
    assert await cli1.recv() is False
    assert cli1.errCode == SW_ERROR_CLIENT_NO_CONNECTION  # upstream: SOCKET_ETIMEDOUT (see docstring)
    assert cli1.statusCode == ESTATUS_CONNECT_FAILED

    cli2 = Client(ip, srv.port, True)
    cli2.setHeaders(request_headers)
    cli2.setDefer(True)

    assert await cli1.get("/") is False
    assert cli1.errCode == errno.ETIMEDOUT
    assert await cli2.get("/") is True
    assert await cli1.recv() is False
    assert await cli2.recv() is True

    assert cli1.errCode == SW_ERROR_CLIENT_NO_CONNECTION  # upstream: SOCKET_ETIMEDOUT (see docstring)
    assert cli1.statusCode == ESTATUS_CONNECT_FAILED

    assert cli2.errCode == 0
    assert cli2.statusCode == 200 and b"tencent" in cli2.body
    cli2.close()

    # Only cli2's handshake completed; the request it carried used the user's Host header.
    assert len(srv.requests) == 1
    assert b"\r\nHost: www.qq.test\r\n" in srv.requests[0]
