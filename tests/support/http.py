"""SHS / HB: real HTTP servers built on ``aiohttp.web``, run on our own loopback listener.

Two ready-made applications plus a runner:

* :func:`api_app` - the routes of upstream ``tests/include/api/http_server.php`` (SHS):
  ``/info`` (the User-Agent), ``/cookies``, ``/get``, ``/post`` (PHP-style JSON of the cookie /
  query / form arrays, ``null`` when empty), ``/get_file`` (the test image), ``/upload_file``
  (JSON ``{files, md5, post}``; ``files`` is keyed PHP-style - ``test.jpg`` becomes ``test_jpg`` -
  while ``md5`` is the md5 of the part whose *raw* name is ``test.jpg``), ``/gzip`` (compressed
  :data:`API_GZIP_CONTENT`); every other path answers 500 like a Swoole handler that never calls
  ``end()``.
* :func:`httpbin_app` - httpbin-like routes (HB): ``/get`` (args + headers + origin + url),
  ``/post`` and ``/anything`` (args, data, files, form, json, headers), ``/status/<n>``,
  ``/headers``, ``/user-agent``, ``/ip``, ``/cookies``, ``/cookies/set/<k>/<v>`` and
  ``/cookies/set?k=v`` (302 + Set-Cookie), ``/redirect/<n>``, ``/absolute-redirect/<n>``
  (absolute ``Location: http://127.0.0.1:<port>/...``), ``/basic-auth/<u>/<p>``, ``/delay/<s>``,
  ``/stream/<n>`` (JSON lines, chunked), ``/stream-chunked?n=&size=&delay=`` (chunked pieces
  ``chunk-<i>:xxx``), ``/bytes/<n>``, ``/html``, ``/gzip`` ``/deflate`` ``/brotli`` (forced
  coding) and ``/compressed?size=&raw=1`` (coding negotiated from ``Accept-Encoding``).

Runner::

    async with http_server(app=None, routes=[web.get("/x", h)], ssl=None, unix=None,
                           host="127.0.0.1", keepalive_timeout=75.0, record_bytes=False) as srv:
        srv.port, srv.url("/get"), srv.netloc, srv.path (UNIX), srv.client_host
        srv.connections          # TCP (or UNIX) connections accepted
        srv.requests             # [RequestRecord]: method, target, raw headers, peer, conn index
        srv.records[i].received  # every byte of connection i (only with record_bytes=True)
        await srv.kill()         # stop listening + abort keep-alive connections (ECONNREFUSED next)

``app=None`` serves :func:`httpbin_app` with ``routes`` taking precedence; with an ``app``,
``routes`` are appended to it. Every response gets ``Server: swoole-http-server`` unless the
handler set one. Unexpected handler exceptions go to the assertion bag (and the client sees 500).

Handler helpers for Swoole-like behaviour: :func:`close_without_reply` (``$server->close($fd)``
instead of answering), :func:`respond_then_close` (answer, then close N ms later),
:func:`chunked_handler` (``write()`` chunks with pauses), :func:`range_start_file_handler`
(sendfile from the ``Range`` start, status 200), :func:`compressing_handler` /
:func:`compressed_response` (gzip, zlib deflate, raw deflate or br by ``Accept-Encoding``).
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import hashlib
import inspect
import json
import os
import random
import socket
import string
import zlib
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.http import SERVER_SOFTWARE

from .helpers import pick_delay
from .http1 import HeaderAccess, parse_basic_auth
from .listener import ConnRecord, LoopbackServer, close_transport

try:  # brotli is a runtime dependency of swoole_compat, but keep the servers importable.
    import brotli
except ImportError:  # pragma: no cover - depends on the environment
    brotli = None  # type: ignore[assignment]

__all__ = [
    "API_GZIP_CONTENT",
    "BROTLI_AVAILABLE",
    "HttpServer",
    "RequestRecord",
    "SERVER_KEY",
    "api_app",
    "chunked_handler",
    "close_without_reply",
    "compressed_response",
    "compressing_handler",
    "encode_body",
    "http_server",
    "httpbin_app",
    "range_start_file_handler",
    "record_of",
    "respond_then_close",
]

BROTLI_AVAILABLE = brotli is not None
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

#: Deterministic text served (compressed) by the api app's ``/gzip`` route, standing in for
#: upstream's README.md.
API_GZIP_CONTENT: bytes = b"".join(
    f"Swoole is an event-driven asynchronous & coroutine-based concurrency networking "
    f"communication engine with high performance written in C++ for PHP. Line {i:04d}.\n".encode()
    for i in range(200)
)


# --------------------------------------------------------------------------- records


@dataclass(eq=False)
class RequestRecord(HeaderAccess):
    """One request as seen by :class:`HttpServer` (before the handler runs)."""

    index: int
    conn: ConnRecord | None
    """The connection it came on (its ``index`` tells connection reuse)."""
    method: str
    target: str
    """``path_qs`` as received (origin form)."""
    path: str
    version: str
    headers: list[tuple[str, str]]
    """Raw ``(name, value)`` pairs in wire order and case."""
    peer: Any
    sockname: Any
    body: bytes | None = None
    """Set by the built-in handlers that read the raw body; None otherwise."""
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def conn_index(self) -> int | None:
        """Index of the connection in ``srv.records`` (None if unknown)."""
        return self.conn.index if self.conn is not None else None


#: The owning :class:`HttpServer`, stored in the app (``request.app[SERVER_KEY]``).
SERVER_KEY: web.AppKey[HttpServer] = web.AppKey("support_http_server")  # type: ignore[name-defined]
_RECORD: Any = (
    web.RequestKey("support_request_record", RequestRecord)  # newer aiohttp: typed request keys
    if hasattr(web, "RequestKey")
    else "support_request_record"
)


def record_of(request: web.Request) -> RequestRecord:
    """The :class:`RequestRecord` of ``request`` (inside a handler)."""
    return request[_RECORD]  # type: ignore[no-any-return]


# --------------------------------------------------------------------------- server


class HttpServer(LoopbackServer):
    """An aiohttp application served on a :class:`support.listener.LoopbackServer`."""

    name = "http server"

    def __init__(
        self,
        app: web.Application | None = None,
        *,
        routes: Sequence[web.AbstractRouteDef] = (),
        keepalive_timeout: float = 75.0,
        swoole_server_header: bool = True,
        record_bytes: bool = False,
        **options: Any,
    ) -> None:
        """See the module docstring; ``options`` go to ``LoopbackServer``. ``record_bytes=True``
        keeps every received byte in ``ConnRecord.received`` (as stream servers do)."""
        super().__init__(**options)
        self.record_bytes = record_bytes
        if app is None:
            app = httpbin_app(routes=routes)
        elif routes:
            app.router.add_routes(routes)
        self.app = app
        self.keepalive_timeout = keepalive_timeout
        self.swoole_server_header = swoole_server_header
        self.requests: list[RequestRecord] = []
        self.runner: web.AppRunner | None = None
        self._protocol_records: dict[Any, ConnRecord] = {}
        self._handler_tasks: set[asyncio.Task[Any]] = set()

    @property
    def scheme(self) -> str:
        """``https`` with TLS, else ``http``."""
        return "https" if self.ssl is not None else "http"

    def url(self, path: str = "/") -> str:
        """Absolute URL of ``path`` on this server (``localhost`` stands in for UNIX servers)."""
        return self.url_for(self.scheme, path)

    async def start(self) -> HttpServer:  # type: ignore[override]
        """Install the recording middleware, start the aiohttp runner, then listen."""
        self.app[SERVER_KEY] = self
        self.app.middlewares.insert(0, self._make_middleware())
        if self.swoole_server_header:
            self.app.on_response_prepare.append(_swoole_server_header)
        runner_options: dict[str, Any] = {
            "access_log": None,
            "keepalive_timeout": self.keepalive_timeout,
        }
        if "shutdown_timeout" in inspect.signature(web.BaseRunner.__init__).parameters:
            runner_options["shutdown_timeout"] = 1.0
        self.runner = web.AppRunner(self.app, **runner_options)
        await self.runner.setup()
        try:
            await super().start()
        except BaseException:
            await self.runner.cleanup()
            raise
        return self

    def _make_middleware(self) -> Any:
        """The middleware recording each request and reporting handler failures."""

        @web.middleware
        async def record_requests(request: web.Request, handler: Handler) -> web.StreamResponse:
            conn = self._protocol_records.get(request.protocol)
            transport = request.transport
            record = RequestRecord(
                index=len(self.requests),
                conn=conn,
                method=request.method,
                target=request.raw_path,
                path=request.path,
                version=f"HTTP/{request.version.major}.{request.version.minor}",
                headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.raw_headers],
                peer=transport.get_extra_info("peername") if transport else None,
                sockname=transport.get_extra_info("sockname") if transport else None,
            )
            self.requests.append(record)
            request[_RECORD] = record
            task = asyncio.current_task()
            if task is not None:
                self._handler_tasks.add(task)
            try:
                return await handler(request)
            except (web.HTTPException, asyncio.CancelledError, ConnectionError):
                raise
            except Exception as exc:
                self.report(exc, f"{self.name} handler {request.method} {request.raw_path}")
                raise
            finally:
                self._handler_tasks.discard(task)  # type: ignore[arg-type]

        return record_requests

    async def _serve(self, sock: socket.socket, record: ConnRecord) -> None:
        """Hand the accepted socket to an aiohttp protocol."""
        loop = asyncio.get_running_loop()
        runner = self.runner
        assert runner is not None and runner.server is not None
        server = runner.server

        def factory() -> asyncio.BaseProtocol:
            protocol = server()
            self._protocol_records[protocol] = record
            if self.record_bytes:
                return _RecordingProtocol(protocol, record)
            return protocol

        if self.ssl is not None:
            transport, _ = await loop.connect_accepted_socket(
                factory, sock, ssl=self.ssl, ssl_handshake_timeout=self.ssl_handshake_timeout
            )
        else:
            transport, _ = await loop.connect_accepted_socket(factory, sock)
        record.transport = transport

    async def _after_kill(self) -> None:
        """Cancel in-flight handlers: a killed server does not finish its requests.

        (aiohttp itself lets a handler run on after its client went away, like Swoole does, so
        WebSocket and slow handlers see the disconnect normally while the server is alive.)
        """
        tasks = [t for t in self._handler_tasks if not t.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _cleanup(self) -> None:
        """Stop the aiohttp runner (connections were already aborted by ``kill``)."""
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None
        self._protocol_records.clear()


class _RecordingProtocol(asyncio.Protocol):
    """Forwards to an aiohttp protocol, keeping every received byte in ``record.received``."""

    def __init__(self, inner: Any, record: ConnRecord) -> None:
        self.inner = inner
        self.record = record

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        self.record.received += data
        self.inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self.inner.eof_received()

    def connection_lost(self, exc: Exception | None) -> None:
        self.inner.connection_lost(exc)

    def pause_writing(self) -> None:
        self.inner.pause_writing()

    def resume_writing(self) -> None:
        self.inner.resume_writing()


async def _swoole_server_header(request: web.Request, response: web.StreamResponse) -> None:
    """``on_response_prepare`` hook: Swoole's ``Server`` header unless the handler set one.

    Depending on the aiohttp version the hook runs before or after aiohttp's default ``Server``
    header is added, so that default is replaced too.
    """
    if response.headers.get("Server", SERVER_SOFTWARE) == SERVER_SOFTWARE:
        response.headers["Server"] = "swoole-http-server"


def http_server(
    app: web.Application | None = None,
    *,
    routes: Sequence[web.AbstractRouteDef] = (),
    ssl: Any = None,
    unix: str | os.PathLike[str] | bool | None = None,
    host: str = "127.0.0.1",
    **options: Any,
) -> HttpServer:
    """Create an :class:`HttpServer`; use as ``async with http_server(...) as srv``."""
    return HttpServer(app, routes=routes, ssl=ssl, unix=unix, host=host, **options)


# --------------------------------------------------------------------------- compression


def _accepted_codings(accept_encoding: str | None) -> list[str]:
    """Codings listed in ``Accept-Encoding`` (lower-case, ``q=0`` excluded)."""
    codings = []
    for item in (accept_encoding or "").split(","):
        name, _, params = item.strip().partition(";")
        params = params.replace(" ", "")
        if name and params not in ("q=0", "q=0.0", "q=0.00", "q=0.000"):
            codings.append(name.strip().lower())
    return codings


def encode_body(
    data: bytes,
    accept_encoding: str | None,
    *,
    raw_deflate: bool = False,
    level: int = 6,
    prefer: Sequence[str] = ("br", "gzip", "deflate"),
) -> tuple[bytes, str | None]:
    """Compress ``data`` with the first coding of ``prefer`` that the client accepts.

    Returns ``(body, coding)``; coding None means identity. ``deflate`` is zlib-wrapped (RFC 1950)
    unless ``raw_deflate`` (bare RFC 1951 stream, still labelled ``deflate``). ``br`` is skipped
    when brotli is not installed.
    """
    accepted = _accepted_codings(accept_encoding)
    for coding in prefer:
        if coding not in accepted:
            continue
        if coding == "br" and brotli is not None:
            return brotli.compress(data), "br"
        if coding == "gzip":
            return gzip.compress(data, compresslevel=level, mtime=0), "gzip"
        if coding == "deflate":
            if raw_deflate:
                compressor = zlib.compressobj(level, zlib.DEFLATED, -15)
                return compressor.compress(data) + compressor.flush(), "deflate"
            return zlib.compress(data, level), "deflate"
    return data, None


def compressed_response(
    request: web.Request,
    data: bytes,
    *,
    raw_deflate: bool = False,
    level: int = 6,
    status: int = 200,
    content_type: str = "text/html",
    prefer: Sequence[str] = ("br", "gzip", "deflate"),
) -> web.Response:
    """A response carrying ``data`` compressed per the request's ``Accept-Encoding``."""
    body, coding = encode_body(
        data, request.headers.get("Accept-Encoding"), raw_deflate=raw_deflate, level=level, prefer=prefer
    )
    response = web.Response(status=status, body=body, content_type=content_type)
    if coding is not None:
        response.headers["Content-Encoding"] = coding
    return response


