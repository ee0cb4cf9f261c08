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

from ..._php import PhpArray, php_float, php_int, php_str, php_truthy
from ..._protocol import cookies as _cookies
from ..._protocol import limits as _limits
from ..._protocol import request as _request
from ..._connection import HTTPConnection
from ..._protocol.compression import ACCEPT_ENCODING, Decoder, DecodedTooLarge
from ..._protocol.multipart import NotAnArray
from ..._protocol.response import ResponseError, ResponseParser
from ..._transport import connect as _connect
from ..._transport.errno import ECANCELED, ETIMEDOUT, TransportError, from_exception, strerror
from ...constants import SWOOLE_WEBSOCKET_FLAG_FIN
from ...errors import CLIENT, ClientException, SwooleError, SwooleException, logger, php_warning
from .. import Socket, getcid
from . import _websocket

ESTATUS_CONNECT_FAILED = -1
ESTATUS_REQUEST_TIMEOUT = -2
ESTATUS_SERVER_RESET = -3
ESTATUS_SEND_FAILED = -4

SW_ERROR_INVALID_PARAMS = 505
SW_ERROR_OPERATION_NOT_SUPPORT = 507
SW_ERROR_SSL_EMPTY_PEER_CERTIFICATE = 1013
SW_ERROR_CLIENT_NO_CONNECTION = 5001
SW_ERROR_HTTP_INVALID_PROTOCOL = 7102
SW_ERROR_CO_HAS_BEEN_BOUND = 10002
SW_ERROR_CO_SOCKET_CLOSE_WAIT = 10019

DEFAULT_RESPONSE_TIMEOUT = 60.0
MAX_RETRIES_LIMIT = 255

# Keys whose presence in set() re-applies socket-level options to a live connection.
_SOCKET_KEYS = ("open_tcp_nodelay", "socket_buffer_size")


def _where(method: str) -> str:
    return f"{CLIENT}::{method}"


