"""Hostile servers (scripted on loopback): every scenario ends within its configured budget with a
defined Swoole result, and the client's memory stays bounded (README "Security and limits").

Memory is measured with ``tracemalloc`` around the client call (Python-level allocations of the
client *and* of the in-process server, which only ever holds one block at a time), so the
bounds are tight and independent of what the rest of the test session did to the RSS.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import os
import types
import zlib
from pathlib import Path
from typing import Any, Callable

import brotli
import pytest
from support.memory import traced
from support import raw
from support.raw import read_request_head
from support.ws import switching_protocols

from swoole_compat.coroutine.http import Client
from swoole_compat.websocket import Frame

MIB = 1 << 20


def now() -> float:
    return asyncio.get_running_loop().time()


def assert_closed_failure(cli: Client, code: int, status: int) -> None:
    assert cli.errCode == code, (cli.errCode, cli.errMsg)
    assert cli.statusCode == status
    assert cli.connected is False
    assert cli.body == b""


async def endless(writer: asyncio.StreamWriter, first: bytes, block: Callable[[], bytes], cap: int = 512 * MIB) -> None:
    """Write ``first`` then ``block()`` forever (until the client goes away, or ``cap`` bytes:
    a client that never stops reading fails the test instead of hanging it)."""
    sent = 0
    try:
        writer.write(first)
        while sent < cap and not writer.transport.is_closing():
            data = block()
            writer.write(data)
            sent += len(data)
            await writer.drain()
            await asyncio.sleep(0)  # drain() does not yield while the kernel takes the bytes
    except (ConnectionError, OSError):
        pass


def streaming(first: bytes, block: Callable[[], bytes]) -> Any:
    """Raw handler: read the request head, then stream endlessly."""

    async def handler(reader: Any, writer: Any) -> None:
        await read_request_head(reader)
        await endless(writer, first, block)

    return handler


async def get_once(raw_server: Any, handler: Any, settings: dict[str, Any], path: str = "/") -> tuple[Client, bool, float]:
    srv = await raw_server(handler)
    cli = Client("127.0.0.1", srv.port)
    cli.set(settings)
    start = now()
    ok = await cli.get(path)
    return cli, ok, now() - start


# --------------------------------------------------------------------------- endless heads


async def test_endless_headers_end_with_7102(raw_server: Any) -> None:
    """Header lines forever: the 64 KiB head limit ends it at once (7102, -3, closed)."""
    line = b"X-Endless: " + b"a" * 53 + b"\r\n"
    with traced() as peak:
        cli, ok, took = await get_once(raw_server, streaming(b"HTTP/1.1 200 OK\r\n", lambda: line * 64), {"timeout": 5})
    assert ok is False
    assert_closed_failure(cli, 7102, -3)
    assert took < 2.0
    assert peak.bytes < 8 * MIB, peak.bytes


async def test_endless_status_line_ends_with_7102(raw_server: Any) -> None:
    with traced() as peak:
        cli, ok, took = await get_once(raw_server, streaming(b"HTTP/1.1 200 ", lambda: b"x" * 4096), {"timeout": 5})
    assert ok is False
    assert_closed_failure(cli, 7102, -3)
    assert cli.headers is None
    assert took < 2.0 and peak.bytes < 8 * MIB


async def test_endless_interim_responses_end_with_7102(raw_server: Any) -> None:
    """Deviation Q12 skips 1xx responses; an endless stream of them shares the 64 KiB head
    budget instead of growing the head buffer until the timeout."""
    interim = b"HTTP/1.1 100 Continue\r\n\r\n" * 160
    with traced() as peak:
        cli, ok, took = await get_once(raw_server, streaming(b"", lambda: interim), {"timeout": 5})
    assert ok is False
    assert_closed_failure(cli, 7102, -3)
    assert took < 2.0 and peak.bytes < 8 * MIB


@pytest.mark.parametrize(
    "first",
    [
        pytest.param(b"", id="chunk-size-digits"),
        pytest.param(b"0\r\n", id="trailer-line"),
        pytest.param(b"0\r\nX: ", id="trailer-value"),
    ],
)
async def test_endless_chunk_size_line_ends_with_7102(raw_server: Any, first: bytes) -> None:
    """A chunk size that never ends overflows llhttp's size (7102); a trailer line that never
    ends passes the 64 KiB trailer budget (safety deviation S18): 7102, headers kept."""
    head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + first
    filler = b"f" if not first else b"a"
    with traced() as peak:
        cli, ok, took = await get_once(raw_server, streaming(head, lambda: filler * 4096), {"timeout": 5})
    assert ok is False
    assert_closed_failure(cli, 7102, -3)
    assert cli.headers == {"transfer-encoding": "chunked"}
    assert took < 2.0 and peak.bytes < 8 * MIB


async def test_endless_chunk_extension_streams_until_the_timeout(raw_server: Any) -> None:
    """llhttp streams a chunk extension without keeping it (Swoole sets no callback for it):
    an endless one costs no memory and ends at the response timeout (-2/110), as upstream."""
    head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;"

    async def handler(reader: Any, writer: Any) -> None:
        await read_request_head(reader)
        writer.write(head)
        try:
            for _ in range(1000):  # 64 MiB at most, over 10 s at least: past the 1 s timeout
                writer.write(b"a" * 65536)
                await writer.drain()
                await asyncio.sleep(0.01)
        except (ConnectionError, OSError):
            pass

    with traced() as peak:
        cli, ok, took = await get_once(raw_server, handler, {"timeout": 1})
    assert ok is False
    assert_closed_failure(cli, 110, -2)
    assert cli.headers == {"transfer-encoding": "chunked"}
    assert 0.5 < took < 5.0 and peak.bytes < 8 * MIB


# --------------------------------------------------------------------------- bodies


async def test_body_longer_than_content_length_is_cut_and_the_next_request_parses_afresh(raw_server: Any) -> None:
    """Extra bytes after a Content-Length body are discarded: those in the same read with the
    reader, those arriving later with the connection (the next request goes out on a new one,
    so its response is parsed from its first byte)."""
    served = 0

    async def handler(reader: Any, writer: Any) -> None:
        nonlocal served
        try:
            while True:
                await read_request_head(reader)
                served += 1
                if served == 1:
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloEXTRA-IN-SAME-READ")
                    await writer.drain()
                    await asyncio.sleep(0.05)
                    # A whole fake response, late: must never be taken for the next answer.
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nEVIL")
                else:
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecond")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass

    srv = await raw_server(handler)
    cli = Client("127.0.0.1", srv.port)
    assert await cli.get("/first") is True
    assert cli.body == b"hello" and cli.statusCode == 200
    await asyncio.sleep(0.15)  # the late bytes arrive while the connection is idle
    assert await cli.get("/second") is True
    assert cli.statusCode == 200 and cli.body == b"second"
    assert srv.connections == 2
    # Both requests were complete and clean on the wire.
    assert [h.split(b" ")[1] for h in srv.requests] == [b"/first", b"/second"]
    cli.close()


async def test_endless_body_hits_max_body_size(raw_server: Any) -> None:
    """A read-until-close body that never ends: 1203 once the kept body passes max_body_size."""
    with traced() as peak:
        cli, ok, took = await get_once(
            raw_server, streaming(b"HTTP/1.1 200 OK\r\n\r\n", lambda: b"z" * 65536), {"timeout": 5, "max_body_size": 2 * MIB}
        )
    assert ok is False
    assert_closed_failure(cli, 1203, -3)
    assert cli.errMsg == "Data length too large"
    assert cli.headers is None  # a head without header lines
    assert took < 3.0
    # the kept body (2 MiB), its last read (<= 4 MiB + one block) and the server's block
    assert peak.bytes < 16 * MIB, peak.bytes


async def test_declared_length_over_the_limit_fails_after_the_limit(raw_server: Any) -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % (1 << 40)
    cli, ok, _ = await get_once(raw_server, streaming(head, lambda: b"z" * 65536), {"timeout": 5, "max_body_size": MIB})
    assert ok is False
    assert_closed_failure(cli, 1203, -3)
    assert cli.headers == {"content-length": str(1 << 40)}


def _bomb_blocks(encoding: str) -> tuple[bytes, Callable[[], bytes]]:
    """(first bytes, endless block source) of a compressed stream of zeros that never ends."""
    zeros = bytes(MIB)
    if encoding == "br":
        comp = brotli.Compressor(quality=4)
        return comp.process(zeros) + comp.flush(), lambda: comp.process(zeros) + comp.flush()
    wbits = 31 if encoding == "gzip" else 15
    zobj = zlib.compressobj(9, zlib.DEFLATED, wbits)
    return zobj.compress(zeros) + zobj.flush(zlib.Z_SYNC_FLUSH), lambda: zobj.compress(zeros) + zobj.flush(zlib.Z_SYNC_FLUSH)


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br"])
async def test_endless_compression_bomb_stops_at_max_body_size(raw_server: Any, encoding: str) -> None:
    """A small body that inflates without bound (1 MiB of zeros per ~1 KiB, forever): the
    decoder stops one step past the limit; 1203, -3, closed; memory stays near the limit."""
    first, block = _bomb_blocks(encoding)
    head = b"HTTP/1.1 200 OK\r\nContent-Encoding: " + encoding.encode() + b"\r\n\r\n" + first
    settings = {"timeout": 10, "max_body_size": 4 * MIB, "max_decompression_ratio": 0}
    with traced() as peak:
        cli, ok, took = await get_once(raw_server, streaming(head, block), settings)
    assert ok is False
    assert_closed_failure(cli, 1203, -3)
    assert cli.headers == {"content-encoding": encoding}
    assert took < 5.0
    assert peak.bytes < 24 * MIB, peak.bytes


async def test_gzip_bomb_with_a_length_and_the_environment_limit(raw_server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A 64 KiB gzip body inflating to 64 MiB, limit from SWOOLE_COMPAT_MAX_BODY_SIZE."""
    bomb = gzip.compress(bytes(64 * MIB), 9, mtime=0)
    assert len(bomb) < 128 * 1024
    response = b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n%s" % (len(bomb), bomb)

    async def handler(reader: Any, writer: Any) -> None:
        await read_request_head(reader)
        writer.write(response)
        await writer.drain()
        with contextlib.suppress(ConnectionError):
            await reader.read()

    monkeypatch.setenv("SWOOLE_COMPAT_MAX_BODY_SIZE", "8M")
    with traced() as peak:
        cli, ok, took = await get_once(raw_server, handler, {"timeout": 5})
    assert ok is False
    assert_closed_failure(cli, 1203, -3)
    assert took < 3.0
    assert peak.bytes < 32 * MIB, peak.bytes
    # The per-client key wins over the environment (the ratio limit, ~1000 for zeros, is
    # turned off here: this test is about max_body_size).
    cli.set({"max_body_size": 128 * MIB, "max_decompression_ratio": 0})
    assert await cli.get("/") is True
    assert len(cli.body) == 64 * MIB and cli.statusCode == 200
    cli.close()


