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


# --------------------------------------------------------------------------------------------
# PHP array keys and the next free integer key
# --------------------------------------------------------------------------------------------

_LONG_MIN: Final = _INT64_MIN
_LONG_MAX: Final = _INT64_MAX
# Zend's numeric-string key rule: an optional "-", then "0" alone or a digit string without a
# leading zero, at most 19 digits, within the int64 range ("-0", "00", "+1", " 1" stay strings).
_INT_KEY: Final = re.compile(r"0|-?[1-9][0-9]{0,18}")


def php_array_key(key: object) -> object:
    """The key PHP stores for ``$array[$key]``.

    Integer-like strings (``"123"``, ``"-5"``, not ``"0123"``/``"-0"``/``"1.0"``) become ints,
    bools become 0/1, floats are truncated as ``(int)`` does, None becomes ``""`` and bytes keys
    are decoded (UTF-8/surrogateescape) before the string rule.  Ints and other strings are kept;
    any other object is returned unchanged (PHP would reject it as an illegal offset).
    """
    t = type(key)
    if t is str:
        text: str = key  # type: ignore[assignment]
        if text and _INT_KEY.fullmatch(text):
            value = int(text)
            if _LONG_MIN <= value <= _LONG_MAX:
                return value
        return key
    if t is int:
        return key
    if isinstance(key, bool):
        return 1 if key else 0
    if isinstance(key, str):
        return php_array_key(str.__str__(key))
    if isinstance(key, int):
        return int(key)
    if isinstance(key, float):
        return php_int(key)
    if key is None:
        return ""
    if isinstance(key, _BYTES_TYPES):
        return php_array_key(bytes(key).decode(_ENC, _ERRORS))
    return key


class PhpArray(dict):  # type: ignore[type-arg]
    """A ``dict`` that stores keys as a PHP array does and remembers PHP's next free index.

    Keys go through :func:`php_array_key` on every access (``a["5"]`` and ``a[5]`` are the same
    entry).  :meth:`append` is ``$a[] = $v``: it uses ``nNextFreeElement``, one more than the
    largest integer key ever inserted (deleting that key does not lower it), 0 when none was;
    it returns False, storing nothing, when that slot is taken (the key ``PHP_INT_MAX`` exists).
    """

    __slots__ = ("_next",)

    def __init__(self, data: object = (), **kwargs: object) -> None:
        super().__init__()
        self._next = _LONG_MIN
        if isinstance(data, PhpArray):
            self._next = data._next
        self.update(data, **kwargs)  # type: ignore[arg-type]

    @property
    def next_index(self) -> int:
        """The key :meth:`append` would use (PHP's ``nNextFreeElement``; 0 if still unset)."""
        return 0 if self._next == _LONG_MIN else self._next

    def _bump(self, key: int) -> None:
        if key >= self._next:
            self._next = key + 1 if key < _LONG_MAX else _LONG_MAX

    def __setitem__(self, key: object, value: object) -> None:
        key = php_array_key(key)
        dict.__setitem__(self, key, value)
        if type(key) is int:
            self._bump(key)  # type: ignore[arg-type]

    def __getitem__(self, key: object) -> object:
        return dict.__getitem__(self, php_array_key(key))

    def __delitem__(self, key: object) -> None:
        dict.__delitem__(self, php_array_key(key))

    def __contains__(self, key: object) -> bool:
        return dict.__contains__(self, php_array_key(key))

    def get(self, key: object, default: object = None) -> object:
        return dict.get(self, php_array_key(key), default)

    _MISSING: Final = object()

    def pop(self, key: object, default: object = _MISSING) -> object:
        if default is PhpArray._MISSING:
            return dict.pop(self, php_array_key(key))
        return dict.pop(self, php_array_key(key), default)

    def setdefault(self, key: object, default: object = None) -> object:
        key = php_array_key(key)
        if dict.__contains__(self, key):
            return dict.__getitem__(self, key)
        self[key] = default
        return default

    def update(self, data: object = (), **kwargs: object) -> None:  # type: ignore[override]
        items: Iterable[tuple[object, object]]
        if isinstance(data, Mapping):
            items = data.items()
        elif hasattr(data, "keys"):
            items = ((k, data[k]) for k in data.keys())  # type: ignore[attr-defined,index]
        elif isinstance(data, (list, tuple)) and not any(isinstance(x, tuple) for x in data):
            items = enumerate(data)  # a PHP list: [a, b] is [0 => a, 1 => b]
        else:
            items = data  # type: ignore[assignment]
        for key, value in items:
            self[key] = value
        for key, value in kwargs.items():
            self[key] = value

    def append(self, value: object) -> bool:
        """``$a[] = $value``; False (nothing stored) when the next slot is already taken."""
        key = self.next_index
        if dict.__contains__(self, key):
            return False
        dict.__setitem__(self, key, value)
        self._bump(key)
        return True

    def copy(self) -> PhpArray:
        return PhpArray(self)

    def __repr__(self) -> str:
        return f"PhpArray({dict.__repr__(self)})"


