"""The loopback listener shared by every scripted server in :mod:`support`.

A :class:`LoopbackServer` owns one listening socket - TCP on a loopback address (``127.0.0.1`` by
default, ``::1`` or any ``127.x.y.z`` on request) or a UNIX stream socket - and runs its own accept
loop in the current event loop. Every accepted socket gets a :class:`ConnRecord` and is handed,
optionally after a delay and a TLS handshake, to the subclass:

* :class:`StreamServer` wraps it in an ``asyncio`` reader/writer pair whose reader records every
  received byte, and awaits :meth:`StreamServer.handle_stream`; the connection is closed by the
  server when that coroutine returns.
* :class:`support.http.HttpServer` hands it to an aiohttp protocol instead.

Scenario API common to all servers::

    async with SomeServer(..., host="127.0.0.1" | "::1", unix=None | True | "/path",
                          ssl=None | server_ssl_context, ssl_delay=0.0, bag=None) as srv:
        srv.port, srv.host, srv.path        # path: UNIX socket path, else None
        srv.address                         # (host, port) or the UNIX path
        srv.client_host, srv.client_port    # what to pass to Client(host, port, ssl)
        srv.connections                     # number of accepted connections
        srv.records                         # [ConnRecord]: peer, received bytes, close order...
        await srv.wait_connections(n)       # until n connections were accepted
        await srv.stop_listening()          # close the listener, keep open connections
        await srv.kill()                    # close the listener AND abort every connection:
                                            # the next connect is refused (ECONNREFUSED)

``ssl_delay`` (seconds, with ``ssl``) accepts the TCP connection, reads nothing, waits, and only
then starts the server-side TLS handshake (upstream ``timeout_before_connect``). Handshake
failures are stored in ``ConnRecord.tls_error`` and are not test failures.

Exceptions escaping a handler are reported to the :class:`support.bag.AssertBag` given as ``bag``
(the fixtures always pass the test's bag); ordinary connection errors (reset, EOF, broken pipe,
TLS errors) end the handler quietly and are kept in ``ConnRecord.error``. Without a bag, handler
exceptions are raised from ``__aexit__``.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import os
import shutil
import socket
import ssl as ssl_module
import struct
import tempfile
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .bag import AssertBag

_Server = TypeVar("_Server", bound="LoopbackServer")

#: Exceptions that mean "the peer went away"; they end a handler without failing the test.
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    ConnectionError,
    asyncio.IncompleteReadError,
    ssl_module.SSLError,
    EOFError,
)


def ipv6_available() -> bool:
    """Return True when a TCP socket can be bound to ``::1``."""
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


def make_short_unix_dir() -> str:
    """Create a private temporary directory with a short path (UNIX paths must stay < 108 bytes).

    The caller removes it (``shutil.rmtree``). ``/tmp`` is used when it exists because pytest's
    ``tmp_path`` can be too long for ``sun_path``.
    """
    base = "/tmp" if os.path.isdir("/tmp") else None
    return tempfile.mkdtemp(prefix="sc-", dir=base)


def is_loopback_host(host: str) -> bool:
    """True for ``localhost`` and IP literals in 127.0.0.0/8 or ``::1``."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(eq=False)
class ConnRecord:
    """What a server saw of one accepted connection (times are ``loop.time()`` values)."""

    index: int
    """0-based accept order."""
    peer: Any
    """``getpeername()`` of the accepted socket (``''`` for UNIX clients)."""
    sockname: Any
    """``getsockname()`` of the accepted socket."""
    accepted_at: float
    received: bytearray = field(default_factory=bytearray)
    """Every byte received (plaintext after TLS). Stream servers, and HTTP servers made with
    ``record_bytes=True``."""
    transport: asyncio.BaseTransport | None = None
    tls_error: BaseException | None = None
    """The server-side TLS handshake failure, if any."""
    error: BaseException | None = None
    """The connection error (reset, EOF, ...) that ended the handler, if any."""
    peer_closed_at: float | None = None
    """When the peer closed its side (EOF or reset) - stream servers only."""
    server_closed_at: float | None = None
    """When the server closed or aborted the connection through the support code."""
    lost_at: float | None = None
    """When the transport reported ``connection_lost`` - stream servers only."""
    data: dict[str, Any] = field(default_factory=dict)
    """Free scratch space for scenario handlers."""

    @property
    def closed_first(self) -> str | None:
        """``'client'`` if the peer closed (EOF/reset) before the server did, ``'server'`` if the
        server closed first, None while the connection is open.

        Over TLS a peer close is seen when the client sends ``close_notify`` (Python and OpenSSL
        clients do); a bare TCP FIN under TLS may be reported as ``'server'``.
        """
        if self.peer_closed_at is not None:
            server_at = self.server_closed_at
            if server_at is None or self.peer_closed_at <= server_at:
                return "client"
            return "server"
        if self.server_closed_at is not None or self.lost_at is not None:
            return "server"
        return None

    @property
    def is_open(self) -> bool:
        """True while the transport exists and is not closing."""
        return self.transport is not None and not self.transport.is_closing()