class Client:
    """PHP ``Swoole\\Coroutine\\Http\\Client``.

    I/O methods are coroutines; setters and getters are plain. Public attributes have the
    upstream names and are read when a request is sent, as upstream reads its properties.
    The socket and the receive loops belong to an :class:`~swoole_compat._connection.HTTPConnection`
    (``_conn``); this class decides what their results mean in PHP terms.
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
        self._max_decompressed_size: int | None = None  # None: 128 MiB (limits.py)
        self._max_decompression_ratio: float | None = None  # None: 100 (limits.py)
        self._basic_auth = ""
        self._ws = _websocket.Settings()
        self._server_wants_close = False  # sticky "Connection: close" (Replicate Q18)

        # Connection and request state
        self._conn: HTTPConnection | None = None
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
        # Swoole's ``websocket`` flag: set while parsing a 101 whose Upgrade lists websocket,
        # cleared only by the next connect (recv() then reads frames).
        self._websocket = False
        self._ws_session: _websocket.Session | None = None
        # upstream's continue_frame_buffer: a member of the client, not of the connection
        self._ws_assembler: Any = None
        # Requests written whose responses were not read yet (defer mode can pipeline two):
        # bytes waiting on the socket are theirs, not unsolicited (S14).
        self._responses_due = 0
        # A set() changed TLS options while connected: the next request reconnects.
        self._tls_changed = False
        self._pending_exception: SwooleException | None = None
        self._php_method = "execute"  # the PHP method running a request (for warnings)  # raised when _exec ends

    # ------------------------------------------------------------------------------------------
    # settings
    # ------------------------------------------------------------------------------------------
    def set(self, options: dict[Any, Any]) -> bool:
        """Merge ``options`` into ``setting`` and apply them (client.md §4)."""
        if not isinstance(options, dict):
            raise TypeError("Swoole\\Coroutine\\Http\\Client::set(): Argument #1 ($settings) must be of type array")
        if not options:
            return False
        # swoole_compat's own limit keys: validated before anything is merged (TypeError/ValueError).
        for name, value in _limits.parse_options(options).items():
            setattr(self, "_" + name, value)  # _max_body_size, _max_decompressed_size, _max_decompression_ratio
        if self.setting is None:
            self.setting = {}
        self.setting.update(options)
        ok = self._apply_http_options(options)
        if ok:
            self._ws.apply(options, self._live_conn())
        self._apply_socket_options(options)
        if self._conn is not None and any(isinstance(k, str) and k.startswith("ssl_") for k in options):
            # New certificates, verification or SNI only take effect on a new handshake.
            self._tls_changed = True
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
        """``Client::apply_setting``: ``php_swoole_socket_set`` with this ``set()``'s array, on
        the live socket only (a new socket gets the merged ``setting`` when it connects)."""
        conn = self._conn
        if conn is None or conn.closed:
            return
        _connect.socket_setting_warnings(opts, _where("set"), 5, not self._target.is_unix)
        if any(k in opts for k in _SOCKET_KEYS):
            try:
                _connect._apply_socket_options(conn.stream.sock, opts, not self._target.is_unix)
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
        self.cookies = PhpArray(cookies)  # PHP keys and next index (client.md §7.6)
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
            # "%s" of the filename argument: "(null)" when omitted, empty when given as "".
            shown = "(null)" if filename is None else php_str(filename)
            php_warning(where, f"cannot send empty file[{shown}], Error: Success[0]")
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

    def _live_conn(self) -> HTTPConnection | None:
        conn = self._conn
        if conn is None or conn.closed:
            return None
        return conn

    def _no_connection(self) -> bool:
        self.errCode = SW_ERROR_CLIENT_NO_CONNECTION
        self.errMsg = strerror(SW_ERROR_CLIENT_NO_CONNECTION)
        return False

    def _address(self, which: str) -> dict[str, Any] | bool:
        conn = self._live_conn()
        if conn is None:
            return self._no_connection()
        try:
            value = conn.stream.sockname() if which == "sock" else conn.stream.peername()
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
        conn = self._live_conn()
        if conn is None:
            return self._no_connection()
        der = conn.stream.peer_cert_der()
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
        """``Client::close`` + ``socket_dtor``: the socket goes; the ``websocket`` flag stays
        until the next connect, as upstream keeps it."""
        conn = self._conn
        self._conn = None
        self.connected = False
        self.socket = None
        self._ws_session = None
        self._wait_response = False
        self._responses_due = 0
        self._tls_changed = False
        if conn is not None:
            conn.close()
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
        conn = self._conn
        if conn is None:
            return False
        if self._in_write_func:
            self._close_requested = True
            return True
        if self._bound_elsewhere():
            # Socket::close with a coroutine bound to the socket: the socket is marked
            # close-wait, the bound coroutine's wait is cancelled (it fails with 125
            # "Operation canceled", statusCode -3, and closes the connection), and close()
            # itself fails with 10019. Upstream resumes the cancelled coroutine inside close();
            # here it runs at its next turn of the event loop.
            self.connected = False
            self._set_error(SW_ERROR_CO_SOCKET_CLOSE_WAIT, None, ESTATUS_SERVER_RESET)
            conn.cancel(TransportError(ECANCELED))
            return False
        self._close_connection(reset=True)
        return True

    def _bound_elsewhere(self) -> bool:
        """Another task is reading or writing this client's socket."""
        try:
            current = asyncio.current_task()
        except RuntimeError:
            current = None
        for task in (self._reader, self._writer):
            if task is not None and task is not current and not task.done():
                return True
        return False

    async def aclose(self) -> bool:
        """:meth:`close`, for ``async with`` and symmetry with other asyncio libraries."""
        return self.close()

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        conn = getattr(self, "_conn", None)
        if conn is not None and not conn.closed:
            try:
                conn.abort()
            except Exception:  # pragma: no cover - interpreter shutdown
                pass

    async def _connect(self) -> bool:
        target = self._target
        setting = dict(self.setting or {})
        if self._connect_timeout:
            setting["connect_timeout"] = self._connect_timeout
        else:
            setting.pop("connect_timeout", None)
        refused = _connect.unix_proxy_refusal(target, setting)
        if refused is not None:
            # Upstream throws from inside the connect, yet goes on (directly to the socket):
            # the exception surfaces once the request has finished (see _exec).
            self._pending_exception = SwooleException(refused, SW_ERROR_OPERATION_NOT_SUPPORT)
        self._websocket = False
        self._ws_session = None
        try:
            stream = await _connect.open_stream(target, setting, self.ssl, where=_where(self._php_method))
        except TransportError as exc:
            self._set_error(exc.code, exc.message, ESTATUS_CONNECT_FAILED)
            return False
        self._conn = HTTPConnection(stream)
        self.socket = Socket(stream)
        self.connected = True
        return True

    async def _keep_liveness(self) -> bool:
        conn = self._conn
        if conn is not None and self._tls_changed:
            self._close_connection(reset=False)  # new TLS options: a new handshake
            conn = None
        if conn is not None and conn.is_alive():
            if self._wait_response or self._responses_due > 0 or not conn.has_unread_bytes():
                return True
            # Bytes nobody asked for arrived after the last response (a body longer than its
            # Content-Length, a second response): this connection's framing cannot be trusted,
            # so they are discarded with it and the request goes out on a fresh connection (S14).
            self._close_connection(reset=False)
            conn = None
        if conn is not None:
            err = conn.liveness_error()
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
        conn = self._conn
        # current_task(loop) spares get_running_loop()'s getpid() system call (3.11); a stream
        # left over from another (finished) event loop has no current task there.
        task = asyncio.current_task(conn.loop) if conn is not None else None
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
                fd = self._conn.fd if self._conn is not None else -1
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
        return await self._exec(path, "execute")

    async def get(self, path: str) -> bool:
        self.requestMethod = "GET"
        return await self._exec(path, "get")

    async def post(self, path: str, data: Any) -> bool:
        self.requestMethod = "POST"
        self.requestBody = data
        return await self._exec(path, "post")

    async def download(self, path: str, file: str, offset: int = 0) -> bool:
        """Stream the response body into ``file`` (opened lazily, written from ``offset``)."""
        offset = php_int(offset)
        if offset < 0:
            php_warning(_where("download"), f"parameter $offset[{offset}] must be greater than or equal to 0")
            return False
        self.downloadFile = os.fspath(file)
        self.downloadOffset = offset
        return await self._exec(path, "download")

    async def _exec(self, path: str, php_method: str) -> bool:
        """``Client::exec``: send, then (unless deferred) receive; with ``max_retries``, a 502
        or 503 answer is retried on a new connection. An exception the connect recorded
        (a UNIX socket with proxy settings) is raised once the request has finished.
        ``php_method`` names the PHP method in the warnings of the connect it may make."""
        self._php_method = php_method
        try:
            result = await self._exec_request(path)
        finally:
            pending, self._pending_exception = self._pending_exception, None
        if pending is not None:
            raise pending  # thrown by the connect, after the response was recorded
        return result

    async def _exec_request(self, path: str) -> bool:
        if not isinstance(path, str):
            raise TypeError("Swoole\\Coroutine\\Http\\Client::execute(): Argument #1 ($path) must be of type string")
        self._bind(True, True)
        try:
            for _attempt in range(self._max_retries + 1):
                if not await self._send_request(path):
                    return False
                if self._defer:
                    return True
                if not await self._recv_response(0.0):
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
            if self._conn is not None:
                self._close_connection(reset=True)
            raise
        finally:
            self._unbind(True, True)

    def _request_spec(self, path: str) -> _request.RequestSpec:
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

    async def _send_request(self, path: str) -> bool:
        """``Client::send_request``: reset the last response, (re)connect, build and write."""
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
        if not await self._keep_liveness():
            return False
        self.errCode = 0
        self.errMsg = ""
        self.statusCode = 0
        conn = self._conn
        assert conn is not None
        if self.downloadFile is not None:
            self._download_path = self.downloadFile
            self._download_offset = self.downloadOffset
        spec = self._request_spec(path)
        try:
            built = _request.build(spec)
        except (NotAnArray, _request.QueryBuildFailed, ClientException) as exc:
            if getattr(exc, "disables_keep_alive", False):
                self._keep_alive = False  # upstream parsed the user Connection: close first
            if isinstance(exc, ClientException):
                raise
            # php_warning <- _send_request <- _exec_request <- _exec <- execute/get/post/download <- the caller
            if isinstance(exc, NotAnArray):
                self._uploads_sent = True  # upstream has_upload_files: a later reset clears them
                php_warning(_where("execute"), f"uploadFiles[{exc.key}] must be an array", stacklevel=6)
            else:
                php_warning(_where("execute"), "http_build_query failed", stacklevel=6)
            return False
        except _request.UnsafeRequest as exc:
            # Safety deviation: Swoole writes CR/LF verbatim (header injection); we refuse.
            raise ValueError(str(exc)) from None
        self._uploads_sent = bool(self.uploadFiles)  # upstream has_upload_files, set before this check
        if built.disables_keep_alive:
            self._keep_alive = False  # a user "Connection: close" is permanent (Replicate Q3)
        if len(built.head) > _request.HEADER_MAX_SIZE:
            self._close_connection(reset=True)
            raise ClientException("HTTP/1 header block is too large", SW_ERROR_INVALID_PARAMS)
        self._header_out = built.header_out
        self._pending_method = spec.method
        try:
            await conn.send_request(built.head, built.body, self._write_deadline())
        except TransportError as exc:
            self._set_error(exc.code, exc.message, ESTATUS_SEND_FAILED)
            self._close_connection(reset=True)
            return False
        self._wait_response = True
        self._responses_due += 1
        return True

    def _write_deadline(self) -> float | None:
        _, _, write_timeout = _connect.io_timeouts(self._timeouts_setting())
        if write_timeout is None:
            return None
        conn = self._conn
        loop = conn.loop if conn is not None else asyncio.get_running_loop()
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

    async def _recv_response(self, timeout: float) -> bool:
        """``Client::recv_response``: the response into the properties, PHP's way.

        The reading and parsing are the connection's (:meth:`HTTPConnection.receive_response`);
        here: the timeout budget (the whole response), what the body becomes (memory, file,
        ``write_func``), and what success and each failure set and close."""
        conn = self._conn
        if conn is None:
            return self._no_connection()
        self._wait_response = False
        self._responses_due = max(0, self._responses_due - 1)
        budget = self._response_budget(timeout)
        deadline = None if budget is None else conn.loop.time() + budget
        parser = ResponseParser(self._pending_method, lowercase=self._lowercase_header, websocket=self._websocket)
        download_path = self._download_path
        # In-memory body limit (swoole_compat addition): download()/write_func are not limited.
        limit = _limits.max_body_size(self._max_body_size) if download_path is None else 0
        body = _ResponseBody(self, self._write_func, download_path, limit)
        try:
            await conn.receive_response(parser, deadline, body)
        except TransportError as exc:
            status = ESTATUS_REQUEST_TIMEOUT if exc.code == ETIMEDOUT else ESTATUS_SERVER_RESET
            self._fail_response(parser, exc.code, exc.message, status)
            return False
        except ResponseError as exc:
            self._fail_response(parser, exc.code, None, ESTATUS_SERVER_RESET)
            return False
        except _DownloadError as exc:
            if str(exc):  # open/truncate/seek failures are logged; write failures are not
                logger.warning("%s", exc)
            self._fail_response(parser, SW_ERROR_HTTP_INVALID_PROTOCOL, None, ESTATUS_SERVER_RESET)
            return False
        except DecodedTooLarge as exc:
            # A body limit passed: 1203 "Data length too large", statusCode -3, closed.
            body.chunks.clear()
            self._fail_response(parser, _limits.SW_ERROR_DATA_LENGTH_TOO_LARGE, exc.errmsg, ESTATUS_SERVER_RESET)
            return False
        except _CloseRequested:
            # close() inside write_func (socket close_wait): the call fails, the socket goes.
            self._close_requested = False
            self._in_write_func = False
            self._publish_head(parser)
            self._set_error(0, "", ESTATUS_SERVER_RESET)
            self._close_connection(reset=True)
            return False
        except BaseException:
            self._in_write_func = False
            self._close_connection(reset=True)
            raise
        # Also after the head was published: chunked trailers (Set-Cookie, Connection) go
        # through the same handling as header fields (client.md §7.4 step 4).
        self._publish_head(parser)
        if parser.status_published:  # on_message_complete set statusCode (and body)
            self.statusCode = parser.status_code
            if download_path is None:
                self.body = body.value()
        # else: EOF ended a response that was not complete (Replicate Q21), or a 101 that did
        # not switch to WebSocket (Q13): statusCode 0 and body as the request reset them.
        if self._websocket:
            return self._finish_upgrade(parser)
        if not self._keep_alive or self._server_wants_close:
            self._close_connection(reset=True)
        else:
            self._reset_request_state()
        return True

    def _finish_upgrade(self, parser: ResponseParser) -> bool:
        """A 101 carrying the ``websocket`` token was parsed: check the handshake
        (``websocket_verify_server_handshake``) and enter WebSocket mode, or fail with 8504."""
        session = _websocket.verify_upgrade(
            self.headers,
            self.requestHeaders,
            compression_offered=self._ws.compression,
            extensions=parser.ws_extensions,
            limit=_websocket.package_max_length(self._ws, self._conn, self.setting),
            trailing=parser.trailing_data,
            assembler=self._ws_assembler,
        )
        if session is None:
            self._set_error(
                _websocket.SW_ERROR_WEBSOCKET_HANDSHAKE_FAILED, _websocket.HANDSHAKE_FAILED_MESSAGE, ESTATUS_SERVER_RESET
            )
            self._close_connection(reset=True)
            return False
        self._ws_session = session
        self._ws_assembler = session.assembler
        self._reset_request_state()
        return True

    def _publish_head(self, parser: ResponseParser) -> None:
        """Make what the parser's callbacks delivered visible: headers, Set-Cookie, the sticky
        ``Connection: close`` flag and the ``websocket`` flag (all set on the client by
        Swoole's ``on_header_value`` as each header arrives)."""
        if parser.headers is not None:
            self.headers = parser.headers
        if parser.connection_close is not None:
            self._server_wants_close = parser.connection_close
        if parser.websocket:
            self._websocket = True
        if parser.set_cookies:
            if self.set_cookie_headers is None:
                self.set_cookie_headers = []
            if not isinstance(self.cookies, dict):
                self.cookies = PhpArray()  # upstream: read_and_convert_property_array
            self.set_cookie_headers.extend(parser.set_cookies)
            _cookies.merge_set_cookies(parser.set_cookies, self.cookies)
            parser.set_cookies = []

    def _fail_response(self, parser: ResponseParser, code: int, message: str | None, status: int) -> None:
        """A failed response: the headers delivered so far stay, the body is empty, the
        connection is closed (upstream: socket error properties, statusCode, ``close()``)."""
        self._publish_head(parser)
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
        conn = self._live_conn()
        if conn is None:
            return self._no_connection()
        if self._websocket:
            return await self._recv_frame(conn, timeout)
        # Bind first: upstream keeps wait_response set while another coroutine reads the
        # response, so a concurrent recv() reaches the socket and hits the bound check.
        self._bind(True, False)
        try:
            if not self._wait_response:
                return False
            return await self._recv_response(timeout)
        finally:
            self._unbind(True, False)

    async def _recv_frame(self, conn: HTTPConnection, timeout: float) -> Any:
        """``Client::recv_websocket_frame``."""
        session = self._ws_session
        if session is None:
            return self._no_connection()
        settings = self._ws
        limit = _websocket.package_max_length(settings, conn, self.setting)
        asm = session.assembler
        if limit != asm.package_max_length:
            asm.package_max_length = limit
        if timeout:
            wait: float | None = timeout if timeout > 0 else None
        elif settings.live_read_timeout is not None and settings.live_read_timeout[0] is conn:
            wait = settings.live_read_timeout[1]
        else:
            wait = _connect.io_timeouts(self.setting or {})[1]
        self._bind(True, False)
        try:
            outcome = await _websocket.receive(conn, session, settings, wait)
        finally:
            self._unbind(True, False)
        return self._apply_outcome(outcome, where="recv")

    def _apply_outcome(self, outcome: _websocket.Outcome, where: str) -> Any:
        if outcome.warning is not None:
            php_warning(_where(where), outcome.warning, stacklevel=4)
        if outcome.error is not None:
            self._set_error(*outcome.error)
        if outcome.close and self._conn is not None:
            self._close_connection(reset=True)
        return outcome.value

    # ------------------------------------------------------------------------------------------
    # WebSocket (websocket.md); frames and the handshake check live in _websocket
    # ------------------------------------------------------------------------------------------
    async def upgrade(self, path: str) -> bool:
        """``Client::upgrade``: the handshake headers (kept in ``requestHeaders``), then a GET;
        defer mode is turned off for good (W2)."""
        self._defer = False
        self.requestHeaders = _websocket.upgrade_headers(self.requestHeaders, self._ws.compression)
        self.requestMethod = "GET"
        return await self._exec(path, "get")

    def _push_precheck(self, conn: HTTPConnection | None) -> bool:
        if conn is None:
            return self._no_connection()
        if not self._websocket or self._ws_session is None:
            php_warning(_where("push"), _websocket.PUSH_WITHOUT_HANDSHAKE, stacklevel=4)
            self._set_error(
                _websocket.SW_ERROR_PHP_FATAL_ERROR, _websocket.PUSH_WITHOUT_HANDSHAKE, ESTATUS_CONNECT_FAILED
            )
            return False
        return True

    async def push(self, data: Any, opcode: int = 1, flags: int | None = SWOOLE_WEBSOCKET_FLAG_FIN) -> bool:
        """``push()`` (websocket.md §3.1): one frame, written without waiting unless the
        transport is over its high-water mark."""
        conn = self._live_conn()
        if not self._push_precheck(conn):
            return False
        assert conn is not None
        flags = SWOOLE_WEBSOCKET_FLAG_FIN if flags is None else php_int(flags) & _websocket.FLAGS_ALL  # None: the default
        frame = _websocket.push_frame(self._ws_session, self._ws, data, opcode, flags)
        if frame is None:
            return self._pack_failed()
        return await self._write_frame(conn, frame)

    def _pack_failed(self) -> bool:
        self.errCode = _websocket.SW_ERROR_WEBSOCKET_PACK_FAILED
        self.errMsg = _websocket.PACK_FAILED_MESSAGE
        return False

    async def _write_frame(self, conn: HTTPConnection, frame: bytes) -> bool:
        """Write one frame, bound for writing meanwhile; on failure the socket error,
        statusCode -3 and the connection closed (``Client::push``)."""
        self._bind(False, True)
        try:
            if conn.write_nowait(frame):
                await conn.drain(self._write_deadline())
        except TransportError as exc:
            self._set_error(exc.code, exc.message, ESTATUS_SERVER_RESET)
            self._close_connection(reset=True)
            return False
        finally:
            self._unbind(False, True)
        return True

    def _upgraded_conn(self) -> HTTPConnection | None:
        """The connection of an upgraded client, else None (5001 set when there is none):
        ``ping()`` and ``disconnect()`` then return False (``is_available() && websocket``)."""
        conn = self._live_conn()
        if conn is None:
            self._no_connection()
            return None
        if not self._websocket or self._ws_session is None:
            return None
        return conn

    async def ping(self, data: Any = "") -> bool:
        conn = self._upgraded_conn()
        if conn is None:
            return False
        frame = _websocket.pack(
            self._ws_session, self._ws, data, _websocket.WEBSOCKET_OPCODE_PING, SWOOLE_WEBSOCKET_FLAG_FIN, 0, "ping"
        )
        if frame is None:
            return self._pack_failed()
        return await self._write_frame(conn, frame)

    async def disconnect(self, code: int = 1000, reason: Any = "") -> bool:
        """Send CLOSE(code, reason), then always close the connection (websocket.md §3.6)."""
        conn = self._upgraded_conn()
        if conn is None:
            return False
        frame = _websocket.pack(
            self._ws_session,
            self._ws,
            reason,
            _websocket.WEBSOCKET_OPCODE_CLOSE,
            SWOOLE_WEBSOCKET_FLAG_FIN,
            php_int(code),
            "disconnect",
        )
        sent = False
        if frame is not None:
            sent = await self._write_frame(conn, frame)
        else:
            self._pack_failed()
        if self._conn is not None:
            self._close_connection(reset=True)
        return sent

    def __repr__(self) -> str:
        return f"<swoole_compat Client {self.host}:{self.port} connected={self.connected}>"


