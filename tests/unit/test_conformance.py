"""The conformance kit run against swoole_compat with the stored expectations (no PHP needed).

Every scenario must match its expectation (recorded from Swoole 6.2.1), or differ only where
the scenario marks an accepted deviation (docs/deviations.md) or a known difference.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import pytest

from swoole_compat.conformance import kit
from swoole_compat.conformance.report import html_report, summary

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="module")
def results() -> list[kit.Result]:
    scenarios = kit.load_scenarios()
    return asyncio.run(kit.run_all(scenarios, jobs=int(os.environ.get("SWOOLE_COMPAT_CONFORMANCE_JOBS", "6"))))


def test_kit_passes_against_stored_expectations(results: list[kit.Result]) -> None:
    bad = [f"{r.status} {r.name}: {r.paths[:5]} {r.note} {r.stderr[-300:]}" for r in results
           if r.status in ("fail", "error", "noexp")]
    assert not bad, "\n".join(bad)
    print(summary(results))


def test_every_scenario_is_well_formed() -> None:
    scenarios = kit.load_scenarios()
    assert len(scenarios) >= 150
    for scn in scenarios:
        assert scn.get("section") and scn.get("description") and isinstance(scn.get("client"), list), scn["name"]
        assert not (scn.get("deviation") and scn.get("known_difference")), scn["name"]
        exp = kit.load_expected(scn["name"])
        assert exp is not None, f"{scn['name']}: no expectation"
        assert exp["scenario"] == scn["name"]


def test_expectations_are_recorded_from_swoole() -> None:
    sources = {kit.load_expected(s["name"])["recorded_from"] for s in kit.load_scenarios()}  # type: ignore[index]
    assert sources == {"swoole 6.2.1"}


def test_every_phpt_port_is_cited() -> None:
    cited = {p for s in kit.load_scenarios() for p in s.get("phpt", [])}
    ported = set()
    for folder, _dirs, names in os.walk(os.path.join(ROOT, "tests", "ported_phpt")):
        ported |= {n[:-3] for n in names if n.startswith("test_") and n.endswith(".py")}
    if not ported:
        pytest.skip("tests/ported_phpt not present")
    assert ported <= cited, sorted(ported - cited)


def test_generator_matches_scenario_files() -> None:
    tool = os.path.join(ROOT, "tools", "gen_conformance_scenarios.py")
    if not os.path.exists(tool):
        pytest.skip("tools/ not present")
    proc = subprocess.run([sys.executable, tool, "--check"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_html_report_marks_differences(tmp_path) -> None:  # type: ignore[no-untyped-def]
    scn = {"name": "demo", "section": "client.md §7.2", "client": []}
    expected = {"recorded_from": "swoole 6.2.1", "observation": {"client": [{"return": True}], "server": {}}}
    observed = {"client": [{"return": False}], "server": {}}
    result = kit.classify(scn, observed, expected)
    assert result.status == "fail" and result.paths == ["client[0].return"]
    page = html_report([result], "toy")
    assert 'class="hl"' in page and "client.md §7.2" in page and "1 failed" in page
    (tmp_path / "r.html").write_text(page)


def test_normalisation_and_diff() -> None:
    subs = {"$PORT": 40001, "$PORT:proxy": 40002, "$TMP": "/tmp/swcc-x"}
    obs = {"client": [{"return": "127.0.0.1:40001 /tmp/swcc-x/a", "elapsed": 0.31,
                       "state": {"headers": {"date": "now", "sec-websocket-accept": "abc"}}}],
           "server": {"main": [[{"request": {"head": "GET / HTTP/1.1\r\nHost: h:40002\r\nSec-WebSocket-Key: QUJD==\r\n"
                                                     "Content-Type: multipart/form-data; boundary=XyZ\r\n\r\n",
                                             "body": "--XyZ--"}}]]}}
    scn = {"client": [{"call": "get", "timed": True}], "ignore": ["server.main[0][0].request.body"]}
    norm = kit.normalise(obs, scn, subs)
    assert norm["client"][0]["return"] == "127.0.0.1:$PORT $TMP/a"
    assert norm["client"][0]["state"]["headers"] == {"sec-websocket-accept": "$ACCEPT"}
    head = norm["server"]["main"][0][0]["request"]["head"]
    assert "h:$PORT:proxy" in head and "Sec-WebSocket-Key: $KEY" in head and "boundary=$BOUNDARY" in head
    assert "body" not in norm["server"]["main"][0][0]["request"]
    assert kit.diff({"x": {"elapsed": 0.3}}, {"x": {"elapsed": 0.45}}) == []
    assert kit.diff({"x": {"elapsed": 0.3}}, {"x": {"elapsed": 0.9}}) == ["x.elapsed"]
    assert kit.diff([1, True], [1, 1]) == ["[1]"]


def test_cli_runs_one_scenario_with_html(tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "report.html"
    proc = subprocess.run([sys.executable, "-m", "swoole_compat", "conformance", "--only", "get_default_request",
                           "--html", str(out)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 passed, 0 failed" in proc.stdout
    assert "get_default_request" in out.read_text()


def test_toy_runner_example(tmp_path) -> None:  # type: ignore[no-untyped-def]
    toy = os.path.join(ROOT, "conformance", "toy_runner.py")
    if not os.path.exists(toy):
        pytest.skip("conformance/ not present")
    proc = subprocess.run([sys.executable, "-m", "swoole_compat", "conformance", "--runner", f"{sys.executable} {toy}",
                           "--only", "get_default_request,resp_chunked,connect_refused"],
                          capture_output=True, text=True, timeout=60)
    assert "3 passed, 0 failed" in proc.stdout, proc.stdout + proc.stderr
