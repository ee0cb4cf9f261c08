"""Cookies: the outgoing ``Cookie`` header and incoming ``Set-Cookie`` parsing (client.md §6.3, §7.6)."""

from __future__ import annotations

from typing import Any

from .._php import php_str, php_urldecode, php_urlencode
from ..errors import ClientException

COOKIE_MAX_SIZE = 4096
SW_ERROR_INVALID_PARAMS = 505


def cookie_header_value(cookies: dict[Any, Any]) -> str:
    """The value of the ``Cookie`` header for ``cookies``, byte-for-byte as Swoole writes it.

    Entries with non-string keys or empty values are skipped, but the ``; `` separator follows
    the raw entry index, so skipped trailing entries leave a trailing ``; `` (Replicate Q5).
    Raises :class:`ClientException` (505) for one entry longer than 4096 bytes.
    """
    parts: list[str] = []
    last = len(cookies)
    for index, (key, value) in enumerate(cookies.items(), 1):
        if not isinstance(key, str):
            continue
        text = php_str(value)
        if not text:
            continue
        if len(key.encode("utf-8", "surrogateescape")) + len(text.encode("utf-8", "surrogateescape")) + 1 > COOKIE_MAX_SIZE:
            raise ClientException("HTTP cookie header is too large", SW_ERROR_INVALID_PARAMS)
        parts.append(f"{key}={php_urlencode(text)}")
        if index < last:
            parts.append("; ")
    return "".join(parts)


def _split_set_cookie(value: str) -> tuple[str, str]:
    """(key, url-decoded value) of one raw ``Set-Cookie`` value; key "" when there is no ``=``."""
    key, sep, rest = value.partition("=")
    if not sep:
        key, rest = "", value
    return key, php_urldecode(rest.split(";", 1)[0])


def _next_index(cookies: dict[Any, Any]) -> int:
    return max((k + 1 for k in cookies if isinstance(k, int) and k >= 0), default=0)


def parse_set_cookie(value: str, cookies: dict[Any, Any]) -> None:
    """Merge one raw ``Set-Cookie`` value into ``cookies`` as PHP's parser does.

    Key = text before the first ``=`` (empty without ``=``), value = the rest up to the first
    ``;``, url-decoded. An empty key appends under the next integer key (PHP ``$a[] = v``).
    """
    key, cookie_value = _split_set_cookie(value)
    if key:
        cookies[key] = cookie_value
        return
    cookies[_next_index(cookies)] = cookie_value


def merge_set_cookies(values: list[str], cookies: dict[Any, Any]) -> None:
    """:func:`parse_set_cookie` for each of ``values`` in order, in linear time: the next
    integer key is looked up once, not once per value (a head full of ``Set-Cookie: x`` lines
    would otherwise cost quadratic time, growing with every response)."""
    next_index: int | None = None
    for value in values:
        key, cookie_value = _split_set_cookie(value)
        if key:
            cookies[key] = cookie_value
            continue
        if next_index is None:
            next_index = _next_index(cookies)
        cookies[next_index] = cookie_value
        next_index += 1
