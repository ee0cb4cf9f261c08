"""A byte stream over one connected socket, built directly on ``asyncio.Protocol``.

``asyncio.StreamReader`` adds a copy and a lock per read; the client only ever needs "give me
what has arrived", so :class:`Stream` hands out whole received chunks. Reading is paused when
more than :data:`HIGH_WATER` bytes are buffered, which bounds memory whatever the peer sends.
"""

from __future__ import annotations

import asyncio
import select
import socket
import ssl
from collections import deque
from typing import Any, Iterable, Sequence

from .._accel import BytesFill
from .errno import EBADF, ECONNRESET, ETIMEDOUT, TransportError, from_exception, from_tls_session_error

HIGH_WATER = 4 * 1024 * 1024
"""Buffered-but-unread bytes above which the socket is no longer read."""

SMALL_READ_SIZE = 124 * 1024
BULK_READ_SIZE = 256 * 1024
SMALL_READ = 16 * 1024
"""``recv()`` sizes on the default event loop's plain TCP transport (its ``max_size``).

asyncio's selector transport calls ``recv(256 KiB)``: each read allocates a fresh 256 KiB
``bytes``, above glibc malloc's mmap threshold (128 KiB), so every read -- even of 30 bytes --
costs an ``mmap``, page faults, an ``mremap`` and a ``munmap``: about 25 us of system time,
a third of a small WebSocket round trip. A request just under the threshold is served from
the heap. Bulk transfers, though, are several times cheaper with 256 KiB reads (heap blocks
that pile up in a body trigger heap growth and trimming). So the size adapts: a read that
fills the small size switches to the bulk size, a read of at most ``SMALL_READ`` bytes back."""


class _Protocol(asyncio.Protocol):
    """Collects received chunks and wakes the single reader."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.chunks: deque[bytes] = deque()
        self.buffered = 0
        self.eof = False
        self.error: TransportError | None = None
        #: The TLS session ended with the peer's alert or EOF (not a TCP reset).
        self.tls_peer_closed = False
        self.paused_reading = False
        self.read_waiter: asyncio.Future[None] | None = None
        self.drain_waiter: asyncio.Future[None] | None = None
        self.write_paused = False
        self.lost = False
        self.read_size = 0  # the transport's max_size while it is tuned (see SMALL_READ_SIZE)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.chunks.append(data)
        size = len(data)
        self.buffered += size
        read_size = self.read_size
        if read_size:
            if size >= read_size and read_size == SMALL_READ_SIZE:
                self.read_size = self.transport.max_size = BULK_READ_SIZE  # type: ignore[union-attr]
            elif size <= SMALL_READ and read_size == BULK_READ_SIZE:
                self.read_size = self.transport.max_size = SMALL_READ_SIZE  # type: ignore[union-attr]
        if self.buffered > HIGH_WATER and not self.paused_reading and self.transport is not None:
            self.paused_reading = True
            self.transport.pause_reading()
        self._wake_reader()

    def eof_received(self) -> bool:
        self.eof = True
        self._wake_reader()
        # Keep a plain TCP transport open for writing after the peer's FIN, as Swoole can still
        # send then (e.g. echo a CLOSE frame). TLS transports ignore the return value.
        transport = self.transport
        return transport is not None and transport.get_extra_info("sslcontext") is None

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        self.eof = True
        if exc is not None and self.error is None:
            # Only called once the connection (and its TLS handshake) was made: a TLS error
            # here ends an established session.
            self.error = from_tls_session_error(exc)
            self.tls_peer_closed = isinstance(exc, ssl.SSLError)
        self._wake_reader()
        waiter = self.drain_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def pause_writing(self) -> None:
        self.write_paused = True

    def resume_writing(self) -> None:
        self.write_paused = False
        waiter = self.drain_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _wake_reader(self) -> None:
        waiter = self.read_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)


class _FillProtocol(asyncio.BufferedProtocol):
    """Stands in for a stream's :class:`_Protocol` while :meth:`Stream.fill` receives straight
    into a caller's buffer: the socket reads into what is left of it (never past its end),
    and the reader is woken once, when it is full. Connection events go to the stream's
    protocol as usual."""

    def __init__(self, main: _Protocol, view: memoryview) -> None:
        self.main = main
        self.view: memoryview | None = view
        self.size = len(view)
        self.filled = 0

    def get_buffer(self, sizehint: int) -> memoryview:
        assert self.view is not None
        return self.view[self.filled :]

    def buffer_updated(self, nbytes: int) -> None:
        self.filled += nbytes
        if self.filled >= self.size:
            # Hand the socket back at once: a read before the reader resumes must not find
            # an empty buffer here (asyncio treats that as a fatal error).
            transport = self.main.transport
            if transport is not None:
                transport.set_protocol(self.main)
            self.main._wake_reader()

    def eof_received(self) -> bool:
        return self.main.eof_received()

    def connection_lost(self, exc: Exception | None) -> None:
        self.main.connection_lost(exc)

    def pause_writing(self) -> None:
        self.main.pause_writing()

    def resume_writing(self) -> None:
        self.main.resume_writing()


_FILLABLE_TRANSPORTS = ("asyncio.selector_events", "asyncio.sslproto")


def _fillable(transport: asyncio.BaseTransport) -> bool:
    """Whether ``transport`` receives into a ``BufferedProtocol``'s buffer once
    ``set_protocol`` gives it one: asyncio's selector socket transport (TCP, UNIX) calls
    ``recv_into()`` on it, and its TLS transport decrypts straight into it (``SSLObject.read``
    with a buffer). Other loops' transports (uvloop) keep the chunk path."""
    return type(transport).__module__ in _FILLABLE_TRANSPORTS


