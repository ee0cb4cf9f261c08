"""Resource limits that Swoole does not have and ``swoole_compat`` adds (README "Security and
limits", docs/deviations.md).

Only one is configurable: the in-memory body limit, ``set({'max_body_size': n})`` or the
process-wide environment variable ``SWOOLE_COMPAT_MAX_BODY_SIZE``. It bounds the (decoded)
response body a client keeps in memory; ``download()`` and ``write_func`` stream the body out
and are not limited by it.
"""

from __future__ import annotations

import os
import re
from typing import Any

from ..errors import logger

MAX_BODY_SIZE_DEFAULT = 1 << 30
"""1 GiB: the default in-memory body limit."""

MAX_BODY_SIZE_ENV = "SWOOLE_COMPAT_MAX_BODY_SIZE"
"""Environment variable overriding :data:`MAX_BODY_SIZE_DEFAULT` for the whole process."""

SW_ERROR_DATA_LENGTH_TOO_LARGE = 1203
"""errCode of a body past the limit (errMsg ``Data length too large``, statusCode -3)."""

_SIZE = re.compile(r"\s*(\d+)\s*([kKmMgG]?)[bB]?\s*")
_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}


def parse_size(value: Any, what: str = "max_body_size") -> int:
    """A byte count: a non-negative ``int`` or a string such as ``"1048576"``, ``"64K"``,
    ``"16M"``, ``"1G"``. 0 means "no limit".

    Raises :class:`TypeError` for other types (``bool`` and ``float`` included) and
    :class:`ValueError` for negative numbers or unreadable strings.
    """
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise TypeError(f"{what} must be an int or a size string such as '64M', not {type(value).__name__}")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"{what} must be greater than or equal to 0 (0 = no limit), got {value}")
        return value
    match = _SIZE.fullmatch(value)
    if not match:
        raise ValueError(f"{what} must be a byte count such as 1048576, '64K', '16M' or '1G', got {value[:40]!r}")
    return int(match.group(1)) * _UNITS[match.group(2).lower()]


def default_max_body_size() -> int:
    """The process-wide default: ``SWOOLE_COMPAT_MAX_BODY_SIZE`` when set and valid, else 1 GiB.

    Read at every request, so a change of the environment applies to the next request; an
    unreadable value is logged and ignored.
    """
    raw = os.environ.get(MAX_BODY_SIZE_ENV)
    if raw is None or not raw.strip():
        return MAX_BODY_SIZE_DEFAULT
    try:
        return parse_size(raw, MAX_BODY_SIZE_ENV)
    except ValueError as exc:
        logger.warning("%s; using the default %d", exc, MAX_BODY_SIZE_DEFAULT)
        return MAX_BODY_SIZE_DEFAULT


def max_body_size(configured: int | None) -> int:
    """The limit in force: the client's ``max_body_size`` if set, else the process default.
    0 = no limit."""
    return default_max_body_size() if configured is None else configured
