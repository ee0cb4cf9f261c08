"""Checks against nginx's access log, the derived figures (throughput, CPU per operation,
memory over the baseline, ratios against aiohttp and httpx), the printed tables, the
Markdown summary and the JSON file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .common import MiB
from .scenarios import BY_NAME, SCENARIOS, Scenario

BASES = ("aiohttp", "httpx")


def check_access_log(result: dict[str, Any], lines: list[list[str]], sizes: dict[str, Any]) -> None:
    """Every scenario served by nginx: the number of requests, their status, the connections
    used and (uploads) the length of every request body, as the server saw them."""
    scenario = BY_NAME[result["scenario"]]
    if scenario.requests is None or scenario.uri is None or "error" in result:
        return
    expect = scenario.requests(sizes)
    # Requests for other paths come from other programs on the machine, not from this run.
    foreign = [line for line in lines if len(line) < 6 or line[5] != scenario.uri]
    if foreign:
        result["note"] = (
            f"ignored {len(foreign)} request(s) for other paths (another program on this machine?), "
            f"first: {' '.join(foreign[0])}"
        )
        lines = [line for line in lines if not (len(line) < 6 or line[5] != scenario.uri)]
    conns = {line[0] for line in lines}
    result["conns"] = len(conns)
    bad = [line for line in lines if line[2] != "200"]
    problems = []
    if len(lines) != expect:
        problems.append(f"server logged {len(lines)} requests, expected {expect}")
    if bad:
        problems.append(f"{len(bad)} non-200 responses logged")
    if scenario.conns is not None and len(conns) != scenario.conns(sizes):
        problems.append(f"{len(conns)} connections used, expected {scenario.conns(sizes)} (keep-alive)")
    if scenario.max_conns is not None and len(conns) > scenario.max_conns(sizes):
        result["note"] = f"opened {len(conns)} connections for {scenario.max_conns(sizes)} concurrent clients"
    if scenario.min_request_length is not None:
        short = [line for line in lines if int(line[3]) < scenario.min_request_length(sizes)]
        if short:
            problems.append(f"{len(short)} uploads shorter than the file on the server side")
    if problems:
        result["error"] = "server log: " + "; ".join(problems)


def ok(r: dict[str, Any] | None) -> bool:
    return r is not None and "error" not in r and not r.get("na") and bool(r.get("ops")) and r.get("wall", 0) > 0


def rate(r: dict[str, Any], scenario: Scenario) -> float:
    if scenario.unit == "ops":
        return r["ops"] / r["wall"]
    return r["nbytes"] / MiB / r["wall"]


def fmt_rate(r: dict[str, Any], scenario: Scenario) -> str:
    if scenario.unit == "ops":
        return f"{rate(r, scenario):,.0f} ops/s"
    return f"{rate(r, scenario):,.1f} MiB/s"


def cpu_per_op(r: dict[str, Any]) -> float:
    return r["cpu"] / r["ops"]


def fmt_seconds(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:,.1f} us"
    return f"{seconds * 1e3:,.1f} ms"


def derive(results: list[dict[str, Any]]) -> None:
    """Add the derived figures to every successful result (also what --json writes)."""
    by_key = {(r["scenario"], r["client"]): r for r in results}
    for r in results:
        if not ok(r):
            continue
        scenario = BY_NAME[r["scenario"]]
        r["rate"] = rate(r, scenario)
        r["rate_unit"] = "ops/s" if scenario.unit == "ops" else "MiB/s"
        r["cpu_per_op_us"] = cpu_per_op(r) * 1e6
        r["rss_over_base_mib"] = r["peak_rss_mib"] - r.get("base_rss_mib", 0.0)
        for base_name in BASES:
            base = by_key.get((r["scenario"], base_name))
            if base_name != r["client"] and ok(base):
                assert base is not None
                r[f"vs_{base_name}"] = {
                    "throughput": r["rate"] / rate(base, scenario),
                    "cpu_per_op": cpu_per_op(r) / cpu_per_op(base),
                    "peak_rss": r["peak_rss_mib"] / base["peak_rss_mib"],
                }
        if scenario.reference is not None:
            r["vs_reference"] = {"what": scenario.reference[1], "rate": scenario.reference[0], "ratio": r["rate"] / scenario.reference[0]}


def extra_lines(r: dict[str, Any], scenario: Scenario) -> list[str]:
    out = []
    if scenario.reference is not None and ok(r):
        ref, what = scenario.reference
        out.append(
            f"x{r['rate'] / ref:.2f} of {what} ({ref:,.0f} req/s, {1e6 / ref:,.1f} us each); "
            f"{r['cpu_per_op_us']:,.1f} us CPU per request"
        )
    e = r.get("extra") or {}
    if "idle_kib_per_conn" in e:
        line = (
            f"{e.get('fds_open', '?')} sockets open in {e.get('open_seconds', 0):.2f} s; RSS per idle connection "
            f"{e['idle_kib_per_conn']:.1f} KiB, peak {e.get('peak_kib_per_conn', float('nan')):.1f} KiB"
        )
        if "fds_left_after_close" in e:
            line += f"; fds left after close(): {e['fds_left_after_close']}"
        out.append(line)
    if r.get("note"):
        out.append(f"note: {r['note']}")
    return out


def print_table(results: list[dict[str, Any]], sizes: dict[str, Any], clients: list[str]) -> None:
    header = (
        f"{'client':<14} {'throughput':>15} {'CPU/op':>10} {'cli CPU':>7} {'peak RSS':>9} {'+base':>8} "
        f"{'srv CPU':>7} {'other':>5} {'conns':>5}  {'vs aiohttp thr/CPU':<19} {'vs httpx thr/CPU':<17}"
    )
    by_key = {(r["scenario"], r["client"]): r for r in results}
    for scenario in SCENARIOS:
        if not any(r["scenario"] == scenario.name for r in results):
            continue
        print()
        print(f"[{scenario.number} {scenario.name}] {scenario.title(sizes)}")
        print(header)
        print("-" * len(header))
        for client in clients:
            r = by_key.get((scenario.name, client))
            if r is None:
                continue
            if r.get("na"):
                print(f"{client:<14} {'n/a':>15}")
                continue
            if not ok(r):
                print(f"{client:<14} FAILED: {r.get('error', 'no operations')}")
                continue
            ratios = []
            for base in BASES:
                v = r.get(f"vs_{base}")
                ratios.append(f"x{v['throughput']:.2f} / x{v['cpu_per_op']:.2f}" if v else "")
            print(
                f"{client:<14} {fmt_rate(r, scenario):>15} {fmt_seconds(cpu_per_op(r)):>10} "
                f"{100 * r['cpu'] / r['wall']:>6.0f}% {r['peak_rss_mib']:>5.0f} MiB {r['rss_over_base_mib']:>4.0f} MiB "
                f"{100 * r['server_cpu'] / r['wall']:>6.0f}% {100 * r.get('other_cpu', 0.0) / r['wall']:>4.0f}% "
                f"{str(r.get('conns', '-')):>5}  {ratios[0]:<19} {ratios[1]:<17}"
            )
            for line in extra_lines(r, scenario):
                print(f"{'':<14} {line}")


def summary_rows(results: list[dict[str, Any]], sizes: dict[str, Any]) -> list[dict[str, Any]]:
    by_key = {(r["scenario"], r["client"]): r for r in results}
    rows = []
    for scenario in SCENARIOS:
        sw = by_key.get((scenario.name, "swoole_compat"))
        if not ok(sw):
            continue
        assert sw is not None
        row: dict[str, Any] = {
            "number": scenario.number,
            "name": scenario.name,
            "title": scenario.title(sizes),
            "unit": sw["rate_unit"],
            "swoole_compat": {
                "rate": sw["rate"],
                "cpu_per_op_us": sw["cpu_per_op_us"],
                "peak_rss_mib": sw["peak_rss_mib"],
                "rss_over_base_mib": sw["rss_over_base_mib"],
            },
        }
        for base in BASES:
            b = by_key.get((scenario.name, base))
            if ok(b):
                assert b is not None
                row[base] = {
                    "rate": b["rate"],
                    "cpu_per_op_us": b["cpu_per_op_us"],
                    "peak_rss_mib": b["peak_rss_mib"],
                    "rss_over_base_mib": b["rss_over_base_mib"],
                }
                row[f"vs_{base}"] = sw[f"vs_{base}"]
        if "vs_reference" in sw:
            row["vs_reference"] = sw["vs_reference"]
        if sw.get("extra"):
            row["extra"] = sw["extra"]
        rows.append(row)
    return rows


def print_summary(rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    print()
    print("swoole_compat / aiohttp and / httpx (throughput: >1 is faster; CPU per op and peak RSS: <1 is better)")
    for row in rows:
        parts = []
        for base in BASES:
            v = row.get(f"vs_{base}")
            if v:
                parts.append(f"{base}: thr x{v['throughput']:5.2f} CPU x{v['cpu_per_op']:5.2f} RSS x{v['peak_rss']:5.2f}")
        label = f"[{row['number']} {row['name']}]"
        print(f"  {label:<17} {'   '.join(parts)}")


def _fmt_rate_value(value: float, unit: str) -> str:
    return f"{value:,.0f}" if unit == "ops/s" else f"{value:,.1f}"


def markdown(rows: list[dict[str, Any]]) -> str:
    """A table to paste: one row per scenario, swoole_compat against aiohttp and httpx."""
    lines = [
        "| # | scenario | unit | swoole_compat | CPU/op | RSS over base | aiohttp | CPU/op | thr × aiohttp | CPU × aiohttp | thr × httpx |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        sw, unit = row["swoole_compat"], row["unit"]
        ah = row.get("aiohttp")
        va, vh = row.get("vs_aiohttp"), row.get("vs_httpx")
        lines.append(
            "| {n} | `{name}`: {title} | {unit} | {swr} | {swc} | {rss:.1f} MiB | {ahr} | {ahc} | {ta} | {ca} | {th} |".format(
                n=row["number"],
                name=row["name"],
                title=row["title"],
                unit=unit,
                swr=_fmt_rate_value(sw["rate"], unit),
                swc=fmt_seconds(sw["cpu_per_op_us"] / 1e6),
                rss=sw["rss_over_base_mib"],
                ahr=_fmt_rate_value(ah["rate"], unit) if ah else "–",
                ahc=fmt_seconds(ah["cpu_per_op_us"] / 1e6) if ah else "–",
                ta=f"**×{va['throughput']:.2f}**" if va else "–",
                ca=f"×{va['cpu_per_op']:.2f}" if va else "–",
                th=f"×{vh['throughput']:.2f}" if vh else "–",
            )
        )
    return "\n".join(lines) + "\n"


def write_json(path: str, sizes: dict[str, Any], results: list[dict[str, Any]], rows: list[dict[str, Any]], meta: dict[str, Any]) -> None:
    doc = {
        "meta": meta,
        "sizes": sizes,
        "scenarios": [{"number": s.number, "name": s.name, "title": s.title(sizes)} for s in SCENARIOS],
        "summary": rows,
        "results": results,
    }
    Path(path).write_text(json.dumps(doc, indent=2))
