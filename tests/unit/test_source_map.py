"""docs/source-map.md stays true: names resolve, tests exist, statuses parse, nothing is missing.

The list of upstream functions of ``ext-src/swoole_http_client_coro.cc`` at swoole-src
``a281145a1`` (Swoole 6.2.1) was extracted once and committed as
``tests/data/upstream_http_client_coro_functions.tsv``; this test needs no upstream checkout.
"""

from __future__ import annotations

import csv
import importlib
import re
from pathlib import Path
from typing import Any, NamedTuple

import pytest

ROOT = Path(__file__).resolve().parents[2]
MAP = ROOT / "docs" / "source-map.md"
DEVIATIONS = ROOT / "docs" / "deviations.md"
UPSTREAM_LIST = ROOT / "tests" / "data" / "upstream_http_client_coro_functions.tsv"
CLIENT_FILE = "swoole_http_client_coro.cc"

_UPSTREAM = re.compile(r"^`(?P<name>[^`]+)` \((?P<file>[\w./-]+):(?P<start>\d+)-(?P<end>\d+)\)$")
_DOTTED = re.compile(r"`(swoole_compat(?:\.\w+)+)`")
_TEST_REF = re.compile(r"`(tests/[\w/]+\.py)::(?:(\w+)::)?(\w+)`")
_KNOWN = re.compile(r"^- \*\*(K\d+)\*\* — ", re.M)
_DEVIATION_ID = re.compile(r"^\| ([A-Z]\d+) \|", re.M)


class Row(NamedTuple):
    line: int
    upstream: str
    ours: str
    status: str
    tests: str


def _rows() -> list[Row]:
    rows = []
    for number, line in enumerate(MAP.read_text(encoding="utf-8").splitlines(), 1):
        if not line.startswith("| `"):
            continue
        cells = [cell.strip() for cell in line.strip()[1:-1].split("|")]
        assert len(cells) == 4, f"source-map.md:{number}: expected 4 cells, got {len(cells)}: {line}"
        rows.append(Row(number, *cells))
    return rows


ROWS = _rows()


def _resolve(dotted: str) -> Any:
    """Import the longest importable module prefix of ``dotted``, then getattr the rest."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return obj
    raise ModuleNotFoundError(dotted)


def _upstream_functions() -> list[tuple[str, int, int]]:
    with UPSTREAM_LIST.open(encoding="utf-8", newline="") as fh:
        return [(r["name"], int(r["start"]), int(r["end"])) for r in csv.DictReader(fh, delimiter="\t")]


def test_the_map_has_rows() -> None:
    assert len(ROWS) > 100
    assert len(_upstream_functions()) == 69


def test_every_upstream_cell_names_a_function_and_its_lines() -> None:
    for row in ROWS:
        m = _UPSTREAM.match(row.upstream)
        assert m, f"source-map.md:{row.line}: bad upstream cell {row.upstream!r}"
        assert int(m["start"]) <= int(m["end"]), f"source-map.md:{row.line}: line range reversed"


def test_every_upstream_function_of_the_client_has_its_row() -> None:
    mapped = {}
    for row in ROWS:
        m = _UPSTREAM.match(row.upstream)
        if m and m["file"] == CLIENT_FILE:
            mapped.setdefault(m["name"], []).append((int(m["start"]), int(m["end"])))
    listed = _upstream_functions()
    missing = [f"{name} ({start}-{end})" for name, start, end in listed if (start, end) not in mapped.get(name, [])]
    assert not missing, f"no row in docs/source-map.md for: {missing}"
    known = {name for name, _, _ in listed}
    unknown = sorted(set(mapped) - known)
    assert not unknown, f"rows naming functions not in {UPSTREAM_LIST.name}: {unknown}"


@pytest.mark.parametrize("row", ROWS, ids=lambda r: f"line{r.line}")
def test_every_port_name_resolves(row: Row) -> None:
    broken = []
    for dotted in _DOTTED.findall(row.ours):
        try:
            _resolve(dotted)
        except (ImportError, AttributeError) as exc:
            broken.append(f"{dotted} ({exc!r})")
    assert not broken, f"source-map.md:{row.line}: names that do not resolve: {broken}"


def test_the_ours_cells_hold_only_dotted_names() -> None:
    for row in ROWS:
        rest = _DOTTED.sub("", row.ours).replace(",", "").strip()
        assert not rest, f"source-map.md:{row.line}: unexpected text in the ours cell: {rest!r}"
        if not row.status.startswith("not applicable"):
            assert _DOTTED.search(row.ours), f"source-map.md:{row.line}: no port function named"


def test_statuses_are_well_formed() -> None:
    text = MAP.read_text(encoding="utf-8")
    deviation_ids = set(_DEVIATION_ID.findall(DEVIATIONS.read_text(encoding="utf-8")))
    known_ids = set(_KNOWN.findall(text.split("## Known differences (to fix)", 1)[1]))
    used_known: set[str] = set()
    for row in ROWS:
        where = f"source-map.md:{row.line}"
        if row.status.startswith("not applicable"):
            assert re.fullmatch(r"not applicable: \S.{8,}", row.status), f"{where}: not applicable needs a reason"
            continue
        for part in row.status.split("; "):
            if part == "same":
                continue
            kind, _, ids = part.partition(" ")
            names = [i.strip() for i in ids.split(",")]
            assert kind in ("deviation", "differs") and all(names), f"{where}: bad status part {part!r}"
            if kind == "deviation":
                unknown = [i for i in names if i not in deviation_ids]
                assert not unknown, f"{where}: deviations {unknown} are not in docs/deviations.md"
            else:
                unknown = [i for i in names if i not in known_ids]
                assert not unknown, f"{where}: {unknown} are not in the Known differences list"
                used_known.update(names)
    unused = sorted(known_ids - used_known, key=lambda k: int(k[1:]))
    assert not unused, f"Known differences no row refers to: {unused}"


def test_every_test_named_exists() -> None:
    sources: dict[str, str] = {}
    for row in ROWS:
        for path, cls, name in _TEST_REF.findall(row.tests):
            file = ROOT / path
            assert file.is_file(), f"source-map.md:{row.line}: no file {path}"
            source = sources.setdefault(path, file.read_text(encoding="utf-8"))
            if cls:
                # the method must come after its class line and before the next top-level line
                body = re.search(rf"^class {cls}\b.*?(?=^\S|\Z)", source, re.M | re.S)
                assert body, f"source-map.md:{row.line}: no class {path}::{cls}"
                source_part, indent = body.group(0), "    "
            else:
                source_part, indent = source, ""
            pattern = rf"^{indent}(async )?def {name}\("
            assert re.search(pattern, source_part, re.M), f"source-map.md:{row.line}: no {path}::{cls + '::' if cls else ''}{name}"
        rest = _TEST_REF.sub("", row.tests).replace(",", "").strip()
        assert not rest, f"source-map.md:{row.line}: unexpected text in the tests cell: {rest!r}"
