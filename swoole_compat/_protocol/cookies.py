"""Cookies: the outgoing ``Cookie`` header and incoming ``Set-Cookie`` parsing (client.md §6.3, §7.6).

Upstream keeps cookies in a PHP array, so its key rules apply on both sides: a ``Set-Cookie``
named ``123`` is stored under the integer key 123 (and, like every integer key, is never sent
back), and a ``Set-Cookie`` without a name is appended under PHP's next free index.
:class:`~swoole_compat._php.PhpArray` carries those rules; plain dicts assigned by the user are
read with the same key conversion.
"""

from __future__ import annotations

from typing import Any

from .._php import PhpArray, php_array_key, php_str, php_urldecode, php_urlencode
from ..errors import ClientException

COOKIE_MAX_SIZE = 4096
SW_ERROR_INVALID_PARAMS = 505


def cookie_header_value(cookies: dict[Any, Any]) -> str:
    """The value of the ``Cookie`` header for ``cookies``, byte-for-byte as Swoole writes it.

    Entries whose PHP key is not a string (int keys, and integer-like strings such as ``"123"``,
    which PHP stores as ints) or whose value converts to "" are skipped, but the ``; `` separator
    follows the raw entry index, so skipped trailing entries leave a trailing ``; `` (Replicate
    Q5). Raises :class:`ClientException` (505) for one entry longer than 4096 bytes.
    """
    parts: list[str] = []
    last = len(cookies)
    for index, (key, value) in enumerate(cookies.items(), 1):
        key = php_array_key(key)
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
    """(key, url-decoded value) of one raw ``Set-Cookie`` value; key "" when there is no ``=``
    or the value starts with ``=``."""
    key, sep, rest = value.partition("=")
    if not sep:
        key, rest = "", value
    rest = rest.split(";", 1)[0]
    return key, php_urldecode(rest) if rest else ""


def parse_set_cookie(value: str, cookies: dict[Any, Any]) -> None:
    """Merge one raw ``Set-Cookie`` value into ``cookies`` as ``php_swoole_http_parse_set_cookies``
    does (see :func:`merge_set_cookies`)."""
    merge_set_cookies([value], cookies)


def merge_set_cookies(values: list[str], cookies: dict[Any, Any]) -> None:
    """Merge raw ``Set-Cookie`` values, in order, into the PHP array ``cookies``.

    Key = text before the first ``=``; value = the rest up to the first ``;``, url-decoded
    (the whole value up to ``;`` when there is no ``=``).
    * a non-empty key is stored with PHP's key rule (``"123"`` → int 123, ``"0123"`` stays a
      string), overwriting an entry with the same key in place;
    * an empty key appends under PHP's next free integer index (``$cookies[] = $v``); when that
      slot is taken (the key ``PHP_INT_MAX`` exists) PHP stores nothing, and neither do we.
    A plain dict (assigned by the user) is rewritten in place as the PHP array it stands for
    (integer-like string keys become ints); its next index is one more than its largest
    integer key, 0 if none.
    """
    if not values:
        return
    if isinstance(cookies, PhpArray):
        target = cookies
    else:
        target = PhpArray(cookies)
    for value in values:
        key, cookie_value = _split_set_cookie(value)
        if key:
            target[key] = cookie_value
        else:
            target.append(cookie_value)
    if target is not cookies:
        cookies.clear()
        cookies.update(target)
