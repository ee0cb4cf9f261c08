#!/usr/bin/env python3
"""Long fuzzing run of the properties in ``tests/unit/test_fuzz.py``.

The suite runs each property for a few hundred examples; this tool runs them for minutes:

* with **atheris** (coverage-guided libFuzzer, ``pip install atheris``) when it is importable:
  ``swoole_compat`` and ``h11`` are instrumented, and every libFuzzer input is decoded by
  Hypothesis (``test.hypothesis.fuzz_one_input``) into the same structured, hostile inputs the
  suite uses; the first input byte picks the property;
* otherwise with **Hypothesis** alone: rounds of many examples per property, round-robin, until
  the time is up.

Failures are printed with their falsifying example and stored in the Hypothesis database
(``.hypothesis/``), so the next ``pytest tests/unit/test_fuzz.py`` replays them; libFuzzer's
crash/timeout inputs go to ``build/fuzz-artifacts/``.

Usage::

    python tools/fuzz.py --minutes 10                    # all properties, atheris if available
    python tools/fuzz.py --minutes 2 --engine hypothesis --target response --target frames
    python tools/fuzz.py --list

Prints the number of examples run per property and in total; exits 1 on a failure.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import threading
import time
import warnings
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "tests" / "unit")]

# property name -> test function in tests/unit/test_fuzz.py
TARGETS = {
    "response": "test_response_path_only_documented_outcomes",
    "response-split": "test_response_path_independent_of_read_boundaries",
    "bombs": "test_bombs_stop_at_the_limit",
    "cookies": "test_set_cookie_merge_equals_one_by_one",
    "frames": "test_frame_decoder_only_documented_outcomes_and_split_independent",
    "unpack": "test_frame_unpack_returns_frame_or_false",
    "pack-unpack": "test_frame_pack_unpack_round_trip",
    "request": "test_request_builder_never_injects",
    "client-http": "test_client_http_over_loopback",
    "client-ws": "test_client_websocket_over_loopback",
}
# Loopback properties cost a connection per example: they get a smaller share of atheris inputs.
SLOW = {"client-http", "client-ws"}
SCALE = 8  # hypothesis engine: each round runs 8 times the suite's examples per property


class Counter:
    """Examples run per property (thread-safe enough for a report)."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    def wrap(self, name: str, inner: Callable[..., Any]) -> Callable[..., Any]:
        def counted(*args: Any, **kwargs: Any) -> Any:
            self.counts[name] = self.counts.get(name, 0) + 1
            return inner(*args, **kwargs)

        return counted

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def report(self, elapsed: float) -> str:
        lines = [f"  {name:<14} {count:>10,}" for name, count in sorted(self.counts.items())]
        rate = self.total / elapsed if elapsed else 0.0
        return "\n".join([*lines, f"  {'total':<14} {self.total:>10,}  in {elapsed:.0f} s ({rate:,.0f}/s)"])


def load_tests(names: list[str], counter: Counter) -> dict[str, Any]:
    import test_fuzz  # noqa: PLC0415 - after sys.path (and atheris instrumentation) is set up

    tests = {}
    for name in names:
        test = getattr(test_fuzz, TARGETS[name])
        test.hypothesis.inner_test = counter.wrap(name, test.hypothesis.inner_test)
        tests[name] = test
    return tests


def quiet() -> None:
    """The decoders log and warn by design; a long run would drown in it."""
    logging.getLogger("swoole_compat").disabled = True
    warnings.simplefilter("ignore")


def run_hypothesis(names: list[str], seconds: float, counter: Counter) -> int:
    tests = load_tests(names, counter)
    quiet()
    started = time.monotonic()
    deadline = started + seconds
    failures = 0
    rounds = 0
    while time.monotonic() < deadline and tests:
        for name in list(tests):
            if time.monotonic() >= deadline:
                break
            try:
                tests[name]()  # one round: SCALE times the suite's example count, fresh seed
            except Exception as exc:  # noqa: BLE001 - report every kind of property failure
                failures += 1
                print(f"\nFAILED {name}: {type(exc).__name__}: {exc}", file=sys.stderr)
                del tests[name]  # keep fuzzing the others
        rounds += 1
        print(f"[{time.monotonic() - started:7.0f} s] round {rounds}: {counter.total:,} examples", file=sys.stderr)
    print(f"hypothesis engine, {rounds} round(s):\n{counter.report(time.monotonic() - started)}")
    return 1 if failures else 0


