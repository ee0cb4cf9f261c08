"""``swoole_compat.websocket.Frame`` / ``CloseFrame`` against websocket.md §5.3–5.4."""

from __future__ import annotations

import logging
import warnings

import pytest

from swoole_compat._protocol.frames import FIXED_MASK_KEY, deflate_message, encode_frame
from swoole_compat.errors import SwooleWarning
from swoole_compat.websocket import CloseFrame, Frame, construct_frame, frame_object, pack_frame

FIN, COMPRESS, RSV1, RSV2, RSV3, MASK = 1, 2, 4, 8, 16, 32
CONT, TEXT, BINARY, CLOSE, PING, PONG = 0, 1, 2, 8, 9, 10
LOGGER = "swoole_compat"


# ------------------------------------------------------------------------------------------
# fields and defaults (§5.1)
# ------------------------------------------------------------------------------------------


def test_frame_defaults() -> None:
    f = Frame()
    assert (f.fd, f.data, f.opcode, f.flags, f.finish) == (0, b"", 1, 1, None)
    assert not hasattr(f, "code")


def test_close_frame_defaults() -> None:
    f = CloseFrame()
    assert isinstance(f, Frame)
    assert (f.fd, f.data, f.opcode, f.flags, f.finish, f.code, f.reason) == (0, b"", 8, 1, None, 1000, b"")


def test_str_not_overridden() -> None:
    assert str(Frame()).startswith("Frame(")  # D14: bytes(frame) packs, str() does not


# ------------------------------------------------------------------------------------------
# Frame.pack (§5.3)
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, expected",
    [
        (("abc",), "8103616263"),
        (("abc", BINARY, 0), "0203616263"),
        (("abc", TEXT, FIN | MASK), "81833235384553575b"),
        (("hello hello hello", TEXT, FIN | COMPRESS), "c10bca48cdc9c957c840900000"),
        (("", TEXT, FIN | COMPRESS), "8100"),
        (("x", PING, 0), "890178"),
        (("x", CLOSE), "8803000078"),
        ((b"abc", TEXT, True), "8103616263"),  # bool flags → 1
        (("x", 256), "8001" + "78"),  # opcode truncated to 8 bits → continuation
        ((None,), "8100"),
        ((123,), "8103313233"),  # PHP string conversion
    ],
)
def test_pack_vectors(args: tuple, expected: str) -> None:
    assert Frame.pack(*args).hex() == expected


@pytest.mark.parametrize(
    "args, message",
    [
        (("x", 11), "opcode must be between 0 and 10"),
        (("x", -1), "opcode must be between 0 and 10"),
        (("x" * 126, PING), "websocket control frame payload must not exceed 125 bytes"),
        (("r" * 124, CLOSE), "the max length of close reason is 123"),
    ],
)
def test_pack_failures_warn_and_return_empty(args: tuple, message: str) -> None:
    with pytest.warns(SwooleWarning) as rec:
        assert Frame.pack(*args) == b""
    assert [str(w.message) for w in rec] == [f"Swoole\\WebSocket\\Frame::pack(): {message}"]
    assert rec[0].filename == __file__  # attributed to the caller


def test_bytes_of_frames() -> None:
    assert bytes(Frame()).hex() == "8100"
    assert bytes(CloseFrame()).hex() == "880203e8"
    assert bytes(CloseFrame(code=1001, reason="r")).hex() == "880303e972"
    f = Frame(data="zz", opcode=2, flags=0, finish=None)
    assert bytes(f).hex() == "02027a7a"
    assert Frame.pack(f).hex() == "02027a7a"
    f.finish = True
    assert Frame.pack(f, 1, 0).hex() == "82027a7a"  # object fields win over arguments


def test_bytes_warning_prefix() -> None:
    with pytest.warns(SwooleWarning, match=r"^Swoole\\WebSocket\\Frame::__toString\(\): opcode must be"):
        assert bytes(Frame(opcode=12)) == b""


def test_pack_frame_object_rules() -> None:
    # finish False clears FIN even when flags has it; flags masked with FLAGS_ALL
    assert Frame.pack(Frame(data="a", flags=FIN | 64, finish=False)).hex() == "010161"
    # finish truthy in the PHP sense
    assert Frame.pack(Frame(data="a", flags=0, finish="yes")).hex() == "810161"
    assert Frame.pack(Frame(data="a", flags=FIN, finish="0")).hex() == "010161"
    # opcode None → 0 (PHP (int)null)
    assert Frame.pack(Frame(data="a", opcode=None)).hex() == "800161"
    # data None → empty payload
    assert Frame.pack(Frame(data=None)).hex() == "8100"
    # RSV2/RSV3 never written; MASK uses 258E
    assert Frame.pack(Frame(data="abc", flags=FIN | RSV2 | RSV3 | MASK)).hex() == "81833235384553575b"


