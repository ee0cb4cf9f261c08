"""Every HTTP-scope row of errors.md: statusCode values (§2), errCode/errMsg per stage (§3.1-3.4),
the exceptions of §6.3 and the bad-input table (§7).

Failures are provoked with real loopback servers: scripted raw servers (resets, trickles,
malformed heads), a killed server (refused), a connect black hole (connect timeout), plain and
TLS listeners.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from support.blackhole import Blackhole
from support.listener import make_short_unix_dir
from support.raw import (
    close,
    hold,
    raw_server,
    read_head,
    reset,
    respond,
    script,
    send,
    sleep,
    trickling,
)

from swoole_compat import SwooleException, SwooleWarning
from swoole_compat.coroutine.http import Client, ClientException

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


def now() -> float:
    """The running loop's clock."""
    return asyncio.get_running_loop().time()


def assert_failed(cli: Client, code: int, status: int, message: str | None = None) -> None:
    """The client properties after a failed request that closed the connection."""
    assert cli.errCode == code, (cli.errCode, cli.errMsg)
    if message is not None:
        assert cli.errMsg == message
    assert cli.statusCode == status
    assert cli.connected is False
    assert cli.socket is None


async def run_once(response_steps: list[Any], **settings: Any) -> tuple[Client, bool]:
    """GET ``/`` against a raw server running ``script(read_head(), *response_steps)``."""
    async with raw_server(script(read_head(), *response_steps)) as srv:
        cli = Client("127.0.0.1", srv.port)
        if settings:
            cli.set(settings)
        result = await cli.get("/")
        cli.close()
        return cli, result


# --------------------------------------------------------------------------- §3.1 connect stage


async def test_connection_refused() -> None:
    """111 ``Connection refused``, statusCode -1, the error survives (no reset after a failed
    connect)."""
    async with raw_server() as srv:
        port = srv.port
        await srv.kill()
        cli = Client("127.0.0.1", port)
        assert await cli.get("/") is False
        assert_failed(cli, 111, -1, "Connection refused")
        assert cli.headers is None and cli.body == b""


@pytest.mark.parametrize("host", ["[::1]", "unix:tmp/x"])
async def test_dns_failure(host: str) -> None:
    """711: a bracketed IPv6 literal and ``unix:`` without a slash are host *names*."""
    cli = Client(host, 8080)
    assert cli.host == host
    assert await cli.get("/") is False
    assert_failed(cli, 711, -1, "DNS Lookup resolve failed")


async def test_connect_timeout_blackhole(blackhole: Blackhole) -> None:
    """110 after ``connect_timeout``; statusCode -1."""
    cli = Client(blackhole.host, blackhole.port)
    cli.set({"connect_timeout": 0.3})
    start = now()
    assert await cli.get("/") is False
    elapsed = now() - start
    assert_failed(cli, 110, -1, "Connection timed out")
    assert 0.25 <= elapsed < 1.0


async def test_connect_timeout_is_not_the_response_timeout(blackhole: Blackhole) -> None:
    """§4.1: ``timeout`` does not bound the TCP connect; ``connect_timeout`` does."""
    cli = Client(blackhole.host, blackhole.port)
    cli.set({"timeout": 0.1, "connect_timeout": 0.5})
    start = now()
    assert await cli.get("/") is False
    elapsed = now() - start
    assert cli.errCode == 110 and cli.statusCode == -1
    assert 0.45 <= elapsed < 1.2


async def test_unix_path_missing() -> None:
    """2 ``No such file or directory`` for a UNIX path that does not exist."""
    directory = make_short_unix_dir()
    try:
        cli = Client(f"unix:{directory}/missing.sock")
        assert await cli.get("/") is False
        assert_failed(cli, 2, -1, "No such file or directory")
    finally:
        shutil.rmtree(directory, ignore_errors=True)


async def test_tls_to_plain_server_handshake_failed() -> None:
    """1018 ``SSL handshake failed``: TLS to a plain HTTP port (the server answers the
    ClientHello with a 400, as a real HTTP server does, and closes)."""

    async def plain_http(reader: Any, writer: Any) -> None:
        await reader.read(1)
        writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        await writer.drain()

    async with raw_server(plain_http) as srv:
        cli = Client("127.0.0.1", srv.port, True)
        cli.set({"timeout": 1})
        assert await cli.get("/") is False
        assert_failed(cli, 1018, -1, "SSL handshake failed")


