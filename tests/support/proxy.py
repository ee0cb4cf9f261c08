"""Recording proxies on loopback: an HTTP proxy (CONNECT + absolute-form) and a SOCKS5 server.

Both only ever connect to loopback targets. Upstream tests name internet hosts; map them with
``resolve`` - a dict whose keys are ``"host:port"`` or ``"host"`` and whose values are
``(ip, port)`` or ``ip`` - or a callable ``resolve(host, port) -> (ip, port) | None``.
Loopback literals and ``localhost`` pass through unmapped; anything else is refused (HTTP 502,
SOCKS5 reply 0x04) and recorded.

HTTP proxy::

    async with ConnectProxy(credentials=("user", "pass"), resolve={"www.example.com:443":
                            ("127.0.0.1", tls_port)}) as proxy:
        proxy.port
        proxy.requests      # [ProxyRequest]: method, target, head (raw bytes), headers,
                            # proxy_authorization, credentials (decoded), authorized, upstream
        proxy.connects      # only the CONNECT ones

* ``CONNECT h:p`` - checks ``Proxy-Authorization: Basic`` when ``credentials`` is set (407 with
  ``Proxy-Authenticate`` otherwise), connects, answers ``connect_reply`` (default
  ``HTTP/1.1 200 Connection established``) and pipes bytes both ways.
* ``GET http://h:p/path`` (absolute form) - recorded verbatim, then forwarded in origin form
  (``Proxy-*`` headers dropped) over a kept upstream connection; the response is relayed as
  received; several requests may share the client connection.

SOCKS5 (RFC 1928 / 1929)::

    async with Socks5Proxy(credentials=None | ("u", "p"), resolve=..., connect_reply=0,
                           method_reply=None, auth_reply=None, host="::1") as socks:
        socks.handshakes    # [Socks5Record]: greeting, methods, chosen_method, auth (raw),
                            # username, password, request (raw), cmd, atyp, dst_host, dst_port,
                            # reply, upstream

Methods: no-auth (0x00) and username/password (0x02). With ``credentials`` the server insists on
0x02 (0xFF if not offered); without, it picks 0x00 if offered, else 0x02 (any credentials
accepted). ATYP 1 (IPv4), 3 (domain - may carry an IP literal, as Swoole always sends) and 4
(IPv6). ``method_reply`` / ``auth_reply`` / ``connect_reply`` force failure answers (e.g.
``connect_reply=0x05``); the connection is closed after a failure.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
import struct
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Union
from urllib.parse import urlsplit

from .http1 import RawRequest, build_response, format_head, parse_basic_auth, read_response, try_read_request
from .listener import (
    ConnRecord,
    RecordingStreamReader,
    RecordingStreamWriter,
    StreamServer,
    close_writer,
    is_loopback_host,
)

__all__ = [
    "ConnectProxy",
    "ProxyRequest",
    "Resolve",
    "Socks5Proxy",
    "Socks5Record",
    "pipe",
]

Resolve = Union[
    Mapping[str, Union[tuple[str, int], str]],
    Callable[[str, int], Union[tuple[str, int], None]],
    None,
]


class TargetRefused(Exception):
    """The requested target is not (mapped to) a loopback address."""


def resolve_target(resolve: Resolve, host: str, port: int) -> tuple[str, int]:
    """Map ``host:port`` to a loopback address (see module doc); raise :class:`TargetRefused`."""
    bare = host.strip("[]")
    mapped: Any = None
    if callable(resolve):
        mapped = resolve(bare, port)
    elif resolve:
        mapped = resolve.get(f"{bare}:{port}") or resolve.get(f"[{bare}]:{port}") or resolve.get(bare)
    if mapped is None:
        mapped = (bare, port)
    if isinstance(mapped, str):
        mapped = (mapped, port)
    target_host, target_port = mapped
    if target_host == "localhost":
        target_host = "127.0.0.1"
    if not is_loopback_host(target_host):
        raise TargetRefused(f"{host}:{port} is not a loopback target")
    return target_host, int(target_port)


async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy ``reader`` to ``writer`` until EOF, then half-close ``writer`` (or close it)."""
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    finally:
        if not writer.transport.is_closing():
            if writer.can_write_eof():
                with contextlib.suppress(OSError, RuntimeError):
                    writer.write_eof()
            else:
                writer.close()


