"""Constants and helpers ported from upstream ``tests/include`` (``config.php``, ``functions.php``).

* Pressure-dependent counts (upstream ``PRESSURE_LEVEL`` indexes each list)::

      MAX_REQUESTS        [12, 24, 50, 100]      MAX_REQUESTS_MID  [8, 16, 32, 64]
      MAX_CONCURRENCY     [16, 32, 64, 256]      MAX_REQUESTS_LOW  [4, 8, 10, 25]
      MAX_CONCURRENCY_MID [8, 16, 32, 128]
      MAX_CONCURRENCY_LOW [4, 8, 16, 64]

  The level defaults to **1** (small: upstream's valgrind/macOS level) and is overridden with the
  environment variable ``SWOOLE_COMPAT_PRESSURE_LEVEL`` (0-3). :data:`PRESSURE` bundles them.
* :func:`time_approximate` - upstream's +/-10 % timing check; the default tolerance comes from
  ``SWOOLE_COMPAT_TIME_TOLERANCE`` (default 0.1). :func:`assert_time_approximate` raises.
* :func:`safe_random` (``get_safe_random``), :func:`big_random` (``get_big_random``),
  :func:`random_data_list` (``$pm->initRandomData``), :func:`make_test_image` (a random ~200 KB
  ``test.jpg``, standing in for ``TEST_IMAGE``).
* :func:`http_request`, :func:`http_get_body`, :func:`http_get_status_code`,
  :func:`http_get_headers` - async ports of ``httpRequest`` & co. They drive the client under test
  (``swoole_compat.coroutine.http.Client``), imported lazily.
"""

from __future__ import annotations

import base64
import dataclasses
import os
import random
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

_LEVELS = {
    "MAX_REQUESTS": (12, 24, 50, 100),
    "MAX_REQUESTS_MID": (8, 16, 32, 64),
    "MAX_REQUESTS_LOW": (4, 8, 10, 25),
    "MAX_CONCURRENCY": (16, 32, 64, 256),
    "MAX_CONCURRENCY_MID": (8, 16, 32, 128),
    "MAX_CONCURRENCY_LOW": (4, 8, 16, 64),
}


def _pressure_level() -> int:
    """The pressure level from ``SWOOLE_COMPAT_PRESSURE_LEVEL`` (default 1, clamped to 0-3)."""
    try:
        level = int(os.environ.get("SWOOLE_COMPAT_PRESSURE_LEVEL", "1"))
    except ValueError:
        level = 1
    return min(max(level, 0), 3)


@dataclasses.dataclass(frozen=True)
class Pressure:
    """Pressure-dependent counts for one level."""

    level: int
    MAX_REQUESTS: int
    MAX_REQUESTS_MID: int
    MAX_REQUESTS_LOW: int
    MAX_CONCURRENCY: int
    MAX_CONCURRENCY_MID: int
    MAX_CONCURRENCY_LOW: int

    @classmethod
    def for_level(cls, level: int) -> Pressure:
        """The counts of ``level`` (0-3)."""
        return cls(level=level, **{name: values[level] for name, values in _LEVELS.items()})


PRESSURE_LEVEL = _pressure_level()
PRESSURE = Pressure.for_level(PRESSURE_LEVEL)
MAX_REQUESTS = PRESSURE.MAX_REQUESTS
MAX_REQUESTS_MID = PRESSURE.MAX_REQUESTS_MID
MAX_REQUESTS_LOW = PRESSURE.MAX_REQUESTS_LOW
MAX_CONCURRENCY = PRESSURE.MAX_CONCURRENCY
MAX_CONCURRENCY_MID = PRESSURE.MAX_CONCURRENCY_MID
MAX_CONCURRENCY_LOW = PRESSURE.MAX_CONCURRENCY_LOW

#: Size of upstream ``examples/test.jpg``.
TEST_IMAGE_SIZE = 218_787


def default_time_tolerance() -> float:
    """``SWOOLE_COMPAT_TIME_TOLERANCE`` (default 0.1 = upstream's +/-10 %)."""
    try:
        return float(os.environ.get("SWOOLE_COMPAT_TIME_TOLERANCE", "0.1"))
    except ValueError:
        return 0.1


def time_approximate(expect: float, actual: float, tolerance: float | None = None) -> bool:
    """Upstream ``approximate()``: ``actual * (1 - r) < expect < actual * (1 + r)``."""
    ratio = default_time_tolerance() if tolerance is None else tolerance
    return actual * (1 - ratio) < expect < actual * (1 + ratio)


def assert_time_approximate(expect: float, actual: float, tolerance: float | None = None) -> None:
    """Raise ``AssertionError`` (with upstream's message) unless :func:`time_approximate`."""
    if not time_approximate(expect, actual, tolerance):
        ratio = default_time_tolerance() if tolerance is None else tolerance
        raise AssertionError(f"approximate: expect {expect}, but got {actual} (tolerance {ratio})")


def pick_delay(delay: float | tuple[float, float]) -> float:
    """A pause length: ``delay`` itself, or uniform random in a ``(low, high)`` tuple."""
    if isinstance(delay, tuple):
        return random.uniform(delay[0], delay[1])
    return delay


