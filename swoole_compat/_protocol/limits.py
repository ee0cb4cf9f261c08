"""Resource limits that Swoole does not have and ``swoole_compat`` adds (README "Security and
limits", docs/deviations.md S11, S16).

Three are configurable through ``set()`` (all validated before anything is merged):

* ``max_body_size`` (also the process-wide environment variable ``SWOOLE_COMPAT_MAX_BODY_SIZE``):
  the response body a client keeps in memory, decoded or not (default 1 GiB);
* ``max_decompressed_size``: the decoded size of a ``Content-Encoding`` body kept in memory
  (default 128 MiB);
* ``max_decompression_ratio``: decoded bytes per encoded byte, checked once more than
  :data:`RATIO_GRACE` bytes were decoded (default 100), in memory and for ``download()``.

``download()`` streams the body to its file: only the ratio applies there. ``write_func``
receives the body as received (not decoded, client.md Q9) and is limited by none of them.
:func:`decode_limits` turns the options into the arguments of
:class:`swoole_compat._protocol.compression.Decoder`.
"""

from __future__ import annotations

import math
import os
import re
from typing import Any, NamedTuple

from ..errors import logger

MAX_BODY_SIZE_DEFAULT = 1 << 30
"""1 GiB: the default in-memory body limit."""

MAX_BODY_SIZE_ENV = "SWOOLE_COMPAT_MAX_BODY_SIZE"
"""Environment variable overriding :data:`MAX_BODY_SIZE_DEFAULT` for the whole process."""

SW_ERROR_DATA_LENGTH_TOO_LARGE = 1203
"""errCode of a body past a limit (errMsg ``Data length too large``, statusCode -3)."""

MAX_DECOMPRESSED_SIZE_DEFAULT = 128 << 20
"""128 MiB: the default limit on the decoded size of a compressed body kept in memory."""

MAX_DECOMPRESSION_RATIO_DEFAULT = 100
"""Default limit on decoded bytes per encoded byte (a gzip stream of zeros reaches ~1030)."""

RATIO_GRACE = 8 << 20
"""The ratio is checked only once more than 8 MiB were decoded: small bodies that compress
very well (and the first steps of any stream, before much input was read) never trip it."""

OPTION_NAMES = ("max_body_size", "max_decompressed_size", "max_decompression_ratio")
"""``set()`` keys added by swoole_compat for the limits of this module."""

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


def parse_ratio(value: Any, what: str = "max_decompression_ratio") -> float:
    """A ratio: a non-negative finite ``int``/``float`` or a numeric string (``"50"``,
    ``"12.5"``). 0 means "no limit". :class:`TypeError` for other types (``bool`` included),
    :class:`ValueError` for negative, non-finite or unreadable values."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise TypeError(f"{what} must be a number, not {type(value).__name__}")
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            raise ValueError(f"{what} must be a number such as 100, got {value[:40]!r}") from None
    else:
        number = float(value)
    if not math.isfinite(number) or number < 0:
        raise ValueError(f"{what} must be a finite number greater than or equal to 0 (0 = no limit), got {value!r}")
    return number


def parse_options(options: dict[Any, Any]) -> dict[str, Any]:
    """The limit options present (not None) in a ``set()`` array, validated: ``{name: value}``
    for the names of :data:`OPTION_NAMES` (sizes as ``int``, the ratio as ``float``). Raises
    :class:`TypeError`/:class:`ValueError` naming the option, before the caller merges
    anything."""
    parsed: dict[str, Any] = {}
    for name in OPTION_NAMES:
        value = options.get(name)
        if value is not None:
            parsed[name] = parse_ratio(value, name) if name == "max_decompression_ratio" else parse_size(value, name)
    return parsed


class DecodeLimits(NamedTuple):
    """Limits of one decoded body, in the order of ``Decoder(encoding, *limits)``."""

    max_size: int
    """Decoded bytes (0 = no limit)."""
    max_ratio: float
    """Decoded bytes per encoded byte, past :data:`RATIO_GRACE` (0 = no limit)."""
    size_option: str
    """The option named when ``max_size`` is passed (``max_body_size`` keeps Swoole's plain
    errMsg ``Data length too large``)."""


def decode_limits(
    body_limit: int,
    max_decompressed_size: int | None,
    max_decompression_ratio: float | None,
    *,
    in_memory: bool,
) -> DecodeLimits:
    """The limits for decoding one response body.

    ``body_limit`` is the ``max_body_size`` in force (:func:`max_body_size`, 0 = none);
    ``max_decompressed_size``/``max_decompression_ratio`` are the client's options (None =
    default). In memory the smaller non-zero size wins; ``download()`` (``in_memory=False``)
    is bounded by the ratio only.
    """
    ratio = MAX_DECOMPRESSION_RATIO_DEFAULT if max_decompression_ratio is None else max_decompression_ratio
    if not in_memory:
        return DecodeLimits(0, ratio, "")
    size = MAX_DECOMPRESSED_SIZE_DEFAULT if max_decompressed_size is None else max_decompressed_size
    if size and (not body_limit or size < body_limit):
        return DecodeLimits(size, ratio, "max_decompressed_size")
    return DecodeLimits(body_limit, ratio, "max_body_size")


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
