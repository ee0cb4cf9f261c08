"""``swoole_compat.coroutine.http.Client``: the Swoole-facing façade (client.md).

This module holds PHP semantics only — camelCase methods, public properties read at send time,
``False`` plus ``errCode``/``errMsg``/``statusCode`` on failure, warnings and exceptions. Bytes
are built by :mod:`swoole_compat._protocol` and moved by :mod:`swoole_compat._transport`.
"""

from __future__ import annotations

import asyncio
import inspect
import os
from typing import Any, Callable

from ..._php import php_float, php_int, php_str, php_truthy
from ..._protocol import cookies as _cookies
from ..._protocol import limits as _limits
from ..._protocol import request as _request
from ..._protocol.compression import ACCEPT_ENCODING, Decoder, DecodedTooLarge
from ..._protocol.multipart import NotAnArray
from ..._protocol.response import ResponseError, ResponseReader
from ..._transport import body as _body
from ..._transport import connect as _connect
from ..._transport.errno import ETIMEDOUT, TransportError, from_exception, strerror
from ..._transport.stream import Stream
from ...errors import CLIENT, ClientException, SwooleError, SwooleException, logger, php_warning
from .. import Socket, getcid
from . import _websocket

ESTATUS_CONNECT_FAILED = -1
ESTATUS_REQUEST_TIMEOUT = -2
ESTATUS_SERVER_RESET = -3
ESTATUS_SEND_FAILED = -4

SW_ERROR_SYSTEM_CALL_FAIL = 502
SW_ERROR_INVALID_PARAMS = 505
SW_ERROR_OPERATION_NOT_SUPPORT = 507
SW_ERROR_SSL_EMPTY_PEER_CERTIFICATE = 1013
SW_ERROR_CLIENT_NO_CONNECTION = 5001
SW_ERROR_HTTP_INVALID_PROTOCOL = 7102
SW_ERROR_CO_HAS_BEEN_BOUND = 10002

DEFAULT_RESPONSE_TIMEOUT = 60.0
MAX_RETRIES_LIMIT = 255
# Content-Length bodies with at least this much still to come are received in place
# (Stream.read_bytes_in_place); below it, joining the few received chunks costs less than
# switching the transport's protocol twice.
_IN_PLACE_BODY_MIN = 256 * 1024

# Keys whose presence in set() re-applies socket-level options to a live connection.
_SOCKET_KEYS = ("open_tcp_nodelay", "socket_buffer_size")


def _where(method: str) -> str:
    return f"{CLIENT}::{method}"


