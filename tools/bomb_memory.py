#!/usr/bin/env python3
"""Peak memory of the client against decompression bombs (issue 16; README "Security and limits").

A loopback server in a **separate process** (plain asyncio, no test dependency) serves:

* ``GET /bomb/<gzip|deflate|br>?mib=N``: ``Content-Encoding`` bodies of N MiB of zeros
  (default 10 GiB), with a ``Content-Length``. They are never built in memory, on either side:
  the compressed stream is a head, one compressed block of zeros repeated N times (gzip/deflate:
  a 1 MiB full-flushed deflate block, 1037 bytes; br: a 16 MiB meta-block, 14 bytes) and a tail
  (the gzip CRC-32/size or zlib Adler-32 is computed only if the stream is ever sent to its end).
  A 10 GiB gzip bomb is 10.4 MiB on the wire, a 10 GiB br bomb 9 KiB.
* ``GET /small``: a legitimate 4 MiB gzip body (JSON lines), for the warm-up.
* ``GET /ws?mib=N``: a WebSocket upgrade (``permessage-deflate`` accepted); a small compressed
  warm-up message, then, once the client pushes ``go``, **one** compressed frame (RSV1) whose
  payload inflates to N MiB of zeros (default 1.2 GiB: a 1.27 MB frame, under the default
  2 MiB ``package_max_length``).

Each measurement runs in a **fresh child process**: it imports the client, does a warm-up of the
same kind, reads its baseline ``ru_maxrss``, runs the bomb and reports the peak ``ru_maxrss``,
the outcome (return value, errCode, statusCode, errMsg) and, for ``download()``, the bytes
written. Scenarios:

* ``memory``: ``get()`` with the default limits (stopped by ``max_decompression_ratio``);
* ``memory-size``: ``get()`` with ``max_decompression_ratio`` 0 (stopped by
  ``max_decompressed_size``, 128 MiB);
* ``download``: ``download()`` to a temporary file (stopped by the ratio, not by the disk);
* ``ws``: ``recv()`` of the WebSocket bomb (stopped at ``package_max_length``: 1201).

Usage::

    python tools/bomb_memory.py                          # 10 GiB gzip: memory, memory-size, download; 1.2 GiB ws
    python tools/bomb_memory.py --encoding br --scenario download
    python tools/bomb_memory.py --gib 1 --ws-gib 0.5 --limit-mib 200

Prints one line per measurement and exits 1 when a bomb was not stopped with the expected code,
or the peak RSS grew by more than ``--limit-mib`` over the baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import gzip
import hashlib
import json
import os
import resource
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MIB = 1024 * 1024
WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
SCENARIOS = ("memory", "memory-size", "download", "ws")


# --------------------------------------------------------------------------- bomb streams


class Bomb:
    """A compressed stream of ``units * unit`` zero bytes: ``head + block * units + tail()``
    (``block`` compresses ``unit`` zeros and does not depend on what came before it)."""

    def __init__(self, encoding: str, mib: int) -> None:
        self.encoding = encoding
        zeros = bytes(MIB)
        if encoding == "br":
            import brotli

            unit = 16 * MIB
            comp = brotli.Compressor(quality=5, lgwin=24)
            first = comp.process(bytes(unit)) + comp.flush()
            block = comp.process(bytes(unit)) + comp.flush()
            again = comp.process(bytes(unit)) + comp.flush()
            assert block == again, "brotli blocks do not repeat"
            self.units = max(1, mib * MIB // unit)
            self.head = first
            self.units -= 1
            self._tail = comp.finish()
            self.tail_len = len(self._tail)
        else:
            unit = MIB
            comp = zlib.compressobj(9, zlib.DEFLATED, -15)
            block = comp.compress(zeros) + comp.flush(zlib.Z_FULL_FLUSH)
            assert block == comp.compress(zeros) + comp.flush(zlib.Z_FULL_FLUSH), "deflate blocks do not repeat"
            self.units = mib
            # gzip: ID1 ID2 CM=8 FLG=0 MTIME=0 XFL=2 OS=255; deflate: zlib header for level 9
            self.head = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff" if encoding == "gzip" else b"\x78\xda"
            self._tail = None
            self.tail_len = 2 + (8 if encoding == "gzip" else 4)
        self.unit = unit
        self.block = block
        self.decoded_size = (self.units + (1 if encoding == "br" else 0)) * unit

    @property
    def length(self) -> int:
        return len(self.head) + len(self.block) * self.units + self.tail_len

    def tail(self) -> bytes:
        if self._tail is not None:
            return self._tail
        zeros = bytes(MIB)
        size = self.units * MIB
        if self.encoding == "gzip":
            crc = 0
            for _ in range(self.units):
                crc = zlib.crc32(zeros, crc)
            return b"\x03\x00" + struct.pack("<II", crc, size & 0xFFFFFFFF)
        adler = 1
        for _ in range(self.units):
            adler = zlib.adler32(zeros, adler)
        return b"\x03\x00" + struct.pack(">I", adler)


def ws_bomb_payload(mib: float) -> tuple[bytes, int]:
    """A permessage-deflate payload inflating to ``mib`` MiB of zeros (whole MiB) and its size."""
    units = max(1, round(mib))
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = comp.compress(bytes(MIB)) + comp.flush(zlib.Z_FULL_FLUSH)
    payload = block * units
    assert payload.endswith(b"\x00\x00\xff\xff")
    return payload[:-4], units * MIB


def ws_frame(payload: bytes, rsv1: bool = True, opcode: int = 2) -> bytes:
    first = 0x80 | (0x40 if rsv1 else 0) | opcode
    n = len(payload)
    if n < 126:
        return bytes([first, n]) + payload
    if n < 1 << 16:
        return bytes([first, 126]) + struct.pack(">H", n) + payload
    return bytes([first, 127]) + struct.pack(">Q", n) + payload


def small_body() -> bytes:
    lines = (b'{"id":%08d,"token":"%s"},\n' % (i, hashlib.md5(b"%d" % i).hexdigest().encode()) for i in range(100000))
    return b"".join(lines)[: 4 * MIB]


# --------------------------------------------------------------------------- server process


async def _serve_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, state: dict) -> None:
    try:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
                return
            lines = head.decode("latin-1").split("\r\n")
            target = lines[0].split(" ")[1]
            headers = {}
            for line in lines[1:]:
                if ":" in line:
                    name, value = line.split(":", 1)
                    headers[name.strip().lower()] = value.strip()
            path, _, query = target.partition("?")
            params = dict(p.split("=", 1) for p in query.split("&") if "=" in p)
            if path == "/small":
                body = state.setdefault("small", gzip.compress(small_body(), 6))
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n" % len(body) + body
                )
                await writer.drain()
            elif path.startswith("/bomb/"):
                encoding = path[len("/bomb/") :]
                mib = int(params.get("mib", str(10 * 1024)))
                key = (encoding, mib)
                if key not in state:
                    state[key] = Bomb(encoding, mib)
                bomb: Bomb = state[key]
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                    + f"Content-Encoding: {encoding}\r\nContent-Length: {bomb.length}\r\n\r\n".encode()
                    + bomb.head
                )
                batch = max(1, 65536 // len(bomb.block))
                left = bomb.units
                while left:
                    n = min(batch, left)
                    writer.write(bomb.block * n)
                    left -= n
                    await writer.drain()
                    if writer.transport.is_closing():
                        return
                writer.write(bomb.tail())
                await writer.drain()
            elif path == "/ws":
                key = headers.get("sec-websocket-key", "")
                accept = base64.b64encode(hashlib.sha1(key.encode() + WS_GUID).digest()).decode()
                ext = ""
                if "permessage-deflate" in headers.get("sec-websocket-extensions", ""):
                    ext = "Sec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover; server_no_context_takeover\r\n"
                writer.write(
                    (
                        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        f"Sec-WebSocket-Accept: {accept}\r\n{ext}\r\n"
                    ).encode()
                )
                warm = zlib.compressobj(6, zlib.DEFLATED, -15)
                warm_payload = warm.compress(small_body()[:MIB]) + warm.flush(zlib.Z_SYNC_FLUSH)
                writer.write(ws_frame(warm_payload[:-4]))
                await writer.drain()
                # Wait for any frame from the client ("go"), then send the bomb.
                first = await reader.readexactly(2)
                n = first[1] & 0x7F
                n = struct.unpack(">H", await reader.readexactly(2))[0] if n == 126 else n
                await reader.readexactly(4 + n)
                mib = float(params.get("mib", "1228.8"))
                payload, _ = ws_bomb_payload(mib)
                writer.write(ws_frame(payload))
                await writer.drain()
                await reader.read()  # until the client closes
                return
            else:
                writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
                await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        return
    finally:
        writer.close()


async def _server_main() -> None:
    state: dict = {}
    server = await asyncio.start_server(lambda r, w: _serve_connection(r, w, state), "127.0.0.1", 0)
    print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)  # until the parent closes our stdin
    server.close()


# --------------------------------------------------------------------------- measuring child


def _maxrss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


async def _measure(scenario: str, port: int, encoding: str, mib: int, ws_mib: float, work: str) -> dict[str, object]:
    from swoole_compat.coroutine.http import Client

    cli = Client("127.0.0.1", port)
    cli.set({"timeout": 600})
    result: dict[str, object] = {"scenario": scenario}
    written = None
    if scenario == "ws":
        cli.set({"websocket_compression": True})
        if not await cli.upgrade(f"/ws?mib={ws_mib}"):
            raise SystemExit(f"upgrade failed: {cli.errCode} {cli.errMsg}")
        warm = await cli.recv()
        if not warm or len(warm.data) != MIB:
            raise SystemExit(f"warm-up message failed: {cli.errCode} {cli.errMsg}")
        del warm
        baseline = _maxrss_kib()
        started = time.monotonic()
        await cli.push("go")
        got = await cli.recv()
        ok: object = got if got in (False, "") else f"Frame({len(got.data)} bytes)"
        del got
    else:
        target = os.path.join(work, "bomb.bin")
        if scenario == "download":
            ok = await cli.download("/small", target)
        else:
            ok = await cli.get("/small")
        if not ok:
            raise SystemExit(f"warm-up failed: {cli.errCode} {cli.errMsg}")
        cli.body = b""
        if scenario == "memory-size":
            cli.set({"max_decompression_ratio": 0})
        baseline = _maxrss_kib()
        started = time.monotonic()
        if scenario == "download":
            ok = await cli.download(f"/bomb/{encoding}?mib={mib}", target)
            written = os.path.getsize(target) if os.path.exists(target) else 0
        else:
            ok = await cli.get(f"/bomb/{encoding}?mib={mib}")
        result["body_len"] = len(cli.body)
    elapsed = time.monotonic() - started
    peak = _maxrss_kib()
    result.update(
        ok=ok,
        errCode=cli.errCode,
        statusCode=cli.statusCode,
        errMsg=cli.errMsg,
        connected=cli.connected,
        written=written,
        baseline_kib=baseline,
        peak_kib=peak,
        delta_mib=round((peak - baseline) / 1024, 1),
        seconds=round(elapsed, 2),
    )
    cli.close()
    return result


# --------------------------------------------------------------------------- driver


def _start_server() -> tuple[subprocess.Popen[str], int]:
    proc = subprocess.Popen([sys.executable, __file__, "--serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
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


def _run_child(scenario: str, port: int, encoding: str, mib: int, ws_mib: float, work: Path) -> dict[str, object]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    cmd = [sys.executable, __file__, "--measure", scenario, "--port", str(port), "--encoding", encoding]
    cmd += ["--mib", str(mib), "--ws-mib", str(ws_mib), "--path", str(work)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    return {"scenario": scenario, "error": (proc.stderr or proc.stdout).strip()[-2000:]}


EXPECTED = {"memory": 1203, "memory-size": 1203, "download": 1203, "ws": 1201}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gib", type=float, default=10.0, help="decoded size of the HTTP bombs (default 10 GiB)")
    parser.add_argument("--ws-gib", type=float, default=1.2, help="inflated size of the WebSocket bomb (default 1.2)")
    parser.add_argument("--encoding", default="gzip", help="gzip, deflate, br or a comma list (default gzip)")
    parser.add_argument("--scenario", default=",".join(SCENARIOS), help=f"comma list of {', '.join(SCENARIOS)}")
    parser.add_argument("--limit-mib", type=float, default=256.0, help="allowed peak RSS growth (default 256)")
    parser.add_argument("--dir", default=None, help="directory for the download target")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--measure", choices=SCENARIOS, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--mib", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--ws-mib", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.serve:
        asyncio.run(_server_main())
        return 0
    if args.measure:
        result = asyncio.run(_measure(args.measure, args.port, args.encoding, args.mib, args.ws_mib, args.path))
        print(json.dumps(result), flush=True)
        return 0

    mib = int(args.gib * 1024)
    ws_mib = round(args.ws_gib * 1024, 1)
    work = Path(tempfile.mkdtemp(prefix="bomb-memory-", dir=args.dir))
    failures = 0
    proc, port = _start_server()
    try:
        for scenario in args.scenario.split(","):
            for encoding in args.encoding.split(",") if scenario != "ws" else ["permessage-deflate"]:
                result = _run_child(scenario, port, encoding, mib, ws_mib, work)
                what = f"{scenario:11} {encoding:18}"
                if "error" in result:
                    print(f"{what}: FAILED to run: {result['error']}")
                    failures += 1
                    continue
                delta = float(result["delta_mib"])  # type: ignore[arg-type]
                stopped = result["ok"] is False and result["errCode"] == EXPECTED[scenario] and not result["connected"]
                verdict = "ok" if stopped and delta <= args.limit_mib else "FAIL"
                size = f"{args.ws_gib:g} GiB" if scenario == "ws" else f"{args.gib:g} GiB"
                extra = f", {result['written'] / MIB:.1f} MiB written" if result.get("written") is not None else ""
                print(
                    f"{what}: {size} bomb -> {result['ok']!r}, errCode {result['errCode']}, statusCode "
                    f"{result['statusCode']} in {result['seconds']} s{extra}; peak RSS "
                    f"{int(result['peak_kib']) / 1024:.0f} MiB (+{delta:.1f} MiB over the "  # type: ignore[call-overload]
                    f"{int(result['baseline_kib']) / 1024:.0f} MiB baseline); {verdict}\n"  # type: ignore[call-overload]
                    f"{'':31}errMsg: {result['errMsg']}"
                )
                if verdict != "ok":
                    failures += 1
    finally:
        _stop_server(proc)
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