class RecordingStreamReader(asyncio.StreamReader):
    """A ``StreamReader`` that appends every fed byte to its :class:`ConnRecord`.

    ``on_head`` (set by the owning server) is called by :func:`support.http1.read_request_head`
    with every request head it reads, which is how ``RawServer.requests`` is filled.
    """

    def __init__(self, record: ConnRecord, *, limit: int, loop: asyncio.AbstractEventLoop) -> None:
        """Create a reader recording into ``record``."""
        super().__init__(limit=limit, loop=loop)
        self.record = record
        self.on_head: Any = None

    def feed_data(self, data: bytes) -> None:
        """Record, then buffer, received bytes."""
        self.record.received += data
        super().feed_data(data)


class RecordingStreamProtocol(asyncio.StreamReaderProtocol):
    """``StreamReaderProtocol`` that timestamps peer EOF / reset and connection loss."""

    def __init__(
        self, reader: RecordingStreamReader, record: ConnRecord, loop: asyncio.AbstractEventLoop
    ) -> None:
        """Wrap ``reader``; times go to ``record``."""
        super().__init__(reader, loop=loop)
        self._record = record
        self._clock = loop

    def eof_received(self) -> bool:
        """Note the peer's close, then behave like the base class (half-close allowed)."""
        if self._record.peer_closed_at is None:
            self._record.peer_closed_at = self._clock.time()
        return bool(super().eof_received())

    def connection_lost(self, exc: Exception | None) -> None:
        """Note the loss (a reset counts as a peer close)."""
        now = self._clock.time()
        if exc is not None and self._record.peer_closed_at is None:
            self._record.peer_closed_at = now
        self._record.lost_at = now
        super().connection_lost(exc)


class RecordingStreamWriter(asyncio.StreamWriter):
    """A ``StreamWriter`` that knows its :class:`ConnRecord` (``writer.record``)."""

    def __init__(
        self,
        transport: asyncio.BaseTransport,
        protocol: asyncio.BaseProtocol,
        reader: asyncio.StreamReader,
        loop: asyncio.AbstractEventLoop,
        record: ConnRecord,
    ) -> None:
        """Create the writer for ``record``'s connection."""
        super().__init__(transport, protocol, reader, loop)  # type: ignore[arg-type]
        self.record = record


