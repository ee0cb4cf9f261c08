"""Caller misuse: injection attempts, wrong types, negative sizes, use after close() and task
cancellation in the middle of a request.

* CR/LF/NUL in anything that becomes a request line, header or multipart part header raises a
  clear ``ValueError`` (deviation S1) before a single byte is written: the server records
  nothing, and the client stays usable for the next, clean request.
* Wrong argument types raise ``TypeError``; the swoole_compat-only ``max_body_size`` is validated
  (``TypeError``/``ValueError``) before anything is merged; the Swoole options keep their
  documented lenient behaviour for negative sizes (warning + False, or the default).
* A cancelled request (in connect, send or receive) leaves the client closed - never a
  half-used connection that a later request would reuse - and the next request works, the
  server seeing a clean request on a new connection.
"""

from __future__ import annotations

import asyncio
import os
import ssl
import warnings
from pathlib import Path
from typing import Any

import pytest
from support.raw import RawRequest, hold, respond

from support import raw

from swoole_compat import SwooleWarning
from swoole_compat.coroutine.http import Client

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
BAD = ["a\r\nX-Injected: 1", "a\nb", "a\rb", "a\0b", "\r\n"]


def fd_count() -> int:
    return len(os.listdir("/proc/self/fd"))


class Recorder:
    """A keep-alive raw server answering OK and recording every parsed request."""

    def __init__(self) -> None:
        self.requests: list[RawRequest] = []

    def __call__(self, request: RawRequest) -> bytes:
        self.requests.append(request)
        return OK


async def recording_server(raw_server: Any) -> tuple[Any, Recorder]:
    recorder = Recorder()
    return await raw_server(respond(recorder)), recorder


async def assert_nothing_sent_then_clean_request(srv: Any, rec: Recorder, cli: Client) -> None:
    """No byte reached the server; the next clean request works and is the only one seen."""
    await asyncio.sleep(0.05)
    assert all(not record.received for record in srv.records), [bytes(r.received) for r in srv.records]
    assert rec.requests == []
    cli.setHeaders({})
    cli.setCookies({})
    cli.setMethod("GET")
    cli.uploadFiles = None
    cli.requestBody = None
    cli._basic_auth = ""  # noqa: SLF001 - reset a rejected credential for the follow-up check
    assert await cli.get("/clean") is True
    assert cli.body == b"ok"
    assert [(r.method, r.target) for r in rec.requests] == [("GET", "/clean")]
    for name, value in rec.requests[0].headers:
        assert "Injected" not in name and "\x00" not in value
    cli.close()


# --------------------------------------------------------------------------- injection


@pytest.mark.parametrize("bad", BAD)
@pytest.mark.parametrize("where", ["header-name", "header-value", "method", "path", "host-header", "cookie-name"])
async def test_injection_raises_before_anything_is_written(raw_server: Any, where: str, bad: str) -> None:
    srv, rec = await recording_server(raw_server)
    cli = Client("127.0.0.1", srv.port)
    path = "/p"
    if where == "header-name":
        cli.setHeaders({f"X-{bad}": "v"})
    elif where == "header-value":
        cli.setHeaders({"X-Value": bad})
    elif where == "method":
        cli.setMethod(f"GET{bad}")
    elif where == "path":
        path = f"/p{bad}"
    elif where == "host-header":
        cli.setHeaders({"Host": f"example.org{bad}"})
    else:
        cli.setCookies({f"k{bad}": "v"})
    with pytest.raises(ValueError, match="CR, LF or NUL|invalid header name"):
        await cli.execute(path)
    await assert_nothing_sent_then_clean_request(srv, rec, cli)


async def test_cookie_values_are_percent_encoded_not_injected(raw_server: Any) -> None:
    """Cookie *values* are url-encoded (as Swoole does), so CR/LF cannot break the head."""
    srv, rec = await recording_server(raw_server)
    cli = Client("127.0.0.1", srv.port)
    cli.setCookies({"k": "a\r\nX-Injected: 1\0"})
    assert await cli.get("/") is True
    assert rec.requests[0].header("Cookie") == "k=a%0D%0AX-Injected%3A+1%00"
    assert rec.requests[0].header("X-Injected") is None
    cli.close()