def compressing_handler(
    payload: bytes | Callable[[web.Request], bytes], *, raw_deflate: bool = False, level: int = 6
) -> Handler:
    """A handler serving ``payload`` (or ``payload(request)``) compressed by Accept-Encoding."""

    async def handler(request: web.Request) -> web.StreamResponse:
        data = payload(request) if callable(payload) else payload
        return compressed_response(request, data, raw_deflate=raw_deflate, level=level)

    return handler


# --------------------------------------------------------------------------- Swoole-like helpers


def close_without_reply(request: web.Request) -> web.Response:
    """Close the connection instead of answering (``$server->close($fd)``).

    Use as ``return close_without_reply(request)``: aiohttp then fails to write the returned
    placeholder to the closed transport and drops it silently.
    """
    transport = request.transport
    if transport is not None:
        close_transport(transport)
    return web.Response(status=500)


async def respond_then_close(
    request: web.Request, response: web.StreamResponse, delay: float = 0.001
) -> web.StreamResponse:
    """Send ``response`` completely, wait ``delay`` seconds, then close the connection."""
    await response.prepare(request)
    await response.write_eof()
    await asyncio.sleep(delay)
    transport = request.transport
    if transport is not None:
        close_transport(transport)
    return response


def chunked_handler(
    chunks: Sequence[bytes] | Callable[[web.Request], Sequence[bytes]],
    delay: float | tuple[float, float] = 0.0,
    *,
    content_type: str = "text/html",
) -> Handler:
    """A handler writing each chunk as one chunk of a chunked response, pausing in between.

    ``delay`` may be a ``(low, high)`` tuple for a random pause.
    """

    async def handler(request: web.Request) -> web.StreamResponse:
        items = chunks(request) if callable(chunks) else chunks
        response = web.StreamResponse()
        response.content_type = content_type
        response.enable_chunked_encoding()
        await response.prepare(request)
        for i, item in enumerate(items):
            await response.write(item)
            if i + 1 < len(items):
                pause = pick_delay(delay)
                if pause:
                    await asyncio.sleep(pause)
        await response.write_eof()
        return response

    return handler