# --------------------------------------------------------------------------------------------
# parse_url
# --------------------------------------------------------------------------------------------

_SCHEME_CHARS: Final = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.")
_DIGITS: Final = frozenset(b"0123456789")
_C_SPACE: Final = frozenset(b" \t\n\v\f\r")
# iscntrl() in the "C" locale: bytes 0-31 and 127; parse_url turns each into "_".
_CNTRL_TO_UNDERSCORE: Final = bytes(0x5F if b < 32 or b == 127 else b for b in range(256))


def _first_of(raw: bytes, start: int, chars: bytes) -> int:
    """Index of the first byte of ``chars`` at or after ``start``, else ``len(raw)``."""
    end = len(raw)
    for ch in chars:
        pos = raw.find(bytes((ch,)), start, end)
        if pos != -1:
            end = pos
    return end


def _strtol_port(text: bytes) -> int | None:
    """C ``strtol(text, &end, 10)`` for at most five bytes; None when nothing was converted."""
    i = 0
    while i < len(text) and text[i] in _C_SPACE:
        i += 1
    sign = 1
    if i < len(text) and text[i] in b"+-":
        sign = -1 if text[i] == 0x2D else 1
        i += 1
    start = i
    while i < len(text) and text[i] in _DIGITS:
        i += 1
    if i == start:
        return None
    return sign * int(text[start:i])


