"""Decoded-size limits (issue 16, parts 1, 2 and 5; README "Security and limits",
docs/deviations.md S11 and S16).

* HTTP bodies: ``max_decompressed_size`` (default 128 MiB) bounds a decoded body kept in
  memory, ``max_decompression_ratio`` (default 100, checked past 8 MiB decoded) bounds in-memory
  bodies and ``download()``; ``max_body_size`` keeps its meaning. Past a limit: False,
  errCode 1203, statusCode -3, connection closed, ``body`` empty.
* WebSocket: the inflated size of a compressed message counts against ``package_max_length``;
  past it ``recv()`` returns False with errCode 1201 and the connection is closed.

Bombs are built on the fly (64 MiB of zeros, a few KiB to 64 KiB compressed) and served by real
loopback servers; memory is measured with ``tracemalloc`` around the client call, with bounds
generous enough for CI but far below what an unbounded inflation would use. The 10 GiB bombs
are in ``tools/bomb_memory.py``.
"""

from __future__ import annotations

import contextlib
import gzip
import random
import zlib
from pathlib import Path
from typing import Any

import brotli
import pytest
from aiohttp import web
from support.memory import traced
from support import ws
from support.raw import read_request_head

from swoole_compat._protocol import compression, frames, limits
from swoole_compat._protocol.compression import DecodedTooLarge, Decoder
from swoole_compat.coroutine.http import Client

MIB = 1 << 20
BOMB_SIZE = 64 * MIB
ENCODINGS = ["gzip", "deflate", "br"]


def compress(encoding: str, data: bytes, level: int = 9) -> bytes:
    if encoding == "gzip":
        return gzip.compress(data, level, mtime=0)
    if encoding == "deflate":
        return zlib.compress(data, level)
    return brotli.compress(data, quality=min(level, 5))


_BOMBS: dict[str, bytes] = {}


def bomb(encoding: str) -> bytes:
    """64 MiB of zeros, compressed (gzip/deflate ~64 KiB, br ~100 bytes); built once."""
    if encoding not in _BOMBS:
        _BOMBS[encoding] = compress(encoding, bytes(BOMB_SIZE))
    return _BOMBS[encoding]


def json_lines(size: int) -> bytes:
    """Legitimate, compressible data: JSON records with a random token each (gzip and
    brotli at low levels ~6x: well under the default ratio)."""
    rng = random.Random(16)
    out = []
    n = 0
    i = 0
    while n < size:
        token = rng.getrandbits(64)
        line = b'{"id":%08d,"status":"active","tags":["alpha","beta"],"token":"%016x"},\n' % (i, token)
        out.append(line)
        n += len(line)
        i += 1
    return b"".join(out)[:size]


def feed_all(decoder: Decoder, data: bytes, step: int = 65536) -> int:
    """Feed ``data`` in network-sized chunks, dropping the output; the decoded count."""
    produced = 0
    for i in range(0, len(data), step):
        for piece in decoder.pieces(data[i : i + step]):
            produced += len(piece)
    return produced


# --------------------------------------------------------------------------- options


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"max_decompressed_size": "16M"}, {"max_decompressed_size": 16 * MIB}),
        ({"max_decompressed_size": 0}, {"max_decompressed_size": 0}),
        ({"max_decompression_ratio": 50}, {"max_decompression_ratio": 50.0}),
        ({"max_decompression_ratio": "12.5"}, {"max_decompression_ratio": 12.5}),
        ({"max_decompression_ratio": 0.0}, {"max_decompression_ratio": 0.0}),
        ({"max_body_size": "1K", "timeout": 3}, {"max_body_size": 1024}),
        ({"max_decompressed_size": None, "timeout": 3}, {}),
    ],
)
def test_parse_options(options: dict[str, Any], expected: dict[str, Any]) -> None:
    assert limits.parse_options(options) == expected


