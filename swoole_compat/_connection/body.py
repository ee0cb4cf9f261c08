"""Writing one HTTP request (head and body) to a :class:`~swoole_compat._transport.stream.Stream` with flow control.

The body arrives as pieces (see ``_protocol/multipart.py``): bytes-like objects -- the caller's
own ``setData()``/``post()`` bytes, an encoded non-ASCII ``str``, multipart part heads and
``addData()`` contents --, :class:`AsciiText` for an ASCII ``str`` body or a urlencoded form
(encoded :data:`TEXT_CHUNK` characters at a time while it is written), and
:class:`FileSlice` descriptors for ``addFile()`` parts.

* Small pieces are gathered and written together (the head goes out with the body when the
  body is small, as one ``send``); a large piece is written as ``memoryview`` slices of the
  caller's object, at most :data:`SLICE` bytes at a time, each after the transport's buffer
  has drained below its low-water mark. asyncio's transports keep only what the socket did
  not take at once, so at most about one slice of the body is ever copied, whatever its size
  (one ``write()`` of a 256 MiB body copied it into the transport's buffer and, as that
  buffer shrank, copied the rest again).
* File slices go through ``loop.sendfile()`` (``os.sendfile`` on plain TCP); over TLS, where
  the kernel cannot encrypt, they are read and written in :data:`FILE_CHUNK` pieces under the
  same flow control.
* One deadline (``write_timeout``) covers the whole request; the call returns once every byte
  was handed to the kernel (Swoole's ``send_all()``), so a peer that stops reading fails the
  write (110), not the response wait that follows.

Every failure is a :class:`TransportError`: socket errors (32, 104, ...), 110 past the
deadline, ``open(<path>) failed, <strerror>`` with the ``errno`` for a file that cannot be
opened at send time, and 502 ``sendfile return zero`` for a file shorter than announced.
"""

from __future__ import annotations

import asyncio
import os
from typing import TYPE_CHECKING, Any, Sequence, Union

from .._protocol.multipart import AsciiText, FileSlice
from .._transport.errno import ETIMEDOUT, TransportError

if TYPE_CHECKING:
    from .._transport.stream import Stream

SLICE = 256 * 1024
"""Most bytes of a large piece handed to the transport in one ``write()``."""

COALESCE = 64 * 1024
"""Pieces are gathered into one write while their total stays within this size (the head
with a small body, the small pieces around multipart contents)."""

FILE_CHUNK = 256 * 1024
"""Read size for file content that cannot go through ``sendfile`` (TLS)."""

TEXT_CHUNK = 64 * 1024
"""Characters of an :class:`AsciiText` encoded at a time (the slice and its ``bytes`` stay
below glibc's mmap threshold, so they come from the heap and cost no page faults)."""

SW_ERROR_SYSTEM_CALL_FAIL = 502

BodyPiece = Union[bytes, bytearray, memoryview, AsciiText, FileSlice]


async def write_request(
    stream: Stream, head: bytes, pieces: Sequence[BodyPiece], deadline: float | None = None
) -> None:
    """Write ``head`` and then every piece of ``pieces``, in order, to ``stream``.

    ``deadline`` is a ``loop.time()`` value covering the whole request (None: no limit).
    Returns once every byte is in the kernel's hands; raises :class:`TransportError`.
    """
    batch: list[Any] = [head] if head else []
    batched = len(head)
    for piece in pieces:
        if isinstance(piece, FileSlice):
            if batch:
                await _write_batch(stream, batch, deadline)
                batch, batched = [], 0
            await _send_file(stream, piece, deadline)
            continue
        if isinstance(piece, AsciiText):
            text = piece.text
            if len(text) > COALESCE:
                if batch:
                    await _write_batch(stream, batch, deadline)
                    batch, batched = [], 0
                await _write_text(stream, text, deadline)
                continue
            piece = text.encode("ascii")
        size = len(piece) if type(piece) is bytes else memoryview(piece).nbytes
        if not size:
            continue
        if batched + size <= COALESCE:
            batch.append(piece)
            batched += size
            continue
        if batch:
            await _write_batch(stream, batch, deadline)
            batch, batched = [], 0
        if size <= COALESCE:
            batch.append(piece)
            batched = size
        else:
            await _write_slices(stream, piece, deadline)
    if batch:
        await _write_batch(stream, batch, deadline)
    await _flushed(stream, deadline)


