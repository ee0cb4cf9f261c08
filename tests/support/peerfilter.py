"""Make a listening TCP socket deaf to every peer but one source address (Linux, IPv4).

A classic BPF socket filter (``SO_ATTACH_FILTER``) on the listener drops every packet whose IPv4
*source* address is not the allowed one - SYNs included, so a client connecting from another local
address gets no SYN-ACK and its ``connect()`` hangs until its own timeout, exactly like a client
whose source address is not routed to the server (upstream ``bind_address`` sub-test 5: bound to
127.0.0.1, www.baidu.com cannot be reached). Accepted connections inherit the filter, so the
allowed peer is served normally::

    srv = await http_server(host="127.0.0.3")
    accept_only_from(srv.listening_socket, "127.0.0.2")   # raises PeerFilterUnavailable if it
                                                          # cannot be attached here
    await verify_filter(srv.host, srv.port, "127.0.0.2", "127.0.0.1")   # True when it works

The program (4 instructions): ``ld [SKF_NET_OFF + 12]`` (IPv4 source address), ``jeq #allowed``,
``ret #-1`` (keep), ``ret #0`` (drop).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import socket
import struct
import sys

SO_ATTACH_FILTER = 26
_SKF_NET_OFF = -0x100000
_BPF_LD_W_ABS = 0x20
_BPF_JEQ_K = 0x15
_BPF_RET_K = 0x06


class PeerFilterUnavailable(RuntimeError):
    """The platform cannot attach the socket filter."""


class _SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8), ("k", ctypes.c_uint32)]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_uint16), ("filter", ctypes.POINTER(_SockFilter))]


def accept_only_from(listener: socket.socket, source: str) -> None:
    """Attach the filter: ``listener`` only sees packets coming from ``source`` (an IPv4 literal)."""
    if not sys.platform.startswith("linux") or listener.family != socket.AF_INET:
        raise PeerFilterUnavailable("socket filters on IPv4 listeners need Linux")
    allowed = struct.unpack("!I", socket.inet_aton(source))[0]
    program = (_SockFilter * 4)(
        _SockFilter(_BPF_LD_W_ABS, 0, 0, (_SKF_NET_OFF + 12) & 0xFFFFFFFF),
        _SockFilter(_BPF_JEQ_K, 0, 1, allowed),
        _SockFilter(_BPF_RET_K, 0, 0, 0xFFFFFFFF),
        _SockFilter(_BPF_RET_K, 0, 0, 0),
    )
    fprog = _SockFprog(len(program), ctypes.cast(program, ctypes.POINTER(_SockFilter)))
    try:
        listener.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, ctypes.string_at(ctypes.addressof(fprog), ctypes.sizeof(fprog)))
    except OSError as exc:
        raise PeerFilterUnavailable(f"SO_ATTACH_FILTER failed: {exc}") from exc


async def _connect_from(source: str, host: str, port: int, timeout: float) -> bool:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setblocking(False)
    try:
        sock.bind((source, 0))
        await asyncio.wait_for(asyncio.get_running_loop().sock_connect(sock, (host, port)), timeout)
    except (OSError, asyncio.TimeoutError):
        return False
    finally:
        with contextlib.suppress(OSError):
            sock.close()
    return True


async def verify_filter(host: str, port: int, allowed: str, other: str, timeout: float = 0.3) -> bool:
    """True when a plain socket from ``allowed`` connects and one from ``other`` hangs."""
    return await _connect_from(allowed, host, port, timeout) and not await _connect_from(other, host, port, timeout)
