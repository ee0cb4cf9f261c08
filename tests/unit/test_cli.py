"""The command line (``python -m swoole_compat``), run as a subprocess against loopback servers.

Each test starts the CLI with ``sys.executable -m swoole_compat …`` (never in-process, so exit
statuses, stdout/stderr and stdin handling are the real ones) while the support servers run in
the test's event loop. The last section tests the pure helpers of :mod:`swoole_compat.cli`
in-process.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import socket
import sys
import time
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from aiohttp import web

from support import ws

import swoole_compat
from swoole_compat.cli import progress
from swoole_compat.cli._common import (
    UsageError,
    is_text,
    parse_cookies,
    parse_header,
    parse_set_options,
    parse_url,
    proxy_options,
)
from swoole_compat.cli.http import parse_post_items

# The folder holding the swoole_compat under test (the checkout, or site-packages for an installed
# wheel): the CLI subprocess runs from it, so `python -m swoole_compat` imports the same package.
ROOT = Path(swoole_compat.__file__).resolve().parents[1]


class Result(NamedTuple):
    code: int
    out: str
    err: str
    raw: bytes


def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("SWOOLE_COMPAT_SSL_VERIFY_PEER", None)
    env["SWOOLE_COMPAT_PROGRESS"] = "text"
    env["PYTHONIOENCODING"] = "utf-8"
    env.update(extra or {})
    return env


async def start_cli(*args: str, env: dict[str, str] | None = None) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "swoole_compat", *args,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        cwd=str(ROOT), env=_env(env),
    )


async def cli(*args: str, stdin: bytes = b"", env: dict[str, str] | None = None, timeout: float = 20.0) -> Result:
    proc = await start_cli(*args, env=env)
    try:
        out, err = await asyncio.wait_for(proc.communicate(stdin), timeout)
    except asyncio.TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    assert proc.returncode is not None
    return Result(proc.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"), out)


def _body(result: Result) -> Any:
    """The JSON body printed after the head (status line, headers, blank line)."""
    _, _, body = result.out.partition("\n\n")
    return json.loads(body)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# ---------------------------------------------------------------------------------------------
# get
# ---------------------------------------------------------------------------------------------
async def test_get_prints_status_headers_and_body(httpbin: Any) -> None:
    result = await cli("get", httpbin.url("/get?x=1"))
    assert result.code == 0, result.err
    head, _, _ = result.out.partition("\n\n")
    lines = head.splitlines()
    assert lines[0] == "statusCode 200"
    assert "content-type: application/json; charset=utf-8" in lines
    assert "server: swoole-http-server" in lines
    assert _body(result)["args"] == {"x": "1"}


async def test_get_headers_cookies_and_auth_reach_the_server(httpbin: Any) -> None:
    result = await cli(
        "get", httpbin.url("/get"),
        "-H", "X-Trace: 42", "-H", "Accept: text/plain",
        "--cookie", "a=1", "--cookie", "b=2; c=x y",
        "-u", "me:secret", "-v",
    )
    assert result.code == 0, result.err
    request = httpbin.requests[-1]
    assert request.header("X-Trace") == "42"
    assert request.header("Accept") == "text/plain"
    assert request.header("Cookie") == "a=1; b=2; c=x+y"  # Swoole URL-encodes cookie values
    assert request.header("Authorization") == "Basic bWU6c2VjcmV0"
    # -v: the request head (getHeaderOut()) on stderr
    assert "> GET /get HTTP/1.1" in result.err
    assert "> X-Trace: 42" in result.err


async def test_get_binary_body_summary_and_raw(httpbin: Any) -> None:
    expected = random.Random("7").randbytes(300)
    result = await cli("get", httpbin.url("/bytes/300?seed=7"))
    assert result.code == 0, result.err
    assert "[binary body: 300 bytes, application/octet-stream, sha256 " in result.out
    raw = await cli("get", "--raw", httpbin.url("/bytes/300?seed=7"))
    assert raw.code == 0
    assert raw.raw.endswith(b"\n\n" + expected)


async def test_get_refused_port_fails_with_errcode_111() -> None:
    result = await cli("get", f"http://127.0.0.1:{_free_port()}/")
    assert result.code == 1
    assert "request failed: statusCode=-1 errCode=111 errMsg=Connection refused" in result.err
    assert result.out == ""


async def test_get_timeout_fails_with_errcode_110(httpbin: Any) -> None:
    result = await cli("get", "--timeout", "0.3", httpbin.url("/delay/3"))
    assert result.code == 1
    assert "statusCode=-2 errCode=110 errMsg=Connection timed out" in result.err


async def test_get_missing_unix_socket_and_bad_url(tmp_path: Path) -> None:
    result = await cli("get", "--unix-socket", str(tmp_path / "none.sock"), "http://localhost/")
    assert result.code == 1
    assert "statusCode=-1 errCode=2 errMsg=No such file or directory" in result.err
    bad = await cli("get", "ftp://127.0.0.1/")
    assert bad.code == 2 and "unsupported scheme" in bad.err


async def test_fail_flag_turns_http_errors_into_exit_3(httpbin: Any) -> None:
    plain = await cli("get", httpbin.url("/status/404"))
    assert plain.code == 0 and plain.out.startswith("statusCode 404\n")
    failing = await cli("get", "--fail", httpbin.url("/status/404"))
    assert failing.code == 3


async def test_set_passes_any_client_option(httpbin: Any) -> None:
    result = await cli("get", "--set", "http_compression=false", "--set", "lowercase_header=false",
                       httpbin.url("/get"))
    assert result.code == 0, result.err
    assert httpbin.requests[-1].header("Accept-Encoding") is None
    assert "Content-Type: application/json; charset=utf-8" in result.out.splitlines()


async def test_unix_socket(http_server: Any) -> None:
    srv = await http_server(unix=True)
    result = await cli("get", "--unix-socket", srv.path, "http://localhost/get")
    assert result.code == 0, result.err
    assert srv.requests[-1].header("Host") == "localhost"
    assert _body(result)["url"].endswith("/get")


async def test_https_is_verified_by_default(httpbin_tls: Any, ca_file: str) -> None:
    url = httpbin_tls.url("/get")
    unverified = await cli("get", url)
    assert unverified.code == 1
    assert "statusCode=-1 errCode=1014 errMsg=SSL verify failed" in unverified.err
    trusted = await cli("get", "--cafile", ca_file, url)
    assert trusted.code == 0, trusted.err
    assert trusted.out.startswith("statusCode 200\n")
    insecure = await cli("get", "--insecure", url)
    assert insecure.code == 0, insecure.err


async def test_http_proxy(httpbin: Any, connect_proxy: Any) -> None:
    proxy = await connect_proxy(credentials=("pu", "pp"))
    result = await cli("get", "--proxy", f"http://pu:pp@127.0.0.1:{proxy.port}", httpbin.url("/get"))
    assert result.code == 0, result.err
    assert len(proxy.requests) == 1
    assert proxy.requests[0].head.startswith(f"GET http://127.0.0.1:{httpbin.port}/get HTTP/1.1\r\n".encode())
    assert proxy.requests[0].credentials == ("pu", "pp")


async def test_socks5_proxy(httpbin: Any, socks5_proxy: Any) -> None:
    socks = await socks5_proxy(credentials=("su", "sp"))
    result = await cli("get", "--proxy", f"socks5://su:sp@127.0.0.1:{socks.port}", httpbin.url("/get"))
    assert result.code == 0, result.err
    [handshake] = socks.handshakes
    assert (handshake.username, handshake.password) == ("su", "sp")
    assert (handshake.dst_host, handshake.dst_port) == ("127.0.0.1", httpbin.port)


# ---------------------------------------------------------------------------------------------
# post
# ---------------------------------------------------------------------------------------------
async def test_post_form_fields(httpbin: Any) -> None:
    result = await cli("post", httpbin.url("/post"), "name=swoole", "tags=a", "tags=b", "at=\\@home")
    assert result.code == 0, result.err
    body = _body(result)
    assert body["form"] == {"name": "swoole", "tags[0]": "a", "tags[1]": "b", "at": "@home"}
    assert httpbin.requests[-1].header("Content-Type") == "application/x-www-form-urlencoded"


async def test_post_json(httpbin: Any) -> None:
    result = await cli("post", httpbin.url("/post"), '{"a": [1, 2], "b": "x=y"}')
    assert result.code == 0, result.err
    assert _body(result)["json"] == {"a": [1, 2], "b": "x=y"}
    assert httpbin.requests[-1].header("Content-Type") == "application/json"


async def test_post_raw_file_and_stdin(httpbin: Any, tmp_path: Path) -> None:
    path = tmp_path / "note.txt"
    path.write_text("raw body\nline 2\n")
    result = await cli("post", httpbin.url("/post"), f"@{path}")
    assert result.code == 0, result.err
    assert _body(result)["data"] == "raw body\nline 2\n"
    assert httpbin.requests[-1].header("Content-Type") == "text/plain"
    piped = await cli("post", httpbin.url("/post"), "@-", "-H", "Content-Type: text/x-custom", stdin=b"from stdin")
    assert piped.code == 0, piped.err
    assert _body(piped)["data"] == "from stdin"
    assert httpbin.requests[-1].header_all("Content-Type") == ["text/x-custom"]


async def test_post_file_upload_with_progress(httpbin: Any, tmp_path: Path) -> None:
    path = tmp_path / "upload.txt"
    content = "0123456789abcdef" * 20000  # 320 000 bytes of text (httpbin echoes text files)
    path.write_text(content)
    result = await cli("post", "--progress", httpbin.url("/post"), f"doc=@{path}", "title=report")
    assert result.code == 0, result.err
    body = _body(result)
    assert body["files"] == {"doc": content}
    assert body["form"] == {"title": "report"}
    assert "multipart/form-data; boundary=" in httpbin.requests[-1].header("Content-Type")
    assert "upload 100% [########################]" in result.err


async def test_post_other_method(httpbin: Any) -> None:
    result = await cli("post", "-X", "PUT", httpbin.url("/anything"), "k=v")
    assert result.code == 0, result.err
    assert _body(result)["method"] == "PUT"
    assert _body(result)["form"] == {"k": "v"}


async def test_post_bad_items(httpbin: Any, tmp_path: Path) -> None:
    result = await cli("post", httpbin.url("/post"), "not-a-field")
    assert result.code == 2 and "cannot interpret 'not-a-field'" in result.err
    missing = await cli("post", httpbin.url("/post"), f"f=@{tmp_path / 'missing.bin'}")
    assert missing.code == 2
    assert "addFile(): stat(" in missing.err and "No such file or directory" in missing.err
    assert httpbin.requests == []


# ---------------------------------------------------------------------------------------------
# download
# ---------------------------------------------------------------------------------------------
DATA = bytes(random.Random(11).randbytes(300_000))


async def _range_server(http_server: Any) -> Any:
    async def handler(request: web.Request) -> web.StreamResponse:
        spec = request.headers.get("Range", "")
        if spec.startswith("bytes=") and spec.endswith("-"):
            start = int(spec[6:-1])
            if start >= len(DATA):
                return web.Response(status=416, headers={"Content-Range": f"bytes */{len(DATA)}"})
            return web.Response(status=206, body=DATA[start:], content_type="application/octet-stream",
                                headers={"Content-Range": f"bytes {start}-{len(DATA) - 1}/{len(DATA)}"})
        return web.Response(body=DATA, content_type="application/octet-stream")

    return await http_server(routes=[web.get("/file", handler)])


async def test_download_with_progress(http_server: Any, tmp_path: Path) -> None:
    srv = await _range_server(http_server)
    target = tmp_path / "file.bin"
    result = await cli("download", "--progress", srv.url("/file"), str(target))
    assert result.code == 0, result.err
    assert target.read_bytes() == DATA
    assert result.out.startswith("statusCode 200\n")
    assert f"saved {len(DATA)} bytes to {target}" in result.out
    assert "download 100% [########################]" in result.err
    assert srv.requests[-1].header("Range") is None


async def test_download_with_offset_and_resume(http_server: Any, tmp_path: Path) -> None:
    srv = await _range_server(http_server)
    target = tmp_path / "file.bin"
    target.write_bytes(DATA[:100_000])
    result = await cli("download", srv.url("/file"), str(target), "--offset", "100000")
    assert result.code == 0, result.err
    assert srv.requests[-1].header("Range") == "bytes=100000-"
    assert result.out.startswith("statusCode 206\n")
    assert f"saved 200000 bytes to {target} from offset 100000" in result.out
    assert target.read_bytes() == DATA

    target.write_bytes(DATA[:250_000])
    resumed = await cli("download", "-C", srv.url("/file"), str(target))
    assert resumed.code == 0, resumed.err
    assert srv.requests[-1].header("Range") == "bytes=250000-"
    assert target.read_bytes() == DATA


async def test_download_failure(tmp_path: Path) -> None:
    target = tmp_path / "never.bin"
    result = await cli("download", f"http://127.0.0.1:{_free_port()}/x", str(target))
    assert result.code == 1
    assert "download failed: statusCode=-1 errCode=111" in result.err
    assert not target.exists()


# ---------------------------------------------------------------------------------------------
# ws
# ---------------------------------------------------------------------------------------------
async def _line(proc: asyncio.subprocess.Process, timeout: float = 10.0) -> str:
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), timeout)
    return line.decode("utf-8", "replace").rstrip("\n")


async def test_ws_interactive_session(ws_server: Any) -> None:
    srv = await ws_server()  # echo handler: echoes messages, pongs pings, echoes CLOSE and closes
    proc = await start_cli("ws", srv.url("/chat"))
    assert proc.stdin is not None
    proc.stdin.write(b"hello\n")
    await proc.stdin.drain()
    assert await _line(proc) == "< hello"
    proc.stdin.write("/ping still there?\n//slash\nnon-ascii: é\n".encode())
    await proc.stdin.drain()
    assert await _line(proc) == "< [pong] still there?"
    assert await _line(proc) == "< /slash"
    assert await _line(proc) == "< non-ascii: é"
    proc.stdin.write(b"/close 4000 done\n")
    await proc.stdin.drain()
    assert await _line(proc) == "< [close] 4000 done"
    await asyncio.wait_for(proc.wait(), 10)
    assert proc.returncode == 0
    conn = srv.conns[0]
    assert conn.request.target == "/chat"
    assert [m.text for m in conn.messages] == ["hello", "/slash", "non-ascii: é"]
    frames = conn.received_frames
    assert frames[1].opcode == ws.OP_PING and frames[1].payload == b"still there?"
    assert frames[-1].opcode == ws.OP_CLOSE
    assert (frames[-1].close_code, frames[-1].close_reason) == (4000, b"done")
    assert all(frame.masked for frame in frames)


async def test_ws_end_of_input_closes_normally(ws_server: Any) -> None:
    srv = await ws_server()
    result = await cli("ws", "--binary", srv.url("/"), stdin=b"one\ntwo")
    assert result.code == 0, result.err
    assert result.out.splitlines() == [
        "< [binary 3 bytes] 6f 6e 65",
        "< [binary 3 bytes] 74 77 6f",
        "< [close] 1000",
    ]
    conn = srv.conns[0]
    assert [(m.opcode, m.payload) for m in conn.messages] == [(ws.OP_BINARY, b"one"), (ws.OP_BINARY, b"two")]
    assert conn.received_frames[-1].close_code == 1000


async def test_ws_server_initiated_close(ws_server: Any, assert_bag: Any) -> None:
    async def handler(conn: ws.WSConnection) -> None:
        await conn.send_text("welcome")
        await conn.send_close(1001, b"going away")
        frame = await conn.recv_frame()
        assert_bag.check(frame is not None and frame.opcode == ws.OP_CLOSE and frame.close_code == 1001,
                         f"the client should echo the CLOSE code, got {frame!r}")
        await conn.wait_closed()

    srv = await ws_server(handler)
    proc = await start_cli("ws", srv.url("/"))
    assert await _line(proc) == "< welcome"
    assert await _line(proc) == "< [close] 1001 going away"
    await asyncio.wait_for(proc.wait(), 10)
    assert proc.returncode == 0
    assert srv.conns[0].closed_first == "client"


async def test_ws_failures(httpbin: Any) -> None:
    refused = await cli("ws", f"ws://127.0.0.1:{_free_port()}/")
    assert refused.code == 1
    assert "upgrade failed: statusCode=-1 errCode=111 errMsg=Connection refused" in refused.err
    not_ws = await cli("ws", httpbin.url("/get"))
    assert not_ws.code == 1
    assert "did not switch to WebSocket (statusCode 200)" in not_ws.err


# ---------------------------------------------------------------------------------------------
# demo, help, version
# ---------------------------------------------------------------------------------------------
async def test_demo_completes_quickly() -> None:
    started = time.monotonic()
    result = await cli("demo", timeout=30)
    elapsed = time.monotonic() - started
    assert result.code == 0, result.out + result.err
    assert "every step behaved as expected" in result.out
    for marker in ('await cli.get("/hello")', "cli.addFile(", "await cli.download(", "cli.cookies",
                   "content-encoding       gzip", 'await ws.upgrade("/ws")', "(-1, 111)"):
        assert marker in result.out
    assert result.err == ""
    assert elapsed < 10


async def test_no_arguments_runs_the_demo() -> None:
    result = await cli(timeout=30)
    assert result.code == 0, result.out + result.err
    assert "every step behaved as expected" in result.out


async def test_help_and_version() -> None:
    helped = await cli("--help")
    assert helped.code == 0
    for command in ("get", "post", "download", "ws", "demo"):
        assert command in helped.out
    assert "certificates ARE verified by default" in helped.out
    sub = await cli("get", "--help")
    assert sub.code == 0 and "--insecure" in sub.out and "--unix-socket" in sub.out
    version = await cli("--version")
    assert version.code == 0 and version.out.startswith("swoole_compat 0.1.0")
    wrong = await cli("frobnicate")
    assert wrong.code == 2


async def test_console_script_is_installed() -> None:
    script = Path(sys.executable).parent / "swoole-compat"
    if not script.exists():
        pytest.skip("the package is not installed with its console script in this environment")
    proc = await asyncio.create_subprocess_exec(str(script), "--version", stdout=asyncio.subprocess.PIPE,
                                                env=_env())
    out, _ = await asyncio.wait_for(proc.communicate(), 20)
    assert proc.returncode == 0 and out.startswith(b"swoole_compat ")


# ---------------------------------------------------------------------------------------------
# helpers, in-process
# ---------------------------------------------------------------------------------------------
def test_parse_url() -> None:
    endpoint = parse_url("https://[::1]:8443/a/b?x=1#frag")
    assert (endpoint.host, endpoint.port, endpoint.ssl, endpoint.target) == ("::1", 8443, True, "/a/b?x=1")
    assert endpoint.host_header == "[::1]:8443"
    endpoint = parse_url("example.test")
    assert (endpoint.scheme, endpoint.host, endpoint.port, endpoint.target) == ("http", "example.test", 80, "/")
    endpoint = parse_url("wss://h/ws", websocket=True)
    assert (endpoint.ssl, endpoint.port) == (True, 443)
    endpoint = parse_url("http://localhost:81/x", unix_socket="/run/s.sock")
    assert (endpoint.client_host, endpoint.host_header) == ("unix:/run/s.sock", "localhost:81")
    for bad in ("ws://h/", "http://h:99999/", "http:///x"):
        with pytest.raises(UsageError):
            parse_url(bad)


def test_parse_header_cookie_and_set() -> None:
    assert parse_header("X-A:  b c ") == ("X-A", "b c")
    assert parse_header("HOST: example.test") == ("Host", "example.test")
    with pytest.raises(UsageError):
        parse_header("no colon")
    assert parse_cookies(["a=1", "b=2; c=", " d = x=y "]) == {"a": "1", "b": "2", "c": "", "d": " x=y"}
    with pytest.raises(UsageError):
        parse_cookies(["novalue"])
    assert parse_set_options(["timeout=2.5", "keep_alive=false", "ssl_host_name=h", "x=[1]"]) == {
        "timeout": 2.5, "keep_alive": False, "ssl_host_name": "h", "x": [1]}


def test_proxy_options() -> None:
    assert proxy_options("http://u:p%40ss@proxy.test:3128") == {
        "http_proxy_host": "proxy.test", "http_proxy_port": 3128,
        "http_proxy_username": "u", "http_proxy_password": "p@ss"}
    assert proxy_options("socks5://[::1]") == {"socks5_host": "::1", "socks5_port": 1080}
    assert proxy_options("127.0.0.1:9") == {"http_proxy_host": "127.0.0.1", "http_proxy_port": 9}
    with pytest.raises(UsageError):
        proxy_options("ftp://h:1")


def test_parse_post_items(tmp_path: Path) -> None:
    assert parse_post_items([]).kind == "empty"
    body = parse_post_items(["a=1", "a=2", "b=", "f=@/x/y.png", "c=\\@z"])
    assert (body.kind, body.fields, body.files) == ("form", {"a": ["1", "2"], "b": "", "c": "@z"},
                                                    [("f", "/x/y.png")])
    body = parse_post_items(['{"k": "a=b"}'])
    assert (body.kind, body.data, body.content_type) == ("json", '{"k": "a=b"}', "application/json")
    assert parse_post_items(["42"]).kind == "json"
    assert parse_post_items(["k=42"]).kind == "form"
    path = tmp_path / "d.json"
    path.write_bytes(b"[1]")
    body = parse_post_items([f"@{path}"])
    assert (body.kind, body.data, body.content_type) == ("raw", b"[1]", "application/json")
    with pytest.raises(UsageError):
        parse_post_items([f"@{tmp_path / 'missing'}"])
    with pytest.raises(UsageError):
        parse_post_items(["a=1", '{"x": 1}'])


def test_is_text() -> None:
    assert is_text(b"plain\ttext\r\n", None)
    assert not is_text(b"\x00\x01", None)
    assert not is_text(b"\xff\xfe", "text/plain")
    assert is_text("é".encode(), "text/plain")
    assert not is_text(b"abc\x00", "application/octet-stream")


class _Sink:
    def __init__(self, tty: bool) -> None:
        self.parts: list[str] = []
        self.tty = tty

    def write(self, text: str) -> int:
        self.parts.append(text)
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return self.tty


def test_progress_backends(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(progress.ENV_BACKEND, "text")
    assert progress.backend_name() == "text"
    monkeypatch.setenv(progress.ENV_BACKEND, "off")
    assert isinstance(progress.make_progress("x", 10, True, _Sink(False)), type(progress.make_progress("x", 10, False)))
    monkeypatch.delenv(progress.ENV_BACKEND)
    # auto: off when the stream is not a terminal
    sink = _Sink(False)
    bar = progress.make_progress("x", 10, None, sink)
    bar.update(5)
    bar.close(10)
    assert sink.parts == []
    monkeypatch.setenv(progress.ENV_BACKEND, "text")
    sink = _Sink(True)
    bar = progress.make_progress("get", 2048, None, sink)
    bar.update(1024)
    bar.close(2048)
    assert sink.parts[0].startswith("\r\x1b[Kget  50% [############............] 1.0 KiB / 2.0 KiB")
    assert sink.parts[-1].startswith("\r\x1b[Kget 100% [########################] 2.0 KiB / 2.0 KiB")
    assert sink.parts[-1].endswith("\n")


def test_progress_tqdm_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("tqdm")
    monkeypatch.setenv(progress.ENV_BACKEND, "tqdm")
    sink = _Sink(False)
    bar = progress.make_progress("dl", 1000, True, sink)
    bar.update(400)
    bar.close(1000)
    assert "dl: 100%" in "".join(sink.parts)


def test_human_bytes_and_tcp_info() -> None:
    assert progress.human_bytes(512) == "512 B"
    assert progress.human_bytes(1536) == "1.5 KiB"
    assert progress.human_bytes(5 * 1024 ** 3) == "5.0 GiB"
    with socket.socket() as sock:
        value = progress.tcp_bytes_acked(sock.fileno())
    assert value is None or value == 0
    left, right = socket.socketpair()
    with left, right:
        assert progress.tcp_bytes_acked(left.fileno()) is None  # not TCP