@pytest.mark.parametrize("bad", BAD)
@pytest.mark.parametrize("part", ["user", "password"])
def test_basic_auth_with_control_characters_raises(bad: str, part: str) -> None:
    """RFC 7617 forbids control characters in user-id and password; Swoole would encode them
    blindly. Raised by setBasicAuth() itself: nothing is stored."""
    cli = Client("127.0.0.1", 1)
    with pytest.raises(ValueError, match="CR, LF or NUL"):
        cli.setBasicAuth(bad if part == "user" else "u", bad if part == "password" else "p")
    assert cli._basic_auth == ""  # noqa: SLF001


@pytest.mark.parametrize("field", ["name", "filename", "type"])
@pytest.mark.parametrize("bad", ["a\r\nContent-Type: text/evil", "a\nb", "a\0b"])
async def test_multipart_add_data_fields_are_checked(raw_server: Any, field: str, bad: str) -> None:
    srv, rec = await recording_server(raw_server)
    cli = Client("127.0.0.1", srv.port)
    args = {"name": "n", "type": "text/plain", "filename": "f.txt"}
    args[field] = bad
    assert cli.addData(b"data", args["name"], args["type"], args["filename"]) is True
    with pytest.raises(ValueError, match="CR, LF or NUL"):
        await cli.post("/up", {"k": "v"})
    await assert_nothing_sent_then_clean_request(srv, rec, cli)


@pytest.mark.parametrize("field", ["name", "filename", "type"])
async def test_multipart_add_file_fields_are_checked(raw_server: Any, tmp_path: Path, field: str) -> None:
    path = tmp_path / "up.txt"
    path.write_bytes(b"file content")
    srv, rec = await recording_server(raw_server)
    cli = Client("127.0.0.1", srv.port)
    args = {"name": "n", "type": "text/plain", "filename": "f.txt"}
    args[field] = "x\r\nX-Injected: 1"
    assert cli.addFile(str(path), args["name"], args["type"], args["filename"]) is True
    with pytest.raises(ValueError, match="CR, LF or NUL"):
        await cli.post("/up", None)
    await assert_nothing_sent_then_clean_request(srv, rec, cli)


async def test_multipart_form_field_names_are_checked(raw_server: Any) -> None:
    srv, rec = await recording_server(raw_server)
    cli = Client("127.0.0.1", srv.port)
    cli.addData(b"data", "file")
    with pytest.raises(ValueError, match="CR, LF or NUL"):
        await cli.post("/up", {"field\r\nContent-Type: x": "v"})
    await assert_nothing_sent_then_clean_request(srv, rec, cli)


async def test_websocket_upgrade_headers_are_checked(raw_server: Any) -> None:
    """``websocket_subprotocol`` is stored but never sent (client.md §4.2); a subprotocol set
    with setHeaders() goes through the header checks like any other header."""
    srv, rec = await recording_server(raw_server)
    cli = Client("127.0.0.1", srv.port)
    cli.set({"websocket_subprotocol": "chat\r\nX-Injected: 1"})
    cli.setHeaders({"Sec-WebSocket-Protocol": "chat\r\nX-Injected: 1"})
    with pytest.raises(ValueError, match="CR, LF or NUL"):
        await cli.upgrade("/ws")
    await asyncio.sleep(0.05)
    assert all(not record.received for record in srv.records)
    cli.setHeaders({})
    assert await cli.upgrade("/ws") is True  # answered 200: no switch, but a clean request
    assert b"X-Injected" not in rec.requests[0].head and b"chat" not in rec.requests[0].head
    cli.close()


@pytest.mark.parametrize("bad", BAD)
async def test_host_with_control_characters_raises_before_dns_or_connect(raw_server: Any, bad: str) -> None:
    srv, rec = await recording_server(raw_server)
    cli = Client(f"127.0.0.1{bad}", srv.port)
    with pytest.raises(ValueError, match="CR, LF or NUL"):
        await cli.get("/")
    assert srv.connections == 0
    assert cli.connected is False