async def _write_batch(stream: Stream, batch: list[Any], deadline: float | None) -> None:
    if stream.write_nowait(batch[0] if len(batch) == 1 else b"".join(batch)):
        await stream.drain(deadline)


async def _write_slices(stream: Stream, piece: bytes | bytearray | memoryview, deadline: float | None) -> None:
    """``piece`` as ``memoryview`` slices of at most :data:`SLICE` bytes, each written once the
    transport has drained below its low-water mark."""
    with memoryview(piece) as view:
        if view.ndim != 1 or view.itemsize != 1:
            view = view.cast("B")  # C-contiguous multi-byte or multi-dimensional buffers
        size = view.nbytes
        pos = 0
        write_nowait = stream.write_nowait
        while pos < size:
            # The slice is not released here: a transport may keep it until it is sent
            # (asyncio's TLS layer when OpenSSL asks to read first); it dies with the last
            # reference to it.
            paused = write_nowait(view[pos : pos + SLICE])
            pos += SLICE
            if paused:
                await stream.drain(deadline)


async def _write_text(stream: Stream, text: str, deadline: float | None) -> None:
    """An ASCII ``str`` encoded :data:`TEXT_CHUNK` characters at a time, under flow control."""
    size = len(text)
    pos = 0
    write_nowait = stream.write_nowait
    while pos < size:
        paused = write_nowait(text[pos : pos + TEXT_CHUNK].encode("ascii"))
        pos += TEXT_CHUNK
        if paused:
            await stream.drain(deadline)


async def _flushed(stream: Stream, deadline: float | None) -> None:
    """Wait until the transport's buffer is empty: the request is then wholly in the kernel's
    send buffer, where Swoole's ``send_all()`` leaves it. The transport's limits are lowered
    to zero for the wait (its resume_writing() then means "empty") and put back after it."""
    transport = stream.transport
    if not transport.get_write_buffer_size():
        return  # the last write_nowait() found the connection healthy
    low, high = transport.get_write_buffer_limits()
    transport.set_write_buffer_limits(0, 0)
    try:
        await stream.drain(deadline)
    finally:
        if not transport.is_closing():
            transport.set_write_buffer_limits(high, low)


async def _send_file(stream: Stream, piece: FileSlice, deadline: float | None) -> None:
    try:
        fh = open(piece.path, "rb")
    except OSError as exc:
        code = exc.errno or 0
        raise TransportError(code, f"open({piece.path}) failed, {os.strerror(code)}") from None
    with fh:
        if stream.is_tls:
            sent = await _copy_file(stream, fh, piece, deadline)
        else:
            await _flushed(stream, deadline)
            sent = await _with_deadline(stream.sendfile(fh, piece.offset, piece.size), deadline)
    if sent < piece.size:
        # The file shrank after addFile(): upstream's sendfile() loop stops with this error
        # instead of sending a body shorter than its Content-Length.
        raise TransportError(SW_ERROR_SYSTEM_CALL_FAIL, "sendfile return zero")


async def _copy_file(stream: Stream, fh: Any, piece: FileSlice, deadline: float | None) -> int:
    """Read-and-write fallback (TLS): :data:`FILE_CHUNK` reads, each written under flow control."""
    fh.seek(piece.offset)
    sent = 0
    while sent < piece.size:
        chunk = fh.read(min(FILE_CHUNK, piece.size - sent))
        if not chunk:
            break
        sent += len(chunk)
        if stream.write_nowait(chunk):
            await stream.drain(deadline)
    return sent


async def _with_deadline(coro: Any, deadline: float | None) -> Any:
    if deadline is None:
        return await coro
    remaining = deadline - asyncio.get_running_loop().time()
    try:
        return await asyncio.wait_for(coro, max(remaining, 0.0))
    except asyncio.TimeoutError:
        raise TransportError(ETIMEDOUT) from None
