#!/usr/bin/env python3
"""Peak memory of a 1 GiB ``addFile()`` upload, a 1 GiB in-memory POST and a 1 GiB ``download()``.

The client must stream uploads from disk (``loop.sendfile`` on plain TCP, chunked reads over
TLS), write in-memory bodies from slices of the caller's object (never a copy of the whole
body) and stream downloads to disk, so no transfer may grow the process by more than a small,
size-independent amount beyond the caller's own body. This tool checks that:

* a loopback HTTP server runs in a **separate process** (plain asyncio, no test dependency): it
  discards request bodies, counting them, and serves ``GET /stream?size=N`` as a generated
  ``Content-Length: N`` body written block by block under flow control (never held in memory);
* each measurement runs in a **fresh child process**, which imports the client, does a small
  warm-up transfer of the same kind, resets its peak RSS to the current RSS (``VmHWM``, via
  ``/proc/self/clear_refs``; elsewhere the baseline is ``ru_maxrss``, the peak so far) and
  then performs the big transfer; the peak after it minus that baseline is the transfer's
  cost. For ``post`` (``post(path, $bytes)``) the baseline is taken after the body was
  created (its pages touched), so the cost is what the client needs *beyond the caller's
  buffer*;
  ``post-stalled`` sends the same body to a server that reads the head and then nothing, so
  the request fails at ``write_timeout`` (2 s) while the body is mid-way;
* the result of each transfer is verified (byte counts on the server, size and sampled blocks
  of the downloaded file) so a fast failure cannot pass as low memory.

Usage::

    python tools/transfer_memory.py                  # 1 GiB each way, limit 64 MiB, plain TCP
    python tools/transfer_memory.py --tls            # also over TLS (needs trustme)
    python tools/transfer_memory.py --size-mib 256 --limit-mib 32 --dir /var/tmp
    python tools/transfer_memory.py --size-mib 256 --kinds post,post-stalled

Prints one line per measurement and exits 1 when a transfer fails or its peak RSS grows by more
than ``--limit-mib`` over the baseline. The upload file and the download target are created in
a temporary directory (``--dir``, default: the system temp dir) and removed afterwards; the
upload file is written for real (not sparse), so ``--dir`` needs twice ``--size-mib`` free.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import resource
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MIB = 1024 * 1024
BLOCK = MIB
KINDS = ("upload", "post", "post-stalled", "download")


def pattern_block(index: int) -> bytes:
    """The ``index``-th 1 MiB block of the generated download body (cheap, deterministic)."""
    seed = hashlib.sha256(index.to_bytes(8, "big")).digest()
    return (seed * (BLOCK // len(seed) + 1))[:BLOCK]


# --------------------------------------------------------------------------- server process


async def _serve_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Keep-alive loop: POST bodies are counted and dropped; ``GET /stream?size=N`` streams N bytes."""
    try:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, ConnectionError):
                return
            lines = head.decode("latin-1").split("\r\n")
            method, target, _ = lines[0].split(" ", 2)
            if target.startswith("/stall"):
                try:
                    await asyncio.sleep(3600)  # never read the body, never answer
                except asyncio.CancelledError:
                    return  # the server shuts down
            headers = {}
            for line in lines[1:]:
                if ":" in line:
                    name, value = line.split(":", 1)
                    headers[name.strip().lower()] = value.strip()
            length = int(headers.get("content-length", "0"))
            received = 0
            tail = b""
            while received < length:
                chunk = await reader.read(min(BLOCK, length - received))
                if not chunk:
                    return
                received += len(chunk)
                tail = (tail + chunk)[-128:]
            if method == "GET" and target.startswith("/stream"):
                size = int(target.partition("size=")[2] or "0")
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                    + f"Content-Length: {size}\r\nConnection: keep-alive\r\n\r\n".encode()
                )
                sent = 0
                index = 0
                while sent < size:
                    block = pattern_block(index)[: size - sent]
                    writer.write(block)
                    await writer.drain()
                    sent += len(block)
                    index += 1
            else:
                body = json.dumps(
                    {
                        "content_length": length,
                        "received": received,
                        "tail": tail.decode("latin-1"),
                        "content_type": headers.get("content-type", ""),
                    }
                ).encode()
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    + f"Content-Length: {len(body)}\r\nConnection: keep-alive\r\n\r\n".encode()
                    + body
                )
                await writer.drain()
    except ConnectionError:
        return
    finally:
        writer.close()


async def _server_main(cert: str | None, key: str | None) -> None:
    context = None
    if cert and key:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
    server = await asyncio.start_server(_serve_connection, "127.0.0.1", 0, ssl=context, limit=1 << 20)
    port = server.sockets[0].getsockname()[1]
    print(f"PORT {port}", flush=True)
    # Serve until the parent closes our stdin.
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)
    server.close()


