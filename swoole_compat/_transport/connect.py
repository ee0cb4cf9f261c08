"""Opening a connection: host classification, DNS, bind, TCP/UNIX connect, proxies, TLS.

Everything here raises :class:`~.errno.TransportError` with the Swoole code of the failing stage
(client.md §8.1, errors.md §3.1), so the façade maps any failure to ``statusCode`` -1 directly.
"""

from __future__ import annotations

import asyncio
import base64
import ipaddress
import re
import socket
import ssl
from dataclasses import dataclass
from typing import Any, Mapping

from .._php import php_float, php_int, php_parse_to_size, php_str, php_truthy
from ..errors import CLIENT, php_warning
from . import tls
from .errno import (
    ETIMEDOUT,
    SW_ERROR_DNSLOOKUP_RESOLVE_FAILED,
    SW_ERROR_DNSLOOKUP_RESOLVE_TIMEOUT,
    SW_ERROR_HTTP_PROXY_HANDSHAKE_FAILED,
    SW_ERROR_SOCKS5_HANDSHAKE_FAILED,
    SW_ERROR_SSL_HANDSHAKE_FAILED,
    SW_ERROR_SSL_VERIFY_FAILED,
    TransportError,
    from_exception,
)
from .stream import Stream

DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_IO_TIMEOUT = 60.0
PROXY_USER_AGENT = "Swoole/6.2.1"
SOCKS5_MAX_CREDENTIAL = 250
SOCKS5_MAX_HOST = 480


@dataclass(frozen=True)
class Target:
    """Where a client connects: ``kind`` is ``"tcp4"``, ``"tcp6"`` or ``"unix"``."""

    kind: str
    address: str  # host name / literal, or the UNIX path
    port: int

    @property
    def is_unix(self) -> bool:
        return self.kind == "unix"


_UNIX_PREFIX = re.compile(r"^unix:/+")


def classify_host(host: str, port: int) -> Target:
    """Swoole's ``Socket::convert_to_type``: ``unix:/…`` → UNIX, any ``:`` → IPv6, else IPv4."""
    if host.startswith("unix:/"):
        return Target("unix", _UNIX_PREFIX.sub("/", host), port)
    if ":" in host:
        return Target("tcp6", host, port)
    return Target("tcp4", host, port)


def _timeout(value: Any, default: float) -> float | None:
    """Swoole timeout semantics: 0/absent → default, negative → no limit."""
    if value is None:
        return default
    seconds = php_float(value)
    if seconds == 0:
        return default
    if seconds < 0:
        return None
    return seconds


_PLAIN = (type(None), int, float, str, bool)
_io_last: tuple[Any, Any, Any, tuple[float | None, float | None, float | None]] = (_PLAIN, None, None, (None, None, None))


def io_timeouts(setting: Mapping[str, Any]) -> tuple[float | None, float | None, float | None]:
    """(DNS, read, write) timeouts from ``timeout``, ``read_timeout`` and ``write_timeout``.

    Called for every request and WebSocket frame: the result for the last three values seen
    is kept and reused while the same (immutable) objects come back."""
    global _io_last
    get = setting.get
    timeout, read_timeout, write_timeout = get("timeout"), get("read_timeout"), get("write_timeout")
    last = _io_last
    if timeout is last[0] and read_timeout is last[1] and write_timeout is last[2]:
        return last[3]
    base = _timeout(timeout, DEFAULT_IO_TIMEOUT)
    read = _timeout(read_timeout, DEFAULT_IO_TIMEOUT) if read_timeout is not None else base
    write = _timeout(write_timeout, DEFAULT_IO_TIMEOUT) if write_timeout is not None else base
    result = (base, read, write)
    if type(timeout) in _PLAIN and type(read_timeout) in _PLAIN and type(write_timeout) in _PLAIN:
        _io_last = (timeout, read_timeout, write_timeout, result)
    return result


def connect_timeout(setting: Mapping[str, Any]) -> float | None:
    return _timeout(setting.get("connect_timeout"), DEFAULT_CONNECT_TIMEOUT)


async def _with_timeout(coro: Any, seconds: float | None, code: int = ETIMEDOUT) -> Any:
    if seconds is None:
        return await coro
    try:
        return await asyncio.wait_for(coro, seconds)
    except asyncio.TimeoutError:
        raise TransportError(code) from None


