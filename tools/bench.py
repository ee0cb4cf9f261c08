#!/usr/bin/env python3
"""Launcher of the benchmark package ``tools/bench/`` (see its ``__init__.py``):
``python tools/bench.py ...`` is ``python -m tools.bench ...`` from the repository's root.
The client workers are started through this file too."""

import sys
from pathlib import Path

if __name__ == "__main__":
    # sys.path[0] is this file's directory, where the package ``bench`` lives.
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench.cli import main

    sys.exit(main())