class _CloseRequested(Exception):
    """``close()`` was called inside ``write_func``: the response ends there."""


class _ResponseBody:
    """Where one response's body goes (Swoole's ``http_parser_on_body``): ``write_func``
    first, else decoded (``Content-Encoding``) into the download file or into memory."""

    __slots__ = ("client", "write_func", "download_path", "decoder", "chunks", "kept", "limit")

    def __init__(
        self, client: Client, write_func: Callable[..., Any] | None, download_path: str | None, limit: int
    ) -> None:
        self.client = client
        self.write_func = write_func
        self.download_path = download_path
        self.decoder: Decoder | None = None
        self.chunks: list[bytes] = []
        self.kept = 0
        self.limit = limit

    def on_head(self, parser: ResponseParser) -> None:
        client = self.client
        client._publish_head(parser)
        encoding = parser.encoding
        if client._body_decompression and self.write_func is None and encoding is not None:
            if Decoder.available(encoding):
                self.decoder = Decoder(
                    encoding,
                    *_limits.decode_limits(
                        self.limit,
                        client._max_decompressed_size,
                        client._max_decompression_ratio,
                        in_memory=self.download_path is None,
                    ),
                )

    def on_pieces(self, pieces: list[bytes]) -> Any:
        if self.write_func is not None:
            return self._to_write_func(pieces)
        decoder = self.decoder
        path = self.download_path
        if path is not None:
            # Decoded piece by piece: a bomb goes to the file, not into memory.
            for piece in pieces:
                for out in decoder.pieces(piece) if decoder is not None else (piece,):
                    self.client._write_download(path, out)
            return None
        for piece in pieces:
            if decoder is not None:
                piece = decoder.feed(piece)  # raises DecodedTooLarge past the limit
                if not piece:
                    continue
            self.kept += len(piece)
            if self.limit and self.kept > self.limit:
                raise DecodedTooLarge()
            self.chunks.append(piece)
        return None

    async def _to_write_func(self, pieces: list[bytes]) -> None:
        client = self.client
        func = self.write_func
        assert func is not None
        for piece in pieces:
            await client._call_write_func(func, piece)
        if client._close_requested:  # checked after each parsed read, as upstream's close_wait
            raise _CloseRequested()

    def in_place_prefix(self, due: int) -> list[bytes] | None:
        if self.decoder is not None or self.write_func is not None or self.download_path is not None:
            return None
        if self.limit and self.kept + due > self.limit:
            return None
        return self.chunks

    def in_place_done(self, body: bytes) -> None:
        self.chunks = [body]
        self.kept = len(body)

    def value(self) -> bytes:
        chunks = self.chunks
        if not chunks:
            return b""
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)


class _DownloadError(Exception):
    """The download file could not be opened, truncated or positioned."""


def _task_cid(task: asyncio.Task[Any]) -> int:
    from .. import _task_ids

    return _task_ids.get(task) or id(task) & 0xFFFF
