"""errors.py: swoole_strerror table, exception classes, warning helper, logger."""

from __future__ import annotations

import logging
import os
import pickle
import warnings

import pytest

from swoole_compat import constants
from swoole_compat.errors import (
    CLIENT,
    FRAME,
    ClientException,
    SwooleError,
    SwooleException,
    SwooleWarning,
    logger,
    php_warning,
    swoole_strerror,
)


@pytest.mark.parametrize(
    ("code", "text"),
    [
        (501, "Malloc fail"),
        (503, "PHP fatal error"),
        (505, "Invalid params"),
        (508, "Protocol error"),
        (511, "For test"),
        (550, "No payload"),
        (711, "DNS Lookup resolve failed"),
        (712, "DNS Lookup resolve timeout"),
        (1012, "SSL cannot use senfile"),
        (1013, "SSL empty peer certificate"),
        (1014, "SSL verify failed"),
        (1018, "SSL handshake failed"),
        (1201, "Package length too large"),
        (3006, "Http2 internal error"),
        (5001, "Client no connection"),
        (7001, "Socks5 unsupport version"),
        (7005, "Socks5 handshake failed"),
        (7102, "Http invalid protocol"),
        (7103, "Http proxy handshake failed"),
        (8504, "Websocket handshake failed"),
        (8505, "Websocket pack failed"),
        (8507, "Websocket incomplete packet"),
        (9014, "Server send to woker timeout"),
        (10001, "Coroutine out of coroutine"),
        (10002, "Coroutine has been bound"),
        (10019, "Coroutine socket close wait"),
    ],
)
def test_strerror_table_rows(code: int, text: str) -> None:
    assert swoole_strerror(code) == text


@pytest.mark.parametrize("code", [500, 512, 999, 3007, 3008, 4004, 10020, 123456])
def test_strerror_unknown_codes(code: int) -> None:
    assert swoole_strerror(code) == f"Unknown error {code}"


@pytest.mark.parametrize(
    ("code", "text"),
    [
        (2, "No such file or directory"),
        (13, "Permission denied"),
        (32, "Broken pipe"),
        (104, "Connection reset by peer"),
        (110, "Connection timed out"),
        (111, "Connection refused"),
        (113, "No route to host"),
    ],
)
def test_strerror_errno_text(code: int, text: str) -> None:
    assert swoole_strerror(code) == os.strerror(code)
    if os.uname().sysname == "Linux":
        assert swoole_strerror(code) == text


def test_strerror_below_500_is_always_errno_text() -> None:
    assert swoole_strerror(0) == os.strerror(0)
    assert swoole_strerror(499) == os.strerror(499)
    assert swoole_strerror(-1) == os.strerror(-1)
    assert swoole_strerror(-(2**70)) == f"Unknown error {-(2**70)}"


def test_every_exported_error_constant_has_a_text() -> None:
    for name in constants.__all__:
        if name.startswith("SWOOLE_ERROR_"):
            code = getattr(constants, name)
            assert not swoole_strerror(code).startswith("Unknown error"), name


def test_swoole_exception_attributes() -> None:
    e = SwooleException("Only tcp socket supports socks5 proxy settings", 507)
    assert isinstance(e, Exception)
    assert e.message == "Only tcp socket supports socks5 proxy settings"
    assert e.code == 507
    assert str(e) == e.message
    assert e.args == (e.message,)
    empty = SwooleException()
    assert (empty.message, empty.code, str(empty)) == ("", 0, "")


def test_client_exception_hierarchy_and_keywords() -> None:
    e = ClientException(message="host is empty", code=22)
    assert isinstance(e, SwooleException)
    assert (e.message, e.code, str(e)) == ("host is empty", 22, "host is empty")
    with pytest.raises(SwooleException) as info:
        raise ClientException("HTTP cookie header is too large", 505)
    assert info.value.code == 505


def test_swoole_error_attributes() -> None:
    e = SwooleError("Socket#5 has already been bound to another coroutine#1", 10002)
    assert isinstance(e, RuntimeError)
    assert not isinstance(e, SwooleException)
    assert e.code == 10002
    assert str(e) == e.message == "Socket#5 has already been bound to another coroutine#1"


@pytest.mark.parametrize("cls", [SwooleException, ClientException, SwooleError])
def test_exceptions_pickle_with_code(cls: type[SwooleException] | type[SwooleError]) -> None:
    copy = pickle.loads(pickle.dumps(cls("boom", 42)))
    assert type(copy) is cls
    assert (copy.message, copy.code, str(copy)) == ("boom", 42, "boom")
    assert "42" in repr(copy)


def test_php_warning_message_and_category() -> None:
    with pytest.warns(SwooleWarning) as record:
        php_warning(f"{CLIENT}::set", "max_retries must be greater than or equal to 0, got -1")
    assert len(record) == 1
    assert str(record[0].message) == (
        "Swoole\\Coroutine\\Http\\Client::set(): max_retries must be greater than or equal to 0, got -1"
    )
    assert issubclass(SwooleWarning, UserWarning)


def test_php_warning_is_attributed_to_the_user_call_site() -> None:
    def facade_method() -> bool:
        php_warning(f"{FRAME}::pack", "opcode must be between 0 and 10")
        return False

    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        assert facade_method() is False  # execution continues
    assert record[0].filename == __file__
    assert str(record[0].message) == "Swoole\\WebSocket\\Frame::pack(): opcode must be between 0 and 10"


def test_prefix_constants() -> None:
    assert CLIENT == "Swoole\\Coroutine\\Http\\Client"
    assert FRAME == "Swoole\\WebSocket\\Frame"


def test_logger(caplog: pytest.LogCaptureFixture) -> None:
    assert logger is logging.getLogger("swoole_compat")
    with caplog.at_level(logging.WARNING, logger="swoole_compat"):
        logger.warning("HttpClient::decompress_response failed by data error")
    assert "decompress_response" in caplog.text


def test_top_level_exports() -> None:
    import swoole_compat

    assert swoole_compat.SwooleException is SwooleException
    assert swoole_compat.ClientException is ClientException
    assert swoole_compat.SwooleError is SwooleError
    assert swoole_compat.SwooleWarning is SwooleWarning
    assert swoole_compat.swoole_strerror is swoole_strerror
    assert swoole_compat.__version__ == "0.1.0"
