"""Uploads, downloads, ``write_func`` streaming and UNIX sockets (client.md §6.6, §7.7, §7.8, §9).

Every server here is independent of the client: aiohttp parses the multipart bodies
(``request.multipart()`` / ``request.post()``), RAW scripts are used only where the bytes must be
exact or no real server would send them (truncated bodies, a head followed by silence).
"""

from __future__ import annotations

import asyncio
import base64
import errno
import gzip
import hashlib
import json
import os
import re
import socket
import sys
import tracemalloc
import warnings
from pathlib import Path

import pytest
from aiohttp import web

from support.http1 import build_response, read_request
from support.raw import close, hold, read_head, respond, script, send

from swoole_compat import (
    SWOOLE_HTTP_CLIENT_ESTATUS_CONNECT_FAILED,
    SWOOLE_HTTP_CLIENT_ESTATUS_SEND_FAILED,
    SWOOLE_HTTP_CLIENT_ESTATUS_SERVER_RESET,
    SwooleWarning,
)
from swoole_compat.coroutine.http import Client

PREFIX = "Swoole\\Coroutine\\Http\\Client::addFile(): "
BOUNDARY_RE = re.compile(r"multipart/form-data; boundary=(----SwooleBoundary[A-Za-z0-9]{21})")
SW_ERROR_HTTP_INVALID_PROTOCOL = 7102
MIB = 1024 * 1024


def _file(directory: Path, name: str, data: bytes) -> Path:
    path = directory / name
    path.write_bytes(data)
    return path


async def _multipart_echo(request: web.Request) -> web.Response:
    """Independent reader: every part with its headers and content, in order."""
    parts = []
    reader = await request.multipart()
    while True:
        part = await reader.next()
        if part is None:
            break
        data = await part.read(decode=False)
        parts.append(
            {
                "name": part.name,
                "filename": part.filename,
                "content_type": part.headers.get("Content-Type"),
                "data": base64.b64encode(bytes(data)).decode(),
            }
        )
    return web.json_response(
        {"method": request.method, "content_type": request.headers.get("Content-Type"), "parts": parts}
    )


def _parts(body: bytes) -> list[tuple[str, str | None, str | None, bytes]]:
    reply = json.loads(body)
    return [(p["name"], p["filename"], p["content_type"], base64.b64decode(p["data"])) for p in reply["parts"]]


# ==================================================================================== addFile


class TestAddFileValidation:
    @pytest.mark.parametrize(
        ("offset", "length", "message"),
        [
            (-1, 0, "parameter $offset[-1] must be greater than or equal to 0"),
            (-5, -5, "parameter $offset[-5] must be greater than or equal to 0"),  # offset checked first
            (0, -1, "parameter $length[-1] must be greater than or equal to 0"),
            (10, 0, "parameter $offset[10] exceeds the file size"),
            (11, 0, "parameter $offset[11] exceeds the file size"),
            (0, 11, "parameter $length[11] exceeds the file size, Error: Success[0]"),
            (4, 7, "parameter $length[7] exceeds the file size, Error: Success[0]"),
        ],
    )
    def test_offset_and_length(self, tmp_path, offset, length, message) -> None:
        path = _file(tmp_path, "up.txt", b"0123456789")
        cli = Client("127.0.0.1", 1)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert cli.addFile(str(path), "f", None, None, offset, length) is False
        assert [str(w.message) for w in caught] == [PREFIX + message]
        assert caught[0].category is SwooleWarning
        assert caught[0].filename == __file__
        assert cli.uploadFiles is None

    def test_missing_file(self, tmp_path) -> None:
        cli = Client("127.0.0.1", 1)
        missing = tmp_path / "nope" / "x.bin"
        with pytest.warns(SwooleWarning) as record:
            assert cli.addFile(str(missing), "f") is False
        assert [str(w.message) for w in record] == [
            PREFIX + f"stat({missing}) failed, Error: No such file or directory[2]"
        ]
        assert cli.uploadFiles is None

    def test_empty_file(self, tmp_path) -> None:
        empty = _file(tmp_path, "empty.bin", b"")
        cli = Client("127.0.0.1", 1)
        with pytest.warns(SwooleWarning) as record:
            assert cli.addFile(str(empty), "f") is False
            assert cli.addFile(str(empty), "f", "text/plain", "shown.txt") is False
        texts = [str(w.message) for w in record]
        # the errno part is stale upstream (errors.md §6.1): compare the prefix only
        assert texts[0].startswith(PREFIX + "cannot send empty file[(null)], Error: ")
        assert texts[1].startswith(PREFIX + "cannot send empty file[shown.txt], Error: ")
        assert cli.uploadFiles is None

    def test_failures_leave_queued_entries_alone(self, tmp_path) -> None:
        path = _file(tmp_path, "up.txt", b"0123456789")
        cli = Client("127.0.0.1", 1)
        assert cli.addFile(str(path), "ok") is True
        before = [dict(e) for e in cli.uploadFiles]
        with pytest.warns(SwooleWarning):
            assert cli.addFile(str(path), "bad", None, None, 99) is False
        assert cli.uploadFiles == before

    def test_entry_layout_and_defaults(self, tmp_path) -> None:
        path = _file(tmp_path, "up.txt", b"0123456789")
        cli = Client("127.0.0.1", 1)
        assert cli.addFile(str(path), "f1", None, None, 2, 3) is True
        assert cli.addFile(str(path), "f2", "text/x-custom", "renamed.bin", 5) is True
        assert cli.addFile(path, "f3") is True  # os.PathLike accepted
        assert cli.uploadFiles == [
            {"path": str(path), "name": "f1", "filename": "up.txt", "type": "text/plain", "size": 3, "offset": 2},
            {
                "path": str(path), "name": "f2", "filename": "renamed.bin", "type": "text/x-custom",
                "size": 5, "offset": 5,
            },
            {"path": str(path), "name": "f3", "filename": "up.txt", "type": "text/plain", "size": 10, "offset": 0},
        ]

    def test_add_data_defaults(self) -> None:
        cli = Client("127.0.0.1", 1)
        assert cli.addData("DATA", "d1") is True
        assert cli.addData(b"\x00\xff", "d2", "application/x-bin", "b.bin") is True
        assert cli.uploadFiles == [
            {"content": b"DATA", "name": "d1", "filename": "d1", "type": "application/octet-stream", "size": 4},
            {"content": b"\x00\xff", "name": "d2", "filename": "b.bin", "type": "application/x-bin", "size": 2},
        ]


