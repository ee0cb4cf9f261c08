"""The package as users install it: one version, the console script, ``py.typed``, the C extension
or its pure-Python fallback.

The suite runs against whatever ``import swoole_compat`` finds: the checkout (editable install) or
an installed wheel. ``.ci/run`` installs the built wheel into a fresh virtual environment and sets
``SWOOLE_COMPAT_TEST_INSTALLED=1``; the checks marked for it then also make sure that the tests
really exercised the installed wheel, not a source tree next to the tests.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

import swoole_compat
from swoole_compat import _accel

PACKAGE_DIR = Path(swoole_compat.__file__).resolve().parent
TESTS_PARENT = Path(__file__).resolve().parents[2]
INSTALLED = os.environ.get("SWOOLE_COMPAT_TEST_INSTALLED") == "1"
NO_SPEEDUPS = bool(os.environ.get("SWOOLE_COMPAT_NO_SPEEDUPS"))
DIST = "swoole_compat"

installed_only = pytest.mark.skipif(not INSTALLED, reason="SWOOLE_COMPAT_TEST_INSTALLED=1 is not set")


def _distribution() -> importlib.metadata.Distribution:
    try:
        return importlib.metadata.distribution(DIST)
    except importlib.metadata.PackageNotFoundError:
        if INSTALLED:
            raise
        pytest.skip("swoole_compat is imported from a source tree that is not installed")


def _subprocess_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(PACKAGE_DIR.parent)  # the same swoole_compat as this process
    return env


def test_version_is_pep440() -> None:
    assert re.fullmatch(r"\d+\.\d+\.\d+((a|b|rc)\d+)?(\.post\d+)?(\.dev\d+)?", swoole_compat.__version__)


def test_version_is_the_distribution_version() -> None:
    """pyproject.toml reads the version from ``__version__`` (one place)."""
    assert _distribution().version == swoole_compat.__version__


def test_changelog_has_a_section_for_the_version() -> None:
    changelog = TESTS_PARENT / "CHANGELOG.md"
    if not changelog.is_file():
        pytest.skip("no CHANGELOG.md next to the tests")
    headings = re.findall(r"^## (\S+)", changelog.read_text(encoding="utf-8"), re.MULTILINE)
    assert headings and headings[0] == swoole_compat.__version__


def test_module_version_option_prints_the_version(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "swoole_compat", "--version"],
        capture_output=True, text=True, timeout=60, cwd=str(tmp_path), env=_subprocess_env(),
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"swoole_compat {swoole_compat.__version__} ")


def test_console_script_is_declared_and_prints_the_version(tmp_path: Path) -> None:
    entry_points = [ep for ep in _distribution().entry_points if ep.group == "console_scripts"]
    assert [(ep.name, ep.value) for ep in entry_points] == [("swoole-compat", "swoole_compat.__main__:main")]
    script = shutil.which("swoole-compat", path=sysconfig.get_path("scripts"))
    if script is None:
        if INSTALLED:
            pytest.fail(f"no swoole-compat script in {sysconfig.get_path('scripts')}")
        pytest.skip("the swoole-compat script is not in this interpreter's scripts folder")
    proc = subprocess.run(
        [script, "--version"], capture_output=True, text=True, timeout=60, cwd=str(tmp_path), env=_subprocess_env()
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"swoole_compat {swoole_compat.__version__} ")


def test_typing_marker_and_extension_stub_are_shipped() -> None:
    assert (PACKAGE_DIR / "py.typed").is_file()
    assert (PACKAGE_DIR / "_speedups.pyi").is_file()


def test_speedups_loaded_or_fallback_forced() -> None:
    names = {"apply_mask": _accel.apply_mask, "encode_masked": _accel.encode_masked,
             "unmask_join": _accel.unmask_join, "BytesFill": _accel.BytesFill}
    if NO_SPEEDUPS:
        assert all(value is None for value in names.values()), names
        return
    if _accel.apply_mask is None:
        if INSTALLED:  # .ci/run builds the wheel on a machine with a C compiler
            pytest.fail("the installed wheel has no swoole_compat._speedups extension")
        pytest.skip("swoole_compat._speedups was not built (no C compiler at install time)")
    assert all(value is not None for value in names.values()), names


@installed_only
def test_tests_run_against_the_installed_wheel() -> None:
    """Not the source tree beside the tests, not an editable install."""
    assert TESTS_PARENT not in PACKAGE_DIR.parents, f"swoole_compat imported from the source tree {PACKAGE_DIR}"
    site_dirs = {Path(sysconfig.get_path(name)).resolve() for name in ("purelib", "platlib")}
    assert PACKAGE_DIR.parent in site_dirs, (PACKAGE_DIR, site_dirs)
    dist = _distribution()
    direct_url = dist.read_text("direct_url.json")
    if direct_url:
        assert not json.loads(direct_url).get("dir_info", {}).get("editable"), direct_url


@installed_only
def test_wheel_records_what_the_package_needs_at_run_time() -> None:
    files = {str(f) for f in _distribution().files or ()}
    assert "swoole_compat/py.typed" in files
    assert "swoole_compat/_speedups.pyi" in files
    assert any(re.fullmatch(r"swoole_compat/_speedups\..*(\.so|\.pyd)", f) for f in files), sorted(files)
    assert any(f.endswith(".dist-info/licenses/LICENSE") for f in files), sorted(files)
    assert not any(f.endswith(".c") for f in files)
    source = {str(p.relative_to(PACKAGE_DIR.parent)) for p in PACKAGE_DIR.rglob("*.py")}
    assert source <= files


def test_installed_hints_reach_a_user_type_checker(tmp_path: Path) -> None:
    """mypy, run on user code outside any source tree, reads the package's own annotations."""
    pytest.importorskip("mypy")
    user = tmp_path / "user.py"
    user.write_text(
        "from swoole_compat.coroutine.http import Client\n"
        "status: str = Client('127.0.0.1', 80).statusCode\n",
        encoding="utf-8",
    )
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental", "--cache-dir", os.devnull, "--config-file", os.devnull,
         str(user)],
        capture_output=True, text=True, timeout=300, cwd=str(tmp_path), env=_subprocess_env(),
    )
    assert "missing library stubs or py.typed marker" not in proc.stdout, proc.stdout
    assert 'Incompatible types in assignment (expression has type "int", variable has type "str")' in proc.stdout, (
        proc.stdout + proc.stderr
    )
