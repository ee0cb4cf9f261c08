"""_php.py: PHP truthiness, string/number conversion, urlencode/urldecode, http_build_query."""

from __future__ import annotations

import enum
import math
import urllib.parse
import warnings

import pytest
from hypothesis import given
from hypothesis import strategies as st

from swoole_compat import _php
from swoole_compat._php import (
    http_build_query,
    php_bytes,
    php_float,
    php_float_str,
    php_int,
    php_str,
    php_truthy,
    php_urldecode,
    php_urlencode,
)
from swoole_compat.errors import SwooleWarning


class Color(enum.IntEnum):
    RED = 7


# --------------------------------------------------------------------------- truthiness


@pytest.mark.parametrize(
    "value",
    [None, False, 0, 0.0, -0.0, "", "0", b"", b"0", bytearray(b"0"), [], {}, ()],
)
def test_falsy(value: object) -> None:
    assert php_truthy(value) is False


@pytest.mark.parametrize(
    "value",
    [True, 1, -1, 0.1, math.nan, "00", "0.0", " ", "false", b"00", [0], {"a": None}, object()],
)
def test_truthy(value: object) -> None:
    assert php_truthy(value) is True


# --------------------------------------------------------------------------- floats


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1.0, "1"),
        (0.1, "0.1"),
        (-2.5, "-2.5"),
        (100.0, "100"),
        (1e20, "1.0E+20"),
        (1.5e20, "1.5E+20"),
        (1e14, "1.0E+14"),  # more than 14 integer digits -> exponent
        (1e13, "10000000000000"),
        (0.0001, "0.0001"),
        (0.00001, "1.0E-5"),
        (1.5e-7, "1.5E-7"),
        (1e300, "1.0E+300"),
        (0.0, "0"),
        (-0.0, "-0"),
        (math.inf, "INF"),
        (-math.inf, "-INF"),
        (math.nan, "NAN"),
        (0.1 + 0.2, "0.3"),  # precision 14, as PHP's (string) cast
        (1 / 3, "0.33333333333333"),
        (123456789012345.0, "1.2345678901234E+14"),
    ],
)
def test_php_float_str_default_precision(value: float, text: str) -> None:
    assert php_float_str(value) == text
    assert php_str(value) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.1 + 0.2, "0.30000000000000004"),
        (1e20, "1.0E+20"),
        (1e15, "1000000000000000"),
        (1.5e-7, "1.5E-7"),
        (1.0, "1"),
        (-0.0, "-0"),
    ],
)
def test_php_float_str_shortest_precision(value: float, text: str) -> None:
    assert php_float_str(value, -1) == text


def test_php_float_str_follows_module_precision(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_php, "PHP_PRECISION", 17)
    assert php_str(0.1) == "0.10000000000000001"


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_php_float_str_shortest_round_trips(value: float) -> None:
    assert float(php_float_str(value, -1)) == value


# --------------------------------------------------------------------------- strings


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (True, "1"),
        (False, ""),
        (0, "0"),
        (-42, "-42"),
        (2**63 - 1, "9223372036854775807"),
        ("héllo", "héllo"),
        (b"abc", "abc"),
        (b"\xff\xfe", "\udcff\udcfe"),
        (bytearray(b"x"), "x"),
        (memoryview(b"mv"), "mv"),
        (Color.RED, "7"),
    ],
)
def test_php_str(value: object, text: str) -> None:
    assert php_str(value) == text


@pytest.mark.parametrize("value", [[1, 2], {"a": 1}, (), {}])
def test_php_str_array_warns(value: object) -> None:
    with pytest.warns(SwooleWarning) as record:
        assert php_str(value, "Swoole\\Coroutine\\Http\\Client::execute") == "Array"
    assert str(record[0].message) == (
        "Swoole\\Coroutine\\Http\\Client::execute(): Array to string conversion"
    )


def test_php_str_array_warning_without_where_and_stacklevel() -> None:
    def facade() -> str:
        return php_str([1])

    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        assert facade() == "Array"
    assert str(record[0].message) == "Array to string conversion"
    assert record[0].category is SwooleWarning
    assert record[0].filename == __file__


@pytest.mark.parametrize(
    ("value", "data"),
    [
        ("é", b"\xc3\xa9"),
        ("\udcff", b"\xff"),  # surrogateescape round-trip
        (b"\x00\xff", b"\x00\xff"),
        (bytearray(b"ba"), b"ba"),
        (memoryview(b"mv"), b"mv"),
        (None, b""),
        (True, b"1"),
        (False, b""),
        (123, b"123"),
        (1.5, b"1.5"),
        (1e20, b"1.0E+20"),
    ],
)
def test_php_bytes(value: object, data: bytes) -> None:
    result = php_bytes(value)
    assert type(result) is bytes
    assert result == data


def test_php_bytes_array_warns() -> None:
    with pytest.warns(SwooleWarning, match=r"^X::y\(\): Array to string conversion$"):
        assert php_bytes({"a": 1}, "X::y") == b"Array"