def safe_random(length: int = 32) -> str:
    """``get_safe_random``: ``length`` alphanumeric characters (base64 without ``/+=``)."""
    out = ""
    while len(out) < length:
        out += re.sub(r"[/+=]", "", base64.b64encode(os.urandom(max(length * 2, 8))).decode())
    return out[:length]


def big_random(length: int = 1024 * 1024) -> str:
    """``get_big_random``: a 1 KiB random block repeated (``length`` a multiple of 1 KiB, >= 1 MiB
    upstream; any multiple of 1 KiB is accepted here)."""
    if length % 1024:
        raise ValueError(f"Invalid length {length}")
    return safe_random(1024) * (length // 1024)


def random_data_list(count: int, length: int | None = None) -> list[str]:
    """``$pm->initRandomData($count, $len)``: ``count`` safe random strings (32 chars default)."""
    return [safe_random(length or 32) for _ in range(count)]


def make_test_image(directory: str | os.PathLike[str], size: int = TEST_IMAGE_SIZE, name: str = "test.jpg") -> Path:
    """Write a random file of ``size`` bytes named ``name`` (JPEG magic first) and return it."""
    path = Path(directory) / name
    magic = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"
    data = magic + random.randbytes(max(size - len(magic), 0))
    path.write_bytes(data[:size])
    return path


# --------------------------------------------------------------------------- httpRequest port

_HELPER_OPTIONS = ("method", "headers", "data", "download", "redirect")


def _parse_url(uri: str) -> tuple[str, str, str, str, int | None]:
    """PHP ``parse_url`` subset: ``(scheme, host, path, query, port)``; IPv6 hosts keep brackets."""
    match = re.match(r"^(?:(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*):)?(?://(?P<authority>[^/?#]*))?(?P<rest>.*)$", uri)
    assert match is not None
    authority = match.group("authority") or ""
    rest = match.group("rest")
    host = authority.rsplit("@", 1)[-1]
    port: int | None = None
    port_match = re.match(r"^(?P<host>\[[^\]]*\]|[^:]*)(?::(?P<port>\d*))?$", host)
    if port_match:
        host = port_match.group("host")
        if port_match.group("port"):
            port = int(port_match.group("port"))
    path, _, query = rest.split("#", 1)[0].partition("?")
    return match.group("scheme") or "", host, path, query, port


async def http_request(uri: str, options: Mapping[str, Any] | None = None) -> Any:
    """Port of upstream ``httpRequest($uri, $options)`` (HTTP/1 branch) for the client under test.

    * ``port = int(url port or 80)`` and ``ssl = scheme == 'https' or port == 443`` (so, like
      upstream, ``https://host/`` without a port connects to port 80 with TLS);
    * ``cli.set(options + {'timeout': 5})``; the helper-only keys ``method``, ``headers``,
      ``data``, ``download`` and ``redirect`` are applied through ``setMethod`` / ``setHeaders``
      / ``setData`` / ``download`` instead of being passed to ``set()``;
    * ``download``: a sequence of ``download()`` arguments; the download is awaited and the
      **client** is returned (as upstream does) - the caller must ``close()`` it;
    * otherwise ``execute(path + query)``, following up to ``redirect`` (default 3) redirects
      whose ``Location`` starts with ``/``; raises ``RuntimeError`` when ``execute`` fails;
    * returns ``{'statusCode', 'headers', 'set_cookie_headers', 'body'}``.
    """
    from swoole_compat.coroutine.http import Client

    opts = dict(options or {})
    scheme, domain, path, query, port_value = _parse_url(uri)
    domain = domain or "127.0.0.1"
    path = path or "/"
    query = f"?{query}" if query else ""
    port = int(port_value or 80)
    cli = Client(domain, port, scheme == "https" or port == 443)
    settings = {k: v for k, v in opts.items() if k not in _HELPER_OPTIONS}
    cli.set({"timeout": 5, **settings})
    if "method" in opts:
        cli.setMethod(opts["method"])
    if "headers" in opts:
        cli.setHeaders(opts["headers"])
    if "data" in opts:
        cli.setData(opts["data"])
    download = opts.get("download")
    if isinstance(download, (list, tuple)):
        await cli.download(*download)
        return cli
    redirect_times = opts.get("redirect", 3)
    try:
        while True:
            if not await cli.execute(path + query):
                raise RuntimeError(f"HTTP execute {uri} failed: {cli.errMsg}")
            location = (cli.headers or {}).get("location")
            if redirect_times and isinstance(location, str) and location.startswith("/"):
                redirect_times -= 1
                path = location
                query = ""
                continue
            break
        return {
            "statusCode": cli.statusCode,
            "headers": cli.headers,
            "set_cookie_headers": cli.set_cookie_headers,
            "body": cli.body,
        }
    finally:
        cli.close()


async def http_get_status_code(uri: str, options: Mapping[str, Any] | None = None) -> int:
    """``httpGetStatusCode``."""
    return (await http_request(uri, options))["statusCode"]  # type: ignore[no-any-return]


async def http_get_headers(uri: str, options: Mapping[str, Any] | None = None) -> Any:
    """``httpGetHeaders``."""
    return (await http_request(uri, options))["headers"]


async def http_get_body(uri: str, options: Mapping[str, Any] | None = None) -> bytes:
    """``httpGetBody`` (the body is ``bytes`` in ``swoole_compat``)."""
    return (await http_request(uri, options))["body"]  # type: ignore[no-any-return]
