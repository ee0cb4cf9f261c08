"""Issue 15: client certificates, proxies, PHP header values, WebSocket wire details.

Real loopback servers only (aiohttp over TLS, RAW scripted servers, a blocking TLS server in a
thread for a peer that answers as fast as a separate process would). Codes are written out.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import threading
from typing import Any

import pytest
from aiohttp import web
from support.raw import close_without_reply, hold, read_head, read_request_head, script, send
from support.tls import TlsMaterial
from support.ws import parse_frames, switching_protocols

from swoole_compat import SwooleException, SwooleWarning
from swoole_compat.coroutine.http import Client

ECONNRESET = 104
EPIPE = 32
SW_ERROR_OPERATION_NOT_SUPPORT = 507
SW_ERROR_PACKAGE_LENGTH_TOO_LARGE = 1201
SW_ERROR_SSL_HANDSHAKE_FAILED = 1018
SW_ERROR_HTTP_PROXY_HANDSHAKE_FAILED = 7103


async def _hello(request: web.Request) -> web.Response:
    return web.Response(text="hello")


# --------------------------------------------------------------------------- client certificates


@pytest.mark.expect_swoole_warnings("SSL_CTX_check_private_key")
async def test_key_file_without_cert_file_fails_before_any_handshake(raw_server: Any, tls: TlsMaterial) -> None:
    srv = await raw_server(hold, ssl=tls.server_context())
    cli = Client("127.0.0.1", srv.port, True)
    cli.set({"timeout": 5, "ssl_key_file": tls.client_key_file})
    with pytest.warns(SwooleWarning, match=r"ssl require cert file$"):
        assert await cli.get("/") is False
    assert (cli.statusCode, cli.errCode, cli.errMsg) == (-1, SW_ERROR_SSL_HANDSHAKE_FAILED, "SSL handshake failed")
    assert cli.connected is False
    await asyncio.sleep(0.05)
    assert all(record.received == b"" for record in srv.records)  # no ClientHello reached it


def _refusing_tls_server(context: ssl.SSLContext, count: int) -> tuple[socket.socket, threading.Thread]:
    """A blocking TLS server in a thread: it refuses the client certificate as soon as the
    client's handshake flight arrives (a TLS 1.3 alert after the client saw its handshake done)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)

    def serve() -> None:
        for _ in range(count):
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            try:
                tls_conn = context.wrap_socket(conn, server_side=True)
                tls_conn.recv(100)
                tls_conn.close()
            except (OSError, ssl.SSLError):
                conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return listener, thread


async def test_server_refusing_the_client_certificate_is_a_reset(tls: TlsMaterial) -> None:
    rounds = 12
    listener, thread = _refusing_tls_server(tls.server_context(require_client_cert=True), rounds)
    try:
        outcomes = set()
        for _ in range(rounds):
            cli = Client("127.0.0.1", listener.getsockname()[1], True)
            cli.set({"timeout": 5})
            assert await cli.get("/") is False
            outcomes.add((cli.statusCode, cli.errCode, cli.errMsg, cli.connected))
        assert outcomes == {(-3, ECONNRESET, "Connection reset by peer", False)}
    finally:
        listener.close()
        await asyncio.to_thread(thread.join, 5)


# --------------------------------------------------------------------------- HTTP proxy CONNECT

CONNECT_REFUSALS = {
    "200-ok-too-short": script(read_head(), send(b"HTTP/1.1 200 OK\r\n\r\n")),
    "200-connection-established-short": script(read_head(), send(b"HTTP/1.1 200 Established\r\n\r\n")),
    "407": script(
        read_head(),
        send(b'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="x"\r\n\r\n'),
    ),
    "non-http": script(read_head(), send(b"SSH-2.0-OpenSSH_9.6 and some more padding bytes\r\n\r\n")),
    "closing": close_without_reply,
}


