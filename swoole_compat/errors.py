"""Exception and warning classes, the ``swoole_strerror`` table, and PHP-diagnostic helpers.

Mapping of upstream diagnostics (errors.md section 6, python-mapping.md section 9):

* PHP warning -> :func:`php_warning` (a :class:`SwooleWarning`; execution continues);
* core log line -> :data:`logger` (``WARNING`` -> ``logger.warning``, ``NOTICE`` -> ``logger.info``);
* ``Swoole\\Exception`` -> :class:`SwooleException`;
  ``Swoole\\Coroutine\\Http\\Client\\Exception`` -> :class:`ClientException`;
* ``Swoole\\Error`` (fatal) -> :class:`SwooleError`.
"""

from __future__ import annotations

import logging
import os
import warnings
from typing import Final

from . import constants as _c

__all__ = [
    "CLIENT",
    "FRAME",
    "ClientException",
    "SwooleError",
    "SwooleException",
    "SwooleWarning",
    "logger",
    "php_warning",
    "swoole_strerror",
]

#: Class names used as the ``where`` prefix of warnings: ``f"{CLIENT}::set"``.
CLIENT: Final = "Swoole\\Coroutine\\Http\\Client"
FRAME: Final = "Swoole\\WebSocket\\Frame"

#: The library logger standing in for upstream's core log (stderr) lines.  The library never
#: configures handlers; Python's last-resort handler prints WARNING and above like upstream.
logger: Final = logging.getLogger("swoole_compat")


class SwooleWarning(UserWarning):
    """A PHP ``E_WARNING`` raised by the emulated extension; the call still returns normally."""


class SwooleException(Exception):
    """``Swoole\\Exception``: ``str(e) == e.message``; ``e.code`` is the Swoole/errno code."""

    message: str
    code: int

    def __init__(self, message: str = "", code: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    def __reduce__(self) -> tuple[type[SwooleException], tuple[str, int]]:
        # The default reduction replays ``self.args`` only and would lose ``code``.
        return (type(self), (self.message, self.code))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, code={self.code})"


class ClientException(SwooleException):
    """``Swoole\\Coroutine\\Http\\Client\\Exception`` (a subclass of ``Swoole\\Exception``)."""


class SwooleError(RuntimeError):
    """``Swoole\\Error``, upstream's fatal error: ``str(e) == e.message``, plus ``e.code``."""

    message: str
    code: int

    def __init__(self, message: str = "", code: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    def __reduce__(self) -> tuple[type[SwooleError], tuple[str, int]]:
        return (type(self), (self.message, self.code))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, code={self.code})"


def php_warning(where: str, message: str, *, stacklevel: int = 3) -> None:
    """Emit ``"<where>(): <message>"`` as a :class:`SwooleWarning`.

    ``where`` is the PHP method, e.g. ``f"{CLIENT}::set"``.  The default ``stacklevel`` of 3
    attributes the warning to the user code that called the public method which called this.
    """
    warnings.warn(f"{where}(): {message}", SwooleWarning, stacklevel=stacklevel)


