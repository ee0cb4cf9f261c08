"""Branches of the cookie handling: ``php_swoole_http_parse_set_cookies``, the ``cookies`` /
``set_cookie_headers`` properties, ``setCookies()`` and the ``Cookie`` header of
``Client::send_request`` (client.md §6.3 step 7, §7.6).

Upstream keeps cookies in a PHP array: the key rules of PHP arrays (integer-like string keys are
integers, ``$a[] = v`` uses ``nNextFreeElement``) decide what is stored and what is sent back.
Parsing is sans-I/O and tested from the raw header values; the round trips use a scripted
loopback server.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from support.raw import RawRequest, RawServer, raw_server, respond

from swoole_compat import SwooleWarning
from swoole_compat._php import PhpArray
from swoole_compat._protocol.cookies import cookie_header_value, merge_set_cookies, parse_set_cookie
from swoole_compat.coroutine.http import Client, ClientException

LONG_MAX = 2**63 - 1


def parsed(*values: str, into: dict[Any, Any] | None = None) -> dict[Any, Any]:
    cookies: dict[Any, Any] = PhpArray() if into is None else into
    merge_set_cookies(list(values), cookies)
    return cookies


# --------------------------------------------------------------------------- Set-Cookie parsing


def test_key_before_first_equals() -> None:
    """parse_set_cookies: '=' found → key = text before the first '=', value = the rest."""
    assert parsed("a=b=c") == {"a": "b=c"}


def test_no_equals_appends_whole_value() -> None:
    """parse_set_cookies: no '=' → empty key → add_next_index_zval(whole value up to ';')."""
    assert list(parsed("novalue; secure").items()) == [(0, "novalue")]


def test_equals_in_an_attribute_makes_a_key() -> None:
    """parse_set_cookies: '=' is searched over the whole value, attributes included, so
    "novalue; path=/" has the key "novalue; path" and the value "/"."""
    assert parsed("novalue; path=/") == {"novalue; path": "/"}


def test_leading_equals_is_an_empty_key() -> None:
    """parse_set_cookies: '=' at offset 0 → key_len 0 → appended, value after the '='."""
    assert list(parsed("=v; path=/").items()) == [(0, "v")]


def test_value_ends_at_first_semicolon_after_equals() -> None:
    """parse_set_cookies: the value stops at the first ';' after the '='."""
    assert parsed("a=1;2; path=/") == {"a": "1"}


def test_semicolon_before_equals_belongs_to_the_key() -> None:
    """parse_set_cookies: the '=' is searched first, so a ';' before it is part of the key."""
    assert parsed("a;b=c") == {"a;b": "c"}


@pytest.mark.parametrize("raw", ["e=", "e=;x", "e=; path=/"])
def test_empty_value(raw: str) -> None:
    """parse_set_cookies: value_len == 0 → ZVAL_EMPTY_STRING (no url-decoding)."""
    assert parsed(raw) == {"e": ""}


@pytest.mark.parametrize(
    ("raw", "value"),
    [("a=b%20c+d", "b c d"), ("a=%zz%4", "%zz%4"), ("a=%e2%82%AC", "€"), ("a=%FF", "\udcff")],
)
def test_value_is_url_decoded(raw: str, value: str) -> None:
    """parse_set_cookies: value_len != 0 → php_url_decode (+ → space, %XX either case,
    malformed escapes kept, bytes kept through surrogateescape)."""
    assert parsed(raw) == {"a": value}


def test_integer_like_name_is_an_integer_key() -> None:
    """parse_set_cookies: add_assoc_zval_ex → zend_symtable: "123" is the int key 123, "0123"
    and "-0" stay strings, "123" again overwrites in place."""
    cookies = parsed("123=abc", "0123=x", "-0=y", "s=1", "123=new")
    assert list(cookies.items()) == [(123, "new"), ("0123", "x"), ("-0", "y"), ("s", "1")]


def test_append_uses_next_free_index_after_integer_keys() -> None:
    """parse_set_cookies: add_next_index_zval → one more than the largest integer key so far."""
    assert list(parsed("7=a", "b", "c").items()) == [(7, "a"), (8, "b"), (9, "c")]


def test_append_index_does_not_go_back_after_deletion() -> None:
    """PHP nNextFreeElement never decreases: deleting the largest key keeps the next index."""
    cookies = parsed("5=a")
    del cookies[5]
    assert list(parsed("b", into=cookies).items()) == [(6, "b")]


def test_append_after_negative_key() -> None:
    """nNextFreeElement after a negative key is that key + 1 (fresh arrays, PHP >= 8.0)."""
    assert list(parsed("-5=a", "b").items()) == [(-5, "a"), (-4, "b")]


def test_append_fails_when_next_slot_is_taken() -> None:
    """add_next_index_zval fails (stores nothing) once PHP_INT_MAX is used; the raw header
    is still listed in set_cookie_headers by the client (tested below)."""
    cookies = parsed(f"{LONG_MAX}=a", "lost")
    assert list(cookies.items()) == [(LONG_MAX, "a")]


def test_plain_dict_is_rewritten_as_a_php_array() -> None:
    """A user-assigned plain dict: integer-like string keys become ints, the next index
    follows its largest integer key."""
    cookies: dict[Any, Any] = {"3": "x", "k": "v"}
    merge_set_cookies(["n", "3=y"], cookies)
    assert list(cookies.items()) == [(3, "y"), ("k", "v"), (4, "n")]


def test_parse_set_cookie_single_value() -> None:
    """parse_set_cookie is merge_set_cookies for one value."""
    cookies = PhpArray()
    parse_set_cookie("a=1", cookies)
    parse_set_cookie("x", cookies)
    assert list(cookies.items()) == [("a", "1"), (0, "x")]


# --------------------------------------------------------------------------- Cookie header


def test_cookie_header_skips_integer_keys_and_integer_like_strings() -> None:
    """send_request cookies: HASH_KEY_IS_STRING != keytype → skipped; "123" is an int key in
    PHP, so it is skipped too, "0123" is sent."""
    assert cookie_header_value({"123": "a", 5: "b", "0123": "c"}) == "0123=c"


def test_cookie_header_separator_follows_raw_index() -> None:
    """send_request cookies: `i < n_cookie` counts skipped entries too (trailing '; ')."""
    assert cookie_header_value({"a": "1", "b": "", 0: "x"}) == "a=1; "


def test_cookie_header_value_conversion() -> None:
    """send_request cookies: zend::String(zvalue): floats in PHP form, bools 1/"", None "" (skipped)."""
    value = cookie_header_value({"f": 1.5, "e": 1e20, "t": True, "n": None, "z": 0})
    assert value == "f=1.5; e=1.0E%2B20; t=1; z=0"


def test_cookie_header_array_value_warns() -> None:
    """send_request cookies: an array value converts to "Array" with the engine warning."""
    with pytest.warns(SwooleWarning, match="^Array to string conversion$"):
        assert cookie_header_value({"a": [1]}) == "a=Array"


def test_cookie_header_size_limit_boundary() -> None:
    """send_request cookies: keylen + value len + 1 > 4096 → exception 505; 4096 exactly is
    sent. The raw (not encoded) value length counts."""
    assert cookie_header_value({"k": " " * 4094}) == "k=" + "+" * 4094
    with pytest.raises(ClientException) as info:
        cookie_header_value({"k": "v" * 4095})
    assert (info.value.code, info.value.message) == (505, "HTTP cookie header is too large")


# --------------------------------------------------------------------------- on the wire


@pytest.fixture
async def cookie_srv() -> AsyncIterator[RawServer]:
    """Answers /set with Set-Cookie lines, everything else with a plain 200."""

    def answer(request: RawRequest) -> bytes:
        if request.target == "/set":
            return (
                b"HTTP/1.1 200 OK\r\nSet-Cookie: s=a%20b; path=/\r\nSet-Cookie: 42=int\r\n"
                b"Set-Cookie: noname\r\nSet-Cookie: 0042=str\r\nContent-Length: 0\r\n\r\n"
            )
        return b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"

    async with raw_server(respond(answer)) as server:
        yield server


def cookie_line(head: bytes) -> bytes | None:
    for line in head.split(b"\r\n"):
        if line.startswith(b"Cookie:"):
            return line
    return None


async def test_set_cookie_updates_cookies_sent_next(cookie_srv: RawServer) -> None:
    """http_parser_on_header_value set-cookie → cookies property; send_request reads the same
    property, so the next request sends string keys only (42 and the nameless one stay out)."""
    cli = Client("127.0.0.1", cookie_srv.port)
    assert await cli.get("/set")
    assert list(cli.getCookies().items()) == [("s", "a b"), (42, "int"), (43, "noname"), ("0042", "str")]
    assert cli.set_cookie_headers == ["s=a%20b; path=/", "42=int", "noname", "0042=str"]
    assert await cli.get("/next")
    assert cookie_line(cookie_srv.requests[1]) == b"Cookie: s=a+b; 0042=str"
    # send_request nulls set_cookie_headers; cookies persist (never cleared by requests)
    assert cli.set_cookie_headers is None
    assert cli.getCookies()[42] == "int"
    cli.close()


async def test_set_cookies_merges_into_user_cookies(cookie_srv: RawServer) -> None:
    """setCookies() then Set-Cookie: the server's cookies merge into the user's array (the
    caller's dict is not modified); the next index follows the user's integer keys."""
    mine = {"u": "1", "100": "int-like"}
    cli = Client("127.0.0.1", cookie_srv.port)
    cli.setCookies(mine)
    assert await cli.get("/set")
    assert list(cli.cookies.items()) == [
        ("u", "1"), (100, "int-like"), ("s", "a b"), (42, "int"), (101, "noname"), ("0042", "str")
    ]
    assert mine == {"u": "1", "100": "int-like"}
    cli.close()


async def test_set_cookies_integer_like_key_is_not_sent(cookie_srv: RawServer) -> None:
    """setCookies(['123' => ..]): PHP stores int 123 → skipped in the Cookie header."""
    cli = Client("127.0.0.1", cookie_srv.port)
    cli.setCookies({"123": "x", "a": "y"})
    assert list(cli.getCookies().items()) == [(123, "x"), ("a", "y")]
    assert await cli.get("/")
    assert cookie_line(cookie_srv.requests[0]) == b"Cookie: a=y"
    cli.close()


async def test_non_array_cookies_property_is_replaced(cookie_srv: RawServer) -> None:
    """sw_zend_read_and_convert_property_array: a non-array cookies property becomes [] before
    the Set-Cookie values are merged (and, not being an array, sends no Cookie line)."""
    cli = Client("127.0.0.1", cookie_srv.port)
    cli.cookies = "junk"  # type: ignore[assignment]
    assert await cli.get("/set")
    assert cookie_line(cookie_srv.requests[0]) is None
    assert cli.cookies == {"s": "a b", 42: "int", 43: "noname", "0042": "str"}
    cli.close()


async def test_setcookies_replaces_server_cookies(cookie_srv: RawServer) -> None:
    """setCookies() replaces the whole property: server-set cookies are lost."""
    cli = Client("127.0.0.1", cookie_srv.port)
    assert await cli.get("/set")
    cli.setCookies({"only": "me"})
    assert await cli.get("/")
    assert cookie_line(cookie_srv.requests[1]) == b"Cookie: only=me"
    cli.close()


async def test_cookie_too_large_keeps_connection(cookie_srv: RawServer) -> None:
    """send_request cookies: the 505 exception leaves the connection open, statusCode 0."""
    cli = Client("127.0.0.1", cookie_srv.port)
    assert await cli.get("/")
    cli.setCookies({"k": "v" * 5000})
    with pytest.raises(ClientException):
        await cli.get("/")
    assert cli.connected is True
    assert cli.statusCode == 0
    cli.close()
