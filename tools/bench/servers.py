"""The servers, each in its own process pinned to the server CPU: nginx (every HTTP scenario)
and a WebSocket echo server (``websockets`` on uvloop). Also the preflight checks and the
reader of nginx's access log."""

from __future__ import annotations

import http.client
import os
import shutil
import socket
import subprocess
import sys
import time
import zlib
from pathlib import Path
from typing import Any, Callable

from .common import API_BODY_HEAD, API_BODY_TAIL, HOST, MiB


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def find_nginx() -> str | None:
    found = shutil.which("nginx")
    if found:
        return found
    for candidate in ("/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/local/nginx/sbin/nginx"):
        if os.access(candidate, os.X_OK):
            return candidate
    return None


def ensure_nginx() -> str:
    nginx = find_nginx()
    if nginx:
        return nginx
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        sys.exit(
            "nginx is not installed. Install it first, e.g.:\n"
            "    sudo apt-get update && sudo apt-get install -y nginx-light   (or: nginx)\n"
            "then run this script again."
        )
    print("nginx not found: installing it with apt-get ...", flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    for package in ("nginx-light", "nginx"):
        if subprocess.run(["apt-get", "install", "-y", "-qq", package], env=env).returncode == 0:
            break
    nginx = find_nginx()
    if not nginx:
        sys.exit("apt-get did not provide an nginx binary; install nginx by hand and retry")
    return nginx


def nginx_modules(nginx: str) -> str:
    return subprocess.run([nginx, "-V"], capture_output=True, text=True).stderr


NGINX_CONF = """\
{user}
daemon off;
master_process on;
worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
worker_rlimit_nofile {nofile};
events {{
    worker_connections {worker_connections};
    multi_accept on;
}}
http {{
    log_format bench '$connection $connection_requests $status $request_length $body_bytes_sent $uri';
    access_log {root}/access.log bench;
    client_body_temp_path {root}/tmp/body;
    proxy_temp_path {root}/tmp/proxy;
    fastcgi_temp_path {root}/tmp/fastcgi;
    uwsgi_temp_path {root}/tmp/uwsgi;
    scgi_temp_path {root}/tmp/scgi;
    types {{
        application/octet-stream bin;
        text/plain txt;
    }}
    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_requests 10000000;
    keepalive_timeout 600s;
    reset_timedout_connection on;

    upstream upload_sink {{
        server 127.0.0.1:{sink_port};
        keepalive 32;
    }}

    server {{
        listen 127.0.0.1:{port} backlog=16384;
        root {root}/www;

        location / {{
        }}
        # Pre-compressed file: always sent with Content-Encoding: gzip.
        location = /text.txt {{
            gzip_static always;
        }}
        # Same files, but a body filter removes Content-Length: chunked encoding.
        location /chunked/ {{
            alias {root}/www/;
            {chunk_filter}
        }}
        location = /_empty {{
        }}
        # A JSON API: 11 response headers, four of them different on every response (Date once
        # a second; ETag, X-Request-Id and Set-Cookie every time, ETag also in length).
        location = /api {{
            default_type application/json;
            add_header Cache-Control "private, max-age=0, must-revalidate";
            add_header ETag '"$connection-$connection_requests"';
            add_header X-Request-Id $request_id;
            add_header Set-Cookie "sid=$request_id; Path=/; HttpOnly";
            add_header Vary Accept-Encoding;
            add_header X-Content-Type-Options nosniff;
            return 200 '{api_body}';
        }}
        # Reads the whole request body (in memory), then answers 200 "ok" from the sink.
        location = /upload {{
            client_max_body_size 0;
            client_body_buffer_size {body_buffer};
            proxy_request_buffering on;
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_set_header Content-Type "";
            proxy_set_header Connection "";
            proxy_http_version 1.1;
            proxy_pass http://upload_sink;
        }}
    }}
    server {{
        listen 127.0.0.1:{sink_port};
        access_log off;
        location / {{
            return 200 "ok\\n";
        }}
    }}
}}
"""


NGINX_MALLOC_ENV = {"MALLOC_MMAP_MAX_": "0", "MALLOC_TRIM_THRESHOLD_": str(1 << 30)}
"""glibc malloc settings for nginx (read once by the master, inherited by its worker).

``/upload`` reads each 64 MiB body into one buffer of that size. glibc serves allocations
above 32 MiB with ``mmap`` whatever its settings, so without these every upload mapped 64 MiB
of fresh memory and faulted it in page by page: the server, not the client, set the pace of
scenario 6 (97 % of its core). With ``mmap`` off and no trimming, the freed buffer stays in
the heap and the next upload reuses it."""


def hard_nofile() -> int:
    import resource

    return resource.getrlimit(resource.RLIMIT_NOFILE)[1]


def raise_nofile(wanted: int) -> tuple[int, str | None]:
    """Raise this process's RLIMIT_NOFILE (inherited by nginx and the client workers) to
    ``wanted``: the soft limit up to the hard one, and the hard one too when privileged.
    Returns the soft limit now in force and a note when it is below ``wanted``."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, wanted))
            soft, hard = wanted, wanted
        except (ValueError, OSError):
            pass
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft == resource.RLIM_INFINITY or soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    note = None if soft >= wanted else f"RLIMIT_NOFILE is {soft} (hard {hard}), {wanted} wanted"
    return soft, note


def _pin(cpu: int | None) -> Callable[[], None] | None:
    if cpu is None:
        return None

    def apply() -> None:
        os.sched_setaffinity(0, {cpu})

    return apply


def wait_port(port: int, proc: subprocess.Popen[Any], what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"{what} exited with status {proc.returncode}")
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"{what} did not start listening on port {port}")


def children_of(pid: int) -> list[int]:
    kids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        if int(fields[1]) == pid:
            kids.append(int(entry))
    return kids


def start_nginx(nginx: str, root: Path, sizes: dict[str, Any], cpu: int | None) -> tuple[subprocess.Popen[Any], int]:
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (root / "tmp" / sub).mkdir(parents=True, exist_ok=True)
    modules = nginx_modules(nginx)
    nofile = max(4096, min(hard_nofile(), sizes["conns_n"] + 1024))
    if "http_addition_module" in modules:
        chunk_filter = "add_after_body /_empty;\n            addition_types *;"
    else:  # SSI is built in by default; it scans the body, so it costs the server more CPU
        chunk_filter = "ssi on;\n            ssi_types *;"
    if "http_gzip_static_module" not in modules:
        sys.exit("this nginx lacks gzip_static (install the Debian nginx / nginx-light package)")
    port, sink_port = free_port(), free_port()
    conf = NGINX_CONF.format(
        user="user root root;" if os.geteuid() == 0 else "",
        root=root,
        port=port,
        sink_port=sink_port,
        chunk_filter=chunk_filter,
        body_buffer=f"{sizes['big'] // MiB + 1}m",
        nofile=nofile,
        worker_connections=nofile - 64,
        api_body=(API_BODY_HEAD + b"$request_id" + API_BODY_TAIL).decode("ascii"),
    )
    conf_path = root / "nginx.conf"
    conf_path.write_text(conf)
    check = subprocess.run([nginx, "-t", "-c", str(conf_path), "-p", str(root), "-e", str(root / "error.log")], capture_output=True, text=True)
    if check.returncode != 0:
        sys.exit(f"nginx rejected the configuration:\n{check.stderr}")
    proc = subprocess.Popen(
        [nginx, "-c", str(conf_path), "-p", str(root), "-e", str(root / "error.log")],
        preexec_fn=_pin(cpu),
        stdout=subprocess.DEVNULL,
        stderr=open(root / "nginx.stderr", "wb"),
        env=dict(os.environ, **NGINX_MALLOC_ENV),
    )
    wait_port(port, proc, "nginx")
    return proc, port


WS_SERVER_CODE = """
import asyncio, os, sys
try:
    import uvloop
except ImportError:
    uvloop = None
from websockets.asyncio.server import serve
import websockets

async def echo(ws):
    async for message in ws:
        await ws.send(message)

async def main(port):
    async with serve(echo, "127.0.0.1", port, compression=None, max_size=None, max_queue=None,
                     ping_interval=None, write_limit=4 * 1024 * 1024):
        print("ready", flush=True)
        await asyncio.Future()

try:
    from websockets import speedups  # noqa: F401
    speed = "C speedups"
except ImportError:
    speed = "no C speedups"
sys.stderr.write(f"websockets {websockets.__version__} ({speed}), loop={'uvloop' if uvloop else 'asyncio'}\\n")
(uvloop.run if uvloop else asyncio.run)(main(int(sys.argv[1])))
"""


def start_ws_server(root: Path, cpu: int | None) -> tuple[subprocess.Popen[Any], int, str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", WS_SERVER_CODE, str(port)],
        preexec_fn=_pin(cpu),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stderr is not None
    line = proc.stdout.readline()
    if line.strip() != "ready":
        sys.exit(f"WebSocket server failed to start: {proc.stderr.read()}")
    info = proc.stderr.readline().strip()
    return proc, port, info


def preflight(port: int, manifest: dict[str, Any], sizes: dict[str, Any]) -> list[str]:
    """Check the server setup with the standard library before any client runs."""
    notes = []
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    conn.request("GET", manifest["text"]["url"], headers={"Accept-Encoding": "gzip"})
    resp = conn.getresponse()
    body = resp.read()
    if resp.getheader("Content-Encoding") != "gzip" or len(body) != manifest["text"]["gz_size"]:
        sys.exit("preflight: /text.txt is not served pre-compressed with Content-Encoding: gzip")
    notes.append(f"gzip: {manifest['text']['size'] // MiB} MiB text is {len(body) / MiB:.1f} MiB on the wire")

    conn.request("GET", "/chunked/small.bin")
    resp = conn.getresponse()
    body = resp.read()
    if resp.getheader("Transfer-Encoding") != "chunked" or resp.getheader("Content-Length") is not None:
        sys.exit("preflight: /chunked/ responses are not chunked")
    if zlib.crc32(body) != manifest["small"]["crc"]:
        sys.exit("preflight: the chunked filter changed the body")
    notes.append("chunked: /chunked/ responses carry Transfer-Encoding: chunked, no Content-Length")

    conn.request("GET", "/api")
    resp = conn.getresponse()
    body = resp.read()
    rid = resp.getheader("X-Request-Id") or ""
    if resp.status != 200 or body != API_BODY_HEAD + rid.encode() + API_BODY_TAIL or len(rid) != 32:
        sys.exit(f"preflight: /api answered {resp.status} {body[:80]!r} X-Request-Id {rid!r}")
    notes.append(f"api: /api answers {len(resp.getheaders())} headers and {len(body)} B of JSON")

    sock_before = conn.sock
    payload = os.urandom(300_000)
    for _ in range(2):
        conn.request("POST", "/upload", body=payload, headers={"Content-Type": "application/octet-stream"})
        resp = conn.getresponse()
        body = resp.read()
        if resp.status != 200 or body != b"ok\n" or resp.will_close:
            sys.exit(f"preflight: /upload answered {resp.status} {body!r} will_close={resp.will_close}")
    if conn.sock is not sock_before:
        sys.exit("preflight: /upload did not keep the connection alive")
    notes.append("upload: /upload reads the whole body, answers 200 and keeps the connection alive")
    conn.close()
    return notes


class AccessLog:
    """Reads the lines nginx appended since the last call."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = path.stat().st_size if path.exists() else 0

    def mark(self) -> None:
        self.offset = self.path.stat().st_size if self.path.exists() else 0

    def new_lines(self) -> list[list[str]]:
        if not self.path.exists():
            return []
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            data = f.read()
        self.offset += len(data)
        return [line.split() for line in data.decode("ascii", "replace").splitlines() if line.strip()]
