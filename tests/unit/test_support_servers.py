"""Self-tests of the shared test infrastructure in ``tests/support``.

The servers are checked with aiohttp's client or hand-written asyncio sockets - never with
``swoole_compat`` - so that a client bug cannot hide a server bug (or the reverse).
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import hashlib
import json
import logging
import os
import socket
import ssl
import struct
import time
import zlib
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import brotli
import pytest
from aiohttp import web

from support import http as shs
from support import raw, ws
from support.bag import AssertBag
from support.blackhole import Blackhole
from support.helpers import (
    MAX_CONCURRENCY_LOW,
    PRESSURE,
    TEST_IMAGE_SIZE,
    Pressure,
    _parse_url,
    big_random,
    safe_random,
    time_approximate,
)
from support.http1 import (
    LAST_CHUNK,
    build_response,
    chunk,
    parse_head,
    read_response,
    swoole_response,
)
from support.listener import ipv6_available
from support.tls import TlsMaterial

Factory = Callable[..., Awaitable[Any]]
HELLO = build_response(200, b"hello", [("Content-Type", "text/plain")])


async def _request(
    host: str, port: int, data: bytes, *, until: bytes | None = None, timeout: float = 2.0
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, bytes]:
    """Open a TCP connection, send ``data``, read until ``until`` (or one response)."""
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(data)
    await writer.drain()
    if until is None:
        response = await asyncio.wait_for(read_response(reader), timeout)
        return reader, writer, response.raw
    return reader, writer, await asyncio.wait_for(reader.readuntil(until), timeout)


def _basic(user: str, password: str) -> str:
    """A Basic ``Authorization`` value."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


async def _close(writer: asyncio.StreamWriter) -> None:
    """Close a client writer and wait for it."""
    writer.close()
    try:
        await writer.wait_closed()
    except (ConnectionError, ssl.SSLError):
        pass


# --------------------------------------------------------------------------- RAW


async def test_raw_records_heads_and_bytes(raw_server: Factory) -> None:
    srv = await raw_server(raw.respond(HELLO))
    req1 = b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
    req2 = b"POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
    reader, writer, first = await _request(srv.host, srv.port, req1)
    assert first == HELLO
    writer.write(req2)
    second = await asyncio.wait_for(read_response(reader), 2)
    assert second.body == b"hello"
    await _close(writer)
    assert srv.connections == 1
    assert srv.requests == [req1, req2[: req2.index(b"abc")]]
    assert srv.received(0) == req1 + req2


async def test_raw_kill_refuses_and_aborts(raw_server: Factory) -> None:
    srv = await raw_server(raw.hold)
    reader, writer = await asyncio.open_connection(srv.host, srv.port)
    await srv.wait_connections(1)
    await srv.kill()
    assert await asyncio.wait_for(reader.read(), 2) == b""
    await _close(writer)
    with pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection(srv.host, srv.port)


async def test_raw_hold_and_close_without_reply(raw_server: Factory) -> None:
    held = await raw_server(raw.hold)
    reader, writer = await asyncio.open_connection(held.host, held.port)
    writer.write(b"GET / HTTP/1.1\r\n\r\n")
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(reader.read(1), 0.1)
    await _close(writer)

    closing = await raw_server(raw.close_without_reply)
    reader, writer = await asyncio.open_connection(closing.host, closing.port)
    writer.write(b"GET / HTTP/1.1\r\n\r\n")
    assert await asyncio.wait_for(reader.read(), 2) == b""
    await _close(writer)
    assert closing.records[0].closed_first == "server"


async def test_raw_script_trickle_unix(raw_server: Factory) -> None:
    body = b"x" * 50
    response = build_response(200, body)
    srv = await raw_server(raw.script(raw.read_head(), raw.trickling(response, 7, 0.001), raw.close()), unix=True)
    assert srv.path and srv.client_host == f"unix:{srv.path}" and srv.port == 0
    reader, writer = await asyncio.open_unix_connection(srv.path)
    writer.write(b"GET / HTTP/1.1\r\n\r\n")
    assert await asyncio.wait_for(reader.read(), 2) == response
    await _close(writer)
    assert srv.requests == [b"GET / HTTP/1.1\r\n\r\n"]


async def test_raw_closed_first_client(raw_server: Factory) -> None:
    srv = await raw_server(raw.hold)
    _, writer = await asyncio.open_connection(srv.host, srv.port)
    await srv.wait_connections(1)
    await _close(writer)
    for _ in range(100):
        if srv.records[0].closed_first:
            break
        await asyncio.sleep(0.005)
    assert srv.records[0].closed_first == "client"


