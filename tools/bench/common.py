"""Constants, sizes, verification helpers and the meter shared by the orchestrator and the
client workers."""

from __future__ import annotations

import os
import random
import time
import zlib
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"
MiB = 1024 * 1024
CLIENTS = ("swoole_compat", "aiohttp", "httpx")
RESULT_MARK = "BENCH-RESULT "

FULL: dict[str, Any] = {
    "small": 128,
    "seq_n": 20_000,
    "conc_clients": 64,
    "conc_n": 500,
    "big": 64 * MiB,
    "big_reps": 5,
    "huge": 512 * MiB,
    "text": 16 * MiB,
    "text_reps": 5,
    "upload_reps": 5,
    "ws_small_n": 20_000,
    "ws_small_size": 32,
    "ws_big_n": 200,
    "ws_big_size": MiB,
    "chunked_reps": 5,
    "api_seq_n": 20_000,
    "api_conc_clients": 64,
    "api_conc_n": 500,
    "conns_n": 10_000,
    "conns_reqs": 5,
}
QUICK: dict[str, Any] = dict(
    FULL,
    seq_n=2_000,
    conc_n=50,
    big=16 * MiB,
    big_reps=2,
    huge=64 * MiB,
    text=4 * MiB,
    text_reps=2,
    upload_reps=2,
    ws_small_n=2_000,
    ws_big_n=20,
    chunked_reps=2,
    api_seq_n=2_000,
    api_conc_n=50,
    conns_n=1_000,
    conns_reqs=3,
)

# The API endpoint's JSON body: head + the request id (32 hex digits, also sent as
# X-Request-Id and in Set-Cookie) + tail. nginx fills the id in per response.
API_BODY_HEAD = b'{"id":"'
API_BODY_TAIL = (
    b'","status":"ok","user":{"id":4217,"name":"Ada Lovelace","email":"ada@example.com",'
    b'"roles":["admin","dev"]},"items":[1,2,3,5,8,13,21,34,55,89],"page":1,"next":null}'
)
API_ID_LEN = 32


class VerifyError(AssertionError):
    pass


def check(cond: Any, message: str) -> None:
    if not cond:
        raise VerifyError(message)


def verify_bytes(body: bytes, expect: dict[str, Any], what: str) -> None:
    check(len(body) == expect["size"], f"{what}: length {len(body)} != {expect['size']}")
    check(zlib.crc32(body) == expect["crc"], f"{what}: CRC-32 mismatch")


def verify_file(path: str, expect: dict[str, Any], what: str) -> None:
    crc = 0
    size = 0
    with open(path, "rb", buffering=0) as f:
        buf = bytearray(8 * MiB)
        view = memoryview(buf)
        while n := f.readinto(buf):
            crc = zlib.crc32(view[:n], crc)
            size += n
    check(size == expect["size"], f"{what}: file length {size} != {expect['size']}")
    check(crc == expect["crc"], f"{what}: file CRC-32 mismatch")


def verify_api(status: int, body: bytes, request_id: Any, cookie: Any, what: str = "API GET") -> None:
    """One API response: 200, X-Request-Id of 32 characters, the same id in the JSON body and
    in the ``sid`` cookie (so headers and body belong to the same response)."""
    if (
        status != 200
        or not isinstance(request_id, str)
        or len(request_id) != API_ID_LEN
        or body != API_BODY_HEAD + request_id.encode("ascii") + API_BODY_TAIL
        or cookie != request_id
    ):
        check(False, f"{what}: status {status}, X-Request-Id {request_id!r}, sid {cookie!r}, body {body[:60]!r}")


# ---------------------------------------------------------------------------------------------
# Measurement (inside the client process)
# ---------------------------------------------------------------------------------------------

CLK_TCK = os.sysconf("SC_CLK_TCK")


def proc_cpu(pids: list[int]) -> float:
    """CPU seconds used so far by ``pids`` (all their threads).

    ``/proc/<pid>/task/<tid>/schedstat`` holds the exact run time in ns; utime+stime from
    ``/proc/<pid>/stat`` (10 ms ticks, sampled) is the fallback on kernels without schedstat.
    """
    total = 0.0
    for pid in pids:
        try:
            tids = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        try:
            for tid in tids:
                with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                    total += int(f.read().split()[0]) / 1e9
        except (OSError, ValueError, IndexError):
            try:
                with open(f"/proc/{pid}/stat") as f:
                    stat = f.read()
            except OSError:
                continue
            fields = stat[stat.rfind(")") + 2 :].split()
            total += (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime
    return total


def machine_busy() -> float:
    """CPU seconds all CPUs spent busy since boot (``/proc/stat``; idle and iowait excluded)."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    return (user + nice + system + irq + softirq + steal) / CLK_TCK


def status_mib(field: str) -> float:
    """``VmRSS``/``VmHWM`` of this process in MiB. ``ru_maxrss`` is not used: Linux carries
    it over ``execve`` from the forking parent, so it would report the orchestrator's peak."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


class Meter:
    """Accumulates wall, client CPU and server CPU over timed sections. ``extra`` carries
    scenario-specific figures (memory per connection, fd counts, ...) into the report."""

    def __init__(self, server_pids: list[int], profiler: Any = None) -> None:
        self.server_pids = server_pids
        self.profiler = profiler
        self.wall = self.cpu = self.server_cpu = self.busy = 0.0
        self.ops = 0
        self.nbytes = 0
        self.extra: dict[str, Any] = {}
        self._t = self._c = self._s = self._b = 0.0

    def start(self) -> None:
        self._b = machine_busy()
        self._s = proc_cpu(self.server_pids)
        if self.profiler is not None:
            self.profiler.enable()
        self._c = time.process_time()
        self._t = time.perf_counter()

    def stop(self, ops: int, nbytes: int = 0) -> None:
        t = time.perf_counter()
        c = time.process_time()
        if self.profiler is not None:
            self.profiler.disable()
        self.wall += t - self._t
        self.cpu += c - self._c
        self.server_cpu += proc_cpu(self.server_pids) - self._s
        self.busy += machine_busy() - self._b
        self.ops += ops
        self.nbytes += nbytes


class Ctx:
    """What a client worker knows about the run: ports, test files, sizes."""

    def __init__(self, cfg: dict[str, Any]) -> None:
        self.port: int = cfg["port"]
        self.ws_port: int = cfg["ws_port"]
        self.files: dict[str, dict[str, Any]] = cfg["files"]
        self.sizes: dict[str, Any] = cfg["sizes"]
        self.workdir: str = cfg["workdir"]
        self.small = Path(self.files["small"]["path"]).read_bytes()
        self.payload = b""  # an upload body held in memory, loaded before the RSS baseline

    def url(self, key: str) -> str:
        return f"http://{HOST}:{self.port}{self.files[key]['url']}"

    def path_url(self, path: str) -> str:
        return f"http://{HOST}:{self.port}{path}"

    def ws_payloads(self, size: int, count: int) -> list[bytes]:
        rnd = random.Random(size)
        return [rnd.randbytes(size) for _ in range(count)]
