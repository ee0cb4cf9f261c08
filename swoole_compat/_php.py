"""PHP value semantics used wherever upstream converts a zval (python-mapping.md section 10).

* :func:`php_truthy` - PHP boolean conversion;
* :func:`php_str` / :func:`php_bytes` - PHP string conversion (``(string)$v``);
* :func:`php_float_str` - PHP's float-to-string formatting;
* :func:`php_int` / :func:`php_float` - PHP numeric conversion (``(int)$v``, ``(float)$v``);
* :func:`php_urlencode` / :func:`php_urldecode` - PHP ``urlencode`` / ``urldecode``;
* :func:`http_build_query` - PHP ``http_build_query($data)`` (RFC 1738 flavour).

Text is ``str`` and PHP byte strings map to ``bytes``; conversions between the two use UTF-8
with ``surrogateescape`` so that any byte sequence round-trips (python-mapping.md section 3).
Several of these run once per header/cookie/form field on the request path, so the common
cases are tested first and the encoders use precomputed tables.
"""

from __future__ import annotations

import math
import re
import urllib.parse
import warnings
from collections.abc import Iterable, Mapping, Sequence
from typing import Final, Union

from .errors import SwooleWarning

__all__ = [
    "PHP_PRECISION",
    "http_build_query",
    "php_bytes",
    "php_float",
    "php_float_str",
    "php_int",
    "php_str",
    "php_truthy",
    "php_urldecode",
    "php_urlencode",
]

#: php.ini ``precision``: significant digits used when PHP turns a float into a string.  PHP's
#: default is 14 (``(string)(0.1 + 0.2) === "0.3"``); ``-1`` selects the shortest round-trip
#: form (what ``serialize_precision`` does for var_export/json_encode).
PHP_PRECISION: int = 14

_ARRAY_TO_STRING: Final = "Array to string conversion"

# A PHP array is a Python dict, list or tuple (python-mapping.md section 3).
_ARRAY_TYPES: Final = (dict, list, tuple)
_BYTES_TYPES: Final = (bytes, bytearray, memoryview)

_INT64_MIN: Final = -(2**63)
_INT64_MAX: Final = 2**63 - 1
_TWO_POW_64: Final = 2**64

# Byte-string conversions share one codec so every module round-trips the same way.
_ENC: Final = "utf-8"
_ERRORS: Final = "surrogateescape"


# --------------------------------------------------------------------------------------------
# truthiness
# --------------------------------------------------------------------------------------------

_FALSY_STRINGS: Final = frozenset({"", "0"})
_FALSY_BYTES: Final = frozenset({b"", b"0"})


def php_truthy(v: object) -> bool:
    """PHP ``(bool)$v``: False for None, False, 0, 0.0, "", "0", b"", b"0" and empty arrays.

    NaN is true (as in PHP); any other object is true.
    """
    if v is None:
        return False
    t = type(v)
    if t is bool:
        return v  # type: ignore[return-value]
    if t is str:
        return v not in _FALSY_STRINGS
    if t is int or t is float:
        return v != 0 or v != v  # type: ignore[operator]  # NaN != NaN, and NaN is truthy
    if isinstance(v, _BYTES_TYPES):
        return bytes(v) not in _FALSY_BYTES
    if isinstance(v, str):
        return str(v) not in _FALSY_STRINGS
    if isinstance(v, bool):
        return bool(v)
    if isinstance(v, (int, float)):
        return v != 0 or v != v
    if isinstance(v, (*_ARRAY_TYPES, set, frozenset)):
        return len(v) > 0
    return True


# --------------------------------------------------------------------------------------------
# float formatting
# --------------------------------------------------------------------------------------------


def _float_digits(a: float, precision: int) -> tuple[str, int]:
    """Significant digits of finite ``a >= 0`` (no trailing zeros) and the decimal exponent.

    Mirrors ``zend_dtoa``: ``a == 0.<digits> * 10**decpt``.  ``precision > 0`` rounds to that
    many significant digits (dtoa mode 2); otherwise the shortest round-trip digits (mode 0).
    """
    if a == 0.0:
        return "0", 1
    if precision > 0:
        # Python's %e formatting is correctly rounded, like zend_dtoa.
        mantissa, _, exp = f"{a:.{precision - 1}e}".partition("e")
        digits = mantissa.replace(".", "").rstrip("0")
        return digits or "0", int(exp) + 1
    # repr() yields the shortest string that round-trips, as dtoa mode 0 does.
    mantissa, _, exp = repr(a).partition("e")
    int_part, _, frac_part = mantissa.partition(".")
    all_digits = int_part + frac_part
    decpt = len(int_part) + (int(exp) if exp else 0)
    stripped = all_digits.lstrip("0")
    decpt -= len(all_digits) - len(stripped)
    return stripped.rstrip("0") or "0", decpt