@pytest.mark.skipif(not ipv6_available(), reason="no IPv6 loopback")
async def test_raw_ipv6(raw_server: Factory) -> None:
    srv = await raw_server(raw.respond(HELLO), host="::1")
    _, writer, data = await _request("::1", srv.port, b"GET / HTTP/1.1\r\n\r\n")
    assert data == HELLO and srv.netloc == f"[::1]:{srv.port}"
    await _close(writer)


async def test_raw_tls_and_delayed_handshake(raw_server: Factory, tls: TlsMaterial) -> None:
    srv = await raw_server(raw.respond(HELLO), ssl=tls.server_context(), ssl_delay=0.15)
    started = time.monotonic()
    reader, writer = await asyncio.open_connection(
        srv.host, srv.port, ssl=tls.client_context(), server_hostname="localhost"
    )
    assert time.monotonic() - started >= 0.14
    writer.write(b"GET / HTTP/1.1\r\n\r\n")
    assert (await asyncio.wait_for(read_response(reader), 2)).body == b"hello"
    await _close(writer)
    with pytest.raises((asyncio.TimeoutError, ConnectionError, ssl.SSLError)):
        await asyncio.open_connection(
            srv.host, srv.port, ssl=tls.client_context(), server_hostname="localhost", ssl_handshake_timeout=0.05
        )


async def test_raw_handler_failure_goes_to_bag() -> None:
    bag = AssertBag()

    async def handler(reader: Any, writer: Any) -> None:
        await raw.read_request_head(reader)
        bag.check(False, "checked failure")
        raise AssertionError("raised failure")

    async with raw.raw_server(handler, bag=bag) as srv:
        _, writer = await asyncio.open_connection(srv.host, srv.port)
        writer.write(b"GET / HTTP/1.1\r\n\r\n")
        await _close(writer)
        for _ in range(200):
            if len(bag) >= 2:
                break
            await asyncio.sleep(0.005)
    assert "checked failure" in bag.failures[0]
    assert "raised failure" in bag.failures[1]
    with pytest.raises(AssertionError, match="2 server-side"):
        bag.raise_if_failed()


async def test_swoole_response_layout() -> None:
    data = swoole_response(b"", headers=[("connection", "close")], date="D")
    start, headers = parse_head(data)
    assert start == ["HTTP/1.1", "200", "OK"]
    assert headers == [
        ("Connection", "close"),
        ("Server", "swoole-http-server"),
        ("Date", "D"),
        ("Content-Type", "text/html"),
        ("Content-Length", "0"),
    ]
    assert [k for k, _ in parse_head(swoole_response(b"ab", date="D"))[1]] == [
        "Server",
        "Date",
        "Connection",
        "Content-Type",
        "Content-Length",
    ]


# --------------------------------------------------------------------------- SHS / HB


async def test_httpbin_get_keepalive_and_records(httpbin: shs.HttpServer) -> None:
    async with aiohttp.ClientSession() as session:
        for i in range(2):
            async with session.get(httpbin.url(f"/get?a={i}&b=x"), headers={"X-Test": "v"}) as resp:
                assert resp.status == 200
                assert resp.headers["Server"] == "swoole-http-server"
                data = await resp.json()
                assert data["args"] == {"a": str(i), "b": "x"}
                assert data["headers"]["X-Test"] == "v"
                assert data["headers"]["Host"] == httpbin.netloc
                assert data["url"] == httpbin.url(f"/get?a={i}&b=x")
    assert httpbin.connections == 1
    assert [r.conn_index for r in httpbin.requests] == [0, 0]
    assert httpbin.requests[0].peer[0] == "127.0.0.1"
    assert httpbin.requests[1].target == "/get?a=1&b=x"
    assert httpbin.requests[1].header("x-test") == "v"


async def test_httpbin_routes(httpbin: shs.HttpServer) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(httpbin.url("/status/204")) as resp:
            assert resp.status == 204 and await resp.read() == b""
        async with session.get(httpbin.url("/absolute-redirect/2"), allow_redirects=False) as resp:
            assert resp.status == 302
            assert resp.headers["Location"] == f"http://127.0.0.1:{httpbin.port}/absolute-redirect/1"
            assert "Redirecting" in await resp.text()
        async with session.get(httpbin.url("/cookies/set/k/v"), allow_redirects=False) as resp:
            assert resp.status == 302 and resp.headers["Set-Cookie"] == "k=v; Path=/"
        async with session.get(httpbin.url("/basic-auth/u/p"), headers={"Authorization": _basic("u", "p")}) as resp:
            assert (await resp.json()) == {"authenticated": True, "user": "u"}
        async with session.get(httpbin.url("/basic-auth/u/p"), headers={"Authorization": _basic("u", "x")}) as resp:
            assert resp.status == 401
        form = aiohttp.FormData()
        form.add_field("k", "1")
        form.add_field("k", "2")
        form.add_field("test.jpg", b"\xff\xfebinary", filename="test.jpg", content_type="image/jpeg")
        async with session.post(httpbin.url("/post?q=1"), data=form) as resp:
            data = await resp.json()
            assert data["form"] == {"k": ["1", "2"]} and data["args"] == {"q": "1"}
            assert data["files"]["test.jpg"].startswith("data:image/jpeg;base64,")
        async with session.post(httpbin.url("/post"), json={"a": 1}) as resp:
            assert (await resp.json())["json"] == {"a": 1}
        started = time.monotonic()
        async with session.get(httpbin.url("/delay/0.1")) as resp:
            assert resp.status == 200 and time.monotonic() - started >= 0.1
        async with session.get(httpbin.url("/stream-chunked?n=3&size=2&delay=0")) as resp:
            assert resp.headers["Transfer-Encoding"] == "chunked"
            assert await resp.read() == b"chunk-0:xxchunk-1:xxchunk-2:xx"


