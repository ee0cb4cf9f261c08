"""Port of tests/swoole_http_client_coro/download.phpt (swoole-src a281145a1): "swoole_http_client_coro: download file and download offset".

MAX_CONCURRENCY_LOW concurrent clients each send ``Range: bytes=<off>-`` and
``download('/', file, 0)``; the server sendfile()s the image from that offset with status 200.
The file must hold exactly the image tail (size + offset == image size). Then, on the same
client, ``setHeaders([])`` and ``get('/')`` return the whole image as the body.

Port: faithful

Deviations: the server is an aiohttp route (``range_start_file_handler``) instead of a Swoole
server in random mode; TEST_IMAGE is a random ``test.jpg`` and the targets live in ``tmp_path``.
The random offset is drawn from ``[0, size)``: with ``off == size`` the body is empty, no file
is created and upstream itself would fail. Added asserts: ``body`` stays empty while
downloading, ``downloadFile``/``downloadOffset`` are reset, the server saw each Range header and
the second request reused the connection.
"""

from __future__ import annotations

import asyncio
import random

from aiohttp import web

from support.http import range_start_file_handler

from swoole_compat.coroutine.http import Client


async def test_download(http_server, test_image, tmp_path, pressure) -> None:
    raw_file_content = test_image.read_bytes()
    raw_file_size = len(raw_file_content)
    srv = await http_server(web.Application(), routes=[web.get("/", range_start_file_handler(test_image))])
    count = 0

    async def one(c: int) -> None:
        nonlocal count
        cli = Client("127.0.0.1", srv.port)
        cli.set({"timeout": 5})
        filename = tmp_path / f"test-{c}.jpg"
        offset = random.randrange(0, raw_file_size)
        cli.setHeaders({"Range": f"bytes={offset}-"})
        assert await cli.download("/", str(filename), 0) is True
        assert cli.statusCode == 200
        assert cli.body == b""
        assert cli.downloadFile is None
        assert cli.downloadOffset == 0
        # assert length
        assert raw_file_size == offset + filename.stat().st_size
        # read content
        assert filename.read_bytes() == raw_file_content[offset:]
        count += 1
        filename.unlink()
        cli.setHeaders({})
        assert await cli.get("/") is True
        assert cli.body == raw_file_content
        cli.close()

    await asyncio.gather(*(one(c) for c in range(pressure.MAX_CONCURRENCY_LOW)))
    assert count == pressure.MAX_CONCURRENCY_LOW
    assert len(srv.requests) == 2 * pressure.MAX_CONCURRENCY_LOW
    assert srv.connections == pressure.MAX_CONCURRENCY_LOW  # each client kept its connection
    ranged = [r for r in srv.requests if r.header("Range") is not None]
    assert len(ranged) == pressure.MAX_CONCURRENCY_LOW
    assert all(r.header("Range").startswith("bytes=") for r in ranged)
