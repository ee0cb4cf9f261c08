"""Request bodies written with flow control (issues 16 part 3 and 22): ``swoole_compat/_connection/body.py``.

* Bytes on the wire at every slice boundary of the writer (0, 1, slice - 1, slice, slice + 1
  bytes, and the same around the size up to which the head is coalesced with the body), for
  bytes and str bodies, urlencoded forms and multipart contents, over plain TCP and TLS.
* No whole copy of a large in-memory body (traced memory stays far below its size).
* Swoole's failure semantics: a peer that stops reading mid-body ends the call at
  ``write_timeout`` with 110 / statusCode -4; the write deadline covers the whole body, not each
  write; a body that fits in the socket buffers is sent and the silent response then times out
  with -2; a server that answers early (413) and closes fails a large body with -4 (32 or 104)
  at once, and a small body (or a server that reads on after answering) gets the 413.

Servers are real loopback servers: aiohttp.web where a real HTTP server can judge the bytes,
RAW scripted servers for peers that stop reading or answer early.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from support.raw import read_request_head

from swoole_compat._connection.body import COALESCE, SLICE, TEXT_CHUNK
from swoole_compat.coroutine.http import Client

MIB = 1024 * 1024
ETIMEDOUT = 110
SEND_FAILED = -4
REQUEST_TIMEOUT = -2

# Every size at which the writer changes its course, and one several slices long.
SIZES = sorted({0, 1, COALESCE - 1, COALESCE, COALESCE + 1, SLICE - 1, SLICE, SLICE + 1, TEXT_CHUNK + 1, 3 * SLICE + 7})


def now() -> float:
    return asyncio.get_running_loop().time()


def ascii_text(size: int) -> str:
    return base64.b64encode(os.urandom(size * 3 // 4 + 3)).decode()[:size]


async def _digest(request: web.Request) -> web.Response:
    """Streams the body: its length, sha256 and the announced Content-Length."""
    digest = hashlib.sha256()
    size = 0
    async for chunk in request.content.iter_chunked(256 * 1024):
        digest.update(chunk)
        size += len(chunk)
    return web.json_response(
        {"size": size, "sha256": digest.hexdigest(), "content_length": request.headers.get("Content-Length")}
    )


async def _form(request: web.Request) -> web.Response:
    form = await request.post()
    return web.json_response({k: str(v) for k, v in form.items()})


async def _parts(request: web.Request) -> web.Response:
    out = []
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        digest = hashlib.sha256()
        size = 0
        while chunk := await part.read_chunk(256 * 1024):
            digest.update(chunk)
            size += len(chunk)
        out.append({"name": part.name, "filename": part.filename, "sha256": digest.hexdigest(), "size": size})
    return web.json_response(out)


ROUTES = [web.post("/digest", _digest), web.post("/form", _form), web.post("/parts", _parts)]


async def _server(http_server: Any, tls_server_context: Any, use_tls: bool) -> Any:
    return await http_server(
        web.Application(client_max_size=256 * MIB), routes=ROUTES, ssl=tls_server_context if use_tls else None
    )


def _expect(wire: bytes) -> dict[str, Any]:
    return {"size": len(wire), "sha256": hashlib.sha256(wire).hexdigest(), "content_length": str(len(wire))}


tls_param = pytest.mark.parametrize("use_tls", [False, True], ids=["tcp", "tls"])


# ============================================================================ bytes on the wire


@tls_param
@pytest.mark.parametrize("kind", ["bytes", "str"])
async def test_body_at_every_slice_boundary(http_server: Any, tls_server_context: Any, use_tls: bool, kind: str) -> None:
    """One keep-alive connection, one request per size: the server sees exactly the bytes."""
    srv = await _server(http_server, tls_server_context, use_tls)
    cli = Client("127.0.0.1", srv.port, use_tls)
    cli.set({"timeout": 30})
    for size in SIZES:
        body: bytes | str = os.urandom(size) if kind == "bytes" else ascii_text(size)
        wire = body if isinstance(body, bytes) else body.encode()
        assert await cli.post("/digest", body) is True, (size, cli.errCode, cli.errMsg)
        assert cli.statusCode == 200
        assert json.loads(cli.body) == _expect(wire), size
    assert srv.connections == 1
    cli.close()


@tls_param
async def test_non_ascii_str_body_is_sent_as_utf8(http_server: Any, tls_server_context: Any, use_tls: bool) -> None:
    srv = await _server(http_server, tls_server_context, use_tls)
    cli = Client("127.0.0.1", srv.port, use_tls)
    cli.set({"timeout": 30})
    for chars in (1, COALESCE // 2, COALESCE, SLICE, SLICE + 1):
        text = ("é€x\udcff" * (chars // 4 + 1))[:chars]  # a lone surrogate: surrogateescape, as before
        wire = text.encode("utf-8", "surrogateescape")
        assert await cli.post("/digest", text) is True, (chars, cli.errCode, cli.errMsg)
        assert json.loads(cli.body) == _expect(wire), chars
    cli.close()


@tls_param
async def test_bytes_like_bodies(http_server: Any, tls_server_context: Any, use_tls: bool) -> None:
    """bytearray and memoryview bodies (also a multi-byte format) are sent as their bytes."""
    srv = await _server(http_server, tls_server_context, use_tls)
    cli = Client("127.0.0.1", srv.port, use_tls)
    cli.set({"timeout": 30})
    raw = os.urandom(SLICE * 2 + 12)
    for body in (bytearray(raw), memoryview(raw), memoryview(raw).cast("I"), memoryview(raw)[5:-3]):
        assert await cli.post("/digest", body) is True, (cli.errCode, cli.errMsg)
        assert json.loads(cli.body) == _expect(bytes(body)), type(body)
    cli.close()


@tls_param
async def test_urlencoded_form_at_slice_boundaries(http_server: Any, tls_server_context: Any, use_tls: bool) -> None:
    srv = await _server(http_server, tls_server_context, use_tls)
    cli = Client("127.0.0.1", srv.port, use_tls)
    cli.set({"timeout": 30})
    for size in (1, COALESCE, SLICE, SLICE + 1, TEXT_CHUNK * 3 + 1):
        value = ascii_text(size - 1) + "é"  # "é" becomes %C3%A9
        assert await cli.post("/form", {"a": value, "b": "x y&z"}) is True, (size, cli.errCode)
        assert json.loads(cli.body) == {"a": value, "b": "x y&z"}, size
    cli.close()


@tls_param
async def test_multipart_contents_at_slice_boundaries(http_server: Any, tls_server_context: Any, use_tls: bool, tmp_path: Path) -> None:
    """addData() contents and form values of every boundary size, around an addFile() part."""
    srv = await _server(http_server, tls_server_context, use_tls)
    cli = Client("127.0.0.1", srv.port, use_tls)
    cli.set({"timeout": 30})
    path = tmp_path / "f.bin"
    file_data = os.urandom(SLICE + 3)
    path.write_bytes(file_data)
    for size in SIZES:
        if size == 0:
            continue
        content = os.urandom(size)
        value = ascii_text(size)
        assert cli.addData(content, "data", "application/octet-stream", "d.bin") is True
        assert cli.addFile(str(path), "file") is True
        assert cli.addData(content[: size // 2], "half") is True
        assert await cli.post("/parts", {"field": value}) is True, (size, cli.errCode, cli.errMsg)
        sha = lambda b: hashlib.sha256(b).hexdigest()  # noqa: E731
        assert json.loads(cli.body) == [
            {"name": "field", "filename": None, "sha256": sha(value.encode()), "size": size},
            {"name": "data", "filename": "d.bin", "sha256": sha(content), "size": size},
            {"name": "file", "filename": "f.bin", "sha256": sha(file_data), "size": len(file_data)},
            {"name": "half", "filename": "half", "sha256": sha(content[: size // 2]), "size": size // 2},
        ], size
    cli.close()


async def test_small_body_goes_out_with_the_head(raw_server: Any) -> None:
    """Head and small body leave in one write; the bytes are exactly head + body."""
    seen: list[bytes] = []

    async def handler(reader: Any, writer: Any) -> None:
        head = await read_request_head(reader)
        seen.append(head)
        body = await reader.readexactly(int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0]))
        seen.append(body)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        await writer.drain()

    srv = await raw_server(handler)
    cli = Client("127.0.0.1", srv.port)
    body = os.urandom(1000)
    assert await cli.post("/x", body) is True
    assert seen[1] == body
    assert srv.received(0) == seen[0] + body
    cli.close()


# ============================================================================ memory


@tls_param
@pytest.mark.parametrize("kind", ["bytes", "str", "addData"])
async def test_large_body_is_not_copied(http_server: Any, tls_server_context: Any, use_tls: bool, kind: str) -> None:
    """A 32 MiB body from memory: traced memory (client and in-process server together) stays
    far below its size; one write() of it copied it whole into the transport's buffer."""
    size = 32 * MIB
    srv = await _server(http_server, tls_server_context, use_tls)
    cli = Client("127.0.0.1", srv.port, use_tls)
    cli.set({"timeout": 60})
    assert await cli.post("/digest", b"warm-up") is True
    body: bytes | str = os.urandom(size) if kind != "str" else ascii_text(size)
    wire = body if isinstance(body, bytes) else body.encode()
    if kind == "addData":
        assert cli.addData(body, "d") is True
    tracemalloc.start()
    try:
        ok = await cli.post("/parts" if kind == "addData" else "/digest", {} if kind == "addData" else body)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert ok is True, (cli.errCode, cli.errMsg)
    reply = json.loads(cli.body)
    if kind == "addData":
        assert reply == [{"name": "d", "filename": "d", "sha256": hashlib.sha256(wire).hexdigest(), "size": size}]
    else:
        assert reply == _expect(wire)
    assert peak < 8 * MIB, f"peak traced memory {peak / MIB:.1f} MiB for a {size // MIB} MiB body"
    cli.close()