@pytest.mark.parametrize("coding", ["gzip", "deflate", "raw-deflate", "br"])
async def test_compression_by_accept_encoding(httpbin: shs.HttpServer, coding: str) -> None:
    raw_flag = "&raw=1" if coding == "raw-deflate" else ""
    header = "deflate" if coding == "raw-deflate" else coding
    async with aiohttp.ClientSession(auto_decompress=False) as session:
        async with session.get(httpbin.url(f"/compressed?size=5000{raw_flag}"), headers={"Accept-Encoding": header}) as resp:
            assert resp.headers["Content-Encoding"] == header
            body = await resp.read()
    expected = (shs.API_GZIP_CONTENT * 2)[:5000]
    decoders = {
        "gzip": gzip.decompress,
        "deflate": zlib.decompress,
        "raw-deflate": lambda b: zlib.decompress(b, -15),
        "br": brotli.decompress,
    }
    assert decoders[coding](body) == expected


async def test_api_app_routes(api_server: shs.HttpServer, test_image: Path) -> None:
    image = test_image.read_bytes()
    assert len(image) == TEST_IMAGE_SIZE
    async with aiohttp.ClientSession() as session:
        form = aiohttp.FormData()
        form.add_field("name", "rango")
        form.add_field("test.jpg", image, filename="test.jpg", content_type="image/jpeg")
        async with session.post(api_server.url("/upload_file"), data=form) as resp:
            data = json.loads(await resp.read())
        assert data["md5"] == hashlib.md5(image).hexdigest()
        assert data["post"] == {"name": "rango"}
        entry = data["files"]["test_jpg"]
        assert entry["name"] == "test.jpg" and entry["type"] == "image/jpeg" and entry["size"] == len(image)
        assert entry["tmp_name"].startswith("/tmp/swoole.upfile.") and entry["error"] == 0
        async with session.get(api_server.url("/get_file")) as resp:
            assert await resp.read() == image
        async with session.get(api_server.url("/get?x=1")) as resp:
            assert await resp.read() == b'{"x":"1"}'
        async with session.get(api_server.url("/get")) as resp:
            assert await resp.read() == b"null"
        async with session.get(api_server.url("/gzip")) as resp:
            assert resp.headers["Content-Encoding"] in ("br", "gzip")
            assert await resp.read() == shs.API_GZIP_CONTENT
        async with session.get(api_server.url("/nothing")) as resp:
            assert resp.status == 500


async def test_http_kill_closes_keepalive_and_refuses(httpbin: shs.HttpServer) -> None:
    reader, writer, data = await _request(
        httpbin.host, httpbin.port, b"GET /get HTTP/1.1\r\nHost: x\r\n\r\n", until=b"}\n"
    )
    assert b" 200 OK" in data
    await httpbin.kill()
    assert await asyncio.wait_for(reader.read(), 2) == b""
    await _close(writer)
    with pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection(httpbin.host, httpbin.port)