async def test_bomb_through_download_streams_to_disk_with_bounded_memory(raw_server: Any, tmp_path: Path) -> None:
    """download() is not limited by max_body_size, and a bomb is inflated piece by piece into
    the file: memory stays bounded while 48 MiB are written (with the ratio limit off; with it,
    see test_decompression_limits.py)."""
    bomb = gzip.compress(bytes(48 * MIB), 9, mtime=0)
    response = b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n%s" % (len(bomb), bomb)

    async def handler(reader: Any, writer: Any) -> None:
        await read_request_head(reader)
        writer.write(response)
        await writer.drain()
        with contextlib.suppress(ConnectionError):
            await reader.read()

    srv = await raw_server(handler)
    cli = Client("127.0.0.1", srv.port)
    cli.set({"timeout": 10, "max_body_size": MIB, "max_decompression_ratio": 0})
    target = tmp_path / "bomb.bin"
    with traced() as peak:
        assert await cli.download("/", str(target)) is True
    assert cli.statusCode == 200
    assert target.stat().st_size == 48 * MIB
    assert peak.bytes < 12 * MIB, peak.bytes
    cli.close()


async def test_write_func_is_not_limited(raw_server: Any) -> None:
    body = os.urandom(3 * MIB)

    async def handler(reader: Any, writer: Any) -> None:
        await read_request_head(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        await writer.drain()

    srv = await raw_server(handler)
    cli = Client("127.0.0.1", srv.port)
    got: list[bytes] = []
    cli.set({"max_body_size": MIB, "write_func": lambda _cli, data: got.append(data)})
    assert await cli.get("/") is True
    assert b"".join(got) == body
    cli.close()


async def test_body_exactly_at_the_limit_is_kept(raw_server: Any) -> None:
    body = b"x" * MIB

    async def handler(reader: Any, writer: Any) -> None:
        await read_request_head(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        await writer.drain()

    cli, ok, _ = await get_once(raw_server, handler, {"max_body_size": MIB})
    assert ok is True and cli.body == body
    cli.close()


# --------------------------------------------------------------------------- WebSocket


async def _ws_client(raw_server: Any, frame: bytes, settings: dict[str, Any] | None = None) -> Client:
    async def handler(reader: Any, writer: Any) -> None:
        head = await read_request_head(reader)
        writer.write(switching_protocols(head))
        await writer.drain()
        await asyncio.sleep(0.05)
        writer.write(frame)
        await endless(writer, b"", lambda: b"\0" * 65536, cap=64 * MIB)

    srv = await raw_server(handler)
    cli = Client("127.0.0.1", srv.port)
    cli.set({"timeout": 5, **(settings or {})})
    assert await cli.upgrade("/") is True
    return cli


@pytest.mark.parametrize("length", [1 << 63, (1 << 64) - 1, (1 << 63) - 1])
async def test_websocket_frame_declaring_2_63_bytes(raw_server: Any, length: int) -> None:
    """A length that does not fit a signed 64-bit integer: upstream treats it as EOF, so
    recv() returns "" and the connection is closed; nothing is buffered."""
    cli = await _ws_client(raw_server, b"\x82\x7f" + length.to_bytes(8, "big"))
    with traced() as peak:
        start = now()
        assert await cli.recv() == ""
    assert now() - start < 1.0
    assert cli.connected is False
    assert peak.bytes < 8 * MIB


async def test_websocket_frame_declaring_2_62_bytes_is_too_large(raw_server: Any) -> None:
    """A huge but representable length: 1201 before any payload is buffered, -3, closed."""
    cli = await _ws_client(raw_server, b"\x82\x7f" + (1 << 62).to_bytes(8, "big"))
    with traced() as peak:
        start = now()
        assert await cli.recv() is False
    assert now() - start < 1.0
    assert cli.errCode == 1201 and cli.statusCode == -3 and cli.connected is False
    assert peak.bytes < 8 * MIB


async def test_websocket_endless_fragments_stop_at_package_max_length(raw_server: Any) -> None:
    """Continuation frames forever: the reassembled message stops growing at the limit (the
    non-fatal "message too big" False of errors.md §3.5); the assembler never holds more."""
    fragment = b"\x00\x7e\xff\xff" + b"f" * 0xFFFF  # non-FIN continuation, 65535 bytes
    start_frame = b"\x02\x7e\xff\xff" + b"s" * 0xFFFF  # non-FIN binary

    async def handler(reader: Any, writer: Any) -> None:
        head = await read_request_head(reader)
        writer.write(switching_protocols(head) + start_frame)
        await endless(writer, b"", lambda: fragment, cap=256 * MIB)

    srv = await raw_server(handler)
    cli = Client("127.0.0.1", srv.port)
    cli.set({"timeout": 5, "package_max_length": MIB})
    assert await cli.upgrade("/") is True
    with traced() as peak:
        start = now()
        assert await cli.recv() is False
    assert now() - start < 2.0
    assert peak.bytes < 16 * MIB
    cli.close()


# --------------------------------------------------------------------------- slow peers


async def test_slowloris_response_ends_at_the_timeout_budget(raw_server: Any) -> None:
    """One byte a second, forever: the whole response has one budget (``timeout``), so the
    request ends at 1.5 s with 110 / -2, not at 1.5 s per byte."""
    response = b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + b"x" * 1000

    async def handler(reader: Any, writer: Any) -> None:
        await read_request_head(reader)
        try:
            for byte in response:
                writer.write(bytes([byte]))
                await writer.drain()
                await asyncio.sleep(1.0)
        except (ConnectionError, OSError):
            pass

    cli, ok, took = await get_once(raw_server, handler, {"timeout": 1.5})
    assert ok is False
    assert_closed_failure(cli, 110, -2)
    assert 1.4 <= took < 2.5, took


async def test_slowloris_websocket_frame_ends_at_the_recv_timeout(raw_server: Any) -> None:
    """A frame trickled one byte at a time never completes: recv(0.5) ends with 110 / -3 and,
    as upstream, keeps the connection."""

    async def handler(reader: Any, writer: Any) -> None:
        head = await read_request_head(reader)
        writer.write(switching_protocols(head))
        try:
            for byte in b"\x81\x7e\x01\x00" + b"y" * 256:
                writer.write(bytes([byte]))
                await writer.drain()
                await asyncio.sleep(0.2)
        except (ConnectionError, OSError):
            pass

    srv = await raw_server(handler)
    cli = Client("127.0.0.1", srv.port)
    assert await cli.upgrade("/") is True
    start = now()
    assert await cli.recv(0.5) is False
    assert 0.45 <= now() - start < 1.5
    assert cli.errCode == 110 and cli.statusCode == -3 and cli.connected is True
    cli.close()


async def never_reads(reader: Any, writer: Any) -> None:
    """Accept, never read, never answer (the socket buffers fill up)."""
    await asyncio.sleep(30)


async def test_upload_to_a_server_that_never_reads_ends_at_write_timeout(raw_server: Any) -> None:
    srv = await raw_server(never_reads)
    cli = Client("127.0.0.1", srv.port)
    cli.set({"timeout": 10, "write_timeout": 0.5})
    start = now()
    assert await cli.post("/upload", b"u" * (64 * MIB)) is False
    took = now() - start
    assert_closed_failure(cli, 110, -4)
    assert 0.4 <= took < 2.0, took


async def test_file_upload_to_a_server_that_never_reads_ends_at_write_timeout(raw_server: Any, tmp_path: Path) -> None:
    """The sendfile path of addFile() obeys write_timeout too."""
    path = tmp_path / "big.bin"
    with open(path, "wb") as fh:
        fh.truncate(64 * MIB)
    srv = await raw_server(never_reads)
    cli = Client("127.0.0.1", srv.port)
    cli.set({"timeout": 10, "write_timeout": 0.5})
    assert cli.addFile(str(path), "file") is True
    start = now()
    assert await cli.post("/upload", {"a": "b"}) is False
    took = now() - start
    assert_closed_failure(cli, 110, -4)
    assert 0.4 <= took < 2.0, took


async def test_websocket_push_to_a_peer_that_never_reads_ends_at_write_timeout(raw_server: Any) -> None:
    async def handler(reader: Any, writer: Any) -> None:
        head = await read_request_head(reader)
        writer.write(switching_protocols(head))
        await writer.drain()
        await asyncio.sleep(30)

    srv = await raw_server(handler)
    cli = Client("127.0.0.1", srv.port)
    cli.set({"timeout": 10, "write_timeout": 0.5})
    assert await cli.upgrade("/") is True
    start = now()
    ok = True
    for _ in range(64):  # 64 x 1 MiB frames: far more than the socket buffers take
        ok = await cli.push(b"p" * MIB, 2)
        if not ok:
            break
    assert ok is False
    assert cli.errCode == 110 and cli.statusCode == -3 and cli.connected is False
    assert now() - start < 3.0


@pytest.mark.expect_swoole_warnings(r"^incomplete packet")
def test_frame_unpack_of_a_2_63_header_is_false() -> None:
    """The same hostile header through the static decoder: False, nothing allocated."""
    assert Frame.unpack(b"\x82\x7f" + (1 << 63).to_bytes(8, "big") + b"x" * 10) is False


class _ZlibBackedZstdDecompressor:
    """Stands in for Python 3.14's ``compression.zstd.ZstdDecompressor`` (not available before
    3.14): the same incremental API (``decompress(data, max_length)``, ``eof``,
    ``needs_input``), over zlib."""

    def __init__(self) -> None:
        self._z = zlib.decompressobj()
        self._tail = b""
        self.eof = False
        self.needs_input = True

    def decompress(self, data: bytes, max_length: int = -1) -> bytes:
        if self.eof:
            raise EOFError("Already at the end of a Zstandard frame")
        out = self._z.decompress(self._tail + data, max_length if max_length > 0 else 0)
        self._tail = self._z.unconsumed_tail
        self.eof = self._z.eof
        self.needs_input = not self._tail and (max_length <= 0 or len(out) < max_length)
        return out


def test_zstd_with_the_python_3_14_api_is_bounded_too(monkeypatch: pytest.MonkeyPatch) -> None:
    from swoole_compat._protocol import compression

    fake = types.ModuleType("compression.zstd")
    fake.ZstdDecompressor = _ZlibBackedZstdDecompressor  # type: ignore[attr-defined]
    monkeypatch.setattr(compression, "_zstd", fake)
    bomb = zlib.compress(bytes(32 * MIB), 9)
    decoder = compression.Decoder("zstd", 4 * MIB)
    produced = 0
    with pytest.raises(compression.DecodedTooLarge):
        for piece in decoder.pieces(bomb):
            produced += len(piece)
    assert produced <= 4 * MIB + compression.PIECE_SIZE
    # Unlimited (download): pieces of at most PIECE_SIZE, then bytes after the end are ignored.
    decoder = compression.Decoder("zstd")
    pieces = [len(p) for p in decoder.pieces(bomb)]
    assert sum(pieces) == 32 * MIB and max(pieces) <= compression.PIECE_SIZE
    assert list(decoder.pieces(b"trailing junk")) == []


async def test_zstd_body_without_a_bounded_decoder_is_kept_raw(raw_server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Deviation S15: before Python 3.14 no zstd decoder is used (not even the `zstandard`
    package, whose steps are unbounded): the body arrives as sent, with no warning."""
    from swoole_compat._protocol import compression

    monkeypatch.setattr(compression, "_zstd", None)
    body = b"(\xb5/\xfd not really zstd, kept as is"
    response = b"HTTP/1.1 200 OK\r\nContent-Encoding: zstd\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
    srv = await raw_server(raw.respond(response))
    cli = Client("127.0.0.1", srv.port)
    assert await cli.get("/") is True
    assert cli.statusCode == 200
    assert cli.body == body
    assert "zstd" not in compression.ACCEPT_ENCODING
    cli.close()


@pytest.mark.parametrize("then_close", [False, True], ids=["held", "closed"])
async def test_bare_lf_head_is_never_parsed(raw_server: Any, then_close: bool) -> None:
    """``recv_response`` parses nothing until the buffer holds ``\\r\\n\\r\\n``: a complete
    bare-LF response is not an error but a wait, so the call ends at its timeout (-2/110), or
    at EOF with 104 (-3), with no header parsed."""

    async def handler(reader: Any, writer: Any) -> None:
        await read_request_head(reader)
        writer.write(b"HTTP/1.1 200 OK\nContent-Length: 2\nX-A: 1\n\nok")
        await writer.drain()
        if then_close:
            await asyncio.sleep(0.2)
            writer.close()
            return
        await asyncio.sleep(3)

    cli, ok, took = await get_once(raw_server, handler, {"timeout": 1})
    assert ok is False
    if then_close:
        assert_closed_failure(cli, 104, -3)
    else:
        assert_closed_failure(cli, 110, -2)
        assert 0.9 < took < 2.5
    assert cli.headers is None
