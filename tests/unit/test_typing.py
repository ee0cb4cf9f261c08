"""The package type-checks: ``mypy`` with the configuration in pyproject.toml reports nothing
(the package ships ``py.typed``, so its hints are part of its interface)."""

from __future__ import annotations

from pathlib import Path

from mypy import api

ROOT = Path(__file__).resolve().parents[2]


def test_mypy_finds_no_errors(tmp_path: Path) -> None:
    stdout, stderr, status = api.run(
        ["--config-file", str(ROOT / "pyproject.toml"), "--cache-dir", str(tmp_path), str(ROOT / "swoole_compat")]
    )
    assert status == 0, stdout + stderr
    assert "Success" in stdout
