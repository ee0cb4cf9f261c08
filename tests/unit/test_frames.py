"""Sans-I/O frame codec, parser and reassembly (swoole_compat._protocol.frames)."""

from __future__ import annotations

import logging
import os
import struct
import time
import tracemalloc
import zlib
from types import SimpleNamespace

import pytest
from wsproto.extensions import PerMessageDeflate
from wsproto.frame_protocol import Opcode, RsvBits

from swoole_compat._protocol import frames as frames_mod
from swoole_compat._protocol.frames import (
    ERR_FRAGMENT_OPCODE,
    ERR_INFLATE_FAILED,
    ERR_INVALID_CONTROL_FRAME,
    ERR_MESSAGE_TOO_LARGE,
    ERR_ORPHAN_CONTINUATION,
    FIXED_MASK_KEY,
    MSG_FRAGMENT_OPCODE,
    MSG_ORPHAN_CONTINUATION,
    ControlFrame,
    FrameLengthInvalid,
    FramePackError,
    FrameParser,
    FrameTooLarge,
    IncompleteFrame,
    InflateError,
    Message,
    MessageAssembler,
    ProtocolError,
    RawFrame,
    build_frame,
    decode_frame,
    deflate_message,
    encode_frame,
    frame_total_length,
    inflate_message,
    mask_payload,
)

FIN, COMPRESS, RSV1, RSV2, RSV3, MASK = 1, 2, 4, 8, 16, 32
CONT, TEXT, BINARY, CLOSE, PING, PONG = 0, 1, 2, 8, 9, 10
LOGGER = "swoole_compat"


def naive_mask(data: bytes, key: bytes) -> bytes:
    return bytes(b ^ key[i % 4] for i, b in enumerate(data))


def frame(opcode: int, payload: bytes = b"", *, fin: bool = True, rsv1: bool = False,
          mask_key: bytes | None = None) -> bytes:
    """Server-style frame bytes (unmasked unless a key is given)."""
    return encode_frame(opcode, payload, fin=fin, rsv1=rsv1, mask=mask_key is not None, mask_key=mask_key)


# ------------------------------------------------------------------------------------------
# masking / encoding
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [0, 1, 2, 3, 4, 5, 7, 8, 9, 125, 126, 1000, 4097])
def test_mask_payload_matches_naive(n: int) -> None:
    data = os.urandom(n)
    key = os.urandom(4)
    assert mask_payload(data, key) == naive_mask(data, key)
    assert mask_payload(mask_payload(data, key), key) == data


def test_mask_payload_accepts_memoryview_and_rejects_bad_key() -> None:
    assert mask_payload(memoryview(b"abc"), b"258E") == bytes.fromhex("53575b")
    with pytest.raises(ValueError):
        mask_payload(b"abc", b"12")


def test_mask_payload_is_fast_for_1mib() -> None:
    data = os.urandom(1 << 20)
    key = os.urandom(4)
    best = min(_timed(lambda: mask_payload(data, key)) for _ in range(3))
    # ~1 ms on a laptop; a per-byte Python loop takes ~100 ms.
    assert best < 0.05
    out = mask_payload(data, key)
    assert out[:1000] == naive_mask(data[:1000], key)
    tail_start = (len(data) - 999) // 4 * 4  # key phase restarts on multiples of 4
    assert out[tail_start:] == naive_mask(data[tail_start:], key)


# Both implementations of the masking primitives: the C extension (swoole_compat._speedups)
# and the pure-Python fallback used when it is not built (or SWOOLE_COMPAT_NO_SPEEDUPS=1).
MASK_IMPLS = [
    pytest.param("python", id="python"),
    pytest.param(
        "c",
        id="c",
        marks=pytest.mark.skipif(not frames_mod.HAVE_SPEEDUPS, reason="C extension not built (pip install -e .)"),
    ),
]


@pytest.fixture(params=MASK_IMPLS)
def mask_impl(request, monkeypatch) -> SimpleNamespace:
    """The three primitives of one implementation, also patched into the frames module so the
    encoder and the parser run on it."""
    if request.param == "c":
        impl = SimpleNamespace(
            apply=frames_mod.c_mask_payload, encode=frames_mod.c_encode_masked, join=frames_mod.c_unmask_join
        )
    else:
        impl = SimpleNamespace(
            apply=frames_mod.py_mask_payload, encode=frames_mod.py_encode_masked, join=frames_mod.py_unmask_join
        )
    monkeypatch.setattr(frames_mod, "mask_payload", impl.apply)
    monkeypatch.setattr(frames_mod, "_encode_masked", impl.encode)
    monkeypatch.setattr(frames_mod, "_unmask_join", impl.join)
    impl.name = request.param
    return impl


