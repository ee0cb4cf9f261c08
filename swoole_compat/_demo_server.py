"""The embedded HTTP + WebSocket server behind ``swoole-compat demo``.

It listens on loopback only and exists so that the demo (and anyone trying the command line)
has something to talk to without installing a server. It is written directly on asyncio
streams with the package's own runtime dependencies: h11 parses the requests and frames the
responses, wsproto takes over the connection after a WebSocket upgrade. It is a teaching aid,
not a general-purpose server: one request at a time per connection, bodies held in memory.

Routes (every answer carries ``Server: swoole_compat-demo``):

========================  =======================================================================
``GET /`` ``/hello``      a short text greeting
``* /echo``               JSON describing the request: method, target, headers, and the body
                          decoded by its type (``form`` for urlencoded, ``json``, ``parts`` for
                          multipart with size and SHA-256 per part, else ``text``/``size``)
``GET /bytes/<n>``        ``n`` deterministic bytes (byte ``i`` is ``i % 256``), sent in 64 KiB
                          pieces, ``?delay=<ms>`` between pieces; honours ``Range: bytes=<a>-``
                          with a ``206`` and ``Content-Range``
``GET /cookies/set?k=v``  one ``Set-Cookie`` per query pair, then JSON of what was set
``GET /cookies``          JSON of the ``Cookie`` header the client sent
``GET /gzip``             a JSON text, gzip-encoded when ``Accept-Encoding`` allows it
``GET /status/<code>``    an empty answer with that status
``GET /delay/<s>``        waits ``s`` seconds (at most 10), then answers like ``/hello``
``GET /ws``               WebSocket echo: text and binary messages come back unchanged, pings
                          are answered, a CLOSE is echoed and the connection closed
========================  =======================================================================
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import json
import re
from typing import Any, Iterable
from urllib.parse import parse_qsl, urlsplit

import h11
from wsproto.connection import Connection as WSConnection
from wsproto.connection import ConnectionType
from wsproto.events import BytesMessage, CloseConnection, Ping, TextMessage
from wsproto.utilities import generate_accept_token

__all__ = ["DemoServer", "pattern_bytes"]

SERVER_NAME = b"swoole_compat-demo"
PIECE = 64 * 1024
_RANGE = re.compile(r"^\s*bytes\s*=\s*(\d+)\s*-\s*$")
_PATTERN = bytes(range(256))


def pattern_bytes(start: int, end: int) -> bytes:
    """Bytes ``start`` to ``end`` (exclusive) of the ``/bytes/<n>`` content (byte ``i`` = ``i % 256``)."""
    if end <= start:
        return b""
    first = start % 256
    count = end - start
    repeats = (first + count) // 256 + 1
    return (_PATTERN * repeats)[first : first + count]


class _Request:
    """One parsed request: what the route handlers look at."""

    def __init__(self, event: h11.Request) -> None:
        self.method = event.method.decode("ascii", "replace")
        self.target = event.target.decode("utf-8", "replace")
        self.headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in event.headers.raw_items()]
        parts = urlsplit(self.target)
        self.path = parts.path
        self.query = parse_qsl(parts.query, keep_blank_values=True)
        self.body = b""

    def header(self, name: str) -> str:
        """Every value of header ``name`` joined with ``, `` (empty string when absent)."""
        name = name.lower()
        return ", ".join(v for k, v in self.headers if k.lower() == name)


class _Response:
    """What a handler returns: status, headers and either a body or pieces to stream."""

    def __init__(
        self,
        status: int = 200,
        body: bytes = b"",
        content_type: str | None = "text/plain; charset=utf-8",
        headers: list[tuple[str, str]] | None = None,
    ) -> None:
        self.status = status
        self.body = body
        self.headers = list(headers or [])
        if content_type:
            self.headers.append(("Content-Type", content_type))
        self.pieces: Iterable[bytes] | None = None
        self.delay = 0.0


def _json_response(value: Any, status: int = 200, headers: list[tuple[str, str]] | None = None) -> _Response:
    text = json.dumps(value, indent=2, ensure_ascii=False) + "\n"
    return _Response(status, text.encode("utf-8"), "application/json", headers)


def _parse_multipart(content_type: str, body: bytes) -> list[dict[str, Any]] | None:
    """Split a ``multipart/form-data`` body into parts (None when it does not parse)."""
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if not match:
        return None
    delimiter = b"--" + match.group(1).encode("latin-1")
    sections = body.split(delimiter)
    if len(sections) < 2:
        return None
    parts = []
    for section in sections[1:]:
        if section.startswith(b"--"):
            break
        if section.startswith(b"\r\n"):
            section = section[2:]
        head, sep, content = section.partition(b"\r\n\r\n")
        if not sep:
            return None
        if content.endswith(b"\r\n"):
            content = content[:-2]
        fields: dict[str, str] = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            name, _, value = line.partition(":")
            fields[name.strip().lower()] = value.strip()
        disposition = fields.get("content-disposition", "")
        name_match = re.search(r'(?:^|;)\s*name="([^"]*)"', disposition)
        file_match = re.search(r'filename="([^"]*)"', disposition)
        part: dict[str, Any] = {"name": name_match.group(1) if name_match else None}
        if file_match:
            part["filename"] = file_match.group(1)
            part["content_type"] = fields.get("content-type")
            part["size"] = len(content)
            part["sha256"] = hashlib.sha256(content).hexdigest()
        else:
            part["value"] = content.decode("utf-8", "replace")
        parts.append(part)
    return parts


def _describe_body(request: _Request) -> dict[str, Any]:
    content_type = request.header("content-type")
    body = request.body
    media = content_type.split(";", 1)[0].strip().lower()
    info: dict[str, Any] = {"content_type": content_type or None, "length": len(body)}
    if media == "application/x-www-form-urlencoded":
        info["form"] = parse_qsl(body.decode("latin-1"), keep_blank_values=True)
        info["raw"] = body.decode("latin-1")
    elif media == "application/json":
        try:
            info["json"] = json.loads(body)
        except ValueError:
            info["text"] = body.decode("utf-8", "replace")
    elif media == "multipart/form-data":
        info["parts"] = _parse_multipart(content_type, body)
    elif body:
        try:
            info["text"] = body.decode("utf-8")
        except UnicodeDecodeError:
            info["sha256"] = hashlib.sha256(body).hexdigest()
    return info


async def _route(request: _Request) -> _Response:
    path = request.path
    if path.startswith("/delay/"):
        try:
            await asyncio.sleep(max(0.0, min(float(path[7:]), 10.0)))
        except ValueError:
            pass
        return _Response(body=b"Hello after a delay!\n")
    if path in ("/", "/hello"):
        return _Response(body=b"Hello from the embedded swoole_compat demo server!\n")
    if path == "/echo":
        return _json_response(
            {
                "method": request.method,
                "target": request.target,
                "headers": [f"{k}: {v}" for k, v in request.headers],
                "body": _describe_body(request),
            }
        )
    match = re.fullmatch(r"/bytes/(\d+)", path)
    if match:
        return _bytes_response(request, int(match.group(1)))
    if path == "/cookies/set":
        headers = [("Set-Cookie", f"{k}={v}; Path=/") for k, v in request.query]
        return _json_response({"set": dict(request.query)}, headers=headers)
    if path == "/cookies":
        cookies = {}
        for item in request.header("cookie").split(";"):
            name, sep, value = item.strip().partition("=")
            if sep:
                cookies[name] = value
        return _json_response({"cookies": cookies})
    if path == "/gzip":
        payload = (json.dumps({"gzipped": True, "text": "swoole " * 64}) + "\n").encode()
        if "gzip" in request.header("accept-encoding").lower():
            return _Response(body=gzip.compress(payload), content_type="application/json",
                             headers=[("Content-Encoding", "gzip")])
        return _Response(body=payload, content_type="application/json")
    match = re.fullmatch(r"/status/(\d{3})", path)
    if match:
        return _Response(int(match.group(1)), content_type=None)
    return _json_response({"error": f"no route for {path}"}, status=404)


def _bytes_response(request: _Request, size: int) -> _Response:
    start = 0
    status = 200
    headers = [("Accept-Ranges", "bytes")]
    match = _RANGE.match(request.header("range"))
    if match:
        start = int(match.group(1))
        if start >= size:
            return _Response(416, b"", None, [("Content-Range", f"bytes */{size}")])
        status = 206
        headers.append(("Content-Range", f"bytes {start}-{size - 1}/{size}"))
    headers.append(("Content-Length", str(size - start)))
    response = _Response(status, b"", "application/octet-stream", headers)
    response.pieces = (pattern_bytes(pos, min(pos + PIECE, size)) for pos in range(start, size, PIECE))
    delay = dict(request.query).get("delay", "0")
    response.delay = min(float(delay) if delay.replace(".", "", 1).isdigit() else 0.0, 1000.0) / 1000.0
    return response


class DemoServer:
    """``async with DemoServer() as srv:`` serves on ``srv.host``/``srv.port`` until the block ends."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self._server: asyncio.AbstractServer | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    def url(self, path: str = "/", scheme: str = "http") -> str:
        """``scheme://host:port/path`` of this server."""
        return f"{scheme}://{self.host}:{self.port}{path}"

    async def start(self) -> DemoServer:
        self._server = await asyncio.start_server(self._serve, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            await self._server.wait_closed()
            self._server = None

    async def serve_forever(self) -> None:
        assert self._server is not None
        await self._server.serve_forever()

    async def __aenter__(self) -> DemoServer:
        return await self.start()

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    # -- one connection -------------------------------------------------------------------------
    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            await self._http(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, h11.ProtocolError):
            pass
        except asyncio.CancelledError:
            pass  # close() cancels the connections still open; end quietly
        finally:
            if task is not None:
                self._tasks.discard(task)
            writer.close()

    async def _next_event(self, conn: h11.Connection, reader: asyncio.StreamReader) -> Any:
        while True:
            event = conn.next_event()
            if event is not h11.NEED_DATA:
                return event
            conn.receive_data(await reader.read(PIECE))

    async def _http(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = h11.Connection(h11.SERVER)
        while True:
            event = await self._next_event(conn, reader)
            if not isinstance(event, h11.Request):
                return  # ConnectionClosed (or PAUSED on a protocol switch we did not ask for)
            request = _Request(event)
            chunks = []
            while True:
                event = await self._next_event(conn, reader)
                if isinstance(event, h11.Data):
                    chunks.append(bytes(event.data))
                elif isinstance(event, h11.EndOfMessage):
                    break
                else:
                    return
            request.body = b"".join(chunks)
            if request.path == "/ws" and "websocket" in request.header("upgrade").lower():
                await self._websocket(conn, request, reader, writer)
                return
            response = await _route(request)
            await self._send(conn, writer, request, response)
            if conn.our_state is not h11.DONE or conn.their_state is not h11.DONE:
                return
            conn.start_next_cycle()

    async def _send(self, conn: h11.Connection, writer: asyncio.StreamWriter, request: _Request,
                    response: _Response) -> None:
        headers = [("Server", SERVER_NAME.decode())] + response.headers
        if response.pieces is None and request.method != "HEAD":
            headers.append(("Content-Length", str(len(response.body))))
        writer.write(conn.send(h11.Response(status_code=response.status, headers=headers)))
        if request.method != "HEAD":
            for piece in response.pieces if response.pieces is not None else [response.body]:
                if piece:
                    writer.write(conn.send(h11.Data(data=piece)))
                    await writer.drain()
                    if response.delay:
                        await asyncio.sleep(response.delay)
        writer.write(conn.send(h11.EndOfMessage()))
        await writer.drain()

    # -- WebSocket ------------------------------------------------------------------------------
    async def _websocket(self, conn: h11.Connection, request: _Request, reader: asyncio.StreamReader,
                         writer: asyncio.StreamWriter) -> None:
        key = request.header("sec-websocket-key").encode("latin-1")
        if not key or conn.their_state is not h11.MIGHT_SWITCH_PROTOCOL:
            await self._send(conn, writer, request, _Response(400, b"bad WebSocket handshake\n"))
            return
        accept = generate_accept_token(key)
        writer.write(
            conn.send(
                h11.InformationalResponse(
                    status_code=101,
                    headers=[
                        (b"Upgrade", b"websocket"),
                        (b"Connection", b"Upgrade"),
                        (b"Sec-WebSocket-Accept", accept),
                        (b"Server", SERVER_NAME),
                    ],
                )
            )
        )
        await writer.drain()
        leftover, _ = conn.trailing_data
        ws = WSConnection(ConnectionType.SERVER, trailing_data=leftover)
        while True:
            for event in ws.events():
                if isinstance(event, TextMessage):
                    writer.write(ws.send(TextMessage(data=event.data, message_finished=event.message_finished)))
                elif isinstance(event, BytesMessage):
                    writer.write(ws.send(BytesMessage(data=event.data, message_finished=event.message_finished)))
                elif isinstance(event, Ping):
                    writer.write(ws.send(event.response()))
                elif isinstance(event, CloseConnection):
                    writer.write(ws.send(event.response()))
                    await writer.drain()
                    return
            await writer.drain()
            data = await reader.read(PIECE)
            if not data:
                return
            ws.receive_data(data)


async def main(host: str = "127.0.0.1", port: int = 8080) -> None:  # pragma: no cover - manual use
    async with DemoServer(host, port) as server:
        print(f"demo server on {server.url()}")
        await server.serve_forever()