@pytest.mark.parametrize(
    ("key", "value", "error"),
    [
        ("max_decompressed_size", -1, ValueError),
        ("max_decompressed_size", "lots", ValueError),
        ("max_decompressed_size", 1.5, TypeError),
        ("max_decompressed_size", True, TypeError),
        ("max_decompression_ratio", -1, ValueError),
        ("max_decompression_ratio", float("inf"), ValueError),
        ("max_decompression_ratio", float("nan"), ValueError),
        ("max_decompression_ratio", "x10", ValueError),
        ("max_decompression_ratio", True, TypeError),
        ("max_decompression_ratio", [100], TypeError),
    ],
)
def test_bad_limit_options_raise_before_anything_is_merged(key: str, value: Any, error: type[Exception]) -> None:
    cli = Client("127.0.0.1", 1)
    cli.set({"timeout": 3, "max_decompressed_size": MIB})
    with pytest.raises(error, match=key):
        cli.set({key: value, "timeout": 9, "max_body_size": 5})
    assert cli.setting == {"timeout": 3, "max_decompressed_size": MIB}
    assert cli._max_decompressed_size == MIB and cli._max_body_size is None  # noqa: SLF001


def test_decode_limits_defaults_and_precedence() -> None:
    gib = 1 << 30
    # Defaults: 128 MiB decoded in memory (under the 1 GiB max_body_size), ratio 100.
    assert limits.decode_limits(gib, None, None, in_memory=True) == (128 * MIB, 100, "max_decompressed_size")
    # The smaller size wins; max_body_size on a tie (Swoole's plain errMsg).
    assert limits.decode_limits(4 * MIB, None, None, in_memory=True) == (4 * MIB, 100, "max_body_size")
    assert limits.decode_limits(4 * MIB, 4 * MIB, 7, in_memory=True) == (4 * MIB, 7, "max_body_size")
    assert limits.decode_limits(0, None, 0, in_memory=True) == (128 * MIB, 0, "max_decompressed_size")
    assert limits.decode_limits(8 * MIB, 0, None, in_memory=True) == (8 * MIB, 100, "max_body_size")
    assert limits.decode_limits(0, 0, 0, in_memory=True) == (0, 0, "max_body_size")
    # download(): the ratio only.
    assert limits.decode_limits(0, 16 * MIB, None, in_memory=False) == (0, 100, "")
    assert limits.MAX_DECOMPRESSED_SIZE_DEFAULT == 128 * MIB
    assert limits.MAX_DECOMPRESSION_RATIO_DEFAULT == 100
    assert limits.RATIO_GRACE == 8 * MIB


# --------------------------------------------------------------------------- sans-I/O decoder


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_decoder_size_limit_stops_one_step_past_it(encoding: str) -> None:
    decoder = Decoder(encoding, 16 * MIB, 0, "max_decompressed_size")
    data = bomb(encoding)
    with traced() as peak, pytest.raises(DecodedTooLarge) as exc:
        feed_all(decoder, data)
    err = exc.value
    assert err.option == "max_decompressed_size" and err.limit == 16 * MIB
    assert 16 * MIB < err.decoded <= 16 * MIB + 2 * compression.PIECE_SIZE
    assert decoder.decoded == err.decoded
    assert err.errmsg == "Data length too large: the decompressed body is over max_decompressed_size (16777216 bytes)"
    assert peak.bytes < 8 * MIB, peak.bytes  # pieces are dropped: only one step is ever alive


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_decoder_ratio_limit_stops_a_bomb_after_the_grace(encoding: str) -> None:
    decoder = Decoder(encoding, 0, 100)
    data = bomb(encoding)
    with traced() as peak, pytest.raises(DecodedTooLarge) as exc:
        feed_all(decoder, data)
    err = exc.value
    assert err.option == "max_decompression_ratio" and err.limit == 100
    assert limits.RATIO_GRACE < err.decoded <= limits.RATIO_GRACE + 2 * compression.PIECE_SIZE
    assert err.decoded > 100 * err.encoded and err.encoded == decoder.encoded
    assert err.errmsg is not None and "max_decompression_ratio (100)" in err.errmsg
    assert peak.bytes < 8 * MIB, peak.bytes