async def test_http_custom_routes_and_swoole_helpers(http_server: Factory, test_image: Path) -> None:
    async def gone(request: web.Request) -> web.StreamResponse:
        return shs.close_without_reply(request)

    async def brief(request: web.Request) -> web.StreamResponse:
        return await shs.respond_then_close(request, web.Response(text="bye"), 0.01)

    routes = [
        web.get("/gone", gone),
        web.get("/brief", brief),
        web.get("/get", shs.compressing_handler(b"override")),
        web.get("/range", shs.range_start_file_handler(test_image)),
        web.get("/chunks", shs.chunked_handler([b"a", b"bb", b"ccc"], 0.001)),
    ]
    srv = await http_server(routes=routes)
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.ServerDisconnectedError):
            async with session.get(srv.url("/gone")) as resp:
                await resp.read()
        async with session.get(srv.url("/brief")) as resp:
            assert await resp.text() == "bye"
        async with session.get(srv.url("/get"), headers={"Accept-Encoding": "identity"}) as resp:
            assert await resp.read() == b"override"
        async with session.get(srv.url("/range"), headers={"Range": "bytes=1000-"}) as resp:
            assert resp.status == 200 and await resp.read() == test_image.read_bytes()[1000:]
    _, writer, data = await _request(srv.host, srv.port, b"GET /chunks HTTP/1.1\r\nHost: x\r\n\r\n", until=LAST_CHUNK)
    assert data.endswith(chunk(b"a") + chunk(b"bb") + chunk(b"ccc") + LAST_CHUNK)
    await _close(writer)
    assert srv.connections >= 3


async def test_http_unix_and_tls(http_server: Factory, tls: TlsMaterial) -> None:
    unix = await http_server(unix=True)
    async with aiohttp.ClientSession(connector=aiohttp.UnixConnector(path=unix.path)) as session:
        async with session.get(unix.url("/get")) as resp:
            assert resp.status == 200
    recorder = tls.sni_recorder()
    secure = await http_server(ssl=recorder.context)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=tls.client_context())) as session:
        async with session.get(f"https://localhost:{secure.port}/get") as resp:
            assert resp.status == 200
    assert recorder.names == ["localhost"]


async def test_http_handler_exception_reported() -> None:
    bag = AssertBag()

    async def broken(request: web.Request) -> web.StreamResponse:
        raise ValueError("boom")

    async with shs.http_server(routes=[web.get("/x", broken)], bag=bag) as srv:
        async with aiohttp.ClientSession() as session:
            async with session.get(srv.url("/x")) as resp:
                assert resp.status == 500
    assert len(bag) == 1 and "boom" in bag.failures[0]


# --------------------------------------------------------------------------- WSF


async def test_ws_aiohttp_echo_with_deflate(ws_server: Factory) -> None:
    srv = await ws_server(ws.echo, deflate=True)
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(srv.url("/chat"), compress=15) as client:
            await client.send_str("hello " * 50)
            assert (await client.receive_str(timeout=2)) == "hello " * 50
            await client.send_bytes(b"\x00\x01")
            assert (await client.receive_bytes(timeout=2)) == b"\x00\x01"
    conn = srv.conns[0]
    assert conn.deflate and conn.request.target == "/chat"
    frames = conn.received_frames
    assert frames[0].masked and frames[0].rsv1 and frames[0].first_byte == 0xC1
    assert [m.payload for m in conn.messages] == [b"hello " * 50, b"\x00\x01"]
    assert frames[-1].opcode == ws.OP_CLOSE


async def test_ws_aiohttp_without_deflate(ws_server: Factory) -> None:
    srv = await ws_server()
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(srv.url(), compress=15) as client:
            await client.send_str("x")
            assert (await client.receive_str(timeout=2)) == "x"
    assert not srv.conns[0].deflate
    assert "Sec-WebSocket-Extensions" not in srv.conns[0].events[0].data


def _upgrade_request(path: str = "/", extensions: str | None = None) -> tuple[bytes, str]:
    """A client upgrade request and its key."""
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: Upgrade", "Upgrade: websocket",
             "Sec-WebSocket-Version: 13", f"Sec-WebSocket-Key: {key}"]
    if extensions:
        lines.append(f"Sec-Websocket-Extensions: {extensions}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode(), key


async def test_ws_raw_frames_first_frames_and_http_before_upgrade(ws_server: Factory) -> None:
    data1, data2 = b"a" * 300, b"b" * 70000

    async def handler(conn: ws.WSConnection) -> None:
        await conn.send_frame(ws.OP_TEXT, data1, fin=False)
        await conn.send_ping(b"PING")
        await conn.send_frame(ws.OP_CONT, data2, rsv2=True)
        frame = await conn.recv_frame()
        assert frame is not None and frame.opcode == ws.OP_CLOSE and frame.close_reason == b"close it"
        await conn.wait_closed()

    srv = await ws_server(
        handler,
        http_handler=lambda req: build_response(200, b"OK\n"),
        first_frames=ws.encode_frame(ws.OP_TEXT, b"hello world\n"),
    )
    reader, writer = await asyncio.open_connection(srv.host, srv.port)
    writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert (await asyncio.wait_for(read_response(reader), 2)).body == b"OK\n"
    request, key = _upgrade_request("/ws")
    writer.write(request)
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 2)
    assert head.startswith(b"HTTP/1.1 101 ") and f"Sec-WebSocket-Accept: {ws.accept_key(key)}".encode() in head
    frames = [await asyncio.wait_for(ws.read_frame(reader), 2) for _ in range(4)]
    assert [(f.opcode, f.fin, f.masked) for f in frames] == [
        (ws.OP_TEXT, True, False),
        (ws.OP_TEXT, False, False),
        (ws.OP_PING, True, False),
        (ws.OP_CONT, True, False),
    ]
    assert frames[0].payload == b"hello world\n" and frames[3].rsv2 and frames[3].payload == data2
    writer.write(ws.encode_frame(ws.OP_CLOSE, ws.close_payload(1000, "close it"), mask_key=b"258E"))
    await writer.drain()
    await _close(writer)
    await asyncio.wait_for(_until(lambda: srv.conns[0].eof), 2)
    assert [r.target for r in srv.requests] == ["/", "/ws"]
    conn = srv.conns[0]
    assert conn.closed_first == "client"
    assert [e.kind for e in conn.events][:2] == ["send", "open"]