class TestMimeGuess:
    @pytest.mark.parametrize(
        ("name", "expected"),
        [
            ("up.txt", "text/plain"),
            ("photo.jpg", "image/jpeg"),
            ("PHOTO.JPG", "image/jpeg"),  # the key is lower-cased
            ("archive.tar.gz", "application/gzip"),  # the text after the LAST dot (not "tar")
            ("page.html", "text/html"),
            ("noext", "application/octet-stream"),
            ("data.unknownext", "application/octet-stream"),
        ],
    )
    def test_guess_from_the_extension(self, tmp_path, name, expected) -> None:
        path = _file(tmp_path, name, b"x")
        cli = Client("127.0.0.1", 1)
        assert cli.addFile(str(path), "f") is True
        assert cli.uploadFiles[0]["type"] == expected

    def test_dot_in_a_directory_name_only(self, tmp_path) -> None:
        directory = tmp_path / "dir.png"
        directory.mkdir()
        path = _file(directory, "file", b"x")
        cli = Client("127.0.0.1", 1)
        assert cli.addFile(str(path), "f") is True
        # the lookup key is "png/file" (after the last dot of the whole path): no match
        assert cli.uploadFiles[0]["type"] == "application/octet-stream"
        assert cli.uploadFiles[0]["filename"] == "file"

    def test_bare_relative_path_is_its_own_key(self, tmp_path, monkeypatch) -> None:
        _file(tmp_path, "png", b"x")
        monkeypatch.chdir(tmp_path)
        cli = Client("127.0.0.1", 1)
        assert cli.addFile("png", "f") is True
        assert cli.uploadFiles[0]["type"] == "image/png"
        assert cli.uploadFiles[0]["filename"] == "png"

    def test_explicit_type_wins_and_empty_type_guesses(self, tmp_path) -> None:
        path = _file(tmp_path, "a.jpg", b"x")
        cli = Client("127.0.0.1", 1)
        assert cli.addFile(str(path), "f", "application/json") is True
        assert cli.addFile(str(path), "g", "", "") is True
        assert [(e["type"], e["filename"]) for e in cli.uploadFiles] == [
            ("application/json", "a.jpg"),
            ("image/jpeg", "a.jpg"),
        ]


# ================================================================================== multipart


async def test_multipart_fields_slices_and_data(http_server, tmp_path) -> None:
    srv = await http_server(web.Application(), routes=[web.route("*", "/echo", _multipart_echo)])
    up = _file(tmp_path, "up.txt", b"0123456789")
    blob = bytes(range(256)) * 40
    img = _file(tmp_path, "pic.jpg", blob)

    cli = Client("127.0.0.1", srv.port)
    assert cli.addFile(str(up), "slice", None, None, 2, 3) is True  # "234"
    assert cli.addFile(str(up), "tail", None, None, 5) is True  # "56789"
    assert cli.addFile(str(img), "img", None, "renamed.jpg", 1000, 2000) is True
    assert cli.addData("DATA", "d1") is True
    assert cli.addData(b"\x00\r\n--x\xff", "d2", "application/x-bin", "raw.bin") is True
    form = {"field": "v", "skipped": None, 5: "int key skipped", "n": 42, "utf": "é"}
    assert await cli.post("/echo", form) is True
    assert cli.statusCode == 200
    reply = json.loads(cli.body)
    assert reply["method"] == "POST"
    assert BOUNDARY_RE.fullmatch(reply["content_type"])
    assert _parts(cli.body) == [
        ("field", None, None, b"v"),
        ("n", None, None, b"42"),
        ("utf", None, None, "é".encode()),
        ("slice", "up.txt", "text/plain", b"234"),
        ("tail", "up.txt", "text/plain", b"56789"),
        ("img", "renamed.jpg", "image/jpeg", blob[1000:3000]),
        ("d1", "d1", "application/octet-stream", b"DATA"),
        ("d2", "raw.bin", "application/x-bin", b"\x00\r\n--x\xff"),
    ]
    assert cli.uploadFiles is None
    cli.close()


