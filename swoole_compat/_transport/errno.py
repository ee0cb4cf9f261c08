"""Mapping of OS and library failures to Swoole's ``errCode`` / ``errMsg`` pairs.

Every failure that crosses the transport boundary is turned into a :class:`TransportError`
here, so the façade only ever sees Swoole codes. Linux errno numbers come from the ``errno``
module (never literals), Swoole codes from :mod:`swoole_compat.constants`.
"""

from __future__ import annotations

import asyncio
import errno as _errno
import os
import socket
import ssl

from ..errors import swoole_strerror

ETIMEDOUT = _errno.ETIMEDOUT
ECONNRESET = _errno.ECONNRESET
ECONNREFUSED = _errno.ECONNREFUSED
EPIPE = _errno.EPIPE
EBADF = _errno.EBADF
ECANCELED = _errno.ECANCELED

SW_ERROR_DNSLOOKUP_RESOLVE_FAILED = 711
SW_ERROR_DNSLOOKUP_RESOLVE_TIMEOUT = 712
SW_ERROR_SSL_VERIFY_FAILED = 1014
SW_ERROR_SSL_BAD_CLIENT = 1015
SW_ERROR_SSL_HANDSHAKE_FAILED = 1018
SW_ERROR_SOCKS5_HANDSHAKE_FAILED = 7005
SW_ERROR_HTTP_PROXY_HANDSHAKE_FAILED = 7103


class TransportError(Exception):
    """A failure with a Swoole ``errCode`` and its ``errMsg``."""

    def __init__(self, code: int, message: str | None = None) -> None:
        self.code = code
        self.message = message if message is not None else strerror(code)
        super().__init__(self.code, self.message)


def strerror(code: int) -> str:
    """``errMsg`` text for ``code``: glibc ``strerror`` below 500, Swoole's table above."""
    if code < 500:
        return os.strerror(code)
    return swoole_strerror(code)


def from_exception(exc: BaseException) -> TransportError:
    """Translate an exception raised by socket/TLS/asyncio code into a :class:`TransportError`."""
    if isinstance(exc, TransportError):
        return exc
    if isinstance(exc, ssl.SSLCertVerificationError):
        return TransportError(SW_ERROR_SSL_VERIFY_FAILED)
    if isinstance(exc, ssl.SSLError):
        return TransportError(SW_ERROR_SSL_HANDSHAKE_FAILED)
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError)) and not getattr(exc, "errno", None):
        return TransportError(ETIMEDOUT)
    if isinstance(exc, socket.gaierror):
        return TransportError(SW_ERROR_DNSLOOKUP_RESOLVE_FAILED)
    if isinstance(exc, asyncio.IncompleteReadError):
        return TransportError(ECONNRESET)
    if isinstance(exc, ConnectionRefusedError):
        return TransportError(ECONNREFUSED)
    if isinstance(exc, ConnectionResetError):
        return TransportError(ECONNRESET)
    if isinstance(exc, BrokenPipeError):
        return TransportError(EPIPE)
    if isinstance(exc, OSError) and exc.errno:
        return TransportError(exc.errno)
    # Anything else (e.g. a transport closed under our feet) reads as a reset connection,
    # which is what Swoole reports when the socket goes away.
    return TransportError(ECONNRESET)


def from_tls_session_error(exc: BaseException) -> TransportError:
    """The code of a failure that ends an established TLS session (a read, not the handshake).

    OpenSSL's ``SSL_read`` returns 0 when the peer sent a fatal alert (e.g. a server refusing
    the client certificate after a TLS 1.3 handshake), which Swoole reads as EOF: errno 104.
    Any other TLS error makes ``SSL_read`` fail with ``SSL_ERROR_SSL``: Swoole's
    ``SW_ERROR_SSL_BAD_CLIENT`` (1015). Non-TLS exceptions map as :func:`from_exception` does.
    """
    if isinstance(exc, ssl.SSLError) and not isinstance(exc, ssl.SSLCertVerificationError):
        if isinstance(exc, (ssl.SSLEOFError, ssl.SSLZeroReturnError)) or "ALERT" in str(exc.reason or ""):
            return TransportError(ECONNRESET)
        return TransportError(SW_ERROR_SSL_BAD_CLIENT)
    return from_exception(exc)