def range_start_file_handler(path: str | os.PathLike[str], content_type: str = "image/jpeg") -> Handler:
    """Upstream ``download.phpt`` server: ``sendfile(file, offset)`` where offset is the start of
    ``Range: bytes=<offset>-``; the status stays **200** (no 206, no Content-Range)."""
    data = Path(path).read_bytes()

    async def handler(request: web.Request) -> web.StreamResponse:
        offset = 0
        spec = request.headers.get("Range", "")
        if "=" in spec:
            start = spec.split("=", 1)[1].split("-", 1)[0].strip()
            offset = int(start) if start.isdigit() else 0
        return web.Response(body=data[offset:], content_type=content_type)

    return handler


def _json_text(value: Any) -> str:
    """PHP ``json_encode`` flavour (compact)."""
    return json.dumps(value, separators=(",", ":"))


def _php_name(name: str) -> str:
    """PHP's variable-name mangling of request keys (``.`` and space become ``_``)."""
    return name.replace(".", "_").replace(" ", "_")


def _tmp_name() -> str:
    """A Swoole-like upload temp name."""
    suffix = "".join(random.choices(string.ascii_letters + string.digits, k=6))
    return f"/tmp/swoole.upfile.{suffix}"


# --------------------------------------------------------------------------- api app


def api_app(
    image: str | os.PathLike[str] | None = None,
    *,
    routes: Sequence[web.AbstractRouteDef] = (),
    client_max_size: int = 1 << 30,
) -> web.Application:
    """The application of upstream ``tests/include/api/http_server.php`` (see module doc).

    ``image`` is served by ``/get_file`` (upstream ``TEST_IMAGE``). ``routes`` are registered
    first and take precedence.
    """
    image_path = Path(image) if image is not None else None

    async def info(request: web.Request) -> web.StreamResponse:
        return web.Response(body=request.headers.get("User-Agent", "").encode(), content_type="text/html")

    async def cookies(request: web.Request) -> web.StreamResponse:
        return web.Response(text=_json_text(dict(request.cookies) or None), content_type="text/html")

    async def get(request: web.Request) -> web.StreamResponse:
        return web.Response(text=_json_text(dict(request.query) or None), content_type="text/html")

    async def post(request: web.Request) -> web.StreamResponse:
        form = await request.post()
        fields = {_php_name(k): v for k, v in form.items() if isinstance(v, str)}
        return web.Response(text=_json_text(fields or None), content_type="text/html")

    async def get_file(request: web.Request) -> web.StreamResponse:
        if image_path is None:
            raise web.HTTPInternalServerError(text="no image configured")
        return web.Response(body=image_path.read_bytes(), content_type="image/jpeg")

    async def upload_file(request: web.Request) -> web.StreamResponse:
        form = await request.post()
        files: dict[str, Any] = {}
        fields: dict[str, str] = {}
        md5: str | bool = False
        for name, value in form.items():
            if isinstance(value, web.FileField):
                value.file.seek(0)
                content = value.file.read()
                files[_php_name(name)] = {
                    "name": value.filename,
                    "type": value.content_type,
                    "tmp_name": _tmp_name(),
                    "error": 0,
                    "size": len(content),
                }
                if name == "test.jpg":
                    md5 = hashlib.md5(content).hexdigest()
            else:
                fields[_php_name(name)] = value
        body = {"files": files or None, "md5": md5, "post": fields or None}
        return web.Response(text=_json_text(body), content_type="text/html")

    async def gzip_route(request: web.Request) -> web.StreamResponse:
        return compressed_response(request, API_GZIP_CONTENT, level=5)

    @web.middleware
    async def not_ended(request: web.Request, handler: Handler) -> web.StreamResponse:
        # Unknown paths: the upstream handler returns without end(), so Swoole answers 500.
        try:
            return await handler(request)
        except web.HTTPNotFound:
            return web.Response(
                status=500,
                text="<html><body><h2>HTTP 500 Internal Server Error</h2><hr><i>Powered by Swoole</i></body></html>",
                content_type="text/html",
            )

    builtin = [
        web.route("*", "/info", info),
        web.route("*", "/cookies", cookies),
        web.route("*", "/get", get),
        web.route("*", "/post", post),
        web.route("*", "/get_file", get_file),
        web.route("*", "/upload_file", upload_file),
        web.route("*", "/gzip", gzip_route),
    ]
    app = web.Application(client_max_size=client_max_size, middlewares=[not_ended])
    _add_routes(app, routes, builtin)
    return app


