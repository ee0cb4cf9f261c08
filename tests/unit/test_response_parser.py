"""``ResponseParser`` (sans I/O): Swoole's llhttp callbacks and the parsing half of
``Client::recv_response``, driven from bytes.

Each test names the upstream branch or the llhttp 9.3.0 rule it pins (issue "llhttp +
connection layer", point 3: observed on Swoole 6.2.1 on loopback).
"""

from __future__ import annotations

import pytest

from swoole_compat._protocol.response import (
    ECONNRESET,
    HEAD_MAX_SIZE,
    SW_ERROR_HTTP_INVALID_PROTOCOL,
    ResponseError,
    ResponseParser,
)

BODY = bytes(range(256)) * 40  # 10240 bytes


def _head(*lines: str, status: str = "200 OK", version: str = "HTTP/1.1") -> bytes:
    return (f"{version} {status}\r\n" + "".join(f"{line}\r\n" for line in lines) + "\r\n").encode()


def _run(
    chunks: list[bytes], method: str = "GET", eof: bool = False, lowercase: bool = True
) -> tuple[ResponseParser, bytes]:
    parser = ResponseParser(method, lowercase=lowercase)
    pieces: list[bytes] = []
    for data in chunks:
        if parser.complete:
            break
        pieces += parser.feed(data)
    if eof and not parser.complete:
        pieces += parser.feed_eof()
    return parser, b"".join(bytes(p) for p in pieces)


def _fails(chunks: list[bytes], code: int = SW_ERROR_HTTP_INVALID_PROTOCOL, **kwargs: object) -> ResponseParser:
    parser = ResponseParser(str(kwargs.get("method", "GET")))
    with pytest.raises(ResponseError) as info:
        for data in chunks:
            parser.feed(data)
        if kwargs.get("eof"):
            parser.feed_eof()
    assert info.value.code == code
    return parser


def _splits(wire: bytes, step: int) -> list[list[bytes]]:
    """The wire split once at every ``step``-th offset, plus a split into ``step``-byte reads."""
    out = [[wire[:i], wire[i:]] for i in range(1, len(wire), step)]
    out.append([wire[i : i + step] for i in range(0, len(wire), step)])
    return out


# -- header values (http_parser_on_header_value) ----------------------------------------------
def test_trailing_whitespace_kept_leading_dropped() -> None:
    """llhttp: OWS before a value is skipped, after it kept (``X: v  `` → ``v  ``)."""
    parser, _ = _run([b"HTTP/1.1 200 OK\r\nX: v \t\r\nY: \t lead\r\nContent-Length: 0\r\n\r\n"])
    assert parser.complete
    assert parser.headers == {"x": "v \t", "y": "lead", "content-length": "0"}


def test_obs_fold_is_7102_keeping_the_first_line() -> None:
    """An obs-fold continuation line: llhttp error; the folded header keeps its first line."""
    parser = _fails([b"HTTP/1.1 200 OK\r\nA: 1\r\nX: first\r\n second\r\nContent-Length: 0\r\n\r\n"])
    assert parser.headers == {"a": "1", "x": "first"}


def test_nul_in_value_is_7102_keeping_the_part_before() -> None:
    """A NUL in a value: error; Swoole's on_header_value already added ``a`` of ``a\\0b``."""
    parser = _fails([b"HTTP/1.1 200 OK\r\nA: 1\r\nX: a\x00b\r\nB: 2\r\n\r\n"])
    assert parser.headers == {"a": "1", "x": "a"}


def test_nul_at_value_start_keeps_an_empty_value() -> None:
    """The value span was delivered empty before the error: the header exists, empty."""
    parser = _fails([b"HTTP/1.1 200 OK\r\nX: \x00\r\n\r\n"])
    assert parser.headers == {"x": ""}


def test_non_ascii_values_kept() -> None:
    parser, _ = _run([b"HTTP/1.1 200 OK\r\nX: caf\xc3\xa9 \xff\r\nContent-Length: 0\r\n\r\n"])
    assert parser.headers is not None
    assert parser.headers["x"].encode("utf-8", "surrogateescape") == b"caf\xc3\xa9 \xff"


