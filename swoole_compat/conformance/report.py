"""Text and HTML reports of a conformance run (``swoole-compat conformance --html FILE``)."""

from __future__ import annotations

import html
import json
from collections import defaultdict
from typing import Any

from .kit import Result

LABELS = {"pass": "PASS", "fail": "FAIL", "deviation": "DEVIATION", "known": "KNOWN", "error": "ERROR",
          "noexp": "NO-EXPECTATION"}


def line(r: Result) -> str:
    label = LABELS[r.status]
    if r.status == "pass" and not r.against_swoole:
        label = "PASS*"
    extra = ""
    if r.status in ("fail", "deviation", "known"):
        shown = ", ".join(r.paths[:4]) + (f" (+{len(r.paths) - 4})" if len(r.paths) > 4 else "")
        extra = f"  differs at {shown}"
    if r.note:
        extra += f"  [{r.note}]"
    return f"{label:<15} {r.name:<48} {r.section}{extra}"


def counts(results: list[Result]) -> dict[str, int]:
    c: dict[str, int] = defaultdict(int)
    for r in results:
        c[r.status] += 1
        if r.status == "pass" and r.against_swoole:
            c["pass_swoole"] += 1
    return c


def summary(results: list[Result]) -> str:
    c = counts(results)
    failed = c["fail"] + c["error"]
    text = f"{c['pass']} passed, {failed} failed"
    extras = [f"{c['pass_swoole']} of the passes against Swoole 6.2.1 recordings"]
    if c["pass"] - c["pass_swoole"]:
        extras.append(f"{c['pass'] - c['pass_swoole']} against unverified expectations (PASS*)")
    if c["deviation"]:
        extras.append(f"{c['deviation']} accepted deviations")
    if c["known"]:
        extras.append(f"{c['known']} known difference{'' if c['known'] == 1 else 's'}")
    if c["noexp"]:
        extras.append(f"{c['noexp']} without expectation")
    return text + " (" + "; ".join(extras) + ")"


CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.4em} h2{font-size:1.15em;margin-top:2em}
table.m{border-collapse:collapse} table.m td,table.m th{border:1px solid #ccc;padding:3px 8px;text-align:right}
table.m th:first-child,table.m td:first-child{text-align:left}
.pass{background:#d9f2d9}.fail,.error{background:#f7c6c6}.deviation{background:#fde9b8}.known{background:#f3d9f7}
.noexp{background:#e4e4e4}
.cell span{display:inline-block;width:11px;height:11px;margin:1px;border-radius:2px}
.cell span.pass{background:#3c9a3c}.cell span.fail,.cell span.error{background:#d33}.cell span.deviation{background:#e0a000}
.cell span.known{background:#b04fc4}.cell span.noexp{background:#999}
table.l td{text-align:left}
.side{display:flex;gap:1em} .side>div{flex:1;min-width:0}
pre{background:#f8f8f8;border:1px solid #ddd;padding:6px;overflow:auto;font-size:12px;max-height:40em}
.hl{background:#ffb3b3;font-weight:bold}
"""


def _render(value: Any, paths: set[str], path: str = "", indent: int = 0) -> str:
    pad = "  " * indent
    mark = path in paths

    def wrap(text: str) -> str:
        return f'<span class="hl">{text}</span>' if mark else text

    if isinstance(value, dict):
        if not value:
            return wrap("{}")
        items = []
        for k, v in value.items():
            sub = f"{path}.{k}" if path else k
            key = html.escape(json.dumps(k))
            body = f"{pad}  {key}: {_render(v, paths, sub, indent + 1)}"
            items.append(f'<span class="hl">{body}</span>' if sub in paths else body)
        return wrap("{\n" + ",\n".join(items) + f"\n{pad}}}")
    if isinstance(value, list):
        if not value:
            return wrap("[]")
        items = []
        for i, v in enumerate(value):
            sub = f"{path}[{i}]"
            body = f"{pad}  {_render(v, paths, sub, indent + 1)}"
            items.append(f'<span class="hl">{body}</span>' if sub in paths else body)
        return wrap("[\n" + ",\n".join(items) + f"\n{pad}]")
    return wrap(html.escape(json.dumps(value, ensure_ascii=False)))


def html_report(results: list[Result], runner: str) -> str:
    by_section: dict[str, list[Result]] = defaultdict(list)
    for r in results:
        by_section[r.section].append(r)
    statuses = ["pass", "deviation", "known", "fail", "error", "noexp"]
    rows = []
    for section in sorted(by_section):
        rs = by_section[section]
        c = counts(rs)
        cells = "".join(f'<span class="{r.status}" title="{html.escape(r.name)}: {LABELS[r.status]}"></span>'
                        for r in sorted(rs, key=lambda r: r.name))
        nums = "".join(f"<td>{c[s] or ''}</td>" for s in statuses)
        rows.append(f"<tr><td>{html.escape(section)}</td>{nums}<td>{len(rs)}</td><td class='cell'>{cells}</td></tr>")
    head = "".join(f"<th class='{s}'>{LABELS[s]}</th>" for s in statuses)
    details = []
    for r in sorted(results, key=lambda r: (r.status != "fail", r.status, r.name)):
        if r.status not in ("fail", "error", "deviation", "known"):
            continue
        paths = set(r.paths)
        note = f"<p>{html.escape(r.note)}</p>" if r.note else ""
        diffs = "".join(f"<li><code>{html.escape(p)}</code></li>" for p in r.paths[:50])
        exp = _render(r.expected, paths) if r.expected is not None else "(none)"
        obs = _render(r.observation, paths) if r.observation is not None else "(none)"
        err = f"<details><summary>runner stderr</summary><pre>{html.escape(r.stderr[-4000:])}</pre></details>" \
            if r.stderr.strip() else ""
        details.append(
            f'<h2 id="{html.escape(r.name)}" class="{r.status}">{LABELS[r.status]}: {html.escape(r.name)} '
            f'<small>({html.escape(r.section)})</small></h2>{note}<ul>{diffs}</ul>'
            f'<div class="side"><div><b>expected</b> ({html.escape(str(r.source))})<pre>{exp}</pre></div>'
            f'<div><b>observed</b><pre>{obs}</pre></div></div>{err}')
    listing = "".join(f"<tr class='{r.status}'><td>{LABELS[r.status]}</td><td>{html.escape(r.name)}</td>"
                      f"<td>{html.escape(r.section)}</td><td>{html.escape(str(r.source))}</td>"
                      f"<td>{html.escape(r.note)}</td></tr>" for r in sorted(results, key=lambda r: r.name))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>swoole_compat conformance report</title>
<style>{CSS}</style></head><body>
<h1>Conformance report</h1>
<p>Runner: <code>{html.escape(runner)}</code><br><b>{html.escape(summary(results))}</b></p>
<h2>Matrix by spec section</h2>
<table class="m"><tr><th>section</th>{head}<th>total</th><th>scenarios</th></tr>{''.join(rows)}</table>
{''.join(details)}
<h2>All scenarios</h2>
<table class="m l"><tr><th>status</th><th>scenario</th><th>section</th><th>expectation source</th><th>note</th></tr>
{listing}</table>
</body></html>
"""