def php_float_str(value: float, precision: int | None = None) -> str:
    """Format a float as PHP does (``zend_gcvt`` with php.ini ``precision``).

    ``1.0 -> "1"``, ``0.1 -> "0.1"``, ``1e20 -> "1.0E+20"``, ``1e-5 -> "1.0E-5"``,
    ``-0.0 -> "-0"``, ``inf -> "INF"``, ``-inf -> "-INF"``, ``nan -> "NAN"``.
    ``precision`` defaults to :data:`PHP_PRECISION`.
    """
    if precision is None:
        precision = PHP_PRECISION
    if value != value:
        return "NAN"
    if value in (math.inf, -math.inf):
        return "INF" if value > 0 else "-INF"
    if precision == 0:
        precision = 1  # "Model snprintf precision behavior": 0 digits means 1
    # Scientific notation starts above this many integer digits (mode 0 uses 17).
    ndigit = precision if precision > 0 else 17
    sign = "-" if math.copysign(1.0, value) < 0 else ""
    digits, decpt = _float_digits(abs(value), precision)

    if (decpt < -3) if decpt < 0 else (decpt > ndigit):
        # Exponential form: one digit, '.', the rest (at least "0"), 'E', signed exponent
        # without zero padding.
        exponent = decpt - 1
        rest = digits[1:] or "0"
        exp_sign = "-" if exponent < 0 else "+"
        return f"{sign}{digits[0]}.{rest}E{exp_sign}{abs(exponent)}"
    if decpt <= 0:
        # 0.000ddd
        return f"{sign}0.{'0' * -decpt}{digits}"
    if len(digits) <= decpt:
        # An integral value: pad with zeros, no decimal point.
        return f"{sign}{digits}{'0' * (decpt - len(digits))}"
    return f"{sign}{digits[:decpt]}.{digits[decpt:]}"


# --------------------------------------------------------------------------------------------
# string conversion
# --------------------------------------------------------------------------------------------


def _array_to_string(where: str | None, stacklevel: int) -> str:
    # PHP emits this from the engine (no "Class::method(): " prefix) unless the caller names
    # the method the conversion happens for.
    message = f"{where}(): {_ARRAY_TO_STRING}" if where else _ARRAY_TO_STRING
    warnings.warn(message, SwooleWarning, stacklevel=stacklevel)
    return "Array"


def _to_str(v: object, where: str | None, stacklevel: int) -> str:
    t = type(v)
    if t is str:
        return v  # type: ignore[return-value]
    if t is int:
        return int.__repr__(v)  # type: ignore[arg-type]
    if v is None:
        return ""
    if t is bool:
        return "1" if v else ""
    if t is float:
        return php_float_str(v)  # type: ignore[arg-type]
    if isinstance(v, _BYTES_TYPES):
        return bytes(v).decode(_ENC, _ERRORS)
    if isinstance(v, str):
        return str.__str__(v)
    if isinstance(v, bool):
        return "1" if v else ""
    if isinstance(v, int):
        # int.__repr__ rather than str(): an IntEnum member must give its number, not its name.
        return int.__repr__(v)
    if isinstance(v, float):
        return php_float_str(float(v))
    if isinstance(v, _ARRAY_TYPES):
        return _array_to_string(where, stacklevel + 1)
    # PHP would call __toString(); str() is the Python counterpart.
    return str(v)


def php_str(v: object, where: str | None = None) -> str:
    """PHP ``(string)$v`` as a Python ``str``.

    None -> "", True -> "1", False -> "", ints in decimal, floats via :func:`php_float_str`,
    bytes-like decoded as UTF-8 with surrogateescape, dict/list/tuple -> "Array" plus a
    :class:`SwooleWarning` ``"<where>(): Array to string conversion"`` (no prefix without
    ``where``), anything else via ``str()``.  The warning is attributed to the caller of the
    function that called this one.
    """
    return _to_str(v, where, 4)


def php_bytes(v: object, where: str | None = None) -> bytes:
    """PHP ``(string)$v`` as ``bytes``: like :func:`php_str` but bytes-like input is returned
    as ``bytes`` unchanged and ``str`` is encoded as UTF-8 with surrogateescape."""
    t = type(v)
    if t is bytes:
        return v  # type: ignore[return-value]
    if t is str:
        return v.encode(_ENC, _ERRORS)  # type: ignore[attr-defined]
    if isinstance(v, _BYTES_TYPES):
        return bytes(v)
    return _to_str(v, where, 4).encode(_ENC, _ERRORS)


# --------------------------------------------------------------------------------------------
# numeric conversion
# --------------------------------------------------------------------------------------------

