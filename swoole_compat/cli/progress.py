"""Progress bars for the command line: tqdm, else rich, else a plain text line.

tqdm and rich are optional (``pip install 'swoole_compat[cli]'`` installs tqdm); the runtime
dependencies stay h11, wsproto and brotli. ``SWOOLE_COMPAT_PROGRESS`` picks a backend by
hand: ``tqdm``, ``rich``, ``text`` or ``off``.

The client has no progress callback (Swoole has none), so the numbers are observed from the
outside while a request runs, by polling every :data:`POLL_INTERVAL` seconds:

* downloads: the size of the file that ``download()`` writes, against the response's
  ``Content-Length`` once the head has arrived (``headers`` is filled before the body);
* uploads: the bytes the peer has acknowledged, read from the kernel (``TCP_INFO``
  ``tcpi_bytes_acked``, Linux only) through the client's public ``socket.fd``. Where that is not
  available (UNIX sockets, other systems) the bar only moves when the request ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import struct
import sys
import time
from typing import AsyncIterator, Callable, TextIO

__all__ = ["Progress", "make_progress", "backend_name", "watch", "tcp_bytes_acked", "human_bytes", "POLL_INTERVAL"]

POLL_INTERVAL = 0.1
ENV_BACKEND = "SWOOLE_COMPAT_PROGRESS"

# struct tcp_info (linux/tcp.h): tcpi_bytes_acked is the u64 at offset 120 (kernel >= 4.1).
_TCP_INFO_SIZE = 136
_BYTES_ACKED_OFFSET = 120


def human_bytes(count: float) -> str:
    """``1536`` → ``1.5 KiB``."""
    value = float(count)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(value) < 1024 or unit == "GiB":
            return f"{int(value)} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"  # pragma: no cover - loop always returns


def tcp_bytes_acked(fd: int) -> int | None:
    """Bytes of ours the peer has acknowledged on TCP socket ``fd``; None where unknown."""
    if not sys.platform.startswith("linux") or not hasattr(socket, "TCP_INFO"):
        return None
    try:
        sock = socket.socket(fileno=os.dup(fd))
    except OSError:
        return None
    try:
        if sock.family not in (socket.AF_INET, socket.AF_INET6):
            return None
        info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, _TCP_INFO_SIZE)
    except OSError:
        return None
    finally:
        sock.close()
    if len(info) < _BYTES_ACKED_OFFSET + 8:
        return None
    return int(struct.unpack_from("=Q", info, _BYTES_ACKED_OFFSET)[0])


class Progress:
    """The interface every backend has. ``update`` takes absolute values."""

    def update(self, done: int, total: int | None = None) -> None:  # pragma: no cover - interface
        pass

    def close(self, done: int | None = None, total: int | None = None) -> None:  # pragma: no cover
        pass


class _Null(Progress):
    pass


class _Text(Progress):
    """``label  42% [########............]  1.2 MiB / 2.9 MiB  3.1 MiB/s``.

    On a terminal the line is redrawn in place; elsewhere (forced with ``--progress``) a line is
    written at most once a second, plus the final one.
    """

    WIDTH = 24

    def __init__(self, label: str, total: int | None, stream: TextIO) -> None:
        self.label = label
        self.total = total
        self.stream = stream
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self.start = time.monotonic()
        self.last_draw = 0.0
        self.done = 0
        self.closed = False

    def _line(self) -> str:
        elapsed = max(time.monotonic() - self.start, 1e-6)
        speed = f"{human_bytes(self.done / elapsed)}/s"
        if self.total:
            ratio = min(self.done / self.total, 1.0)
            filled = int(ratio * self.WIDTH)
            bar = "#" * filled + "." * (self.WIDTH - filled)
            return (f"{self.label} {ratio * 100:3.0f}% [{bar}] {human_bytes(self.done)} / "
                    f"{human_bytes(self.total)}  {speed}")
        return f"{self.label} {human_bytes(self.done)}  {speed}"

    def _draw(self, final: bool = False) -> None:
        now = time.monotonic()
        if not final and now - self.last_draw < (0.1 if self.tty else 1.0):
            return
        self.last_draw = now
        line = self._line()
        if final:
            line += f"  in {now - self.start:.2f} s"
        if self.tty:
            self.stream.write("\r\x1b[K" + line + ("\n" if final else ""))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def update(self, done: int, total: int | None = None) -> None:
        if total is not None:
            self.total = total
        self.done = done
        self._draw()

    def close(self, done: int | None = None, total: int | None = None) -> None:
        if self.closed:
            return
        self.closed = True
        if total is not None:
            self.total = total
        if done is not None:
            self.done = done
        self._draw(final=True)


class _Tqdm(Progress):
    def __init__(self, label: str, total: int | None, stream: TextIO) -> None:
        from tqdm import tqdm

        self.bar = tqdm(total=total, desc=label, unit="B", unit_scale=True, unit_divisor=1024, file=stream,
                        leave=True)

    def update(self, done: int, total: int | None = None) -> None:
        if total is not None and total != self.bar.total:
            self.bar.total = total
            self.bar.refresh()
        if done != self.bar.n:
            self.bar.update(done - self.bar.n)

    def close(self, done: int | None = None, total: int | None = None) -> None:
        if done is not None:
            self.update(done, total)
        self.bar.close()


class _Rich(Progress):
    def __init__(self, label: str, total: int | None, stream: TextIO) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress as RichProgress,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        self.progress = RichProgress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=Console(file=stream),
        )
        self.progress.start()
        self.task = self.progress.add_task(label, total=total)

    def update(self, done: int, total: int | None = None) -> None:
        if total is not None:
            self.progress.update(self.task, total=total)
        self.progress.update(self.task, completed=done)

    def close(self, done: int | None = None, total: int | None = None) -> None:
        if done is not None:
            self.update(done, total)
        self.progress.stop()


def _importable(name: str) -> bool:
    try:
        __import__(name)
    except ImportError:
        return False
    return True


def backend_name() -> str:
    """``tqdm``, ``rich``, ``text`` or ``off``: what :func:`make_progress` would use."""
    wanted = os.environ.get(ENV_BACKEND, "").strip().lower()
    if wanted in ("off", "none", "0"):
        return "off"
    if wanted == "text":
        return "text"
    if wanted in ("tqdm", "rich"):
        return wanted if _importable(wanted) else "text"
    for name in ("tqdm", "rich"):
        if _importable(name):
            return name
    return "text"


def make_progress(label: str, total: int | None = None, enabled: bool | None = None,
                  stream: TextIO | None = None) -> Progress:
    """A progress bar on ``stream`` (stderr). ``enabled`` None means "when stderr is a terminal"."""
    out = stream if stream is not None else sys.stderr
    if enabled is None:
        enabled = bool(getattr(out, "isatty", lambda: False)())
    name = backend_name() if enabled else "off"
    if name == "tqdm":
        return _Tqdm(label, total, out)
    if name == "rich":
        return _Rich(label, total, out)
    if name == "text":
        return _Text(label, total, out)
    return _Null()


@contextlib.asynccontextmanager
async def watch(bar: Progress, poll: Callable[[], tuple[int, int | None]]) -> AsyncIterator[None]:
    """Call ``poll() -> (done, total)`` every :data:`POLL_INTERVAL` seconds while the block runs
    and feed the bar; the bar is closed with a last poll when the block ends."""
    if isinstance(bar, _Null):
        yield
        return

    async def loop() -> None:
        while True:
            done, total = poll()
            bar.update(done, total)
            await asyncio.sleep(POLL_INTERVAL)

    task = asyncio.get_running_loop().create_task(loop())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        done, total = poll()
        bar.close(done, total)
