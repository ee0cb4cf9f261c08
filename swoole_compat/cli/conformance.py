"""``swoole-compat conformance``: run the conformance kit (docs/conformance.md)."""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Any

from ..conformance import kit
from ..conformance.report import html_report, line, summary


async def conformance(args: Any) -> int:
    runner = kit.runner_command(args.runner)
    scenarios = kit.load_scenarios(args.scenarios or kit.SCENARIO_DIR, args.only)
    expected_dir = args.expected or kit.EXPECTED_DIR
    if not scenarios:
        print("no scenario matches", file=sys.stderr)
        return 2
    if args.record:
        sem = asyncio.Semaphore(max(1, args.jobs))
        asyncio.get_running_loop().set_exception_handler(lambda _loop, _ctx: None)

        async def rec(scn: dict[str, Any]) -> bool:
            async with sem:
                ok, note = await kit.record(scn, runner, args.runs, args.recorded_from, expected_dir)
            print(f"{'RECORDED' if ok else 'UNSTABLE':<10} {scn['name']}  {'' if ok else note}", flush=True)
            return ok

        oks = await asyncio.gather(*(rec(s) for s in scenarios))
        bad = oks.count(False)
        print(f"{len(scenarios) - bad} recorded, {bad} unstable (not written)")
        return 1 if bad else 0

    def show(result: kit.Result) -> None:
        print(line(result), flush=True)

    results = await kit.run_all(scenarios, runner, jobs=args.jobs, expected_dir=expected_dir, on_result=show)
    print(summary(results))
    if args.html:
        with open(args.html, "w", encoding="utf-8") as fh:
            fh.write(html_report(results, " ".join(runner)))
        print(f"report written to {os.path.abspath(args.html)}")
    return 1 if any(r.status in ("fail", "error", "noexp") for r in results) else 0
