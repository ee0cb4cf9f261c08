"""Port of tests/swoole_http_client_coro/construct_failed.phpt (swoole-src a281145a1): "swoole_http_client_coro: construct failed".

``Client('')`` raises ``Swoole\\Coroutine\\Http\\Client\\Exception`` "host is empty" with code EINVAL.

Port: faithful

Deviations: upstream lets the exception escape and matches PHP's "Fatal error: Uncaught ..." plus
stack trace; that rendering is PHP-engine specific, so the port asserts the exception class,
message and code (catalogue §3.2) instead.
"""

from __future__ import annotations

import errno

import pytest

from swoole_compat import SwooleException
from swoole_compat.coroutine.http import Client, ClientException


def test_construct_failed() -> None:
    with pytest.raises(ClientException, match=r"^host is empty$") as info:
        Client("")
    exc = info.value
    assert isinstance(exc, SwooleException)  # Client\Exception extends Swoole\Exception
    assert Client.Exception is ClientException
    assert exc.message == "host is empty"
    assert str(exc) == "host is empty"
    assert exc.code == errno.EINVAL


def test_construct_failed_with_port_and_ssl() -> None:
    # The empty-host check comes before port validation: an invalid port does not change it.
    with pytest.raises(ClientException, match=r"^host is empty$"):
        Client("", 65536, True)
