"""swoole_compat's ``Swoole\\Coroutine\\Http\\Client`` port, through its public API only."""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

from ..common import HOST, Ctx, Meter, check, verify_api, verify_bytes, verify_file
from . import ManyConnections, Runner, common_scenarios

LIBRARY = "swoole_compat.coroutine.http"


def _client(ctx: Ctx, port: int | None = None) -> Any:
    from swoole_compat.coroutine.http import Client

    cli = Client(HOST, port or ctx.port)
    cli.set({"timeout": 600})
    return cli


def _ok(cli: Any, what: str) -> None:
    check(cli.statusCode == 200, f"{what}: statusCode {cli.statusCode} errCode {cli.errCode} {cli.errMsg}")


async def get_seq(ctx: Ctx, m: Meter) -> None:
    cli = _client(ctx)
    path, expect, n = ctx.files["small"]["url"], ctx.small, ctx.sizes["seq_n"]
    m.start()
    for _ in range(n):
        await cli.get(path)
        if cli.statusCode != 200 or cli.body != expect:
            _ok(cli, "small GET")
            check(False, "small GET: body mismatch")
    m.stop(n)
    cli.close()


async def get_conc(ctx: Ctx, m: Meter) -> None:
    path, expect = ctx.files["small"]["url"], ctx.small
    clients = [_client(ctx) for _ in range(ctx.sizes["conc_clients"])]
    n = ctx.sizes["conc_n"]

    async def run(cli: Any) -> None:
        for _ in range(n):
            await cli.get(path)
            if cli.statusCode != 200 or cli.body != expect:
                _ok(cli, "small GET")
                check(False, "small GET: body mismatch")

    m.start()
    await asyncio.gather(*(run(c) for c in clients))
    m.stop(n * len(clients))
    for c in clients:
        c.close()


async def _api_loop(cli: Any, n: int) -> None:
    for _ in range(n):
        await cli.get("/api")
        headers, cookies = cli.headers or {}, cli.cookies or {}
        verify_api(cli.statusCode, cli.body, headers.get("x-request-id"), cookies.get("sid"))


async def api_seq(ctx: Ctx, m: Meter) -> None:
    cli = _client(ctx)
    n = ctx.sizes["api_seq_n"]
    m.start()
    await _api_loop(cli, n)
    m.stop(n)
    cli.close()


async def api_conc(ctx: Ctx, m: Meter) -> None:
    clients = [_client(ctx) for _ in range(ctx.sizes["api_conc_clients"])]
    n = ctx.sizes["api_conc_n"]
    m.start()
    await asyncio.gather(*(_api_loop(c, n) for c in clients))
    m.stop(n * len(clients))
    for c in clients:
        c.close()


async def _bodies(ctx: Ctx, m: Meter, key: str, reps: int, header: tuple[str, str] | None) -> None:
    cli = _client(ctx)
    f = ctx.files[key]
    for _ in range(reps):
        m.start()
        await cli.get(f["url"])
        body = cli.body
        m.stop(1, len(body))
        _ok(cli, key)
        if header is not None:
            check((cli.headers or {}).get(header[0]) == header[1], f"{key}: expected {header[0]}: {header[1]}")
        verify_bytes(body, f, key)
        cli.body = b""
        del body
    cli.close()


async def download(ctx: Ctx, m: Meter) -> None:
    cli = _client(ctx)
    f = ctx.files["huge"]
    out = os.path.join(ctx.workdir, "download.swoole_compat")
    m.start()
    ok = await cli.download(f["url"], out)
    m.stop(1, f["size"])
    check(ok, f"download failed: errCode {cli.errCode} {cli.errMsg}")
    _ok(cli, "download")
    verify_file(out, f, "download")
    os.unlink(out)
    cli.close()


async def _uploads(ctx: Ctx, m: Meter, how: str) -> None:
    cli = _client(ctx)
    f = ctx.files["big"]
    for _ in range(ctx.sizes["upload_reps"]):
        m.start()
        if how == "file":  # multipart, the part streamed from the file
            check(cli.addFile(f["path"], "f"), "addFile failed")
            await cli.post("/upload", {})
        elif how == "data":  # multipart, the part from memory
            check(cli.addData(ctx.payload, "f", "application/octet-stream", "big.bin"), "addData failed")
            await cli.post("/upload", {})
        else:  # the raw body from memory (post() sets it as setData() does)
            await cli.post("/upload", ctx.payload)
        m.stop(1, f["size"])
        _ok(cli, "upload")
        check(cli.body == b"ok\n", f"upload: body {cli.body[:40]!r}")
    cli.close()


async def _ws(ctx: Ctx, m: Meter, n: int, size: int) -> None:
    cli = _client(ctx, ctx.ws_port)
    cli.set({"package_max_length": 4 * size + 1024 * 1024})
    check(await cli.upgrade("/"), f"upgrade failed: {cli.statusCode} {cli.errCode} {cli.errMsg}")
    payloads = ctx.ws_payloads(size, 16)
    m.start()
    for i in range(n):
        data = payloads[i & 15]
        check(await cli.push(data, 2), f"push failed: {cli.errCode} {cli.errMsg}")
        frame = await cli.recv()
        if not frame or frame.data != data:
            check(False, f"recv: {'no frame' if not frame else 'payload mismatch'} (errCode {cli.errCode})")
    m.stop(n, n * size)
    await cli.disconnect()


async def conns_10k(ctx: Ctx, m: Meter) -> None:
    book = ManyConnections(ctx, m)
    path, expect = ctx.files["small"]["url"], ctx.small
    clients = [_client(ctx) for _ in range(book.n)]

    async def one(cli: Any) -> None:
        await cli.get(path)
        if cli.statusCode != 200 or cli.body != expect:
            _ok(cli, "small GET")
            check(False, "small GET: body mismatch")

    async def loop(cli: Any) -> None:
        for _ in range(book.reqs - 1):
            await one(cli)

    t = time.perf_counter()
    await asyncio.gather(*(one(c) for c in clients))  # every client connects: N connections
    book.opened(time.perf_counter() - t)
    m.start()
    await asyncio.gather(*(loop(c) for c in clients))
    m.stop(book.n * (book.reqs - 1))
    for c in clients:
        check(c.close(), "close() returned false")
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
