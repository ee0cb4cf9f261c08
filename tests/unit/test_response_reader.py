"""``ResponseReader`` (sans I/O): the Content-Length fast path gives the same results as h11.

Once h11 has parsed the head and drained its buffer, the rest of a Content-Length body is
counted in ``feed()`` instead of passing through h11; these tests pin the observable results
(body, completion, errors) across every way the bytes can be split.
"""

from __future__ import annotations

import pytest

from swoole_compat._protocol.response import ECONNRESET, ResponseError, ResponseReader

BODY = bytes(range(256)) * 40  # 10240 bytes


def _head(*lines: str, status: str = "200 OK", version: str = "HTTP/1.1") -> bytes:
    return (f"{version} {status}\r\n" + "".join(f"{line}\r\n" for line in lines) + "\r\n").encode()


def _run(chunks: list[bytes], method: str = "GET", eof: bool = False) -> tuple[ResponseReader, bytes]:
    reader = ResponseReader(method)
    pieces: list[bytes] = []
    for data in chunks:
        if reader.complete:
            break
        pieces += reader.feed(data)
    if eof and not reader.complete:
        pieces += reader.feed_eof()
    return reader, b"".join(bytes(p) for p in pieces)


def _splits(wire: bytes, step: int) -> list[list[bytes]]:
    """The wire split once at every ``step``-th offset, plus a split into ``step``-byte reads."""
    out = [[wire[:i], wire[i:]] for i in range(1, len(wire), step)]
    out.append([wire[i : i + step] for i in range(0, len(wire), step)])
    return out


@pytest.mark.parametrize("step", [1, 97, 4096])
def test_content_length_body_any_split(step: int) -> None:
    wire = _head(f"Content-Length: {len(BODY)}") + BODY
    for chunks in _splits(wire, step if step > 1 else 7):
        reader, body = _run(chunks)
        assert reader.complete and reader.status == 200
        assert body == BODY


def test_bytes_after_the_body_are_not_part_of_it() -> None:
    wire = _head(f"Content-Length: {len(BODY)}") + BODY + b"HTTP/1.1 200 OK\r\n"
    for chunks in _splits(wire, 1531):
        reader, body = _run(chunks)
        assert reader.complete
        assert body == BODY


def test_cut_short_keep_alive_body_is_econnreset() -> None:
    wire = _head(f"Content-Length: {len(BODY)}") + BODY[:5000]
    for chunks in _splits(wire, 613):
        with pytest.raises(ResponseError) as info:
            _run(chunks, eof=True)
        assert info.value.code == ECONNRESET


def test_cut_short_close_body_is_truncated_success() -> None:
    wire = _head(f"Content-Length: {len(BODY)}", "Connection: close") + BODY[:5000]
    for chunks in _splits(wire, 613):
        reader, _ = _run(chunks, eof=True)
        assert reader.complete and reader.truncated_success


@pytest.mark.parametrize(
    ("method", "status"), [("HEAD", "200 OK"), ("GET", "204 No Content"), ("GET", "304 Not Modified")]
)
def test_responses_without_body_ignore_content_length(method: str, status: str) -> None:
    wire = _head(f"Content-Length: {len(BODY)}", status=status)
    reader, body = _run([wire], method=method)
    assert reader.complete and body == b""


def test_zero_length_and_chunked_bodies() -> None:
    reader, body = _run([_head("Content-Length: 0")])
    assert reader.complete and body == b""
    chunked = _head("Transfer-Encoding: chunked") + b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
    for chunks in _splits(chunked, 3):
        reader, body = _run(chunks)
        assert reader.complete and body == b"hello world"


def test_interim_response_before_the_final_one() -> None:
    wire = _head(status="100 Continue") + _head(f"Content-Length: {len(BODY)}") + BODY
    for chunks in _splits(wire, 2011):
        reader, body = _run(chunks)
        assert reader.complete and reader.status == 200 and body == BODY
