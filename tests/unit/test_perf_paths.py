"""Behaviour of the performance changes outside the response reader (docs/performance.md).

* ``Stream``: one lazily re-armed read timer per stream instead of one per read; ``is_alive``
  answering from ``poll()`` before peeking; adaptive ``recv()`` size; ``read_nowait`` /
  ``wait_readable`` / ``write_nowait``.
* WebSocket: the ``push()`` fast path encodes exactly what ``FrameObject::pack`` does; masking
  keys come from pooled ``os.urandom`` blocks (fresh in a forked child).
"""

from __future__ import annotations

import asyncio
import os
import socket
from typing import Any

import pytest

from swoole_compat._protocol import frames
from swoole_compat._transport import stream as stream_mod
from swoole_compat._transport.errno import ETIMEDOUT, TransportError
from swoole_compat._transport.stream import Stream
from swoole_compat.coroutine.http import _websocket

FIN, COMPRESS, RSV1, RSV2, RSV3, MASK = 1, 2, 4, 8, 16, 32


async def _pair() -> tuple[Stream, socket.socket]:
    """A Stream on one end of a connected socket pair, and the raw other end."""
    a, b = socket.socketpair()
    a.setblocking(False)
    b.setblocking(False)
    return await Stream.wrap(a), b


# ------------------------------------------------------------------------------------------
# read deadlines: one timer per stream
# ------------------------------------------------------------------------------------------


async def test_read_deadline_expires_on_time() -> None:
    stream, peer = await _pair()
    loop = asyncio.get_running_loop()
    try:
        start = loop.time()
        with pytest.raises(TransportError) as info:
            await stream.read(start + 0.15)
        assert info.value.code == ETIMEDOUT
        assert 0.14 <= loop.time() - start < 1.0
        peer.send(b"still usable")
        assert await stream.read(loop.time() + 2) == b"still usable"
    finally:
        stream.close()
        peer.close()


async def test_a_later_deadline_reuses_the_armed_timer_and_rearms() -> None:
    stream, peer = await _pair()
    loop = asyncio.get_running_loop()
    try:
        # First read arms the timer at +0.1 s and gets data at once.
        peer.send(b"x")
        assert await stream.read(loop.time() + 0.1) == b"x"
        timer = stream._timer
        assert timer is not None
        # A read with a later deadline keeps that timer (no new handle) ...
        start = loop.time()
        task = asyncio.ensure_future(stream.read(start + 0.4))
        await asyncio.sleep(0.02)
        assert stream._timer is timer
        # ... which fires at +0.1 s, finds the deadline still ahead and re-arms for it:
        # the read times out at its own deadline, not the earlier one.
        with pytest.raises(TransportError):
            await task
        assert loop.time() - start >= 0.38
    finally:
        stream.close()
        peer.close()


async def test_an_earlier_deadline_rearms_sooner() -> None:
    stream, peer = await _pair()
    loop = asyncio.get_running_loop()
    try:
        peer.send(b"x")
        assert await stream.read(loop.time() + 30) == b"x"
        start = loop.time()
        with pytest.raises(TransportError):
            await stream.read(start + 0.1)
        assert loop.time() - start < 5
    finally:
        stream.close()
        peer.close()


async def test_read_without_deadline_is_not_expired_by_an_old_timer() -> None:
    stream, peer = await _pair()
    loop = asyncio.get_running_loop()
    try:
        peer.send(b"x")
        assert await stream.read(loop.time() + 0.05) == b"x"  # timer armed at +0.05 s
        task = asyncio.ensure_future(stream.read())
        await asyncio.sleep(0.2)  # the timer fired meanwhile
        assert not task.done()
        peer.send(b"late")
        assert await task == b"late"
    finally:
        stream.close()
        peer.close()


async def test_close_cancels_the_timer() -> None:
    stream, peer = await _pair()
    loop = asyncio.get_running_loop()
    peer.send(b"x")
    assert await stream.read(loop.time() + 60) == b"x"
    timer = stream._timer
    assert timer is not None and not timer.cancelled()
    stream.close()
    assert timer.cancelled() and stream._timer is None
    peer.close()


async def test_read_nowait_and_wait_readable() -> None:
    stream, peer = await _pair()
    loop = asyncio.get_running_loop()
    try:
        assert stream.read_nowait() is None
        waiter = stream.wait_readable(loop.time() + 5)
        peer.send(b"abc")
        await waiter
        assert stream.read_nowait() == b"abc"
        waiter = stream.wait_readable(loop.time() + 0.05)
        with pytest.raises(TransportError):
            await waiter
        peer.close()
        await stream.wait_readable()
        assert stream.read_nowait() == b""  # EOF
    finally:
        stream.close()