def _expire(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_exception(TransportError(ETIMEDOUT))


class Stream:
    """One connected socket (TCP, UNIX, optionally TLS) with a read/write API.

    Contract: one reader and one writer at a time (the façade enforces Swoole's
    one-coroutine-per-direction rule). ``read()`` returns ``b""`` at EOF and raises
    :class:`TransportError` on socket errors; ``write()`` raises :class:`TransportError`.
    """

    def __init__(self, sock: socket.socket, transport: asyncio.Transport, protocol: _Protocol) -> None:
        self.sock = sock
        self.transport = transport
        self._protocol = protocol
        self.closed = False
        self.fd = sock.fileno()
        #: The event loop the connection belongs to (callers use it instead of
        #: asyncio.get_running_loop(), which costs a getpid() system call per call on 3.11).
        self.loop = self._loop = asyncio.get_running_loop()
        # Read deadlines share one lazily re-armed timer (see read()).
        self._read_deadline: float | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._timer_when = 0.0
        self._poller: Any = None  # select.poll() for is_alive(), made on first use
        self._fillable = _fillable(transport)
        #: Bytes the last :meth:`fill` wrote into its view (also when it raised).
        self.filled = 0

    # -- construction -------------------------------------------------------------------------
    @classmethod
    async def wrap(
        cls,
        sock: socket.socket,
        *,
        ssl_context: ssl.SSLContext | None = None,
        server_hostname: str | None = None,
        ssl_handshake_timeout: float | None = None,
    ) -> Stream:
        """Start a transport on an already connected non-blocking socket."""
        loop = asyncio.get_running_loop()
        protocol = _Protocol()
        kwargs: dict[str, Any] = {}
        if ssl_context is not None:
            kwargs["ssl"] = ssl_context
            kwargs["server_hostname"] = server_hostname or ""
            if ssl_handshake_timeout is not None and ssl_handshake_timeout > 0:
                kwargs["ssl_handshake_timeout"] = ssl_handshake_timeout
        transport, _ = await loop.create_connection(lambda: protocol, sock=sock, **kwargs)
        if ssl_context is None and type(getattr(transport, "max_size", None)) is int:
            protocol.read_size = transport.max_size = SMALL_READ_SIZE  # type: ignore[attr-defined]
        return cls(sock, transport, protocol)

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None,
        handshake_timeout: float | None = None,
    ) -> None:
        """Upgrade the connection to TLS in place (after a proxy handshake)."""
        kwargs: dict[str, Any] = {}
        if handshake_timeout is not None and handshake_timeout > 0:
            kwargs["ssl_handshake_timeout"] = handshake_timeout
        transport = await self._loop.start_tls(
            self.transport, self._protocol, ssl_context, server_hostname=server_hostname or None, **kwargs
        )
        if transport is None:  # pragma: no cover - only when the transport closed meanwhile
            raise TransportError(ECONNRESET)
        self.transport = transport  # type: ignore[assignment]
        self._fillable = _fillable(transport)
        # start_tls does not call connection_made again: the protocol must learn the new
        # transport itself (flow control and eof_received consult it).
        self._protocol.transport = transport  # type: ignore[assignment]
        self._protocol.read_size = 0  # TLS reads go through the SSL protocol's own buffer

    # -- reading ------------------------------------------------------------------------------
    def buffered(self) -> bool:
        """True when received bytes are waiting to be read."""
        return bool(self._protocol.chunks)

    async def read(self, deadline: float | None = None) -> bytes:
        """Return every byte received so far (waiting for at least one), or ``b""`` at EOF.

        ``deadline`` is a ``loop.time()`` value; past it :class:`TransportError` (110) is
        raised and the connection is left as it was. Neither ``asyncio.wait_for`` (a task per
        read) nor a timer per read is used: one timer per stream stays armed at the earliest
        deadline seen and, when it fires before the current read's deadline, re-arms itself
        there (see :meth:`_on_timer`). Requests with long timeouts thus schedule (and cancel)
        no timer at all once the first one is armed.
        """
        while (data := self.read_nowait()) is None:
            try:
                await self.wait_readable(deadline)
            finally:
                self.end_wait()
        return data

    def end_wait(self) -> None:
        """Forget the wait begun by :meth:`wait_readable` (call it when that wait ends, in any way)."""
        self._protocol.read_waiter = None
        self._read_deadline = None

    def read_nowait(self) -> bytes | None:
        """What :meth:`read` returns when it need not wait (data, ``b""`` at EOF, or raises);
        None when it would wait. With :meth:`wait_readable`, lets a caller wait on the future
        itself rather than through one more coroutine per read."""
        proto = self._protocol
        chunks = proto.chunks
        if not chunks:
            return self._nothing_buffered()
        if len(chunks) == 1:
            data = chunks.popleft()
        else:
            data = b"".join(chunks)
            chunks.clear()
        proto.buffered = 0
        if proto.paused_reading and not self.closed:
            proto.paused_reading = False
            self.transport.resume_reading()
        return data

    def _nothing_buffered(self) -> bytes | None:
        """A read with nothing buffered: ``b""`` at EOF (or the connection's error raised),
        None while more may come."""
        proto = self._protocol
        if proto.error is not None or proto.eof or self.closed:
            self._raise_if_failed()
            return b""
        return None

    def read_chunk_nowait(self) -> bytes | None:
        """:meth:`read_nowait`, one received chunk (one ``recv()`` of the transport) at a time:
        the read boundaries an upstream receive loop sees, for callers whose results depend on
        them (bytes after the end of a response in the same read are dropped)."""
        proto = self._protocol
        chunks = proto.chunks
        if not chunks:
            return self._nothing_buffered()
        data = chunks.popleft()
        proto.buffered -= len(data)
        if proto.paused_reading and proto.buffered <= HIGH_WATER // 2 and not self.closed:
            proto.paused_reading = False
            self.transport.resume_reading()
        return data

    def wait_readable(self, deadline: float | None = None) -> asyncio.Future[None]:
        """The future a reader awaits after :meth:`read_nowait` returned None: done when bytes,
        EOF or an error arrive; past ``deadline`` it raises :class:`TransportError` (110)."""
        waiter = self._loop.create_future()
        self._protocol.read_waiter = waiter
        if deadline is not None:
            self._read_deadline = deadline
            if self._timer is None or self._timer_when > deadline:
                self._arm(deadline)
        else:
            self._read_deadline = None
        return waiter

    def _arm(self, when: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer_when = when
        self._timer = self._loop.call_at(when, self._on_timer)

    def _on_timer(self) -> None:
        """The read timer fired: expire the pending read if its deadline has come, else re-arm
        for it (the timer was armed for an earlier read's deadline)."""
        self._timer = None
        deadline = self._read_deadline
        waiter = self._protocol.read_waiter
        if deadline is None or waiter is None or waiter.done():
            return  # no read waiting: the next read arms a timer again
        if deadline <= self._timer_when:
            waiter.set_exception(TransportError(ETIMEDOUT))
        else:
            self._arm(deadline)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    @property
    def can_fill(self) -> bool:
        """True when :meth:`fill` and :meth:`read_bytes_in_place` can receive in place: the
        C extension's ``BytesFill`` is there and the transport is one of asyncio's own (see
        :func:`_fillable`)."""
        return BytesFill is not None and self._fillable and not self.closed

    async def read_bytes_in_place(
        self, head: Sequence[bytes | memoryview], head_size: int, due: int, deadline: float | None = None
    ) -> tuple[bytes | None, int]:
        """``b"".join(head)`` followed by the next ``due`` received bytes, as one new
        ``bytes`` that the socket receives into directly (see ``BytesFill`` in
        ``_speedups.c``): the bytes are copied once, by the kernel, into memory touched once.
        A 64 MiB body read as chunks and joined needs twice the memory and twice the page
        faults, which were half its cost.

        Returns ``(data, received)``, ``received`` counting the bytes of ``due`` that arrived;
        ``data`` is None when fewer than ``due`` arrived (EOF). Raises like :meth:`read`; on
        any exception ``head`` and the bytes received after it are put back (:meth:`unread`),
        so the stream reads on as if nothing had been taken. Only where :attr:`can_fill` is true.
        """
        target = BytesFill(head_size + due)
        view = memoryview(target)
        pos = 0
        for chunk in head:
            view[pos : pos + len(chunk)] = chunk
            pos += len(chunk)
        part = view[head_size:]
        try:
            received = await self.fill(part, deadline)
        except BaseException:
            # Timeout, error, cancellation: what was received stays readable, in order (a
            # WebSocket recv() that times out keeps its connection and its partial frame).
            self.unread(bytes(view[: head_size + self.filled]))
            raise
        finally:
            part.release()
            view.release()
        if received < due:
            return None, received
        try:
            return target.take(), received
        except BufferError:  # pragma: no cover - a view outlived its read (kept by a traceback)
            return bytes(memoryview(target)), received

    async def fill(self, view: memoryview, deadline: float | None = None) -> int:
        """Receive exactly ``len(view)`` bytes into ``view`` (what is buffered first, then
        straight from the socket, with no intermediate ``bytes``); fewer only at EOF. Returns
        the number of bytes written. Raises :class:`TransportError` like :meth:`read` (110
        past ``deadline``); :attr:`filled` then tells how many bytes of ``view`` were written.

        Only where :attr:`can_fill` is true. Nothing after the last byte of ``view`` is read.
        """
        proto = self._protocol
        size = len(view)
        pos = self.filled = 0
        chunks = proto.chunks
        while chunks and pos < size:
            chunk = chunks.popleft()
            take = min(len(chunk), size - pos)
            view[pos : pos + take] = chunk[:take] if take < len(chunk) else chunk
            pos += take
            proto.buffered -= take
            if take < len(chunk):
                chunks.appendleft(chunk[take:])
        self.filled = pos
        if pos == size:
            return pos
        if proto.error is not None or proto.eof or self.closed:
            self._raise_if_failed()
            return pos
        if proto.paused_reading:
            proto.paused_reading = False
            self.transport.resume_reading()
        rest = view[pos:]
        filler = _FillProtocol(proto, rest)
        self.transport.set_protocol(filler)
        try:
            await self.wait_readable(deadline)
        finally:
            self.filled = pos + filler.filled
            proto.read_waiter = None
            self._read_deadline = None
            filler.view = None
            if self.transport.get_protocol() is filler:
                self.transport.set_protocol(proto)
            try:
                rest.release()
            except BufferError:  # pragma: no cover - a slice outlived its read
                pass
        pos += filler.filled
        if pos < size:
            self._raise_if_failed()
        return pos

    def cancel(self, exc: TransportError) -> None:
        """Make the pending read or drain, and every later one, raise ``exc`` (the socket's
        owner is being told to give it up; see ``HTTPConnection.cancel``)."""
        proto = self._protocol
        if proto.error is None:
            proto.error = exc
        proto.chunks.clear()
        proto.buffered = 0
        for waiter in (proto.read_waiter, proto.drain_waiter):
            if waiter is not None and not waiter.done():
                waiter.set_exception(exc)

    def _raise_if_failed(self) -> None:
        """Nothing more will be received: raise the connection's error, or EBADF when it was
        closed on our side; return at a plain EOF (the peer closed)."""
        proto = self._protocol
        if proto.error is not None:
            raise proto.error
        if self.closed and not proto.lost:
            raise TransportError(EBADF)

    def unread(self, data: bytes) -> None:
        """Put ``data`` back in front of the receive buffer."""
        if data:
            self._protocol.chunks.appendleft(bytes(data))
            self._protocol.buffered += len(data)

    # -- writing ------------------------------------------------------------------------------
    def _check_writable(self) -> None:
        proto = self._protocol
        if proto.error is not None:
            raise proto.error
        if self.closed or proto.lost or self.transport.is_closing():
            raise TransportError(ECONNRESET if not self.closed else EBADF)

    async def write(self, data: bytes | bytearray | memoryview | Iterable[bytes], deadline: float | None = None) -> None:
        """Write ``data`` (one buffer or an iterable of buffers) and wait for flow control."""
        if self.write_nowait(data):
            await self.drain(deadline)

    def _tls_ended_by_peer(self) -> bool:
        """The peer ended this TLS session (close_notify, EOF or a fatal alert; not a reset)
        and it was not closed here. asyncio then closes the transport, but the socket Swoole
        writes to would still take the bytes (the kernel accepts a write after the peer's FIN):
        the failure shows on the next read instead (e.g. a server refusing the client
        certificate after a TLS 1.3 handshake: statusCode -3, errCode 104, never -4)."""
        proto = self._protocol
        if self.closed or not (proto.lost or proto.eof or self.transport.is_closing()):
            return False
        if self.transport.get_extra_info("sslcontext") is None:
            return False
        return proto.error is None or proto.error.code == ECONNRESET and proto.tls_peer_closed

    def _send_after_peer_fin(self, data: bytes | bytearray | memoryview | Iterable[bytes]) -> bool:
        """Plain TCP after the peer's FIN, nothing queued: send directly, so that a refusal
        (the peer's RST arrived: EPIPE, as Swoole's send() reports it) comes with its errno
        instead of the transport's deferred ``connection_lost``."""
        payload = data if isinstance(data, (bytes, bytearray, memoryview)) else b"".join(data)
        try:
            sent = self.sock.send(payload)
        except (BlockingIOError, InterruptedError):
            sent = 0
        except OSError as exc:
            error = from_exception(exc)
            if self._protocol.error is None:
                self._protocol.error = error
            self.abort()
            raise error from None
        if sent < len(payload):
            self.transport.write(memoryview(payload)[sent:])
        return self._protocol.write_paused

    def write_nowait(self, data: bytes | bytearray | memoryview | Iterable[bytes]) -> bool:
        """:meth:`write` without the wait: True when the caller must ``await drain()`` (the
        transport's buffer is over its high-water mark). Raises :class:`TransportError`."""
        proto = self._protocol
        transport = self.transport
        if proto.error is not None or self.closed or proto.lost or transport.is_closing():
            if self._tls_ended_by_peer():
                return False  # dropped, as the kernel would take them (see _tls_ended_by_peer)
            self._check_writable()  # raises
        elif proto.eof and transport.get_write_buffer_size() == 0 and transport.get_extra_info("sslcontext") is None:
            return self._send_after_peer_fin(data)
        if type(data) is bytes or isinstance(data, (bytes, bytearray, memoryview)):
            transport.write(data)
        else:
            transport.writelines(data)
        if proto.write_paused:
            return True
        if proto.error is not None or self.closed or proto.lost or transport.is_closing():
            self._check_writable()  # raises: the write failed at once
        return False

    async def drain(self, deadline: float | None = None) -> None:
        proto = self._protocol
        while True:
            if self._tls_ended_by_peer():
                return  # the failure shows on the next read (see _tls_ended_by_peer)
            if not proto.write_paused:
                break
            self._check_writable()
            waiter = self._loop.create_future()
            proto.drain_waiter = waiter
            timer = None if deadline is None else self._loop.call_at(deadline, _expire, waiter)
            try:
                await waiter
            except TransportError:
                if self._tls_ended_by_peer():
                    return
                raise
            finally:
                proto.drain_waiter = None
                if timer is not None:
                    timer.cancel()
        self._check_writable()

    async def sendfile(self, file: Any, offset: int, count: int) -> int:
        """Send ``count`` bytes of ``file`` from ``offset`` (zero-copy where the loop allows).

        Returns the number of bytes sent: fewer than ``count`` when the file ended early.
        """
        self._check_writable()
        try:
            sent = await self._loop.sendfile(self.transport, file, offset, count)
        except (OSError, RuntimeError) as exc:
            raise from_exception(exc) from None
        self._check_writable()
        return int(sent)

    # -- state --------------------------------------------------------------------------------
    def is_alive(self) -> bool:
        """True if the connection can carry another request (Swoole's liveness check).

        The event loop reads eagerly, so EOF and resets are normally already recorded by the
        protocol; a non-blocking ``MSG_PEEK`` catches one that is still in the kernel.
        """
        proto = self._protocol
        if self.closed or proto.eof or proto.error is not None or proto.lost:
            return False
        if proto.chunks:
            return True
        # A zero-timeout poll() answers "nothing pending" without the BlockingIOError a peek
        # raises then (the common case); data, EOF or an error pending are told apart by the
        # peek below, exactly as before.
        poller = self._poller
        if poller is None:
            poller = self._poller = select.poll()
            poller.register(self.fd, select.POLLIN | select.POLLPRI)
        try:
            if not poller.poll(0):
                return True
        except OSError:
            pass
        try:
            peeked = self.sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
        except (BlockingIOError, InterruptedError):
            return True
        except OSError:
            return False
        return bool(peeked)

    def liveness_error(self) -> TransportError:
        """The error a dead connection reports (ECONNRESET when the peer simply closed)."""
        return self._protocol.error or TransportError(ECONNRESET)

    @property
    def at_eof(self) -> bool:
        return self._protocol.eof and not self._protocol.chunks

    def close(self) -> None:
        """Close at once (no TLS close_notify wait); idempotent."""
        if self.closed:
            return
        self.closed = True
        self._cancel_timer()
        self._protocol._wake_reader()
        waiter = self._protocol.drain_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
        self.transport.abort() if self._protocol.error is not None else self.transport.close()

    def abort(self) -> None:
        """Close without flushing (used after failures and cancellation)."""
        if not self.closed:
            self.closed = True
            self._protocol._wake_reader()
        self._cancel_timer()
        self.transport.abort()

    def sockname(self) -> Any:
        return self.transport.get_extra_info("sockname")

    def peername(self) -> Any:
        return self.transport.get_extra_info("peername")

    def peer_cert_der(self) -> bytes | None:
        ssl_obj = self.transport.get_extra_info("ssl_object")
        if ssl_obj is None:
            return None
        return ssl_obj.getpeercert(binary_form=True)

    @property
    def is_tls(self) -> bool:
        return self.transport.get_extra_info("ssl_object") is not None
