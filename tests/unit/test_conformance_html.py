"""The HTML report of the conformance kit renders in headless Chromium (skipped, visibly, without one)."""

from __future__ import annotations

import importlib.util
import os
import shutil

import pytest

from swoole_compat.conformance import kit
from swoole_compat.conformance.report import html_report

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOOL = os.path.join(ROOT, "tools", "conformance_screenshot.py")


def _tool():  # type: ignore[no-untyped-def]
    if not os.path.exists(TOOL):
        pytest.skip("tools/conformance_screenshot.py not present")
    spec = importlib.util.spec_from_file_location("conformance_screenshot", TOOL)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_report_renders_in_chromium(tmp_path) -> None:  # type: ignore[no-untyped-def]
    tool = _tool()
    if tool.find_browser() is None:
        pytest.skip("SKIPPED VISIBLY: no headless Chromium installed (apt-get install chromium) - the HTML "
                    "report was not rendered")
    ok = kit.Result("get_default_request", "client.md §6.3", "pass", {}, {}, "swoole 6.2.1")
    scn = {"name": "resp_chunked", "section": "client.md §7.2", "client": []}
    exp = {"recorded_from": "swoole 6.2.1",
           "observation": {"client": [{"return": True, "state": {"statusCode": 200, "body": "hello world"}}],
                           "server": {}}}
    bad = kit.classify(scn, {"client": [{"return": True, "state": {"statusCode": 200, "body": "hello"}}],
                             "server": {}}, exp)
    assert bad.status == "fail"
    page = tmp_path / "report.html"
    page.write_text(html_report([ok, bad], "example runner"), encoding="utf-8")
    png = tmp_path / "report.png"
    tool.screenshot(str(page), str(png), 1000, 900)
    width, height, colours = tool.png_size_and_colours(str(png))
    assert (width, height) == (1000, 900)
    assert colours > 3  # the matrix colours and the highlighted difference, not a blank page
    if os.environ.get("SWOOLE_COMPAT_KEEP_SCREENSHOT"):
        shutil.copy(png, os.environ["SWOOLE_COMPAT_KEEP_SCREENSHOT"])