def test_pack_plain_frame_with_close_opcode() -> None:
    # A Frame (not CloseFrame) with opcode 8: code missing → 1000, reason missing → empty;
    # data is not used for CLOSE.
    assert Frame.pack(Frame(data="ignored", opcode=CLOSE)).hex() == "880203e8"
    f = Frame(opcode=CLOSE)
    f.code, f.reason = 4000, b"bye"
    assert bytes(f).hex() == "88050fa0627965"
    c = CloseFrame(code=None, reason=None)
    assert bytes(c).hex() == "880203e8"


def test_close_frame_code_truncated_and_reason_limit() -> None:
    assert bytes(CloseFrame(code=65536 + 1000)).hex() == "880203e8"
    assert len(bytes(CloseFrame(reason="r" * 123))) == 127
    with pytest.warns(SwooleWarning, match="the max length of close reason is 123"):
        assert bytes(CloseFrame(reason="r" * 124)) == b""


def test_compressed_pack_and_control_frames_never_compressed() -> None:
    out = Frame.pack("compress me compress me", TEXT, FIN | COMPRESS)
    assert out[0] == 0xC1 and out[2:] == deflate_message(b"compress me compress me")
    # never compressed, but a caller's RSV1 stays (upstream's sw_unset_bit macro quirk)
    assert Frame.pack("p", PONG, FIN | COMPRESS | RSV1).hex() == "ca0170"
    assert Frame.pack("p", PONG, FIN | COMPRESS).hex() == "8a0170"
    # Non-FIN data frame: not compressed, RSV1 as given
    assert Frame.pack("ab", TEXT, COMPRESS).hex() == "01026162"
    assert Frame.pack("ab", TEXT, RSV1).hex() == "41026162"


def test_array_data_converts_with_php_warning() -> None:
    with pytest.warns(SwooleWarning, match="Array to string conversion"):
        assert Frame.pack(["a"]).hex() == "8105" + b"Array".hex()


# ------------------------------------------------------------------------------------------
# frame_object / pack_frame as used by push()
# ------------------------------------------------------------------------------------------


def test_frame_object_plain_and_frame() -> None:
    fo = frame_object("bye", CLOSE, FIN, 1000)
    assert (fo.opcode, fo.flags, fo.data, fo.code) == (8, 1, "bye", 1000)
    fo = frame_object(Frame(data="fr", opcode=BINARY, finish=False), PING, 0, 1000)
    assert (fo.opcode, fo.flags, fo.data) == (2, 0, "fr")
    fo = frame_object(CloseFrame(code=1001, reason="r"), TEXT, FIN, 1000)
    assert (fo.opcode, fo.flags, fo.data, fo.code) == (8, 1, "r", 1001)
    fo = frame_object("x", 256 + 9, 0xFF, 70000)
    assert (fo.opcode, fo.flags, fo.code) == (9, 63, 70000 & 0xFFFF)


def test_pack_frame_push_vectors() -> None:
    key = FIXED_MASK_KEY
    # push(Frame(data='fr', opcode=BINARY, finish=False), 9, 0) with websocket_mask on
    assert pack_frame(Frame(data="fr", opcode=BINARY, finish=False), PING, 0, 1000,
                      where="x", mask_key=key, add_flags=MASK).hex() == "0282323538455447"
    # push('bye', CLOSE) → code 1000
    assert pack_frame("bye", CLOSE, FIN, 1000, where="x", mask_key=None).hex() == "880503e8627965"
    # disconnect(1001, 'gone')
    assert pack_frame("gone", CLOSE, FIN, 1001, where="x", mask_key=key,
                      add_flags=MASK).hex() == "88863235384531dc5f2a5c50"
    # compression negotiated: COMPRESS added automatically
    assert pack_frame("hello hello hello hello", TEXT, FIN, 1000, where="x", mask_key=key,
                      add_flags=MASK | COMPRESS).hex() == "c18b32353845f87df58cfb62f005153438"


def test_pack_frame_random_key_and_failure() -> None:
    a = pack_frame("abc", TEXT, FIN, 1000, where="w", mask_key=None, add_flags=MASK)
    assert a is not None and a[:2].hex() == "8183"
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        assert pack_frame("x", 11, FIN, 1000, where="Swoole\\Coroutine\\Http\\Client::push", mask_key=None) is None
    assert [str(w.message) for w in rec] == [
        "Swoole\\Coroutine\\Http\\Client::push(): opcode must be between 0 and 10"
    ]


# ------------------------------------------------------------------------------------------
# Frame.unpack (§5.4)
# ------------------------------------------------------------------------------------------


def _fields(f: Frame) -> dict:
    return dict(vars(f))