# ------------------------------------------------------------------------------------------
# liveness: poll() first, the peek only when something is pending
# ------------------------------------------------------------------------------------------


async def test_is_alive_idle_data_and_eof() -> None:
    stream, peer = await _pair()
    try:
        assert stream.is_alive()
        # Bytes still in the kernel (the loop has not read them yet): alive.
        peer.send(b"pending")
        assert stream.is_alive()
        assert await stream.read() == b"pending"
        assert stream.is_alive()
        # A FIN still in the kernel: the peek tells EOF apart from data.
        peer.shutdown(socket.SHUT_WR)
        assert stream.is_alive() is False
    finally:
        stream.close()
        peer.close()


# ------------------------------------------------------------------------------------------
# recv() size
# ------------------------------------------------------------------------------------------


async def test_recv_size_adapts_to_the_traffic() -> None:
    stream, peer = await _pair()
    transport: Any = stream.transport
    proto = stream._protocol
    try:
        if not isinstance(getattr(transport, "max_size", None), int):
            pytest.skip("the event loop's transport has no max_size")
        assert transport.max_size == stream_mod.SMALL_READ_SIZE == proto.read_size
        proto.data_received(b"x" * stream_mod.SMALL_READ_SIZE)  # a full read: bulk transfer
        assert transport.max_size == stream_mod.BULK_READ_SIZE
        proto.data_received(b"x" * (stream_mod.SMALL_READ + 1))  # not small enough to go back
        assert transport.max_size == stream_mod.BULK_READ_SIZE
        proto.data_received(b"x" * 100)
        assert transport.max_size == stream_mod.SMALL_READ_SIZE
        assert len(await stream.read()) == stream_mod.SMALL_READ_SIZE + stream_mod.SMALL_READ + 101
        # Real traffic through both sizes arrives intact.
        blob = os.urandom(3 * stream_mod.BULK_READ_SIZE)
        writer = asyncio.get_running_loop().sock_sendall(peer, blob)
        got = bytearray()
        send = asyncio.ensure_future(writer)
        while len(got) < len(blob):
            got += await stream.read()
        await send
        assert got == blob
    finally:
        stream.close()
        peer.close()


async def test_write_nowait_reports_the_need_to_drain() -> None:
    stream, peer = await _pair()
    try:
        assert stream.write_nowait(b"hello") is False
        assert peer.recv(16) == b"hello"
        stream._protocol.write_paused = True  # as pause_writing() sets it
        assert stream.write_nowait([b"a", b"b"]) is True
        stream._protocol.write_paused = False
    finally:
        stream.close()
        peer.close()


# ------------------------------------------------------------------------------------------
# WebSocket push fast path and masking keys
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mask", [True, False])
@pytest.mark.parametrize("opcode", [1, 2])
@pytest.mark.parametrize("size", [0, 1, 125, 126, 65535, 65536, 70000])
def test_push_fast_path_encodes_what_pack_encodes(monkeypatch: pytest.MonkeyPatch, mask: bool, opcode: int, size: int) -> None:
    monkeypatch.setattr(frames, "_random_key", lambda: b"\x01\x02\x03\x04")
    settings = _websocket.Settings()
    settings.apply({"websocket_mask": mask})
    session = _websocket.Session(False, 1 << 20)
    data = os.urandom(size)
    slow = _websocket.pack(session, settings, data, opcode, FIN, 1000, "push")
    fast = _websocket.push_frame(session, settings, data, opcode, FIN)
    assert fast == slow == frames.encode_frame(opcode, data, fin=True, mask=mask)


def test_masking_keys_are_fresh_per_frame_and_per_process() -> None:
    keys = {frames._random_key() for _ in range(3000)}
    assert len(keys) > 2990  # 32 random bits each
    assert len({frames.encode_frame(1, b"x", fin=True, mask=True)[2:6] for _ in range(50)}) > 45
    if not hasattr(os, "fork"):
        return
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        os.write(write_end, frames._random_key())
        os._exit(0)
    os.waitpid(pid, 0)
    child_key = os.read(read_end, 4)
    os.close(read_end)
    os.close(write_end)
    # Without the reset at fork the child would hand out the parent's next key.
    assert child_key != frames._random_key()