async def _until(predicate: Callable[[], bool]) -> None:
    """Poll ``predicate``."""
    while not predicate():
        await asyncio.sleep(0.005)


async def test_ws_compressed_fragments_and_disconnect(ws_server: Factory) -> None:
    async def handler(conn: ws.WSConnection) -> None:
        deflater = ws.MessageDeflater()
        pieces = [deflater.compress(b"one ", zlib.Z_SYNC_FLUSH), deflater.compress(b"two ", zlib.Z_NO_FLUSH),
                  deflater.compress(b"three", zlib.Z_FINISH)]
        await conn.send_frame(ws.OP_TEXT, pieces[0], fin=False, rsv1=True)
        await conn.send_frame(ws.OP_CONT, pieces[1], fin=False)
        await conn.send_frame(ws.OP_CONT, pieces[2])
        await conn.send_message(b"split " * 100, fragments=3)
        await conn.disconnect(1000, "bye")

    srv = await ws_server(handler, deflate=True)
    reader, writer = await asyncio.open_connection(srv.host, srv.port)
    request, _ = _upgrade_request(extensions="permessage-deflate; client_no_context_takeover; server_no_context_takeover")
    writer.write(request)
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 2)
    assert ws.DEFLATE_RESPONSE.encode() in head
    rest = await asyncio.wait_for(reader.read(), 2)
    frames, leftover = ws.parse_frames(rest)
    assert leftover == b"" and [f.opcode for f in frames] == [1, 0, 0, 1, 0, 0, 8]
    assert zlib.decompressobj(-15).decompress(b"".join(f.payload for f in frames[:3])) == b"one two three"
    assert frames[3].rsv1 and not frames[4].rsv1
    assert ws.inflate_message(b"".join(f.payload for f in frames[3:6])) == b"split " * 100
    assert frames[6].close_code == 1000 and frames[6].close_reason == b"bye" and frames[6].first_byte == 0x88
    await _close(writer)
    assert srv.conns[0].closed_first == "server"


async def test_ws_tls_echo(ws_server: Factory, tls: TlsMaterial) -> None:
    srv = await ws_server(ssl=tls.server_context())
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=tls.client_context())) as session:
        async with session.ws_connect(f"wss://localhost:{srv.port}/") as client:
            await client.send_str("secure")
            assert (await client.receive_str(timeout=2)) == "secure"


def test_ws_codec_roundtrip() -> None:
    key = b"\x01\x02\x03\x04"
    for size in (0, 125, 126, 65535, 65536):
        payload = os.urandom(size)
        wire = ws.encode_frame(ws.OP_BINARY, payload, fin=False, rsv3=True, mask_key=key)
        frames, rest = ws.parse_frames(wire + b"\x81")
        assert rest == b"\x81" and frames[0].payload == payload and frames[0].mask_key == key
        assert frames[0].rsv3 and not frames[0].fin and frames[0].wire == wire
    assert ws.encode_frame(ws.OP_TEXT, b"abc", mask_key=b"258E").hex() == "81833235384553575b"
    assert ws.deflate_message(b"hello hello hello").hex() == "ca48cdc9c957c840900000"
    assert ws.inflate_message(ws.deflate_message(b"z" * 1000)) == b"z" * 1000
    assert ws.accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


# --------------------------------------------------------------------------- proxies