@pytest.mark.parametrize("n", [0, 1, 3, 4, 7, 8, 9, 31, 32, 33, 63, 64, 65, 125, 1000, 4097])
def test_mask_impl_matches_naive(mask_impl, n: int) -> None:
    data = os.urandom(n)
    key = os.urandom(4)
    out = mask_impl.apply(data, key)
    assert type(out) is bytes
    assert out == naive_mask(data, key)
    assert mask_impl.apply(out, key) == data
    assert mask_impl.apply(bytearray(data), key) == out
    assert mask_impl.apply(memoryview(data), memoryview(key)) == out
    assert mask_impl.encode(b"\x82\x7e", key, data) == b"\x82\x7e" + key + out
    assert mask_impl.encode(b"", key, memoryview(data)) == key + out


def test_mask_impl_rejects_bad_keys_and_payloads(mask_impl) -> None:
    for key in (b"", b"123", b"12345"):
        with pytest.raises(ValueError, match="masking key must be 4 bytes"):
            mask_impl.apply(b"abc", key)
        with pytest.raises(ValueError, match="masking key must be 4 bytes"):
            mask_impl.encode(b"", key, b"abc")
        with pytest.raises(ValueError, match="masking key must be 4 bytes"):
            mask_impl.join([b"abc"], key)
    with pytest.raises(TypeError):
        mask_impl.apply("text", b"1234")
    with pytest.raises(TypeError):
        mask_impl.join([b"ab", "text"], b"1234")


def test_unmask_join_keeps_the_key_phase_across_parts(mask_impl) -> None:
    data = os.urandom(300)
    key = os.urandom(4)
    expected = naive_mask(data, key)
    for cuts in ([], [1], [3, 5], [4, 8, 9], [1, 2, 3, 100, 101, 299], list(range(1, 300, 7))):
        bounds = [0, *cuts, len(data)]
        parts = [data[a:b] for a, b in zip(bounds, bounds[1:])]
        assert mask_impl.join(parts, key) == expected
        assert mask_impl.join([memoryview(p) for p in parts], key) == expected
        assert mask_impl.join(tuple(parts), key) == expected


def test_mask_impl_1mib(mask_impl) -> None:
    data = os.urandom(1 << 20)
    key = os.urandom(4)
    out = mask_impl.apply(data, key)
    assert out[:1000] == naive_mask(data[:1000], key)
    tail_start = (len(data) - 999) // 4 * 4
    assert out[tail_start:] == naive_mask(data[tail_start:], key)
    assert mask_impl.join([data[:12345], data[12345:]], key) == out
    if mask_impl.name == "c":
        best = min(_timed(lambda: mask_impl.apply(data, key)) for _ in range(3))
        assert best < 0.01  # ~0.1 ms; the pure-Python fallback takes 1-2 ms


def test_encoder_and_parser_on_each_impl(mask_impl) -> None:
    """Masked frames round-trip through encode_frame and the incremental parser (masked
    payloads split across received chunks are unmasked without joining first)."""
    payloads = [b"", b"a", b"hello", os.urandom(125), os.urandom(126), os.urandom(70000)]
    stream = b"".join(
        encode_frame(BINARY, p, fin=True, mask=True, mask_key=bytes([i, 0x5A, 0xA5, 0xFF]))
        for i, p in enumerate(payloads)
    )
    for size in (1, 3, 1000, 65536, len(stream)):
        p = FrameParser(max_frame_size=None)
        got = []
        for i in range(0, len(stream), size):
            p.feed(stream[i : i + size])
            got.extend(p)
        assert [f.payload for f in got] == payloads
        assert all(f.masked and type(f.payload) is bytes for f in got)
        assert p.buffered == 0
    out = encode_frame(TEXT, b"abc", fin=True, mask=True)
    assert naive_mask(out[6:], out[2:6]) == b"abc"
    assert decode_frame(encode_frame(TEXT, b"xyz", fin=True, mask=True)).payload == b"xyz"


def _timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


