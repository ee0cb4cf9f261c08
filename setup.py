"""Build script for the optional C extension; all other metadata lives in pyproject.toml.

``swoole_compat._speedups`` (WebSocket masking) is marked ``optional``: without a C compiler or
Python headers the build step logs a warning and the package installs without it, falling back
to the pure-Python implementation in ``swoole_compat._protocol.frames``.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "swoole_compat._speedups",
            sources=["swoole_compat/_speedups.c"],
            optional=True,
        )
    ]
)
