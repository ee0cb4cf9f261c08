"""Response processing of ``Client`` (client.md §7): framing, headers, cookies, decoding.

Byte-exact and unusual responses come from scripted raw servers (``support.raw``); ordinary
traffic from an ``aiohttp.web`` server (``support.http``).
"""

from __future__ import annotations

import asyncio
import gzip
import logging
import zlib
from typing import Any

import brotli
import pytest
from aiohttp import web
from support.raw import (
    LAST_CHUNK,
    chunk,
    close,
    raw_server,
    read_head,
    respond,
    script,
    send,
    sleep,
)
from support.http import http_server

from swoole_compat.coroutine.http import Client

PAYLOAD = b"The quick brown fox jumps over the lazy dog. " * 50


def head(status: str = "200 OK", *lines: str, version: str = "HTTP/1.1") -> bytes:
    """A response head: status line, ``lines``, blank line."""
    return (f"{version} {status}\r\n" + "".join(f"{line}\r\n" for line in lines) + "\r\n").encode()


async def fetch(response: bytes, path: str = "/", **settings: Any) -> Client:
    """One GET against a raw server answering ``response`` (keep-alive); return the client."""
    async with raw_server(respond(response)) as srv:
        cli = Client("127.0.0.1", srv.port)
        if settings:
            cli.set(settings)
        cli._test_result = await cli.get(path)  # type: ignore[attr-defined]
        cli.close()
        return cli


# --------------------------------------------------------------------------- framing


async def test_content_length_body() -> None:
    """§7.9: status, lower-cased headers, body bytes, getters."""
    cli = await fetch(head("200 OK", "Content-Type: text/plain", "Content-Length: 5", "X-Mixed-Case: V") + b"hello")
    assert cli._test_result is True  # type: ignore[attr-defined]
    assert cli.statusCode == 200 and cli.getStatusCode() == 200
    assert cli.body == b"hello" and cli.getBody() == b"hello"
    assert isinstance(cli.body, bytes)
    assert cli.headers == {"content-type": "text/plain", "content-length": "5", "x-mixed-case": "V"}
    assert cli.getHeaders() is cli.headers
    assert cli.errCode == 0 and cli.errMsg == ""
    assert cli.set_cookie_headers is None


async def test_getters_before_any_response() -> None:
    """§3: initial values."""
    cli = Client("127.0.0.1", 1)
    assert cli.getHeaders() is None
    assert cli.getCookies() is None
    assert cli.getBody() == b""
    assert cli.getStatusCode() == 0


async def test_chunked_with_extensions_and_trailers() -> None:
    """§7.4 step 4: chunk extensions ignored; trailers appended after the header fields."""
    response = (
        head("200 OK", "Trailer: X-Trailer, X-Checksum", "Transfer-Encoding: chunked")
        + b"5;ext=1\r\nhello\r\n6;a=b;c\r\n world\r\n0\r\nX-Trailer: t\r\nX-Checksum: abc\r\n\r\n"
    )
    cli = await fetch(response)
    assert cli._test_result is True  # type: ignore[attr-defined]
    assert cli.body == b"hello world"
    assert cli.headers == {
        "trailer": "X-Trailer, X-Checksum",
        "transfer-encoding": "chunked",
        "x-trailer": "t",
        "x-checksum": "abc",
    }
    assert list(cli.headers) == ["trailer", "transfer-encoding", "x-trailer", "x-checksum"]


async def test_trailer_set_cookie_and_connection_are_honoured() -> None:
    """§7.4 step 4: trailer fields go through the same steps as header fields — a Set-Cookie
    trailer is parsed and a ``Connection: close`` trailer sets the close flag."""
    handler = script(
        read_head(),
        send(head("200 OK", "Transfer-Encoding: chunked") + b"2\r\nok\r\n"),
        sleep(0.05),
        send(b"0\r\nSet-Cookie: t=1\r\nConnection: close\r\n\r\n"),
        sleep(0.5),
    )
    async with raw_server(handler) as srv:
        cli = Client("127.0.0.1", srv.port)
        assert await cli.get("/") is True
        assert cli.body == b"ok"
        assert cli.cookies == {"t": "1"}
        assert cli.set_cookie_headers == ["t=1"]
        assert cli.headers == {"transfer-encoding": "chunked", "set-cookie": "t=1", "connection": "close"}
        assert cli.connected is False


