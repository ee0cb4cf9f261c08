"""The language-neutral value encoding of the conformance kit (docs/conformance.md, "Values").

Inputs (scenario JSON → runtime values):

* a JSON string is a string (PHP string; Python ``str``);
* ``{"b64": "..."}`` is a byte string (PHP string; Python ``bytes``);
* ``{"latin1": "..."}`` is a byte string whose bytes are the code points 0-255 of the text;
* ``{"$callback": "collect", "id": "w"}`` is a function that appends its second argument (the
  data) to the list ``w`` (``write_func``); the step ``{"collected": "w"}`` returns it;
* ``{"$frame": {"opcode": 1, "data": "..", "finish": true, "flags": 0}}`` is a ``Frame``
  (``{"$closeframe": {"code": 1000, "reason": ".."}}`` a ``CloseFrame``);
* JSON arrays and objects are PHP lists / associative arrays (Python ``list`` / ``dict``).

Outputs (runtime values → observation JSON), the same rules as PHP's ``json_encode`` where they
apply: strings and byte strings that are valid UTF-8 are JSON strings, other byte strings are
``{"b64": ...}``; PHP arrays / Python dicts whose keys are exactly 0..n-1 in order (and the
empty array) are JSON lists, other arrays are objects with string keys; objects are
``{"$class": "Frame" | "CloseFrame" | ..., <public properties>}`` without ``fd``.
"""

from __future__ import annotations

import base64
from typing import Any

__all__ = ["encode", "decode_bytes", "is_bytes_spec"]


def _text(raw: bytes) -> Any:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return {"b64": base64.b64encode(raw).decode("ascii")}


def is_bytes_spec(value: Any) -> bool:
    return isinstance(value, dict) and len(value) == 1 and ("b64" in value or "latin1" in value)


def decode_bytes(value: Any) -> bytes:
    """A scenario byte string (plain string = latin-1 code points, or ``b64``/``latin1``) → bytes."""
    if isinstance(value, str):
        return value.encode("latin-1") if all(ord(c) < 256 for c in value) else value.encode("utf-8")
    if isinstance(value, dict) and "b64" in value:
        return base64.b64decode(value["b64"])
    if isinstance(value, dict) and "latin1" in value:
        return str(value["latin1"]).encode("latin-1")
    raise ValueError(f"not a byte string: {value!r}")


FRAME_FIELDS = ("opcode", "flags", "finish", "data", "code", "reason")


def encode(value: Any) -> Any:
    """A runtime value as observation JSON (see the module docstring)."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        return _text(value.encode("utf-8", "surrogateescape"))
    if isinstance(value, (bytes, bytearray, memoryview)):
        return _text(bytes(value))
    if isinstance(value, dict):
        keys = list(value.keys())
        if all(isinstance(k, int) and not isinstance(k, bool) for k in keys) and keys == list(range(len(keys))):
            return [encode(value[k]) for k in keys]
        return {str(k): encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [encode(v) for v in value]
    out: dict[str, Any] = {"$class": type(value).__name__}
    for field in FRAME_FIELDS:
        if hasattr(value, field):
            out[field] = encode(getattr(value, field))
    return out
