#!/usr/bin/env python3
"""Port status of Swoole's phpt suite ``tests/swoole_http_client_coro/`` (94 files).

For every upstream phpt listed in ``tools/data/upstream_phpt.tsv`` this finds the ported
module under ``tests/ported_phpt/`` and its result in a pytest JUnit report, then prints one
row per phpt and a closing line ``N passed, M failed, K skipped``. Missing modules and modules
without any collected test count as failed. Exit status: 0 when nothing is missing or failing.

How each phpt was ported comes from the ``Port:`` line of its module docstring (convention in
``docs/porting.md``): ``Port: faithful``, ``Port: re-targeted (<reason>)`` or
``Port: changed (<reason>)``; the reason may wrap onto the following lines up to a blank line.
``--porting`` prints that table without running anything, with the summary line
``94 upstream phpt: F faithful, R re-targeted to local servers, C deliberately changed``;
``--update-docs`` writes it into ``docs/porting.md`` and the summary into ``README.md`` (between
their ``phpt-porting`` markers); ``--check-docs`` exits non-zero when those are stale. A module
whose ``Port:`` line is missing or malformed makes every mode exit non-zero.

Usage:
    python tools/phpt_status.py                 # run tests/ported_phpt with pytest, then report
    python tools/phpt_status.py --junit FILE    # report from an existing JUnit XML file
    python tools/phpt_status.py --markdown      # the table as Markdown (for the README)
    python tools/phpt_status.py --porting       # how each phpt was ported (Markdown), no pytest run
    python tools/phpt_status.py --update-docs   # regenerate the porting table in the docs
    python tools/phpt_status.py --check-docs    # fail if the docs' porting table is stale
"""

from __future__ import annotations

import argparse
import ast
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
PORTING_DOC = ROOT / "docs" / "porting.md"
README = ROOT / "README.md"
TABLE_MARKERS = ("<!-- phpt-porting-table:start -->", "<!-- phpt-porting-table:end -->")
SUMMARY_MARKERS = ("<!-- phpt-porting-summary:start -->", "<!-- phpt-porting-summary:end -->")

#: Port kinds in table order, with the wording of the summary line.
PORT_KINDS = {
    "faithful": "faithful",
    "re-targeted": "re-targeted to local servers",
    "changed": "deliberately changed",
}
_PORT_LINE = re.compile(r"^Port:[ \t]*(?P<text>.*)$", re.M)
_PORT_TEXT = re.compile(r"^(?P<kind>faithful|re-targeted|changed)(?:\s+\((?P<reason>.+)\))?$", re.S)


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
class PortInfo:
    """The ``Port:`` line of a ported module's docstring."""

    kind: str
    """``faithful``, ``re-targeted`` or ``changed``."""
    reason: str = ""


class PortLineError(ValueError):
    """A ported module has no valid ``Port:`` line."""