def _route_key(route: web.AbstractRouteDef) -> tuple[str, str] | None:
    """``(method, path)`` of a plain ``RouteDef`` (None for other kinds)."""
    if isinstance(route, web.RouteDef):
        return (route.method.upper(), route.path)
    return None


def _add_routes(
    app: web.Application, user: Sequence[web.AbstractRouteDef], builtin: Iterable[web.AbstractRouteDef]
) -> None:
    """Register ``user`` routes, then the built-ins that do not clash with them.

    A built-in clashes when a user route has the same path and the same method, or either of
    them is ``*`` (aiohttp would refuse the second registration).
    """
    app.router.add_routes(user)
    taken = {key for key in map(_route_key, user) if key is not None}
    kept = []
    for route in builtin:
        key = _route_key(route)
        if key is not None and any(
            path == key[1] and (method == key[0] or "*" in (method, key[0])) for method, path in taken
        ):
            continue
        kept.append(route)
    app.router.add_routes(kept)


# --------------------------------------------------------------------------- httpbin app


def _title(name: str) -> str:
    """httpbin's header-name spelling (``x-foo`` -> ``X-Foo``)."""
    return "-".join(p.capitalize() for p in name.split("-"))


def _httpbin_headers(request: web.Request) -> dict[str, str]:
    """Request headers as httpbin shows them (Title-Case, repeated values comma-joined)."""
    out: dict[str, str] = {}
    for key, value in request.raw_headers:
        name = _title(key.decode("latin-1"))
        text = value.decode("latin-1")
        out[name] = f"{out[name]},{text}" if name in out else text
    return out


