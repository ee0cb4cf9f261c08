"""A loopback TCP address whose ``connect()`` hangs (upstream ``connect_timeout``).

Offline, unroutable addresses fail at once (ENETUNREACH), so the hang is made on loopback: a
socket listens with ``listen(0)`` and is never ``accept()``-ed; filler connections complete their
handshakes until the accept queue is full. From then on Linux silently drops new SYNs, so a further
connect just retransmits its SYN (1 s, 3 s, 7 s, ...) and hangs until the caller's timeout::

    async with Blackhole() as hole:        # or the ``blackhole`` fixture (skips if unavailable)
        hole.host, hole.port, hole.address # ("127.0.0.1", port)
        await hole.verify(1.1)             # True if a plain asyncio connect hangs > 1.1 s

:meth:`Blackhole.start` fills the queue (each filler gets 0.1 s to complete; the first one that
does not marks the queue full). It raises :class:`BlackholeUnavailable` when the platform does not
behave that way - e.g. when ``net.ipv4.tcp_abort_on_overflow=1`` makes the kernel refuse instead of
drop, on non-Linux kernels whose backlog handling differs, or in sandboxes with their own TCP
stack. Fallback: the ``blackhole`` fixture then skips the test with that reason; the alternative is
a client-side connector hook that never completes, which the client does not offer.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import sys
from typing import Any


class BlackholeUnavailable(RuntimeError):
    """The accept-queue trick does not make connects hang here."""


class Blackhole:
    """A listening socket whose accept queue is kept full (see module doc)."""

    def __init__(self, host: str = "127.0.0.1", *, max_fillers: int = 64, settle: float = 0.1) -> None:
        """``max_fillers`` bounds the filling; ``settle`` is how long a filler may take."""
        self.host = host
        self.max_fillers = max_fillers
        self.settle = settle
        self.port = 0
        self._listener: socket.socket | None = None
        self._fillers: list[socket.socket] = []

    @property
    def address(self) -> tuple[str, int]:
        """``(host, port)`` to connect to."""
        return (self.host, self.port)

    async def __aenter__(self) -> Blackhole:
        """Start (may raise :class:`BlackholeUnavailable`)."""
        await self.start()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        """Close everything."""
        self.close()

    async def start(self) -> Blackhole:
        """Listen with backlog 0 and fill the accept queue."""
        if not sys.platform.startswith("linux"):
            raise BlackholeUnavailable(f"the listen(0) backlog trick is only reliable on Linux, not {sys.platform}")
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener = listener
        listener.bind((self.host, 0))
        listener.listen(0)
        self.port = listener.getsockname()[1]
        loop = asyncio.get_running_loop()
        try:
            for _ in range(self.max_fillers):
                filler = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                filler.setblocking(False)
                try:
                    await asyncio.wait_for(loop.sock_connect(filler, self.address), self.settle)
                except asyncio.TimeoutError:
                    filler.close()
                    return self
                except OSError as exc:
                    filler.close()
                    raise BlackholeUnavailable(f"filler connect failed instead of hanging: {exc!r}") from exc
                self._fillers.append(filler)
            raise BlackholeUnavailable(f"accept queue never filled after {self.max_fillers} connections")
        except BaseException:
            self.close()
            raise

    async def verify(self, timeout: float = 1.1) -> bool:
        """True if a plain ``asyncio.open_connection`` does not complete within ``timeout``."""
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection(*self.address), timeout)
        except asyncio.TimeoutError:
            return True
        except OSError:
            return False
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        return False

    def close(self) -> None:
        """Close the fillers and the listener (pending connects are then refused)."""
        for filler in self._fillers:
            filler.close()
        self._fillers.clear()
        if self._listener is not None:
            self._listener.close()
            self._listener = None