@pytest.mark.parametrize(
    "length, header",
    [
        (0, "8100"),
        (125, "817d"),
        (126, "817e007e"),
        (65535, "817effff"),
        (65536, "817f0000000000010000"),
    ],
)
def test_encode_length_boundaries(length: int, header: str) -> None:
    payload = b"a" * length
    out = encode_frame(TEXT, payload, fin=True, mask=False)
    assert out.hex().startswith(header)
    assert out == bytes.fromhex(header) + payload


def test_encode_masked_with_key_and_bits() -> None:
    out = encode_frame(TEXT, b"abc", fin=True, mask=True, mask_key=b"258E")
    assert out.hex() == "81833235384553575b"
    out = encode_frame(2, b"", fin=False, rsv1=True, rsv2=True, rsv3=True, mask=False)
    assert out.hex() == "7200"


def test_encode_random_key_per_frame() -> None:
    a = encode_frame(TEXT, b"hello", fin=True, mask=True)
    b = encode_frame(TEXT, b"hello", fin=True, mask=True)
    assert a[:2] == b[:2] == bytes.fromhex("8185")
    keys = {encode_frame(TEXT, b"x", fin=True, mask=True)[2:6] for _ in range(8)}
    assert len(keys) > 1  # os.urandom; the chance of 8 equal keys is negligible
    assert naive_mask(a[6:], a[2:6]) == b"hello"


def test_encode_rejects_wide_opcode() -> None:
    with pytest.raises(ValueError):
        encode_frame(16, b"", fin=True, mask=False)


# ------------------------------------------------------------------------------------------
# build_frame (FrameObject::pack) against the observed push() vectors of websocket.md §3.3
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "opcode, flags, payload, code, expected",
    [
        (TEXT, FIN | MASK, b"abc", 1000, "81833235384553575b"),  # push('abc')
        (BINARY, FIN, b"abc", 1000, "8203616263"),  # mask off
        (TEXT, MASK, b"x", 1000, "0181323538454a"),  # push('x', TEXT, False)
        (CONT, FIN | RSV1 | RSV2 | MASK, b"y", 1000, "c081323538454b"),  # RSV2 dropped
        (256, FIN | MASK, b"z", 1000, "80813235384548"),  # opcode truncated to 0
        (PING, FIN | MASK, b"pg", 1000, "8982323538454252"),  # ping('pg')
        (CLOSE, FIN | MASK, b"gone", 1001, "88863235384531dc5f2a5c50"),  # disconnect(1001,'gone')
        (TEXT, FIN | MASK | COMPRESS, b"hello hello hello hello", 1000, "c18b32353845f87df58cfb62f005153438"),
        (PING, 0, b"x", 0, "890178"),  # control frames force FIN
        (CLOSE, FIN, b"x", 0, "8803000078"),
        (TEXT, FIN | COMPRESS, b"", 0, "8100"),  # empty payload never compressed
        (TEXT, FIN | RSV1, b"rsv", 0, "c1037273 76".replace(" ", "")),  # RSV1 alone: raw bytes
        (PING, FIN | COMPRESS | RSV1, b"p", 0, "c90170"),  # compress cleared on control, RSV1 kept (macro quirk)
        (PING, COMPRESS, b"p", 0, "890170"),  # FIN forced, never compressed
        (CLOSE, FIN, b"", 70000, "88021170"),  # code stored in 16 bits
    ],
)
def test_build_frame_vectors(opcode: int, flags: int, payload: bytes, code: int, expected: str) -> None:
    assert build_frame(opcode, flags, payload, code, mask_key=FIXED_MASK_KEY).hex() == expected


def test_build_frame_fragments_are_not_compressed() -> None:
    # push('hello hello', TEXT, 0) with deflate negotiated → '01 8b …' (no RSV1, raw payload)
    out = build_frame(TEXT, COMPRESS | MASK, b"hello hello", mask_key=FIXED_MASK_KEY)
    assert out[:2].hex() == "018b"
    assert naive_mask(out[6:], FIXED_MASK_KEY) == b"hello hello"
    out = build_frame(CONT, FIN | COMPRESS, b"hello hello")
    assert out == bytes.fromhex("800b") + b"hello hello"


def test_build_frame_random_key_by_default() -> None:
    out = build_frame(TEXT, FIN | MASK, b"abc")
    assert out[:2].hex() == "8183"
    assert naive_mask(out[6:], out[2:6]) == b"abc"