async def test_chunked_trickled_across_reads() -> None:
    """A chunked body whose pieces arrive separately is reassembled."""
    steps = [read_head(), send(head("200 OK", "Transfer-Encoding: chunked"))]
    for piece in (b"ab", b"cde", b"f"):
        steps += [sleep(0.02), send(chunk(piece))]
    steps += [sleep(0.02), send(LAST_CHUNK), sleep(0.5)]
    async with raw_server(script(*steps)) as srv:
        cli = Client("127.0.0.1", srv.port)
        assert await cli.get("/") is True
        assert cli.body == b"abcdef"
        cli.close()


@pytest.mark.parametrize("version", ["HTTP/1.1", "HTTP/1.0"])
async def test_read_until_close(version: str) -> None:
    """§7.2: no length, not chunked → body until EOF; success; connected stays True until the
    next request finds the socket dead and reconnects."""
    handler = script(
        read_head(),
        send(head("200 OK", "Content-Type: text/plain", version=version) + b"hello "),
        sleep(0.05),
        send(b"world"),
        close(),
    )
    async with raw_server(handler) as srv:
        cli = Client("127.0.0.1", srv.port)
        assert await cli.get("/") is True
        assert cli.statusCode == 200
        assert cli.body == b"hello world"
        assert cli.headers == {"content-type": "text/plain"}
        assert cli.errCode == 0
        assert cli.connected is True
        assert await cli.get("/again") is True
        assert cli.errCode == 0
        assert srv.connections == 2
        cli.close()


async def test_response_without_header_lines_keeps_headers_none() -> None:
    """§3: an HTTP/1.0 response without header lines leaves ``headers`` None."""
    handler = script(read_head(), send(b"HTTP/1.0 200 OK\r\n\r\nbare body"), close())
    async with raw_server(handler) as srv:
        cli = Client("127.0.0.1", srv.port)
        assert await cli.get("/") is True
        assert cli.headers is None
        assert cli.body == b"bare body"
        cli.close()


@pytest.mark.parametrize("method", ["HEAD", "head"])
async def test_head_with_content_length_reads_no_body(method: str) -> None:
    """§7.3: HEAD → no body read whatever Content-Length says; no hang; the connection is reused.

    Upstream resolves the method with ``http_server::get_method`` (``strncasecmp``), so a
    lower-case ``head`` is a HEAD request for body parsing too (source wins over the spec's
    bad-input table)."""
    async with raw_server(respond(head("200 OK", "Content-Length: 100"))) as srv:
        cli = Client("127.0.0.1", srv.port)
        cli.set({"timeout": 1})
        cli.setMethod(method)
        loop = asyncio.get_running_loop()
        start = loop.time()
        assert await cli.execute("/h") is True
        assert loop.time() - start < 0.5
        assert cli.statusCode == 200
        assert cli.body == b""
        assert cli.headers == {"content-length": "100"}
        assert srv.requests[0].startswith(f"{method} /h HTTP/1.1\r\n".encode())
        assert await cli.execute("/h2") is True
        assert srv.connections == 1
        cli.close()


@pytest.mark.parametrize("status", ["204 No Content", "304 Not Modified"])
async def test_no_body_statuses_ignore_content_length(status: str) -> None:
    """§7.3: 204 and 304 have no body even with a Content-Length; the connection is reused."""
    async with raw_server(respond(head(status, "Content-Length: 5"))) as srv:
        cli = Client("127.0.0.1", srv.port)
        cli.set({"timeout": 1})
        assert await cli.get("/") is True
        assert cli.statusCode == int(status[:3])
        assert cli.body == b""
        assert await cli.get("/next") is True
        assert srv.connections == 1
        cli.close()


async def test_interim_responses_are_skipped() -> None:
    """Deviation Q12: 100/103 interim responses are skipped; the final response is returned and
    the connection stays usable."""
    response = (
        b"HTTP/1.1 100 Continue\r\n\r\n"
        b"HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n"
        + head("200 OK", "Content-Length: 2")
        + b"ok"
    )
    async with raw_server(respond(response)) as srv:
        cli = Client("127.0.0.1", srv.port)
        assert await cli.get("/") is True
        assert cli.statusCode == 200
        assert cli.body == b"ok"
        assert cli.headers == {"content-length": "2"}
        assert await cli.get("/next") is True
        assert cli.statusCode == 200 and cli.body == b"ok"
        assert srv.connections == 1
        cli.close()