async def test_host_with_control_characters_through_an_http_proxy(connect_proxy: Any) -> None:
    """Plain HTTP through a proxy puts the host in the request target and Host line; TLS
    through a proxy puts it in the CONNECT head: both refused, the proxy sees nothing."""
    proxy = await connect_proxy()
    for use_ssl in (False, True):
        cli = Client("example.org\r\nX-Injected: 1", 80, use_ssl)
        cli.set({"http_proxy_host": "127.0.0.1", "http_proxy_port": proxy.port})
        with pytest.raises(ValueError, match="CR, LF or NUL"):
            await cli.get("/")
    await asyncio.sleep(0.05)
    assert proxy.requests == [] and proxy.connects == []
    assert all(not record.received for record in proxy.records)


async def test_ssl_host_name_with_control_characters_through_an_http_proxy(connect_proxy: Any) -> None:
    proxy = await connect_proxy()
    cli = Client("127.0.0.1", 443, True)
    cli.set({"http_proxy_host": "127.0.0.1", "http_proxy_port": proxy.port, "ssl_host_name": "a\r\nX-Injected: 1"})
    with pytest.raises(ValueError, match="CR, LF or NUL"):
        await cli.get("/")
    assert proxy.connections == 0


async def test_non_string_header_keys_are_skipped(raw_server: Any) -> None:
    """errors.md §7: int keys (and other non-str keys) are skipped at send time."""
    srv, rec = await recording_server(raw_server)
    cli = Client("127.0.0.1", srv.port)
    cli.setHeaders({5: "five", b"X-Bytes": "b", None: "n", ("t",): "t", "X-Ok": "1", "X-None": None})
    cli.setCookies({7: "seven", "c": "1"})
    assert await cli.get("/") is True
    names = [name for name, _ in rec.requests[0].headers]
    assert "X-Ok" in names and "X-None" not in names
    assert all(name in ("Host", "X-Ok", "Connection", "Accept-Encoding", "Cookie") for name in names), names
    cli.close()


# --------------------------------------------------------------------------- wrong types


@pytest.mark.parametrize("value", [None, "x", ["a"], 5, ("k", "v")])
def test_setters_reject_non_dicts(value: Any) -> None:
    cli = Client("127.0.0.1", 1)
    for setter in (cli.set, cli.setHeaders, cli.setCookies):
        with pytest.raises(TypeError):
            setter(value)
    assert cli.setting is None and cli.requestHeaders is None and cli.cookies is None


@pytest.mark.parametrize("value", [5, None, b"GET", ["GET"]])
def test_set_method_rejects_non_strings(value: Any) -> None:
    with pytest.raises(TypeError):
        Client("127.0.0.1", 1).setMethod(value)


@pytest.mark.parametrize("path", [None, 5, b"/", ["/"]])
async def test_request_path_must_be_a_string(path: Any) -> None:
    cli = Client("127.0.0.1", 1)
    with pytest.raises(TypeError):
        await cli.get(path)
    with pytest.raises(TypeError):
        await cli.execute(path)


@pytest.mark.parametrize("host", [None, 5, b"127.0.0.1"])
def test_constructor_host_must_be_a_string(host: Any) -> None:
    with pytest.raises(TypeError):
        Client(host, 80)


@pytest.mark.parametrize(
    ("value", "error"),
    [(-1, ValueError), ("-5", ValueError), ("lots", ValueError), ("64X", ValueError), (1.5, TypeError),
     (True, TypeError), ([1], TypeError), (b"64", TypeError)],
)
def test_max_body_size_is_validated_before_anything_is_merged(value: Any, error: type[Exception]) -> None:
    cli = Client("127.0.0.1", 1)
    cli.set({"timeout": 3})
    with pytest.raises(error, match="max_body_size"):
        cli.set({"max_body_size": value, "timeout": 9})
    assert cli.setting == {"timeout": 3}


@pytest.mark.parametrize(("value", "size"), [(0, 0), (1, 1), ("64K", 64 << 10), ("16m", 16 << 20), ("1G", 1 << 30), (" 2048 ", 2048)])
def test_max_body_size_accepts_counts_and_suffixes(value: Any, size: int) -> None:
    cli = Client("127.0.0.1", 1)
    assert cli.set({"max_body_size": value}) is True
    assert cli._max_body_size == size  # noqa: SLF001
    assert cli.setting == {"max_body_size": value}