@pytest.mark.parametrize(
    "opcode, payload, message",
    [
        (11, b"x", "opcode must be between 0 and 10"),
        (-1, b"x", "opcode must be between 0 and 10"),  # -1 & 0xFF = 255
        (CLOSE, b"r" * 124, "the max length of close reason is 123"),
        (PING, b"x" * 126, "websocket control frame payload must not exceed 125 bytes"),
        (PONG, b"x" * 126, "websocket control frame payload must not exceed 125 bytes"),
    ],
)
def test_build_frame_errors(opcode: int, payload: bytes, message: str) -> None:
    with pytest.raises(FramePackError) as exc:
        build_frame(opcode, FIN, payload)
    assert str(exc.value) == message


def test_build_frame_limits_inclusive() -> None:
    assert len(build_frame(CLOSE, FIN, b"r" * 123)) == 2 + 125
    assert len(build_frame(PING, FIN, b"x" * 125)) == 2 + 125


# ------------------------------------------------------------------------------------------
# permessage-deflate
# ------------------------------------------------------------------------------------------


def test_deflate_vector_matches_upstream() -> None:
    assert deflate_message(b"hello hello hello").hex() == "ca48cdc9c957c840900000"


@pytest.mark.parametrize("payload", [b"a", b"hello " * 1000, os.urandom(70000), bytes(range(256)) * 50])
def test_deflate_roundtrip_with_zlib(payload: bytes) -> None:
    out = deflate_message(payload)
    assert not out.endswith(b"\x00\x00\xff\xff")
    assert zlib.decompressobj(-15).decompress(out + b"\x00\x00\xff\xff") == payload
    assert inflate_message(out) == payload


def _wsproto_pmd(client: bool) -> tuple[PerMessageDeflate, SimpleNamespace]:
    pmd = PerMessageDeflate(client_no_context_takeover=True, server_no_context_takeover=True)
    return pmd, SimpleNamespace(client=client)


def test_wsproto_server_decodes_our_deflate() -> None:
    pmd, proto = _wsproto_pmd(client=False)
    for payload in (b"compress me compress me", b"x" * 100000, b"\x00\xff" * 3):
        data = deflate_message(payload)
        assert pmd.frame_inbound_header(proto, Opcode.TEXT, RsvBits(True, False, False), len(data)) == RsvBits(
            True, False, False
        )
        out = pmd.frame_inbound_payload_data(proto, data)
        out += pmd.frame_inbound_complete(proto, True)
        assert out == payload


def test_we_inflate_wsproto_server_deflate() -> None:
    pmd, proto = _wsproto_pmd(client=False)
    for payload in (b"hello hello hello", os.urandom(5000), b"abc" * 30000):
        rsv, data = pmd.frame_outbound(proto, Opcode.BINARY, RsvBits(False, False, False), payload, True)
        assert rsv.rsv1
        assert inflate_message(data) == payload
        asm = MessageAssembler()
        asm.feed(frame(BINARY, data, rsv1=True))
        assert asm.next_event() == Message(BINARY, payload, FIN | RSV1)


def test_wsproto_accepts_our_offer() -> None:
    from swoole_compat._protocol.handshake import EXTENSION_DEFLATE

    server = PerMessageDeflate()
    accepted = server.accept(EXTENSION_DEFLATE[len("permessage-deflate; "):])
    # A standard server can parse our fixed offer and honours server_no_context_takeover.
    assert "server_no_context_takeover" in accepted
    assert server.server_no_context_takeover


def test_inflate_errors() -> None:
    with pytest.raises(InflateError) as exc:
        inflate_message(b"\xff\xff\xff\xff")
    assert str(exc.value) == "inflate() failed, Error: data error[-3]"
    # Upstream inflate() reports Z_BUF_ERROR on empty input.
    with pytest.raises(InflateError) as exc:
        inflate_message(b"")
    assert str(exc.value) == "inflate() failed, Error: buffer error[-5]"


def test_inflate_tolerances() -> None:
    full = zlib.compressobj(-1, zlib.DEFLATED, -15)
    data = full.compress(b"finished stream") + full.flush(zlib.Z_FINISH)
    # Data after the final block is ignored (upstream stops at Z_STREAM_END).
    assert inflate_message(data + b"garbage") == b"finished stream"
    # A stream cut after a sync flush yields everything flushed so far.
    c = zlib.compressobj(-1, zlib.DEFLATED, -15)
    part = c.compress(b"partial") + c.flush(zlib.Z_SYNC_FLUSH) + c.compress(b"more")
    assert inflate_message(part) == b"partial"


# ------------------------------------------------------------------------------------------
# FrameParser
# ------------------------------------------------------------------------------------------

