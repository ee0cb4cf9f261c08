"""``ResponseReader`` fast paths against the plain h11 pipeline (differential tests).

The reader feeds h11 only the heads; Content-Length bodies and the data of chunked bodies are
cut out of the received bytes without h11, and a head byte-identical to one parsed before is
taken from the head memo. ``ResponseReader.fast_paths = False`` turns all of that off (every
byte through h11, as before these optimisations). Every observable result -- the pieces each
``feed()`` returns, the error code raised, the head attributes -- must be the same both ways,
for well-formed and malformed responses split into reads in every way, with and without EOF,
with the memo cold and warm.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from swoole_compat._protocol import response as response_mod
from swoole_compat._protocol.response import ResponseError, ResponseReader

ATTRS = (
    "status", "headers", "set_cookies", "encoding", "connection_close", "websocket", "ws_extensions",
    "event_stream", "keep_alive_response", "complete", "head_done", "truncated_success", "trailing_data",
    "chunked", "has_length",
)


class PlainReader(ResponseReader):
    __slots__ = ()
    fast_paths = False


def _observe(cls: type[ResponseReader], chunks: list[bytes], eof: bool, **kwargs: Any) -> list[Any]:
    method = kwargs.pop("method", "GET")
    reader = cls(method, **kwargs)
    events: list[Any] = []
    try:
        for data in chunks:
            if reader.complete:
                break
            events.append([bytes(p) for p in reader.feed(data)])
        if eof and not reader.complete:
            events.append([bytes(p) for p in reader.feed_eof()])
    except ResponseError as exc:
        events.append(("error", exc.code))
    events.append({name: getattr(reader, name) for name in ATTRS})
    return events


def _check(chunks: list[bytes], eof: bool = False, **kwargs: Any) -> list[Any]:
    expected = _observe(PlainReader, chunks, eof, **dict(kwargs))
    cold = _observe(ResponseReader, chunks, eof, **dict(kwargs))  # memo possibly filled here
    warm = _observe(ResponseReader, chunks, eof, **dict(kwargs))  # memo hit if the head was kept
    assert cold == expected, (chunks, eof, kwargs)
    assert warm == expected, (chunks, eof, kwargs)
    return expected


def _splits(wire: bytes, rng: random.Random, count: int = 12) -> list[list[bytes]]:
    """Whole, cut once at random places, and cut into random small reads (never an empty
    read: the client feeds ``b""`` as ``feed_eof()``)."""
    return [[c for c in chunks if c] for chunks in _cuts(wire, rng, count)]


def _cuts(wire: bytes, rng: random.Random, count: int) -> list[list[bytes]]:
    out = [[wire]]
    for _ in range(count):
        cut = rng.randrange(0, len(wire) + 1)
        out.append([wire[:cut], wire[cut:]])
    for size in (1, 2, 3, 7):
        out.append([wire[i : i + size] for i in range(0, len(wire), size)] if len(wire) < 400 else [wire])
    pieces, i = [], 0
    while i < len(wire):
        n = rng.randint(1, 40)
        pieces.append(wire[i : i + n])
        i += n
    out.append(pieces)
    return out


def _head(*lines: str, status: str = "200 OK", version: str = "HTTP/1.1") -> bytes:
    return (f"{version} {status}\r\n" + "".join(f"{line}\r\n" for line in lines) + "\r\n").encode()


NGINX = _head(
    "Server: nginx/1.22.1",
    "Date: Wed, 25 Nov 2026 20:56:35 GMT",
    "Content-Type: application/octet-stream",
    "Content-Length: 128",
    "Connection: keep-alive",
    'ETag: "6b074b7a-80"',
    "Accept-Ranges: bytes",
)


def _chunked(*chunks: bytes, last: bytes = b"0\r\n\r\n") -> bytes:
    return b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks) + last


CHUNKED_HEAD = _head("Transfer-Encoding: chunked", "Set-Cookie: a=1", "Set-Cookie: b=2")

WIRES = {
    "nginx-small": NGINX + bytes(range(128)),
    "nginx-small-then-more": NGINX + bytes(range(128)) + b"HTTP/1.1 200 OK\r\n\r\n",
    "length-short": NGINX + bytes(100),
    "length-zero": _head("Content-Length: 0") + b"junk",
    "length-dup-equal": _head("Content-Length: 3", "Content-Length: 3") + b"abc",
    "length-list": _head("Content-Length: 3, 3") + b"abc",
    "length-and-chunked": _head("Content-Length: 3", "Transfer-Encoding: chunked") + b"3\r\nabc\r\n0\r\n\r\n",
    "length-close": _head("Content-Length: 50", "Connection: close") + b"x" * 20,
    "no-headers-close": b"HTTP/1.0 200 OK\r\n\r\nbare body",
    "read-until-close": _head("Content-Type: text/plain") + b"abc" * 50,
    "event-stream": _head("Content-Type: text/event-stream") + b"data: 1\n\n",
    "204-with-length": _head("Content-Length: 10", status="204 No Content") + b"0123456789",
    "304": _head("ETag: x", status="304 Not Modified"),
    "lowercase-headers": _head("X-A: 1", "x-a: 2", "X-A: 3", "Content-Encoding: GZIP", "Content-Length: 2") + b"hi",
    "obs-text": b"HTTP/1.1 200 OK\r\nX-Caf\xc3\xa9: 1\r\nX-V: caf\xe9\r\nContent-Length: 1\r\n\r\nz",
    "interim": _head(status="100 Continue") + _head(status="103 Early Hints") + NGINX + bytes(128),
    "bare-lf-head": b"HTTP/1.1 200 OK\nContent-Length: 3\n\nabc",
    "mixed-lf-head": b"HTTP/1.1 200 OK\r\nContent-Length: 3\n\r\nabc\r\n\r\n",
    "leading-crlf": b"\r\n" + NGINX + bytes(128),
    "bad-status": b"HTTP/1.1 2OO OK\r\nContent-Length: 1\r\n\r\nx",
    "bad-header": b"HTTP/1.1 200 OK\r\nBad Header: 1\r\nContent-Length: 1\r\n\r\nx",
    "unsolicited-101": _head("Upgrade: h2c", "Connection: Upgrade", status="101 Switching Protocols") + b"rest",
    "chunked-simple": CHUNKED_HEAD + _chunked(b"hello", b" ", b"world"),
    "chunked-one-big": CHUNKED_HEAD + _chunked(bytes(range(256)) * 9),
    "chunked-uppercase": CHUNKED_HEAD + b"A\r\n0123456789\r\n0\r\n\r\n",
    "chunked-leading-zeros": CHUNKED_HEAD + b"0005\r\nhello\r\n000\r\n\r\n",
    "chunked-twenty-digits": CHUNKED_HEAD + b"00000000000000000005\r\nhello\r\n0\r\n\r\n",
    "chunked-too-many-digits": CHUNKED_HEAD + b"000000000000000000005\r\nhello\r\n0\r\n\r\n",
    "chunked-extension": CHUNKED_HEAD + b"5;name=value\r\nhello\r\n3\r\nabc\r\n0\r\n\r\n",
    "chunked-extension-later": CHUNKED_HEAD + b"5\r\nhello\r\n3;x\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
    "chunked-trailing-space": CHUNKED_HEAD + b"5 \r\nhello\r\n0\r\n\r\n",
    "chunked-trailers": CHUNKED_HEAD + _chunked(b"abc", last=b"0\r\nX-Trailer: 1\r\nSet-Cookie: c=3\r\n\r\n"),
    "chunked-bad-size": CHUNKED_HEAD + b"5\r\nhello\r\nzz\r\nabc\r\n0\r\n\r\n",
    "chunked-bad-footer": CHUNKED_HEAD + b"5\r\nhelloXY3\r\nabc\r\n0\r\n\r\n",
    "chunked-half-bad-footer": CHUNKED_HEAD + b"5\r\nhello\rX3\r\nabc\r\n0\r\n\r\n",
    "chunked-lf-size": CHUNKED_HEAD + b"5\nhello\r\n0\r\n\r\n",
    "chunked-empty-size": CHUNKED_HEAD + b"\r\nhello\r\n0\r\n\r\n",
    "chunked-then-more": CHUNKED_HEAD + _chunked(b"abc") + b"HTTP/1.1 200 OK\r\n\r\n",
    "chunked-close-cut": _head("Transfer-Encoding: chunked", "Connection: close") + b"10\r\nabc",
    "chunked-cut": CHUNKED_HEAD + b"10\r\nabc",
    "chunked-cut-in-size": CHUNKED_HEAD + b"5\r\nhello\r\n1",
    "chunked-cut-in-footer": CHUNKED_HEAD + b"5\r\nhello\r",
    "chunked-long-line": CHUNKED_HEAD + b"5" + b" " * 70000 + b"\r\nhello\r\n0\r\n\r\n",
    "chunked-huge-size": CHUNKED_HEAD + b"FFFFFFFFFFFFFFFFFFFF\r\nabc",
    "chunked-http10": _head("Transfer-Encoding: chunked", version="HTTP/1.0") + _chunked(b"abc"),
    "chunked-gzip": _head("Transfer-Encoding: chunked", "Content-Encoding: gzip") + _chunked(b"\x1f\x8b", b"xyz"),
}


@pytest.fixture(autouse=True)
def _fresh_memo():
    response_mod._HEAD_MEMO.clear()
    yield
    response_mod._HEAD_MEMO.clear()


@pytest.mark.parametrize("name", sorted(WIRES))
def test_same_results_as_plain_h11(name: str) -> None:
    wire = WIRES[name]
    rng = random.Random(name)
    for chunks in _splits(wire, rng):
        for eof in (False, True):
            _check(chunks, eof)


@pytest.mark.parametrize("name", ["nginx-small", "chunked-simple", "chunked-trailers", "length-close", "204-with-length"])
@pytest.mark.parametrize(
    "kwargs",
    [{"method": "HEAD"}, {"method": "hEaD"}, {"lowercase": False}, {"upgrade_offer": True}, {"method": "POST"}],
)
def test_same_results_for_methods_and_options(name: str, kwargs: dict[str, Any]) -> None:
    wire = WIRES[name]
    for chunks in _splits(wire, random.Random(name), count=4):
        for eof in (False, True):
            _check(chunks, eof, **kwargs)


def test_upgrade_101_keeps_the_bytes_after_the_head() -> None:
    head = _head(
        "Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Accept: x", status="101 Switching Protocols"
    )
    for chunks in _splits(head + b"\x81\x02hi", random.Random(1)):
        result = _check(chunks, upgrade_offer=True)
        assert result[-1]["trailing_data"] == (b"\x81\x02hi" if len(chunks) == 1 else result[-1]["trailing_data"])
        assert result[-1]["websocket"] is True


def test_random_chunked_bodies() -> None:
    rng = random.Random(20261125)
    for _ in range(150):
        chunks = [rng.randbytes(rng.choice((1, 2, 5, 16, 300, 5000))) for _ in range(rng.randint(0, 6))]
        body = b""
        for c in chunks:
            size = b"%x" % len(c) if rng.random() < 0.8 else b"%X" % len(c)
            if rng.random() < 0.1:
                size += rng.choice((b";ext", b" ", b"\t"))
            body += size + b"\r\n" + c + b"\r\n"
        body += b"0\r\n" + (b"X-T: 1\r\n" if rng.random() < 0.3 else b"") + b"\r\n"
        wire = CHUNKED_HEAD + body
        if rng.random() < 0.15:  # corrupt one byte of the body
            i = rng.randrange(len(CHUNKED_HEAD), len(wire))
            wire = wire[:i] + bytes([rng.randrange(256)]) + wire[i + 1 :]
        cut = rng.randrange(len(wire) + 1) if rng.random() < 0.2 else len(wire)
        reads, i = [], 0
        while i < cut:
            n = rng.choice((1, 3, 17, 200, 4096, 100000))
            reads.append(wire[i : min(i + n, cut)])
            i += n
        _check(reads, eof=True)


def test_memo_hit_gives_fresh_containers() -> None:
    wire = _head("Set-Cookie: a=1", "Set-Cookie: b=2", "X-A: 1", "Content-Length: 2") + b"ok"
    first = ResponseReader("GET")
    first.feed(wire)
    first.headers["x-a"] = "changed"  # type: ignore[index]
    first.headers["set-cookie"].append("c=3")  # type: ignore[index]
    first.set_cookies.append("zzz")
    second = ResponseReader("GET")
    assert second.feed(wire) == [b"ok"] and second.complete
    assert second._memo_head is not None  # the memo was used
    assert second.headers == {"set-cookie": ["a=1", "b=2"], "x-a": "1", "content-length": "2"}
    assert second.set_cookies == ["a=1", "b=2"]
    assert second.headers is not first.headers


def test_memo_premature_eof_replays_the_head_through_h11() -> None:
    wire = _head("Content-Length: 10") + b"abc"
    _check([wire], eof=True)
    reader = ResponseReader("GET")
    assert reader.feed(wire) == [b"abc"]
    assert reader._memo_head is not None and reader._conn is None  # h11 not needed so far
    with pytest.raises(ResponseError) as info:
        reader.feed_eof()
    assert info.value.code == 104


def test_memo_is_bounded() -> None:
    for i in range(response_mod._HEAD_MEMO_MAX * 3):
        reader = ResponseReader("GET")
        reader.feed(_head(f"X-Id: {i}", "Content-Length: 1") + b"x")
        assert reader.complete
        assert len(response_mod._HEAD_MEMO) <= response_mod._HEAD_MEMO_MAX


# ------------------------------------------------------------------------------------------
# heads that differ only in their Date value share a memo entry
# ------------------------------------------------------------------------------------------

DATED_BASE = (
    "Server: nginx/1.22.1",
    "Content-Type: text/plain",
    "Content-Length: 2",
    "Connection: keep-alive",
)


def _dated(date_line: str, *, position: int = 1, extra: tuple[str, ...] = ()) -> bytes:
    lines = list(DATED_BASE)
    lines.insert(position, date_line)
    return _head(*lines, *extra) + b"ok"


@pytest.mark.parametrize(
    "second",
    [
        "Date: Thu, 26 Nov 2026 00:00:01 GMT",
        "Date: x",
        "Date: a  b",
        "Date: a ",  # trailing OWS: h11 strips it (not taken from the memo)
        "Date:  a",  # leading OWS
        "Date: a\tb",
        "Date: caf\xe9",  # obs-text once encoded (UTF-8): left to h11
        "Date: ",
        "Date: \x01",  # h11 rejects a control character: 7102
        "date: Thu, 26 Nov 2026 00:00:01 GMT",
        "DATE: Thu, 26 Nov 2026 00:00:01 GMT",
    ],
)
@pytest.mark.parametrize("kwargs", [{}, {"lowercase": False}, {"method": "HEAD"}])
def test_a_new_date_value_gives_the_results_of_a_full_parse(second: str, kwargs: dict[str, Any]) -> None:
    first = _dated("Date: Wed, 25 Nov 2026 20:56:35 GMT")
    _check([first], **dict(kwargs))  # fills the memo, the dated entry included
    wire = _dated(second)
    for chunks in ([wire], [wire[:40], wire[40:]]):
        for eof in (False, True):
            assert _observe(ResponseReader, chunks, eof, **dict(kwargs)) == _observe(PlainReader, chunks, eof, **dict(kwargs))


def test_a_new_date_value_is_taken_from_the_memo() -> None:
    first = _dated("Date: Wed, 25 Nov 2026 20:56:35 GMT")
    ResponseReader("GET").feed(first)
    reader = ResponseReader("GET")
    assert reader.feed(_dated("Date: Thu, 26 Nov 2026 00:00:01 GMT")) == [b"ok"]
    assert reader._memo_head is not None and reader._conn is None  # no h11 parse
    assert reader.headers["date"] == "Thu, 26 Nov 2026 00:00:01 GMT"  # type: ignore[index]
    assert list(reader.headers) == ["server", "date", "content-type", "content-length", "connection"]  # type: ignore[arg-type]
    upper = ResponseReader("GET", lowercase=False)
    upper.feed(first)
    upper = ResponseReader("GET", lowercase=False)
    upper.feed(_dated("Date: Fri, 27 Nov 2026 00:00:01 GMT"))
    assert upper._memo_head is not None
    assert upper.headers["Date"] == "Fri, 27 Nov 2026 00:00:01 GMT"  # type: ignore[index]


@pytest.mark.parametrize(
    "extra",
    [
        ("Date: second line",),  # two Date lines: headers["date"] is a list, not memoized by date
        ("date: second line",),
        ("X-Date: Wed, 25 Nov 2026 20:56:35 GMT",),
    ],
)
def test_heads_with_more_date_lines_stay_exact(extra: tuple[str, ...]) -> None:
    _more_date_lines(extra)


def test_a_date_value_continued_on_the_next_line_is_parsed_by_h11() -> None:
    """obs-fold: h11 joins "Date: a" and " b" into "a b"; the dated key must not apply."""
    for lowercase in (True, False):
        response_mod._HEAD_MEMO.clear()
        first = _head("Server: x", "Date: Wed, 25 Nov 2026", " 20:56:35 GMT", "Content-Length: 2") + b"ok"
        second = _head("Server: x", "Date: Thu, 26 Nov 2026", " 20:56:35 GMT", "Content-Length: 2") + b"ok"
        for tab in (False, True):
            if tab:
                first, second = first.replace(b"\r\n ", b"\r\n\t"), second.replace(b"\r\n ", b"\r\n\t")
            _check([first], lowercase=lowercase)
            for eof in (False, True):
                got = _observe(ResponseReader, [second], eof, lowercase=lowercase)
                assert got == _observe(PlainReader, [second], eof, lowercase=lowercase)
                key = "date" if lowercase else "Date"
                assert got[-1]["headers"][key] == "Thu, 26 Nov 2026 20:56:35 GMT"


def _more_date_lines(extra: tuple[str, ...]) -> None:
    for lowercase in (True, False):
        response_mod._HEAD_MEMO.clear()
        first = _dated("Date: Wed, 25 Nov 2026 20:56:35 GMT", extra=extra)
        second = _dated("Date: Thu, 26 Nov 2026 00:00:01 GMT", extra=extra)
        _check([first], lowercase=lowercase)
        for wire in (second, _dated("Date: Thu, 26 Nov 2026 00:00:01 GMT", position=3, extra=extra)):
            for eof in (False, True):
                assert _observe(ResponseReader, [wire], eof, lowercase=lowercase) == _observe(
                    PlainReader, [wire], eof, lowercase=lowercase
                )


def test_date_position_is_part_of_the_key() -> None:
    """The same lines in another order are another head: never confused through the Date key."""
    ResponseReader("GET").feed(_dated("Date: a", position=0))
    for position in (1, 2, 3, 4):
        wire = _dated("Date: b", position=position)
        reader = ResponseReader("GET")
        reader.feed(wire)
        assert reader._memo_head is None  # parsed by h11
        assert _observe(ResponseReader, [wire], True) == _observe(PlainReader, [wire], True)


# Random heads that differ only in one Date value: the memo (exact and dated keys) must give
# what h11 gives, whatever the lines around the Date line and whatever the value.
_LINES = st.sampled_from(
    [
        "Server: x", "Content-Length: 2", "Content-Length: 2, 2", "Transfer-Encoding: chunked",
        "Connection: close", "Connection: keep-alive", "Set-Cookie: a=1", "Content-Encoding: gzip",
        "X-A: b", " folded", "\tfolded", "date: lower", "DATE:  shout ", "Date: second", "X-Date: x",
    ]
)  # fmt: skip
_VALUES = st.one_of(
    st.from_regex(r"[A-Za-z0-9][A-Za-z0-9 ,:]{0,10}[A-Za-z0-9]", fullmatch=True),  # kept verbatim
    st.text(st.sampled_from(list("aZ09 ,:\t\x01\x7f\xe9\u20ac")), max_size=12),
)


@settings(max_examples=1000, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    before=st.lists(_LINES, max_size=4),
    after=st.lists(st.one_of(st.sampled_from([" folded", "\tfolded"]), _LINES), max_size=4),
    first=_VALUES,
    second=_VALUES,
    separator=st.sampled_from(["Date: ", "Date: ", "Date:", "Date:  "]),
    lowercase=st.booleans(),
    chunked_body=st.booleans(),
)
def test_random_heads_differing_in_date(
    before: list[str], after: list[str], first: str, second: str, separator: str, lowercase: bool, chunked_body: bool
) -> None:
    response_mod._HEAD_MEMO.clear()
    body = b"2\r\nok\r\n0\r\n\r\n" if chunked_body else b"ok"

    def wire(value: str) -> bytes:
        lines = [*before, separator + value, *after]
        return ("HTTP/1.1 200 OK\r\n" + "".join(f"{line}\r\n" for line in lines) + "\r\n").encode() + body

    _observe(ResponseReader, [wire(first)], False, lowercase=lowercase)  # fills the memo
    for eof in (False, True):
        got = _observe(ResponseReader, [wire(second)], eof, lowercase=lowercase)
        assert got == _observe(PlainReader, [wire(second)], eof, lowercase=lowercase)