async def test_multipart_exact_bytes(raw_server, tmp_path) -> None:
    """The body layout of client.md §6.6, byte for byte, and an exact Content-Length."""
    requests = []

    async def handler(reader, writer) -> None:
        requests.append(await read_request(reader))
        writer.write(build_response(200, b"ok"))
        await writer.drain()

    srv = await raw_server(handler)
    up = _file(tmp_path, "up.txt", b"0123456789")
    cli = Client("127.0.0.1", srv.port)
    cli.setHeaders({"Content-Type": "text/x"})
    cli.addFile(str(up), "f1", None, None, 2, 3)
    cli.addData("DATA", "d1")
    cli.setData({"field": "v", "n": None})
    assert await cli.execute("/up") is True
    req = requests[0]
    assert req.method == "POST"
    # the user Content-Type is kept and the multipart one follows it (Replicate Q6)
    assert req.header_all("Content-Type")[0] == "text/x"
    match = BOUNDARY_RE.fullmatch(req.header_all("Content-Type")[1])
    assert match
    b = match.group(1).encode()
    expected = (
        b"--" + b + b'\r\nContent-Disposition: form-data; name="field"\r\n\r\nv\r\n'
        b"--" + b + b'\r\nContent-Disposition: form-data; name="f1"; filename="up.txt"\r\n'
        b"Content-Type: text/plain\r\n\r\n234\r\n"
        b"--" + b + b'\r\nContent-Disposition: form-data; name="d1"; filename="d1"\r\n'
        b"Content-Type: application/octet-stream\r\n\r\nDATA\r\n"
        b"--" + b + b"--\r\n"
    )
    assert req.body == expected
    assert int(req.header("Content-Length")) == len(expected) == 426
    cli.close()


async def test_multipart_without_body_or_method_is_a_get(http_server, tmp_path) -> None:
    srv = await http_server(web.Application(), routes=[web.route("*", "/echo", _multipart_echo)])
    cli = Client("127.0.0.1", srv.port)
    cli.addData("x", "d")
    assert await cli.execute("/echo") is True
    assert json.loads(cli.body)["method"] == "GET"  # Replicate Q7
    assert _parts(cli.body) == [("d", "d", "application/octet-stream", b"x")]
    cli.close()


async def test_upload_files_property_is_read_at_send_time(http_server, tmp_path) -> None:
    srv = await http_server(web.Application(), routes=[web.route("*", "/echo", _multipart_echo)])
    up = _file(tmp_path, "up.txt", b"0123456789")
    cli = Client("127.0.0.1", srv.port)
    cli.uploadFiles = [
        {"path": str(up), "name": "f", "filename": "x.txt", "type": "text/x", "size": 2, "offset": 7},
        {"content": b"mem", "name": "m", "filename": "m.bin", "type": "a/b", "size": 3},
        {"name": "incomplete", "filename": "i", "type": "t"},  # no size: skipped
        {"content": b"no-name", "filename": "n", "type": "t", "size": 7},  # no name: skipped
    ]
    cli.setData({"nested": {"a": 1}})
    with pytest.warns(SwooleWarning, match="Array to string conversion"):
        assert await cli.execute("/echo") is True
    assert _parts(cli.body) == [
        ("nested", None, None, b"Array"),
        ("f", "x.txt", "text/x", b"78"),
        ("m", "m.bin", "a/b", b"mem"),
    ]
    assert cli.uploadFiles is None
    cli.close()