def test_lf_only_line_inside_crlf_head_is_7102() -> None:
    parser = _fails([b"HTTP/1.1 200 OK\r\nA: 1\nB: 2\r\nContent-Length: 0\r\n\r\n"])
    assert parser.headers == {"a": "1"}


def test_bare_lf_head_never_starts_parsing() -> None:
    """No ``\\r\\n\\r\\n``: the receive loop keeps waiting (EOF then is 104, nothing parsed)."""
    parser = ResponseParser("GET")
    assert parser.feed(b"HTTP/1.1 200 OK\nContent-Length: 2\n\nhi") == []
    assert not parser.head_done and parser.headers is None
    with pytest.raises(ResponseError) as info:
        parser.feed_eof()
    assert info.value.code == ECONNRESET


def test_head_outgrowing_the_read_buffer_is_7102() -> None:
    """``buffer->length == buffer->size`` before ``\\r\\n\\r\\n``: "Http header too large"."""
    parser = ResponseParser("GET")
    parser.feed(b"HTTP/1.1 200 OK\r\n")
    with pytest.raises(ResponseError) as info:
        parser.feed(b"X: " + b"a" * HEAD_MAX_SIZE)
    assert info.value.code == SW_ERROR_HTTP_INVALID_PROTOCOL


def test_head_end_within_the_buffer_is_parsed() -> None:
    big = "X: " + "a" * (HEAD_MAX_SIZE - 100)
    parser, _ = _run([_head(big, "Content-Length: 0")[: HEAD_MAX_SIZE - 10]] + [_head(big, "Content-Length: 0")[HEAD_MAX_SIZE - 10 :]])
    assert parser.complete and parser.headers is not None and len(parser.headers["x"]) == HEAD_MAX_SIZE - 100


def test_status_with_leading_zero() -> None:
    parser, _ = _run([b"HTTP/1.1 099 OK\r\nContent-Length: 0\r\n\r\n"])
    assert parser.complete and parser.status_code == 99


@pytest.mark.parametrize("lowercase", [True, False])
def test_repeated_headers_become_lists(lowercase: bool) -> None:
    parser, _ = _run([_head("Set-Cookie: a=1", "Set-Cookie: b=2", "Content-Length: 0")], lowercase=lowercase)
    name = "set-cookie" if lowercase else "Set-Cookie"
    assert parser.headers is not None and parser.headers[name] == ["a=1", "b=2"]
    # Swoole compares with lower-case literals: without lowercasing no cookie is taken (Q8).
    assert parser.set_cookies == (["a=1", "b=2"] if lowercase else [])


def test_special_headers_match_case_insensitively_by_prefix() -> None:
    """SW_STR_ISTARTS_WITH: Content-Type, Connection, Content-Encoding are prefix matches."""
    parser, _ = _run([_head("Content-Type: Text/Event-Stream; x", "Connection: CLOSE", "Content-Length: 0")])
    assert parser.event_stream and parser.connection_close is True


def test_content_encoding_kept_when_a_later_value_matches_nothing() -> None:
    """``compress_method`` is only set by a matching value: ``identity`` after ``gzip`` keeps gzip."""
    parser, _ = _run([_head("Content-Encoding: GZip", "Content-Encoding: identity", "Content-Length: 0")])
    assert parser.encoding == "gzip"
    parser, _ = _run([_head("Content-Encoding: x-br", "Content-Length: 0")])
    assert parser.encoding is None


# -- framing -------------------------------------------------------------------------------------
@pytest.mark.parametrize("step", [1, 97, 4096])
def test_content_length_body_any_split(step: int) -> None:
    wire = _head(f"Content-Length: {len(BODY)}") + BODY
    for chunks in _splits(wire, step if step > 1 else 7):
        parser, body = _run(chunks)
        assert parser.complete and parser.status_code == 200
        assert body == BODY


def test_bytes_after_the_body_are_not_part_of_it() -> None:
    wire = _head(f"Content-Length: {len(BODY)}") + BODY + b"HTTP/1.1 200 OK\r\n"
    for chunks in _splits(wire, 1531):
        parser, body = _run(chunks)
        assert parser.complete
        assert body == BODY
        assert parser.trailing_data == b""


