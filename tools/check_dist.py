#!/usr/bin/env python3
"""Check the built sdist and wheel against the checkout (run by ``.ci/run`` after ``python -m build``).

* sdist: every file git tracks under ``swoole_compat/``, ``tests/``, ``docs/``, ``tools/`` and
  ``conformance/`` (once it exists), plus ``pyproject.toml``, ``setup.py``, ``MANIFEST.in``,
  ``README.md``, ``CHANGELOG.md`` and ``LICENSE``; no bytecode or cache files.
* wheel: every tracked ``.py`` module of the package, ``py.typed``, ``_speedups.pyi``, the compiled
  ``_speedups`` extension (unless ``--no-extension``), the license, the ``swoole-compat`` console
  script; no C source, no tests.
* both: the metadata's version is ``swoole_compat.__version__`` (read from the source, the one
  place it is defined), the license is the PEP 639 expression ``Apache-2.0``.

Usage: python tools/check_dist.py DIST_DIR [--no-extension]. Exit status 0 when all holds.
"""

from __future__ import annotations

import argparse
import ast
import subprocess
import sys
import tarfile
import zipfile
from email.parser import HeaderParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SDIST_TREES = ("swoole_compat/", "tests/", "docs/", "tools/", "conformance/")
SDIST_FILES = {"pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "CHANGELOG.md", "LICENSE"}


def source_version() -> str:
    tree = ast.parse((ROOT / "swoole_compat" / "__init__.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__version__" for t in node.targets):
            return str(ast.literal_eval(node.value))
    raise SystemExit("no __version__ in swoole_compat/__init__.py")


def tracked_files() -> list[str]:
    out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    return [name for name in out.decode().split("\0") if name]


def check_metadata(text: str, where: str, version: str, problems: list[str]) -> None:
    meta = HeaderParser().parsestr(text)
    if meta["Version"] != version:
        problems.append(f"{where}: Version {meta['Version']!r}, __version__ is {version!r}")
    if meta["License-Expression"] != "Apache-2.0":
        problems.append(f"{where}: License-Expression {meta['License-Expression']!r}")
    if "LICENSE" not in (meta.get_all("License-File") or []):
        problems.append(f"{where}: no License-File: LICENSE")
    if meta["License"]:
        problems.append(f"{where}: legacy License field {meta['License']!r}")


def check_sdist(path: Path, version: str, tracked: list[str], problems: list[str]) -> None:
    prefix = f"swoole_compat-{version}/"
    with tarfile.open(path) as tar:
        names = {m.name[len(prefix):] for m in tar.getmembers() if m.isfile() and m.name.startswith(prefix)}
        pkg_info = tar.extractfile(prefix + "PKG-INFO")
        assert pkg_info is not None
        check_metadata(pkg_info.read().decode("utf-8"), path.name, version, problems)
    wanted = {f for f in tracked if f.startswith(SDIST_TREES)} | SDIST_FILES
    for missing in sorted(wanted - names):
        problems.append(f"{path.name}: missing {missing}")
    for junk in sorted(n for n in names if "__pycache__/" in n or n.endswith((".pyc", ".pyo", ".so"))):
        problems.append(f"{path.name}: should not contain {junk}")


def check_wheel(path: Path, version: str, tracked: list[str], extension: bool, problems: list[str]) -> None:
    dist_info = f"swoole_compat-{version}.dist-info/"
    with zipfile.ZipFile(path) as whl:
        names = set(whl.namelist())
        check_metadata(whl.read(dist_info + "METADATA").decode("utf-8"), path.name, version, problems)
        entry_points = whl.read(dist_info + "entry_points.txt").decode("utf-8")
    wanted = {f for f in tracked if f.startswith("swoole_compat/") and f.endswith((".py", ".pyi", ".typed"))}
    wanted |= {f"{dist_info}licenses/LICENSE"}
    # Package data tracked beside the modules (scenario data of the conformance kit, once it is
    # part of the package) goes into the wheel too.
    wanted |= {f for f in tracked if f.startswith("swoole_compat/") and not f.endswith((".c", ".h"))}
    for missing in sorted(wanted - names):
        problems.append(f"{path.name}: missing {missing}")
    has_extension = any(n.startswith("swoole_compat/_speedups.") and n.endswith((".so", ".pyd")) for n in names)
    if extension and not has_extension:
        problems.append(f"{path.name}: no compiled swoole_compat._speedups")
    for junk in sorted(n for n in names if n.endswith((".c", ".pyc")) or n.startswith(("tests/", "tools/"))):
        problems.append(f"{path.name}: should not contain {junk}")
    if "swoole-compat = swoole_compat.__main__:main" not in entry_points:
        problems.append(f"{path.name}: no swoole-compat console script in entry_points.txt")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dist", type=Path, help="the folder python -m build wrote to")
    parser.add_argument("--no-extension", action="store_true", help="the wheel was built without a C compiler")
    args = parser.parse_args(argv)
    version = source_version()
    tracked = tracked_files()
    sdists = sorted(args.dist.glob("swoole_compat-*.tar.gz"))
    wheels = sorted(args.dist.glob("swoole_compat-*.whl"))
    problems: list[str] = []
    if len(sdists) != 1 or len(wheels) != 1:
        problems.append(f"expected one sdist and one wheel in {args.dist}, found {[p.name for p in sdists + wheels]}")
    for sdist in sdists:
        check_sdist(sdist, version, tracked, problems)
    for wheel in wheels:
        check_wheel(wheel, version, tracked, not args.no_extension, problems)
    for problem in problems:
        print(f"check_dist: {problem}", file=sys.stderr)
    if not problems:
        print(f"check_dist: {', '.join(p.name for p in sdists + wheels)}: version {version}, contents complete")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
