#!/usr/bin/env python3
"""Port status of Swoole's phpt suite ``tests/swoole_http_client_coro/`` (94 files).

For every upstream phpt listed in ``tools/data/upstream_phpt.tsv`` this finds the ported
module under ``tests/ported_phpt/`` and its result in a pytest JUnit report, then prints one
row per phpt and a closing line ``N passed, M failed, K skipped``. Missing modules and modules
without any collected test count as failed. Exit status: 0 when nothing is missing or failing.

Usage:
    python tools/phpt_status.py                 # run tests/ported_phpt with pytest, then report
    python tools/phpt_status.py --junit FILE    # report from an existing JUnit XML file
    python tools/phpt_status.py --markdown      # the table as Markdown (for the README)
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tools" / "data" / "upstream_phpt.tsv"
PORTED = ROOT / "tests" / "ported_phpt"


def module_name(phpt: str) -> str:
    """``websocket/continueFrames.phpt`` → ``websocket/test_continue_frames.py``."""
    folder, _, base = phpt.rpartition("/")
    stem = base[: -len(".phpt")]
    snake = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", stem).lower()
    name = f"test_{snake}.py"
    return f"{folder}/{name}" if folder else name


def load_upstream() -> list[tuple[str, str]]:
    rows = []
    for line in DATA.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        phpt, _, title = line.partition("\t")
        rows.append((phpt, title))
    return rows


@dataclass
class ModuleResult:
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    skip_reasons: list[str] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        if self.failed:
            return "failed"
        if self.passed:
            return "passed"
        if self.skipped:
            return "skipped"
        return "no tests"


def read_junit(path: Path) -> dict[str, ModuleResult]:
    """Results per test file (relative to tests/ported_phpt), from a pytest JUnit report."""
    results: dict[str, ModuleResult] = {}
    tree = ET.parse(path)
    for case in tree.iter("testcase"):
        classname = case.get("classname", "")
        # pytest writes "tests.ported_phpt.websocket.test_x" (or "test_x.TestClass")
        parts = classname.split(".")
        if "ported_phpt" not in parts:
            continue
        rest = parts[parts.index("ported_phpt") + 1 :]
        while rest and not rest[-1].startswith("test_"):
            rest.pop()  # drop class names
        if not rest:
            continue
        key = "/".join(rest) + ".py"
        result = results.setdefault(key, ModuleResult())
        if case.find("failure") is not None or case.find("error") is not None:
            result.failed += 1
        elif case.find("skipped") is not None:
            result.skipped += 1
            skipped = case.find("skipped")
            reason = (skipped.get("message") or "").strip() if skipped is not None else ""
            if reason:
                result.skip_reasons.append(reason)
        else:
            result.passed += 1
    return results


def run_pytest(report: Path) -> None:
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(PORTED), f"--junitxml={report}"]
    subprocess.run(cmd, cwd=ROOT, check=False, stdout=subprocess.DEVNULL)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--junit", type=Path, help="read this pytest JUnit XML report instead of running pytest")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    args = parser.parse_args(argv)

    if args.junit is not None:
        results = read_junit(args.junit)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            report = Path(tmp) / "report.xml"
            run_pytest(report)
            results = read_junit(report) if report.exists() else {}

    upstream = load_upstream()
    counts = {"passed": 0, "failed": 0, "skipped": 0}
    rows = []
    for phpt, title in upstream:
        module = module_name(phpt)
        path = PORTED / module
        if not path.exists():
            verdict, note = "missing", ""
        else:
            result = results.get(module, ModuleResult())
            verdict = result.verdict
            note = ""
            if verdict == "skipped":
                note = "; ".join(sorted(set(result.skip_reasons)))
            elif verdict in ("passed", "failed"):
                note = f"{result.passed} passed" + (f", {result.failed} failed" if result.failed else "")
                if result.skipped:
                    note += f", {result.skipped} skipped"
        if verdict == "passed":
            counts["passed"] += 1
        elif verdict == "skipped":
            counts["skipped"] += 1
        else:
            counts["failed"] += 1
        rows.append((phpt, title, f"tests/ported_phpt/{module}", verdict, note))

    if args.markdown:
        print("| phpt | module | result | notes |")
        print("| --- | --- | --- | --- |")
        for phpt, _title, module, verdict, note in rows:
            print(f"| `{phpt}` | `{module}` | {verdict} | {note} |")
    else:
        width = max(len(r[0]) for r in rows)
        mwidth = max(len(r[2]) for r in rows)
        for phpt, _title, module, verdict, note in rows:
            print(f"{phpt:<{width}}  {module:<{mwidth}}  {verdict:<8}  {note}")
    missing = sum(1 for r in rows if r[3] in ("missing", "no tests"))
    print(f"\n{len(rows)} upstream phpt, {missing} missing")
    line = f"{counts['passed']} passed, {counts['failed']} failed"
    if counts["skipped"]:
        line += f", {counts['skipped']} skipped"
    print(line)
    return 0 if counts["failed"] == 0 else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    sys.exit(main())