def test_ratio_counts_consumed_input_not_fed_input() -> None:
    """zlib leaves input it has not used in ``unconsumed_tail``: a bomb fed in one piece still
    trips the ratio after the grace (with the whole input fed, 64 MiB / 64 KiB ~ 1000 would
    look fine only at the very end)."""
    decoder = Decoder("gzip", 0, 100)
    with pytest.raises(DecodedTooLarge) as exc:
        for _ in decoder.pieces(bomb("gzip")):
            pass
    assert exc.value.decoded <= limits.RATIO_GRACE + compression.PIECE_SIZE
    assert exc.value.encoded < len(bomb("gzip")) // 4


def test_ratio_below_the_limit_and_small_bodies_pass() -> None:
    # 8 MiB of zeros (ratio ~1000) is within the grace.
    small = gzip.compress(bytes(limits.RATIO_GRACE), 6, mtime=0)
    assert sum(len(p) for p in Decoder("gzip", 0, 100).pieces(small)) == limits.RATIO_GRACE
    # Text-like data compressing ~6x passes.
    text = json_lines(12 * MIB)
    data = compress("gzip", text, 6)
    assert len(text) / len(data) < 100
    assert feed_all(Decoder("gzip", 0, 100), data) == len(text)


def test_limits_off_inflate_the_whole_bomb_in_pieces() -> None:
    decoder = Decoder("gzip")
    sizes = [len(p) for p in decoder.pieces(bomb("gzip"))]
    assert sum(sizes) == BOMB_SIZE and max(sizes) <= compression.PIECE_SIZE


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_first_chunk_falls_back_to_raw_deflate(encoding: str) -> None:
    """Swoole retries a first chunk that fails as gzip/zlib as raw deflate (client.md §7.5)."""
    raw = zlib.compressobj(6, zlib.DEFLATED, -15)
    body = b"raw deflate body " * 1000
    data = raw.compress(body) + raw.flush()
    decoder = Decoder(encoding, 0, 100)
    assert b"".join(decoder.pieces(data[:100])) + b"".join(decoder.pieces(data[100:])) == body


@pytest.mark.expect_swoole_warnings(r"^HttpClient::decompress_response failed by ")
@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br"])
def test_decode_error_passes_the_rest_through_raw(encoding: str) -> None:
    """compression_error: the failing chunk and every later one are kept as received."""
    good = compress(encoding, b"hello " * 10)
    decoder = Decoder(encoding, 16 * MIB, 100)
    first = b"".join(decoder.pieces(good))
    assert first == b"hello " * 10
    # A second stream glued after the end is ignored (zlib, brotli) ... garbage in a fresh
    # decoder fails on its first chunk and is kept raw.
    decoder = Decoder(encoding, 16 * MIB, 100)
    out = b"".join(decoder.pieces(b"notcompressed")) + b"".join(decoder.pieces(b"more"))
    assert out == b"notcompressedmore"


# --------------------------------------------------------------------------- sans-I/O WebSocket


def test_inflate_message_is_bounded() -> None:
    data = ws.deflate_message(bytes(BOMB_SIZE))
    with traced() as peak, pytest.raises(frames.InflatedTooLarge) as exc:
        frames.inflate_message(data, 2 * MIB)
    assert exc.value.length == 2 * MIB + 1 and exc.value.limit == 2 * MIB
    assert isinstance(exc.value, frames.FrameTooLarge)
    assert peak.bytes < 8 * MIB, peak.bytes
    exact = ws.deflate_message(b"e" * (2 * MIB))
    assert frames.inflate_message(exact, 2 * MIB) == b"e" * (2 * MIB)
    assert len(frames.inflate_message(data)) == BOMB_SIZE  # no limit: as upstream (Frame.unpack)


