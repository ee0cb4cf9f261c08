"""Port of tests/swoole_http_client_coro/http_proxy_with_host_port.phpt (swoole-src a281145a1): "swoole_http_client_coro: http client with http_proxy and host and port".

A plain-HTTP client for 127.0.0.1:1234 with an HTTP proxy and a user ``Host: 127.0.0.1:1234``
header sends its request in absolute form to the proxy. The "proxy" is a raw server that prints
the request head (up to the blank line) and closes; the bytes must be exactly::

    GET http://127.0.0.1:1234/ HTTP/1.1
    Host: 127.0.0.1:1234
    Connection: keep-alive
    Accept-Encoding: gzip, deflate, br

Port: faithful

Deviations: the raw Swoole server becomes the RAW fixture capturing the head; the comparison is
byte-exact (CRLF line ends, blank line included) instead of PHP's echoed output. ``br`` is
advertised because brotli is a runtime dependency. Added: nothing but the head was sent, and the
client's result after the proxy closed without answering (a reset, statusCode -3).
"""

from __future__ import annotations

from typing import Any

from support.raw import close_without_reply

from swoole_compat.coroutine.http import Client

EXPECTED = (
    b"GET http://127.0.0.1:1234/ HTTP/1.1\r\n"
    b"Host: 127.0.0.1:1234\r\n"
    b"Connection: keep-alive\r\n"
    b"Accept-Encoding: gzip, deflate, br\r\n"
    b"\r\n"
)


async def test_http_proxy_with_host_port(raw_server: Any) -> None:
    proxy = await raw_server(close_without_reply)
    cli = Client("127.0.0.1", 1234)
    cli.set({"timeout": 5, "http_proxy_host": "127.0.0.1", "http_proxy_port": proxy.port})
    cli.setHeaders({"Host": "127.0.0.1:1234"})
    result = await cli.get("/")

    assert proxy.requests == [EXPECTED]
    assert proxy.received(0) == EXPECTED
    assert cli.getHeaderOut() == EXPECTED[:-4].decode()
    # The proxy closed without a response: the read fails like any early EOF.
    assert result is False
    assert cli.statusCode == -3
    assert cli.errCode == 104