# ============================================================================ failures


def _stops_reading_after(count: int) -> Any:
    async def handler(reader: Any, writer: Any) -> None:
        await read_request_head(reader)
        await reader.readexactly(count)
        await asyncio.sleep(30)

    return handler


async def _upload(cli: Client, kind: str, path: Path, size: int) -> bool:
    if kind == "file":
        assert cli.addFile(str(path), "f") is True
        return await cli.post("/u", {})
    return await cli.post("/u", b"b" * size if kind == "bytes" else "s" * size)


@pytest.fixture
def big_file(tmp_path: Path) -> Path:
    path = tmp_path / "big.bin"
    with open(path, "wb") as fh:
        fh.truncate(32 * MIB)
    return path


@tls_param
@pytest.mark.parametrize("kind", ["bytes", "str", "file"])
async def test_peer_stops_reading_mid_body(raw_server: Any, tls_server_context: Any, big_file: Path, use_tls: bool, kind: str) -> None:
    """The server reads the head and 1 MiB of the body, then nothing: 110 / -4 at write_timeout."""
    srv = await raw_server(_stops_reading_after(MIB), ssl=tls_server_context if use_tls else None)
    cli = Client("127.0.0.1", srv.port, use_tls)
    cli.set({"timeout": 10, "write_timeout": 0.5})
    start = now()
    assert await _upload(cli, kind, big_file, 32 * MIB) is False
    took = now() - start
    assert (cli.errCode, cli.statusCode, cli.connected) == (ETIMEDOUT, SEND_FAILED, False), (cli.errCode, cli.errMsg)
    assert cli.errMsg == "Connection timed out"
    assert 0.4 <= took < 3.0, took
    assert cli.uploadFiles is None