def test_assembler_caps_the_inflated_message_and_stays_failed() -> None:
    payload = ws.deflate_message(bytes(16 * MIB))
    asm = frames.MessageAssembler(MIB)
    asm.feed(ws.encode_frame(ws.OP_BINARY, payload, rsv1=True))
    with pytest.raises(frames.InflatedTooLarge):
        asm.next_event()
    asm.feed(ws.encode_frame(ws.OP_TEXT, b"later"))
    with pytest.raises(frames.InflatedTooLarge):  # sticky, as for FrameTooLarge
        asm.next_event()


def test_assembler_caps_a_fragmented_compressed_message() -> None:
    """All fragments count: each compressed fragment is small, the inflated whole is not."""
    deflater = ws.MessageDeflater()
    parts = [deflater.compress(bytes(MIB)) for _ in range(4)]
    asm = frames.MessageAssembler(3 * MIB)
    asm.feed(ws.encode_frame(ws.OP_BINARY, parts[0], fin=False, rsv1=True))
    for part in parts[1:-1]:
        asm.feed(ws.encode_frame(ws.OP_CONT, part, fin=False))
    asm.feed(ws.encode_frame(ws.OP_CONT, parts[-1]))
    with pytest.raises(frames.InflatedTooLarge) as exc:
        asm.next_event()
    assert exc.value.length == 3 * MIB + 1
    # At the limit it passes.
    asm = frames.MessageAssembler(4 * MIB)
    deflater = ws.MessageDeflater()
    asm.feed(ws.encode_frame(ws.OP_BINARY, deflater.compress(bytes(2 * MIB)), fin=False, rsv1=True))
    asm.feed(ws.encode_frame(ws.OP_CONT, deflater.compress(bytes(2 * MIB))))
    event = asm.next_event()
    assert isinstance(event, frames.Message) and event.payload == bytes(4 * MIB)


# --------------------------------------------------------------------------- loopback HTTP


def _respond_once(body: bytes, encoding: str) -> Any:
    response = b"HTTP/1.1 200 OK\r\nContent-Encoding: %s\r\nContent-Length: %d\r\n\r\n%s" % (
        encoding.encode(),
        len(body),
        body,
    )

    async def handler(reader: Any, writer: Any) -> None:
        await read_request_head(reader)
        writer.write(response)
        with contextlib.suppress(ConnectionError):
            await writer.drain()
            await reader.read()

    return handler


def assert_limit_failure(cli: Client, option: str) -> None:
    assert cli.errCode == 1203, (cli.errCode, cli.errMsg)
    assert cli.statusCode == -3
    assert cli.connected is False
    assert cli.body == b""
    assert option in cli.errMsg and cli.errMsg.startswith("Data length too large")


@pytest.mark.parametrize("encoding", ENCODINGS)
async def test_bomb_in_memory_stops_at_max_decompressed_size(raw_server: Any, encoding: str) -> None:
    srv = await raw_server(_respond_once(bomb(encoding), encoding))
    cli = Client("127.0.0.1", srv.port)
    cli.set({"timeout": 10, "max_decompressed_size": 16 * MIB, "max_decompression_ratio": 0})
    with traced() as peak:
        assert await cli.get("/") is False
    assert_limit_failure(cli, "max_decompressed_size")
    assert cli.headers is not None and cli.headers["content-encoding"] == encoding
    # the kept 16 MiB, one read's pieces, and the bomb itself (server + client)
    assert peak.bytes < 32 * MIB, peak.bytes


@pytest.mark.parametrize("encoding", ENCODINGS)
async def test_bomb_in_memory_stops_at_the_default_ratio(raw_server: Any, encoding: str) -> None:
    srv = await raw_server(_respond_once(bomb(encoding), encoding))
    cli = Client("127.0.0.1", srv.port)
    cli.set({"timeout": 10})
    with traced() as peak:
        assert await cli.get("/") is False
    assert_limit_failure(cli, "max_decompression_ratio")
    assert peak.bytes < 24 * MIB, peak.bytes  # the 8 MiB grace, one step, the bomb
    # Raised (or turned off), the same client decodes it: nothing was half-kept.
    cli.set({"max_decompression_ratio": 0})
    assert await cli.get("/") is True
    assert cli.statusCode == 200 and len(cli.body) == BOMB_SIZE and cli.body.count(0) == BOMB_SIZE
    cli.close()