async def _resolve(host: str, port: int, family: int, dns_timeout: float | None) -> tuple[int, Any]:
    """Resolve to the first address of ``family`` (literals skip DNS)."""
    literal = host
    try:
        ip = ipaddress.ip_address(literal)
    except ValueError:
        ip = None
    if ip is not None:
        if (ip.version == 6) != (family == socket.AF_INET6):
            raise TransportError(SW_ERROR_DNSLOOKUP_RESOLVE_FAILED)
        return family, (literal, port) if family == socket.AF_INET else (literal, port, 0, 0)
    loop = asyncio.get_running_loop()
    try:
        infos = await _with_timeout(
            loop.getaddrinfo(host, port, family=family, type=socket.SOCK_STREAM),
            dns_timeout,
            SW_ERROR_DNSLOOKUP_RESOLVE_TIMEOUT,
        )
    except (socket.gaierror, UnicodeError, ValueError):
        raise TransportError(SW_ERROR_DNSLOOKUP_RESOLVE_FAILED) from None
    if not infos:
        raise TransportError(SW_ERROR_DNSLOOKUP_RESOLVE_FAILED)
    return infos[0][0], infos[0][4]


def _apply_socket_options(sock: socket.socket, setting: Mapping[str, Any], is_tcp: bool) -> None:
    nodelay = setting.get("open_tcp_nodelay")
    if is_tcp and (nodelay is None or php_truthy(nodelay)):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    size = setting.get("socket_buffer_size")
    if size is not None:
        value = php_parse_to_size(size)
        if value > 0:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, value)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, value)


async def _connect_socket(family: int, address: Any, setting: Mapping[str, Any], timeout: float | None) -> socket.socket:
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setblocking(False)
        _apply_socket_options(sock, setting, family != socket.AF_UNIX)
        bind_address = setting.get("bind_address")
        if bind_address and family != socket.AF_UNIX:
            bind_port = min(max(php_int(setting.get("bind_port") or 0), 0), 65535)
            try:
                sock.bind((php_str(bind_address), bind_port))
            except OSError:
                # Swoole ignores a failed bind (upstream test bind_address); the kernel then
                # picks the source address at connect time.
                pass
        if family == socket.AF_UNIX:
            # A UNIX connect completes or fails at once. EAGAIN (listen backlog full) is a
            # failure (Swoole: errCode 11), not "in progress" as loop.sock_connect() takes it:
            # that would report a connection that does not exist (writes then fail, EINVAL).
            sock.connect(address)
        else:
            loop = asyncio.get_running_loop()
            await _with_timeout(loop.sock_connect(sock, address), timeout)
    except BaseException as exc:
        sock.close()
        if isinstance(exc, (asyncio.CancelledError, KeyboardInterrupt, SystemExit)):
            raise
        raise from_exception(exc) from None
    return sock


async def _read_exactly(stream: Stream, buffer: bytearray, count: int) -> bytes:
    while len(buffer) < count:
        data = await stream.read()
        if not data:
            raise TransportError(SW_ERROR_SOCKS5_HANDSHAKE_FAILED)
        buffer += data
    out = bytes(buffer[:count])
    del buffer[:count]
    return out


async def _socks5_handshake(stream: Stream, setting: Mapping[str, Any], target: Target) -> None:
    """RFC 1928/1929 as Swoole does it: one method offered, the target always as a name."""
    user = php_str(setting.get("socks5_username") or "")
    password = php_str(setting.get("socks5_password") or "")
    use_auth = bool(user and password)
    buf = bytearray()
    await stream.write(b"\x05\x01" + (b"\x02" if use_auth else b"\x00"))
    reply = await _read_exactly(stream, buf, 2)
    if reply[0] != 5 or reply[1] != (2 if use_auth else 0):
        raise TransportError(SW_ERROR_SOCKS5_HANDSHAKE_FAILED)
    if use_auth:
        u = user.encode()[:SOCKS5_MAX_CREDENTIAL]
        p = password.encode()[:SOCKS5_MAX_CREDENTIAL]
        await stream.write(b"\x01" + bytes([len(u)]) + u + bytes([len(p)]) + p)
        reply = await _read_exactly(stream, buf, 2)
        if reply[0] != 1 or reply[1] != 0:
            raise TransportError(SW_ERROR_SOCKS5_HANDSHAKE_FAILED)
    host = target.address.encode()[:SOCKS5_MAX_HOST]
    if len(host) > 255:
        raise TransportError(SW_ERROR_SOCKS5_HANDSHAKE_FAILED)
    await stream.write(b"\x05\x01\x00\x03" + bytes([len(host)]) + host + target.port.to_bytes(2, "big"))
    head = await _read_exactly(stream, buf, 4)
    if head[0] != 5 or head[1] != 0:
        raise TransportError(SW_ERROR_SOCKS5_HANDSHAKE_FAILED)
    atyp = head[3]
    if atyp == 1:
        await _read_exactly(stream, buf, 4 + 2)
    elif atyp == 4:
        await _read_exactly(stream, buf, 16 + 2)
    elif atyp == 3:
        length = (await _read_exactly(stream, buf, 1))[0]
        await _read_exactly(stream, buf, length + 2)
    else:
        raise TransportError(SW_ERROR_SOCKS5_HANDSHAKE_FAILED)
    stream.unread(bytes(buf))


