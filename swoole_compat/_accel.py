"""The optional C extension ``swoole_compat._speedups``, loaded in one place.

Each name is the C implementation or None; callers keep a pure-Python path with the same
behaviour for None. The extension is built when a compiler is available (``setup.py`` marks it
optional); ``SWOOLE_COMPAT_NO_SPEEDUPS=1`` in the environment makes every name None.
"""

from __future__ import annotations

import os
from types import ModuleType
from typing import Any

_ext: ModuleType | None = None
if not os.environ.get("SWOOLE_COMPAT_NO_SPEEDUPS"):
    try:
        from . import _speedups as _ext
    except ImportError:  # no compiler at install time, or an older build
        _ext = None

apply_mask: Any = getattr(_ext, "apply_mask", None)
encode_masked: Any = getattr(_ext, "encode_masked", None)
unmask_join: Any = getattr(_ext, "unmask_join", None)
BytesFill: Any = getattr(_ext, "BytesFill", None)