async def test_max_body_size_below_max_decompressed_size_keeps_swooles_errmsg(raw_server: Any) -> None:
    srv = await raw_server(_respond_once(bomb("gzip"), "gzip"))
    cli = Client("127.0.0.1", srv.port)
    cli.set({"timeout": 10, "max_body_size": 4 * MIB, "max_decompressed_size": 32 * MIB})
    assert await cli.get("/") is False
    assert cli.errCode == 1203 and cli.statusCode == -3 and cli.errMsg == "Data length too large"


async def test_legitimate_compressed_bodies_of_tens_of_mib_decode_with_the_defaults(http_server: Any) -> None:
    """40 MiB of JSON lines (compressing ~6x) through aiohttp, gzip and br, default limits."""
    text = json_lines(40 * MIB)
    encoded = {"gzip": compress("gzip", text, 1), "br": brotli.compress(text, quality=1)}

    async def handler(request: web.Request) -> web.Response:
        enc = request.match_info["enc"]
        return web.Response(body=encoded[enc], headers={"Content-Encoding": enc, "Content-Type": "text/plain"})

    srv = await http_server(routes=[web.get("/text/{enc}", handler)])
    cli = Client("127.0.0.1", srv.port)
    cli.set({"timeout": 30})
    for enc, data in encoded.items():
        assert len(text) / len(data) < limits.MAX_DECOMPRESSION_RATIO_DEFAULT
        assert await cli.get(f"/text/{enc}") is True, (cli.errCode, cli.errMsg)
        assert cli.statusCode == 200 and cli.body == text
    cli.close()


async def test_download_of_a_bomb_is_stopped_by_the_ratio(raw_server: Any, tmp_path: Path) -> None:
    """download() has no size limit, but a bomb stops at the ratio: the disk is not filled."""
    srv = await raw_server(_respond_once(bomb("gzip"), "gzip"))
    cli = Client("127.0.0.1", srv.port)
    cli.set({"timeout": 10, "max_decompressed_size": MIB})  # in-memory only: no effect here
    target = tmp_path / "bomb.bin"
    with traced() as peak:
        assert await cli.download("/", str(target)) is False
    assert_limit_failure(cli, "max_decompression_ratio")
    # What was written stays (a failed download is not unlinked, client.md §7.8).
    assert limits.RATIO_GRACE <= target.stat().st_size <= limits.RATIO_GRACE + compression.PIECE_SIZE
    assert peak.bytes < 16 * MIB, peak.bytes
    # A lower ratio stops it earlier; a ratio of 0 lets the whole 64 MiB through.
    cli.set({"max_decompression_ratio": 0})
    assert await cli.download("/", str(target)) is True
    assert target.stat().st_size == BOMB_SIZE


@pytest.mark.parametrize("encoding", ["deflate", "br"])
async def test_download_of_other_bombs_is_stopped_too(raw_server: Any, tmp_path: Path, encoding: str) -> None:
    srv = await raw_server(_respond_once(bomb(encoding), encoding))
    cli = Client("127.0.0.1", srv.port)
    cli.set({"timeout": 10, "max_decompression_ratio": 20})
    with traced() as peak:
        assert await cli.download("/", str(tmp_path / "bomb.bin")) is False
    assert_limit_failure(cli, "max_decompression_ratio")
    assert peak.bytes < 16 * MIB, peak.bytes