async def test_connect_proxy_tunnel_and_auth(connect_proxy: Factory, raw_server: Factory) -> None:
    target = await raw_server(raw.respond(HELLO))
    proxy = await connect_proxy(credentials=("user", "pass"), resolve={"www.example.com:443": ("127.0.0.1", target.port)})
    _, writer, denied = await _request(
        proxy.host, proxy.port, b"CONNECT www.example.com:443 HTTP/1.1\r\nHost: www.example.com:443\r\n\r\n"
    )
    assert denied.startswith(b"HTTP/1.1 407 ")
    await _close(writer)
    auth = base64.b64encode(b"user:pass").decode()
    connect = (
        "CONNECT www.example.com:443 HTTP/1.1\r\nHost: www.example.com:443\r\nUser-Agent: Swoole/6.2.1\r\n"
        f"Proxy-Authorization: Basic {auth}\r\nProxy-Connection: Keep-Alive\r\n\r\n"
    ).encode()
    reader, writer, reply = await _request(proxy.host, proxy.port, connect, until=b"\r\n\r\n")
    assert reply == b"HTTP/1.1 200 Connection established\r\n\r\n"
    writer.write(b"GET / HTTP/1.1\r\n\r\n")
    assert (await asyncio.wait_for(read_response(reader), 2)).raw == HELLO
    await _close(writer)
    first, second = proxy.connects
    assert not first.authorized and first.status == 407
    assert second.credentials == ("user", "pass") and second.head == connect
    assert second.upstream == ("127.0.0.1", target.port)


async def test_connect_proxy_refuses_non_loopback(connect_proxy: Factory) -> None:
    proxy = await connect_proxy()
    _, writer, reply = await _request(proxy.host, proxy.port, b"CONNECT example.com:443 HTTP/1.1\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 502 ")
    await _close(writer)


async def test_proxy_absolute_form_forwarding(connect_proxy: Factory, httpbin: shs.HttpServer) -> None:
    proxy = await connect_proxy()
    head = (
        f"GET http://127.0.0.1:{httpbin.port}/get?x=1 HTTP/1.1\r\nHost: 127.0.0.1:{httpbin.port}\r\n"
        "Connection: keep-alive\r\nAccept-Encoding: gzip, deflate, br\r\n\r\n"
    ).encode()
    reader, writer, first = await _request(proxy.host, proxy.port, head)
    assert first.startswith(b"HTTP/1.1 200 OK\r\n")
    writer.write(head)
    response = await asyncio.wait_for(read_response(reader), 2)
    assert json.loads(response.body)["args"] == {"x": "1"}
    await _close(writer)
    assert [r.head for r in proxy.requests] == [head, head]
    assert httpbin.requests[0].target == "/get?x=1" and httpbin.connections == 1


async def _socks_handshake(
    port: int,
    greeting: bytes,
    connect: bytes,
    auth: bytes | None = None,
    host: str = "127.0.0.1",
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, bytes, bytes | None, bytes]:
    """Hand-written SOCKS5 client: return (reader, writer, method reply, auth reply, connect reply)."""
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(greeting)
    method = await asyncio.wait_for(reader.readexactly(2), 2)
    auth_reply = None
    if auth is not None and method == b"\x05\x02":
        writer.write(auth)
        auth_reply = await asyncio.wait_for(reader.readexactly(2), 2)
        if auth_reply != b"\x01\x00":
            return reader, writer, method, auth_reply, b""
    writer.write(connect)
    head = await asyncio.wait_for(reader.readexactly(4), 2)
    rest = await asyncio.wait_for(reader.readexactly(4 + 2 if head[3] == 1 else 16 + 2), 2)
    return reader, writer, method, auth_reply, head + rest


def _socks_connect_domain(host: str, port: int) -> bytes:
    """A CONNECT request with ATYP 3."""
    return b"\x05\x01\x00\x03" + bytes([len(host)]) + host.encode() + struct.pack("!H", port)


async def test_socks5_noauth_and_userpass(socks5_proxy: Factory, raw_server: Factory) -> None:
    target = await raw_server(raw.respond(HELLO))
    socks = await socks5_proxy(resolve={"www.example.com": "127.0.0.1"})
    connect = _socks_connect_domain("www.example.com", target.port)
    reader, writer, method, _, reply = await _socks_handshake(socks.port, b"\x05\x01\x00", connect)
    assert method == b"\x05\x00" and reply[:2] == b"\x05\x00"
    writer.write(b"GET / HTTP/1.1\r\n\r\n")
    assert (await asyncio.wait_for(read_response(reader), 2)).raw == HELLO
    await _close(writer)
    record = socks.handshakes[0]
    assert record.greeting == b"\x05\x01\x00" and record.request == connect and record.atyp == 3
    assert (record.dst_host, record.dst_port, record.upstream) == ("www.example.com", target.port, ("127.0.0.1", target.port))

    secured = await socks5_proxy(credentials=("u", "p"))
    good = b"\x01\x01u\x01p"
    ip_connect = b"\x05\x01\x00\x01" + socket.inet_aton("127.0.0.1") + struct.pack("!H", target.port)
    _, writer, method, auth_reply, reply = await _socks_handshake(secured.port, b"\x05\x01\x02", ip_connect, good)
    assert (method, auth_reply, reply[1]) == (b"\x05\x02", b"\x01\x00", 0)
    await _close(writer)
    _, writer, _, auth_reply, _ = await _socks_handshake(secured.port, b"\x05\x01\x02", ip_connect, b"\x01\x01u\x01x")
    assert auth_reply == b"\x01\x01"
    await _close(writer)
    assert [r.username for r in secured.handshakes] == ["u", "u"] and [r.auth_ok for r in secured.handshakes] == [True, False]