STREAM_FRAMES = [
    (TEXT, b"hello", True, False, None),
    (BINARY, b"\x00" * 126, True, False, None),
    (TEXT, b"m" * 300, False, True, b"\x01\x02\x03\x04"),
    (CONT, b"", True, False, None),
    (PING, b"p" * 125, True, False, b"abcd"),
    (3, b"reserved", True, False, None),
    (BINARY, os.urandom(65536), True, False, None),
    (15, b"", False, True, None),
]


def _stream() -> bytes:
    return b"".join(
        encode_frame(op, p, fin=fin, rsv1=rsv1, mask=key is not None, mask_key=key)
        for op, p, fin, rsv1, key in STREAM_FRAMES
    )


def _expected() -> list[RawFrame]:
    return [RawFrame(fin, rsv1, False, False, op, key is not None, p) for op, p, fin, rsv1, key in STREAM_FRAMES]


def test_parser_whole_stream() -> None:
    p = FrameParser(max_frame_size=None)
    p.feed(_stream())
    assert list(p) == _expected()
    assert p.buffered == 0
    assert p.next_frame() is None


def test_parser_split_at_every_byte_boundary() -> None:
    # Small frames so every split point can be tried exhaustively.
    data = b"".join(
        [
            frame(TEXT, b"hi"),
            frame(BINARY, b"x" * 126, mask_key=b"\xff\x00\xaa\x55"),
            frame(CONT, b"", fin=False),
            frame(PONG, b"pp", mask_key=b"1234"),
            encode_frame(2, b"abc", fin=True, rsv2=True, rsv3=True, mask=False),
        ]
    )
    reference = FrameParser()
    reference.feed(data)
    expected = list(reference)
    assert len(expected) == 5
    assert expected[4].rsv2 and expected[4].rsv3
    for cut in range(len(data) + 1):
        p = FrameParser()
        got = []
        p.feed(data[:cut])
        got.extend(p)
        p.feed(data[cut:])
        got.extend(p)
        assert got == expected, cut
    for cut1 in range(0, len(data), 7):
        for cut2 in range(cut1, len(data) + 1, 5):
            p = FrameParser()
            got = []
            for piece in (data[:cut1], data[cut1:cut2], data[cut2:]):
                p.feed(piece)
                got.extend(p)
            assert got == expected


def test_parser_byte_by_byte_large_stream() -> None:
    data = _stream()
    p = FrameParser(max_frame_size=None)
    got = []
    for i in range(len(data)):
        p.feed(data[i : i + 1])
        f = p.next_frame()
        if f is not None:
            got.append(f)
    assert got == _expected()


def test_parser_large_payload_in_many_chunks() -> None:
    payload = os.urandom(1 << 20)
    data = frame(BINARY, payload)
    p = FrameParser(max_frame_size=None)
    t = time.perf_counter()
    for i in range(0, len(data), 1000):
        p.feed(data[i : i + 1000])
        if i + 1000 < len(data):
            assert p.next_frame() is None
    f = p.next_frame()
    assert time.perf_counter() - t < 2.0  # linear, no quadratic re-copying
    assert f is not None and f.payload == payload


def test_parser_accepts_bytearray_and_memoryview() -> None:
    buf = bytearray(frame(TEXT, b"abc"))
    p = FrameParser()
    p.feed(memoryview(buf)[:3])
    p.feed(buf[3:])
    buf[:] = b"\x00" * len(buf)  # feed() must not alias the caller's buffer
    assert p.next_frame() == RawFrame(True, False, False, False, TEXT, False, b"abc")


def test_parser_non_minimal_length_encoding() -> None:
    p = FrameParser()
    p.feed(b"\x81\x7e\x00\x03abc" + b"\x82\x7f" + struct.pack("!Q", 2) + b"xy")
    assert [f.payload for f in p] == [b"abc", b"xy"]


def test_parser_masked_flags() -> None:
    p = FrameParser()
    p.feed(bytes.fromhex("81833235384553575b"))
    f = p.next_frame()
    assert f == RawFrame(True, False, False, False, TEXT, True, b"abc")
    assert f.flags == FIN | MASK


def test_parser_max_frame_size_boundary() -> None:
    ok = frame(TEXT, b"a" * 100)  # 2 + 100 bytes
    p = FrameParser(max_frame_size=102)
    p.feed(ok)
    assert p.next_frame().payload == b"a" * 100
    p = FrameParser(max_frame_size=101)
    p.feed(ok[:2])  # header alone is enough to decide
    with pytest.raises(FrameTooLarge) as exc:
        p.next_frame()
    assert exc.value.length == 102
    with pytest.raises(FrameTooLarge):  # sticky
        p.next_frame()