def test_cut_short_keep_alive_body_is_econnreset() -> None:
    wire = _head(f"Content-Length: {len(BODY)}") + BODY[:5000]
    for chunks in _splits(wire, 613):
        parser = _fails(chunks, ECONNRESET, eof=True)
        assert parser.headers == {"content-length": str(len(BODY))}


def test_cut_short_close_body_is_a_truncated_success() -> None:
    """EOF, ``!llhttp_should_keep_alive``: ``llhttp_finish`` (its error ignored), success."""
    parser, _ = _run([_head(f"Content-Length: {len(BODY)}", "Connection: close") + BODY[:5000]], eof=True)
    assert parser.truncated and not parser.status_published


def test_read_until_close_body() -> None:
    parser, body = _run([b"HTTP/1.1 200 OK\r\n\r\n", BODY[:3000], BODY[3000:]], eof=True)
    assert parser.complete and parser.status_published and body == BODY
    assert parser.headers is None  # no header line: the property stays null


def test_http10_body_until_close() -> None:
    parser, body = _run([b"HTTP/1.0 200 OK\r\nX: 1\r\n\r\nabc"], eof=True)
    assert parser.complete and body == b"abc"


@pytest.mark.parametrize(
    "lines",
    [
        ["Content-Length: 5", "Content-Length: 5"],
        ["Content-Length: 5", "Content-Length: 6"],
        ["Content-Length: 5, 5"],
        ["Content-Length: 5", "Transfer-Encoding: chunked"],
        ["Transfer-Encoding: chunked", "Content-Length: 5"],
    ],
)
def test_conflicting_lengths_are_7102_keeping_earlier_headers(lines: list[str]) -> None:
    parser = _fails([_head("A: 1", *lines, "B: 2") + b"hello"])
    assert parser.headers is not None and parser.headers["a"] == "1" and "b" not in parser.headers


def test_head_and_204_have_no_body() -> None:
    parser, body = _run([_head("Content-Length: 5") + b"hello"], method="head")
    assert parser.complete and body == b""
    parser, body = _run([_head("Content-Length: 5", status="204 No Content") + b"hello"])
    assert parser.complete and body == b""
    parser, body = _run([_head("Content-Length: 5", status="304 Not Modified")])
    assert parser.complete and body == b""


# -- chunked -------------------------------------------------------------------------------------
def _chunked(*parts: bytes) -> bytes:
    return _head("Transfer-Encoding: chunked") + b"".join(parts)


@pytest.mark.parametrize("step", [1, 5, 64])
def test_chunk_size_upper_hex_leading_zeros_and_quoted_extension(step: int) -> None:
    wire = _chunked(b'00A;name="v a;l"\r\n0123456789\r\n', b"0000\r\n\r\n")
    for chunks in _splits(wire, step):
        parser, body = _run(chunks)
        assert parser.complete and body == b"0123456789"


@pytest.mark.parametrize(
    "chunk",
    [b"zz\r\nhello\r\n0\r\n\r\n", b"5 \r\nhello\r\n0\r\n\r\n", b"3\r\nhello\r\n0\r\n\r\n"],
    ids=["non-hex size", "space after size", "data longer than size"],
)
def test_bad_chunks_are_7102(chunk: bytes) -> None:
    _fails([_chunked(chunk)])


def test_trailers_are_headers() -> None:
    parser, body = _run([_chunked(b"5\r\nhello\r\n0\r\nSet-Cookie: t=1\r\nX-T: y\r\n\r\n")])
    assert parser.complete and body == b"hello"
    assert parser.headers == {"transfer-encoding": "chunked", "set-cookie": "t=1", "x-t": "y"}
    assert parser.set_cookies == ["t=1"]


def test_trailer_split_across_reads_is_whole() -> None:
    """Swoole's callbacks would add a trailer split across reads as two headers (data
    corruption); the pieces are joined here."""
    wire = _chunked(b"5\r\nhello\r\n0\r\nX-Trailer: abcdef\r\n\r\n")
    cut = wire.index(b"abc") + 2
    parser, _ = _run([wire[:cut], wire[cut:]])
    assert parser.headers is not None and parser.headers["x-trailer"] == "abcdef"


