"""Coroutine helpers mirroring ``Swoole\\Coroutine``: :func:`run`, :func:`go`, :func:`sleep`,
:func:`getcid`, and :class:`Socket`, the object behind a client's ``socket`` property.

The client works in any asyncio event loop; these helpers only make ported PHP code read alike.
"""

from __future__ import annotations

import asyncio
import itertools
import weakref
from typing import Any, Awaitable, Callable

from ..errors import SwooleError

__all__ = ["run", "go", "sleep", "getcid", "Socket"]

_ids = itertools.count(1)
_task_ids: "weakref.WeakKeyDictionary[asyncio.Task[Any], int]" = weakref.WeakKeyDictionary()
_background: set[asyncio.Task[Any]] = set()


def getcid() -> int:
    """A stable positive id for the current task (``Co::getCid()``); -1 outside a task."""
    try:
        task = asyncio.current_task()
    except RuntimeError:
        return -1
    if task is None:
        return -1
    cid = _task_ids.get(task)
    if cid is None:
        cid = _task_ids[task] = next(_ids)
    return cid


def run(fn: Callable[..., Awaitable[Any]], *args: Any) -> bool:
    """Run ``fn(*args)`` in a new event loop until it and every :func:`go` task finish.

    Raises :class:`SwooleError` when called inside a running loop (Swoole refuses nested
    schedulers). Exceptions from ``fn`` propagate.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        raise SwooleError("eventLoop has already been created, unable to start Swoole\\Coroutine\\Scheduler", 503)

    async def main() -> None:
        await fn(*args)
        while _background:
            await asyncio.gather(*list(_background))

    asyncio.run(main())
    return True


def go(fn: Callable[..., Awaitable[Any]], *args: Any) -> int:
    """Start ``fn(*args)`` as a task in the running loop and return its coroutine id."""
    task: asyncio.Task[Any] = asyncio.ensure_future(fn(*args))
    _background.add(task)
    task.add_done_callback(_background.discard)
    cid = _task_ids[task] = next(_ids)
    return cid


async def sleep(seconds: float) -> bool:
    """``Co::sleep()``."""
    await asyncio.sleep(seconds)
    return True


class Socket:
    """Read-only view of a client's connection (upstream ``Swoole\\Coroutine\\Socket``).

    ``close()`` closes the connection under the client, which then reports it as gone
    (errCode 5001 for WebSocket calls; HTTP requests reconnect).
    """

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self.fd: int = stream.fd
        self.errCode = 0
        self.errMsg = ""

    def _addr(self, value: Any) -> dict[str, Any] | bool:
        if isinstance(value, tuple):
            return {"address": value[0], "port": value[1]}
        if isinstance(value, str):
            return {"address": value, "port": 0}
        return False

    def getsockname(self) -> dict[str, Any] | bool:
        return self._addr(self._stream.sockname())

    def getpeername(self) -> dict[str, Any] | bool:
        return self._addr(self._stream.peername())

    def close(self) -> bool:
        if self._stream.closed:
            return False
        self._stream.close()
        return True

    def __repr__(self) -> str:
        return f"<swoole_compat.coroutine.Socket fd={self.fd}>"