async def test_unsolicited_101_is_status_zero_success() -> None:
    """Q13: a 101 for a non-WebSocket request → True, statusCode 0, headers, empty body,
    connection kept."""
    handler = script(
        read_head(),
        send(head("101 Switching Protocols", "Connection: Upgrade", "Upgrade: h2c")),
        sleep(1.0),
    )
    async with raw_server(handler) as srv:
        cli = Client("127.0.0.1", srv.port)
        cli.set({"timeout": 1})
        loop = asyncio.get_running_loop()
        start = loop.time()
        assert await cli.get("/") is True
        assert loop.time() - start < 0.5
        assert cli.statusCode == 0
        assert cli.body == b""
        assert cli.headers == {"connection": "Upgrade", "upgrade": "h2c"}
        assert cli.connected is True
        cli.close()


async def test_redirect_not_followed() -> None:
    """§7.9: a 3xx is an ordinary result with its own body."""
    async with raw_server(respond(head("302 Found", "Location: /elsewhere", "Content-Length: 5") + b"moved")) as srv:
        cli = Client("127.0.0.1", srv.port)
        assert await cli.get("/") is True
        assert cli.statusCode == 302
        assert cli.body == b"moved"
        assert cli.headers["location"] == "/elsewhere"  # type: ignore[index]
        await asyncio.sleep(0.05)
        assert len(srv.requests) == 1
        cli.close()


async def test_bytes_after_the_response_are_discarded() -> None:
    """§7.9: bytes following a complete response in the same read are dropped; the next request
    on the same connection gets its own response."""
    counter = iter(range(1, 100))

    def answer(_: Any) -> bytes:
        n = next(counter)
        body = f"r{n}".encode()
        return head("200 OK", f"Content-Length: {len(body)}") + body + b"HTTP/1.1 500 Junk\r\n\r\nGARBAGE"

    async with raw_server(respond(answer)) as srv:
        cli = Client("127.0.0.1", srv.port)
        assert await cli.get("/1") is True
        assert cli.body == b"r1"
        assert await cli.get("/2") is True
        assert cli.statusCode == 200
        assert cli.body == b"r2"
        assert srv.connections == 1
        cli.close()


# --------------------------------------------------------------------------- headers


async def test_repeated_headers_become_lists() -> None:
    """§7.4 step 2 (D3): repeated names → list in order; insertion order = first appearance."""
    cli = await fetch(
        head("200 OK", "X-Dup: 1", "Content-Length: 0", "X-Dup: 2", "x-dup: 3", "Set-Cookie: a=1", "Set-Cookie: b=2")
    )
    assert cli.headers == {"x-dup": ["1", "2", "3"], "content-length": "0", "set-cookie": ["a=1", "b=2"]}
    assert list(cli.headers) == ["x-dup", "content-length", "set-cookie"]


async def test_header_values_decode_losslessly() -> None:
    """python-mapping.md §3: header text is UTF-8 with surrogateescape."""
    cli = await fetch(b"HTTP/1.1 200 OK\r\nX-Utf8: \xc3\xa9\r\nX-Bin: \xff\xfe\r\nContent-Length: 0\r\n\r\n")
    assert cli.headers["x-utf8"] == "é"  # type: ignore[index]
    assert cli.headers["x-bin"].encode("utf-8", "surrogateescape") == b"\xff\xfe"  # type: ignore[index]


async def test_set_cookie_parsing_observed_example() -> None:
    """§7.6: the observed example."""
    cli = await fetch(
        head("200 OK", "Set-Cookie: a=b%20c+d; path=/", "Set-Cookie: novalue", "Set-Cookie: e=", "Content-Length: 0")
    )
    assert cli.cookies == {"a": "b c d", 0: "novalue", "e": ""}
    assert cli.getCookies() is cli.cookies
    assert cli.set_cookie_headers == ["a=b%20c+d; path=/", "novalue", "e="]
    assert cli.headers["set-cookie"] == ["a=b%20c+d; path=/", "novalue", "e="]  # type: ignore[index]