async def _tunnel(
    client_reader: asyncio.StreamReader,
    client_writer: asyncio.StreamWriter,
    upstream_reader: asyncio.StreamReader,
    upstream_writer: asyncio.StreamWriter,
) -> None:
    """Pipe both directions until both reached EOF (or one failed)."""
    up = asyncio.ensure_future(pipe(client_reader, upstream_writer))
    down = asyncio.ensure_future(pipe(upstream_reader, client_writer))
    try:
        await asyncio.gather(up, down)
    except (ConnectionError, OSError):
        pass
    finally:
        for task in (up, down):
            task.cancel()
        await asyncio.gather(up, down, return_exceptions=True)


async def _open_upstream(host: str, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Connect to a (loopback) upstream with a short timeout."""
    return await asyncio.wait_for(asyncio.open_connection(host, port), 5.0)


# --------------------------------------------------------------------------- HTTP proxy


@dataclass(eq=False)
class ProxyRequest:
    """One request received by :class:`ConnectProxy`."""

    conn_index: int
    method: str
    target: str
    head: bytes
    """The verbatim request head."""
    headers: list[tuple[str, str]]
    proxy_authorization: str | None
    credentials: tuple[str, str] | None
    """Decoded ``Proxy-Authorization: Basic`` (user, password), if any."""
    authorized: bool = True
    upstream: tuple[str, int] | None = None
    """The loopback address actually contacted (None if refused or failed)."""
    status: int | None = None
    """What the proxy answered (CONNECT: 200/407/502; forwarded: the upstream status)."""
    request: RawRequest | None = None


class ConnectProxy(StreamServer):
    """A recording HTTP proxy (see module doc)."""

    name = "http proxy"

    def __init__(
        self,
        *,
        credentials: tuple[str, str] | None = None,
        resolve: Resolve = None,
        connect_reply: bytes = b"HTTP/1.1 200 Connection established\r\n\r\n",
        **options: Any,
    ) -> None:
        """See the module docstring; ``options`` go to ``LoopbackServer``."""
        super().__init__(**options)
        self.credentials = credentials
        self.resolve = resolve
        self.connect_reply = connect_reply
        self.requests: list[ProxyRequest] = []

    @property
    def connects(self) -> list[ProxyRequest]:
        """The CONNECT requests."""
        return [r for r in self.requests if r.method.upper() == "CONNECT"]

    def _authorized(self, record: ProxyRequest) -> bool:
        """Check the request's credentials against the configured ones."""
        return self.credentials is None or record.credentials == tuple(self.credentials)

    async def _deny(self, writer: asyncio.StreamWriter, record: ProxyRequest) -> None:
        """Answer 407."""
        record.authorized = False
        record.status = 407
        writer.write(
            build_response(
                407,
                b"",
                [("Proxy-Authenticate", 'Basic realm="proxy"'), ("Connection", "close")],
            )
        )
        await writer.drain()

    async def _bad_gateway(self, writer: asyncio.StreamWriter, record: ProxyRequest) -> None:
        """Answer 502."""
        record.status = 502
        writer.write(build_response(502, b"bad gateway\n", [("Connection", "close")]))
        await writer.drain()

    async def handle_stream(
        self, reader: RecordingStreamReader, writer: RecordingStreamWriter, record: ConnRecord
    ) -> None:
        """Serve CONNECT or absolute-form requests on one client connection."""
        upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        upstream_addr: tuple[str, int] | None = None
        try:
            while True:
                request = await try_read_request(reader)
                if request is None:
                    return
                auth = request.header("proxy-authorization")
                entry = ProxyRequest(
                    conn_index=record.index,
                    method=request.method,
                    target=request.target,
                    head=request.head,
                    headers=request.headers,
                    proxy_authorization=auth,
                    credentials=parse_basic_auth(auth),
                    request=request,
                )
                self.requests.append(entry)
                if not self._authorized(entry):
                    await self._deny(writer, entry)
                    return
                if request.method.upper() == "CONNECT":
                    await self._connect(reader, writer, entry)
                    return
                split = urlsplit(request.target)
                if split.scheme != "http" or not split.hostname:
                    entry.status = 400
                    writer.write(build_response(400, b"absolute-form or CONNECT only\n", [("Connection", "close")]))
                    await writer.drain()
                    return
                try:
                    address = resolve_target(self.resolve, split.hostname, split.port or 80)
                except TargetRefused:
                    await self._bad_gateway(writer, entry)
                    return
                if upstream is None or upstream_addr != address or upstream[1].transport.is_closing():
                    if upstream is not None:
                        upstream[1].close()
                    try:
                        upstream = await _open_upstream(*address)
                    except (OSError, asyncio.TimeoutError):
                        upstream = None
                        await self._bad_gateway(writer, entry)
                        return
                    upstream_addr = address
                entry.upstream = address
                origin_target = split.path or "/"
                if split.query:
                    origin_target += "?" + split.query
                headers = [(k, v) for k, v in request.headers if not k.lower().startswith("proxy-")]
                up_reader, up_writer = upstream
                up_writer.write(format_head(f"{request.method} {origin_target} {request.version}", headers))
                up_writer.write(request.raw_body)
                await up_writer.drain()
                response = await read_response(up_reader, request.method)
                entry.status = response.status
                writer.write(response.raw)
                await writer.drain()
                if response.until_eof or not request.keep_alive:
                    return
                if response.has_token("connection", "close"):
                    return
        finally:
            if upstream is not None:
                upstream[1].close()

    async def _connect(
        self, reader: RecordingStreamReader, writer: RecordingStreamWriter, entry: ProxyRequest
    ) -> None:
        """Open the CONNECT tunnel."""
        host, _, port_text = entry.target.rpartition(":")
        try:
            address = resolve_target(self.resolve, host, int(port_text))
            up_reader, up_writer = await _open_upstream(*address)
        except (TargetRefused, ValueError, OSError, asyncio.TimeoutError):
            await self._bad_gateway(writer, entry)
            return
        entry.upstream = address
        entry.status = 200
        try:
            writer.write(self.connect_reply)
            await writer.drain()
            await _tunnel(reader, writer, up_reader, up_writer)
        finally:
            up_writer.close()


# --------------------------------------------------------------------------- SOCKS5


@dataclass(eq=False)
class Socks5Record:
    """What :class:`Socks5Proxy` saw on one connection (raw bytes and decoded fields)."""

    conn_index: int
    greeting: bytes = b""
    methods: list[int] = field(default_factory=list)
    chosen_method: int | None = None
    auth: bytes = b""
    username: str | None = None
    password: str | None = None
    auth_ok: bool | None = None
    request: bytes = b""
    cmd: int | None = None
    atyp: int | None = None
    dst_host: str | None = None
    dst_port: int | None = None
    reply: int | None = None
    upstream: tuple[str, int] | None = None


class Socks5Proxy(StreamServer):
    """A recording SOCKS5 server (see module doc)."""

    name = "socks5 proxy"

    def __init__(
        self,
        *,
        credentials: tuple[str, str] | None = None,
        resolve: Resolve = None,
        method_reply: int | None = None,
        auth_reply: int | None = None,
        connect_reply: int = 0,
        **options: Any,
    ) -> None:
        """See the module docstring; ``options`` go to ``LoopbackServer``."""
        super().__init__(**options)
        self.credentials = credentials
        self.resolve = resolve
        self.method_reply = method_reply
        self.auth_reply = auth_reply
        self.connect_reply = connect_reply
        self.handshakes: list[Socks5Record] = []

    def _choose(self, methods: list[int]) -> int:
        """Pick the authentication method."""
        if self.method_reply is not None:
            return self.method_reply
        if self.credentials is not None:
            return 0x02 if 0x02 in methods else 0xFF
        if 0x00 in methods:
            return 0x00
        if 0x02 in methods:
            return 0x02
        return 0xFF

    async def handle_stream(
        self, reader: RecordingStreamReader, writer: RecordingStreamWriter, record: ConnRecord
    ) -> None:
        """Greeting, optional RFC 1929 auth, CONNECT, then the tunnel."""
        entry = Socks5Record(conn_index=record.index)
        self.handshakes.append(entry)
        version, count = await reader.readexactly(2)
        methods = await reader.readexactly(count)
        entry.greeting = bytes([version, count]) + methods
        entry.methods = list(methods)
        if version != 5:
            return
        method = self._choose(entry.methods)
        entry.chosen_method = method
        writer.write(bytes([5, method]))
        await writer.drain()
        if method == 0x02:
            if not await self._authenticate(reader, writer, entry):
                return
        elif method != 0x00:
            return
        head = await reader.readexactly(4)
        _, cmd, _, atyp = head
        entry.cmd, entry.atyp = cmd, atyp
        raw = bytearray(head)
        if atyp == 1:
            addr = await reader.readexactly(4)
            raw += addr
            host = socket.inet_ntop(socket.AF_INET, addr)
        elif atyp == 3:
            length = await reader.readexactly(1)
            name = await reader.readexactly(length[0])
            raw += length + name
            host = name.decode("latin-1")
        elif atyp == 4:
            addr = await reader.readexactly(16)
            raw += addr
            host = socket.inet_ntop(socket.AF_INET6, addr)
        else:
            entry.request = bytes(raw)
            await self._reply(writer, entry, 0x08)
            return
        port_bytes = await reader.readexactly(2)
        raw += port_bytes
        entry.request = bytes(raw)
        entry.dst_host, entry.dst_port = host, struct.unpack("!H", port_bytes)[0]
        if cmd != 1:
            await self._reply(writer, entry, 0x07)
            return
        if self.connect_reply != 0:
            await self._reply(writer, entry, self.connect_reply)
            return
        try:
            address = resolve_target(self.resolve, host, entry.dst_port)
        except TargetRefused:
            await self._reply(writer, entry, 0x04)
            return
        try:
            up_reader, up_writer = await _open_upstream(*address)
        except ConnectionRefusedError:
            await self._reply(writer, entry, 0x05)
            return
        except (OSError, asyncio.TimeoutError):
            await self._reply(writer, entry, 0x01)
            return
        entry.upstream = address
        try:
            bound = up_writer.get_extra_info("sockname")
            await self._reply(writer, entry, 0x00, bound)
            await _tunnel(reader, writer, up_reader, up_writer)
        finally:
            up_writer.close()

    async def _authenticate(
        self, reader: RecordingStreamReader, writer: RecordingStreamWriter, entry: Socks5Record
    ) -> bool:
        """RFC 1929 sub-negotiation; True on success."""
        ver_len = await reader.readexactly(2)
        username = await reader.readexactly(ver_len[1])
        plen = await reader.readexactly(1)
        password = await reader.readexactly(plen[0])
        entry.auth = ver_len + username + plen + password
        entry.username = username.decode("latin-1")
        entry.password = password.decode("latin-1")
        if self.auth_reply is not None:
            status = self.auth_reply
        elif self.credentials is None:
            status = 0
        else:
            status = 0 if (entry.username, entry.password) == tuple(self.credentials) else 1
        entry.auth_ok = status == 0
        writer.write(bytes([1, status]))
        await writer.drain()
        if status != 0:
            close_writer(writer)
        return status == 0

    async def _reply(
        self,
        writer: RecordingStreamWriter,
        entry: Socks5Record,
        code: int,
        bound: tuple[Any, ...] | None = None,
    ) -> None:
        """Send a reply (``BND.ADDR`` = the upstream socket's address, or 0.0.0.0:0)."""
        entry.reply = code
        host, port = (bound[0], bound[1]) if bound else ("0.0.0.0", 0)
        ip = ipaddress.ip_address(host)
        atyp = 1 if ip.version == 4 else 4
        writer.write(bytes([5, code, 0, atyp]) + ip.packed + struct.pack("!H", port))
        await writer.drain()
        if code != 0:
            close_writer(writer)