def test_unpack_vectors() -> None:
    f = Frame.unpack(bytes.fromhex("8203616263"))
    assert type(f) is Frame
    assert _fields(f) == {"fd": 0, "data": b"abc", "opcode": 2, "flags": 1, "finish": True}

    c = Frame.unpack(bytes.fromhex("88050fa0627965"))
    assert type(c) is CloseFrame
    assert (c.code, c.reason, c.data, c.opcode, c.flags, c.finish) == (4000, b"bye", b"", 8, 1, True)

    c = Frame.unpack(bytes.fromhex("8800"))
    assert type(c) is CloseFrame and (c.code, c.reason) == (1000, b"")

    c = Frame.unpack(bytes.fromhex("880103"))  # 1-byte close payload: defaults kept
    assert (c.code, c.reason) == (1000, b"")

    f = Frame.unpack(bytes.fromhex("81833235384553575b"))
    assert (f.data, f.flags, f.opcode) == (b"abc", 33, 1)

    f = Frame.unpack(Frame.pack("compressed text!", 1, 3))
    assert (f.data, f.flags, f.finish) == (b"compressed text!", 7, True)

    f = Frame.unpack(bytes.fromhex("8303616263"))
    assert (f.opcode, f.data) == (3, b"abc")

    f = Frame.unpack(bytes.fromhex("0203616263"))
    assert (f.flags, f.finish) == (0, False)

    # RSV1..3 reported; RSV1 → inflate.  "abc" starts a final stored block that is cut
    # short: zlib returns what it has (nothing) without an error, as upstream's Z_OK.
    f = Frame.unpack(bytes.fromhex("f103616263"))
    assert (f.data, f.flags) == (b"", FIN | COMPRESS | RSV1 | RSV2 | RSV3)


def test_unpack_rsv_bits_reported() -> None:
    f = Frame.unpack(encode_frame(TEXT, b"abc", fin=True, rsv2=True, rsv3=True, mask=False))
    assert f.flags == FIN | RSV2 | RSV3


def test_unpack_trailing_bytes_ignored_and_str_input() -> None:
    assert Frame.unpack(bytes.fromhex("8203616263") + b"junk").data == b"abc"
    f = Frame.unpack("\x01\x02hi")  # str is converted like a PHP string (UTF-8)
    assert (f.data, f.finish) == (b"hi", False)


def test_unpack_too_short_silent(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger=LOGGER):
        assert Frame.unpack(b"") is False
        assert Frame.unpack(b"\x81") is False
    assert caplog.records == []


def test_unpack_incomplete_logs(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        assert Frame.unpack(bytes.fromhex("8105616263")) is False
        assert Frame.unpack(b"\x81\x7e\x00") is False
    assert caplog.messages == [
        "incomplete packet, expected length is 7, actual length is 5",
        "incomplete packet, expected length is 0, actual length is 3",
    ]


def test_unpack_invalid_control_logs(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        assert Frame.unpack(bytes.fromhex("0903616263")) is False
    assert caplog.messages == ["invalid websocket control frame received: opcode=9, fin=0, payload_length=3"]


def test_unpack_masked_compressed_is_unmasked_first() -> None:
    # Deviation W15: upstream would inflate the still-masked bytes.
    wire = Frame.pack("masked and compressed", TEXT, FIN | COMPRESS | MASK)
    f = Frame.unpack(wire)
    assert (f.data, f.flags) == (b"masked and compressed", FIN | COMPRESS | RSV1 | MASK)


def test_unpack_inflate_failure_warns() -> None:
    with pytest.warns(SwooleWarning) as rec:
        assert Frame.unpack(bytes.fromhex("c103ffffff")) is False
    assert [str(w.message) for w in rec] == [
        "Swoole\\WebSocket\\Frame::unpack(): inflate() failed, Error: data error[-3]"
    ]


def test_pack_unpack_roundtrip() -> None:
    for data, op, flags in [("x" * 70000, BINARY, FIN), ("y" * 300, TEXT, FIN | MASK), ("", PONG, FIN)]:
        f = Frame.unpack(Frame.pack(data, op, flags))
        assert (f.data, f.opcode) == (data.encode(), op)


# ------------------------------------------------------------------------------------------
# construct_frame (§5.2)
# ------------------------------------------------------------------------------------------


def test_construct_frame() -> None:
    f = construct_frame(TEXT, b"hi", FIN | RSV1, fd=7)
    assert _fields(f) == {"fd": 7, "data": b"hi", "opcode": 1, "flags": 7, "finish": True}
    c = construct_frame(CLOSE, b"\x03\xe9gone", FIN, fd=3)
    assert type(c) is CloseFrame
    assert (c.fd, c.code, c.reason, c.data, c.flags, c.finish) == (3, 1001, b"gone", b"", 1, True)
    f = construct_frame(PING, b"", FIN)
    assert (f.opcode, f.data, f.finish) == (9, b"", True)
    f = construct_frame(BINARY, b"", 0)
    assert f.finish is False