async def test_tls_verify_failed(self_signed_context: Any) -> None:
    """1014 ``SSL verify failed`` with ssl_verify_peer against a self-signed server."""
    async with raw_server(respond(OK), ssl=self_signed_context) as srv:
        cli = Client("127.0.0.1", srv.port, True)
        cli.set({"ssl_verify_peer": True, "timeout": 1})
        assert await cli.get("/") is False
        assert_failed(cli, 1014, -1, "SSL verify failed")


async def test_tls_handshake_timeout() -> None:
    """110: the server accepts but never speaks TLS; the handshake is bounded by the timeout."""
    async with raw_server(hold) as srv:
        cli = Client("127.0.0.1", srv.port, True)
        cli.set({"timeout": 0.3})
        start = now()
        assert await cli.get("/") is False
        assert_failed(cli, 110, -1, "Connection timed out")
        assert 0.25 <= now() - start < 1.0


@pytest.mark.parametrize(
    "answer",
    [
        script(read_head(), send(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n"), sleep(0.5)),
        script(read_head(), close()),
    ],
    ids=["403", "closed"],
)
async def test_http_proxy_handshake_failed(answer: Any) -> None:
    """7103 ``Http proxy handshake failed``: CONNECT not answered with 200."""
    async with raw_server(answer) as proxy:
        cli = Client("example.org", 443, True)
        cli.set({"http_proxy_host": "127.0.0.1", "http_proxy_port": proxy.port, "timeout": 1})
        assert await cli.get("/") is False
        assert_failed(cli, 7103, -1, "Http proxy handshake failed")
        assert proxy.requests[0].startswith(b"CONNECT example.org:443 HTTP/1.1\r\n")


async def test_socks5_handshake_failed() -> None:
    """7005 ``Socks5 handshake failed``: the proxy rejects every method."""

    async def refuse(reader: Any, writer: Any) -> None:
        await reader.readexactly(3)
        writer.write(b"\x05\xff")
        await writer.drain()
        await asyncio.sleep(0.5)

    async with raw_server(refuse) as proxy:
        cli = Client("example.org", 80)
        cli.set({"socks5_host": "127.0.0.1", "socks5_port": proxy.port, "timeout": 1})
        assert await cli.get("/") is False
        assert_failed(cli, 7005, -1, "Socks5 handshake failed")


# --------------------------------------------------------------------------- §3.2 send failures


async def test_send_failure_reset_during_large_body() -> None:
    """-4 with 104/32 when the server resets while a large body is being written."""
    async with raw_server(script(read_head(), reset())) as srv:
        cli = Client("127.0.0.1", srv.port)
        cli.set({"timeout": 2})
        assert await cli.post("/upload", b"x" * (32 * 1024 * 1024)) is False
        assert cli.errCode in (32, 104), (cli.errCode, cli.errMsg)
        assert cli.errMsg == os.strerror(cli.errCode)
        assert_failed(cli, cli.errCode, -4)
        assert cli.headers is None


async def test_send_failure_write_timeout() -> None:
    """-4 with 110 when the server never reads and ``write_timeout`` expires."""
    async with raw_server(script(sleep(3.0))) as srv:
        cli = Client("127.0.0.1", srv.port)
        cli.set({"write_timeout": 0.3, "timeout": 5})
        start = now()
        assert await cli.post("/upload", b"y" * (64 * 1024 * 1024)) is False
        elapsed = now() - start
        assert_failed(cli, 110, -4, "Connection timed out")
        assert 0.25 <= elapsed < 1.5


async def test_send_failure_upload_file_vanished(tmp_path: Path) -> None:
    """-4, errCode = errno, errMsg ``open(<path>) failed, <strerror>`` when an addFile() file
    cannot be opened at send time."""
    path = tmp_path / "gone.txt"
    path.write_bytes(b"content")
    async with raw_server(respond(OK)) as srv:
        cli = Client("127.0.0.1", srv.port)
        assert cli.addFile(str(path), "f") is True
        path.unlink()
        assert await cli.post("/u", {"a": "b"}) is False
        assert_failed(cli, 2, -4, f"open({path}) failed, No such file or directory")
        assert cli.uploadFiles is None  # reset after the failed request closed the connection


# --------------------------------------------------------------------------- §3.3 response reading


async def test_response_timeout_is_one_budget_for_a_trickled_head() -> None:
    """-2/110: a server trickling the head one byte every 0.1 s times out after ~timeout in
    total, not per read; headers stay None, body empty, connection closed."""
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Slow: aaaaaaaaaaaaaaaaaaaa\r\n\r\nok"
    start = now()
    cli, result = await run_once([trickling(head, 1, 0.1)], timeout=0.5)
    elapsed = now() - start
    assert result is False
    assert_failed(cli, 110, -2, "Connection timed out")
    assert cli.headers is None and cli.body == b""
    assert 0.45 <= elapsed < 1.2


async def test_response_timeout_keeps_parsed_headers() -> None:
    """§7.1: chunks every 0.15 s with timeout 0.5 → failure at ~0.5 s with headers filled."""
    steps: list[Any] = [send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n\r\n")]
    for _ in range(10):
        steps += [sleep(0.15), send(b"1\r\nx\r\n")]
    start = now()
    cli, result = await run_once(steps, timeout=0.5)
    elapsed = now() - start
    assert result is False
    assert_failed(cli, 110, -2)
    assert cli.headers == {"transfer-encoding": "chunked", "x-a": "1"}
    assert cli.body == b""
    assert 0.45 <= elapsed < 1.2


async def test_recv_timeout_argument_overrides_option() -> None:
    """Defer mode: recv(timeout) overrides the ``timeout`` option."""
    async with raw_server(script(read_head(), sleep(3.0))) as srv:
        cli = Client("127.0.0.1", srv.port)
        cli.set({"timeout": 5, "defer": True})
        assert await cli.get("/") is True
        start = now()
        assert await cli.recv(0.3) is False
        assert_failed(cli, 110, -2)
        assert 0.25 <= now() - start < 1.0


@pytest.mark.parametrize(
    "steps",
    [
        [close()],
        [reset()],
        [send(b"HTTP/1.1 200 OK\r\nContent-Le"), close()],
    ],
    ids=["close", "reset", "partial-head"],
)
async def test_reset_before_body(steps: list[Any]) -> None:
    """-3/104 when the server closes or resets before the header block is complete."""
    cli, result = await run_once(steps, timeout=2)
    assert result is False
    assert_failed(cli, 104, -3, "Connection reset by peer")
    assert cli.headers is None
    assert cli.body == b""


@pytest.mark.parametrize("ending", [close(), reset()], ids=["close", "reset"])
@pytest.mark.parametrize(
    "response",
    [
        b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\nX-A: 1\r\n\r\nabc",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n\r\n3\r\nabc\r\n",
        b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 10\r\nX-A: 1\r\n\r\nabc",
    ],
    ids=["length", "chunked", "http10-keep-alive"],
)
async def test_reset_during_body(response: bytes, ending: Any) -> None:
    """-3/104 when a keep-alive response body is cut short; parsed headers stay."""
    cli, result = await run_once([send(response), sleep(0.05), ending], timeout=2)
    assert result is False
    assert_failed(cli, 104, -3, "Connection reset by peer")
    assert cli.headers is not None and cli.headers["x-a"] == "1"
    assert cli.body == b""


@pytest.mark.parametrize(
    ("response", "headers"),
    [
        (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nbroken header line\r\n\r\nok", {"content-length": "2"}),
        (b"HTTP/1.1 200 OK\r\nX-A: 1\r\nBad(Header: x\r\nX-B: 2\r\n\r\n", {"x-a": "1"}),
        (b"HTTX/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", None),
        (b"HTTP/1.1 2000 OK\r\nContent-Length: 2\r\n\r\nok", None),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            {"content-length": "100"},
        ),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 100\r\n\r\n0\r\n\r\n",
            {"transfer-encoding": "chunked"},
        ),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n", {"transfer-encoding": "chunked"}),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-A: 1\r\nContent-Length: 2\r\n\r\nok", {"content-length": "2", "x-a": "1"}),
        (b"HTTP/1.1 200 OK\r\nX-A: 1\r\nContent-Length: 2, 2\r\n\r\nok", {"x-a": "1", "content-length": "2"}),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: gzip, chunked\r\n\r\nabc", {"content-length": "3"}),
    ],
    ids=[
        "no-colon", "bad-name", "bad-version", "bad-status", "cl-then-te", "te-then-cl", "bad-chunk",
        "duplicate-cl", "list-cl", "cl-with-te-list",
    ],
)
async def test_malformed_response(response: bytes, headers: dict[str, str] | None) -> None:
    """-3/7102 ``Http invalid protocol``; header lines before the bad one are kept."""
    cli, result = await run_once([send(response), sleep(0.5)], timeout=2)
    assert result is False
    assert_failed(cli, 7102, -3, "Http invalid protocol")
    assert cli.headers == headers
    assert cli.body == b""


@pytest.mark.parametrize("terminated", [True, False], ids=["terminated", "unterminated"])
async def test_header_block_too_large(terminated: bool) -> None:
    """-3/7102 when 65536 bytes arrive without the end of the header block; nothing of the
    block is parsed (headers None)."""
    response = b"HTTP/1.1 200 OK\r\nX-A: 1\r\nX-Big: " + b"b" * 70000
    if terminated:
        response += b"\r\nContent-Length: 2\r\n\r\nok"
    cli, result = await run_once([send(response), sleep(0.5)], timeout=2)
    assert result is False
    assert_failed(cli, 7102, -3, "Http invalid protocol")
    assert cli.headers is None


async def test_header_block_of_exactly_64k_is_accepted() -> None:
    """The limit is the 65536-byte read buffer: a head ending exactly at 65536 bytes is fine."""
    prefix = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Big: "
    suffix = b"\r\n\r\n"
    response = prefix + b"b" * (65536 - len(prefix) - len(suffix)) + suffix
    assert len(response) == 65536
    cli, result = await run_once([send(response + b"ok"), sleep(0.5)], timeout=2)
    assert result is True
    assert cli.body == b"ok"
    assert len(cli.headers["x-big"]) == 65536 - len(prefix) - len(suffix)  # type: ignore[index]


@pytest.mark.parametrize(
    "response",
    [
        b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 10\r\n\r\nabc",
        b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 10\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n",
        b"HTTP/1.0 200 OK\r\nContent-Length: 10\r\n\r\nabc",
    ],
    ids=["close-length", "close-no-body-byte", "close-chunked", "http10"],
)
async def test_truncated_non_keep_alive_body_is_success_q21(response: bytes) -> None:
    """Q21: EOF after the header block of a non-keep-alive response → True, statusCode 0,
    body empty, errCode 0, headers filled."""
    async with raw_server(script(read_head(), send(response), sleep(0.05), close())) as srv:
        cli = Client("127.0.0.1", srv.port)
        cli.set({"timeout": 2})
        assert await cli.get("/") is True
        assert cli.statusCode == 0
        assert cli.body == b""
        assert cli.errCode == 0 and cli.errMsg == ""
        assert cli.headers is not None
        assert {"content-length", "transfer-encoding"} & set(cli.headers)
        # Connection: close → closed after the response (§7.9); HTTP/1.0 without a Connection
        # header leaves the (dead) connection to the next request.
        assert cli.connected is response.startswith(b"HTTP/1.0")
        cli.close()


@pytest.mark.parametrize(
    "response",
    [
        b"HTTP/1.1 200 OK\r\nConnection: Close\r\nContent-Length: 10\r\n\r\nabc",
        b"HTTP/1.1 200 OK\r\nconnection: upgrade, close\r\nContent-Length: 10\r\n\r\nabc",
    ],
    ids=["capitalised", "token-list"],
)
async def test_q21_uses_the_parser_keep_alive_verdict(response: bytes) -> None:
    """Q21 is decided by llhttp_should_keep_alive, which sees the Connection header whatever
    ``lowercase_header`` says and matches the ``close`` token in a list."""
    async with raw_server(script(read_head(), send(response), sleep(0.05), close())) as srv:
        cli = Client("127.0.0.1", srv.port)
        cli.set({"timeout": 2, "lowercase_header": False})
        assert await cli.get("/") is True
        assert cli.statusCode == 0 and cli.errCode == 0
        cli.close()


async def test_write_func_close_inside_callback() -> None:
    """§3.3: close() inside write_func → False, statusCode -3, errCode 0, errMsg ''."""
    calls: list[bytes] = []

    def write_func(client: Client, data: bytes) -> None:
        calls.append(data)
        assert client.close() is True

    cli, result = await run_once(
        [send(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nabc"), sleep(0.1), send(b"def"), sleep(0.3)],
        timeout=2,
        write_func=write_func,
    )
    assert result is False
    assert_failed(cli, 0, -3, "")
    assert calls == [b"abc"]


@pytest.mark.expect_swoole_warnings(r"^open\(.*, O_CREAT \| O_WRONLY\) failed")
async def test_download_open_failure(tmp_path: Path) -> None:
    """§3.3: download file that cannot be opened → -3/7102, connection closed."""
    async with raw_server(respond(OK)) as srv:
        cli = Client("127.0.0.1", srv.port)
        target = tmp_path / "no-such-dir" / "file.bin"
        assert await cli.download("/d", str(target)) is False
        assert_failed(cli, 7102, -3, "Http invalid protocol")
        assert not target.exists()


# --------------------------------------------------------------------------- §3.4 no I/O


@pytest.mark.parametrize("call", ["execute", "get", "post", "download"])
async def test_empty_path_invalid_params(call: str) -> None:
    """505 ``Invalid params``; statusCode, headers and body keep their previous values."""
    async with raw_server(respond(OK)) as srv:
        cli = Client("127.0.0.1", srv.port)
        assert await cli.get("/first") is True
        args: tuple[Any, ...] = {"execute": ("",), "get": ("",), "post": ("", "d"), "download": ("", "/tmp/x")}[call]
        assert await getattr(cli, call)(*args) is False
        assert cli.errCode == 505 and cli.errMsg == "Invalid params"
        assert cli.statusCode == 200
        assert cli.body == b"ok"
        assert cli.headers == {"content-length": "2"}
        assert cli.connected is True
        assert len(srv.requests) == 1
        cli.close()


async def test_not_connected_5001() -> None:
    """5001 ``Client no connection`` for recv/getsockname/getpeername/getPeerCert while not
    connected; statusCode untouched."""
    cli = Client("127.0.0.1", 1)
    cli.statusCode = 7
    for call in (cli.getsockname, cli.getpeername, cli.getPeerCert):
        cli.errCode = 0
        assert call() is False
        assert cli.errCode == 5001 and cli.errMsg == "Client no connection"
    cli.errCode = 0
    assert await cli.recv() is False
    assert cli.errCode == 5001 and cli.errMsg == "Client no connection"
    assert cli.statusCode == 7


async def test_peer_cert_on_plain_connection_1013() -> None:
    """1013 ``SSL empty peer certificate`` on a connected plain client; addresses work."""
    async with raw_server(respond(OK)) as srv:
        cli = Client("127.0.0.1", srv.port)
        assert await cli.get("/") is True
        assert cli.getPeerCert() is False
        assert cli.errCode == 1013 and cli.errMsg == "SSL empty peer certificate"
        assert cli.getpeername() == {"address": "127.0.0.1", "port": srv.port}
        local = cli.getsockname()
        assert isinstance(local, dict) and local["address"] == "127.0.0.1" and local["port"] > 0
        cli.close()


# --------------------------------------------------------------------------- §6.3 exceptions


def test_host_empty() -> None:
    """ClientException ``host is empty`` code 22; the host property is set first."""
    with pytest.raises(ClientException) as info:
        Client("")
    assert info.value.code == 22
    assert str(info.value) == "host is empty" and info.value.message == "host is empty"
    assert isinstance(info.value, SwooleException)
    assert Client.Exception is ClientException


@pytest.mark.parametrize("port", [-1, 65536, 100000])
def test_port_invalid(port: int) -> None:
    """ClientException ``The port is invalid`` code 505 for TCP ports outside 0..65535."""
    with pytest.raises(ClientException) as info:
        Client("127.0.0.1", port)
    assert info.value.code == 505
    assert str(info.value) == "The port is invalid"


def test_port_defaults_and_unix_truncation() -> None:
    """Port 0 → 80/443; UNIX ports are not validated but truncated to 16 bits (Q17)."""
    assert Client("example.org").port == 80
    assert Client("example.org", 0, True).port == 443
    assert Client("unix:/tmp/x.sock", 99999).port == 34463
    assert Client("unix:/tmp/x.sock").port == 80
    assert Client("::1", 65535).port == 65535


async def test_header_block_too_large_exception() -> None:
    """ClientException ``HTTP/1 header block is too large`` 505; connection closed, statusCode
    0, nothing written."""
    async with raw_server(respond(OK)) as srv:
        cli = Client("127.0.0.1", srv.port)
        assert await cli.get("/") is True
        assert cli.connected is True
        cli.setHeaders({"X-Big-Header": "h" * 65536})
        with pytest.raises(ClientException) as info:
            await cli.get("/big")
        assert info.value.code == 505
        assert str(info.value) == "HTTP/1 header block is too large"
        assert cli.connected is False
        assert cli.statusCode == 0
        await asyncio.sleep(0.05)
        assert len(srv.requests) == 1
        assert b"X-Big-Header" not in srv.received(0)
        cli.setHeaders({})
        assert await cli.get("/after") is True


async def test_header_block_limit_boundary() -> None:
    """The limit counts the head through its final blank line: 65536 bytes pass, 65537 raise."""
    async with raw_server(respond(OK)) as srv:
        cli = Client("127.0.0.1", srv.port)
        cli.setHeaders({"X": ""})
        assert await cli.get("/b") is True
        base = len(srv.requests[0])
        cli.setHeaders({"X": "v" * (65536 - base)})
        assert await cli.get("/b") is True
        assert len(srv.requests[1]) == 65536
        cli.setHeaders({"X": "v" * (65537 - base)})
        with pytest.raises(ClientException):
            await cli.get("/b")
        assert cli.connected is False
        assert len(srv.requests) == 2


async def test_cookie_too_large_exception() -> None:
    """ClientException ``HTTP cookie header is too large`` 505 when ``len(k)+len(v)+1 > 4096``;
    the connection stays open, statusCode 0; 4096 exactly is accepted."""
    async with raw_server(respond(OK)) as srv:
        cli = Client("127.0.0.1", srv.port)
        cli.setCookies({"k": "v" * 4094})
        assert await cli.get("/fits") is True
        cli.setCookies({"k": "v" * 4095})
        with pytest.raises(ClientException) as info:
            await cli.get("/too-big")
        assert info.value.code == 505
        assert str(info.value) == "HTTP cookie header is too large"
        assert cli.connected is True
        assert cli.statusCode == 0
        cli.setCookies({})
        assert await cli.get("/after") is True
        assert srv.connections == 1
        assert len(srv.requests) == 2
        cli.close()


async def test_proxy_on_unix_socket_raises() -> None:
    """SwooleException 507 for proxy settings on a UNIX-socket client."""
    for option, text in (("socks5", "socks5"), ("http_proxy", "http")):
        cli = Client("unix:/tmp/never.sock")
        cli.set({f"{option}_host": "127.0.0.1", f"{option}_port": 1080})
        with pytest.raises(SwooleException) as info:
            await cli.get("/")
        assert info.value.code == 507
        assert str(info.value) == f"Only tcp socket supports {text} proxy settings"


# --------------------------------------------------------------------------- §7 bad input


def test_set_bad_input() -> None:
    """set(): empty dict, timeouts 0/-1, None values, negative max_retries, bad write_func."""
    cli = Client("127.0.0.1", 1)
    assert cli.set({}) is False
    assert cli.setting is None
    assert cli.set({"timeout": 0}) is True
    assert cli.set({"timeout": -1}) is True
    assert cli.set({"x": None, "keep_alive": None, "max_retries": None, "write_func": None}) is True
    with pytest.warns(SwooleWarning, match=r"max_retries must be greater than or equal to 0, got -1"):
        assert cli.set({"max_retries": -1}) is False
    assert cli.setting is not None and cli.setting["max_retries"] == -1
    with pytest.warns(SwooleWarning, match=r"function 'nope' is not callable"):
        assert cli.set({"write_func": "nope"}) is False
    with pytest.warns(SwooleWarning, match=r"illegal callback function"):
        assert cli.set({"write_func": False}) is False
    assert cli.set({"write_func": lambda c, d: None}) is True


async def test_negative_timeout_means_no_limit() -> None:
    """§4.1: ``timeout`` -1 → no limit (a response after 0.3 s is received)."""
    cli, result = await run_once([sleep(0.3), send(OK)], timeout=-1)
    assert result is True and cli.body == b"ok"


def test_add_file_bad_input(tmp_path: Path) -> None:
    """addFile(): each validation failure warns and returns False; uploadFiles unchanged."""
    f = tmp_path / "f.txt"
    f.write_bytes(b"0123456789")
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    cli = Client("127.0.0.1", 1)
    cases = [
        ((str(f), "n", None, None, -1), r"parameter \$offset\[-1\] must be greater than or equal to 0"),
        ((str(f), "n", None, None, 0, -2), r"parameter \$length\[-2\] must be greater than or equal to 0"),
        ((str(tmp_path / "missing"), "n"), r"stat\(.*missing\) failed, Error: No such file or directory\[2\]"),
        ((str(empty), "n"), r"cannot send empty file\[\(null\)\]"),
        ((str(f), "n", None, None, 10), r"parameter \$offset\[10\] exceeds the file size"),
        ((str(f), "n", None, None, 5, 6), r"parameter \$length\[6\] exceeds the file size"),
    ]
    for args, pattern in cases:
        with pytest.warns(SwooleWarning, match=r"Swoole\\Coroutine\\Http\\Client::addFile\(\): " + pattern):
            assert cli.addFile(*args) is False
    assert cli.uploadFiles is None
    assert cli.addFile(str(f), "n", None, None, 5, 5) is True
    assert cli.uploadFiles == [
        {"path": str(f), "name": "n", "filename": "f.txt", "type": "text/plain", "size": 5, "offset": 5}
    ]


async def test_download_negative_offset() -> None:
    """download(p, f, -1) → warning, False, nothing sent."""
    cli = Client("127.0.0.1", 1)
    with pytest.warns(SwooleWarning, match=r"download\(\): parameter \$offset\[-1\] must be greater than or equal to 0"):
        assert await cli.download("/x", "/tmp/never", -1) is False
    assert cli.errCode == 0
    assert cli.downloadFile is None


async def test_upload_entry_not_a_dict() -> None:
    """``uploadFiles[<numeric>] must be an array`` → False after connecting; statusCode 0."""
    async with raw_server(respond(OK)) as srv:
        cli = Client("127.0.0.1", srv.port)
        cli.uploadFiles = ["not a dict"]
        with pytest.warns(SwooleWarning, match=r"uploadFiles\[<numeric>\] must be an array"):
            assert await cli.get("/") is False
        assert cli.statusCode == 0
        assert cli.connected is True
        assert srv.requests == []
        cli.close()


async def test_recv_without_pending_response_leaves_errcode() -> None:
    """recv() on a connected non-defer client → False, errCode unchanged."""
    async with raw_server(respond(OK)) as srv:
        cli = Client("127.0.0.1", srv.port)
        assert await cli.get("/") is True
        cli.errCode = 42
        assert await cli.recv() is False
        assert cli.errCode == 42
        assert cli.statusCode == 200
        cli.close()


def test_setters_type_errors() -> None:
    """PHP TypeErrors for wrong argument types."""
    cli = Client("127.0.0.1", 1)
    with pytest.raises(TypeError):
        cli.setMethod(1)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        cli.setHeaders("x")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        cli.setCookies(["x"])  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Client(None)  # type: ignore[arg-type]