# --------------------------------------------------------------------------- measuring child


def _maxrss_kib() -> int:
    """The peak RSS (KiB): ``VmHWM``, which :func:`_reset_peak` lowers to the current RSS, else
    ``ru_maxrss`` (the peak since the process started)."""
    status = _proc_status()
    if "VmHWM" in status:
        return status["VmHWM"]
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def _proc_status() -> dict[str, int]:
    try:
        with open("/proc/self/status") as fh:
            return {k: int(v.split()[0]) for k, _, v in (line.partition(":") for line in fh) if k in ("VmHWM", "VmRSS")}
    except (OSError, ValueError):
        return {}


def _reset_peak() -> int:
    """Start measuring a peak from now: reset ``VmHWM`` to the current RSS (Linux: ``5`` into
    ``/proc/self/clear_refs``) and return that RSS (KiB). Without it, the baseline is the
    peak so far, which an earlier, larger allocation (a warm-up, the body's creation) would
    have set higher than the current RSS, hiding growth up to that height."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        return _maxrss_kib()
    return _proc_status().get("VmRSS") or _maxrss_kib()


async def _measure(kind: str, port: int, tls: bool, path: str, size: int) -> dict[str, object]:
    from swoole_compat.coroutine.http import Client

    work = Path(path)
    cli = Client("127.0.0.1", port, tls)
    cli.set({"timeout": 600})
    result: dict[str, object] = {"kind": kind, "tls": tls, "size": size}

    if kind == "upload":
        upload = str(work / "upload.bin")
        warm = str(work / "warm.bin")
        with open(warm, "wb") as fh:
            fh.write(pattern_block(0))
        # warm-up: same code path, 1 MiB
        cli.addFile(warm, "warm")
        if not await cli.post("/upload", {"name": "warm"}):
            raise SystemExit(f"warm-up upload failed: {cli.errCode} {cli.errMsg}")
        baseline = _reset_peak()
        started = time.monotonic()
        if not cli.addFile(upload, "big.bin"):
            raise SystemExit("addFile refused the upload file")
        ok = await cli.post("/upload", {"name": "big"})
        elapsed = time.monotonic() - started
        peak = _maxrss_kib()
        reply = json.loads(cli.body) if ok else {}
        verified = (
            ok
            and cli.statusCode == 200
            and reply.get("received") == reply.get("content_length")
            and int(reply.get("received", 0)) > size
            and str(reply.get("tail", "")).endswith("--\r\n")
        )
        result.update(status=cli.statusCode, errCode=cli.errCode, reply=reply)
    elif kind in ("post", "post-stalled"):
        stalled = kind == "post-stalled"
        if stalled:
            cli.set({"write_timeout": 2})
        # warm-up: same code path, 1 MiB
        if not await cli.post("/upload", pattern_block(0)):
            raise SystemExit(f"warm-up post failed: {cli.errCode} {cli.errMsg}")
        # The caller's body: one buffer (ru_maxrss is a high-water mark, so no transient second
        # copy may exist before the baseline), its pages touched.
        body = pattern_block(0) * (size // BLOCK) + pattern_block(1)[: size % BLOCK]
        baseline = _reset_peak()
        started = time.monotonic()
        ok = await cli.post("/stall" if stalled else "/upload", body)
        elapsed = time.monotonic() - started
        peak = _maxrss_kib()
        if stalled:
            # expected: the write deadline ends the call (110, statusCode -4)
            verified = not ok and cli.errCode == 110 and cli.statusCode == -4
            reply = {}
        else:
            reply = json.loads(cli.body) if ok else {}
            verified = (
                ok
                and cli.statusCode == 200
                and reply.get("received") == reply.get("content_length") == size
                and str(reply.get("tail", "")) == body[-128:].decode("latin-1")
            )
        result.update(status=cli.statusCode, errCode=cli.errCode, reply=reply)
    else:
        target = str(work / "download.bin")
        # warm-up: same code path, 1 MiB
        if not await cli.download(f"/stream?size={BLOCK}", target):
            raise SystemExit(f"warm-up download failed: {cli.errCode} {cli.errMsg}")
        baseline = _reset_peak()
        started = time.monotonic()
        ok = await cli.download(f"/stream?size={size}", target)
        elapsed = time.monotonic() - started
        peak = _maxrss_kib()
        verified = ok and cli.statusCode == 200 and cli.body == b"" and os.path.getsize(target) == size
        if verified:
            blocks = size // BLOCK
            with open(target, "rb") as fh:
                for index in sorted({0, blocks // 2, blocks - 1}):
                    fh.seek(index * BLOCK)
                    if fh.read(BLOCK) != pattern_block(index):
                        verified = False
        result.update(status=cli.statusCode, errCode=cli.errCode)
        os.unlink(target)
    cli.close()
    result.update(
        ok=bool(verified),
        baseline_kib=baseline,
        peak_kib=peak,
        delta_mib=round((peak - baseline) / 1024, 2),
        seconds=round(elapsed, 3),
    )
    return result


# --------------------------------------------------------------------------- driver


def _write_upload_file(path: Path, size: int) -> None:
    with open(path, "wb") as fh:
        written = 0
        index = 0
        while written < size:
            block = pattern_block(index)[: size - written]
            fh.write(block)
            written += len(block)
            index += 1


def _make_cert(directory: Path) -> tuple[str, str]:
    import trustme

    ca = trustme.CA()
    leaf = ca.issue_cert("127.0.0.1", "localhost")
    cert = directory / "server.crt"
    key = directory / "server.key"
    cert.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
    key.write_bytes(leaf.private_key_pem.bytes())
    return str(cert), str(key)


def _start_server(cert: str | None, key: str | None) -> tuple[subprocess.Popen[str], int]:
    cmd = [sys.executable, __file__, "--serve"]
    if cert and key:
        cmd += ["--cert", cert, "--key", key]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("PORT "):
        proc.kill()
        raise SystemExit(f"server failed to start: {line!r}")
    return proc, int(line.split()[1])


def _stop_server(proc: subprocess.Popen[str]) -> None:
    if proc.stdin is not None:
        proc.stdin.close()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _run_child(kind: str, port: int, tls: bool, work: Path, size: int) -> dict[str, object]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    cmd = [sys.executable, __file__, "--measure", kind, "--port", str(port)]
    cmd += ["--path", str(work), "--size", str(size)]
    if tls:
        cmd.append("--tls")
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    return {"kind": kind, "tls": tls, "ok": False, "error": (proc.stderr or proc.stdout).strip()[-2000:]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024, help="transfer size in MiB (default 1024)")
    parser.add_argument("--limit-mib", type=float, default=64.0, help="allowed peak RSS growth (default 64)")
    parser.add_argument("--tls", action="store_true", help="also measure over TLS (needs trustme)")
    parser.add_argument("--dir", default=None, help="directory for the temporary files")
    parser.add_argument(
        "--kinds",
        default="upload,post,download",
        help="comma-separated transfers: upload (addFile), post (in-memory bytes body), "
        "post-stalled (the same to a server that never reads), download (default: upload,post,download)",
    )
    # internal modes
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--cert", help=argparse.SUPPRESS)
    parser.add_argument("--key", help=argparse.SUPPRESS)
    parser.add_argument("--measure", choices=KINDS, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.serve:
        asyncio.run(_server_main(args.cert, args.key))
        return 0
    if args.measure:
        result = asyncio.run(_measure(args.measure, args.port, args.tls, args.path, args.size))
        print(json.dumps(result), flush=True)
        return 0

    size = args.size_mib * MIB
    kinds = [kind.strip() for kind in args.kinds.split(",") if kind.strip()]
    for kind in kinds:
        if kind not in KINDS:
            parser.error(f"unknown transfer kind {kind!r} (choose from {', '.join(KINDS)})")
    work = Path(tempfile.mkdtemp(prefix="transfer-memory-", dir=args.dir))
    failures = 0
    try:
        if "upload" in kinds:
            _write_upload_file(work / "upload.bin", size)
        modes = [False, True] if args.tls else [False]
        for tls in modes:
            cert = key = None
            if tls:
                cert, key = _make_cert(work)
            proc, port = _start_server(cert, key)
            try:
                for kind in kinds:
                    result = _run_child(kind, port, tls, work, size)
                    transport = "tls" if tls else "tcp"
                    if "error" in result:
                        print(f"{kind:12} {transport}: FAILED to run: {result['error']}")
                        failures += 1
                        continue
                    delta = float(result["delta_mib"])  # type: ignore[arg-type]
                    within = delta <= args.limit_mib
                    verdict = "ok" if result["ok"] and within else "FAIL"
                    base_mib = int(result["baseline_kib"]) // 1024  # type: ignore[call-overload]
                    peak_mib = int(result["peak_kib"]) // 1024  # type: ignore[call-overload]
                    seconds = float(result["seconds"])  # type: ignore[arg-type]
                    rate = f" ({size / seconds / 1e6:.0f} MB/s)" if seconds and kind != "post-stalled" else ""
                    print(
                        f"{kind:12} {transport}: {args.size_mib} MiB in {result['seconds']} s{rate}, "
                        f"peak RSS {delta:+.1f} MiB over baseline ({base_mib} MiB -> {peak_mib} MiB), "
                        f"transfer {'verified' if result['ok'] else 'NOT verified: ' + json.dumps(result)}, "
                        f"limit {args.limit_mib:g} MiB: {verdict}"
                    )
                    if verdict != "ok":
                        failures += 1
            finally:
                _stop_server(proc)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
