"""httpx's AsyncClient (pure Python, h11). No WebSocket; not run with 10,000 connections (its
pool scans every connection for each request)."""

from __future__ import annotations

import asyncio
import os
from typing import Any

from ..common import Ctx, Meter, check, verify_api, verify_bytes, verify_file
from . import Runner, common_scenarios

LIBRARY = "httpx"


def _client(connections: int = 1) -> Any:
    import httpx

    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    return httpx.AsyncClient(limits=limits, timeout=None)


async def get_seq(ctx: Ctx, m: Meter) -> None:
    url, expect, n = ctx.url("small"), ctx.small, ctx.sizes["seq_n"]
    async with _client() as client:
        m.start()
        for _ in range(n):
            r = await client.get(url)
            if r.status_code != 200 or r.content != expect:
                check(False, f"small GET: status {r.status_code} or body mismatch")
        m.stop(n)


async def get_conc(ctx: Ctx, m: Meter) -> None:
    url, expect = ctx.url("small"), ctx.small
    clients, n = ctx.sizes["conc_clients"], ctx.sizes["conc_n"]
    async with _client(clients) as client:

        async def run() -> None:
            for _ in range(n):
                r = await client.get(url)
                if r.status_code != 200 or r.content != expect:
                    check(False, f"small GET: status {r.status_code} or body mismatch")

        m.start()
        await asyncio.gather(*(run() for _ in range(clients)))
        m.stop(n * clients)


async def _api_loop(client: Any, url: str, n: int) -> None:
    for _ in range(n):
        r = await client.get(url)
        verify_api(r.status_code, r.content, r.headers.get("x-request-id"), r.cookies.get("sid"))


async def api_seq(ctx: Ctx, m: Meter) -> None:
    n = ctx.sizes["api_seq_n"]
    async with _client() as client:
        m.start()
        await _api_loop(client, ctx.path_url("/api"), n)
        m.stop(n)


async def api_conc(ctx: Ctx, m: Meter) -> None:
    clients, n = ctx.sizes["api_conc_clients"], ctx.sizes["api_conc_n"]
    url = ctx.path_url("/api")
    async with _client(clients) as client:
        m.start()
        await asyncio.gather(*(_api_loop(client, url, n) for _ in range(clients)))
        m.stop(n * clients)


async def _bodies(ctx: Ctx, m: Meter, key: str, reps: int, header: tuple[str, str] | None) -> None:
    f = ctx.files[key]
    url = ctx.url(key)
    async with _client() as client:
        for _ in range(reps):
            m.start()
            r = await client.get(url)
            body = r.content
            m.stop(1, len(body))
            check(r.status_code == 200, f"{key}: status {r.status_code}")
            if header is not None:
                check(r.headers.get(header[0]) == header[1], f"{key}: expected {header[0]}: {header[1]}")
            verify_bytes(body, f, key)
            del body, r


async def download(ctx: Ctx, m: Meter) -> None:
    f = ctx.files["huge"]
    out = os.path.join(ctx.workdir, "download.httpx")
    async with _client() as client:
        m.start()
        async with client.stream("GET", ctx.url("huge")) as r:
            with open(out, "wb") as fh:
                async for chunk in r.aiter_bytes():
                    fh.write(chunk)
        m.stop(1, f["size"])
        check(r.status_code == 200, f"download: status {r.status_code}")
    verify_file(out, f, "download")
    os.unlink(out)


async def _uploads(ctx: Ctx, m: Meter, how: str) -> None:
    f = ctx.files["big"]
    url = ctx.path_url("/upload")
    async with _client() as client:
        for _ in range(ctx.sizes["upload_reps"]):
            m.start()
            if how == "file":  # multipart, a file object
                with open(f["path"], "rb") as fh:
                    r = await client.post(url, data={}, files={"f": ("big.bin", fh, "application/octet-stream")})
            elif how == "data":  # multipart, bytes
                r = await client.post(url, data={}, files={"f": ("big.bin", ctx.payload, "application/octet-stream")})
            else:  # the raw body: bytes
                r = await client.post(url, content=ctx.payload)
            m.stop(1, f["size"])
            check(r.status_code == 200 and r.content == b"ok\n", f"upload: {r.status_code} {r.content[:40]!r}")


RUNNERS: dict[str, Runner] = {
    "get_seq": get_seq,
    "get_conc": get_conc,
    "download": download,
    "upload_file": lambda ctx, m: _uploads(ctx, m, "file"),
    "upload_raw": lambda ctx, m: _uploads(ctx, m, "raw"),
    "upload_data": lambda ctx, m: _uploads(ctx, m, "data"),
    "api_seq": api_seq,
    "api_conc": api_conc,
    **common_scenarios(_bodies, None),
}
