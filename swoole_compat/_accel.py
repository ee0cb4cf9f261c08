"""The optional C extension ``swoole_compat._speedups``, loaded in one place.

Each name is the C implementation or None; callers keep a pure-Python path with the same
behaviour for None. The extension is built when a compiler is available (``setup.py`` marks it
optional); ``SWOOLE_COMPAT_NO_SPEEDUPS=1`` in the environment makes every name None.
"""

from __future__ import annotations

import os
from typing import Any

apply_mask: Any = None
encode_masked: Any = None
unmask_join: Any = None
BytesFill: Any = None

if not os.environ.get("SWOOLE_COMPAT_NO_SPEEDUPS"):
    try:
        from ._speedups import BytesFill, apply_mask, encode_masked, unmask_join  # noqa: F811
    except ImportError:  # no compiler at install time, or an older build
        pass
