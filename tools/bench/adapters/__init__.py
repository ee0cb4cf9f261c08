"""Client adapters: one module per client library, each with ``RUNNERS``, a table from
scenario name to ``async def runner(ctx, meter)``, and ``LIBRARY``, the module the worker
imports before it measures its memory baseline. A scenario a client cannot run is absent from
its table (reported as n/a)."""

from __future__ import annotations

import asyncio
import gc
import os
from typing import Any, Awaitable, Callable

from ..common import Ctx, Meter, check, open_fds, status_mib

Runner = Callable[[Ctx, Meter], Awaitable[None]]


def common_scenarios(bodies: Callable[..., Any], ws: Callable[..., Any] | None) -> dict[str, Runner]:
    """body_mem, gzip and chunked (and ws_small, ws_big given ``ws``) as the same calls of one
    client's body loop (``bodies(ctx, m, file key, repetitions, expected header)``; header
    names in lower case, which every client's header lookup accepts) and WebSocket loop
    (``ws(ctx, m, n, size)``)."""
    table: dict[str, Runner] = {
        "body_mem": lambda ctx, m: bodies(ctx, m, "big", ctx.sizes["big_reps"], None),
        "gzip": lambda ctx, m: bodies(ctx, m, "text", ctx.sizes["text_reps"], ("content-encoding", "gzip")),
        "chunked": lambda ctx, m: bodies(ctx, m, "chunked", ctx.sizes["chunked_reps"], ("transfer-encoding", "chunked")),
    }
    if ws is not None:
        table["ws_small"] = lambda ctx, m: ws(ctx, m, ctx.sizes["ws_small_n"], ctx.sizes["ws_small_size"])
        table["ws_big"] = lambda ctx, m: ws(ctx, m, ctx.sizes["ws_big_n"], ctx.sizes["ws_big_size"])
    return table


class ManyConnections:
    """Bookkeeping of the conns_10k scenario, the same for every client: fds and RSS before
    the connections exist, once they are all open and idle, at the end, and after close()."""

    def __init__(self, ctx: Ctx, m: Meter) -> None:
        self.n = ctx.sizes["conns_n"]
        self.reqs = ctx.sizes["conns_reqs"]
        self.m = m
        gc.collect()
        self.fds0 = open_fds()
        self.rss0 = status_mib("VmRSS")
        self.hwm0 = status_mib("VmHWM")
        self.t_open = 0.0

    def opened(self, seconds: float) -> None:
        """All connections are open, each has answered one request and is idle."""
        gc.collect()
        self.t_open = seconds
        fds = open_fds() - self.fds0
        check(fds >= self.n, f"only {fds} sockets open for {self.n} connections")
        rss = status_mib("VmRSS")
        self.m.extra.update(
            open_seconds=round(seconds, 3),
            fds_open=fds,
            idle_kib_per_conn=round((rss - self.rss0) * 1024 / self.n, 2),
        )

    async def closed(self) -> None:
        """Called after every connection was closed: let the loop run the transports'
        connection_lost callbacks (which close the sockets), then count the fds."""
        for _ in range(5):
            await asyncio.sleep(0)
        await asyncio.sleep(0.05)
        left = open_fds() - self.fds0
        hwm = status_mib("VmHWM")
        self.m.extra.update(
            fds_left_after_close=left,
            peak_kib_per_conn=round((hwm - self.rss0) * 1024 / self.n, 2),
        )
        if left > 0:
            names = sorted(os.listdir("/proc/self/fd"))[-3:]
            check(False, f"{left} of {self.n} fds still open after close() (e.g. fd {names})")