@pytest.mark.parametrize("kind", ["bytes", "file"])
async def test_write_deadline_covers_the_whole_body(raw_server: Any, big_file: Path, kind: str) -> None:
    """A server that keeps reading, slowly: every write makes progress, yet the request fails
    once write_timeout has passed since its start (one deadline for the whole body)."""

    async def slow_reader(reader: Any, writer: Any) -> None:
        await read_request_head(reader)
        while await reader.read(64 * 1024):
            await asyncio.sleep(0.02)

    srv = await raw_server(slow_reader)
    cli = Client("127.0.0.1", srv.port)
    cli.set({"timeout": 10, "write_timeout": 0.8})
    start = now()
    assert await _upload(cli, kind, big_file, 32 * MIB) is False
    took = now() - start
    assert (cli.errCode, cli.statusCode, cli.connected) == (ETIMEDOUT, SEND_FAILED, False), (cli.errCode, cli.errMsg)
    assert 0.7 <= took < 3.5, took


async def test_body_within_the_socket_buffers_then_silence_is_a_response_timeout(raw_server: Any) -> None:
    """The body fits in the socket buffers: the send succeeds (as Swoole's send_all() does) and
    the silent server makes the response time out: 110 / -2."""
    srv = await raw_server(_stops_reading_after(16 * 1024))
    cli = Client("127.0.0.1", srv.port)
    cli.set({"timeout": 0.5, "write_timeout": 5})
    start = now()
    assert await cli.post("/u", os.urandom(16 * 1024)) is False
    assert (cli.errCode, cli.statusCode, cli.connected) == (ETIMEDOUT, REQUEST_TIMEOUT, False)
    assert 0.4 <= now() - start < 2.5