async def test_cookies_accumulate_and_are_sent_back() -> None:
    """§7.6: cookies merge across requests (overwrite by key, next int key for keyless) and are
    sent back; set_cookie_headers is per response; setCookies replaces."""
    answers = iter(
        [
            head("200 OK", "Set-Cookie: s=1", "Set-Cookie: lone", "Content-Length: 0"),
            head("200 OK", "Set-Cookie: s=2; HttpOnly", "Set-Cookie: other", "Set-Cookie: bad=%zz", "Content-Length: 0"),
            head("200 OK", "Content-Length: 0"),
        ]
    )
    async with raw_server(respond(lambda _: next(answers))) as srv:
        cli = Client("127.0.0.1", srv.port)
        cli.setCookies({"mine": "x y"})
        await cli.get("/1")
        assert cli.cookies == {"mine": "x y", "s": "1", 0: "lone"}
        await cli.get("/2")
        assert cli.cookies == {"mine": "x y", "s": "2", 0: "lone", 1: "other", "bad": "%zz"}
        assert cli.set_cookie_headers == ["s=2; HttpOnly", "other", "bad=%zz"]
        await cli.get("/3")
        assert cli.set_cookie_headers is None
        assert cli.cookies == {"mine": "x y", "s": "2", 0: "lone", 1: "other", "bad": "%zz"}
        assert b"\r\nCookie: mine=x+y; s=1; \r\n" in srv.requests[1]
        assert b"\r\nCookie: mine=x+y; s=2; ; ; bad=%25zz\r\n" not in srv.requests[2]
        assert b"\r\nCookie: mine=x+y; s=2; bad=%25zz\r\n" in srv.requests[2]
        cli.close()


async def test_lowercase_header_false_keeps_case_and_disables_special_names() -> None:
    """§4.1 / Q8: names kept as received; ``Set-Cookie`` not parsed and a gzip body left
    compressed unless the server used lower-case names."""
    packed = gzip.compress(b"zipped")
    response = (
        head("200 OK", "Set-Cookie: a=1", "Content-Encoding: gzip", "X-Dup: 1", "X-DUP: 2", f"Content-Length: {len(packed)}")
        + packed
    )
    cli = await fetch(response, lowercase_header=False)
    assert cli.headers == {
        "Set-Cookie": "a=1",
        "Content-Encoding": "gzip",
        "X-Dup": "1",
        "X-DUP": "2",
        "Content-Length": str(len(packed)),
    }
    assert cli.cookies is None
    assert cli.set_cookie_headers is None
    assert cli.body == packed

    lower = head("200 OK", "set-cookie: b=2", "content-encoding: gzip", f"Content-Length: {len(packed)}") + packed
    cli = await fetch(lower, lowercase_header=False)
    assert cli.cookies == {"b": "2"}
    assert cli.body == b"zipped"


# --------------------------------------------------------------------------- content decoding


def _raw_deflate(data: bytes) -> bytes:
    obj = zlib.compressobj(9, zlib.DEFLATED, -15)
    return obj.compress(data) + obj.flush()


@pytest.mark.parametrize(
    ("coding", "packed"),
    [
        ("gzip", gzip.compress(PAYLOAD)),
        ("GZIP", gzip.compress(PAYLOAD)),
        ("deflate", zlib.compress(PAYLOAD)),
        ("Deflate", _raw_deflate(PAYLOAD)),
        ("br", brotli.compress(PAYLOAD)),
    ],
)
async def test_content_decoding(coding: str, packed: bytes) -> None:
    """§7.5: gzip, deflate with zlib wrapper, raw deflate, brotli; any case."""
    cli = await fetch(head("200 OK", f"Content-Encoding: {coding}", f"Content-Length: {len(packed)}") + packed)
    assert cli.body == PAYLOAD
    assert cli.headers["content-encoding"] == coding  # type: ignore[index]


async def test_chunked_gzip_decoded_streaming() -> None:
    """Decoding works across chunk boundaries (data decoded chunk by chunk)."""
    packed = gzip.compress(PAYLOAD)
    body = b"".join(chunk(packed[i : i + 7]) for i in range(0, len(packed), 7)) + LAST_CHUNK
    cli = await fetch(head("200 OK", "Content-Encoding: gzip", "Transfer-Encoding: chunked") + body)
    assert cli.body == PAYLOAD


async def test_body_decompression_false_keeps_raw() -> None:
    """§4.1: body_decompression False → body as received."""
    packed = gzip.compress(PAYLOAD)
    cli = await fetch(
        head("200 OK", "Content-Encoding: gzip", f"Content-Length: {len(packed)}") + packed, body_decompression=False
    )
    assert cli.body == packed


async def test_identity_encoding_untouched() -> None:
    """Unknown codings (``identity``) leave the body as is."""
    cli = await fetch(head("200 OK", "Content-Encoding: identity", "Content-Length: 3") + b"abc")
    assert cli.body == b"abc"


@pytest.mark.expect_swoole_warnings(r"^HttpClient::decompress_response failed by ")
async def test_broken_gzip_kept_raw_with_log(swoole_log: Any) -> None:
    """§7.5: a decoding error logs a warning and the body is kept raw; success."""
    cli = await fetch(head("200 OK", "Content-Encoding: gzip", "Content-Length: 7") + b"notgzip")
    assert cli._test_result is True  # type: ignore[attr-defined]
    assert cli.statusCode == 200
    assert cli.body == b"notgzip"
    assert [m for m in swoole_log.messages(logging.WARNING) if m.startswith("HttpClient::decompress_response failed by")]