async def test_write_func_gets_the_raw_bytes_and_no_limit_applies(raw_server: Any) -> None:
    """client.md Q9 (Replicate): write_func receives the body undecoded, so nothing inflates."""
    data = bomb("gzip")
    srv = await raw_server(_respond_once(data, "gzip"))
    cli = Client("127.0.0.1", srv.port)
    got: list[bytes] = []
    cli.set({"max_decompressed_size": 1, "max_decompression_ratio": 1, "write_func": lambda _c, d: got.append(d)})
    assert await cli.get("/") is True
    assert b"".join(got) == data
    cli.close()


# --------------------------------------------------------------------------- loopback WebSocket


async def _ws_upgrade(raw_server: Any, frames_out: list[bytes], settings: dict[str, Any]) -> Client:
    async def handler(reader: Any, writer: Any) -> None:
        head = await read_request_head(reader)
        writer.write(ws.switching_protocols(head))
        with contextlib.suppress(ConnectionError):
            await writer.drain()
            for frame in frames_out:
                writer.write(frame)
                await writer.drain()
            await reader.read()

    srv = await raw_server(handler)
    cli = Client("127.0.0.1", srv.port)
    cli.set({"timeout": 5, "websocket_compression": True, **settings})
    assert await cli.upgrade("/") is True
    return cli


def assert_ws_too_large(cli: Client) -> None:
    assert cli.errCode == 1201, (cli.errCode, cli.errMsg)
    assert cli.statusCode == -3
    assert cli.connected is False
    assert "packet length is too big" in cli.errMsg


@pytest.mark.parametrize(("settings", "limit"), [({}, 2 * MIB), ({"package_max_length": 16 * MIB}, 16 * MIB)])
async def test_websocket_compressed_bomb_is_capped_at_package_max_length(
    raw_server: Any, settings: dict[str, Any], limit: int
) -> None:
    payload = ws.deflate_message(bytes(BOMB_SIZE))  # ~64 KiB: far under the frame limit
    cli = await _ws_upgrade(raw_server, [ws.encode_frame(ws.OP_BINARY, payload, rsv1=True)], settings)
    with traced() as peak:
        assert await cli.recv() is False
    assert_ws_too_large(cli)
    assert f"length={limit + 1}" in cli.errMsg
    assert peak.bytes < 2 * limit + 8 * MIB, peak.bytes


async def test_websocket_fragmented_compressed_bomb_is_capped(raw_server: Any) -> None:
    deflater = ws.MessageDeflater()
    out = [ws.encode_frame(ws.OP_TEXT, deflater.compress(bytes(MIB)), fin=False, rsv1=True)]
    out += [ws.encode_frame(ws.OP_CONT, deflater.compress(bytes(MIB)), fin=False) for _ in range(6)]
    out.append(ws.encode_frame(ws.OP_CONT, deflater.compress(bytes(MIB))))
    cli = await _ws_upgrade(raw_server, out, {"package_max_length": 4 * MIB})
    with traced() as peak:
        assert await cli.recv() is False
    assert_ws_too_large(cli)
    assert peak.bytes < 16 * MIB, peak.bytes


async def test_websocket_compressed_message_at_the_limit_is_received(raw_server: Any) -> None:
    message = b"m" * (2 * MIB)
    frame = ws.encode_frame(ws.OP_BINARY, ws.deflate_message(message), rsv1=True)
    cli = await _ws_upgrade(raw_server, [frame, ws.encode_frame(ws.OP_TEXT, b"next")], {})
    got = await cli.recv()
    assert got is not False and got.data == message
    got = await cli.recv()
    assert got is not False and got.data == b"next"
    cli.close()


async def test_websocket_cap_follows_a_live_set(raw_server: Any) -> None:
    """set({'package_max_length'}) on the live connection applies to the next recv()."""
    frame = ws.encode_frame(ws.OP_BINARY, ws.deflate_message(bytes(3 * MIB)), rsv1=True)
    cli = await _ws_upgrade(raw_server, [frame, frame], {"package_max_length": 4 * MIB})
    got = await cli.recv()
    assert got is not False and len(got.data) == 3 * MIB
    cli.set({"package_max_length": 2 * MIB})
    assert await cli.recv() is False
    assert_ws_too_large(cli)