def test_parser_size_counts_mask_key() -> None:
    p = FrameParser(max_frame_size=6 + 3 - 1)
    p.feed(bytes.fromhex("81833235384553575b"))
    with pytest.raises(FrameTooLarge) as exc:
        p.next_frame()
    assert exc.value.length == 9


def test_parser_huge_declared_length_no_allocation() -> None:
    tracemalloc.start()
    try:
        p = FrameParser(max_frame_size=None)
        p.feed(b"\x82\x7f" + struct.pack("!Q", 1 << 62))
        assert p.next_frame() is None  # waits for 4 EiB without allocating them
        p.feed(b"x" * 1000)
        assert p.next_frame() is None
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20

    p = FrameParser()  # default 2 MiB limit
    p.feed(b"\x82\x7f" + struct.pack("!Q", 1 << 62))
    with pytest.raises(FrameTooLarge) as exc:
        p.next_frame()
    assert exc.value.length == (1 << 62) + 10


@pytest.mark.parametrize("declared", [1 << 63, (1 << 64) - 1, (1 << 63) - 1, (1 << 63) - 10])
def test_parser_length_beyond_int64_is_invalid(declared: int) -> None:
    for limit in (None, 2 * 1024 * 1024):
        p = FrameParser(max_frame_size=limit)
        p.feed(b"\x82\x7f" + struct.pack("!Q", declared))
        with pytest.raises(FrameLengthInvalid):
            p.next_frame()


def test_parser_waits_for_mask_key() -> None:
    p = FrameParser(max_frame_size=10)
    p.feed(b"\x81\xff" + struct.pack("!Q", 1 << 40) + b"12")  # mask key incomplete
    assert p.next_frame() is None
    p.feed(b"34")
    with pytest.raises(FrameTooLarge):
        p.next_frame()


def test_frame_total_length() -> None:
    assert frame_total_length(b"\x81") == 0
    assert frame_total_length(b"\x81\x05") == 7
    assert frame_total_length(b"\x81\x7e\x00") == 0
    assert frame_total_length(b"\x81\xfe\x01\x00abc") == 0  # mask key incomplete
    assert frame_total_length(b"\x81\xfe\x01\x00abcd") == 8 + 256
    assert frame_total_length(b"\x81\x7f" + struct.pack("!Q", 1 << 63)) == -1
    assert frame_total_length(b"\x81\x7f" + struct.pack("!Q", (1 << 63) - 1)) < 0


def test_decode_frame() -> None:
    assert decode_frame(bytes.fromhex("8203616263ffff")).payload == b"abc"  # trailing ignored
    with pytest.raises(IncompleteFrame) as exc:
        decode_frame(bytes.fromhex("8105616263"))
    assert (exc.value.need, exc.value.have) == (7, 5)
    assert str(exc.value) == "incomplete packet, expected length is 7, actual length is 5"
    with pytest.raises(IncompleteFrame) as exc:
        decode_frame(b"\x81\x7e\x00")
    assert exc.value.need == 0
    with pytest.raises(IncompleteFrame) as exc:
        decode_frame(b"\x81\x7f" + struct.pack("!Q", 1 << 63))
    assert exc.value.need == (1 << 64) - 1


# ------------------------------------------------------------------------------------------
# MessageAssembler (websocket.md §4.2)
# ------------------------------------------------------------------------------------------


def events(asm: MessageAssembler) -> list:
    out = []
    while (ev := asm.next_event()) is not None:
        out.append(ev)
    return out


def test_single_messages_and_flags() -> None:
    asm = MessageAssembler()
    asm.feed(frame(TEXT, b"plain") + frame(BINARY, b"\x01\x02", mask_key=b"abcd") + frame(5, b"r"))
    assert events(asm) == [
        Message(TEXT, b"plain", FIN),
        Message(BINARY, b"\x01\x02", FIN | MASK),  # 33 (observed)
        Message(5, b"r", FIN),  # reserved opcodes are data at this layer
    ]
    assert asm.frames_processed == 3


def test_compressed_single_frame_flags() -> None:
    asm = MessageAssembler()
    asm.feed(frame(TEXT, deflate_message(b"compressed"), rsv1=True))
    assert asm.next_event() == Message(TEXT, b"compressed", FIN | RSV1)  # Frame gets 7