def _answer_413(read_on: bool) -> Any:
    async def handler(reader: Any, writer: Any) -> None:
        head = await read_request_head(reader)
        writer.write(b"HTTP/1.1 413 Request Entity Too Large\r\nContent-Length: 9\r\nConnection: close\r\n\r\ntoo large")
        await writer.drain()
        if read_on:  # nginx's lingering close: the body is read and dropped
            due = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
            while due > 0 and (chunk := await reader.read(min(due, MIB))):
                due -= len(chunk)

    return handler


@tls_param
@pytest.mark.parametrize("kind", ["bytes", "file"])
async def test_early_413_and_close_fails_a_large_body(raw_server: Any, tls_server_context: Any, big_file: Path, use_tls: bool, kind: str) -> None:
    """Swoole's send_all() fails when the server closes mid-body: -4 with EPIPE or ECONNRESET,
    at once (not at write_timeout), the 413 unread."""
    srv = await raw_server(_answer_413(False), ssl=tls_server_context if use_tls else None)
    cli = Client("127.0.0.1", srv.port, use_tls)
    cli.set({"timeout": 10, "write_timeout": 10})
    start = now()
    assert await _upload(cli, kind, big_file, 32 * MIB) is False
    assert cli.statusCode == SEND_FAILED, (cli.statusCode, cli.errCode, cli.errMsg)
    assert cli.errCode in (32, 104), (cli.errCode, cli.errMsg)
    assert cli.errMsg == os.strerror(cli.errCode)
    assert cli.connected is False and cli.headers is None and cli.body == b""
    assert now() - start < 5.0


@tls_param
async def test_early_413_with_a_small_body_is_the_response(raw_server: Any, tls_server_context: Any, use_tls: bool) -> None:
    """The whole body was written before the server answered and closed: the 413 is read."""
    srv = await raw_server(_answer_413(False), ssl=tls_server_context if use_tls else None)
    cli = Client("127.0.0.1", srv.port, use_tls)
    cli.set({"timeout": 5})
    assert await cli.post("/u", os.urandom(1000)) is True, (cli.statusCode, cli.errCode, cli.errMsg)
    assert cli.statusCode == 413 and cli.body == b"too large"


@tls_param
@pytest.mark.parametrize("kind", ["bytes", "file"])
async def test_early_413_from_a_server_that_reads_on(raw_server: Any, tls_server_context: Any, big_file: Path, use_tls: bool, kind: str) -> None:
    """A server that answers 413 at once but reads the body to its end (nginx): the whole body
    is sent, then the 413 is the response."""
    srv = await raw_server(_answer_413(True), ssl=tls_server_context if use_tls else None)
    cli = Client("127.0.0.1", srv.port, use_tls)
    cli.set({"timeout": 20})
    assert await _upload(cli, kind, big_file, 16 * MIB) is True, (cli.statusCode, cli.errCode, cli.errMsg)
    assert cli.statusCode == 413 and cli.body == b"too large"