async def test_socks5_failure_replies(socks5_proxy: Factory) -> None:
    failing = await socks5_proxy(connect_reply=0x05)
    _, writer, _, _, reply = await _socks_handshake(failing.port, b"\x05\x01\x00", _socks_connect_domain("localhost", 1))
    assert reply[1] == 0x05
    await _close(writer)
    refused = await socks5_proxy()
    _, writer, _, _, reply = await _socks_handshake(refused.port, b"\x05\x01\x00", _socks_connect_domain("example.com", 80))
    assert reply[1] == 0x04
    await _close(writer)
    picky = await socks5_proxy(credentials=("u", "p"))
    reader, writer = await asyncio.open_connection(picky.host, picky.port)
    writer.write(b"\x05\x01\x00")
    assert await asyncio.wait_for(reader.readexactly(2), 2) == b"\x05\xff"
    await _close(writer)


@pytest.mark.skipif(not ipv6_available(), reason="no IPv6 loopback")
async def test_socks5_ipv6(socks5_proxy: Factory, raw_server: Factory) -> None:
    target = await raw_server(raw.respond(HELLO), host="::1")
    socks = await socks5_proxy(host="::1")
    connect = b"\x05\x01\x00\x04" + socket.inet_pton(socket.AF_INET6, "::1") + struct.pack("!H", target.port)
    reader, writer, _, _, reply = await _socks_handshake(socks.port, b"\x05\x01\x00", connect, host="::1")
    assert reply[1] == 0
    writer.write(b"GET / HTTP/1.1\r\n\r\n")
    assert (await asyncio.wait_for(read_response(reader), 2)).raw == HELLO
    await _close(writer)
    literal = await socks5_proxy()
    _, writer, _, _, reply = await _socks_handshake(literal.port, b"\x05\x01\x00", _socks_connect_domain("::1", target.port))
    assert reply[1] == 0 and literal.handshakes[0].dst_host == "::1"
    await _close(writer)


# --------------------------------------------------------------------------- blackhole, TLS, helpers


async def test_blackhole_hangs(blackhole: Blackhole) -> None:
    assert await blackhole.verify(1.05)


def test_tls_material(tls: TlsMaterial) -> None:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_cert_chain(tls.client_cert_file, tls.client_key_encrypted_file, password=tls.client_key_passphrase)
    with pytest.raises(ssl.SSLError):
        context.load_cert_chain(tls.client_cert_file, tls.client_key_encrypted_file, password="wrong")
    assert Path(tls.ca_file).read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")
    assert tls.self_signed_pem.startswith(b"-----BEGIN CERTIFICATE-----")


async def test_self_signed_fails_verification(raw_server: Factory, tls: TlsMaterial) -> None:
    srv = await raw_server(raw.hold, ssl=tls.self_signed_context())
    with pytest.raises(ssl.SSLCertVerificationError) as info:
        await asyncio.open_connection(srv.host, srv.port, ssl=ssl.create_default_context(), server_hostname="localhost")
    assert info.value.verify_code == 18


async def test_client_cert_required(raw_server: Factory, tls: TlsMaterial) -> None:
    async def peer(reader: Any, writer: Any) -> None:
        writer.write(json.dumps(writer.get_extra_info("peercert")["subject"]).encode())
        await writer.drain()

    srv = await raw_server(peer, ssl=tls.server_context(require_client_cert=True))
    context = tls.client_context()
    context.load_cert_chain(tls.client_cert_file, tls.client_key_file)
    reader, writer = await asyncio.open_connection(srv.host, srv.port, ssl=context, server_hostname="localhost")
    assert b"swoole-test-client" in await asyncio.wait_for(reader.read(), 2)
    await _close(writer)


def test_helpers() -> None:
    value = safe_random(100)
    assert len(value) == 100 and value.isalnum()
    assert len(big_random(2048)) == 2048
    assert time_approximate(1.0, 1.05) and not time_approximate(1.0, 1.2)
    assert time_approximate(1.0, 1.2, 0.25)
    assert PRESSURE == Pressure.for_level(PRESSURE.level) and MAX_CONCURRENCY_LOW == PRESSURE.MAX_CONCURRENCY_LOW
    assert Pressure.for_level(3).MAX_CONCURRENCY == 256
    assert _parse_url("http://127.0.0.1:8080/a/b?c=d") == ("http", "127.0.0.1", "/a/b", "c=d", 8080)
    assert _parse_url("https://[::1]/x") == ("https", "[::1]", "/x", "", None)


