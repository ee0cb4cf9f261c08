#!/usr/bin/env python3
"""Peak memory of a 1 GiB ``addFile()`` upload and a 1 GiB ``download()`` (bounded-memory check).

The client must stream uploads from disk (``loop.sendfile`` on plain TCP, chunked reads over
TLS) and downloads to disk, so neither transfer may grow the process by more than a small,
size-independent amount. This tool checks that:

* a loopback HTTP server runs in a **separate process** (plain asyncio, no test dependency): it
  discards request bodies, counting them, and serves ``GET /stream?size=N`` as a generated
  ``Content-Length: N`` body written block by block under flow control (never held in memory);
* each measurement runs in a **fresh child process**, which imports the client, does a small
  warm-up transfer of the same kind, reads its baseline ``ru_maxrss`` and then performs the
  big transfer; the peak ``ru_maxrss`` after it minus the baseline is the transfer's cost;
* the result of each transfer is verified (byte counts on the server, size and sampled blocks
  of the downloaded file) so a fast failure cannot pass as low memory.

Usage::

    python tools/transfer_memory.py                  # 1 GiB each way, limit 64 MiB, plain TCP
    python tools/transfer_memory.py --tls            # also over TLS (needs trustme)
    python tools/transfer_memory.py --size-mib 256 --limit-mib 32 --dir /var/tmp

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
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


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
        baseline = _maxrss_kib()
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
    else:
        target = str(work / "download.bin")
        # warm-up: same code path, 1 MiB
        if not await cli.download(f"/stream?size={BLOCK}", target):
            raise SystemExit(f"warm-up download failed: {cli.errCode} {cli.errMsg}")
        baseline = _maxrss_kib()
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
        seconds=round(elapsed, 2),
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
    # internal modes
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--cert", help=argparse.SUPPRESS)
    parser.add_argument("--key", help=argparse.SUPPRESS)
    parser.add_argument("--measure", choices=("upload", "download"), help=argparse.SUPPRESS)
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
    work = Path(tempfile.mkdtemp(prefix="transfer-memory-", dir=args.dir))
    failures = 0
    try:
        _write_upload_file(work / "upload.bin", size)
        modes = [False, True] if args.tls else [False]
        for tls in modes:
            cert = key = None
            if tls:
                cert, key = _make_cert(work)
            proc, port = _start_server(cert, key)
            try:
                for kind in ("upload", "download"):
                    result = _run_child(kind, port, tls, work, size)
                    transport = "tls" if tls else "tcp"
                    if "error" in result:
                        print(f"{kind:8} {transport}: FAILED to run: {result['error']}")
                        failures += 1
                        continue
                    delta = float(result["delta_mib"])  # type: ignore[arg-type]
                    within = delta <= args.limit_mib
                    verdict = "ok" if result["ok"] and within else "FAIL"
                    base_mib = int(result["baseline_kib"]) // 1024  # type: ignore[call-overload]
                    peak_mib = int(result["peak_kib"]) // 1024  # type: ignore[call-overload]
                    print(
                        f"{kind:8} {transport}: {args.size_mib} MiB in {result['seconds']} s, "
                        f"peak RSS +{delta:.1f} MiB over baseline ({base_mib} MiB -> {peak_mib} MiB), "
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
