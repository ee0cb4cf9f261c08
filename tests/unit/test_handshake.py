"""Upgrade handshake helpers (websocket.md §1)."""

from __future__ import annotations

import base64

import pytest

from swoole_compat._protocol.handshake import (
    EXTENSION_DEFLATE,
    KEY_ALPHABET,
    UpgradeCheck,
    accept_token,
    apply_upgrade_headers,
    check_upgrade_response,
    compression_accepted,
    generate_key,
    is_websocket_upgrade,
    token_list_contains,
    upgrade_request_headers,
    verify_server_handshake,
)

KEY = "dV1zT3tyQmxFSig9WEVGUg=="  # observed upstream key


def good_response(key: str = KEY, **extra: str) -> dict:
    headers = {"upgrade": "websocket", "connection": "Upgrade", "sec-websocket-accept": accept_token(key)}
    headers.update(extra)
    return headers


def test_observed_key_comes_from_the_alphabet() -> None:
    raw = base64.b64decode(KEY)
    assert len(raw) == 16 and all(b in KEY_ALPHABET for b in raw)


def test_alphabet_is_the_c_literal_bytes() -> None:
    assert len(KEY_ALPHABET) == 67  # "§" is two bytes in the UTF-8 C source
    assert b"\xc2\xa7" in KEY_ALPHABET


def test_generate_key() -> None:
    keys = {generate_key() for _ in range(50)}
    assert len(keys) == 50
    for k in keys:
        assert len(k) == 24 and k.endswith("==")
        raw = base64.b64decode(k, validate=True)
        assert len(raw) == 16 and all(b in KEY_ALPHABET for b in raw)