def run_atheris(names: list[str], seconds: float, counter: Counter, extra: list[str]) -> int:
    import atheris  # noqa: PLC0415

    with atheris.instrument_imports(include=["swoole_compat", "h11"]):
        import swoole_compat.coroutine.http  # noqa: F401, PLC0415
        import swoole_compat.websocket  # noqa: F401, PLC0415
    tests = load_tests(names, counter)
    quiet()
    # Weighted dispatch table: the first byte of each input picks the property.
    table = [name for name in names for _ in range(1 if name in SLOW else 8)]
    started = time.monotonic()
    stop = started + seconds

    def finish(status: int) -> None:
        print(f"atheris engine:\n{counter.report(time.monotonic() - started)}", flush=True)
        sys.stderr.flush()
        os._exit(status)  # libFuzzer's own exit skips Python's atexit handlers

    def one_input(data: bytes) -> None:
        if time.monotonic() >= stop:
            finish(0)
        if not data:
            return
        try:
            tests[table[data[0] % len(table)]].hypothesis.fuzz_one_input(data[1:])
        except BaseException:
            print(f"atheris engine (failure found):\n{counter.report(time.monotonic() - started)}", flush=True)
            raise  # libFuzzer records the crashing input

    def reporter() -> None:
        while True:
            time.sleep(30)
            print(f"[{time.monotonic() - started:7.0f} s] {counter.total:,} examples", file=sys.stderr, flush=True)

    threading.Thread(target=reporter, daemon=True).start()
    artifacts = ROOT / "build" / "fuzz-artifacts"  # crash/timeout/slow inputs (build/ is ignored)
    artifacts.mkdir(parents=True, exist_ok=True)
    argv = [
        sys.argv[0],
        f"-artifact_prefix={artifacts}/",
        f"-max_total_time={int(seconds) + 120}",  # backstop; one_input() stops at the deadline
        "-max_len=16384",
        "-len_control=0",
        "-rss_limit_mb=4096",
        "-timeout=120",  # generous: a loaded machine slows single inputs down
        *extra,
    ]
    atheris.Setup(argv, one_input)
    atheris.Fuzz()  # exits the process (status != 0 on a crash)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=5.0, help="how long to fuzz (default 5)")
    parser.add_argument("--engine", choices=["auto", "atheris", "hypothesis"], default="auto")
    parser.add_argument("--target", action="append", choices=sorted(TARGETS), help="property to fuzz (repeatable; default all)")
    parser.add_argument("--list", action="store_true", help="list the properties and exit")
    parser.add_argument("libfuzzer_args", nargs="*", help="extra libFuzzer arguments (atheris engine), after --")
    args = parser.parse_args()
    if args.list:
        for name, test in TARGETS.items():
            print(f"{name:<14} tests/unit/test_fuzz.py::{test}")
        return 0
    names = args.target or list(TARGETS)
    seconds = max(1.0, args.minutes * 60)
    counter = Counter()
    engine = args.engine
    if engine == "auto":
        try:
            import atheris  # noqa: F401, PLC0415

            engine = "atheris"
        except ImportError:
            engine = "hypothesis"
    os.chdir(ROOT)  # the Hypothesis database lives in ROOT/.hypothesis
    os.environ.setdefault("SWOOLE_COMPAT_FUZZ_SCALE", str(SCALE))
    print(f"fuzzing {', '.join(names)} for {seconds:.0f} s with {engine}", file=sys.stderr)
    if engine == "atheris":
        return run_atheris(names, seconds, counter, args.libfuzzer_args)
    return run_hypothesis(names, seconds, counter)


if __name__ == "__main__":
    sys.exit(main())
