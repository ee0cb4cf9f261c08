"""Build script for the optional C extension; all other metadata lives in pyproject.toml.

``swoole_compat._speedups`` (WebSocket masking) is marked ``optional``: without a C compiler or
Python headers the build step logs a warning and the package installs without it, falling back
to the pure-Python implementation in ``swoole_compat._protocol.frames``.

The sdist also carries the conformance kit, ``conformance/``, when the checkout has one (added
here rather than in MANIFEST.in, where a missing directory prints a warning).
"""

from __future__ import annotations

import os

from setuptools import Extension, setup
from setuptools.command.sdist import sdist

OPTIONAL_TREES = ("conformance",)
SKIPPED_DIRS = {"__pycache__", ".pytest_cache", ".mypy_cache", ".hypothesis"}


def _optional_files() -> list[str]:
    """Every file under the optional trees that exist, without caches and bytecode."""
    files = []
    for tree in OPTIONAL_TREES:
        for folder, dirs, names in os.walk(tree):
            dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS)
            files.extend(os.path.join(folder, n) for n in sorted(names) if not n.endswith((".pyc", ".pyo")))
    return files


class SdistWithOptionalTrees(sdist):
    """``sdist`` that also copies the optional trees into the release tree."""

    def make_release_tree(self, base_dir: str, files: list[str]) -> None:
        extra = [f for f in _optional_files() if f not in set(files)]
        super().make_release_tree(base_dir, [*files, *extra])


setup(
    cmdclass={"sdist": SdistWithOptionalTrees},
    ext_modules=[
        Extension(
            "swoole_compat._speedups",
            sources=["swoole_compat/_speedups.c"],
            optional=True,
        )
    ],
)