def test_accept_token_rfc6455_example() -> None:
    assert accept_token("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    assert accept_token(b"dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


def test_upgrade_request_headers() -> None:
    assert upgrade_request_headers("K", compression=False) == [
        ("Connection", "Upgrade"),
        ("Upgrade", "websocket"),
        ("Sec-WebSocket-Version", "13"),
        ("Sec-WebSocket-Key", "K"),
    ]
    assert upgrade_request_headers("K", compression=True)[-1] == (
        "Sec-Websocket-Extensions",
        "permessage-deflate; client_no_context_takeover; server_no_context_takeover",
    )
    assert EXTENSION_DEFLATE.startswith("permessage-deflate;")


def test_apply_upgrade_headers_order_matches_observed_request() -> None:
    user = {"X-A": "b", "Connection": "foo"}
    out = apply_upgrade_headers(user, KEY, compression=False)
    assert out is user  # assigned into the existing dict (W2)
    assert list(out.items()) == [
        ("X-A", "b"),
        ("Connection", "Upgrade"),
        ("Upgrade", "websocket"),
        ("Sec-WebSocket-Version", "13"),
        ("Sec-WebSocket-Key", KEY),
    ]


def test_apply_upgrade_headers_none_and_case_sensitive_keys() -> None:
    out = apply_upgrade_headers(None, KEY, compression=True)
    assert list(out) == ["Connection", "Upgrade", "Sec-WebSocket-Version", "Sec-WebSocket-Key",
                         "Sec-Websocket-Extensions"]
    out = apply_upgrade_headers({"connection": "x", 5: "int key"}, KEY, compression=False)
    assert out["connection"] == "x" and out["Connection"] == "Upgrade" and out[5] == "int key"


@pytest.mark.parametrize(
    "value, token, expected",
    [
        ("websocket", "websocket", True),
        ("WebSocket", "websocket", True),
        ("h2c, websocket", "websocket", True),
        ("  websocket\t ,x", "websocket", True),
        ("keep-alive, Upgrade", "Upgrade", True),
        ("keep-alive,upgrade", "Upgrade", True),
        ("websockets", "websocket", False),
        ("web socket", "websocket", False),
        ("", "websocket", False),
        (",,", "websocket", False),
        ("h2c", "websocket", False),
        ("x\0, websocket", "websocket", False),  # C string ends at NUL
        ("websoc\u212aet", "websocket", False),  # ASCII-only case folding
    ],
)
def test_token_list_contains(value: str, token: str, expected: bool) -> None:
    assert token_list_contains(value, token) is expected


def test_verify_server_handshake() -> None:
    req = {"Sec-WebSocket-Key": KEY}
    assert verify_server_handshake(req, good_response())
    assert verify_server_handshake(req, good_response(connection="keep-alive, upgrade"))
    # failures
    assert not verify_server_handshake({}, good_response())
    assert not verify_server_handshake({"Sec-WebSocket-Key": ""}, good_response())
    assert not verify_server_handshake({"sec-websocket-key": KEY}, good_response())  # exact key spelling
    assert not verify_server_handshake(None, good_response())
    assert not verify_server_handshake(req, None)
    assert not verify_server_handshake(req, good_response(connection="keep-alive"))
    assert not verify_server_handshake(req, good_response(upgrade="h2c"))
    assert not verify_server_handshake(req, good_response(**{"sec-websocket-accept": accept_token(KEY).lower()}))
    assert not verify_server_handshake(req, good_response(**{"sec-websocket-accept": ""}))
    r = good_response()
    del r["connection"]
    assert not verify_server_handshake(req, r)
    r = good_response()
    r["upgrade"] = ["websocket", "websocket"]  # duplicated header → list → fails
    assert not verify_server_handshake(req, r)


def test_is_websocket_upgrade() -> None:
    assert is_websocket_upgrade(101, {"upgrade": "websocket"})
    assert is_websocket_upgrade(101, {"upgrade": ["h2c", "WebSocket"]})
    assert not is_websocket_upgrade(200, {"upgrade": "websocket"})
    assert not is_websocket_upgrade(101, {"upgrade": "h2c"})
    assert not is_websocket_upgrade(101, {"Upgrade": "websocket"})  # lowercase_header=False
    assert not is_websocket_upgrade(101, None)


def test_compression_accepted() -> None:
    assert compression_accepted({"sec-websocket-extensions": "permessage-deflate"})
    # swoole_strncasestr: the first character is compared exactly, the rest ignoring case
    assert not compression_accepted({"sec-websocket-extensions": "PerMessage-Deflate; server_no_context_takeover"})
    assert compression_accepted({"sec-websocket-extensions": "pERMESSAGE-DEFLATE; Server_No_Context_Takeover"})
    assert compression_accepted({"sec-websocket-extensions": "x-permessage-deflateish"})  # a bare substring
    assert compression_accepted({"sec-websocket-extensions": ["x-foo", "permessage-deflate"]})
    assert not compression_accepted({"sec-websocket-extensions": "x-webkit-deflate-frame"})
    assert not compression_accepted({})
    assert not compression_accepted(None)


def test_check_upgrade_response_outcomes() -> None:
    req = {"Sec-WebSocket-Key": KEY}
    ext = {"sec-websocket-extensions": "permessage-deflate"}
    assert check_upgrade_response(101, good_response(), req, compression_offered=False) == UpgradeCheck(
        True, True, False
    )
    assert check_upgrade_response(101, good_response(**ext), req, compression_offered=True) == UpgradeCheck(
        True, True, True
    )
    # echoed but not offered / offered but not echoed
    assert not check_upgrade_response(101, good_response(**ext), req, compression_offered=False).compression
    assert not check_upgrade_response(101, good_response(), req, compression_offered=True).compression
    # bad accept → websocket but not verified (8504)
    bad = good_response(**{"sec-websocket-accept": "nope"})
    assert check_upgrade_response(101, bad, req, compression_offered=False) == UpgradeCheck(True, False, False)
    # 200 / 403 / h2c → not a WebSocket upgrade
    assert check_upgrade_response(200, good_response(), req, compression_offered=False) == UpgradeCheck(
        False, False, False
    )
    assert not check_upgrade_response(101, {"upgrade": "h2c"}, req, compression_offered=True).websocket
