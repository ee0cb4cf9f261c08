"""Throughput benchmark: swoole_compat against aiohttp and httpx on fast local servers.

Servers (each in its own process, pinned to CPU 0 when the machine has two or more CPUs):

* nginx (Debian's ``nginx``/``nginx-light``), configured in a temporary directory on
  127.0.0.1 with keep-alive (``keepalive_requests`` 10M). Static files are generated at start:
  a small body, a 64 MiB body, a sparse 512 MiB body, a 16 MiB text file served pre-compressed
  (``gzip_static always`` -> ``Content-Encoding: gzip``), the 64 MiB body again under
  ``/chunked/`` where the ``addition`` filter (an empty ``add_after_body``) drops the
  Content-Length so the response is chunked; ``/api``, a JSON API answer with 11 headers of
  which Date, ETag, X-Request-Id and Set-Cookie change (the last three on every response);
  and ``/upload``, which reads the whole request body into memory (``proxy_pass`` with request
  buffering and ``proxy_pass_request_body off``) before answering 200 from a second server
  block. Every HTTP request is logged with its connection number, which the report uses to
  check request counts, connection reuse and upload lengths.
* a WebSocket echo server: the ``websockets`` package (C speedups) on uvloop when installed.

Clients run one process per (scenario, client), pinned to CPU 1, so peak RSS (``VmHWM``) is
per scenario. Wall time, client CPU (``time.process_time``) and server CPU
(``/proc/<pid>/task/*/schedstat``) are measured over the timed sections only; checksums of
large bodies are verified outside them. Every response is verified (status, length, CRC-32 of
the content; API answers: the request id of the header, the body and the cookie agree).

Usage::

    python tools/bench.py                    # every scenario but the opt-in ones, full sizes
    python tools/bench.py --quick            # reduced sizes, smoke run
    python tools/bench.py --list             # the scenarios, by number and name
    python tools/bench.py --scenario api_seq --scenario api_conc --clients swoole_compat,aiohttp
    python tools/bench.py --scenario conns_10k          # opt-in: 10,000 keep-alive connections
    python tools/bench.py --quick --profile cprofile --clients swoole_compat
    python tools/bench.py --repeat 3 --json results.json --markdown results.md
    python -m tools.bench ...                # the same, from the repository's root

Columns: throughput over the timed sections; CPU/op = client CPU time per operation (request,
round trip or body) -- the number to trust when the machine is shared; cli/srv CPU = share of
one core used by the client / the server; other = CPU used meanwhile by other processes on the
machine (above ~15% the wall-clock throughput is unreliable); peak RSS = the client's VmHWM;
+base = peak RSS over the worker's baseline (interpreter, client library, any in-memory
upload body); conns = connections the server saw. ``download`` writes to /dev/shm
(``--download-dir``) so a slow disk does not hide the client's cost.

Package layout: ``scenarios`` (the registry: names, titles, server-side checks),
``adapters/`` (one module per client library), ``servers`` (nginx, the WebSocket echo server,
preflight, access log), ``data`` (test files), ``worker`` (the per-client process), ``report``
(derived figures, tables, Markdown, JSON) and ``cli`` (options and orchestration).

Needs: nginx (installed with apt-get when run as root and missing), aiohttp, httpx and
websockets in the interpreter running this script (``pip install -e '.[bench]'``; uvloop
optional).
"""
