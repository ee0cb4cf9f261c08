"""aiohttp's ClientSession (its C HTTP parser and C WebSocket reader when built)."""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

from ..common import HOST, Ctx, Meter, check, verify_api, verify_bytes, verify_file
from . import ManyConnections, Runner, common_scenarios

LIBRARY = "aiohttp"


def _session(limit: int = 100, **connector: Any) -> Any:
    import aiohttp

    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=limit, **connector), timeout=aiohttp.ClientTimeout(total=None)
    )


async def get_seq(ctx: Ctx, m: Meter) -> None:
    url, expect, n = ctx.url("small"), ctx.small, ctx.sizes["seq_n"]
    async with _session(1) as session:
        m.start()
        for _ in range(n):
            async with session.get(url) as r:
                body = await r.read()
            if r.status != 200 or body != expect:
                check(False, f"small GET: status {r.status} or body mismatch")
        m.stop(n)


async def get_conc(ctx: Ctx, m: Meter) -> None:
    url, expect = ctx.url("small"), ctx.small
    clients, n = ctx.sizes["conc_clients"], ctx.sizes["conc_n"]
    async with _session(clients) as session:

        async def run() -> None:
            for _ in range(n):
                async with session.get(url) as r:
                    body = await r.read()
                if r.status != 200 or body != expect:
                    check(False, f"small GET: status {r.status} or body mismatch")

        m.start()
        await asyncio.gather(*(run() for _ in range(clients)))
        m.stop(n * clients)


async def _api_loop(session: Any, url: str, n: int) -> None:
    for _ in range(n):
        async with session.get(url) as r:
            body = await r.read()
        sid = r.cookies.get("sid")
        verify_api(r.status, body, r.headers.get("x-request-id"), sid.value if sid is not None else None)


async def api_seq(ctx: Ctx, m: Meter) -> None:
    n = ctx.sizes["api_seq_n"]
    async with _session(1) as session:
        m.start()
        await _api_loop(session, ctx.path_url("/api"), n)
        m.stop(n)


async def api_conc(ctx: Ctx, m: Meter) -> None:
    clients, n = ctx.sizes["api_conc_clients"], ctx.sizes["api_conc_n"]
    url = ctx.path_url("/api")
    async with _session(clients) as session:
        m.start()
        await asyncio.gather(*(_api_loop(session, url, n) for _ in range(clients)))
        m.stop(n * clients)


async def _bodies(ctx: Ctx, m: Meter, key: str, reps: int, header: tuple[str, str] | None) -> None:
    f = ctx.files[key]
    url = ctx.url(key)
    async with _session(1) as session:
        for _ in range(reps):
            m.start()
            async with session.get(url) as r:
                body = await r.read()
            m.stop(1, len(body))
            check(r.status == 200, f"{key}: status {r.status}")
            if header is not None:
                check(r.headers.get(header[0]) == header[1], f"{key}: expected {header[0]}: {header[1]}")
            verify_bytes(body, f, key)
            del body


async def download(ctx: Ctx, m: Meter) -> None:
    f = ctx.files["huge"]
    out = os.path.join(ctx.workdir, "download.aiohttp")
    async with _session(1) as session:
        m.start()
        async with session.get(ctx.url("huge")) as r:
            with open(out, "wb") as fh:
                async for chunk in r.content.iter_any():
                    fh.write(chunk)
        m.stop(1, f["size"])
        check(r.status == 200, f"download: status {r.status}")
    verify_file(out, f, "download")
    os.unlink(out)


async def _uploads(ctx: Ctx, m: Meter, how: str) -> None:
    import aiohttp

    f = ctx.files["big"]
    url = ctx.path_url("/upload")
    async with _session(1) as session:
        for _ in range(ctx.sizes["upload_reps"]):
            m.start()
            if how == "file":  # FormData with a file object (streamed)
                with open(f["path"], "rb") as fh:
                    form = aiohttp.FormData()
                    form.add_field("f", fh, filename="big.bin", content_type="application/octet-stream")
                    async with session.post(url, data=form) as r:
                        body = await r.read()
            elif how == "data":  # FormData with bytes
                form = aiohttp.FormData()
                form.add_field("f", ctx.payload, filename="big.bin", content_type="application/octet-stream")
                async with session.post(url, data=form) as r:
                    body = await r.read()
            else:  # the raw body: bytes
                async with session.post(url, data=ctx.payload) as r:
                    body = await r.read()
            m.stop(1, f["size"])
            check(r.status == 200 and body == b"ok\n", f"upload: {r.status} {body[:40]!r}")


async def _ws(ctx: Ctx, m: Meter, n: int, size: int) -> None:
    import aiohttp

    payloads = ctx.ws_payloads(size, 16)
    async with _session(1) as session:
        async with session.ws_connect(f"http://{HOST}:{ctx.ws_port}/", max_msg_size=0, compress=0) as ws:
            m.start()
            for i in range(n):
                data = payloads[i & 15]
                await ws.send_bytes(data)
                msg = await ws.receive()
                if msg.type != aiohttp.WSMsgType.BINARY or msg.data != data:
                    check(False, f"recv: {msg.type} or payload mismatch")
            m.stop(n, n * size)


async def conns_10k(ctx: Ctx, m: Meter) -> None:
    book = ManyConnections(ctx, m)
    url, expect = ctx.url("small"), ctx.small
    # One pool holding every connection; idle ones are kept as long as swoole_compat's are.
    session = _session(book.n, keepalive_timeout=600)

    async def one() -> None:
        async with session.get(url) as r:
            body = await r.read()
        if r.status != 200 or body != expect:
            check(False, f"small GET: status {r.status} or body mismatch")

    async def loop() -> None:
        for _ in range(book.reqs - 1):
            await one()

    try:
        t = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(book.n)))  # all at once: N connections
        book.opened(time.perf_counter() - t)
        m.start()
        await asyncio.gather(*(loop() for _ in range(book.n)))
        m.stop(book.n * (book.reqs - 1))
    finally:
        await session.close()
    await book.closed()


RUNNERS: dict[str, Runner] = {
    "get_seq": get_seq,
    "get_conc": get_conc,
    "download": download,
    "upload_file": lambda ctx, m: _uploads(ctx, m, "file"),
    "upload_raw": lambda ctx, m: _uploads(ctx, m, "raw"),
    "upload_data": lambda ctx, m: _uploads(ctx, m, "data"),
    "api_seq": api_seq,
    "api_conc": api_conc,
    "conns_10k": conns_10k,
    **common_scenarios(_bodies, _ws),
}