def test_fragmented_message() -> None:
    asm = MessageAssembler()
    asm.feed(frame(TEXT, b"a", fin=False))
    assert asm.next_event() is None and asm.in_message
    asm.feed(frame(CONT, b"b", fin=False) + frame(CONT, b"", fin=False) + frame(CONT, b"c"))
    assert asm.next_event() == Message(TEXT, b"abc", FIN)
    assert not asm.in_message
    assert asm.frames_processed == 4


def test_fragmented_first_flags_kept() -> None:
    asm = MessageAssembler()
    asm.feed(frame(BINARY, b"a", fin=False, mask_key=b"\x00\x00\x00\x01") + frame(CONT, b"b"))
    assert asm.next_event() == Message(BINARY, b"ab", FIN | MASK)


def test_control_frames_interleaved() -> None:
    asm = MessageAssembler()
    asm.feed(
        frame(TEXT, b"he", fin=False)
        + frame(PING, b"p1")
        + frame(CONT, b"ll", fin=False)
        + frame(PONG, b"")
        + frame(CLOSE, b"\x03\xe8bye", mask_key=b"kkkk")
        + frame(CONT, b"o")
    )
    assert events(asm) == [
        ControlFrame(PING, b"p1"),
        ControlFrame(PONG, b""),
        ControlFrame(CLOSE, b"\x03\xe8bye"),
        Message(TEXT, b"hello", FIN),
    ]


def test_orphan_continuation(caplog: pytest.LogCaptureFixture) -> None:
    asm = MessageAssembler()
    asm.feed(frame(CONT, b"x", fin=False) + frame(TEXT, b"ok"))
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        ev = asm.next_event()
    assert ev == ProtocolError(ERR_ORPHAN_CONTINUATION, MSG_ORPHAN_CONTINUATION)
    assert caplog.messages == [
        "A continuation frame cannot stand alone and MUST be preceded by an initial frame whose "
        "opcode indicates either text or binary data."
    ]
    assert asm.next_event() == Message(TEXT, b"ok", FIN)


def test_data_frame_inside_fragmented_message_keeps_buffer(caplog: pytest.LogCaptureFixture) -> None:
    asm = MessageAssembler()
    asm.feed(frame(TEXT, b"part1-", fin=False) + frame(TEXT, b"intruder") + frame(BINARY, b"again", fin=False))
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        assert asm.next_event() == ProtocolError(ERR_FRAGMENT_OPCODE, MSG_FRAGMENT_OPCODE)
        assert asm.next_event() == ProtocolError(ERR_FRAGMENT_OPCODE, MSG_FRAGMENT_OPCODE)
    assert caplog.messages == [
        "All fragments of a message, except for the initial frame, must use the continuation frame opcode(0)."
    ] * 2
    assert asm.in_message  # quirk W12: partial buffer kept
    asm.feed(frame(CONT, b"part2"))
    assert asm.next_event() == Message(TEXT, b"part1-part2", FIN)


def test_reassembled_size_limit() -> None:
    asm = MessageAssembler(package_max_length=100)
    asm.feed(frame(TEXT, b"a" * 60, fin=False) + frame(CONT, b"b" * 41) + frame(CONT, b"c" * 40))
    ev = asm.next_event()
    assert isinstance(ev, ProtocolError) and ev.kind == ERR_MESSAGE_TOO_LARGE and not ev.php_warning
    assert asm.in_message  # buffer kept, as upstream
    assert asm.next_event() == Message(TEXT, b"a" * 60 + b"c" * 40, FIN)  # exactly 100: allowed


def test_first_fragment_limit_via_process_frame() -> None:
    asm = MessageAssembler(package_max_length=10)
    ev = asm.process_frame(RawFrame(False, False, False, False, TEXT, False, b"x" * 11))
    assert isinstance(ev, ProtocolError) and ev.kind == ERR_MESSAGE_TOO_LARGE
    assert not asm.in_message


def test_package_max_length_setter_updates_parser() -> None:
    asm = MessageAssembler()
    asm.package_max_length = 5
    assert asm.parser.max_frame_size == 5
    asm.feed(frame(TEXT, b"toolong"))
    with pytest.raises(FrameTooLarge) as exc:
        asm.next_event()
    assert exc.value.length == 9