def module_docstring(path: Path) -> str:
    """The module docstring of ``path`` ('' when there is none)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return ast.get_docstring(tree, clean=True) or ""


def parse_port_line(docstring: str) -> PortInfo:
    """Parse the ``Port:`` paragraph of a module docstring.

    ``faithful`` takes no reason; ``re-targeted`` and ``changed`` require one in parentheses. The
    text may continue on the following lines up to a blank line.
    """
    matches = list(_PORT_LINE.finditer(docstring))
    if len(matches) != 1:
        raise PortLineError(f"expected exactly one 'Port:' line, found {len(matches)}")
    rest = docstring[matches[0].end() :].split("\n\n", 1)[0]
    text = " ".join((matches[0].group("text") + rest).split())
    parsed = _PORT_TEXT.match(text)
    if parsed is None:
        raise PortLineError(f"malformed 'Port:' line: {text!r}")
    kind, reason = parsed.group("kind"), (parsed.group("reason") or "").strip()
    if kind == "faithful" and reason:
        raise PortLineError("'Port: faithful' takes no reason")
    if kind != "faithful" and not reason:
        raise PortLineError(f"'Port: {kind}' needs a reason in parentheses")
    return PortInfo(kind, reason)


def load_ports() -> tuple[list[tuple[str, str, PortInfo | None]], list[str]]:
    """``(phpt, module, PortInfo or None)`` for every upstream phpt, plus the problems found."""
    rows: list[tuple[str, str, PortInfo | None]] = []
    problems: list[str] = []
    for phpt, _title in load_upstream():
        module = module_name(phpt)
        path = PORTED / module
        info: PortInfo | None = None
        if not path.exists():
            problems.append(f"{phpt}: no module tests/ported_phpt/{module}")
        else:
            try:
                info = parse_port_line(module_docstring(path))
            except (PortLineError, SyntaxError) as exc:
                problems.append(f"tests/ported_phpt/{module}: {exc}")
        rows.append((phpt, module, info))
    return rows, problems


def porting_summary(rows: list[tuple[str, str, PortInfo | None]]) -> str:
    """``94 upstream phpt: F faithful, R re-targeted to local servers, C deliberately changed``."""
    counts = {kind: 0 for kind in PORT_KINDS}
    for _phpt, _module, info in rows:
        if info is not None:
            counts[info.kind] += 1
    parts = ", ".join(f"{counts[kind]} {label}" for kind, label in PORT_KINDS.items())
    return f"{len(rows)} upstream phpt: {parts}"


def porting_table(rows: list[tuple[str, str, PortInfo | None]]) -> str:
    """The Markdown table of how each phpt was ported, then the summary line."""
    lines = ["| phpt | module | port | reason |", "| --- | --- | --- | --- |"]
    for phpt, module, info in rows:
        kind = info.kind if info is not None else "**missing**"
        reason = (info.reason if info is not None else "").replace("|", "\\|")
        lines.append(f"| `{phpt}` | `{module}` | {kind} | {reason} |")
    lines.append("")
    lines.append(f"**{porting_summary(rows)}**")
    return "\n".join(lines)


def _replace_between(text: str, markers: tuple[str, str], body: str, where: Path) -> str:
    start, end = markers
    try:
        head, rest = text.split(start, 1)
        _old, tail = rest.split(end, 1)
    except ValueError:
        raise SystemExit(f"{where}: markers {start} ... {end} not found") from None
    return f"{head}{start}\n{body}\n{end}{tail}"


def rendered_docs(rows: list[tuple[str, str, PortInfo | None]]) -> dict[Path, str]:
    """docs/porting.md and README.md with the generated porting table / summary in place."""
    return {
        PORTING_DOC: _replace_between(
            PORTING_DOC.read_text(encoding="utf-8"), TABLE_MARKERS, porting_table(rows), PORTING_DOC
        ),
        README: _replace_between(
            README.read_text(encoding="utf-8"), SUMMARY_MARKERS, f"How they were ported: **{porting_summary(rows)}**.", README
        ),
    }


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
    parser.add_argument("--porting", action="store_true", help="print how each phpt was ported (no pytest run)")
    parser.add_argument("--update-docs", action="store_true", help="write the porting table into the docs")
    parser.add_argument("--check-docs", action="store_true", help="fail if the docs' porting table is stale")
    args = parser.parse_args(argv)

    port_rows, problems = load_ports()
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if args.porting or args.update_docs or args.check_docs:
        if args.porting:
            print(porting_table(port_rows))
        if not (args.update_docs or args.check_docs):
            return 1 if problems else 0
        stale = []
        for path, text in rendered_docs(port_rows).items():
            if path.read_text(encoding="utf-8") != text:
                if args.update_docs:
                    path.write_text(text, encoding="utf-8")
                    print(f"updated {path.relative_to(ROOT)}")
                else:
                    stale.append(path)
        if args.check_docs and stale:
            for path in stale:
                print(f"error: {path.relative_to(ROOT)} is stale: run python tools/phpt_status.py --update-docs", file=sys.stderr)
            return 1
        return 1 if problems else 0
    ports = {phpt: info for phpt, _module, info in port_rows}

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
        info = ports.get(phpt)
        kind = info.kind if info is not None else "?"
        rows.append((phpt, title, f"tests/ported_phpt/{module}", verdict, note, kind))

    if args.markdown:
        print("| phpt | module | port | result | notes |")
        print("| --- | --- | --- | --- | --- |")
        for phpt, _title, module, verdict, note, kind in rows:
            print(f"| `{phpt}` | `{module}` | {kind} | {verdict} | {note} |")
    else:
        width = max(len(r[0]) for r in rows)
        mwidth = max(len(r[2]) for r in rows)
        for phpt, _title, module, verdict, note, kind in rows:
            print(f"{phpt:<{width}}  {module:<{mwidth}}  {kind:<11}  {verdict:<8}  {note}")
    missing = sum(1 for r in rows if r[3] in ("missing", "no tests"))
    print(f"\n{len(rows)} upstream phpt, {missing} missing")
    print(porting_summary(port_rows))
    line = f"{counts['passed']} passed, {counts['failed']} failed"
    if counts["skipped"]:
        line += f", {counts['skipped']} skipped"
    print(line)
    return 0 if counts["failed"] == 0 and not problems else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    sys.exit(main())