@pytest.mark.parametrize("case", sorted(CONNECT_REFUSALS))
async def test_http_proxy_connect_refused_sends_nothing_else(raw_server: Any, case: str) -> None:
    proxy = await raw_server(CONNECT_REFUSALS[case])
    cli = Client("localhost", 443, True)
    cli.set({"timeout": 5, "http_proxy_host": "127.0.0.1", "http_proxy_port": proxy.port})
    assert await cli.get("/") is False
    assert (cli.statusCode, cli.errCode, cli.errMsg) == (
        -1,
        SW_ERROR_HTTP_PROXY_HANDSHAKE_FAILED,
        "Http proxy handshake failed",
    )
    await asyncio.sleep(0.05)
    received = proxy.received(0)
    assert received.startswith(b"CONNECT localhost:443 HTTP/1.1\r\n")
    assert received.endswith(b"\r\n\r\n") and received.count(b"\r\n\r\n") == 1  # no ClientHello


async def test_http_proxy_connect_silent_proxy_times_out_as_7103(raw_server: Any) -> None:
    proxy = await raw_server(hold)
    cli = Client("localhost", 443, True)
    cli.set({"timeout": 0.3, "http_proxy_host": "127.0.0.1", "http_proxy_port": proxy.port})
    assert await cli.get("/") is False
    assert (cli.statusCode, cli.errCode) == (-1, SW_ERROR_HTTP_PROXY_HANDSHAKE_FAILED)
    assert proxy.received(0).count(b"\r\n\r\n") == 1


async def test_http_proxy_connect_long_enough_200_is_accepted(
    http_server: Any, connect_proxy: Any, tls: TlsMaterial
) -> None:
    # HttpProxy::handshake: >= 37 bytes read, "HTTP/1.x", one skipped byte, spaces, "200".
    srv = await http_server(routes=[web.get("/", _hello)], ssl=tls.server_context())
    proxy = await connect_proxy(connect_reply=b"HTTP/1.1 200 OK\r\nVia: a-proxy-with-a-long-name\r\n\r\n")
    cli = Client("127.0.0.1", srv.port, True)
    cli.set({"timeout": 5, "http_proxy_host": "127.0.0.1", "http_proxy_port": proxy.port})
    assert await cli.get("/") is True, (cli.errCode, cli.errMsg)
    assert cli.body == b"hello"
    cli.close()


# --------------------------------------------------------------------------- proxies on UNIX clients


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"socks5_host": "127.0.0.1", "socks5_port": 1080}, "Only tcp socket supports socks5 proxy settings"),
        ({"http_proxy_host": "127.0.0.1", "http_proxy_port": 8080}, "Only tcp socket supports http proxy settings"),
        (
            {"socks5_host": "127.0.0.1", "http_proxy_host": "127.0.0.1", "http_proxy_port": 8080},
            "Only tcp socket supports socks5 proxy settings",
        ),
    ],
)
async def test_proxy_options_on_unix_client_request_goes_direct_then_throws(
    raw_server: Any, options: dict[str, Any], message: str
) -> None:
    srv = await raw_server(
        script(read_head(), send(b"HTTP/1.1 200 OK\r\nX-Direct: yes\r\nContent-Length: 6\r\n\r\ndirect")), unix=True
    )
    cli = Client(srv.client_host, srv.client_port)
    assert cli.set({"timeout": 5, **options}) is True  # set() accepts it
    with pytest.raises(SwooleException) as info:
        await cli.get("/u")
    assert (info.value.code, info.value.message) == (SW_ERROR_OPERATION_NOT_SUPPORT, message)
    # ... after the request went straight to the socket and its response was recorded
    assert srv.requests[0].startswith(b"GET /u HTTP/1.1\r\n")
    assert (cli.statusCode, cli.body, cli.headers["x-direct"]) == (200, b"direct", "yes")
    cli.close()