async def test_upload_files_element_not_a_dict(http_server) -> None:
    srv = await http_server()
    cli = Client("127.0.0.1", srv.port)
    cli.uploadFiles = ["not an array"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert await cli.post("/post", {}) is False
    assert [str(w.message) for w in caught] == [
        "Swoole\\Coroutine\\Http\\Client::execute(): uploadFiles[<numeric>] must be an array"
    ]
    assert caught[0].filename == __file__
    assert cli.statusCode == 0
    assert cli.errCode == 0
    assert srv.requests == []  # connected, nothing sent
    cli.close()


async def test_download_properties_are_read_at_send_time(http_server, tmp_path) -> None:
    srv = await http_server(web.Application(), routes=[_bytes_route("/xyz", b"XYZ")])
    target = _file(tmp_path, "p.bin", b"0123456789")
    cli = Client("127.0.0.1", srv.port)
    cli.downloadFile = str(target)
    cli.downloadOffset = 1
    assert await cli.get("/xyz") is True
    assert cli.body == b""
    assert target.read_bytes() == b"0XYZ456789"
    assert (cli.downloadFile, cli.downloadOffset) == (None, 0)
    cli.close()


async def test_upload_files_reset_after_a_request(http_server, tmp_path) -> None:
    srv = await http_server(web.Application(), routes=[web.route("*", "/echo", _multipart_echo)])
    up = _file(tmp_path, "up.txt", b"0123456789")
    cli = Client("127.0.0.1", srv.port)
    cli.addFile(str(up), "f")
    assert await cli.post("/echo", {"a": "1"}) is True
    assert cli.uploadFiles is None
    # next request: no multipart any more (the body {"a": "1"} persists, urlencoded - Q1)
    assert await cli.get("/html") is True
    seen = srv.requests[-1]
    assert seen.header("Content-Type") == "application/x-www-form-urlencoded"
    # and new parts can be queued again
    cli.addFile(str(up), "g", None, None, 0, 2)
    assert await cli.post("/echo", {}) is True
    assert _parts(cli.body) == [("g", "up.txt", "text/plain", b"01")]
    assert cli.uploadFiles is None
    cli.close()


async def test_upload_files_kept_when_nothing_was_sent(tmp_path) -> None:
    # a free port: the connect fails before the request is built
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    up = _file(tmp_path, "up.txt", b"0123456789")
    cli = Client("127.0.0.1", port)
    cli.addFile(str(up), "f")
    assert await cli.post("/x", {}) is False
    assert cli.statusCode == SWOOLE_HTTP_CLIENT_ESTATUS_CONNECT_FAILED
    assert cli.errCode == errno.ECONNREFUSED
    assert cli.uploadFiles is not None and len(cli.uploadFiles) == 1


async def test_file_unreadable_at_send_time(raw_server, tmp_path) -> None:
    srv = await raw_server(hold)
    up = _file(tmp_path, "gone.txt", b"0123456789")
    cli = Client("127.0.0.1", srv.port)
    assert cli.addFile(str(up), "f") is True
    up.unlink()
    assert await cli.post("/up", {"a": "b"}) is False
    assert cli.errCode == errno.ENOENT
    assert cli.errMsg == f"open({up}) failed, No such file or directory"
    assert cli.statusCode == SWOOLE_HTTP_CLIENT_ESTATUS_SEND_FAILED
    assert cli.connected is False
    assert cli.uploadFiles is None
    await asyncio.sleep(0.05)
    received = srv.received(0)
    # the head and the parts before the file went out, no file content
    assert received.startswith(b"POST /up HTTP/1.1\r\n")
    assert received.endswith(b'filename="gone.txt"\r\nContent-Type: text/plain\r\n\r\n')


@pytest.mark.parametrize("use_tls", [False, True], ids=["tcp", "tls"])
async def test_file_shrunk_after_add_file(raw_server, tls_server_context, tmp_path, use_tls) -> None:
    """Upstream's sendfile loop fails on a short file (502 "sendfile return zero", -4) instead of
    sending a body shorter than its Content-Length and waiting for a response."""
    srv = await raw_server(hold, ssl=tls_server_context if use_tls else None)
    path = _file(tmp_path, "shrinks.bin", b"x" * 100_000)
    cli = Client("127.0.0.1", srv.port, use_tls)
    cli.set({"timeout": 5})
    assert cli.addFile(str(path), "f") is True
    path.write_bytes(b"x" * 10)
    started = asyncio.get_running_loop().time()
    assert await cli.post("/up", {}) is False
    assert asyncio.get_running_loop().time() - started < 2  # failed at once, no response wait
    assert cli.errCode == 502
    assert cli.errMsg == "sendfile return zero"
    assert cli.statusCode == SWOOLE_HTTP_CLIENT_ESTATUS_SEND_FAILED
    assert cli.connected is False
    assert cli.uploadFiles is None


# ======================================================================= streaming from disk


async def _sink(request: web.Request) -> web.Response:
    """Stream the multipart body without keeping it: md5 and size of each part."""
    out = []
    reader = await request.multipart()
    while True:
        part = await reader.next()
        if part is None:
            break
        digest = hashlib.md5()
        size = 0
        while chunk := await part.read_chunk(256 * 1024):
            digest.update(chunk)
            size += len(chunk)
        out.append({"name": part.name, "md5": digest.hexdigest(), "size": size})
    return web.json_response(out)


@pytest.mark.parametrize("use_tls", [False, True], ids=["tcp", "tls"])
async def test_upload_streams_from_disk(http_server, tls_server_context, tmp_path, use_tls) -> None:
    """A 32 MiB upload must not be read into memory (sendfile / chunked reads)."""
    size = 32 * MIB
    path = tmp_path / "big.bin"
    block = os.urandom(MIB)
    with open(path, "wb") as fh:
        for _ in range(size // MIB):
            fh.write(block)
    expected_md5 = hashlib.md5(block * (size // MIB)).hexdigest()
    del block
    srv = await http_server(
        web.Application(client_max_size=size * 2),
        routes=[web.post("/sink", _sink)],
        ssl=tls_server_context if use_tls else None,
    )
    cli = Client("127.0.0.1", srv.port, use_tls)
    cli.set({"timeout": 30})
    assert cli.addFile(str(path), "big") is True
    tracemalloc.start()
    try:
        ok = await cli.post("/sink", {"k": "v"})
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert ok is True, (cli.errCode, cli.errMsg)
    assert json.loads(cli.body) == [
        {"name": "k", "md5": hashlib.md5(b"v").hexdigest(), "size": 1},
        {"name": "big", "md5": expected_md5, "size": size},
    ]
    # client and (in-process) server together stay far below the file size
    assert peak < 8 * MIB, f"peak traced memory {peak / MIB:.1f} MiB for a {size // MIB} MiB upload"
    cli.close()


async def test_download_streams_to_disk(http_server, tmp_path) -> None:
    size = 32 * MIB
    block = os.urandom(MIB)

    async def stream(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        response.content_length = size
        await response.prepare(request)
        for _ in range(size // MIB):
            await response.write(block)
        await response.write_eof()
        return response

    srv = await http_server(web.Application(), routes=[web.get("/big", stream)])
    target = tmp_path / "big.bin"
    cli = Client("127.0.0.1", srv.port)
    cli.set({"timeout": 30})
    tracemalloc.start()
    try:
        ok = await cli.download("/big", str(target))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert ok is True
    assert cli.body == b""
    assert target.stat().st_size == size
    with open(target, "rb") as fh:
        assert fh.read(MIB) == block
        fh.seek(size - MIB)
        assert fh.read() == block
    assert peak < 16 * MIB, f"peak traced memory {peak / MIB:.1f} MiB for a {size // MIB} MiB download"
    cli.close()


# =================================================================================== download


def _bytes_route(path: str, body: bytes, status: int = 200) -> web.RouteDef:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(status=status, body=body)

    return web.route("*", path, handler)


async def test_download_lazily_opened_and_not_reset_without_body(http_server, tmp_path) -> None:
    """Quirk Q10: no body byte → no file, downloadFile/Offset kept, the next request writes it."""
    srv = await http_server(
        web.Application(),
        routes=[_bytes_route("/empty", b""), _bytes_route("/nocontent", b"", 204), _bytes_route("/xyz", b"XYZ")],
    )
    target = tmp_path / "lazy.bin"
    cli = Client("127.0.0.1", srv.port)
    assert await cli.download("/empty", str(target)) is True
    assert cli.statusCode == 200
    assert not target.exists()
    assert cli.downloadFile == str(target)
    assert await cli.download("/nocontent", str(target), 0) is True
    assert cli.statusCode == 204
    assert not target.exists()
    assert cli.downloadFile == str(target)
    # a plain get() now writes its body into the pending download file
    assert await cli.get("/xyz") is True
    assert cli.body == b""
    assert target.read_bytes() == b"XYZ"
    assert cli.downloadFile is None
    assert cli.downloadOffset == 0
    # and the following request is a normal one again
    assert await cli.get("/xyz") is True
    assert cli.body == b"XYZ"
    cli.close()


async def test_download_pending_offset_is_kept_too(http_server, tmp_path) -> None:
    srv = await http_server(web.Application(), routes=[_bytes_route("/empty", b""), _bytes_route("/xyz", b"XYZ")])
    target = _file(tmp_path, "resume.bin", b"0123456789")
    cli = Client("127.0.0.1", srv.port)
    assert await cli.download("/empty", str(target), 4) is True
    assert target.read_bytes() == b"0123456789"  # untouched
    assert (cli.downloadFile, cli.downloadOffset) == (str(target), 4)
    assert await cli.get("/xyz") is True
    assert target.read_bytes() == b"0123XYZ789"
    assert (cli.downloadFile, cli.downloadOffset) == (None, 0)
    cli.close()


async def test_download_offset_resume_and_truncate(http_server, tmp_path) -> None:
    srv = await http_server(web.Application(), routes=[_bytes_route("/xyz", b"XYZ")])
    cli = Client("127.0.0.1", srv.port)

    target = _file(tmp_path, "a.bin", b"0123456789")
    assert await cli.download("/xyz", str(target), 4) is True
    assert target.read_bytes() == b"0123XYZ789"  # written at the offset, the rest kept
    assert (cli.downloadFile, cli.downloadOffset) == (None, 0)

    target = _file(tmp_path, "b.bin", b"a long previous content")
    assert await cli.download("/xyz", str(target)) is True
    assert target.read_bytes() == b"XYZ"  # offset 0 truncates

    target = _file(tmp_path, "c.bin", b"0123")
    assert await cli.download("/xyz", str(target), 6) is True
    assert target.read_bytes() == b"0123\0\0XYZ"  # beyond the end: a hole, like lseek()

    target = tmp_path / "new.bin"
    assert await cli.download("/xyz", str(target), 2) is True
    assert target.read_bytes() == b"\0\0XYZ"
    assert oct(target.stat().st_mode & 0o777) == oct(0o664 & ~_umask())
    cli.close()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


async def test_download_writes_error_pages_too(http_server, tmp_path) -> None:
    srv = await http_server(web.Application(), routes=[_bytes_route("/missing", b"not here", 404)])
    target = tmp_path / "page.html"
    cli = Client("127.0.0.1", srv.port)
    assert await cli.download("/missing", str(target)) is True
    assert cli.statusCode == 404
    assert target.read_bytes() == b"not here"
    # no Range header is added by download(offset)
    assert await cli.download("/missing", str(target), 3) is True
    assert srv.requests[-1].header("Range") is None
    assert target.read_bytes() == b"notnot here"
    cli.close()


async def test_gzip_body_decoded_while_streaming_to_the_file(http_server, tmp_path) -> None:
    payload = b"".join(f"line {i:06d} of a compressible download body\n".encode() for i in range(40000))
    packed = gzip.compress(payload, mtime=0)
    half = len(packed) // 2
    release = asyncio.Event()

    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Encoding": "gzip", "Content-Type": "text/plain"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        await response.write(packed[:half])
        await release.wait()
        await response.write(packed[half:])
        await response.write_eof()
        return response

    srv = await http_server(web.Application(), routes=[web.get("/gz", handler)])
    target = tmp_path / "decoded.txt"
    cli = Client("127.0.0.1", srv.port)
    task = asyncio.ensure_future(cli.download("/gz", str(target)))
    # the first half is decoded and written before the response is complete
    for _ in range(500):
        if target.exists() and target.stat().st_size > 0:
            break
        await asyncio.sleep(0.01)
    partial = target.read_bytes()
    assert 0 < len(partial) < len(payload)
    assert payload.startswith(partial)
    assert not task.done()
    release.set()
    assert await task is True
    assert cli.headers["content-encoding"] == "gzip"
    assert target.read_bytes() == payload
    assert cli.body == b""
    cli.close()


async def test_partial_file_kept_on_failure(raw_server, tmp_path) -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"
    srv = await raw_server(script(read_head(), send(head + b"p" * 100), close()))
    target = tmp_path / "partial.bin"
    cli = Client("127.0.0.1", srv.port)
    assert await cli.download("/x", str(target)) is False
    assert cli.errCode == errno.ECONNRESET
    assert cli.statusCode == SWOOLE_HTTP_CLIENT_ESTATUS_SERVER_RESET
    assert cli.connected is False
    assert target.read_bytes() == b"p" * 100
    assert cli.headers == {"content-length": "1000"}
    assert cli.downloadFile is None  # the file was opened: the download state is reset


@pytest.mark.expect_swoole_warnings(r"^open\(.*, O_CREAT \| O_WRONLY\) failed, Error: Is a directory\[21\]$")
async def test_download_open_failure(http_server, tmp_path, swoole_log) -> None:
    srv = await http_server(web.Application(), routes=[_bytes_route("/xyz", b"XYZ")])
    directory = tmp_path / "a-directory"
    directory.mkdir()
    cli = Client("127.0.0.1", srv.port)
    assert await cli.download("/xyz", str(directory)) is False
    assert cli.errCode == SW_ERROR_HTTP_INVALID_PROTOCOL
    assert cli.errMsg == "Http invalid protocol"
    assert cli.statusCode == SWOOLE_HTTP_CLIENT_ESTATUS_SERVER_RESET
    assert cli.connected is False
    assert cli.body == b""
    assert swoole_log.messages() == [f"open({directory}, O_CREAT | O_WRONLY) failed, Error: Is a directory[21]"]
    # nothing was opened: the download target stays pending (quirk Q10)
    assert cli.downloadFile == str(directory)
    assert directory.is_dir()


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (Linux) to make write() fail")
async def test_download_write_failure(raw_server, swoole_log) -> None:
    """A failing write (ENOSPC) fails the response like upstream's on_body: 7102 / -3, no log."""
    srv = await raw_server(respond(build_response(200, b"XYZ")))
    cli = Client("127.0.0.1", srv.port)
    # offset 1: seek instead of ftruncate, which a character device refuses
    assert await cli.download("/x", "/dev/full", 1) is False
    assert cli.errCode == SW_ERROR_HTTP_INVALID_PROTOCOL
    assert cli.errMsg == "Http invalid protocol"
    assert cli.statusCode == SWOOLE_HTTP_CLIENT_ESTATUS_SERVER_RESET
    assert cli.connected is False
    assert swoole_log.warnings == []
    assert (cli.downloadFile, cli.downloadOffset) == (None, 0)  # the file had been opened


# ================================================================================= write_func


async def _gzip_server(http_server, payload: bytes):
    packed = gzip.compress(payload, mtime=0)

    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Encoding": "gzip"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        for i in range(0, len(packed), 1000):
            await response.write(packed[i : i + 1000])
        await response.write_eof()
        return response

    srv = await http_server(web.Application(), routes=[web.get("/gz", handler)])
    return srv, packed


async def test_write_func_plain_receives_raw_undecoded_data(http_server) -> None:
    payload = b"hello compressed world\n" * 2000
    srv, packed = await _gzip_server(http_server, payload)
    got: list[bytes] = []
    cli = Client("127.0.0.1", srv.port)
    # the return value is ignored: False does not stop the stream
    assert cli.set({"write_func": lambda client, data: got.append(data) or False}) is True
    assert await cli.get("/gz") is True
    assert cli.statusCode == 200
    assert cli.headers["content-encoding"] == "gzip"
    assert b"".join(got) == packed  # Q9: not decompressed
    assert all(type(d) is bytes and d for d in got)
    assert cli.body == b""
    cli.close()


async def test_write_func_async_callables(http_server) -> None:
    payload = b"abc" * 10000
    srv, packed = await _gzip_server(http_server, payload)
    got: list[bytes] = []

    async def coroutine_function(client: Client, data: bytes) -> None:
        await asyncio.sleep(0)
        got.append(data)

    class AsyncCallable:
        def __init__(self) -> None:
            self.parts: list[bytes] = []

        async def __call__(self, client: Client, data: bytes) -> bool:
            await asyncio.sleep(0)
            self.parts.append(data)
            return True

    cli = Client("127.0.0.1", srv.port)
    cli.set({"write_func": coroutine_function})
    assert await cli.get("/gz") is True
    assert b"".join(got) == packed
    assert cli.body == b""

    obj = AsyncCallable()
    cli.set({"write_func": obj})
    assert await cli.get("/gz") is True
    assert b"".join(obj.parts) == packed
    assert cli.body == b""
    cli.close()


async def test_write_func_bypasses_download(http_server, tmp_path) -> None:
    srv = await http_server(web.Application(), routes=[_bytes_route("/xyz", b"XYZ")])
    got: list[bytes] = []
    target = tmp_path / "never.bin"
    cli = Client("127.0.0.1", srv.port)
    cli.set({"write_func": lambda client, data: got.append(data)})
    assert await cli.download("/xyz", str(target)) is True
    assert got == [b"XYZ"]
    assert not target.exists()
    assert cli.body == b""
    cli.close()


@pytest.mark.parametrize("kind", ["plain", "async"])
async def test_write_func_close_inside(http_server, kind) -> None:
    srv = await http_server()  # httpbin: /stream-chunked sends 8 pieces with pauses
    calls: list[bytes] = []
    results: list[bool] = []

    def plain(client: Client, data: bytes) -> None:
        calls.append(data)
        if len(calls) == 2:
            results.append(client.close())

    async def coroutine_function(client: Client, data: bytes) -> None:
        await asyncio.sleep(0)
        plain(client, data)

    cli = Client("127.0.0.1", srv.port)
    cli.set({"write_func": plain if kind == "plain" else coroutine_function})
    assert await cli.get("/stream-chunked?n=8&size=64&delay=0.02") is False
    assert results == [True]
    assert len(calls) == 2
    assert cli.statusCode == SWOOLE_HTTP_CLIENT_ESTATUS_SERVER_RESET
    assert cli.errCode == 0
    assert cli.errMsg == ""
    assert cli.connected is False
    assert cli.close() is False  # already closed


@pytest.mark.parametrize("kind", ["plain", "async"])
async def test_write_func_exception_propagates_and_closes(http_server, kind) -> None:
    srv = await http_server()

    def plain(client: Client, data: bytes) -> None:
        raise RuntimeError("boom in write_func")

    async def coroutine_function(client: Client, data: bytes) -> None:
        await asyncio.sleep(0)
        raise RuntimeError("boom in write_func")

    cli = Client("127.0.0.1", srv.port)
    cli.set({"write_func": plain if kind == "plain" else coroutine_function})
    with pytest.raises(RuntimeError, match="boom in write_func"):
        await cli.get("/stream-chunked?n=4&size=16&delay=0.01")
    assert cli.connected is False
    # the client recovers on a fresh connection
    got: list[bytes] = []
    cli.set({"write_func": lambda client, data: got.append(data)})
    assert await cli.get("/html") is True
    assert b"Moby-Dick" in b"".join(got)
    assert srv.connections == 2
    cli.close()


# =============================================================================== UNIX sockets


@pytest.mark.parametrize("slashes", [1, 2, 3], ids=["unix:/p", "unix://p", "unix:///p"])
async def test_unix_host_forms(raw_server, slashes) -> None:
    srv = await raw_server(respond(build_response(200, b"unix ok")), unix=True)
    path = srv.path
    host = "unix:" + "/" * slashes + path.lstrip("/")
    cli = Client(host)
    assert cli.host == host
    assert cli.port == 80
    assert await cli.get("/u") is True
    assert cli.body == b"unix ok"
    head = srv.requests[0]
    # the Host header is the socket path (default port: no ":80")
    assert head.startswith(b"GET /u HTTP/1.1\r\nHost: " + path.encode() + b"\r\nConnection: keep-alive\r\n")
    assert cli.getsockname() == {"address": "", "port": 0}
    assert cli.getpeername() == {"address": path, "port": 0}
    cli.close()
    assert cli.getpeername() is False
    assert cli.errCode == 5001


async def test_unix_host_header_with_a_port(raw_server) -> None:
    srv = await raw_server(respond(build_response(200, b"x")), unix=True)
    cli = Client("unix:" + srv.path, 8080)
    assert await cli.get("/") is True
    assert b"\r\nHost: " + srv.path.encode() + b":8080\r\n" in srv.requests[0]
    cli.close()


async def test_unix_missing_socket_path(unix_path) -> None:
    cli = Client("unix:" + unix_path)
    assert await cli.get("/") is False
    assert cli.errCode == errno.ENOENT
    assert cli.errMsg == "No such file or directory"
    assert cli.statusCode == SWOOLE_HTTP_CLIENT_ESTATUS_CONNECT_FAILED


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux UNIX-socket backlog semantics")
async def test_unix_backlog_full_is_a_connect_failure(unix_path) -> None:
    """connect() on a UNIX socket with a full backlog fails with EAGAIN (Swoole: -1 / 11); it
    is not an "in progress" connect that later looks established."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(unix_path)
    listener.listen(0)  # never accepted: the queue fills after one connection
    queued: list[socket.socket] = []
    try:
        for _ in range(8):  # fill the backlog whatever its exact size
            extra = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            extra.setblocking(False)
            try:
                extra.connect(unix_path)
            except BlockingIOError:
                extra.close()
                break
            queued.append(extra)
        cli = Client("unix:" + unix_path)
        cli.set({"timeout": 1})
        assert await cli.get("/") is False
        assert cli.statusCode == SWOOLE_HTTP_CLIENT_ESTATUS_CONNECT_FAILED
        assert cli.errCode == errno.EAGAIN
        assert cli.errMsg == "Resource temporarily unavailable"
        assert cli.connected is False
    finally:
        for extra in queued:
            extra.close()
        listener.close()


async def test_unix_upload_and_download(http_server, tmp_path) -> None:
    up = _file(tmp_path, "up.txt", b"0123456789")
    srv = await http_server(
        web.Application(),
        routes=[web.route("*", "/echo", _multipart_echo), _bytes_route("/xyz", b"XYZ")],
        unix=True,
    )
    cli = Client("unix:" + srv.path)
    cli.addFile(str(up), "f", None, None, 1, 4)
    assert await cli.post("/echo", {"a": "b"}) is True  # sendfile over a UNIX socket
    assert _parts(cli.body) == [("a", None, None, b"b"), ("f", "up.txt", "text/plain", b"1234")]
    target = tmp_path / "dl.bin"
    assert await cli.download("/xyz", str(target)) is True
    assert target.read_bytes() == b"XYZ"
    assert srv.connections == 1
    cli.close()


async def test_tls_over_unix_socket(http_server, tls_server_context, tmp_path) -> None:
    up = _file(tmp_path, "up.txt", b"0123456789")
    srv = await http_server(
        web.Application(),
        routes=[web.route("*", "/echo", _multipart_echo)],
        unix=True,
        ssl=tls_server_context,
    )
    cli = Client("unix:" + srv.path, 0, True)
    assert cli.port == 443
    cli.addFile(str(up), "f", None, None, 3)
    assert await cli.post("/echo", {}) is True  # chunked file reads over TLS
    assert cli.statusCode == 200
    assert _parts(cli.body) == [("f", "up.txt", "text/plain", b"3456789")]
    assert cli.getPeerCert().startswith("-----BEGIN CERTIFICATE-----")
    assert cli.getpeername() == {"address": srv.path, "port": 0}
    # default TLS port: the Host header is the bare socket path
    assert srv.requests[0].header("Host") == srv.path
    cli.close()
