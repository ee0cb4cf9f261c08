"""Resource safety: many requests of every outcome leave file descriptors and memory flat, and a
run under ``python -W error -X dev`` (asyncio debug mode, every warning an error) leaves nothing
behind: no "Task was destroyed but it is pending", no "unclosed transport", no ResourceWarning.

The servers of the 10,000-request test run in a child process, so the file descriptors and the RSS
measured are the client's alone. The figures are printed (run with ``-s`` to see them); the
bounds are generous on purpose: the point is "flat", not a particular allocator's behaviour.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import swoole_compat
from swoole_compat.coroutine.http import Client

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
TESTS_DIR = Path(__file__).resolve().parent.parent
# The folder holding the swoole_compat under test (the checkout, or site-packages for an installed wheel).
ROOT = Path(swoole_compat.__file__).resolve().parents[1]


def fd_count() -> int:
    return len(os.listdir("/proc/self/fd"))


def rss_bytes() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0  # pragma: no cover - not Linux


SERVERS = textwrap.dedent(
    """
    import asyncio, json, socket, struct, sys

    OK = b"HTTP/1.1 200 OK\\r\\nContent-Length: 2\\r\\n\\r\\nok"
    BAD = b"HTTP/1.1 200 OK\\r\\nBad(Header: x\\r\\n\\r\\n"
    CUT = b"HTTP/1.1 200 OK\\r\\nContent-Length: 10\\r\\n\\r\\nabc"


    def handler(kind):
        async def serve(reader, writer):
            try:
                if kind == "timeout":
                    while await reader.read(65536):
                        pass
                    return
                while True:
                    await reader.readuntil(b"\\r\\n\\r\\n")
                    if kind == "reset":
                        sock = writer.get_extra_info("socket")
                        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                        writer.transport.abort()
                        return
                    writer.write({"ok": OK, "fresh": OK, "cut": CUT, "malformed": BAD}[kind])
                    await writer.drain()
                    if kind == "cut":
                        return
            except (asyncio.IncompleteReadError, ConnectionError):
                pass
            finally:
                writer.close()
        return serve


    async def main():
        ports = {}
        for kind in ("ok", "fresh", "timeout", "reset", "cut", "malformed"):
            server = await asyncio.start_server(handler(kind), "127.0.0.1", 0, backlog=1024)
            ports[kind] = server.sockets[0].getsockname()[1]
        print(json.dumps(ports), flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until the test ends


    asyncio.run(main())
    """
)


class Mix:
    """One worker's request loop over the servers (in a child process, so that the fds and the
    RSS measured here are the client's alone)."""

    KINDS = ("ok", "ok", "ok", "ok", "ok", "ok", "fresh", "refused", "timeout", "reset", "cut", "malformed")
    EXPECTED = {"fresh": (200, 0), "refused": (-1, 111), "timeout": (-2, 110), "reset": (-3, 104),
                "cut": (-3, 104), "malformed": (-3, 7102)}

    def __init__(self, ports: dict[str, int]) -> None:
        self.ports = ports
        self.outcomes: dict[str, int] = {}

    async def worker(self, count: int, offset: int) -> None:
        keep = Client("127.0.0.1", self.ports["ok"])
        try:
            for i in range(count):
                kind = self.KINDS[(i + offset) % len(self.KINDS)]
                if kind == "ok":
                    assert await keep.get("/") is True, (keep.errCode, keep.errMsg)
                    assert keep.body == b"ok"
                else:
                    cli = Client("127.0.0.1", self.ports[kind])
                    cli.set({"timeout": 0.002 if kind == "timeout" else 5})
                    ok = await cli.get("/")
                    assert (cli.statusCode, cli.errCode) == self.EXPECTED[kind], (kind, cli.statusCode, cli.errCode)
                    assert ok is (kind == "fresh")
                    cli.close()
                self.outcomes[kind] = self.outcomes.get(kind, 0) + 1
        finally:
            keep.close()

    async def run(self, total: int, workers: int = 20) -> None:
        await asyncio.gather(*(self.worker(total // workers, w) for w in range(workers)))


def _refused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_ten_thousand_mixed_requests_leave_fds_and_memory_flat() -> None:
    proc = subprocess.Popen([sys.executable, "-c", SERVERS], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = await asyncio.wait_for(asyncio.get_running_loop().run_in_executor(None, proc.stdout.readline), 20)
        ports = json.loads(line)
        ports["refused"] = _refused_port()
        mix = Mix(ports)

        await mix.run(2000)  # warm-up: caches, allocator arenas
        gc.collect()
        fds_before, rss_before = fd_count(), rss_bytes()
        started = time.monotonic()
        await mix.run(10_000)
        took = time.monotonic() - started
        gc.collect()
        fds_after, rss_after = fd_count(), rss_bytes()
    finally:
        proc.kill()
        proc.wait()

    assert sum(mix.outcomes.values()) == 12_000
    assert set(mix.outcomes) == set(Mix.KINDS)
    print(
        f"\n10,000 requests in {took:.1f} s ({mix.outcomes}); open fds {fds_before} -> {fds_after}; "
        f"RSS {rss_before / 2**20:.1f} MiB -> {rss_after / 2**20:.1f} MiB ({(rss_after - rss_before) / 2**20:+.1f} MiB)"
    )
    assert fds_after - fds_before <= 3
    assert rss_after - rss_before < 8 * 2**20


SCENARIO = textwrap.dedent(
    """
    import asyncio, gc, gzip, logging, re, sys
    sys.path.insert(0, TESTS_DIR)
    logging.getLogger("swoole_compat").addHandler(logging.NullHandler())
    logging.getLogger("swoole_compat").propagate = False  # core-log lines are not the subject here
    from support.raw import close, hold, raw_server, read_head, read_request_head, reset, reset_immediately, respond, script, send
    from support.ws import WSServer, echo
    from swoole_compat.coroutine.http import Client

    OK = b"HTTP/1.1 200 OK\\r\\nContent-Length: 2\\r\\n\\r\\nok"
    BOMB = gzip.compress(bytes(8 << 20), 9, mtime=0)
    GZ = b"HTTP/1.1 200 OK\\r\\nContent-Encoding: gzip\\r\\nContent-Length: %d\\r\\n\\r\\n" % len(BOMB) + BOMB


    async def cancelled(coro, delay):
        task = asyncio.ensure_future(coro)
        await asyncio.sleep(delay)
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass


    async def main(tmp):
        async with raw_server(respond(OK)) as ok, raw_server(hold) as held, \\
                raw_server(reset_immediately) as rst, raw_server(respond(GZ)) as gz, \\
                raw_server(script(read_head(), send(b"HTTP/1.1 200 OK\\r\\nContent-Length: 9\\r\\n\\r\\nab"), close())) as cut, \\
                WSServer(echo) as ws:
            gone = raw_server()
            await gone.start()
            port = gone.port
            await gone.kill()
            keep = Client("127.0.0.1", ok.port)
            for _ in range(50):
                assert await keep.get("/") is True
            keep.close()
            for _ in range(20):  # clients dropped without close()
                dropped = Client("127.0.0.1", ok.port)
                assert await dropped.get("/") is True
            del dropped
            for srv, code in ((held, 110), (rst, 104), (cut, 104)):
                c = Client("127.0.0.1", srv.port)
                c.set({"timeout": 0.05})
                assert await c.get("/") is False and c.errCode == code, (c.errCode, code)
            c = Client("127.0.0.1", port)
            assert await c.get("/") is False and c.errCode == 111
            c = Client("127.0.0.1", gz.port)
            c.set({"max_body_size": 1 << 20})
            assert await c.get("/") is False and c.errCode == 1203
            assert await c.download("/", tmp + "/bomb") is True
            c.close()
            # cancelled in connect/send, in receive, in a defer recv
            await cancelled(Client("127.0.0.1", ok.port).get("/"), 0)
            await cancelled(Client("127.0.0.1", held.port).get("/"), 0.05)
            c = Client("127.0.0.1", held.port)
            c.setDefer()
            assert await c.get("/") is True
            await cancelled(c.recv(5), 0.05)
            # WebSocket: echo, recv timeout, cancelled recv, disconnect, and one dropped open
            w = Client("127.0.0.1", ws.port)
            assert await w.upgrade("/") is True
            assert await w.push("hello") is True
            assert (await w.recv(1)).data == b"hello"
            assert await w.recv(0.05) is False and w.errCode == 110
            await cancelled(w.recv(5), 0.05)
            assert await w.disconnect() is True
            w = Client("127.0.0.1", ws.port)
            assert await w.upgrade("/") is True
            del w
            gc.collect()
            await asyncio.sleep(0.1)
        gc.collect()


    asyncio.run(main(sys.argv[1]))
    gc.collect()
    print("done")
    """
)


def test_no_leaks_under_dev_mode_with_warnings_as_errors(tmp_path: Path) -> None:
    """``python -W error -X dev``: asyncio debug mode reports pending tasks and unclosed
    transports, and every ResourceWarning is an error; the run must leave stderr empty."""
    script_path = tmp_path / "scenario.py"
    script_path.write_text(f"TESTS_DIR = {str(TESTS_DIR)!r}\n" + SCENARIO)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "SWOOLE_COMPAT"))}
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.run(
        [sys.executable, "-W", "error", "-X", "dev", str(script_path), str(tmp_path)],
        capture_output=True, text=True, timeout=60, env=env, cwd=str(tmp_path),
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "done"
    assert proc.stderr == "", proc.stderr