# PHP's numeric-string grammar (leading whitespace, optional sign, decimal digits with an
# optional fraction and exponent).  Trailing garbage is ignored ("leading-numeric" strings);
# hex, octal, "inf" and "nan" are not numeric.
_NUMERIC_PREFIX_STR: Final = re.compile(
    r"[ \t\n\r\v\f]*([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)"
)
_NUMERIC_PREFIX_BYTES: Final = re.compile(
    rb"[ \t\n\r\v\f]*([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)"
)


def _numeric_prefix(v: str | bytes) -> str | None:
    if isinstance(v, str):
        m = _NUMERIC_PREFIX_STR.match(v)
        return m.group(1) if m else None
    mb = _NUMERIC_PREFIX_BYTES.match(v)
    return mb.group(1).decode("ascii") if mb else None


def _is_integral_literal(text: str) -> bool:
    return "." not in text and "e" not in text and "E" not in text


def _float_to_int_wrapping(d: float) -> int:
    """``zend_dval_to_lval``: truncate; NaN/INF -> 0; out-of-range values wrap modulo 2**64."""
    if d != d or d in (math.inf, -math.inf):
        return 0
    n = int(d)
    if _INT64_MIN <= n <= _INT64_MAX:
        return n
    return (n - _INT64_MIN) % _TWO_POW_64 + _INT64_MIN


def _float_to_int_capped(d: float) -> int:
    """``zend_dval_to_lval_cap`` (used for numeric strings): saturate instead of wrapping."""
    if d != d or d in (math.inf, -math.inf):
        return 0
    n = int(d)
    return min(max(n, _INT64_MIN), _INT64_MAX)


def php_int(v: object) -> int:
    """PHP ``(int)$v``.

    bool -> 0/1, None -> 0, float truncated toward zero (NaN/INF -> 0), numeric or
    leading-numeric strings parsed ("12abc" -> 12, "1.5" -> 1, "1e3" -> 1000, "abc" -> 0,
    saturating at the int64 range), arrays -> 0 if empty else 1.
    """
    t = type(v)
    if t is int:
        return v  # type: ignore[return-value]
    if t is bool:
        return 1 if v else 0
    if v is None:
        return 0
    if t is float:
        return _float_to_int_wrapping(v)  # type: ignore[arg-type]
    if isinstance(v, (str, *_BYTES_TYPES)):
        raw = v if isinstance(v, (str, bytes)) else bytes(v)  # type: ignore[arg-type]
        text = _numeric_prefix(raw)
        if text is None:
            return 0
        if _is_integral_literal(text):
            return min(max(int(text), _INT64_MIN), _INT64_MAX)
        return _float_to_int_capped(float(text))
    if isinstance(v, bool):
        return 1 if v else 0
    if isinstance(v, int):
        return int(v)
    if isinstance(v, float):
        return _float_to_int_wrapping(float(v))
    if isinstance(v, (*_ARRAY_TYPES, set, frozenset)):
        return 1 if len(v) else 0
    # PHP converts other objects to 1 (with a warning); there is no better Python analogue.
    return 1


def php_float(v: object) -> float:
    """PHP ``(float)$v``: like :func:`php_int` but keeps the fraction ("1.5" -> 1.5)."""
    t = type(v)
    if t is float:
        return v  # type: ignore[return-value]
    if t is int or t is bool:
        return float(v)  # type: ignore[arg-type]
    if v is None:
        return 0.0
    if isinstance(v, (str, *_BYTES_TYPES)):
        raw = v if isinstance(v, (str, bytes)) else bytes(v)  # type: ignore[arg-type]
        text = _numeric_prefix(raw)
        return float(text) if text is not None else 0.0
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, (*_ARRAY_TYPES, set, frozenset)):
        return 1.0 if len(v) else 0.0
    return 1.0


# --------------------------------------------------------------------------------------------
# urlencode / urldecode
# --------------------------------------------------------------------------------------------

_URL_SAFE_BYTES: Final = frozenset(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."
)
# Index = byte value -> its encoded form.  Joining table lookups over the bytes measured
# faster than str.translate, quote_plus() or a regex substitution on CPython 3.11.
_URLENCODE_TABLE: Final[list[str]] = [
    chr(b) if b in _URL_SAFE_BYTES else ("+" if b == 0x20 else f"%{b:02X}") for b in range(256)
]
_URL_SAFE_STR: Final = re.compile(r"[A-Za-z0-9_.\-]*")
_URL_SAFE_BYTES_RE: Final = re.compile(rb"[A-Za-z0-9_.\-]*")