def proxy_credentials(setting: Mapping[str, Any]) -> str | None:
    """``user:password`` for the HTTP proxy when both are non-empty."""
    user = setting.get("http_proxy_username")
    if user is None:
        user = setting.get("http_proxy_user")
    password = setting.get("http_proxy_password")
    if user and password:
        return f"{php_str(user)}:{php_str(password)}"
    return None


#: ``sizeof(SW_HTTP_PROXY_HANDSHAKE_RESPONSE) - 1``: the fewest bytes a CONNECT answer may have.
PROXY_HANDSHAKE_MIN = len(b"HTTP/1.1 200 Connection established\r\n")


def _check_connect_head(target: Target, setting: Mapping[str, Any]) -> None:
    """The host names written into the CONNECT head must not break it (deviation S1): checked
    before the proxy is even connected, so nothing reaches the wire."""
    name = setting.get("ssl_host_name")
    for text in (target.address, php_str(name) if name else ""):
        if "\r" in text or "\n" in text or "\0" in text:
            raise ValueError(f"proxy CONNECT host must not contain CR, LF or NUL: {text[:60]!r}")


async def _http_connect_handshake(stream: Stream, setting: Mapping[str, Any], target: Target) -> None:
    name = setting.get("ssl_host_name")
    name = php_str(name) if name else target.address
    lines = [
        f"CONNECT {target.address}:{target.port} HTTP/1.1",
        f"Host: {name}:{target.port}",
        f"User-Agent: {PROXY_USER_AGENT}",
        "Proxy-Connection: Keep-Alive",
    ]
    creds = proxy_credentials(setting)
    if creds:
        lines.append("Proxy-Authorization: Basic " + base64.b64encode(creds.encode()).decode())
    await stream.write(("\r\n".join(lines) + "\r\n\r\n").encode())
    buf = bytearray()
    while b"\r\n\r\n" not in buf:
        data = await stream.read()
        if not data or len(buf) > 65536:
            raise TransportError(SW_ERROR_HTTP_PROXY_HANDSHAKE_FAILED)
        buf += data
    if not proxy_answer_accepted(bytes(buf)):
        raise TransportError(SW_ERROR_HTTP_PROXY_HANDSHAKE_FAILED)
    # Swoole clears its read buffer after the handshake: bytes the proxy sent after the head
    # are dropped, not handed to the tunnel.


def proxy_answer_accepted(received: bytes) -> bool:
    """``HttpProxy::handshake`` over everything read when the head's ``\\r\\n\\r\\n`` arrived.

    At least ``len("HTTP/1.1 200 Connection established\\r\\n")`` (37) bytes must have been
    read (so a bare ``HTTP/1.1 200 OK\\r\\n\\r\\n`` fails); then ``HTTP/1.1`` or ``HTTP/1.0`` in
    any case, one byte that is skipped whatever it is, optional whitespace, ``200`` and at
    least one more byte. The reason phrase is not checked.
    """
    if len(received) < PROXY_HANDSHAKE_MIN:
        return False
    if received[:8].upper() not in (b"HTTP/1.1", b"HTTP/1.0"):
        return False
    pos = 9  # the byte right after the version is skipped unchecked (upstream's loop step)
    while pos < len(received) and received[pos : pos + 1].isspace():
        pos += 1
    if received[pos : pos + 3] != b"200":
        return False
    return pos + 4 < len(received)


def unix_proxy_refusal(target: Target, setting: Mapping[str, Any]) -> str | None:
    """The ``SwooleException`` (507) message for proxy options on a UNIX client, else None.

    ``php_swoole_socket_set`` throws it while the connect applies the settings, then the
    connect goes on straight to the socket: the caller raises it once the request is done."""
    if not target.is_unix:
        return None
    if setting.get("socks5_host") is not None:
        return "Only tcp socket supports socks5 proxy settings"
    if setting.get("http_proxy_host") is not None:
        return "Only tcp socket supports http proxy settings"
    return None