def test_negative_sizes_of_swoole_options_keep_their_documented_outcome(tmp_path: Path) -> None:
    """errors.md §6.1/§7: warnings and False (addFile, download offset, max_retries); nothing
    raises. (socket_buffer_size warns when a socket takes the setting: see below.)"""
    path = tmp_path / "f.txt"
    path.write_bytes(b"0123456789")
    cli = Client("127.0.0.1", 1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert cli.addFile(str(path), "f", offset=-1) is False
        assert cli.addFile(str(path), "f", length=-1) is False
        assert cli.set({"max_retries": -1}) is False
        cli.set({"socket_buffer_size": -1})
        assert cli.set({"package_max_length": -5, "timeout": -1}) is True
    assert len([w for w in caught if issubclass(w.category, SwooleWarning)]) == 3
    assert cli.uploadFiles is None


async def test_socket_buffer_size_warns_when_a_socket_takes_it(raw_server: Any) -> None:
    """``php_swoole_socket_set``: the merged setting is applied by the request that connects,
    a ``set()`` array only to a live socket; ``"0K"`` reads as 0 (``php_swoole_parse_to_size``)."""
    srv = await raw_server(raw.respond(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"))
    cli = Client("127.0.0.1", srv.port)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cli.set({"socket_buffer_size": "0K"})
    assert caught == []  # no socket yet
    with pytest.warns(SwooleWarning, match=r"socket buffer size must be greater than 0, got 0"):
        assert await cli.get("/") is True
    with pytest.warns(SwooleWarning, match=r"got -1"):
        cli.set({"socket_buffer_size": -1})  # a live socket: this set()'s array
    cli.close()


async def test_download_with_a_negative_offset_warns(tmp_path: Path) -> None:
    cli = Client("127.0.0.1", 1)
    with pytest.warns(SwooleWarning, match="offset"):
        assert await cli.download("/", str(tmp_path / "x"), -1) is False


@pytest.mark.parametrize("value", [object(), [1, 2], {"a": 1}, float("nan"), 10**30, -(10**30), "\0"])
async def test_odd_option_values_never_break_a_request(raw_server: Any, value: Any) -> None:
    """PHP-style conversion of Swoole options: whatever the value, the request gives a Swoole
    result (or a documented warning), never a Python exception from inside the client."""
    srv, rec = await recording_server(raw_server)
    for key in ("timeout", "connect_timeout", "read_timeout", "max_retries", "keep_alive", "defer",
                "lowercase_header", "http_compression", "body_decompression", "socket_buffer_size",
                "package_max_length", "open_tcp_nodelay", "bind_port"):
        cli = Client("127.0.0.1", srv.port)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cli.set({key: value, "timeout": 1} if key != "timeout" else {key: value})
            result = await cli.get("/")
            if cli.getDefer():
                result = await cli.recv(1)
        assert result is True or (result is False and cli.errCode != 0), (key, cli.errCode, cli.errMsg)
        cli.close()


# --------------------------------------------------------------------------- after close()


async def test_methods_after_close(raw_server: Any) -> None:
    srv, rec = await recording_server(raw_server)
    cli = Client("127.0.0.1", srv.port)
    assert cli.close() is False  # never connected
    assert await cli.get("/one") is True
    header_out = cli.getHeaderOut()
    assert cli.close() is True
    assert cli.close() is False  # twice
    assert cli.connected is False and cli.socket is None
    for call in (cli.recv(), cli.push("x"), cli.ping(), cli.disconnect()):
        assert await call is False
        assert cli.errCode == 5001
    for getter in (cli.getsockname, cli.getpeername, cli.getPeerCert):
        assert getter() is False and cli.errCode == 5001
    assert cli.getHeaderOut() == header_out
    assert cli.body == b"ok" and cli.statusCode == 200  # the last response is kept
    # A request after close() reconnects (client.md §8.2).
    assert await cli.get("/two") is True
    assert srv.connections == 2
    assert [r.target for r in rec.requests] == ["/one", "/two"]
    async with cli:
        pass
    assert cli.connected is False
    assert await cli.aclose() is False


# --------------------------------------------------------------------------- cancellation


async def cancel_after(coro: Any, delay: float) -> None:
    task = asyncio.ensure_future(coro)
    await asyncio.sleep(delay)
    assert not task.done()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_cancel_during_connect_closes_the_socket(blackhole: Any) -> None:
    cli = Client(blackhole.host, blackhole.port)
    cli.set({"connect_timeout": 10})
    before = fd_count()
    await cancel_after(cli.get("/"), 0.2)
    assert cli.connected is False and cli.socket is None
    await asyncio.sleep(0.05)
    assert fd_count() <= before


async def test_cancel_during_tls_handshake_then_the_next_request_works(raw_server: Any, tls_server_context: ssl.SSLContext) -> None:
    """Connect stage cancelled (the server delays its TLS handshake): closed, no fd left, and
    the same client then completes a request."""
    srv = await raw_server(respond(OK), ssl=tls_server_context, ssl_delay=0.4)
    cli = Client("127.0.0.1", srv.port, True)
    before = fd_count()
    await cancel_after(cli.get("/first"), 0.1)
    assert cli.connected is False
    await asyncio.sleep(0.6)  # the in-process server drops its side after its TLS delay
    assert fd_count() <= before
    assert await cli.get("/second") is True
    assert cli.body == b"ok"
    cli.close()


async def test_cancel_during_send_never_reuses_the_connection(raw_server: Any) -> None:
    """Cancelled while a 64 MiB upload is blocked on a peer that does not read: the client is
    closed; the next request goes out on a new connection and arrives clean."""
    recorder = Recorder()
    connections = 0

    async def handler(reader: Any, writer: Any) -> None:
        nonlocal connections
        connections += 1
        if connections == 1:
            await asyncio.sleep(5)  # never read: the upload blocks
            return
        await respond(recorder)(reader, writer)

    srv = await raw_server(handler)
    cli = Client("127.0.0.1", srv.port)
    cli.set({"timeout": 10})
    await cancel_after(cli.post("/big", b"b" * (64 << 20)), 0.3)
    assert cli.connected is False and cli.socket is None
    assert await cli.post("/small", {"k": "v"}) is True
    assert cli.body == b"ok"
    assert srv.connections == 2
    assert len(recorder.requests) == 1
    request = recorder.requests[0]
    assert (request.method, request.target, request.body) == ("POST", "/small", b"k=v")
    cli.close()


async def test_cancel_during_receive_never_reuses_the_connection(raw_server: Any) -> None:
    recorder = Recorder()
    connections = 0

    async def handler(reader: Any, writer: Any) -> None:
        nonlocal connections
        connections += 1
        if connections == 1:
            await respond(lambda request: b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial")(reader, writer)
            await hold(reader, writer)
            return
        await respond(recorder)(reader, writer)

    srv = await raw_server(handler)
    cli = Client("127.0.0.1", srv.port)
    cli.set({"timeout": 10})
    await cancel_after(cli.get("/slow"), 0.2)
    assert cli.connected is False
    assert await cli.get("/next") is True
    assert cli.statusCode == 200 and cli.body == b"ok"
    assert srv.connections == 2
    assert [r.target for r in recorder.requests] == ["/next"]
    cli.close()


async def test_cancel_during_defer_recv_never_reuses_the_connection(raw_server: Any) -> None:
    recorder = Recorder()
    connections = 0

    async def handler(reader: Any, writer: Any) -> None:
        nonlocal connections
        connections += 1
        if connections == 1:
            await hold(reader, writer)
            return
        await respond(recorder)(reader, writer)

    srv = await raw_server(handler)
    cli = Client("127.0.0.1", srv.port)
    cli.setDefer()
    assert await cli.get("/deferred") is True
    await cancel_after(cli.recv(5), 0.2)
    assert cli.connected is False
    assert await cli.get("/next") is True
    assert await cli.recv(5) is True
    assert cli.body == b"ok"
    assert [r.target for r in recorder.requests] == ["/next"]
    cli.close()


async def test_cancelled_websocket_recv_leaves_the_connection_usable(ws_server: Any) -> None:
    """A cancelled recv() has consumed nothing it did not keep: the next recv() gets the frame."""

    async def handler(conn: Any) -> None:
        await asyncio.sleep(0.4)
        await conn.send_text("late")
        await conn.wait_closed()

    srv = await ws_server(handler)
    cli = Client("127.0.0.1", srv.port)
    assert await cli.upgrade("/") is True
    await cancel_after(cli.recv(5), 0.1)
    frame = await cli.recv(5)
    assert frame is not False and frame.data == b"late"
    cli.close()
