"""WebSocket upgrade handshake helpers (websocket.md §1, ``Client::upgrade`` and
``websocket_verify_server_handshake`` in ext-src/swoole_http_client_coro.cc).

The client façade uses them as follows::

    key = generate_key()
    cli.requestHeaders = apply_upgrade_headers(cli.requestHeaders, key, compression=opt)
    ... send the request, parse the response into cli.headers (dict, lower-case names) ...
    check = check_upgrade_response(status, cli.headers, cli.requestHeaders, compression_offered=opt)
    if not check.websocket:   → ordinary HTTP outcome (non-101 → True; 101 → statusCode 0)
    elif not check.verified:  → errCode 8504, statusCode -3, close
    else:                     → WebSocket mode, compression = check.compression

wsproto's ``generate_accept_token`` computes the accept value (same rule); the key generator
is hand-written because upstream draws its 16 bytes from a fixed alphabet.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any, Mapping

from wsproto.utilities import generate_accept_token

from ..constants import (
    WEBSOCKET_EXTENSION_DEFLATE,
    WEBSOCKET_GUID,
    WEBSOCKET_KEY_LENGTH,
    WEBSOCKET_VERSION,
)

__all__ = [
    "WEBSOCKET_GUID",
    "WEBSOCKET_VERSION",
    "WEBSOCKET_KEY_LENGTH",
    "EXTENSION_DEFLATE",
    "KEY_ALPHABET",
    "generate_key",
    "accept_token",
    "upgrade_request_headers",
    "apply_upgrade_headers",
    "token_list_contains",
    "is_websocket_upgrade",
    "compression_accepted",
    "verify_server_handshake",
    "UpgradeCheck",
    "check_upgrade_response",
]

EXTENSION_DEFLATE = WEBSOCKET_EXTENSION_DEFLATE

# ``create_token``'s character set.  The C source literal contains "§", which is two bytes
# in UTF-8 (0xC2 0xA7); the token is drawn byte-wise from these 67 bytes.
KEY_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!\"§$%&/()=[]{}".encode("utf-8")

# C isspace() in the "C" locale: what swoole::ltrim/rtrim strip around list tokens.
_C_SPACE = " \t\n\v\f\r"
# strcasecmp/strncasestr fold ASCII only; str.lower() would also fold e.g. KELVIN SIGN to "k".
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _lower(s: str) -> str:
    return s.translate(_ASCII_LOWER)


def generate_key() -> str:
    """A fresh ``Sec-WebSocket-Key``: base64 of 16 bytes drawn from :data:`KEY_ALPHABET`
    (24 characters)."""
    raw = bytes(secrets.choice(KEY_ALPHABET) for _ in range(WEBSOCKET_KEY_LENGTH))
    return base64.b64encode(raw).decode("ascii")


def accept_token(key: str | bytes) -> str:
    """``base64(sha1(key + GUID))`` — the expected ``Sec-WebSocket-Accept``."""
    if isinstance(key, str):
        key = key.encode("utf-8", "surrogateescape")
    return generate_accept_token(bytes(key)).decode("ascii")


def upgrade_request_headers(key: str, *, compression: bool) -> list[tuple[str, str]]:
    """The (name, value) pairs ``upgrade()`` assigns into ``requestHeaders``, in order and
    with upstream's spelling (note ``Sec-Websocket-Extensions``)."""
    headers = [
        ("Connection", "Upgrade"),
        ("Upgrade", "websocket"),
        ("Sec-WebSocket-Version", WEBSOCKET_VERSION),
        ("Sec-WebSocket-Key", key),
    ]
    if compression:
        headers.append(("Sec-Websocket-Extensions", EXTENSION_DEFLATE))
    return headers


def apply_upgrade_headers(
    request_headers: dict[Any, Any] | None, key: str, *, compression: bool
) -> dict[Any, Any]:
    """Assign the upgrade headers into ``request_headers`` (created if None) and return it.

    Existing keys (exact, case-sensitive match, like PHP array keys) keep their position and
    get the new value; new keys are appended.  The dict is mutated in place because the
    change is visible in ``requestHeaders`` afterwards (W2).
    """
    if request_headers is None:
        request_headers = {}
    for name, value in upgrade_request_headers(key, compression=compression):
        request_headers[name] = value
    return request_headers


def token_list_contains(value: str, token: str) -> bool:
    """``swoole_http_token_list_contains_value``: case-insensitive match of ``token`` against
    the whole value or one of its comma-separated, whitespace-trimmed items."""
    if not value:
        return False
    token_l = _lower(token)
    if _lower(value) == token_l:
        return True
    # Upstream walks a C string, so an embedded NUL ends the list.
    value = value.split("\0", 1)[0]
    return any(_lower(item.strip(_C_SPACE)) == token_l for item in value.split(",") if item)


def _values(v: Any) -> list[str]:
    # A duplicated response header is stored as a list (D3); upstream saw each line.
    if isinstance(v, str):
        return [v]
    if isinstance(v, (list, tuple)):
        return [x for x in v if isinstance(x, str)]
    return []