def php_parse_url(url: str | bytes) -> dict[str, object] | None:
    """PHP ``parse_url($url)``: a dict of the components present, or None where PHP returns false.

    Keys, in PHP's order: ``scheme``, ``host``, ``port`` (int), ``user``, ``pass``, ``path``,
    ``query``, ``fragment``.  Nothing is normalised: the scheme keeps its case, an IPv6 host keeps
    its brackets, an empty query after ``?`` is ``""``; control bytes become ``_``.  Values are
    ``str`` (UTF-8/surrogateescape) for ``str`` input, ``bytes`` for bytes input.
    """
    raw = url.encode(_ENC, _ERRORS) if isinstance(url, str) else bytes(url)
    n = len(raw)
    found: dict[str, bytes] = {}
    port: int | None = None
    s = 0
    state = "path"  # where the scan continues: "path", "port", "host"
    e = raw.find(b":")
    if e > 0:
        if any(b not in _SCHEME_CHARS for b in raw[:e]):
            if e + 1 < n and e < _first_of(raw, 0, b"?#"):
                state = "port"
            elif raw.startswith(b"//"):
                s, state = 2, "host"
        elif e + 1 == n:
            found["scheme"] = raw[:e]  # "scheme:" and nothing else
            return _url_result(found, None, url)
        elif raw[e + 1] != 0x2F:  # not "/": "mailto:x", or "host:port" without a scheme
            p = e + 1
            while p < n and raw[p] in _DIGITS:
                p += 1
            if (p == n or raw[p] == 0x2F) and p - e < 7:
                state = "port"
            else:
                found["scheme"] = raw[:e]
                s = e + 1
        else:
            found["scheme"] = raw[:e]
            if e + 2 < n and raw[e + 2] == 0x2F:
                s, state = e + 3, "host"
                if raw[:e].lower() == b"file" and e + 3 < n and raw[e + 3] == 0x2F:
                    if e + 5 < n and raw[e + 5] == 0x3A:  # file:///c:/dir (drive letter)
                        s = e + 4
                    state = "path"
            else:
                s = e + 1
    elif e == 0:
        state = "port"
    elif raw.startswith(b"//"):
        s, state = 2, "host"

    if state == "port":
        p = pp = e + 1
        while pp < n and pp - p < 6 and raw[pp] in _DIGITS:
            pp += 1
        if 0 < pp - p < 6 and (pp == n or raw[pp] == 0x2F):
            value = int(raw[p:pp])
            if value > 65535:
                return None
            port = value
            if raw.startswith(b"//", s):
                s += 2
            state = "host"
        elif p == pp == n:
            return None
        elif raw.startswith(b"//", s):
            s, state = s + 2, "host"
        else:
            state = "path"

    if state == "host":
        e = _first_of(raw, s, b"/?#")
        at = raw.rfind(b"@", s, e)
        if at != -1:
            colon = raw.find(b":", s, at)
            if colon != -1:
                found["user"], found["pass"] = raw[s:colon], raw[colon + 1 : at]
            else:
                found["user"] = raw[s:at]
            s = at + 1
        if s < n and raw[s] == 0x5B and raw[e - 1] == 0x5D:  # "[v6]": no port scan
            host_end = e
        else:
            colon = raw.rfind(b":", s, e)
            host_end = e if colon == -1 else colon
            if colon != -1 and not port:  # a port from the "host:port" branch is kept (0 is not)
                digits = raw[colon + 1 : e]
                if len(digits) > 5:
                    return None
                if digits:
                    value2 = _strtol_port(digits)
                    if value2 is None or not 0 <= value2 <= 65535:
                        return None
                    port = value2
        if host_end - s < 1:
            return None
        found["host"] = raw[s:host_end]
        if e == n:
            return _url_result(found, port, url)
        s = e

    end = n
    hash_pos = raw.find(b"#", s, end)
    if hash_pos != -1:
        found["fragment"] = raw[hash_pos + 1 : end]
        end = hash_pos
    q = raw.find(b"?", s, end)
    if q != -1:
        found["query"] = raw[q + 1 : end]
        end = q
    if s < end or s == n:
        found["path"] = raw[s:end]
    return _url_result(found, port, url)


def _url_result(found: dict[str, bytes], port: int | None, url: str | bytes) -> dict[str, object]:
    as_text = isinstance(url, str)
    result: dict[str, object] = {}
    for name in ("scheme", "host", "port", "user", "pass", "path", "query", "fragment"):
        if name == "port":
            if port is not None:
                result["port"] = port
            continue
        value = found.get(name)
        if value is not None:
            value = value.translate(_CNTRL_TO_UNDERSCORE)
            result[name] = value.decode(_ENC, _ERRORS) if as_text else value
    return result


_SIZE_QUANTITY = re.compile(r"\s*([+-]?\d+)\s*([kKmMgG]?)")
_SIZE_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}


def php_parse_to_size(value: object) -> int:
    """``php_swoole_parse_to_size``: a string is a number with an optional K/M/G suffix
    (``"1M"`` → 1048576; unreadable → 0), any other value PHP's integer conversion."""
    if isinstance(value, str):
        match = _SIZE_QUANTITY.match(value)
        if match is None:
            return 0
        return int(match.group(1)) * _SIZE_UNITS[match.group(2).lower()]
    return php_int(value)