def _multi(pairs: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """httpbin's multi-dict flattening: single values stay scalars, repeats become lists."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            if isinstance(out[key], list):
                out[key].append(value)
            else:
                out[key] = [out[key], value]
        else:
            out[key] = value
    return out


def _origin(request: web.Request) -> str:
    """The client IP."""
    return request.remote or ""


def _self_url(request: web.Request, path: str) -> str:
    """Absolute URL on the serving :class:`HttpServer` (its own address, not the Host header)."""
    return request.app[SERVER_KEY].url(path)


def _as_text_or_data_url(content: bytes, content_type: str = "application/octet-stream") -> str:
    """httpbin's file rendering: UTF-8 text, else a base64 data URL."""
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        return f"data:{content_type};base64,{base64.b64encode(content).decode()}"


async def _httpbin_body(request: web.Request) -> dict[str, Any]:
    """The ``args/data/files/form/json`` part of httpbin's ``/post`` and ``/anything``."""
    files: dict[str, Any] = {}
    form: list[tuple[str, Any]] = []
    data = ""
    parsed_json: Any = None
    if request.content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        posted = await request.post()
        for name, value in posted.items():
            if isinstance(value, web.FileField):
                value.file.seek(0)
                files[name] = _as_text_or_data_url(value.file.read(), value.content_type)
            else:
                form.append((name, value))
    else:
        raw = await request.read()
        record_of(request).body = raw
        data = _as_text_or_data_url(raw)
        if request.content_type == "application/json" and raw:
            try:
                parsed_json = json.loads(raw)
            except ValueError:
                parsed_json = None
    return {
        "args": _multi(request.query.items()),
        "data": data,
        "files": _multi(files.items()),
        "form": _multi(form),
        "json": parsed_json,
    }


def _json(value: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """httpbin-style JSON response."""
    return web.Response(
        text=json.dumps(value, indent=2) + "\n",
        status=status,
        content_type="application/json",
        headers=headers,
    )


def _redirect_html(location: str) -> str:
    """The HTML body werkzeug (httpbin) sends with redirects."""
    return (
        "<!doctype html>\n<html lang=en>\n<title>Redirecting...</title>\n<h1>Redirecting...</h1>\n"
        f'<p>You should be redirected automatically to the target URL: <a href="{location}">'
        f"{location}</a>. If not, click the link.\n"
    )


def _redirect(location: str, status: int = 302) -> web.Response:
    """A redirect with werkzeug's HTML body."""
    return web.Response(
        status=status, text=_redirect_html(location), content_type="text/html", headers={"Location": location}
    )


def httpbin_app(
    *, routes: Sequence[web.AbstractRouteDef] = (), client_max_size: int = 1 << 30
) -> web.Application:
    """An httpbin-like application (see module doc); ``routes`` take precedence."""

    async def get(request: web.Request) -> web.StreamResponse:
        return _json(
            {
                "args": _multi(request.query.items()),
                "headers": _httpbin_headers(request),
                "origin": _origin(request),
                "url": _self_url(request, request.raw_path),
            }
        )

    async def post(request: web.Request) -> web.StreamResponse:
        body = await _httpbin_body(request)
        body.update(
            headers=_httpbin_headers(request), origin=_origin(request), url=_self_url(request, request.raw_path)
        )
        return _json(body)

    async def anything(request: web.Request) -> web.StreamResponse:
        body = await _httpbin_body(request)
        body.update(
            headers=_httpbin_headers(request),
            method=request.method,
            origin=_origin(request),
            url=_self_url(request, request.raw_path),
        )
        return _json(body)

    async def status(request: web.Request) -> web.StreamResponse:
        code = int(request.match_info["code"])
        headers: dict[str, str] = {}
        if code in (301, 302, 303, 305, 307):
            headers["Location"] = "/redirect/1"
        elif code == 401:
            headers["WWW-Authenticate"] = 'Basic realm="Fake Realm"'
        return web.Response(status=code, headers=headers, content_type="text/html")

    async def headers(request: web.Request) -> web.StreamResponse:
        return _json({"headers": _httpbin_headers(request)})

    async def user_agent(request: web.Request) -> web.StreamResponse:
        return _json({"user-agent": request.headers.get("User-Agent")})

    async def ip(request: web.Request) -> web.StreamResponse:
        return _json({"origin": _origin(request)})

    async def cookies(request: web.Request) -> web.StreamResponse:
        return _json({"cookies": dict(request.cookies)})

    async def cookies_set_path(request: web.Request) -> web.StreamResponse:
        response = _redirect("/cookies")
        response.set_cookie(request.match_info["name"], request.match_info["value"], path="/")
        return response

    async def cookies_set_query(request: web.Request) -> web.StreamResponse:
        response = _redirect("/cookies")
        for key, value in request.query.items():
            response.set_cookie(key, value, path="/")
        return response

    async def redirect(request: web.Request) -> web.StreamResponse:
        n = int(request.match_info["n"])
        return _redirect("/get" if n <= 1 else f"/redirect/{n - 1}")

    async def absolute_redirect(request: web.Request) -> web.StreamResponse:
        n = int(request.match_info["n"])
        target = "/get" if n <= 1 else f"/absolute-redirect/{n - 1}"
        return _redirect(_self_url(request, target))

    async def basic_auth(request: web.Request) -> web.StreamResponse:
        user, passwd = request.match_info["user"], request.match_info["passwd"]
        if parse_basic_auth(request.headers.get("Authorization")) != (user, passwd):
            return web.Response(status=401, headers={"WWW-Authenticate": 'Basic realm="Fake Realm"'})
        return _json({"authenticated": True, "user": user})

    async def delay(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(min(float(request.match_info["seconds"]), 10.0))
        return await get(request)

    async def stream(request: web.Request) -> web.StreamResponse:
        n = min(int(request.match_info["n"]), 100)
        url = _self_url(request, request.raw_path)
        lines = [
            (json.dumps({"id": i, "url": url, "args": dict(request.query)}) + "\n").encode() for i in range(n)
        ]
        return await chunked_handler(lines, content_type="application/json")(request)

    async def stream_chunked(request: web.Request) -> web.StreamResponse:
        n = int(request.query.get("n", "8"))
        size = int(request.query.get("size", "64"))
        pause = float(request.query.get("delay", "0.01"))
        pieces = [f"chunk-{i}:".encode() + b"x" * size for i in range(n)]
        return await chunked_handler(pieces, pause)(request)

    async def random_bytes(request: web.Request) -> web.StreamResponse:
        n = min(int(request.match_info["n"]), 100 * 1024 * 1024)
        seed = request.query.get("seed")
        rng = random.Random(seed)
        return web.Response(body=rng.randbytes(n), content_type="application/octet-stream")

    async def html(request: web.Request) -> web.StreamResponse:
        return web.Response(
            text="<!DOCTYPE html>\n<html><head></head><body><h1>Herman Melville - Moby-Dick</h1></body></html>\n",
            content_type="text/html",
        )

    def forced(coding: str) -> Handler:
        """httpbin ``/gzip`` ``/deflate`` ``/brotli``: always that coding."""
        flag = {"gzip": "gzipped", "deflate": "deflated", "br": "brotli"}[coding]

        async def handler(request: web.Request) -> web.StreamResponse:
            payload = (json.dumps({flag: True, "headers": _httpbin_headers(request)}, indent=2) + "\n").encode()
            body, used = encode_body(payload, coding, prefer=(coding,))
            response = web.Response(body=body, content_type="application/json")
            if used is not None:
                response.headers["Content-Encoding"] = used
            return response

        return handler

    async def compressed(request: web.Request) -> web.StreamResponse:
        size = int(request.query.get("size", "65536"))
        raw = request.query.get("raw") == "1"
        payload = (API_GZIP_CONTENT * (size // len(API_GZIP_CONTENT) + 1))[:size]
        return compressed_response(request, payload, raw_deflate=raw)

    builtin = [
        web.get("/get", get),
        web.post("/post", post),
        web.route("*", "/anything", anything),
        web.route("*", "/anything/{tail:.*}", anything),
        web.route("*", "/status/{code:\\d+}", status),
        web.get("/headers", headers),
        web.get("/user-agent", user_agent),
        web.get("/ip", ip),
        web.get("/cookies", cookies),
        web.get("/cookies/set", cookies_set_query),
        web.get("/cookies/set/{name}/{value}", cookies_set_path),
        web.get("/redirect/{n:\\d+}", redirect),
        web.get("/absolute-redirect/{n:\\d+}", absolute_redirect),
        web.get("/basic-auth/{user}/{passwd}", basic_auth),
        web.route("*", "/delay/{seconds}", delay),
        web.get("/stream/{n:\\d+}", stream),
        web.get("/stream-chunked", stream_chunked),
        web.get("/bytes/{n:\\d+}", random_bytes),
        web.get("/html", html),
        web.get("/gzip", forced("gzip")),
        web.get("/deflate", forced("deflate")),
        web.get("/compressed", compressed),
    ]
    if brotli is not None:
        builtin.append(web.get("/brotli", forced("br")))
    app = web.Application(client_max_size=client_max_size)
    _add_routes(app, routes, builtin)
    return app
