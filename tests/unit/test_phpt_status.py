"""tools/phpt_status.py: the ``Port:`` convention of the ported phpt modules and the generated docs."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load_tool():
    spec = importlib.util.spec_from_file_location("phpt_status", ROOT / "tools" / "phpt_status.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("phpt_status", module)
    spec.loader.exec_module(module)
    return module


tool = _load_tool()


def test_every_ported_module_has_a_valid_port_line() -> None:
    rows, problems = tool.load_ports()
    assert problems == []
    assert len(rows) == 94
    assert all(info is not None for _phpt, _module, info in rows)


def test_porting_docs_are_up_to_date() -> None:
    rows, _problems = tool.load_ports()
    for path, text in tool.rendered_docs(rows).items():
        assert path.read_text(encoding="utf-8") == text, (
            f"{path.relative_to(ROOT)} is stale: run python tools/phpt_status.py --update-docs"
        )


def test_summary_counts_every_kind() -> None:
    rows, _problems = tool.load_ports()
    summary = tool.porting_summary(rows)
    counts = {kind: sum(1 for *_rest, info in rows if info.kind == kind) for kind in tool.PORT_KINDS}
    assert sum(counts.values()) == 94
    assert summary == (
        f"94 upstream phpt: {counts['faithful']} faithful, {counts['re-targeted']} re-targeted to local servers, "
        f"{counts['changed']} deliberately changed"
    )


@pytest.mark.parametrize(
    ("doc", "kind", "reason"),
    [
        ("Title.\n\nPort: faithful\n\nDeviations: none\n", "faithful", ""),
        ("Title.\n\nPort: re-targeted (httpbin.org becomes\nthe local app)\n\nDeviations: x\n", "re-targeted",
         "httpbin.org becomes the local app"),
        ("Port: changed (a (nested) reason)", "changed", "a (nested) reason"),
    ],
)
def test_parse_port_line(doc: str, kind: str, reason: str) -> None:
    info = tool.parse_port_line(doc)
    assert (info.kind, info.reason) == (kind, reason)


@pytest.mark.parametrize(
    "doc",
    [
        "no port line at all",
        "Port: faithful (no reason allowed)",
        "Port: re-targeted",
        "Port: changed ()",
        "Port: ported somehow",
        "Port: faithful\n\nPort: changed (twice)",
    ],
)
def test_parse_port_line_rejects(doc: str) -> None:
    with pytest.raises(tool.PortLineError):
        tool.parse_port_line(doc)
