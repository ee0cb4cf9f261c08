"""``multipart/form-data`` bodies for ``addFile()``/``addData()`` uploads (client.md §6.6).

The body is described, not materialised: :func:`build` returns a list of in-memory pieces and
:class:`FileSlice` descriptors so the transport can stream file content from disk.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from typing import Any, Union

from .._php import php_array_key, php_bytes, php_int, php_str

BOUNDARY_PREFIX = "----SwooleBoundary"
BOUNDARY_RANDOM_LENGTH = 21
_ALPHABET = string.ascii_letters + string.digits


def new_boundary() -> str:
    """``----SwooleBoundary`` + 21 random alphanumerics (39 characters)."""
    return BOUNDARY_PREFIX + "".join(secrets.choice(_ALPHABET) for _ in range(BOUNDARY_RANDOM_LENGTH))


@dataclass(frozen=True)
class FileSlice:
    """``size`` bytes of the file at ``path`` starting at ``offset``, read at send time."""

    path: str
    offset: int
    size: int


@dataclass(frozen=True)
class AsciiText:
    """A ``str`` holding only ASCII characters, sent as its bytes (``len(text)`` of them).

    The transport encodes it slice by slice at send time, so a large ``str`` body never
    exists a second time as one ``bytes`` (its UTF-8 encoding is the same bytes)."""

    text: str


Piece = Union[bytes, AsciiText, FileSlice]


class UnsafeField(ValueError):
    """A part name, filename or content type holds CR, LF or NUL (part-header injection)."""


def _field(value: bytes, what: str) -> bytes:
    if b"\r" in value or b"\n" in value or b"\0" in value:
        raise UnsafeField(f"multipart {what} must not contain CR, LF or NUL: {value[:60]!r}")
    return value


class NotAnArray(Exception):
    """An ``uploadFiles`` element is not a dict; ``key`` names it for the warning."""

    def __init__(self, key: Any) -> None:
        super().__init__(key)
        self.key = key


def _form_value(value: Any) -> bytes:
    # zend::String(zvalue) runs once while the length is computed and once while the part is
    # written, so an array value raises the engine's "Array to string conversion" twice.
    if isinstance(value, (dict, list, tuple)):
        php_bytes(value)
    return php_bytes(value)


def build(boundary: str, form: Any, uploads: Any, where: str = "") -> tuple[list[Piece], int]:
    """Pieces of the multipart body and its exact length (``Client::send_request``).

    ``form`` contributes its entries only when it is a dict, skipping keys PHP stores as
    integers (ints, and integer-like strings such as ``"5"``) and None values; other values are
    converted the PHP way (arrays → ``Array`` with the engine warning). Then each upload entry:
    a non-dict raises :class:`NotAnArray` (upstream warns and fails before sending); an entry
    lacking ``name``, ``filename``, ``size`` or ``type``, or lacking both ``content`` and
    ``path``+``offset``, is skipped. A name, filename or type with CR, LF or NUL raises
    :class:`UnsafeField` (upstream writes them verbatim: deviation S12).

    Unlike upstream (deviation S19), part headers are never cut at 2047 bytes, an entry is
    counted in ``Content-Length`` only when it is also sent, and an in-memory part is counted by
    its real length, not its ``size`` entry: the length always matches the bytes sent.
    ``where`` is kept for callers; the conversion warnings are the engine's (no prefix).
    """
    bnd = boundary.encode()
    pieces: list[Piece] = []
    total = 0
    if isinstance(form, dict):
        for key, value in form.items():
            key = php_array_key(key)
            if not isinstance(key, str) or value is None:
                continue
            head = b"--" + bnd + b'\r\nContent-Disposition: form-data; name="' + _field(key.encode("utf-8", "surrogateescape"), "field name") + b'"\r\n\r\n'
            data = _form_value(value)
            # Three pieces, not one: the content is sent from the caller's object (the
            # transport gathers small pieces into one write itself).
            pieces += (head, data, b"\r\n")
            total += len(head) + len(data) + 2
    items = uploads.items() if isinstance(uploads, dict) else enumerate(uploads)
    checked: list[dict[str, Any]] = []
    for key, entry in items:
        if not isinstance(entry, dict):
            key = php_array_key(key)
            raise NotAnArray(key if isinstance(key, str) else "<numeric>")
        checked.append(entry)
    for entry in checked:
        if not all(k in entry for k in ("name", "filename", "size", "type")):
            continue
        content = entry.get("content")
        if content is None and ("path" not in entry or "offset" not in entry):
            continue
        head = (
            b"--" + bnd
            + b'\r\nContent-Disposition: form-data; name="' + _field(php_bytes(entry["name"]), "name")
            + b'"; filename="' + _field(php_bytes(entry["filename"]), "filename")
            + b'"\r\nContent-Type: ' + _field(php_bytes(entry["type"]), "content type") + b"\r\n\r\n"
        )
        if content is not None:
            data = php_bytes(content)
            pieces += (head, data, b"\r\n")
            total += len(head) + len(data) + 2
        else:
            size = php_int(entry["size"])
            pieces.append(head)
            pieces.append(FileSlice(php_str(entry["path"]), php_int(entry["offset"]), size))
            pieces.append(b"\r\n")
            total += len(head) + size + 2
    tail = b"--" + bnd + b"--\r\n"
    pieces.append(tail)
    total += len(tail)
    return pieces, total