def test_swoole_log_fixture(swoole_log: Any) -> None:
    logger = logging.getLogger("swoole_compat")
    logger.warning("unexpected thing")
    assert [r.getMessage() for r in swoole_log.unexpected()] == ["unexpected thing"]
    swoole_log.expect("unexpected")
    assert swoole_log.unexpected() == []
    logger.info("a notice")
    assert "a notice" in swoole_log.messages(logging.INFO)


@pytest.mark.expect_swoole_warnings("marked")
def test_swoole_log_marker(swoole_log: Any) -> None:
    logging.getLogger("swoole_compat").warning("marked warning")
    assert swoole_log.unexpected() == []


async def test_http_kill_during_slow_handler(httpbin: shs.HttpServer) -> None:
    _, writer = await asyncio.open_connection(httpbin.host, httpbin.port)
    writer.write(b"GET /delay/5 HTTP/1.1\r\nHost: x\r\n\r\n")
    await asyncio.sleep(0.05)
    started = time.monotonic()
    await httpbin.close()
    assert time.monotonic() - started < 0.5
    await _close(writer)


async def test_http_duplicate_and_cased_headers(http_server: Factory) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.Response(text="ok")
        for value in ("hello", "swoole", "x"):
            response.headers.add("values-1", value)
        response.headers["Hello-world"] = "swoole"
        return response

    srv = await http_server(routes=[web.get("/", handler)])
    _, writer, data = await _request(srv.host, srv.port, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    await _close(writer)
    headers = parse_head(data)[1]
    assert [v for k, v in headers if k == "values-1"] == ["hello", "swoole", "x"]
    assert ("Hello-world", "swoole") in headers


async def test_close_sends_fin_at_once(raw_server: Factory) -> None:
    """The FIN must be on the wire when ``close_writer`` returns, not one loop iteration later
    (client and server share the loop; a client liveness check may run right after)."""
    client = socket.socket()
    seen: list[bytes] = []

    async def handler(reader: Any, writer: Any) -> None:
        writer.write(b"bye")
        await writer.drain()
        raw.close_writer(writer)
        seen.append(client.recv(16, socket.MSG_PEEK | socket.MSG_DONTWAIT))
        client.recv(3)
        seen.append(client.recv(1, socket.MSG_DONTWAIT))

    srv = await raw_server(handler)
    try:
        client.connect(srv.address)
        await asyncio.wait_for(_until(lambda: len(seen) == 2), 2)
    finally:
        client.close()
    assert seen == [b"bye", b""]


async def test_api_app_extra_routes_via_server(http_server: Factory) -> None:
    async def extra(request: web.Request) -> web.StreamResponse:
        return web.Response(text="extra")

    srv = await http_server(shs.api_app(), routes=[web.get("/extra", extra)])
    async with aiohttp.ClientSession() as session:
        async with session.get(srv.url("/extra")) as resp:
            assert await resp.text() == "extra"
        async with session.get(srv.url("/missing")) as resp:
            assert resp.status == 500


async def test_http_record_bytes(http_server: Factory) -> None:
    # record_bytes=True keeps the raw request bytes of each connection (off by default).
    plain = await http_server()
    recording = await http_server(record_bytes=True)
    body = b"a=1&b=" + b"x" * 70000
    async with aiohttp.ClientSession() as session:
        for srv in (plain, recording):
            async with session.post(srv.url("/post"), data=body,
                                    headers={"Content-Type": "application/x-www-form-urlencoded"}) as resp:
                assert resp.status == 200
    assert plain.records[0].received == b""
    received = bytes(recording.records[0].received)
    assert received.startswith(b"POST /post HTTP/1.1\r\n")
    assert received.endswith(b"\r\n\r\n" + body)


async def test_peer_filter_drops_other_sources(http_server: Factory) -> None:
    from support.peerfilter import PeerFilterUnavailable, accept_only_from, verify_filter

    srv = await http_server(host="127.0.0.3")
    try:
        accept_only_from(srv.listening_socket, "127.0.0.2")
    except PeerFilterUnavailable as exc:
        pytest.skip(str(exc))
    assert await verify_filter(srv.host, srv.port, "127.0.0.2", "127.0.0.1") is True
    # the reverse pair fails: 127.0.0.1 is the one that cannot connect
    assert await verify_filter(srv.host, srv.port, "127.0.0.1", "127.0.0.2") is False
    assert {record.peer[0] for record in srv.records} == {"127.0.0.2"}