class LoopbackServer:
    """Base class: a listening socket on loopback or UNIX plus an accept loop (see module doc)."""

    #: Name used in failure reports.
    name = "server"

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        unix: str | os.PathLike[str] | bool | None = None,
        ssl: ssl_module.SSLContext | None = None,
        ssl_delay: float = 0.0,
        ssl_handshake_timeout: float = 5.0,
        backlog: int = 128,
        bag: AssertBag | None = None,
    ) -> None:
        """Configure the listener; nothing is bound before :meth:`start`."""
        if not unix and not is_loopback_host(host):
            raise ValueError(f"test servers listen on loopback only, not {host!r}")
        self._bind_host = "127.0.0.1" if host == "localhost" else host.strip("[]")
        self._bind_port = port
        self._unix_option = unix
        self.ssl = ssl
        self.ssl_delay = ssl_delay
        self.ssl_handshake_timeout = ssl_handshake_timeout
        self.backlog = backlog
        self.bag = bag
        self.records: list[ConnRecord] = []
        self.errors: list[BaseException] = []
        self._lsock: socket.socket | None = None
        self._accept_task: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._unix_path: str | None = None
        self._own_dir: str | None = None
        self._port = 0
        self._closed = False

    # ------------------------------------------------------------------ addresses

    @property
    def connections(self) -> int:
        """Number of connections accepted so far."""
        return len(self.records)

    @property
    def port(self) -> int:
        """The TCP port (0 for UNIX servers)."""
        return self._port

    @property
    def host(self) -> str:
        """The IP literal listened on (``''`` for UNIX servers)."""
        return "" if self._unix_path else self._bind_host

    @property
    def path(self) -> str | None:
        """The UNIX socket path, or None."""
        return self._unix_path

    @property
    def address(self) -> tuple[str, int] | str:
        """``(host, port)`` for TCP, the path for UNIX."""
        if self._unix_path:
            return self._unix_path
        return (self._bind_host, self._port)

    @property
    def client_host(self) -> str:
        """The host argument for ``Client(host, port, ssl)``: the IP, or ``unix:/path``."""
        return f"unix:{self._unix_path}" if self._unix_path else self._bind_host

    @property
    def client_port(self) -> int:
        """The port argument for ``Client(...)`` (0 for UNIX)."""
        return self._port

    @property
    def netloc(self) -> str:
        """``host:port`` (IPv6 in brackets) for URLs and Host headers."""
        host = f"[{self._bind_host}]" if ":" in self._bind_host else self._bind_host
        return f"{host}:{self._port}"

    def url_for(self, scheme: str, path: str = "/") -> str:
        """``scheme://netloc/path`` (``localhost`` stands in for UNIX servers)."""
        return f"{scheme}://{'localhost' if self._unix_path else self.netloc}{path}"

    @property
    def listening_socket(self) -> socket.socket | None:
        """The listening socket (None before :meth:`start` and after :meth:`stop_listening`)."""
        return self._lsock

    @property
    def is_listening(self) -> bool:
        """True until :meth:`stop_listening` / :meth:`kill`."""
        return self._lsock is not None

    # ------------------------------------------------------------------ lifecycle

    async def __aenter__(self: _Server) -> _Server:
        """Start the server."""
        await self.start()
        return self

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        """Close everything; without a bag, raise collected handler errors."""
        await self.close()
        if exc_type is None and self.bag is None:
            self.raise_errors()

    async def start(self: _Server) -> _Server:
        """Bind, listen and start accepting."""
        self._lsock = self._bind()
        self._accept_task = asyncio.get_running_loop().create_task(self._accept_loop())
        return self

    def _bind(self) -> socket.socket:
        """Create the listening socket."""
        if self._unix_option:
            if self._unix_option is True:
                self._own_dir = make_short_unix_dir()
                path = os.path.join(self._own_dir, "s.sock")
            else:
                path = os.fspath(self._unix_option)  # type: ignore[arg-type]
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path)
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.bind(path)
            except BaseException:
                sock.close()
                raise
            self._unix_path = path
        else:
            family = socket.AF_INET6 if ":" in self._bind_host else socket.AF_INET
            sock = socket.socket(family, socket.SOCK_STREAM)
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                if family == socket.AF_INET6:
                    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                sock.bind((self._bind_host, self._bind_port))
            except BaseException:
                sock.close()
                raise
            self._port = sock.getsockname()[1]
        sock.listen(self.backlog)
        sock.setblocking(False)
        return sock

    async def _accept_loop(self) -> None:
        """Accept connections until cancelled; each one runs in its own task."""
        loop = asyncio.get_running_loop()
        lsock = self._lsock
        assert lsock is not None
        while True:
            try:
                sock, peer = await loop.sock_accept(lsock)
            except asyncio.CancelledError:
                raise
            except OSError as exc:
                if self._lsock is None:
                    return
                self.errors.append(exc)
                await asyncio.sleep(0.01)
                continue
            sock.setblocking(False)
            try:
                sockname = sock.getsockname()
            except OSError:
                sockname = None
            record = ConnRecord(
                index=len(self.records), peer=peer, sockname=sockname, accepted_at=loop.time()
            )
            self.records.append(record)
            task = loop.create_task(self._run_connection(sock, record))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _run_connection(self, sock: socket.socket, record: ConnRecord) -> None:
        """Serve one accepted socket, classifying whatever ends it."""
        try:
            if self.ssl is not None and self.ssl_delay > 0:
                await asyncio.sleep(self.ssl_delay)
            await self._serve(sock, record)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - classified below
            handshake_failed = record.transport is None and self.ssl is not None
            if handshake_failed and isinstance(exc, (*CONNECTION_ERRORS, TimeoutError, asyncio.TimeoutError)):
                record.tls_error = exc
            elif isinstance(exc, CONNECTION_ERRORS):
                record.error = exc
            else:
                self.report(exc, f"{self.name} connection #{record.index}")
        finally:
            if record.transport is None:
                sock.close()

    async def _serve(self, sock: socket.socket, record: ConnRecord) -> None:
        """Subclass hook: wrap ``sock`` (already accepted, non-blocking) and serve it."""
        raise NotImplementedError

    def report(self, exc: BaseException, where: str = "") -> None:
        """Record a handler failure (and forward it to the bag)."""
        self.errors.append(exc)
        if self.bag is not None:
            self.bag.add_exception(exc, where or self.name)

    def raise_errors(self) -> None:
        """Raise ``AssertionError`` if any handler failure was reported."""
        if self.errors:
            bag = AssertBag()
            for exc in self.errors:
                bag.add_exception(exc, self.name)
            bag.raise_if_failed()

    def spawn(self, coro: Any) -> asyncio.Task[Any]:
        """Run ``coro`` as a task owned by the server (cancelled by :meth:`kill`)."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def wait_connections(self, count: int, timeout: float = 5.0) -> None:
        """Wait until at least ``count`` connections were accepted (``TimeoutError`` otherwise)."""

        async def poll() -> None:
            while len(self.records) < count:
                await asyncio.sleep(0.002)

        await asyncio.wait_for(poll(), timeout)

    async def stop_listening(self) -> None:
        """Stop accepting and close the listening socket; open connections stay."""
        task, self._accept_task = self._accept_task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        lsock, self._lsock = self._lsock, None
        if lsock is not None:
            lsock.close()

    def abort_connections(self) -> None:
        """Abort every open connection (no graceful TLS shutdown, no FIN flush)."""
        now = asyncio.get_running_loop().time()
        for record in self.records:
            transport = record.transport
            if transport is not None and not transport.is_closing():
                if record.server_closed_at is None:
                    record.server_closed_at = now
                transport.abort()  # type: ignore[attr-defined]

    async def kill(self) -> None:
        """Upstream ``$pm->kill()``: close the listener AND abort all connections."""
        await self.stop_listening()
        self.abort_connections()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        await self._after_kill()
        # Let connection_lost callbacks run.
        await asyncio.sleep(0)
        await asyncio.sleep(0)

    async def _after_kill(self) -> None:
        """Subclass hook run by :meth:`kill` after the connections were aborted."""

    async def close(self) -> None:
        """Kill, then release every resource (UNIX socket file, temp directory)."""
        if self._closed:
            return
        self._closed = True
        await self.kill()
        await self._cleanup()
        if self._unix_path is not None:
            with contextlib.suppress(OSError):
                os.unlink(self._unix_path)
        if self._own_dir is not None:
            shutil.rmtree(self._own_dir, ignore_errors=True)

    async def _cleanup(self) -> None:
        """Subclass hook run once by :meth:`close`."""


class StreamServer(LoopbackServer):
    """A :class:`LoopbackServer` that serves each connection with reader/writer streams."""

    #: ``StreamReader`` limit: request heads up to 1 MiB can be read with ``readuntil``.
    stream_limit = 1 << 20

    async def _serve(self, sock: socket.socket, record: ConnRecord) -> None:
        """Attach asyncio streams (plus TLS when configured) and run :meth:`handle_stream`."""
        loop = asyncio.get_running_loop()
        reader = RecordingStreamReader(record, limit=self.stream_limit, loop=loop)
        protocol = RecordingStreamProtocol(reader, record, loop)
        if self.ssl is not None:
            transport, _ = await loop.connect_accepted_socket(
                lambda: protocol,
                sock,
                ssl=self.ssl,
                ssl_handshake_timeout=self.ssl_handshake_timeout,
            )
        else:
            transport, _ = await loop.connect_accepted_socket(lambda: protocol, sock)
        record.transport = transport
        writer = RecordingStreamWriter(transport, protocol, reader, loop, record)
        try:
            await self.handle_stream(reader, writer, record)
        finally:
            close_writer(writer)

    async def handle_stream(
        self, reader: RecordingStreamReader, writer: RecordingStreamWriter, record: ConnRecord
    ) -> None:
        """Subclass hook: the per-connection scenario."""
        raise NotImplementedError


def _stamp_server_close(writer: asyncio.StreamWriter) -> None:
    """Record on the writer's :class:`ConnRecord` (if any) that the server closes now."""
    record = getattr(writer, "record", None)
    if isinstance(record, ConnRecord) and record.server_closed_at is None:
        record.server_closed_at = asyncio.get_running_loop().time()