# --------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    ("value", "number"),
    [
        (None, 0),
        (True, 1),
        (False, 0),
        (42, 42),
        (1.9, 1),
        (-1.9, -1),
        (math.nan, 0),
        (math.inf, 0),
        ("1.5", 1),
        ("12abc", 12),
        ("abc", 0),
        ("", 0),
        (" 42", 42),
        ("\t-7 ", -7),
        ("+3", 3),
        ("1e3", 1000),
        (".5", 0),
        ("0x1A", 0),
        ("99999999999999999999", 2**63 - 1),
        ("-99999999999999999999", -(2**63)),
        (b"15", 15),
        ([], 0),
        ([0], 1),
        (Color.RED, 7),
    ],
)
def test_php_int(value: object, number: int) -> None:
    result = php_int(value)
    assert type(result) is int
    assert result == number


@pytest.mark.parametrize(
    ("value", "number"),
    [
        (None, 0.0),
        (True, 1.0),
        (3, 3.0),
        ("1.5", 1.5),
        ("12abc", 12.0),
        ("abc", 0.0),
        ("  2.5e2xyz", 250.0),
        (".5", 0.5),
        ("1.", 1.0),
        ("-", 0.0),
        (b"7.25", 7.25),
        ({}, 0.0),
    ],
)
def test_php_float(value: object, number: float) -> None:
    result = php_float(value)
    assert type(result) is float
    assert result == number


# --------------------------------------------------------------------------- urlencode


@pytest.mark.parametrize(
    ("raw", "encoded"),
    [
        ("", ""),
        ("abcXYZ019-_.", "abcXYZ019-_."),
        ("a b", "a+b"),
        ("~", "%7E"),
        ("a+b", "a%2Bb"),
        ("x=y", "x%3Dy"),
        ("a b;c", "a+b%3Bc"),
        ("é", "%C3%A9"),
        ("/?#&%*", "%2F%3F%23%26%25%2A"),
        (b"\x00\xff ", "%00%FF+"),
        (bytearray(b"a b"), "a+b"),
        ("\udcff", "%FF"),
    ],
)
def test_php_urlencode(raw: str | bytes, encoded: str) -> None:
    assert php_urlencode(raw) == encoded


@given(st.binary())
def test_php_urlencode_matches_reference_for_all_bytes(data: bytes) -> None:
    reference = urllib.parse.quote_plus(data, safe="").replace("~", "%7E")
    assert php_urlencode(data) == reference


@pytest.mark.parametrize(
    ("encoded", "decoded"),
    [
        ("a+b", "a b"),
        ("a%20b", "a b"),
        ("%41%62", "Ab"),
        ("%c3%A9", "é"),
        ("100%", "100%"),
        ("%zz", "%zz"),
        ("%4", "%4"),
        ("%4g%41", "%4gA"),
        ("%", "%"),
        ("%ff", "\udcff"),
        ("plain", "plain"),
        ("%2B", "+"),
    ],
)
def test_php_urldecode(encoded: str, decoded: str) -> None:
    assert php_urldecode(encoded) == decoded


def test_php_urldecode_bytes_input() -> None:
    assert php_urldecode(b"a+%41%zz") == "a A%zz"


@given(st.text())
def test_urlencode_urldecode_round_trip(text: str) -> None:
    assert php_urldecode(php_urlencode(text)) == text


# --------------------------------------------------------------------------- http_build_query


@pytest.mark.parametrize(
    ("data", "query"),
    [
        ({"k": "v w", "arr": {"x": 1}}, "k=v+w&arr%5Bx%5D=1"),
        ({"f": [1, 2]}, "f%5B0%5D=1&f%5B1%5D=2"),
        ({"t": True, "f": False}, "t=1&f=0"),
        ({"n": None, "a": "b"}, "a=b"),
        ({"a": {}, "b": [], "c": "d"}, "c=d"),
        ({}, ""),
        ([], ""),
        (["x", "y"], "0=x&1=y"),
        ({0: "zero", 5: "five"}, "0=zero&5=five"),
        ({"a b": "c&d"}, "a+b=c%26d"),
        ({"k[]": "v"}, "k%5B%5D=v"),
        ({"a": {"b": {"c": "d"}}}, "a%5Bb%5D%5Bc%5D=d"),
        ({"a": [{"b": 1}, [2]]}, "a%5B0%5D%5Bb%5D=1&a%5B1%5D%5B0%5D=2"),
        ({"a": {"x": None, "y": 2}}, "a%5By%5D=2"),
        ({"fl": 1.5, "big": 1e20, "third": 1 / 3}, "fl=1.5&big=1.0E%2B20&third=0.33333333333333"),
        ({"raw": b"\xff \x00"}, "raw=%FF+%00"),
        ({"t": ("a", "b")}, "t%5B0%5D=a&t%5B1%5D=b"),
        ({"u": "é~"}, "u=%C3%A9%7E"),
        ({True: "x", 2.7: "y", None: "z"}, "1=x&2=y&=z"),
        ({"e": Color.RED}, "e=7"),
    ],
)
def test_http_build_query(data: dict[object, object] | list[object], query: str) -> None:
    assert http_build_query(data) == query


def test_http_build_query_skips_recursive_arrays() -> None:
    data: list[object] = [1]
    data.append(data)
    assert http_build_query({"a": data}) == "a%5B0%5D=1"


def test_http_build_query_rejects_strings() -> None:
    with pytest.raises(TypeError):
        http_build_query("a=b")  # type: ignore[arg-type]