@pytest.mark.parametrize(
    "raw, text",
    [
        (frame(PING, b"abc", fin=False), "invalid websocket control frame received: opcode=9, fin=0, payload_length=3"),
        (frame(PONG, b"x" * 126), "invalid websocket control frame received: opcode=10, fin=1, payload_length=126"),
        (frame(CLOSE, b"", fin=False), "invalid websocket control frame received: opcode=8, fin=0, payload_length=0"),
    ],
)
def test_invalid_control_frames(raw: bytes, text: str, caplog: pytest.LogCaptureFixture) -> None:
    asm = MessageAssembler()
    asm.feed(frame(TEXT, b"a", fin=False) + raw + frame(CONT, b"b"))
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        assert asm.next_event() == ProtocolError(ERR_INVALID_CONTROL_FRAME, text)
    assert caplog.messages == [text]
    assert asm.next_event() == Message(TEXT, b"ab", FIN)


def test_compressed_fragmented_message_like_send_more_continue_frame() -> None:
    # Upstream test send_more_continue_frame: one deflate context per message, RSV1 on the
    # first frame only, sync-flushed parts, ZLIB_FINISH on the last one.
    d1, d2, d3 = (os.urandom(n).hex().encode() for n in (10 * 1024, 20 * 2048, 40 * 4096))
    wire = b""
    for parts, flushes in (
        ((d1, d2, d2, d2, d3), [zlib.Z_SYNC_FLUSH] * 4 + [zlib.Z_FINISH]),
        ((d2, d1, d3), [zlib.Z_NO_FLUSH, zlib.Z_NO_FLUSH, zlib.Z_FINISH]),
    ):
        ctx = zlib.compressobj(-1, zlib.DEFLATED, -15)
        for i, (part, fl) in enumerate(zip(parts, flushes)):
            chunk = ctx.compress(part) + (ctx.flush(fl) if fl != zlib.Z_NO_FLUSH else b"")
            last = i == len(parts) - 1
            wire += frame(TEXT if i == 0 else CONT, chunk, fin=last, rsv1=i == 0)
    asm = MessageAssembler(package_max_length=100 * 1024 * 1024)
    for i in range(0, len(wire), 4096):
        asm.feed(wire[i : i + 4096])
    assert events(asm) == [
        Message(TEXT, d1 + d2 + d2 + d2 + d3, FIN | RSV1),
        Message(TEXT, d2 + d1 + d3, FIN | RSV1),
    ]


def test_inflate_failure_events() -> None:
    asm = MessageAssembler()
    asm.feed(frame(TEXT, b"\xff\xff\xff", rsv1=True))
    ev = asm.next_event()
    assert ev == ProtocolError(ERR_INFLATE_FAILED, "inflate() failed, Error: data error[-3]", php_warning=True)
    # Fragmented: the buffer is dropped after the failure.
    asm.feed(frame(TEXT, b"\xff", fin=False, rsv1=True) + frame(CONT, b"\xff"))
    ev = asm.next_event()
    assert isinstance(ev, ProtocolError) and ev.kind == ERR_INFLATE_FAILED
    assert not asm.in_message
    # An empty compressed payload fails like upstream's Z_BUF_ERROR.
    asm.feed(frame(TEXT, b"", rsv1=True))
    ev = asm.next_event()
    assert ev == ProtocolError(ERR_INFLATE_FAILED, "inflate() failed, Error: buffer error[-5]", php_warning=True)


def test_rsv1_inflated_without_negotiation_and_rsv1_on_continuation_ignored() -> None:
    asm = MessageAssembler()
    # RSV1 on a continuation frame is irrelevant: only the first frame's flags count.
    asm.feed(frame(BINARY, b"raw-", fin=False) + frame(CONT, b"bytes", rsv1=True))
    assert asm.next_event() == Message(BINARY, b"raw-bytes", FIN)


def test_next_event_none_until_complete_and_fatal_errors_propagate() -> None:
    asm = MessageAssembler()
    data = frame(TEXT, b"x" * 200)
    asm.feed(data[:50])
    assert asm.next_event() is None
    asm.feed(data[50:])
    assert asm.next_event() == Message(TEXT, b"x" * 200, FIN)
    asm.feed(b"\x82\x7f" + struct.pack("!Q", 1 << 63))
    with pytest.raises(FrameLengthInvalid):
        asm.next_event()


def test_reset_forgets_partial_message() -> None:
    asm = MessageAssembler()
    asm.feed(frame(TEXT, b"a", fin=False))
    assert asm.next_event() is None
    asm.reset()
    assert not asm.in_message