def close_transport(transport: asyncio.BaseTransport) -> None:
    """Close ``transport`` so that the FIN leaves **now**, as a server process would send it.

    ``transport.close()`` alone only closes the socket on the next loop iteration. Client and
    server share one event loop here, so a client task running later in the same iteration (for
    example a keep-alive liveness check) would not see the close yet. When nothing is left to
    flush on a plain (non-TLS) transport, the write side is shut down immediately first.
    """
    if transport.is_closing():
        return
    sock = transport.get_extra_info("socket")
    plain = transport.get_extra_info("sslcontext") is None
    if sock is not None and plain and transport.get_write_buffer_size() == 0:  # type: ignore[attr-defined]
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_WR)
    transport.close()


def close_writer(writer: asyncio.StreamWriter) -> None:
    """Close ``writer`` (FIN, sent at once - see :func:`close_transport`) and stamp
    ``server_closed_at`` on its record, if it has one."""
    if writer.transport.is_closing():
        return
    _stamp_server_close(writer)
    close_transport(writer.transport)


def reset_writer(writer: asyncio.StreamWriter) -> None:
    """Close the connection with a TCP RST (``SO_LINGER`` 0) instead of a FIN."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    _stamp_server_close(writer)
    writer.transport.abort()  # type: ignore[attr-defined]
