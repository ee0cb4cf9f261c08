"""The scenario registry: a stable name per scenario (``--scenario NAME``; the number works
too), its title, which server it uses, how its throughput is counted and what the server's
access log must show afterwards. The client side of each scenario lives in ``adapters/``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from .common import MiB


@dataclass(frozen=True)
class Scenario:
    number: int
    name: str
    title: Callable[[dict[str, Any]], str]
    unit: str = "ops"  # "ops": operations per second; "bytes": MiB per second
    server: str = "nginx"  # "nginx" or "ws" (the WebSocket echo server)
    uri: str | None = None  # the path every logged request must have (None: not checked)
    requests: Callable[[dict[str, Any]], int] | None = None  # requests the server must log
    conns: Callable[[dict[str, Any]], int] | None = None  # exact connections the server must see
    max_conns: Callable[[dict[str, Any]], int] | None = None  # more is reported as a note
    min_request_length: Callable[[dict[str, Any]], int] | None = None  # uploads: bytes per request
    preload: str | None = None  # file key read into ctx.payload before the RSS baseline
    reference: tuple[float, str] | None = None  # (ops/s, what) printed as "x of reference"
    opt_in: bool = False  # only with --scenario NAME / --all


def _one(_: dict[str, Any]) -> int:
    return 1


NATIVE_SWOOLE_SEQ = 18_700.0
"""Requests/s of the native Swoole client (PHP extension), sequential small requests on one
keep-alive connection, on the class of machine these numbers come from (issue 14)."""

SCENARIOS: list[Scenario] = [
    Scenario(
        1, "get_seq",
        lambda s: f"{s['seq_n']:,} sequential small GETs ({s['small']} B), one connection",
        uri="/small.bin", requests=lambda s: s["seq_n"], conns=_one,
    ),
    Scenario(
        2, "get_conc",
        lambda s: f"{s['conc_clients']} concurrent clients x {s['conc_n']} small GETs",
        uri="/small.bin", requests=lambda s: s["conc_clients"] * s["conc_n"],
        max_conns=lambda s: s["conc_clients"],
    ),
    Scenario(
        3, "body_mem",
        lambda s: f"{s['big'] // MiB} MiB body into memory x{s['big_reps']}",
        unit="bytes", uri="/big.bin", requests=lambda s: s["big_reps"], conns=_one,
    ),
    Scenario(
        4, "download",
        lambda s: f"{s['huge'] // MiB} MiB streamed to a file (download())",
        unit="bytes", uri="/huge.bin", requests=_one, conns=_one,
    ),
    Scenario(
        5, "gzip",
        lambda s: f"{s['text'] // MiB} MiB gzip'd text decoded x{s['text_reps']}",
        unit="bytes", uri="/text.txt", requests=lambda s: s["text_reps"], conns=_one,
    ),
    Scenario(
        6, "upload_file",
        lambda s: f"{s['big'] // MiB} MiB multipart upload from a file (addFile) x{s['upload_reps']}",
        unit="bytes", uri="/upload", requests=lambda s: s["upload_reps"], conns=_one,
        min_request_length=lambda s: s["big"],
    ),
    Scenario(
        7, "ws_small",
        lambda s: f"{s['ws_small_n']:,} WebSocket round trips of {s['ws_small_size']} B",
        server="ws",
    ),
    Scenario(
        8, "ws_big",
        lambda s: f"{s['ws_big_n']} WebSocket round trips of {s['ws_big_size'] // 1024} KiB",
        unit="bytes", server="ws",
    ),
    Scenario(
        9, "chunked",
        lambda s: f"{s['big'] // MiB} MiB chunked body into memory x{s['chunked_reps']}",
        unit="bytes", uri="/chunked/big.bin", requests=lambda s: s["chunked_reps"], conns=_one,
    ),
    Scenario(
        10, "api_seq",
        lambda s: f"{s['api_seq_n']:,} sequential API GETs (11 headers, JSON), one connection",
        uri="/api", requests=lambda s: s["api_seq_n"], conns=_one,
        reference=(NATIVE_SWOOLE_SEQ, "native Swoole, sequential"),
    ),
    Scenario(
        11, "api_conc",
        lambda s: f"{s['api_conc_clients']} concurrent clients x {s['api_conc_n']} API GETs",
        uri="/api", requests=lambda s: s["api_conc_clients"] * s["api_conc_n"],
        max_conns=lambda s: s["api_conc_clients"],
    ),
    Scenario(
        12, "upload_raw",
        lambda s: f"{s['big'] // MiB} MiB raw body from memory (post(path, bytes)) x{s['upload_reps']}",
        unit="bytes", uri="/upload", requests=lambda s: s["upload_reps"], conns=_one,
        min_request_length=lambda s: s["big"], preload="big",
    ),
    Scenario(
        13, "upload_data",
        lambda s: f"{s['big'] // MiB} MiB multipart part from memory (addData) x{s['upload_reps']}",
        unit="bytes", uri="/upload", requests=lambda s: s["upload_reps"], conns=_one,
        min_request_length=lambda s: s["big"], preload="big",
    ),
    Scenario(
        14, "conns_10k",
        lambda s: f"{s['conns_n']:,} keep-alive connections x {s['conns_reqs']} GETs each",
        uri="/small.bin", requests=lambda s: s["conns_n"] * s["conns_reqs"],
        conns=lambda s: s["conns_n"], opt_in=True,
    ),
]

BY_NAME = {s.name: s for s in SCENARIOS}
BY_NUMBER = {s.number: s for s in SCENARIOS}


def resolve(token: str) -> Scenario:
    token = token.strip()
    if token.isdigit() and int(token) in BY_NUMBER:
        return BY_NUMBER[int(token)]
    if token in BY_NAME:
        return BY_NAME[token]
    choices = ", ".join(f"{s.number}={s.name}" for s in SCENARIOS)
    raise SystemExit(f"unknown scenario {token!r}; choose from {choices}")


def describe(sizes: dict[str, Any]) -> str:
    lines = []
    for s in SCENARIOS:
        flag = "  (opt-in)" if s.opt_in else ""
        lines.append(f"  {s.number:>2}  {s.name:<12} {s.title(sizes)}{flag}")
    return "\n".join(lines)
