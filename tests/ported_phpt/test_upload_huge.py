"""Port of tests/swoole_http_client_coro/upload_huge.phpt (swoole-src a281145a1): "swoole_http_client_coro: upload a big file".

A large file (``get_safe_random(16)`` repeated 1 Mi times) is uploaded with
``addFile(path, 'test.jpg')`` and ``post('/post', {'name': 'twosee'})`` to httpbin; the JSON
answer's ``files['test.jpg']`` must equal the file content, the status is 200 and headers are
present.

Port: re-targeted (the local httpbin ``HTTPBIN_LOCALLY`` is the local httpbin-like aiohttp app)

Deviations: upstream runs only against a local httpbin (``HTTPBIN_LOCALLY``); here the local
httpbin-like aiohttp app serves ``/post`` and keeps every byte it received. The size is upstream's
CI size, 16 MiB (64 MiB outside CI); the file lives in ``tmp_path`` and the timeout stays 10 s.
Added asserts: the form field, and the request Content-Length equal to the bytes the server
received.
"""

from __future__ import annotations

import json

from support.helpers import safe_random

from swoole_compat.coroutine.http import Client


async def test_upload_huge(http_server, tmp_path) -> None:
    httpbin = await http_server(record_bytes=True)
    content = safe_random(16) * (1024 * 1024)  # 16 MiB
    path = tmp_path / "test.jpg"
    path.write_text(content)

    cli = Client("127.0.0.1", httpbin.port)
    cli.set({"timeout": 10})
    assert cli.addFile(str(path), "test.jpg") is True
    ret = await cli.post("/post", {"name": "twosee"})
    assert ret is True, (cli.statusCode, cli.errCode, cli.errMsg)
    assert len(cli.headers) > 0
    assert cli.statusCode == 200
    body = json.loads(cli.body)
    assert body["files"]["test.jpg"] == content
    assert body["form"] == {"name": "twosee"}
    seen = httpbin.requests[-1]
    assert seen.method == "POST"
    assert cli.close() is True
    # Content-Length is exactly the body the server received on that one connection.
    assert httpbin.connections == 1 and len(httpbin.requests) == 1
    received = bytes(httpbin.records[0].received)
    head_end = received.index(b"\r\n\r\n") + 4
    content_length = int(seen.header("Content-Length"))
    assert content_length > len(content)
    assert len(received) - head_end == content_length