@pytest.mark.expect_swoole_warnings(r"^HttpClient::decompress_response failed by ")
async def test_gzip_failing_mid_stream_appends_rest_raw(swoole_log: Any) -> None:
    """§7.5: once decoding fails, that chunk and every later one are appended raw."""
    packed = gzip.compress(PAYLOAD)
    corrupt = bytearray(packed)
    corrupt[40:60] = b"\xff" * 20
    body = chunk(bytes(corrupt[:30])) + chunk(bytes(corrupt[30:])) + LAST_CHUNK
    cli = await fetch(head("200 OK", "Content-Encoding: gzip", "Transfer-Encoding: chunked") + body)
    assert cli.statusCode == 200
    assert cli.body.endswith(bytes(corrupt[30:]))
    assert len(cli.body) < len(PAYLOAD)


async def test_aiohttp_compressed_routes() -> None:
    """Ordinary traffic: aiohttp-compressed gzip/deflate/brotli bodies decode."""
    async with http_server() as srv:
        cli = Client("127.0.0.1", srv.port)
        for route in ("/gzip", "/deflate", "/brotli"):
            assert await cli.get(route) is True, route
            assert cli.statusCode == 200
            assert cli.body.startswith(b"{"), (route, cli.body[:20])
        assert srv.connections == 1
        cli.close()


# --------------------------------------------------------------------------- event stream (Q20)


async def test_event_stream_completes_after_head() -> None:
    """Q20: text/event-stream without length completes right after the header block; the body
    sent later stays unread; the connection is kept."""
    handler = script(
        read_head(),
        send(head("200 OK", "Content-Type: text/event-stream")),
        sleep(0.6),
        send(b"data: late\n\n"),
        sleep(0.5),
    )
    async with raw_server(handler) as srv:
        cli = Client("127.0.0.1", srv.port)
        loop = asyncio.get_running_loop()
        start = loop.time()
        assert await cli.get("/events") is True
        assert loop.time() - start < 0.4
        assert cli.statusCode == 200
        assert cli.body == b""
        assert cli.connected is True
        cli.close()


async def test_event_stream_body_in_same_read() -> None:
    """Q20: the body bytes that arrive together with the head are the body."""
    handler = script(
        read_head(),
        send(head("200 OK", "Content-Type: text/event-stream; charset=utf-8") + b"data: one\n\n"),
        sleep(0.5),
    )
    async with raw_server(handler) as srv:
        cli = Client("127.0.0.1", srv.port)
        assert await cli.get("/events") is True
        assert cli.body == b"data: one\n\n"
        assert cli.connected is True
        cli.close()


async def test_event_stream_with_length_is_normal() -> None:
    """Q20 only applies without framing: with a Content-Length the whole body is read."""
    handler = script(
        read_head(),
        send(head("200 OK", "Content-Type: text/event-stream", "Content-Length: 10") + b"data"),
        sleep(0.05),
        send(b": x\n\n\n"),
        sleep(0.5),
    )
    async with raw_server(handler) as srv:
        cli = Client("127.0.0.1", srv.port)
        assert await cli.get("/events") is True
        assert cli.body == b"data: x\n\n\n"
        cli.close()


# --------------------------------------------------------------------------- ordinary traffic


async def test_aiohttp_large_and_streamed_bodies() -> None:
    """An aiohttp server: a 1 MiB Content-Length body and a chunked stream, one connection."""
    big = bytes(range(256)) * 4096

    async def large(request: web.Request) -> web.StreamResponse:
        return web.Response(body=big, content_type="application/octet-stream")

    async def streamed(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        for i in range(5):
            await resp.write(f"part{i};".encode())
            await asyncio.sleep(0.01)
        await resp.write_eof()
        return resp

    async with http_server(routes=[web.get("/large", large), web.get("/streamed", streamed)]) as srv:
        cli = Client("127.0.0.1", srv.port)
        assert await cli.get("/large") is True
        assert cli.body == big
        assert cli.headers["content-length"] == str(len(big))  # type: ignore[index]
        assert await cli.get("/streamed") is True
        assert cli.body == b"part0;part1;part2;part3;part4;"
        assert cli.headers["transfer-encoding"] == "chunked"  # type: ignore[index]
        assert srv.connections == 1
        assert srv.requests[0].header("Host") == f"127.0.0.1:{srv.port}"
        cli.close()