def socket_setting_warnings(setting: Mapping[str, Any], where: str, stacklevel: int, is_tcp: bool = True) -> None:
    """The PHP warnings of ``php_swoole_socket_set`` for ``setting``: a socket buffer size that
    is not positive, then the incomplete proxy options (TCP only). Upstream applies the merged
    ``setting`` to each new socket (the request that connects), and a ``set()`` array to the
    live socket only (``Client::apply_setting``)."""
    size = setting.get("socket_buffer_size")
    if size is not None and (value := php_parse_to_size(size)) <= 0:
        php_warning(where, f"socket buffer size must be greater than 0, got {value}", stacklevel=stacklevel)
    if is_tcp:
        proxy_setting_warnings(setting, where, stacklevel + 1)


def proxy_setting_warnings(setting: Mapping[str, Any], where: str, stacklevel: int) -> None:
    """The PHP warnings ``php_swoole_socket_set`` emits for incomplete proxy options, when the
    settings are applied to a new TCP socket (the request that connects), not by ``set()``.
    A SOCKS5 host hides the HTTP proxy options; None counts as absent, an empty username as
    missing."""
    if setting.get("socks5_host") is not None:
        if setting.get("socks5_port") is None:
            php_warning(where, "socks5_port should not be null", stacklevel=stacklevel)
        elif setting.get("socks5_username") is not None:
            if not php_str(setting["socks5_username"]) or setting.get("socks5_password") is None:
                php_warning(where, "socks5_password should not be null", stacklevel=stacklevel)
    elif setting.get("http_proxy_host") is not None:
        if setting.get("http_proxy_port") is None:
            php_warning(where, "http_proxy_port should not be null", stacklevel=stacklevel)
        else:
            user = setting.get("http_proxy_username")
            if user is None:
                user = setting.get("http_proxy_user")
            if user is not None and (not php_str(user) or setting.get("http_proxy_password") is None):
                # (sic) upstream's text for the HTTP proxy too
                php_warning(where, "socks5_password should not be null", stacklevel=stacklevel)


def http_proxy(setting: Mapping[str, Any]) -> tuple[str, int] | None:
    """The HTTP proxy address, unless a SOCKS5 proxy takes precedence."""
    if setting.get("socks5_host"):
        return None
    host = setting.get("http_proxy_host")
    port = setting.get("http_proxy_port")
    if host and port is not None:
        return php_str(host), php_int(port)
    return None


def socks5_proxy(setting: Mapping[str, Any]) -> tuple[str, int] | None:
    host = setting.get("socks5_host")
    port = setting.get("socks5_port")
    if host and port is not None:
        return php_str(host), php_int(port)
    return None


def _proxy_family(proxy_host: str, target: Target) -> int:
    """Socket family for a proxied connection (``Socket::connect``).

    The socket is re-created for the proxy's family when the proxy is an IP literal of the other
    family; a proxy given by name is resolved in the family of the target.
    """
    try:
        ip = ipaddress.ip_address(proxy_host)
    except ValueError:
        ip = None
    if ip is not None:
        return socket.AF_INET6 if ip.version == 6 else socket.AF_INET
    return socket.AF_INET6 if target.kind == "tcp6" else socket.AF_INET


def _tls_failure(exc: BaseException) -> TransportError:
    """The Swoole code of a failed TLS handshake (client.md §8.1, errors.md §3.1)."""
    if isinstance(exc, TransportError):
        return exc
    if isinstance(exc, ConnectionResetError) and not exc.errno:
        # EOF in the middle of the handshake: OpenSSL 3 reports "unexpected eof while reading"
        # (SSL_ERROR_SSL), which Swoole turns into SSL handshake failed.
        return TransportError(SW_ERROR_SSL_HANDSHAKE_FAILED)
    return from_exception(exc)