class Client:
    """PHP ``Swoole\\Coroutine\\Http\\Client``.

    I/O methods are coroutines; setters and getters are plain. Public attributes have the
    upstream names and are read when a request is sent, as upstream reads its properties.
    """

    Exception = ClientException

    def __init__(self, host: str, port: int = 0, ssl: bool = False) -> None:
        if not isinstance(host, str):
            raise TypeError(
                f"Swoole\\Coroutine\\Http\\Client::__construct(): Argument #1 ($host) must be of type string, "
                f"{'null' if host is None else type(host).__name__} given"
            )
        self.host: str = host
        self.ssl: bool = bool(ssl)
        if not host:
            raise ClientException("host is empty", 22)
        port = php_int(port)
        target = _connect.classify_host(host, port)
        if port != 0 and not target.is_unix and not 0 <= port <= 65535:
            raise ClientException("The port is invalid", SW_ERROR_INVALID_PARAMS)
        if port == 0:
            port = 443 if self.ssl else 80
        port &= 0xFFFF  # upstream keeps the port in 16 bits (observable for UNIX hosts only)
        self.port: int = port
        self._target = _connect.Target(target.kind, target.address, port)

        # Public properties (client.md §3)
        self.errCode: int = 0
        self.errMsg: str = ""
        self.connected: bool = False
        self.setting: dict[Any, Any] | None = None
        self.socket: Socket | None = None
        self.requestMethod: str | None = None
        self.requestHeaders: dict[Any, Any] | None = None
        self.requestBody: Any = None
        self.uploadFiles: list[Any] | None = None
        self.downloadFile: str | None = None
        self.downloadOffset: int = 0
        self.statusCode: int = 0
        self.headers: dict[str, Any] | None = None
        self.set_cookie_headers: list[str] | None = None
        self.cookies: dict[Any, Any] | None = None
        self.body: bytes = b""

        # Private fields set through set() and methods (client.md §1)
        self._connect_timeout = 0.0
        self._response_timeout = 0.0
        self._defer = False
        self._lowercase_header = True
        self._keep_alive = True
        self._http_compression = True
        self._body_decompression = True
        self._max_retries = 0
        self._write_func: Callable[..., Any] | None = None
        self._max_body_size: int | None = None  # None: SWOOLE_COMPAT_MAX_BODY_SIZE or 1 GiB
        self._basic_auth = ""
        self._ws = _websocket.Settings()
        self._server_wants_close = False  # sticky "Connection: close" (Replicate Q18)

        # Connection and request state
        self._stream: Stream | None = None
        self._header_out: str | None = None
        self._wait_response = False
        self._pending_method = "GET"
        self._uploads_sent = False
        self._download_fd: int | None = None
        self._download_path: str | None = None
        self._download_offset = 0
        self._in_write_func = False
        self._close_requested = False
        self._reader: asyncio.Task[Any] | None = None
        self._writer: asyncio.Task[Any] | None = None
        self._websocket = False
        self._ws_session: _websocket.Session | None = None

    # ------------------------------------------------------------------------------------------
    # settings
    # ------------------------------------------------------------------------------------------
    def set(self, options: dict[Any, Any]) -> bool:
        """Merge ``options`` into ``setting`` and apply them (client.md §4)."""
        if not isinstance(options, dict):
            raise TypeError("Swoole\\Coroutine\\Http\\Client::set(): Argument #1 ($settings) must be of type array")
        if not options:
            return False
        if options.get("max_body_size") is not None:
            # swoole_compat's own key: validated before anything is merged (TypeError/ValueError).
            self._max_body_size = _limits.parse_size(options["max_body_size"])
        if self.setting is None:
            self.setting = {}
        self.setting.update(options)
        ok = self._apply_http_options(options)
        if ok:
            self._ws.apply(options, self._live_stream())
        self._apply_socket_options(options)
        return ok

    def _apply_http_options(self, opts: dict[Any, Any]) -> bool:
        get = opts.get
        if get("connect_timeout") is not None:
            self._connect_timeout = php_float(opts["connect_timeout"])
        if get("timeout") is not None:
            self._response_timeout = php_float(opts["timeout"])
        if get("max_retries") is not None:
            value = php_int(opts["max_retries"])
            if value < 0:
                php_warning(_where("set"), f"max_retries must be greater than or equal to 0, got {value}", stacklevel=4)
                return False
            self._max_retries = min(value, MAX_RETRIES_LIMIT)
        if get("defer") is not None:
            self._defer = php_truthy(opts["defer"])
        if get("lowercase_header") is not None:
            self._lowercase_header = php_truthy(opts["lowercase_header"])
        if get("keep_alive") is not None:
            self._keep_alive = php_truthy(opts["keep_alive"])
        if get("http_compression") is not None:
            self._http_compression = php_truthy(opts["http_compression"])
        if get("body_decompression") is not None:
            self._body_decompression = php_truthy(opts["body_decompression"])
        if get("write_func") is not None:
            func = opts["write_func"]
            if not php_truthy(func):
                php_warning(_where("set"), "illegal callback function", stacklevel=4)
                return False
            if not callable(func):
                name = func if isinstance(func, str) else type(func).__name__
                php_warning(_where("set"), f"function '{name}' is not callable", stacklevel=4)
                return False
            self._write_func = func
        return True

    def _apply_socket_options(self, opts: dict[Any, Any]) -> None:
        size = opts.get("socket_buffer_size")
        if size is not None and php_int(size) <= 0:
            php_warning(_where("set"), f"socket buffer size must be greater than 0, got {php_int(size)}", stacklevel=4)
        if opts.get("socks5_host") and opts.get("socks5_port") is None:
            php_warning(_where("set"), "socks5_port should not be null", stacklevel=4)
        if opts.get("socks5_username") and not opts.get("socks5_password"):
            php_warning(_where("set"), "socks5_password should not be null", stacklevel=4)
        if opts.get("http_proxy_host") and opts.get("http_proxy_port") is None:
            php_warning(_where("set"), "http_proxy_port should not be null", stacklevel=4)
        user = opts.get("http_proxy_username", opts.get("http_proxy_user"))
        if user and not opts.get("http_proxy_password"):
            php_warning(_where("set"), "socks5_password should not be null", stacklevel=4)
        stream = self._stream
        if stream is not None and not stream.closed and any(k in opts for k in _SOCKET_KEYS):
            try:
                _connect._apply_socket_options(stream.sock, opts, not self._target.is_unix)
            except OSError:
                pass  # upstream ignores failures when re-applying to a live socket

    def getDefer(self) -> bool:
        return self._defer

    def setDefer(self, defer: bool = True) -> bool:
        self._defer = bool(defer)
        return True

    def setMethod(self, method: str) -> bool:
        if not isinstance(method, str):
            raise TypeError("Swoole\\Coroutine\\Http\\Client::setMethod(): Argument #1 ($method) must be of type string")
        self.requestMethod = method
        return True

    def setHeaders(self, headers: dict[Any, Any]) -> bool:
        if not isinstance(headers, dict):
            raise TypeError("Swoole\\Coroutine\\Http\\Client::setHeaders(): Argument #1 ($headers) must be of type array")
        self.requestHeaders = dict(headers)
        return True

    def setBasicAuth(self, username: str, password: str) -> None:
        self._basic_auth = _request.basic_auth_value(php_str(username), php_str(password))

    def setCookies(self, cookies: dict[Any, Any]) -> bool:
        if not isinstance(cookies, dict):
            raise TypeError("Swoole\\Coroutine\\Http\\Client::setCookies(): Argument #1 ($cookies) must be of type array")
        self.cookies = dict(cookies)
        return True

    def setData(self, data: Any) -> bool:
        self.requestBody = data
        return True

    def addFile(
        self,
        path: str,
        name: str,
        type: str | None = None,  # noqa: A002 - upstream parameter name
        filename: str | None = None,
        offset: int = 0,
        length: int = 0,
    ) -> bool:
        """Queue a file part for the next request (client.md §9 ``addFile``)."""
        from ..._protocol.mime import guess_mime_type

        path = os.fspath(path)
        where = _where("addFile")
        offset = php_int(offset)
        length = php_int(length)
        if offset < 0:
            php_warning(where, f"parameter $offset[{offset}] must be greater than or equal to 0")
            return False
        if length < 0:
            php_warning(where, f"parameter $length[{length}] must be greater than or equal to 0")
            return False
        try:
            size = os.stat(path).st_size
        except OSError as exc:
            code = exc.errno or 0
            php_warning(where, f"stat({path}) failed, Error: {os.strerror(code)}[{code}]")
            return False
        if size == 0:
            php_warning(where, f"cannot send empty file[{filename or '(null)'}], Error: Success[0]")
            return False
        if offset >= size:
            php_warning(where, f"parameter $offset[{offset}] exceeds the file size")
            return False
        if length > size - offset:
            php_warning(where, f"parameter $length[{length}] exceeds the file size, Error: Success[0]")
            return False
        if length == 0:
            length = size - offset
        if not type:
            type = guess_mime_type(path)  # noqa: A001
        if not filename:
            filename = path.rsplit("/", 1)[-1]
        if self.uploadFiles is None:
            self.uploadFiles = []
        self.uploadFiles.append(
            {"path": path, "name": name, "filename": filename, "type": type, "size": length, "offset": offset}
        )
        return True

    def addData(self, data: Any, name: str, type: str | None = None, filename: str | None = None) -> bool:  # noqa: A002
        """Queue an in-memory part for the next request."""
        content = data if isinstance(data, (bytes, bytearray, memoryview)) else php_str(data).encode("utf-8", "surrogateescape")
        content = bytes(content)
        if self.uploadFiles is None:
            self.uploadFiles = []
        self.uploadFiles.append(
            {
                "content": content,
                "name": name,
                "filename": filename or name,
                "type": type or "application/octet-stream",
                "size": len(content),
            }
        )
        return True

    # ------------------------------------------------------------------------------------------
    # getters
    # ------------------------------------------------------------------------------------------
    def getBody(self) -> bytes:
        return self.body

    def getHeaders(self) -> dict[str, Any] | None:
        return self.headers

    def getCookies(self) -> dict[Any, Any] | None:
        return self.cookies

    def getStatusCode(self) -> int:
        return self.statusCode

    def getHeaderOut(self) -> str | bool:
        return self._header_out if self._header_out is not None else False

    def _live_stream(self) -> Stream | None:
        stream = self._stream
        if stream is None or stream.closed:
            return None
        return stream

    def _no_connection(self) -> bool:
        self.errCode = SW_ERROR_CLIENT_NO_CONNECTION
        self.errMsg = strerror(SW_ERROR_CLIENT_NO_CONNECTION)
        return False

    def _address(self, which: str) -> dict[str, Any] | bool:
        stream = self._live_stream()
        if stream is None:
            return self._no_connection()
        try:
            value = stream.sockname() if which == "sock" else stream.peername()
        except OSError as exc:
            err = from_exception(exc)
            self.errCode, self.errMsg = err.code, err.message
            return False
        if isinstance(value, tuple):
            return {"address": value[0], "port": value[1]}
        if self._target.is_unix:
            return {"address": value or "", "port": 0} if which == "peer" else {"address": "", "port": 0}
        return {"address": str(value or ""), "port": 0}

    def getsockname(self) -> dict[str, Any] | bool:
        return self._address("sock")

    def getpeername(self) -> dict[str, Any] | bool:
        return self._address("peer")

    def getPeerCert(self) -> str | bool:
        stream = self._live_stream()
        if stream is None:
            return self._no_connection()
        der = stream.peer_cert_der()
        if not der:
            self.errCode = SW_ERROR_SSL_EMPTY_PEER_CERTIFICATE
            self.errMsg = strerror(SW_ERROR_SSL_EMPTY_PEER_CERTIFICATE)
            return False
        import ssl as _ssl

        return _ssl.DER_cert_to_PEM_cert(der)

    # ------------------------------------------------------------------------------------------
    # connection management (client.md §8)
    # ------------------------------------------------------------------------------------------
    def _set_error(self, code: int, message: str | None, status: int) -> None:
        self.errCode = code
        self.errMsg = strerror(code) if message is None else message
        self.statusCode = status

    def _close_connection(self, reset: bool = True) -> None:
        stream = self._stream
        self._stream = None
        self.connected = False
        self.socket = None
        self._websocket = False
        self._ws_session = None
        self._wait_response = False
        if stream is not None:
            stream.close()
        if reset:
            self._reset_request_state()

    def _reset_request_state(self) -> None:
        """Upstream ``Client::reset``: forget sent uploads and a download that opened its file."""
        if self._uploads_sent:
            self.uploadFiles = None
            self._uploads_sent = False
        if self._download_fd is not None:
            fd, self._download_fd = self._download_fd, None
            try:
                os.close(fd)
            except OSError:
                pass
            self.downloadFile = None
            self.downloadOffset = 0
        self._download_path = None

    def close(self) -> bool:
        """Close the connection; inside ``write_func`` only mark it for closing (client.md §8.5)."""
        if self._stream is None:
            return False
        if self._in_write_func:
            self._close_requested = True
            return True
        self._close_connection(reset=True)
        return True

    async def aclose(self) -> bool:
        """:meth:`close`, for ``async with`` and symmetry with other asyncio libraries."""
        return self.close()

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        stream = getattr(self, "_stream", None)
        if stream is not None and not stream.closed:
            try:
                stream.abort()
            except Exception:  # pragma: no cover - interpreter shutdown
                pass

    async def _connect(self) -> bool:
        target = self._target
        setting = dict(self.setting or {})
        if self._connect_timeout:
            setting["connect_timeout"] = self._connect_timeout
        else:
            setting.pop("connect_timeout", None)
        if target.is_unix:
            if setting.get("socks5_host"):
                raise SwooleException("Only tcp socket supports socks5 proxy settings", SW_ERROR_OPERATION_NOT_SUPPORT)
            if setting.get("http_proxy_host"):
                raise SwooleException("Only tcp socket supports http proxy settings", SW_ERROR_OPERATION_NOT_SUPPORT)
        self._websocket = False
        self._ws_session = None
        try:
            stream = await _connect.open_stream(target, setting, self.ssl)
        except TransportError as exc:
            self._set_error(exc.code, exc.message, ESTATUS_CONNECT_FAILED)
            return False
        self._stream = stream
        self.socket = Socket(stream)
        self.connected = True
        return True

    async def _keep_liveness(self) -> bool:
        stream = self._stream
        if stream is not None and stream.is_alive():
            if self._wait_response or not stream.buffered():
                return True
            # Bytes nobody asked for arrived after the last response (a body longer than its
            # Content-Length, a second response): this connection's framing cannot be trusted,
            # so they are discarded with it and the request goes out on a fresh connection.
            self._close_connection(reset=False)
            stream = None
        if stream is not None:
            err = stream.liveness_error() if not stream.closed else TransportError(9)
            self._set_error(err.code, err.message, ESTATUS_SERVER_RESET)
            self._close_connection(reset=False)
        for _ in range(self._max_retries + 1):
            if await self._connect():
                return True
        return False

    # ------------------------------------------------------------------------------------------
    # concurrency guard (client.md §11)
    # ------------------------------------------------------------------------------------------
    def _bind(self, read: bool, write: bool) -> asyncio.Task[Any] | None:
        stream = self._stream
        # current_task(loop) spares get_running_loop()'s getpid() system call (3.11); a stream
        # left over from another (finished) event loop has no current task there.
        task = asyncio.current_task(stream.loop) if stream is not None else None
        if task is None:
            task = asyncio.current_task()
        reader, writer = self._reader, self._writer
        if (reader is None or reader is task or not read) and (writer is None or writer is task or not write):
            if read:
                self._reader = task
            if write:
                self._writer = task
            return task
        for side, wanted, op in ((reader, read, "reading"), (writer, write, "writing")):
            if wanted and side is not None and side is not task and not side.done():
                if read and write:
                    op = "reading or writing"
                fd = self._stream.fd if self._stream is not None else -1
                owner = _task_cid(side)
                raise SwooleError(
                    f"Socket#{fd} has already been bound to another coroutine#{owner}, {op} of the same socket "
                    f"in coroutine#{getcid()} at the same time is not allowed",
                    SW_ERROR_CO_HAS_BEEN_BOUND,
                )
        if read:
            self._reader = task
        if write:
            self._writer = task
        return task

    def _unbind(self, read: bool, write: bool) -> None:
        if read:
            self._reader = None
        if write:
            self._writer = None

    # ------------------------------------------------------------------------------------------
    # requests (client.md §5)
    # ------------------------------------------------------------------------------------------
    async def execute(self, path: str) -> bool:
        """Send the request built from the current properties and read its response."""
        return await self._exec(path)

    async def get(self, path: str) -> bool:
        self.requestMethod = "GET"
        return await self._exec(path)

    async def post(self, path: str, data: Any) -> bool:
        self.requestMethod = "POST"
        self.requestBody = data
        return await self._exec(path)

    async def download(self, path: str, file: str, offset: int = 0) -> bool:
        """Stream the response body into ``file`` (opened lazily, written from ``offset``)."""
        offset = php_int(offset)
        if offset < 0:
            php_warning(_where("download"), f"parameter $offset[{offset}] must be greater than or equal to 0")
            return False
        self.downloadFile = os.fspath(file)
        self.downloadOffset = offset
        return await self._exec(path)

    async def _exec(self, path: str, *, upgrade: bool = False) -> bool:
        if not isinstance(path, str):
            raise TypeError("Swoole\\Coroutine\\Http\\Client::execute(): Argument #1 ($path) must be of type string")
        self._bind(True, True)
        try:
            for _attempt in range(self._max_retries + 1):
                if not await self._send_request(path, upgrade):
                    return False
                if self._defer and not upgrade:
                    return True
                if not await self._recv_response(0.0, upgrade):
                    return False
                if self._max_retries > 0 and self.statusCode in (502, 503):
                    self._close_connection(reset=True)
                    continue
                return True
            return False
        except (ClientException, ValueError):
            raise  # raised before any byte was written; the connection state is as documented
        except BaseException:
            # Cancellation or an exception mid-request: never reuse a half-used connection.
            if self._stream is not None:
                self._close_connection(reset=True)
            raise
        finally:
            self._unbind(True, True)

    def _request_spec(self, path: str, upgrade: bool) -> _request.RequestSpec:
        target = self._target
        setting = self.setting or {}
        if (self.ssl and self.port == 443) or (not self.ssl and self.port == 80):
            host_header = target.address
        else:
            host_header = f"{target.address}:{self.port}"
        method = self.requestMethod
        if method is None:
            method = "POST" if self.requestBody is not None else "GET"
        else:
            method = php_str(method)
        proxy_absolute = proxy_auth = None
        tls_on = self.ssl or php_truthy(setting.get("open_ssl"))  # upstream: socket->ssl_is_enable()
        if not target.is_unix and not tls_on and _connect.http_proxy(setting) is not None:
            headers = self.requestHeaders if isinstance(self.requestHeaders, dict) else {}
            host = headers.get("Host", headers.get("host"))
            host = php_str(host) if host is not None else target.address
            if ":" not in host:
                host = f"{host}:{self.port}"
            proxy_absolute = f"http://{host}"
            creds = _connect.proxy_credentials(setting)
            if creds:
                proxy_auth = _request.basic_auth_value(*creds.split(":", 1))
        return _request.RequestSpec(
            method=method,
            path=path,
            host_header=host_header,
            headers=self.requestHeaders,
            body=self.requestBody,
            uploads=self.uploadFiles,
            cookies=self.cookies,
            basic_auth=self._basic_auth,
            keep_alive=self._keep_alive,
            accept_encoding=ACCEPT_ENCODING if self._http_compression else None,
            proxy_absolute=proxy_absolute,
            proxy_authorization=proxy_auth,
            where=_where("execute"),
        )

    async def _send_request(self, path: str, upgrade: bool) -> bool:
        if not path:
            self.errCode = SW_ERROR_INVALID_PARAMS
            self.errMsg = strerror(SW_ERROR_INVALID_PARAMS)
            return False
        # The host becomes the Host header (and a proxy's request target): refuse CR/LF/NUL
        # before any DNS lookup or connect (deviation S1).
        _request.check_text(self.host, "host")
        self.headers = None
        self.set_cookie_headers = None
        self.body = b""
        if self._websocket:
            # Upstream would write the request into the WebSocket stream; start afresh instead.
            self._close_connection(reset=False)
        if not await self._keep_liveness():
            return False
        self.errCode = 0
        self.errMsg = ""
        self.statusCode = 0
        stream = self._stream
        assert stream is not None
        if self.downloadFile is not None:
            self._download_path = self.downloadFile
            self._download_offset = self.downloadOffset
        spec = self._request_spec(path, upgrade)
        try:
            built = _request.build(spec)
        except NotAnArray as exc:
            # php_warning <- _send_request <- _exec <- execute/get/post/download <- the caller
            php_warning(_where("execute"), f"uploadFiles[{exc.key}] must be an array", stacklevel=5)
            return False
        except _request.UnsafeRequest as exc:
            # Safety deviation: Swoole writes CR/LF verbatim (header injection); we refuse.
            raise ValueError(str(exc)) from None
        if len(built.head) > _request.HEADER_MAX_SIZE:
            self._close_connection(reset=True)
            raise ClientException("HTTP/1 header block is too large", SW_ERROR_INVALID_PARAMS)
        if built.disables_keep_alive:
            self._keep_alive = False  # a user "Connection: close" is permanent (Replicate Q3)
        self._header_out = built.header_out
        self._pending_method = spec.method
        self._uploads_sent = bool(self.uploadFiles)
        deadline = self._write_deadline()
        try:
            await _body.write_request(stream, built.head, built.body, deadline)
        except TransportError as exc:
            self._set_error(exc.code, exc.message, ESTATUS_SEND_FAILED)
            self._close_connection(reset=True)
            return False
        self._wait_response = True
        return True

    def _write_deadline(self) -> float | None:
        _, _, write_timeout = _connect.io_timeouts(self._timeouts_setting())
        if write_timeout is None:
            return None
        stream = self._stream
        loop = stream.loop if stream is not None else asyncio.get_running_loop()
        return loop.time() + write_timeout

    def _timeouts_setting(self) -> dict[Any, Any]:
        return self.setting or {}

    # ------------------------------------------------------------------------------------------
    # responses (client.md §7)
    # ------------------------------------------------------------------------------------------
    def _response_budget(self, timeout: float) -> float | None:
        budget = timeout if timeout else self._response_timeout
        if budget == 0:
            budget = DEFAULT_RESPONSE_TIMEOUT
        if budget < 0:
            return None
        return budget

    async def _recv_response(self, timeout: float, upgrade: bool = False) -> bool:
        stream = self._stream
        if stream is None:
            return self._no_connection()
        self._wait_response = False
        budget = self._response_budget(timeout)
        deadline = None if budget is None else stream.loop.time() + budget
        reader = ResponseReader(self._pending_method, lowercase=self._lowercase_header, upgrade_offer=upgrade)
        write_func = self._write_func
        decoder: Decoder | None = None
        decoder_ready = False
        chunks: list[bytes] = []
        download_path = self._download_path
        # In-memory body limit (swoole_compat addition): download()/write_func are not limited.
        body_limit = _limits.max_body_size(self._max_body_size) if download_path is None else 0
        kept = 0
        try:
            while True:
                data = await stream.read(deadline)
                pieces = reader.feed(data) if data else reader.feed_eof()
                if reader.head_done and not decoder_ready:
                    decoder_ready = True
                    self._publish_head(reader)
                    if (
                        self._body_decompression
                        and write_func is None
                        and reader.encoding is not None
                        and Decoder.available(reader.encoding)
                    ):
                        decoder = Decoder(reader.encoding, body_limit)
                for piece in pieces:
                    if not piece:
                        continue
                    if write_func is not None:
                        await self._call_write_func(write_func, bytes(piece))
                        continue
                    if download_path is not None:
                        # Decoded piece by piece: a bomb goes to the file, not into memory.
                        for out in decoder.pieces(piece) if decoder is not None else (piece,):
                            self._write_download(download_path, out)
                        continue
                    if decoder is not None:
                        piece = decoder.feed(piece)  # raises DecodedTooLarge past body_limit
                        if not piece:
                            continue
                    kept += len(piece)
                    if body_limit and kept > body_limit:
                        raise DecodedTooLarge()
                    chunks.append(piece)
                due = reader.body_bytes_due()
                if (
                    due >= _IN_PLACE_BODY_MIN
                    and decoder is None
                    and write_func is None
                    and download_path is None
                    and (not body_limit or kept + due <= body_limit)
                    and stream.can_fill
                ):
                    # The rest of a large Content-Length body goes from the socket straight
                    # into the final bytes object (no chunks to join).
                    body, received = await stream.read_bytes_in_place(chunks, kept, due, deadline)
                    reader.body_received(received)
                    if body is None:
                        reader.feed_eof()  # cut short: 104, or Q21's truncated success
                        break
                    chunks = [body]
                    kept += received
                if self._close_requested:
                    self._close_requested = False
                    self._set_error(0, "", ESTATUS_SERVER_RESET)
                    self._close_connection(reset=True)
                    return False
                if reader.complete:
                    break
                if not data:
                    break
        except TransportError as exc:
            status = ESTATUS_REQUEST_TIMEOUT if exc.code == ETIMEDOUT else ESTATUS_SERVER_RESET
            self._fail_response(reader, exc.code, exc.message, status)
            return False
        except ResponseError as exc:
            self._fail_response(reader, exc.code, None, ESTATUS_SERVER_RESET)
            return False
        except _DownloadError as exc:
            if str(exc):  # open/truncate/seek failures are logged; write failures are not
                logger.warning("%s", exc)
            self._fail_response(reader, SW_ERROR_HTTP_INVALID_PROTOCOL, None, ESTATUS_SERVER_RESET)
            return False
        except DecodedTooLarge:
            # max_body_size passed: 1203 "Data length too large", statusCode -3, closed.
            chunks.clear()
            self._fail_response(reader, _limits.SW_ERROR_DATA_LENGTH_TOO_LARGE, None, ESTATUS_SERVER_RESET)
            return False
        except BaseException:
            self._in_write_func = False
            self._close_connection(reset=True)
            raise
        if reader.head_done:
            # Also after an earlier publish: chunked trailers (Set-Cookie, Connection) go
            # through the same handling as header fields (client.md §7.4 step 4).
            self._publish_head(reader)
        # Success (client.md §7.9)
        if reader.truncated_success:
            self.statusCode = 0
            self.body = b""
        else:
            self.statusCode = reader.status
            if download_path is None and write_func is None:
                self.body = bytes(chunks[0]) if len(chunks) == 1 else b"".join(chunks)
        if upgrade and reader.websocket:
            return self._ws_on_upgrade_response(reader)
        if reader.status == 101:
            self.statusCode = 0  # a 101 that did not switch to WebSocket (Replicate Q13)
        if reader.status == 101 and reader.trailing_data:
            stream.unread(reader.trailing_data)
        if not self._keep_alive or self._server_wants_close:
            self._close_connection(reset=True)
        else:
            self._reset_request_state()
        return True

    def _publish_head(self, reader: ResponseReader) -> None:
        """Make the parsed head visible: headers, Set-Cookie, sticky Connection flag."""
        self.headers = reader.headers
        if reader.connection_close is not None:
            self._server_wants_close = reader.connection_close
        if reader.set_cookies:
            if self.set_cookie_headers is None:
                self.set_cookie_headers = []
            if self.cookies is None:
                self.cookies = {}
            self.set_cookie_headers.extend(reader.set_cookies)
            _cookies.merge_set_cookies(reader.set_cookies, self.cookies)
            reader.set_cookies = []

    def _fail_response(self, reader: ResponseReader, code: int, message: str | None, status: int) -> None:
        if reader.headers is not None and self.headers is None:
            self._publish_head(reader)
        elif reader.set_cookies:
            self._publish_head(reader)
        self.body = b""
        self._in_write_func = False
        self._set_error(code, message, status)
        self._close_connection(reset=True)

    async def _call_write_func(self, func: Callable[..., Any], data: bytes) -> None:
        self._in_write_func = True
        try:
            result = func(self, data)
            if inspect.isawaitable(result):
                await result
        finally:
            self._in_write_func = False

    def _write_download(self, path: str, data: bytes) -> None:
        fd = self._download_fd
        if fd is None:
            try:
                fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o664)
            except OSError as exc:
                code = exc.errno or 0
                raise _DownloadError(f"open({path}, O_CREAT | O_WRONLY) failed, Error: {os.strerror(code)}[{code}]") from None
            self._download_fd = fd
            offset = self._download_offset
            try:
                if offset == 0:
                    os.ftruncate(fd, 0)
                else:
                    os.lseek(fd, offset, os.SEEK_SET)
            except OSError as exc:
                code = exc.errno or 0
                what = f"ftruncate({path})" if offset == 0 else f"fseek({path}, {offset})"
                raise _DownloadError(f"{what} failed, Error: {os.strerror(code)}[{code}]") from None
        view = memoryview(data)
        try:
            while view:
                written = os.write(fd, view)
                view = view[written:]
        except OSError:
            # upstream: a short write makes on_body fail -> parse error 7102 (no log line)
            raise _DownloadError("") from None

    # ------------------------------------------------------------------------------------------
    # defer mode and WebSocket receive (client.md §10, websocket.md §4)
    # ------------------------------------------------------------------------------------------
    async def recv(self, timeout: float = 0) -> Any:
        """Defer mode: read the pending response. WebSocket mode: the next frame."""
        timeout = php_float(timeout)
        if self._websocket:
            return await _websocket.recv(self, timeout)
        stream = self._live_stream()
        if stream is None:
            return self._no_connection()
        # Bind first: upstream keeps wait_response set while another coroutine reads the
        # response, so a concurrent recv() reaches the socket and hits the bound check.
        self._bind(True, False)
        try:
            if not self._wait_response:
                return False
            return await self._recv_response(timeout)
        finally:
            self._unbind(True, False)

    # ------------------------------------------------------------------------------------------
    # WebSocket (websocket.md); the protocol logic lives in _websocket
    # ------------------------------------------------------------------------------------------
    async def upgrade(self, path: str) -> bool:
        return await _websocket.upgrade(self, path)

    def _ws_on_upgrade_response(self, reader: ResponseReader) -> bool:
        return _websocket.on_upgrade_response(self, reader)

    async def push(self, data: Any, opcode: int = 1, flags: int = 1) -> bool:
        result = _websocket.push_nowait(self, data, opcode, flags)  # the usual case: no wait
        return await _websocket.drain_after_push(self) if result is None else result

    async def ping(self, data: Any = "") -> bool:
        return await _websocket.ping(self, data)

    async def disconnect(self, code: int = 1000, reason: Any = "") -> bool:
        return await _websocket.disconnect(self, code, reason)

    def __repr__(self) -> str:
        return f"<swoole_compat Client {self.host}:{self.port} connected={self.connected}>"


class _DownloadError(Exception):
    """The download file could not be opened, truncated or positioned."""


def _task_cid(task: asyncio.Task[Any]) -> int:
    from .. import _task_ids

    return _task_ids.get(task) or id(task) & 0xFFFF