# -- interim, upgrade, event stream -------------------------------------------------------------
def test_interim_responses_are_skipped() -> None:
    """Deviation Q12: 1xx heads are stepped over, their headers forgotten."""
    wire = b"HTTP/1.1 100 Continue\r\nX: 1\r\n\r\nHTTP/1.1 103 Early\r\nLink: a\r\n\r\n" + _head("Content-Length: 1") + b"x"
    for chunks in _splits(wire, 11):
        parser, body = _run(chunks)
        assert parser.complete and parser.status_code == 200 and body == b"x"
        assert parser.headers == {"content-length": "1"}


def test_endless_interim_heads_hit_the_head_limit() -> None:
    """S13: skipped interim heads share the 64 KiB with the final head."""
    parser = ResponseParser("GET")
    with pytest.raises(ResponseError) as info:
        for _ in range(HEAD_MAX_SIZE // 10):
            parser.feed(b"HTTP/1.1 100 Continue\r\n\r\n")
    assert info.value.code == SW_ERROR_HTTP_INVALID_PROTOCOL


_WS_101 = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"


def test_websocket_101_keeps_more_than_two_trailing_bytes() -> None:
    parser, _ = _run([_WS_101 + b"\x81\x01a"])
    assert parser.complete and parser.websocket and parser.status_published
    assert parser.trailing_data == b"\x81\x01a"


def test_websocket_101_drops_a_two_byte_frame_glued_to_it() -> None:
    """``retval > parsed_n + SW_WEBSOCKET_HEADER_LEN``: an empty frame (2 bytes) is lost."""
    parser, _ = _run([_WS_101 + b"\x89\x00"])
    assert parser.complete and parser.websocket and parser.trailing_data == b""


def test_other_101_is_complete_without_status() -> None:
    """``parser.upgrade && !websocket``: "not support, continue", statusCode not updated (Q13)."""
    parser, _ = _run([b"HTTP/1.1 101 S\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\nPRI *"])
    assert parser.complete and not parser.websocket and not parser.status_published
    assert parser.trailing_data == b""


def test_101_without_connection_upgrade_publishes_its_status() -> None:
    """Without ``Connection: upgrade`` llhttp's ``upgrade`` flag is off: statusCode 101."""
    parser, _ = _run([b"HTTP/1.1 101 S\r\nUpgrade: websocket\r\n\r\n"])
    assert parser.complete and parser.websocket and parser.status_published


def test_upgrade_token_needs_lowercase_name() -> None:
    parser, _ = _run([_WS_101], lowercase=False)
    assert not parser.websocket


def test_unframed_event_stream_completes_after_its_first_read() -> None:
    """Replicate Q20: ``event_stream && llhttp_message_needs_eof`` → ``llhttp_finish``."""
    parser, body = _run([_head("Content-Type: text/event-stream") + b"data: 1\n\n", b"data: 2\n\n"])
    assert parser.complete and body == b"data: 1\n\n"


def test_framed_event_stream_reads_to_its_length() -> None:
    parser, body = _run([_head("Content-Type: text/event-stream", "Content-Length: 18") + b"data: 1\n\n", b"data: 2\n\n"])
    assert parser.complete and body == b"data: 1\n\ndata: 2\n\n"


def test_garbage_status_line_is_7102() -> None:
    _fails([b"HTTP/2 200\r\n\r\n"])
    _fails([b"NOTHTTP 200 OK\r\n\r\n"])


def test_eof_before_the_head_end_is_104() -> None:
    _fails([b"HTTP/1.1 200 OK\r\nX: 1\r\n"], ECONNRESET, eof=True)
    _fails([], ECONNRESET, eof=True)


def test_body_due_counts_down() -> None:
    parser = ResponseParser("GET")
    parser.feed(_head("Content-Length: 100") + b"x" * 30)
    assert parser.body_due() == 70
    parser.feed_body_in_place(b"x" * 100, 30)
    assert parser.complete