async def _tls_handshake(coro: Any, read_timeout: float | None) -> Any:
    """Run a TLS handshake bounded by the read timeout; failures become TransportErrors.

    ``SSLCertVerificationError`` is passed through untouched so that the self-signed retry can
    look at its ``verify_code``.
    """
    try:
        return await _with_timeout(coro, read_timeout)
    except ssl.SSLCertVerificationError:
        raise
    except (asyncio.CancelledError, KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:
        raise _tls_failure(exc) from None


async def open_stream(
    target: Target, setting: Mapping[str, Any], use_ssl: bool, *, where: str = f"{CLIENT}::connect"
) -> Stream:
    """Connect to ``target`` per the merged ``setting``; raise :class:`TransportError` on failure.
    ``where`` is the PHP method its warnings name (the request method that connects)."""
    dns_timeout, read_timeout, _ = io_timeouts(setting)
    ctimeout = connect_timeout(setting)
    socket_setting_warnings(setting, where, 4, not target.is_unix)
    use_ssl = use_ssl or php_truthy(setting.get("open_ssl"))
    socks = None if target.is_unix else socks5_proxy(setting)
    proxy = None if target.is_unix or socks else http_proxy(setting)
    via = socks or proxy
    # Without TLS an HTTP proxy gets the request in absolute form on the plain connection;
    # a tunnel (SOCKS5, or CONNECT for a TLS target) needs a handshake first.
    tunnel = socks is not None or (proxy is not None and use_ssl)
    if proxy is not None and use_ssl:
        _check_connect_head(target, setting)
    ctx = tls.build_context(setting, where=where) if use_ssl else None
    family: int
    if target.is_unix:
        family, address = socket.AF_UNIX, target.address
    elif via is not None:
        family, address = await _resolve(via[0], via[1], _proxy_family(via[0], target), dns_timeout)
    else:
        wanted = socket.AF_INET6 if target.kind == "tcp6" else socket.AF_INET
        family, address = await _resolve(target.address, target.port, wanted, dns_timeout)
    sni = tls.server_hostname(setting, target.address) if use_ssl else None

    async def attempt(context: ssl.SSLContext | None) -> Stream:
        sock = await _connect_socket(family, address, setting, ctimeout)
        if not tunnel and context is None:
            # Plain TCP/UNIX: connected already; there is no handshake for the read timeout to
            # bound (a tiny ``timeout`` must not turn into a connect failure under load).
            try:
                return await Stream.wrap(sock)
            except BaseException as exc:
                sock.close()
                if isinstance(exc, (asyncio.CancelledError, KeyboardInterrupt, SystemExit)):
                    raise
                raise from_exception(exc) from None
        if not tunnel:
            try:
                # The handshake is bounded by the read timeout (errno 110 on expiry), not by
                # asyncio's own handshake timeout, which would report a different error.
                return await _tls_handshake(
                    Stream.wrap(sock, ssl_context=context, server_hostname=sni, ssl_handshake_timeout=3600.0),
                    read_timeout,
                )
            except BaseException:
                sock.close()
                raise
        try:
            stream = await Stream.wrap(sock)
        except BaseException as exc:
            sock.close()
            if isinstance(exc, (asyncio.CancelledError, KeyboardInterrupt, SystemExit)):
                raise
            raise from_exception(exc) from None
        try:
            # Any failure of the proxy negotiation, including a timeout or a reset, is reported
            # as the proxy's handshake error (Socket::connect overwrites the socket error).
            if socks is not None:
                failed = SW_ERROR_SOCKS5_HANDSHAKE_FAILED
                handshake = _socks5_handshake(stream, setting, target)
            else:
                failed = SW_ERROR_HTTP_PROXY_HANDSHAKE_FAILED
                handshake = _http_connect_handshake(stream, setting, target)
            try:
                await _with_timeout(handshake, read_timeout)
            except (asyncio.CancelledError, KeyboardInterrupt, SystemExit):
                raise
            except BaseException:
                raise TransportError(failed) from None
            if context is not None:
                await _tls_handshake(stream.start_tls(context, sni, 3600.0), read_timeout)
        except BaseException:
            stream.abort()
            raise
        return stream

    try:
        return await attempt(ctx)
    except ssl.SSLCertVerificationError as exc:
        if not tls.wants_self_signed_retry(setting, exc):
            raise TransportError(SW_ERROR_SSL_VERIFY_FAILED) from None
    # Python verifies inside the handshake and has no per-error callback, so a handshake that
    # failed only because the leaf is self-signed (OpenSSL error 18) is repeated without chain
    # verification (deviation S2); the certificate it brings is then checked the way Swoole
    # still checks a forgiven one: a self-signed leaf, matching ssl_host_name when that is set.
    try:
        stream = await attempt(tls.build_context(setting, allow_self_signed_pass=True))
    except ssl.SSLCertVerificationError:  # pragma: no cover - nothing is verified on the retry
        raise TransportError(SW_ERROR_SSL_VERIFY_FAILED) from None
    if not tls.check_forgiven_peer(setting, stream.peer_cert_der()):
        stream.abort()
        raise TransportError(SW_ERROR_SSL_VERIFY_FAILED)
    return stream
