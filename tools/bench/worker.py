"""The client worker: one process per (scenario, client, repetition), pinned to the client
CPU. It imports the client library, loads any in-memory upload body, measures its RSS
baseline, runs the scenario and prints one ``BENCH-RESULT {json}`` line."""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import time
import traceback
from pathlib import Path
from typing import Any

from .common import RESULT_MARK, Ctx, Meter, VerifyError, status_mib
from .scenarios import BY_NAME

ADAPTERS = {
    "swoole_compat": "swoole_client",
    "aiohttp": "aiohttp_client",
    "httpx": "httpx_client",
}


def adapter(client: str) -> Any:
    return importlib.import_module(f"{__package__}.adapters.{ADAPTERS[client]}")


def supports(client: str, scenario: str) -> bool:
    return scenario in adapter(client).RUNNERS


def worker_main(cfg_path: str) -> None:
    cfg = json.loads(Path(cfg_path).read_text())
    if cfg.get("cpu") is not None:
        os.sched_setaffinity(0, {cfg["cpu"]})
    client, name = cfg["client"], cfg["scenario"]
    scenario = BY_NAME[name]
    module = adapter(client)
    runner = module.RUNNERS[name]
    importlib.import_module(module.LIBRARY)  # imported before the baseline
    ctx = Ctx(cfg)
    if scenario.preload:
        ctx.payload = Path(ctx.files[scenario.preload]["path"]).read_bytes()
    profile = cfg.get("profile")
    profiler = None
    if profile == "cprofile":
        import cProfile

        # CPU time, not wall time: waiting in epoll must not show up as a hot spot.
        profiler = cProfile.Profile(time.process_time)
    meter = Meter(cfg["server_pids"], profiler)
    result: dict[str, Any] = {"client": client, "scenario": name, "base_rss_mib": status_mib("VmRSS")}
    pyi = None
    if profile == "pyinstrument":
        from pyinstrument import Profiler

        pyi = Profiler(interval=0.0002, async_mode="disabled")
        pyi.start()
    try:
        asyncio.run(runner(ctx, meter))
    except VerifyError as exc:
        result["error"] = f"verification failed: {exc}"
    except Exception as exc:  # report, keep the other scenarios running
        traceback.print_exc()
        result["error"] = f"{type(exc).__name__}: {exc}"
    if pyi is not None:
        pyi.stop()
    result.update(
        wall=meter.wall,
        cpu=meter.cpu,
        server_cpu=meter.server_cpu,
        # CPU used by other processes on the machine meanwhile (jiffy resolution).
        other_cpu=max(0.0, meter.busy - meter.cpu - meter.server_cpu),
        ops=meter.ops,
        nbytes=meter.nbytes,
        peak_rss_mib=status_mib("VmHWM"),
        extra=meter.extra,
    )
    out_dir = cfg.get("profile_dir")
    if out_dir and (profiler is not None or pyi is not None):
        os.makedirs(out_dir, exist_ok=True)
        stem = os.path.join(out_dir, f"{name}-{client}")
        if profiler is not None:
            import pstats

            profiler.dump_stats(stem + ".prof")
            with open(stem + ".txt", "w") as fh:
                stats = pstats.Stats(profiler, stream=fh)
                stats.sort_stats("tottime").print_stats(40)
                stats.sort_stats("cumulative").print_stats(40)
            result["profile"] = stem + ".txt"
        if pyi is not None:
            with open(stem + ".pyinstrument.txt", "w") as fh:
                fh.write(pyi.output_text(unicode=True, color=False, show_all=False))
            result["profile"] = stem + ".pyinstrument.txt"
    print(RESULT_MARK + json.dumps(result), flush=True)
