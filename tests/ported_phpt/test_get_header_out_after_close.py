"""Port of tests/swoole_http_client_coro/get_header_out_after_close.phpt (swoole-src a281145a1): "swoole_http_client_coro: getHeaderOut after close".

With ``keep_alive`` false and ``timeout`` -1, ``execute('/get')`` runs and the connection is
closed afterwards; ``getHeaderOut()`` must still return the request head that was sent (the
upstream regression was a use-after-free when reading it after the close).

Port: re-targeted (httpbin.org:80 becomes the local httpbin-like app)

Deviations: httpbin.org:80 is re-targeted to the local httpbin-like app (HB); upstream only looked
for the host name, the port asserts the exact head (request line, ``Host`` with the non-default
port, ``Connection: closed``), that the connection really was closed, and that an explicit
``close()`` does not clear the value either.
"""

from __future__ import annotations

from swoole_compat.coroutine.http import Client


async def test_get_header_out_after_close(httpbin) -> None:
    http = Client("127.0.0.1", httpbin.port, False)
    assert http.getHeaderOut() is False  # nothing sent yet
    http.set({"timeout": -1, "keep_alive": False})
    assert await http.execute("/get") is True
    assert http.statusCode == 200
    assert http.connected is False  # keep_alive false: closed after the response

    header_out = http.getHeaderOut()
    assert isinstance(header_out, str)
    assert f"127.0.0.1:{httpbin.port}" in header_out
    lines = header_out.split("\r\n")
    assert lines[0] == "GET /get HTTP/1.1"
    assert lines[1] == f"Host: 127.0.0.1:{httpbin.port}"
    assert "Connection: closed" in lines

    # What getHeaderOut() reports is what the server received.
    request = httpbin.requests[-1]
    assert request.header_all("Host") == [f"127.0.0.1:{httpbin.port}"]
    assert request.header_all("Connection") == ["closed"]

    assert http.close() is False  # already closed
    assert http.getHeaderOut() == header_out