def is_websocket_upgrade(status: int, response_headers: Mapping[Any, Any] | None) -> bool:
    """The response switched to WebSocket: status 101 and an ``upgrade`` header (exact
    lower-case key, as stored in ``headers``) containing the token ``websocket``.

    With ``lowercase_header=False`` a server's ``Upgrade`` key does not match, as upstream.
    """
    if status != 101 or not response_headers:
        return False
    return any(token_list_contains(v, "websocket") for v in _values(response_headers.get("upgrade")))


def compression_accepted(response_headers: Mapping[Any, Any] | None) -> bool:
    """The server echoed permessage-deflate, by upstream's rule (``swoole_strncasestr``): some
    ``sec-websocket-extensions`` value contains ``p`` (lower case, compared exactly) followed by
    ``ermessage-deflate`` in any case.  So ``permessage-deflate`` and ``pERMESSAGE-DEFLATE``
    match but ``PerMessage-Deflate`` does not.  No parsing: the name may sit anywhere in the
    value and every parameter (``server_no_context_takeover``, window bits, …) is ignored.
    Header order is not considered (allowed deviation from upstream, which needs it after
    ``Upgrade``)."""
    if not response_headers:
        return False
    return any(_strncasestr(v, "permessage-deflate") for v in _values(response_headers.get("sec-websocket-extensions")))


def deflate_in_extensions(values: Any) -> bool:
    """``accept_websocket_compression`` from the ``sec-websocket-extensions`` values that
    ``http_parser_on_header_value`` saw while the ``websocket`` flag was set (so, in a 101, only
    those after the ``Upgrade`` header): one of them contains ``permessage-deflate`` by
    ``swoole_strncasestr``'s rule (see :func:`compression_accepted`)."""
    return any(_strncasestr(v, "permessage-deflate") for v in values)


def _strncasestr(haystack: Any, needle: str) -> bool:
    """``swoole_strncasestr``: the first character must match exactly, the rest ignoring case."""
    text = haystack if isinstance(haystack, str) else str(haystack)
    first, rest = needle[0], _lower(needle[1:])
    size = len(needle)
    start = text.find(first)
    while start != -1:
        if _lower(text[start + 1 : start + size]) == rest:
            return True
        start = text.find(first, start + 1)
    return False


def verify_server_handshake(
    request_headers: Mapping[Any, Any] | None, response_headers: Mapping[Any, Any] | None
) -> bool:
    """``websocket_verify_server_handshake`` [post-6.2.1].

    Requires a non-empty str ``Sec-WebSocket-Key`` request header (exact spelling) and, in the
    response, single-valued ``upgrade`` containing ``websocket``, ``connection`` containing
    ``Upgrade`` and ``sec-websocket-accept`` equal (case-sensitive) to the expected token.
    """
    if not isinstance(request_headers, Mapping) or not isinstance(response_headers, Mapping):
        return False
    key = request_headers.get("Sec-WebSocket-Key")
    if not isinstance(key, str) or not key:
        return False
    upgrade = response_headers.get("upgrade")
    if not isinstance(upgrade, str) or not token_list_contains(upgrade, "websocket"):
        return False
    connection = response_headers.get("connection")
    if not isinstance(connection, str) or not token_list_contains(connection, "Upgrade"):
        return False
    accept = response_headers.get("sec-websocket-accept")
    if not isinstance(accept, str) or not accept:
        return False
    # Upstream formats "%s%s" into a 128-byte buffer: the key stops at a NUL and the
    # concatenation is cut at 127 bytes.
    raw_key = key.encode("utf-8", "surrogateescape").split(b"\0", 1)[0]
    source = (raw_key + WEBSOCKET_GUID.encode("ascii"))[:127]
    return accept == base64.b64encode(_sha1(source)).decode("ascii")


def _sha1(data: bytes) -> bytes:
    return hashlib.sha1(data).digest()


@dataclass(frozen=True, slots=True)
class UpgradeCheck:
    """Outcome of an ``upgrade()`` response.

    ``websocket``: 101 with the ``websocket`` upgrade token (upstream's ``websocket`` flag).
    ``verified``: the handshake verification passed (meaningful only with ``websocket``).
    ``compression``: permessage-deflate is active (offered and echoed, and ``websocket``).
    """

    websocket: bool
    verified: bool
    compression: bool


def check_upgrade_response(
    status: int,
    response_headers: Mapping[Any, Any] | None,
    request_headers: Mapping[Any, Any] | None,
    *,
    compression_offered: bool,
) -> UpgradeCheck:
    """Classify the response to an upgrade request (websocket.md §1.1/§1.2)."""
    websocket = is_websocket_upgrade(status, response_headers)
    if not websocket:
        return UpgradeCheck(False, False, False)
    verified = verify_server_handshake(request_headers, response_headers)
    compression = compression_offered and compression_accepted(response_headers)
    return UpgradeCheck(True, verified, compression)