def php_urlencode(s: str | bytes | bytearray | memoryview) -> str:
    """PHP ``urlencode``: every byte except ``A-Za-z0-9-_.`` becomes ``%XX`` (upper-case hex),
    space becomes ``+`` (so ``~`` -> ``%7E``).  ``str`` is encoded as UTF-8/surrogateescape."""
    if isinstance(s, str):
        if _URL_SAFE_STR.fullmatch(s):
            return s
        data = s.encode(_ENC, _ERRORS)
    else:
        data = bytes(s)
        if _URL_SAFE_BYTES_RE.fullmatch(data):
            return data.decode("ascii")
    table = _URLENCODE_TABLE
    return "".join([table[b] for b in data])


def php_urldecode(s: str | bytes) -> str:
    """PHP ``urldecode``: ``+`` -> space, ``%XX`` (either hex case) -> that byte; malformed
    escapes are kept literally.  The resulting bytes are decoded as UTF-8/surrogateescape."""
    if isinstance(s, (bytes, bytearray, memoryview)):
        raw = urllib.parse.unquote_to_bytes(bytes(s).replace(b"+", b" "))
        return raw.decode(_ENC, _ERRORS)
    if "+" in s:
        s = s.replace("+", " ")
    if "%" not in s:
        return s
    # unquote() leaves invalid escapes alone, exactly like PHP's isxdigit() check.
    return urllib.parse.unquote(s, encoding=_ENC, errors=_ERRORS)


# --------------------------------------------------------------------------------------------
# http_build_query
# --------------------------------------------------------------------------------------------

QueryData = Union[Mapping[object, object], Sequence[object]]

_OPEN: Final = "%5B"  # '['
_CLOSE: Final = "%5D"  # ']'


def _query_key(key: object) -> str:
    """Encode an array key: string keys are urlencoded, integer keys written in decimal."""
    t = type(key)
    if t is str:
        return php_urlencode(key)  # type: ignore[arg-type]
    if t is int:
        return int.__repr__(key)  # type: ignore[arg-type]
    # PHP array keys are only int or string: bools and floats become ints, null becomes "".
    if isinstance(key, (bool, int, float)):
        return int.__repr__(php_int(key))
    if key is None:
        return ""
    if isinstance(key, _BYTES_TYPES):
        return php_urlencode(key)
    return php_urlencode(php_str(key))


def _query_value(value: object) -> str:
    t = type(value)
    if t is str:
        return php_urlencode(value)  # type: ignore[arg-type]
    if t is bool:
        return "1" if value else "0"  # not php_str(): false is "0" here
    if t is int:
        return int.__repr__(value)  # type: ignore[arg-type]
    if isinstance(value, _BYTES_TYPES):
        return php_urlencode(value)
    if isinstance(value, bool):
        return "1" if value else "0"
    # Floats and everything else go through string conversion and are then urlencoded
    # (so 1e20 is sent as 1.0E%2B20, as PHP >= 7.4 does).
    return php_urlencode(php_str(value))


def _query_items(data: QueryData) -> Iterable[tuple[object, object]]:
    if isinstance(data, Mapping):
        return data.items()
    return enumerate(data)


def _build_query(
    parts: list[str], data: QueryData, prefix: str | None, active: set[int]
) -> None:
    # ``prefix`` is the already-encoded "outer%5Binner%5D...%5B" head for nested arrays; the
    # first level has none and no closing bracket.
    active.add(id(data))
    for key, value in _query_items(data):
        if value is None:
            continue
        name = _query_key(key) if prefix is None else f"{prefix}{_query_key(key)}{_CLOSE}"
        if isinstance(value, _ARRAY_TYPES):
            # PHP skips an array that is already being encoded (recursion guard), and an
            # empty nested array contributes nothing.
            if id(value) not in active:
                _build_query(parts, value, name + _OPEN, active)
            continue
        parts.append(f"{name}={_query_value(value)}")
    active.discard(id(data))


def http_build_query(data: QueryData) -> str:
    """PHP ``http_build_query($data)`` with RFC 1738 encoding and ``&`` separators.

    Nested arrays flatten to ``k%5Bsub%5D=v`` (brackets percent-encoded), lists use their
    indices, True/False -> ``1``/``0``, None entries and empty nested arrays are omitted,
    keys and values are encoded with :func:`php_urlencode` (bytes values from their raw
    bytes).  ``{'k': 'v w', 'arr': {'x': 1}}`` -> ``"k=v+w&arr%5Bx%5D=1"``.
    """
    if isinstance(data, (str, *_BYTES_TYPES)):
        # Upstream only builds a query from an array; a string body is sent raw instead.
        raise TypeError(f"http_build_query() expects a dict or list, got {type(data).__name__}")
    parts: list[str] = []
    _build_query(parts, data, None, set())
    return "&".join(parts)
