"""Port of tests/swoole_http_client_coro/invalid_port.phpt (swoole-src a281145a1): "swoole_http_client_coro: invalid port".

Ports -1 and 65536 make the constructor raise ``Client\\Exception`` "The port is invalid"; a
``unix:`` host with port 0 is accepted (port validation does not apply to UNIX hosts).

Port: faithful

Deviations: the exception code is asserted as SW_ERROR_INVALID_PARAMS (505), as in the C++ source
(the catalogue's 504 is wrong); a few boundary checks (0, 1, 65535, UNIX out-of-range) added.
No I/O, like upstream.
"""

from __future__ import annotations

import pytest

from swoole_compat.coroutine.http import Client, ClientException

UNIXSOCK_PATH = "/tmp/unix-sock-test.sock"
SW_ERROR_INVALID_PARAMS = 505


@pytest.mark.parametrize("port", [-1, 65536])
def test_invalid_port_raises(port: int) -> None:
    with pytest.raises(ClientException) as info:
        Client("127.0.0.1", port)
    assert info.value.message == "The port is invalid"
    assert str(info.value) == "The port is invalid"
    assert info.value.code == SW_ERROR_INVALID_PARAMS


def test_unix_host_port_zero_accepted() -> None:
    # upstream: new Client('unix:/' . UNIXSOCK_PATH, 0) -> 'unix://tmp/unix-sock-test.sock'
    cli = Client("unix:/" + UNIXSOCK_PATH, 0)
    assert cli.host == "unix://tmp/unix-sock-test.sock"
    assert cli.connected is False  # the constructor performs no I/O
    assert cli.errCode == 0


def test_valid_port_boundaries() -> None:
    assert Client("127.0.0.1", 1).port == 1
    assert Client("127.0.0.1", 65535).port == 65535
    # port 0 means the default port for the ssl flag
    assert Client("127.0.0.1", 0).port == 80
    assert Client("127.0.0.1", 0, True).port == 443
    assert Client("127.0.0.1").port == 80


def test_unix_host_skips_port_validation() -> None:
    # No exception for UNIX hosts even with out-of-range ports (upstream keeps 16 bits).
    assert Client("unix:" + UNIXSOCK_PATH, 65536).port == 0
    Client("unix:" + UNIXSOCK_PATH, -1)