# Texts of src/core/error.cc ``swoole_strerror``.  Upstream spellings ("senfile", "woker",
# "unsupport") are kept on purpose.  3007/3008 exist in the C enum but have no text.
_SWOOLE_ERROR_TEXT: Final[dict[int, str]] = {
    _c.SWOOLE_ERROR_MALLOC_FAIL: "Malloc fail",
    _c.SWOOLE_ERROR_SYSTEM_CALL_FAIL: "System call fail",
    _c.SWOOLE_ERROR_PHP_FATAL_ERROR: "PHP fatal error",
    _c.SWOOLE_ERROR_NAME_TOO_LONG: "Name too long",
    _c.SWOOLE_ERROR_INVALID_PARAMS: "Invalid params",
    _c.SWOOLE_ERROR_QUEUE_FULL: "Queue full",
    _c.SWOOLE_ERROR_OPERATION_NOT_SUPPORT: "Operation not support",
    _c.SWOOLE_ERROR_PROTOCOL_ERROR: "Protocol error",
    _c.SWOOLE_ERROR_WRONG_OPERATION: "Wrong operation",
    _c.SWOOLE_ERROR_PHP_RUNTIME_NOTICE: "PHP runtime notice",
    _c.SWOOLE_ERROR_FOR_TEST: "For test",
    _c.SWOOLE_ERROR_NO_PAYLOAD: "No payload",
    _c.SWOOLE_ERROR_UNDEFINED_BEHAVIOR: "Undefined behavior",
    _c.SWOOLE_ERROR_NOT_THREAD_SAFETY: "Not thread safety",
    _c.SWOOLE_ERROR_FILE_NOT_EXIST: "File not exist",
    _c.SWOOLE_ERROR_FILE_TOO_LARGE: "File too large",
    _c.SWOOLE_ERROR_FILE_EMPTY: "File empty",
    _c.SWOOLE_ERROR_DIR_NOT_EXIST: "Dir not exist",
    _c.SWOOLE_ERROR_DNSLOOKUP_DUPLICATE_REQUEST: "DNS Lookup duplicate request",
    _c.SWOOLE_ERROR_DNSLOOKUP_RESOLVE_FAILED: "DNS Lookup resolve failed",
    _c.SWOOLE_ERROR_DNSLOOKUP_RESOLVE_TIMEOUT: "DNS Lookup resolve timeout",
    _c.SWOOLE_ERROR_DNSLOOKUP_UNSUPPORTED: "DNS Lookup unsupported",
    _c.SWOOLE_ERROR_DNSLOOKUP_NO_SERVER: "DNS Lookup no server",
    _c.SWOOLE_ERROR_BAD_IPV6_ADDRESS: "Bad ipv6 address",
    _c.SWOOLE_ERROR_UNREGISTERED_SIGNAL: "Unregistered signal",
    _c.SWOOLE_ERROR_BAD_HOST_ADDR: "Bad host addr",
    _c.SWOOLE_ERROR_BAD_PORT: "Bad port",
    _c.SWOOLE_ERROR_BAD_SOCKET_TYPE: "Bad socket type",
    _c.SWOOLE_ERROR_EVENT_REMOVE_FAILED: "Event remove failed",
    _c.SWOOLE_ERROR_EVENT_ADD_FAILED: "Event add failed",
    _c.SWOOLE_ERROR_EVENT_UPDATE_FAILED: "Event update failed",
    _c.SWOOLE_ERROR_EVENT_UNKNOWN_DATA: "Event unknown data",
    _c.SWOOLE_ERROR_SESSION_CLOSED_BY_SERVER: "Session closed by server",
    _c.SWOOLE_ERROR_SESSION_CLOSED_BY_CLIENT: "Session closed by client",
    _c.SWOOLE_ERROR_SESSION_CLOSING: "Session closing",
    _c.SWOOLE_ERROR_SESSION_CLOSED: "Session closed",
    _c.SWOOLE_ERROR_SESSION_NOT_EXIST: "Session not exist",
    _c.SWOOLE_ERROR_SESSION_INVALID_ID: "Session invalid id",
    _c.SWOOLE_ERROR_SESSION_DISCARD_TIMEOUT_DATA: "Session discard timeout data",
    _c.SWOOLE_ERROR_SESSION_DISCARD_DATA: "Session discard data",
    _c.SWOOLE_ERROR_OUTPUT_BUFFER_OVERFLOW: "Output buffer overflow",
    _c.SWOOLE_ERROR_OUTPUT_SEND_YIELD: "Output send yield",
    _c.SWOOLE_ERROR_SSL_NOT_READY: "SSL not ready",
    _c.SWOOLE_ERROR_SSL_CANNOT_USE_SENFILE: "SSL cannot use senfile",
    _c.SWOOLE_ERROR_SSL_EMPTY_PEER_CERTIFICATE: "SSL empty peer certificate",
    _c.SWOOLE_ERROR_SSL_VERIFY_FAILED: "SSL verify failed",
    _c.SWOOLE_ERROR_SSL_BAD_CLIENT: "SSL bad client",
    _c.SWOOLE_ERROR_SSL_BAD_PROTOCOL: "SSL bad protocol",
    _c.SWOOLE_ERROR_SSL_RESET: "SSL reset",
    _c.SWOOLE_ERROR_SSL_HANDSHAKE_FAILED: "SSL handshake failed",
    _c.SWOOLE_ERROR_SSL_CREATE_CONTEXT_FAILED: "SSL create context failed",
    _c.SWOOLE_ERROR_SSL_CREATE_SESSION_FAILED: "SSL create session failed",
    _c.SWOOLE_ERROR_PACKAGE_LENGTH_TOO_LARGE: "Package length too large",
    _c.SWOOLE_ERROR_PACKAGE_LENGTH_NOT_FOUND: "Package length not found",
    _c.SWOOLE_ERROR_DATA_LENGTH_TOO_LARGE: "Data length too large",
    _c.SWOOLE_ERROR_PACKAGE_MALFORMED_DATA: "Package malformed data",
    _c.SWOOLE_ERROR_TASK_PACKAGE_TOO_BIG: "Task package too big",
    _c.SWOOLE_ERROR_TASK_DISPATCH_FAIL: "Task dispatch fail",
    _c.SWOOLE_ERROR_TASK_TIMEOUT: "Task timeout",
    _c.SWOOLE_ERROR_HTTP2_STREAM_ID_TOO_BIG: "Http2 stream id too big",
    _c.SWOOLE_ERROR_HTTP2_STREAM_NO_HEADER: "Http2 stream no header",
    _c.SWOOLE_ERROR_HTTP2_STREAM_NOT_FOUND: "Http2 stream not found",
    _c.SWOOLE_ERROR_HTTP2_STREAM_IGNORE: "Http2 stream ignore",
    _c.SWOOLE_ERROR_HTTP2_SEND_CONTROL_FRAME_FAILED: "Http2 send control frame failed",
    _c.SWOOLE_ERROR_HTTP2_INTERNAL_ERROR: "Http2 internal error",
    _c.SWOOLE_ERROR_AIO_BAD_REQUEST: "Aio bad request",
    _c.SWOOLE_ERROR_AIO_CANCELED: "Aio canceled",
    _c.SWOOLE_ERROR_AIO_TIMEOUT: "Aio timeout",
    _c.SWOOLE_ERROR_CLIENT_NO_CONNECTION: "Client no connection",
    _c.SWOOLE_ERROR_SOCKET_CLOSED: "Socket closed",
    _c.SWOOLE_ERROR_SOCKET_POLL_TIMEOUT: "Socket poll timeout",
    _c.SWOOLE_ERROR_SOCKET_NOT_EXISTS: "Socket not exists",
    _c.SWOOLE_ERROR_SOCKS5_UNSUPPORT_VERSION: "Socks5 unsupport version",
    _c.SWOOLE_ERROR_SOCKS5_UNSUPPORT_METHOD: "Socks5 unsupport method",
    _c.SWOOLE_ERROR_SOCKS5_AUTH_FAILED: "Socks5 auth failed",
    _c.SWOOLE_ERROR_SOCKS5_SERVER_ERROR: "Socks5 server error",
    _c.SWOOLE_ERROR_SOCKS5_HANDSHAKE_FAILED: "Socks5 handshake failed",
    _c.SWOOLE_ERROR_SOCKS5_CONNECT_FAILED: "Socks5 connect failed",
    _c.SWOOLE_ERROR_HTTP_PROXY_HANDSHAKE_ERROR: "Http proxy handshake error",
    _c.SWOOLE_ERROR_HTTP_INVALID_PROTOCOL: "Http invalid protocol",
    _c.SWOOLE_ERROR_HTTP_PROXY_HANDSHAKE_FAILED: "Http proxy handshake failed",
    _c.SWOOLE_ERROR_HTTP_PROXY_BAD_RESPONSE: "Http proxy bad response",
    _c.SWOOLE_ERROR_HTTP_CONFLICT_HEADER: "Http conflict header",
    _c.SWOOLE_ERROR_HTTP_CONTEXT_UNAVAILABLE: "Http context unavailable",
    _c.SWOOLE_ERROR_HTTP_COOKIE_UNAVAILABLE: "Http cookie unavailable",
    _c.SWOOLE_ERROR_WEBSOCKET_BAD_CLIENT: "Websocket bad client",
    _c.SWOOLE_ERROR_WEBSOCKET_BAD_OPCODE: "Websocket bad opcode",
    _c.SWOOLE_ERROR_WEBSOCKET_UNCONNECTED: "Websocket unconnected",
    _c.SWOOLE_ERROR_WEBSOCKET_HANDSHAKE_FAILED: "Websocket handshake failed",
    _c.SWOOLE_ERROR_WEBSOCKET_PACK_FAILED: "Websocket pack failed",
    _c.SWOOLE_ERROR_WEBSOCKET_UNPACK_FAILED: "Websocket unpack failed",
    _c.SWOOLE_ERROR_WEBSOCKET_INCOMPLETE_PACKET: "Websocket incomplete packet",
    _c.SWOOLE_ERROR_SERVER_MUST_CREATED_BEFORE_CLIENT: "Server must created before client",
    _c.SWOOLE_ERROR_SERVER_TOO_MANY_SOCKET: "Server too many socket",
    _c.SWOOLE_ERROR_SERVER_WORKER_TERMINATED: "Server worker terminated",
    _c.SWOOLE_ERROR_SERVER_INVALID_LISTEN_PORT: "Server invalid listen port",
    _c.SWOOLE_ERROR_SERVER_TOO_MANY_LISTEN_PORT: "Server too many listen port",
    _c.SWOOLE_ERROR_SERVER_PIPE_BUFFER_FULL: "Server pipe buffer full",
    _c.SWOOLE_ERROR_SERVER_NO_IDLE_WORKER: "Server no idle worker",
    _c.SWOOLE_ERROR_SERVER_ONLY_START_ONE: "Server only start one",
    _c.SWOOLE_ERROR_SERVER_SEND_IN_MASTER: "Server send in master",
    _c.SWOOLE_ERROR_SERVER_INVALID_REQUEST: "Server invalid request",
    _c.SWOOLE_ERROR_SERVER_CONNECT_FAIL: "Server connect fail",
    _c.SWOOLE_ERROR_SERVER_INVALID_COMMAND: "Server invalid command",
    _c.SWOOLE_ERROR_SERVER_IS_NOT_REGULAR_FILE: "Server is not regular file",
    _c.SWOOLE_ERROR_SERVER_SEND_TO_WOKER_TIMEOUT: "Server send to woker timeout",
    _c.SWOOLE_ERROR_SERVER_INVALID_CALLBACK: "Server invalid callback",
    _c.SWOOLE_ERROR_SERVER_UNRELATED_THREAD: "Server unrelated thread",
    _c.SWOOLE_ERROR_SERVER_WORKER_EXIT_TIMEOUT: "Server worker exit timeout",
    _c.SWOOLE_ERROR_SERVER_WORKER_ABNORMAL_PIPE_DATA: "Server worker abnormal pipe data",
    _c.SWOOLE_ERROR_SERVER_WORKER_UNPROCESSED_DATA: "Server worker unprocessed data",
    _c.SWOOLE_ERROR_CO_OUT_OF_COROUTINE: "Coroutine out of coroutine",
    _c.SWOOLE_ERROR_CO_HAS_BEEN_BOUND: "Coroutine has been bound",
    _c.SWOOLE_ERROR_CO_HAS_BEEN_DISCARDED: "Coroutine has been discarded",
    _c.SWOOLE_ERROR_CO_MUTEX_DOUBLE_UNLOCK: "Coroutine mutex double unlock",
    _c.SWOOLE_ERROR_CO_BLOCK_OBJECT_LOCKED: "Coroutine block object locked",
    _c.SWOOLE_ERROR_CO_BLOCK_OBJECT_WAITING: "Coroutine block object waiting",
    _c.SWOOLE_ERROR_CO_YIELD_FAILED: "Coroutine yield failed",
    _c.SWOOLE_ERROR_CO_GETCONTEXT_FAILED: "Coroutine getcontext failed",
    _c.SWOOLE_ERROR_CO_SWAPCONTEXT_FAILED: "Coroutine swapcontext failed",
    _c.SWOOLE_ERROR_CO_MAKECONTEXT_FAILED: "Coroutine makecontext failed",
    _c.SWOOLE_ERROR_CO_IOCPINIT_FAILED: "Coroutine iocpinit failed",
    _c.SWOOLE_ERROR_CO_PROTECT_STACK_FAILED: "Coroutine protect stack failed",
    _c.SWOOLE_ERROR_CO_STD_THREAD_LINK_ERROR: "Coroutine std thread link error",
    _c.SWOOLE_ERROR_CO_DISABLED_MULTI_THREAD: "Coroutine disabled multi thread",
    _c.SWOOLE_ERROR_CO_CANNOT_CANCEL: "Coroutine cannot cancel",
    _c.SWOOLE_ERROR_CO_NOT_EXISTS: "Coroutine not exists",
    _c.SWOOLE_ERROR_CO_CANCELED: "Coroutine canceled",
    _c.SWOOLE_ERROR_CO_TIMEDOUT: "Coroutine timedout",
    _c.SWOOLE_ERROR_CO_SOCKET_CLOSE_WAIT: "Coroutine socket close wait",
}

# SW_ERROR_BEGIN: below it a code is an errno value.
_SWOOLE_ERROR_BEGIN: Final = 500


def swoole_strerror(code: int) -> str:
    """Return upstream's ``swoole_strerror(code)`` text.

    ``code < 500`` -> the C library ``strerror`` text (``os.strerror``, glibc wording on Linux);
    a known Swoole code -> its table text; anything else (500, 3007, 3008, ...) ->
    ``"Unknown error <code>"``.
    """
    if code < _SWOOLE_ERROR_BEGIN:
        try:
            return os.strerror(code)
        except (OverflowError, ValueError):
            # Beyond a C int: glibc would have seen a truncated value; any text is a guess.
            return f"Unknown error {code}"
    text = _SWOOLE_ERROR_TEXT.get(code)
    if text is None:
        return f"Unknown error {code}"
    return text
