"""Port of tests/swoole_http_client_coro/download_failed.phpt (swoole-src a281145a1): "swoole_http_client_coro: http download io failure".

(a) The server reads one byte every 10 ms and never answers: ``download('/get', FILE)`` with
``timeout`` 0.1 returns false and FILE does **not** exist (the file is opened lazily, on the
first body byte). (b) The server sends ``200`` with ``Content-Length: 99999`` and then one byte
per millisecond: the download fails after 0.1 s and the **partial** file exists (it is not
removed on failure).

Port: faithful

Deviations: the two raw coroutine sockets become RAW server scripts; FILE lives in ``tmp_path``.
Added asserts: statusCode -2 / errCode 110 for both, the partial file holds only the bytes sent
(fewer than 99999), ``downloadFile`` kept when no file was opened (quirk Q10) and reset when one
was, and the connection is closed after each failure.
"""

from __future__ import annotations

import asyncio
import errno

from swoole_compat import SWOOLE_HTTP_CLIENT_ESTATUS_REQUEST_TIMEOUT
from swoole_compat.coroutine.http import Client


async def test_download_failed_without_response(raw_server, tmp_path) -> None:
    file = tmp_path / "download.html"

    async def slow_reader(reader, writer) -> None:
        while await reader.read(1):
            await asyncio.sleep(0.01)

    srv = await raw_server(slow_reader)
    cli = Client("127.0.0.1", srv.port)
    cli.set({"timeout": 0.1})
    assert await cli.download("/get", str(file)) is False
    assert not file.exists()
    assert cli.statusCode == SWOOLE_HTTP_CLIENT_ESTATUS_REQUEST_TIMEOUT
    assert cli.errCode == errno.ETIMEDOUT
    assert cli.connected is False
    # no body byte arrived: the download target is still pending (quirk Q10)
    assert cli.downloadFile == str(file)


async def test_download_failed_partial_file(raw_server, tmp_path) -> None:
    file = tmp_path / "download.html"
    sent = 0

    async def trickler(reader, writer) -> None:
        nonlocal sent
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 99999\r\n\r\n")
        await writer.drain()
        while sent < 99999 and not writer.transport.is_closing():
            writer.write(b"a")
            sent += 1
            await writer.drain()
            await asyncio.sleep(0.001)

    srv = await raw_server(trickler)
    cli = Client("127.0.0.1", srv.port)
    cli.set({"timeout": 0.1})
    assert await cli.download("/get", str(file)) is False
    assert file.exists()
    assert cli.statusCode == SWOOLE_HTTP_CLIENT_ESTATUS_REQUEST_TIMEOUT
    assert cli.errCode == errno.ETIMEDOUT
    assert cli.connected is False
    content = file.read_bytes()
    assert 0 < len(content) < 99999
    assert content == b"a" * len(content)
    assert len(content) <= sent
    assert cli.headers == {"content-length": "99999"}
    assert cli.body == b""
    # a file was opened: the download state is reset with the connection
    assert cli.downloadFile is None
    assert cli.downloadOffset == 0