# --------------------------------------------------------------------------- proxy warnings


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"socks5_host": "127.0.0.1"}, "socks5_port should not be null"),
        ({"http_proxy_host": "127.0.0.1"}, "http_proxy_port should not be null"),
    ],
)
async def test_proxy_port_warnings_come_from_the_request(
    raw_server: Any, options: dict[str, Any], message: str
) -> None:
    srv = await raw_server(script(read_head(), send(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")))
    cli = Client("127.0.0.1", srv.port)
    with warnings_caught() as caught:
        assert cli.set({"timeout": 5, **options}) is True
    assert caught == []
    with pytest.warns(SwooleWarning, match=message + "$"):
        assert await cli.get("/") is True  # no usable proxy: straight to the server
    assert cli.body == b"ok"
    cli.close()


async def test_socks5_password_warning_comes_from_the_request(raw_server: Any) -> None:
    srv = await raw_server(script(read_head(), send(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")))
    cli = Client("127.0.0.1", srv.port)
    with warnings_caught() as caught:
        cli.set({"timeout": 5, "socks5_host": "127.0.0.1", "socks5_username": "u"})
    assert caught == []
    with pytest.warns(SwooleWarning) as warned:
        assert await cli.get("/") is True
    assert [str(w.message).split("(): ")[-1] for w in warned] == ["socks5_port should not be null"]
    cli.close()


class warnings_caught:  # noqa: N801 - used like a function
    def __enter__(self) -> list[Any]:
        import warnings

        self._cm = warnings.catch_warnings(record=True)
        caught = self._cm.__enter__()
        warnings.simplefilter("always")
        return caught

    def __exit__(self, *exc: Any) -> None:
        self._cm.__exit__(*exc)


# --------------------------------------------------------------------------- header values


async def test_header_values_are_php_strings(raw_server: Any) -> None:
    srv = await raw_server(script(read_head(), send(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")))
    cli = Client("127.0.0.1", srv.port)
    cli.set({"timeout": 5})
    cli.setHeaders(
        {
            "X-Int": 42,
            "X-Float": 1.5,
            "X-Float-Integral": 2.0,
            "X-Float-Big": 1e20,
            "X-True": True,
            "X-False": False,
            "X-List": [1, 2],
            "X-None": None,
            7: "integer key",
            "": "empty name",
        }
    )
    with pytest.warns(SwooleWarning, match="Array to string conversion"):
        assert await cli.get("/h") is True
    head = srv.requests[0]
    assert (
        b"\r\nX-Int: 42\r\nX-Float: 1.5\r\nX-Float-Integral: 2\r\nX-Float-Big: 1.0E+20\r\nX-True: 1\r\n"
        b"X-False: \r\nX-List: Array\r\n: empty name\r\nConnection: keep-alive\r\n" in head
    ), head
    assert b"X-None" not in head and b"integer key" not in head
    cli.close()


async def test_setting_list_header_warns_at_request_time_only(raw_server: Any) -> None:
    srv = await raw_server(script(read_head(), send(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")))
    cli = Client("127.0.0.1", srv.port)
    with warnings_caught() as caught:
        cli.setHeaders({"X-List": ["a"]})
    assert caught == []
    with pytest.warns(SwooleWarning, match="Array to string conversion"):
        assert await cli.get("/") is True
    cli.close()


@pytest.mark.parametrize("headers", [{"X-A\r\nX-B": "v"}, {"X-A": "v\r\nX-B: w"}, {"": "a\nb"}])
async def test_header_cr_lf_still_refused(raw_server: Any, headers: dict[str, Any]) -> None:
    srv = await raw_server(hold)
    cli = Client("127.0.0.1", srv.port)
    cli.setHeaders(headers)
    with pytest.raises(ValueError):
        await cli.get("/")
    await asyncio.sleep(0.02)
    assert all(record.received == b"" for record in srv.records)
    cli.close()


# --------------------------------------------------------------------------- WebSocket wire details


def _ws_recorder(extensions: str | None = None, close_after_upgrade: bool = False) -> Any:
    """A raw WebSocket server: answers the upgrade (optionally with an extensions header),
    then records every byte the client sends (or closes its side at once)."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await read_request_head(reader)
        response = switching_protocols(head)
        if extensions is not None:
            response = response[:-2] + f"Sec-WebSocket-Extensions: {extensions}\r\n\r\n".encode()
        writer.write(response)
        await writer.drain()
        if close_after_upgrade:
            writer.close()
            return
        while await reader.read(65536):
            pass

    return handler


async def _frames_sent(srv: Any) -> list[Any]:
    await asyncio.sleep(0.05)
    data = srv.received(0)
    frames, _rest = parse_frames(data[data.index(b"\r\n\r\n") + 4 :])
    return frames


@pytest.mark.parametrize("compression", [False, True])
async def test_control_frames_pushed_keep_rsv1_and_fin(raw_server: Any, compression: bool) -> None:
    srv = await raw_server(_ws_recorder("permessage-deflate" if compression else None))
    cli = Client("127.0.0.1", srv.port)
    cli.set({"timeout": 5, "websocket_compression": compression, "websocket_mask": False})
    assert await cli.upgrade("/") is True and cli.statusCode == 101
    assert await cli.push("p", 10, 6) is True  # PONG, COMPRESS|RSV1, no FIN
    assert await cli.push("q", 9, 0) is True  # PING without FIN: FIN forced
    assert await cli.push("r", 10, 2) is True  # PONG, COMPRESS: never compressed
    assert await cli.push("t", 1, None) is True  # flags None = the default (FIN)
    cli.close()
    frames = await _frames_sent(srv)
    # the TEXT frame is compressed when deflate was negotiated (RSV1), the control frames never
    assert [f.first_byte for f in frames] == [0xCA, 0x89, 0x8A, 0xC1 if compression else 0x81]
    assert [f.payload for f in frames[:3]] == [b"p", b"q", b"r"]


@pytest.mark.parametrize(
    ("extensions", "compressed"),
    [
        ("PerMessage-Deflate; Server_No_Context_Takeover", False),  # 'P' != 'p': no match
        ("pERMESSAGE-DEFLATE; Server_No_Context_Takeover", True),  # the rest ignores case
        ("permessage-deflate; client_max_window_bits=10", True),  # parameters never read
    ],
)
async def test_extension_negotiation_matching_rule(raw_server: Any, extensions: str, compressed: bool) -> None:
    srv = await raw_server(_ws_recorder(extensions))
    cli = Client("127.0.0.1", srv.port)
    cli.set({"timeout": 5, "websocket_compression": True, "websocket_mask": False})
    assert await cli.upgrade("/") is True and cli.statusCode == 101
    assert await cli.push("hello hello hello hello") is True
    cli.close()
    (frame,) = await _frames_sent(srv)
    assert frame.rsv1 is compressed
    assert (frame.payload == b"hello hello hello hello") is not compressed


async def test_push_after_server_closed_is_broken_pipe(raw_server: Any) -> None:
    srv = await raw_server(_ws_recorder(close_after_upgrade=True))
    cli = Client("127.0.0.1", srv.port)
    cli.set({"timeout": 5})
    assert await cli.upgrade("/") is True and cli.statusCode == 101
    await asyncio.sleep(0.05)
    results = []
    for _ in range(5):  # the kernel takes the first frame after the FIN; the peer's RST follows
        ok = await cli.push("after close")
        results.append(ok)
        if not ok:
            break
        await asyncio.sleep(0.05)
    assert results[-1] is False and len(results) <= 2, results
    assert (cli.errCode, cli.errMsg, cli.statusCode, cli.connected) == (EPIPE, "Broken pipe", -3, False)


async def test_oversize_frame_message_names_the_local_address(raw_server: Any) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await read_request_head(reader)
        writer.write(switching_protocols(head) + b"\x82\x7e\x01\x00" + b"x" * 256)
        await writer.drain()
        await reader.read()

    srv = await raw_server(handler)
    cli = Client("127.0.0.1", srv.port)
    cli.set({"timeout": 5, "package_max_length": 64})
    assert await cli.upgrade("/") is True
    local = cli.getsockname()
    assert local is not False and local["port"] != srv.port
    assert await cli.recv() is False
    assert cli.errCode == SW_ERROR_PACKAGE_LENGTH_TOO_LARGE
    assert f"remote_addr=127.0.0.1:{local['port']}, length=260" in cli.errMsg, cli.errMsg


async def test_recv_timeout_inside_a_frame_keeps_the_partial_frame(raw_server: Any) -> None:
    # Deliberate deviation (docs/deviations.md W17): Swoole drops the bytes read so far.
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await read_request_head(reader)
        writer.write(switching_protocols(head) + b"\x81\x0a01234")
        await writer.drain()
        await asyncio.sleep(0.3)
        writer.write(b"56789")
        await writer.drain()
        await reader.read()

    srv = await raw_server(handler)
    cli = Client("127.0.0.1", srv.port)
    cli.set({"timeout": 5})
    assert await cli.upgrade("/") is True
    assert await cli.recv(0.1) is False and cli.errCode == 110
    frame = await cli.recv(2)
    assert frame.data == b"0123456789"
    cli.close()
