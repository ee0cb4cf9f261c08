"""Port of tests/swoole_http_client_coro/bug_3118.phpt (swoole-src a281145a1): "swoole_http_client_coro: Github #3118".

One keep-alive client GETs ``/status/{200,201,304,301,302,303}`` in sequence and
``getStatusCode()`` equals each code: redirects are not followed and a 304 does not wait for a body.

Port: re-targeted (HTTPBIN becomes the local httpbin-like app)

Deviations: HTTPBIN is re-targeted to the local httpbin-like app (HB, which keeps connections
alive, so connection reuse and "no redirect followed" are asserted from the server's request log).
A RAW case adds a 304 that carries ``Content-Length: 10`` and no body (what real servers send for
a cached representation): the client must not wait for those 10 bytes.
"""

from __future__ import annotations

import asyncio

from support.raw import read_request_head

from swoole_compat.coroutine.http import Client

CODES = [200, 201, 304, 301, 302, 303]


async def test_bug_3118(httpbin) -> None:
    client = Client("127.0.0.1", httpbin.port)
    client.set({"timeout": 10})
    for code in CODES:
        assert await client.get(f"/status/{code}") is True
        assert client.getStatusCode() == code
        assert client.statusCode == code
        if code in (301, 302, 303):
            assert client.headers["location"] == "/redirect/1"
        assert client.body == b""
    assert [r.target for r in httpbin.requests] == [f"/status/{code}" for code in CODES]
    assert httpbin.connections == 1
    client.close()


async def test_bug_3118_304_with_content_length(raw_server) -> None:
    async def handler(reader, writer) -> None:
        while True:
            try:
                head = await read_request_head(reader)
            except asyncio.IncompleteReadError:
                return
            if head.startswith(b"GET /304 "):
                writer.write(b"HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\nContent-Length: 10\r\n\r\n")
            else:
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nafter")
            await writer.drain()

    srv = await raw_server(handler)
    client = Client("127.0.0.1", srv.port)
    client.set({"timeout": 2})
    loop = asyncio.get_running_loop()
    start = loop.time()
    assert await client.get("/304") is True
    assert loop.time() - start < 1.0  # did not wait for the advertised 10 bytes
    assert client.getStatusCode() == 304
    assert client.body == b""
    assert await client.get("/next") is True
    assert client.getStatusCode() == 200
    assert client.body == b"after"
    assert srv.connections == 1
    client.close()
