"""``demo``: a guided tour of the client against the embedded server (:mod:`swoole_compat._demo_server`).

Each step prints the call it makes and what the client returns, in the client's own terms
(``statusCode``, ``headers``, ``body``, ``errCode``…). ``demo --serve`` only runs the server,
for trying the other commands by hand.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import sys
import tempfile
import time
from typing import Any

from .. import __version__
from .._demo_server import DemoServer, pattern_bytes
from ..constants import WEBSOCKET_OPCODE_BINARY
from ..coroutine.http import Client
from ..coroutine.http import get as http_get
from . import progress as _progress
from ._common import EXIT_FAILED, EXIT_OK, header_value

__all__ = ["demo"]

DOWNLOAD_SIZE = 4 * 1024 * 1024
UPLOAD_SIZE = 256 * 1024


class _Printer:
    def __init__(self) -> None:
        self.number = 0
        self.problems: list[str] = []

    def step(self, title: str) -> None:
        self.number += 1
        print(f"\n{self.number}. {title}")

    def call(self, code: str, result: Any) -> None:
        print(f"   {code:<58} -> {result!r}")

    def show(self, name: str, value: Any) -> None:
        text = value if isinstance(value, str) else repr(value)
        if len(text) > 200:
            text = text[:200] + "…"
        print(f"      {name:<22} {text}")

    def note(self, text: str) -> None:
        print(f"      # {text}")

    def check(self, condition: bool, what: str) -> None:
        if not condition:
            self.problems.append(what)
            print(f"      !! unexpected: {what}")


def _echo(cli: Client) -> dict[str, Any]:
    try:
        return json.loads(cli.body)  # type: ignore[no-any-return]
    except ValueError:
        return {}


async def _get(p: _Printer, host: str, port: int) -> None:
    p.step("GET: I/O methods are coroutines and return True/False; results are properties")
    print(f"   cli = Client({host!r}, {port})")
    cli = Client(host, port)
    ok = await cli.get("/hello")
    p.call('await cli.get("/hello")', ok)
    p.show("cli.statusCode", cli.statusCode)
    p.show("cli.headers", cli.headers)
    p.show("cli.body (bytes)", cli.body)
    print("      cli.getHeaderOut():")
    for line in str(cli.getHeaderOut()).split("\r\n"):
        print(f"         {line}")
    p.check(ok and cli.statusCode == 200, "GET /hello should answer 200")
    cli.close()


async def _post(p: _Printer, host: str, port: int) -> None:
    p.step("POST: a dict body is sent urlencoded, a string body as is")
    cli = Client(host, port)
    ok = await cli.post("/echo", {"name": "swoole", "tags": ["a", "b"]})
    p.call('await cli.post("/echo", {"name": "swoole", "tags": ["a", "b"]})', ok)
    seen = _echo(cli).get("body", {})
    p.show("server saw type", seen.get("content_type"))
    p.show("server saw body", seen.get("raw"))
    p.check(ok and seen.get("form") == [["name", "swoole"], ["tags[0]", "a"], ["tags[1]", "b"]], "form fields")

    cli.setHeaders({"Content-Type": "application/json"})
    ok = await cli.post("/echo", json.dumps({"lang": "python", "port_of": "Swoole"}))
    p.call('cli.setHeaders({"Content-Type": "application/json"})', True)
    p.call('await cli.post("/echo", json.dumps({...}))', ok)
    seen = _echo(cli).get("body", {})
    p.show("server saw json", seen.get("json"))
    p.check(ok and seen.get("json") == {"lang": "python", "port_of": "Swoole"}, "JSON body")
    p.note("requestMethod and requestBody persist between requests, as in Swoole:")
    p.show("cli.requestMethod", cli.requestMethod)
    p.show("cli.requestBody", cli.requestBody)
    cli.close()


async def _upload(p: _Printer, host: str, port: int, tmp: str) -> None:
    p.step("Upload: addFile() and addData() make a multipart/form-data request")
    path = os.path.join(tmp, "photo.jpg")
    content = hashlib.sha256(b"seed").digest() * (UPLOAD_SIZE // 32)
    with open(path, "wb") as handle:
        handle.write(content)
    cli = Client(host, port)
    p.call(f'cli.addFile({os.path.basename(path)!r}, "picture")', cli.addFile(path, "picture"))
    p.call('cli.addData(b"some notes", "notes", "text/plain", "notes.txt")',
           cli.addData(b"some notes", "notes", "text/plain", "notes.txt"))
    ok = await cli.post("/echo", {"title": "holiday"})
    p.call('await cli.post("/echo", {"title": "holiday"})', ok)
    parts = _echo(cli).get("body", {}).get("parts") or []
    for part in parts:
        shown = {k: v for k, v in part.items() if k != "sha256"}
        p.show("server saw part", shown)
    sent = {part.get("name"): part for part in parts}
    matches = sent.get("picture", {}).get("sha256") == hashlib.sha256(content).hexdigest()
    p.show("file sha256 matches", matches)
    p.show("cli.uploadFiles after", cli.uploadFiles)
    p.check(ok and matches and "notes" in sent and "title" in sent, "multipart parts")
    cli.close()


async def _download(p: _Printer, host: str, port: int, tmp: str, show_progress: bool | None) -> None:
    p.step("Download: the body goes straight to a file; an offset resumes it")
    path = os.path.join(tmp, "data.bin")
    cli = Client(host, port)
    target = f"/bytes/{DOWNLOAD_SIZE}?delay=5"

    def poll() -> tuple[int, int | None]:
        size = os.path.getsize(path) if os.path.exists(path) else 0
        length = header_value(cli.headers, "content-length")
        return size - offset, int(length) if length and length.isdigit() else None

    offset = 0
    bar = _progress.make_progress("download", DOWNLOAD_SIZE, show_progress)
    async with _progress.watch(bar, poll):
        ok = await cli.download(target, path)
    p.call(f'await cli.download("{target}", "data.bin")', ok)
    p.show("cli.statusCode", cli.statusCode)
    p.show("file size", os.path.getsize(path))
    p.show("cli.body", cli.body)
    intact = open(path, "rb").read() == pattern_bytes(0, DOWNLOAD_SIZE)
    p.check(ok and intact, "downloaded file content")

    offset = DOWNLOAD_SIZE // 2
    with open(path, "r+b") as handle:
        handle.truncate(offset)
    p.note(f"file cut to {offset} bytes; download() does not add a Range header, so set it:")
    cli.setHeaders({"Range": f"bytes={offset}-"})
    p.call(f'cli.setHeaders({{"Range": "bytes={offset}-"}})', True)
    bar = _progress.make_progress("resume", DOWNLOAD_SIZE - offset, show_progress)
    async with _progress.watch(bar, poll):
        ok = await cli.download(target, path, offset)
    p.call(f'await cli.download("{target}", "data.bin", {offset})', ok)
    p.show("cli.statusCode", cli.statusCode)
    p.show("content-range", header_value(cli.headers, "content-range"))
    intact = open(path, "rb").read() == pattern_bytes(0, DOWNLOAD_SIZE)
    p.show("file complete again", intact)
    p.check(ok and cli.statusCode == 206 and intact, "resumed download")
    cli.close()


async def _cookies(p: _Printer, host: str, port: int) -> None:
    p.step("Cookies: Set-Cookie fills cli.cookies, which the next requests send back")
    cli = Client(host, port)
    ok = await cli.get("/cookies/set?session=abc123&theme=dark")
    p.call('await cli.get("/cookies/set?session=abc123&theme=dark")', ok)
    p.show("cli.set_cookie_headers", cli.set_cookie_headers)
    p.show("cli.cookies", cli.cookies)
    ok = await cli.get("/cookies")
    p.call('await cli.get("/cookies")', ok)
    p.show("server saw", _echo(cli).get("cookies"))
    p.check(_echo(cli).get("cookies") == {"session": "abc123", "theme": "dark"}, "cookies sent back")
    cli.setCookies({"lang": "fr"})
    ok = await cli.get("/cookies")
    p.call('cli.setCookies({"lang": "fr"}); await cli.get("/cookies")', ok)
    p.show("server saw", _echo(cli).get("cookies"))
    cli.close()


async def _gzip(p: _Printer, host: str, port: int) -> None:
    p.step("Compression: Accept-Encoding is sent by default and the body is decoded")
    cli = Client(host, port)
    ok = await cli.get("/gzip")
    p.call('await cli.get("/gzip")', ok)
    p.show("content-encoding", header_value(cli.headers, "content-encoding"))
    p.show("content-length", header_value(cli.headers, "content-length"))
    p.show("len(cli.body)", len(cli.body))
    p.show("cli.body starts", cli.body[:40])
    p.check(ok and cli.body.startswith(b'{"gzipped": true'), "gzip body decoded")
    cli.close()


async def _websocket(p: _Printer, host: str, port: int) -> None:
    p.step("WebSocket: upgrade(), push(), recv(), ping(), disconnect()")
    ws = Client(host, port)
    ws.set({"open_websocket_pong_frame": True})
    p.call('ws.set({"open_websocket_pong_frame": True})', True)
    ok = await ws.upgrade("/ws")
    p.call('await ws.upgrade("/ws")', ok)
    p.show("ws.statusCode", ws.statusCode)
    p.check(ok and ws.statusCode == 101, "upgrade answered 101")
    if not ok or ws.statusCode != 101:
        ws.close()
        return
    p.call('await ws.push("hello websocket")', await ws.push("hello websocket"))
    frame = await ws.recv(2)
    p.call("await ws.recv(2)", frame)
    p.check(getattr(frame, "data", None) == b"hello websocket", "text echo")
    p.call("await ws.push(b'\\x00\\x01\\x02', WEBSOCKET_OPCODE_BINARY)",
           await ws.push(b"\x00\x01\x02", WEBSOCKET_OPCODE_BINARY))
    frame = await ws.recv(2)
    p.call("await ws.recv(2)", frame)
    p.check(getattr(frame, "opcode", None) == WEBSOCKET_OPCODE_BINARY, "binary echo")
    p.call('await ws.ping(b"are you there?")', await ws.ping(b"are you there?"))
    frame = await ws.recv(2)
    p.call("await ws.recv(2)", frame)
    p.call('await ws.disconnect(1000, "bye")', await ws.disconnect(1000, "bye"))
    p.show("ws.connected", ws.connected)


async def _helpers(p: _Printer, host: str, port: int) -> None:
    p.step("Helper functions: one request on a fresh client; failures raise ClientException")
    response = await http_get(f"http://{host}:{port}/hello")
    p.call(f'await get("http://{host}:{port}/hello")', response)
    p.show("getStatusCode()", response.getStatusCode())
    p.show("getBody()", response.getBody())


async def _failures(p: _Printer, host: str, port: int) -> None:
    p.step("Failures: never an exception; False plus statusCode, errCode and errMsg")
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind((host, 0))
        free_port = probe.getsockname()[1]
    cli = Client(host, free_port)
    ok = await cli.get("/")
    p.call(f"await Client({host!r}, {free_port}).get('/')", ok)
    p.show("statusCode/errCode", (cli.statusCode, cli.errCode))
    p.show("errMsg", cli.errMsg)
    p.check(not ok and cli.statusCode == -1 and cli.errCode == 111, "connection refused")
    cli = Client(host, port)
    cli.set({"timeout": 0.2})
    ok = await cli.get("/delay/1")
    p.call('cli.set({"timeout": 0.2}); await cli.get("/delay/1")', ok)
    p.show("statusCode/errCode", (cli.statusCode, cli.errCode))
    p.show("errMsg", cli.errMsg)
    p.check(not ok and cli.statusCode == -2 and cli.errCode == 110, "response timeout")
    cli.close()


def _serve_help(server: DemoServer) -> None:
    url = server.url()
    print(f"swoole_compat {__version__} demo server on {url} (HTTP and WebSocket); Ctrl-C stops it")
    print("routes: /hello  /echo  /bytes/<n>?delay=<ms>  /cookies/set?k=v  /cookies  /gzip  /status/<code>"
          "  /delay/<s>  /ws")
    print("try, in another terminal:")
    print(f"  swoole-compat get {url}hello")
    print(f"  swoole-compat post {url}echo name=swoole tags=a tags=b")
    print(f"  swoole-compat download {url}bytes/20971520?delay=20 /tmp/data.bin")
    print(f"  swoole-compat ws {server.url('/ws', 'ws')}")
    sys.stdout.flush()


async def demo(args: Any) -> int:
    started = time.monotonic()
    async with DemoServer(port=getattr(args, "port", 0) or 0) as server:
        if getattr(args, "serve", False):
            _serve_help(server)
            await server.serve_forever()
            return EXIT_OK
        host, port = server.host, server.port
        print(f"swoole_compat {__version__}: a tour of Swoole\\Coroutine\\Http\\Client in Python")
        print(f"embedded HTTP + WebSocket server on {server.url()}")
        print("   from swoole_compat.coroutine.http import Client")
        p = _Printer()
        with tempfile.TemporaryDirectory(prefix="swoole-compat-demo-") as tmp:
            await _get(p, host, port)
            await _post(p, host, port)
            await _upload(p, host, port, tmp)
            await _download(p, host, port, tmp, getattr(args, "progress", None))
            await _cookies(p, host, port)
            await _gzip(p, host, port)
            await _websocket(p, host, port)
            await _helpers(p, host, port)
            await _failures(p, host, port)
    elapsed = time.monotonic() - started
    if p.problems:
        print(f"\ndemo finished in {elapsed:.2f} s with {len(p.problems)} unexpected result(s): "
              + "; ".join(p.problems))
        return EXIT_FAILED
    print(f"\ndemo finished in {elapsed:.2f} s; every step behaved as expected")
    return EXIT_OK
